// SPDX-License-Identifier: MIT
// dtmem command line: the subcommands, each in its own file over the library, and the
// exit statuses they share (cli.hpp).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
    using namespace dtmem::cli;
    CLI::App app{"dtmem: device-tree memory-map analyzer and linter for embedded Linux", "dtmem"};
    app.set_version_flag("--version", std::string("dtmem ") + DTMEM_VERSION);
    app.require_subcommand(1);

    MapCommand map;
    CLI::App* map_app = add_map_command(app, map);
    LintCommand lint;
    CLI::App* lint_app = add_lint_command(app, lint);
    DiffCommand diff;
    CLI::App* diff_app = add_diff_command(app, diff);
    SuggestCommand suggest;
    CLI::App* suggest_app = add_suggest_command(app, suggest);
    CheckCommand check;
    CLI::App* check_app = add_check_command(app, check);
    ProfileCommand profile;
    CLI::App* profile_app = add_profile_command(app, profile);
    bool rules_markdown = false;
    CLI::App* rules_app = app.add_subcommand("rules", "List the lint rules: id, default severity, summary");
    rules_app->add_flag("--markdown", rules_markdown, "The whole catalogue as Markdown (docs/rules.md)");
    std::string explain_id;
    CLI::App* explain_app = app.add_subcommand("explain", "Explain a rule: why it matters, how to fix it, the kernel code");
    explain_app->add_option("rule", explain_id, "Rule id (dtmem rules lists them)")->required();
    std::string generate_what;
    CLI::App* generate_app = add_generate_command(app, generate_what);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : kExitInput;
    }
    try {
        if (*map_app) return run_map(map);
        if (*lint_app) return run_lint(lint);
        if (*diff_app) return run_diff(diff);
        if (*suggest_app) return run_suggest(suggest);
        if (*check_app) return run_check(check);
        if (*profile_app) return run_profile(profile);
        if (*rules_app) return run_rules(rules_markdown);
        if (*explain_app) return run_explain(explain_id);
        if (*generate_app) return run_generate(app, generate_what);
    } catch (const std::exception& e) {
        std::cerr << "dtmem: internal error: " << e.what() << '\n';
        return kExitInternal;
    }
    return kExitInternal;
}
