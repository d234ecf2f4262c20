#!/usr/bin/env bash
# Make a real vmcore (ELF, as /proc/vmcore shows it) of Debian's kernel under
# QEMU TCG, with memory of every kind in use, and cache it. Test-only harness.
#
#   qemu/mkvmcore.sh [--mem MB] [--paging 4|5] [--kaslr on|off] [--cpus N]
#                    [--crashkernel SIZE] [--force] [--keep-work]
#
# Defaults: --mem 1536 --paging 4 --kaslr on --cpus 2 --crashkernel 256M.
# The last line on stdout is the vmcore path:
#   ${KDUMPCAP_CACHE:-~/.cache/kdumpcap}/vmcore/<key>/vmcore
# Next to it: info (KVER, VMLINUX, VMLINUZ, parameters, MEMLOAD line),
# console.log (both kernels), first.log / capture.log (split), meminfo (first
# kernel, just before the crash). A cached vmcore is returned at once.
#
# Cycle: the first kernel boots a busybox initramfs (built here), loads
# virtio/ext4 modules, fills memory (qemu/guest/memload: anonymous pages with
# some zero pages, hugetlb pages, a tmpfs file; plus page cache from a file on
# an ext4 disk), loads the capture kernel with the product's `kdumpcap load`
# and panics with sysrq-c. The capture kernel (same vmlinuz, second busybox
# initramfs) copies /proc/vmcore to a raw virtio disk (serial "vmcore") and
# powers off; the host cuts that disk to the vmcore's length.
#
# Environment: KDUMPCAP_CACHE, KDUMPCAP_BIN (default build/kdumpcap),
# MKVMCORE_TIMEOUT (seconds for the whole QEMU run).
set -euo pipefail
# The whole script is one compound command: bash parses it before running it,
# so editing this file cannot derail a run in progress.
{
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}
recipe=v1 # bump when the guest recipe changes: invalidates cached vmcores

. "$here/guest-lib.sh"
mem=1536 paging=4
die() { echo "mkvmcore: $*" >&2; exit 1; }
usage() { sed -n '5,6p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	vm_opt "$@"
	[ $vm_shift -gt 0 ] && shift $vm_shift && continue
	case $1 in
	--paging) paging=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "mkvmcore: unknown option $1" >&2; usage ;;
	esac
done
vm_check_opts
[[ $paging = 4 || $paging = 5 ]] || die "--paging must be 4 or 5"

kdir=$("$root/qemu/fetch-kernel.sh" | tail -1) || die "qemu/fetch-kernel.sh failed"
kver=$(basename "$kdir")
moddir=$kdir/lib/modules/$kver
for f in "$kdir/vmlinuz" "$kdir/vmlinux" "$moddir"; do
	[ -e "$f" ] || die "$f missing: run qemu/fetch-kernel.sh"
done
kdumpcap=${KDUMPCAP_BIN:-$root/build/kdumpcap}
[ -x "$kdumpcap" ] || die "$kdumpcap missing: run make first"
for t in qemu-system-x86_64 busybox cpio mkfs.ext4 musl-gcc timeout flock; do
	command -v $t >/dev/null || die "$t not installed"
done
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || die "/bin/busybox is not static: apt-get install busybox-static"

key=${kver}_m${mem}_p${paging}_kaslr-${kaslr}_c${cpus}_ck${ck}_${recipe}
vm_slot "$cache/vmcore/$key"

# Memory load, as shares of RAM: anonymous 25%, page cache 15%, tmpfs 8%,
# hugetlb 4% (2 MiB pages); the rest is kernel, initramfs, crashkernel and free.
anon_mb=$((mem / 4))
file_mb=$((mem * 15 / 100))
tmpfs_mb=$((mem * 8 / 100))
huge_pages=$((mem * 4 / 100 / 2))

musl-gcc -static -O2 -o "$work/memload" "$here/guest/memload.c" || die "building qemu/guest/memload failed"

mods_index "$moddir"

# Capture-kernel initramfs: copy /proc/vmcore to the disk with serial "vmcore".
cap=$work/capture-root
skel "$cap"
mods_for "$cap" virtio_pci virtio_blk
cp "$here/guest/capture-init" "$cap/init"
chmod +x "$cap/init"

# First-kernel initramfs.
first=$work/first-root
skel "$first"
mods_for "$first" virtio_pci virtio_blk ext4 crc32c_generic
mkdir -p "$first/boot"
cp "$kdir/vmlinuz" "$first/boot/vmlinuz"
mkcpio "$cap" "$first/boot/capture.img"
cp "$kdumpcap" "$first/bin/kdumpcap"
cp "$work/memload" "$first/bin/memload"
cp "$here/guest/first-lib.sh" "$first/lib/first-lib.sh"
cat >"$first/init" <<EOF
#!/bin/sh
ANON_MB=$anon_mb HUGE_PAGES=$huge_pages TMPFS_MB=$tmpfs_mb
EOF
cat >>"$first/init" <<'EOF'
. /lib/first-lib.sh
step "first kernel up: $(cat /proc/cmdline)"
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || fail "insmod $m"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] || fail "no /dev/vda"
mount -t ext4 -o ro /dev/vda /mnt || fail "mount ext4 /dev/vda"
cat /mnt/data.bin >/dev/null || fail "reading /mnt/data.bin into the page cache"
step "page cache loaded"
memload_start $ANON_MB $HUGE_PAGES $TMPFS_MB
# The product's load/unload round trip and one refused image, checked on the
# way (reported as MKVMCORE-CHECK lines; they do not stop the vmcore).
if kdumpcap load --kernel /boot/vmlinuz --initrd /boot/capture.img && kdumpcap unload &&
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 0 ]; then
	step "CHECK load+unload ok"
