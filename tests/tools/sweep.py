#!/usr/bin/env python3
"""Fault-injection sweep of the collector (run by tests/integration/sweep.sh).

For each compression, dump level and sink (file, -F then -R): a clean run
with KDUMPCAP_IO_COUNT=1 counts the I/O calls, then one run per fault:
every read (EIO, ENOMEM; once and persistent) with mmap working and with
mmap refused (the pread path, where page and mem_map reads are file
reads), the first mmaps, every write (ENOSPC, EIO), fsync and close (EIO),
once. Every run must end one of three ways:
  - exit 0, and every page equals the vmcore's (checkdump.py);
  - non-zero exit, a message, and a header flagged INCOMPLETE whose written
    descriptors all point at the right data (checkdump.py --expect-incomplete);
  - non-zero exit, a message, and no output at all;
and after a failed fsync, close or write once the header was cleared (the
pages were durable by then): non-zero exit and a complete, right dump.
  sweep.py KDUMPCAP VMCORE WORKDIR [--jobs N] [--stride N] [--compress none,zlib,lzo,zstd]
           [--levels 0,1,31] [--sinks file,flat]
Prints the failures, then "N runs over M positions"; exit 0 when none failed.
"""
import argparse
import contextlib
import io
import multiprocessing
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkdump  # noqa: E402

COMPRESS = [("none", []), ("zlib", ["-c"]), ("lzo", ["-l"]), ("zstd", ["-z"])]
LEVELS = [0, 1, 31]
SINKS = ["file", "flat"]
NO_MMAP = "mmap:1:ENOMEM"
EDGE = 3  # with --stride: the first and last EDGE positions of each op are always run
# -F reads the vmcore as the file sink does (only its writes differ): its
# reads are sampled, every FLAT_READ_STRIDE-th plus the first and last EDGE
FLAT_READ_STRIDE = 4

A = None  # the parsed arguments, in every worker
R_FAILED = -1000  # run_collector's status when -R refused the stream of a run that exited 0


def run_collector(cfg, fault, out, count=False, wrap=()):
    """Run kdumpcap for CFG with KDUMPCAP_FAULT=FAULT; the dump (rearranged
    for -F) in OUT. Returns (exit status, stderr text)."""
    comp, level, sink = cfg
    env = dict(os.environ, KDUMPCAP_FAULT=fault)
    env.pop("KDUMPCAP_IO_COUNT", None)
    if count:
        env["KDUMPCAP_IO_COUNT"] = "1"
    args = list(wrap) + [A.kdumpcap] + dict(COMPRESS)[comp] + ["-d", str(level), "--message-level", "4"]
    for f in (out, out + ".flat"):
        if os.path.exists(f):
            os.unlink(f)
    if sink == "file":
        p = subprocess.run(args + [A.vmcore, out], env=env, stderr=subprocess.PIPE, text=True)
        return p.returncode, p.stderr
    with open(out + ".flat", "wb") as so:
        p = subprocess.run(args + ["-F", A.vmcore], env=env, stdout=so, stderr=subprocess.PIPE, text=True)
    env.pop("KDUMPCAP_FAULT")
    env.pop("KDUMPCAP_IO_COUNT", None)
    if os.path.getsize(out + ".flat"):
        with open(out + ".flat", "rb") as si:
            r = subprocess.run([A.kdumpcap, "-R", out], env=env, stdin=si, stderr=subprocess.PIPE, text=True)
        if p.returncode == 0 and r.returncode:
            return R_FAILED, r.stderr
    return p.returncode, p.stderr


def check(cfg, out, incomplete, ref=None):
    """checkdump.py in this process; returns None or its failure line. The
    vmcore has hwpoison pages, dropped at every level: the page set is
    checked against REF, the pfns of the clean run at that level, which a
    fault may add to (a struct page it could not read keeps its page) but
    never take from."""
    comp, level, _ = cfg
    argv = ["checkdump", out, A.vmcore, "--level", str(level), "--compress", comp, "--filtered",
            "--pages-out", out + ".pages"]
    if incomplete:
        argv += ["--expect-incomplete", "--pad", str(4 << 20)]
    old, sys.argv = sys.argv, argv
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            checkdump.main()
    except SystemExit as e:
        return buf.getvalue().strip() or "checkdump exited %s" % e.code
    except Exception as e:  # libkdumpfile refusing a page: a wrong descriptor
        return "checkdump: %s: %s" % (type(e).__name__, e)
    finally:
        sys.argv = old
    lost = ref - pages_of(out + ".pages") if ref is not None else None
    if lost:
        return "pfn 0x%x (and %d more) left out, kept by the clean run" % (min(lost), len(lost) - 1)
    return None


def pages_of(path):
    with open(path) as f:
        return {int(l.split()[0], 16) for l in f}


def verdict(cfg, fault, rc, err, out, ref):
    """None when the run ended one of the allowed ways, else why not."""
    if rc == R_FAILED:
        return "exit 0 but -R refused the stream: " + err.strip()
    if rc == 0:
        why = check(cfg, out, False, ref)
        return why and "exit 0 but " + why
    msgs = [l for l in err.splitlines() if l.startswith("kdumpcap: error: ")]
    if not msgs:
        return "exit %d without an error message" % rc
    if not os.path.exists(out) or os.path.getsize(out) == 0:
        return None
    why = check(cfg, out, True)
    if why and "INCOMPLETE flag is False" in why and re.search(r"(^|,)(fsync|close|write):", fault):
        # the output failed after the pages were durable and the header
        # cleared (the last fsync, close, the stream's end marker): the
        # dump must then be complete and right
        why = check(cfg, out, False, ref)
        return why and "exit %d after the header was cleared, %s" % (rc, why)
    return why and "exit %d, %s" % (rc, why)


