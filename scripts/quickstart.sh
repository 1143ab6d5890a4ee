#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dtmem quick start on Debian 12: install what is missing, build, then either show the
# map of an example board (demo) or run the whole test suite (test).
#   scripts/quickstart.sh demo    # install, build, dtmem map boards/arm64-8g-two-banks/board.dts,
#                                 # then dtmem lint boards/armhf-vmalloc-panic/board.dts
#   scripts/quickstart.sh test    # install, build, run every test (unit, CLI, boards, DTB corpus, browser),
#                                 # then the suite again under ASan/UBSan, then the fuzzer for 2 minutes
set -euo pipefail

mode=${1:-demo}
case "$mode" in
  demo|test) ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
build=${DTMEM_BUILD_DIR:-$top/build}

packages=(build-essential cmake pkg-config libfdt-dev libyaml-cpp-dev libcli11-dev doctest-dev
          nlohmann-json3-dev libfmt-dev libdw-dev device-tree-compiler cpp xz-utils)
# The SARIF test validates against the OASIS schema.
[ "$mode" = test ] && packages+=(python3 python3-jsonschema)
# The fuzzer is built with clang and its libFuzzer runtime.
[ "$mode" = test ] && packages+=(clang libclang-rt-14-dev)
# The pre-commit hook is tested with the pre-commit framework, in a throwaway git repository.
[ "$mode" = test ] && packages+=(pre-commit git)
# The HTML output is checked in headless Chromium, with a font for its text.
[ "$mode" = test ] && packages+=(chromium fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "quickstart: installing ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  for attempt in 1 2 3; do
    if "${sudo[@]}" apt-get update -qq && \
       DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
      break
    fi
    [ "$attempt" -eq 3 ] && { echo "quickstart: apt-get could not install ${missing[*]}" >&2; exit 1; }
    echo "quickstart: apt-get failed (attempt $attempt), retrying in 10 s" >&2
    sleep 10
  done
fi

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

if [ "$mode" = demo ]; then
  cd "$top/boards/arm64-8g-two-banks"
  "$build/dtmem" map board.dts
  # A board with a mistake: lint says what the kernel will do with it (--exit-zero: this is a demo).
  cd "$top/boards/armhf-vmalloc-panic"
  printf '\n$ dtmem lint board.dts\n'
  exec "$build/dtmem" lint --exit-zero board.dts
fi
stage() { printf '\n=== %s\n' "$*"; }
stage "tests (unit, CLI, install, boards, recorded boots, DTB corpus)"
(cd "$build" && ctest --output-on-failure -j "$(nproc)")

stage "the same suite under AddressSanitizer and UndefinedBehaviorSanitizer (corpus and integrations excepted)"
sanitize=${DTMEM_SANITIZE_BUILD_DIR:-$top/build-sanitize}
cmake -S "$top" -B "$sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTMEM_SANITIZE=ON -DDTMEM_STATIC_DEPS=OFF >/dev/null
cmake --build "$sanitize" -j "$(nproc)"
(cd "$sanitize" && ctest --output-on-failure -j "$(nproc)" -LE "corpus|integration")

stage "fuzzing the whole pipeline for ${DTMEM_FUZZ_SECONDS:-120} s on the committed corpus"
fuzz=${DTMEM_FUZZ_BUILD_DIR:-$top/build-fuzz}
CC=clang CXX=clang++ cmake -S "$top" -B "$fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTMEM_FUZZ=ON \
  -DDTMEM_STATIC_DEPS=OFF -DBUILD_TESTING=OFF >/dev/null
cmake --build "$fuzz" -j "$(nproc)" --target dtmem-fuzz
exec "$top/tests/fuzz/run-fuzz.sh" "$fuzz/dtmem-fuzz" "${DTMEM_FUZZ_SECONDS:-120}"
