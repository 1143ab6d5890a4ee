#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command line as users meet it: exit statuses, error lines, stdin, formats, overlays.
# Usage: tests/cli/cli-test.sh DTMEM_BINARY
set -uo pipefail
dtmem=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# expect NAME STATUS STDERR-PATTERN -- command...
expect() {
  local name=$1 status=$2 pattern=$3; shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$status" ]; then
    echo "FAIL $name: exit $got, expected $status"; sed 's/^/  stderr: /' "$work/err" | head -5; failed=$((failed + 1)); return
  fi
  if [ -n "$pattern" ] && ! grep -qE -e "$pattern" "$work/err"; then
    echo "FAIL $name: stderr does not match /$pattern/"; sed 's/^/  stderr: /' "$work/err" | head -5; failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}
# check NAME -- command... (exit 0 of a shell test)
check() {
  local name=$1; shift 2
  if "$@"; then passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}

# A riscv Image header (Documentation/arch/riscv/boot-image-header.rst): image_size at 16,
# magic2 "RSC\x05" at 56; 0x1e6b000 bytes, as Debian's 6.12 riscv64 kernel.
{ printf '\0\0\0\0\0\0\0\0\0\0\x20\0\0\0\0\0\0\xb0\xe6\x01\0\0\0\0'; head -c 32 /dev/zero; printf 'RSC\x05'; head -c 4 /dev/zero; } >"$work/riscv-Image"

board=$top/boards/arm64-8g-two-banks
cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp -I "$board" "$board/board.dts" 2>/dev/null |
  dtc -q -I dts -O dtb -@ -o "$work/board.dtb" -

expect version 0 "" -- "$dtmem" --version
check version-text -- grep -q '^dtmem [0-9]' "$work/out"
expect help-lists-commands 0 "" -- "$dtmem" --help
check generate-hidden -- sh -c "grep -q '^  lint ' '$work/out' && ! grep -q 'generate' '$work/out'"
expect no-command 2 "" -- "$dtmem"
expect no-file 2 "" -- "$dtmem" map
expect missing-file 2 "^/nonexistent.dtb: error: cannot open" -- "$dtmem" map /nonexistent.dtb
printf 'hello world, not a tree' >"$work/text.dtb"
# A .dtb name, or binary content, makes it a blob: validated, one line, never handed to dtc.
expect not-a-tree 2 "text.dtb: error: not a device tree blob" -- "$dtmem" map "$work/text.dtb"
check not-a-tree-one-line -- test "$(wc -l <"$work/err")" -eq 1
printf 'hello world, not a tree' >"$work/text.dts"
expect text-dts 2 "text.dts: error: dtc rejected the source: .*syntax error" -- "$dtmem" map "$work/text.dts"
check text-dts-one-line -- test "$(wc -l <"$work/err")" -eq 1
{ printf '\xd0\x0d\xfe\xee'; head -c 60 /dev/zero; } >"$work/badmagic.bin"
expect bad-magic 2 "badmagic.bin: error: " -- "$dtmem" map "$work/badmagic.bin"
check bad-magic-one-line -- test "$(wc -l <"$work/err")" -eq 1
# Strings that are not UTF-8 or hold terminal controls: JSON stays valid, text is escaped.
printf '/dts-v1/;\n/ { model = "evil\\x1b]0;pwned\\x07 \\xff ok"; #address-cells = <1>; #size-cells = <1>;\n\tmemory@0 { device_type = "memory"; reg = <0 0x1000000>; };\n};\n' >"$work/evil.dts"
expect bad-utf8-json 0 "" -- "$dtmem" map "$work/evil.dts" --format json
check bad-utf8-replaced -- grep -q "pwned\\\\u0007 $(printf '\xef\xbf\xbd') ok" "$work/out"
expect control-text 0 "" -- "$dtmem" map "$work/evil.dts" --color always
check control-escaped -- grep -qF 'evil\x1b]0;pwned\x07 \xff ok' "$work/out"
check no-raw-escape -- sh -c "! grep -q \"\$(printf '\\033]')\" '$work/out'"
# A bootloader reservation cannot be written into a root with more than 4 address cells.
printf '/dts-v1/;\n/ {\n\t#address-cells = <0x10000000>;\n\t#size-cells = <1>;\n};\n' >"$work/cells.dts"
expect reserve-huge-cells 2 "cells.dts: error: cannot add a reserved region to the tree: the root's #address-cells = 268435456" -- "$dtmem" map "$work/cells.dts" --reserve 0x40000000:2M:tee
printf '\xd0\x0d\xfe\xed\x00\x00' >"$work/short.dtb"
expect short-blob 2 "short.dtb: error: not a device tree blob" -- "$dtmem" map "$work/short.dtb"
head -c 200 "$work/board.dtb" >"$work/truncated.dtb"
expect truncated-blob 2 "truncated.dtb: error: truncated device tree blob" -- "$dtmem" map "$work/truncated.dtb"
printf '/dts-v1/;\n/ {\n\tfoo = <1>\n};\n' >"$work/syntax.dts"
expect dtc-error 2 "syntax.dts: error: dtc rejected the source" -- "$dtmem" map "$work/syntax.dts"
check dtc-message-kept -- grep -q "syntax error" "$work/err"
# Build systems bring their own dtc and cpp: DTC and CPP name them.
expect dtc-from-environment 2 "cannot run /nonexistent/dtc" -- env DTC=/nonexistent/dtc "$dtmem" map "$board/board.dts"
expect cpp-from-environment 2 "cannot run /nonexistent/cpp" -- env CPP=/nonexistent/cpp "$dtmem" map "$board/board.dts"
printf '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tdev {\n\t\tmemory-region = <0x77>;\n\t};\n};\n' >"$work/phandle.dts"
# Node-local faults are diagnostics with their DTS location; the map goes on.
expect bad-phandle 0 "" -- "$dtmem" map "$work/phandle.dts"
check bad-phandle-warning -- grep -qF "phandle.dts:6:3: warning: /dev: memory-region entry 0 refers to phandle 0x77, which no node has [memory-region-dangling]" "$work/out"
printf '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory@0 {\n\t\tdevice_type = "memory";\n\t\treg = <0 0 0>;\n\t};\n};\n' >"$work/short-reg.dts"
# early_init_dt_scan_memory() reads whole entries and ignores the rest: so does dtmem, and says so.
expect trailing-reg 0 "" -- "$dtmem" map "$work/short-reg.dts"
check trailing-reg-warning -- grep -qE "short-reg.dts:7:3: warning: /memory@0: reg has 12 bytes.*ignores the last 12 bytes \[trailing-cells\]" "$work/out"
expect bad-memory-option 2 "--memory 12: expected BASE:SIZE" -- "$dtmem" map "$work/board.dtb" --memory 12
expect bad-format 2 "" -- "$dtmem" map "$work/board.dtb" --format yaml

