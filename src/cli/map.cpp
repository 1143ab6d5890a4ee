// SPDX-License-Identifier: MIT
// dtmem map: the memory map and, given RAM, the kernel prediction.
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"
#include "dtmem/report.hpp"

namespace dtmem::cli {

CLI::App* add_map_command(CLI::App& app, MapCommand& command) {
    CLI::App* sub = app.add_subcommand("map", "Print the physical memory map a device tree describes");
    sub->add_option("file", command.file, "DTB or DTS file, or - for standard input (e.g. /sys/firmware/fdt)")
        ->required();
    sub->add_option("--format", command.format, "Output format: text, json, the lines the kernel would print (kernel-log), "
                    "html (a page with the map drawn) or svg (the drawing alone)")
        ->check(CLI::IsMember({"text", "json", "kernel-log", "html", "svg"}))
        ->capture_default_str();
    add_input_options(sub, command.in);
    return sub;
}

int run_map(const MapCommand& command) {
    auto request = make_request(command.in, command.file);
    if (auto* error = std::get_if<std::string>(&request)) {
        std::cerr << *error << '\n';
        return kExitInput;
    }
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    try {
        Analysis analysis = analyze_file(command.in, std::move(std::get<Request>(request)));
        const Tree& tree = analysis.tree();
        ReportInput input{analysis.file, analysis.loaded.format, command.in.overlays};
        if (command.format == "kernel-log") {
            if (!analysis.prediction) throw Error(analysis.no_prediction);
            for (const std::string& line : analysis.prediction->log) std::cout << terminal_safe(line, false) << '\n';
        } else if (command.format == "html") {
            write_map_html(std::cout, analysis);
        } else if (command.format == "svg") {
            write_map_svg(std::cout, analysis, {});
        } else if (command.format == "json") {
            write_map_json(std::cout, tree, analysis.map, input,
                                  analysis.prediction ? &*analysis.prediction : nullptr);
        } else {
            bool color = use_color(command.in.color);
            std::ostringstream text;  // escaped as a whole before it reaches the terminal
            write_map_text(text, tree, analysis.map, input, color);
            if (analysis.prediction) {
                write_prediction_text(text, tree, analysis.map, *analysis.prediction, color);
            } else {
                text << '\n' << analysis.no_prediction << '\n';
            }
            std::cout << terminal_safe(text.str(), color);
        }
    } catch (const Error& e) {
        std::cerr << format_error(name, e) << '\n';
        return kExitInput;
    }
    return flush_output();
}

}  // namespace dtmem::cli
