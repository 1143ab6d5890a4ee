// SPDX-License-Identifier: MIT
#include "dtmem/error.hpp"

#include "dtmem/diagnostic.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "dtmem/rules.hpp"

namespace dtmem {

std::string format_error(const std::string& input_file, const Error& error) {
    std::string where = input_file;
    if (error.location()) {
        where = fmt::format("{}:{}:{}", error.location()->file, error.location()->line,
                            error.location()->column);
    }
    if (error.node_path().empty()) return fmt::format("{}: error: {}", where, error.what());
    return fmt::format("{}: error: {}: {}", where, error.node_path(), error.what());
}

const char* severity_name(Severity severity) {
    switch (severity) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "note";
}

const RuleInfo* find_rule(std::string_view id) {
    std::span<const RuleInfo> rules = rule_catalogue();
    auto found = std::lower_bound(rules.begin(), rules.end(), id,
                                  [](const RuleInfo& rule, std::string_view key) { return rule.id < key; });
    return found != rules.end() && found->id == id ? &*found : nullptr;
}

Diagnostic diagnose(std::string id, NodeId node, std::string message, std::string property) {
    const RuleInfo* rule = find_rule(id);
    if (!rule) throw std::logic_error("diagnostic " + id + " is not in rules/lint.yaml");
    return {std::move(id), rule->severity, node, std::move(message), std::move(property)};
}

}  // namespace dtmem
