// SPDX-License-Identifier: MIT
// The inputs and lint settings every analysing command shares.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/rules.hpp"

namespace dtmem::cli {

void add_input_options(CLI::App* app, InputOptions& in) {
    app->add_option("-I,--include", in.include_dirs, "Include directory for cpp and dtc (DTS input)")->allow_extra_args(false);
    app->add_option("--overlay", in.overlays, "Apply this overlay (.dtbo or overlay DTS) first; repeatable")->allow_extra_args(false);
    app->add_option("--memory", in.memory,
                    "RAM bank BASE:SIZE (e.g. 0x40000000:2G) replacing the tree's memory nodes; repeatable")
        ->allow_extra_args(false);
    app->add_option("--kernel", in.profile.kernel,
                    "Kernel profile (arm64-6.12, arm-6.1-lpae, …) or version (6.1, 6.6, 6.12) to predict for");
    app->add_option("--arch", in.profile.arch, "Architecture: arm64, arm, riscv64 (default: from the tree's CPUs)");
    app->add_option("--kernel-config", in.profile.config_file, "Predict for the kernel built with this .config")
        ->excludes("--kernel");
    app->add_option("--profile-file", in.profile.profile_file,
                    "Predict with this kernel profile (YAML of the form of rules/profiles/*.yaml)")
        ->excludes("--kernel")
        ->excludes("--kernel-config");
    app->add_option("--vmlinux", in.profile.vmlinux,
                    "The built kernel's vmlinux (with DWARF), for the struct, image and per-CPU sizes of that build");
    app->add_option("--bootargs", in.bootargs, "Kernel command line, replacing /chosen/bootargs");
    app->add_option("--load", in.load,
                    "Where the bootloader put things: kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE (any of them)");
    app->add_option("--kernel-image", in.kernel_image, "The kernel Image (arm64, riscv), for its image_size");
    app->add_option("--cpus", in.cpus,
                    "Possible CPUs (nr_cpu_ids), replacing the count of the tree's /cpus nodes: the per-CPU "
                    "first chunk and the swiotlb areas grow with it")
        ->check(CLI::Range(u64{1}, u64{1} << 16));
    app->add_option("--firmware", in.firmware,
                    "Firmware that edits the tree: none, opensbi, opensbi@ADDR (riscv64 default: opensbi)");
    app->add_option("--reserve", in.reserve,
                    "A region the bootloader reserves, BASE:SIZE[:NAME]; added to /reserved-memory; repeatable")
        ->allow_extra_args(false);
    app->add_option("--color", in.color, "Colour the text output")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
}

std::variant<Request, std::string> make_request(const InputOptions& in, const std::string& file) {
    Request request;
    request.input = file;
    request.load.include_dirs = in.include_dirs;
    request.load.overlays = in.overlays;
    request.profile = in.profile;
    request.boot.bootargs = in.bootargs;
    request.boot.cpus = in.cpus;
    for (const std::string& bank : in.memory) {
        auto range = parse_memory_bank(bank);
        if (!range) {
            return fmt::format("dtmem: error: --memory {}: expected BASE:SIZE, e.g. 0x40000000:2G, "
                               "within the 64-bit address space", bank);
        }
        request.map.memory.push_back(*range);
    }
    if (!parse_load(in.load, request.boot)) {
        return fmt::format("dtmem: error: --load {}: expected kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE", in.load);
    }
    for (const std::string& text : in.reserve) {
        auto reservation = parse_reservation(text);
        if (!reservation) return fmt::format("dtmem: error: --reserve {}: expected BASE:SIZE[:NAME]", text);
        request.load.reservations.push_back(*reservation);
    }
    if (!in.firmware.empty()) request.firmware = in.firmware;
    return request;
}

Analysis analyze_file(const InputOptions& in, Request request) {
    if (!in.kernel_image.empty()) request.boot.kernel_image_size = read_kernel_image_size(in.kernel_image);
    return analyze(std::move(request));
}

bool use_color(const std::string& mode) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

int flush_output() {
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "dtmem: error: cannot write the output\n";
        return kExitInternal;
    }
    return 0;
}