expect dtb 0 "" -- "$dtmem" map "$work/board.dtb"
check dtb-has-ram -- grep -qE '^  0x0000000040000000  0x00000000bfffffff  2 GiB +RAM +/memory@40000000' "$work/out"
expect output-unwritable 3 "cannot write the output" -- sh -c "'$dtmem' map '$work/board.dtb' >/dev/full"
expect stdin-dtb 0 "" -- sh -c "'$dtmem' map - <'$work/board.dtb'"
check stdin-named -- grep -q '^<stdin> (DTB)' "$work/out"
expect stdin-dts 0 "" -- sh -c "'$dtmem' map - <'$top/boards/armv7-2g/board.dts'"
expect json 0 "" -- "$dtmem" map "$work/board.dtb" --format json
check json-shape -- grep -q '"ram": \[' "$work/out"
check no-color-in-pipe -- sh -c "! grep -q \$'\\x1b' '$work/out'"
expect color 0 "" -- "$dtmem" map "$work/board.dtb" --color always
check color-codes -- grep -q $'\x1b\\[' "$work/out"

"$dtmem" map "$work/board.dtb" --format json >"$work/one.json"
"$dtmem" map "$work/board.dtb" --format json >"$work/two.json"
check deterministic -- cmp -s "$work/one.json" "$work/two.json"

printf '/dts-v1/;\n/plugin/;\n&{/} {\n\textra-memory@100000000 {\n\t\tdevice_type = "memory";\n\t\treg = <0x1 0x0 0x0 0x10000000>;\n\t};\n};\n' >"$work/overlay.dtso"
dtc -q -@ -I dts -O dtb -o "$work/overlay.dtbo" "$work/overlay.dtso"
expect overlay 0 "" -- "$dtmem" map "$work/board.dtb" --overlay "$work/overlay.dtbo"
check overlay-applied -- grep -q '/extra-memory@100000000' "$work/out"
expect overlay-dts 0 "" -- "$dtmem" map "$work/board.dtb" --overlay "$work/overlay.dtso"
expect overlay-missing 2 "overlay /nonexistent.dtbo: cannot open" -- "$dtmem" map "$work/board.dtb" --overlay /nonexistent.dtbo

# The prediction: the kernel-log view of a recorded case equals what the kernel printed.
case_dir=$top/tests/kernel-cases/arm64-dma-ranges-31bit
expect kernel-log 0 "" -- "$dtmem" map "$case_dir/board.dts" -I "$top/tests/kernel-cases/include" \
  --kernel arm64-6.1 --load kernel=0x40200000,dtb=0x48000000 --format kernel-log
check kernel-log-cma -- grep -qx 'cma: Reserved 64 MiB at 0x000000007c000000' "$work/out"
check kernel-log-zone -- grep -qx '  DMA      \[mem 0x0000000040000000-0x000000007fffffff\]' "$work/out"
expect prediction-text 0 "" -- "$dtmem" map "$work/board.dtb" --kernel 6.1 --arch arm64
check prediction-profile -- grep -q '^Kernel prediction: arm64-6.1 ' "$work/out"
check prediction-assumes-load -- grep -q 'assumes kernel loaded at' "$work/out"
expect prediction-json 0 "" -- "$dtmem" map "$work/board.dtb" --format json
check prediction-json-zones -- grep -q '"zones": \[' "$work/out"
expect arm-assumptions 0 "" -- "$dtmem" map "$top/boards/armv7-2g/board.dts" --kernel arm-6.1
check arm-assumption-once -- test "$(grep -c 'assumes kernel loaded at' "$work/out")" -eq 1
expect unknown-kernel 2 "no kernel profile 5.4 for arm64; known: arm" -- "$dtmem" map "$work/board.dtb" --kernel 5.4 --arch arm64
expect unknown-arch 2 "unknown --arch mips" -- "$dtmem" map "$work/board.dtb" --arch mips
expect bad-load 2 "--load kernel=x: expected" -- "$dtmem" map "$work/board.dtb" --load kernel=x
printf '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory@0 {\n\t\tdevice_type = "memory";\n\t\treg = <0 0 0 0>;\n\t};\n};\n' >"$work/noram.dts"
expect no-ram-kernel-log 2 "no prediction: the tree describes no RAM" -- "$dtmem" map "$work/noram.dts" --format kernel-log
expect no-ram-map 0 "" -- "$dtmem" map "$work/noram.dts"
check no-ram-said -- grep -q 'no prediction: the tree describes no RAM' "$work/out"
# A .config: arch and version from its header, build numbers from the shipped profile.
printf '#\n# Linux/arm64 6.12.57 Kernel Configuration\n#\nCONFIG_ZONE_DMA=y\n# CONFIG_ZONE_DMA32 is not set\nCONFIG_CMA=y\nCONFIG_DMA_CMA=y\nCONFIG_CMA_SIZE_MBYTES=32\nCONFIG_CMA_SIZE_SEL_MBYTES=y\nCONFIG_CMA_AREAS=7\nCONFIG_HUGETLB_PAGE=y\n' >"$work/config"
expect kernel-config 0 "" -- "$dtmem" map "$case_dir/board.dts" -I "$top/tests/kernel-cases/include" \
  --kernel-config "$work/config" --format kernel-log
