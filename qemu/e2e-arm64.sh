#!/usr/bin/env bash
# The arm64 end-to-end capture under qemu-system-aarch64 (TCG), with the
# product's own capture image and loader: Debian's arm64 kernel (no
# KEXEC_FILE), `kdumpcap mkinitrd --binary build/arm64/kdumpcap` on the host
# (the x86_64 binary builds the image, the arm64 one is its /init), the arm64
# `kdumpcap load` in the first kernel (kexec_load: Image, initrd, device tree,
# ELF core header, purgatory), `kdumpcap unload` and load again, sysrq-c;
# kdumpcap as PID 1 dumps at -d 31 to ext4 by UUID and powers off. A TEST-ONLY
# kdump_pre (qemu/guest/fullcopy.c) first copies the capture kernel's
# /proc/vmcore to a second disk, the reference for the checks on the host:
# the full vmcore is a consistent ELF core (made from the core header
# `kdumpcap load` built), the dump is a complete kdump-compressed file whose
# every page equals the vmcore's, drgn answers on it as on the vmcore
# (tests/tools/drgn-compare.py), vmcore-dmesg.txt equals --dump-dmesg of the
# vmcore and holds the sysrq line. Prints "ok - ..."/"not ok - ..." lines.
#   qemu/e2e-arm64.sh [--keep] [--kaslr on|off] [--gzip-image]
# (--kaslr off: nokaslr and no kaslr-seed in QEMU's device tree; default on;
# --gzip-image: the first kernel's /boot/Image is gzip'ed, as Ubuntu's vmlinuz)
# Environment: KDUMPCAP_BIN (host binary, default build/kdumpcap),
# KDUMPCAP_ARM64_BIN (default build/arm64/kdumpcap), KDUMPCAP_CACHE,
# KDC_FLAVOUR (qemu/fetch-kernel.sh: 6.12-arm64-16k runs it all on Debian 12's
# 6.12 kernel of 16 KiB pages, make test's second arm64-e2e run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/tests/lib.sh"
. "$here/guest-lib.sh" # elf_core_check; it sets the vmcore harnesses' defaults, so first
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}/arm64
bin=${KDUMPCAP_BIN:-$root/build/kdumpcap}
arm=${KDUMPCAP_ARM64_BIN:-$root/build/arm64/kdumpcap}
mem=1024 ck=256M keep=0 kaslr=on gzip_image=0
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1; shift ;;
	--kaslr) kaslr=${2:?}; shift 2 ;;
	--gzip-image) gzip_image=1; shift ;;
	*) echo "usage: $0 [--keep] [--kaslr on|off] [--gzip-image]" >&2; exit 2 ;;
	esac
done
uuid=3f6c1a52-7e0b-4d8e-9c1f-2a3b4c5d6e7f serial=kdc-e2e
die() { not_ok "$*"; t_done; exit 1; }

for t in qemu-system-aarch64 aarch64-linux-musl-gcc busybox cpio mkfs.ext4 debugfs timeout; do
	command -v $t >/dev/null || die "$t installed (tests/setup-host.sh)"
done
if [ -z "${KDUMPCAP_ARM64_BIN:-}" ]; then # up to date, as the arm64-build suite builds it
	env -u DEPS -u O make -C "$root" -s ARCH=arm64 build/arm64/kdumpcap >/dev/null || die "make ARCH=arm64 builds $arm"
fi
[ -x "$bin" ] && [ -x "$arm" ] || die "$bin and $arm built (make; make ARCH=arm64)"
work=$(mktemp -d /var/tmp/kdc-e2e-arm64.XXXXXX)
trap '[ $keep = 1 ] && echo "e2e-arm64: work dir kept: $work" >&2 || rm -rf "$work"' EXIT

kdir=$(KDC_ARCH=arm64 "$here/fetch-kernel.sh" 2>"$work/fetch.log" | tail -1) || die "KDC_ARCH=arm64 qemu/fetch-kernel.sh: $(tail -2 "$work/fetch.log")"
kver=$(basename "$kdir")
# Debian's static arm64 busybox for the first kernel, unpacked once
bb=$cache/busybox/bin/busybox
if [ ! -x "$bb" ]; then
	rm -rf "$cache/busybox.tmp" && mkdir -p "$cache/busybox.tmp"
	(cd "$cache/busybox.tmp" && apt-get download -q busybox-static:arm64 >&2 && dpkg-deb -x busybox-static_*.deb .) ||
		die "apt-get download busybox-static:arm64 (dpkg --add-architecture arm64; apt-get update)"
	rm -rf "$cache/busybox" && mv "$cache/busybox.tmp" "$cache/busybox"