namespace {

// --enable/--disable/--severity into lint options; the offending argument on error.
std::optional<std::string> read_rule_levels(const LintLevels& levels, LintOptions& options) {
    auto known = [](const std::string& id) { return find_rule(id) != nullptr; };
    for (const std::string& id : levels.enable) {
        if (!known(id)) return "--enable " + id + ": no such rule (dtmem rules lists them)";
        options.enabled[id] = true;
    }
    for (const std::string& id : levels.disable) {
        if (!known(id)) return "--disable " + id + ": no such rule (dtmem rules lists them)";
        options.enabled[id] = false;
    }
    for (const std::string& text : levels.severity) {
        std::size_t equals = text.find('=');
        std::string id = text.substr(0, equals);
        auto level = equals == std::string::npos ? std::nullopt : parse_severity(text.substr(equals + 1));
        if (!known(id) || !level) return "--severity " + text + ": expected RULE=error|warning|note";
        options.severity[id] = *level;
    }
    return std::nullopt;
}

}  // namespace

void add_lint_level_options(CLI::App* app, LintLevels& levels) {
    app->add_option("--fail-on", levels.fail_on, "Exit 1 when a finding is at or above: error (default), warning, note")
        ->check(CLI::IsMember({"error", "warning", "note", "info"}));
    app->add_option("--config", levels.config,
                    "Settings file for every input (default: the nearest .dtmem.yaml above each input)");
    app->add_flag("--exit-zero", levels.exit_zero, "Exit 0 even with findings (input errors still exit 2)");
    app->add_option("--enable", levels.enable, "Run this rule (all run by default); repeatable")->allow_extra_args(false);
    app->add_option("--disable", levels.disable, "Do not run this rule; repeatable")->allow_extra_args(false);
    app->add_option("--severity", levels.severity, "RULE=error|warning|note: report the rule at this level; repeatable")
        ->allow_extra_args(false);
}

std::string config_path_for(const LintLevels& levels, const std::string& input) {
    return !levels.config.empty() ? levels.config : find_config(input).value_or("");
}

// The command line wins over the config file, setting by setting.
std::variant<Settings, std::string> settings_for(const InputOptions& given, const LintLevels& levels, const Config& config) {
    Settings s{given, config.lint, config.fail_on.value_or(Severity::Error)};
    InputOptions& in = s.in;
    if (in.include_dirs.empty()) in.include_dirs = config.include;
    if (in.memory.empty()) in.memory = config.memory;
    if (in.reserve.empty()) in.reserve = config.reserve;
    if (in.profile.kernel.empty() && in.profile.config_file.empty() && in.profile.profile_file.empty()) {
        in.profile.kernel = config.kernel.value_or("");
        in.profile.config_file = config.kernel_config.value_or("");
        in.profile.profile_file = config.profile_file.value_or("");
    }
    if (in.profile.vmlinux.empty()) in.profile.vmlinux = config.vmlinux.value_or("");
    if (in.profile.arch.empty()) in.profile.arch = config.arch.value_or("");
    if (!in.bootargs) in.bootargs = config.bootargs;
    if (in.load.empty()) in.load = config.load.value_or("");
    if (in.firmware.empty()) in.firmware = config.firmware.value_or("");
    if (!in.cpus && config.cpus) in.cpus = *config.cpus;
    if (auto error = read_rule_levels(levels, s.lint)) return "dtmem: error: " + *error;
    if (levels.fail_on) s.fail_on = *parse_severity(*levels.fail_on);
    auto usable = make_request(in, "-");  // the options alone; each file is read later
    if (auto* error = std::get_if<std::string>(&usable)) {
        return config.path.empty() ? *error : *error + " (settings from " + config.path + ")";
    }
    return s;
}

std::optional<Settings> load_settings(const InputOptions& in, const LintLevels& levels, const std::string& input) {
    try {
        std::string path = config_path_for(levels, input);
        auto merged = settings_for(in, levels, path.empty() ? Config{} : load_config(path));
        if (auto* error = std::get_if<std::string>(&merged)) {
            std::cerr << *error << '\n';
            return std::nullopt;
        }
        return std::get<Settings>(std::move(merged));
    } catch (const Error& e) {
        std::cerr << "dtmem: error: " << e.what() << '\n';
        return std::nullopt;
    }
}

}  // namespace dtmem::cli
