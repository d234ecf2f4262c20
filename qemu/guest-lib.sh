# Helpers for the busybox guests of the QEMU harness (sourced; test-only).
# The caller defines die().

# mods_index MODDIR: index the kernel's .ko files (or .ko.xz, as 6.12's are)
# by name (dashes as underscores).
# Modules built into the kernel (modules.builtin) need nothing.
declare -A modpath=() loaded=() builtin=()
modorder=()
mods_index() {
	local f n
	modpath=() builtin=()
	while IFS= read -r f; do
		n=$(basename "${f%.xz}" .ko)
		modpath[${n//-/_}]=$f
	done < <(find "$1/kernel" -name '*.ko' -o -name '*.ko.xz')
	[ -f "$1/modules.builtin" ] || return 0
	while IFS= read -r f; do
		n=$(basename "$f" .ko)
		builtin[${n//-/_}]=1
	done <"$1/modules.builtin"
}
mod_cat() { case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac; }
# Modules and their hard dependencies (from each .ko's .modinfo), deps first.
# Soft dependencies are not in .modinfo's depends=: ext4/jbd2 need crc32c.
add_mod() {
	local n=${1//-/_} d
	[ -n "${loaded[$n]:-}" ] || [ -n "${builtin[$n]:-}" ] && return 0
	[ -n "${modpath[$n]:-}" ] || die "module $n not found (mods_index first)"
	loaded[$n]=1
	for d in $(mod_cat "${modpath[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_mod "$d"
	done
	modorder+=("$n")
}
# mods_for INITRAMFS-DIR MODULE...: copy the modules with their dependencies
# and write lib/modules/order, the order to insmod them in.
mods_for() {
	local dir=$1 m
	shift
	loaded=() modorder=()
	for m in "$@"; do add_mod "$m"; done
	mkdir -p "$dir/lib/modules"
	for m in "${modorder[@]}"; do
		mod_cat "${modpath[$m]}" >"$dir/lib/modules/$m.ko"
	done
	printf '%s\n' "${modorder[@]}" >"$dir/lib/modules/order"
}

# skel DIR [BUSYBOX]: initramfs skeleton with a static busybox (default the
# host's /bin/busybox) and its applets.
skel() {
	mkdir -p "$1"/{bin,sbin,dev,proc,sys,tmp,mnt,run}
	cp "${2:-/bin/busybox}" "$1/bin/busybox"
	for a in sh mount umount insmod cat echo sleep dd stat poweroff reboot mkdir ls sync grep sed \
		test head tail wc cp; do
		ln -sf busybox "$1/bin/$a"
	done
}
mkcpio() { (cd "$1" && find . | cpio -o -H newc --quiet) >"$2"; }

# elf_core_check FILE SIZE: FILE is an ELF64 core with one PT_NOTE and PT_LOADs
# whose last segment ends at SIZE (the length the capture kernel reported).
elf_core_check() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
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
PY
}

# Options both vmcore harnesses take. vm_opt ARGS...: if $1 is one of them,
# set it and vm_shift to the number of words it used, else vm_shift=0.
mem= kaslr=on cpus=2 ck=256M force=0 keep=0
vm_opt() {
	vm_shift=2
	case $1 in
	--mem) mem=${2:?} ;;
	--kaslr) kaslr=${2:?} ;;
	--cpus) cpus=${2:?} ;;
	--crashkernel) ck=${2:?} ;;
	--force) force=1; vm_shift=1 ;;
	--keep-work) keep=1; vm_shift=1 ;;
	*) vm_shift=0 ;;
	esac
}
vm_check_opts() {
	[[ $mem =~ ^[0-9]+$ ]] && [ "$mem" -ge 512 ] || die "--mem must be a number of MiB >= 512"
	[[ $kaslr = on || $kaslr = off ]] || die "--kaslr must be on or off"
	[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive number"
	[[ $ck =~ ^[0-9]+[MG]$ ]] || die "--crashkernel must look like 256M or 1G"
}

# vm_slot DIR: the cache slot DIR/vmcore for this key, locked (another run
# making the same vmcore: wait for it); a cached vmcore is printed and the
# script ends unless --force. Then a fresh work dir $work (removed at exit
# unless --keep-work) and log().
vm_slot() {
	out=$1
	mkdir -p "$out"
	exec 9>"$out/.lock"
	flock 9
	if [ -s "$out/vmcore" ] && [ -s "$out/info" ] && [ "$force" = 0 ]; then
		echo "$out/vmcore"
		exit 0
	fi
	rm -f "$out/vmcore" "$out/info"
	work=$(mktemp -d "$(dirname "$out")/.work.XXXXXX")
	trap vm_cleanup EXIT
	t0=$(date +%s)
}
vm_cleanup() { [ "$keep" = 1 ] && echo "$(basename "$0" .sh): work dir kept: $work" >&2 || rm -rf "$work"; }
log() { echo "$(basename "$0" .sh): [$(($(date +%s) - t0))s] $*" >&2; }

# vm_collect CONSOLE DISK: after the capture kernel copied /proc/vmcore to DISK
# (qemu/guest/capture-init), check its console markers, cut DISK to the
# vmcore's length, check it is a consistent core and move it to $out/vmcore.
# Sets size.
vm_collect() {
	local console=$1 disk=$2
	grep -aq 'MKVMCORE-CAPTURE: started' "$console" || die "capture kernel never started (kdump did not happen); see $out/console.log"
	grep -a 'MKVMCORE-CAPTURE-FAIL' "$console" && die "capture step failed; see $out/console.log"
	grep -aq 'MKVMCORE-CAPTURE: DONE' "$console" || die "capture kernel did not finish the copy; see $out/console.log"
	size=$(tr -d '\r' <"$console" | sed -n 's/.*MKVMCORE-CAPTURE: VMCORE_SIZE=\([0-9]*\).*/\1/p' | tail -1)
	[ -n "$size" ] && [ "$size" -gt 0 ] || die "capture kernel did not report the vmcore size"
	[ "$(stat -c %s "$disk")" -ge "$size" ] || die "vmcore ($size bytes) larger than its disk"
	truncate -s "$size" "$disk"
	elf_core_check "$disk" "$size" || die "the copied vmcore is not a consistent ELF64 core"
	mv "$disk" "$out/vmcore"
}
# vm_qemu_done RC TIMEOUT CONSOLE: QEMU's exit status and the first kernel's failures.
vm_qemu_done() {
	[ "$1" = 124 ] || [ "$1" = 137 ] && die "QEMU timed out after ${2}s; see $out/console.log"
	[ "$1" = 0 ] || die "QEMU failed (exit $1): $(head -c 500 "$work/qemu.err"); see $out/console.log"
	grep -a 'MKVMCORE-FAIL' "$3" && die "first kernel step failed; see $out/console.log"
	return 0
}
