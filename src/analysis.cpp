// SPDX-License-Identifier: MIT
#include "dtmem/analysis.hpp"

#include <fmt/format.h>

#include "dtmem/error.hpp"

namespace dtmem {

bool parse_load(std::string_view text, BootInputs& inputs) {
    std::string_view rest = text;
    while (!rest.empty()) {
        std::string_view item = rest.substr(0, rest.find(','));
        rest = item.size() == rest.size() ? std::string_view{} : rest.substr(item.size() + 1);
        std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) return false;
        std::string_view key = item.substr(0, equals), value = item.substr(equals + 1);
        if (key == "initrd") {
            inputs.initrd = parse_memory_bank(value);
            if (!inputs.initrd) return false;
            continue;
        }
        auto address = parse_size(value);
        if (!address) return false;
        if (key == "kernel") {
            inputs.kernel_address = address;
        } else if (key == "dtb") {
            inputs.dtb_address = address;
        } else {
            return false;
        }
    }
    return true;
}

Analysis analyze(Request request) {
    if (request.firmware && *request.firmware != "none") {
        request.load.firmware = parse_firmware(*request.firmware);
        if (!request.load.firmware) {
            throw Error(fmt::format("--firmware {}: expected none, opensbi or opensbi@ADDR", *request.firmware));
        }
    }
    std::vector<std::uint8_t> content = request.content ? std::move(*request.content) : read_input(request.input);
    LoadedTree loaded = load_tree(content, request.input, request.load);
    MemoryMap map = build_memory_map(loaded.tree, request.map);
    std::string assumed;
    KernelProfile profile = select_profile(request.profile, loaded.tree, assumed);
    // riscv boots through M-mode firmware, which edits the tree: OpenSBI unless told.
    if (profile.arch == Arch::Riscv64 && !request.firmware && !map.ram.empty()) {
        request.load.firmware = Firmware{};
        request.load.firmware->base = map.ram.front().range.start;
        loaded = load_tree(std::move(content), request.input, request.load);
        map = build_memory_map(loaded.tree, request.map);
        assumed += fmt::format("{}firmware OpenSBI 1.1 at {} (give --firmware)", assumed.empty() ? "" : ", ",
                               hex(request.load.firmware->base));
    }
    Analysis analysis{request.input == "-" ? "<stdin>" : request.input, std::move(loaded), std::move(map), {}, {}};
    // The prediction needs RAM; the map stands without it.
    if (analysis.map.ram.empty()) {
        analysis.no_prediction = "no prediction: the tree describes no RAM (give --memory)";
        return analysis;
    }
    try {
        analysis.prediction = predict_boot(analysis.tree(), analysis.map, profile, request.boot);
        if (!assumed.empty()) analysis.prediction->assumptions.insert(analysis.prediction->assumptions.begin(), assumed);
    } catch (const Error& e) {  // e.g. a profile whose build was never measured
        analysis.no_prediction = std::string("no prediction: ") + e.what();
    }
    return analysis;
}

}  // namespace dtmem
