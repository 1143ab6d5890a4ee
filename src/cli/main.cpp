// SPDX-License-Identifier: MIT
// dtmem command line. Thin: parse options, call the library, print, choose the exit status.
// One table for every command:
//   0  clean (notes and warnings about the tree do not change it)
//   1  findings at or above the fail level (lint and the front ends built on it)
//   2  unusable input or bad usage
//   3  internal error (a bug in dtmem)
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <variant>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "dtmem/analysis.hpp"
#include "dtmem/config.hpp"
#include "dtmem/error.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/report.hpp"
#include "dtmem/rules.hpp"

namespace {

constexpr int kExitFindings = 1;
constexpr int kExitInput = 2;
constexpr int kExitInternal = 3;

// What every analysing command reads: the tree and the inputs the kernel model needs.
struct InputOptions {
    std::vector<std::string> include_dirs;
    std::vector<std::string> overlays;
    std::vector<std::string> memory;
    dtmem::ProfileRequest profile;
    std::optional<std::string> bootargs;
    std::string load;
    std::string firmware;
    std::vector<std::string> reserve;
    std::string kernel_image;
    std::string color = "auto";
};

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
    app->add_option("--bootargs", in.bootargs, "Kernel command line, replacing /chosen/bootargs");
    app->add_option("--load", in.load,
                    "Where the bootloader put things: kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE (any of them)");
    app->add_option("--kernel-image", in.kernel_image, "The kernel Image (arm64, riscv), for its image_size");
    app->add_option("--firmware", in.firmware,
                    "Firmware that edits the tree: none, opensbi, opensbi@ADDR (riscv64 default: opensbi)");
    app->add_option("--reserve", in.reserve,
                    "A region the bootloader reserves, BASE:SIZE[:NAME]; added to /reserved-memory; repeatable")
        ->allow_extra_args(false);
    app->add_option("--color", in.color, "Colour the text output")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
}

// The request for `file`, or the one-line usage error that stops the run.
std::variant<dtmem::Request, std::string> make_request(const InputOptions& in, const std::string& file) {
    dtmem::Request request;
    request.input = file;
    request.load.include_dirs = in.include_dirs;
    request.load.overlays = in.overlays;
    request.profile = in.profile;
    request.boot.bootargs = in.bootargs;
    for (const std::string& bank : in.memory) {
        auto range = dtmem::parse_memory_bank(bank);
        if (!range) {
            return fmt::format("dtmem: error: --memory {}: expected BASE:SIZE, e.g. 0x40000000:2G, "
                               "within the 64-bit address space", bank);
        }
        request.map.memory.push_back(*range);
    }
    if (!dtmem::parse_load(in.load, request.boot)) {
        return fmt::format("dtmem: error: --load {}: expected kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE", in.load);
    }
    for (const std::string& text : in.reserve) {
        auto reservation = dtmem::parse_reservation(text);
        if (!reservation) return fmt::format("dtmem: error: --reserve {}: expected BASE:SIZE[:NAME]", text);
        request.load.reservations.push_back(*reservation);
    }
    if (!in.firmware.empty()) request.firmware = in.firmware;
    return request;
}

