#!/usr/bin/env python3
"""Write the fuzz seed corpora, tests/fuzz/corpus/<target>/seed-*, from
nothing but this script (no real vmcore data). Deterministic; rerun after
changing a target's input layout:  tests/fuzz/make-seeds.py [DIR]"""
import os
import struct
import subprocess
import sys
import tempfile

top = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "corpus")
sys.path.insert(0, os.path.join(top, "..", "tools"))
from fakevmcore import ehdr, note, phdr  # noqa: E402 (the ELF pieces the tests share)
import flatstream as fs  # noqa: E402 (the flattened layout, mirroring transport/flat.h)


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def elf(notes, loads):
    """loads: (vaddr, paddr, data, memsz); data follows the headers."""
    ph_off, n = 64, 1 + len(loads)
    off = ph_off + 56 * n
    notes_off = off
    off += len(notes)
    phs = phdr(4, notes_off, 0, 0, len(notes), len(notes))
    body = b""
    for va, pa, data, memsz in loads:
        phs += phdr(1, off + len(body), va, pa, len(data), memsz, 4096)
        body += data
    return ehdr(n) + phs + notes + body


def vmcores():
    vmci = (b"OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff81001000\n"
            b"NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=0\n")
    prs = b"\0" * 336
    pt = bytearray(0x4000)  # PML4 @0x1000 -> PUD @0x2000 -> 1 GiB page; PMD for the direct map
    va = 0xffff888000000000
    struct.pack_into("<Q", pt, 0x1000 + ((va >> 39) & 511) * 8, 0x2000 | 3)
    struct.pack_into("<Q", pt, 0x2000 + ((va >> 30) & 511) * 8, 0x3000 | 3)
    struct.pack_into("<Q", pt, 0x3000, 0x200000 | 0x83)
    notes = note("CORE", 1, prs) + note("CORE", 1, prs) + note("VMCOREINFO", 0, vmci)
    low = bytes(pt) + b"kernel text" * 100
    full = elf(notes, [(0xffffffff81000000, 0x0, low, 0x4000 + 1100),
                       (va, 0x0, low, 0x8000),
                       (va + 0x200000, 0x200000, b"\xaa" * 4096, 0x3000)])
    put("vmcore", "full", full)
    put("vmcore", "nonotes", elf(b"", [(0, 0x1000, b"x" * 100, 0x1000)]))
    put("vmcore", "truncated", full[:300])
    put("vmcore", "garbage-notes", elf(b"\x05\0\0\0\xff\xff\0\0\1\0\0\0CORE\0", [(0, 0, b"y", 1)]))
    put("vmcoreinfo", "basic", vmci + b"SYMBOL(prb)=ffffffff82a1b2c0\nSIZE(page)=64\nNUMBER(phys_base)=-2\n"
        b"LENGTH(mem_section)=2048\nOFFSET(page.flags)=0\nBUILD-ID=0123456789abcdef")
    put("vmcoreinfo", "odd", b"PAGESIZE=\nSYMBOL(prb)=0x\nNUMBER(phys_base)=-\n=\n\nA=99999999999999999999999")


def dmesg():
    # byte 0 picks the buffer, the rest XORs the baseline memory (zeros: keep it)
    put("dmesg", "prb", b"\0" + b"\0" * 0x4400)
    put("dmesg", "log-buf", b"\1" + b"\0" * 0x8200)
    put("dmesg", "raw", b"\2" + b"\0" * 0x8020)
    broken = bytearray(0x4400)
    broken[0x1000 + 8] = 0x40  # one descriptor's begin lpos off
    put("dmesg", "prb-broken", b"\0" + bytes(broken))


def filt():
    for ctl in (31, 31 | 32, 31 | 64, 2, 8, 16, 0):
        put("filter", "level%d" % ctl, bytes([ctl]) + b"\0" * 0xb000)


