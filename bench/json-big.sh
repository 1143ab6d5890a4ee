#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# JSON output of a large tree: median wall time and largest peak RSS over N runs of
# `dtmem map BIG.dtb --format json` (a benchmark, never a timed test).
#   bench/json-big.sh BUILD_DIR [NODES] [RUNS]      e.g. bench/json-big.sh build 100000 5
set -euo pipefail
build=${1:?usage: json-big.sh BUILD_DIR [NODES] [RUNS]}
nodes=${2:-100000}
runs=${3:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/dtmem-bench" --write-synthetic "$nodes" "$work/big.dtb"
for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$build/dtmem" map "$work/big.dtb" --format json >/dev/null
    cat "$work/time" >>"$work/times"
done
sort -n "$work/times" | awk -v nodes="$nodes" '
    { wall[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%d nodes, %d runs: median wall %.2f s, max RSS %.1f MB\n",
                 nodes, NR, wall[int((NR + 1) / 2)], rss / 1024 }'
