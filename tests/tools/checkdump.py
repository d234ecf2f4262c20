#!/usr/bin/env python3
"""Check a kdump-compressed file against the ELF vmcore it was made from.

Parses the dump independently of kdumpcap (header, sub header, bitmaps,
descriptors) and compares every dumped page with the vmcore's page; page
contents are decompressed here (zlib, raw) or, for zstd, read through
libkdumpfile when it is installed (Debian python3-libkdumpfile), else the
zstd command. Exit 0 when all checks pass.
  checkdump.py DUMP VMCORE [--level N] [--compress none|zlib|zstd]
               [--expect-incomplete [--pad BYTES]] [--pages-out FILE] [--fills-shared]
"""
import argparse
import mmap
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdumpfmt as K  # noqa: E402 (the format's constants, from lib/kdumpfmt.h)

PAGE = 4096
EM_AARCH64 = 183
ZLIB, LZO, ZSTD = K.KDUMP_DH_COMPRESSED_ZLIB, K.KDUMP_DH_COMPRESSED_LZO, K.KDUMP_DH_COMPRESSED_ZSTD
INCOMPLETE = K.KDUMP_DH_INCOMPLETE


def fail(msg):
    print("checkdump: FAIL: " + msg)
    sys.exit(1)


class Elf:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self.m
        phoff, = struct.unpack_from("<Q", m, 32)
        phnum, = struct.unpack_from("<H", m, 56)
        self.arm64 = struct.unpack_from("<H", m, 18)[0] == EM_AARCH64
        phdrs, loads, self.notes = [], [], b""
        for i in range(phnum):
            t, _, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", m, phoff + 56 * i)
            if t == 4:
                self.notes += m[off:off + filesz]
            elif t == 1:
                phdrs.append((vaddr, paddr, memsz, filesz, off))
        self.vi = dict(l.split("=", 1) for l in self.notes.decode("latin-1").split("\n") if "=" in l)
        # the page size: VMCOREINFO's on arm64 (4, 16 or 64 KiB), x86_64's 4 KiB
        self.ps = int(self.vi.get("PAGESIZE", PAGE)) if self.arm64 else PAGE
        text = None  # the kernel image mapping aliases RAM another PT_LOAD holds
        for vaddr, paddr, memsz, filesz, off in phdrs:
            if text is None and self.is_text(vaddr, paddr):
                text = vaddr
            elif memsz:
                loads.append((paddr, memsz, filesz, off))
        limit = 1 << self.phys_bits()
        self.segs = sorted(s for s in (self.clip(s, limit) for s in loads) if s[1])
        self.max_pfn = max((p + ms + self.ps - 1) // self.ps for p, ms, _, _ in self.segs)
        # 1st bitmap: every pfn some segment holds a byte of
        self.ram_pfns = {pfn for p, ms, _, _ in self.segs for pfn in range(p // self.ps, (p + ms + self.ps - 1) // self.ps)}
        # pages from a segment's file data end (rounded up) to its memory end
        # (rounded up) have no data: makedumpfile leaves them out
        nodata = {pfn for p, ms, fs, _ in self.segs for pfn in range((p + fs + self.ps - 1) // self.ps,
                                                                      (p + ms + self.ps - 1) // self.ps)}
        self.data_pfns = self.ram_pfns - nodata

    def is_text(self, vaddr, paddr):
        """x86_64: the __START_KERNEL_map gigabyte; arm64: vaddr - paddr is kimage_voffset."""
        if not self.arm64:
            return 0xffffffff80000000 <= vaddr < 0xffffffffc0000000
        voff = self.vi.get("NUMBER(kimage_voffset)")
        return voff is not None and (vaddr - paddr) % (1 << 64) == int(voff, 0)

    def phys_bits(self):
        """MAX_PHYSMEM_BITS: VMCOREINFO's number, else x86_64's 46 (4-level) or
        52 (5-level), arm64's 48; 52 without VMCOREINFO."""
        vi = self.vi
        bits = vi.get("NUMBER(MAX_PHYSMEM_BITS)", "")
        if bits.isdigit() and 32 <= int(bits) <= 52:
            return int(bits)
        if not vi or vi.get("NUMBER(pgtable_l5_enabled)") == "1":
            return 52
        return 48 if self.arm64 else 46

    def clip(self, seg, limit):
        """A segment past the physical address limit keeps only its file data below it."""
        p, ms, fs, off = seg
        if p + ms <= limit:
            return seg
        keep = max(0, min(fs, len(self.m) - off, limit - p))
        return (p, keep, keep, off)

    def ram(self, pfn):
        return pfn in self.ram_pfns

    def has_data(self, pfn):
        """RAM with bytes in the file (makedumpfile leaves out pages past a
        segment's filesz: memory the dead kernel did not hand over)."""
        return pfn in self.data_pfns

    def page(self, pfn):
        """The page as read from every segment that holds part of it (RAM is
        split at unaligned addresses on EFI machines); bytes in no segment or
        past a segment's file data are zero. None when no segment holds any."""
        a, b = pfn * self.ps, (pfn + 1) * self.ps
        out, hit = bytearray(self.ps), False
        for p, ms, fs, off in self.segs:
            lo, hi = max(a, p), min(b, p + fs)
            hit |= max(a, p) < min(b, p + ms)
            if lo < hi:
                out[lo - a:hi - a] = self.m[off + lo - p:off + hi - p]
        return bytes(out) if hit else None


def bits(buf, n):
    for i in range(n):
        if buf[i >> 3] >> (i & 7) & 1:
            yield i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("vmcore")
    ap.add_argument("--level", type=int, default=None)
    ap.add_argument("--compress", choices=["none", "zlib", "lzo", "zstd"], default=None)
    ap.add_argument("--expect-incomplete", action="store_true")
    ap.add_argument("--pages-out", help="write the dumped pfns (and zero-shared ones) to this file")
    ap.add_argument("--uts-node", help="the nodename the header's utsname must carry")
    ap.add_argument("--filtered", action="store_true", help="2nd bitmap may be a subset of RAM")
    ap.add_argument("--fills-shared", action="store_true",
                    help="pages filled with one byte value (zero pages too, at levels without bit 1) "
                         "share exactly one copy per value, and at least one such copy serves two pages")
    ap.add_argument("--pad", type=int, default=64 << 20,
                    help="with --expect-incomplete: zero bytes read past the end of a cut dump")
    a = ap.parse_args()

    global PAGE
    vm = Elf(a.vmcore)
    PAGE = vm.ps  # the dump's block size, and every page's
    df = open(a.dump, "rb")
    d = mmap.mmap(df.fileno(), 0, access=mmap.ACCESS_READ)
    if a.expect_incomplete:
        # a dump cut short: read what is missing as zeros (empty descriptors)
        d = bytes(d) + bytes(max(0, a.pad))
    if len(d) < 2 * PAGE:
        fail("file too short (%d bytes) for a header and sub header" % len(d))
    h = K.read_header(d)
    if not h:
        fail("no KDUMP signature")
    status, bs, max32, nr_cpus = h.status, h.block_size, h.max_mapnr32, h.nr_cpus
    if h.version != K.KDUMP_HDR_VERSION or bs != PAGE:
        fail("header version %d block size %d" % (h.version, bs))
    kh = bs
    uts = K.KDUMP_OFF_UTSNAME + K.KDUMP_UTS_LEN  # nodename, the 2nd field
    node = d[uts:uts + K.KDUMP_UTS_LEN].rstrip(b"\0").decode("latin-1")
    if a.uts_node is not None and node != a.uts_node:
        fail("header utsname nodename %r, expected %r" % (node, a.uts_node))
    level, = struct.unpack_from("<i", d, kh + K.KDUMP_SUB_OFF_DUMP_LEVEL)
    off_vi, size_vi = K.u64(d, kh + K.KDUMP_SUB_OFF_VMCOREINFO), K.u64(d, kh + K.KDUMP_SUB_OFF_VMCOREINFO_LEN)
    off_note, size_note = K.u64(d, kh + K.KDUMP_SUB_OFF_NOTE), K.u64(d, kh + K.KDUMP_SUB_OFF_NOTE_LEN)
    max_mapnr = K.u64(d, kh + K.KDUMP_SUB_OFF_MAX_MAPNR_64)
    if a.expect_incomplete and status & INCOMPLETE and not any(d[kh:kh + K.KDUMP_SUBHDR_SIZE]):
        print("checkdump: OK %s: cut before the sub header, flagged INCOMPLETE" % a.dump)
        return
    if max_mapnr != vm.max_pfn or max32 != min(vm.max_pfn, 0xffffffff):
        fail("max_mapnr %d, vmcore has %d pfns" % (max_mapnr, vm.max_pfn))
    if d[off_note:off_note + size_note] != vm.notes:
        fail("notes in the sub header differ from the vmcore's")
    if size_vi and b"OSRELEASE=" not in d[off_vi:off_vi + size_vi]:
        fail("offset_vmcoreinfo does not point at VMCOREINFO")
    if a.level is not None and level != a.level:
        fail("dump level %d, expected %d" % (level, a.level))
    want_c = {"none": 0, "zlib": ZLIB, "lzo": LZO, "zstd": ZSTD}.get(a.compress)
    if want_c is not None and status & K.KDUMP_COMPRESSED != want_c:
        fail("status 0x%x does not name compression %s" % (status, a.compress))
    if bool(status & INCOMPLETE) != a.expect_incomplete:
        fail("INCOMPLETE flag is %s" % bool(status & INCOMPLETE))
    if nr_cpus != vm.notes.count(b"CORE\0\0\0\0\x01") and nr_cpus <= 0:
        fail("nr_cpus %d" % nr_cpus)

    half, b1 = h.half, h.bitmap1
    bm1 = d[b1:b1 + half]
    bm2 = d[b1 + half:b1 + 2 * half]
    for pfn in range(vm.max_pfn) if not a.expect_incomplete else []:
        isram = vm.ram(pfn)
        if (bm1[pfn >> 3] >> (pfn & 7) & 1) != isram:  # noqa
            fail("1st bitmap bit of pfn 0x%x is %d, RAM is %d" % (pfn, not isram, isram))
    dumped = list(bits(bm2, vm.max_pfn))
    for pfn in dumped if not a.expect_incomplete else []:
        if not bm1[pfn >> 3] >> (pfn & 7) & 1:
            fail("pfn 0x%x dumped but not RAM" % pfn)
    ram = sum(1 for pfn in range(vm.max_pfn) if vm.ram(pfn))
    withdata = sum(1 for pfn in range(vm.max_pfn) if vm.has_data(pfn))
    if not a.filtered and not a.expect_incomplete and (level & ~1) == 0 and len(dumped) != withdata:
        fail("%d pages dumped, %d RAM pages with data at level %d" % (len(dumped), withdata, level))

    kd = None
    offsets = {}
    missing = 0
    out = open(a.pages_out, "w") if a.pages_out else None
    for i, pfn in enumerate(dumped):
        off, size, flags, pflags = K.desc(d, h, i)
        if off == 0 and size == 0:
            missing += 1
            if not a.expect_incomplete:
                fail("pfn 0x%x has an empty descriptor in a complete dump" % pfn)
            continue
        if off + size > len(d):
            fail("pfn 0x%x data beyond the end of the file" % pfn)
        raw = d[off:off + size]
        if flags == 0:
            if size != PAGE:
                fail("raw page of size %d" % size)
            page = raw
        elif flags != status & K.KDUMP_COMPRESSED:
            fail("pfn 0x%x page flags 0x%x do not match the header status 0x%x" % (pfn, flags, status))
        elif flags == ZLIB:
            page = zlib.decompress(raw)
        elif flags in (LZO, ZSTD):
            if kd is None:
                kd = open_kdumpfile(a.dump)
            page = kd(pfn)
        else:
            fail("pfn 0x%x unknown flags 0x%x" % (pfn, flags))
        if flags and size >= PAGE:
            fail("pfn 0x%x stored compressed at %d bytes, not smaller than a page" % (pfn, size))
        orig = vm.page(pfn)
        if page != orig:
            fail("pfn 0x%x content differs from the vmcore" % pfn)
        offsets.setdefault(off, []).append(pfn)
        if out:
            out.write("%x%s\n" % (pfn, " z" if (level & 1) and page == bytes(PAGE) else ""))
    # Equal pages may share one copy of their data, at any level (each page's
    # content was checked above); at levels with bit 1 the zero pages share
    # exactly one offset, and only they use it.
    if level & 1:
        zero_offs = {o for o, l in offsets.items() for pfn in l if vm.page(pfn) == bytes(PAGE)}
        zeros = sum(1 for l in offsets.values() for pfn in l if vm.page(pfn) == bytes(PAGE))
        if zeros > 1 and (len(zero_offs) != 1 or len(offsets[min(zero_offs)]) != zeros):
            fail("zero pages do not share exactly one descriptor offset")
    if a.fills_shared:
        check_fills(vm, offsets, level)
    print("checkdump: OK %s: %d pages dumped of %d RAM, %d pfns, status 0x%x%s" %
          (a.dump, len(dumped), ram, vm.max_pfn, status, ", %d missing" % missing if missing else ""))


def check_fills(vm, offsets, level):
    """kdumpcap stores one copy of a page filled with one byte value and
    points every such page at it (zero pages at levels with bit 1 share the
    zero page instead, checked above)."""
    by_value = {}
    for off, pfns in offsets.items():
        for pfn in pfns:
            page = vm.page(pfn)
            if page == bytes([page[0]]) * PAGE and not (level & 1 and page[0] == 0):
                by_value.setdefault(page[0], set()).add(off)
    for v, offs in sorted(by_value.items()):
        if len(offs) != 1:
            fail("pages filled with 0x%02x have %d copies, not one" % (v, len(offs)))
    if not any(len(offsets[min(o)]) > 1 for o in by_value.values()):
        fail("no copy of a filled page serves two pages (%d values)" % len(by_value))


def open_kdumpfile(path):
    try:
        sys.path.append("/usr/lib/python3/dist-packages")
        import kdumpfile
        k = kdumpfile.kdumpfile(path)
        return lambda pfn: k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, PAGE)
    except Exception as e:
        fail("lzo and zstd pages are checked through libkdumpfile, which is unavailable (%s): "
             "install python3-libkdumpfile and run with /usr/bin/python3" % e)


if __name__ == "__main__":
    main()
