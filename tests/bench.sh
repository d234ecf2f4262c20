#!/usr/bin/env bash
# Benchmark kdumpcap against makedumpfile (`make bench`; not part of make test).
#   tests/bench.sh [-n RUNS] [-d "31 1"] [-c "z l c none"] [-t "1 2"] [--mem "1536 4096 8192"]
#                  [--synth "64 1024"] [--synth-runs 3] [--capture] [--readme] [--quick] [VMCORE...]
# Baselines: Debian 12's makedumpfile 1.7.2 (/usr/bin: zlib and lzo only; its
# -z silently writes uncompressed, so it is not run for -z) and Debian 13's
# 1.7.6 with zstd, in a debootstrap chroot cached in $cache/mdf-trixie (made
# when missing; never committed). Vmcores: the QEMU ones of qemu/mkvmcore.sh
# (--mem MiB, 4-level paging, KASLR; made when missing), or VMCORE paths.
# Each vmcore is read once first (warm page cache); then RUNS rounds, each
# running every collector once in turn (kdumpcap and makedumpfile alternate);
# medians of wall, CPU (user+sys) and peak RSS, timed to the microsecond by
# build/runstat (GNU time's 10 ms steps are 6% of a 0.16 s run). A ratio is the
# median of the ratios of the runs of one round (pratio), which a host whose
# speed drifts over minutes moves much less than the ratio of the medians
# (on this shared machine one ratio of medians moved by 0.17 between two
# runs of the bench; makedumpfile -l runs in the -z rounds too, for the goal
# of 2-thread -z against it). Dumps go to a tmpfs, so no
# disk is measured (kdumpcap fsyncs its dump, makedumpfile does not).
# Floors: reading the vmcore (every page mapped and every word looked at,
# build/benchfloor read), and compressing only the pages kept at that level,
# page by page with the same library and level in a tight loop (build/benchfloor
# compress, fed from kdumpcap's uncompressed dump).
# Scale: kdumpcap on synthetic sparse vmcores of --synth GiB (build/synthbig,
# cached in $cache/bench), medians of --synth-runs: time should grow linearly
# with RAM, peak RSS not (1 TiB reads 16 GiB of struct pages: minutes a run).
# Prints markdown tables at the end (also in build/bench/latest.md);
# --readme puts them into README.md between the bench markers.
# --quick: the 1.5 GB vmcore, 1 run, 1 thread, no synthetic vmcores.
# --capture: also qemu/capture-bench.sh (in-guest capture times), when present.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KDUMPCAP_CACHE:-$HOME/.cache/kdumpcap}
k=$top/build/kdumpcap floor=$top/build/benchfloor synthbig=$top/build/synthbig runstat=$top/build/runstat
mdf_old=/usr/bin/makedumpfile
root=$cache/mdf-trixie # makedumpfile 1.7.6 with zstd
synth_recipe=v1 # bump when tests/tools/synthbig.c changes what it writes
zstd_level=${BENCH_ZSTD_LEVEL:-1} zlib_level=1 # what kdumpcap uses (Z_BEST_SPEED)
runs=5 levels="31 1" comps="z l c none" threads="1 2" mems="1536 4096 8192" synth="64 1024" synth_runs=3
readme=0 capture=0 vmcores=()
die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (chroot and mounts for makedumpfile 1.7.6)"
# Mounts live in a private mount namespace: they vanish with the script
# even when it is killed; the trap below unmounts them on a normal exit.
if [ -z "${KDC_BENCH_NS:-}" ]; then
	exec env KDC_BENCH_NS=1 unshare -m --propagation private "$0" "$@"
fi
while [ $# -gt 0 ]; do
	case $1 in
	-n) runs=$2; shift 2 ;;
	-d) levels=$2; shift 2 ;;
	-c) comps=$2; shift 2 ;;
	-t) threads=$2; shift 2 ;;
	--mem) mems=$2; shift 2 ;;
	--synth) synth=$2; shift 2 ;;
	--synth-runs) synth_runs=$2; shift 2 ;;
	--readme) readme=1; shift ;;
	--capture) capture=1; shift ;;
	--quick) runs=1 mems=1536 threads=1 synth=""; shift ;;
	-h|--help) sed -n '2,3p' "$0" | sed 's/^# *//'; exit 0 ;;
	-*) die "unknown option $1 (see tests/bench.sh --help)" ;;
	*) vmcores+=("$(realpath "$1")"); shift ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number of runs"