check kernel-config-cma-size -- grep -qx 'cma: Reserved 32 MiB at 0x000000007e000000 on node -1' "$work/out"
check kernel-config-no-dma32 -- sh -c "! grep -q 'DMA32' '$work/out'"
# The 16 KiB-page variant by version and arch: cma=40M grows to whole 32 MiB pageblocks, as
# the recorded boot shows.
cma40=$top/tests/kernel-cases/arm64-cmdline-cma-40m
expect kernel-16k 0 "" -- "$dtmem" map "$cma40/board.dts" -I "$top/tests/kernel-cases/include" \
  --kernel 6.12-16k --arch arm64 --format kernel-log
check kernel-16k-cma -- grep -qxF "$(grep '^cma: Reserved' "$cma40/arm64-16k-6.12.log")" "$work/out"
# A user's own profile file: the shipped arm64-6.12 profile, read from disk, predicts the same lines.
expect profile-file 0 "" -- "$dtmem" map "$case_dir/board.dts" -I "$top/tests/kernel-cases/include" \
  --profile-file "$top/rules/profiles/arm64-6.12.yaml" --format kernel-log
cp "$work/out" "$work/from-file"
expect profile-shipped 0 "" -- "$dtmem" map "$case_dir/board.dts" -I "$top/tests/kernel-cases/include" \
  --kernel arm64-6.12 --format kernel-log
check profile-file-same -- cmp -s "$work/out" "$work/from-file"
# dtmem profile: a .config's profile, written once, predicts what the .config itself predicts
# (estimates and all); the estimated numbers are named on the terminal.
config510=$top/tests/kernel-configs/arm64-5.10.config
expect profile-write 0 "profile arm64-5.10: 0 build numbers from the vmlinux, [0-9]+ estimated from arm64-6.1: .*image_size" -- \
  "$dtmem" profile --kernel-config "$config510" --id arm64-5.10 -o "$work/arm64-5.10.yaml"
check profile-written-marks-estimates -- grep -q '^  image_size: {value: .*, estimated: true, source: "estimated: the value measured on arm64-6.1"}' "$work/arm64-5.10.yaml"
# (hugetlb_cma= on 5.10: the area lands below allocations whose sizes are estimated)
hugetlb_case=$top/tests/kernel-cases/arm64-hugetlb-cma-size
expect profile-from-config 0 "" -- "$dtmem" map "$hugetlb_case/board.dts" -I "$top/tests/kernel-cases/include" --kernel-config "$config510"
sed 's/config:arm64-5.10.config/arm64-5.10/g' "$work/out" >"$work/from-config"
expect profile-from-written 0 "" -- "$dtmem" map "$hugetlb_case/board.dts" -I "$top/tests/kernel-cases/include" --profile-file "$work/arm64-5.10.yaml"
check profile-written-same -- cmp -s "$work/out" "$work/from-config"
check profile-written-ranges -- grep -q 'starts between' "$work/out"
expect profile-no-config 2 "--kernel-config is required" -- "$dtmem" profile
expect profile-bad-vmlinux 2 "README.md: error: .*not an ELF file" -- "$dtmem" profile --kernel-config "$config510" --vmlinux "$top/README.md"
# .dtmem.yaml names the profile file (relative to its folder) and the vmlinux.
mkdir -p "$work/with-profile" && cp "$work/arm64-5.10.yaml" "$work/with-profile/"
printf 'profile-file: arm64-5.10.yaml\n' >"$work/with-profile/.dtmem.yaml"
expect config-profile-file 0 "" -- "$dtmem" lint --dump-config --config "$work/with-profile/.dtmem.yaml" "$case_dir/board.dts"
check config-profile-file-shown -- grep -qx "profile-file: $work/with-profile/arm64-5.10.yaml" "$work/out"
printf 'profile-file: arm64-5.10.yaml\nvmlinux: %s\n' "$top/README.md" >"$work/with-profile/.dtmem.yaml"
expect config-vmlinux-read 2 "README.md: not an ELF file" -- "$dtmem" lint --config "$work/with-profile/.dtmem.yaml" -I "$top/tests/kernel-cases/include" "$case_dir/board.dts"
printf 'kernel: arm64-6.1\nprofile-file: arm64-5.10.yaml\n' >"$work/bad.yaml"
expect config-two-kernels 2 "bad.yaml:1: kernel, kernel-config and profile-file name the kernel in three ways" -- "$dtmem" lint --config "$work/bad.yaml" "$case_dir/board.dts"

