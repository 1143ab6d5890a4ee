// SPDX-License-Identifier: MIT
// dtmem check FILE --boot-log LOG: what the kernel printed against what dtmem predicts for
// the same tree, command line (the log's, unless --bootargs) and kernel series (the log's,
// unless --kernel).
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "dtmem/check.hpp"
#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/report.hpp"

namespace dtmem::cli {

CLI::App* add_check_command(CLI::App& app, CheckCommand& command) {
    CLI::App* sub = app.add_subcommand("check", "Compare a real boot with the prediction for the same tree");
    sub->add_option("file", command.file, "DTB or DTS file, or - (e.g. /sys/firmware/fdt)")->required();
    sub->add_option("--boot-log", command.boot_log, "The kernel's boot log: dmesg output or a serial capture")->required();
    sub->add_option("--format", command.format, "Output format: text, json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    add_input_options(sub, command.in);
    return sub;
}

int run_check(const CheckCommand& command) {
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    BootLog log;
    try {
        std::vector<std::uint8_t> bytes = read_input(command.boot_log);
        log = read_boot_log(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const Error& e) {
        std::cerr << format_error(command.boot_log, e) << '\n';
        return kExitInput;
    }
    InputOptions in = command.in;
    if (!in.bootargs && log.command_line) in.bootargs = log.command_line;
    bool no_kernel = in.profile.kernel.empty() && in.profile.config_file.empty() && in.profile.profile_file.empty();
    if (no_kernel && log.version) in.profile.kernel = kernel_series(*log.version).value_or("");
    auto request = make_request(in, command.file);
    if (auto* error = std::get_if<std::string>(&request)) {
        std::cerr << *error << '\n';
        return kExitInput;
    }
    try {
        Analysis analysis = analyze_file(in, std::move(std::get<Request>(request)));
        if (!analysis.prediction) throw Error(analysis.no_prediction);
        LogComparison comparison = compare_boot_log(analysis, log);
        bool color = command.format == "text" && use_color(in.color);
        std::ostringstream out;
        if (command.format == "json") {
            write_check_json(out, analysis, log, comparison);
        } else {
            write_check_text(out, analysis, log, comparison, color);
        }
        std::cout << terminal_safe(out.str(), color);
        if (int status = flush_output()) return status;
        return comparison.disagreements.empty() ? 0 : kExitFindings;
    } catch (const Error& e) {
        std::cerr << format_error(name, e) << '\n';
        return kExitInput;
    }
}

}  // namespace dtmem::cli
