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

#include "dtmem/analysis.hpp"
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

bool use_color(const std::string& mode) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

int run_map(const MapCommand& command) {
    dtmem::Request request;
    request.input = command.file;
    request.load.include_dirs = command.include_dirs;
    request.load.overlays = command.overlays;
    request.profile = command.profile;
    request.boot.bootargs = command.bootargs;
    for (const std::string& bank : command.memory) {
        auto range = dtmem::parse_memory_bank(bank);
        if (!range) {
            std::cerr << fmt::format("dtmem: error: --memory {}: expected BASE:SIZE, e.g. 0x40000000:2G, "
                                     "within the 64-bit address space\n", bank);
            return kExitInput;
        }
        request.map.memory.push_back(*range);
    }
    if (!dtmem::parse_load(command.load, request.boot)) {
        std::cerr << fmt::format("dtmem: error: --load {}: expected kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE\n", command.load);
        return kExitInput;
    }
    for (const std::string& text : command.reserve) {
        auto reservation = dtmem::parse_reservation(text);
        if (!reservation) {
            std::cerr << fmt::format("dtmem: error: --reserve {}: expected BASE:SIZE[:NAME]\n", text);
            return kExitInput;
        }
        request.load.reservations.push_back(*reservation);
    }
    if (!command.firmware.empty()) request.firmware = command.firmware;
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    try {
        if (!command.kernel_image.empty()) {
            request.boot.kernel_image_size = dtmem::read_kernel_image_size(command.kernel_image);
        }
        dtmem::Analysis analysis = dtmem::analyze(std::move(request));
        const dtmem::Tree& tree = analysis.tree();
        dtmem::ReportInput input{analysis.file, analysis.loaded.format, command.overlays};
        if (command.format == "kernel-log") {
            if (!analysis.prediction) throw dtmem::Error(analysis.no_prediction);
            for (const std::string& line : analysis.prediction->log) std::cout << dtmem::terminal_safe(line, false) << '\n';
        } else if (command.format == "json") {
            dtmem::write_map_json(std::cout, tree, analysis.map, input,
                                  analysis.prediction ? &*analysis.prediction : nullptr);
        } else {
            bool color = use_color(command.color);
            std::ostringstream text;  // escaped as a whole before it reaches the terminal
            dtmem::write_map_text(text, tree, analysis.map, input, color);
            if (analysis.prediction) {
                dtmem::write_prediction_text(text, tree, *analysis.prediction, color);
            } else {
                text << '\n' << analysis.no_prediction << '\n';
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
    map_app->add_option("--profile-file", map.profile.profile_file,
                        "Predict with this kernel profile (YAML of the form of rules/profiles/*.yaml)")
        ->excludes("--kernel")
        ->excludes("--kernel-config");
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
