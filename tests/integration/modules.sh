#!/usr/bin/env bash
# kdumpcap mkinitrd over a module tree compressed the way distributions ship
# it (.ko.zst, .ko.xz, .ko.gz): every module in the unpacked image must be the
# plain .ko, byte for byte, named so in the image's modules.dep; a soft
# dependency missing on disk is left out with a warning; damage and missing
# hard dependencies are clear errors.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-modules.XXXXXX)
trap 'rm -rf "$W"' EXIT
KV=9.9.9-kdc
M=$W/tree/lib/modules/$KV

# module PATH: a fake module (ELF magic, random body) at $M/PATH, kept as $W/orig/NAME
module() {
	mkdir -p "$M/$(dirname "$1")" "$W/orig"
	{ printf '\177ELF\2\1\1'; head -c $((40000 + RANDOM)) /dev/urandom; } >"$M/$1"
	cp "$M/$1" "$W/orig/$(basename "$1")"
}

# tree: ext4 needs jbd2 (xz), mbcache (gzip), crc16 (plain); ext4 itself is
# zstd; its softdep crc32c has two providers
tree() {
	rm -rf "$W/tree" "$W/orig"
	for m in kernel/fs/ext4/ext4 kernel/fs/jbd2/jbd2 kernel/fs/mbcache kernel/lib/crc16 \
		kernel/crypto/crc32c_generic kernel/arch/x86/crypto/crc32c-intel; do
		module $m.ko
	done
	zstd -q --rm "$M/kernel/fs/ext4/ext4.ko" "$M/kernel/crypto/crc32c_generic.ko"
	xz "$M/kernel/fs/jbd2/jbd2.ko" "$M/kernel/arch/x86/crypto/crc32c-intel.ko"
	gzip -n "$M/kernel/fs/mbcache.ko"
	cat >"$M/modules.dep" <<-EOF
	kernel/fs/ext4/ext4.ko.zst: kernel/fs/jbd2/jbd2.ko.xz kernel/fs/mbcache.ko.gz kernel/lib/crc16.ko
	kernel/fs/jbd2/jbd2.ko.xz:
	kernel/fs/mbcache.ko.gz:
	kernel/lib/crc16.ko:
	kernel/crypto/crc32c_generic.ko.zst:
	kernel/arch/x86/crypto/crc32c-intel.ko.xz:
	EOF
	printf 'softdep ext4 pre: crc32c\n' >"$M/modules.softdep"
	printf 'alias crc32c crc32c_generic\nalias crc32c crc32c_intel\n' >"$M/modules.alias"
	: >"$M/modules.builtin"
}

cat >"$W/kdump.conf" <<EOF
ext4 UUID=6b8f3e2a-0c1d-4e5f-9a7b-1c2d3e4f5a6b
path /var/crash
core_collector kdumpcap -d 31 -z
EOF

# image OUTDIR [env...]: mkinitrd (its messages in OUTDIR.log, and on
# stdout when it fails), then the image unpacked into OUTDIR
image() {
	local out=$1
	shift
	rm -rf "$out" && mkdir -p "$out" || return 1
	env "$@" "$KDUMPCAP" mkinitrd -o "$out.img" --kver $KV --moddir "$M" --config "$W/kdump.conf" \
		--binary "$KDUMPCAP" --allow-missing-target 2>"$out.log" || { cat "$out.log"; return 1; }
	(cd "$out" && zstd -dc "$out.img" | cpio -id --quiet)
}

# same MODULE-IN-IMAGE ORIGINAL
same() { cmp "$W/img/lib/modules/$KV/$1" "$2"; }

tree
check "mkinitrd takes .ko.zst, .ko.xz and .ko.gz modules" image "$W/img"
for m in kernel/fs/ext4/ext4 kernel/fs/jbd2/jbd2 kernel/fs/mbcache kernel/lib/crc16 kernel/crypto/crc32c_generic \
	kernel/arch/x86/crypto/crc32c-intel; do
	check "$(basename $m).ko in the image is the original module, decompressed" same $m.ko "$W/orig/$(basename $m).ko"
