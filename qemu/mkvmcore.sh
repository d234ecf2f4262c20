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

mem=1536 paging=4 kaslr=on cpus=2 ck=256M force=0 keep=0
die() { echo "mkvmcore: $*" >&2; exit 1; }
usage() { sed -n '5,6p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=${2:?}; shift 2 ;;
	--paging) paging=${2:?}; shift 2 ;;
	--kaslr) kaslr=${2:?}; shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--crashkernel) ck=${2:?}; shift 2 ;;
	--force) force=1; shift ;;
	--keep-work) keep=1; shift ;;
	-h|--help) usage ;;
	*) echo "mkvmcore: unknown option $1" >&2; usage ;;
	esac
done
[[ $mem =~ ^[0-9]+$ ]] && [ "$mem" -ge 512 ] || die "--mem must be a number of MiB >= 512"
[[ $paging = 4 || $paging = 5 ]] || die "--paging must be 4 or 5"
[[ $kaslr = on || $kaslr = off ]] || die "--kaslr must be on or off"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive number"
[[ $ck =~ ^[0-9]+[MG]$ ]] || die "--crashkernel must look like 256M or 1G"

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
out=$cache/vmcore/$key
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9 # another mkvmcore making the same vmcore: wait for it
if [ -s "$out/vmcore" ] && [ -s "$out/info" ] && [ $force = 0 ]; then
	echo "$out/vmcore"
	exit 0
fi
rm -f "$out/vmcore" "$out/info"