# Inputs the tree cannot give.
rv=$top/tests/kernel-cases/riscv64-rsv-dynamic-on-dtb
expect riscv-default-firmware 0 "" -- "$dtmem" map "$rv/board.dts" -I "$top/tests/kernel-cases/include"
check riscv-firmware-assumed -- grep -q 'firmware OpenSBI 1.1 at 0x80000000' "$work/out"
check riscv-firmware-region -- grep -q '/reserved-memory/mmode_resv0@80000000' "$work/out"
expect riscv-stdin 0 "" -- sh -c "cd '$top/tests/kernel-cases/include' && '$dtmem' map - -I . <'$rv/board.dts'"
check riscv-stdin-firmware -- grep -q '/reserved-memory/mmode_resv0@80000000' "$work/out"
expect riscv-no-firmware 0 "" -- "$dtmem" map "$rv/board.dts" -I "$top/tests/kernel-cases/include" --firmware none
check riscv-no-firmware-region -- sh -c "! grep -q mmode_resv0 '$work/out'"
expect bad-firmware 2 "--firmware uboot: expected none, opensbi" -- "$dtmem" map "$rv/board.dts" -I "$top/tests/kernel-cases/include" --firmware uboot
expect reserve 0 "" -- "$dtmem" map "$work/board.dtb" --reserve 0x50000000:2M:spin-table --format json
check reserve-region -- grep -q '"node": "/reserved-memory/spin-table@50000000"' "$work/out"
expect bad-reserve 2 "--reserve 0x50000000: expected BASE:SIZE" -- "$dtmem" map "$work/board.dtb" --reserve 0x50000000
# A no-map carve-out fails where the DTB was assumed to be: that outcome rests on the
# default; with the addresses given, every placement is exact.
over_dtb=$top/tests/kernel-cases/arm64-rsv-nomap-over-dtb
expect rests-on-default 0 "" -- "$dtmem" map "$over_dtb/board.dts" -I "$top/tests/kernel-cases/include" --format json
check rests-on-dtb -- grep -q '"the DTB.s load address (default)"' "$work/out"
expect exact-when-given 0 "" -- "$dtmem" map "$rv/board.dts" -I "$top/tests/kernel-cases/include" --format json \
  --load kernel=0x80200000,dtb=0x9fe00000 --kernel-image "$work/riscv-Image"
check exact-no-rests-on -- sh -c "! grep -q 'load address (default)' '$work/out'"
expect initrd 0 "" -- "$dtmem" map "$work/board.dtb" --load initrd=0x60000000:16M --format kernel-log
expect bad-image 2 "not an arm64 or riscv Image" -- "$dtmem" map "$work/board.dtb" --kernel-image "$work/board.dtb"
# --cpus replaces the count of the tree's CPU nodes: the 4-CPU board predicts its recorded
# buffer (tests/kernel-cases/arm64-smp4-memblock-debug-1g), and with --cpus 1 the one the
# same board had with one CPU (arm64-memblock-debug-1g).
smp4=$top/tests/kernel-cases/arm64-smp4-memblock-debug-1g
expect cpus-tree 0 "" -- "$dtmem" map "$smp4/board.dts" -I "$top/tests/kernel-cases/include" --kernel arm64-6.12 \
  --load kernel=0x40200000,dtb=0x48000000 --format kernel-log
check cpus-tree-buffer -- grep -q 'software IO TLB: mapped \[mem 0x000000007aa80000-0x000000007ab80000\] (1MB)' "$work/out"
expect cpus-one 0 "" -- "$dtmem" map "$smp4/board.dts" -I "$top/tests/kernel-cases/include" --kernel arm64-6.12 \
  --load kernel=0x40200000,dtb=0x48000000 --format kernel-log --cpus 1
check cpus-one-buffer -- grep -q 'software IO TLB: mapped \[mem 0x000000007ab00000-0x000000007ac00000\] (1MB)' "$work/out"
check cpus-one-areas -- grep -q 'software IO TLB: area num 1\.' "$work/out"
expect bad-cpus 2 "--cpus" -- "$dtmem" map "$work/board.dtb" --cpus 0
# The count is reported: the tree's four CPU nodes, or --cpus.
expect cpus-shown 0 "" -- "$dtmem" map "$smp4/board.dts" -I "$top/tests/kernel-cases/include" --kernel arm64-6.12
check cpus-shown-text -- grep -qx '  CPUs: 4 possible' "$work/out"
expect cpus-shown-json 0 "" -- "$dtmem" map "$smp4/board.dts" -I "$top/tests/kernel-cases/include" --kernel arm64-6.12 --cpus 2 --format json
check cpus-shown-json-value -- grep -q '"cpus": 2,' "$work/out"

printf '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory@40000000 {\n\t\tdevice_type = "memory";\n\t\treg = <0 0x40000000 0 0x80000000>;\n\t};\n\tpmem@100000000 {\n\t\tcompatible = "pmem-region";\n\t\treg = <1 0 0 0x40000000>;\n\t};\n};\n' >"$work/pmem.dts"
expect pmem 0 "" -- "$dtmem" map "$work/pmem.dts" --kernel arm64-6.12
check pmem-note -- grep -q 'note: /pmem@100000000 (0x100000000-0x13fffffff) is persistent memory' "$work/out"

