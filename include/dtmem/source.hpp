// SPDX-License-Identifier: MIT
// Where a node or property came from in DTS sources (from dtc's `-T -T` annotations).
#pragma once

#include <string>

namespace dtmem {

struct SourceLocation {
    std::string file;
    int line = 0;
    int column = 0;
};

}  // namespace dtmem
