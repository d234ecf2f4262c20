#!/usr/bin/env bash
# Boot Debian's arm64 kernel under qemu-system-aarch64 (TCG) and make an arm64
# vmcore, the capture kernel loaded by Debian's arm64 kexec-tools (`kexec -p`:
# the kernel has no KEXEC_FILE). Test-only harness, the arm64 sibling of
# qemu/mkvmcore.sh (whose guest helpers, qemu/guest-lib.sh, it shares).
#
#   qemu/mkvmcore-arm64.sh [--boot-only] [--mem MB] [--kaslr on|off] [--cpus N]
#                          [--crashkernel SIZE] [--force] [--keep-work]
#
# Defaults: --mem 1024 --kaslr on --cpus 2 --crashkernel 256M.
# --boot-only: boot to the busybox shell, print /proc/cmdline and
# /sys/kernel/kexec_crash_size, power off; prints the seconds it took.
# Otherwise the last line on stdout is the vmcore path:
#   ${KDUMPCAP_CACHE:-~/.cache/kdumpcap}/arm64/vmcore/<key>/vmcore
# next to info and console.log. A cached vmcore is returned at once.
# The first kernel fills memory with qemu/guest/memload (anonymous with zero
# pages, hugetlb, tmpfs), `kexec -p` loads the same Image with the capture
# initramfs of mkvmcore.sh (qemu/guest/capture-init), sysrq-c; the capture
# kernel copies /proc/vmcore to a raw virtio disk.
set -euo pipefail
{
here=$(cd "$(dirname "$0")" && pwd)
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}/arm64
recipe=v1 # bump when the guest recipe changes: invalidates cached vmcores
# Debian's arm64 packages put in the first kernel's initramfs: busybox and
# kexec-tools with the shared libraries it needs (glibc, zlib, Xen's libs).
guest_debs=(busybox-static kexec-tools libc6 zlib1g libxenmisc4.17 libxencall1 libxendevicemodel1
	libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoollog1 libxentoolcore1 libxenhypfs1
	libxenstore4 libyajl2 libfdt1 libuuid1 libext2fs2)

. "$here/guest-lib.sh"
mem=1024 bootonly=0
die() { echo "mkvmcore-arm64: $*" >&2; exit 1; }
usage() { sed -n '7,8p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	vm_opt "$@"
	[ $vm_shift -gt 0 ] && shift $vm_shift && continue
	case $1 in
	--boot-only) bootonly=1; shift ;;
	-h|--help) usage ;;
	*) echo "mkvmcore-arm64: unknown option $1" >&2; usage ;;
	esac
done
vm_check_opts
for t in qemu-system-aarch64 aarch64-linux-musl-gcc aarch64-linux-gnu-nm cpio timeout flock dpkg-deb; do
	command -v $t >/dev/null || die "$t not installed: run tests/setup-host.sh"
done

kdir=$(KDC_ARCH=arm64 "$here/fetch-kernel.sh" | tail -1) || die "KDC_ARCH=arm64 qemu/fetch-kernel.sh failed"
kver=$(basename "$kdir")
moddir=$kdir/lib/modules/$kver
mods_index "$moddir"

