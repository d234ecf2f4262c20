#!/usr/bin/env bash
# In-guest capture time, in the capture kernel where it counts (part of
# `make bench`, not of `make test`): QEMU TCG, a guest crashed with sysrq-c,
# the capture kernel saving to an ext4 disk with `kdumpcap -d 31 -z`.
#
#   qemu/capture-bench.sh [--mem MB] [--floor SIZE] [--cpus "1 2"] [--runs N]
#
# For each CPU count (kdumpcap load --nr-cpus N), --runs crashes (default 3;
# the medians of both times, their ratio, and each run's ratio) of a --mem guest
# (default 4096) whose capture kernel first runs Debian's makedumpfile -l -d 31
# on the same /proc/vmcore (test-only image: qemu/e2e-capture.sh mdf), then
# kdumpcap: both times in the same capture kernel, mount to sync, and the
# ratio kdumpcap / makedumpfile. Then the memory check: a 2 GB guest captured
# with 2 CPUs at the 1-CPU crashkernel floor + 8M (--floor, default 96M, the
# measured 1-CPU floor: README "Capture kernel CPUs and memory"), and what
# `kdumpcap estimate` says for that image. TCG shares the host's cores with
# everything else: run it on a quiet machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mem=4096 floor=96M cpus="1 2" runs=3
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=${2:?}; shift 2 ;;
	--floor) floor=${2:?}; shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	*) echo "capture-bench: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "capture-bench: --runs wants a positive number" >&2; exit 2; }
mib() { echo "${1%M}"; }
median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$2" | sed 's/[sB]$//'; }

out=$(mktemp /tmp/kdc-cbench.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
printf '%-5s %-6s %-12s %-14s %-10s %-22s %s\n' cpus guest kdumpcap_s makedumpfile_s ratio "ratio of each run" \
	"sizes (kdumpcap, makedumpfile -l)"
for n in $cpus; do
	kdcs="" mds="" each="" sizes="FAIL"
	for i in $(seq "$runs"); do
		if ! "$here/e2e-capture.sh" mdf --mem "$mem" --nr-cpus "$n" >"$out" 2>&1; then
			grep -a 'e2e:' "$out" >&2 || true
			rc=1
		fi
		r=$(grep '^RESULT mdf' "$out" || echo "RESULT mdf FAIL")
		kdc=$(field kdc "$r") md=$(field mdf "$r")
		kdcs+=" $kdc" mds+=" $md" each+="$(ratio "$kdc" "$md") "
		[ -z "$kdc" ] || sizes="$(field vmcore "$r"), $(field mdf_size "$r")"
	done
	kdc=$(median <<<"$kdcs") md=$(median <<<"$mds")
	printf '%-5s %-6s %-12s %-14s %-10s %-22s %s\n' "$n" "${mem}M" "$kdc" "$md" "$(ratio "$kdc" "$md")" "$each" "$sizes"
done

ck=$(($(mib "$floor") + 8))M
if "$here/e2e-capture.sh" ext4 --nr-cpus 2 --crashkernel "$ck" --keep >"$out" 2>&1; then
	echo "2 CPUs at the 1-CPU floor + 8M (crashkernel=$ck, 2048M guest): captured, $(grep '^RESULT' "$out" | sed 's/.* in_init=/in_init=/')"
else
	echo "2 CPUs at the 1-CPU floor + 8M (crashkernel=$ck, 2048M guest): FAILED" && rc=1
fi
w=$(sed -n 's/^e2e: work dir kept: //p' "$out")
if [ -n "$w" ] && [ -f "$w/capture.img" ]; then
	kdir=$("$here/fetch-kernel.sh" | tail -1)
	echo "kdumpcap estimate for that kernel and image: $("$here/../build/kdumpcap" estimate --kernel "$kdir/vmlinuz" \
		--initrd "$w/capture.img" --nr-cpus 1 | head -1) (1 CPU), $("$here/../build/kdumpcap" estimate \
		--kernel "$kdir/vmlinuz" --initrd "$w/capture.img" --nr-cpus 2 | head -1) (2 CPUs)"
	rm -rf "$w"
fi
exit $rc
