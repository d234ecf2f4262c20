#!/usr/bin/env bash
# crash-compare.sh VMLINUX VMCORE DUMP...: crash's answers to sys, bt -a,
# log, ps and kmem -i on each DUMP must equal its answers on the full ELF
# VMCORE, the DUMPFILE line and the [PARTIAL DUMP] tag aside. The reference
# output is cached next to the vmcore.
set -u
vmlinux=$1 vmcore=$2
shift 2
cmds='sys
bt -a
log
ps
kmem -i
files 1'
run_crash() {
	printf '%s\n' "$cmds" | timeout 600 crash -s "$vmlinux" "$1" 2>&1 |
		sed -e 's/^\( *DUMPFILE:\).*/\1/'
}
ref=$vmcore.crash-ref
if [ ! -s "$ref" ] || [ "$ref" -ot "$vmcore" ]; then
	run_crash "$vmcore" > "$ref.tmp" && mv "$ref.tmp" "$ref"
fi
if ! grep -q "PANIC:" "$ref" || ! grep -q "TOTAL MEM" "$ref"; then
	echo "crash could not read the reference vmcore:"; head -5 "$ref"; exit 1
fi
rc=0
for d in "$@"; do
	run_crash "$d" > "$d.crash"
	if diff -u "$ref" "$d.crash" > "$d.crash.diff"; then
		echo "crash answers equal on $(basename "$d") ($(wc -l < "$ref") lines)"
	else
		echo "crash answers DIFFER on $d:"; head -30 "$d.crash.diff"; rc=1
	fi
done
exit $rc
