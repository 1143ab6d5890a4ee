// SPDX-License-Identifier: MIT
// Reading rules/lint.yaml. Shared by the library (tests) and the build step that compiles
// the catalogue into the binary. Internal to the library.
#pragma once

#include <string>
#include <vector>

#include "dtmem/rules.hpp"

namespace dtmem::detail {

// The catalogue, sorted by id. Throws dtmem::Error naming `where` for a malformed entry,
// an unknown severity or a duplicate id.
std::vector<RuleInfo> parse_rule_catalogue(const std::string& text, const std::string& where);

}  // namespace dtmem::detail
