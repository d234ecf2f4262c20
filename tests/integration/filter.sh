#!/usr/bin/env bash
# Page filter on real vmcores: kdumpcap's 1st and 2nd bitmaps equal
# makedumpfile's at every listed level, and a vmcore with a corrupted
# mem_map still yields a complete dump that keeps the affected pages.
#   filter.sh [VMCORE...]  (default: the harness's standard vmcores)
set -u
. "$(dirname "$0")/../lib.sh"
if [ $# -eq 0 ]; then
	mapfile -t vmcores < <("$TOP/qemu/standard-vmcores.sh")
	set -- "${vmcores[@]}"
fi
levels="1 2 4 8 16 31 3 5 12 17 24 30"
for vmcore in "$@"; do
	tag=$(basename "$(dirname "$vmcore")")
	if [ ! -s "$vmcore" ]; then not_ok "$tag: vmcore missing"; continue; fi
	check "$tag: page sets equal makedumpfile's at -d ${levels// /,}" \
		"$TOP/tests/integration/filter-compare.sh" "$vmcore" "$KDUMPCAP" $levels
done
check "corrupted mem_map: dump completes and keeps the affected pages" \
	python3 "$TOP/tests/integration/filter-corrupt.py" "$1" "$KDUMPCAP"
t_done
