#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dtmem lint --format sarif over every rule's firing case: the document validates against
# the OASIS SARIF 2.1.0 schema, every rule id found has a descriptor, every result a
# fingerprint from rule + node, and the paths are relative to the working directory.
#   tests/sarif/sarif-test.sh DTMEM
set -euo pipefail
dtmem=${1:?usage: sarif-test.sh DTMEM}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here/.."
status=0
"$dtmem" lint --format sarif lint/*/fires.dts >"$work/out.sarif" 2>"$work/err" || status=$?
[ "$status" -le 1 ] || { echo "sarif: dtmem exited $status"; cat "$work/err"; exit 1; }
python3 - "$here/sarif-schema-2.1.0.json" "$work/out.sarif" lint <<'PY'
import json, os, sys
import jsonschema
schema, document, cases = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
jsonschema.validate(document, schema)
run = document["runs"][0]
rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
expected = sorted(d for d in os.listdir(cases) if os.path.isdir(os.path.join(cases, d)))
assert rules == expected, f"descriptors {rules} != rules {expected}"
found = set()
for result in run["results"]:
    assert rules[result["ruleIndex"]] == result["ruleId"], result
    node = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    assert result["partialFingerprints"]["dtmemRuleNode/v1"] == result["ruleId"] + ":" + node, result
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert not uri.startswith("/"), uri
    found.add(result["ruleId"])
# A case that needs a command-line input (CASE.memory) does not fire from the DTS alone.
needs_input = {d for d in expected if os.path.exists(os.path.join(cases, d, "fires.memory"))}
missing = set(expected) - found - needs_input
assert not missing, f"no result for {sorted(missing)}"
print(f"sarif: valid SARIF 2.1.0, {len(run['results'])} results, {len(found)} rules")
PY
