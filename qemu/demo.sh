#!/usr/bin/env bash
# The main job: a real crash and capture, start to end. Boots Debian's 6.1
# kernel under QEMU with crashkernel=, loads memory, loads the capture
# kernel with `kdumpcap load`, crashes it with sysrq-c, takes the dead
# kernel's memory, saves it with `kdumpcap -d 31 -z`, and opens the dump
# with crash next to the full vmcore.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -j2
if [ -x qemu/e2e-capture.sh ]; then
	# the capture kernel runs kdumpcap as PID 1 from its own initramfs
	exec qemu/e2e-capture.sh --demo
fi
echo "== crashing a 1.5 GB guest (fresh, not cached)"
vmcore=$(qemu/mkvmcore.sh --mem 1536 --crashkernel 192M --force | tail -1)
vmlinux=$(sed -n 's/^VMLINUX=//p' "$(dirname "$vmcore")/info")
out=$(mktemp -d /var/tmp/kdc-demo.XXXXXX)
echo "== kdumpcap -d 31 -z $vmcore"
./build/kdumpcap -d 31 -z --show-stats "$vmcore" "$out/vmcore"
ls -l "$vmcore" "$out/vmcore"
echo "== crash on the dump"
printf 'sys\nbt\nlog | tail -5\n' | crash -s "$vmlinux" "$out/vmcore"
rm -rf "$out"
