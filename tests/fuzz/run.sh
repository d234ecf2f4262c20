#!/usr/bin/env bash
# Fuzz each target for a while, one after the other, in-process (one core):
#   tests/fuzz/run.sh [SECONDS] [name...]     (default 120 s, every target)
# New inputs collect in build/fuzz/corpus/<name>; crashes, leaks and hangs
# are written as build/fuzz/artifacts/<name>/{crash,leak,timeout,oom}-*.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${1:-120}
shift || true
names=${*:-vmcore vmcoreinfo dmesg filter flat conf modules blkid dhcp netlink ipconf sftp fdt kimage}
declare -A maxlen=([dmesg]=40000 [filter]=48000 [vmcore]=65536 [flat]=20000 [modules]=8192 [blkid]=4096 [dhcp]=4096 [netlink]=16384 [kimage]=65536)
for n in $names; do
	mkdir -p "build/fuzz/corpus/$n" "build/fuzz/artifacts/$n"
	echo "=== fuzz_$n for ${secs}s"
	build/fuzz/fuzz_$n -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="${maxlen[$n]:-4096}" -print_final_stats=1 \
		-artifact_prefix="build/fuzz/artifacts/$n/" "build/fuzz/corpus/$n" "tests/fuzz/corpus/$n" \
		> "build/fuzz/$n.log" 2>&1
	echo "exit $?; $(grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "build/fuzz/$n.log" | tail -2 | tr '\n' ' ')"
	grep -E 'ERROR|SUMMARY' "build/fuzz/$n.log" | head -3
	ls "build/fuzz/artifacts/$n"
done