fi

# The target disk as mkinitrd sees it (as in qemu/e2e-capture.sh): /dev/vda, serial kdc-e2e.
mkdir -p "$work/sysroot/dev/disk/by-id" "$work/sysroot/sys/class/block/vda"
ln -s "$work/disk.img" "$work/sysroot/dev/vda"
ln -s ../../vda "$work/sysroot/dev/disk/by-id/virtio-$serial"
echo "$serial" >"$work/sysroot/sys/class/block/vda/serial"
mkfs.ext4 -q -F -U "$uuid" -L kdump "$work/disk.img" 512M >/dev/null
truncate -s $((mem + 64))M "$work/full.disk"
aarch64-linux-musl-gcc -static -O2 -o "$work/fullcopy" "$here/guest/fullcopy.c" || die "qemu/guest/fullcopy.c builds"
printf 'ext4 UUID=%s\npath /var/crash\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\nkdump_pre %s\n' \
	"$uuid" "$work/fullcopy" >"$work/kdump.conf"
check "$kver: mkinitrd --binary $(basename "$arm") builds the arm64 capture image" \
	"$bin" mkinitrd -o "$work/capture.img" --kver "$kver" --moddir "$kdir/lib/modules/$kver" \
	--sysroot "$work/sysroot" --config "$work/kdump.conf" --binary "$arm"
[ -s "$work/capture.img" ] || die "capture image made"
check "the image's /init is the arm64 kdumpcap" bash -c \
	"zstd -dc '$work/capture.img' | cpio -i --quiet --to-stdout init | cmp -s - '$arm'"

# First kernel: busybox, the arm64 kdumpcap, the capture kernel and image.
r=$work/first
skel "$r" "$bb"
mkdir -p "$r/boot"
cp "$arm" "$r/bin/kdumpcap"
if [ $gzip_image = 1 ]; then
	gzip -1 -c "$kdir/Image" >"$r/boot/Image" # a compressed vmlinuz, as Ubuntu ships
else
	cp -L "$kdir/Image" "$r/boot/Image"
fi
cp "$work/capture.img" "$r/boot/capture.img"
cat >"$r/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "E2E: first kernel up"
loaded() { [ "$(cat /sys/kernel/kexec_crash_loaded)" = "$1" ] || echo "E2E-FAIL: kexec_crash_loaded is not $1 $2"; }
kload() { kdumpcap load -v --kernel /boot/Image --initrd /boot/capture.img --append "kdumpcap.wait=30 nr_cpus=1"; }
kload || echo "E2E-FAIL: load"
loaded 1 "after load"
kdumpcap unload || echo "E2E-FAIL: unload"
loaded 0 "after unload"
kload || echo "E2E-FAIL: load again"
loaded 1 "after the second load"
echo "E2E: crashing"
echo c >/proc/sysrq-trigger
echo "E2E-FAIL: alive after sysrq-c"
INIT
chmod +x "$r/init"
mkcpio "$r" "$work/first.img"

console=$work/console.log
: >"$console"
tmo=${E2E_ARM64_TIMEOUT:-1800}
# a capture kernel that does not start (a purgatory that found a bad digest
# waits forever) ends the run this many seconds after the crash
boot_tmo=${E2E_ARM64_BOOT_TIMEOUT:-300}
cmdline="console=ttyAMA0 crashkernel=$ck panic=-1" machine=virt
[ "$kaslr" = off ] && cmdline="$cmdline nokaslr" machine=virt,dtb-randomness=off
start=$(date +%s)
timeout -k 10 "$tmo" qemu-system-aarch64 -M $machine -cpu max,pauth-impdef=on -accel tcg -smp 2 -m $mem \
	-no-reboot -display none -monitor none -serial "file:$console" \
	-kernel "$kdir/Image" -initrd "$work/first.img" -append "$cmdline" \
	-drive "file=$work/disk.img,format=raw,if=none,id=d0,cache=unsafe" -device virtio-blk-pci,drive=d0,serial=$serial \
	-drive "file=$work/full.disk,format=raw,if=none,id=d1,cache=unsafe" -device virtio-blk-pci,drive=d1,serial=vmcore \
	2>"$work/qemu.err" &
qpid=$! bye= stopped=
while kill -0 $qpid 2>/dev/null; do
	[ -z "$bye" ] && grep -aq 'Starting crashdump kernel' "$console" && bye=$(date +%s)
	if [ -n "$bye" ] && [ $(($(date +%s) - bye)) -gt "$boot_tmo" ] &&
		[ "$(grep -ac 'Booting Linux on physical CPU' "$console")" -lt 2 ]; then
		echo "# no capture kernel within ${boot_tmo}s of the crash: QEMU stopped" >&2
		kill $qpid
		stopped=1
	fi
	sleep 1
