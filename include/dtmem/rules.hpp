// SPDX-License-Identifier: MIT
// The rule catalogue (rules/lint.yaml, compiled into dtmem): the metadata of every
// diagnostic and lint rule, once. Diagnostics take their default severity from it; lint,
// `dtmem rules`, `dtmem explain`, SARIF and docs/rules.md read the rest.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dtmem/diagnostic.hpp"

namespace dtmem {

struct RuleInfo {
    std::string id;
    Severity severity = Severity::Warning;
    std::string summary;
    std::string rationale;
    std::string fix;
    std::string kernel;  // the kernel source it rests on
};

// Sorted by id.
std::span<const RuleInfo> rule_catalogue();

// The entry for `id`, or nullptr.
const RuleInfo* find_rule(std::string_view id);

// "error", "warning", "note" (and "info" for note); nothing for anything else.
std::optional<Severity> parse_severity(std::string_view name);

}  // namespace dtmem
