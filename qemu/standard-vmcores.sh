#!/usr/bin/env bash
# The vmcores the test suites run on, made (or taken from the cache) by
# mkvmcore.sh: one path per line. 1.5 GB with 4-level paging and KASLR,
# 1.5 GB with 5-level paging without KASLR, 4 GB with 4-level paging and KASLR.
#   standard-vmcores.sh [--small]   (--small: the two 1.5 GB ones only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sets=("--mem 1536 --paging 4 --kaslr on" "--mem 1536 --paging 5 --kaslr off")
[ "${1:-}" = --small ] || sets+=("--mem 4096 --paging 4 --kaslr on")
for args in "${sets[@]}"; do
	# shellcheck disable=SC2086
	"$here/mkvmcore.sh" $args | tail -1
done
