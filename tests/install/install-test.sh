#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmake --install into a temporary prefix, move the prefix elsewhere, and run the installed
# dtmem there, in an empty environment, on a recorded boot: it must print what the kernel
# printed (the shipped profiles are inside the binary).
#   install-test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
mv "$work/prefix" "$work/moved"
installed=$work/moved/bin/dtmem
[ -x "$installed" ] || { echo "FAIL: no bin/dtmem in the installed prefix"; exit 1; }
[ -f "$work/moved/share/doc/dtmem/LICENSE" ] || { echo "FAIL: no LICENSE in share/doc/dtmem"; exit 1; }

# A recorded boot: the installed copy must print the kernel's own CMA line for it.
mkdir "$work/case"
cp "$source/tests/kernel-cases/arm64-cma-default-dynamic/board.dts" "$work/case/"
cp -r "$source/tests/kernel-cases/include" "$work/"
cd "$work/case"
args=(map board.dts --kernel arm64-6.1 --load kernel=0x40200000,dtb=0x48000000 --format kernel-log)
actual=$(env -i PATH=/usr/bin:/bin "$installed" "${args[@]}")
recorded=$(grep "Reserved memory: created CMA" "$source/tests/kernel-cases/arm64-cma-default-dynamic/arm64-6.1.log")
grep -qxF "$recorded" <<<"$actual" \
  || { echo "FAIL: the installed dtmem did not print the recorded line '$recorded':"; echo "$actual"; exit 1; }
"$installed" --version | grep -qx "dtmem [0-9.]*" || { echo "FAIL: --version"; exit 1; }
echo "install: 1 passed, 0 failed"
