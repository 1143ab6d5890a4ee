// SPDX-License-Identifier: MIT
// One-line forms shared by the report writers. Internal to the report stage.
#pragma once

#include <string>

#include "dtmem/analysis.hpp"
#include "dtmem/diff.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/memory_map.hpp"

namespace dtmem {

// "board.dts:12:3: error: /node: message [rule]"
std::string finding_line(const Analysis& analysis, const Finding& finding);

// The parts with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// "no-map, reusable, shared-dma-pool": a /reserved-memory region's flags and compatibles.
std::string region_flags(const ReservedRegion& region);

// "reservation /reserved-memory/x moved: 0x… -> 0x…"
std::string change_line(const FactChange& change);

}  // namespace dtmem