done
check "no compressed module file in the image" test -z "$(find "$W/img" -name '*.ko.*')"
check "the image's modules.dep names the stored .ko files" grep -qx \
	"kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko" \
	"$W/img/lib/modules/$KV/modules.dep"

rm "$M/kernel/arch/x86/crypto/crc32c-intel.ko.xz"
check "a softdep provider missing on disk does not fail the image" image "$W/img"
check "... the image's modules.softdep keeps the provider that exists" grep -qx \
	"softdep ext4 pre: crc32c_generic post:" "$W/img/lib/modules/$KV/modules.softdep"
check "... and leaves the missing one out" test ! -e "$W/img/lib/modules/$KV/kernel/arch/x86/crypto/crc32c-intel.ko"
check "... with a warning naming it" grep -q "warning: module crc32c_intel: .*crc32c-intel.ko.xz is in modules.dep but" \
	"$W/img.log"

tree
check "without xz on PATH, mkinitrd stores the .ko.xz as it is" image "$W/noxz" PATH=/nonexistent
check "... byte-identical to the file on disk" cmp "$W/noxz/lib/modules/$KV/kernel/fs/jbd2/jbd2.ko.xz" \
	"$M/kernel/fs/jbd2/jbd2.ko.xz"
check "... named so in modules.dep" grep -q "^kernel/fs/jbd2/jbd2.ko.xz:" "$W/noxz/lib/modules/$KV/modules.dep"
check "... with a warning that says what to do" grep -q "warning: .*jbd2.ko.xz stays xz-compressed.*install xz" \
	"$W/noxz.log"

# no modules.dep (depmod never ran): modules.order names x.ko, the files are
# x.ko.zst / .xz / .gz, and the dependencies are in each module's .modinfo
# (real ELF objects made by cc)
elfmod() { # PATH MODINFO...: an ELF object whose .modinfo holds the strings
	local src=$W/mi.c
	printf 'const char modinfo[] __attribute__((section(".modinfo"), used)) = "' >"$src"
	printf '%s\\0' "${@:2}" >>"$src"
	printf '";\n' >>"$src"
	mkdir -p "$M/$(dirname "$1")" && cc -c -o "$M/$1" "$src" && cp "$M/$1" "$W/orig/$(basename "$1")"
}
rm -rf "$W/tree" "$W/orig" && mkdir -p "$W/orig"
elfmod kernel/fs/ext4/ext4.ko depends=jbd2,mbcache "softdep=pre: crc32c" alias=fs-ext4
elfmod kernel/fs/jbd2/jbd2.ko depends=
elfmod kernel/fs/mbcache.ko depends=
elfmod kernel/crypto/crc32c_generic.ko depends= alias=crc32c alias=crypto-crc32c
zstd -q --rm "$M/kernel/fs/ext4/ext4.ko"
xz "$M/kernel/fs/jbd2/jbd2.ko"
gzip -n "$M/kernel/fs/mbcache.ko" "$M/kernel/crypto/crc32c_generic.ko"
printf '%s\n' kernel/fs/ext4/ext4.ko kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/crypto/crc32c_generic.ko \
	>"$M/modules.order"
check "without modules.dep, mkinitrd reads the .modinfo of compressed modules" image "$W/img"
for m in kernel/fs/ext4/ext4 kernel/fs/jbd2/jbd2 kernel/fs/mbcache kernel/crypto/crc32c_generic; do
	check "... $(basename $m).ko (a dependency or softdep found there) is in the image, decompressed" \
		same $m.ko "$W/orig/$(basename $m).ko"
done

tree
zstd -qc "$W/orig/ext4.ko" | head -c 5000 >"$M/kernel/fs/ext4/ext4.ko.zst"
check_fails "a damaged .ko.zst is a clear error" "cannot decompress module .*ext4.ko.zst: the file is damaged" \
	image "$W/bad"
tree
rm "$M/kernel/fs/mbcache.ko.gz"
check_fails "a hard dependency missing on disk is a clear error" "module mbcache: .*mbcache.ko.gz is in modules.dep but" \
	image "$W/bad"
t_done
