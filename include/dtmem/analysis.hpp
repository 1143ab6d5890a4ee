// SPDX-License-Identifier: MIT
// One entry point for a whole analysis: load the tree (with overlays, firmware edits and
// bootloader reservations), build its memory map, pick the kernel profile and predict the
// boot. Front ends (map, lint, diff, suggest, check, HTML) only render an Analysis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"

namespace dtmem {

struct Request {
    std::string input;  // a path, or "-" for standard input
    std::optional<std::vector<std::uint8_t>> content;  // the input's bytes when already read
    LoadOptions load;
    // Firmware given by the user (--firmware); nothing = the arch's default (OpenSBI on
    // riscv64, none elsewhere), "none" = explicitly none.
    std::optional<std::string> firmware;
    MapOptions map;
    ProfileRequest profile;
    BootInputs boot;
};

// Owns the tree the map and prediction hold views into: movable, never copied, so two
// analyses (a diff's old and new) live side by side.
struct Analysis {
    std::string file;  // as shown to users ("<stdin>" for standard input)
    LoadedTree loaded;
    MemoryMap map;
    std::optional<Prediction> prediction;
    std::string no_prediction;  // why there is none, when there is none

    const Tree& tree() const { return loaded.tree; }
    const std::vector<Diagnostic>& diagnostics() const { return map.diagnostics; }
};

// Throws dtmem::Error only when the input or the request cannot be used at all (an
// unusable blob, a DTS dtc rejects, an unknown profile or firmware); everything the tree
// gets wrong is a diagnostic of the map.
Analysis analyze(Request request);

// --load kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE (any of them) into `inputs`; false when malformed.
bool parse_load(std::string_view text, BootInputs& inputs);

}  // namespace dtmem
