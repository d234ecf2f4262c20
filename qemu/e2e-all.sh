#!/usr/bin/env bash
# The QEMU end-to-end captures as test lines for tests/run-all.sh: one
# "ok - ..." or "not ok - ..." per scenario of qemu/e2e-capture.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp /tmp/kdc-e2e.XXXXXX)
"$here/e2e-capture.sh" "$@" 2>&1 | tee "$log" | grep -v '^RESULT ' | tail -n 200 > "$log.tail"
n=0
while read -r _ name verdict rest; do
	n=$((n + 1))
	if [ "$verdict" = PASS ]; then
		echo "ok - e2e $name ($rest)"
	else
		echo "not ok - e2e $name ($rest)"
	fi
done < <(grep '^RESULT ' "$log")
if [ $n -eq 0 ] || grep -q '^RESULT .* FAIL' "$log"; then
	sed 's/^/    /' "$log.tail" | tail -40
fi
[ $n -gt 0 ] || echo "not ok - e2e: no scenario reported a result"
rm -f "$log" "$log.tail"
