#!/bin/sh
# The guest's side of qemu/sysguest.sh: one step per boot, run by
# kdc-test.service as root once systemd is up; stdout is the second serial
# port, read by the host. Protocol:
#   KDC-STEP <step> kernel=<uname -r>     the step started
#   KDC-BEGIN <name> ... KDC-END rc=<n>   a command's output (show)
#   KDC-FAIL <step>: <why>                a check failed
#   KDC-DONE <step>                       all checks ran; the step ends the boot next
# Each step ends the boot itself: reboot, poweroff (both end QEMU: -no-reboot)
# or sysrq-c.
set -u
P=/run/kdc-payload
step=$1
kv=$(uname -r)
echo "KDC-STEP $step kernel=$kv"

fail() { echo "KDC-FAIL $step: $*"; }
show() { # NAME COMMAND...: its output between markers, with its exit status
	local name=$1 rc
	shift
	echo "KDC-BEGIN $name"
	"$@" 2>&1
	rc=$?
	echo "KDC-END rc=$rc"
	return $rc
}
snapshot() { # WHEN: what a user would look at
	show "$1:systemctl-status" systemctl status --no-pager --full --lines=15 kdumpcap.service
	show "$1:kdumpcap-status" kdumpcap status
}
packaged() { [ -f /var/lib/dpkg/info/kdumpcap.list ]; }

# loaded_at_boot WHEN: kdumpcap.service is up and a capture kernel is loaded
loaded_at_boot() {
	systemctl is-active --quiet kdumpcap.service || fail "kdumpcap.service is $(systemctl is-active kdumpcap.service)"
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "no capture kernel loaded (kexec_crash_loaded=0)"
	snapshot "$1"
	kdumpcap status >/dev/null 2>&1 || fail "kdumpcap status says a crash would not be captured"
	journal "$1"
	if packaged; then
		grep -q "capture image .* is up to date" /tmp/kdc-journal ||
			fail "kdumpcap.service did not find the image up to date (it was built when the package or kernel was installed)"
	fi
}
journal() { # WHEN: this boot's journal of both units, kept in /tmp/kdc-journal
	journalctl -b --no-pager -o short-monotonic -u kdumpcap.service -u kdumpcap-savecore.service >/tmp/kdc-journal 2>&1
	show "$1:journal" cat /tmp/kdc-journal
}

# after_crash WHEN: the boot after a capture: the dump is there, and (package)
# the journal and kdumpcap status say the last crash was captured
after_crash() {
	snapshot "$1"
	last_dump "$1"
	journal "$1"
	packaged || return 0
	grep -q "the last crash was captured: $lastdir/vmcore" /tmp/kdc-journal ||
		fail "the journal does not say that the last crash was captured in $lastdir"
	kdumpcap status | grep -q "^last capture: *$lastdir: complete" ||
		fail "kdumpcap status does not report the last capture $lastdir as complete"
}

# image_of KVER: the capture image built for that kernel (package or manual unit)
image_of() {
	local f
	for f in /var/lib/kdumpcap/*"$1"* /boot/kdumpcap-"$1".img /boot/kdumpcap*"$1"*; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
booted_at() { echo $(($(date +%s) - $(cut -d. -f1 /proc/uptime))); }

crash_now() {
	sync
	sleep 2 # let the serial port drain what was printed
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
	sleep 10
	fail "alive after sysrq-c"
}

# last_dump WHEN: the newest dump directory holds a complete vmcore
lastdir=
last_dump() {
	lastdir=$(ls -1td /var/crash/*/ 2>/dev/null | head -1)
	lastdir=${lastdir%/}
	show "$1:var-crash" ls -l /var/crash $lastdir
	[ -n "$lastdir" ] && [ -f "$lastdir/vmcore" ] && [ ! -e "$lastdir/vmcore-incomplete" ] ||
		fail "no complete vmcore in the newest dump directory '$lastdir'"
}

conf_target() { # LINE: kdump.conf with this target line instead of the packaged one's
	[ ! -f /etc/kdump.conf ] || [ -f /etc/kdump.conf.orig ] || cp /etc/kdump.conf /etc/kdump.conf.orig
	printf '%s\npath /var/crash\ncore_collector kdumpcap -d 31 -z\nfinal_action poweroff\nfailure_action reboot\n' "$1" \
		>/etc/kdump.conf
}

