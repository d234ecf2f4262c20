#!/bin/sh
# The kernel log of a real vmcore: `KDUMPCAP --dump-dmesg` must write the
# same bytes as `makedumpfile --dump-dmesg` (the oracle, Debian's 1.7.2).
#   tests/integration/dmesg.sh VMCORE [KDUMPCAP_BINARY]
# Exit 0 when identical, 1 with a diff excerpt when not, 77 (skip) when
# makedumpfile or the vmcore is missing.
set -u

vmcore=${1:?usage: $0 VMCORE [KDUMPCAP_BINARY]}
bin=${2:-build/kdumpcap}

# the oracle; for arm64 vmcores the arm64 build (tests/tools/mdf-arm64.sh)
MAKEDUMPFILE=${MAKEDUMPFILE:-makedumpfile}
if ! command -v "$MAKEDUMPFILE" >/dev/null 2>&1; then
	echo "dmesg: SKIP: $MAKEDUMPFILE not installed (apt-get install makedumpfile)"
	exit 77
fi
if [ ! -r "$vmcore" ]; then
	echo "dmesg: SKIP: cannot read vmcore $vmcore"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "dmesg: FAIL: no kdumpcap binary at $bin (run make)"
	exit 1
fi

tmp=$(mktemp -d /tmp/kdc-dmesg.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! timeout 120 "$MAKEDUMPFILE" --dump-dmesg "$vmcore" "$tmp/ref.txt" >"$tmp/ref.log" 2>&1; then
	echo "dmesg: FAIL: makedumpfile --dump-dmesg $vmcore failed:"
	tail -5 "$tmp/ref.log"
	exit 1
fi
if ! timeout 120 "$bin" --dump-dmesg "$vmcore" "$tmp/out.txt" >"$tmp/out.log" 2>&1; then
	echo "dmesg: FAIL: $bin --dump-dmesg $vmcore failed:"
	tail -5 "$tmp/out.log"
	exit 1
fi
if ! cmp "$tmp/ref.txt" "$tmp/out.txt"; then
	echo "dmesg: FAIL: kernel log differs from makedumpfile's ($(wc -c <"$tmp/ref.txt") vs $(wc -c <"$tmp/out.txt") bytes); first differences (- makedumpfile, + kdumpcap):"
	diff -u "$tmp/ref.txt" "$tmp/out.txt" | sed -n '3,40p'
	exit 1
fi
echo "dmesg: OK: $(wc -l <"$tmp/ref.txt") lines identical to makedumpfile on $vmcore"
exit 0
