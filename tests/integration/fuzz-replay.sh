#!/usr/bin/env bash
# Replay every fuzz target over its committed corpus (tests/fuzz/corpus/NAME):
# seeds and the inputs that once crashed, hung or leaked. Plain musl builds,
# no sanitizer: a crash, a hang (timeout) or a non-zero exit fails the check.
#   tests/integration/fuzz-replay.sh        (builds with make first; DEPS=... is passed on)
# FUZZ_SAN=1 also replays with the clang ASan/UBSan builds (tests/fuzz/build.sh;
# needs clang, libclang-rt-14-dev, zlib1g-dev, libzstd-dev, liblzo2-dev).
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
O=${O:-build}
names=$(ls tests/fuzz/fuzz_*.c | sed 's,.*/fuzz_,,; s,\.c$,,')
if ! out=$(make -s ${DEPS:+DEPS="$DEPS"} O="$O" $(for n in $names; do echo "$O/fuzz-replay/$n"; done) 2>&1); then
	not_ok "fuzz replay build"
	printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
	exit 1
fi
for n in $names; do
	dir=tests/fuzz/corpus/$n
	files=$(find "$dir" -type f 2>/dev/null | wc -l)
	if [ "$files" -eq 0 ]; then
		not_ok "fuzz replay $n (no corpus in $dir)"
		continue
	fi
	rc=0
	out=$(timeout 120 "$O/fuzz-replay/$n" "$dir" 2>&1) || rc=$?
	if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "^replayed $files inputs"; then
		ok "fuzz replay $n ($files inputs)"
	else
		not_ok "fuzz replay $n (rc=$rc$([ $rc -eq 124 ] && echo ', timed out'))"
		printf '%s\n' "$out" | tail -10 | sed 's/^/    /'
	fi
	if [ -n "${FUZZ_SAN:-}" ]; then
		rc=0
		out=$( (tests/fuzz/build.sh "$n" && timeout 300 "build/fuzz/fuzz_$n" -runs=0 "$dir") 2>&1) || rc=$?
		if [ $rc -eq 0 ]; then
			ok "fuzz replay $n under ASan/UBSan ($files inputs)"
		else
			not_ok "fuzz replay $n under ASan/UBSan (rc=$rc)"
			printf '%s\n' "$out" | grep -E 'ERROR|SUMMARY|#[0-9]+ ' | head -12 | sed 's/^/    /'
		fi
	fi
done
t_done
