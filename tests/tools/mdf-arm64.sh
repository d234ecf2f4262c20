#!/usr/bin/env bash
# The arm64 oracle: Debian's makedumpfile built for arm64, with the shared
# libraries it loads, unpacked once into
#   ${KDUMPCAP_CACHE:-~/.cache/kdumpcap}/arm64/makedumpfile/
# and run on this host by qemu-aarch64-static -L (arm64 vmcores need the
# arm64 build: the amd64 one reads x86_64 vmcores only). Prints the path of
# a wrapper that runs it like `makedumpfile`. Needs dpkg's arm64 foreign
# architecture (tests/setup-host.sh adds it) for apt-get download.
set -euo pipefail
dir=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}/arm64/makedumpfile
debs=(makedumpfile libc6 libgcc-s1 libdw1 libelf1 liblzo2-2 zlib1g libbz2-1.0 liblzma5 libzstd1)
if [ ! -x "$dir/makedumpfile" ]; then
	command -v qemu-aarch64-static >/dev/null || { echo "mdf-arm64: qemu-aarch64-static missing" >&2; exit 1; }
	mkdir -p "$(dirname "$dir")"
	tmp=$(mktemp -d "$dir.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "${debs[@]/%/:arm64}" >/dev/null 2>&1) ||
		{ echo "mdf-arm64: apt-get download of ${debs[*]} (arm64) failed" >&2; exit 1; }
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
	rm -f "$tmp"/*.deb
	printf '#!/bin/sh\nexec qemu-aarch64-static -L "%s/root" "%s/root/usr/bin/makedumpfile" "$@"\n' "$dir" "$dir" \
		>"$tmp/makedumpfile"
	chmod +x "$tmp/makedumpfile"
	chmod 755 "$tmp"
	# another run may have made it meanwhile: keep the first
	mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
fi
"$dir/makedumpfile" -v 2>&1 | grep -q '^makedumpfile: version' ||
	{ echo "mdf-arm64: $dir/makedumpfile does not run" >&2; exit 1; }
echo "$dir/makedumpfile"
