#!/bin/sh
# The folders are layers: each may include headers of its own folder and of
# the folders below it, never of one above. The order is the Makefile's DIRS,
# bottom first (lib vmcore filter transport capture initramfs; README
# "Layout"). Prints every include that breaks it and "not ok - layers", or
# "ok - layers"; exit status 0 only when nothing breaks it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
order=$(sed -n 's/^DIRS *:= *//p' Makefile)
if [ -z "$order" ]; then
	echo "not ok - layers: no 'DIRS :=' line in the Makefile"
	exit 1
fi
bad=0
below=""
for d in $order; do
	below="$below $d"
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] || continue
		incs=$(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^/"]*\)/.*|\1|p' "$f" | sort -u)
		for inc in $incs; do
			case " $below " in
			*" $inc "*) ;;
			*)
				echo "$f includes $inc/, which is not below $d (layers, bottom first: $order)"
				bad=1
				;;
			esac
		done
	done
done
if [ "$bad" -ne 0 ]; then
	echo "not ok - layers"
	exit 1
fi
echo "ok - layers ($order)"
