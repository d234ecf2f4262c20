#!/usr/bin/env bash
# Every test, fast ones first: unit tests, synthetic-vmcore collector tests,
# real vmcores from QEMU, then QEMU end-to-end captures. Prints one
# "N passed, N failed" line at the end; exit 0 only when nothing failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$(mktemp /tmp/kdc-tests.XXXXXX)
suites=(
	"unit:build/unit"
	"fake:tests/integration/fake.sh"
	"fake:tests/integration/straddle.sh"
	"arm64-build:tests/integration/arm64-build.sh"
	"mkinitrd:tests/integration/mkinitrd.sh"
	"net:tests/integration/net.sh"
	"ssh:tests/integration/ssh.sh"
	"modules:tests/integration/modules.sh"
	"savecore:tests/integration/savecore.sh"
	"service:tests/integration/service.sh"
	"sweep:tests/integration/sweep.sh"
	"fuzz:env FUZZ_SAN=1 tests/integration/fuzz-replay.sh"
	"real:tests/integration/real.sh"
	"filter:tests/integration/filter.sh"
	"arm64:tests/integration/arm64.sh"
	"arm64-e2e:qemu/e2e-arm64.sh"
	"arm64-e2e:env KDC_FLAVOUR=6.12-arm64-16k qemu/e2e-arm64.sh --gzip-image"
)
for f in qemu/e2e-all.sh; do
	[ -x "$f" ] && suites+=("$(basename "$f" .sh):$f")
done
# slow suites run only when KDC_SUITES names them (make test-slow)
[[ " ${KDC_SUITES:-} " == *" sysguest "* ]] && suites+=("sysguest:qemu/sysguest.sh")
rc=0
for s in "${suites[@]}"; do
	name=${s%%:*} cmd=${s#*:}
	[ -n "${KDC_SUITES:-}" ] && [[ " $KDC_SUITES " != *" $name "* ]] && continue
	echo "=== $name: $cmd"
	start=$(date +%s)
	if [ "$name" = unit ]; then
		# unit tests print their own counts; count them as one line each
		tests/check-layers.sh 2>&1 | tee -a "$log"
		if ./build/unit > "$log.unit" 2>&1; then echo "ok - unit tests ($(tail -1 "$log.unit"))"; else
			cat "$log.unit"; echo "not ok - unit tests"; fi | tee -a "$log"
	else
		$cmd 2>&1 | tee -a "$log"
	fi
	echo "=== $name took $(($(date +%s) - start))s"
done
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
grep '^not ok - ' "$log"
rm -f "$log" "$log.unit"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
