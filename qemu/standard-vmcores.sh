#!/usr/bin/env bash
# The vmcores the test suites run on, made (or taken from the cache) by
# mkvmcore.sh: one path per line. 1.5 GB with 4-level paging and KASLR,
# 1.5 GB with 5-level paging without KASLR, 4 GB with 4-level paging and KASLR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for args in "--mem 1536 --paging 4 --kaslr on" "--mem 1536 --paging 5 --kaslr off" \
	"--mem 4096 --paging 4 --kaslr on"; do
	# shellcheck disable=SC2086
	"$here/mkvmcore.sh" $args | tail -1
done
