#!/usr/bin/env bash
# End-to-end crash capture under QEMU TCG, with the product's own capture
# initramfs (`kdumpcap mkinitrd`) and loader (`kdumpcap load`).
#
#   qemu/e2e-capture.sh [ext4|raw|rawbusy|missing|full|watchdog|xfs|hooks|hookhang|nfs|nfsdhcp|nfsdown|nfsstop|nfsro|ssh|sshflat|sshbadkey|sshdown|sshstop|sshmute ...] [--mem MB]
#                       [--crashkernel SIZE] [--nr-cpus N] [--keep] [--show] [--list]
# (--show: print the capture console and crash's answers, as the demo does)
# (--nr-cpus: `kdumpcap load --nr-cpus N` instead of its own choice)
# (--list: print the default scenario list and exit)
#
# Default: all twenty scenarios, --mem 2048 --crashkernel 256M.
# Not in the default run (qemu/capture-bench.sh runs it):
#   mdf      ext4 as above, and TEST ONLY: the image also carries Debian's makedumpfile
#            and its shared libraries (ldd), and a kdump_pre hook runs `makedumpfile -l
#            -d 31` on the same /proc/vmcore to the same disk first (then deletes its
#            file): the RESULT line has both times in this capture kernel
#            (mdf=makedumpfile's, kdc=kdumpcap's, each with mount, write and sync).
#   ext4     target ext4 disk by UUID: vmcore + vmcore-dmesg.txt; crash answers
#            sys/bt/log; the dmesg file matches crash's log; capture powers off.
#   raw      raw disk named /dev/disk/by-id/virtio-kdc-e2e (mkinitrd records its
#            serial; PID 1 finds it without udev): flattened stream with the capture's
#            id and trailer; `kdumpcap savecore` (run on the host against the disk image) restores
#            <path>/<date>/vmcore; marker cleared.
#   rawbusy  the raw disk was free when the image was built, holds ext4 at the
#            crash: PID 1 refuses to overwrite it, failure_action; ext4 intact.
#   missing  target UUID absent (image built with --allow-missing-target):
#            failure_action (reboot) within kdumpcap.wait.
#   full     ext4 disk too small: vmcore-dmesg.txt kept, vmcore-incomplete
#            flagged INCOMPLETE, failure_action runs.
#   watchdog target absent with a long device wait but kdumpcap.watchdog=8:
#            the watchdog stops the capture and runs failure_action.
#   xfs      target xfs LABEL= on a disk made by mkfs.xfs: mkinitrd takes xfs
#            and libcrc32c (+ its crc32c softdep) from the modules' .modinfo;
#            vmcore + vmcore-dmesg.txt read back off the image with xfs_db (no
#            mount needed); crash answers as for ext4.
#   hooks    ext4 target with kdump_pre and kdump_post: two static musl
#            binaries built here; mkinitrd puts them in the image, PID 1 runs
#            pre before the dump and post after it with the dump's status 0.
#   hookhang kdump_pre hangs (and leaves a child that hangs too) with
#            kdumpcap.hook_timeout=5: both are killed, the dump goes on, the
#            post hook sees no survivor.
#   nfs      nfs 10.0.2.100:/export: nfs-ganesha (NFSv4.1/4.2 only) on 127.0.0.1, reached
#            by the guest only through QEMU user networking with restrict=on and a
#            guestfwd -cmd: forward, virtio-net NIC; kdumpcap.ip= (static 10.0.2.15)
#            overrides the image's 'dump_ip dhcp': the dump directory on the export is
#            10.0.2.15-<date>, crash answers as for ext4 on the vmcore read on the host.
#   nfsdhcp  the same with the image's 'dump_ip dhcp' on the NIC of 'dump_mac' (slirp's
#            DHCP server).
#   nfsdown  no NFS server: failure_action within the stall bound, a message naming
#            the server.
#   nfsstop  ganesha SIGSTOPped once the vmcore is being written, 'net_timeout 10':
#            the writer is killed after 10 s without progress (a message naming the
#            server and the bound), failure_action 10 to 10+NET_MARGIN s after the
#            stop (console timestamps); vmcore-dmesg.txt and vmcore-incomplete on
#            the export, never a vmcore.
#   nfsro    the export is read-only: a message saying so, failure_action.
#   ssh      ssh root@10.0.2.100: OpenSSH sshd (tests/lib-ssh.sh) on 127.0.0.1 reached
#            through a guestfwd -cmd: forward; key made by ssh-keygen, host keys pinned
#            from a known_hosts file; the image's dbclient speaks SFTP; kdumpcap.ip=
#            static 10.0.2.15; <path>/10.0.2.15-<date>/vmcore + vmcore-dmesg.txt on the
#            server, opened by crash directly, answers as for ext4.
#   sshbadkey the pinned host keys are not the server's (DHCP this time): dbclient says
#            host key mismatch, no login, nothing written, failure_action.
#   sshdown  no SSH server: failure_action, a message naming the server.
#   sshstop  sshd and its sftp-server SIGSTOPped once the vmcore is being written,
#            'net_timeout 10': the writer gives up after 10 s, failure_action 10 to
#            10+NET_MARGIN s after the stop, an error naming the server and the
#            bound; vmcore-dmesg.txt and vmcore-incomplete on the server, no vmcore.
#   sshflat  as ssh, but sshd has no sftp subsystem, 'net_timeout 10': after the
#            SFTP handshake's 5 s (half of it; 5 to 5+NET_MARGIN s after connecting),
#            the fallback writes vmcore.flat through a remote shell; kdumpcap -R
#            makes the vmcore crash opens; crash opens vmcore.flat itself too (no
#            "incomplete" warning); vmcore-dmesg.txt beside it.
#   sshmute  the SSH server accepts TCP and never sends a byte (a listener started
#            here), net_timeout left at its default (30 s): both handshakes (SFTP,
#            then the no-SFTP fallback) give up after 15 s each, failure_action
#            within 30+NET_MARGIN s of connecting, a message naming the server and
#            the bound, nothing written.
# The first kernel is a test harness (busybox); the capture kernel runs only
# what mkinitrd put in the image. mkinitrd sees the guest's disk through
# --sysroot $work/sysroot (dev/vda -> the disk image, its serial in sys/). Prints
# one RESULT line per scenario.
# Environment: KDUMPCAP_BIN (default build/kdumpcap), KDUMPCAP_LOAD_BIN (the
# binary the first kernel runs for `load`; default KDUMPCAP_BIN), KDUMPCAP_DBCLIENT
# (the SSH scenarios' client; default $DEPS/bin/dbclient, built by `make dbclient`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mem=2048 ck=256M keep=0 show=0 list=0 scen=() loadopts=()
die() { echo "e2e: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	ext4|raw|rawbusy|missing|full|watchdog|xfs|hooks|hookhang|nfs|nfsdhcp|nfsdown|nfsstop|nfsro|ssh|sshflat|sshbadkey|sshdown|sshstop|sshmute|mdf) scen+=("$1"); shift ;;
	--mem) mem=${2:?}; shift 2 ;;
	--crashkernel) ck=${2:?}; shift 2 ;;
	--nr-cpus) loadopts=(--nr-cpus "${2:?}"); shift 2 ;;
	--keep) keep=1; shift ;;
	--show) show=1; shift ;;
	--list) list=1; shift ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done
