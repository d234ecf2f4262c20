#!/usr/bin/env bash
# Fetch Debian's kernel (image + modules) and the matching debug vmlinux into the
# cache, without installing either on the host. Prints the kernel directory.
#   KDUMPCAP_CACHE  cache root (default ~/.cache/kdumpcap)
#   KVER            kernel release (default: what linux-image-amd64 depends on)
#   KDC_ARCH=arm64  Debian's arm64 kernel instead (needs `dpkg --add-architecture
#                   arm64`, see tests/setup-host.sh), into $KDUMPCAP_CACHE/arm64/kernel/.
#                   There `Image` is the uncompressed Image that kexec and QEMU load:
#                   bookworm's vmlinuz is one already (then Image links to it); a
#                   gzip-compressed vmlinuz is unpacked
#   KDC_FLAVOUR     another flavour's meta package, e.g. 6.12-arm64-16k (Debian 12's
#                   6.12 kernel of 16 KiB pages): its kernel, when KVER is not given
set -euo pipefail
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}
case ${KDC_ARCH:-} in
arm64) flavour=arm64 pkgarch=:arm64 cache=$cache/arm64 ;;
'' | x86_64) flavour=amd64 pkgarch= ;;
*) echo "fetch-kernel: unknown KDC_ARCH '$KDC_ARCH' (x86_64 or arm64)" >&2; exit 1 ;;
esac
meta=${KDC_FLAVOUR:-$flavour}
if [ -z "${KVER:-}" ]; then
	KVER=$(apt-cache depends "linux-image-$meta$pkgarch" 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\([^:]*\).*$/\1/p' | grep -v -- '-dbg' | head -1)
fi
[ -n "$KVER" ] || { echo "fetch-kernel: cannot find linux-image-$meta$pkgarch's kernel (run tests/setup-host.sh)" >&2; exit 1; }
dir=$cache/kernel/$KVER
mkdir -p "$dir"
cd "$dir"
# one fetch at a time: scenarios started together would unpack into the same dirs
exec 9>.lock
flock 9
if [ ! -f vmlinuz ] || [ ! -d lib/modules/$KVER ]; then
	rm -rf dl && mkdir dl
	(cd dl && apt-get download -q "linux-image-$KVER$pkgarch" >&2 ||
		apt-get download -q "linux-image-$KVER-unsigned$pkgarch" >&2)
	dpkg-deb -x dl/*.deb root
	rm -rf lib && mv root/lib . 2>/dev/null || mv root/usr/lib .
	cp "root/boot/vmlinuz-$KVER" vmlinuz.tmp && mv vmlinuz.tmp vmlinuz
	cp "root/boot/config-$KVER" config
	rm -rf root dl
fi
if [ "$flavour" = arm64 ] && [ ! -e Image ]; then
	if gzip -t vmlinuz 2>/dev/null; then
		gzip -dc vmlinuz >Image.tmp
		mv Image.tmp Image
	else
		ln -s vmlinuz Image
	fi
fi
if [ ! -f vmlinux ]; then
	rm -rf dbg && mkdir dbg
	(cd dbg && apt-get download -q "linux-image-$KVER-dbg$pkgarch" >&2)
	dpkg-deb --fsys-tarfile dbg/*.deb |
		tar -x -C dbg --wildcards "./usr/lib/debug/boot/vmlinux-$KVER"
	mv "dbg/usr/lib/debug/boot/vmlinux-$KVER" vmlinux.tmp && mv vmlinux.tmp vmlinux
	rm -rf dbg
fi
echo "$dir"
