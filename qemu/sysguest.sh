#!/usr/bin/env bash
# kdumpcap on a real Debian 12 system booted by systemd, under QEMU TCG.
#
#   qemu/sysguest.sh [--mem MB] [--crashkernel SIZE] [--keep] [--show]
#
# The guest is made by debootstrap from Debian's archive (bookworm, minbase +
# systemd-sysv, udev, linux-image-amd64, initramfs-tools) and cached as an ext4
# image (mkfs.ext4 -d, no loop mount) in $KDUMPCAP_CACHE/sysguest/<recipe hash>/.
# Each boot gets a small payload disk (LABEL=kdcpayload) holding
# qemu/sysguest/steps.sh and the name of the step to run; the guest's
# kdc-test.service runs it once systemd is up and writes its report to the second
# serial port. The host plays the boot loader: it boots the newest kernel found
# in the image's /boot, with crashkernel= on the command line, and reads the dumps
# back off the disk images with debugfs. The flow (one disk, six boots, three
# crashes; K0 is bookworm's kernel, K1 the newer one qemu/fetch-kernel.sh caches,
# from bookworm-security):
#   install   K0: dpkg -i the package (build/kdumpcap_VERSION_amd64.deb), enable
#             the services, reboot
#   crash1    kdumpcap.service loaded the capture kernel at boot with the image
#             built at install: sysrq-c; the capture kernel writes
#             /var/crash/<dir>/vmcore on the root ext4 (the packaged kdump.conf)
#             and ends the guest; crash opens the dump (K0's debug vmlinux)
#   raw       status and journal report that capture; kdump.conf switched to a
#             raw disk (by-id name), service restarted (image rebuilt); sysrq-c
#   upgrade   kdumpcap-savecore.service restored the raw dump into /var/crash at
#             boot (crash opens it); back to the packaged kdump.conf; dpkg -i
#             linux-image-K1: the kernel's postinst hook builds its image; reboot
#   crash2    K1 boots, its image up to date; sysrq-c; dump checked with K1's vmlinux
#   final     status and journal report that capture
# Without a package (KDUMPCAP_DEB=none), build/kdumpcap
# is installed by hand with this harness's own unit (qemu/sysguest/manual.service)
# and the kernel hook is replaced by the unit's rebuild at boot.
# Prints one "ok - " / "not ok - " line per step, the boot times, and with --show
# the guest's `systemctl status kdumpcap` and `kdumpcap status` before and after
# each crash.
# Time (2-core machine, load ~11 from other jobs; 2026-12-02): 13 min for the six
# boots (install 127 s, crash1 103 s, raw 92 s, upgrade 271 s, crash2 77 s, final
# 62 s), from 24 min before mkinitrd's zstd went from 19 to 9 (40-50 s of guest CPU
# per capture image, now ~3 s) and the upgrade step set the guest's own initrd to
# zstd -1 and had dpkg skip driver trees no capture here uses (GPU, media,
# wireless, staging, InfiniBand, IIO, sound). The first run also debootstraps
# (~8 min) and fetches K0's debug vmlinux (860 MB).
# Environment: KDUMPCAP_CACHE, KDUMPCAP_BIN (default build/kdumpcap), KDUMPCAP_DEB
# (the package; default build/kdumpcap_VERSION_amd64.deb, `none`: by hand),
# KDUMPCAP_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mem=1024 ck=192M keep=0 show=0
die() { echo "sysguest: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=${2:?}; shift 2 ;;
	--crashkernel) ck=${2:?}; shift 2 ;;
	--keep) keep=1; shift ;;
	--show) show=1; shift ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done
for t in qemu-system-x86_64 debootstrap mkfs.ext4 debugfs crash timeout apt-get dpkg-deb; do
	command -v $t >/dev/null || die "$t not installed (tests/setup-host.sh)"
