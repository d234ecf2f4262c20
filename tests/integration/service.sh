#!/usr/bin/env bash
# What a machine gets from `make install` / `make deb` and what kdumpcap.service,
# kdumpcap-savecore.service and the kernel hooks do, on a fake machine (--root:
# boot/, lib/modules/, etc/kdump.conf, sys/, dev/ stand-ins, proc/self/mountinfo).
# No QEMU, no root, no kexec: the systemd guest test boots the package for real.
#  - the install layout and the package (dpkg-deb -c/-I, conffiles, --version);
#  - the units pass systemd-analyze verify (no ordering cycle with systemd-pstore);
#  - the man pages render and kdump.conf(5) and /etc/kdump.conf document every
#    directive that initramfs/conf.c knows;
#  - kdumpcap image/start: built when missing, then up to date; stale with the
#    reason after kdump.conf, the kernel, a module or the binary changes, or when
#    the record of inputs is gone; force_no_rebuild; start refuses without a
#    crashkernel= reservation and when the image cannot be built, saying the fix;
#  - the kernel hooks build and remove one kernel's image;
#  - postcrash: pstore records moved next to the dumps and removed from pstore,
#    a failed last capture said once, a raw target's dump restored;
#  - status: the reservation against kdumpcap estimate (enough, or TOO SMALL with
#    the crashkernel= to give), the image's state and the last capture's result.
set -u
. "$(dirname "$0")/../lib.sh"
W=$(mktemp -d /tmp/kdc-service.XXXXXX)
trap 'rm -rf "$W"' EXIT
DEPSDIR=${DEPS:-$TOP/build/deps}
O=$TOP/build # the tree's own output directory, whatever binary KDUMPCAP names
VERSION=$(cat "$TOP/VERSION")
R=$W/root
KV=6.1.0-kdc-svc
KV2=6.1.0-kdc-svc2
FSUUID=6b8f3e2a-0c1d-4e5f-9a7b-1c2d3e4f5a6b

# --- make install, make deb ---
if out=$(make -s -C "$TOP" DEPS="$DEPSDIR" O="$O" install DESTDIR="$W/dest" 2>&1); then
	ok "make install DESTDIR=..."
else
	not_ok "make install DESTDIR=..."
	printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
fi
layout=(usr/sbin/kdumpcap usr/lib/kdumpcap/dbclient usr/lib/systemd/system/kdumpcap.service
	usr/lib/systemd/system/kdumpcap-savecore.service etc/kernel/postinst.d/kdumpcap
	etc/kernel/postrm.d/kdumpcap etc/kdump.conf etc/default/grub.d/kdumpcap.cfg
	usr/share/man/man8/kdumpcap.8 usr/share/man/man5/kdump.conf.5)
check "make install: binary, dbclient, units, hooks, kdump.conf, grub.d, man pages" bash -c \
	"cd '$W/dest' && for f in ${layout[*]}; do [ -s \$f ] || { echo missing \$f; exit 1; }; done &&
	 [ -x usr/sbin/kdumpcap ] && [ -x usr/lib/kdumpcap/dbclient ] && [ -x etc/kernel/postinst.d/kdumpcap ]"
check "the installed kdumpcap prints the version of VERSION" bash -c \
	"'$W/dest/usr/sbin/kdumpcap' --version | grep -q '^kdumpcap $VERSION (zlib .*, zstd .*, lzo .*)$'"
check "make install puts dbclient where mkinitrd looks by default" bash -c \
	"d=\$('$KDUMPCAP' mkinitrd --help 2>&1 | grep -o ' /[^ ;]*/dbclient;' | tr -d ' ;') && [ -x '$W/dest'\$d ]"
make -s -C "$TOP" DEPS="$DEPSDIR" O="$O" install DESTDIR="$W/dest2" PREFIX=/opt/kdc >/dev/null 2>&1
check "make install PREFIX=/opt/kdc: binary under it, units calling it there" bash -c \
	"[ -x '$W/dest2/opt/kdc/sbin/kdumpcap' ] && grep -qx 'ExecStart=/opt/kdc/sbin/kdumpcap start' \
	 '$W/dest2/opt/kdc/lib/systemd/system/kdumpcap.service' && grep -q /opt/kdc/sbin/kdumpcap \
	 '$W/dest2/etc/kernel/postinst.d/kdumpcap'"

