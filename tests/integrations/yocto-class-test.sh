#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# meta-dtmem's dtmem.bbclass without bitbake: its shell functions (between the
# dtmem-shell-begin and dtmem-shell-end lines) run in sh -e as bitbake runs a shell task,
# with bbnote, bbwarn and bbfatal stubbed and the variables bitbake would fill in, on a
# kernel build tree of DTBs compiled from boards/. A board with an error fails the task
# naming the rule, a clean one passes, DTMEM_FAIL_ON=none passes and still writes the
# reports, warnings reach bbwarn one a line, the SARIF is valid, and the kernel's .config,
# its vmlinux, DTMEM_BOOTARGS, DTMEM_MEMORY and DTMEM_LOAD reach dtmem.
#   yocto-class-test.sh DTMEM_BINARY SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/harness.sh"

class=$source/integrations/yocto/meta-dtmem/classes/dtmem.bbclass
sed -n '/^# dtmem-shell-begin$/,/^# dtmem-shell-end$/p' "$class" >"$work/functions.sh"
grep -q '^do_dtmem_lint() {$' "$work/functions.sh" || { echo "FAIL: no do_dtmem_lint between the markers of $class"; exit 1; }
# As logging.bbclass has them, less the FIFO to the bitbake server.
cat >"$work/stubs.sh" <<'SH'
bbnote() { echo "NOTE: $*"; }
bbwarn() { echo "WARNING: $*"; }
bbfatal() { echo "ERROR: $*"; exit 1; }
SH

