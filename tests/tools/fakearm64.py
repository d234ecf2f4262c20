#!/usr/bin/env python3
"""Write a small synthetic arm64 ELF vmcore of 4, 16 or 64 KiB pages.

RAM at PHYS_OFFSET (QEMU virt's 1 GiB) in two PT_LOADs with a hole between
them, the second one's file data ending mid-page; pages mix zeros, text and
random bytes (seeded). The kernel image's PT_LOAD aliases RAM at
kimage_voffset. init_uts_ns lies at a vmalloc address that no PT_LOAD maps:
only a walk of swapper_pg_dir (tables of one page each, as many levels as
VA_BITS and the page size give) finds it, so a dump whose header carries
its nodename proves the walk.
--t1sz: TCR_EL1_T1SZ when not 64 - VA_BITS (a 52-bit kernel on a CPU
without LPA2 translates 47 or 48 bits); the tables follow 64 - T1SZ.
  fakearm64.py OUT --page-size 4096|16384|65536 [--va-bits N] [--t1sz N] [--seed N]
"""
import argparse
import random
import struct

from fakevmcore import note, phdr

EM_AARCH64 = 183
PHYS_OFFSET = 0x40000000
KIMAGE_VADDR = 0xffff800008000000
TEXT_PADDR = PHYS_OFFSET + (4 << 20)  # the Image, in the first PT_LOAD
TEXT_SIZE = 2 << 20
UTS_OFFSET = 0x80123000  # init_uts_ns: this far into TTBR1's upper half (vmalloc), in no PT_LOAD
DESC_TABLE = 0x3  # a table (levels 0-2) or a page (level 3)
DESC_AF = 1 << 10  # access flag, set in every real page descriptor
DESC_SH = 3 << 8  # inner shareable; with LPA2 these bits are PA[51:50] instead


def ehdr(phnum):
    """The ELF64 aarch64 ET_CORE header; PHNUM program headers follow it."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, EM_AARCH64, 1, 0, 64, 0, 0, 64,
                                                            56, phnum, 0, 0, 0)


def segments(ps):
    """(paddr, memsz, filesz): 24 MiB, a 4 MiB hole, 8 MiB whose file data stops mid-page."""
    second = PHYS_OFFSET + (28 << 20)
    return [(PHYS_OFFSET, 24 << 20, 24 << 20), (second, 8 << 20, (8 << 20) - 3 * ps - 0x123)]


def page_data(rng, pfn, ps):
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(ps)
    if kind == 1:
        return bytes(rng.getrandbits(8) for _ in range(64)) * (ps // 64)
    if kind == 2:
        return rng.randbytes(ps)
    if kind == 3:
        return ((b"pfn %08x " % pfn) * (ps // 13 + 1))[:ps]
    return bytes(ps - 1) + b"\x01"


def utsname(ps):
    return b"".join(f.encode().ljust(65, b"\0") for f in
                    ("Linux", "fake-arm64-%dk" % (ps // 1024), "6.12.0-fake", "#1 SMP", "aarch64", "(none)"))


def uts_vaddr(va_bits):
    return (1 << 64) - (1 << (va_bits - 1)) + UTS_OFFSET


def tables(ps, va_bits, pgd_pa, uts_pa):
    """{paddr: page} for the walk from swapper_pg_dir at PGD_PA to UTS_PA over
    VA_BITS (the bits TTBR1 translates)."""
    lpa2 = va_bits == 52 and ps != 65536
    shift = ps.bit_length() - 1
    index_bits = shift - 3
    levels = (va_bits - 4) // index_bits
    out, table, va = {}, pgd_pa, uts_vaddr(va_bits)
    for i, lvl in enumerate(range(4 - levels, 4)):
        lshift = shift + index_bits * (3 - lvl)
        idx = (va >> lshift) & ((1 << min(index_bits, va_bits - lshift)) - 1)
        nxt = uts_pa if lvl == 3 else pgd_pa + (i + 1) * ps
        page = bytearray(ps)
        attrs = DESC_TABLE | (DESC_AF if lvl == 3 else 0) | (0 if lpa2 else DESC_SH)
        struct.pack_into("<Q", page, 8 * idx, nxt | attrs)
        out[table] = bytes(page)
        table = nxt
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--page-size", type=int, choices=[4096, 16384, 65536], required=True)
    ap.add_argument("--va-bits", type=int, default=48)
    ap.add_argument("--t1sz", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t1sz = 64 - a.va_bits if a.t1sz is None else a.t1sz
    ps, rng = a.page_size, random.Random(a.seed)
    segs = segments(ps)
    voff = KIMAGE_VADDR - TEXT_PADDR
    pgd_pa = TEXT_PADDR + TEXT_SIZE // 2  # swapper_pg_dir, in the image
    uts_pa = PHYS_OFFSET + (20 << 20)

    pages = {}
    for paddr, _, filesz in segs:
        for pfn in range(paddr // ps, (paddr + filesz + ps - 1) // ps):
            pages[pfn] = page_data(rng, pfn, ps)
    for pa, page in tables(ps, 64 - t1sz, pgd_pa, uts_pa).items():
        pages[pa // ps] = page
    at = uts_vaddr(64 - t1sz) % ps
    pages[uts_pa // ps] = bytes(at) + utsname(ps) + bytes(ps - at - 6 * 65)

    vi = ("OSRELEASE=6.12.0-fake\nPAGESIZE=%d\nCRASHTIME=1700000000\nNUMBER(VA_BITS)=%d\n"
          "NUMBER(kimage_voffset)=0x%x\nNUMBER(PHYS_OFFSET)=0x%x\nNUMBER(TCR_EL1_T1SZ)=%d\n"
          "SYMBOL(swapper_pg_dir)=%x\nSYMBOL(init_uts_ns)=%x\nOFFSET(uts_namespace.name)=0\n" %
          (ps, a.va_bits, voff, PHYS_OFFSET, t1sz, pgd_pa + voff, uts_vaddr(64 - t1sz))).encode()
    notes = note("CORE", 1, bytes(392)) * 2 + note("VMCOREINFO", 0, vi)
    phnum = 2 + len(segs)
    off = (64 + 56 * phnum + len(notes) + ps - 1) // ps * ps
    ph, seg_offs = [phdr(4, 64 + 56 * phnum, 0, 0, len(notes), len(notes))], []
    linear = (1 << 64) - (1 << (64 - t1sz))  # PAGE_OFFSET
    for paddr, memsz, filesz in segs:
        seg_offs.append(off)
        ph.append(phdr(1, off, linear + paddr - PHYS_OFFSET, paddr, filesz, memsz))
        off += filesz
    ph.insert(1, phdr(1, seg_offs[0] + TEXT_PADDR - PHYS_OFFSET, KIMAGE_VADDR, TEXT_PADDR, TEXT_SIZE, TEXT_SIZE))
    with open(a.out, "wb") as f:
        f.write(ehdr(phnum) + b"".join(ph) + notes)
        for (paddr, _, filesz), so in zip(segs, seg_offs):
            data = b"".join(pages[pfn] for pfn in range(paddr // ps, (paddr + filesz + ps - 1) // ps))
            f.seek(so)
            f.write(data[:filesz])


if __name__ == "__main__":
    main()
