#!/usr/bin/env bash
# The raw target and `kdumpcap savecore`: never lie, never lose, never replace.
# A regular file stands for the raw device; `kdumpcap -F VMCORE DEVICE` writes
# it as PID 1 does (tests/tools/fakevmcore.py makes the vmcores).
#  - the stream carries a capture id and a trailer that makedumpfile -R and
#    crash ignore;
#  - an older stream left on the device is never restored as the new dump,
#    whether the new capture died before its header, before its first record,
#    inside its records or just before its trailer;
#  - savecore under an I/O error (EIO, ENOSPC, EFBIG) at every read, write,
#    fsync, close, open and rename in turn, once and persistent: exit 0 with
#    DIR/*/vmcore equal to `kdumpcap -R` of the device and the marker cleared,
#    or non-zero with the device unchanged and no file named vmcore; an older
#    dump directory is never touched;
#  - two saves in one second, or a symlink where the date directory goes,
#    replace nothing.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /dev/shm/kdc-savecore.XXXXXX 2>/dev/null || mktemp -d /tmp/kdc-savecore.XXXXXX) # tmpfs: cheap fsync
trap 'rm -rf "$W"' EXIT
FAKE="$PY $TOP/tests/tools/fakevmcore.py"
CHECK="$PY $TOP/tests/tools/checkdump.py"
FLAT="$PY $TOP/tests/tools/flatstream.py"
K=$KDUMPCAP
OPTS="-z -d 1 --message-level 0"
OLD=2000-01-01-00:00:00

$FAKE "$W/core"
$FAKE "$W/core2" --seed 2
$FAKE "$W/trunc" --truncate 20000000
$FAKE "$W/garbage" --garbage-notes
"$K" $OPTS "$W/core" "$W/direct" 2>/dev/null

# the device: an old disk's random bytes, then the capture over them
head -c 8M /dev/urandom >"$W/disk"
dd if=/dev/zero of="$W/disk" bs=4096 count=1 conv=notrunc status=none # as a cleared raw target
cp "$W/disk" "$W/dev"
check "capture onto a raw device image (kdumpcap -F VMCORE DEVICE)" "$K" $OPTS -F "$W/core" "$W/dev"
check "the device holds one whole capture: id in the header, its trailer after the end record" $FLAT "$W/dev"
check "kdumpcap -R of the device equals a direct write" bash -c "'$K' -R '$W/ref' < '$W/dev' && cmp '$W/ref' '$W/direct'"
check "makedumpfile -R reads it (the id and the trailer are ignored)" bash -c \
	"makedumpfile -R '$W/mkr' < '$W/dev' >/dev/null && cmp '$W/mkr' '$W/direct'"
check "crash reads it (flattened, with id and trailer)" bash -c "crash --osrelease '$W/dev' | grep -qx 6.1.0-fake"
check_fails "-F refuses to create a missing device" "existing device" "$K" $OPTS -F "$W/core" "$W/nodev"
check_fails "-F refuses to write over a file that holds something else (a dump)" "holds something else" \
	"$K" $OPTS -F "$W/core" "$W/direct"
check "... and leaves it as it was" bash -c "'$K' $OPTS '$W/core' '$W/direct2' 2>/dev/null && cmp '$W/direct' '$W/direct2'"
# what follows needs only a stream on the disk (-F to stdout, then dd), so
# that it also runs against an older kdumpcap, to show what it got wrong
"$K" $OPTS -F "$W/core" 2>/dev/null | dd of="$W/disk" conv=notrunc status=none
cp "$W/disk" "$W/pristine"
[ -f "$W/ref" ] || "$K" -R "$W/ref" <"$W/pristine"

