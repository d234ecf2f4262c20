#!/bin/sh
# The folders are layers: each may include headers of its own folder and of
# the folders below it, never of one above. The order is the Makefile's DIRS,
# bottom first (lib vmcore filter transport capture initramfs; README
# "Layout"). Also: no x86_64 constant of the dead kernel outside
# vmcore/arch_x86_64.c. Prints every line that breaks a rule and
# "not ok - layers", or "ok - layers"; exit status 0 only when none does.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
order=$(sed -n 's/^DIRS *:= *//p' Makefile)
if [ -z "$order" ]; then
	echo "not ok - layers: no 'DIRS :=' line in the Makefile"
	exit 1
fi
bad=0
below=""
for d in $order; do
	below="$below $d"
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] || continue
		incs=$(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^/"]*\)/.*|\1|p' "$f" | sort -u)
		for inc in $incs; do
			case " $below " in
			*" $inc "*) ;;
			*)
				echo "$f includes $inc/, which is not below $d (layers, bottom first: $order)"
				bad=1
				;;
			esac
		done
	done
done
# x86_64's knowledge of the dead kernel lives in its operations file alone
# (vmcore/arch.h); initramfs/ (the loader and its estimate) is not the dump's side.
x86='EM_X86_64|START_KERNEL_MAP|__START_KERNEL_map|init_top_pgt|pgtable_l5_enabled|e820|0xffffffff8[0-9a-f]{7}|0xffff888|0xffffea'
for d in $order; do
	[ "$d" = initramfs ] && continue
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] && [ "$f" != vmcore/arch_x86_64.c ] || continue
		if grep -nE "$x86" "$f"; then
			echo "$f: an x86_64 constant outside vmcore/arch_x86_64.c"
			bad=1
		fi
	done
done
# and the loader's knowledge of each architecture's kernel image in its own file
for f in initramfs/*.c initramfs/*.h; do
	case $f in initramfs/kexec_x86_64.*) continue ;; esac
	if grep -nE '"HdrS"|BZ_[A-Z_]*OFF|0x20a' "$f"; then
		echo "$f: x86_64 boot-protocol knowledge outside initramfs/kexec_x86_64.c"
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "not ok - layers"
	exit 1
fi
echo "ok - layers ($order)"
