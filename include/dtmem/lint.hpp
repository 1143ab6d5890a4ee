// SPDX-License-Identifier: MIT
// dtmem lint: rules over a whole analysis (the map and the boot prediction) that say what
// is wrong with a board's memory, each finding tied to the node and property at fault.
// The rules and their metadata are listed in rules/lint.yaml (see dtmem/rules.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/diagnostic.hpp"
#include "dtmem/range.hpp"

namespace dtmem {

// Another place a finding involves ("the other region is defined here").
struct RelatedLocation {
    NodeId node = kNoNode;
    std::string property;
    std::string message;
};

struct Finding {
    std::string rule;
    Severity severity = Severity::Warning;
    std::string message;
    NodeId node = kNoNode;  // kNoNode: about the whole input
    std::string property;
    std::vector<Range> ranges;  // the addresses involved
    std::vector<RelatedLocation> related;
};

// A finding the user accepts: rule id + node path, with the reason why (required).
struct Suppression {
    std::string rule;
    std::string node;
    std::string reason;
};

struct LintOptions {
    std::map<std::string, bool> enabled;        // rule id -> on/off (absent: on)
    std::map<std::string, Severity> severity;   // rule id -> level instead of the default
    std::map<std::string, std::map<std::string, u64>> rule_options;  // rule id -> option -> value
    std::vector<Suppression> suppressions;
};

// Every enabled rule's findings, deterministic: by node (tree order, the whole input
// first), then rule id, then message.
std::vector<Finding> lint(const Analysis& analysis, const LintOptions& options = {});

// The ids of the rules lint runs (each has catalogue metadata).
std::vector<std::string> registered_rules();

}  // namespace dtmem
