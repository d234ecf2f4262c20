#!/usr/bin/env bash
# Build zlib, libzstd and liblzo2 from Debian's source packages against musl into DIR
# (static libraries + headers). Nothing third-party is committed: the sources
# come from the archive (needs a deb-src entry, see tests/setup-host.sh).
#   tests/build-deps.sh [DIR]            the libraries the product links
#   tests/build-deps.sh DIR dbclient     dropbear's SSH client for SSH targets, static,
#                                        into DIR/bin/dbclient, and dropbearconvert
#                                        (OpenSSH keys -> dropbear's format, for mkinitrd)
#   KDC_ARCH=arm64                       cross-build for aarch64 with Debian's
#                                        aarch64-linux-musl-gcc (musl-dev:arm64)
set -euo pipefail
out=$(realpath -m "${1:-build/deps}")
# cc: the musl compiler driver; cross: binutils prefix; host: configure's --host
case ${KDC_ARCH:-} in
arm64) cc=aarch64-linux-musl-gcc cross=aarch64-linux-gnu- host=--host=aarch64-linux-gnu ;;
'' | x86_64) cc=musl-gcc cross= host= ;;
*) echo "build-deps: unknown KDC_ARCH '$KDC_ARCH' (x86_64 or arm64)" >&2; exit 1 ;;
esac
command -v "$cc" >/dev/null || { echo "build-deps: $cc not found; run tests/setup-host.sh" >&2; exit 1; }
src=$out/src
host_release=$(. /etc/os-release && echo "$VERSION_CODENAME")
mkdir -p "$src" "$out/lib" "$out/include"
# What an earlier version of this script built is built again: its hash is kept
# beside the results, and a different one clears them (make reruns the script
# when it is newer than the libraries).
recipe=$(sha256sum <"$0" | cut -c1-16)
if [ "$(cat "$out/recipe" 2>/dev/null)" != "$recipe" ]; then
	rm -f "$out"/lib/*.a "$out/bin/dbclient" "$out/bin/dropbearconvert"
	echo "$recipe" >"$out/recipe"
fi
cd "$src"

# fetch_src PKG DIR [RELEASES]: unpack the newest version of source package PKG
# that the archive actually serves into DIR, from the Debian releases named in
# RELEASES (an extended regex on the suite; default: this machine's release and
# its updates). The mirror may list a security update's source yet answer 404
# for it, so every listed version is tried, newest first, and the one used is named.
fetch_src() {
	local pkg=$1 dir=$2 rel=${3:-$host_release} v versions
	versions=$(apt-cache madison "$pkg" 2>/dev/null | awk -F' [|] ' -v re="^($rel)([-/]|$)" \
		'$3 ~ / Sources$/ { split($3, u, " "); if (u[2] ~ re) print $2 }' | sort -u | sort -r -V)
	if [ -z "$versions" ]; then
		echo "build-deps: apt-cache madison $pkg lists no source from $rel; run tests/setup-host.sh (deb-src entries, apt-get update)" >&2
		return 1
	fi
	for v in $versions; do
		rm -f "${pkg}"_*.dsc "${pkg}"_*.tar.* "${pkg}"_*.diff.*
		if apt-get source -q --download-only "$pkg=$v" >"$src/$pkg.fetch.log" 2>&1; then
			rm -rf "$dir"
			dpkg-source -x "${pkg}"_*.dsc "$dir" >"$src/$pkg.unpack.log" 2>&1 || { echo "build-deps: dpkg-source failed on $pkg $v (see $src/$pkg.unpack.log)" >&2; return 1; }
			echo "build-deps: building $pkg $v"
			return 0
		fi
		echo "build-deps: $pkg $v is listed but cannot be downloaded ($(grep -m1 -E "^(Err|E:)|404" "$src/$pkg.fetch.log" || echo failed)); trying the next version" >&2
	done
	echo "build-deps: no listed version of $pkg could be downloaded (tried: $(echo $versions))" >&2
	return 1
}

# dropbear's dbclient, static with musl: no zlib, bundled libtom, no
# syslog/utmp/lastlog. Nothing may ever prompt: the capture kernel has no
# tty, and dbclient's stdin is the SFTP stream. So no password or
# keyboard-interactive auth, and an unknown host key is refused: 2022.83
# would read the yes/no answer from stdin when /dev/tty cannot be opened.
build_dbclient() {
	local d=dropbear-src
	fetch_src dropbear "$d"
	cat > "$d/localoptions.h" <<'OPTS'
#define DROPBEAR_SVR_PASSWORD_AUTH 0
#define DROPBEAR_CLI_PASSWORD_AUTH 0
#define DROPBEAR_CLI_AGENTFWD 0
#define DROPBEAR_CLI_LOCALTCPFWD 0
#define DROPBEAR_CLI_REMOTETCPFWD 0
#define DROPBEAR_CLI_NETCAT 0
#define DROPBEAR_CLI_PROXYCMD 0
#define DO_MOTD 0
OPTS
	sed -i 's|^\(\s*\)tty = fopen(_PATH_TTY, "r");|\1dropbear_exit("Host key of %s is not in $HOME/.ssh/known_hosts; refused (kdumpcap build: no prompt)", cli_opts.remotehost);\n&|' \
		"$d/cli-kex.c"
	grep -q 'refused (kdumpcap build: no prompt)' "$d/cli-kex.c" ||
		{ echo "build-deps: cannot patch dropbear's host-key prompt (cli-kex.c changed?)" >&2; return 1; }
	(cd "$d" && CC=$cc CFLAGS="-Os" ./configure $host --enable-static --disable-zlib --enable-bundled-libtom \
		--disable-syslog --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp --disable-wtmpx \
		--disable-pututline --disable-pututxline >"$src/dropbear.configure.log" 2>&1 &&
		make -j2 PROGRAMS="dbclient dropbearconvert" >"$src/dropbear.make.log" 2>&1) ||
		{ echo "build-deps: dropbear build failed (see $src/dropbear.configure.log, $src/dropbear.make.log)" >&2; return 1; }
	mkdir -p "$out/bin"
	"${cross}strip" -o "$out/bin/dbclient" "$d/dbclient"
	"${cross}strip" -o "$out/bin/dropbearconvert" "$d/dropbearconvert"
	echo "build-deps: $out/bin/dbclient ($(stat -c %s "$out/bin/dbclient") bytes), $out/bin/dropbearconvert"
}
if [ "${2:-}" = dbclient ]; then
	build_dbclient
	exit 0
fi

if [ ! -f "$out/lib/libz.a" ]; then
	fetch_src zlib zlib-src
	(cd zlib-src && CC=$cc CROSS_PREFIX=$cross CFLAGS="-O2 -fPIC" ./configure --static --prefix="$out" >/dev/null &&
		make -s libz.a >/dev/null && cp libz.a "$out/lib/" && cp zlib.h zconf.h "$out/include/")
fi
if [ ! -f "$out/lib/libzstd.a" ]; then
	# Debian 13's libzstd: the 1.5.7 that makedumpfile 1.7.6 links (bench's
	# baseline), 5-12% faster than Debian 12's 1.5.4 on kdump pages, same bytes
	fetch_src libzstd zstd-src "trixie|$host_release"
	(cd zstd-src && make -s -C lib libzstd.a CC=$cc AR="${cross}ar" CFLAGS="-O2" ZSTD_LEGACY_SUPPORT=0 \
		ZSTD_LIB_DEPRECATED=0 ZSTD_LIB_DICTBUILDER=0 >/dev/null &&
		cp lib/libzstd.a "$out/lib/" && cp lib/zstd.h lib/zstd_errors.h "$out/include/")
fi
if [ ! -f "$out/lib/liblzo2.a" ]; then
	fetch_src lzo2 lzo2-src
	(cd lzo2-src && CC=$cc CFLAGS="-O2" ./configure $host --disable-shared --enable-static >/dev/null &&
		make -s src/liblzo2.la >/dev/null && cp src/.libs/liblzo2.a "$out/lib/" &&
		mkdir -p "$out/include/lzo" && cp include/lzo/*.h "$out/include/lzo/")
fi
touch "$out"/lib/*.a # newer than this script: make has nothing more to do
echo "deps ready in $out"