else
	echo "MKVMCORE-CHECK-FAILED: load+unload round trip"
fi
if kdumpcap load --kernel /bin/memload --initrd /boot/capture.img; then
	echo "MKVMCORE-CHECK-FAILED: kdumpcap load accepted a non-kernel file"
else
	step "CHECK non-kernel refused"
fi
kdumpcap load --kernel /boot/vmlinuz --initrd /boot/capture.img --append no_timer_check || fail "kdumpcap load"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kexec_crash_loaded is not 1"
step "capture kernel loaded"
echo "MKVMCORE-MEMINFO-BEGIN"
cat /proc/meminfo
echo "MKVMCORE-MEMINFO-END"
step "crashing"
sync
echo c >/proc/sysrq-trigger
fail "still alive after sysrq-c"
EOF
chmod +x "$first/init"
mkcpio "$first" "$work/first.img"

# ext4 disk with the page-cache file; raw disk for the vmcore.
mkdir -p "$work/ext4"
"$work/memload" gen "$work/ext4/data.bin" "$file_mb" || die "generating the data file failed"
mkfs.ext4 -q -F -d "$work/ext4" -L kdcdata "$work/data.img" $((file_mb + 64))M >/dev/null ||
	die "mkfs.ext4 of the data disk failed"
rm -rf "$work/ext4"
truncate -s $((mem + 64))M "$work/vmcore.disk"
log "images built: $key"

cpu=max
[ "$paging" = 4 ] && cpu=max,la57=off
cmdline="console=ttyS0 crashkernel=$ck panic=-1 no_timer_check"
[ "$kaslr" = off ] && cmdline="$cmdline nokaslr"
tmo=${MKVMCORE_TIMEOUT:-$((180 + mem / 8))}
console=$work/console.log
set +e
timeout -k 10 "$tmo" qemu-system-x86_64 -accel tcg -cpu "$cpu" -smp "$cpus" -m "$mem" \
	-no-reboot -display none -monitor none -serial "file:$console" \
	-kernel "$kdir/vmlinuz" -initrd "$work/first.img" -append "$cmdline" \
	-drive "file=$work/data.img,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0,serial=data \
	-drive "file=$work/vmcore.disk,format=raw,if=none,id=d1,cache=unsafe" \
	-device virtio-blk-pci,drive=d1,serial=vmcore \
	2>"$work/qemu.err"
rc=$?
set -e
cp "$console" "$out/console.log" 2>/dev/null || true
# keep both kernels' logs apart: the capture kernel's starts at its second "Linux version"
awk -v a="$out/first.log" -v b="$out/capture.log" \
	'/Linux version/ { n++ } { print > (n >= 2 ? b : a) }' "$out/console.log" 2>/dev/null || true
sed -n '/MKVMCORE-MEMINFO-BEGIN/,/MKVMCORE-MEMINFO-END/p' "$console" | tr -d '\r' | grep -v MKVMCORE >"$out/meminfo" || true
vm_qemu_done $rc "$tmo" "$console"
grep -aq 'MKVMCORE: capture kernel loaded' "$console" || die "first kernel never loaded the capture kernel; see $out/console.log"
grep -aq 'MKVMCORE: crashing' "$console" || die "first kernel never reached sysrq-c; see $out/console.log"
grep -a 'MKVMCORE-CHECK-FAILED' "$console" >&2 && echo "mkvmcore: warning: kdumpcap load/unload checks failed (vmcore still made)" >&2
vm_collect "$console" "$work/vmcore.disk"
{
	echo "KVER=$kver"
	echo "VMLINUX=$kdir/vmlinux"
	echo "VMLINUZ=$kdir/vmlinuz"
	echo "MEM_MB=$mem"
	echo "PAGING=$paging"
	echo "KASLR=$kaslr"
	echo "CPUS=$cpus"
	echo "CRASHKERNEL=$ck"
	echo "ANON_MB=$anon_mb"
	echo "PAGECACHE_MB=$file_mb"
	echo "TMPFS_MB=$tmpfs_mb"
	echo "HUGE_PAGES=$huge_pages"
	echo "VMCORE_SIZE=$size"
	echo "MEMLOAD=\"$(tr -d '\r' <"$console" | grep -a '^MEMLOAD ready' | tail -1)\""
	echo "SECONDS=$(($(date +%s) - t0))"
	echo "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$out/info.tmp"
mv "$out/info.tmp" "$out/info"
log "vmcore ready ($size bytes)"
echo "$out/vmcore"
exit 0
}