done
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}
mirror=${KDUMPCAP_MIRROR:-http://deb.debian.org/debian}
bin=${KDUMPCAP_BIN:-$root/build/kdumpcap}
deb=${KDUMPCAP_DEB:-$root/build/kdumpcap_$(cat "$root/VERSION")_amd64.deb}
[ "$deb" = none ] && deb=
[ -z "$deb" ] || [ -f "$deb" ] || die "$deb missing: run make deb (or KDUMPCAP_DEB=none to install $bin by hand)"
[ -n "$deb" ] || [ -x "$bin" ] || die "$bin missing: run make"

# K1, the upgrade: the kernel qemu/fetch-kernel.sh caches (linux-image-amd64's
# candidate, from bookworm-security when it has one), with its debug vmlinux.
k1dir=$("$root/qemu/fetch-kernel.sh" | tail -1) || die "qemu/fetch-kernel.sh failed"
k1=$(basename "$k1dir")

work=$(mktemp -d /tmp/kdc-sysguest.XXXXXX)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	[ $keep = 1 ] && echo "sysguest: work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# --- the cached guest image --------------------------------------------------
pkgs=systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,e2fsprogs,zstd,procps
# guest_image: $gdir/root.img (ext4, LABEL=kdcroot) and $gdir/kver (K0), built
# once per recipe (this function, the packages, the driver files).
guest_image() {
	local key tmp r
	key=$( (declare -f guest_tune; echo "$pkgs $mirror"
		cat "$here/sysguest/driver.sh" "$here/sysguest/kdc-test.service") | sha256sum | cut -c1-16)
	gdir=$cache/sysguest/$key
	[ -f "$gdir/root.img" ] && [ -f "$gdir/kver" ] && return 0
	mkdir -p "$cache/sysguest/debs"
	tmp=$(mktemp -d "$cache/sysguest/build.XXXXXX")
	r=$tmp/root
	echo "sysguest: debootstrap bookworm into $tmp (once; several minutes)" >&2
	debootstrap --variant=minbase --cache-dir="$cache/sysguest/debs" --include="$pkgs" \
		bookworm "$r" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -20 "$tmp/debootstrap.log" >&2; unmount_under "$r"; rm -rf "$tmp"; die "debootstrap failed"; }
	guest_tune "$r"
	ls "$r/lib/modules" >"$tmp/kver"
	[ "$(wc -l <"$tmp/kver")" = 1 ] || die "the guest has not exactly one kernel: $(cat "$tmp/kver")"
	rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages
	mkfs.ext4 -q -F -L kdcroot -d "$r" "$tmp/root.img" 3G >/dev/null || die "mkfs.ext4 -d failed"
	rm -rf "$r"
	mv "$tmp" "$gdir" 2>/dev/null || rm -rf "$tmp" # a concurrent build won
}
# unmount_under DIR: what a failed debootstrap left mounted in DIR (proc, sys)
unmount_under() {
	local m
	for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" || die "cannot unmount $m: remove $1 by hand"
	done
}
# guest_tune ROOT: what the installer would have set, and the test driver
guest_tune() {
	local r=$1
	echo kdcguest >"$r/etc/hostname"
	printf 'LABEL=kdcroot / ext4 errors=remount-ro 0 1\n' >"$r/etc/fstab"
	od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$r/etc/machine-id"
	echo >>"$r/etc/machine-id"
	mkdir -p "$r/var/log/journal" # persistent journal: the test reads past boots
	# small initrds with what this machine boots from (the upgrade builds one
	# under TCG), and no fsync per file in dpkg (unpacking a kernel under TCG)
	echo MODULES=list >"$r/etc/initramfs-tools/conf.d/kdc-test"
	printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >>"$r/etc/initramfs-tools/modules"
	echo force-unsafe-io >"$r/etc/dpkg/dpkg.cfg.d/kdc-test"
	mount -t proc proc "$r/proc"
	chroot "$r" update-initramfs -u -k all >/dev/null 2>&1 || { unmount_under "$r"; die "update-initramfs in the guest failed"; }
	unmount_under "$r"
	# no network in the guest: the apt timers would only wait
	rm -f "$r"/etc/systemd/system/timers.target.wants/apt-daily*.timer
	install -D -m 0755 "$here/sysguest/driver.sh" "$r/usr/local/sbin/kdc-test"
	install -D -m 0644 "$here/sysguest/kdc-test.service" "$r/etc/systemd/system/kdc-test.service"
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/kdc-test.service "$r/etc/systemd/system/multi-user.target.wants/kdc-test.service"
}

