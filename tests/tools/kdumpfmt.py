"""The kdump-compressed format for the Python test tools: its constants are
read from lib/kdumpfmt.h, the one place they are written (the writer,
savecore and the C test tools include it), so no tool carries its own
copy of an offset. Each KDUMP_* macro of that header is an attribute here;
read_header() and desc() read the fields the tools share."""
import collections
import os
import re
import struct

_HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib", "kdumpfmt.h")


def _macros(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'#define\s+(KDUMP_\w+)\s+(0x[0-9a-fA-F]+|\d+|"[^"]*")', line)
            if m:
                v = m.group(2)
                out[m.group(1)] = v[1:-1].encode() if v.startswith('"') else int(v, 0)
    return out


_M = _macros(_HEADER)
globals().update(_M)
# every compression's bit: a page whose descriptor flags hold none is stored raw
KDUMP_COMPRESSED = (_M["KDUMP_DH_COMPRESSED_ZLIB"] | _M["KDUMP_DH_COMPRESSED_LZO"] |
                    _M["KDUMP_DH_COMPRESSED_SNAPPY"] | _M["KDUMP_DH_COMPRESSED_ZSTD"])

Header = collections.namedtuple(
    "Header", "version status block_size sub_blocks bitmap_blocks max_mapnr32 nr_cpus "
    "bitmap1 half desc")


def _i32(d, off):
    return struct.unpack_from("<i", d, off)[0]


def _u32(d, off):
    return struct.unpack_from("<I", d, off)[0]


def u64(d, off):
    return struct.unpack_from("<Q", d, off)[0]


def read_header(d):
    """The header at the start of D (bytes of at least one block), with where
    the 1st bitmap starts, each bitmap's length and where the descriptors
    start; None without the signature."""
    if d[:_M["KDUMP_SIG_LEN"]] != _M["KDUMP_SIGNATURE"]:
        return None
    bs = _i32(d, _M["KDUMP_OFF_BLOCK_SIZE"])
    sub = _i32(d, _M["KDUMP_OFF_SUB_HDR_SIZE"])
    bmb = _u32(d, _M["KDUMP_OFF_BITMAP_BLOCKS"])
    bitmap1, half = (1 + sub) * bs, bmb * bs // 2
    return Header(_i32(d, _M["KDUMP_OFF_VERSION"]), _u32(d, _M["KDUMP_OFF_STATUS"]), bs, sub, bmb,
                  _u32(d, _M["KDUMP_OFF_MAX_MAPNR"]), _i32(d, _M["KDUMP_OFF_NR_CPUS"]),
                  bitmap1, half, bitmap1 + 2 * half)


def desc(d, h, i):
    """Descriptor I of the dump D with header H: (offset, size, flags, page_flags)."""
    at = h.desc + _M["KDUMP_DESC_SIZE"] * i
    return (u64(d, at + _M["KDUMP_DESC_OFF_OFFSET"]), _u32(d, at + _M["KDUMP_DESC_OFF_SIZE"]),
            _u32(d, at + _M["KDUMP_DESC_OFF_FLAGS"]), u64(d, at + _M["KDUMP_DESC_OFF_PAGE_FLAGS"]))


if __name__ == "__main__":
    import sys

    # kdumpfmt.py status DUMP: the header's status word, in hex
    if len(sys.argv) != 3 or sys.argv[1] != "status":
        sys.exit("usage: kdumpfmt.py status DUMP")
    with open(sys.argv[2], "rb") as f:
        h = read_header(f.read(4096))
    if not h:
        sys.exit("kdumpfmt: %s is not a kdump-compressed file" % sys.argv[2])
    print("0x%x" % h.status)
