#!/usr/bin/env python3
"""Corrupted mem_map fixture: the filter must keep the pages whose struct
page is garbage or unreadable, and the dump must still complete.

  filter-corrupt.py VMCORE KDUMPCAP

Copies VMCORE, then (locating struct pages independently of the code under
test: VMCOREINFO -> mem_section -> vmemmap -> page-table walk, in Python)
  - overwrites 24 pages of mem_map (64 struct pages each) with seeded
    random bytes, chosen where makedumpfile -d 31 drops most of the pfns;
  - clears the page-table entry that maps one 2 MiB stretch of the vmemmap
    (32768 struct pages), so that part of mem_map cannot be read at all.
Runs KDUMPCAP -d 31 (or the filter-bitmap tool, see filter-compare.sh) on
the copy and checks that it succeeds, that every RAM pfn of those struct
pages is in the 2nd bitmap, and that it said why on stderr.
"""
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dumpbitmap  # noqa: E402

START_KERNEL_MAP = 0xffffffff80000000
PAGE = 4096


class Vmcore:
    def __init__(self, path):
        self.f = open(path, 'r+b')
        eh = self.f.read(64)
        phoff, = struct.unpack_from('<Q', eh, 32)
        phnum, = struct.unpack_from('<H', eh, 56)
        self.f.seek(phoff)
        ph = self.f.read(56 * phnum)
        self.loads, notes = [], b''
        for i in range(phnum):
            t, _, off, va, pa, fsz, msz, _ = struct.unpack_from('<IIQQQQQQ', ph, 56 * i)
            if t == 4:
                self.f.seek(off)
                notes += self.f.read(fsz)
            elif t == 1 and not (START_KERNEL_MAP <= va < 0xffffffffc0000000):
                self.loads.append((pa, fsz, off))
        self.vi = {}
        o = 0
        while o + 12 <= len(notes):
            nsz, dsz, _ = struct.unpack_from('<III', notes, o)
            name = notes[o + 12:o + 12 + nsz]
            d = o + 12 + (nsz + 3) // 4 * 4
            if name.startswith(b'VMCOREINFO'):
                for line in notes[d:d + dsz].decode(errors='replace').splitlines():
                    if '=' in line:
                        k, v = line.split('=', 1)
                        self.vi[k] = v
            if nsz == 0 and dsz == 0:
                break
            o = d + (dsz + 3) // 4 * 4
        self.l5 = self.vi.get('NUMBER(pgtable_l5_enabled)') == '1'
        self.phys_base = int(self.vi['NUMBER(phys_base)'])

    def offset(self, pa):
        for start, fsz, off in self.loads:
            if start <= pa < start + fsz:
                return off + pa - start
        raise KeyError('paddr 0x%x not in the vmcore' % pa)

    def read_phys(self, pa, n):
        self.f.seek(self.offset(pa))
        return self.f.read(n)

    def u64p(self, pa):
        return struct.unpack('<Q', self.read_phys(pa, 8))[0]

    def walk(self, va):
        """(paddr, page size, paddr of the last entry used)."""
        table = int(self.vi['SYMBOL(init_top_pgt)'], 16) - START_KERNEL_MAP + self.phys_base
        for lvl in range(5 if self.l5 else 4, 0, -1):
            shift = 12 + 9 * (lvl - 1)
            ent = table + ((va >> shift) & 511) * 8
            e = self.u64p(ent)
            if not e & 1:
                raise KeyError('0x%x not mapped' % va)
            if lvl in (2, 3) and e & 0x80:
                mask = (1 << shift) - 1
                return (e & 0x000ffffffffff000 & ~mask) | (va & mask), mask + 1, ent
            table = e & 0x000ffffffffff000
        return table | (va & 0xfff), PAGE, ent

    def u64v(self, va):
        return struct.unpack('<Q', self.read_phys(self.walk(va)[0], 8))[0]

    def page_va(self, pfn):
        """Virtual address of pfn's struct page (SPARSEMEM_EXTREME layout of x86_64)."""
        ssb = int(self.vi['NUMBER(SECTION_SIZE_BITS)'])
        size_page = int(self.vi['SIZE(page)'])
        ms_size = int(self.vi['SIZE(mem_section)'])
        map_off = int(self.vi['OFFSET(mem_section.section_mem_map)'])
        roots = int(self.vi['SYMBOL(mem_section)'], 16)
        sec = pfn >> (ssb - 12)
        per_root = PAGE // ms_size
        root = self.u64v(roots + (sec // per_root) * 8)
        m = self.u64v(root + (sec % per_root) * ms_size + map_off)
        assert m & 1, 'section %d not present' % sec
        return (m & ~31) + pfn * size_page


def run_filter(kdc, vmcore, level, tmp):
    if os.path.basename(kdc) == 'filter-bitmap':
        out = os.path.join(tmp, 'kc.bin')
        p = subprocess.run([kdc, vmcore, str(level), out], capture_output=True, text=True, timeout=600)
        spec = 'raw:' + out
    else:
        out = os.path.join(tmp, 'kc.dump')
        p = subprocess.run([kdc, '-d', str(level), vmcore, out], capture_output=True, text=True, timeout=600)
        spec = out
    return p, spec


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, kdc = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='filter-corrupt.')
    try:
        md = os.path.join(tmp, 'md.dump')
        subprocess.run(['makedumpfile', '-d', '31', src, md], check=True, capture_output=True, timeout=600)
        ram, dump, max_mapnr = dumpbitmap.read_dump(md)
        os.unlink(md)

        def on(bm, p):
            return bm[p // 8] >> (p % 8) & 1

        copy = os.path.join(tmp, 'vmcore')
        shutil.copyfile(src, copy)
        vc = Vmcore(copy)
        size_page = int(vc.vi['SIZE(page)'])
        per = PAGE // size_page
        # groups of pfns sharing one mem_map page, mostly dropped by makedumpfile
        cands = [g for g in range(0, max_mapnr // per)
                 if sum(on(ram, p) and not on(dump, p) for p in range(g * per, g * per + per)) >= per // 2]
        rng = random.Random(20261122)
        garbage = sorted(rng.sample(cands, min(24, len(cands))))
        affected = set()
        for g in garbage:
            va = vc.page_va(g * per)
            pa, _, _ = vc.walk(va)
            assert pa % PAGE == 0, 'mem_map page not page aligned'
            vc.f.seek(vc.offset(pa))
            vc.f.write(bytes(rng.getrandbits(8) for _ in range(PAGE)))
            affected.update(range(g * per, g * per + per))
        # unmap one 2 MiB stretch of the vmemmap holding struct pages of dropped pfns
        span_pfns = (2 << 20) // size_page
        later = [g * per for g in cands if g * per >= max_mapnr // 2] or [cands[len(cands) // 2] * per]
        first = later[0] // span_pfns * span_pfns
        _, size, ent = vc.walk(vc.page_va(first))
        ent_val = vc.u64p(ent)
        vc.f.seek(vc.offset(ent))
        vc.f.write(struct.pack('<Q', ent_val & ~1))
        unmapped = set(range(first, first + size // size_page))
        vc.f.close()
        lost_before = sum(1 for p in affected | unmapped if on(ram, p) and not on(dump, p))

        p, spec = run_filter(kdc, copy, 31, tmp)
        if p.returncode != 0:
            print('FAIL: %s exited %d on the corrupted vmcore:\n%s' % (kdc, p.returncode, p.stderr[-2000:]))
            return 1
        r2, d2, _ = dumpbitmap.load(spec, max_mapnr)
        dropped = sorted(q for q in affected | unmapped if q < max_mapnr and on(r2, q) and not on(d2, q))
        ok = True
        if dropped:
            print('FAIL: %d pfns with corrupt or unreadable struct page were dropped, e.g. %s' %
                  (len(dropped), ', '.join('0x%x' % q for q in dropped[:8])))
            ok = False
        for word in ('garbage', 'cannot be read'):
            if word not in p.stderr:
                print('FAIL: no "%s" message on stderr:\n%s' % (word, p.stderr[-2000:]))
                ok = False
        print('%s: %d garbage struct pages (%d mem_map pages), %d unreadable (%d KiB mapping at pfn 0x%x); '
              'makedumpfile dropped %d of those pfns on the clean vmcore, kdumpcap kept all' %
              ('ok' if ok else 'FAIL', len(affected), len(garbage), len(unmapped), size >> 10, first, lost_before))
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
