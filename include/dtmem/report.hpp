// Output of the memory map: text for people, JSON for tools (docs/json-map.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"

namespace dtmem {

struct ReportInput {
    std::string file;
    InputFormat format = InputFormat::Dtb;
    std::vector<std::string> overlays;
};

nlohmann::ordered_json map_to_json(const Tree& tree, const MemoryMap& map,
                                   const ReportInput& input);

void write_map_text(std::ostream& out, const Tree& tree, const MemoryMap& map,
                    const ReportInput& input, bool color);

}  // namespace dtmem
