#!/usr/bin/env python3
"""The pages a dump at a level with 16 (free pages) leaves out are exactly
the buddy allocator's free pages, as drgn finds them on the full vmcore by
walking every zone's free lists (its own page-table translation and debug
info: nothing of kdumpcap's filter). Exit 0 when the sets are equal.

  drgn-freepages.py VMLINUX VMCORE DUMP

DUMP must be made at -d 16 or 17, so that nothing else is left out (zero
pages stay in the dump's bitmap, sharing one zero page's data).
"""
import os
import sys

from drgn import Program
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mm import page_to_pfn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from dumpbitmap import bits, read_dump  # noqa: E402 (the tests' one reader of dump bitmaps)


def free_pfns(vmlinux, vmcore):
    prog = Program()
    prog.set_core_dump(vmcore)
    prog.load_debug_info([vmlinux])
    nodes = prog["nr_node_ids"].value_() if "nr_node_ids" in prog else 1
    free = set()
    for node in range(nodes):
        pgdat = prog["node_data"][node]
        for z in range(pgdat.nr_zones.value_()):
            zone = pgdat.node_zones[z]
            for order in range(len(zone.free_area)):
                for fl in zone.free_area[order].free_list:
                    for page in list_for_each_entry("struct page", fl.address_of_(), "buddy_list"):
                        pfn = page_to_pfn(page).value_()
                        free.update(range(pfn, pfn + (1 << order)))
    return free


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    free = free_pfns(sys.argv[1], sys.argv[2])
    bm1, bm2, max_mapnr = read_dump(sys.argv[3])
    left_out = bits(bm1, max_mapnr) - bits(bm2, max_mapnr)
    if left_out != free:
        extra, missed = sorted(left_out - free), sorted(free - left_out)
        print("drgn-freepages: FAIL: %d left out, %d free; left out but not free: %s; free but kept: %s" %
              (len(left_out), len(free), [hex(p) for p in extra[:8]], [hex(p) for p in missed[:8]]))
        sys.exit(1)
    print("drgn-freepages: OK: the %d pages left out are the free lists' pages" % len(free))


if __name__ == "__main__":
    main()
