// SPDX-License-Identifier: MIT
// dtmem diff OLD NEW: what a tree change does to memory and which findings it brings or
// fixes. Both sides are analysed with the same settings (the new side's .dtmem.yaml or
// --config, under the command line); the exit status looks at the new findings only.
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"
#include "dtmem/report.hpp"

namespace dtmem::cli {

CLI::App* add_diff_command(CLI::App& app, DiffCommand& command) {
    CLI::App* sub = app.add_subcommand("diff", "What a device-tree change does to memory, for review");
    sub->add_option("old", command.before, "The tree before the change (DTB or DTS)")->required();
    sub->add_option("new", command.after, "The tree after the change (DTB or DTS)")->required();
    sub->add_option("--format", command.format, "Output format: text, json, markdown (a pull-request comment), html (both maps drawn "
                    "side by side) or svg (the drawing alone)")
        ->check(CLI::IsMember({"text", "json", "markdown", "html", "svg"}))
        ->capture_default_str();
    add_lint_level_options(sub, command.levels);
    add_input_options(sub, command.in);
    return sub;
}

int run_diff(const DiffCommand& command) {
    std::optional<Settings> loaded = load_settings(command.in, command.levels, command.after);
    if (!loaded) return kExitInput;
    const Settings& settings = *loaded;
    auto analyse = [&](const std::string& file) {
        try {
            return analyze_file(settings.in, std::get<Request>(make_request(settings.in, file)));
        } catch (const Error& e) {
            throw Error(format_error(file == "-" ? "<stdin>" : file, e));
        }
    };
    try {
        Analysis before = analyse(command.before);
        Analysis after = analyse(command.after);
        std::vector<Finding> before_findings = lint(before, settings.lint), after_findings = lint(after, settings.lint);
        MemoryDiff diff = diff_analyses(before, before_findings, after, after_findings);
        bool color = command.format == "text" && use_color(command.in.color);
        std::ostringstream out;
        if (command.format == "html" || command.format == "svg") {
            (command.format == "html" ? write_diff_html : write_diff_svg)(std::cout, before, after, diff, before_findings,
                                                                          after_findings);
        } else if (command.format == "json") {
            write_diff_json(out, before, after, diff);
        } else if (command.format == "markdown") {
            write_diff_markdown(out, before, after, diff);
        } else {
            write_diff_text(out, before, after, diff, color);
        }
        std::cout << terminal_safe(out.str(), color);
        bool failed = std::any_of(diff.introduced.begin(), diff.introduced.end(),
                                  [&](const Finding& f) { return f.severity >= settings.fail_on; });
        if (int status = flush_output()) return status;
        return failed && !command.levels.exit_zero ? kExitFindings : 0;
    } catch (const Error& e) {
        std::cerr << e.what() << '\n';
        return kExitInput;
    }
}

}  // namespace dtmem::cli