guest_image
k0=$(cat "$gdir/kver")
[ "$k0" != "$k1" ] || die "the guest's kernel $k0 is already the newest ($k1): no upgrade to test"
k0dir=$(KVER=$k0 "$root/qemu/fetch-kernel.sh" | tail -1) || die "cannot fetch $k0's debug vmlinux"
k1deb=$cache/sysguest/debs/linux-image-${k1}_$(apt-cache show "linux-image-$k1" | sed -n 's/^Version: //p' | head -1)_amd64.deb
if [ ! -f "$k1deb" ]; then
	(cd "$work" && apt-get download -q "linux-image-$k1" >&2) || die "cannot download linux-image-$k1"
	mv "$work"/linux-image-"$k1"_*.deb "$k1deb"
fi

cp --sparse=always "$gdir/root.img" "$work/root.img"
truncate -s 1G "$work/raw.img"

# --- boots -------------------------------------------------------------------
# pick_kernel: the newest /boot/vmlinuz-* in the image (the host is the boot
# loader), copied out with its initrd -> $kv, $work/vmlinuz, $work/initrd
pick_kernel() {
	kv=$(debugfs -R "ls -p /boot" "$work/root.img" 2>/dev/null |
		awk -F/ '$6 ~ /^vmlinuz-/ { sub(/^vmlinuz-/, "", $6); print $6 }' | sort -V | tail -1)
	[ -n "$kv" ] || die "no kernel in the guest's /boot"
	rm -f "$work/vmlinuz" "$work/initrd"
	debugfs -R "dump /boot/vmlinuz-$kv $work/vmlinuz" "$work/root.img" >/dev/null 2>&1
	debugfs -R "dump /boot/initrd.img-$kv $work/initrd" "$work/root.img" >/dev/null 2>&1
	[ -s "$work/vmlinuz" ] && [ -s "$work/initrd" ] || die "cannot read kernel $kv or its initrd off the image"
}

