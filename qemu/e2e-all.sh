#!/usr/bin/env bash
# The QEMU end-to-end captures as test lines for tests/run-all.sh: one
# "ok - ..." or "not ok - ..." per scenario of qemu/e2e-capture.sh.
#   qemu/e2e-all.sh [SCENARIO...] [e2e-capture.sh options]
# The scenarios run in KDC_E2E_JOBS groups at once (default: one per CPU, at
# most 2), each group one e2e-capture.sh with its own work directory and
# servers on free ports; a TCG guest keeps one CPU busy.
set -u
here=$(cd "$(dirname "$0")" && pwd)
scen=() opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--mem|--crashkernel) opts+=("$1" "$2"); shift 2 ;;
	--*) opts+=("$1"); shift ;;
	*) scen+=("$1"); shift ;;
	esac
done
if [ ${#scen[@]} -eq 0 ]; then
	read -r -a scen < <("$here/e2e-capture.sh" --list)
fi
[ ${#scen[@]} -gt 0 ] || { echo "not ok - e2e: e2e-capture.sh --list gave no scenario"; exit 0; }
cpus=$(nproc)
jobs=${KDC_E2E_JOBS:-$((cpus < 2 ? 1 : 2))}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le ${#scen[@]} ] || jobs=${#scen[@]}

log=$(mktemp -d /tmp/kdc-e2e-all.XXXXXX)
# group g gets scenarios g, g+jobs, g+2*jobs, ...: neighbours in the list
# (nfs*, ssh*) land in different groups and their servers run side by side
for g in $(seq 0 $((jobs - 1))); do
	group=()
	for i in "${!scen[@]}"; do
		[ $((i % jobs)) -eq "$g" ] && group+=("${scen[$i]}")
	done
	"$here/e2e-capture.sh" "${group[@]}" "${opts[@]}" >"$log/$g" 2>&1 &
done
wait

n=0
cat "$log"/[0-9]* | grep '^RESULT ' >"$log/results"
while read -r _ name verdict rest; do
	n=$((n + 1))
	if [ "$verdict" = PASS ]; then
		echo "ok - e2e $name ($rest)"
	else
		echo "not ok - e2e $name ($rest)"
	fi
done <"$log/results"
for g in "$log"/[0-9]*; do
	if ! grep -q '^RESULT ' "$g" || grep -q '^RESULT .* FAIL' "$g"; then
		grep -v '^RESULT ' "$g" | tail -n 40 | sed 's/^/    /'
	fi
done
[ $n -eq ${#scen[@]} ] || echo "not ok - e2e: $n of ${#scen[@]} scenarios reported a result"
rm -rf "$log"
