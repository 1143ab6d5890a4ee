// dtmem command line. Thin: parse options, call the library, print, choose the exit status.
// One table for every command:
//   0  clean (notes and warnings about the tree do not change it)
//   1  findings at or above the fail level (lint and the front ends built on it)
//   2  unusable input or bad usage
//   3  internal error (a bug in dtmem)
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/report.hpp"

namespace {

constexpr int kExitInput = 2;
constexpr int kExitInternal = 3;

struct MapCommand {
    std::string file;
    std::string format = "text";
    std::string color = "auto";
    std::vector<std::string> include_dirs;
    std::vector<std::string> overlays;
    std::vector<std::string> memory;
    dtmem::ProfileRequest profile;
    std::optional<std::string> bootargs;
    std::string load;
    std::string firmware;
    std::vector<std::string> reserve;
    std::string kernel_image;
};

// --load kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE
bool parse_load(const std::string& text, dtmem::BootInputs& inputs) {
    std::string_view rest = text;
    while (!rest.empty()) {
        std::string_view item = rest.substr(0, rest.find(','));
        rest = item.size() == rest.size() ? std::string_view{} : rest.substr(item.size() + 1);
        std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) return false;
        if (item.substr(0, equals) == "initrd") {
            inputs.initrd = dtmem::parse_memory_bank(item.substr(equals + 1));
            if (!inputs.initrd) return false;
            continue;
        }
        auto value = dtmem::parse_size(item.substr(equals + 1));
        if (!value) return false;
        if (item.substr(0, equals) == "kernel") {
            inputs.kernel_address = value;
        } else if (item.substr(0, equals) == "dtb") {
            inputs.dtb_address = value;
        } else {
            return false;
        }
    }
    return true;
}

bool use_color(const std::string& mode) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

