#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML page of a large tree: its size, the median wall time of
# `dtmem map BIG.dtb --format html`, and the median time headless Chromium takes to load it
# and build its DOM (--dump-dom), over N runs (a benchmark, never a timed test).
#   bench/html-big.sh BUILD_DIR [NODES] [RUNS]      e.g. bench/html-big.sh build 100000 5
set -euo pipefail
build=${1:?usage: html-big.sh BUILD_DIR [NODES] [RUNS]}
nodes=${2:-100000}
runs=${3:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/dtmem-bench" --write-synthetic "$nodes" "$work/big.dtb"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$build/dtmem" map "$work/big.dtb" --format html >"$work/big.html"
    echo $((($(date +%s%N) - start) / 1000000)) >>"$work/dtmem-ms"
    start=$(date +%s%N)
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$work/profile" \
        --dump-dom "file://$work/big.html" >/dev/null 2>&1
    echo $((($(date +%s%N) - start) / 1000000)) >>"$work/chromium-ms"
done
printf '%d nodes, %d runs: page %d KB; dtmem map --format html median %d ms; chromium --dump-dom median %d ms\n' \
    "$nodes" "$runs" $(($(stat -c %s "$work/big.html") / 1024)) "$(median <"$work/dtmem-ms")" "$(median <"$work/chromium-ms")"