# The guest packages, unpacked once into a cached root.
sysroot=$cache/guest-root/$recipe
if [ ! -x "$sysroot/sbin/kexec" ]; then
	rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp/debs"
	(cd "$sysroot.tmp/debs" && apt-get download -q "${guest_debs[@]/%/:arm64}" >&2) ||
		die "apt-get download of the arm64 guest packages failed (dpkg --add-architecture arm64; apt-get update)"
	for d in "$sysroot.tmp"/debs/*.deb; do dpkg-deb -x "$d" "$sysroot.tmp"; done
	rm -rf "$sysroot.tmp/debs" "$sysroot"
	mv "$sysroot.tmp" "$sysroot"
fi

key=${kver}_m${mem}_kaslr-${kaslr}_c${cpus}_ck${ck}_${recipe}
[ $bootonly = 1 ] && key=boot-only_$key force=1
vm_slot "$cache/vmcore/$key"

# _text's offset below _stext, for the kallsyms line the guest adds (see its init)
syms=$(aarch64-linux-gnu-nm "$kdir/vmlinux" | sed -n 's/^\([0-9a-f]*\) . \(_text\|_stext\)$/\2=\1/p')
text=$(echo "$syms" | sed -n 's/^_text=//p') stext=$(echo "$syms" | sed -n 's/^_stext=//p')
[ -n "$text" ] && [ -n "$stext" ] || die "no _text/_stext in $kdir/vmlinux"
text_delta=$((0x$stext - 0x$text))
anon_mb=$((mem / 4)) tmpfs_mb=$((mem * 8 / 100)) huge_pages=$((mem * 4 / 100 / 2))
# memload's hugetlb pages are 2 MiB: a 16 or 64 KiB-page kernel's are 32 or 512 MiB
grep -q '^CONFIG_ARM64_4K_PAGES=y' "$kdir/config" || huge_pages=0
aarch64-linux-musl-gcc -static -O2 -o "$work/memload" "$here/guest/memload.c" || die "building qemu/guest/memload failed"

cap=$work/capture-root
skel "$cap" "$sysroot/bin/busybox"
mods_for "$cap" virtio_pci virtio_blk
cp "$here/guest/capture-init" "$cap/init"

first=$work/first-root
skel "$first" "$sysroot/bin/busybox"
mkdir -p "$first/boot" "$first/usr/lib"
cp -a "$sysroot/lib" "$first/"
cp -a "$sysroot/usr/lib/aarch64-linux-gnu" "$first/usr/lib/"
rm -rf "$first/usr/lib/aarch64-linux-gnu/gconv"
cp "$sysroot/sbin/kexec" "$first/sbin/kexec"
cp "$work/memload" "$first/bin/memload"
cp "$here/guest/first-lib.sh" "$first/lib/first-lib.sh"
cp -L "$kdir/Image" "$first/boot/Image"
mkcpio "$cap" "$first/boot/capture.img"
cat >"$first/init" <<EOF
#!/bin/sh
BOOT_ONLY=$bootonly TEXT_DELTA=$text_delta KEXEC_DEBUG=${KEXEC_DEBUG:-} ANON_MB=$anon_mb HUGE_PAGES=$huge_pages TMPFS_MB=$tmpfs_mb
EOF
cat >>"$first/init" <<'EOF'
. /lib/first-lib.sh
step "first kernel up: $(cat /proc/cmdline)"
step "kexec_crash_size=$(cat /sys/kernel/kexec_crash_size) uptime=$(cat /proc/uptime)"
step "kptr_restrict=$(cat /proc/sys/kernel/kptr_restrict) kallsyms: $(head -n 2 /proc/kallsyms | tr '\n' ' ')$(grep -m1 ' _text$' /proc/kallsyms)"
step "crash kernel: $(grep -i 'crash kernel' /proc/iomem | tr '\n' ' ')"
if [ "$BOOT_ONLY" = 1 ]; then
	step "BOOT-ONLY done"
	poweroff -f
fi
memload_start $ANON_MB $HUGE_PAGES $TMPFS_MB
# Debian's arm64 kernel has no _text in /proc/kallsyms (KALLSYMS_ALL is off, and
# _text lies below _stext); kexec-tools 2.0.25 then writes a garbage kernel-text
# PT_LOAD that makes /proc/vmcore unreadable. Give it the line it looks for.
st=$(grep -m1 ' _stext$' /proc/kallsyms)
{ cat /proc/kallsyms; printf '%016x T _text\n' $((0x${st%% *} - TEXT_DELTA)); } >/run/kallsyms
mount --bind /run/kallsyms /proc/kallsyms || fail "bind-mounting /proc/kallsyms"
kexec $KEXEC_DEBUG -p /boot/Image --initrd=/boot/capture.img \
	--append="console=ttyAMA0 nr_cpus=1 reset_devices panic=-1" || fail "kexec -p"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kexec_crash_loaded is not 1"
step "capture kernel loaded"
step "crashing"
sync
echo c >/proc/sysrq-trigger
fail "still alive after sysrq-c"
EOF
chmod +x "$first/init"
mkcpio "$first" "$work/first.img"
truncate -s $((mem + 64))M "$work/vmcore.disk"
log "images built: $key"

cmdline="console=ttyAMA0 crashkernel=$ck panic=-1"
machine=virt
# kaslr off: also no kaslr-seed in QEMU's device tree: with nokaslr alone the
# seed stays there and kexec-tools 2.0.25 fails ("setup_2nd_dtb failed")
[ "$kaslr" = off ] && cmdline="$cmdline nokaslr" machine=virt,dtb-randomness=off
tmo=${MKVMCORE_TIMEOUT:-$((300 + mem / 4))}
console=$work/console.log
set +e
start=$(date +%s.%N)
timeout -k 10 "$tmo" qemu-system-aarch64 -M $machine -cpu max,pauth-impdef=on -accel tcg \
	-smp "$cpus" -m "$mem" -no-reboot -display none -monitor none -serial "file:$console" \
	-kernel "$kdir/Image" -initrd "$work/first.img" -append "$cmdline" \
	-drive "file=$work/vmcore.disk,format=raw,if=none,id=d1,cache=unsafe" \
	-device virtio-blk-pci,drive=d1,serial=vmcore \
	2>"$work/qemu.err"
rc=$?
set -e
secs=$(echo "$(date +%s.%N) - $start" | bc)
cp "$console" "$out/console.log" 2>/dev/null || true
vm_qemu_done $rc "$tmo" "$console"
if [ $bootonly = 1 ]; then
	grep -aq 'MKVMCORE: BOOT-ONLY done' "$console" || die "the guest did not reach its shell; see $out/console.log"
	tr -d '\r' <"$console" | grep -a '^MKVMCORE: ' >&2
	echo "boot to shell and power-off: ${secs}s"
	exit 0
fi
grep -aq 'MKVMCORE: crashing' "$console" || die "first kernel never reached sysrq-c; see $out/console.log"
vm_collect "$console" "$work/vmcore.disk"
{
	echo "KVER=$kver"
	echo "VMLINUX=$kdir/vmlinux"
	echo "IMAGE=$kdir/Image"
	echo "MEM_MB=$mem"
	echo "KASLR=$kaslr"
	echo "CPUS=$cpus"
	echo "CRASHKERNEL=$ck"
	echo "ANON_MB=$anon_mb"
	echo "TMPFS_MB=$tmpfs_mb"
	echo "HUGE_PAGES=$huge_pages"
	echo "VMCORE_SIZE=$size"
	echo "MEMLOAD=\"$(tr -d '\r' <"$console" | grep -a '^MEMLOAD ready' | tail -1)\""
	echo "SECONDS=$secs"
	echo "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$out/info.tmp"
mv "$out/info.tmp" "$out/info"
log "vmcore ready ($size bytes, QEMU ran ${secs}s)"
echo "$out/vmcore"
exit 0
}
