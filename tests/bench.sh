#!/usr/bin/env bash
# Benchmark kdumpcap against makedumpfile on the same vmcore: wall time,
# CPU time and peak RSS, best of N warm runs, printed with ratios
# (kdumpcap / makedumpfile; below 1 is better).
#   tests/bench.sh [VMCORE] [-d LEVEL] [-n RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
k=$top/build/kdumpcap
vmcore="" level=31 runs=3
while [ $# -gt 0 ]; do
	case $1 in
	-d) level=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	*) vmcore=$1; shift ;;
	esac
done
[ -n "$vmcore" ] || vmcore=$("$top/qemu/mkvmcore.sh" --mem 1536 --paging 4 --kaslr on | tail -1)
w=$(mktemp -d /var/tmp/kdc-bench.XXXXXX)
trap 'rm -rf "$w"' EXIT
cat "$vmcore" > /dev/null # warm the page cache for both

# measure NAME CMD...: best wall time, its user+sys, max RSS over the runs
measure() {
	local name=$1 best="" line
	shift
	for _ in $(seq "$runs"); do
		rm -f "$w/out"
		line=$(/usr/bin/time -f "%e %U %S %M" "$@" "$vmcore" "$w/out" 2>&1 >/dev/null | tail -1)
		local size; size=$(stat -c %s "$w/out")
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
			best="$line $size"
		fi
	done
	echo "$name $best"
}
printf '%-28s %8s %8s %10s %12s\n' "vmcore: $(basename "$(dirname "$vmcore")")" wall_s cpu_s peak_KiB bytes
results=()
while read -r name cmd; do
	r=$(measure "$name" $cmd)
	results+=("$r")
	set -- $r
	printf '%-28s %8s %8.2f %10s %12s\n' "$1" "$2" "$(echo "$3 + $4" | bc)" "$5" "$6"
done <<EOF2
makedumpfile-c $(command -v makedumpfile) -c -d $level --message-level 0
makedumpfile-l $(command -v makedumpfile) -l -d $level --message-level 0
kdumpcap-c $k -c -d $level --message-level 0
kdumpcap-z $k -z -d $level --message-level 0
kdumpcap-z-1thread $k -z -d $level --num-threads 1 --message-level 0
EOF2
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A wall rss size
for r in "${results[@]}"; do set -- $r; wall[$1]=$2; rss[$1]=$5; size[$1]=$6; done
echo
echo "ratios vs makedumpfile -c -d $level (time, peak memory, size):"
for n in kdumpcap-c kdumpcap-z kdumpcap-z-1thread; do
	echo "  $n: time x$(ratio "${wall[$n]}" "${wall[makedumpfile-c]}"), memory x$(ratio "${rss[$n]}" "${rss[makedumpfile-c]}"), size x$(ratio "${size[$n]}" "${size[makedumpfile-c]}")"
done
echo "ratio kdumpcap -z vs makedumpfile -l: time x$(ratio "${wall[kdumpcap-z]}" "${wall[makedumpfile-l]}"), size x$(ratio "${size[kdumpcap-z]}" "${size[makedumpfile-l]}")"
