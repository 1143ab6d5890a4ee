#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# integrations/buildroot/post-image-dtmem.sh in a fake Buildroot output: BINARIES_DIR with
# DTBs of the example boards, BUILD_DIR/linux-6.12/.config, HOST_DIR/bin/dtmem. Each run is
# in an empty environment, as Buildroot would run it, with the settings the case gives.
#   tests/integrations/buildroot-test.sh DTMEM_BINARY SOURCE_DIR
set -uo pipefail
dtmem=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
source=$(cd "$2" && pwd)
script=$source/integrations/buildroot/post-image-dtmem.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

mkdir -p "$work/host/bin" "$work/build/linux-6.12"
ln -s "$dtmem" "$work/host/bin/dtmem"

# The CONFIG_ values dtmem's kernel model reads (src/kernel/profile.cpp), for an arm64 6.12
# kernel with 4 KiB pages, and the same with 64 KiB pages, whose 512 MiB pageblocks a CMA
# pool must be aligned to.
cat >"$work/4k.config" <<'EOF'
# Linux/arm64 6.12.0 Kernel Configuration
CONFIG_ARM64_4K_PAGES=y
CONFIG_ZONE_DMA=y
CONFIG_ZONE_DMA32=y
CONFIG_HUGETLB_PAGE=y
CONFIG_CMA=y
CONFIG_DMA_CMA=y
CONFIG_CMA_SIZE_MBYTES=64
CONFIG_SWIOTLB=y
EOF
sed 's/^CONFIG_ARM64_4K_PAGES=y$/CONFIG_ARM64_64K_PAGES=y\nCONFIG_ARCH_FORCE_MAX_ORDER=13/' \
  "$work/4k.config" >"$work/64k.config"
kernel_config() { cp "$work/$1.config" "$work/build/linux-6.12/.config"; }

# dtb BOARD IMAGES_DIR/NAME.dtb: the board compiled as the kernel build compiles it.
dtb() {
  local board=$source/boards/$1
  mkdir -p "$(dirname "$2")"
  cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp -I "$board" "$board/board.dts" |
    dtc -q -I dts -O dtb -o "$2" -
}
# Clean with 4 KiB pages; its CMA pool is misaligned for 64 KiB pages.
dtb arm64-8g-two-banks "$work/clean/arm64-8g-two-banks.dtb"
dtb arm64-64k-cma-misaligned "$work/clean/vendor/arm64-64k-cma-misaligned.dtb"
# An error board as U-Boot's own DTB, which the script leaves alone.
dtb rpi4-dma-window-pool "$work/clean/u-boot.dtb"
dtb rpi4-dma-window-pool "$work/error/rpi4-dma-window-pool.dtb"
dtb carveouts-two-dtsi "$work/warning/carveouts-two-dtsi.dtb"
dtb media-carveouts "$work/image/media-carveouts.dtb"

# An arm64 Image header (Documentation/arch/arm64/booting.rst) saying the kernel takes
# 768 MiB: at the assumed load address 0x40200000 it covers media-carveouts' DSP regions.
{ head -c 16 /dev/zero; printf '\0\0\0\x30\0\0\0\0'; head -c 32 /dev/zero; printf 'ARM\x64'; head -c 4 /dev/zero; } \
  >"$work/image/Image"

