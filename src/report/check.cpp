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
                     {"not_compared", comparison.not_compared}};
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace dtmem
