#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The pre-commit hook (.pre-commit-hooks.yaml, tools/dtmem-pre-commit) run by the pre-commit
# framework in a throwaway git repository: a changed .dtsi lints exactly the boards that
# include it (through #include and /include/, directly or not), a .dts that only names it
# is left alone, and the commit is stopped on an error.
#   pre-commit-test.sh DTMEM_BINARY SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/harness.sh"
command -v pre-commit >/dev/null || { echo "FAIL: pre-commit is not installed (Debian package pre-commit)"; exit 1; }

mkdir -p "$work/bin" "$work/repo/common"
ln -s "$dtmem" "$work/bin/dtmem"
export PATH="$work/bin:$PATH" PRE_COMMIT_HOME="$work/cache"
cd "$work/repo"
git init -q . && git config user.email test@example.org && git config user.name test
cat >soc.dtsi <<'DTS'
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x80000000>; };
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		pool@50000000 { compatible = "shared-dma-pool"; reg = <0x0 0x50000000 0x0 0x400000>; no-map; };
	};
};
DTS
board() {  # board NAME INCLUDE-LINE
  printf '/dts-v1/;\n%s\n/ { model = "%s"; compatible = "test,%s"; chosen { bootargs = "console=ttyAMA0"; }; };\n' "$2" "$1" "$1" >"$1.dts"
}
board direct '#include "soc.dtsi"'
printf '/include/ "../soc.dtsi"\n' >common/mid.dtsi
board indirect '/include/ "common/mid.dtsi"'
printf '/ { model = "other"; };\n' >other.dtsi
board unrelated '#include "other.dtsi" /* not soc.dtsi */'
cat >.pre-commit-config.yaml <<'YAML'
repos: []
YAML
git add -A && git commit -qm boards

# The pool gets contradictory flags (no-map and reusable): pool-flags-conflict, an error.
sed -i 's/ no-map; };/ no-map; reusable; };/' soc.dtsi
set +e
pre-commit try-repo "$source" dtmem-lint --files soc.dtsi >"$work/out" 2>&1
status=$?
set -e
check "a broken .dtsi stops the commit" test "$status" -ne 0
check "the error is reported" grep -q '\[pool-flags-conflict\]' "$work/out"
check "boards including it by #include are linted" grep -qx 'dtmem-pre-commit: direct.dts includes soc.dtsi' "$work/out"
check "boards including it through /include/ of another .dtsi are linted" \
  grep -qx 'dtmem-pre-commit: indirect.dts includes soc.dtsi' "$work/out"
check "only those two" grep -q '^2 files: ' "$work/out"
check "locations name the .dtsi plainly (no common/../)" sh -c "grep -q 'soc.dtsi:9:' '$work/out' && ! grep -q 'common/\.\./soc' '$work/out'"
check "a board that only names it is not linted" sh -c "! grep -q 'unrelated\.dts' '$work/out'"
[ $failed -eq 0 ] || cat "$work/out"

git checkout -q soc.dtsi
check "a clean change passes" pre-commit try-repo "$source" dtmem-lint --files soc.dtsi direct.dts >"$work/out" 2>&1
check "a file that is not a device tree is not passed to the hook" sh -c \
  "echo text >notes.txt && pre-commit try-repo '$source' dtmem-lint --files notes.txt | grep -q 'no files to check'"
summary pre-commit
