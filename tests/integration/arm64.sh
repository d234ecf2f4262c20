#!/usr/bin/env bash
# The collector and filter on real arm64 vmcores, made by
# qemu/mkvmcore-arm64.sh when not cached (about 2 min each under TCG, once):
# Debian's 6.1 arm64 kernel (4 KiB pages, 48-bit VA) with KASLR on and off,
# and Debian 12's 6.12 arm64-16k kernel (16 KiB pages, 52-bit VA: LPA2 on
# QEMU's max CPU). Dumps are checked page by page, drgn answers on them as on
# the vmcore, and the pages -d 16 leaves out are the buddy free lists' as
# drgn walks them. On the 4 KiB ones the page sets also equal makedumpfile's
# at the filter suite's levels (Debian's arm64 makedumpfile under
# qemu-aarch64-static, tests/tools/mdf-arm64.sh) and --dump-dmesg equals its
# (makedumpfile 1.7.2 and 1.7.6 refuse 16 KiB pages with 52-bit VA); a
# kernel layout the page-table walk does not know keeps every page.
#   arm64.sh [VMCORE...]
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /var/tmp/kdc-arm64.XXXXXX)
trap 'rm -rf "$W"' EXIT
levels="1 2 4 8 16 31 3 5 12 17 24 30"
# the second vmcore (KASLR off) at three of them: makedumpfile under qemu-user
# is the suite's cost, and the translation differs only in kimage_voffset
levels_more="1 17 31"
if ! MDF=$("$TOP/tests/tools/mdf-arm64.sh"); then
	not_ok "arm64 makedumpfile (tests/tools/mdf-arm64.sh) available"
	t_done
	exit