# payload STEP [FILE...]: the payload disk for this boot
payload() {
	local p=$work/payload step=$1
	shift
	rm -rf "$p" "$work/payload.img"
	mkdir -p "$p"
	echo "$step" >"$p/step"
	cp "$here/sysguest/steps.sh" "$p/"
	[ $# -gt 0 ] && cp "$@" "$p/"
	mkfs.ext4 -q -F -L kdcpayload -d "$p" "$work/payload.img" $(($(du -sm "$p" | cut -f1) + 32))M >/dev/null
}

# boot NAME TIMEOUT: one QEMU run, from power-on until the guest ends it
# (reboot and poweroff both end it: -no-reboot). Sets $console, $out and the
# times: $t_up (power-on -> step running), $t_total.
boot() {
	local name=$1 tmo=$2 t0 t1 tup= rc
	console=$work/$name.console out=$work/$name.out
	: >"$console"
	: >"$out"
	pick_kernel
	t0=$(date +%s.%N)
	# no_timer_check: on a busy TCG host the IO-APIC timer check can panic the
	# kernel (both kernels: load carries the first one's words to the capture kernel)
	timeout -k 5 "$tmo" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem" \
		-no-reboot -display none -vga none -parallel none -monitor none -nic none \
		-serial "file:$console" -serial "file:$out" \
		-kernel "$work/vmlinuz" -initrd "$work/initrd" \
		-append "root=LABEL=kdcroot ro console=ttyS0 crashkernel=$ck panic=-1 no_timer_check" \
		-drive "file=$work/root.img,format=raw,if=none,id=d0,cache=unsafe" -device virtio-blk-pci,drive=d0,serial=kdcroot \
		-drive "file=$work/raw.img,format=raw,if=none,id=d1,cache=unsafe" -device virtio-blk-pci,drive=d1,serial=kdcraw \
		-drive "file=$work/payload.img,format=raw,if=none,id=d2,cache=unsafe" -device virtio-blk-pci,drive=d2,serial=kdcpayload \
		2>"$work/$name.qemu" &
	qpid=$!
	while kill -0 $qpid 2>/dev/null; do
		[ -z "$tup" ] && grep -aq '^KDC-STEP ' "$out" && tup=$(date +%s.%N)
		sleep 0.5
	done
	wait $qpid && rc=0 || rc=$?
	qpid=
	t1=$(date +%s.%N)
	t_total=$(printf '%.0f' "$(echo "$t1 - $t0" | bc)")
	t_up=$([ -n "$tup" ] && printf '%.0f' "$(echo "$tup - $t0" | bc)" || echo -)
	times="$times $name=${t_up}s/${t_total}s"
	[ $rc = 124 ] || [ $rc = 137 ] && { echo "sysguest: $name: QEMU timed out after ${tmo}s" >&2; return 1; }
	[ $rc = 0 ] || { echo "sysguest: $name: QEMU failed ($rc): $(head -c 300 "$work/$name.qemu")" >&2; return 1; }
	return 0
}

# section NAME FILE: the output of the guest's `show NAME ...` (steps.sh)
section() { tr -d '\r' <"$2" | sed -n "/^KDC-BEGIN $1\$/,/^KDC-END /p" | sed '1d;$d'; }

# step_ok NAME: the step ran in the guest and reported no failure
step_ok() {
	local r=0
	tr -d '\r' <"$out" | grep -a '^KDC-FAIL' >&2 && r=1
	grep -aq "^KDC-STEP $1 kernel=$kv" "$out" || { echo "sysguest: $1: the step did not run on $kv" >&2; r=1; }
	grep -aq "^KDC-DONE $1" "$out" || { echo "sysguest: $1: the step did not finish" >&2; r=1; }
	return $r
}

# new_dump NAME: the newest dump directory under /var/crash of the root image
# that was not there before ($seen) -> $dump (its path)
seen=
new_dump() {
	local d
	dump=
	for d in $(debugfs -R "ls -p /var/crash" "$work/root.img" 2>/dev/null |
		awk -F/ 'NF > 5 && $6 != "." && $6 != ".." { print $6 }'); do
		case " $seen " in *" $d "*) ;; *) dump=/var/crash/$d ;; esac
	done
	[ -n "$dump" ] || { echo "sysguest: $1: no new dump directory in /var/crash" >&2; return 1; }
	seen="$seen ${dump##*/}"
}

# dump_check NAME VMLINUX: $dump's vmcore opens in crash: sysrq panic, its
# stack, the log line; vmcore-dmesg.txt next to it holds crash's log.
dump_check() {
	local name=$1 vmlinux=$2 c=$work/$1.crash
	rm -f "$work/vmcore" "$work/dmesg.txt"
	debugfs -R "dump $dump/vmcore $work/vmcore" "$work/root.img" >/dev/null 2>&1
	debugfs -R "dump $dump/vmcore-dmesg.txt $work/dmesg.txt" "$work/root.img" >/dev/null 2>&1
	[ -s "$work/vmcore" ] || { echo "sysguest: $name: no vmcore in $dump" >&2; return 1; }
	printf 'sys\nbt\nlog\nquit\n' | timeout 300 crash -s "$vmlinux" "$work/vmcore" >"$c" 2>&1 || true
	grep -q 'PANIC: .*sysrq triggered crash' "$c" || { echo "sysguest: $name: crash sys shows no sysrq panic" >&2; return 1; }
	grep -q 'sysrq_handle_crash' "$c" || { echo "sysguest: $name: crash bt lacks sysrq_handle_crash" >&2; return 1; }
	grep -q "RELEASE: $3" "$c" || { echo "sysguest: $name: the dump is not of kernel $3" >&2; return 1; }
	if [ -n "${4:-}" ]; then
		[ -s "$work/dmesg.txt" ] || { echo "sysguest: $name: no vmcore-dmesg.txt in $dump" >&2; return 1; }
		sed -n '/^\[ *[0-9]*\.[0-9]*\]/p' "$c" >"$work/$name.crashlog"
		grep -a '^\[ *[0-9]*\.[0-9]*\]' "$work/dmesg.txt" >"$work/$name.dmesglog" || true
		cmp -s "$work/$name.crashlog" "$work/$name.dmesglog" ||
			{ echo "sysguest: $name: vmcore-dmesg.txt differs from crash's log" >&2; return 1; }
	fi
	echo "sysguest: $name: $dump/vmcore $(stat -c %s "$work/vmcore") bytes, opened by crash" >&2
}

