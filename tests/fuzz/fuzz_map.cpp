// SPDX-License-Identifier: MIT
// libFuzzer harness: bytes as a DTB through the whole pipeline, load → map → a prediction
// for every shipped kernel → text and JSON. A dtmem::Error (an unusable blob, a profile
// that cannot predict) is an expected outcome; anything else is a bug: another exception,
// a crash, a sanitizer report, a hang or a blow-up (run-fuzz.sh sets the limits).
// The tree's /chosen/bootargs is fuzzed with it, so command-line parsing is covered too.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "dtmem/error.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> blob(data, data + size);
    std::optional<dtmem::Tree> tree;
    try {
        tree.emplace(dtmem::Tree::from_blob(std::move(blob)));
    } catch (const dtmem::Error&) {
        return 0;  // not a usable blob: rejected with one error, as it should be
    }
    dtmem::MemoryMap map = dtmem::build_memory_map(*tree);
    std::ostringstream sink;
    dtmem::ReportInput input{"fuzz.dtb", dtmem::InputFormat::Dtb, {}};
    dtmem::write_map_text(sink, *tree, map, input, false);
    dtmem::write_map_json(sink, *tree, map, input, nullptr);
    if (map.ram.empty()) return 0;
    for (const std::string& id : dtmem::shipped_profile_ids()) {
        try {
            dtmem::Prediction prediction =
                dtmem::predict_boot(*tree, map, dtmem::shipped_profile(id), dtmem::BootInputs{});
            dtmem::write_prediction_text(sink, *tree, map, prediction, false);
            dtmem::write_map_json(sink, *tree, map, input, &prediction);
        } catch (const dtmem::Error&) {
            // a profile without measured build numbers, a tree this kernel cannot boot
        }
    }
    return 0;
}