# A kernel build tree (B): arch/arm64/boot/dts/acme/*.dtb and .config.
build=$work/build
dts=$build/arch/arm64/boot/dts
mkdir -p "$dts/acme" "$work/bin"
ln -s "$dtmem" "$work/bin/dtmem"
compile() {  # compile BOARD DTB: cpp, then dtc, as the kernel's Makefile does
  cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp -I "$source/boards/$1" -o "$work/$1.pp" "$source/boards/$1/board.dts"
  dtc -q -I dts -O dtb -i "$source/boards/$1" -o "$2" "$work/$1.pp"
}
compile arm64-cma-above-4g "$dts/acme/cma-above-4g.dtb"  # an error: cma-above-dma-limit
compile arm64-8g-two-banks "$dts/acme/two-banks.dtb"     # clean
compile carveouts-two-dtsi "$dts/acme/carveouts.dtb"     # warnings: reserved-overlap, reservation-fails
# A real Debian arm64 .config when the corpus test has downloaded one, else the lines dtmem
# reads (src/kernel/profile.cpp): the header gives arch and version, the rest the zones and CMA.
debian_config=
for found in "$HOME"/.cache/dtmem/kernels/*_arm64_arm64/boot/config-*; do
  [ -f "$found" ] && debian_config=$found
done
if [ -n "$debian_config" ]; then
  cp "$debian_config" "$build/.config"
else
  printf '%s\n' '# Linux/arm64 6.12.0 Kernel Configuration' CONFIG_ZONE_DMA=y CONFIG_ZONE_DMA32=y \
    CONFIG_CMA=y CONFIG_DMA_CMA=y CONFIG_CMA_SIZE_MBYTES=32 CONFIG_SWIOTLB=y >"$build/.config"
fi

# task NAME [VARIABLE=VALUE...]: do_dtmem_lint with a kernel recipe's variables, changed by
# the arguments; its output in $work/NAME.log, its reports in $work/NAME/, its exit status
# in $status.
task() {
  local name=$1
  shift
  status=0
  env PATH="$work/bin:$PATH" B="$build" ARCH=arm64 DTMEM_DTB_DIR="$dts" DTMEM_DEVICETREE=acme/two-banks.dtb \
    DTMEM_REPORTDIR="$work/$name" DTMEM_FAIL_ON=error DTMEM_KERNEL_CONFIG= DTMEM_VMLINUX= DTMEM_BOOTARGS= DTMEM_MEMORY= \
    DTMEM_LOAD= DTMEM_ARGS= "$@" \
    sh -ec '. "$1"; . "$2"; do_dtmem_lint' sh "$work/stubs.sh" "$work/functions.sh" >"$work/$name.log" 2>&1 || status=$?
}
logged() { grep -q -- "$2" "$work/$1.log"; }  # logged NAME PATTERN
sarif() {  # sarif FILE RULE...: valid JSON, SARIF 2.1.0, exactly these rules' results
  python3 - "$@" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
assert document["version"] == "2.1.0", document["version"]
rules = sorted({result["ruleId"] for result in document["runs"][0]["results"]})
assert rules == sorted(sys.argv[2:]), rules
PY
}

task error DTMEM_DEVICETREE=acme/cma-above-4g.dtb
check "an error fails the task" test "$status" -ne 0
check "bbfatal names the DTB and the rule" logged error '^ERROR: dtmem: findings at or above DTMEM_FAIL_ON = error'
check "with the finding in gcc form" logged error '^acme/cma-above-4g.dtb: error: .*\[cma-above-dma-limit\]$'
check "the failing DTB's text report is written" grep -q 'cma-above-dma-limit' "$work/error/acme/cma-above-4g.txt"
check "its SARIF report has the finding" sarif "$work/error/acme/cma-above-4g.sarif" cma-above-dma-limit
[ $failed -eq 0 ] || cat "$work/error.log"

task clean
check "a clean board passes" test "$status" -eq 0
check "without a warning" sh -c "! grep -q '^WARNING' '$work/clean.log'"
check "and is counted" logged clean '^NOTE: dtmem: 1 device trees linted'
check "its SARIF report is valid and empty" sarif "$work/clean/acme/two-banks.sarif"
check "its text report says so" grep -qx '1 file: 0 errors, 0 warnings, 0 notes' "$work/clean/acme/two-banks.txt"

task none DTMEM_DEVICETREE=acme/cma-above-4g.dtb DTMEM_FAIL_ON=none
check "DTMEM_FAIL_ON=none passes on an error" test "$status" -eq 0
check "the error becomes a bbwarn" logged none '^WARNING: acme/cma-above-4g.dtb: error: .*\[cma-above-dma-limit\]$'
check "the reports are still written" sarif "$work/none/acme/cma-above-4g.sarif" cma-above-dma-limit

task warnings DTMEM_DEVICETREE=acme/carveouts.dtb
(cd "$dts" && "$dtmem" lint --format gcc --kernel-config "$build/.config" acme/carveouts.dtb) >"$work/direct" || true
direct=$(grep -c ': warning: ' "$work/direct")
check "warnings do not fail the task" test "$status" -eq 0
check "each warning is one bbwarn ($direct)" test "$(grep -c '^WARNING: acme/carveouts.dtb: warning: ' "$work/warnings.log")" -eq "$direct"
check "there are several" test "$direct" -ge 2
check "notes stay out of the warnings" logged warnings '^NOTE: acme/carveouts.dtb: note: '
check "the kernel's .config is the kernel predicted for" logged warnings 'config:\.config prints'
check "the SARIF has them" sarif "$work/warnings/acme/carveouts.sarif" reservation-fails reserved-overlap

task fail-on-warning DTMEM_DEVICETREE=acme/carveouts.dtb DTMEM_FAIL_ON=warning
check "DTMEM_FAIL_ON=warning fails on warnings" test "$status" -ne 0
check "with them in the message" logged fail-on-warning '^acme/carveouts.dtb: warning: .*\[reserved-overlap\]$'

# The vmlinux reaches dtmem (README.md is no ELF: dtmem's own error says it read it): named,
# or ${B}/vmlinux when the .config has DEBUG_INFO; without DEBUG_INFO it is left out.
task vmlinux-named DTMEM_VMLINUX="$source/README.md"
check "DTMEM_VMLINUX reaches dtmem" logged vmlinux-named 'README.md: not an ELF file'
cp "$source/README.md" "$build/vmlinux"
cp "$build/.config" "$work/config-saved"
grep -v '^CONFIG_DEBUG_INFO=' "$work/config-saved" >"$build/.config" || true
task vmlinux-no-debug-info
check "B/vmlinux is not read without CONFIG_DEBUG_INFO" test "$status" -eq 0
echo CONFIG_DEBUG_INFO=y >>"$build/.config"
task vmlinux-debug-info
check "B/vmlinux is read with CONFIG_DEBUG_INFO" logged vmlinux-debug-info 'vmlinux: not an ELF file'
mv "$work/config-saved" "$build/.config"
rm "$build/vmlinux"

task bootargs DTMEM_BOOTARGS="console=ttyAMA0 mem=1G"
check "DTMEM_BOOTARGS reaches dtmem" logged bootargs '^WARNING: .*"Memory limited to 1024MB" \[cmdline-adjusted\]$'

task memory-one DTMEM_MEMORY=0x40000000:512M
check "DTMEM_MEMORY replaces the tree's RAM" logged memory-one '\[dynamic-alloc-fails\]$'
# 512 MiB alone cannot hold the 512 MiB CMA pool and OP-TEE: both banks must arrive.
task memory-two DTMEM_MEMORY="0x40000000:1536M 0xa0000000:512M"
check "each bank of DTMEM_MEMORY is a --memory" test "$status" -eq 0
check "(the tree's RAM replaced)" logged memory-two '^NOTE: .*\[memory-replaced\]$'

task load DTMEM_DEVICETREE=acme/carveouts.dtb DTMEM_LOAD=kernel=0x90000000,dtb=0x98000000
check "DTMEM_LOAD moves the kernel and DTB off the carveouts" sh -c "! grep -q 'reservation-fails' '$work/load.log'"
check "(the overlap stays)" logged load '\[reserved-overlap\]$'

# A machine's KERNEL_DEVICETREE: a full path (kernel-devicetree.bbclass warns and copes), an overlay.
task kernel DTMEM_DEVICETREE="acme/two-banks.dtb arch/arm64/boot/dts/acme/cma-above-4g.dtb acme/camera.dtbo acme/carveouts.dtb"
check "one failing DTB fails the task" test "$status" -ne 0
check "the full path is linted as vendor/name" logged kernel '^acme/cma-above-4g.dtb: error: '
check "the others' warnings are bbwarns" logged kernel '^WARNING: acme/carveouts.dtb: warning: '
check "an overlay is not linted alone" logged kernel '^NOTE: dtmem: acme/camera.dtbo is an overlay'
check "every board is linted before the task fails" logged kernel '^NOTE: dtmem: 3 device trees linted'
check "each has its reports" test -s "$work/kernel/acme/two-banks.txt" -a -s "$work/kernel/acme/carveouts.sarif"
env PATH="$PATH" DEPLOYDIR="$work/deploy" PN=linux-acme DTMEM_REPORTDIR="$work/kernel" \
  sh -ec '. "$1"; . "$2"; dtmem_deploy' sh "$work/stubs.sh" "$work/functions.sh"
check "dtmem_deploy puts them under dtmem/PN" sarif "$work/deploy/dtmem/linux-acme/acme/cma-above-4g.sarif" cma-above-dma-limit

# A devicetree.bbclass recipe: the DTBs in B itself, no kernel build and so no .config.
mkdir "$work/dt"
cp "$dts/acme/two-banks.dtb" "$dts/acme/carveouts.dtb" "$work/dt/"
task devicetree B="$work/dt" DTMEM_DTB_DIR="$work/dt" DTMEM_DEVICETREE='*.dtb'
check "a devicetree recipe's DTBs are all linted" logged devicetree '^NOTE: dtmem: 2 device trees linted'
check "for dtmem's default kernel of the arch" logged devicetree '^WARNING: carveouts.dtb: warning: .* arm64-6.12 prints'
task devicetree-config B="$work/dt" DTMEM_DTB_DIR="$work/dt" DTMEM_DEVICETREE='*.dtb' DTMEM_KERNEL_CONFIG="$build/.config"
check "or for DTMEM_KERNEL_CONFIG" logged devicetree-config '^WARNING: carveouts.dtb: warning: .* config:\.config prints'

task x86 ARCH=x86
check "an architecture dtmem does not model is skipped" test "$status" -eq 0 -a ! -e "$work/x86/acme"
check "saying so" logged x86 '^NOTE: dtmem models arm, arm64 and riscv, not x86'
task missing DTMEM_DEVICETREE=acme/absent.dtb
check "a DTB that was not built fails the task" logged missing '^ERROR: dtmem: acme/absent.dtb is not in '
task bad-level DTMEM_FAIL_ON=warnings
check "a wrong DTMEM_FAIL_ON fails the task" logged bad-level '^ERROR: DTMEM_FAIL_ON is "warnings"'
head -c 100 "$dts/acme/two-banks.dtb" >"$dts/acme/truncated.dtb"
task corrupt DTMEM_DEVICETREE=acme/truncated.dtb
check "a DTB dtmem cannot read fails the task with dtmem's error" logged corrupt '^ERROR: dtmem could not lint acme/truncated.dtb (exit status 2): acme/truncated.dtb: error: '

summary yocto-class
