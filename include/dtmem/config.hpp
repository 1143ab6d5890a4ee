// SPDX-License-Identifier: MIT
// .dtmem.yaml: a board's or a repository's settings for dtmem, found by searching upward
// from each input (as .clang-tidy is) or given with --config. The inputs the kernel model
// needs, the rule levels and options, and suppressions with their reasons.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/diagnostic.hpp"
#include "dtmem/lint.hpp"

namespace dtmem {

struct Config {
    std::string path;  // the file it came from; empty for none
    // Inputs, in the command line's syntax (--kernel, --arch, --memory, ...).
    std::optional<std::string> kernel, arch, kernel_config, profile_file, vmlinux, bootargs, load, firmware;
    std::vector<std::string> memory, reserve, include;
    std::optional<unsigned> cpus;  // --cpus
    std::optional<Severity> fail_on;
    LintOptions lint;  // rule levels (off, or a severity) and suppressions
};

// The nearest .dtmem.yaml in the input's folder or above it; nothing when there is none.
std::optional<std::string> find_config(const std::string& input);

// Reads a config file. Throws dtmem::Error naming the file for YAML errors, unknown keys,
// unknown rules or levels, and suppressions without rule, node or reason.
Config load_config(const std::string& path);

// The config as YAML, every key written (for --dump-config).
std::string dump_config(const Config& config);

}  // namespace dtmem
