// SPDX-License-Identifier: MIT
// Boot arguments (and tree changes) that fix findings, each verified: the analysis is run
// again with the change, the finding it targets is gone and nothing at or above the fail
// level is new.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/diff.hpp"
#include "dtmem/lint.hpp"

namespace dtmem {

struct Suggestion {
    enum class Kind { BootArgument, Tree };
    Kind kind = Kind::BootArgument;
    std::string change;    // "cma=64M@0-0x40000000", "remove vmalloc=1G", "alloc-ranges = <...>"
    std::string bootargs;  // BootArgument: the whole new command line
    std::string node;      // Tree: the node to change, and its property
    std::string property;
    std::string why;                  // what the change does, in a sentence or two
    std::vector<std::string> fixes;   // the findings it removes: "RULE NODE: message"
    std::vector<std::string> brings;  // findings it adds, all below the fail level
    std::vector<FactChange> effect;   // what changes in memory, without -> with it
};

struct Suggestions {
    std::vector<Suggestion> suggestions;
    // Findings something was tried for and nothing verified: "RULE NODE: why".
    std::vector<std::string> unfixed;
    // Every boot-argument suggestion applied to the command line at once, when that too
    // verifies (nothing when there is none, or the combination does not).
    std::optional<std::string> bootargs;
    // Findings at or above the fail level that no suggestion removes.
    std::size_t remaining = 0;
    std::string no_prediction;  // why nothing could be tried (no RAM, no profile): the model is needed
};

// `request` must be the one `analysis` was made from.
Suggestions suggest(const Request& request, const Analysis& analysis, const LintOptions& options, Severity fail_on);

// `bootargs` with every `name=` parameter replaced by `parameter` ("name=value"), or only
// removed when `parameter` is empty.
std::string with_parameter(std::string_view bootargs, std::string_view name, std::string_view parameter);

}  // namespace dtmem
