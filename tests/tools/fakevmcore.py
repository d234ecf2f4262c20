#!/usr/bin/env python3
"""Write a small synthetic x86_64 ELF vmcore for fast tests.

Segments: low memory from pfn 1, 32 MiB at 1 MiB, a hole, 4 MiB at 4 GiB
(max_pfn past 32 bits of address), the last one with memsz > filesz. Pages
mix zero pages, compressible text and incompressible bytes, seeded.
  fakevmcore.py OUT [--seed N] [--no-vmcoreinfo] [--garbage-notes]
                    [--truncate BYTES] [--cpus N]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-vmcoreinfo", action="store_true")
    ap.add_argument("--garbage-notes", action="store_true")
    ap.add_argument("--truncate", type=int, default=0)
    ap.add_argument("--cpus", type=int, default=2)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    notes = b"".join(note("CORE", 1, bytes(336)) for _ in range(a.cpus))
    if not a.no_vmcoreinfo:
        vi = ("OSRELEASE=6.1.0-fake\nPAGESIZE=4096\nCRASHTIME=1700000000\n"
              "NUMBER(phys_base)=0\nNUMBER(pgtable_l5_enabled)=0\n").encode()
        notes += note("VMCOREINFO", 0, vi)
    if a.garbage_notes:
        notes = struct.pack("<III", 5, 0x7fffff00, 1) + b"CORE\0\0\0\0" + notes

    phnum = 2 + len(SEGS)
    off = 64 + 56 * phnum
    note_off = off
    off += len(notes)
    off = (off + PAGE - 1) // PAGE * PAGE
    ph = [phdr(4, note_off, 0, 0, len(notes), len(notes))]
    text_off = None
    seg_offs = []
    for paddr, memsz, filesz in SEGS:
        seg_offs.append(off)
        ph.append(phdr(1, off, 0xffff888000000000 + paddr, paddr, filesz, memsz))
        if paddr <= TEXT[1] < paddr + filesz:
            text_off = off + TEXT[1] - paddr
        off += filesz
    ph.insert(1, phdr(1, text_off, TEXT[0], TEXT[1], TEXT[2], TEXT[2]))
    with open(a.out, "wb") as f:
        f.write(ehdr(phnum) + b"".join(ph) + notes)
        for (paddr, memsz, filesz), so in zip(SEGS, seg_offs):
            f.seek(so)
            for p in range(filesz // PAGE):
                f.write(page_data(rng, paddr // PAGE + p))
        if a.truncate:
            f.truncate(a.truncate)


if __name__ == "__main__":
    main()
