#!/usr/bin/env bash
# Build the libFuzzer binaries: clang + glibc, ASan + UBSan, Debian's zlib
# and zstd (zlib1g-dev, libzstd-dev, clang, libclang-rt-14-dev: dev/test
# tools only, never in the product). Output: build/fuzz/fuzz_<name>.
#   tests/fuzz/build.sh [name...]      (default: every tests/fuzz/fuzz_*.c)
# Run one:  build/fuzz/fuzz_vmcore -jobs=1 -max_total_time=180 \
#             build/fuzz/corpus/vmcore tests/fuzz/corpus/vmcore
# (the first corpus directory collects new inputs; keep it out of git).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
CLANG=${CLANG:-clang}
out=build/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. -Wall -Wno-unused-parameter"
mkdir -p "$out/obj"

srcs=$(ls lib/*.c vmcore/*.c capture/*.c filter/*.c transport/*.c initramfs/*.c tests/synth/*.c tests/fuzz/fuzzlib.c | grep -v -e '^capture/main.c$' -e '^initramfs/load_arm64.c$')
objs=()
for s in $srcs; do
	objs+=("$out/obj/$(echo "${s%.c}" | tr / _).o")
done
for s in $srcs; do
	o=$out/obj/$(echo "${s%.c}" | tr / _).o
	if [ ! -e "$o" ] || [ "$s" -nt "$o" ] || [ "$0" -nt "$o" ] || \
	   [ -n "$(find "$(dirname "$s")" lib capture filter transport initramfs tests/synth tests/fuzz -name '*.h' -newer "$o" | head -1)" ]; then
		echo "$s $o"
	fi
done | xargs -r -n2 -P2 sh -c "$CLANG $cflags $san -fsanitize=fuzzer-no-link -c -o \"\$1\" \"\$0\""

names=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's,.*/fuzz_,,; s,\.c$,,')}
for n in $names; do
	$CLANG $cflags $san -fsanitize=fuzzer -o "$out/fuzz_$n" "tests/fuzz/fuzz_$n.c" "${objs[@]}" -lzstd -lz -llzo2 -lpthread
	echo "built $out/fuzz_$n"
done