[ ${#scen[@]} -gt 0 ] || scen=(ext4 raw rawbusy missing full watchdog xfs hooks hookhang nfs nfsdhcp nfsdown nfsstop nfsro ssh sshflat sshbadkey sshdown sshstop sshmute)
[ $list = 0 ] || { echo "${scen[*]}"; exit 0; }

kdir=$("$root/qemu/fetch-kernel.sh" | tail -1) || die "qemu/fetch-kernel.sh failed"
kver=$(basename "$kdir")
bin=${KDUMPCAP_BIN:-$root/build/kdumpcap}
loadbin=${KDUMPCAP_LOAD_BIN:-$bin}
[ -x "$bin" ] || die "$bin missing: run make"
for t in qemu-system-x86_64 busybox cpio mkfs.ext4 debugfs crash timeout; do
	command -v $t >/dev/null || die "$t not installed"
done
case " ${scen[*]} " in *" xfs "*)
	for t in mkfs.xfs xfs_db; do command -v $t >/dev/null || die "$t not installed (xfsprogs)"; done ;;
esac
case " ${scen[*]} " in *" nfs"*)
	command -v ganesha.nfsd >/dev/null || die "ganesha.nfsd not installed (nfs-ganesha nfs-ganesha-vfs)" ;;
esac
case " ${scen[*]} " in *" ssh"*)
	command -v /usr/sbin/sshd >/dev/null || die "sshd not installed (openssh-server)"
	deps=${DEPS:-build/deps}
	[ "${deps#/}" != "$deps" ] || deps=$root/$deps
	dbc=${KDUMPCAP_DBCLIENT:-$deps/bin/dbclient}
	[ -x "$dbc" ] || make -s -C "$root" DEPS="$(dirname "$(dirname "$dbc")")" dbclient >&2 || die "cannot build $dbc (make dbclient)" ;;
esac
case " ${scen[*]} " in *" hook"*|*" mdf "*) command -v musl-gcc >/dev/null || die "musl-gcc not installed (musl-tools)" ;; esac
case " ${scen[*]} " in *" mdf "*) [ -x /usr/bin/makedumpfile ] || die "/usr/bin/makedumpfile missing (tests/setup-host.sh)" ;; esac