case $step in
install)
	grep -q 'crashkernel=' /proc/cmdline || fail "no crashkernel= on the command line"
	if ls $P/kdumpcap_*.deb >/dev/null 2>&1; then
		show install:dpkg dpkg -i $P/kdumpcap_*.deb || fail "dpkg -i failed"
		systemctl enable kdumpcap.service kdumpcap-savecore.service || fail "cannot enable the services"
	else
		# no package yet: the binary by hand, this harness's unit, a config
		install -m 0755 $P/kdumpcap /usr/sbin/kdumpcap
		install -m 0644 $P/manual.service /etc/systemd/system/kdumpcap.service
		conf_target "ext4 LABEL=kdcroot"
		systemctl daemon-reload
		systemctl enable kdumpcap.service || fail "cannot enable kdumpcap.service"
	fi
	show install:conf cat /etc/kdump.conf
	[ "$(systemctl is-enabled kdumpcap.service)" = enabled ] || fail "kdumpcap.service is not enabled"
	snapshot before-reboot
	echo "KDC-DONE $step"
	systemctl reboot
	;;
crash1 | crash2)
	loaded_at_boot "before-$step"
	img=$(image_of "$kv") || fail "no capture image for $kv"
	if [ $step = crash2 ] && packaged && [ -n "$img" ] && [ "$(stat -c %Y "$img")" -ge "$(booted_at)" ]; then
		fail "$img was built at boot, not by the kernel hook at the upgrade"
	fi
	echo "KDC-DONE $step"
	crash_now
	;;
raw)
	after_crash after-crash1
	conf_target "raw /dev/disk/by-id/virtio-kdcraw"
	show raw:conf cat /etc/kdump.conf
	show raw:restart systemctl restart kdumpcap.service || fail "kdumpcap.service did not restart"
	img=$(image_of "$kv") || fail "no capture image for $kv"
	[ -n "$img" ] && ! [ "$img" -nt /etc/kdump.conf ] && fail "$img was not rebuilt after kdump.conf changed"
	loaded_at_boot before-raw
	echo "KDC-DONE $step"
	crash_now
	;;
upgrade)
	# savecore restored the raw dump at boot; then back to the packaged
	# kdump.conf and a kernel upgrade
	if packaged; then
		r=$(systemctl show -p Result --value kdumpcap-savecore.service)
		[ "$r" = success ] || fail "kdumpcap-savecore.service: $r"
	fi
	after_crash after-raw
	cp /etc/kdump.conf.orig /etc/kdump.conf
	new=$(dpkg-deb -f $P/linux-image-*.deb Package | sed 's/^linux-image-//')
	# TCG: the guest's own initrd at zstd -1 (its default -9 costs CPU, not
	# checks), and no unpacking of driver trees no capture here can use
	echo COMPRESSLEVEL=1 >/etc/initramfs-tools/conf.d/kdc-speed
	printf 'path-exclude=/lib/modules/*/kernel/%s/*\n' drivers/gpu drivers/media drivers/net/wireless \
		drivers/staging drivers/infiniband drivers/iio sound net/wireless >/etc/dpkg/dpkg.cfg.d/kdc-speed
	dpkg -i $P/linux-image-*.deb >/tmp/kdc-dpkg 2>&1 && rc=0 || rc=$?
	show upgrade:dpkg cat /tmp/kdc-dpkg
	[ $rc = 0 ] || fail "dpkg -i of the kernel failed"
	if packaged; then
		# the root file system is visible; only the kernel differs
		grep -q "is not visible here" /tmp/kdc-dpkg && fail "the kernel hook says the dump target is not visible here"
		grep -q "the image is for kernel $new, not the running $kv" /tmp/kdc-dpkg ||
			fail "the kernel hook does not say that it builds for $new while $kv runs"
		img=$(image_of "$new") || fail "the kernel hook built no capture image for $new"
		show upgrade:image ls -l $img
	fi
	echo "KDC-DONE $step"
	systemctl reboot
	;;
final)
	after_crash after-crash2
	echo "KDC-DONE $step"
	systemctl poweroff
	;;
*)
	fail "unknown step"
	;;
esac