def flat():
    hdr = b"makedumpfile" + b"\0" * 4 + struct.pack(">QQ", 1, 1)
    hdr += b"\0" * (4096 - len(hdr))
    rec = struct.pack(">QQ", 0, 8) + b"KDUMP   " + struct.pack(">QQ", 4096, 5) + b"hello"
    end = b"\xff" * 16
    put("flat", "ok", hdr + rec + end)
    put("flat", "cut", hdr + rec[:20])
    put("flat", "big", hdr + struct.pack(">QQ", 1 << 40, 64 << 20) + b"z" * 64)
    # kdumpcap's capture id in the header, its trailer after the end record
    cid = bytes(range(fs.FLAT_ID_SIZE))
    idhdr = bytearray(hdr)
    idhdr[fs.FLAT_OFF_ID_TAG:fs.FLAT_OFF_ID_TAG + len(fs.FLAT_ID_TAG)] = fs.FLAT_ID_TAG
    idhdr[fs.FLAT_OFF_ID:fs.FLAT_OFF_ID + fs.FLAT_ID_SIZE] = cid
    struct.pack_into(">Q", idhdr, fs.FLAT_OFF_ID_TIME, 1700000000)
    trl = bytearray(fs.FLAT_TRL_SIZE)
    trl[fs.FLAT_TRL_OFF_TAG:len(fs.FLAT_TRL_TAG)] = fs.FLAT_TRL_TAG
    trl[fs.FLAT_TRL_OFF_ID:fs.FLAT_TRL_OFF_ID + fs.FLAT_ID_SIZE] = cid
    struct.pack_into(">QQ", trl, fs.FLAT_TRL_OFF_TIME, 1700000000, len(hdr) + len(rec))
    put("flat", "id", bytes(idhdr) + rec + end + bytes(trl))
    put("flat", "otherid", bytes(idhdr) + rec + end + bytes(trl[:fs.FLAT_TRL_OFF_ID]) + b"x" * 32)


def conf():
    put("conf", "fs", b"# comment\next4 UUID=0123-4567\npath /var/crash\n"
        b"core_collector makedumpfile -l --message-level 7 -d 31\nfailure_action poweroff\n"
        b"final_action halt\nextra_modules ext4 virtio_blk\nkdump_pre /bin/true\nkdump_post /bin/x\n")
    put("conf", "raw", b"raw /dev/vdb\ndefault shell\nsshkey /root/.ssh/x\nxfs LABEL=dump  \t\r\nbogus\n"
        b"core_collector\npath relative\next4 /dev/sda1 extra\n")
    put("conf", "long", b"path " + b"a" * 1100 + b"\nnfs host:/x\nssh u@h\0\n" + b"extra_modules" + b" m" * 40)


def modules():
    dep = (b"kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/lib/crc16.ko\n"
           b"kernel/fs/jbd2/jbd2.ko:\nkernel/lib/crc16.ko:\nkernel/drivers/virtio_blk.ko: kernel/virtio-ring.ko\n"
           b"kernel/virtio-ring.ko:\nnocolon\n")
    soft = b"softdep ext4 pre: crc32c post: virtio_blk\nsoftdep jbd2 pre:\nsoftdepcrc16\n"
    alias = b"alias crc32c* crc16\nalias fs-ext4 ext4\nalias pci:v00001AF4d* virtio_blk\n"
    builtin = b"kernel/lib/crc32c.ko\nkernel/fs/ext3.ko\n"
    put("modules", "depmod", b"\0".join([dep, soft, alias, builtin, b"ext4 fs-ext4 pci:v00001AF4d00001001 nothere"]))
    modinfo = b"depends=jbd2,crc16,\0softdep=pre: crc32c\0alias=fs-m\0license=GPL\0"
    shstr = b"\0.modinfo\0.shstrtab\0"
    o_info = 64
    o_str = o_info + len(modinfo)
    o_sh = (o_str + len(shstr) + 7) & ~7
    eh = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, o_sh, 0, 64, 0, 0, 64, 3, 2)
    body = eh + modinfo + shstr
    body += b"\0" * (o_sh - len(body))
    body += b"\0" * 64
    body += struct.pack("<IIQQQQIIQQ", 1, 1, 0, 0, o_info, len(modinfo), 0, 0, 1, 0)
    body += struct.pack("<IIQQQQIIQQ", 10, 3, 0, 0, o_str, len(shstr), 0, 0, 1, 0)
    put("modules", "modinfo", b"\0".join([b"!m.ko\nkernel/jbd2.ko\n", b"", b"", b"", b"m fs-m", body]))


