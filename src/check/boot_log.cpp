// SPDX-License-Identifier: MIT
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "dtmem/check.hpp"
#include "dtmem/error.hpp"
#include "dtmem/prediction.hpp"

namespace dtmem {
namespace {

// A console line as the kernel printed it: without dmesg's "[    0.000000] " timestamp, a
// syslog "<6>" level, or "kernel: " as journalctl and serial loggers prefix it.
std::string kernel_text(std::string line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.starts_with("<") && line.find('>') != std::string::npos && line.find('>') < 5) line.erase(0, line.find('>') + 1);
    if (auto k = line.find("kernel: "); k != std::string::npos && k < 40) line.erase(0, k + 8);
    if (line.starts_with("[") && line.find("] ") != std::string::npos && line.find("] ") < 20) line.erase(0, line.find("] ") + 2);
    return line;
}

// Why a line would differ: the inputs its subject rests on, by the kind of line.
std::string explanation(const Analysis& analysis, const std::string& kernel, const std::string& predicted) {
    const std::string& line = kernel.empty() ? predicted : kernel;
    const Prediction& p = *analysis.prediction;
    auto rests = [&](const RestsOn& on) {
        std::string list;
        for (const std::string& name : on) list += (list.empty() ? "" : ", ") + name;
        return list;
    };
    if (line.starts_with("  DMA") || line.starts_with("  Normal") || line.starts_with("  HighMem") ||
        line.starts_with("  node ") || line.starts_with("Initmem setup") || line.starts_with("Early memory")) {
        return "the RAM the kernel used differs from the tree's: the boot loader may rewrite /memory (check with "
               "the tree from /sys/firmware/fdt), or give the RAM with --memory";
    }
    std::vector<std::string> defaults;
    for (const CmaArea& area : p.cma) defaults.insert(defaults.end(), area.rests_on.begin(), area.rests_on.end());
    for (const RegionOutcome& r : p.reserved) defaults.insert(defaults.end(), r.rests_on.begin(), r.rests_on.end());
    defaults.insert(defaults.end(), p.swiotlb_rests_on.begin(), p.swiotlb_rests_on.end());
    std::sort(defaults.begin(), defaults.end());
    defaults.erase(std::unique(defaults.begin(), defaults.end()), defaults.end());
    bool placement = line.starts_with("cma: ") || line.starts_with("Reserved memory: ") ||
                     line.starts_with("OF: reserved mem: ") || line.starts_with("software IO TLB: ");
    if (placement && !defaults.empty()) {
        return fmt::format("the placements rest on {}: give --load kernel=ADDR,dtb=ADDR (and initrd=) as the boot "
                           "loader sets them", rests(defaults));
    }
    if (line.starts_with("Kernel command line") || line.starts_with("vmalloc") || line.starts_with("Memory limited")) {
        return "the command line differs: the boot loader may add to it (give --bootargs)";
    }
    if (placement) {
        return fmt::format("the kernel placed it elsewhere: memory the boot loader or firmware reserved (give --reserve), "
                           "a tree the boot loader changed (check with /sys/firmware/fdt), or a kernel build whose early "
                           "allocations differ from the profile {} (give --kernel-config)",
                           p.profile.id);
    }
    return fmt::format("the kernel build differs from the profile {} (give --kernel-config with its .config), or the "
                       "tree was changed by the boot loader (check with /sys/firmware/fdt)",
                       p.profile.id);
}

// The longest common subsequence of two line lists, as a table for walking it.
std::vector<std::vector<std::uint32_t>> common_table(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::vector<std::vector<std::uint32_t>> common(a.size() + 1, std::vector<std::uint32_t>(b.size() + 1, 0));
    for (std::size_t i = a.size(); i-- > 0;) {
        for (std::size_t j = b.size(); j-- > 0;) {
            common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
        }
    }
    return common;
}

std::size_t count_disagreeing(const std::vector<std::string>& printed, const std::vector<std::string>& expected) {
    return printed.size() + expected.size() - 2 * common_table(printed, expected)[0][0];
}

// The boot loader's addresses, searched when the prediction assumed them: every 2 MiB
// (arm64 and riscv Image alignment; the DTB and zImage in practice) in the first 256 MiB of
// RAM, one input at a time, the first that makes every line agree.
std::optional<std::string> search_load_addresses(const Analysis& analysis, const std::vector<std::string>& printed,
                                                 const BootInputs& given) {
    const Prediction& p = *analysis.prediction;
    if (analysis.map.ram.empty()) return std::nullopt;
    u64 ram_start = analysis.map.ram.front().range.start;
    struct Input {
        const char* name;
        std::optional<u64> BootInputs::*field;
        bool searched;
    };
    for (const Input& input : {Input{"kernel", &BootInputs::kernel_address, p.kernel_address_assumed},
                               Input{"dtb", &BootInputs::dtb_address, p.dtb_address_assumed}}) {
        if (!input.searched) continue;
        for (u64 offset = 0; offset < (u64{256} << 20); offset += u64{2} << 20) {
            BootInputs inputs = given;
            inputs.*input.field = ram_start + offset;
            try {
                Prediction tried = predict_boot(analysis.tree(), analysis.map, p.profile, inputs);
                if (count_disagreeing(printed, predicted_lines(tried.log)) == 0) {
                    return fmt::format("--load {}={}", input.name, hex(ram_start + offset));
                }
            } catch (const Error&) {
                continue;  // an address this kernel cannot boot from
            }
        }
    }
    return std::nullopt;
}

}  // namespace

