#!/usr/bin/env bash
# Benchmark kdumpcap against makedumpfile on the same vmcores: wall time,
# CPU time and peak RSS (best wall time of N warm runs), with ratios
# kdumpcap / makedumpfile (below 1 is better), and kdumpcap's peak memory
# across vmcore sizes (it should not grow with RAM).
#   tests/bench.sh [-d LEVEL] [-n RUNS] [VMCORE...]   (default: the standard vmcores)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
k=$top/build/kdumpcap
level=31 runs=3 vmcores=()
while [ $# -gt 0 ]; do
	case $1 in
	-d) level=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	*) vmcores+=("$1"); shift ;;
	esac
done
[ ${#vmcores[@]} -gt 0 ] || mapfile -t vmcores < <("$top/qemu/standard-vmcores.sh")
w=$(mktemp -d /var/tmp/kdc-bench.XXXXXX)
trap 'rm -rf "$w"' EXIT
mdf=$(command -v makedumpfile)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# measure VMCORE CMD...: prints "wall cpu peak_kib bytes" of the fastest run
measure() {
	local vmcore=$1 best="" line size
	shift
	for _ in $(seq "$runs"); do
		rm -f "$w/out"
		line=$(/usr/bin/time -f "%e %U %S %M" "$@" "$vmcore" "$w/out" 2>&1 >/dev/null | tail -1)
		size=$(stat -c %s "$w/out")
		set -- "$@"
		read -r e u s m <<<"$line"
		if [ -z "$best" ] || awk -v a="$e" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
			best="$e $(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}') $m $size"
		fi
	done
	echo "$best"
}

declare -A peak
for vmcore in "${vmcores[@]}"; do
	tag=$(basename "$(dirname "$vmcore")")
	cat "$vmcore" > /dev/null # warm the page cache for every tool alike
	echo "== $tag ($(($(stat -c %s "$vmcore") >> 20)) MiB), -d $level, best of $runs"
	printf '  %-22s %8s %8s %10s %12s\n' tool wall_s cpu_s peak_KiB bytes
	declare -A res=()
	for t in makedumpfile-c makedumpfile-l kdumpcap-c kdumpcap-l kdumpcap-z kdumpcap-z-1thread; do
		case $t in
		makedumpfile-c) cmd=("$mdf" -c -d "$level" --message-level 0) ;;
		makedumpfile-l) cmd=("$mdf" -l -d "$level" --message-level 0) ;;
		kdumpcap-c) cmd=("$k" -c -d "$level" --message-level 0) ;;
		kdumpcap-l) cmd=("$k" -l -d "$level" --message-level 0) ;;
		kdumpcap-z) cmd=("$k" -z -d "$level" --message-level 0) ;;
		kdumpcap-z-1thread) cmd=("$k" -z -d "$level" --num-threads 1 --message-level 0) ;;
		esac
		res[$t]=$(measure "$vmcore" "${cmd[@]}")
		read -r e c m b <<<"${res[$t]}"
		printf '  %-22s %8s %8s %10s %12s\n' "$t" "$e" "$c" "$m" "$b"
	done
	read -r me mc mm mb <<<"${res[makedumpfile-c]}"
	for t in kdumpcap-c kdumpcap-z kdumpcap-z-1thread; do
		read -r e c m b <<<"${res[$t]}"
		echo "  ratio $t / makedumpfile -c: time x$(ratio "$e" "$me"), peak memory x$(ratio "$m" "$mm"), size x$(ratio "$b" "$mb")"
	done
	read -r le lc lm lb <<<"${res[makedumpfile-l]}"
	for t in kdumpcap-l kdumpcap-z; do
		read -r e c m b <<<"${res[$t]}"
		echo "  ratio $t / makedumpfile -l: time x$(ratio "$e" "$le"), peak memory x$(ratio "$m" "$lm"), size x$(ratio "$b" "$lb")"
	done
	read -r e c m b <<<"${res[kdumpcap-z]}"
	peak[$tag]=$m
	unset res
done
if [ ${#vmcores[@]} -gt 1 ]; then
	echo "== kdumpcap -z -d $level peak memory by vmcore size (KiB):"
	first=""
	for vmcore in "${vmcores[@]}"; do
		tag=$(basename "$(dirname "$vmcore")")
		[ -n "$first" ] || first=${peak[$tag]}
		echo "  $tag: ${peak[$tag]} (x$(ratio "${peak[$tag]}" "$first") of the first)"
	done
fi
