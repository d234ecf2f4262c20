#!/usr/bin/env bash
# Collector tests on small synthetic vmcores (tests/tools/fakevmcore.py):
# every compression (none, zlib, lzo, zstd) at levels 0 and 1, page-exact checks by an independent
# reader, -F/-R identity, makedumpfile -R on our stream, and bad inputs.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-fake.XXXXXX)
trap 'rm -rf "$W"' EXIT
FAKE="$PY $TOP/tests/tools/fakevmcore.py"
CHECK="$PY $TOP/tests/tools/checkdump.py"
$FAKE "$W/core"

for lvl in 0 1; do
	for c in none zlib lzo zstd; do
		flag=$(case $c in zlib) echo -c ;; lzo) echo -l ;; zstd) echo -z ;; esac)
		out=$W/d$lvl$c
		check "dump -d $lvl $c is written" "$KDUMPCAP" $flag -d $lvl --message-level 0 "$W/core" "$out"
		check "dump -d $lvl $c: every page equals the vmcore's" $CHECK "$out" "$W/core" --level $lvl --compress $c
	done
done

check "threads give the same bytes (lzo)" bash -c "'$KDUMPCAP' -l -d 1 --num-threads 3 --message-level 0 '$W/core' '$W/l3' &&
	'$KDUMPCAP' -l -d 1 --num-threads 1 --message-level 0 '$W/core' '$W/l1' && cmp '$W/l1' '$W/l3'"
check "threads give the same bytes" bash -c "'$KDUMPCAP' -z -d 1 --num-threads 3 --message-level 0 '$W/core' '$W/t3' &&
	'$KDUMPCAP' -z -d 1 --num-threads 1 --message-level 0 '$W/core' '$W/t1' && cmp '$W/t1' '$W/t3'"
check "threads give the same bytes at -d 31 (zstd, 1 vs 2 threads)" bash -c "'$KDUMPCAP' -z -d 31 --num-threads 2 --message-level 0 '$W/core' '$W/f2' &&
	'$KDUMPCAP' -z -d 31 --num-threads 1 --message-level 0 '$W/core' '$W/f1' && cmp '$W/f1' '$W/f2'"
for zl in -7 9; do
	check "--zstd-level $zl: every page equals the vmcore's" bash -c "'$KDUMPCAP' -z --zstd-level $zl -d 1 \
		--message-level 0 '$W/core' '$W/zl$zl' && $CHECK '$W/zl$zl' '$W/core' --level 1 --compress zstd"
done
check_fails "--zstd-level 20 refused" "invalid --zstd-level" "$KDUMPCAP" -z --zstd-level 20 "$W/core" "$W/x.dump"
check_fails "--zstd-level x refused" "invalid --zstd-level" "$KDUMPCAP" -z --zstd-level x "$W/core" "$W/x.dump"
for c in -c -l -z ""; do
	check "-F | -R is byte-identical to a direct write ($c)" bash -c "'$KDUMPCAP' $c -d 1 -F --message-level 0 '$W/core' |
		'$KDUMPCAP' -R '$W/r$c' && '$KDUMPCAP' $c -d 1 --message-level 0 '$W/core' '$W/direct$c' && cmp '$W/r$c' '$W/direct$c'"
done
check "makedumpfile -R accepts the flattened stream" bash -c "'$KDUMPCAP' -c -d 1 -F --message-level 0 '$W/core' |
	makedumpfile -R '$W/mkr' >/dev/null && cmp '$W/mkr' '$W/direct-c'"
check_fails "-R refuses a stream without its end marker" "incomplete" bash -c "'$KDUMPCAP' -c -F --message-level 0 '$W/core' |
	head -c 100000 | '$KDUMPCAP' -R '$W/cut'"
check_fails "-R refuses a non-stream" "not a flattened" bash -c "'$KDUMPCAP' -R '$W/x' < '$W/core'"

