// SPDX-License-Identifier: MIT
// dtmem lint, rules and explain.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"
#include "dtmem/report.hpp"
#include "dtmem/rules.hpp"

namespace dtmem::cli {
namespace {

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

LintResult lint_one(const LintCommand& command, const Settings& settings, const std::string& file, bool color) {
    LintResult result;
    auto request = make_request(settings.in, file);
    Analysis analysis = analyze_file(settings.in, std::move(std::get<Request>(request)));
    std::vector<Finding> findings = lint(analysis, settings.lint);
    for (const Finding& f : findings) {
        ++result.counts[static_cast<int>(f.severity)];
        result.failed |= f.severity >= settings.fail_on;
    }
    std::ostringstream out;
    if (command.format == "sarif") {
        result.output = sarif_results(analysis, findings);
        return result;
    }
    if (command.format == "html" || command.format == "svg") {
        (command.format == "html" ? write_findings_html : write_map_svg)(out, analysis, findings);
        result.output = out.str();  // escaped for XML by the writer
        return result;
    }
    if (command.format == "json") {
        write_findings_json(out, analysis, findings);
    } else if (command.format == "github") {
        write_findings_github(out, analysis, findings);
    } else if (command.format == "gcc") {
        write_findings_gcc(out, analysis, findings);
    } else {
        write_findings_text(out, analysis, findings, color);
    }
    result.output = terminal_safe(out.str(), color);
    return result;
}

}  // namespace

CLI::App* add_lint_command(CLI::App& app, LintCommand& command) {
    CLI::App* sub = app.add_subcommand("lint", "Report what is wrong with the memory of one or more device trees");
    sub->add_option("files", command.files, "DTB or DTS files, directories (searched for them), or -");
    sub->add_option("--format", command.format,
                    "Output format: text (people), gcc (editors, CI logs), json, sarif (code scanning), "
                    "github (workflow annotations), html (the map drawn with the findings; one input), "
                    "svg (the drawing alone; one input)")
        ->check(CLI::IsMember({"text", "gcc", "json", "sarif", "github", "html", "svg"}))
        ->capture_default_str();
    sub->add_flag("--dump-config", command.dump_config,
                  "Print the settings the first input is linted with, as .dtmem.yaml, and exit");
    sub->add_option("-j,--jobs", command.jobs, "Files analysed in parallel (default: the number of cores)");
    add_lint_level_options(sub, command.levels);
    add_input_options(sub, command.in);
    return sub;
}

int run_lint(const LintCommand& command) {
    if (command.files.empty() && !command.dump_config) {
        std::cerr << "dtmem: error: lint: give the DTB or DTS files (or directories) to lint\n";
        return kExitInput;
    }
    std::vector<std::string> files = expand_inputs(command.files);
    if ((command.format == "html" || command.format == "svg") && files.size() != 1) {
        std::cerr << fmt::format("dtmem: error: lint: --format {} draws one tree; {} inputs given\n", command.format,
                                 files.size());
        return kExitInput;
    }
    // Each input's settings: --config, else the nearest .dtmem.yaml, each file read once.
    std::map<std::string, Settings> settings;  // by config path ("" = none)
    std::vector<std::string> config_of(files.size());
    for (std::size_t i = 0; i <= files.size(); ++i) {
        std::string where = i < files.size() ? files[i] : ".";  // "." : --dump-config without inputs
        std::string path = config_path_for(command.levels, where);
        if (i < files.size()) config_of[i] = path;
        if (settings.count(path)) continue;
        try {
            Config config = path.empty() ? Config{} : load_config(path);
            auto merged = settings_for(command.in, command.levels, config);
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
                config.profile_file = text(used.in.profile.profile_file);
                config.vmlinux = text(used.in.profile.vmlinux);
                config.bootargs = used.in.bootargs;
                config.load = text(used.in.load);
                config.firmware = text(used.in.firmware);
                config.memory = used.in.memory;
                config.reserve = used.in.reserve;
                config.include = used.in.include_dirs;
                config.fail_on = used.fail_on;
                config.lint = used.lint;
                std::cout << dump_config(config);
                return flush_output();
            }
        } catch (const Error& e) {
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
            } catch (const Error& e) {
                results[i].error = format_error(files[i] == "-" ? "<stdin>" : files[i], e);
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
        write_sarif(std::cout, sarif);
        std::cerr << summary << '\n';
    } else if (command.format == "text" || files.size() > 1) {
        std::cerr << summary << '\n';
    }
    if (int status = flush_output()) return status;
    if (unreadable) return kExitInput;
    return failed && !command.levels.exit_zero ? kExitFindings : 0;
}

int run_rules(bool markdown) {
    if (markdown) {  // docs/rules.md
        std::cout << "# dtmem lint rules\n\nGenerated by `dtmem rules --markdown` from rules/lint.yaml; "
                     "`dtmem explain RULE` prints the same.\n\n| rule | default | summary |\n|---|---|---|\n";
        for (const RuleInfo& rule : rule_catalogue()) {
            std::cout << fmt::format("| [`{0}`](#{0}) | {1} | {2} |\n", rule.id, severity_name(rule.severity),
                                     rule.summary);
        }
        for (const RuleInfo& rule : rule_catalogue()) {
            std::cout << fmt::format("\n## {}\n\n{} (default: {})\n\n**Why.** {}\n\n**Fix.** {}\n\n**Kernel.** {}\n",
                                     rule.id, rule.summary, severity_name(rule.severity), rule.rationale, rule.fix,
                                     rule.kernel);
            for (const RuleOption& o : rule.options) {
                std::cout << fmt::format("\n**Option `{}`** (default {}, in .dtmem.yaml `rules: {{{}: {{{}: N}}}}`): {}\n",
                                         o.name, o.default_value, rule.id, o.name, o.help);
            }
        }
        return flush_output();
    }
    for (const RuleInfo& rule : rule_catalogue()) {
        std::cout << fmt::format("{:<32} {:<8} {}\n", rule.id, severity_name(rule.severity), rule.summary);
    }
    return flush_output();
}

int run_explain(const std::string& id) {
    const RuleInfo* rule = find_rule(id);
    if (!rule) {
        std::cerr << "dtmem: error: " << id << ": no such rule (dtmem rules lists them)\n";
        return kExitInput;
    }
    std::cout << fmt::format("{} ({} by default)\n  {}\n\nWhy: {}\n\nFix: {}\n\nKernel: {}\n", rule->id,
                             severity_name(rule->severity), rule->summary, rule->rationale, rule->fix, rule->kernel);
    for (const RuleOption& o : rule->options) {
        std::cout << fmt::format("\nOption {} (default {}): {}\n", o.name, o.default_value, o.help);
    }
    return flush_output();
}

}  // namespace dtmem::cli
