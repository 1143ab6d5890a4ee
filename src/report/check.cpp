// SPDX-License-Identifier: MIT
// dtmem check for people (text) and tools (JSON).
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"

namespace dtmem {

void write_check_text(std::ostream& out, const Analysis& analysis, const BootLog& log, const LogComparison& comparison,
                      bool color) {
    auto paint = [color](std::string_view text, const char* code) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
    };
    out << fmt::format("{}: the boot log of Linux {} against the prediction for {}\n", analysis.file,
                       log.version.value_or("(no version line)"), analysis.prediction->profile.id);
    out << fmt::format("  {} memory line{} agree, {} disagree{}\n", comparison.agreed, comparison.agreed == 1 ? "" : "s",
                       comparison.disagreements.size(), comparison.disagreements.size() == 1 ? "s" : "");
    for (const LineDisagreement& d : comparison.disagreements) {
        out << "\n  " << paint("kernel:", "33") << ' ' << (d.kernel.empty() ? "(nothing)" : d.kernel) << '\n';
        out << "  " << paint("dtmem: ", "36") << ' ' << (d.predicted.empty() ? "(nothing)" : d.predicted) << '\n';
        out << "    likely: " << d.explanation << '\n';
    }
    if (comparison.explained_by) {
        out << fmt::format("\n  every line agrees with {} (the lowest such address): the boot loader loaded it there or "
                           "where the kernel derives the same layout from\n",
                           *comparison.explained_by);
    }
    for (const std::string& prefix : comparison.not_compared) out << fmt::format("  not compared: \"{}\" lines\n", prefix);
}

void write_check_json(std::ostream& out, const Analysis& analysis, const BootLog& log, const LogComparison& comparison) {
    using Json = nlohmann::ordered_json;
    Json disagreements = Json::array();
    for (const LineDisagreement& d : comparison.disagreements) {
        disagreements.push_back({{"kernel", d.kernel.empty() ? Json(nullptr) : Json(d.kernel)},
                                 {"dtmem", d.predicted.empty() ? Json(nullptr) : Json(d.predicted)},
                                 {"explanation", d.explanation}});
    }
    Json document = {{"file", analysis.file},
                     {"kernel", log.version ? Json(*log.version) : Json(nullptr)},
                     {"profile", analysis.prediction->profile.id},
                     {"command_line", log.command_line ? Json(*log.command_line) : Json(nullptr)},
                     {"agreed", comparison.agreed},
                     {"disagreements", disagreements},
                     {"explained_by", comparison.explained_by ? Json(*comparison.explained_by) : Json(nullptr)},
                     {"not_compared", comparison.not_compared}};
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

void write_snapshot_text(std::ostream& out, const Analysis& analysis, const SnapshotComparison& comparison, bool color) {
    auto paint = [color](std::string_view text, const char* code) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
    };
    out << fmt::format("{}: the running kernel's memory against the prediction for {}\n", analysis.file,
                       analysis.prediction->profile.id);
    for (const Observation& o : comparison.observations) {
        out << fmt::format("  {} {}: board {}, dtmem {}\n", o.agrees ? paint("agree   ", "32") : paint("DISAGREE", "31"), o.what,
                           o.observed, o.predicted);
    }
    if (comparison.highmem_share) out << fmt::format("  HighMem: {:.0f}% of the RAM\n", *comparison.highmem_share * 100);
    for (const ZoneHealth& z : comparison.health) {
        out << fmt::format("  zone {}: {} free, largest free block {}", z.zone, human_size(z.free_bytes),
                           z.largest_free_block ? human_size(z.largest_free_block) : "none");
        std::string frag;
        for (std::size_t order = 0; order < z.fragmentation.size(); ++order) {
            if (z.fragmentation[order] >= 0) frag += fmt::format("{}order {} {:.2f}", frag.empty() ? "" : ", ", order, z.fragmentation[order]);
        }
        if (!frag.empty()) out << "; fragmentation index " << frag;
        out << '\n';
        if (z.devices_depend && !z.high_order_ok) {
            out << fmt::format("    {} DMA-limited devices take their buffers from {} and it has no free block of "
                               "order 3 or more: their larger allocations fail or wait for compaction\n",
                               paint("warning:", "33"), z.zone);
        }
    }
}

void write_snapshot_json(std::ostream& out, const Analysis& analysis, const SnapshotComparison& comparison) {
    using Json = nlohmann::ordered_json;
    Json observations = Json::array();
    for (const Observation& o : comparison.observations) {
        observations.push_back({{"what", o.what}, {"board", o.observed}, {"dtmem", o.predicted}, {"agrees", o.agrees}});
    }
    Json zones = Json::array();
    for (const ZoneHealth& z : comparison.health) {
        zones.push_back({{"zone", z.zone},
                         {"free", z.free_bytes},
                         {"largest_free_block", z.largest_free_block},
                         {"fragmentation_index", z.fragmentation},
                         {"dma_devices_depend", z.devices_depend},
                         {"high_order_available", z.high_order_ok}});
    }
    Json document = {{"file", analysis.file},
                     {"profile", analysis.prediction->profile.id},
                     {"observations", observations},
                     {"zones", zones},
                     {"highmem_share", comparison.highmem_share ? Json(*comparison.highmem_share) : Json(nullptr)}};
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace dtmem
