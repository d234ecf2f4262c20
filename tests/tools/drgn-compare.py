#!/usr/bin/python3
"""drgn-compare.py VMLINUX VMCORE DUMP...: drgn's kernel-side answers on each
DUMP must equal its answers on the full ELF VMCORE.

Collected with drgn (python3-drgn, which reads kdump-compressed files through
libkdumpfile): every task (pid, comm, state, kernel stack trace), the idle
and current task of each CPU with the registers of its first frame (the
PRSTATUS registers for the crashed CPUs), the printk records, the utsname,
the panic line of the log and panic_cpu, and the memory counters
(_totalram_pages, totalreserve_pages, vm_zone_stat, vm_node_stat).

Everything asked is kernel memory that every dump level keeps, so a
FaultError on a dump where the vmcore had the page is a difference. User
frames are cut off: the frame after the syscall entry has a user pc, and
unwinding past it would read the user stack, which -d 8 and up leave out.

Prints one line per dump, "drgn answers equal on DUMP (N tasks, M log
records)", or the first differences; exits 1 on any difference, 2 when drgn
cannot open a file or the vmcore gives no answers.
"""
import difflib
import os
import sys
import time

import drgn
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_printk_records
from drgn.helpers.linux.sched import idle_task, task_cpu, task_state_to_char

# Lowest kernel address on x86_64 (both paging modes): a pc below it is a
# user frame.
KERNEL_START = 0xFFFF800000000000
MAX_FRAMES = 64
MAX_TASKS = 100000
SHOW_DIFFS = 20


def attempt(fn):
	"""fn()'s answer, or the error drgn raised, as text: an error is an
	answer that must be the same on the dump."""
	try:
		return fn()
	except (drgn.FaultError, drgn.ObjectAbsentError, LookupError,
		ValueError) as e:
		return "%s: %s" % (type(e).__name__, e)


def frame_text(frame):
	name = frame.name
	if name is None:
		try:
			name = frame.symbol().name
		except LookupError:
			name = "?"
	return "%s@%#x" % (name, frame.pc)


def kernel_trace(prog, task):
	try:
		trace = prog.stack_trace(task)
	except (drgn.FaultError, ValueError, LookupError) as e:
		return ["%s: %s" % (type(e).__name__, e)]
	out = []
	try:
		for i, frame in enumerate(trace):
			if frame.pc < KERNEL_START or i >= MAX_FRAMES:
				break
			out.append(frame_text(frame))
	except (drgn.FaultError, LookupError) as e:
		# a frame whose program counter drgn cannot tell (a CPU stopped
		# without its registers saved): an answer like the others
		out.append("%s: %s" % (type(e).__name__, e))
	return out


def task_line(prog, task):
	pid = attempt(lambda: int(task.pid))
	comm = attempt(lambda: task.comm.string_().decode(errors="replace"))
	state = attempt(lambda: task_state_to_char(task))
	cpu = attempt(lambda: task_cpu(task))
	trace = kernel_trace(prog, task)
	return "%s %s %s cpu=%s %#x: %s" % (pid, comm, state, cpu,
					    task.value_(), " < ".join(trace))


def regs_text(prog, task):
	def first():
		trace = prog.stack_trace(task)
		regs = trace[0].registers()
		return " ".join("%s=%#x" % kv for kv in sorted(regs.items()))
	return attempt(first)


def counters(prog, name):
	obj = prog[name]
	return " ".join(str(v.counter.value_()) for v in obj)


