// SPDX-License-Identifier: MIT
// The lint rule registry: each rule is a check function over the analysis, registered by
// id (its metadata is in rules/lint.yaml). Internal to the library.
#pragma once

#include <map>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dtmem/lint.hpp"
#include "dtmem/rules.hpp"

namespace dtmem::checks {

// Collects one rule's findings, with the rule's id and severity filled in.
class Findings {
public:
    Findings(const RuleInfo& rule, Severity severity, const std::map<std::string, u64>& options)
        : rule_(rule.id), severity_(severity), info_(&rule), options_(&options) {}
    Finding& add(NodeId node, std::string message, std::string property = {}) {
        return findings_.emplace_back(
            Finding{std::string(rule_), severity_, std::move(message), node, std::move(property), {}, {}});
    }
    std::string_view rule() const { return rule_; }
    // An option's value: the user's, else the catalogue's default.
    u64 option(std::string_view name) const {
        if (auto set = options_->find(std::string(name)); set != options_->end()) return set->second;
        for (const RuleOption& o : info_->options) {
            if (o.name == name) return o.default_value;
        }
        throw std::logic_error(fmt::format("rule {} has no option {} in rules/lint.yaml", rule_, name));
    }
    std::vector<Finding>& all() { return findings_; }

private:
    std::string_view rule_;
    Severity severity_;
    const RuleInfo* info_;
    const std::map<std::string, u64>* options_;
    std::vector<Finding> findings_;
};

using Check = void (*)(const Analysis& analysis, Findings& out);

struct Rule {
    std::string_view id;
    Check check;
};

// The rule families, one file each.
std::span<const Rule> diagnostic_rules();  // the map's diagnostics, one rule per id
std::span<const Rule> overlap_rules();     // reservations, RAM, MMIO and the initrd against each other
std::span<const Rule> pool_rules();        // /reserved-memory pools and their users
std::span<const Rule> boot_rules();        // what the predicted boot prints and does
std::span<const Rule> budget_rules();      // what the predicted layout leaves limited devices and lowmem

}  // namespace dtmem::checks
