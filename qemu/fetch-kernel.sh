#!/usr/bin/env bash
# Fetch Debian's kernel (image + modules) and the matching debug vmlinux into the
# cache, without installing either on the host. Prints the kernel directory.
#   KDUMPCAP_CACHE  cache root (default ~/.cache/kdumpcap)
#   KVER            kernel release (default: what linux-image-amd64 depends on)
set -euo pipefail
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}
if [ -z "${KVER:-}" ]; then
	KVER=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | grep -v -- '-dbg' | head -1)
fi
[ -n "$KVER" ] || { echo "fetch-kernel: cannot find linux-image-amd64's kernel (run apt-get update)" >&2; exit 1; }
dir=$cache/kernel/$KVER
mkdir -p "$dir"
cd "$dir"
if [ ! -f vmlinuz ] || [ ! -d lib/modules/$KVER ]; then
	rm -rf dl && mkdir dl
	(cd dl && apt-get download -q "linux-image-$KVER" >&2 ||
		apt-get download -q "linux-image-$KVER-unsigned" >&2)
	dpkg-deb -x dl/*.deb root
	rm -rf lib && mv root/lib . 2>/dev/null || mv root/usr/lib .
	cp "root/boot/vmlinuz-$KVER" vmlinuz.tmp && mv vmlinuz.tmp vmlinuz
	cp "root/boot/config-$KVER" config
	rm -rf root dl
fi
if [ ! -f vmlinux ]; then
	rm -rf dbg && mkdir dbg
	(cd dbg && apt-get download -q "linux-image-$KVER-dbg" >&2)
	dpkg-deb --fsys-tarfile dbg/*.deb |
		tar -x -C dbg --wildcards "./usr/lib/debug/boot/vmlinux-$KVER"
	mv "dbg/usr/lib/debug/boot/vmlinux-$KVER" vmlinux.tmp && mv vmlinux.tmp vmlinux
	rm -rf dbg
fi
echo "$dir"
