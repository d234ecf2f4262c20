#!/usr/bin/env bash
# Install what the build and the tests need from Debian's archive, and
# enable the deb-src entries the dependency build uses. Idempotent and quick
# when everything is there.
set -euo pipefail
pkgs=(musl-tools musl-dev qemu-system-x86 busybox-static crash makedumpfile cpio zstd dpkg-dev
	e2fsprogs xfsprogs python3 python3-drgn python3-libkdumpfile time bc strace
	clang libclang-rt-14-dev zlib1g-dev libzstd-dev liblzo2-dev
	openssh-sftp-server openssh-server nfs-ganesha nfs-ganesha-vfs
	man-db groff-base bsdextrautils systemd # service suite: man pages rendered, units verified
	gcc-aarch64-linux-gnu musl-dev:arm64 linux-libc-dev:arm64 qemu-user-static qemu-system-arm
	xz-utils debootstrap) # xz-utils: the 6.12 kernel's .ko.xz modules in the QEMU guests; debootstrap: bench's makedumpfile 1.7.6 chroot, test-slow's Debian 12 guest
src=/etc/apt/sources.list.d/kdumpcap-src.sources
need_update=0
# arm64: the cross build (`make ARCH=arm64`: musl-dev:arm64 brings aarch64-linux-musl-gcc,
# linux-libc-dev:arm64 the asm/ headers) and the arm64 guests (Debian's arm64 packages)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	need_update=1
fi
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
	sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src"
	need_update=1
fi
# Debian 13's sources, for its libzstd only (tests/build-deps.sh names the release
# per package); deb-src alone, so no binary package comes from it
zsrc=/etc/apt/sources.list.d/kdumpcap-trixie-src.sources
if [ ! -f "$zsrc" ]; then
	printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$zsrc"
	need_update=1
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ] || ! apt-cache showsrc zlib >/dev/null 2>&1 ||
	[ -z "$(apt-cache showsrc zlib 2>/dev/null)" ]; then
	apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup-host: ready"
