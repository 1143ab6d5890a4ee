#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dtmem lint over a corpus of DTBs in one process, against dtc's own check pass run once
# per file (dtc -I dtb -O dtb -o /dev/null), in the same run: wall seconds and peak RSS.
# A benchmark, never a timed test.
#   bench/lint-corpus.sh BUILD_DIR DIR...     e.g. the Debian kernel packages' dtbs folders
set -euo pipefail
build=${1:?usage: lint-corpus.sh BUILD_DIR DIR...}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$@" -name '*.dtb' -type f | sort >"$work/list"
mapfile -t files <"$work/list"
echo "${#files[@]} DTBs"
/usr/bin/time -f '%e %M' -o "$work/lint" "$build/dtmem" lint --format gcc --exit-zero "${files[@]}" >/dev/null 2>&1
read -r lint_wall lint_rss <"$work/lint"
start=$(date +%s%N)
for f in "${files[@]}"; do dtc -q -I dtb -O dtb -o /dev/null "$f" 2>/dev/null || true; done
dtc_ms=$((($(date +%s%N) - start) / 1000000))
echo "dtmem lint, one process: ${lint_wall} s wall, peak RSS $((lint_rss / 1024)) MB"
echo "dtc per file:            $((dtc_ms / 1000)).$(printf '%03d' $((dtc_ms % 1000))) s wall"
awk -v a="$lint_wall" -v b="$dtc_ms" 'BEGIN { printf "dtmem lint is %.1fx faster\n", (b / 1000) / a }'
