#!/usr/bin/env python3
"""Write a small synthetic x86_64 ELF vmcore for fast tests.

Segments: low memory from pfn 1, 32 MiB at 1 MiB, a hole, 4 MiB at 4 GiB
(max_pfn past 32 bits of address), the last one with memsz > filesz. Pages
mix zero pages, compressible text and incompressible bytes, seeded.
--split: RAM split at unaligned addresses into several PT_LOADs, as EFI
machines' vmcores are (System RAM cut around setup_data): see SPLIT_SEGS.
--kernel-info: a utsname in memory (SYMBOL(init_uts_ns)), page tables
mapping it (SYMBOL(init_top_pgt)) and a FLATMEM mem_map pointer with the
struct page layout, which makedumpfile needs before it dumps (at -d 0 and
-d 1 it reads no struct page). --huge-memsz: one more PT_LOAD whose memsz
reaches past the 2^52 bytes x86_64 can address (a corrupt program header).
  fakevmcore.py OUT [--seed N] [--no-vmcoreinfo] [--garbage-notes]
                    [--truncate BYTES] [--cpus N] [--split] [--kernel-info]
                    [--huge-memsz]
"""
import argparse
import random
import struct

PAGE = 4096
SEGS = [  # (paddr, memsz, filesz)
    (0x1000, 0x9f000 - 0x1000, 0x9f000 - 0x1000),
    (0x100000, 32 << 20, 32 << 20),
    (0x100000000, 4 << 20, (4 << 20) - 3 * PAGE),
]
# Pages that two segments share, or that begin in no segment, hold a
# recognisable pattern ("straddle pfn ..."), never zeros.
SPLIT_SEGS = [
    (0x1000, 0x9fc00 - 0x1000, 0x9fc00 - 0x1000),  # ends mid-page before a hole (as BIOS e820 does)
    (0x100000, 0x4b1018 - 0x100000, 0x4b1018 - 0x100000),  # cut at setup_data bounds ...
    (0x4b1018, 0x4c1058 - 0x4b1018, 0x4c1058 - 0x4b1018),  # ... contiguous, both ends mid-page
    (0x4c1058, 0x4c1800 - 0x4c1058, 0x4c1800 - 0x4c1058),  # then 0x100 bytes of no segment,
    (0x4c1900, 0x1400000 - 0x4c1900, 0x1400000 - 0x4c1900),  # in the same page; holds TEXT
    (0x1800a00, 0x1a00000 - 0x1800a00, 0x1a00000 - 0x1800a00),  # starts mid-page after a hole
    (0x100000000, 1 << 20, (1 << 20) - 3 * PAGE - 0x123),  # file data ends mid-page, memsz beyond
]
HUGE_SEG = (0x200000000, (1 << 62) - 0x200000000, PAGE)  # memsz past any physical address width
UTS_VADDR = 0xffffffff81100000  # init_uts_ns, in the TEXT alias
MEM_MAP_VADDR = 0xffffffff81100200  # the mem_map variable: vmemmap's base
PGT_VADDR = 0xffffffff81110000  # init_top_pgt and its PUD and PMD pages, mapping TEXT by one 2M page
TEXT = (0xffffffff81000000, 0x1000000, 2 << 20)  # vaddr, paddr, size (alias of RAM)


def note(name, ntype, desc):
    """An ELF note, name and desc padded to 4 bytes."""
    n = name.encode() + b"\0"
    out = struct.pack("<III", len(n), len(desc), ntype) + n
    out += b"\0" * (-len(out) % 4) + desc
    return out + b"\0" * (-len(out) % 4)


def ehdr(phnum):
    """The ELF64 x86_64 ET_CORE header; PHNUM program headers follow it."""
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56,
                                                            phnum, 0, 0, 0)


def phdr(ptype, off, vaddr, paddr, filesz, memsz, align=0):
    """A program header: PT_NOTE (4) or PT_LOAD (1, flags RWX)."""
    return struct.pack("<IIQQQQQQ", ptype, 7 if ptype == 1 else 0, off, vaddr, paddr, filesz, memsz, align)