int run_map(const MapCommand& command) {
    dtmem::MapOptions map_options;
    for (const std::string& bank : command.memory) {
        auto range = dtmem::parse_memory_bank(bank);
        if (!range) {
            std::cerr << fmt::format("dtmem: error: --memory {}: expected BASE:SIZE, e.g. 0x40000000:2G, "
                                     "within the 64-bit address space\n", bank);
            return kExitInput;
        }
        map_options.memory.push_back(*range);
    }
    dtmem::BootInputs boot;
    boot.bootargs = command.bootargs;
    if (!parse_load(command.load, boot)) {
        std::cerr << fmt::format("dtmem: error: --load {}: expected kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE\n", command.load);
        return kExitInput;
    }
    dtmem::LoadOptions load_options;
    load_options.include_dirs = command.include_dirs;
    load_options.overlays = command.overlays;
    for (const std::string& text : command.reserve) {
        auto reservation = dtmem::parse_reservation(text);
        if (!reservation) {
            std::cerr << fmt::format("dtmem: error: --reserve {}: expected BASE:SIZE[:NAME]\n", text);
            return kExitInput;
        }
        load_options.reservations.push_back(*reservation);
    }
    if (!command.firmware.empty() && command.firmware != "none") {
        load_options.firmware = dtmem::parse_firmware(command.firmware);
        if (!load_options.firmware) {
            std::cerr << fmt::format("dtmem: error: --firmware {}: expected none, opensbi or opensbi@ADDR\n",
                                     command.firmware);
            return kExitInput;
        }
    }
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    try {
        if (!command.kernel_image.empty()) boot.kernel_image_size = dtmem::read_kernel_image_size(command.kernel_image);
        std::vector<std::uint8_t> content = dtmem::read_input(command.file);  // stdin can be read once
        dtmem::LoadedTree loaded = dtmem::load_tree(content, command.file, load_options);
        dtmem::MemoryMap map = dtmem::build_memory_map(loaded.tree, map_options);
        std::string assumed;
        dtmem::KernelProfile profile = dtmem::select_profile(command.profile, loaded.tree, assumed);
        // riscv boots through M-mode firmware, which edits the tree: OpenSBI unless told.
        if (profile.arch == dtmem::Arch::Riscv64 && command.firmware.empty() && !map.ram.empty()) {
            load_options.firmware = dtmem::Firmware{};
            load_options.firmware->base = map.ram.front().range.start;
            loaded = dtmem::load_tree(std::move(content), command.file, load_options);
            map = dtmem::build_memory_map(loaded.tree, map_options);
            assumed += fmt::format("{}firmware OpenSBI 1.1 at {} (give --firmware)", assumed.empty() ? "" : ", ",
                                   dtmem::hex(load_options.firmware->base));
        }
        dtmem::ReportInput input{name, loaded.format, command.overlays};
        // The prediction needs RAM; the map stands without it.
        std::optional<dtmem::Prediction> prediction;
        std::string no_prediction;
        if (map.ram.empty()) {
            no_prediction = "no prediction: the tree describes no RAM (give --memory)";
        } else {
            try {
                prediction = dtmem::predict_boot(loaded.tree, map, profile, boot);
                if (!assumed.empty()) prediction->assumptions.insert(prediction->assumptions.begin(), assumed);
            } catch (const dtmem::Error& e) {  // e.g. a profile whose build was never measured
                no_prediction = std::string("no prediction: ") + e.what();
            }
        }
        if (command.format == "kernel-log") {
            if (!prediction) throw dtmem::Error(no_prediction);
            for (const std::string& line : prediction->log) std::cout << dtmem::terminal_safe(line, false) << '\n';
        } else if (command.format == "json") {
            auto json = dtmem::map_to_json(loaded.tree, map, input);
            json["prediction"] = prediction ? dtmem::prediction_to_json(loaded.tree, *prediction)
                                            : nlohmann::ordered_json(nullptr);
            // Strings from the tree need not be UTF-8: invalid bytes become U+FFFD.
            std::cout << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
        } else {
            bool color = use_color(command.color);
            std::ostringstream text;  // escaped as a whole before it reaches the terminal
            dtmem::write_map_text(text, loaded.tree, map, input, color);
            if (prediction) {
                dtmem::write_prediction_text(text, loaded.tree, *prediction, color);
            } else {
                text << '\n' << no_prediction << '\n';
            }
            std::cout << dtmem::terminal_safe(text.str(), color);
        }
    } catch (const dtmem::Error& e) {
        std::cerr << dtmem::format_error(name, e) << '\n';
        return kExitInput;
    }
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "dtmem: error: cannot write the output\n";
        return kExitInternal;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dtmem: device-tree memory-map analyzer for embedded Linux", "dtmem"};
    app.set_version_flag("--version", std::string("dtmem ") + DTMEM_VERSION);
    app.require_subcommand(1);

    MapCommand map;
    CLI::App* map_app = app.add_subcommand("map", "Print the physical memory map a device tree describes");
    map_app->add_option("file", map.file, "DTB or DTS file, or - for standard input (e.g. /sys/firmware/fdt)")
        ->required();
    map_app->add_option("--format", map.format, "Output format: text, json, or the lines the kernel would print")
        ->check(CLI::IsMember({"text", "json", "kernel-log"}))
        ->capture_default_str();
    map_app->add_option("-I,--include", map.include_dirs, "Include directory for cpp and dtc (DTS input)");
    map_app->add_option("--overlay", map.overlays, "Apply this overlay (.dtbo or overlay DTS) first; repeatable");
    map_app->add_option("--memory", map.memory,
                        "RAM bank BASE:SIZE (e.g. 0x40000000:2G) replacing the tree's memory nodes; repeatable");
    map_app->add_option("--kernel", map.profile.kernel,
                        "Kernel profile (arm64-6.12, arm-6.1-lpae, …) or version (6.1, 6.6, 6.12) to predict for");
    map_app->add_option("--arch", map.profile.arch, "Architecture: arm64, arm, riscv64 (default: from the tree's CPUs)");
    map_app->add_option("--kernel-config", map.profile.config_file, "Predict for the kernel built with this .config")
        ->excludes("--kernel");
    map_app->add_option("--bootargs", map.bootargs, "Kernel command line, replacing /chosen/bootargs");
    map_app->add_option("--load", map.load,
                        "Where the bootloader put things: kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE (any of them)");
    map_app->add_option("--kernel-image", map.kernel_image, "The kernel Image (arm64, riscv), for its image_size");
    map_app->add_option("--firmware", map.firmware,
                        "Firmware that edits the tree: none, opensbi, opensbi@ADDR (riscv64 default: opensbi)");
    map_app->add_option("--reserve", map.reserve,
                        "A region the bootloader reserves, BASE:SIZE[:NAME]; added to /reserved-memory; repeatable");
    map_app->add_option("--color", map.color, "Colour the text output")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : kExitInput;
    }
    try {
        if (*map_app) return run_map(map);
    } catch (const std::exception& e) {
        std::cerr << "dtmem: internal error: " << e.what() << '\n';
        return kExitInternal;
    }
    return kExitInternal;
}