# --- HTML and SVG (tests/html/browser-test.sh renders them in Chromium)
expect map-html 0 "" -- "$dtmem" map "$work/board.dtb" --format html
check map-html-doctype -- sh -c "head -1 '$work/out' | grep -qx '<!DOCTYPE html>'"
# Self-contained: nothing fetched (no src=, <link>, @import or url() outside the page).
check map-html-self-contained -- sh -c "! grep -qiE '<link|src=|@import|url\\((https?:|//)' '$work/out'"
expect map-svg-evil 0 "" -- "$dtmem" map "$work/evil.dts" --format svg
check map-svg-evil-xml -- python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$work/out"
expect map-html-evil 0 "" -- "$dtmem" map "$work/evil.dts" --format html
check map-html-evil-escaped -- sh -c "grep -qF 'evil\\x1b]0;pwned\\x07 \\xff ok' '$work/out' && ! grep -q \"$(printf '\x1b')\" '$work/out'"
expect lint-html-findings 0 "" -- "$dtmem" lint "$top/tests/lint/reserved-overlap/fires.dts" --format html
check lint-html-finding-linked -- grep -qE '<li class="warning"><a href="#r[0-9]+">.*\[reserved-overlap\]</a></li>' "$work/out"
expect lint-html-two-inputs 2 "^dtmem: error: lint: --format html draws one tree; 2 inputs given$" -- \
  "$dtmem" lint --format html "$top/tests/lint/boot-panic/fires.dts" "$top/tests/lint/boot-panic/quiet.dts"
expect diff-svg 0 "" -- "$dtmem" diff "$top/tests/diff/before/board.dts" "$top/tests/diff/after/board.dts" --format svg --exit-zero
check diff-svg-xml -- python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$work/out"

# --- lint: exit statuses, fail levels, formats, batch, rules and explain
cases=$top/tests/lint
expect lint-clean 0 "1 file: 0 errors, 0 warnings, 0 notes" -- "$dtmem" lint "$cases/reserved-overlap/quiet.dts"
expect lint-warning-passes 0 "1 warning" -- "$dtmem" lint "$cases/reserved-overlap/fires.dts"
expect lint-fail-on-warning 1 "" -- "$dtmem" lint --fail-on warning "$cases/reserved-overlap/fires.dts"
expect lint-error-fails 1 "" -- "$dtmem" lint "$cases/boot-panic/fires.dts"
check lint-panic-line -- grep -q 'arm-6.12 prints "Kernel panic - not syncing: Failed to allocate .* for node 0 memory map" \[boot-panic\]' "$work/out"
expect lint-exit-zero 0 "" -- "$dtmem" lint --exit-zero "$cases/boot-panic/fires.dts"
expect lint-disable 0 "" -- "$dtmem" lint --disable boot-panic --disable cmdline-adjusted "$cases/boot-panic/fires.dts"
expect lint-severity 1 "" -- "$dtmem" lint --severity reserved-overlap=error "$cases/reserved-overlap/fires.dts"
expect lint-unknown-rule 2 "--disable no-such-rule: no such rule" -- "$dtmem" lint --disable no-such-rule "$cases/boot-panic/fires.dts"
expect lint-gcc 0 "" -- "$dtmem" lint --format gcc "$cases/reserved-overlap/fires.dts"
check lint-gcc-line -- grep -qE '^.*reserved-overlap/fires.dts:6:16: warning: /reserved-memory/b@50100000: .* \[reserved-overlap\]$' "$work/out"
check lint-gcc-related -- grep -qE '^.*reserved-overlap/fires.dts:5:16: note: /reserved-memory/a@50000000: the other region is defined here$' "$work/out"
# Carveouts from two .dtsi files: the finding at one file's line, the note at the other's.
two=$top/boards/carveouts-two-dtsi
expect lint-gcc-two-files 0 "" -- "$dtmem" lint --format gcc "$two/board.dts"
check lint-gcc-two-files-finding -- grep -qE '^.*carveouts-two-dtsi/soc.dtsi:43:4: warning: /reserved-memory/memory@8b700000: .* \[reserved-overlap\]$' "$work/out"
check lint-gcc-two-files-note -- grep -qE '^.*carveouts-two-dtsi/lte-sku.dtsi:9:2: note: /reserved-memory/memory@86000000: the other region is defined here$' "$work/out"
expect lint-text-caret 0 "" -- "$dtmem" lint --color never "$cases/reserved-overlap/fires.dts"
check lint-text-source -- grep -qE '^      [[:space:]]*\^$' "$work/out"
# Text groups findings by the file they point into: one heading per file, "line:col" under it,
# a related location in another file with its whole path.
mkdir -p "$work/grouped" "$work/tests/lint" && cp "$cases/common.dtsi" "$work/tests/lint/"
printf '/ {\n\treserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;\n\t\tb@50100000 { reg = <0 0x50100000 0 0x200000>; no-map; }; };\n};\n' >"$work/grouped/soc.dtsi"
printf '/dts-v1/;\n#include "../tests/lint/common.dtsi"\n#include "soc.dtsi"\n/ { reserved-memory { a@50000000 { reg = <0 0x50000000 0 0x200000>; no-map; }; }; };\n' >"$work/grouped/board.dts"
expect lint-text-grouped 0 "" -- "$dtmem" lint --color never "$work/grouped/board.dts"
check lint-text-grouped-heading -- sh -c "grep -qx '$work/grouped/soc.dtsi' '$work/out' && grep -qE '^  3:16: warning: /reserved-memory/b@50100000: ' '$work/out' && grep -qE '^  $work/grouped/board.dts:4:[0-9]+: note: /reserved-memory/a@50000000' '$work/out'"
dtc -q -I dts -O dtb -o "$work/overlap.dtb" <(cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp -I "$cases" "$cases/reserved-overlap/fires.dts" 2>/dev/null)
expect lint-dtb 0 "" -- "$dtmem" lint --format gcc "$work/overlap.dtb"
check lint-dtb-line -- grep -qE "^$work/overlap.dtb: warning: /reserved-memory/b@50100000: .*\[reserved-overlap\]" "$work/out"
expect lint-batch 2 "4 files: 1 error, 1 warning, .*; 1 could not be read" -- "$dtmem" lint --format gcc "$cases/boot-panic/quiet.dts" "$cases/reserved-overlap/fires.dts" "$work/missing.dtb" "$cases/dynamic-alloc-fails/fires.dts"
expect lint-bad-blob 2 "truncated.dtb: error: truncated device tree blob" -- "$dtmem" lint "$work/truncated.dtb"
expect lint-directory 1 "" -- "$dtmem" lint --format gcc -j 2 "$cases/boot-panic"
check lint-directory-order -- sh -c "grep -q 'boot-panic/fires.dts' '$work/out' && ! grep -q 'boot-panic/quiet.dts:' '$work/out'"
expect lint-json 0 "" -- "$dtmem" lint --format json "$cases/reserved-overlap/fires.dts" "$cases/memory-missing/fires.dts"
check lint-json-valid -- python3 -c "import json,sys; d=json.load(open('$work/out')); assert d['summary']['warnings'] == 1 and len(d['files']) == 2"
expect lint-github 0 "" -- "$dtmem" lint --format github "$cases/reserved-overlap/fires.dts"
check lint-github-line -- grep -qE '^::warning file=.*reserved-overlap/fires.dts,line=6,col=16,title=dtmem reserved-overlap::' "$work/out"
expect rules 0 "" -- "$dtmem" rules
check rules-count -- sh -c "[ \$(wc -l <'$work/out') -eq \$(grep -c '^- id:' '$top/rules/lint.yaml') ]"
expect rules-markdown 0 "" -- "$dtmem" rules --markdown
check rules-doc-current -- cmp -s "$work/out" "$top/docs/rules.md"
expect explain 0 "" -- "$dtmem" explain cma-above-dma-limit
check explain-kernel -- grep -q '^Kernel: kernel/dma/contiguous.c dma_alloc_contiguous()' "$work/out"
expect explain-unknown 2 "no-such-rule: no such rule" -- "$dtmem" explain no-such-rule