# post_image NAME STATUS IMAGES [VAR=VALUE...] [-- ARGS...]: run the script as Buildroot
# does (images folder first, then the arguments) with these environment settings.
post_image() {
  local name=$1 status=$2 images=$work/$3; shift 3
  local settings=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do settings+=("$1"); shift; done
  [ $# -eq 0 ] || shift
  env -i PATH=/usr/bin:/bin BINARIES_DIR="$images" BUILD_DIR="$work/build" HOST_DIR="$work/host" \
    "${settings[@]}" "$script" "$images" "$@" >"$work/out" 2>&1
  local got=$?
  if [ "$got" -ne "$status" ]; then
    echo "FAIL $name: exit $got, expected $status"; sed 's/^/  /' "$work/out" | head -8; failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}
# check NAME -- command... (exit 0 of a shell test)
check() {
  local name=$1; shift 2
  if "$@"; then passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
# sarif FILE RESULTS...: valid JSON (json.load refuses anything else), SARIF 2.1.0, these
# "ruleId:level" results in order.
sarif() {
  python3 - "$@" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
results = [f'{r["ruleId"]}:{r["level"]}' for r in document["runs"][0]["results"]]
sys.exit(not (document["version"] == "2.1.0" and results == sys.argv[2:]))
PY
}

kernel_config 4k
post_image clean 0 clean
check clean-no-error -- bash -c "! grep -q 'error:' '$work/out'"
check clean-sarif -- sarif "$work/clean/dtmem/arm64-8g-two-banks.sarif"
check clean-subdir-sarif -- sarif "$work/clean/dtmem/vendor/arm64-64k-cma-misaligned.sarif"
check clean-text -- grep -q '^1 file: 0 errors, 0 warnings' "$work/clean/dtmem/vendor/arm64-64k-cma-misaligned.txt"
check clean-u-boot-skipped -- bash -c "! ls '$work/clean/dtmem/u-boot'* 2>/dev/null"

# The kernel's .config decides: the same DTBs fail with 64 KiB pages.
kernel_config 64k
post_image config-64k 1 clean
check config-64k-gcc -- grep -q '^vendor/arm64-64k-cma-misaligned.dtb: error: .*\[cma-misaligned\]$' "$work/out"
check config-64k-summary -- grep -q '1 of 2 DTBs failed dtmem lint (fail level error)' "$work/out"
check config-64k-profile -- grep -q 'config:.config prints' "$work/clean/dtmem/vendor/arm64-64k-cma-misaligned.txt"
check config-64k-sarif -- sarif "$work/clean/dtmem/vendor/arm64-64k-cma-misaligned.sarif" \
  cma-misaligned:error reservation-fails:error
check config-64k-other-clean -- sarif "$work/clean/dtmem/arm64-8g-two-banks.sarif"
post_image config-from-env 0 clean DTMEM_KERNEL_CONFIG="$work/4k.config"
# An argument wins over the environment; -c is genimage.sh's, not the script's.
post_image config-from-argument 1 clean DTMEM_KERNEL_CONFIG="$work/4k.config" -- \
  -c genimage.cfg DTMEM_KERNEL_CONFIG="$work/64k.config"
check config-from-argument-finding -- grep -q '\[cma-misaligned\]' "$work/out"
mkdir "$work/build/linux-6.6" && cp "$work/4k.config" "$work/build/linux-6.6/.config"
post_image two-kernels 2 clean
check two-kernels-message -- grep -q 'several kernel builds.*set DTMEM_KERNEL_CONFIG' "$work/out"
rm -r "$work/build/linux-6.6"
kernel_config 4k

post_image error 1 error
check error-gcc -- grep -q '^rpi4-dma-window-pool.dtb:[0-9:]* error: /soc/codec@7eb10000: .*\[dma-unreachable-pool\]$' "$work/out"
check error-sarif -- sarif "$work/error/dtmem/rpi4-dma-window-pool.sarif" dma-unreachable-pool:error
post_image error-report-only 0 error DTMEM_FAIL_ON=none
check error-report-only-sarif -- sarif "$work/error/dtmem/rpi4-dma-window-pool.sarif" dma-unreachable-pool:error

post_image warning 0 warning
check warning-gcc -- grep -q '^carveouts-two-dtsi.dtb: warning: .*\[reserved-overlap\]$' "$work/out"
post_image warning-fail-on 1 warning DTMEM_FAIL_ON=warning
check warning-fail-on-finding -- grep -q 'warning: .*\[reserved-overlap\]$' "$work/out"
# The board's real load addresses: the kernel and the DTB no longer collide with carveouts.
post_image load 0 warning -- DTMEM_LOAD=kernel=0x90000000,dtb=0x98000000
check load-overlap-left -- grep -q '\[reserved-overlap\]$' "$work/out"
check load-no-collision -- bash -c "! grep -q 'reservation-fails' '$work/out'"

# The vmlinux reaches dtmem (README.md is no ELF: dtmem's own error says it read it): named,
# or the one beside the .config when it sets CONFIG_DEBUG_INFO; without it, left out.
post_image vmlinux-named 2 clean DTMEM_VMLINUX="$source/README.md"
check vmlinux-named-read -- grep -q 'README.md: not an ELF file' "$work/out"
cp "$source/README.md" "$work/build/linux-6.12/vmlinux"
post_image vmlinux-no-debug-info 0 clean
echo CONFIG_DEBUG_INFO=y >>"$work/build/linux-6.12/.config"
post_image vmlinux-debug-info 2 clean
check vmlinux-debug-info-read -- grep -q 'linux-6.12/vmlinux: not an ELF file' "$work/out"
rm "$work/build/linux-6.12/vmlinux"
kernel_config 4k

# The Image in BINARIES_DIR gives the kernel's size.
post_image image 1 image DTMEM_FAIL_ON=warning
check image-finding -- grep -q 'overlaps the kernel image at the assumed load address 0x40200000' "$work/out"
mv "$work/image/Image" "$work/Image"
post_image no-image 0 image DTMEM_FAIL_ON=warning

post_image bootargs 1 clean DTMEM_BOOTARGS="console=ttyAMA0 cma=3G"
check bootargs-finding -- grep -q 'arm64-8g-two-banks.dtb: error: .*"cma: Failed to reserve 3072 MiB on node -1" \[cma-reserve-fails\]' "$work/out"
post_image memory 1 clean DTMEM_MEMORY=0x40000000:64M,0x100000000:1G
check memory-finding -- grep -q 'arm64-8g-two-banks.dtb: error: .*\[swiotlb-alloc-fails\]' "$work/out"

post_image unknown-setting 2 clean -- DTMEM_FAILON=warning
check unknown-setting-message -- grep -q 'unknown setting DTMEM_FAILON' "$work/out"
rm "$work/host/bin/dtmem"
if PATH=/usr/bin:/bin command -v dtmem >/dev/null; then
  echo "skip no-dtmem: a dtmem in /usr/bin or /bin"
else
  post_image no-dtmem 2 clean
  check no-dtmem-message -- grep -q 'enable BR2_PACKAGE_HOST_DTMEM' "$work/out"
fi

echo "buildroot-post-image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
