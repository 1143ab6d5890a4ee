// Output of the memory map: text for people, JSON for tools (docs/json-map.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"

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

// The "prediction" member of the map document (docs/json-map.md).
nlohmann::ordered_json prediction_to_json(const Tree& tree, const Prediction& prediction);

void write_prediction_text(std::ostream& out, const Tree& tree, const Prediction& prediction, bool color);

}  // namespace dtmem