# --- .dtmem.yaml: found above each input, command line over file, suppressions need a reason
mkdir -p "$work/repo/boards/a"
cp "$cases/common.dtsi" "$work/repo/boards/"
cp "$cases/reserved-overlap/fires.dts" "$work/repo/boards/a/board.dts"
printf 'fail-on: warning\nrules:\n  memory-missing: off\n' >"$work/repo/.dtmem.yaml"
expect config-fail-on 1 "" -- "$dtmem" lint --format gcc "$work/repo/boards/a/board.dts"
expect config-cli-wins 0 "" -- "$dtmem" lint --format gcc --fail-on error "$work/repo/boards/a/board.dts"
printf 'fail-on: warning\nsuppressions:\n  - rule: reserved-overlap\n    node: /reserved-memory/b@50100000\n    reason: shared with the firmware by design\n' >"$work/repo/.dtmem.yaml"
expect config-suppressed 0 "0 warnings" -- "$dtmem" lint "$work/repo/boards/a/board.dts"
printf 'suppressions:\n  - rule: reserved-overlap\n    node: /reserved-memory/b@50100000\n' >"$work/bad.yaml"
expect config-no-reason 2 "bad.yaml:2: a suppression needs its reason" -- "$dtmem" lint --config "$work/bad.yaml" "$work/repo/boards/a/board.dts"
printf 'rules:\n  reserved-overlap: fatal\n' >"$work/bad.yaml"
expect config-bad-level 2 "bad.yaml:2: reserved-overlap must be error, warning or note" -- "$dtmem" lint --config "$work/bad.yaml" "$work/repo/boards/a/board.dts"
printf 'kernal: arm64-6.1\n' >"$work/bad.yaml"
expect config-unknown-key 2 "bad.yaml:1: kernal: unknown setting" -- "$dtmem" lint --config "$work/bad.yaml" "$work/repo/boards/a/board.dts"
printf 'kernel: arm64-6.1\nrules:\n  reg-size-zero: off\n' >"$work/repo/.dtmem.yaml"
expect dump-config 0 "" -- "$dtmem" lint --dump-config --severity reserved-overlap=error "$work/repo/boards/a/board.dts"
check dump-config-merged -- sh -c "grep -q '^kernel: arm64-6.1' '$work/out' && grep -q '^  reg-size-zero: off' '$work/out' && grep -q '^  reserved-overlap: error' '$work/out'"
printf 'cpus: 4\n' >"$work/cpus.yaml"
expect dump-config-cpus 0 "" -- "$dtmem" lint --dump-config --config "$work/cpus.yaml" "$work/repo/boards/a/board.dts"
check dump-config-cpus-shown -- grep -q '^cpus: 4$' "$work/out"
printf 'cpus: 0\n' >"$work/bad.yaml"
expect config-bad-cpus 2 "bad.yaml:1: cpus must be a number of CPUs" -- "$dtmem" lint --config "$work/bad.yaml" "$work/repo/boards/a/board.dts"
# Rule options: lowmem-pressure's fires case keeps 19% of lowmem (tests/lint/lowmem-pressure).
printf 'rules:\n  lowmem-pressure: {min-free-percent: 10}\n' >"$work/tuned.yaml"
expect config-rule-option 0 "0 warnings" -- "$dtmem" lint --config "$work/tuned.yaml" "$cases/lowmem-pressure/fires.dts"
printf 'rules:\n  lowmem-pressure: {level: error, min-free-percent: 30}\n' >"$work/tuned.yaml"
expect config-rule-option-level 1 "1 error" -- "$dtmem" lint --config "$work/tuned.yaml" "$cases/lowmem-pressure/fires.dts"
expect dump-config-options 0 "" -- "$dtmem" lint --dump-config --config "$work/tuned.yaml" "$cases/lowmem-pressure/fires.dts"
check dump-config-options-shown -- sh -c "grep -A2 '^  lowmem-pressure:' '$work/out' | tr -d '\\n' | grep -q 'level: error *min-free-percent: 30' && grep -A2 '^  zone-dma-small:' '$work/out' | tr -d '\\n' | grep -q 'level: warning *min-size: 16777216'"
printf 'rules:\n  lowmem-pressure: {min-free: 10}\n' >"$work/bad.yaml"
expect config-unknown-option 2 "lowmem-pressure: no option min-free" -- "$dtmem" lint --config "$work/bad.yaml" "$cases/lowmem-pressure/fires.dts"
printf 'rules:\n  zone-dma-small: {min-size: lots}\n' >"$work/bad.yaml"
expect config-bad-option 2 "zone-dma-small: min-size must be a number" -- "$dtmem" lint --config "$work/bad.yaml" "$cases/zone-dma-small/fires.dts"
expect explain-option 0 "" -- "$dtmem" explain lowmem-pressure
check explain-option-shown -- grep -q '^Option min-free-percent (default 25): ' "$work/out"
# --reserve: what the boot loader keeps is the firmware's memory to the tree's regions
expect reserve-overlap 1 "" -- "$dtmem" lint --format gcc --reserve 0x50000000:0x100000:bl31 "$cases/reserved-overlap/fires.dts"
check reserve-overlap-found -- grep -q 'overlaps the memory the boot loader (--reserve) reserves for itself (/reserved-memory/bl31@50000000, .*\[firmware-overlap\]' "$work/out"

