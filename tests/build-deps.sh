#!/usr/bin/env bash
# Build zlib, libzstd and liblzo2 from Debian's source packages against musl into DIR
# (static libraries + headers). Nothing third-party is committed: the sources
# come from the archive (needs a deb-src entry, see tests/setup-host.sh).
set -euo pipefail
out=$(realpath -m "${1:-build/deps}")
src=$out/src
mkdir -p "$src" "$out/lib" "$out/include"
cd "$src"
if [ ! -f "$out/lib/libz.a" ]; then
	rm -rf zlib-*/ && apt-get source -q --download-only zlib >/dev/null 2>&1 || apt-get source --download-only zlib
	dpkg-source -x --skip-patches zlib_*.dsc zlib-src >/dev/null 2>&1 || dpkg-source -x zlib_*.dsc zlib-src >/dev/null
	(cd zlib-src && CC=musl-gcc CFLAGS="-O2 -fPIC" ./configure --static --prefix="$out" >/dev/null &&
		make -s libz.a >/dev/null && cp libz.a "$out/lib/" && cp zlib.h zconf.h "$out/include/")
fi
if [ ! -f "$out/lib/libzstd.a" ]; then
	apt-get source -q --download-only libzstd >/dev/null 2>&1 || apt-get source --download-only libzstd
	rm -rf zstd-src && dpkg-source -x libzstd_*.dsc zstd-src >/dev/null
	(cd zstd-src && make -s -C lib libzstd.a CC=musl-gcc CFLAGS="-O2" ZSTD_LEGACY_SUPPORT=0 \
		ZSTD_LIB_DEPRECATED=0 ZSTD_LIB_DICTBUILDER=0 >/dev/null &&
		cp lib/libzstd.a "$out/lib/" && cp lib/zstd.h lib/zstd_errors.h "$out/include/")
fi
if [ ! -f "$out/lib/liblzo2.a" ]; then
	apt-get source -q --download-only lzo2 >/dev/null 2>&1 || apt-get source --download-only lzo2
	rm -rf lzo2-src && dpkg-source -x lzo2_*.dsc lzo2-src >/dev/null
	(cd lzo2-src && CC=musl-gcc CFLAGS="-O2" ./configure --disable-shared --enable-static >/dev/null &&
		make -s src/liblzo2.la >/dev/null && cp src/.libs/liblzo2.a "$out/lib/" &&
		mkdir -p "$out/include/lzo" && cp include/lzo/*.h "$out/include/lzo/")
fi
echo "deps ready in $out"
