// dtmem command line. Thin: parse options, call the library, print, choose the exit status.
//   0  success
//   1  internal error (a bug in dtmem)
//   2  unusable input or bad usage
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/report.hpp"

namespace {

constexpr int kExitInput = 2;
constexpr int kExitInternal = 1;

struct MapCommand {
    std::string file;
    std::string format = "text";
    std::string color = "auto";
    std::vector<std::string> include_dirs;
    std::vector<std::string> overlays;
    std::vector<std::string> memory;
};

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
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    try {
        dtmem::LoadOptions load_options;
        load_options.include_dirs = command.include_dirs;
        load_options.overlays = command.overlays;
        dtmem::LoadedTree loaded = dtmem::load_tree(command.file, load_options);
        dtmem::MemoryMap map = dtmem::build_memory_map(loaded.tree, map_options);
        dtmem::ReportInput input{name, loaded.format, command.overlays};
        if (command.format == "json") {
            std::cout << dtmem::map_to_json(loaded.tree, map, input).dump(2) << '\n';
        } else {
            dtmem::write_map_text(std::cout, loaded.tree, map, input, use_color(command.color));
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
    map_app->add_option("--format", map.format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    map_app->add_option("-I,--include", map.include_dirs, "Include directory for cpp and dtc (DTS input)");
    map_app->add_option("--overlay", map.overlays, "Apply this overlay (.dtbo or overlay DTS) first; repeatable");
    map_app->add_option("--memory", map.memory,
                        "RAM bank BASE:SIZE (e.g. 0x40000000:2G) replacing the tree's memory nodes; repeatable");
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
