#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML and SVG outputs in a real browser (Debian's chromium, headless):
#  - every example board's `dtmem lint --format html` page, as Chromium built its DOM, draws
#    every region of `dtmem map --format json` with its exact range, and its script shows
#    the details of each region it focuses; a screenshot of each is written to OUTDIR;
#  - `dtmem diff --format html` draws both sides; `--format svg` is well-formed XML that
#    Chromium renders;
#  - a 100,000-node synthetic tree gives a page of bounded size that says what it folded.
#   browser-test.sh DTMEM DTMEM_BENCH OUTDIR
set -euo pipefail
dtmem=$(realpath "${1:?usage: browser-test.sh DTMEM DTMEM_BENCH OUTDIR}")
bench=$(realpath "${2:?}")
out=$(realpath -m "${3:?}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "browser-test: chromium is not installed (scripts/quickstart.sh test installs it)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Flags for a closed network and a root user: no sandbox, no background connections.
browse() {
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}

# The page with a script that hovers over and focuses every region (as events: a headless
# window need not have the focus) and records whether the details box then showed that
# region's details each time.
with_focus_check() {
    sed 's#</body>#<script>{const items = [...document.querySelectorAll(".item")]; const info = document.getElementById("info"); let shown = 0;\
for (const item of items) { const want = item.querySelector("title").textContent; let both = true;\
for (const event of [new MouseEvent("mouseover", {bubbles: true}), new FocusEvent("focusin", {bubbles: true})]) {\
info.textContent = ""; item.dispatchEvent(event); both = both \&\& info.textContent === want; }\
if (both) shown++; }\
document.body.dataset.focusCheck = shown + "/" + items.length;}</script></body>#' "$1"
}

cd "$root"
for board in boards/*/board.dts; do
    name=$(basename "$(dirname "$board")")
    # The map with the board's own settings (.dtmem.yaml: "key: value" lines), as lint reads them.
    settings=()
    if [ -f "$(dirname "$board")/.dtmem.yaml" ]; then
        while IFS=': ' read -r key value; do settings+=("--$key" "$value"); done \
            < <(grep -E '^[a-z-]+: ' "$(dirname "$board")/.dtmem.yaml")
    fi
    (cd "$(dirname "$board")" && "$dtmem" map board.dts "${settings[@]}" --format json) >"$work/$name.json"
    status=0
    "$dtmem" lint "$board" --format html >"$work/$name.html" || status=$?
    [ "$status" -le 1 ] || { fail "$name: dtmem lint --format html exited $status"; continue; }
    with_focus_check "$work/$name.html" >"$work/$name.checked.html"
    browse --dump-dom "file://$work/$name.checked.html" >"$work/$name.dom" || fail "$name: chromium --dump-dom"
    python3 "$here/check_dom.py" "$work/$name.json" "$work/$name.dom" || fail "$name: regions in the DOM"
    rm -f "$out/$name.png"
    browse --window-size=1500,1400 --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null || true
    [ "$(stat -c %s "$out/$name.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "$name: no screenshot"
done

# diff: both sides on one page.
before=tests/diff/before/board.dts after=tests/diff/after/board.dts
"$dtmem" map "$before" --format json >"$work/before.json"
"$dtmem" map "$after" --format json >"$work/after.json"
"$dtmem" diff "$before" "$after" --format html >"$work/diff.html" || [ $? -eq 1 ] || fail "diff --format html"
with_focus_check "$work/diff.html" >"$work/diff.checked.html"
browse --dump-dom "file://$work/diff.checked.html" >"$work/diff.dom" || fail "diff: chromium --dump-dom"
python3 "$here/check_dom.py" "$work/before.json" "$work/diff.dom" || fail "diff: the old side's regions"
python3 "$here/check_dom.py" "$work/after.json" "$work/diff.dom" || fail "diff: the new side's regions"
grep -q 'Δ' "$work/diff.dom" || fail "diff: no changed region is marked"

# SVG: well-formed XML with every region, rendered by Chromium.
"$dtmem" lint boards/rpi4-dma-window-pool/board.dts --format svg >"$work/map.svg" || [ $? -eq 1 ] || fail "lint --format svg"
python3 - "$work/map.svg" "$work/rpi4-dma-window-pool.json" <<'PY' || fail "svg: not well-formed or a region missing"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
drawn = {(g.get("data-start"), g.get("data-end")) for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-start")}
doc = json.load(open(sys.argv[2]))
missing = [r for r in doc["ram"] + doc["mmio"] if (r["start"], r["end"]) not in drawn]
print(f"svg: {len(drawn)} ranges drawn, {len(missing)} of the map's RAM and MMIO missing")
sys.exit(1 if missing or not drawn else 0)
PY
browse --window-size=1500,1200 --screenshot="$out/map-svg.png" "file://$work/map.svg" >/dev/null || true
[ "$(stat -c %s "$out/map-svg.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "svg: no screenshot"

# A 100,000-node tree: a page of bounded size that says how much it folded.
"$bench" --write-synthetic 100000 "$work/big.dtb"
"$dtmem" map "$work/big.dtb" --format html >"$work/big.html"
size=$(stat -c %s "$work/big.html")
[ "$size" -lt 2000000 ] || fail "100,000 nodes: the page has $size bytes"
browse --dump-dom "file://$work/big.html" >"$work/big.dom" || fail "100,000 nodes: chromium --dump-dom"
grep -q 'MMIO: [0-9]* regions drawn as [0-9]* folded ones' "$work/big.dom" || fail "100,000 nodes: the page does not say what it folded"
items=$(grep -o 'class="item"' "$work/big.dom" | wc -l)
[ "$items" -gt 0 ] && [ "$items" -lt 5000 ] || fail "100,000 nodes: $items items drawn"
echo "100,000 nodes: $size bytes, $items items drawn"

[ "$failures" -eq 0 ] || { echo "browser-test: $failures failures (chromium's messages: $work/chromium.log)" >&2; exit 1; }
echo "browser-test: all checks passed; screenshots in $out"
