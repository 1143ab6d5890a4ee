// SPDX-License-Identifier: MIT
// The lint engine: runs every registered rule over an analysis, then applies the user's
// rule levels and suppressions, and orders the findings.
#include "dtmem/lint.hpp"

#include <algorithm>
#include <stdexcept>

#include "dtmem/rules.hpp"
#include "lint/registry.hpp"

namespace dtmem {
namespace {

std::vector<checks::Rule> all_rules() {
    std::vector<checks::Rule> rules;
    for (auto family : {checks::diagnostic_rules(), checks::overlap_rules(), checks::pool_rules(), checks::boot_rules(),
                        checks::budget_rules()}) {
        rules.insert(rules.end(), family.begin(), family.end());
    }
    return rules;
}

bool suppressed(const Finding& finding, const Tree& tree, const std::vector<Suppression>& suppressions) {
    std::string path = finding.node == kNoNode ? "" : tree.path(finding.node);
    return std::any_of(suppressions.begin(), suppressions.end(), [&](const Suppression& s) {
        return s.rule == finding.rule && s.node == path;
    });
}

}  // namespace

std::vector<std::string> registered_rules() {
    std::vector<std::string> ids;
    for (const checks::Rule& rule : all_rules()) ids.emplace_back(rule.id);
    return ids;
}

std::vector<Finding> lint(const Analysis& analysis, const LintOptions& options) {
    std::vector<Finding> findings;
    for (const checks::Rule& rule : all_rules()) {
        std::string id(rule.id);
        if (auto on = options.enabled.find(id); on != options.enabled.end() && !on->second) continue;
        const RuleInfo* info = find_rule(id);
        if (!info) throw std::logic_error("lint rule " + id + " is not in rules/lint.yaml");
        auto level = options.severity.find(id);
        static const std::map<std::string, u64> kNone;
        auto tuned = options.rule_options.find(id);
        checks::Findings out(*info, level != options.severity.end() ? level->second : info->severity,
                             tuned != options.rule_options.end() ? tuned->second : kNone);
        rule.check(analysis, out);
        for (Finding& finding : out.all()) {
            if (!suppressed(finding, analysis.tree(), options.suppressions)) findings.push_back(std::move(finding));
        }
    }
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.node != b.node) return a.node + 1 < b.node + 1;  // kNoNode (the whole input) first
        if (a.rule != b.rule) return a.rule < b.rule;
        return a.message < b.message;
    });
    return findings;
}

}  // namespace dtmem