for t in "$k" "$floor" "$runstat" $([ -z "$synth" ] || echo "$synthbig"); do
	[ -x "$t" ] || die "$t missing: run make bench (or make $t)"
done
[ -x "$mdf_old" ] || die "makedumpfile missing: run tests/setup-host.sh"
# makedumpfile 1.7.6: Debian 13 in a chroot, made once (1 to 5 minutes).
make_trixie() {
	local mirror
	command -v debootstrap >/dev/null || die "debootstrap missing: run tests/setup-host.sh"
	mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
	mkdir -p "$cache"
	exec 8>"$cache/mdf-trixie.lock"
	flock 8
	if [ ! -x "$root/usr/bin/makedumpfile" ]; then
		echo "bench: debootstrap trixie with makedumpfile into $root" >&2
		rm -rf "$root.tmp"
		debootstrap --variant=minbase --include=makedumpfile trixie "$root.tmp" \
			${mirror:-http://deb.debian.org/debian} >"$cache/mdf-trixie.log" 2>&1 ||
			die "debootstrap failed; see $cache/mdf-trixie.log"
		mv -T "$root.tmp" "$root"
	fi
	exec 8>&-
}
[ -x "$root/usr/bin/makedumpfile" ] || make_trixie

w=$(mktemp -d /var/tmp/kdc-bench.XXXXXX)
jail=$(mktemp -d "$root/tmp/kdc-bench.XXXXXX") # the chroot's view of vmcores and dumps
jail_in=${jail#"$root"}
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}" 2>/dev/null || true
	done
	# only empty directories: a vmcore directory still bound there must survive
	find "$jail" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() { # mount ARGS... TARGET
	mount "$@"
	mounts+=("${!#}")
}
mkdir -p "$w/out" "$jail/out"
mnt -t proc proc "$root/proc" # without /proc, makedumpfile 1.7.6 loops forever
mnt -t tmpfs -o size=90% tmpfs "$w/out"
mnt --bind "$w/out" "$jail/out"

# Vmcores: the QEMU ones by size unless given.
if [ ${#vmcores[@]} = 0 ]; then
	for m in $mems; do
		vmcores+=("$("$top/qemu/mkvmcore.sh" --mem "$m" --paging 4 --kaslr on | tail -1)")
	done
fi

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "–" }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
flag() { case $1 in none) ;; *) echo "-$1" ;; esac; }
label() { case $1 in none) echo none ;; *) echo "-$1" ;; esac; }

# run ID CMD...: one timed run; appends "wall cpu rss_kib size" to $w/res/ID.
run() {
	local id=$1 e u s m
	shift
	rm -f "$w/out/dump"
	if ! "$runstat" "$w/time" "$@" >"$w/log" 2>&1 || [ ! -s "$w/out/dump" ]; then
		echo "bench: $id failed: $*" >&2
		tail -5 "$w/log" >&2
		return 1
	fi
	read -r e u s m <"$w/time"
	awk -v e="$e" -v u="$u" -v s="$s" -v m="$m" -v z="$(stat -c %s "$w/out/dump")" \
		'BEGIN { printf "%.3f %.3f %s %s\n", e, u + s, m, z }' >>"$w/res/$id"
}

# benchfloor's line as a result line: wall, cpu, no rss, its output bytes.
floor_res() { awk '{ printf "%.3f %.3f 0 %s\n", $10, $8, $6 }' "$w/floor" >>"$1"; }

# stat ID FIELD: median of field 1 wall, 2 cpu, 3 rss KiB, 4 size.
stat_of() {
	[ -s "$w/res/$1" ] || return 0
	awk -v f="$2" '{ printf "%s ", $f }' "$w/res/$1" | median
}

