#!/bin/sh
# Compare the pages kdumpcap keeps with makedumpfile's, level by level, on
# one real vmcore: both bitmaps of both dumps must be equal.
#   filter-compare.sh VMCORE KDUMPCAP [LEVEL...]
# KDUMPCAP is the kdumpcap binary (run as `KDUMPCAP -d N VMCORE DUMP`), or
# the test tool build/filter-bitmap (writes raw bitmaps; built by this
# script when given as "tool"). Prints one line of counts per level and
# exits non-zero on any difference.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vmcore=${1:?usage: filter-compare.sh VMCORE KDUMPCAP [LEVEL...]}
kdc=${2:?usage: filter-compare.sh VMCORE KDUMPCAP [LEVEL...]}
shift 2
levels=${*:-"0 1 2 4 8 16 31 3 5 6 12 17 24 30"}
MAKEDUMPFILE=${MAKEDUMPFILE:-makedumpfile} # the oracle; an arm64 build under qemu-user for arm64 vmcores
command -v "$MAKEDUMPFILE" >/dev/null || { echo "filter-compare: $MAKEDUMPFILE not installed (apt-get install makedumpfile)" >&2; exit 2; }

if [ "$kdc" = tool ]; then
	deps=${DEPS:-/work/main/build/deps}
	make -C "$top" -s DEPS="$deps" >/dev/null
	kdc=$top/build/filter-bitmap
	musl-gcc -std=gnu11 -O2 -I"$top" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -static -o "$kdc" \
		"$here/filter-bitmap.c" $(ls "$top"/build/obj/lib/*.o "$top"/build/obj/vmcore/*.o \
		"$top"/build/obj/filter/*.o | grep -v '/main\.o$') -L"$deps/lib" -lzstd -lz
fi
tmp=$(mktemp -d /tmp/filter-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
for l in $levels; do
	timeout 600 "$MAKEDUMPFILE" -d "$l" --message-level 16 "$vmcore" "$tmp/md.dump" >"$tmp/md.log" 2>&1 || {
		echo "level $l: makedumpfile failed:"; tail -5 "$tmp/md.log"; fail=1; continue; }
	case $(basename "$kdc") in
	filter-bitmap)
		timeout 600 "$kdc" "$vmcore" "$l" "$tmp/kc.bin" 2>"$tmp/kc.log" || {
			echo "level $l: $kdc failed:"; tail -5 "$tmp/kc.log"; fail=1; continue; }
		ours=raw:$tmp/kc.bin ;;
	*)
		rm -f "$tmp/kc.dump"
		timeout 600 "$kdc" -d "$l" "$vmcore" "$tmp/kc.dump" >"$tmp/kc.log" 2>&1 || {
			echo "level $l: $kdc failed:"; tail -5 "$tmp/kc.log"; fail=1; continue; }
		ours=$tmp/kc.dump ;;
	esac
	counts=$(python3 "$here/dumpbitmap.py" count "$tmp/md.dump")
	if python3 "$here/dumpbitmap.py" compare "$tmp/md.dump" "$ours" >"$tmp/cmp.log" 2>&1; then
		echo "level $l: equal ($counts)"
	else
		echo "level $l: DIFFERENT (makedumpfile: $counts)"
		sed 's/^/    /' "$tmp/cmp.log"
		fail=1
	fi
	rm -f "$tmp/md.dump" "$tmp/kc.dump" "$tmp/kc.bin"
done
exit $fail