# arm64 vmcores of 4, 16 and 64 KiB pages (tests/tools/fakearm64.py): the
# dump's blocks are the kernel's pages, every compression; the header's
# utsname is found only by walking swapper_pg_dir for that page size
for ps in 4096 16384 65536; do
	k=$((ps / 1024))k
	$PY "$TOP/tests/tools/fakearm64.py" "$W/a$k" --page-size $ps
	for c in none zlib lzo zstd; do
		flag=$(case $c in zlib) echo -c ;; lzo) echo -l ;; zstd) echo -z ;; esac)
		check "arm64 $k pages, -d 1 $c: written, every page equals the vmcore's, utsname read through the page tables" \
			bash -c "'$KDUMPCAP' $flag -d 1 --message-level 0 '$W/a$k' '$W/a$k$c' 2>/dev/null &&
			$CHECK '$W/a$k$c' '$W/a$k' --level 1 --compress $c --uts-node fake-arm64-$k"
	done
	[ $ps = 4096 ] && continue
	check "arm64 $k pages: -F | -R and makedumpfile -R give the direct write's bytes" bash -c "
		'$KDUMPCAP' -c -d 1 -F --message-level 0 '$W/a$k' 2>/dev/null | '$KDUMPCAP' -R '$W/a${k}r' &&
		'$KDUMPCAP' -c -d 1 -F --message-level 0 '$W/a$k' 2>/dev/null | makedumpfile -R '$W/a${k}m' >/dev/null &&
		cmp '$W/a${k}r' '$W/a${k}zlib' && cmp '$W/a${k}m' '$W/a${k}zlib'"
	check "arm64 $k pages: 1 and 3 threads give the same bytes (zstd, -d 31)" bash -c "
		'$KDUMPCAP' -z -d 31 --num-threads 3 --message-level 0 '$W/a$k' '$W/a${k}t3' 2>/dev/null &&
		'$KDUMPCAP' -z -d 31 --num-threads 1 --message-level 0 '$W/a$k' '$W/a${k}t1' 2>/dev/null &&
		cmp '$W/a${k}t1' '$W/a${k}t3'"
done

# the other translation layouts, one dump each: VA_BITS (and TCR_EL1_T1SZ,
# where a 52-bit kernel runs on a CPU without LPA2) per page size
for spec in "4096 39" "16384 47" "16384 36" "16384 52" "16384 52 17" "65536 42" "65536 52"; do
	read -r ps vb t1sz <<<"$spec"
	k=$((ps / 1024))k
	$PY "$TOP/tests/tools/fakearm64.py" "$W/lay" --page-size $ps --va-bits $vb ${t1sz:+--t1sz $t1sz}
	check "arm64 $k pages, VA_BITS=$vb${t1sz:+ TCR_EL1_T1SZ=$t1sz}: utsname read through the page tables, pages right" \
		bash -c "rm -f '$W/lay.d' && '$KDUMPCAP' -z -d 1 --message-level 0 '$W/lay' '$W/lay.d' 2>/dev/null &&
		$CHECK '$W/lay.d' '$W/lay' --level 1 --compress zstd --uts-node fake-arm64-$k"
done
$PY "$TOP/tests/tools/fakearm64.py" "$W/lay" --page-size 4096 --va-bits 52
check "arm64 4k pages at 52-bit VA (5 levels): a warning names the layout, the dump is written" \
	bash -c "rm -f '$W/lay.d' && '$KDUMPCAP' -z -d 31 '$W/lay' '$W/lay.d' >'$W/lay.log' 2>&1 &&
	grep -q 'VA_BITS=52.*page-table walk' '$W/lay.log' && $CHECK '$W/lay.d' '$W/lay' --compress zstd"

# bad inputs: one clear line, non-zero exit, no crash
$FAKE "$W/trunc" --truncate 20000000
check_fails "truncated vmcore: error and non-zero exit" "truncated" "$KDUMPCAP" -c "$W/trunc" "$W/trunc.dump"
check "truncated vmcore: the pages that were there are saved, header INCOMPLETE" \
	$CHECK "$W/trunc.dump" "$W/trunc" --expect-incomplete
