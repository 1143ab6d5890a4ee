// SPDX-License-Identifier: MIT
// The real board against the prediction: what a kernel printed at boot (dmesg, a serial
// capture) compared, line for line, with what dtmem predicts it prints for the same tree
// and command line; each disagreement with the input that would explain it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"

namespace dtmem {

// What a boot log says about the boot itself.
struct BootLog {
    std::vector<std::string> lines;           // timestamps and console prefixes removed
    std::optional<std::string> command_line;  // "Kernel command line: ..."
    std::optional<std::string> version;       // "6.12.118+deb13-arm64" from "Linux version ..."
};

BootLog read_boot_log(std::string_view text);

// "6.12" from a kernel release ("6.12.118+deb13-arm64"), for --kernel.
std::optional<std::string> kernel_series(std::string_view release);

struct LineDisagreement {
    std::string kernel;       // what the kernel printed ("" when it printed nothing there)
    std::string predicted;    // what dtmem predicted ("" when it predicted nothing there)
    std::string explanation;  // the input that would explain it
};

struct LogComparison {
    std::size_t agreed = 0;
    std::vector<LineDisagreement> disagreements;
    std::vector<std::string> not_compared;  // line kinds the prediction leaves out (its unmodelled parts)
};

LogComparison compare_boot_log(const Analysis& analysis, const BootLog& log);

}  // namespace dtmem