# A .dtmem.yaml's paths are relative to its folder, whatever the working directory.
expect config-relative-path 1 "" -- sh -c "cd / && '$dtmem' lint --format gcc '$top/boards/arm64-64k-cma-misaligned/board.dts'"
check config-relative-path-used -- grep -q '512 MiB pageblock of config:kernel.config' "$work/out"

# Without its .dtmem.yaml the board's carveouts lie on the assumed kernel and DTB addresses:
# findings resting on an assumed address are warnings that say so.
printf '' >"$work/empty.yaml"
expect assumed-addresses-warn 0 "" -- "$dtmem" lint --format gcc --config "$work/empty.yaml" "$top/boards/carveouts-two-dtsi/board.dts"
check assumed-dtb-said -- grep -q 'it overlaps the DTB at the assumed load address 0x88000000: give --load dtb=ADDR' "$work/out"
expect lint-no-files 2 "give the DTB or DTS files" -- "$dtmem" lint

# --- diff: the review of tests/diff (OP-TEE moved onto the VPU carve-out, CMA doubled)
fixture=$top/tests/diff
expect diff-warning-passes 0 "" -- "$dtmem" diff "$fixture/before/board.dts" "$fixture/after/board.dts"
check diff-text -- sh -c "grep -q 'reservation /reserved-memory/optee@7e000000 (was /reserved-memory/optee@be000000) moved' '$work/out' && grep -q '^  new .*after/board.dts:8:27: warning: .*\[reserved-overlap\]' '$work/out'"
expect diff-fail-on-warning 1 "" -- "$dtmem" diff --fail-on warning "$fixture/before/board.dts" "$fixture/after/board.dts"
expect diff-fixed-passes 0 "" -- "$dtmem" diff --fail-on warning "$fixture/after/board.dts" "$fixture/before/board.dts"
check diff-fixed -- grep -q '^  fixed .*\[reserved-overlap\]' "$work/out"
expect diff-markdown 0 "" -- "$dtmem" diff --format markdown "$fixture/before/board.dts" "$fixture/after/board.dts"
check diff-markdown-tables -- sh -c "grep -qx '| | severity | rule | where | finding |' '$work/out' && grep -q '^| new | warning | .reserved-overlap. |' '$work/out' && grep -q '^| grew | CMA area .linux,cma. | 0xba000000-0xbdffffff (64 MiB) | 0xb8000000-0xbfffffff (128 MiB) |' '$work/out'"
expect diff-json 0 "" -- "$dtmem" diff --format json "$fixture/before/board.dts" "$fixture/after/board.dts"
check diff-json-fields -- python3 -c "import json,sys; d=json.load(open('$work/out')); assert d['introduced'][0]['rule']=='reserved-overlap' and d['fixed']==[] and any(c['change']=='moved' and c['kind']=='reservation' for c in d['changes'])"
expect diff-same 0 "" -- "$dtmem" diff "$cases/reserved-overlap/fires.dts" "$cases/reserved-overlap/fires.dts"
check diff-same-nothing -- grep -q '^  memory: no change$' "$work/out"
expect diff-unreadable 2 "no-such.dts" -- "$dtmem" diff "$fixture/before/board.dts" "$work/no-such.dts"
expect diff-one-side 2 "" -- "$dtmem" diff "$fixture/before/board.dts"