# captured NAME: the guest ended in the capture kernel, which saved a dump.
# Only a panic kexecs into it, so that is the proof the crash happened;
# which panic it was is checked on the dump itself (dump_check: crash's
# "PANIC: sysrq triggered crash"). The crashed kernel's own lines are no
# proof either way: sysrq's line is KERN_INFO, past systemd's console level
# 4, and even the panic line stays in the log buffer, never reaching the
# console, when another CPU held the console as panic kexec'd (CI saw both
# missing from a crash that was captured).
captured() {
	grep -aq 'kdumpcap: collector: ' "$console" ||
		{ echo "sysguest: $1: never crashed (the capture kernel's kdumpcap never ran)" >&2; return 1; }
	grep -aq 'kdumpcap: dump saved' "$console" || { echo "sysguest: $1: the capture kernel saved no dump" >&2; return 1; }
}

show_status() { # NAME FILE: the guest's service and status output, for --show
	[ $show = 1 ] || return 0
	local s
	for s in $(tr -d '\r' <"$2" | sed -n "s/^KDC-BEGIN \($1[^ ]*\)\$/\1/p"); do
		echo "== guest: $s"
		section "$s" "$2"
	done
}

times=
fail=0
result() { # CLAIM OK
	if [ "$2" = 1 ]; then echo "ok - sysguest $1"; else echo "not ok - sysguest $1"; fail=1; fi
}
pkgfiles=("$deb")
[ -n "$deb" ] || pkgfiles=("$bin" "$here/sysguest/manual.service")

# The flow: step, QEMU timeout, files for the payload, what it ends with
# (reboot | capture | poweroff), the kernel of the dump it finds on the root
# file system (or -) and whether vmcore-dmesg.txt is next to it (a dump
# restored from a raw disk has none), the --show sections, the claim.
flow=(
	"install|400|pkg|reboot|-|-|before-reboot|install: package installed, services enabled on $k0"
	"crash1|400||capture|$k0|dmesg|before-crash1|crash1: loaded at boot, sysrq-c captured to ext4 /var/crash, crash opens the dump ($k0)"
	"raw|400||capture|-|-|after-crash1 before-raw|raw: status and journal report the capture; kdump.conf switched to a raw disk, service restarted, sysrq-c captured"
	"upgrade|1200|$k1deb|reboot|$k0|-|after-raw|upgrade: kdumpcap-savecore.service restored the raw dump at boot (crash opens it); dpkg -i linux-image-$k1 built its image"
	"crash2|400||capture|$k1|dmesg|before-crash2|crash2: after the kernel upgrade the crash is captured ($k1)"
	"final|400||poweroff|-|-|after-crash2|final: status and journal report the last capture"
)
for f in "${flow[@]}"; do
	IFS='|' read -r step tmo files ends dumpk dmesg sects claim <<<"$f"
	[ "$files" = pkg ] && files="${pkgfiles[*]}"
	[ "$dmesg" = - ] && dmesg=
	ok=1
	payload "$step" $files
	boot "$step" "$tmo" && step_ok "$step" || ok=0
	[ $ok = 1 ] && [ "$ends" = capture ] && { captured "$step" || ok=0; }
	for s in $sects; do show_status "$s" "$out"; done
	if [ $ok = 1 ] && [ "$dumpk" != - ]; then
		dumpdir=$k1dir
		[ "$dumpk" = "$k0" ] && dumpdir=$k0dir
		new_dump "$step" && dump_check "$step" "$dumpdir/vmlinux" "$dumpk" $dmesg || ok=0
	fi
	result "$claim" $ok
	[ $ok = 1 ] && continue
	tail -30 "$out" >&2
	[ "$ends" = capture ] && tail -30 "$console" >&2
	break
done
echo "sysguest: boot times (power-on -> step running / whole run):$times" >&2
exit $fail
