#!/usr/bin/env bash
# Fault-injection sweep of the collector on a small filterable vmcore
# (build/synthcore): every compression at levels 0, 1 and 31, file sink and
# -F | -R, a fault at every read (mmap on and off), the first mmaps, every
# write, fsync and close. Each run ends complete and right, or non-zero with
# a message and an INCOMPLETE header whose descriptors are right, or with no
# output (tests/tools/sweep.py). SWEEP_STRIDE=N samples read and write
# positions (every Nth plus the first and last few).
set -u
. "$(dirname "$0")/../lib.sh"
# tmpfs when there is one: every run fsyncs its dump
W=$(mktemp -d "$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo /tmp)/kdc-sweep.XXXXXX")
trap 'rm -rf "$W"' EXIT
SYNTHCORE=${SYNTHCORE:-$TOP/build/synthcore}

check "the sweep's vmcore is made" "$SYNTHCORE" "$W/core"
check "same dump when the 2nd pass classifies again (KDUMPCAP_BITMAP_BUDGET=0)" bash -c "
	'$KDUMPCAP' -z -d 31 --message-level 0 '$W/core' '$W/kept' &&
	KDUMPCAP_BITMAP_BUDGET=0 '$KDUMPCAP' -z -d 31 --message-level 0 '$W/core' '$W/again' &&
	cmp <(tail -c +4097 '$W/kept') <(tail -c +4097 '$W/again')"
