# Sourced by the first kernel's /init in the vmcore harnesses (busybox sh):
# fail/step, the pseudo filesystems, and memload_start.
fail() { echo "MKVMCORE-FAIL: $*"; sync; poweroff -f; reboot -f; }
step() { echo "MKVMCORE: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# memload_start ANON_MB HUGE_PAGES TMPFS_MB: fill memory with /bin/memload
# (anonymous, hugetlb, a tmpfs file) and wait until it is ready.
memload_start() {
	mkdir -p /run/tmpfs
	mount -t tmpfs -o size=$(($3 + 16))m tmpfs /run/tmpfs || fail "mount tmpfs"
	echo $2 >/proc/sys/vm/nr_hugepages
	got=$(cat /proc/sys/vm/nr_hugepages)
	[ "$got" = "$2" ] || fail "only $got of $2 hugetlb pages"
	memload run $1 $2 /run/tmpfs/data $3 /run/memload.ready &
	i=0
	while [ ! -e /run/memload.ready ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /run/memload.ready ] || fail "memload did not get ready"
}