def page_data(rng, pfn):
    kind = rng.randrange(6)
    if kind == 0:
        return b"\0" * PAGE
    if kind == 1:
        return bytes(rng.getrandbits(8) for _ in range(64)) * (PAGE // 64)
    if kind == 2:
        return rng.randbytes(PAGE)
    if kind == 3:
        return (b"pfn %08x " % pfn) * (PAGE // 13) + b"\0" * (PAGE % 13)
    if kind == 4:  # one non-zero byte at the end: not a zero page
        return b"\0" * (PAGE - 1) + b"\x01"
    return struct.pack("<Q", pfn) * (PAGE // 8)


def straddles(segs, pfn):
    """True when pfn's page is not wholly inside one segment's file data."""
    a, b = pfn * PAGE, (pfn + 1) * PAGE
    return not any(p <= a and b <= p + fs for p, _, fs in segs)


def memory(rng, segs):
    """pfn -> page content for every page some segment's file data touches,
    drawn in segment and pfn order (so page-aligned layouts keep their bytes)."""
    pages = {}
    for paddr, _, filesz in segs:
        for pfn in range(paddr // PAGE, (paddr + filesz + PAGE - 1) // PAGE):
            if pfn not in pages:
                pages[pfn] = page_data(rng, pfn)
                if straddles(segs, pfn):
                    pages[pfn] = (b"straddle pfn %08x " % pfn) * (PAGE // 22) + b"\xa5" * (PAGE % 22)
    return pages


def utsname():
    """struct new_utsname: six 65-byte fields."""
    return b"".join(f.encode().ljust(65, b"\0") for f in
                    ("Linux", "fake", "6.1.0-fake", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "(none)"))


def page_tables():
    """Three pages: PGD, PUD, PMD; TEXT's vaddr maps to its paddr by one 2M page."""
    pa = TEXT[1] + PGT_VADDR - TEXT[0]
    present, pse = 0x63, 0x80
    out = b""
    for level, nxt in ((39, pa + PAGE | present), (30, pa + 2 * PAGE | present), (21, TEXT[1] | present | pse)):
        pg = bytearray(PAGE)
        struct.pack_into("<Q", pg, 8 * (TEXT[0] >> level & 511), nxt)
        out += bytes(pg)
    return out


def poke(pages, paddr, data):
    """Write DATA into the page images at PADDR (within one or more whole pages' span)."""
    for i in range(0, len(data), PAGE):
        pfn, at = (paddr + i) // PAGE, (paddr + i) % PAGE
        chunk = data[i:i + PAGE - at]
        pages[pfn] = pages[pfn][:at] + chunk + pages[pfn][at + len(chunk):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-vmcoreinfo", action="store_true")
    ap.add_argument("--garbage-notes", action="store_true")
    ap.add_argument("--truncate", type=int, default=0)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--kernel-info", action="store_true")
    ap.add_argument("--huge-memsz", action="store_true")
    a = ap.parse_args()
    segs = SPLIT_SEGS if a.split else SEGS
    rng = random.Random(a.seed)

    notes = b"".join(note("CORE", 1, bytes(336)) for _ in range(a.cpus))
    if not a.no_vmcoreinfo:
        vi = ("OSRELEASE=6.1.0-fake\nPAGESIZE=4096\nCRASHTIME=1700000000\n"
              "NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\n")
        if a.kernel_info:
            vi += ("SYMBOL(init_uts_ns)=%x\nOFFSET(uts_namespace.name)=0\nSYMBOL(init_top_pgt)=%x\n"
                   "SYMBOL(mem_map)=%x\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
                   "OFFSET(page.mapping)=24\n" % (UTS_VADDR, PGT_VADDR, MEM_MAP_VADDR))
        vi = vi.encode()
        notes += note("VMCOREINFO", 0, vi)
    if a.garbage_notes:
        notes = struct.pack("<III", 5, 0x7fffff00, 1) + b"CORE\0\0\0\0" + notes

    phnum = 2 + len(segs) + a.huge_memsz
    off = 64 + 56 * phnum
    note_off = off
    off += len(notes)
    off = (off + PAGE - 1) // PAGE * PAGE
    ph = [phdr(4, note_off, 0, 0, len(notes), len(notes))]
    text_off = None
    seg_offs = []
    for paddr, memsz, filesz in segs + ([HUGE_SEG] if a.huge_memsz else []):
        seg_offs.append(off)
        ph.append(phdr(1, off, 0xffff888000000000 + paddr, paddr, filesz, memsz))
        if paddr <= TEXT[1] < paddr + filesz:
            text_off = off + TEXT[1] - paddr
        off += filesz
    ph.insert(1, phdr(1, text_off, TEXT[0], TEXT[1], TEXT[2], TEXT[2]))
    with open(a.out, "wb") as f:
        f.write(ehdr(phnum) + b"".join(ph) + notes)
        pages = memory(rng, segs)
        if a.kernel_info:
            poke(pages, TEXT[1] + UTS_VADDR - TEXT[0], utsname())
            poke(pages, TEXT[1] + PGT_VADDR - TEXT[0], page_tables())
            poke(pages, TEXT[1] + MEM_MAP_VADDR - TEXT[0], struct.pack("<Q", 0xffffea0000000000))
        for (paddr, memsz, filesz), so in zip(segs, seg_offs):
            first = paddr // PAGE
            data = b"".join(pages[pfn] for pfn in range(first, (paddr + filesz + PAGE - 1) // PAGE))
            f.seek(so)
            f.write(data[paddr % PAGE:paddr % PAGE + filesz])
        if a.huge_memsz:
            f.seek(seg_offs[-1])
            f.write(b"huge" * (PAGE // 4))
        if a.truncate:
            f.truncate(a.truncate)


if __name__ == "__main__":
    main()
