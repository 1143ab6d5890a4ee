// SPDX-License-Identifier: MIT
// The lint rule registry: each rule is a check function over the analysis, registered by
// id (its metadata is in rules/lint.yaml). Internal to the library.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "dtmem/lint.hpp"

namespace dtmem::checks {

// Collects one rule's findings, with the rule's id and severity filled in.
class Findings {
public:
    Findings(std::string_view rule, Severity severity) : rule_(rule), severity_(severity) {}
    Finding& add(NodeId node, std::string message, std::string property = {}) {
        return findings_.emplace_back(
            Finding{std::string(rule_), severity_, std::move(message), node, std::move(property), {}, {}});
    }
    std::string_view rule() const { return rule_; }
    std::vector<Finding>& all() { return findings_; }

private:
    std::string_view rule_;
    Severity severity_;
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

}  // namespace dtmem::checks