# --- suggest: verified fixes; --apply prints only the new command line
expect suggest-vmalloc 0 "" -- "$dtmem" suggest "$top/boards/armhf-vmalloc-panic/board.dts"
check suggest-vmalloc-text -- sh -c "grep -q '^  boot argument: remove vmalloc=$' '$work/out' && grep -q '^    fixes boot-panic ' '$work/out'"
expect suggest-apply 0 "" -- "$dtmem" suggest --apply "$top/boards/armhf-vmalloc-panic/board.dts"
check suggest-apply-line -- sh -c "[ \"\$(cat '$work/out')\" = 'console=ttyAMA0 root=/dev/mmcblk0p2' ]"
expect suggest-json 0 "" -- "$dtmem" suggest --format json "$top/boards/arm64-cma-above-4g/board.dts"
check suggest-json-tree -- python3 -c "import json; d=json.load(open('$work/out')); s=d['suggestions']; assert len(s)==1 and s[0]['kind']=='tree' and s[0]['property']=='reg' and d['bootargs'] is None"
expect suggest-apply-none 1 "no verified boot-argument change" -- "$dtmem" suggest --apply "$top/boards/arm64-cma-above-4g/board.dts"
expect suggest-unfixed 1 "" -- "$dtmem" suggest "$top/tests/kernel-cases/arm64-dma-window-8m-device/board.dts"
check suggest-unfixed-said -- grep -q '^  nothing verified for cma-reserve-fails ' "$work/out"
expect suggest-clean 0 "" -- "$dtmem" suggest "$cases/reserved-overlap/quiet.dts"
check suggest-clean-said -- grep -q 'no finding that a boot argument or a reserved-memory change fixes' "$work/out"
echo 'dtmem' | expect suggest-bad-input 2 "<stdin>" -- "$dtmem" suggest -

# --- check: a recorded boot agrees; the hand-altered log disagrees (kernel series and
# command line taken from the log)
recorded=$top/tests/kernel-cases/arm64-cma-default-dynamic
expect check-agrees 0 "" -- "$dtmem" check "$recorded/board.dts" --boot-log "$recorded/arm64-6.1.log"
check check-agrees-said -- grep -q 'against the prediction for arm64-6.1$' "$work/out"
expect check-disagrees 1 "" -- "$dtmem" check "$recorded/board.dts" --boot-log "$top/tests/check/arm64-cma-moved.log"
check check-disagrees-said -- sh -c "grep -q '^  kernel: Reserved memory: created CMA memory pool at 0x0000000070000000' '$work/out' && grep -q '^    likely: .*give --reserve' '$work/out'"
expect check-json 1 "" -- "$dtmem" check --format json "$recorded/board.dts" --boot-log "$top/tests/check/arm64-cma-moved.log"
check check-json-fields -- python3 -c "import json; d=json.load(open('$work/out')); assert d['profile']=='arm64-6.12' and len(d['disagreements'])==2 and d['command_line'].startswith('console=')"
expect check-no-log 2 "no-such.log" -- "$dtmem" check "$recorded/board.dts" --boot-log "$work/no-such.log"
zimage=$top/tests/kernel-cases/arm-zimage-above-128m
expect check-explained 1 "" -- "$dtmem" check "$zimage/board.dts" --boot-log "$zimage/armmp-6.12.log"
check check-explained-said -- grep -q 'every line agrees with --load kernel=0x48000000 ' "$work/out"
expect check-none 2 "give --boot-log LOG, --snapshot DIR or --live" -- "$dtmem" check "$recorded/board.dts"
# tools/dtmem-collect under a strict POSIX shell, on this machine: its zones are not an
# arm64 board's, so they disagree; what matters is that every file is read.
expect collect 0 "" -- dash "$top/tools/dtmem-collect" "$work/snap"
check collect-files -- sh -c "for f in cmdline meminfo zoneinfo buddyinfo collect-info; do [ -s '$work/snap/'\$f ] || exit 1; done"
expect check-snapshot 1 "" -- "$dtmem" check "$recorded/board.dts" --kernel arm64-6.12 --snapshot "$work/snap"
check check-snapshot-read -- sh -c "grep -q '^  DISAGREE zone DMA start pfn: board ' '$work/out' && grep -q '^  zone [A-Za-z0-9]*: .* free, largest free block ' '$work/out'"
expect check-snapshot-empty 2 "not a snapshot of /proc" -- "$dtmem" check "$recorded/board.dts" --snapshot "$work/grouped"
# A real LPAE kernel's snapshot (tools/kernel-oracle/record.sh --snapshot): the tree is its
# fdt, the kernel the LPAE flavour its dmesg names, the load addresses those of case.yaml.
lpae=$top/tests/kernel-cases/arm-cma-default-dynamic/armmp-lpae-6.12.snapshot
expect check-real-snapshot 0 "" -- "$dtmem" check --snapshot "$lpae" --load kernel=0x43000000,dtb=0x44000000
check check-real-snapshot-said -- sh -c "grep -q 'fdt: the running kernel.s memory against the prediction for arm-6.12-lpae\$' '$work/out' && grep -q '^  agree    System RAM (iomem): board 40000000-bfffffff' '$work/out'"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