DEB=$O/kdumpcap_${VERSION}_amd64.deb
rm -f "$DEB"
if out=$(make -s -C "$TOP" DEPS="$DEPSDIR" O="$O" deb 2>&1) && [ -s "$DEB" ]; then
	ok "make deb -> $DEB"
else
	not_ok "make deb -> $DEB"
	printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
fi
dpkg-deb -c "$DEB" 2>/dev/null | awk '{print $6}' | sed 's|^\./||' >"$W/deb.list"
check "the package holds what make install does" bash -c \
	"for f in ${layout[*]}; do grep -qx \$f '$W/deb.list' || { echo missing \$f; exit 1; }; done"
check "the package's files are root's" bash -c "dpkg-deb -c '$DEB' | awk '{print \$2}' | sort -u | grep -qx root/root"
check "control: kdumpcap $VERSION amd64" bash -c "dpkg-deb -f '$DEB' Package Version Architecture |
	tr '\n' ' ' | grep -qx 'Package: kdumpcap Version: $VERSION Architecture: amd64 '"
check "conffiles: /etc/kdump.conf, the hooks and grub.d" bash -c "dpkg-deb --ctrl-tarfile '$DEB' |
	tar -xO ./conffiles | sort | tr '\n' ' ' | grep -qx '/etc/default/grub.d/kdumpcap.cfg /etc/kdump.conf /etc/kernel/postinst.d/kdumpcap /etc/kernel/postrm.d/kdumpcap '"
check "maintainer scripts enable both units and run update-grub" bash -c "dpkg-deb --ctrl-tarfile '$DEB' |
	tar -xO ./postinst | grep -q 'enable kdumpcap.service kdumpcap-savecore.service' &&
	dpkg-deb --ctrl-tarfile '$DEB' | tar -xO ./postinst | grep -q update-grub"
mkdir -p "$W/x" && dpkg-deb -x "$DEB" "$W/x"
check "the packaged binary runs and is this version" bash -c "'$W/x/usr/sbin/kdumpcap' --version | grep -q '^kdumpcap $VERSION (zlib .*, zstd .*, lzo .*)$'"