$FAKE "$W/garbage" --garbage-notes
check_fails "garbage notes: clear error" "corrupt vmcore" "$KDUMPCAP" -c "$W/garbage" "$W/g.dump"
check "garbage notes: no output file is left" test ! -e "$W/g.dump"
$FAKE "$W/novi" --no-vmcoreinfo
check_fails "missing VMCOREINFO: clear error" "no VMCOREINFO" "$KDUMPCAP" -c "$W/novi" "$W/n.dump"
head -c 30 "$W/core" > "$W/tiny"
check_fails "tiny file: clear error" "not an ELF\|ELF header" "$KDUMPCAP" "$W/tiny" "$W/tiny.dump"
check_fails "not a vmcore: clear error" "no ELF magic" "$KDUMPCAP" /etc/passwd "$W/p.dump"
check_fails "missing vmcore: clear error" "cannot open vmcore" "$KDUMPCAP" "$W/nonexistent" "$W/ne.dump"
touch "$W/exists"
check_fails "existing DUMPFILE refused" "already exists" "$KDUMPCAP" -c "$W/core" "$W/exists"
check_fails "unwritable output: clear error" "cannot create" "$KDUMPCAP" -c "$W/core" /proc/kdc-no/dump
check "the Fedora/RHEL default line (-l --message-level 7 -d 31) works" \
	"$KDUMPCAP" -l --message-level 7 -d 31 "$W/core" "$W/l.dump"
check "-l -d 31 dump: every dumped page equals the vmcore's" \
	$CHECK "$W/l.dump" "$W/core" --level 31 --compress lzo --filtered
check_fails "-p fails before creating a file" "not supported" "$KDUMPCAP" -p "$W/core" "$W/p2.dump"
check "-p left no file" test ! -e "$W/p2.dump"
check_fails "-d 32 refused" "invalid dump level" "$KDUMPCAP" -d 32 "$W/core" "$W/x.dump"
check_fails "bad --message-level refused" "message-level" "$KDUMPCAP" --message-level x "$W/core" "$W/x.dump"

# a full disk at every write in turn: non-zero exit, INCOMPLETE, no crash
nw=$(strace -f -c -e trace=pwrite64,write "$KDUMPCAP" -c -d 1 --message-level 0 "$W/core" "$W/count" 2>&1 |
	awk '$NF=="pwrite64"{print $4}')
[ -n "$nw" ] || nw=20
bad=0
for n in $(seq 2 "$nw"); do
	rm -f "$W/full"
	if KDUMPCAP_FAULT=write:$n:ENOSPC "$KDUMPCAP" -c -d 1 --message-level 0 "$W/core" "$W/full" 2>"$W/err"; then
		bad=1; echo "    write $n: exit 0 on ENOSPC"
	elif ! grep -q "No space left" "$W/err"; then
		bad=1; echo "    write $n: no clear message"; cat "$W/err"
	elif ! $CHECK "$W/full" "$W/core" --expect-incomplete >/dev/null; then
		bad=1; echo "    write $n: dump not flagged INCOMPLETE or pages wrong"
		$CHECK "$W/full" "$W/core" --expect-incomplete | tail -2
	fi
done
[ $bad = 0 ] && ok "ENOSPC at each of $nw writes: INCOMPLETE, pages written are right" ||
	not_ok "ENOSPC at some write"
rm -f "$W/eio"
check_fails "EIO on fsync is reported" "durable\|Input/output" env KDUMPCAP_FAULT=fsync:1:EIO "$KDUMPCAP" -c "$W/core" "$W/eio"
rm -f "$W/nommap"
check "mmap refused: falls back to pread, same bytes" bash -c "KDUMPCAP_FAULT=mmap:1:ENOMEM '$KDUMPCAP' -c -d 1 --message-level 0 '$W/core' '$W/nommap' && cmp '$W/nommap' '$W/direct-c'"
# --dump-dmesg creates LOGFILE only for a vmcore it accepts
check_fails "--dump-dmesg of a file that is no vmcore: clear error" "no ELF magic" \
	"$KDUMPCAP" --dump-dmesg /etc/passwd "$W/refused.log"
check "--dump-dmesg of a refused vmcore leaves no LOGFILE" test ! -e "$W/refused.log"
t_done
