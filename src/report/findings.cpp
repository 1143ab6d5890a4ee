// SPDX-License-Identifier: MIT
// Lint findings for people (text with the source line and a caret), for editors and CI logs
// (gcc style) and for tools (JSON, docs/lint-json.md).
#include <fstream>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"

namespace dtmem {
namespace {

// "file:line:col" for DTS input, the input file for a DTB or a finding about the whole input.
std::string where(const Analysis& analysis, NodeId node, const std::string& property) {
    if (node != kNoNode) {
        const Tree& tree = analysis.tree();
        if (auto at = property.empty() ? tree.location(node) : tree.location(node, property)) {
            return fmt::format("{}:{}:{}", at->file, at->line, at->column);
        }
    }
    return analysis.file;
}

std::string subject(const Analysis& analysis, NodeId node) {
    return node == kNoNode ? "" : analysis.tree().path(node) + ": ";
}

// Source lines of the DTS files findings point into, read once each.
class SourceLines {
public:
    std::optional<std::string> line(const std::string& file, int number) {
        auto [it, fresh] = files_.try_emplace(file);
        if (fresh) {
            std::ifstream in(file);
            for (std::string text; std::getline(in, text);) it->second.push_back(text);
        }
        if (number < 1 || static_cast<std::size_t>(number) > it->second.size()) return std::nullopt;
        return it->second[number - 1];
    }

private:
    std::map<std::string, std::vector<std::string>> files_;
};

}  // namespace

void write_findings_gcc(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    for (const Finding& f : findings) {
        out << fmt::format("{}: {}: {}{} [{}]\n", where(analysis, f.node, f.property), severity_name(f.severity),
                           subject(analysis, f.node), f.message, f.rule);
        for (const RelatedLocation& r : f.related) {
            out << fmt::format("{}: note: {}{}\n", where(analysis, r.node, r.property), subject(analysis, r.node),
                               r.message);
        }
    }
}

void write_findings_text(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings, bool color) {
    static constexpr const char* kColors[] = {"36", "33", "31"};  // note, warning, error
    auto paint = [color](std::string_view text, const char* code) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
    };
    SourceLines sources;
    auto quote = [&](NodeId node, const std::string& property) {
        if (node == kNoNode) return;
        const Tree& tree = analysis.tree();
        auto at = property.empty() ? tree.location(node) : tree.location(node, property);
        if (!at) return;
        if (auto text = sources.line(at->file, at->line)) {
            out << "    " << *text << '\n';
            std::string pad;
            for (int i = 1; i < at->column && static_cast<std::size_t>(i) <= text->size(); ++i) {
                pad += (*text)[i - 1] == '\t' ? '\t' : ' ';
            }
            out << "    " << pad << paint("^", "32") << '\n';
        }
    };
    for (const Finding& f : findings) {
        out << fmt::format("{}: {}: {}{} [{}]\n", where(analysis, f.node, f.property),
                           paint(severity_name(f.severity), kColors[static_cast<int>(f.severity)]),
                           subject(analysis, f.node), f.message, f.rule);
        quote(f.node, f.property);
        for (const RelatedLocation& r : f.related) {
            out << fmt::format("{}: {}: {}{}\n", where(analysis, r.node, r.property), paint("note", kColors[0]),
                               subject(analysis, r.node), r.message);
            quote(r.node, r.property);
        }
    }
}

void write_findings_json(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    using Json = nlohmann::ordered_json;
    const Tree& tree = analysis.tree();
    auto location = [&](NodeId node, const std::string& property) -> Json {
        if (node == kNoNode) return nullptr;
        auto at = property.empty() ? tree.location(node) : tree.location(node, property);
        if (!at) return nullptr;
        return {{"file", at->file}, {"line", at->line}, {"column", at->column}};
    };
    Json list = Json::array();
    for (const Finding& f : findings) {
        Json ranges = Json::array();
        for (const Range& r : f.ranges) ranges.push_back({{"start", hex(r.start)}, {"end", hex(r.last())}, {"size", r.size}});
        Json related = Json::array();
        for (const RelatedLocation& r : f.related) {
            related.push_back({{"node", r.node == kNoNode ? Json(nullptr) : Json(tree.path(r.node))},
                               {"property", r.property.empty() ? Json(nullptr) : Json(r.property)},
                               {"message", r.message},
                               {"location", location(r.node, r.property)}});
        }
        list.push_back({{"rule", f.rule},
                        {"severity", severity_name(f.severity)},
                        {"message", f.message},
                        {"node", f.node == kNoNode ? Json(nullptr) : Json(tree.path(f.node))},
                        {"property", f.property.empty() ? Json(nullptr) : Json(f.property)},
                        {"location", location(f.node, f.property)},
                        {"ranges", ranges},
                        {"related", related}});
    }
    Json document = {{"file", analysis.file}, {"findings", list}};
    // Strings from the tree need not be UTF-8: invalid bytes become U+FFFD.
    out << document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace dtmem
