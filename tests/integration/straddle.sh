#!/usr/bin/env bash
# Vmcores whose RAM is split at unaligned addresses into several PT_LOADs, as
# on EFI machines (System RAM cut around setup_data): pages shared by two
# segments, with a gap of no segment inside one, a segment starting mid-page
# after a hole (fakevmcore.py --split). Every page must equal the vmcore's
# (checkdump.py reads each page from all segments) and makedumpfile's, the
# dump must be complete; and a PT_LOAD with an absurd p_memsz must not make
# the bitmaps endless. Part of the fake suite.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-straddle.XXXXXX)
trap 'rm -rf "$W"' EXIT
FAKE="$PY $TOP/tests/tools/fakevmcore.py"
CHECK="$PY $TOP/tests/tools/checkdump.py"
CMP="$PY $TOP/tests/tools/cmpdumps.py"
$FAKE "$W/split" --split --kernel-info

for lvl in 0 1; do
	for c in none zlib lzo zstd; do
		flag=$(case $c in zlib) echo -c ;; lzo) echo -l ;; zstd) echo -z ;; esac)
		out=$W/d$lvl$c
		check "split RAM: dump -d $lvl $c is complete (exit 0)" "$KDUMPCAP" $flag -d $lvl --message-level 0 \
			"$W/split" "$out"
		check "split RAM: dump -d $lvl $c: every page equals the vmcore's, straddling ones too" \
			$CHECK "$out" "$W/split" --level $lvl --compress $c
	done
done
check "split RAM: a segment starting mid-page after a hole leaves the dump complete (no INCOMPLETE)" \
	bash -c "'$KDUMPCAP' -d 0 '$W/split' '$W/mid' 2>'$W/mid.err'; rc=\$?; cat '$W/mid.err';
		[ \$rc = 0 ] && ! grep -qi incomplete '$W/mid.err'"
rm -f "$W/nommap"
check "split RAM: mmap refused: pread gives the same bytes" bash -c "KDUMPCAP_FAULT=mmap:1:ENOMEM \
	'$KDUMPCAP' -d 0 --message-level 0 '$W/split' '$W/nommap' && cmp '$W/nommap' '$W/d0none'"

# makedumpfile as a second oracle. Before 1.7.6 (commit f2c5f76) it drops the
# page holding each segment's unaligned end of file data from the 2nd bitmap;
# kdumpcap keeps those (checkdump.py checked them above).
mdver=$(makedumpfile -v 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p')
keeps=
if [ "$(printf '%s\n' "$mdver" 1.7.6 | sort -V | head -1)" != 1.7.6 ]; then
	keeps=$($PY -c "import sys; sys.path.insert(0, '$TOP/tests/tools'); from fakevmcore import SPLIT_SEGS, PAGE
print(','.join(sorted({'%x' % ((p + fs) // PAGE) for p, _, fs in SPLIT_SEGS if (p + fs) % PAGE})))")
fi
for lvl in 0 1; do
	check "split RAM: makedumpfile $mdver accepts the vmcore at -d $lvl" \
		makedumpfile -d $lvl --message-level 0 "$W/split" "$W/md$lvl"
	for c in none zlib lzo zstd; do
		check "split RAM: -d $lvl $c: bitmaps and every page equal makedumpfile's" \
			$CMP "$W/d$lvl$c" "$W/md$lvl" --pages ${keeps:+--a-keeps $keeps} $([ $lvl = 1 ] && echo --zero)
	done
done

# a PT_LOAD whose p_memsz reaches past what x86_64 can address: clipped to its
# file data with a clear message, quickly, for a file and for -F
$FAKE "$W/huge" --huge-memsz
check "absurd p_memsz: clipped with a clear message, dump written within 60s" bash -c \
	"timeout 60 '$KDUMPCAP' -c -d 1 '$W/huge' '$W/huge.dump' 2>'$W/huge.err'; rc=\$?; cat '$W/huge.err';
	[ \$rc = 0 ] && grep -q 'reaches past the 2^46 bytes' '$W/huge.err'"
check "absurd p_memsz: every page equals the vmcore's" $CHECK "$W/huge.dump" "$W/huge" --level 1 --compress zlib
check "absurd p_memsz: -F ends within 60s, clear message, same dump as the file" bash -c \
	"set -o pipefail; timeout 60 '$KDUMPCAP' -c -d 1 -F '$W/huge' 2>'$W/hugeF.err' | head -c 100000000 |
	'$KDUMPCAP' -R '$W/hugeF.dump' && grep -q 'reaches past the 2^46 bytes' '$W/hugeF.err' &&
	cmp '$W/huge.dump' '$W/hugeF.dump'"
t_done
