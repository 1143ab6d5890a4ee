// SPDX-License-Identifier: MIT
#include "rules_yaml.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "dtmem/error.hpp"

namespace dtmem {

std::optional<Severity> parse_severity(std::string_view name) {
    if (name == "error") return Severity::Error;
    if (name == "warning") return Severity::Warning;
    if (name == "note" || name == "info") return Severity::Note;
    return std::nullopt;
}

namespace detail {

std::vector<RuleInfo> parse_rule_catalogue(const std::string& text, const std::string& where) {
    std::vector<RuleInfo> rules;
    try {
        YAML::Node root = YAML::Load(text);
        if (!root.IsSequence()) throw Error(fmt::format("{}: expected a list of rules", where));
        for (const YAML::Node& entry : root) {
            auto field = [&](const char* name) {
                if (!entry[name] || !entry[name].IsScalar()) {
                    throw Error(fmt::format("{}: rule {}: missing {}", where, rules.size() + 1, name));
                }
                return entry[name].as<std::string>();
            };
            RuleInfo rule{field("id"), Severity::Warning, field("summary"), field("rationale"), field("fix"),
                          field("kernel"), {}};
            auto severity = parse_severity(field("severity"));
            if (!severity || field("severity") == "info") {
                throw Error(fmt::format("{}: {}: severity must be error, warning or note", where, rule.id));
            }
            rule.severity = *severity;
            for (const auto& option : entry["options"]) {
                std::string name = option.first.as<std::string>();
                if (!option.second["default"] || !option.second["help"]) {
                    throw Error(fmt::format("{}: {}: option {} needs a default and help", where, rule.id, name));
                }
                rule.options.push_back({name, option.second["default"].as<std::uint64_t>(), option.second["help"].as<std::string>()});
            }
            rules.push_back(std::move(rule));
        }
    } catch (const YAML::Exception& e) {
        throw Error(fmt::format("{}: {}", where, e.what()));
    }
    std::sort(rules.begin(), rules.end(), [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
    for (std::size_t i = 1; i < rules.size(); ++i) {
        if (rules[i].id == rules[i - 1].id) throw Error(fmt::format("{}: {} is listed twice", where, rules[i].id));
    }
    return rules;
}

}  // namespace detail
}  // namespace dtmem