# collectors LEVEL COMP: "id|command" lines, kdumpcap and makedumpfile alternating.
collectors() {
	local l=$1 c=$2 v=$3 vj=$4 t f
	f=$(flag "$c")
	for t in $threads; do
		echo "kdc$t|$k $f -d $l --num-threads $t --message-level 0 $v $w/out/dump"
		[ "$t" = "${threads%% *}" ] || continue
		echo "mdf176|chroot $root /usr/bin/makedumpfile $f -d $l --message-level 0 $vj $jail_in/out/dump"
		[ "$c" = z ] || echo "mdf172|$mdf_old $f -d $l --message-level 0 $v $w/out/dump"
		# the goal of 2-thread -z against makedumpfile -l: in the same round
		[ "$c" != z ] || echo "mdf176l|chroot $root /usr/bin/makedumpfile -l -d $l --message-level 0 $vj $jail_in/out/dump"
	done
}

table=$w/table.md scale=$w/scale.md goals=$w/goals.md
: >"$goals"
{
	echo "| vmcore | -d | comp | collector | wall s | CPU s | peak RSS MiB | size MiB | wall × | CPU × | RSS × | size × |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$table"
# pratio A B F: the median over the runs of A's run ÷ B's run of the same
# round (field F of stat_of). The collectors of a round run one after the
# other, so a host that slows down for a while slows both sides of a pair;
# the ratio of the medians when a run failed (the rounds no longer pair up).
pratio() {
	local a=$w/res/$1 b=$w/res/$2
	if [ ! -s "$a" ] || [ ! -s "$b" ]; then
		echo –
	elif [ "$(wc -l <"$a")" != "$(wc -l <"$b")" ]; then
		ratio "$(stat_of "$1" "$3")" "$(stat_of "$2" "$3")"
	else
		paste -d' ' "$a" "$b" | awk -v f="$3" '$(f + 4) > 0 { print $f / $(f + 4) }' | median |
			awk '{ printf "%.2f", $1 }'
	fi
}
row() { # vmcore level comp name id ref_id [ref2_id]
	local r cells="" i x
	r="| $1 | $2 | $3 | $4 | $(stat_of "$5" 1) | $(stat_of "$5" 2) | $(mib "$(($(stat_of "$5" 3) * 1024))") |"
	r="$r $(mib "$(stat_of "$5" 4)") |"
	for i in 1 2 3 4; do
		x=$(pratio "$5" "$6" $i)
		if [ -n "${7:-}" ] && [ -s "$w/res/$7" ]; then
			x="$x / $(pratio "$5" "$7" $i)"
		fi
		cells="$cells $x |"
	done
	echo "$r$cells" >>"$table"
}
name_of() {
	case $1 in
	kdc*) echo "kdumpcap ${1#kdc}T" ;;
	mdf176) echo "makedumpfile 1.7.6" ;;
	mdf172) echo "makedumpfile 1.7.2" ;;
	esac
}
floor_method() { case $1 in z) echo "zstd $zstd_level" ;; l) echo "lzo 1" ;; c) echo "zlib $zlib_level" ;; esac; }

bench_vmcore() {
	local v=$1 tag vj i l c id cmd line e cpu m b ids
	tag="$(($(stat -c %s "$v") >> 20)) MiB"
	[ -r "$(dirname "$v")/info" ] && tag="$(sed -n 's/^MEM_MB=//p' "$(dirname "$v")/info") MiB guest"
	mkdir -p "$jail/vm"
	vj=$jail_in/vm/$(basename "$(dirname "$v")")/$(basename "$v")
	mkdir -p "$jail/vm/$(basename "$(dirname "$v")")"
	mnt --bind -o ro "$(dirname "$v")" "$jail/vm/$(basename "$(dirname "$v")")"
	echo "== $tag: $v" >&2
	cat "$v" >/dev/null # warm: every collector reads from the page cache
	rm -rf "$w/res" && mkdir -p "$w/res"
	for i in $(seq "$runs"); do
		"$floor" read "$v" >"$w/floor" && floor_res "$w/res/read"
	done
	read -r e cpu _ b < <(echo "$(stat_of read 1) $(stat_of read 2) 0 $(stat_of read 4)")
	echo "| $tag | – | – | floor: read vmcore | $e | $cpu | – | – | – | – | – | – |" >>"$table"
	for l in $levels; do
		for c in $comps; do
			echo "   -d $l $(label "$c") $(date +%T)" >&2
			for i in $(seq "$runs"); do
				while IFS='|' read -r id cmd; do
					# shellcheck disable=SC2086
					run "$l-$c-$id" $cmd || true
				done < <(collectors "$l" "$c" "$v" "$vj")
			done
			ids=$(collectors "$l" "$c" "$v" "$vj" | cut -d'|' -f1 | sort -u)
			for id in mdf176 mdf172 $(echo "$ids" | grep kdc); do # (mdf176l: for a goal only)
				[ -s "$w/res/$l-$c-$id" ] || continue
				row "$tag" "$l" "$(label "$c")" "$(name_of "$id")" "$l-$c-$id" "$l-$c-mdf176" \
					"$([ "$id" = mdf172 ] || echo "$l-$c-mdf172")"
			done
		done
		bench_floor_compress "$v" "$l" "$tag"
	done
	goals_for "$tag"
	echo "$tag|$(for c in $comps; do stat_of "31-$c-kdc1" 3; done | sort -g | tail -1)" >>"$w/peaks"
}

