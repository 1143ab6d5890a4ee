#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The CI templates (integrations/ci/) as far as this machine can run them: both parse as
# YAML, and their shell steps run in a throwaway repository with a board changed between
# two commits (GitHub's ${{ }} expressions filled in, gh and the download stubbed): the SARIF
# is valid, a change that brings an error fails the pull-request step with a markdown
# comment, a change that brings none passes, and the GitLab job fails on the error.
#   ci-templates-test.sh DTMEM_BINARY SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/harness.sh"

mkdir -p "$work/bin" "$work/repo" "$work/tmp"
ln -s "$dtmem" "$work/bin/dtmem"
printf '#!/bin/sh\necho "$@" > "%s/gh.args"\n' "$work" >"$work/bin/gh"
chmod +x "$work/bin/gh"
export PATH="$work/bin:$PATH" RUNNER_TEMP="$work/tmp"

# steps FILE KIND EVENT: the shell of every step of the workflow (or job), one file
# per step in $work/steps/N.sh, with ${{ }} filled in for EVENT.
steps() {
  rm -rf "$work/steps" && mkdir "$work/steps"
  python3 - "$@" "$work/steps" <<'PY'
import re, sys, yaml
path, where, event, out = sys.argv[1:5]
doc = yaml.safe_load(open(path))
if where == "github":
    # every step that runs on EVENT but the installation (the runner's apt-get and download)
    def runs(step):
        condition = step.get("if", "")
        return not condition or (("==" in condition) == (f"'{event}'" in condition))
    scripts = [s["run"] for s in doc["jobs"]["dtmem"]["steps"] if "run" in s and "apt-get" not in s["run"] and runs(s)]
else:
    scripts = ["\n".join(doc["dtmem"]["script"])]
values = {"github.event_name": event, "github.event.pull_request.number": "7",
          "github.event.pull_request.base.sha": "base", "github.token": "token", "vars.DTMEM_DEB": "unused"}
def fill(m):
    expr = m.group(1).strip()
    if expr.startswith("github.event_name == 'pull_request'"):
        return "--exit-zero" if event == "pull_request" else ""
    return values[expr]
for i, script in enumerate(scripts):
    open(f"{out}/{i}.sh", "w").write(re.sub(r"\$\{\{(.*?)\}\}", fill, script))
PY
}
run_steps() {  # run every step in the repository, as the runner does (bash -e), stopping at a failure
  local step
  for step in "$work"/steps/*.sh; do
    (cd "$work/repo" && BASE=base bash -e "$step") >>"$work/log" 2>&1 || return 1
  done
}

cd "$work/repo"
git init -q . && git config user.email test@example.org && git config user.name test
cp "$source/boards/media-carveouts/board.dts" board.dts  # a clean arm64 board
git add -A && git commit -qm base && git tag base
echo "// a comment" >>board.dts  # a change that brings nothing
git commit -qam harmless && git tag harmless

steps "$source/integrations/ci/github-workflow.yml" github push
check "push: the lint steps pass on a clean board" run_steps
check "push: the SARIF is valid" python3 -c "import json; d = json.load(open('$work/repo/dtmem.sarif')); assert d['version'] == '2.1.0'"

steps "$source/integrations/ci/github-workflow.yml" github pull_request
rm -f "$work/gh.args"
check "pull request without new findings passes" run_steps
check "its comment is posted" grep -q '^pr comment 7 --body-file comment.md' "$work/gh.args"
check "the comment has the board's section" grep -qx '### board.dts' "$work/repo/comment.md"
git worktree remove --force "$RUNNER_TEMP/base"

# cma=3G on the command line of a 2 GiB board: the area cannot be reserved (cma-reserve-fails).
sed -i 's|bootargs = "|bootargs = "cma=3G |' board.dts
git commit -qam "cma=3G"
check "the change really brings an error" sh -c "! dtmem lint board.dts >/dev/null"
rm -f "$work/gh.args"
if run_steps; then echo "FAIL: the pull-request step passed"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "its comment names the new error" grep -q 'cma-reserve-fails' "$work/repo/comment.md"
git worktree remove --force "$RUNNER_TEMP/base"

steps "$source/integrations/ci/gitlab-ci.yml" gitlab push
if run_steps; then echo "FAIL: the GitLab job passed on an error"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check "the GitLab log has gcc-style findings" grep -q 'board.dts:[0-9]*:[0-9]*: error: .*\[cma-reserve-fails\]' "$work/log"
summary ci-templates