BootLog read_boot_log(std::string_view text) {
    BootLog log;
    std::istringstream in{std::string(text)};
    for (std::string raw; std::getline(in, raw);) {
        std::string line = kernel_text(raw);
        if (line.starts_with("Kernel command line: ") && !log.command_line) log.command_line = line.substr(21);
        if (line.starts_with("Linux version ") && !log.version) {
            std::string rest = line.substr(14);
            log.version = rest.substr(0, rest.find(' '));
        }
        log.lines.push_back(std::move(line));
    }
    return log;
}

std::optional<std::string> kernel_series(std::string_view release) {
    std::size_t first = release.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    std::size_t second = release.find_first_not_of("0123456789", first + 1);
    std::string series(release.substr(0, second));
    if (series.size() <= first + 1) return std::nullopt;
    // The variant profiles: "6.1.0-57-armmp-lpae", "6.12.118+deb13-arm64-16k".
    for (std::string_view variant : {"-lpae", "-16k"}) {
        if (release.ends_with(variant)) return series + std::string(variant);
    }
    return series;
}

LogComparison compare_boot_log(const Analysis& analysis, const BootLog& log, const BootInputs& given) {
    LogComparison result;
    const Prediction& p = *analysis.prediction;
    std::vector<std::string> expected = predicted_lines(p.log);
    std::vector<std::string> printed = predicted_lines(log.lines, p.unpredicted_lines);
    for (const std::string& prefix : p.unpredicted_lines) result.not_compared.push_back(prefix);
    // Longest common subsequence: the lines that agree, in order; the rest pair up where
    // they stand (a kernel line and the predicted line it replaces).
    std::size_t n = printed.size(), m = expected.size();
    std::vector<std::vector<std::uint32_t>> common = common_table(printed, expected);
    std::vector<std::string> only_kernel, only_predicted;
    auto flush = [&] {
        for (std::size_t k = 0; k < std::max(only_kernel.size(), only_predicted.size()); ++k) {
            std::string kernel = k < only_kernel.size() ? only_kernel[k] : "";
            std::string predicted = k < only_predicted.size() ? only_predicted[k] : "";
            result.disagreements.push_back({kernel, predicted, explanation(analysis, kernel, predicted)});
        }
        only_kernel.clear();
        only_predicted.clear();
    };
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && printed[i] == expected[j]) {
            flush();
            ++result.agreed;
            ++i;
            ++j;
        } else if (j == m || (i < n && common[i + 1][j] >= common[i][j + 1])) {
            only_kernel.push_back(printed[i++]);
        } else {
            only_predicted.push_back(expected[j++]);
        }
    }
    flush();
    if (!result.disagreements.empty()) result.explained_by = search_load_addresses(analysis, printed, given);
    return result;
}

}  // namespace dtmem
