#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: cpack builds it, its control fields name what dtmem needs at run time,
# apt could install it on this machine (a simulation: nothing is installed), and the copy
# unpacked into an empty root lints an example board, with its man page and bash completion.
#   package-test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
fail() { echo "FAIL: $*"; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$work"/out/dtmem_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
for needed in device-tree-compiler cpp libc6; do
  grep -qw "$needed" <<<"$depends" || fail "Depends '$depends' lacks $needed"
done
passed=$((passed + 1))

if [ -n "$(find /var/lib/apt/lists -name '*Packages*' -print -quit 2>/dev/null)" ]; then
  apt-get install -s "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install -s $deb"; }
  grep -q '^Inst dtmem ' "$work/apt.log" || fail "apt would not install dtmem: $(tail -n 3 "$work/apt.log")"
  passed=$((passed + 1))
else
  echo "note: no apt package lists on this machine (apt-get update); install simulation not run"
fi

dpkg-deb -x "$deb" "$work/root"
installed=$work/root/usr/bin/dtmem
[ -f "$work/root/usr/share/man/man1/dtmem.1" ] || fail "no man page in the package"
grep -q '^\.SS "dtmem lint"' "$work/root/usr/share/man/man1/dtmem.1" || fail "the man page has no lint section"
completion=$work/root/usr/share/bash-completion/completions/dtmem
[ -f "$completion" ] || fail "no bash completion in the package"
[ -f "$work/root/usr/share/dtmem/rules/lint.yaml" ] || fail "no rules/ in share/dtmem"
passed=$((passed + 1))

# An example board with a known error (the vmalloc= that panics the boot): exit 1, the rule named.
set +e
env -i PATH=/usr/bin:/bin "$installed" lint --format gcc "$source/boards/armhf-vmalloc-panic/board.dts" >"$work/lint.out" 2>&1
status=$?
set -e
[ $status -eq 1 ] || { cat "$work/lint.out"; fail "installed dtmem lint exited $status, not 1"; }
grep -q '\[boot-panic\]' "$work/lint.out" || fail "no boot-panic finding: $(head -n 3 "$work/lint.out")"
passed=$((passed + 1))

# The completion, as bash loads it.
words=$(bash -c 'source "$1"; COMP_WORDS=(dtmem lint --format s); COMP_CWORD=3; _dtmem; echo "${COMPREPLY[*]}"' _ "$completion")
[ "$words" = "sarif svg" ] || fail "completion of 'dtmem lint --format s' gave '$words'"
passed=$((passed + 1))
echo "package: $passed passed, 0 failed"
