// SPDX-License-Identifier: MIT
// What the dtmem commands share: the exit statuses, the inputs every analysing command
// reads, the lint settings (.dtmem.yaml under the command line) and the commands' entry
// points. Each command lives in its own file and stays thin over the library.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "dtmem/analysis.hpp"
#include "dtmem/config.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/profile.hpp"

namespace dtmem::cli {

// One table for every command:
//   0  clean (notes and warnings about the tree do not change it)
//   1  findings at or above the fail level (lint and the front ends built on it)
//   2  unusable input or bad usage
//   3  internal error (a bug in dtmem)
constexpr int kExitFindings = 1;
constexpr int kExitInput = 2;
constexpr int kExitInternal = 3;

// What every analysing command reads: the tree and the inputs the kernel model needs.
struct InputOptions {
    std::vector<std::string> include_dirs;
    std::vector<std::string> overlays;
    std::vector<std::string> memory;
    ProfileRequest profile;
    std::optional<std::string> bootargs;
    std::string load;
    std::string firmware;
    std::vector<std::string> reserve;
    std::string kernel_image;
    std::optional<u64> cpus;
    std::string color = "auto";
};

void add_input_options(CLI::App* app, InputOptions& in);

// The request for `file`, or the one-line usage error that stops the run.
std::variant<Request, std::string> make_request(const InputOptions& in, const std::string& file);

// Analyses `file`; a dtmem::Error (unusable input) propagates.
Analysis analyze_file(const InputOptions& in, Request request);

bool use_color(const std::string& mode);

// Flushes standard output; kExitInternal when it could not be written.
int flush_output();

// The lint levels of the command line: fail level, rule levels, the settings file.
struct LintLevels {
    std::optional<std::string> fail_on;
    std::string config;  // --config; empty: the nearest .dtmem.yaml above each input
    bool exit_zero = false;
    std::vector<std::string> enable, disable, severity;
};

void add_lint_level_options(CLI::App* app, LintLevels& levels);

// What one input is analysed and linted with: its .dtmem.yaml (or --config) under the
// command line, setting by setting.
struct Settings {
    InputOptions in;
    LintOptions lint;
    Severity fail_on = Severity::Error;
};

// The settings file for `input`: --config, else the nearest .dtmem.yaml, else none ("").
std::string config_path_for(const LintLevels& levels, const std::string& input);

std::variant<Settings, std::string> settings_for(const InputOptions& in, const LintLevels& levels, const Config& config);

// The settings `input` is analysed with (its settings file under the command line); the
// error printed and nothing when they are unusable.
std::optional<Settings> load_settings(const InputOptions& in, const LintLevels& levels, const std::string& input);

struct MapCommand {
    std::string file;
    std::string format = "text";
    InputOptions in;
};
CLI::App* add_map_command(CLI::App& app, MapCommand& command);
int run_map(const MapCommand& command);

struct LintCommand {
    std::vector<std::string> files;
    std::string format = "text";
    bool dump_config = false;
    unsigned jobs = 0;
    LintLevels levels;
    InputOptions in;
};
CLI::App* add_lint_command(CLI::App& app, LintCommand& command);
int run_lint(const LintCommand& command);
int run_rules(bool markdown);
int run_explain(const std::string& id);

struct DiffCommand {
    std::string before, after;
    std::string format = "text";
    LintLevels levels;
    InputOptions in;
};
CLI::App* add_diff_command(CLI::App& app, DiffCommand& command);
int run_diff(const DiffCommand& command);

struct SuggestCommand {
    std::string file;
    std::string format = "text";
    bool apply = false;
    LintLevels levels;
    InputOptions in;
};
CLI::App* add_suggest_command(CLI::App& app, SuggestCommand& command);
int run_suggest(const SuggestCommand& command);

struct CheckCommand {
    std::string file;
    std::string boot_log;
    std::string snapshot;
    bool live = false;
    std::string format = "text";
    InputOptions in;
};
CLI::App* add_check_command(CLI::App& app, CheckCommand& command);
int run_check(const CheckCommand& command);

struct ProfileCommand {
    std::string config_file, vmlinux, id, output;
};
CLI::App* add_profile_command(CLI::App& app, ProfileCommand& command);
int run_profile(const ProfileCommand& command);

// `dtmem generate man|bash-completion` (hidden): both written from `app`'s definitions.
CLI::App* add_generate_command(CLI::App& app, std::string& what);
int run_generate(const CLI::App& app, const std::string& what);

}  // namespace dtmem::cli
