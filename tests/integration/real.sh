#!/usr/bin/env bash
# Collector tests on real vmcores from the QEMU harness (qemu/mkvmcore.sh):
#   real.sh [VMCORE...]   (default: the 1.5 GB 4-level and 5-level ones)
# For each: dumps at -d 0 and -d 1 with zlib, zstd and none, and -d 31 with
# zstd and lzo, are checked page by page against the vmcore, opened with
# crash and with drgn (same answers as the vmcore; drgn must also reject a
# dump with one kernel stack page changed), the -d 1 page set is compared with
# makedumpfile's, the -d 31 lzo one with makedumpfile -l's (the Fedora/RHEL
# default core_collector), -F | -R is byte-identical, crash opens the -F
# stream itself with the same answers (no "incomplete" warning),
# and --dump-dmesg equals makedumpfile's.
set -u
. "$(dirname "$0")/../lib.sh"
if [ $# -eq 0 ]; then
	mapfile -t vmcores < <("$TOP/qemu/standard-vmcores.sh" --small)
	set -- "${vmcores[@]}"
fi
W=$(mktemp -d /var/tmp/kdc-real.XXXXXX)
trap 'rm -rf "$W"' EXIT
for vmcore in "$@"; do
	if [ ! -s "$vmcore" ]; then
		not_ok "vmcore $vmcore was not made"; continue
	fi
	info=$(dirname "$vmcore")/info
	vmlinux=$(sed -n 's/^VMLINUX=//p' "$info" 2>/dev/null)
	[ -n "$vmlinux" ] || vmlinux=$(ls "${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}"/kernel/*/vmlinux | head -1)
	tag=$(basename "$(dirname "$vmcore")")
	dumps=()
	for lvl in 0 1; do
		for c in none zlib zstd; do
			flag=$(case $c in zlib) echo -c ;; zstd) echo -z ;; esac)
			out=$W/$tag-d$lvl-$c
			check "$tag: -d $lvl $c written" "$KDUMPCAP" $flag -d $lvl --message-level 0 "$vmcore" "$out"
			check "$tag: -d $lvl $c: every page equals the vmcore's" \
				$PY "$TOP/tests/tools/checkdump.py" "$out" "$vmcore" --level $lvl --compress $c
			dumps+=("$out")
		done
	done
	for c in zstd lzo; do
		out=$W/$tag-d31-$c
		check "$tag: -d 31 $c written" "$KDUMPCAP" "-${c:0:1}" -d 31 --message-level 0 "$vmcore" "$out"
		check "$tag: -d 31 $c: every dumped page equals the vmcore's" \
			$PY "$TOP/tests/tools/checkdump.py" "$out" "$vmcore" --level 31 --compress $c --filtered
		dumps+=("$out")
	done
	# pass 1 decides windows (1 GiB of pfns each) on as many threads as
	# pass 2 compresses with: any count must give the same bytes and counts
	threads_same() {
		local t
		for t in 1 3; do
			rm -f "$W/thr$t"
			"$KDUMPCAP" -l -d 31 --num-threads $t --show-stats --message-level 0 "$vmcore" "$W/thr$t" \
				>"$W/thr$t.stats" 2>&1 || return 1
			cmp "$W/$tag-d31-lzo" "$W/thr$t" || return 1
		done
		grep -q 'Total pages' "$W/thr1.stats" && diff "$W/thr1.stats" "$W/thr3.stats"
		local rc=$?
		rm -f "$W"/thr[13] "$W"/thr[13].stats
		return $rc
	}
	check "$tag: -d 31 with 1 and 3 threads: the same bytes and --show-stats counts" threads_same
	check "$tag: crash answers sys, bt -a, log, ps, kmem -i, files as on the vmcore" \
		"$TOP/tests/integration/crash-compare.sh" "$vmlinux" "$vmcore" "${dumps[@]}"
	check "$tag: drgn answers tasks, stacks, CPU registers, log, utsname, memory counters as on the vmcore" \
		timeout 600 $PY "$TOP/tests/tools/drgn-compare.py" "$vmlinux" "$vmcore" "${dumps[@]}"
	if timeout 120 $PY "$TOP/tests/tools/corrupt-stack.py" "$vmlinux" "$W/$tag-d31-zstd" "$W/bad-stack" >/dev/null; then
		check_fails "$tag: drgn-compare rejects a dump with one kernel stack page changed" "DIFFER on" \
			timeout 120 $PY "$TOP/tests/tools/drgn-compare.py" "$vmlinux" "$vmcore" "$W/bad-stack"
	else
		not_ok "$tag: corrupt-stack.py could not make the changed-stack fixture"
	fi
	rm -f "$W/bad-stack"
	makedumpfile -d 1 "$vmcore" "$W/mdf-d1" >/dev/null 2>&1
	check "$tag: -d 1 page set and zero pages equal makedumpfile's" \
		$PY "$TOP/tests/tools/cmpdumps.py" "$W/$tag-d1-none" "$W/mdf-d1" --zero
	rm -f "$W/mdf-d1"
	makedumpfile -l -d 31 "$vmcore" "$W/mdf-l31" >/dev/null 2>&1
	check "$tag: -l -d 31 page set and zero pages equal makedumpfile -l's" \
		$PY "$TOP/tests/tools/cmpdumps.py" "$W/$tag-d31-lzo" "$W/mdf-l31" --zero
	check "$tag: -l -d 31 header status names lzo as makedumpfile -l's does" bash -c \
		"a=\$($PY '$TOP/tests/tools/kdumpfmt.py' status '$W/$tag-d31-lzo') &&
		 b=\$($PY '$TOP/tests/tools/kdumpfmt.py' status '$W/mdf-l31') && [ \"\$a\" = \"\$b\" ] && [ \"\$a\" = 0x2 ]"
	rm -f "$W/mdf-l31"
	# Regression: a compression worker finishing one batch once took items of
	# the next while it was being filled, so pages came out corrupt under
	# load (seen 1 run in 6 on this vmcore). More threads than cores against
	# busy CPUs, run after run, must give the bytes of the default run.
	race_check() {
		local hog1 hog2 bad=0 i
		( while :; do :; done ) & hog1=$!
		( while :; do :; done ) & hog2=$!
		for i in $(seq 8); do
			rm -f "$W/raceN"
			"$KDUMPCAP" -c -d 1 --num-threads 8 --message-level 0 "$vmcore" "$W/raceN" &&
				cmp -s "$W/$tag-d1-zlib" "$W/raceN" || { bad=1; echo "run $i differs"; }
		done
		kill $hog1 $hog2 2>/dev/null; wait $hog1 $hog2 2>/dev/null
		rm -f "$W/raceN"
		return $bad
	}
	check "$tag: 8 compression threads on busy CPUs: 8 runs byte-identical" race_check
	check "$tag: -F | -R is byte-identical to the direct write" bash -c \
		"'$KDUMPCAP' -z -d 1 -F --message-level 0 '$vmcore' | '$KDUMPCAP' -R '$W/rearranged' &&
		 cmp '$W/rearranged' '$W/$tag-d1-zstd'"
	check "$tag: makedumpfile -R accepts kdumpcap's stream" bash -c \
		"'$KDUMPCAP' -c -d 1 -F --message-level 0 '$vmcore' | makedumpfile -R '$W/mdf-r' >/dev/null &&
		 cmp '$W/mdf-r' '$W/$tag-d1-zlib'"
	rm -f "$W/rearranged" "$W/mdf-r"
	check "$tag: crash opens the flattened stream directly, answers as on the vmcore" bash -c \
		"'$KDUMPCAP' -l -d 31 -F --message-level 0 '$vmcore' > '$W/$tag.flat' &&
		 '$TOP/tests/integration/crash-compare.sh' '$vmlinux' '$vmcore' '$W/$tag.flat'"
	rm -f "$W/$tag.flat"*
	check "$tag: --dump-dmesg equals makedumpfile's" "$TOP/tests/integration/dmesg.sh" "$vmcore" "$KDUMPCAP"
	rm -f "${dumps[@]}" "$W"/*.crash*
done
t_done
