// SPDX-License-Identifier: MIT
// dtmem diff for people (text), tools (JSON, docs/diff-json.md) and pull-request comments
// (Markdown: a short table, new errors first).
#include <ostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"
#include "report/lines.hpp"

namespace dtmem {

std::string finding_line(const Analysis& analysis, const Finding& f) {
    return fmt::format("{}: {}: {}{} [{}]", finding_location(analysis, f), severity_name(f.severity),
                       f.node == kNoNode ? "" : analysis.tree().path(f.node) + ": ", f.message, f.rule);
}

std::string change_line(const FactChange& c) {
    std::string what = fmt::format("{} {}", fact_kind_name(c.fact), c.subject);
    switch (c.kind) {
        case ChangeKind::Added: return fmt::format("{} added: {}", what, c.after);
        case ChangeKind::Removed: return fmt::format("{} removed (was {})", what, c.before);
        default: return fmt::format("{} {}: {} -> {}", what, change_kind_name(c.kind), c.before, c.after);
    }
}

void write_diff_text(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff, bool color) {
    auto paint = [color](std::string_view text, const char* code) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
    };
    out << fmt::format("{} -> {}\n", before.file, after.file);
    if (diff.changes.empty()) out << "  memory: no change\n";
    for (const FactChange& c : diff.changes) out << "  " << change_line(c) << '\n';
    for (const Finding& f : diff.introduced) out << "  " << paint("new", "31") << ' ' << finding_line(after, f) << '\n';
    for (const Finding& f : diff.fixed) out << "  " << paint("fixed", "32") << ' ' << finding_line(before, f) << '\n';
}

void write_diff_json(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff) {
    using Json = nlohmann::ordered_json;
    Json changes = Json::array();
    for (const FactChange& c : diff.changes) {
        changes.push_back({{"change", change_kind_name(c.kind)},
                           {"kind", fact_kind_name(c.fact)},
                           {"subject", c.subject},
                           {"before", c.kind == ChangeKind::Added ? Json(nullptr) : Json(c.before)},
                           {"after", c.kind == ChangeKind::Removed ? Json(nullptr) : Json(c.after)}});
    }
    auto findings = [](const Analysis& analysis, const std::vector<Finding>& list) {
        std::ostringstream text;
        write_findings_json(text, analysis, list);
        return Json::parse(text.str());
    };
    Json document = {{"before", before.file},
                     {"after", after.file},
                     {"changes", changes},
                     {"introduced", findings(after, diff.introduced)["findings"]},
                     {"fixed", findings(before, diff.fixed)["findings"]}};
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
}

void write_diff_markdown(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff) {
    // Table cells: no pipes or line breaks from the tree's strings.
    auto cell = [](std::string text) {
        for (char& c : text) {
            if (c == '|' || c == '\n' || c == '\r') c = ' ';
        }
        return text;
    };
    out << fmt::format("### dtmem: memory changes in `{}`\n\n", cell(after.file));
    if (!diff.introduced.empty() || !diff.fixed.empty()) {
        out << "| | severity | rule | where | finding |\n|---|---|---|---|---|\n";
        for (const Finding& f : diff.introduced) {
            out << fmt::format("| new | {} | `{}` | `{}` | {} |\n", severity_name(f.severity), f.rule,
                               cell(finding_location(after, f)), cell(f.message));
        }
        for (const Finding& f : diff.fixed) {
            out << fmt::format("| fixed | {} | `{}` | `{}` | {} |\n", severity_name(f.severity), f.rule,
                               cell(finding_location(before, f)), cell(f.message));
        }
        out << '\n';
    }
    if (diff.changes.empty()) {
        out << "No change to the memory map or the predicted boot.\n";
        return;
    }
    out << "| change | what | before | after |\n|---|---|---|---|\n";
    for (const FactChange& c : diff.changes) {
        out << fmt::format("| {} | {} `{}` | {} | {} |\n", change_kind_name(c.kind), fact_kind_name(c.fact),
                           cell(c.subject), cell(c.before), cell(c.after));
    }
}

}  // namespace dtmem
