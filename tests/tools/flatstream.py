#!/usr/bin/env python3
"""Read a flattened stream (a file, or a raw device image) independently of
kdumpcap and print what it holds:

    flatstream.py FILE      -> "id=HEX time=N records=K end=OFF trailer=ok|missing|other-id|none"

Exit 0 when the stream is one capture start to end (the end record followed
by a trailer with the header's id), 1 otherwise. The layout mirrors
transport/flat.h (the one definition; keep the two in step)."""
import struct
import sys

# transport/flat.h
FLAT_HDR_SIZE = 4096
FLAT_SIG = b"makedumpfile\0"
FLAT_OFF_TYPE = 16
FLAT_REC_SIZE = 16
FLAT_END = 0xFFFFFFFFFFFFFFFF
FLAT_ID_TAG = b"kdumpcap-id\0"
FLAT_OFF_ID_TAG = 32
FLAT_OFF_ID = 48
FLAT_ID_SIZE = 16
FLAT_OFF_ID_TIME = 64
FLAT_TRL_TAG = b"kdumpcap-end\0"
FLAT_TRL_OFF_TAG = 0
FLAT_TRL_OFF_ID = 16
FLAT_TRL_OFF_TIME = 32
FLAT_TRL_OFF_END = 40
FLAT_TRL_SIZE = 48


def main():
    f = open(sys.argv[1], "rb")
    hdr = f.read(FLAT_HDR_SIZE)
    if len(hdr) < FLAT_HDR_SIZE or not hdr.startswith(FLAT_SIG) or \
            struct.unpack_from(">Q", hdr, FLAT_OFF_TYPE)[0] != 1:
        print("no flattened header")
        return 1
    has_id = hdr[FLAT_OFF_ID_TAG:FLAT_OFF_ID_TAG + len(FLAT_ID_TAG)] == FLAT_ID_TAG
    cid = hdr[FLAT_OFF_ID:FLAT_OFF_ID + FLAT_ID_SIZE]
    ctime = struct.unpack_from(">Q", hdr, FLAT_OFF_ID_TIME)[0]
    pos, records = FLAT_HDR_SIZE, 0
    while True:
        rec = f.read(FLAT_REC_SIZE)
        if len(rec) < FLAT_REC_SIZE:
            print("id=%s records=%d end=none trailer=none" % (cid.hex() if has_id else "-", records))
            return 1
        off, size = struct.unpack(">QQ", rec)
        if off == FLAT_END and size == FLAT_END:
            break
        if size > 64 << 20:
            print("corrupt record at %d" % pos)
            return 1
        f.seek(size, 1)
        pos += FLAT_REC_SIZE + size
        records += 1
    trl = f.read(FLAT_TRL_SIZE)
    if not has_id:
        state = "none"
    elif len(trl) < FLAT_TRL_SIZE or trl[FLAT_TRL_OFF_TAG:len(FLAT_TRL_TAG)] != FLAT_TRL_TAG:
        state = "missing"
    elif trl[FLAT_TRL_OFF_ID:FLAT_TRL_OFF_ID + FLAT_ID_SIZE] != cid or \
            struct.unpack_from(">Q", trl, FLAT_TRL_OFF_TIME)[0] != ctime or \
            struct.unpack_from(">Q", trl, FLAT_TRL_OFF_END)[0] != pos:
        state = "other-id"
    else:
        state = "ok"
    print("id=%s time=%d records=%d end=%d trailer=%s" % (cid.hex() if has_id else "-", ctime, records, pos,
                                                         state))
    return 0 if state == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
