// SPDX-License-Identifier: MIT
// Parses dtc's annotated DTS output (`dtc -O dts -T -T`): every node and property line
// carries a trailing comment "/* file:line:col-line:col, … */". Internal to the library.
#pragma once

#include <string_view>
#include <vector>

#include "dtmem/tree.hpp"

namespace dtmem::detail {

// One SourceInfo per node of `tree`, matched by path.
std::vector<SourceInfo> parse_annotated_dts(std::string_view text, const Tree& tree);

}  // namespace dtmem::detail
