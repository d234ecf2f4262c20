#!/usr/bin/env python3
"""Compare the page sets of two kdump-compressed dumps (e.g. kdumpcap's and
makedumpfile's of the same vmcore): the 1st bitmap, the 2nd bitmap, and,
with --zero, the pfns whose descriptors share the zero page (level bit 1);
with --pages, the content of every page both dump (raw and zlib pages read
here, lzo and zstd through libkdumpfile as checkdump.py does). --a-keeps
PFN,...: exactly these pfns are in A's 2nd bitmap and not in B's (makedumpfile
before 1.7.6 drops the page holding a segment's unaligned end of file data;
its commit f2c5f76 fixed that).
Prints counts and the first differing pfns; exit 0 when equal.
  cmpdumps.py A B [--zero] [--pages] [--a-keeps PFN,...] [--quiet]
"""
import argparse
import mmap
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkdump import LZO, PAGE, ZLIB, ZSTD, bits, open_kdumpfile  # noqa: E402 (one reader of lzo/zstd pages)
import kdumpfmt as K  # noqa: E402 (the format's constants, from lib/kdumpfmt.h)


class Dump:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.m = m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        self.h = h = K.read_header(m)
        if not h:
            sys.exit("cmpdumps: %s is not a kdump-compressed file" % path)
        self.status = h.status
        self.max_mapnr = K.u64(m, h.block_size + K.KDUMP_SUB_OFF_MAX_MAPNR_64)
        off, half = h.bitmap1, h.half
        self.raw2 = m[off + half:off + 2 * half]
        self.bm1 = int.from_bytes(m[off:off + half], "little")
        self.bm2 = int.from_bytes(self.raw2, "little")
        self.path = path
        self.kd = None

    def pages(self):
        """(pfn, content) of every dumped page, in pfn order."""
        for i, pfn in enumerate(bits(self.raw2, self.max_mapnr)):
            o, size, flags, _ = K.desc(self.m, self.h, i)
            raw = self.m[o:o + size]
            if flags == 0:
                yield pfn, raw
            elif flags == ZLIB:
                yield pfn, zlib.decompress(raw)
            elif flags in (LZO, ZSTD):
                self.kd = self.kd or open_kdumpfile(self.path)
                yield pfn, self.kd(pfn)
            else:
                yield pfn, None

    def zero_pfns(self):
        """pfns sharing the zero page: the first page of the data area (as
        both makedumpfile and kdumpcap write it; other equal pages may share
        data too)."""
        offs = {}
        i = 0
        for byte_no, byte in enumerate(self.raw2):
            if not byte:
                continue
            for bit in range(8):
                if byte >> bit & 1:
                    o = K.desc(self.m, self.h, i)[0]
                    offs.setdefault(o, []).append(byte_no * 8 + bit)
                    i += 1
        best = offs[min(offs)] if offs else []
        return set(best) if len(best) > 1 else set()


def pfns(x, limit=8):
    out, pfn = [], 0
    while x and len(out) < limit:
        low = (x & -x).bit_length() - 1
        out.append(hex(pfn + low))
        x >>= low + 1
        pfn += low + 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--zero", action="store_true")
    ap.add_argument("--pages", action="store_true")
    ap.add_argument("--a-keeps", default="", help="comma-separated hex pfns only A dumps")
    ap.add_argument("--quiet", action="store_true")
    o = ap.parse_args()
    A, B = Dump(o.a), Dump(o.b)
    bad = False
    if A.max_mapnr != B.max_mapnr:
        print("max_mapnr differs: %d vs %d" % (A.max_mapnr, B.max_mapnr))
        bad = True
    keeps = sum(1 << pfn for pfn in {int(p, 16) for p in o.a_keeps.split(",") if p})
    if keeps and (A.bm2 & ~B.bm2) != keeps:
        print("2nd bitmap: pfns only in A are %s, expected %s" % (pfns(A.bm2 & ~B.bm2), pfns(keeps)))
        bad = True
    for name, x, y in (("1st bitmap", A.bm1, B.bm1), ("2nd bitmap", A.bm2 & ~keeps, B.bm2)):
        only_a, only_b = x & ~y, y & ~x
        if not o.quiet or only_a or only_b:
            print("%s: %d vs %d pages; only in A %d %s, only in B %d %s" % (
                name, bin(x).count("1"), bin(y).count("1"), bin(only_a).count("1"), pfns(only_a),
                bin(only_b).count("1"), pfns(only_b)))
        bad |= bool(only_a or only_b)
    if o.zero:
        za, zb = A.zero_pfns(), B.zero_pfns()
        if not o.quiet or za != zb:
            print("zero-page pfns: %d vs %d; differ in %d" % (len(za), len(zb), len(za ^ zb)))
        bad |= za != zb
    if o.pages:
        pb = dict(B.pages())
        same = differ = 0
        for pfn, page in A.pages():
            if pfn not in pb:
                continue
            if page is None or len(page) != PAGE or page != pb[pfn]:
                if differ < 8:
                    print("page content differs at pfn 0x%x" % pfn)
                differ += 1
            else:
                same += 1
        if not o.quiet or differ:
            print("pages dumped by both: %d equal, %d differ" % (same, differ))
        bad |= differ > 0
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
