// SPDX-License-Identifier: MIT
// dtmem suggest for people (text) and tools (JSON, docs/suggest-json.md).
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"

namespace dtmem {
namespace {

std::string change_text(const FactChange& c) {
    std::string what = fmt::format("{} {}", fact_kind_name(c.fact), c.subject);
    if (c.kind == ChangeKind::Added) return fmt::format("{} added: {}", what, c.after);
    if (c.kind == ChangeKind::Removed) return fmt::format("{} removed (was {})", what, c.before);
    return fmt::format("{} {}: {} -> {}", what, change_kind_name(c.kind), c.before, c.after);
}

}  // namespace

void write_suggestions_text(std::ostream& out, const Analysis& analysis, const Suggestions& suggestions) {
    out << fmt::format("{}: {} verified suggestion{}\n", analysis.file, suggestions.suggestions.size(),
                       suggestions.suggestions.size() == 1 ? "" : "s");
    for (const Suggestion& s : suggestions.suggestions) {
        out << fmt::format("\n  {}: {}\n    {}\n", s.kind == Suggestion::Kind::BootArgument ? "boot argument" : "tree change",
                           s.change, s.why);
        for (const std::string& f : s.fixes) out << "    fixes " << f << '\n';
        for (const std::string& f : s.brings) out << "    brings " << f << '\n';
        for (const FactChange& c : s.effect) out << "    " << change_text(c) << '\n';
    }
    for (const std::string& u : suggestions.unfixed) out << "\n  nothing verified for " << u << '\n';
    if (!suggestions.no_prediction.empty()) {
        out << "  nothing tried: " << suggestions.no_prediction << '\n';
    } else if (suggestions.suggestions.empty() && suggestions.unfixed.empty()) {
        out << "  no finding that a boot argument or a reserved-memory change fixes\n";
    }
    if (suggestions.bootargs) out << "\n  bootargs: " << *suggestions.bootargs << '\n';
}

void write_suggestions_json(std::ostream& out, const Analysis& analysis, const Suggestions& suggestions) {
    using Json = nlohmann::ordered_json;
    Json list = Json::array();
    for (const Suggestion& s : suggestions.suggestions) {
        bool argument = s.kind == Suggestion::Kind::BootArgument;
        Json changes = Json::array();
        for (const FactChange& c : s.effect) {
            changes.push_back({{"change", change_kind_name(c.kind)}, {"kind", fact_kind_name(c.fact)}, {"subject", c.subject},
                               {"before", c.kind == ChangeKind::Added ? Json(nullptr) : Json(c.before)},
                               {"after", c.kind == ChangeKind::Removed ? Json(nullptr) : Json(c.after)}});
        }
        list.push_back({{"kind", argument ? "boot-argument" : "tree"},
                        {"change", s.change},
                        {"bootargs", argument ? Json(s.bootargs) : Json(nullptr)},
                        {"node", argument ? Json(nullptr) : Json(s.node)},
                        {"property", argument ? Json(nullptr) : Json(s.property)},
                        {"why", s.why},
                        {"fixes", s.fixes},
                        {"brings", s.brings},
                        {"changes", changes}});
    }
    Json document = {{"file", analysis.file},
                     {"suggestions", list},
                     {"unfixed", suggestions.unfixed},
                     {"no_prediction", suggestions.no_prediction.empty() ? Json(nullptr) : Json(suggestions.no_prediction)},
                     {"bootargs", suggestions.bootargs ? Json(*suggestions.bootargs) : Json(nullptr)}};
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace dtmem
