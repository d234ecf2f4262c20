# Shared helpers for the shell tests. Each check prints "ok - NAME" or
# "not ok - NAME"; tests/run-all.sh counts them.
: "${KDUMPCAP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/kdumpcap}"
: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${PY:=/usr/bin/python3}"
T_FAILED=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILED=$((T_FAILED + 1)); }

# check NAME CMD...: run CMD, ok if it exits 0; its output is shown on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name"
		printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
	fi
}

# check_fails NAME PATTERN CMD...: CMD must exit non-zero and print PATTERN.
check_fails() {
	local name=$1 pat=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$pat"; then
		ok "$name"
	else
		not_ok "$name (rc=$rc, wanted non-zero and '$pat')"
		printf '%s\n' "$out" | tail -10 | sed 's/^/    /'
	fi
}

t_done() { return $((T_FAILED > 0)); }
