#!/usr/bin/env bash
# The main job: a real crash and capture, start to end, on the embedded
# default (a 2 GB QEMU guest running Debian's 6.1 kernel, crashkernel=256M,
# kdump.conf "ext4 UUID=... / core_collector kdumpcap -d 31 -z").
#   qemu/demo.sh [--collector-only]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -j2
if [ "${1:-}" != --collector-only ]; then
	# The whole product: kdumpcap mkinitrd builds the capture image, kdumpcap
	# load loads it, sysrq-c, kdumpcap runs as PID 1 in the capture kernel,
	# saves to an ext4 disk by UUID, powers off; crash opens the dump.
	exec qemu/e2e-capture.sh ext4 --show
fi
# --collector-only: the collector on a fresh vmcore, opened with crash
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