// Analyses `file`; a dtmem::Error (unusable input) propagates.
dtmem::Analysis analyze_file(const InputOptions& in, dtmem::Request request) {
    if (!in.kernel_image.empty()) request.boot.kernel_image_size = dtmem::read_kernel_image_size(in.kernel_image);
    return dtmem::analyze(std::move(request));
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

struct MapCommand {
    std::string file;
    std::string format = "text";
    InputOptions in;
};

int run_map(const MapCommand& command) {
    auto request = make_request(command.in, command.file);
    if (auto* error = std::get_if<std::string>(&request)) {
        std::cerr << *error << '\n';
        return kExitInput;
    }
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    try {
        dtmem::Analysis analysis = analyze_file(command.in, std::move(std::get<dtmem::Request>(request)));
        const dtmem::Tree& tree = analysis.tree();
        dtmem::ReportInput input{analysis.file, analysis.loaded.format, command.in.overlays};
        if (command.format == "kernel-log") {
            if (!analysis.prediction) throw dtmem::Error(analysis.no_prediction);
            for (const std::string& line : analysis.prediction->log) std::cout << dtmem::terminal_safe(line, false) << '\n';
        } else if (command.format == "json") {
            dtmem::write_map_json(std::cout, tree, analysis.map, input,
                                  analysis.prediction ? &*analysis.prediction : nullptr);
        } else {
            bool color = use_color(command.in.color);
            std::ostringstream text;  // escaped as a whole before it reaches the terminal
            dtmem::write_map_text(text, tree, analysis.map, input, color);
            if (analysis.prediction) {
                dtmem::write_prediction_text(text, tree, analysis.map, *analysis.prediction, color);
            } else {
                text << '\n' << analysis.no_prediction << '\n';
            }
            std::cout << dtmem::terminal_safe(text.str(), color);
        }
    } catch (const dtmem::Error& e) {
        std::cerr << dtmem::format_error(name, e) << '\n';
        return kExitInput;
    }
    return flush_output();
}

struct LintCommand {
    std::vector<std::string> files;
    std::string format = "text";
    std::optional<std::string> fail_on;
    std::string config;
    bool dump_config = false;
    bool exit_zero = false;
    std::vector<std::string> enable, disable, severity;
    unsigned jobs = 0;
    InputOptions in;
};

// The DTBs and DTS files of the arguments, directories searched recursively (sorted).
std::vector<std::string> expand_inputs(const std::vector<std::string>& arguments) {
    std::vector<std::string> files;
    for (const std::string& argument : arguments) {
        std::error_code error;
        if (!std::filesystem::is_directory(argument, error)) {
            files.push_back(argument);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(argument, error)) {
            std::string extension = entry.path().extension().string();
            if (entry.is_regular_file() && (extension == ".dtb" || extension == ".dts")) found.push_back(entry.path().string());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

// --enable/--disable/--severity into lint options; the offending argument on error.
std::optional<std::string> read_rule_levels(const LintCommand& command, dtmem::LintOptions& options) {
    auto known = [](const std::string& id) { return dtmem::find_rule(id) != nullptr; };
    for (const std::string& id : command.enable) {
        if (!known(id)) return "--enable " + id + ": no such rule (dtmem rules lists them)";
        options.enabled[id] = true;
    }
    for (const std::string& id : command.disable) {
        if (!known(id)) return "--disable " + id + ": no such rule (dtmem rules lists them)";
        options.enabled[id] = false;
    }
    for (const std::string& text : command.severity) {
        std::size_t equals = text.find('=');
        std::string id = text.substr(0, equals);
        auto level = equals == std::string::npos ? std::nullopt : dtmem::parse_severity(text.substr(equals + 1));
        if (!known(id) || !level) return "--severity " + text + ": expected RULE=error|warning|note";
        options.severity[id] = *level;
    }
    return std::nullopt;
}

std::string find_config_or_none(const std::string& input) {
    return dtmem::find_config(input).value_or("");
}

// One input's lint result: its rendered output, or the line that says it could not be read.
// "dtmem lint: N/M files" on a terminal's stderr while a run of many inputs takes long;
// erased before the findings are printed.
class Progress {
public:
    explicit Progress(std::size_t total)
        : total_(total), shown_(total > 1 && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}
    void update(std::size_t done) {
        if (!shown_) return;
        auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        drawn_ = true;
        std::cerr << fmt::format("\rdtmem lint: {}/{} files", done, total_) << std::flush;
    }
    void clear() {
        if (drawn_) std::cerr << "\r\x1b[K" << std::flush;
    }

private:
    std::size_t total_;
    bool shown_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_;
    std::mutex mutex_;
};

struct LintResult {
    std::string output;
    std::string error;
    std::array<int, 3> counts{};  // note, warning, error
    bool failed = false;          // a finding at or above the input's fail level
};

// What one input is linted with: its .dtmem.yaml (or --config) under the command line.
struct Settings {
    InputOptions in;
    dtmem::LintOptions lint;
    dtmem::Severity fail_on = dtmem::Severity::Error;
};

// The command line wins over the config file, setting by setting.
std::variant<Settings, std::string> settings_for(const LintCommand& command, const dtmem::Config& config) {
    Settings s{command.in, config.lint, config.fail_on.value_or(dtmem::Severity::Error)};
    InputOptions& in = s.in;
    if (in.include_dirs.empty()) in.include_dirs = config.include;
    if (in.memory.empty()) in.memory = config.memory;
    if (in.reserve.empty()) in.reserve = config.reserve;
    if (in.profile.kernel.empty() && in.profile.config_file.empty() && in.profile.profile_file.empty()) {
        in.profile.kernel = config.kernel.value_or("");
        in.profile.config_file = config.kernel_config.value_or("");
    }
    if (in.profile.arch.empty()) in.profile.arch = config.arch.value_or("");
    if (!in.bootargs) in.bootargs = config.bootargs;
    if (in.load.empty()) in.load = config.load.value_or("");
    if (in.firmware.empty()) in.firmware = config.firmware.value_or("");
    if (auto error = read_rule_levels(command, s.lint)) return "dtmem: error: " + *error;
    if (command.fail_on) s.fail_on = *dtmem::parse_severity(*command.fail_on);
    auto usable = make_request(in, "-");  // the options alone; each file is read later
    if (auto* error = std::get_if<std::string>(&usable)) {
        return config.path.empty() ? *error : *error + " (settings from " + config.path + ")";
    }
    return s;
}

LintResult lint_one(const LintCommand& command, const Settings& settings, const std::string& file, bool color) {
    LintResult result;
    auto request = make_request(settings.in, file);
    dtmem::Analysis analysis = analyze_file(settings.in, std::move(std::get<dtmem::Request>(request)));
    std::vector<dtmem::Finding> findings = dtmem::lint(analysis, settings.lint);
    for (const dtmem::Finding& f : findings) {
        ++result.counts[static_cast<int>(f.severity)];
        result.failed |= f.severity >= settings.fail_on;
    }
    std::ostringstream out;
    if (command.format == "sarif") {
        result.output = dtmem::sarif_results(analysis, findings);
        return result;
    }
    if (command.format == "json") {
        dtmem::write_findings_json(out, analysis, findings);
    } else if (command.format == "github") {
        dtmem::write_findings_github(out, analysis, findings);
    } else if (command.format == "gcc") {
        dtmem::write_findings_gcc(out, analysis, findings);
    } else {
        dtmem::write_findings_text(out, analysis, findings, color);
    }
    result.output = dtmem::terminal_safe(out.str(), color);
    return result;
}

int run_lint(const LintCommand& command) {
    if (command.files.empty() && !command.dump_config) {
        std::cerr << "dtmem: error: lint: give the DTB or DTS files (or directories) to lint\n";
        return kExitInput;
    }
    std::vector<std::string> files = expand_inputs(command.files);
    // Each input's settings: --config, else the nearest .dtmem.yaml, each file read once.
    std::map<std::string, Settings> settings;  // by config path ("" = none)
    std::vector<std::string> config_of(files.size());
    for (std::size_t i = 0; i <= files.size(); ++i) {
        std::string where = i < files.size() ? files[i] : ".";  // "." : --dump-config without inputs
        std::string path = !command.config.empty() ? command.config : find_config_or_none(where);
        if (i < files.size()) config_of[i] = path;
        if (settings.count(path)) continue;
        try {
            dtmem::Config config = path.empty() ? dtmem::Config{} : dtmem::load_config(path);
            auto merged = settings_for(command, config);
            if (auto* error = std::get_if<std::string>(&merged)) {
                std::cerr << *error << '\n';
                return kExitInput;
            }
            settings.emplace(path, std::get<Settings>(merged));
            if (command.dump_config) {  // the settings as merged, in the file's form
                const Settings& used = settings.at(path);
                auto text = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional(v); };
                config.kernel = text(used.in.profile.kernel);
                config.arch = text(used.in.profile.arch);
                config.kernel_config = text(used.in.profile.config_file);
                config.bootargs = used.in.bootargs;
                config.load = text(used.in.load);
                config.firmware = text(used.in.firmware);
                config.memory = used.in.memory;
                config.reserve = used.in.reserve;
                config.include = used.in.include_dirs;
                config.fail_on = used.fail_on;
                config.lint = used.lint;
                std::cout << dtmem::dump_config(config);
                return flush_output();
            }
        } catch (const dtmem::Error& e) {
            std::cerr << "dtmem: error: " << e.what() << '\n';
            return kExitInput;
        }
    }
    bool color = command.format == "text" && use_color(command.in.color);

    std::vector<LintResult> results(files.size());
    std::atomic<std::size_t> next{0}, done{0};
    Progress progress(files.size());
    auto worker = [&] {
        for (std::size_t i; (i = next++) < files.size();) {
            try {
                results[i] = lint_one(command, settings.at(config_of[i]), files[i], color);
            } catch (const dtmem::Error& e) {
                results[i].error = dtmem::format_error(files[i] == "-" ? "<stdin>" : files[i], e);
            }
            progress.update(++done);
        }
    };
    unsigned jobs = command.jobs ? command.jobs : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned j = 1; j < std::min<std::size_t>(jobs, files.size()); ++j) threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads) t.join();
    progress.clear();

    std::array<int, 3> totals{};
    int unreadable = 0;
    bool failed = false;
    bool json = command.format == "json";
    bool first = true;
    std::vector<std::string> sarif;
    if (json) std::cout << "{\"files\": [";
    for (std::size_t i = 0; i < results.size(); ++i) {
        const LintResult& r = results[i];
        if (!r.error.empty()) {
            std::cerr << r.error << '\n';
            ++unreadable;
            continue;
        }
        for (int s = 0; s < 3; ++s) totals[s] += r.counts[s];
        failed |= r.failed;
        if (command.format == "sarif") {
            sarif.push_back(r.output);
            continue;
        }
        if (json) std::cout << (first ? "\n" : ",\n");
        first = false;
        std::cout << r.output;
    }
    std::string summary = fmt::format("{} file{}: {} error{}, {} warning{}, {} note{}{}", files.size(),
                                      files.size() == 1 ? "" : "s", totals[2], totals[2] == 1 ? "" : "s", totals[1],
                                      totals[1] == 1 ? "" : "s", totals[0], totals[0] == 1 ? "" : "s",
                                      unreadable ? fmt::format("; {} could not be read", unreadable) : "");
    if (json) {
        std::cout << fmt::format("\n], \"summary\": {{\"files\": {}, \"errors\": {}, \"warnings\": {}, \"notes\": {}, "
                                 "\"unreadable\": {}}}}}\n",
                                 files.size(), totals[2], totals[1], totals[0], unreadable);
    } else if (command.format == "sarif") {
        dtmem::write_sarif(std::cout, sarif);
        std::cerr << summary << '\n';
    } else if (command.format == "text" || files.size() > 1) {
        std::cerr << summary << '\n';
    }
    if (int status = flush_output()) return status;
    if (unreadable) return kExitInput;
    return failed && !command.exit_zero ? kExitFindings : 0;
}

int run_rules(bool markdown) {
    if (markdown) {  // docs/rules.md
        std::cout << "# dtmem lint rules\n\nGenerated by `dtmem rules --markdown` from rules/lint.yaml; "
                     "`dtmem explain RULE` prints the same.\n\n| rule | default | summary |\n|---|---|---|\n";
        for (const dtmem::RuleInfo& rule : dtmem::rule_catalogue()) {
            std::cout << fmt::format("| [`{0}`](#{0}) | {1} | {2} |\n", rule.id, dtmem::severity_name(rule.severity),
                                     rule.summary);
        }
        for (const dtmem::RuleInfo& rule : dtmem::rule_catalogue()) {
            std::cout << fmt::format("\n## {}\n\n{} (default: {})\n\n**Why.** {}\n\n**Fix.** {}\n\n**Kernel.** {}\n",
                                     rule.id, rule.summary, dtmem::severity_name(rule.severity), rule.rationale, rule.fix,
                                     rule.kernel);
            for (const dtmem::RuleOption& o : rule.options) {
                std::cout << fmt::format("\n**Option `{}`** (default {}, in .dtmem.yaml `rules: {{{}: {{{}: N}}}}`): {}\n",
                                         o.name, o.default_value, rule.id, o.name, o.help);
            }
        }
        return flush_output();
    }
    for (const dtmem::RuleInfo& rule : dtmem::rule_catalogue()) {
        std::cout << fmt::format("{:<32} {:<8} {}\n", rule.id, dtmem::severity_name(rule.severity), rule.summary);
    }
    return flush_output();
}

int run_explain(const std::string& id) {
    const dtmem::RuleInfo* rule = dtmem::find_rule(id);
    if (!rule) {
        std::cerr << "dtmem: error: " << id << ": no such rule (dtmem rules lists them)\n";
        return kExitInput;
    }
    std::cout << fmt::format("{} ({} by default)\n  {}\n\nWhy: {}\n\nFix: {}\n\nKernel: {}\n", rule->id,
                             dtmem::severity_name(rule->severity), rule->summary, rule->rationale, rule->fix, rule->kernel);
    for (const dtmem::RuleOption& o : rule->options) {
        std::cout << fmt::format("\nOption {} (default {}): {}\n", o.name, o.default_value, o.help);
    }
    return flush_output();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dtmem: device-tree memory-map analyzer and linter for embedded Linux", "dtmem"};
    app.set_version_flag("--version", std::string("dtmem ") + DTMEM_VERSION);
    app.require_subcommand(1);

    MapCommand map;
    CLI::App* map_app = app.add_subcommand("map", "Print the physical memory map a device tree describes");
    map_app->add_option("file", map.file, "DTB or DTS file, or - for standard input (e.g. /sys/firmware/fdt)")
        ->required();
    map_app->add_option("--format", map.format, "Output format: text, json, or the lines the kernel would print")
        ->check(CLI::IsMember({"text", "json", "kernel-log"}))
        ->capture_default_str();
    add_input_options(map_app, map.in);

    LintCommand lint;
    CLI::App* lint_app = app.add_subcommand("lint", "Report what is wrong with the memory of one or more device trees");
    lint_app->add_option("files", lint.files, "DTB or DTS files, directories (searched for them), or -");
    lint_app->add_option("--format", lint.format,
                         "Output format: text (people), gcc (editors, CI logs), json, sarif (code scanning), "
                         "github (workflow annotations)")
        ->check(CLI::IsMember({"text", "gcc", "json", "sarif", "github"}))
        ->capture_default_str();
    lint_app->add_option("--fail-on", lint.fail_on,
                         "Exit 1 when a finding is at or above: error (default), warning, note")
        ->check(CLI::IsMember({"error", "warning", "note", "info"}));
    lint_app->add_option("--config", lint.config,
                         "Settings file for every input (default: the nearest .dtmem.yaml above each input)");
    lint_app->add_flag("--dump-config", lint.dump_config,
                       "Print the settings the first input is linted with, as .dtmem.yaml, and exit");
    lint_app->add_flag("--exit-zero", lint.exit_zero, "Exit 0 even with findings (input errors still exit 2)");
    lint_app->add_option("--enable", lint.enable, "Run this rule (all run by default); repeatable")->allow_extra_args(false);
    lint_app->add_option("--disable", lint.disable, "Do not run this rule; repeatable")->allow_extra_args(false);
    lint_app->add_option("--severity", lint.severity, "RULE=error|warning|note: report the rule at this level; repeatable")->allow_extra_args(false);
    lint_app->add_option("-j,--jobs", lint.jobs, "Files analysed in parallel (default: the number of cores)");
    add_input_options(lint_app, lint.in);

    bool rules_markdown = false;
    CLI::App* rules_app = app.add_subcommand("rules", "List the lint rules: id, default severity, summary");
    rules_app->add_flag("--markdown", rules_markdown, "The whole catalogue as Markdown (docs/rules.md)");
    std::string explain_id;
    CLI::App* explain_app = app.add_subcommand("explain", "Explain a rule: why it matters, how to fix it, the kernel code");
    explain_app->add_option("rule", explain_id, "Rule id (dtmem rules lists them)")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : kExitInput;
    }
    try {
        if (*map_app) return run_map(map);
        if (*lint_app) return run_lint(lint);
        if (*rules_app) return run_rules(rules_markdown);
        if (*explain_app) return run_explain(explain_id);
    } catch (const std::exception& e) {
        std::cerr << "dtmem: internal error: " << e.what() << '\n';
        return kExitInternal;
    }
    return kExitInternal;
}
