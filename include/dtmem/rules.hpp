// SPDX-License-Identifier: MIT
// The rule catalogue (rules/lint.yaml, compiled into dtmem): the metadata of every
// diagnostic and lint rule, once. Diagnostics take their default severity from it; lint,
// `dtmem rules`, `dtmem explain`, SARIF and docs/rules.md read the rest.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dtmem/diagnostic.hpp"
#include "dtmem/range.hpp"

namespace dtmem {

// A number a rule is tuned by (a size in bytes or a percentage), set per rule in .dtmem.yaml.
struct RuleOption {
    std::string name;
    u64 default_value = 0;
    std::string help;
};

struct RuleInfo {
    std::string id;
    Severity severity = Severity::Warning;
    std::string summary;
    std::string rationale;
    std::string fix;
    std::string kernel;  // the kernel source it rests on
    std::vector<RuleOption> options;
};

// Sorted by id.
std::span<const RuleInfo> rule_catalogue();

// The entry for `id`, or nullptr.
const RuleInfo* find_rule(std::string_view id);

// "error", "warning", "note" (and "info" for note); nothing for anything else.
std::optional<Severity> parse_severity(std::string_view name);

}  // namespace dtmem
