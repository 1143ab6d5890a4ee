#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer harness for a bounded time on the committed corpus (tests/fuzz/corpus),
# with the FDT dictionary. A crash, sanitizer report, slow input or memory blow-up fails the
# run and leaves the reproducer in the printed path.
#   run-fuzz.sh FUZZ_BINARY SECONDS
set -euo pipefail
fuzzer=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkdir "$work/corpus" "$work/artifacts"
# New inputs go to a scratch copy: the committed corpus changes only by hand (-merge=1).
cp "$here/corpus/"* "$work/corpus/"
if ! "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=8192 \
     -dict="$here/fdt.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
     "$work/corpus" >"$work/log" 2>&1; then
  tail -n 40 "$work/log"
  echo "fuzz: FAILED; reproducer(s): $(ls "$work/artifacts/"*)"
  exit 1
fi
grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/log" || true
echo "fuzz: 1 passed, 0 failed"
rm -rf "$work"