work=$(mktemp -d /tmp/kdc-e2e.XXXXXX)
gpid= SSHD_PID= MUTE_PID=
cleanup() { [ -n "$gpid" ] && kill "$gpid" 2>/dev/null; [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null; [ -n "$MUTE_PID" ] && kill "$MUTE_PID" 2>/dev/null; [ $keep = 1 ] && echo "e2e: work dir kept: $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
# the guest's disk as mkinitrd sees it: /dev/vda with serial kdc-e2e
serial=kdc-e2e
mkdir -p "$work/sysroot/dev/disk/by-id" "$work/sysroot/sys/class/block/vda"
ln -s "$work/disk.img" "$work/sysroot/dev/vda"
ln -s ../../vda "$work/sysroot/dev/disk/by-id/virtio-$serial"
echo "$serial" >"$work/sysroot/sys/class/block/vda/serial"

# First kernel: busybox, the loader binary, the capture kernel and image.
first_img() { # capture-image wait-seconds -> $work/first.img
	local r=$work/first
	rm -rf "$r"
	mkdir -p "$r"/{bin,dev,proc,sys,boot}
	cp /bin/busybox "$r/bin/busybox"
	for a in sh mount cat echo sleep sync; do ln -sf busybox "$r/bin/$a"; done
	cp "$loadbin" "$r/bin/kdumpcap"
	cp "$kdir/vmlinuz" "$r/boot/vmlinuz"
	cp "$1" "$r/boot/capture.img"
	# no_timer_check (both kernels): under TCG on a busy host the kernel's
	# IO-APIC timer check can miss its ticks and panic before /init
	cat >"$r/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "E2E: first kernel up"
kdumpcap load --kernel /boot/vmlinuz --initrd /boot/capture.img --append "kdumpcap.wait=$2 no_timer_check" ${loadopts[*]} || echo "E2E-FAIL: load"
[ "\$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || echo "E2E-FAIL: not loaded"
kdumpcap status
echo "E2E: crashing"
echo c >/proc/sysrq-trigger
echo "E2E-FAIL: alive after sysrq-c"
INIT
	chmod +x "$r/init"
	(cd "$r" && find . | cpio -o -H newc --quiet) >"$work/first.img"
}

# server_pids: ganesha, or sshd and every process under it (the session's sftp-server)
server_pids() {
	local p=${gpid:-$SSHD_PID} all= next
	while [ -n "$p" ]; do
		all="$all $p"
		next=
		for q in $p; do next="$next $(ps -o pid= --ppid "$q" | tr '\n' ' ')"; done
		p=$(echo $next)
	done
	echo $all
}

# console_tail NAME CONSOLE: keeps the console in /tmp and prints where the guest
# got to (its last lines), so a CI log that has nothing else still says it
console_tail() {
	cp "$2" "/tmp/kdc-e2e-$1.console" 2>/dev/null
	echo "e2e: $1 console: /tmp/kdc-e2e-$1.console; its last lines:" >&2
	tail -n 25 "$2" | tr -cd '\11\12\40-\176' | sed "s/^/e2e: $1 | /" >&2
}

# run NAME TIMEOUT [qemu disk args...]: boots, crashes, waits for the capture
# kernel to end by itself. Sets $console, $elapsed (sysrq-c -> QEMU exit).
# Returns 2 when the first kernel (the harness's, before any kdumpcap code ran)
# did not reach its /init within $boot_tmo s: a TCG boot that stalled.
boot_tmo=${E2E_BOOT_TMO:-240}
run() {
	local name=$1 tmo=$2
	shift 2
	console=$work/$name.console
	: >"$console"
	local t0 t1 tc= up= s0=$SECONDS
	t0=$(date +%s.%N)
	timeout -k 5 "$tmo" qemu-system-x86_64 -accel tcg -cpu max,la57=off -smp 2 -m "$mem" \
		-no-reboot -display none -monitor none -serial "file:$console" \
		-kernel "$kdir/vmlinuz" -initrd "$work/first.img" \
		-append "console=ttyS0 crashkernel=$ck panic=-1 no_timer_check" "$@" 2>"$work/$name.qemu" &
	local qpid=$!
	while kill -0 $qpid 2>/dev/null; do
		if [ -z "$up" ] && grep -aq 'E2E: first kernel up' "$console"; then up=1; fi
		if [ -z "$up" ] && [ $((SECONDS - s0)) -ge $boot_tmo ]; then
			kill $qpid 2>/dev/null
			wait $qpid || true
			elapsed=$((SECONDS - s0))
			return 2
		fi
		if [ -z "$tc" ] && grep -aq 'sysrq: Trigger a crash' "$console"; then tc=$(date +%s.%N); fi
		if [ -n "$stop_at" ] && grep -aq -- "$stop_at" "$console"; then
			stopped=$(server_pids)
			kill -STOP $stopped && echo "e2e: $name: server stopped at '$stop_at'" >&2
			stop_at=
		fi
		sleep 0.2
	done
	wait $qpid && rc=0 || rc=$?
	t1=$(date +%s.%N)
	[ -n "$tc" ] || tc=$t0
	elapsed=$(echo "$t1 - $tc" | bc)
	[ $rc = 124 ] || [ $rc = 137 ] && { echo "e2e: $name: QEMU timed out after ${tmo}s" >&2; return 1; }
	[ $rc = 0 ] || { echo "e2e: $name: QEMU failed ($rc): $(head -c 300 "$work/$name.qemu")" >&2; return 1; }
	grep -a 'E2E-FAIL' "$console" && return 1
	grep -aq 'sysrq: Trigger a crash' "$console" || { echo "e2e: $name: never crashed" >&2; return 1; }
	return 0
}

# run_retry NAME TIMEOUT [qemu args...]: run, and once more if the first kernel's
# boot stalled (said, with where it stopped: never silent)
run_retry() {
	local rc=0
	run "$@" || rc=$?
	[ $rc = 2 ] || return $rc
	echo "e2e: $1: the first kernel did not reach its /init in ${boot_tmo}s; one more boot" >&2
	console_tail "$1-stalled" "$console"
	rc=0
	run "$@" || rc=$?
	[ $rc != 2 ] || { echo "e2e: $1: the first kernel stalled again" >&2; return 1; }
	return $rc
}

mkimage() { # conf [mkinitrd options] -> $work/capture.img, $imgsize; twice: same inputs, same bytes
	local i conf=$1
	shift
	for i in 1 2; do
		"$bin" mkinitrd -o "$work/capture$i.img" --kver "$kver" --moddir "$kdir/lib/modules/$kver" \
			--sysroot "$work/sysroot" --config "$conf" "$@" 2>"$work/mkinitrd.log" ||
			{ cat "$work/mkinitrd.log" >&2; die "mkinitrd failed"; }
	done
	cmp -s "$work/capture1.img" "$work/capture2.img" || die "mkinitrd is not reproducible"
	mv "$work/capture1.img" "$work/capture.img"
	imgsize=$(stat -c %s "$work/capture.img")
}

crash_check() { # dump dmesg-file name
	local out=$work/$3.crash
	printf 'sys\nbt\nlog\nquit\n' | timeout 300 crash -s "$kdir/vmlinux" "$1" >"$out" 2>&1 || true
	if [ $show = 1 ]; then
		echo "== the capture kernel's console (kdumpcap as PID 1):"
		grep -a 'kdumpcap' "$console" | tail -25
		echo "== crash -s vmlinux $(basename "$1"): sys, bt, log (tail)"
		sed -n '1,/^\[/p' "$out" | head -60
		grep '^\[' "$out" | tail -8
	fi
	grep -q 'PANIC: .*sysrq triggered crash' "$out" || { echo "e2e: $3: crash sys shows no sysrq panic" >&2; return 1; }
	grep -q 'sysrq_handle_crash' "$out" || { echo "e2e: $3: crash bt lacks sysrq_handle_crash" >&2; return 1; }
	grep -q 'sysrq: Trigger a crash' "$out" || { echo "e2e: $3: crash log lacks the crash line" >&2; return 1; }
	if [ -n "$2" ]; then
		# every line of crash's log is in vmcore-dmesg.txt, in order
		sed -n '/^\[ *[0-9]*\.[0-9]*\]/p' "$out" >"$work/$3.crashlog"
		grep -a '^\[ *[0-9]*\.[0-9]*\]' "$2" >"$work/$3.dmesglog" || true
		[ -s "$work/$3.crashlog" ] || { echo "e2e: $3: no log lines from crash" >&2; return 1; }
		diff -q "$work/$3.crashlog" "$work/$3.dmesglog" >/dev/null ||
			{ echo "e2e: $3: vmcore-dmesg.txt differs from crash's log:" >&2;
			  diff "$work/$3.crashlog" "$work/$3.dmesglog" | head -5 >&2; return 1; }
	fi
}

# failure_ran SCENARIO: the console ($c) shows the failure action and the reboot.
failure_ran() {
	local r=0
	grep -aq 'dump failed; failure action: reboot' "$c" || { echo "e2e: $1: failure action did not run" >&2; r=1; }
	grep -aq 'reboot: Restarting system' "$c" || { echo "e2e: $1: capture kernel did not reboot" >&2; r=1; }
	return $r
}
# partial_left SCENARIO DIR: a dump cut short left its kernel log and
# vmcore-incomplete in DIR, never a vmcore.
partial_left() {
	local r=0
	[ -s "$2/vmcore-dmesg.txt" ] || { echo "e2e: $1: vmcore-dmesg.txt lost" >&2; r=1; }
	[ -e "$2/vmcore-incomplete" ] || { echo "e2e: $1: no vmcore-incomplete" >&2; r=1; }
	[ -e "$2/vmcore" ] && { echo "e2e: $1: a vmcore claims completeness" >&2; r=1; }
	return $r
}
header_incomplete() { /usr/bin/python3 -c '
import sys
sys.path.insert(0, sys.argv[2])
import kdumpfmt as K
h = K.read_header(open(sys.argv[1], "rb").read(4096))
assert h, "no KDUMP signature"
sys.exit(0 if h.status & K.KDUMP_DH_INCOMPLETE else 1)' "$1" "$root/tests/tools"; }

# Reading the target image on the host without mounting it: debugfs for
# ext4, xfs_db for xfs ($fst says which).
fs_ls() {
	if [ "$fst" = xfs ]; then
		xfs_db -r -c "ls $2" "$1" 2>/dev/null | awk 'NR > 1 && $NF == "(good)" && $(NF-1) != "." && $(NF-1) != ".." { print $(NF-1) }'
	else
		debugfs -R "ls -p $2" "$1" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }'
	fi
}
fs_get() {
	[ "$fst" = xfs ] && { xfs_get "$@"; return; }
	debugfs -R "dump $2 $3" "$1" >/dev/null 2>&1 && [ -e "$3" ]
}
fs_mode() {
	if [ "$fst" = xfs ]; then
		xfs_db -r -c "path $2" -c "p core.mode" "$1" 2>/dev/null | sed -n 's/^core.mode = 0*[0-7]\{2\}\([0-7]\{4\}\)$/\1/p'
	else
		debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/.*Mode: *\([0-7]*\).*/\1/p'
	fi
}
# xfs_get IMAGE PATH OUT: a regular file's extents (xfs_db bmap) copied out.
xfs_get() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY' 2>/dev/null
import re, subprocess, sys
img, path, out = sys.argv[1:]
def db(*cmds):
    a = ["xfs_db", "-r"]
    for c in cmds:
        a += ["-c", c]
    return subprocess.run(a + [img], capture_output=True, text=True, check=True).stdout
sb = dict(re.findall(r"^(\w+) = (\d+)$", db("sb 0", "p blocksize agblocks"), re.M))
bs, agb = int(sb["blocksize"]), int(sb["agblocks"])
info = db("path " + path, "p core.size core.mode", "bmap")
m = re.search(r"core.size = (\d+)", info)
if not m or not re.search(r"core.mode = 010", info):
    sys.exit(1)
size = int(m.group(1))
ext = r"data offset (\d+) startblock \d+ \((\d+)/(\d+)\) count (\d+) flag (\d+)"
with open(img, "rb") as f, open(out, "wb") as o:
    o.truncate(size)
    for off, ag, agbno, cnt, flag in re.findall(ext, info):
        n = min(int(cnt) * bs, size - int(off) * bs)
        if flag != "0" or n <= 0:
            continue  # unwritten extents read as zeros
        f.seek((int(ag) * agb + int(agbno)) * bs)
        o.seek(int(off) * bs)
        o.write(f.read(n))
PY
}

# hook_bins: static kdump_pre/kdump_post test programs in $work/hooks/bin.
# They say what they saw on /dev/kmsg (so the console keeps their order
# relative to kdumpcap's own lines): "E2E-HOOK pre argc=1 vmcore=yes",
# "E2E-HOOK post status=0 strays=0" (strays: live processes still named
# kdump_pre, the name PID 1 runs the pre hook under). The hang variant
# starts a child and both sleep forever.
hook_bins() {
	local d=$work/hooks
	mkdir -p "$d/bin"
	cat >"$d/hook.c" <<'C'
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *m)
{
	char b[256];
	int fd = open("/dev/kmsg", O_WRONLY);
	int n = snprintf(b, sizeof(b), "<5>E2E-HOOK %s\n", m);

	if (fd < 0 || write(fd, b, n) != n) {
		fputs(b + 3, stdout);
		fflush(stdout);
	}
}

static int strays(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char p[300], st[512];
		FILE *f;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(p, "r"))) {
			continue;
		}
		if (fgets(st, sizeof(st), f) && strstr(st, "(kdump_pre) ") && !strstr(st, "(kdump_pre) Z")) {
			n++;
		}
		fclose(f);
	}
	return n;
}

