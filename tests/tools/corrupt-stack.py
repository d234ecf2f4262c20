#!/usr/bin/python3
"""corrupt-stack.py VMLINUX DUMP OUT [PID]: copy the kdump-compressed DUMP to
OUT with the stored bytes of one kernel stack page changed: the page that
holds the saved stack pointer of task PID (default 2, kthreadd). A raw page
gets the 256 bytes from its saved sp inverted (its stack trace changes, the
file stays readable); a compressed page gets its data inverted (the page
can no longer be decompressed). A fixture that drgn-compare.py must reject.

The page is located with drgn on DUMP (task->stack_vm_area->pages, since the
kernel stacks are vmalloc'd), its descriptor by counting the 2nd bitmap, as
in /work/shared/FORMAT.md.
"""
import os
import shutil
import struct
import sys

import drgn
from drgn.helpers.linux.mm import page_to_pfn
from drgn.helpers.linux.pid import find_task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdumpfmt as K  # noqa: E402 (the format's constants, from lib/kdumpfmt.h)

PAGE = 4096


def stack_page(vmlinux, dump, pid):
	prog = drgn.Program()
	prog.set_core_dump(dump)
	prog.load_debug_info([vmlinux])
	task = find_task(prog, pid)
	if not task:
		sys.exit("corrupt-stack: no task %d in %s" % (pid, dump))
	sp = task.thread.sp.value_()
	base = task.stack.value_()
	idx = (sp - base) // PAGE
	pfn = page_to_pfn(task.stack_vm_area.pages[idx]).value_()
	return pfn, sp % PAGE


def desc_offset(f, pfn):
	f.seek(0)
	head = f.read(PAGE)
	h = K.read_header(head)
	if not h:
		sys.exit("corrupt-stack: not a kdump-compressed file")
	f.seek(h.bitmap1 + h.half)
	bm2 = f.read(h.half)
	byte, bit = divmod(pfn, 8)
	if byte >= len(bm2) or not bm2[byte] >> bit & 1:
		sys.exit("corrupt-stack: pfn %#x is not in the dump" % pfn)
	n = sum(bin(b).count("1") for b in bm2[:byte])
	n += bin(bm2[byte] & ((1 << bit) - 1)).count("1")
	return h.desc + K.KDUMP_DESC_SIZE * n


def main(argv):
	if len(argv) not in (4, 5):
		sys.exit("usage: corrupt-stack.py VMLINUX DUMP OUT [PID]")
	vmlinux, dump, out = argv[1:4]
	pid = int(argv[4]) if len(argv) == 5 else 2
	pfn, sp_off = stack_page(vmlinux, dump, pid)
	shutil.copyfile(dump, out)
	with open(out, "r+b") as f:
		d = desc_offset(f, pfn)
		f.seek(d)
		e = f.read(K.KDUMP_DESC_SIZE)
		off = K.u64(e, K.KDUMP_DESC_OFF_OFFSET)
		size, flags = (struct.unpack_from("<I", e, o)[0] for o in (K.KDUMP_DESC_OFF_SIZE, K.KDUMP_DESC_OFF_FLAGS))
		if flags == 0:
			start, n = off + sp_off, min(256, PAGE - sp_off)
		else:
			start, n = off, size
		f.seek(start)
		data = f.read(n)
		f.seek(start)
		f.write(bytes(b ^ 0xFF for b in data))
	print("corrupt-stack: pid %d pfn %#x (flags %#x): %d bytes inverted" %
	      (pid, pfn, flags, n))


if __name__ == "__main__":
	main(sys.argv)