fi
if [ $# -eq 0 ]; then
	for kaslr in on off; do
		v=$(nice -n 10 "$TOP/qemu/mkvmcore-arm64.sh" --kaslr $kaslr 2>"$W/mk.log" | tail -1) ||
			{ tail -5 "$W/mk.log"; v=missing-kaslr-$kaslr; }
		set -- "$@" "$v"
	done
	v=$(KDC_FLAVOUR=6.12-arm64-16k nice -n 10 "$TOP/qemu/mkvmcore-arm64.sh" 2>"$W/mk.log" | tail -1) ||
		{ tail -5 "$W/mk.log"; v=missing-16k; }
	set -- "$@" "$v"
fi
lv=$levels
for vmcore in "$@"; do
	tag=$(basename "$(dirname "$vmcore")")
	if [ ! -s "$vmcore" ]; then not_ok "arm64 vmcore $vmcore was not made"; continue; fi
	vmlinux=$(sed -n 's/^VMLINUX=//p' "$(dirname "$vmcore")/info")
	page4k=0
	head -c 65536 "$vmcore" | grep -aq 'PAGESIZE=4096' && page4k=1
	if [ $page4k = 1 ]; then
		check "$tag: page sets equal makedumpfile's at -d ${lv// /,}" \
			env MAKEDUMPFILE="$MDF" "$TOP/tests/integration/filter-compare.sh" "$vmcore" "$KDUMPCAP" $lv
		lv=$levels_more
	fi
	check "$tag: -d 16 leaves out exactly the buddy free lists' pages (drgn)" bash -c "
		'$KDUMPCAP' -d 16 --message-level 0 '$vmcore' '$W/free' &&
		$PY '$TOP/tests/tools/drgn-freepages.py' '$vmlinux' '$vmcore' '$W/free'"
	rm -f "$W/free"
	dumps=()
	for args in "-z 31 zstd" "-c 1 zlib" "-l 17 lzo"; do
		read -r flag lvl c <<<"$args"
		out=$W/$tag-d$lvl-$c
		check "$tag: -d $lvl $c written" "$KDUMPCAP" $flag -d $lvl --message-level 0 "$vmcore" "$out"
		check "$tag: -d $lvl $c: every dumped page equals the vmcore's" \
			$PY "$TOP/tests/tools/checkdump.py" "$out" "$vmcore" --level $lvl --compress $c --filtered
		dumps+=("$out")
	done
	check "$tag: the header's utsname machine is aarch64" \
		bash -c "[ \"\$(dd if='${dumps[0]}' bs=1 skip=$((12 + 4 * 65)) count=8 2>/dev/null | tr -d '\\0')\" = aarch64 ]"
	check "$tag: drgn answers tasks, stacks, CPU registers, log, utsname, memory counters as on the vmcore" \
		timeout 600 $PY "$TOP/tests/tools/drgn-compare.py" "$vmlinux" "$vmcore" "${dumps[@]}"
	if [ $page4k = 1 ]; then
		check "$tag: --dump-dmesg equals makedumpfile's" \
			env MAKEDUMPFILE="$MDF" "$TOP/tests/integration/dmesg.sh" "$vmcore" "$KDUMPCAP"
	else
		check "$tag: --dump-dmesg ends with the crash" bash -c "rm -f '$W/dmesg' &&
			'$KDUMPCAP' --dump-dmesg '$vmcore' '$W/dmesg' && grep -q 'sysrq: Trigger a crash' '$W/dmesg'"
	fi
	rm -f "${dumps[@]}"
done
# Layouts, on a copy of a vmcore whose VMCOREINFO is edited: one the walk
# does not know keeps every page (the struct pages cannot be found: nothing
# may be dropped); 8 KiB pages are refused clearly.
patched() { # FROM TO: the vmcore with VMCOREINFO's FROM (same length) replaced
	cp "$1" "$W/patched" && $PY - "$W/patched" "$2" "$3" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    head = f.read(1 << 16)
    at = head.find(sys.argv[2].encode())
    assert at > 0 and len(sys.argv[2]) == len(sys.argv[3]), "VMCOREINFO key not found"
    f.seek(at)
    f.write(sys.argv[3].encode())
PY
}
vmcore=$1
# a kernel built for 52-bit VA on a CPU without LPA2 translates 48 bits
# (TCR_EL1_T1SZ=16): the walk follows T1SZ, the dump is the same
if patched "$vmcore" "NUMBER(VA_BITS)=48" "NUMBER(VA_BITS)=52"; then
	check "VA_BITS=52 running at 48 bits (TCR_EL1_T1SZ=16): the -d 31 page set is the unpatched vmcore's" bash -c "
		'$KDUMPCAP' -d 31 --message-level 0 '$W/patched' '$W/va52' && '$KDUMPCAP' -d 31 --message-level 0 '$vmcore' '$W/va48' &&
		$PY '$TOP/tests/integration/dumpbitmap.py' count '$W/va52' >'$W/c52' &&
		$PY '$TOP/tests/integration/dumpbitmap.py' count '$W/va48' >'$W/c48' && cmp '$W/c48' '$W/c52' &&
		! grep -q 'ram=\([0-9]*\) dumped=\1 ' '$W/c52'"
	rm -f "$W/va52" "$W/va48"
else
	not_ok "copy of $vmcore with VA_BITS=52 made"
fi
# 4 KiB pages at 52-bit VA need 5 levels: not walked, so nothing may be dropped
if patched "$vmcore" "NUMBER(TCR_EL1_T1SZ)=0x10" "NUMBER(TCR_EL1_T1SZ)=0x0c"; then
	check "TCR_EL1_T1SZ=12 with 4 KiB pages: -d 31 dump written with a warning naming the layout" bash -c \
		"'$KDUMPCAP' -d 31 '$W/patched' '$W/va52' >'$W/va52.log' 2>&1 && grep -q 'VA_BITS=48, TCR_EL1_T1SZ=12.*page-table walk' '$W/va52.log'"
	check "TCR_EL1_T1SZ=12 with 4 KiB pages: every RAM page kept" bash -c \
		"$PY '$TOP/tests/integration/dumpbitmap.py' count '$W/va52' | grep -q 'ram=\([0-9]*\) dumped=\1 '"
	rm -f "$W/va52"
else
	not_ok "copy of $vmcore with TCR_EL1_T1SZ=12 made"
fi
if patched "$vmcore" "PAGESIZE=4096" "PAGESIZE=8192"; then
	check_fails "8 KiB pages: refused clearly" "4, 16 or 64 KiB pages" "$KDUMPCAP" -d 31 "$W/patched" "$W/p8k"
	check "8 KiB pages: no dump file left" test ! -e "$W/p8k"
else
	not_ok "copy of $vmcore with PAGESIZE=8192 made"
fi
rm -f "$W/patched"
t_done