done
wait $qpid
rc=$?
echo "# QEMU ran $(($(date +%s) - start)) s (exit $rc)"
c=$console
keep_console() { cp "$c" /tmp/kdc-e2e-arm64.console 2>/dev/null; echo "# console: /tmp/kdc-e2e-arm64.console" >&2; }
check "QEMU ended by itself within ${tmo}s, the capture kernel within ${boot_tmo}s of the crash" \
	test $rc = 0 -a -z "$stopped" || keep_console
check "load, unload and load again in the first kernel (kexec_load)" bash -c "! grep -a 'E2E-FAIL' '$c' && grep -aq 'E2E: crashing' '$c'"
check "load used kexec_load (no kexec_file_load in this kernel)" grep -aq 'no kexec_file_load in this kernel: kexec_load' "$c"
[ $gzip_image = 1 ] && check "load unpacked the gzip'ed kernel it was given" grep -aq 'is a gzip kernel: unpacked its Image' "$c"
check "the capture kernel booted with the device tree load built (usable memory, elfcorehdr)" \
	bash -c "sed -n '/Starting crashdump kernel/,\$p' '$c' >'$work/capture.console' &&
	grep -a 'Kernel command line' '$work/capture.console' | grep -q 'kdumpcap.wait=30 nr_cpus=1' &&
	grep -aq 'OF: fdt: Reserving .* for elfcorehdr' '$work/capture.console' && grep -aq 'kdumpcap: capture kernel started' '$work/capture.console'"
check "the kdump_pre hook copied /proc/vmcore" grep -aq 'E2E-FULL size=' "$c"
check "kdumpcap as PID 1 saved the dump and powered off" \
	bash -c "grep -aq 'dump saved; final action: poweroff' '$c' && grep -aq 'reboot: Power down' '$c'"
grep -aq 'E2E-FULL size=' "$c" && grep -aq 'dump saved' "$c" || { keep_console; t_done; exit 1; }

size=$(tr -d '\r' <"$c" | sed -n 's/.*E2E-FULL size=\([0-9]*\).*/\1/p' | tail -1)
truncate -s "$size" "$work/full.disk"
vmcore=$work/full.disk
check "the full vmcore is a consistent ELF64 core (one PT_NOTE, PT_LOADs ending at its size)" elf_core_check "$vmcore" "$size"
d=$(debugfs -R "ls -p /var/crash" "$work/disk.img" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }' | head -1)
debugfs -R "dump /var/crash/$d/vmcore $work/vmcore" "$work/disk.img" >/dev/null 2>&1
debugfs -R "dump /var/crash/$d/vmcore-dmesg.txt $work/dmesg.txt" "$work/disk.img" >/dev/null 2>&1
check "vmcore and vmcore-dmesg.txt in /var/crash/$d" test -s "$work/vmcore" -a -s "$work/dmesg.txt"
check "the dump is a complete kdump-compressed file" $PY -c '
import sys
sys.path.insert(0, sys.argv[2])
import kdumpfmt as K
d = open(sys.argv[1], "rb").read(4096)
h = K.read_header(d)
assert h, "no KDUMP signature"
assert not h.status & K.KDUMP_DH_INCOMPLETE, "flagged incomplete"
m = K.KDUMP_OFF_UTSNAME + K.KDUMP_UTS_MACHINE * K.KDUMP_UTS_LEN
assert d[m:m + 7] == b"aarch64", "utsname machine is not aarch64"' "$work/vmcore" "$root/tests/tools"
check "every page of the dump equals the full vmcore's (-d 31, zstd)" \
	$PY "$root/tests/tools/checkdump.py" "$work/vmcore" "$vmcore" --level 31 --compress zstd --filtered
check "the host's kdumpcap reads the full vmcore (-d 31 dump written)" "$bin" -d 31 -z --message-level 0 "$vmcore" "$work/host.dump"
check "drgn answers on the dump as on the full vmcore (tasks, stacks, registers, log, utsname)" \
	timeout 900 $PY "$root/tests/tools/drgn-compare.py" "$kdir/vmlinux" "$vmcore" "$work/vmcore"
"$bin" --dump-dmesg "$vmcore" "$work/host-dmesg.txt" >/dev/null 2>&1
check "vmcore-dmesg.txt equals --dump-dmesg of the full vmcore" cmp "$work/dmesg.txt" "$work/host-dmesg.txt"
check "vmcore-dmesg.txt ends with the sysrq crash" grep -q 'sysrq: Trigger a crash' "$work/dmesg.txt"
t_done