# a PT_LOAD whose section has no mem_map: its pages all kept, the others filtered as without it
check "a vmcore with PT_LOADs outside the mem_map is made" "$SYNTHCORE" "$W/orphan" 0x8000000:16 0x40000000:8
check "PT_LOADs without a mem_map keep their pages; the others are still filtered" bash -c "
	'$KDUMPCAP' -d 31 --message-level 0 '$W/core' '$W/o1' && '$KDUMPCAP' -d 31 --message-level 0 '$W/orphan' '$W/o2' &&
	'$PY' '$TOP/tests/tools/checkdump.py' '$W/o1' '$W/core' --level 31 --filtered --pages-out '$W/p1' &&
	'$PY' '$TOP/tests/tools/checkdump.py' '$W/o2' '$W/orphan' --level 31 --filtered --pages-out '$W/p2' &&
	diff <(cut -d' ' -f1 '$W/p1'; seq 32768 32783 | xargs printf '%x
'; seq 262144 262151 | xargs printf '%x
') \
		<(cut -d' ' -f1 '$W/p2')"
check "--show-stats is the same whether the 2nd pass reads the kept bitmap or classifies again" bash -c "
	'$KDUMPCAP' -l -d 31 --show-stats --message-level 0 '$W/orphan' '$W/s1' 2>'$W/st1' &&
	KDUMPCAP_BITMAP_BUDGET=0 '$KDUMPCAP' -l -d 31 --show-stats --message-level 0 '$W/orphan' '$W/s2' 2>'$W/st2' &&
	grep -q 'Free pages' '$W/st1' && cmp '$W/st1' '$W/st2' && cmp <(tail -c +4097 '$W/s1') <(tail -c +4097 '$W/s2')"
# both windows lack a mem_map and pass 1 decides them in parallel: the warning is
# still said once, naming the lowest pfn, whichever thread met its window first
check "pass 1's warning is said once, for the lowest pfn, with 1, 2 and 4 threads alike (10 runs each)" bash -c "
	for t in 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4 1 2 4; do
		rm -f '$W/w'
		'$KDUMPCAP' -l -d 31 --num-threads \$t --message-level 0 '$W/orphan' '$W/w' 2>&1 | md5sum
	done | sort -u | wc -l | grep -qx 1 &&
	rm -f '$W/w' && '$KDUMPCAP' -l -d 31 --num-threads 2 --message-level 0 '$W/orphan' '$W/w' 2>'$W/wl' &&
	[ \$(grep -c 'cannot be read' '$W/wl') = 1 ] && grep -q 'pfn 0x8000 ' '$W/wl'"
check "same dump when pass 2 reuses only one window's kept bitmap and classifies the other again" bash -c "
	for b in 10 40; do
		KDUMPCAP_BITMAP_BUDGET=\$b '$KDUMPCAP' -l -d 31 --message-level 31 '$W/orphan' '$W/m'\$b 2>'$W/m'\$b.log &&
		grep -q '2nd bitmap: 1 of 2 windows kept' '$W/m'\$b.log &&
		cmp <(tail -c +4097 '$W/s1') <(tail -c +4097 '$W/m'\$b) || exit 1
	done"

# pages filled with one byte value share one copy per value, in every
# compression, in a file and through -F | -R
for c in -z -l -c ""; do
	check "pages filled with one byte share one copy per value ($c -d 0 and -d 1), every page right, -F|-R too" bash -c "
		for d in 0 1; do
			'$KDUMPCAP' $c -d \$d --message-level 31 '$W/core' '$W/fi$c'\$d 2>'$W/fi.log' &&
			grep -Eq ', [1-9][0-9]* a copy of a page filled' '$W/fi.log' &&
			'$PY' '$TOP/tests/tools/checkdump.py' '$W/fi$c'\$d '$W/core' --level \$d --filtered --fills-shared &&
			'$KDUMPCAP' $c -d \$d -F --message-level 0 '$W/core' | '$KDUMPCAP' -R '$W/fiR' &&
			cmp <(tail -c +4097 '$W/fi$c'\$d) <(tail -c +4097 '$W/fiR') && rm -f '$W/fiR' || exit 1
		done"
done

# equal pages share one copy of their data (the vmcore holds copies of two
# random pages); the bytes are compared, never only the hashes
for c in -z -l ""; do
	check "KDUMPCAP_DEDUP=1: equal pages share data ($c -d 0): fewer bytes than by default (off), every page right" bash -c "
		KDUMPCAP_DEDUP=1 '$KDUMPCAP' $c -d 0 --message-level 31 '$W/core' '$W/sh$c' 2>'$W/sh.log' &&
		'$KDUMPCAP' $c -d 0 --message-level 0 '$W/core' '$W/nosh$c' &&
		grep -Eq '^kdumpcap: [1-9][0-9]* pages share the data' '$W/sh.log' &&
		[ \$(stat -c %s '$W/sh$c') -lt \$(stat -c %s '$W/nosh$c') ] &&
		'$PY' '$TOP/tests/tools/checkdump.py' '$W/sh$c' '$W/core' --level 0 --filtered &&
		'$PY' '$TOP/tests/tools/checkdump.py' '$W/nosh$c' '$W/core' --level 0 --filtered"
done
check "every hash colliding (KDUMPCAP_DEDUP=collide): only equal pages share, every page right, -F|-R too" bash -c "
	KDUMPCAP_DEDUP=collide '$KDUMPCAP' -z -d 0 --message-level 31 '$W/core' '$W/col' 2>'$W/col.log' &&
	grep -Eq '^kdumpcap: [1-9][0-9]* pages share the data' '$W/col.log' &&
	'$PY' '$TOP/tests/tools/checkdump.py' '$W/col' '$W/core' --level 0 --filtered &&
	KDUMPCAP_DEDUP=collide '$KDUMPCAP' -z -d 0 -F --message-level 0 '$W/core' | '$KDUMPCAP' -R '$W/colR' &&
	cmp <(tail -c +4097 '$W/col') <(tail -c +4097 '$W/colR')"

# the 2nd pass reads the kept bitmap; with no budget for it, it classifies
# again (the same reads as the 1st) and must stop on any difference
for budget in "" 0; do
	subset=()
	[ "$budget" = 0 ] && subset=(--compress none,zstd --levels 0,31 --sinks file)
	out=$(KDUMPCAP_BITMAP_BUDGET=$budget "$PY" "$TOP/tests/tools/sweep.py" "$KDUMPCAP" "$W/core" "$W" \
		--stride "${SWEEP_STRIDE:-1}" "${subset[@]}" 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -42
	name="fault sweep${budget:+ (bitmap budget $budget: pass 2 classifies again)}: $(printf '%s' "$out" | tail -1)"
	[ $rc = 0 ] && ok "$name" || not_ok "$name"
done
t_done