# The compression floor at LEVEL: kdumpcap's uncompressed dump, each page
# compressed alone.
bench_floor_compress() {
	local v=$1 l=$2 tag=$3 c i meth
	"$k" -d "$l" --num-threads 1 --message-level 0 "$v" "$w/out/raw" >"$w/log" 2>&1 ||
		{ echo "bench: kdumpcap -d $l (floor input) failed" >&2; return 0; }
	for c in $comps; do
		[ "$c" != none ] || continue
		meth=$(floor_method "$c")
		for i in $(seq "$runs"); do
			# shellcheck disable=SC2086
			"$floor" compress $meth "$w/out/raw" >"$w/floor" && floor_res "$w/res/$l-$c-floor"
		done
		echo "| $tag | $l | -$c | floor: $meth, kept pages | $(stat_of "$l-$c-floor" 1) | $(stat_of "$l-$c-floor" 2) | – | $(mib "$(stat_of "$l-$c-floor" 4)") | $(ratio "$(stat_of "$l-$c-floor" 1)" "$(stat_of "$l-$c-mdf176" 1)") | $(ratio "$(stat_of "$l-$c-floor" 2)" "$(stat_of "$l-$c-mdf176" 2)") | – | $(ratio "$(stat_of "$l-$c-floor" 4)" "$(stat_of "$l-$c-mdf176" 4)") |" >>"$table"
	done
	rm -f "$w/out/raw"
}

# goal TAG TEXT RATIO LIMIT: the ratio against the issue's limit.
goal() {
	[ "$3" = – ] && return 0
	echo "| $1 | $2 | $3 | $4 | $(awk -v r="$3" -v g="$4" 'BEGIN { print (g ~ /^>=/ ? r >= substr(g, 3) : r <= substr(g, 3)) ? "met" : "not met" }') |" >>"$goals"
}
goals_for() {
	local t=$1
	goal "$t" "-z -d 31, 1T wall ÷ 1.7.6 -z" "$(pratio 31-z-kdc1 31-z-mdf176 1)" "<=0.80"
	goal "$t" "-z -d 31, 1T size ÷ 1.7.6 -z" "$(pratio 31-z-kdc1 31-z-mdf176 4)" "<=1.00"
	goal "$t" "-z -d 1, 1T wall ÷ 1.7.6 -z" "$(pratio 1-z-kdc1 1-z-mdf176 1)" "<=0.80"
	goal "$t" "-z -d 1, 1T size ÷ 1.7.6 -z" "$(pratio 1-z-kdc1 1-z-mdf176 4)" "<=1.00"
	goal "$t" "-l -d 31, 1T wall ÷ 1.7.6 -l" "$(pratio 31-l-kdc1 31-l-mdf176 1)" "<=0.80"
	goal "$t" "-z -d 1, 2T speed-up over 1T" "$(pratio 1-z-kdc1 1-z-kdc2 1)" ">=1.80"
	goal "$t" "-z -d 31, 2T wall ÷ 1.7.6 -l" "$(pratio 31-z-kdc2 31-z-mdf176l 1)" "<=1.00"
	goal "$t" "-z -d 31, 2T size ÷ 1.7.6 -l" "$(pratio 31-z-kdc2 31-z-mdf176l 4)" "<=0.85"
	goal "$t" "-z -d 31, 1T peak RSS ÷ 1.7.6 -z" "$(pratio 31-z-kdc1 31-z-mdf176 3)" "<=0.50"
}