int main(int argc, char **argv)
{
	char m[200];

#if defined(PRE)
	snprintf(m, sizeof(m), "pre argc=%d vmcore=%s", argc, access("/proc/vmcore", R_OK) ? "no" : "yes");
	say(m);
#if defined(HANG)
	if (fork() == 0) {
		say("pre child hangs");
	}
	for (;;) {
		pause();
	}
#endif
#else
	snprintf(m, sizeof(m), "post status=%s strays=%d", argc > 1 ? argv[1] : "(none)", strays());
	say(m);
#endif
	return 0;
}
C
	musl-gcc -static -O2 -DPRE -o "$d/bin/pre-hook" "$d/hook.c" &&
		musl-gcc -static -O2 -DPRE -DHANG -o "$d/bin/pre-hang" "$d/hook.c" &&
		musl-gcc -static -O2 -o "$d/bin/post-hook" "$d/hook.c" || die "cannot build the hook programs"
}

# mdf_bin: TEST ONLY. $work/mdf/pre, a static kdump_pre that mounts the target
# disk (/dev/vda, ext4), runs /usr/bin/makedumpfile -l -d 31 /proc/vmcore onto
# it, syncs, deletes the file and unmounts; says on /dev/kmsg
# "E2E-MDF rc=R makedumpfile=S size=B end=T" (S: mount to unmount, seconds;
# T: CLOCK_MONOTONIC at its end, as PID 1's timing line).
mdf_bin() {
	local d=$work/mdf
	mkdir -p "$d"
	cat >"$d/pre.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	char m[256];
	double t0 = now();
	struct stat st = { 0 };
	int rc = -1, status, fd, n;
	pid_t pid;

	mkdir("/mdf", 0755);
	for (int i = 0; i < 300 && mount("/dev/vda", "/mdf", "ext4", 0, NULL) < 0; i++) {
		usleep(100000); /* the disk may still be probing */
	}
	pid = fork();
	if (pid == 0) {
		execl("/usr/bin/makedumpfile", "makedumpfile", "-l", "-d", "31", "/proc/vmcore", "/mdf/mdf.vmcore",
		      (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid) {
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	stat("/mdf/mdf.vmcore", &st);
	sync();
	n = snprintf(m, sizeof(m), "<5>E2E-MDF rc=%d makedumpfile=%.3f size=%lld end=%.3f\n", rc, now() - t0,
		     (long long)st.st_size, now());
	unlink("/mdf/mdf.vmcore");
	umount("/mdf");
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd < 0 || write(fd, m, n) != n) {
		fputs(m + 3, stdout);
	}
	return 0; /* kdumpcap dumps in any case */
}
C
	musl-gcc -static -O2 -o "$d/pre" "$d/pre.c" || die "cannot build the makedumpfile hook"
}
# mdf_image: TEST ONLY. Prepends to $work/capture.img a plain cpio with
# /usr/bin/makedumpfile and the shared libraries ldd names (the kernel unpacks
# both archives, as with an early-microcode cpio).
mdf_image() {
	local r=$work/mdf/root f
	rm -rf "$r"
	mkdir -p "$r/usr/bin"
	cp /usr/bin/makedumpfile "$r/usr/bin/"
	for f in $(ldd /usr/bin/makedumpfile | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$f")"
		cp -L "$f" "$r$f"
	done
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/mdf/extra.cpio"
	cat "$work/mdf/extra.cpio" "$work/capture.img" >"$work/mdf/capture.img"
	mv "$work/mdf/capture.img" "$work/capture.img"
	imgsize=$(stat -c %s "$work/capture.img")
}

# ganesha_start: nfs-ganesha on 127.0.0.1:$gport exporting $work/export
# (fresh per scenario: deleting files under a running ganesha can misdirect
# later writes). NFSv4.1/4.2 only: 4.0's callbacks would connect to the guest.
ganesha_start() { # [RO]
	local g=$work/ganesha access=${1:-RW}
	rm -rf "$g" "$work/export"
	mkdir -p "$g/recovery" "$work/export/var/crash"
	gport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$g/ganesha.conf" <<CONF
NFS_CORE_PARAM { Bind_addr = 127.0.0.1; NFS_Port = $gport; NFS_Protocols = 4; Enable_NLM = false;
	Enable_RQUOTA = false; Enable_UDP = false; }
NFSV4 { Graceless = true; Lease_Lifetime = 10; RecoveryRoot = $g/recovery; Minor_Versions = 1, 2;
	Only_Numeric_Owners = true; }
EXPORT { Export_Id = 1; Path = $work/export; Pseudo = /export; Access_Type = $access; Squash = No_Root_Squash;
	Protocols = 4; Transports = TCP; FSAL { Name = VFS; } }
CONF
	setsid ganesha.nfsd -F -f "$g/ganesha.conf" -L "$g/ganesha.log" -p "$g/ganesha.pid" -N NIV_EVENT &
	gpid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$gport") 2>/dev/null && return 0
		sleep 0.1
	done
	die "ganesha did not listen on 127.0.0.1:$gport: $(tail -5 "$g/ganesha.log")"
}
ganesha_stop() {
	[ -n "$gpid" ] && kill -CONT "$gpid" 2>/dev/null && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
	gpid=
}

# ssh_up [bad]: sshd (tests/lib-ssh.sh) on 127.0.0.1:$sport accepting $work/ssh/id,
# dumps under $work/sshdump; mkinitrd's HOME ($work/ssh/home) knows 10.0.2.100 by
# the server's host keys, or (bad) by keys of another server.
check() { shift; "$@" || die "sshd: $*"; }
. "$root/tests/lib-ssh.sh"
ssh_up() {
	local d=$work/ssh t
	rm -rf "$d" "$work/sshdump"
	mkdir -p "$d/home/.ssh" "$d/other" "$work/sshdump"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id"
	sport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sshd_start "$d" "$sport" "AuthorizedKeysFile $d/id.pub"
	for t in ed25519 ecdsa rsa; do
		if [ "${1:-}" = bad ]; then
			ssh-keygen -q -t $t -N '' -f "$d/other/host_$t"
			echo "10.0.2.100 $(cut -d' ' -f1,2 "$d/other/host_$t.pub")"
		else
			echo "10.0.2.100 $(cut -d' ' -f1,2 "$d/host_$t.pub")"
		fi
	done >"$d/home/.ssh/known_hosts"
}
ssh_down() {
	if [ -n "$stopped" ]; then kill -CONT $stopped 2>/dev/null || true; fi
	stopped=
	if [ -n "$SSHD_PID" ]; then kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null || true; fi
	if [ -n "$MUTE_PID" ]; then kill "$MUTE_PID" 2>/dev/null && wait "$MUTE_PID" 2>/dev/null || true; fi
	SSHD_PID= MUTE_PID=
}
# ssh_mute: in place of sshd, a listener on 127.0.0.1:$sport that accepts
# connections and never sends a byte (MUTE_PID).
ssh_mute() {
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True); held = []
while True: held.append(s.accept())' "$sport" >"$work/mute.log" &
	MUTE_PID=$!
	for _ in $(seq 50); do grep -q listening "$work/mute.log" && return; sleep 0.1; done
	die "the mute listener did not start"
}
# secs_of PATTERN: the kernel timestamp of the console's first line with PATTERN
secs_of() { grep -a -m1 -- "$1" "$c" | sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1/p'; }

# What a stuck server may cost beyond net_timeout: the killed writer's reap
# (5 s), the watchdog's poll, page cache still taking writes after the stop.
NET_MARGIN=10
# gave_up_in SCENARIO FROM TO BOUND: the console's first line with TO came
# BOUND to BOUND+NET_MARGIN s after its first line with FROM; sets $took.
gave_up_in() {
	local t0 t1
	t0=$(secs_of "$2") t1=$(secs_of "$3")
	took=$([ -n "$t0" ] && [ -n "$t1" ] && echo "$t1 - $t0" | bc)
	[ -n "$took" ] && [ "$(echo "$took >= $4 && $took < $4 + $NET_MARGIN" | bc)" = 1 ] && return 0
	echo "e2e: $1: '$3' not $4 to $4+$NET_MARGIN s after '$2' ($t0 -> $t1)" >&2
	return 1
}

# line_of PATTERN FILE: the first line number where PATTERN is (0: none)
line_of() { tr -d '\r' <"$2" | grep -an -m1 -- "$1" | cut -d: -f1 | grep . || echo 0; }

uuid=6b8f3e2a-0c1d-4e5f-9a7b-1c2d3e4f5a6b
stop_at= stopped=
net_short=10 # net_timeout of the scenarios that wait on a stuck server
nicmac=52:54:00:4b:44:43
fail=0
for s in "${scen[@]}"; do
	conf=$work/kdump.conf
	fst=ext4
	mkopts=()
	case $s in
	ext4|full|hooks|hookhang|mdf)
		printf 'ext4 UUID=%s\npath /var/crash\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' "$uuid" >"$conf"
		size=512M
		[ $s = full ] && size=4M
		rm -f "$work/disk.img"
		mkfs.ext4 -q -F -U "$uuid" -L kdump "$work/disk.img" $size >/dev/null
		if [ $s = mdf ]; then
			[ -x "$work/mdf/pre" ] || mdf_bin
			printf 'kdump_pre %s\n' "$work/mdf/pre" >>"$conf"
		fi
		if [ $s = hooks ] || [ $s = hookhang ]; then
			[ -x "$work/hooks/bin/post-hook" ] || hook_bins
			pre=$work/hooks/bin/pre-hook
			[ $s = hookhang ] && pre=$work/hooks/bin/pre-hang
			printf 'kdump_pre %s\nkdump_post %s\n' "$pre" "$work/hooks/bin/post-hook" >>"$conf"
		fi
		if [ $s = hooks ]; then
			# mkinitrd refuses what could not run in the image (no shell, no libraries)
			printf '#!/bin/sh\nexit 0\n' >"$work/hooks/script"
			chmod +x "$work/hooks/script"
			for bad in "/bin/true:dynamically linked" "$work/hooks/script:is a script" "$work/hooks/none:cannot be read"; do
				sed "s|^kdump_pre .*|kdump_pre ${bad%%:*}|" "$conf" >"$work/bad.conf"
				if "$bin" mkinitrd -o "$work/bad.img" --kver "$kver" --moddir "$kdir/lib/modules/$kver" \
					--sysroot "$work/sysroot" --config "$work/bad.conf" 2>"$work/bad.log" || ! grep -q "${bad#*:}" "$work/bad.log"; then
					echo "e2e: hooks: mkinitrd took kdump_pre ${bad%%:*} without a clear refusal" >&2
					hookbad=1
				fi
			done
		fi
		;;
	xfs)
		fst=xfs
		printf 'xfs LABEL=kdumpxfs\npath /var/crash\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' >"$conf"
		rm -f "$work/disk.img"
		truncate -s 512M "$work/disk.img"
		mkfs.xfs -q -f -m uuid="$uuid" -L kdumpxfs "$work/disk.img" >/dev/null
		;;
	raw|rawbusy)
		printf 'raw /dev/disk/by-id/virtio-%s\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' "$serial" >"$conf"
		rm -f "$work/disk.img"
		truncate -s 512M "$work/disk.img"
		;;
	nfs|nfsdhcp|nfsdown|nfsstop|nfsro)
		printf 'nfs 10.0.2.100:/export\npath /var/crash\ndump_ip dhcp\ndump_mac %s\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' "$nicmac" >"$conf"
		[ $s = nfsstop ] && echo "net_timeout $net_short" >>"$conf"
		rm -f "$work/disk.img"
		truncate -s 1M "$work/disk.img"
		if [ $s = nfsdown ]; then
			gport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		elif [ $s = nfsro ]; then
			ganesha_start RO
		else
			ganesha_start
		fi
		[ $s = nfsstop ] && stop_at='kdumpcap: saving the vmcore to' 
		;;
	ssh|sshflat|sshbadkey|sshdown|sshstop|sshmute)
		printf 'ssh root@10.0.2.100\nsshkey %s\npath %s\ndump_ip dhcp\ndump_mac %s\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' \
			"$work/ssh/id" "$work/sshdump/var/crash" "$nicmac" >"$conf"
		case $s in sshstop|sshflat) echo "net_timeout $net_short" >>"$conf" ;; esac
		rm -f "$work/disk.img"
		truncate -s 1M "$work/disk.img"
		if [ $s = sshbadkey ]; then ssh_up bad; elif [ $s = sshflat ]; then SSHD_NO_SFTP=1 ssh_up; else ssh_up; fi
		[ $s = sshdown ] && ssh_down # host keys known, server gone
		[ $s = sshmute ] && ssh_down && ssh_mute
		[ $s = sshstop ] && stop_at='kdumpcap: saving the vmcore to'
		true
		mkopts=(--dbclient "$dbc")
		;;
	missing|watchdog)
		printf 'ext4 UUID=00000000-1111-2222-3333-444444444444\nfinal_action poweroff\nfailure_action reboot\n' >"$conf"
		rm -f "$work/disk.img"
		mkfs.ext4 -q -F -U "$uuid" "$work/disk.img" 16M >/dev/null
		mkopts=(--allow-missing-target) # the UUID exists nowhere: on purpose
		;;
	esac
	case $s in
	ssh*) HOME=$work/ssh/home mkimage "$conf" "${mkopts[@]}" ;;
	*) mkimage "$conf" "${mkopts[@]}" ;;
	esac
	[ $s = mdf ] && mdf_image
	if [ $s = rawbusy ]; then
		# after the image was built, the disk got a file system
		mkfs.ext4 -q -F -U "$uuid" "$work/disk.img" 16M >/dev/null
	fi
	wait=30
	[ $s = missing ] && wait=10
	[ $s = watchdog ] && wait="300 kdumpcap.watchdog=8"
	[ $s = hookhang ] && wait="30 kdumpcap.hook_timeout=5"
	[ $s = nfs ] || [ $s = ssh ] && wait="30 kdumpcap.ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:none"
	first_img "$work/capture.img" "$wait"
	ok=1
	net=()
	case $s in nfs*)
		net=(-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:2049-cmd:/bin/busybox nc 127.0.0.1 $gport"
			-device "virtio-net-pci,netdev=n0,mac=$nicmac") ;;
	ssh*)
		net=(-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:22-cmd:/bin/busybox nc 127.0.0.1 $sport"
			-device "virtio-net-pci,netdev=n0,mac=$nicmac") ;;
	esac
	run_retry "$s" 600 -drive "file=$work/disk.img,format=raw,if=none,id=d0,cache=unsafe" \
		-device virtio-blk-pci,drive=d0,serial=$serial "${net[@]}" || ok=0
	ganesha_stop
	ssh_down
	c=$console
	case $s in
	ext4|xfs|hooks|hookhang|mdf)
		grep -aq 'dump saved; final action: poweroff' "$c" || { echo "e2e: $s: no final action message" >&2; ok=0; }
		grep -aq 'reboot: Power down' "$c" || { echo "e2e: $s: capture kernel did not power off" >&2; ok=0; }
		d=$(fs_ls "$work/disk.img" /var/crash | head -1)
		[[ $d =~ ^127\.0\.0\.1-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}$ ]] || { echo "e2e: $s: bad dump dir '$d'" >&2; ok=0; }
		[ "$(fs_mode "$work/disk.img" "/var/crash/$d")" = 0700 ] || { echo "e2e: $s: dump dir mode is not 0700" >&2; ok=0; }
		[ "$(fs_mode "$work/disk.img" "/var/crash/$d/vmcore")" = 0600 ] || { echo "e2e: $s: vmcore mode is not 0600" >&2; ok=0; }
		rm -f "$work/vmcore" "$work/dmesg.txt"
		fs_get "$work/disk.img" "/var/crash/$d/vmcore" "$work/vmcore" || { echo "e2e: $s: no vmcore" >&2; ok=0; }
		fs_get "$work/disk.img" "/var/crash/$d/vmcore-dmesg.txt" "$work/dmesg.txt" || { echo "e2e: $s: no vmcore-dmesg.txt" >&2; ok=0; }
		[ $ok = 1 ] && { crash_check "$work/vmcore" "$work/dmesg.txt" $s || ok=0; }
		[ $ok = 1 ] && header_incomplete "$work/vmcore" && { echo "e2e: $s: complete dump flagged INCOMPLETE" >&2; ok=0; }
		extra="vmcore=$(stat -c %s "$work/vmcore" 2>/dev/null || echo 0)B"
		if [ $s = xfs ]; then
			grep -aq 'dump target LABEL=kdumpxfs is /dev/vda' "$c" || { echo "e2e: xfs: LABEL= not resolved to /dev/vda" >&2; ok=0; }
			grep -aq 'XFS (vda): Mounting V5 Filesystem' "$c" || { echo "e2e: xfs: the capture kernel mounted no xfs" >&2; ok=0; }
			for m in xfs libcrc32c crc32c_generic; do
				grep -q "module $m\$" "$work/mkinitrd.log" || { echo "e2e: xfs: mkinitrd did not take module $m" >&2; ok=0; }
			done
		fi
		[ "${hookbad:-0}" = 1 ] && ok=0
		if [ $s = mdf ]; then
			# kdumpcap's time: from the hook's end to PID 1's final action
			mdfl=$(grep -a 'E2E-MDF rc=' "$c" | head -1)
			fin=$(sed -n 's/.*kdumpcap: timing: .*final action at \([0-9.]*\) s after boot.*/\1/p' "$c" | head -1)
			mend=$(echo "$mdfl" | sed -n 's/.* end=\([0-9.]*\).*/\1/p')
			echo "$mdfl" | grep -q 'rc=0 ' || { echo "e2e: mdf: makedumpfile failed in the capture kernel: $mdfl" >&2; ok=0; }
			extra="$extra mdf=$(echo "$mdfl" | sed -n 's/.*makedumpfile=\([0-9.]*\).*/\1/p')s"
			extra="$extra mdf_size=$(echo "$mdfl" | sed -n 's/.*size=\([0-9]*\).*/\1/p')B"
			extra="$extra kdc=$([ -n "$fin" ] && [ -n "$mend" ] && echo "$fin - $mend" | bc || echo '?')s"
		fi
		grep -E 'error:|warning:' "$work/mkinitrd.log" >&2 && { echo "e2e: $s: mkinitrd complained about a good kdump.conf" >&2; ok=0; }
		if [ $s = hooks ] || [ $s = hookhang ]; then
			# in the image under fixed names, whatever the host paths (here under /tmp)
			for h in kdump_pre kdump_post; do
				zstd -dc "$work/capture.img" | cpio -it --quiet 2>/dev/null | grep -qx "lib/kdumpcap/$h" ||
					{ echo "e2e: $s: $h not in the image" >&2; ok=0; }
			done
			lpre=$(line_of 'E2E-HOOK pre argc=1 vmcore=yes' "$c")
			lsave=$(line_of 'kdumpcap: saving the vmcore to' "$c")
			lsaved=$(line_of 'kdumpcap: saved /mnt/var/crash/.*/vmcore$' "$c")
			lpost=$(line_of 'E2E-HOOK post status=0 strays=0' "$c")
			lfinal=$(line_of 'dump saved; final action' "$c")
			[ "$lpre" -gt 0 ] && [ "$lpre" -lt "$lsave" ] && [ "$lsaved" -gt "$lsave" ] &&
				[ "$lpost" -gt "$lsaved" ] && [ "$lfinal" -gt "$lpost" ] ||
				{ echo "e2e: $s: hooks not seen in order pre ($lpre) < dump ($lsave..$lsaved) < post ($lpost) < final ($lfinal)" >&2; ok=0; }
		fi
		if [ $s = hookhang ]; then
			grep -aq 'E2E-HOOK pre child hangs' "$c" || { echo "e2e: hookhang: the hanging hook's child never ran" >&2; ok=0; }
			grep -aq 'kdump_pre .* still runs after 5 s (kdumpcap.hook_timeout=): killed' "$c" ||
				{ echo "e2e: hookhang: the hanging hook was not killed after 5 s" >&2; ok=0; }
			grep -aq 'kdump_pre was stopped; dumping anyway' "$c" || { echo "e2e: hookhang: no message that the dump goes on" >&2; ok=0; }
		fi
		;;
	raw)
		grep -q "^resolved_target SERIAL=$serial\$" <(zstd -dc "$work/capture.img" | cpio -i --quiet --to-stdout etc/kdump.conf) ||
			{ echo "e2e: raw: the image's kdump.conf does not name the disk by its serial" >&2; ok=0; }
		grep -aq "dump target SERIAL=$serial is /dev/vda" "$c" || { echo "e2e: raw: the disk was not found by its serial" >&2; ok=0; }
		grep -aq 'reboot: Power down' "$c" || { echo "e2e: raw: capture kernel did not power off" >&2; ok=0; }
		/usr/bin/python3 "$root/tests/tools/flatstream.py" "$work/disk.img" >"$work/flat.txt" ||
			{ echo "e2e: raw: the disk holds no whole capture (header id, end record, trailer): $(cat "$work/flat.txt")" >&2; ok=0; }
		"$bin" savecore --dev "$work/disk.img" --path "$work/saved" 2>"$work/savecore.log" || { cat "$work/savecore.log" >&2; ok=0; }
		v=$(ls "$work"/saved/*/vmcore 2>/dev/null | head -1)
		[ -n "$v" ] || { echo "e2e: raw: savecore made no vmcore" >&2; ok=0; }
		[ $ok = 1 ] && { crash_check "$v" "" raw || ok=0; }
		head -c 12 "$work/disk.img" | grep -q makedumpfile && { echo "e2e: raw: marker not cleared" >&2; ok=0; }
		"$bin" savecore --dev "$work/disk.img" --path "$work/saved2" 2>&1 | grep -q 'no dump' || { echo "e2e: raw: second savecore did not find the device empty" >&2; ok=0; }
		extra="vmcore=$(stat -c %s "$v" 2>/dev/null || echo 0)B"
		;;
	rawbusy)
		grep -aq 'raw target /dev/vda is in use (ext2/3/4 signature found): not overwriting it' "$c" ||
			{ echo "e2e: rawbusy: no refusal naming the device and the signature" >&2; ok=0; }
		grep -aq 'dump failed; failure action: reboot' "$c" || { echo "e2e: rawbusy: failure action did not run" >&2; ok=0; }
		debugfs -R stats "$work/disk.img" 2>/dev/null | grep -q "Filesystem UUID:.*$uuid" ||
			{ echo "e2e: rawbusy: the ext4 file system on the disk was damaged" >&2; ok=0; }
		head -c 12 "$work/disk.img" | grep -q makedumpfile && { echo "e2e: rawbusy: a dump was written" >&2; ok=0; }
		extra=
		;;
	nfs|nfsdhcp)
		grep -aq 'dump saved; final action: poweroff' "$c" || { echo "e2e: $s: no final action message" >&2; ok=0; }
		grep -aq 'reboot: Power down' "$c" || { echo "e2e: $s: capture kernel did not power off" >&2; ok=0; }
		grep -q '^resolved_server 10.0.2.100$' <(zstd -dc "$work/capture.img" | cpio -i --quiet --to-stdout etc/kdump.conf) ||
			{ echo "e2e: $s: the image's kdump.conf has no resolved_server" >&2; ok=0; }
		[ $s = nfsdhcp ] && { grep -aq 'network: .* is 10.0.2.15/24' "$c" && grep -aqi 'dhcp' "$c" ||
			{ echo "e2e: nfsdhcp: no DHCP lease 10.0.2.15/24 on the console" >&2; ok=0; }; }
		d=$(ls "$work/export/var/crash" | head -1)
		[[ $d =~ ^10\.0\.2\.15-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}$ ]] || { echo "e2e: $s: bad dump dir '$d'" >&2; ok=0; }
		v=$work/export/var/crash/$d/vmcore
		[ -f "$v" ] && [ -f "$work/export/var/crash/$d/vmcore-dmesg.txt" ] || { echo "e2e: $s: no vmcore and vmcore-dmesg.txt on the export" >&2; ok=0; }
		[ $ok = 1 ] && { crash_check "$v" "$work/export/var/crash/$d/vmcore-dmesg.txt" $s || ok=0; }
		[ $ok = 1 ] && header_incomplete "$v" && { echo "e2e: $s: complete dump flagged INCOMPLETE" >&2; ok=0; }
		extra="vmcore=$(stat -c %s "$v" 2>/dev/null || echo 0)B"
		;;
	ssh)
		grep -aq 'dump saved; final action: poweroff' "$c" || { echo "e2e: ssh: no final action message" >&2; ok=0; }
		grep -aq 'reboot: Power down' "$c" || { echo "e2e: ssh: capture kernel did not power off" >&2; ok=0; }
		for f in bin/dbclient etc/kdumpcap/ssh/id_dropbear etc/kdumpcap/ssh/.ssh/known_hosts; do
			zstd -dc "$work/capture.img" | cpio -it --quiet 2>/dev/null | grep -qx "$f" || { echo "e2e: ssh: $f not in the image" >&2; ok=0; }
		done
		d=$(ls "$work/sshdump/var/crash" | head -1)
		[[ $d =~ ^10\.0\.2\.15-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}$ ]] || { echo "e2e: ssh: bad dump dir '$d'" >&2; ok=0; }
		v=$work/sshdump/var/crash/$d/vmcore
		[ -f "$v" ] && [ -f "$work/sshdump/var/crash/$d/vmcore-dmesg.txt" ] || { echo "e2e: ssh: no vmcore and vmcore-dmesg.txt on the server" >&2; ok=0; }
		[ "$(stat -c %a "$work/sshdump/var/crash/$d" 2>/dev/null)" = 700 ] || { echo "e2e: ssh: dump dir mode is not 0700" >&2; ok=0; }
		ls "$work/sshdump/var/crash/$d" | grep -q incomplete && { echo "e2e: ssh: an incomplete file is left" >&2; ok=0; }
		[ $ok = 1 ] && { crash_check "$v" "$work/sshdump/var/crash/$d/vmcore-dmesg.txt" ssh || ok=0; }
		[ $ok = 1 ] && header_incomplete "$v" && { echo "e2e: ssh: complete dump flagged INCOMPLETE" >&2; ok=0; }
		extra="vmcore=$(stat -c %s "$v" 2>/dev/null || echo 0)B"
		;;
	sshbadkey)
		grep -aq 'host key mismatch for 10.0.2.100' "$c" || { echo "e2e: sshbadkey: no host key mismatch message" >&2; ok=0; }
		grep -aq 'kdumpcap: error: no SFTP session with SSH server root@10.0.2.100' "$c" ||
			{ echo "e2e: sshbadkey: no error naming the server" >&2; ok=0; }
		failure_ran sshbadkey || ok=0
		grep -q 'Accepted publickey' "$work/ssh/sshd.log" && { echo "e2e: sshbadkey: the client logged in" >&2; ok=0; }
		[ -z "$(ls "$work/sshdump")" ] || { echo "e2e: sshbadkey: something was written" >&2; ok=0; }
		extra=
		;;
	sshdown)
		grep -aq 'kdumpcap: error: no SFTP session with SSH server root@10.0.2.100' "$c" ||
			{ echo "e2e: sshdown: no error naming the server" >&2; ok=0; }
		failure_ran sshdown || ok=0
		extra=
		;;
	sshflat)
		grep -aq 'dump saved; final action: poweroff' "$c" || { echo "e2e: sshflat: no final action message" >&2; ok=0; }
		grep -aq 'gave no SFTP session' "$c" || { echo "e2e: sshflat: no message about the fallback" >&2; ok=0; }
		grep -aq "within $((net_short / 2)).0 s" <(grep -a 'kdumpcap: error: sftp root@10.0.2.100' "$c") ||
			{ echo "e2e: sshflat: no handshake timeout naming the server and $((net_short / 2)) s" >&2; ok=0; }
		gave_up_in sshflat 'connecting to SSH server' 'gave no SFTP session' $((net_short / 2)) || ok=0
		flat_after=$took
		d=$(ls "$work/sshdump/var/crash" | head -1)
		v=$work/sshdump/var/crash/$d
		[ -s "$v/vmcore.flat" ] && [ -s "$v/vmcore-dmesg.txt" ] || { echo "e2e: sshflat: no vmcore.flat and vmcore-dmesg.txt" >&2; ok=0; }
		ls "$v" | grep -q incomplete && { echo "e2e: sshflat: an incomplete file is left" >&2; ok=0; }
		rm -f "$work/flat.vmcore"
		"$bin" -R "$work/flat.vmcore" <"$v/vmcore.flat" || { echo "e2e: sshflat: kdumpcap -R failed" >&2; ok=0; }
		[ $ok = 1 ] && { crash_check "$work/flat.vmcore" "$v/vmcore-dmesg.txt" sshflat || ok=0; }
		[ $ok = 1 ] && header_incomplete "$work/flat.vmcore" && { echo "e2e: sshflat: complete dump flagged INCOMPLETE" >&2; ok=0; }
		# crash reads the stream itself too, and finds nothing incomplete
		[ $ok = 1 ] && { crash_check "$v/vmcore.flat" "$v/vmcore-dmesg.txt" sshflat-direct || ok=0; }
		grep -q 'dumpfile is incomplete\|\[INCOMPLETE\]' "$work/sshflat-direct.crash" && { echo "e2e: sshflat: crash calls vmcore.flat incomplete" >&2; ok=0; }
		extra="vmcore.flat=$(stat -c %s "$v/vmcore.flat" 2>/dev/null || echo 0)B connect_to_fallback=${flat_after}s"
		;;
	sshmute)
		grep -aq 'no answer from the server within 15.0 s' <(grep -a 'kdumpcap: error: sftp root@10.0.2.100' "$c") ||
			{ echo "e2e: sshmute: no handshake timeout naming the server" >&2; ok=0; }
		grep -aq 'kdumpcap: error: SSH server root@10.0.2.100: no dump directory' "$c" ||
			{ echo "e2e: sshmute: the fallback's handshake did not give up naming the server" >&2; ok=0; }
		failure_ran sshmute || ok=0
		gave_up_in sshmute 'connecting to SSH server' 'dump failed; failure action' 30 || ok=0
		[ -z "$(find "$work/sshdump" -mindepth 1)" ] || { echo "e2e: sshmute: something was written" >&2; ok=0; }
		extra="connect_to_failure=${took}s"
		;;
	sshstop)
		grep -a 'kdumpcap: error' "$c" | grep -a '10.0.2.100' | grep -aq "$net_short\(\.0\)\? s" ||
			{ echo "e2e: sshstop: no error naming the server and $net_short s" >&2; ok=0; }
		failure_ran sshstop || ok=0
		gave_up_in sshstop 'kdumpcap: saving the vmcore to' 'dump failed; failure action' $net_short || ok=0
		d=$(ls "$work/sshdump/var/crash" | head -1)
		partial_left sshstop "$work/sshdump/var/crash/$d" || ok=0
		extra="stop_to_failure=${took}s"
		;;
	nfsstop)
		grep -aq "NFS server 10.0.2.100 (10.0.2.100:/export) took no data for $net_short s (net_timeout)" "$c" ||
			{ echo "e2e: nfsstop: no stall message naming the server and $net_short s" >&2; ok=0; }
		failure_ran nfsstop || ok=0
		gave_up_in nfsstop 'kdumpcap: saving the vmcore to' 'dump failed; failure action' $net_short || ok=0
		d=$(ls "$work/export/var/crash" | head -1)
		partial_left nfsstop "$work/export/var/crash/$d" || ok=0
		extra="stop_to_failure=${took}s"
		;;
	nfsro)
		grep -aq 'kdumpcap: error: .*Read-only file system' "$c" || { echo "e2e: nfsro: no message about the read-only export" >&2; ok=0; }
		grep -aq 'dump failed; failure action: reboot' "$c" || { echo "e2e: nfsro: failure action did not run" >&2; ok=0; }
		[ -z "$(ls "$work/export/var/crash")" ] || { echo "e2e: nfsro: something was written" >&2; ok=0; }
		extra=
		;;
	nfsdown)
		grep -aq '10.0.2.100' <(grep -a 'kdumpcap' "$c" | grep -ai 'error\|cannot\|stuck') ||
			{ echo "e2e: nfsdown: no error message naming the server 10.0.2.100" >&2; ok=0; }
		failure_ran nfsdown || ok=0
		extra=
		;;
	missing)
		grep -aq 'did not appear within 10 s' "$c" || { echo "e2e: missing: no clear message" >&2; ok=0; }
		failure_ran missing || ok=0
		extra=
		;;
	watchdog)
		grep -aq 'made no end within 8 s' "$c" || { echo "e2e: watchdog: no watchdog message" >&2; ok=0; }
		failure_ran watchdog || ok=0
		extra=
		;;
	full)
		grep -aq 'dump failed; failure action: reboot' "$c" || { echo "e2e: full: failure action did not run" >&2; ok=0; }
		d=$(fs_ls "$work/disk.img" /var/crash | head -1)
		fs_get "$work/disk.img" "/var/crash/$d/vmcore-dmesg.txt" "$work/full-dmesg.txt" && [ -s "$work/full-dmesg.txt" ] ||
			{ echo "e2e: full: vmcore-dmesg.txt lost" >&2; ok=0; }
		fs_get "$work/disk.img" "/var/crash/$d/vmcore-incomplete" "$work/full-vmcore" || { echo "e2e: full: no vmcore-incomplete" >&2; ok=0; }
		fs_get "$work/disk.img" "/var/crash/$d/vmcore" "$work/full-wrong" && { echo "e2e: full: a vmcore claims completeness" >&2; ok=0; }
		header_incomplete "$work/full-vmcore" || { echo "e2e: full: header not flagged INCOMPLETE" >&2; ok=0; }
		extra=
		;;
	esac
	[ $ok = 1 ] || { fail=1; console_tail "$s" "$c"; }
	# in-guest figures PID 1 printed: its CPUs, its memory at /init, /init to the final action
	cpus=$(sed -n 's/.*kdumpcap: \([0-9]*\) CPU(s) online.*/\1/p' "$c" | head -1)
	avail=$(sed -n 's/.*MemAvailable \([0-9]*\) KiB.*/\1/p' "$c" | head -1)
	ininit=$(sed -n 's/.*kdumpcap: timing: .*: \([0-9.]*\) s in \/init.*/\1/p' "$c" | head -1)
	echo "RESULT $s $([ $ok = 1 ] && echo PASS || echo FAIL) image=${imgsize}B crashkernel=$ck mem=${mem}M cpus=${cpus:-?}" \
		"memavail=${avail:-?}KiB in_init=${ininit:-?}s sysrq_to_exit=${elapsed}s $extra"
done
exit $fail
