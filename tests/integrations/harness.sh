# SPDX-License-Identifier: MIT
# What the integration tests share, sourced after `set -euo pipefail` with the test's own
# arguments (DTMEM_BINARY SOURCE_DIR): $dtmem and $source as absolute paths, a scratch
# folder $work removed on exit, check() counting outcomes, summary() ending the test.
dtmem=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
summary() {  # summary TEST-NAME: the counts, and the exit status
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
