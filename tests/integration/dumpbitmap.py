#!/usr/bin/env python3
"""Read the two bitmaps of a kdump-compressed dump (see FORMAT.md) and
compare them with another dump's or with a raw pair (1st then 2nd bitmap,
as tests/integration/filter-bitmap writes).

  dumpbitmap.py count DUMP             -> "ram=N dumped=M max_mapnr=K"
  dumpbitmap.py compare A B [MAX_PFN]  -> exit 1 and list differences if the
                                          bitmaps differ (A, B: dump or raw:FILE)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import kdumpfmt as K  # noqa: E402 (the format's constants, from lib/kdumpfmt.h)


def read_dump(path):
    with open(path, 'rb') as f:
        hdr = f.read(4096)
        h = K.read_header(hdr)
        if not h:
            raise SystemExit('%s: not a kdump-compressed dump (signature %r)' % (path, hdr[:K.KDUMP_SIG_LEN]))
        max_mapnr = h.max_mapnr32
        f.seek(h.block_size)
        sub = f.read(K.KDUMP_SUBHDR_SIZE)
        if len(sub) >= K.KDUMP_SUBHDR_SIZE:
            max64 = K.u64(sub, K.KDUMP_SUB_OFF_MAX_MAPNR_64)
            if max64:
                max_mapnr = max64
        f.seek(h.bitmap1)
        bm = f.read(2 * h.half)
        half = len(bm) // 2
        return bm[:half], bm[half:], max_mapnr


def read_raw(path, max_pfn):
    data = open(path, 'rb').read()
    half = len(data) // 2
    return data[:half], data[half:], max_pfn


def load(spec, max_pfn):
    if spec.startswith('raw:'):
        return read_raw(spec[4:], max_pfn)
    return read_dump(spec)


def bits(bm, limit):
    """Set bit indexes of bm below limit."""
    out = set()
    for i, b in enumerate(bm):
        if not b:
            continue
        for j in range(8):
            if b >> j & 1:
                p = i * 8 + j
                if p < limit:
                    out.add(p)
    return out


def popcount(bm, limit):
    n = 0
    full = limit // 8
    n += sum(bin(b).count('1') for b in bm[:full])
    for p in range(full * 8, limit):
        if p // 8 < len(bm) and bm[p // 8] >> (p % 8) & 1:
            n += 1
    return n


def ranges(pfns):
    out = []
    for p in sorted(pfns):
        if out and out[-1][1] == p:
            out[-1][1] = p + 1
        else:
            out.append([p, p + 1])
    return out


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == 'count':
        r, d, m = read_dump(sys.argv[2])
        print('ram=%d dumped=%d max_mapnr=%d' % (popcount(r, m), popcount(d, m), m))
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == 'compare':
        max_pfn = int(sys.argv[4], 0) if len(sys.argv) > 4 else None
        a = load(sys.argv[2], max_pfn)
        b = load(sys.argv[3], max_pfn if max_pfn else a[2])
        limit = max(a[2] or 0, b[2] or 0)
        bad = 0
        for name, x, y in (('1st', a[0], b[0]), ('2nd', a[1], b[1])):
            if x[:limit // 8] == y[:limit // 8] and popcount(x, limit) == popcount(y, limit):
                continue
            sx, sy = bits(x, limit), bits(y, limit)
            if sx == sy:
                continue
            bad = 1
            only_a, only_b = sx - sy, sy - sx
            print('%s bitmap differs: %d pfns only in %s, %d only in %s' %
                  (name, len(only_a), sys.argv[2], len(only_b), sys.argv[3]))
            for tag, s in (('A', only_a), ('B', only_b)):
                for lo, hi in ranges(s)[:10]:
                    print('  only %s: pfn 0x%x-0x%x (%d)' % (tag, lo, hi - 1, hi - lo))
        return bad
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