def one(job):
    cfg, fault, ref = job
    out = os.path.join(A.work, "d%d" % os.getpid())
    rc, err = run_collector(cfg, fault, out)
    why = verdict(cfg, fault, rc, err, out, ref)
    return None if why is None else "%s -d %d %s, KDUMPCAP_FAULT=%s: %s" % (cfg + (fault, why))


def counts(cfg, fault):
    """I/O calls and dumped pfns of a clean run (FAULT may refuse mmap);
    fails loudly if that run is not right."""
    out = os.path.join(A.work, "clean")
    rc, err = run_collector(cfg, fault, out, count=True)
    m = re.search(r"io calls:(.*)", err)
    why = "exit %d" % rc if rc else check(cfg, out, False)
    if why:
        sys.exit("sweep: the clean run of %s (KDUMPCAP_FAULT=%s) is wrong: %s\n%s" % (cfg, fault, why, err))
    pages = pages_of(out + ".pages")
    if not m:
        return strace_counts(cfg, fault, out), pages
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}, pages


def strace_counts(cfg, fault, out):
    """For a kdumpcap without KDUMPCAP_IO_COUNT (an old build): syscall
    counts, an upper bound of its I/O calls (extra positions run clean)."""
    log = out + ".strace"
    run_collector(cfg, fault, out, wrap=["strace", "-f", "-qq", "-c", "-o", log])
    n = {}
    with open(log) as f:
        for line in f:
            w = line.split()
            if len(w) >= 5 and w[3].isdigit():
                n[w[-1]] = int(w[3])
    return {"read": n.get("pread64", 0) + n.get("read", 0), "write": n.get("pwrite64", 0) + n.get("write", 0),
            "fsync": n.get("fsync", 0), "close": n.get("close", 0), "mmap": n.get("mmap", 0)}


def positions(n, stride):
    """1..n, or with STRIDE > 1 a sample: every stride-th plus the first and last EDGE."""
    if stride <= 1:
        return list(range(1, n + 1))
    keep = set(range(1, min(n, EDGE) + 1)) | set(range(max(1, n - EDGE + 1), n + 1))
    return sorted(keep | set(range(1, n + 1, stride)))


def jobs_for(cfg):
    """The faults to inject for CFG and the positions they cover."""
    (mm, ref), (pr, ref2) = counts(cfg, ""), counts(cfg, NO_MMAP)
    if ref != ref2:
        sys.exit("sweep: %s dumps other pages when mmap is refused" % (cfg,))
    jobs, pos = [], set()
    rstride = max(A.stride, FLAT_READ_STRIDE) if cfg[2] == "flat" else A.stride
    for base, c, tag in (("", mm, "mmap"), (NO_MMAP + ",", pr, "pread")):
        for n in positions(c["read"], rstride):
            pos.add((tag, "read", n))
            for e in ("EIO", "ENOMEM"):
                jobs += [base + "read:%d:%s" % (n, e), base + "read:%d:%s:once" % (n, e)]
    for n in range(1, mm["mmap"] + 2):
        pos.add(("mmap", n))
        jobs += ["mmap:%d:ENOMEM" % n, "mmap:%d:ENOMEM:once" % n]
    for op, errs in (("write", ("ENOSPC", "EIO")), ("fsync", ("EIO",)), ("close", ("EIO",))):
        for n in positions(mm[op], A.stride) if op == "write" else range(1, mm[op] + 1):
            pos.add((op, n))
            jobs += ["%s:%d:%s:once" % (op, n, e) for e in errs]
    return [(cfg, f, ref) for f in jobs], len(pos)


def init(a):
    global A
    A = a


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("kdumpcap")
    ap.add_argument("vmcore")
    ap.add_argument("work")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--compress", default=",".join(c for c, _ in COMPRESS), help="comma-separated subset")
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)))
    ap.add_argument("--sinks", default=",".join(SINKS))
    A = ap.parse_args()
    alljobs, npos = [], 0
    for comp in A.compress.split(","):
        for level in map(int, A.levels.split(",")):
            for sink in A.sinks.split(","):
                j, p = jobs_for((comp, level, sink))
                alljobs += j
                npos += p
    with multiprocessing.Pool(A.jobs, initializer=init, initargs=(A,)) as pool:
        bad = [r for r in pool.imap_unordered(one, alljobs, chunksize=8) if r]
    for b in sorted(bad)[:40]:
        print("    " + b)
    if len(bad) > 40:
        print("    ... and %d more" % (len(bad) - 40))
    flat = "flat" in A.sinks.split(",")
    print("%d runs over %d positions (%s), %d wrong" %
          (len(alljobs), npos, "positions sampled: every %d plus the first and last %d of each op" %
           (A.stride, EDGE) if A.stride > 1 else "every read, write, fsync, close" +
           ("; -F reads sampled: every %d plus the first and last %d" % (FLAT_READ_STRIDE, EDGE) if flat else ""),
           len(bad)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
