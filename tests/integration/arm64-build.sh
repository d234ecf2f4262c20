#!/usr/bin/env bash
# The arm64 build: `make ARCH=arm64` cross-builds the same static binary for
# aarch64 (Debian's gcc-aarch64-linux-gnu and musl-dev:arm64; zlib, zstd, lzo2
# built once into build/deps-arm64), and it runs under qemu-aarch64-static:
# --help, the unit tests, and dumps of synthetic x86_64 and arm64 (64 KiB
# pages) vmcores that an independent reader checks page by page.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-arm64.XXXXXX)
trap 'rm -rf "$W"' EXIT
BIN=$TOP/build/arm64/kdumpcap
QEMU=qemu-aarch64-static

if ! command -v aarch64-linux-musl-gcc >/dev/null || ! command -v $QEMU >/dev/null; then
	not_ok "arm64 toolchain (aarch64-linux-musl-gcc, $QEMU) installed: run tests/setup-host.sh"
	t_done
	exit
fi
# its own O and DEPS (build/arm64, build/deps-arm64), whatever the x86 run was given
check "make ARCH=arm64 builds build/arm64/kdumpcap" env -u DEPS -u O make -C "$TOP" -s ARCH=arm64 build/arm64/kdumpcap build/arm64/unit
check "it is a static aarch64 executable" bash -c "file -b '$BIN' | grep -q 'ARM aarch64.*statically linked'"
check "--help runs under $QEMU" bash -c "$QEMU '$BIN' --help 2>&1 | grep -q '^usage: kdumpcap'"
check "unit tests pass under $QEMU" $QEMU "$TOP/build/arm64/unit"

# The collector built for aarch64 reads an x86_64 vmcore like the native one.
printf '#!/bin/sh\nexec %s %s "$@"\n' "$QEMU" "$BIN" >"$W/kdumpcap"
chmod +x "$W/kdumpcap"
$PY "$TOP/tests/tools/fakevmcore.py" "$W/core"
for args in "-z -d 1:zstd:1:" "-l -d 31:lzo:31:--filtered"; do
	IFS=: read -r flags c lvl filtered <<<"$args"
	check "x86_64 vmcore, $flags: written" "$W/kdumpcap" $flags --message-level 0 "$W/core" "$W/d$c"
	check "x86_64 vmcore, $flags: every page equals the vmcore's" \
		$PY "$TOP/tests/tools/checkdump.py" "$W/d$c" "$W/core" --level "$lvl" --compress "$c" $filtered
done
# and an arm64 vmcore of 64 KiB pages (tests/tools/fakearm64.py), the walk included
$PY "$TOP/tests/tools/fakearm64.py" "$W/a64k" --page-size 65536
check "arm64 vmcore of 64 KiB pages, -z -d 31: every page equals the vmcore's, utsname read through the page tables" \
	bash -c "'$W/kdumpcap' -z -d 31 --message-level 0 '$W/a64k' '$W/a64k.dump' 2>/dev/null &&
	$PY '$TOP/tests/tools/checkdump.py' '$W/a64k.dump' '$W/a64k' --compress zstd --uts-node fake-arm64-64k"
check_fails "not a vmcore: clear error" "no ELF magic" "$W/kdumpcap" /etc/passwd "$W/p.dump"
t_done