# The synthetic vmcore of GIB GiB, made once (sparse: 1 TiB takes ~1.5 GB).
synth_vmcore() {
	local d=$cache/bench/synth-${1}g-$synth_recipe
	mkdir -p "$d"
	(
		flock 7
		[ -s "$d/vmcore" ] || "$synthbig" "$d/vmcore" "$1" || die "synthbig $1 failed"
	) 7>"$d/.lock"
	echo "$d/vmcore"
}

# Scale: kdumpcap -z -d 31 on synthetic sparse vmcores (time linear in RAM,
# peak RSS flat), warm, next to the largest QEMU vmcore's peak.
bench_scale() {
	local g v i e m tag
	{
		echo "| vmcore | wall s | s per GiB | peak RSS MiB | RSS ÷ smallest |"
		echo "|---|---|---|---|---|"
	} >"$scale"
	local first=""
	while IFS='|' read -r tag m; do
		[ -n "$m" ] || continue
		[ -n "$first" ] || first=$m
		echo "| $tag (kdumpcap -d 31, max over compressions) | – | – | $(mib "$((m * 1024))") | $(ratio "$m" "$first") |" >>"$scale"
	done <"$w/peaks"
	for g in $synth; do
		v=$(synth_vmcore "$g")
		echo "== synthetic $g GiB: $v" >&2
		rm -f "$w/res/synth"
		# warm, as the QEMU vmcores are: one run not counted (cat would
		# read all of a sparse terabyte)
		run synth-warm "$k" -z -d 31 --num-threads 1 --message-level 0 "$v" "$w/out/dump" || true
		for i in $(seq "$synth_runs"); do
			run synth "$k" -z -d 31 --num-threads 1 --message-level 0 "$v" "$w/out/dump" || true
		done
		e=$(stat_of synth 1) m=$(stat_of synth 3)
		[ -n "$e" ] || continue
		[ -n "$first" ] || first=$m
		echo "| synthetic $g GiB (kdumpcap -z -d 31, 1T) | $e | $(awk -v e="$e" -v g="$g" 'BEGIN { printf "%.3f", e / g }') | $(mib "$((m * 1024))") | $(ratio "$m" "$first") |" >>"$scale"
	done
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
version=$(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')
: >"$w/peaks"
for v in "${vmcores[@]}"; do
	bench_vmcore "$v"
done
bench_scale
out=$top/build/bench/latest.md
mkdir -p "$(dirname "$out")"
{
	echo "Run $(date -u +%Y-%m-%d\ %H:%MZ) on $(nproc) CPUs ($(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -1)),"
	echo "kdumpcap tree $version, medians of $runs warm runs,"
	echo "load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after. Ratios: kdumpcap ÷ makedumpfile"
	echo "1.7.6 / ÷ 1.7.2 (same level and compression; below 1 is better), each the median of the ratios of"
	echo "runs made one after the other (floors: of the medians); T = threads."
	echo
	cat "$table"
	echo
	echo "Goals of issue 9 (1.7.6 as upstream makedumpfile):"
	echo
	echo "| vmcore | goal | ratio | limit | |"
	echo "|---|---|---|---|---|"
	cat "$goals"
	echo
	echo "Peak memory across vmcore sizes:"
	echo
	cat "$scale"
	if [ $capture = 1 ] && [ -x "$top/qemu/capture-bench.sh" ]; then
		echo
		echo "In-guest capture (qemu/capture-bench.sh):"
		echo
		"$top/qemu/capture-bench.sh" || echo "(qemu/capture-bench.sh failed: exit $?)"
	fi
} >"$out"
if [ $readme = 1 ]; then
	python3 - "$top/README.md" "$out" <<'EOF'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- bench:begin -->\n", "<!-- bench:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + table + text[b:])
EOF
	echo "bench: README.md updated" >&2
fi
cat "$out"