# --- stale streams: the device holds capture A (already saved: its first block
# cleared, or not), then capture B fails somewhere; savecore must never call
# what it finds a whole new dump
stale_ok() { # NAME: savecore on $W/dev -> no vmcore with exit 0
	local name=$1 rc=0 out=$W/stale
	rm -rf "$out"
	"$K" savecore --dev "$W/dev" --path "$out" >"$W/stale.log" 2>&1 || rc=$?
	if [ $rc = 0 ] && [ -n "$(find "$out" -name vmcore 2>/dev/null)" ]; then
		not_ok "$name: an older stream was restored as a new vmcore (exit 0)"; tail -3 "$W/stale.log" | sed 's/^/    /'
	elif [ $rc != 0 ] && [ -n "$(find "$out" -name vmcore 2>/dev/null)" ]; then
		not_ok "$name: exit $rc but a vmcore was made"
	elif [ $rc != 0 ] && ! grep -q "incomplete" "$W/stale.log"; then
		not_ok "$name: exit $rc without saying the dump is incomplete"; tail -3 "$W/stale.log" | sed 's/^/    /'
	elif [ $rc != 0 ] && ! $CHECK "$out"/*/vmcore-incomplete "$W/core" --expect-incomplete >"$W/stale.chk" 2>&1 &&
		! $CHECK "$out"/*/vmcore-incomplete "$W/core2" --expect-incomplete >>"$W/stale.chk" 2>&1; then
		not_ok "$name: vmcore-incomplete is not flagged INCOMPLETE (or its pages are wrong)"; tail -3 "$W/stale.chk"
	else
		ok "$name (savecore exit $rc)"
	fi
}
"$K" $OPTS -F "$W/core2" >"$W/streamB" 2>/dev/null
"$K" $OPTS -F "$W/core" >"$W/streamA2" 2>/dev/null # same records as A, another id
end=$($FLAT "$W/streamA2" | sed -n 's/.* end=\([0-9]*\) .*/\1/p')
for saved in no yes; do
	cp "$W/pristine" "$W/dev"
	if [ $saved = yes ]; then
		"$K" savecore --dev "$W/dev" --path "$W/first" >/dev/null 2>&1
		[ -n "$(ls "$W"/first/*/vmcore 2>/dev/null)" ] || not_ok "A was not saved first"
		cp "$W/dev" "$W/stale-base"
	else
		cp "$W/pristine" "$W/stale-base"
	fi
	for cut in 4096 4200 $((end - 16)) $end $((end + 20)); do
		cp "$W/stale-base" "$W/dev"
		head -c $cut "$W/streamA2" | dd of="$W/dev" conv=notrunc status=none
		stale_ok "A saved=$saved, B (same records) cut at byte $cut of $((end + 48))"
	done
	cp "$W/stale-base" "$W/dev"
	head -c 4096 "$W/streamB" | dd of="$W/dev" conv=notrunc status=none
	stale_ok "A saved=$saved, B (other vmcore) wrote its header only"
	cp "$W/stale-base" "$W/dev"
	{ printf 'makedumpfile\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\1'; head -c 4064 /dev/zero; } |
		dd of="$W/dev" conv=notrunc status=none
	stale_ok "A saved=$saved, a header without capture id (makedumpfile, older kdumpcap) over it"
	# write 1 clears the first block: when even that fails, the device is as it was
	cp "$W/stale-base" "$W/dev"
	KDUMPCAP_FAULT=write:1:EIO "$K" $OPTS -F "$W/core2" "$W/dev" 2>/dev/null
	check "A saved=$saved, B's capture that cannot clear the first block leaves the device as it was" \
		cmp "$W/dev" "$W/stale-base"
	for n in 2 3 4; do
		cp "$W/stale-base" "$W/dev"
		KDUMPCAP_FAULT=write:$n:EIO "$K" $OPTS -F "$W/core2" "$W/dev" 2>/dev/null
		stale_ok "A saved=$saved, B's capture failed at its write $n (EIO)"
	done
	for bad in garbage trunc; do
		cp "$W/stale-base" "$W/dev"
		"$K" $OPTS -F "$W/$bad" "$W/dev" 2>/dev/null
		stale_ok "A saved=$saved, B's capture of a $bad vmcore"
	done
done
cp "$W/stale-base" "$W/dev"
check_fails "-R of an old stream under a new header: exit 1, flagged INCOMPLETE" "not this capture's" bash -c \
	"head -c 4096 '$W/streamA2' | dd of='$W/dev' conv=notrunc status=none; '$K' -R '$W/rstale' < '$W/dev'"
check "-R of an old stream under a new header: pages right, header INCOMPLETE" \
	$CHECK "$W/rstale" "$W/core" --expect-incomplete

# --- two saves in one second, a symlink where the date directory goes
for kind in dir symlink; do
	out=$W/same-$kind
	mkdir -p "$out" "$W/elsewhere-$kind"
	now=$(date -u +%s) taken=
	for k in $(seq 0 9); do # the save starts within these seconds, even on a loaded machine
		d=$out/$(date -u -d @$((now + k)) +%Y-%m-%d-%H:%M:%S)
		taken="$taken $d"
		if [ $kind = dir ]; then mkdir "$d" && echo older >"$d/vmcore"; else ln -s "$W/elsewhere-$kind" "$d"; fi
	done
	cp "$W/pristine" "$W/dev"
	check "savecore beside a taken date ($kind) exits 0" "$K" savecore --dev "$W/dev" --path "$out"
	check "savecore beside a taken date ($kind): a new -1 directory holds the vmcore" \
		bash -c "cmp $out/*-1/vmcore '$W/ref'"
	if [ $kind = dir ]; then
		check "savecore beside a taken date: the older vmcores are untouched" \
			bash -c "for d in $taken; do [ \"\$(cat \$d/vmcore)\" = older ] || exit 1; done"
	else
		check "savecore does not follow a symlink for the date directory" \
			bash -c "[ -z \"\$(ls -A '$W/elsewhere-$kind')\" ]"
	fi
