#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Buildroot post-image script: lints every DTB in BINARIES_DIR with dtmem for the kernel
# this build made (its .config, and its Image on arm64 and riscv), prints the findings in
# compiler style, writes BINARIES_DIR/dtmem/NAME.txt and NAME.sarif per DTB, and fails the
# build when a finding reaches the fail level.
#
#   BR2_ROOTFS_POST_IMAGE_SCRIPT="$(BR2_EXTERNAL_DTMEM_PATH)/post-image-dtmem.sh"
#   BR2_ROOTFS_POST_IMAGE_SCRIPT_ARGS="DTMEM_FAIL_ON=warning"
#
# Settings come from the environment (`make DTMEM_FAIL_ON=warning`) or from NAME=VALUE
# arguments, which win. Buildroot gives every post-image script the same arguments, so
# arguments that are not DTMEM_* settings belong to the other scripts and are ignored.
#   DTMEM_KERNEL_CONFIG  the kernel .config (default: BUILD_DIR/linux-*/.config)
#   DTMEM_VMLINUX        the kernel's vmlinux with DWARF (default: the one beside that .config
#                        when it sets CONFIG_DEBUG_INFO; none otherwise)
#   DTMEM_BOOTARGS       kernel command line replacing /chosen/bootargs (with spaces: environment only)
#   DTMEM_MEMORY         RAM banks BASE:SIZE replacing the memory nodes, separated by commas or spaces
#   DTMEM_LOAD           where the boot loader puts things: kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE
#   DTMEM_FAIL_ON        error (default), warning, note, or none (report only)
#   DTMEM_DTBS           DTBs to lint, relative to BINARIES_DIR, separated by spaces
#                        (default: every *.dtb below it except U-Boot's own)
#   DTMEM_ARGS           more `dtmem lint` arguments, split at spaces
# Exit status: 0 clean, 1 findings at the fail level, 2 or 3 dtmem could not lint (as dtmem).
set -euo pipefail

die() { echo "post-image-dtmem.sh: $*" >&2; exit 2; }

binaries=${1:-${BINARIES_DIR:-}}
[ -d "$binaries" ] || die "no images directory (first argument or BINARIES_DIR)"
binaries=$(cd "$binaries" && pwd)
shift || true
for arg in "$@"; do
  case $arg in
    DTMEM_KERNEL_CONFIG=* | DTMEM_VMLINUX=* | DTMEM_BOOTARGS=* | DTMEM_MEMORY=* | DTMEM_LOAD=* | DTMEM_FAIL_ON=* | \
      DTMEM_DTBS=* | DTMEM_ARGS=*)
      printf -v "${arg%%=*}" '%s' "${arg#*=}" ;;
    DTMEM_*) die "unknown setting ${arg%%=*}" ;;
  esac
done

dtmem=${HOST_DIR:+$HOST_DIR/bin/dtmem}
if [ -z "$dtmem" ] || [ ! -x "$dtmem" ]; then
  dtmem=$(command -v dtmem) || die "no dtmem in HOST_DIR/bin or PATH: enable BR2_PACKAGE_HOST_DTMEM"
fi

config=${DTMEM_KERNEL_CONFIG:-}
if [ -z "$config" ] && [ -n "${BUILD_DIR:-}" ]; then
  shopt -s nullglob
  configs=("$BUILD_DIR"/linux-*/.config)
  shopt -u nullglob
  # Two after a kernel version change, until the old build folder is removed.
  [ "${#configs[@]}" -le 1 ] || die "several kernel builds (${configs[*]}): set DTMEM_KERNEL_CONFIG"
  config=${configs[0]:-}
fi

options=()
if [ -n "$config" ]; then
  [ -f "$config" ] || die "no kernel config $config"
  options+=(--kernel-config "$(cd "$(dirname "$config")" && pwd)/$(basename "$config")")
  # Only arm64 and riscv Images have a header that gives the kernel's size; a 32-bit ARM
  # Image has none.
  case $(sed -n 's|^# Linux/\([^ ]*\) .* Kernel Configuration$|\1|p' "$config") in
    arm64 | riscv) [ ! -f "$binaries/Image" ] || options+=(--kernel-image "$binaries/Image") ;;
  esac
  # The build's own struct, image and per-CPU sizes, when its vmlinux has DWARF.
  vmlinux=${DTMEM_VMLINUX:-}
  if [ -z "$vmlinux" ] && [ -f "$(dirname "$config")/vmlinux" ] && grep -q '^CONFIG_DEBUG_INFO=y' "$config"; then
    vmlinux=$(dirname "$config")/vmlinux
  fi
  [ -z "$vmlinux" ] || options+=(--vmlinux "$(cd "$(dirname "$vmlinux")" && pwd)/$(basename "$vmlinux")")
else
  echo "post-image-dtmem.sh: no kernel .config found: dtmem predicts for its default kernel of the arch" >&2
fi
[ -z "${DTMEM_BOOTARGS:-}" ] || options+=(--bootargs "$DTMEM_BOOTARGS")
memory=${DTMEM_MEMORY:-}
for bank in ${memory//,/ }; do options+=(--memory "$bank"); done
[ -z "${DTMEM_LOAD:-}" ] || options+=(--load "$DTMEM_LOAD")
case ${DTMEM_FAIL_ON:-error} in
  none) options+=(--exit-zero) ;;
  *) options+=(--fail-on "${DTMEM_FAIL_ON:-error}") ;;
esac
read -r -a extra <<<"${DTMEM_ARGS:-}"
options+=("${extra[@]}")

cd "$binaries"  # the reports then name the DTBs relative to the images folder
if [ -n "${DTMEM_DTBS:-}" ]; then
  read -r -a dtbs <<<"$DTMEM_DTBS"
else
  # u-boot*.dtb is U-Boot's control tree, not the one Linux boots with.
  mapfile -t dtbs < <(find . -path ./dtmem -prune -o -type f -name '*.dtb' ! -name 'u-boot*' -print |
                      sed 's|^\./||' | LC_ALL=C sort)
fi
reports=$binaries/dtmem
rm -rf "$reports"  # no report of a DTB this build no longer makes
[ "${#dtbs[@]}" -gt 0 ] || { echo "post-image-dtmem.sh: no DTB in $binaries"; exit 0; }
worst=0 failing=0
for dtb in "${dtbs[@]}"; do
  report=$reports/${dtb%.dtb}
  mkdir -p "$(dirname "$report")"
  status=0
  "$dtmem" lint "$dtb" "${options[@]}" --format gcc || status=$?
  # The reports say the same as the run above, whose status decides.
  "$dtmem" lint "$dtb" "${options[@]}" --format sarif >"$report.sarif" || :
  "$dtmem" lint "$dtb" "${options[@]}" --format text --color never >"$report.txt" 2>&1 || :
  [ "$status" -eq 0 ] || failing=$((failing + 1))
  [ "$status" -le "$worst" ] || worst=$status
done
if [ "$worst" -ne 0 ]; then
  echo "post-image-dtmem.sh: $failing of ${#dtbs[@]} DTBs failed dtmem lint (fail level ${DTMEM_FAIL_ON:-error}); reports in $reports" >&2
fi
exit "$worst"
