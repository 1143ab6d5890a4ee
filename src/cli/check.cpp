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
    CLI::App* sub = app.add_subcommand("check", "Compare a real board (boot log, /proc snapshot) with the prediction");
    sub->add_option("file", command.file,
                    "DTB or DTS file, or - (default: the snapshot's fdt, or /sys/firmware/fdt with --live)");
    CLI::Option* log = sub->add_option("--boot-log", command.boot_log, "The kernel's boot log: dmesg output or a serial capture");
    CLI::Option* snapshot = sub->add_option("--snapshot", command.snapshot, "A folder saved by tools/dtmem-collect on the board");
    CLI::Option* live = sub->add_flag("--live", command.live, "This running system: /proc, /sys/firmware/fdt, debugfs");
    log->excludes(snapshot)->excludes(live);
    snapshot->excludes(live);
    sub->add_option("--format", command.format, "Output format: text, json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    add_input_options(sub, command.in);
    return sub;
}

int run_check(const CheckCommand& command) {
    if (command.boot_log.empty() && command.snapshot.empty() && !command.live) {
        std::cerr << "dtmem: error: check: give --boot-log LOG, --snapshot DIR or --live\n";
        return kExitInput;
    }
    std::string file = !command.file.empty()     ? command.file
                       : !command.snapshot.empty() ? command.snapshot + "/fdt"
                       : command.live              ? "/sys/firmware/fdt"
                                                   : "";
    if (file.empty()) {
        std::cerr << "dtmem: error: check: give the tree (DTB or DTS) the board booted with\n";
        return kExitInput;
    }
    std::string name = file == "-" ? "<stdin>" : file;
    std::optional<Snapshot> snapshot;
    std::optional<BootLog> log;
    try {
        if (!command.boot_log.empty()) {
            std::vector<std::uint8_t> bytes = read_input(command.boot_log);
            log = read_boot_log(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        } else {
            snapshot = read_snapshot(command.live ? "/" : command.snapshot);
            if (snapshot->zones.empty()) throw Error("no zoneinfo: not a snapshot of /proc");
            if (snapshot->dmesg) log = read_boot_log(*snapshot->dmesg);
        }
    } catch (const Error& e) {
        std::cerr << format_error(!command.boot_log.empty() ? command.boot_log : command.live ? "/proc" : command.snapshot, e) << '\n';
        return kExitInput;
    }
    // The boot's own command line and kernel series unless the command line says otherwise.
    InputOptions in = command.in;
    std::optional<std::string> cmdline = snapshot && snapshot->cmdline ? snapshot->cmdline : log ? log->command_line : std::nullopt;
    if (!in.bootargs && cmdline) in.bootargs = cmdline;
    bool no_kernel = in.profile.kernel.empty() && in.profile.config_file.empty() && in.profile.profile_file.empty();
    if (no_kernel && log && log->version) in.profile.kernel = kernel_series(*log->version).value_or("");
    auto request = make_request(in, file);
    if (auto* error = std::get_if<std::string>(&request)) {
        std::cerr << *error << '\n';
        return kExitInput;
    }
    try {
        BootInputs given = std::get<Request>(request).boot;
        Analysis analysis = analyze_file(in, std::move(std::get<Request>(request)));
        if (!analysis.prediction) throw Error(analysis.no_prediction);
        bool color = command.format == "text" && use_color(in.color);
        bool json = command.format == "json";
        std::ostringstream state, boot;  // the /proc comparison, the boot log's
        bool disagree = false;
        if (snapshot) {
            SnapshotComparison comparison = compare_snapshot(analysis, *snapshot);
            for (const Observation& o : comparison.observations) disagree |= !o.agrees;
            if (json) write_snapshot_json(state, analysis, comparison);
            else write_snapshot_text(state, analysis, comparison, color);
        }
        if (log) {
            LogComparison comparison = compare_boot_log(analysis, *log, given);
            disagree |= !comparison.disagreements.empty();
            if (json) write_check_json(boot, analysis, *log, comparison);
            else write_check_text(boot, analysis, *log, comparison, color);
        }
        std::string text = !json ? state.str() + boot.str()
                           : !snapshot ? boot.str()
                                       : fmt::format("{{\"snapshot\": {}, \"boot_log\": {}}}\n", state.str(),
                                                     log ? boot.str() : "null");
        std::cout << terminal_safe(text, color);
        if (int status = flush_output()) return status;
        return disagree ? kExitFindings : 0;
    } catch (const Error& e) {
        std::cerr << format_error(name, e) << '\n';
        return kExitInput;
    }
}

}  // namespace dtmem::cli