def collect(vmlinux, core):
	prog = drgn.Program()
	prog.set_core_dump(core)
	prog.load_debug_info([vmlinux])
	a = {}
	tasks = []
	for task in for_each_task(prog):
		if len(tasks) >= MAX_TASKS:
			tasks.append("more than %d tasks: a loop?" % MAX_TASKS)
			break
		tasks.append(task_line(prog, task))
	a["tasks"] = tasks
	cpus = []
	for cpu in for_each_online_cpu(prog):
		idle = idle_task(prog, cpu)
		cur = per_cpu(prog["runqueues"], cpu).curr
		cpus.append("cpu%d idle: %s" % (cpu, task_line(prog, idle)))
		cpus.append("cpu%d current: %s" % (cpu, task_line(prog, cur)))
		cpus.append("cpu%d regs: %s" % (cpu, regs_text(prog, cur)))
	crashed = attempt(lambda: prog.crashed_thread().object)
	if isinstance(crashed, drgn.Object):
		cpus.append("crashed: %s" % task_line(prog, crashed))
		cpus.append("crashed regs: %s" % regs_text(prog, crashed))
	else:
		cpus.append("crashed: %s" % crashed)
	a["cpus"] = cpus
	records = attempt(lambda: get_printk_records(prog))
	if isinstance(records, str):
		a["log"] = [records]
		nrec = 0
	else:
		a["log"] = ["%d %d %d %s %r" % (r.timestamp, r.level, r.seq,
						r.caller_tid or r.caller_cpu,
						r.text) for r in records]
		nrec = len(records)
	a["panic"] = [l for l in a["log"]
		      if "Kernel panic" in l or "sysrq: Trigger a crash" in l]
	a["panic"].append("panic_cpu %s" % attempt(
		lambda: int(prog["panic_cpu"].counter)))
	a["utsname"] = [attempt(lambda: "%s: %s" % (
		f, prog["init_uts_ns"].name.member_(f).string_().decode()))
		for f in ("sysname", "nodename", "release", "version",
			  "machine")]
	a["memory"] = [
		"_totalram_pages %s" % attempt(
			lambda: int(prog["_totalram_pages"].counter)),
		"totalreserve_pages %s" % attempt(
			lambda: int(prog["totalreserve_pages"])),
		"vm_zone_stat %s" % attempt(lambda: counters(prog, "vm_zone_stat")),
		"vm_node_stat %s" % attempt(lambda: counters(prog, "vm_node_stat")),
	]
	return a, len(tasks), nrec


def differences(ref, got):
	out = []
	for key in ref:
		if ref[key] == got.get(key):
			continue
		for line in difflib.unified_diff(ref[key], got.get(key, []),
						 "vmcore " + key, "dump " + key,
						 n=0, lineterm=""):
			out.append(line)
	return out


def main(argv):
	if len(argv) < 4:
		sys.stderr.write("usage: drgn-compare.py VMLINUX VMCORE DUMP...\n")
		return 2
	vmlinux, vmcore, dumps = argv[1], argv[2], argv[3:]
	t0 = time.time()
	try:
		ref, ntasks, nrec = collect(vmlinux, vmcore)
	except Exception as e:
		print("drgn cannot read the vmcore %s: %s: %s" %
		      (vmcore, type(e).__name__, e))
		return 2
	if ntasks < 2 or nrec == 0 or not any(
			"release: " in l for l in ref["utsname"]):
		print("drgn got no answers from the vmcore %s (%d tasks, %d log "
		      "records, %s)" % (vmcore, ntasks, nrec, ref["utsname"]))
		return 2
	rc = 0
	for dump in dumps:
		try:
			got, _, _ = collect(vmlinux, dump)
		except Exception as e:
			print("drgn cannot read %s: %s: %s" % (dump, type(e).__name__, e))
			rc = max(rc, 2)
			continue
		diff = differences(ref, got)
		name = os.path.basename(dump)
		if not diff:
			print("drgn answers equal on %s (%d tasks, %d log records)" %
			      (name, ntasks, nrec))
			continue
		keys = [k for k in ref if ref[k] != got.get(k)]
		print("drgn answers DIFFER on %s in %s (%d lines differ):" %
		      (dump, ", ".join(keys), len(diff)))
		for line in diff[:SHOW_DIFFS]:
			print("    " + line[:240])
		rc = max(rc, 1)
	sys.stderr.write("drgn-compare: %d files in %.1f s\n" %
			 (len(dumps) + 1, time.time() - t0))
	return rc


if __name__ == "__main__":
	sys.exit(main(sys.argv))
