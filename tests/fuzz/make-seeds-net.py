#!/usr/bin/env python3
"""Write the seed corpora of the network fuzz targets (dhcp, netlink,
ipconf) into tests/fuzz/corpus/<target>/seed-*, from nothing but this
script. Deterministic; rerun after changing a target's input layout:
  tests/fuzz/make-seeds-net.py [DIR]
Layouts: tests/fuzz/fuzz_dhcp.c, fuzz_netlink.c, fuzz_ipconf.c."""
import os
import struct
import sys

top = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "corpus")

MAC = bytes.fromhex("525400123456")
XID = 0x12345678  # fuzz_dhcp.c's FUZZ_XID
SEQ = 1           # fuzz_netlink.c's FUZZ_SEQ


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def bootp(mtype, xid=XID, yiaddr="10.0.2.15", server="10.0.2.2", opts=b""):
    b = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 2, 1, 6, 0, xid, 0, 0, bytes(4), ip4(yiaddr),
                    ip4(server), bytes(4), MAC, b"", b"", 0x63825363)
    b += bytes([53, 1, mtype, 54, 4]) + ip4(server)
    if mtype != 6:
        b += bytes([1, 4]) + ip4("255.255.255.0") + bytes([3, 8]) + ip4("10.0.2.2") + ip4("10.0.2.3")
        b += bytes([51, 4]) + struct.pack("!I", 86400) + bytes([6, 4]) + ip4("10.0.2.3")
    return b + opts + b"\xff"


def frame(payload, unicast=False, dst="255.255.255.255"):
    udp = struct.pack("!HHHH", 67, 68, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip4("10.0.2.2"),
                      ip4("10.0.2.15" if unicast else dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    eth = (MAC if unicast else b"\xff" * 6) + bytes.fromhex("52550a000202") + b"\x08\x00"
    return eth + hdr + udp


def script(*frames):
    return b"\x02" + b"".join(struct.pack("!H", len(f)) + f for f in frames)


def dhcp():
    offer, ack, nak = bootp(2), bootp(5), bootp(6)
    put("dhcp", "frame-offer", b"\x00" + frame(offer))
    put("dhcp", "frame-ack-unicast", b"\x00" + frame(ack, unicast=True))
    put("dhcp", "frame-nak", b"\x00" + frame(nak))
    put("dhcp", "frame-overload", b"\x00" + frame(bootp(2, opts=bytes([52, 1, 3, 0, 0, 12, 3]) + b"abc")))
    put("dhcp", "bootp-ack", b"\x01" + ack)
    put("dhcp", "bootp-short-option", b"\x01" + ack[:-1] + bytes([3, 9, 1, 2]))
    put("dhcp", "run-broadcast", script(frame(offer), frame(ack)))
    put("dhcp", "run-unicast", script(frame(offer, unicast=True), frame(ack, unicast=True)))
    xid2 = (XID * 1103515245 + 12345) & 0xffffffff  # dhcp.c restart(): the next transaction
    put("dhcp", "run-nak", script(frame(offer), frame(nak), frame(bootp(2, xid2)), frame(bootp(5, xid2))))
    noise = bytes((i * 151 + 7) & 0xff for i in range(300))
    put("dhcp", "run-noise", script(noise, frame(bootp(2, XID + 1)), frame(offer)[:100], frame(offer),
                                    frame(bootp(5, server="10.0.2.9")), frame(ack)))


def nlmsg(mtype, body, seq=SEQ, flags=0):
    m = struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body
    return m + b"\0" * (-len(m) % 4)


def rta(t, data):
    a = struct.pack("=HH", 4 + len(data), t) + data
    return a + b"\0" * (-len(a) % 4)


NLMSG_ERROR, NLMSG_DONE, RTM_NEWLINK = 2, 3, 16


def netlink():
    req = nlmsg(RTM_NEWLINK, struct.pack("=BxHiII", 0, 0, 2, 1, 1))
    put("netlink", "ack", nlmsg(NLMSG_ERROR, struct.pack("=i", 0) + req))
    put("netlink", "enodev", nlmsg(NLMSG_ERROR, struct.pack("=i", -19) + req))
    link = struct.pack("=BxHiII", 0, 1, 2, 0x11043, 0)  # family, type ARPHRD_ETHER, index, flags, change
    link += rta(3, b"eth0\0") + rta(4, struct.pack("=I", 1500)) + rta(16, b"\x06") + rta(1, MAC)
    link += rta(18, rta(1, b"veth\0") + rta(2, rta(1, b"x" * 20))) + rta(23, bytes(200))  # linkinfo; stats64
    put("netlink", "newlink", nlmsg(RTM_NEWLINK, link))
    put("netlink", "notify-then-ack", nlmsg(RTM_NEWLINK, link, seq=0) + nlmsg(NLMSG_ERROR, struct.pack("=i", 0) + req))
    put("netlink", "done", nlmsg(NLMSG_DONE, struct.pack("=i", 0)))
    put("netlink", "truncated", nlmsg(RTM_NEWLINK, link)[:60])
    put("netlink", "bad-rta", nlmsg(RTM_NEWLINK, struct.pack("=BxHiII", 0, 1, 2, 0, 0) + struct.pack("=HH", 2, 3)))


def ipconf():
    for i, s in enumerate([
            "dhcp", "eth0:dhcp", "enp1s0:auto6:1400:52:54:00:12:34:56",
            "192.168.1.20:192.168.1.1:192.168.1.254:255.255.255.0:crashy:eth0:none",
            "10.0.0.5::10.0.0.1:16::ens3:none:9000:52:54:00:ab:cd:ef",
            "10.0.0.5::10.0.0.1:16::ens3:none:10.0.0.53:10.0.0.54",
            "[2001:db8::5]::[fe80::1]:64:host:eth1:none", ":::::eth2:dhcp", "[2001:db8::5::64::eth0:none"]):
        put("ipconf", "%d" % i, s.encode())


dhcp()
netlink()
ipconf()
