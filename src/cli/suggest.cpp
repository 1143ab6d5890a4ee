// SPDX-License-Identifier: MIT
// dtmem suggest FILE: boot arguments and reserved-memory changes that fix the findings,
// each verified by the model; --apply prints only the new command line.
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/report.hpp"
#include "dtmem/suggest.hpp"

namespace dtmem::cli {

CLI::App* add_suggest_command(CLI::App& app, SuggestCommand& command) {
    CLI::App* sub = app.add_subcommand("suggest", "Boot arguments and tree changes that fix the findings, each verified");
    sub->add_option("file", command.file, "DTB or DTS file, or -")->required();
    sub->add_option("--format", command.format, "Output format: text, json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    sub->add_flag("--apply", command.apply,
                  "Print only the complete new command line (the existing arguments kept, replaced ones replaced)");
    add_lint_level_options(sub, command.levels);
    add_input_options(sub, command.in);
    return sub;
}

int run_suggest(const SuggestCommand& command) {
    std::string name = command.file == "-" ? "<stdin>" : command.file;
    std::optional<Settings> loaded = load_settings(command.in, command.levels, command.file);
    if (!loaded) return kExitInput;
    const Settings& settings = *loaded;
    try {
        Request request = std::get<Request>(make_request(settings.in, command.file));
        std::optional<Analysis> analysis;
        try {
            request.content = read_input(command.file);  // read once: every verification reuses it
            if (!settings.in.kernel_image.empty()) {
                request.boot.kernel_image_size = read_kernel_image_size(settings.in.kernel_image);
            }
            analysis.emplace(analyze(request));
        } catch (const Error& e) {
            std::cerr << format_error(name, e) << '\n';
            return kExitInput;
        }
        Suggestions suggestions = suggest(request, *analysis, settings.lint, settings.fail_on);
        if (command.apply) {
            if (!suggestions.bootargs) {
                std::cerr << fmt::format("dtmem: {}: no verified boot-argument change\n", name);
                return kExitFindings;
            }
            std::cout << *suggestions.bootargs << '\n';
            return flush_output();
        }
        std::ostringstream out;
        if (command.format == "json") {
            write_suggestions_json(out, *analysis, suggestions);
        } else {
            write_suggestions_text(out, *analysis, suggestions);
        }
        std::cout << terminal_safe(out.str(), false);
        if (int status = flush_output()) return status;
        return suggestions.remaining == 0 || command.levels.exit_zero ? 0 : kExitFindings;
    } catch (const Error& e) {
        std::cerr << "dtmem: error: " << e.what() << '\n';
        return kExitInput;
    }
}

}  // namespace dtmem::cli
