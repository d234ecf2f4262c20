#!/usr/bin/env bash
# kdumpcap mkinitrd against kdump.conf files it must refuse or take, on fake
# machines: a --sysroot tree with dev/ (files standing in for disks),
# sys/class/block/ (links into sys/devices/, serial and partition files) and
# proc/self/mountinfo; a stub modules directory. No QEMU, no loop devices, no
# root needed. The image's own kdump.conf is read back to see what PID 1 gets.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-mkinitrd.XXXXXX)
trap 'rm -rf "$W"' EXIT
R=$W/root
KVER=6.1.0-kdc-test
mkdir -p "$W/mods" "$R/dev/disk/by-id" "$R/sys/class/block" "$R/proc/self" "$R/mnt/t/var/crash" "$R/mnt/t/data"
: >"$W/mods/modules.dep"
printf 'kernel/fs/ext4/ext4.ko\nkernel/fs/xfs/xfs.ko\nkernel/drivers/block/virtio_blk.ko\n' >"$W/mods/modules.builtin"
for m in netfs fscache sunrpc grace lockd nfs dns_resolver nfsv4; do echo "kernel/fs/nfs/$m.ko"; done >>"$W/mods/modules.builtin"

# disk NAME [SERIAL]: a 1 MiB zeroed stand-in and its sysfs entry
disk() {
	truncate -s 1M "$R/dev/$1"
	mkdir -p "$R/sys/devices/$1"
	ln -s "../../devices/$1" "$R/sys/class/block/$1"
	[ -n "${2:-}" ] && echo "$2" >"$R/sys/devices/$1/serial"
	return 0
}
# put FILE OFFSET HEXBYTES
put() { printf "$(echo "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

disk ext4disk; put "$R/dev/ext4disk" 1080 53ef
disk zero
disk olddump; printf makedumpfile | dd of="$R/dev/olddump" conv=notrunc status=none; put "$R/dev/olddump" 1080 53ef
disk swapdisk; printf SWAPSPACE2 | dd of="$R/dev/swapdisk" bs=1 seek=4086 conv=notrunc status=none
disk mbrdisk; put "$R/dev/mbrdisk" 510 55aa; put "$R/dev/mbrdisk" 450 83
disk vdc QM00003
ln -s ../../vdc "$R/dev/disk/by-id/virtio-QM00003"
# a GPT disk with partition 2 (unique GUID 13121110-1514-1716-1819-1a1b1c1d1e1f)
disk gptdisk
put "$R/dev/gptdisk" 512 4546492050415254   # "EFI PART"
put "$R/dev/gptdisk" 584 02                 # table at LBA 2
put "$R/dev/gptdisk" 592 8000000080000000   # 128 entries of 128 bytes
put "$R/dev/gptdisk" 1152 af                # entry 2: a type GUID
put "$R/dev/gptdisk" 1168 101112131415161718191a1b1c1d1e1f
mkdir -p "$R/sys/devices/gptdisk/gptdisk2"
echo 2 >"$R/sys/devices/gptdisk/gptdisk2/partition"
ln -s ../../devices/gptdisk/gptdisk2 "$R/sys/class/block/gptdisk2"
truncate -s 64K "$R/dev/gptdisk2"
ln -s ../../gptdisk2 "$R/dev/disk/by-id/virtio-part2"
PARTUUID=13121110-1514-1716-1819-1a1b1c1d1e1f
# an ext4 file system (UUID 6b8f3e2a-...) mounted at /mnt/t, with links in it
disk fsdisk
put "$R/dev/fsdisk" 1080 53ef
put "$R/dev/fsdisk" 1128 6b8f3e2a0c1d4e5f9a7b1c2d3e4f5a6b
FSUUID=6b8f3e2a-0c1d-4e5f-9a7b-1c2d3e4f5a6b
echo "36 35 8:16 / /mnt/t rw,relatime shared:1 - ext4 /dev/fsdisk rw" >"$R/proc/self/mountinfo"
ln -s /var/crash "$R/mnt/t/abs"
ln -s ../var/crash "$R/mnt/t/data/rel"
ln -s ../../../../.. "$R/mnt/t/esc_rel"
ln -s /../../../tmp "$R/mnt/t/esc_abs"

# mk NAME CONF-TEXT [mkinitrd options...]: build $W/NAME.img from that kdump.conf
mk() {
	local name=$1 text=$2
	shift 2
	printf '%s\n' "$text" >"$W/$name.conf"
	rm -f "$W/$name.img"
	"$KDUMPCAP" mkinitrd -o "$W/$name.img" --kver $KVER --moddir "$W/mods" --compress gzip \
		--config "$W/$name.conf" "$@"
}
# conf_of NAME: the kdump.conf inside the image
conf_of() { zcat "$W/$1.img" | (cd "$W" && cpio -i --quiet --to-stdout etc/kdump.conf); }
# built NAME PATTERN: the image exists and its kdump.conf has PATTERN
built() { [ -s "$W/$1.img" ] && conf_of "$1" | grep -q -- "$2"; }
S=(--sysroot "$R")

# 1. raw targets holding something
check_fails "raw: an ext4 disk is refused, naming device, signature and override" \
	"raw target /dev/ext4disk.*in use (ext2/3/4 signature found).*raw_force yes" mk r1 "raw /dev/ext4disk" "${S[@]}"
check_fails "raw: swap is refused" "swap signature found" mk r2 "raw /dev/swapdisk" "${S[@]}"
check_fails "raw: an MBR partition table is refused" "MBR partition table" mk r3 "raw /dev/mbrdisk" "${S[@]}"
check_fails "raw: a GPT disk is refused" "GPT partition table" mk r4 "raw /dev/gptdisk" "${S[@]}"
check "raw: 'raw_force yes' overwrites the ext4 disk" mk r5 "$(printf 'raw /dev/ext4disk\nraw_force yes')" "${S[@]}"
check "raw: no image for the refused config, one for the forced one" test ! -e "$W/r1.img" -a -s "$W/r5.img"
check "raw: a zeroed disk is taken" mk r6 "raw /dev/zero" "${S[@]}"
check "raw: a previous dump is taken (its bytes may look like ext4)" mk r7 "raw /dev/olddump" "${S[@]}"
# 2. stable names
check "raw PARTUUID= of a GPT partition is taken" mk r8 "raw PARTUUID=$PARTUUID" "${S[@]}"
check_fails "raw PARTUUID= not on this machine is refused" "not on this machine" \
	mk r9 "raw PARTUUID=00000000-1514-1716-1819-1a1b1c1d1e1f" "${S[@]}"
mk r10 "raw /dev/disk/by-id/virtio-QM00003" "${S[@]}" >/dev/null 2>&1
check "raw by-id (virtio serial): the image finds it by SERIAL= without udev" built r10 "^resolved_target SERIAL=QM00003$"
mk r11 "raw /dev/disk/by-id/virtio-part2" "${S[@]}" >/dev/null 2>&1
check "raw by-id of a GPT partition: the image finds it by PARTUUID=" built r11 "^resolved_target PARTUUID=$PARTUUID$"
mk r12 "raw /dev/vdc" "${S[@]}" >"$W/r12.log" 2>&1
check "raw /dev/vdc (a kernel name): the image is built" test -s "$W/r12.img"
check "raw /dev/vdc: with a warning naming the stable name found for it" \
	grep -q "warning: .*/dev/vdc is a kernel name.*Name it /dev/disk/by-id/virtio-QM00003" "$W/r12.log"
check_fails "raw by-id missing here is refused even with --allow-missing-target (no udev there)" \
	"udev link" mk r13 "raw /dev/disk/by-id/virtio-gone" "${S[@]}" --allow-missing-target
# 3. path inside the mounted target
mk p1 "$(printf 'ext4 UUID=%s\npath /abs' $FSUUID)" "${S[@]}" >/dev/null 2>&1
check "path through an absolute link: resolved inside the target" built p1 "^resolved_path /var/crash$"
mk p2 "$(printf 'ext4 /dev/fsdisk\npath /data/rel/x')" "${S[@]}" >"$W/p2.log" 2>&1
check "path through a relative link: resolved inside the target" built p2 "^resolved_path /var/crash/x$"
check "ext4 /dev/fsdisk (a kernel name): a warning names its UUID" \
	grep -q "warning: .*/dev/fsdisk is a kernel name.*Name it UUID=$FSUUID" "$W/p2.log"
check_fails "path through a relative link leaving the target is refused" "leaves the target" \
	mk p3 "$(printf 'ext4 UUID=%s\npath /esc_rel/tmp' $FSUUID)" "${S[@]}"
check_fails "path through an absolute link leaving the target is refused" "leaves the target" \
	mk p4 "$(printf 'ext4 UUID=%s\npath /esc_abs' $FSUUID)" "${S[@]}"
# 4. what the capture could not honour (no --sysroot: the old options only)
check_fails "a relative path is refused" "path 'crash' must be absolute" \
	mk c1 "$(printf 'ext4 UUID=%s\npath crash' $FSUUID)" --allow-missing-target
check_fails "a UUID this machine does not have is refused" "not on this machine.*--allow-missing-target" \
	mk c2 "ext4 UUID=00000000-1111-2222-3333-444444444444"
check "... and taken with --allow-missing-target" mk c3 "ext4 UUID=00000000-1111-2222-3333-444444444444" --allow-missing-target
{ echo "ext4 UUID=00000000-1111-2222-3333-444444444444"; head -c 70000 /dev/zero | tr '\0' '#'; echo; } >"$W/big.conf"
check_fails "a kdump.conf over 64 KiB is refused" "over 65536 bytes" \
	"$KDUMPCAP" mkinitrd -o "$W/big.img" --kver $KVER --moddir "$W/mods" --config "$W/big.conf" --allow-missing-target
check_fails "an unknown directive is refused" "cannot be honoured" \
	mk c4 "$(printf 'ext4 UUID=%s\nextra_bins /bin/true' $FSUUID)" --allow-missing-target
# 5. nfs: the server's address is fixed when the image is built
NET='dump_ip eth0:dhcp'
mk n1 "$(printf 'nfs 192.0.2.7:/export\n%s' "$NET")" >"$W/n1.log" 2>&1
check "nfs with a numeric server: the image names it in resolved_server" built n1 "^resolved_server 192.0.2.7$"
mk n2 "$(printf 'nfs localhost:/export\n%s' "$NET")" >"$W/n2.log" 2>&1
check "nfs with a host name: resolved now (127.0.0.1), and said so" \
	sh -c "zcat '$W/n2.img' | (cd '$W' && cpio -i --quiet --to-stdout etc/kdump.conf) | grep -q '^resolved_server 127.0.0.1$' &&
		grep -q 'NFS server localhost is 127.0.0.1 now' '$W/n2.log'"
check_fails "nfs with a name that does not resolve is refused" "cannot resolve NFS server nosuch.invalid" \
	mk n3 "$(printf 'nfs nosuch.invalid:/export\n%s' "$NET")"
check_fails "nfs without an export path is refused" "'nfs' takes server:/export" mk n4 "nfs 192.0.2.7"
check_fails "dump_ip not in dracut's ip= syntax is refused" "not in dracut's ip= syntax" \
	mk n5 "$(printf 'nfs 192.0.2.7:/export\ndump_ip 10.0.2.15:::')"
check_fails "core_collector options the capture cannot use are refused" "core_collector" \
	mk c5 "$(printf 'ext4 UUID=%s\ncore_collector makedumpfile -E -d 31' $FSUUID)" --allow-missing-target
# 6. ssh: the client, the key (dropbear's format, 0600) and the pinned host
# keys go into the image, named by the address the capture kernel dials
H=$W/sshhome
mkdir -p "$H/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$H/.ssh/kdump_id_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
printf '#!/bin/true\n' >"$W/dbclient"
chmod 755 "$W/dbclient"
SSHOPT=(--dbclient "$W/dbclient")
check_fails "ssh: a server whose host key is not known is refused, naming propagate" \
	"no host key of 192.0.2.7 port 22 .*kdumpcap propagate" \
	env HOME="$H" bash -c "$(declare -f mk); W='$W' KDUMPCAP='$KDUMPCAP' KVER=$KVER mk s1 \"\$(printf 'ssh root@192.0.2.7\n%s' '$NET')\" ${SSHOPT[*]}"
echo "192.0.2.7 $(cut -d' ' -f1,2 "$W/hostkey.pub")" >"$H/.ssh/known_hosts"
echo "[localhost]:2222 $(cut -d' ' -f1,2 "$W/hostkey.pub")" >>"$H/.ssh/known_hosts"
check_fails "ssh: a missing SSH client is refused, saying how to build one" "SSH client $W/none is missing.*make dbclient" \
	env HOME="$H" bash -c "$(declare -f mk); W='$W' KDUMPCAP='$KDUMPCAP' KVER=$KVER mk s2 \"\$(printf 'ssh root@192.0.2.7\n%s' '$NET')\" --dbclient '$W/none'"
check "ssh: built with the client, the converted key and the pinned host key" \
	env HOME="$H" bash -c "$(declare -f mk); W='$W' KDUMPCAP='$KDUMPCAP' KVER=$KVER mk s3 \"\$(printf 'ssh root@localhost:2222\n%s' '$NET')\" ${SSHOPT[*]}"
check "... the server's address is resolved now" built s3 "^resolved_server 127.0.0.1$"
check "... the key is in dropbear's format, mode 0600; the client is there" bash -c "
	zcat '$W/s3.img' | cpio -itv --quiet 2>/dev/null | grep -q '^-rw------- .* etc/kdumpcap/ssh/id_dropbear$' &&
	zcat '$W/s3.img' | cpio -it --quiet 2>/dev/null | grep -qx bin/dbclient"
check "... known_hosts names the host by the address dbclient is given" bash -c "
	test \"\$(zcat '$W/s3.img' | (cd '$W' && cpio -i --quiet --to-stdout etc/kdumpcap/ssh/.ssh/known_hosts))\" = \
	'127.0.0.1 $(cut -d' ' -f1,2 "$W/hostkey.pub")'"
check_fails "ssh without user@ is refused" "'ssh' takes user@host" mk s4 "ssh 192.0.2.7"
t_done