# --- units ---
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$W/units"
	for u in "$W/x"/usr/lib/systemd/system/*.service; do
		sed "s|/usr/sbin/kdumpcap|$KDUMPCAP|" "$u" >"$W/units/$(basename "$u")"
	done
	check "systemd-analyze verify: both units, no ordering cycle" bash -c \
		"out=\$(systemd-analyze verify --man=no '$W'/units/*.service 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
else
	echo "# systemd-analyze missing: units not verified"
fi
check "kdumpcap.service: start, unload on stop, after savecore" bash -c "u='$W/x/usr/lib/systemd/system/kdumpcap.service';
	grep -qx 'ExecStart=/usr/sbin/kdumpcap start' \$u && grep -qx 'ExecStop=/usr/sbin/kdumpcap unload' \$u &&
	grep -q '^After=.*kdumpcap-savecore.service' \$u && grep -qx 'RemainAfterExit=yes' \$u"

# --- documentation: one source, every directive ---
directives=$(sed -n '/^} directives\[\] = {/,/^};/p' "$TOP/initramfs/conf.c" | grep -o '{ "[a-z_0-9]*"' | tr -d '{" ' | tr '\n' ' ')
check "kdump.conf(5) documents every directive ($(echo "$directives" | wc -w) in conf.c)" bash -c "[ $(echo "$directives" | wc -w) -gt 20 ] && man -l '$W/x/usr/share/man/man5/kdump.conf.5' 2>/dev/null |
	col -b >'$W/conf5.txt'; for d in $directives; do grep -qE \"^ +\$d( |\\\$)\" '$W/conf5.txt' || { echo undocumented \$d; exit 1; }; done"
check "the example /etc/kdump.conf documents every directive" bash -c \
	"for d in $directives; do grep -qE \"^# \$d( |\\\$)\" '$W/x/etc/kdump.conf' || { echo missing \$d; exit 1; }; done"
check "man pages render without warnings" bash -c "for p in '$W'/x/usr/share/man/man*/*; do
	out=\$(LC_ALL=C.UTF-8 groff -man -ww -z \"\$p\" 2>&1); [ -z \"\$out\" ] || { echo \"\$p: \$out\"; exit 1; }; done"
check "kdumpcap(8) documents start, image, status, postcrash" bash -c "man -l '$W/x/usr/share/man/man8/kdumpcap.8' 2>/dev/null |
	col -b | grep -E '^ +(start|image|status|postcrash)( |\$)' | wc -l | grep -qx 4"

# --- a fake machine ---
disk() { # NAME: a stand-in device and its sysfs entry
	truncate -s 1M "$R/dev/$1"
	mkdir -p "$R/sys/devices/$1"
	ln -s "../../devices/$1" "$R/sys/class/block/$1"
}
put() { printf "$(echo "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
mods() { # KVER: a module tree with one module, dummy
	local m=$R/lib/modules/$1
	mkdir -p "$m/kernel/extra"
	{ printf '\177ELF\2\1\1'; head -c 4000 /dev/urandom; } >"$m/kernel/extra/dummy.ko"
	echo "kernel/extra/dummy.ko:" >"$m/modules.dep"
	printf 'kernel/fs/ext4/ext4.ko\nkernel/drivers/block/virtio_blk.ko\n' >"$m/modules.builtin"
	bzimage "$R/boot/vmlinuz-$1"
}
bzimage() { # FILE: a kernel's setup header, init_size 64 MiB (what kdumpcap estimate reads)
	head -c 4096 /dev/zero >"$1"
	put "$1" 514 48647253 # "HdrS"
	put "$1" 518 0f02     # boot protocol 2.15
	put "$1" 608 00000004 # init_size 0x04000000
}
mkdir -p "$R/dev" "$R/sys/class/block" "$R/sys/kernel" "$R/proc/self" "$R/boot" "$R/etc" "$R/mnt/t/var/crash" \
	"$R/sys/fs/pstore" "$W/bin"
disk fsdisk
put "$R/dev/fsdisk" 1080 53ef
put "$R/dev/fsdisk" 1128 6b8f3e2a0c1d4e5f9a7b1c2d3e4f5a6b
echo "36 35 8:16 / /mnt/t rw,relatime shared:1 - ext4 /dev/fsdisk rw" >"$R/proc/self/mountinfo"
echo 0 >"$R/sys/kernel/kexec_crash_size"
echo 0 >"$R/sys/kernel/kexec_crash_loaded"
mods $KV
mods $KV2
{ sed '/^ext4 /d' "$W/x/etc/kdump.conf"; echo "ext4 UUID=$FSUUID"; echo "extra_modules dummy"; } >"$R/etc/kdump.conf"
cp "$KDUMPCAP" "$W/bin/kdumpcap" # its own copy: the tests touch it
K=$W/bin/kdumpcap
IMG=$R/boot/kdumpcap-$KV.img
img() { "$K" image --root "$R" --kver $KV; }

check_fails "image: none yet -> built, saying why" "building capture image $IMG: $IMG does not exist" \
	bash -c "'$K' image --root '$R' --kver $KV 2>&1; exit 1"
check "... a capture image with the example kdump.conf (plus a target) and the module" bash -c \
	"zstd -dc '$IMG' | cpio -t --quiet 2>/dev/null | grep -qx 'lib/modules/$KV/kernel/extra/dummy.ko' && [ -s '$IMG.inputs' ]"
check "... its record names kdump.conf, kernel, binary and module" bash -c "for k in 'config $R/etc/kdump.conf' \
	'kernel $R/boot/vmlinuz-$KV' 'binary $K' 'module $R/lib/modules/$KV/kernel/extra/dummy.ko'; do
	grep -q \"^\${k%% *} [0-9]* [0-9]* \${k#* }\$\" '$IMG.inputs' || { echo no \$k; exit 1; }; done"
check_fails "image again: up to date, not rebuilt" "capture image $IMG is up to date" \
	bash -c "'$K' image --root '$R' --kver $KV 2>&1; exit 1"
# stale KIND FILE: touching FILE makes the image stale with FILE named; rebuilt after
stale() {
	local before
	sleep 0.01
	touch "$2"
	check_fails "status: stale after $1 changes, naming it" "capture image:  STALE - $2 ($1) changed" \
		"$K" status --root "$R" --kver $KV
	before=$(stat -c %Y.%y "$IMG")
	check_fails "image: rebuilt after $1 changes" "building capture image .*: $2 ($1) changed since the image was built" \
		bash -c "'$K' image --root '$R' --kver $KV 2>&1; exit 1"
	check "... and up to date again" bash -c "'$K' status --root '$R' --kver $KV | grep -q 'capture image:  $IMG up to date'"
}
stale config "$R/etc/kdump.conf"
stale kernel "$R/boot/vmlinuz-$KV"
stale module "$R/lib/modules/$KV/kernel/extra/dummy.ko"
stale binary "$K"
rm "$IMG.inputs"
check_fails "no record of inputs -> stale" "STALE - there is no record of what $IMG was built from" \
	"$K" status --root "$R" --kver $KV
img 2>/dev/null
cp "$R/etc/kdump.conf" "$W/other.conf"
check_fails "another kdump.conf wanted -> stale" "STALE - $IMG was not built from $W/other.conf (config)" \
	"$K" status --root "$R" --kver $KV --config "$W/other.conf"
echo "force_no_rebuild 1" >>"$R/etc/kdump.conf"
check_fails "force_no_rebuild: a stale image is kept, said so" "is stale (.*kdump.conf (config) changed.*force_no_rebuild: using it" \
	bash -c "'$K' image --root '$R' --kver $KV 2>&1; exit 1"
sed -i '/^force_no_rebuild/d' "$R/etc/kdump.conf"
check_fails "--force rebuilds an up-to-date image" "rebuild forced" bash -c "'$K' image --root '$R' --kver $KV --force 2>&1 >/dev/null; '$K' image --root '$R' --kver $KV --force 2>&1; exit 1"

# --- start ---
check_fails "start without crashkernel=: fails naming the fix" \
	"no memory is reserved for the capture kernel.*add crashkernel=.*update-grub.*reboot" "$K" start --root "$R" --kver $KV
echo $((160 << 20)) >"$R/sys/kernel/kexec_crash_size"
mkdir -p "$R/sys/devices/system/cpu"
echo 0-1 >"$R/sys/devices/system/cpu/online"
check "start with a reservation: image fresh, loads it with the machine's 2 CPUs (--dry-run: the capture command line)" bash -c \
	"'$K' start --root '$R' --kver $KV --dry-run 2>/dev/null | grep -q 'reset_devices nr_cpus=2 irqpoll'"
echo 'kdump_commandline_append nr_cpus=1 numa=off' >>"$R/etc/kdump.conf"
check "... kdump.conf's kdump_commandline_append nr_cpus=1 replaces the choice" bash -c \
	"'$K' start --root '$R' --kver $KV --dry-run 2>/dev/null | grep -q 'reset_devices irqpoll nr_cpus=1 numa=off'"
sed -i '/^kdump_commandline_append/d' "$R/etc/kdump.conf"
# status: the reservation against kdumpcap estimate (same kernel, image, CPUs)
est() { "$K" estimate --sysroot "$R" --kernel "$R/boot/vmlinuz-$KV" --initrd "$IMG" --config "$R/etc/kdump.conf" 2>/dev/null |
	sed -n 's/^crashkernel=\([0-9]*\)M$/\1/p'; }
need=$(est)
check "status: 160 MiB reserved is enough, saying what kdumpcap estimate needs ($need MiB, 2 CPUs)" bash -c \
	"[ -n '$need' ] && '$K' status --root '$R' --kver $KV | grep -qx 'crash memory:   160 MiB reserved, enough: the capture kernel with 2 CPU(s) needs $need MiB (kdumpcap estimate)'"
echo $((64 << 20)) >"$R/sys/kernel/kexec_crash_size"
need=$(est)
check_fails "status: 64 MiB reserved is too small: not ready, with estimate's crashkernel= ($need M) as the fix" \
	"crash memory:   64 MiB reserved - TOO SMALL: .* needs crashkernel=${need}M (kdumpcap estimate); fix: put crashkernel=${need}M in /etc/default/grub.d/kdumpcap.cfg, run update-grub and reboot" \
	"$K" status --root "$R" --kver $KV
echo 1 >"$R/sys/kernel/kexec_crash_loaded"
check_fails "... status exits 1 (NOT ready) even with a capture kernel loaded" "NOT ready" "$K" status --root "$R" --kver $KV
echo $((160 << 20)) >"$R/sys/kernel/kexec_crash_size"
check "... and 0 (ready) with 160 MiB" "$K" status --root "$R" --kver $KV
echo 0 >"$R/sys/kernel/kexec_crash_loaded"
cp "$R/etc/kdump.conf" "$W/good.conf"
cp "$R/proc/self/mountinfo" "$W/mountinfo"
sed -i '/^ext4 /d' "$R/etc/kdump.conf"
sed -i 's|^path .*|path /mnt/t/var/crash|' "$R/etc/kdump.conf"
check "no target line: the file system holding path, by UUID, path inside it (as on Fedora)" bash -c \
	"'$K' image --root '$R' --kver $KV 2>/dev/null && zstd -dc '$IMG' | (cd '$W' && cpio -i --quiet --to-stdout etc/kdump.conf) |
	 sed -n '/added by kdumpcap mkinitrd/,\$p' | grep -v '^#' | head -2 | tr '\n' ' ' | grep -qx 'ext4 UUID=$FSUUID path /var/crash '"
sed -i '1i 1 0 0:5 / / rw - tmpfs tmpfs rw' "$R/proc/self/mountinfo"
sed -i 's|^path .*|path /var/crash|' "$R/etc/kdump.conf"
check_fails "start, no target and path on tmpfs: fails, saying why and the file to fix" \
	"/var/crash is on tmpfs tmpfs (mounted at /), which the capture kernel cannot mount: add a target line" \
	"$K" start --root "$R" --kver $KV --dry-run
check_fails "... and that the image cannot be built" \
	"cannot be built (see above): fix $R/etc/kdump.conf, then run 'systemctl restart kdumpcap'" \
	"$K" start --root "$R" --kver $KV --dry-run
cp "$W/good.conf" "$R/etc/kdump.conf"
cp "$W/mountinfo" "$R/proc/self/mountinfo"

# --- kernel hooks ---
for h in postinst postrm; do
	sed "s|/usr/sbin/kdumpcap|$K|" "$W/x/etc/kernel/$h.d/kdumpcap" >"$W/$h" && chmod +x "$W/$h"
done
check "postinst.d hook: builds the new kernel's image" bash -c \
	"KDUMPCAP_ROOT='$R' '$W/postinst' $KV2 '$R/boot/vmlinuz-$KV2' 2>/dev/null && [ -s '$R/boot/kdumpcap-$KV2.img' ] &&
	 grep -q '^kernel [0-9]* [0-9]* $R/boot/vmlinuz-$KV2\$' '$R/boot/kdumpcap-$KV2.img.inputs'"
check_fails "postinst.d hook: a kernel without a kernel file: said, kernel install not failed" \
	"no capture image for kernel 6.9-none" bash -c "KDUMPCAP_ROOT='$R' '$W/postinst' 6.9-none '$R/boot/vmlinuz-6.9-none' 2>&1 && exit 1"
check "postrm.d hook: removes that kernel's image and record, no other" bash -c \
	"KDUMPCAP_ROOT='$R' '$W/postrm' $KV2 '$R/boot/vmlinuz-$KV2' 2>/dev/null && [ ! -e '$R/boot/kdumpcap-$KV2.img' ] &&
	 [ ! -e '$R/boot/kdumpcap-$KV2.img.inputs' ] && [ -s '$IMG' ]"

# --- postcrash: pstore, the last capture's result ---
D=$R/mnt/t/var/crash
printf 'Panic#1 Part1\n<0>Kernel panic - not syncing: sysrq triggered crash\n' >"$R/sys/fs/pstore/dmesg-ramoops-0"
printf 'console log\n' >"$R/sys/fs/pstore/console-ramoops-0"
cp "$R/sys/fs/pstore/dmesg-ramoops-0" "$W/dmesg-ramoops-0"
check_fails "postcrash: a crash pstore saw, no dump -> said, exit 1" \
	"pstore kept its log, now in $D/pstore-.*no dump was saved" "$K" postcrash --root "$R" --kver $KV
check "... pstore records moved next to the dumps (same bytes), gone from pstore" bash -c \
	"cmp '$D'/pstore-*/dmesg-ramoops-0 '$W/dmesg-ramoops-0' && [ -s '$D'/pstore-*/console-ramoops-0 ] &&
	 [ -z \"\$(ls -A '$R/sys/fs/pstore')\" ]"
check "postcrash with nothing new: exit 0, no new directory" bash -c \
	"'$K' postcrash --root '$R' --kver $KV 2>/dev/null && [ \$(ls '$D' | wc -l) = 1 ]"
mkdir -p "$D/127.0.0.1-2026-01-01-00:00:00" && touch "$D/127.0.0.1-2026-01-01-00:00:00/vmcore-dmesg.txt" \
	"$D/127.0.0.1-2026-01-01-00:00:00/vmcore-incomplete"
check_fails "postcrash: the last capture was cut short -> said once, exit 1" \
	"the last capture failed: $D/127.0.0.1-2026-01-01-00:00:00 is FAILED: cut short" "$K" postcrash --root "$R" --kver $KV
check "... not again at the next boot (exit 0)" bash -c "out=\$('$K' postcrash --root '$R' --kver $KV 2>&1) &&
	! echo \"\$out\" | grep -q 'capture failed'"
check "status: the last capture, incomplete" bash -c "'$K' status --root '$R' --kver $KV |
	grep -q 'last capture:   $D/127.0.0.1-2026-01-01-00:00:00: FAILED: cut short'"
sleep 1
mkdir -p "$D/127.0.0.1-2026-01-02-00:00:00" && touch "$D/127.0.0.1-2026-01-02-00:00:00/vmcore"
check "postcrash: a complete capture is said, exit 0" bash -c \
	"'$K' postcrash --root '$R' --kver $KV 2>&1 | grep -q 'the last crash was captured: $D/127.0.0.1-2026-01-02-00:00:00/vmcore'"
check "status: the last capture, complete" bash -c "'$K' status --root '$R' --kver $KV |
	grep -q 'last capture:   $D/127.0.0.1-2026-01-02-00:00:00: complete'"

# --- postcrash: a raw target's dump restored into path ---
disk rawdisk
$PY "$TOP/tests/tools/fakevmcore.py" "$W/core" >/dev/null
"$K" -z -d 1 --message-level 0 "$W/core" "$W/direct" 2>/dev/null
"$K" -z -d 1 --message-level 0 -F "$W/core" "$R/dev/rawdisk" 2>/dev/null
printf 'raw /dev/rawdisk\npath /var/crash\n' >"$W/raw.conf"
check "postcrash, raw target: the dump restored into path, exit 0" bash -c \
	"'$K' postcrash --root '$R' --config '$W/raw.conf' --dev '$R/dev/rawdisk' 2>&1 | grep -q 'the last crash was captured' &&
	 cmp '$R'/var/crash/*/vmcore '$W/direct'"
t_done