done

# --- the fault sweep
out=$W/out
mkdir -p "$out/$OLD"
echo "an older dump" >"$out/$OLD/vmcore"
olddir() { stat -c '%n %i %s %Y %a' "$out/$OLD" "$out/$OLD"/*; sha256sum "$out/$OLD"/*; }
olddir >"$W/old.before"
cp "$W/pristine" "$W/dev"
KDUMPCAP_IO_COUNT=1 "$K" savecore --dev "$W/dev" --path "$out" 2>"$W/count.log"
# KDC_SWEEP_COUNTS="read=N write=N ...": the positions, when the binary cannot count them
counts=${KDC_SWEEP_COUNTS:-$(sed -n 's/^kdumpcap: io calls: //p' "$W/count.log")}
check "a clean savecore saves DIR/<date>/vmcore equal to kdumpcap -R of the device" \
	cmp "$(find "$out" -name vmcore ! -path "*/$OLD/*")" "$W/ref"
check "a clean savecore clears the marker" bash -c "! head -c 4096 '$W/dev' | grep -q makedumpfile"
find "$out" -mindepth 1 -maxdepth 1 ! -name "$OLD" -exec rm -rf {} +

runs=0 positions=0 bad=0
sweep_one() { # OP N ERR [once]
	local spec=$1:$2:$3${4:+:$4} rc=0 new vm
	cmp -s "$W/dev" "$W/pristine" || cp "$W/pristine" "$W/dev"
	KDUMPCAP_FAULT=$spec "$K" savecore --dev "$W/dev" --path "$out" >"$W/run.log" 2>&1 || rc=$?
	runs=$((runs + 1))
	new=$(find "$out" -mindepth 1 -maxdepth 1 ! -name "$OLD")
	vm=$(find "$out" -name vmcore ! -path "*/$OLD/*")
	if [ $rc = 0 ]; then
		if [ "$(echo "$new" | grep -c .)" != 1 ] || ! cmp -s "$new/vmcore" "$W/ref" || [ -e "$new/vmcore-incomplete" ]; then
			bad=$((bad + 1)); echo "    $spec: exit 0 without DIR/<date>/vmcore equal to -R's"
		elif head -c 4096 "$W/dev" | grep -q makedumpfile; then
			bad=$((bad + 1)); echo "    $spec: exit 0 but the marker is still there"
		fi
	elif ! cmp -s "$W/dev" "$W/pristine"; then
		bad=$((bad + 1)); echo "    $spec: exit $rc but the device changed"; tail -2 "$W/run.log"
	elif [ -n "$vm" ] && ! { grep -q "cannot clear the dump marker" "$W/run.log" && cmp -s "$vm" "$W/ref"; }; then
		bad=$((bad + 1)); echo "    $spec: exit $rc but a vmcore was made: $vm"; tail -2 "$W/run.log"
	elif ! grep -q "stays\|saved again" "$W/run.log"; then
		bad=$((bad + 1)); echo "    $spec: exit $rc without saying where the dump is"; tail -2 "$W/run.log"
	fi
	if ! olddir | cmp -s - "$W/old.before"; then
		bad=$((bad + 1)); echo "    $spec: the older dump directory changed"
	fi
	[ -n "$new" ] && rm -rf $new
}
for opn in $counts; do
	op=${opn%%=*} n=${opn#*=}
	case $op in read|write|fsync|close|open|rename) ;; *) continue ;; esac
	for i in $(seq 1 "$n"); do
		positions=$((positions + 1))
		for err in EIO ENOSPC EFBIG; do
			sweep_one "$op" "$i" "$err" once
			sweep_one "$op" "$i" "$err"
		done
	done
done
echo "    savecore fault sweep: $runs runs over $positions positions ($counts)"
[ "$positions" -gt 20 ] && [ $bad = 0 ] && ok "savecore under EIO/ENOSPC/EFBIG at each of $positions I/O calls (once and persistent): $runs runs, never a lie, never a loss" ||
	not_ok "savecore fault sweep: $bad bad runs of $runs"
t_done