def blkid():
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "img")
        for fs, opts in (("ext4", []), ("ext2", ["-O", "^has_journal"]), ("ext3", ["-j"])):
            with open(img, "wb") as f:
                f.truncate(4 << 20)
            subprocess.run(["mke2fs", "-q", "-F", "-t", fs, *opts, "-L", "kdump-%s" % fs,
                            "-U", "01234567-89ab-cdef-0123-456789abcdef", "-E", "nodiscard", img], check=True,
                           env=dict(os.environ, E2FSPROGS_FAKE_TIME="1", MKE2FS_DEVICE_SECTSIZE="512"))
            with open(img, "rb") as f:
                put("blkid", fs, f.read(2048))
    xfs = bytearray(512)
    xfs[0:4] = b"XFSB"
    xfs[32:48] = bytes(range(16))
    xfs[108:120] = b"xfs-label-12"
    put("blkid", "xfs", bytes(xfs))
    # a protective MBR and a GPT with partition 2 in use (table at LBA 2)
    gpt = bytearray(2048)
    gpt[446 + 4] = 0xee
    gpt[510:512] = b"\x55\xaa"
    gpt[512:520] = b"EFI PART"
    gpt[512 + 72] = 2
    gpt[512 + 80:512 + 88] = (4).to_bytes(4, "little") + (128).to_bytes(4, "little")
    gpt[1024 + 128] = 0xaf
    gpt[1024 + 128 + 16:1024 + 128 + 32] = bytes(range(0x10, 0x20))
    put("blkid", "gpt", bytes(gpt))


def sftp():
    """Server replies, in order, to tests/fuzz/fuzz_sftp.c's session: REALPATH 1,
    MKDIR 2, STAT 3, OPEN 4, WRITE 5 6 (40000 bytes), WRITE 7 (header), fsync 8,
    CLOSE 9, RENAME 10."""
    def s(b):
        return struct.pack(">I", len(b)) + b

    def pkt(t, rid, body=b""):
        return s(struct.pack(">BI", t, rid) + body)

    def status(rid, code=0, msg=b"Success"):
        return pkt(101, rid, struct.pack(">I", code) + s(msg) + s(b""))
    version = s(struct.pack(">BI", 2, 3) + s(b"posix-rename@openssh.com") + s(b"1") +
                s(b"fsync@openssh.com") + s(b"1"))
    attrs = struct.pack(">IQIIIII", 0xf, 4096, 0, 0, 0o40700, 1, 2)
    name = pkt(104, 1, struct.pack(">I", 1) + s(b"/srv/dump") + s(b"drwx------ 2 0 0 4096 /srv/dump") +
               attrs)
    ok = (name + status(2) + pkt(105, 3, attrs) + pkt(102, 4, s(b"\0\0\0\0")) +
          b"".join(status(i) for i in range(5, 11)))
    put("sftp", "session", version + ok)
    put("sftp", "write-fails", version + name + status(2) + pkt(105, 3, attrs) + pkt(102, 4, s(b"h")) +
        status(5) + status(6, 4, b"Failure") + status(7) + status(8) + status(9) + status(10))
    ext = struct.pack(">IQI", 0x80000001, 1, 2) + s(b"a@b") + s(b"x") + s(b"c@d") + s(b"")
    put("sftp", "eexist", version + name + status(2, 4, b"Failure") + pkt(105, 3, ext) +
        status(4, 3, b"Permission denied") + status(5, 2, b"No such file"))
    put("sftp", "bad-length", version + b"\x00\x10\x00\x00\x65")


vmcores()
dmesg()
filt()
flat()
conf()
modules()
blkid()
sftp()