work=$(mktemp -d "$cache/vmcore/.work.XXXXXX")
cleanup() { [ $keep = 1 ] && echo "mkvmcore: work dir kept: $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
t0=$(date +%s)
log() { echo "mkvmcore: [$(($(date +%s) - t0))s] $*" >&2; }

# Memory load, as shares of RAM: anonymous 25%, page cache 15%, tmpfs 8%,
# hugetlb 4% (2 MiB pages); the rest is kernel, initramfs, crashkernel and free.
anon_mb=$((mem / 4))
file_mb=$((mem * 15 / 100))
tmpfs_mb=$((mem * 8 / 100))
huge_pages=$((mem * 4 / 100 / 2))

musl-gcc -static -O2 -o "$work/memload" "$here/guest/memload.c" || die "building qemu/guest/memload failed"

# Modules and their hard dependencies (from each .ko's .modinfo), deps first.
# Soft dependencies are not in .modinfo's depends=: ext4/jbd2 need crc32c.
declare -A modpath=() loaded=()
while IFS= read -r f; do
	n=$(basename "$f" .ko)
	modpath[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko')
modorder=()
add_mod() {
	local n=${1//-/_} d
	[ -n "${loaded[$n]:-}" ] && return 0
	[ -n "${modpath[$n]:-}" ] || die "module $n not found under $moddir"
	loaded[$n]=1
	for d in $(tr '\0' '\n' <"${modpath[$n]}" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_mod "$d"
	done
	modorder+=("$n")
}
mods_for() { # initramfs-dir module...
	local dir=$1 m
	shift
	loaded=() modorder=()
	for m in "$@"; do add_mod "$m"; done
	mkdir -p "$dir/lib/modules"
	for m in "${modorder[@]}"; do
		cp "${modpath[$m]}" "$dir/lib/modules/$m.ko"
	done
	printf '%s\n' "${modorder[@]}" >"$dir/lib/modules/order"
}

# Common initramfs skeleton: static busybox and its applets.
skel() {
	mkdir -p "$1"/{bin,sbin,dev,proc,sys,tmp,mnt,run}
	cp /bin/busybox "$1/bin/busybox"
	for a in sh mount umount insmod cat echo sleep dd stat poweroff reboot mkdir ls sync grep sed \
		test head tail wc cp; do
		ln -sf busybox "$1/bin/$a"
	done
}
mkcpio() { (cd "$1" && find . | cpio -o -H newc --quiet) >"$2"; }

# Capture-kernel initramfs: copy /proc/vmcore to the disk with serial "vmcore".
cap=$work/capture-root
skel "$cap"
mods_for "$cap" virtio_pci virtio_blk
cat >"$cap/init" <<'EOF'
#!/bin/sh
fail() { echo "MKVMCORE-CAPTURE-FAIL: $*"; sync; poweroff -f; reboot -f; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "MKVMCORE-CAPTURE: started"
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || fail "insmod $m"
done
[ -e /proc/vmcore ] || fail "no /proc/vmcore: not a capture kernel?"
size=$(stat -c %s /proc/vmcore)
echo "MKVMCORE-CAPTURE: VMCORE_SIZE=$size"
disk=
i=0
while [ -z "$disk" ] && [ $i -lt 300 ]; do
	for s in /sys/block/vd*/serial; do
		[ -e "$s" ] && [ "$(cat $s)" = vmcore ] && disk=${s%/serial} && disk=${disk##*/}
	done
	[ -n "$disk" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$disk" ] || fail "no virtio disk with serial vmcore"
echo "MKVMCORE-CAPTURE: copying to /dev/$disk"
dd if=/proc/vmcore of=/dev/$disk bs=1M conv=fsync 2>/tmp/dd.err || { cat /tmp/dd.err; fail "dd"; }
cat /tmp/dd.err
sync
echo "MKVMCORE-CAPTURE: DONE"
poweroff -f
reboot -f
EOF
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
cat >"$first/init" <<EOF
#!/bin/sh
ANON_MB=$anon_mb HUGE_PAGES=$huge_pages TMPFS_MB=$tmpfs_mb
EOF
cat >>"$first/init" <<'EOF'
fail() { echo "MKVMCORE-FAIL: $*"; sync; poweroff -f; reboot -f; }
step() { echo "MKVMCORE: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
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
mkdir -p /run/tmpfs
mount -t tmpfs -o size=$((TMPFS_MB + 16))m tmpfs /run/tmpfs || fail "mount tmpfs"
echo $HUGE_PAGES >/proc/sys/vm/nr_hugepages
got=$(cat /proc/sys/vm/nr_hugepages)
[ "$got" = "$HUGE_PAGES" ] || fail "only $got of $HUGE_PAGES hugetlb pages"
memload run $ANON_MB $HUGE_PAGES /run/tmpfs/data $TMPFS_MB /run/memload.ready &
i=0
while [ ! -e /run/memload.ready ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /run/memload.ready ] || fail "memload did not get ready"
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
[ $rc = 124 ] || [ $rc = 137 ] && die "QEMU timed out after ${tmo}s; see $out/console.log"
[ $rc = 0 ] || die "QEMU failed (exit $rc): $(head -c 500 "$work/qemu.err"); see $out/console.log"
grep -a 'MKVMCORE-FAIL' "$console" && die "first kernel step failed; see $out/console.log"
grep -aq 'MKVMCORE: capture kernel loaded' "$console" || die "first kernel never loaded the capture kernel; see $out/console.log"
grep -aq 'MKVMCORE: crashing' "$console" || die "first kernel never reached sysrq-c; see $out/console.log"
grep -aq 'MKVMCORE-CAPTURE: started' "$console" || die "capture kernel never started (kdump did not happen); see $out/console.log"
grep -a 'MKVMCORE-CAPTURE-FAIL' "$console" && die "capture step failed; see $out/console.log"
grep -aq 'MKVMCORE-CAPTURE: DONE' "$console" || die "capture kernel did not finish the copy; see $out/console.log"
grep -a 'MKVMCORE-CHECK-FAILED' "$console" >&2 && echo "mkvmcore: warning: kdumpcap load/unload checks failed (vmcore still made)" >&2
size=$(tr -d '\r' <"$console" | sed -n 's/.*MKVMCORE-CAPTURE: VMCORE_SIZE=\([0-9]*\).*/\1/p' | tail -1)
[ -n "$size" ] && [ "$size" -gt 0 ] || die "capture kernel did not report the vmcore size"
[ "$(stat -c %s "$work/vmcore.disk")" -ge "$size" ] || die "vmcore ($size bytes) larger than its disk"
truncate -s "$size" "$work/vmcore.disk"
# The ELF header must say the same length: end of the last segment == size.
/usr/bin/python3 - "$work/vmcore.disk" "$size" <<'EOF' || die "the copied vmcore is not a consistent ELF64 core"
import struct, sys
f = open(sys.argv[1], 'rb'); size = int(sys.argv[2])
h = f.read(64)
assert h[:4] == b'\x7fELF' and h[4] == 2 and h[16] == 4, "not an ELF64 core"
phoff, = struct.unpack_from('<Q', h, 32); phentsize, phnum = struct.unpack_from('<HH', h, 54)
f.seek(phoff); end = 0; loads = 0; notes = 0
for i in range(phnum):
    t, fl, off, va, pa, fsz, msz, al = struct.unpack('<IIQQQQQQ', f.read(phentsize)[:56])
    end = max(end, off + fsz); loads += t == 1; notes += t == 4
assert notes == 1 and loads > 1, "want 1 PT_NOTE and PT_LOADs, got %d/%d" % (notes, loads)
assert end == size, "ELF end %d != reported size %d" % (end, size)
EOF
mv "$work/vmcore.disk" "$out/vmcore"
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
