// SPDX-License-Identifier: MIT
// Lint findings for people (text with the source line and a caret), for editors and CI logs
// (gcc style) and for tools (JSON, docs/lint-json.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"
#include "dtmem/rules.hpp"

namespace dtmem {
namespace {

// Where a node's property (or the node) is in the DTS sources; nothing for DTB input or a
// finding about the whole input.
std::optional<SourceLocation> source_of(const Analysis& analysis, NodeId node, const std::string& property) {
    if (node == kNoNode) return std::nullopt;
    const Tree& tree = analysis.tree();
    return property.empty() ? tree.location(node) : tree.location(node, property);
}

// "file:line:col" for DTS input, the input file for a DTB or a finding about the whole input.
std::string where(const Analysis& analysis, NodeId node, const std::string& property) {
    auto at = source_of(analysis, node, property);
    return at ? fmt::format("{}:{}:{}", at->file, at->line, at->column) : analysis.file;
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

std::string finding_location(const Analysis& analysis, const Finding& finding) {
    return where(analysis, finding.node, finding.property);
}

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

// Grouped by the file each finding points into, the input's own findings first, as
// linters for people do (eslint's "stylish"); the source line is quoted with a caret.
void write_findings_text(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings, bool color) {
    static constexpr const char* kColors[] = {"36", "33", "31"};  // note, warning, error
    auto paint = [color](std::string_view text, const char* code) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
    };
    SourceLines sources;
    auto quote = [&](const std::optional<SourceLocation>& at) {
        if (!at) return;
        if (auto text = sources.line(at->file, at->line)) {
            out << "      " << *text << '\n';
            std::string pad;
            for (int i = 1; i < at->column && static_cast<std::size_t>(i) <= text->size(); ++i) {
                pad += (*text)[i - 1] == '\t' ? '\t' : ' ';
            }
            out << "      " << pad << paint("^", "32") << '\n';
        }
    };
    // "line:col" within the group's file; the whole path elsewhere.
    auto place = [&](const std::optional<SourceLocation>& at, const std::string& group) {
        if (!at) return std::string();
        return at->file == group ? fmt::format("{}:{}: ", at->line, at->column)
                                 : fmt::format("{}:{}:{}: ", at->file, at->line, at->column);
    };
    std::vector<std::string> files{analysis.file};
    std::map<std::string, std::vector<const Finding*>> by_file;
    for (const Finding& f : findings) {
        auto at = source_of(analysis, f.node, f.property);
        std::string file = at ? at->file : analysis.file;
        if (!by_file.count(file) && file != analysis.file) files.push_back(file);
        by_file[file].push_back(&f);
    }
    for (const std::string& file : files) {
        auto group = by_file.find(file);
        if (group == by_file.end()) continue;
        out << paint(file, "1") << '\n';
        for (const Finding* f : group->second) {
            auto at = source_of(analysis, f->node, f->property);
            out << fmt::format("  {}{}: {}{} [{}]\n", place(at, file),
                               paint(severity_name(f->severity), kColors[static_cast<int>(f->severity)]),
                               subject(analysis, f->node), f->message, f->rule);
            quote(at);
            for (const RelatedLocation& r : f->related) {
                auto related_at = source_of(analysis, r.node, r.property);
                out << fmt::format("  {}{}: {}{}\n", place(related_at, file), paint("note", kColors[0]),
                                   subject(analysis, r.node), r.message);
                quote(related_at);
            }
        }
    }
}

void write_findings_json(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    using Json = nlohmann::ordered_json;
    const Tree& tree = analysis.tree();
    auto location = [&](NodeId node, const std::string& property) -> Json {
        auto at = source_of(analysis, node, property);
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

// A path as SARIF and GitHub want it: relative to the working directory (the repository
// root in CI) when it lies below it.
std::string repository_path(const std::string& file) {
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(file, error);
    std::filesystem::path relative = std::filesystem::relative(absolute, std::filesystem::current_path(error), error);
    std::string text = relative.generic_string();
    return error || text.empty() || text.starts_with("..") ? file : text;
}

std::string sarif_results(const Analysis& analysis, const std::vector<Finding>& findings) {
    using Json = nlohmann::ordered_json;
    const Tree& tree = analysis.tree();
    auto physical = [&](NodeId node, const std::string& property) {
        Json location = {{"artifactLocation", {{"uri", repository_path(analysis.file)}, {"uriBaseId", "%SRCROOT%"}}}};
        if (auto at = source_of(analysis, node, property)) {
            location["artifactLocation"]["uri"] = repository_path(at->file);
            location["region"] = {{"startLine", at->line}, {"startColumn", at->column}};
        }
        return location;
    };
    std::span<const RuleInfo> rules = rule_catalogue();
    Json results = Json::array();
    for (const Finding& f : findings) {
        std::string node = f.node == kNoNode ? "/" : tree.path(f.node);
        Json location = {{"physicalLocation", physical(f.node, f.property)},
                         {"logicalLocations", Json::array({{{"fullyQualifiedName", node}, {"kind", "object"}}})}};
        Json related = Json::array();
        for (std::size_t i = 0; i < f.related.size(); ++i) {
            const RelatedLocation& r = f.related[i];
            related.push_back({{"id", i + 1},
                               {"physicalLocation", physical(r.node, r.property)},
                               {"message", {{"text", (r.node == kNoNode ? "" : tree.path(r.node) + ": ") + r.message}}}});
        }
        auto rule = std::lower_bound(rules.begin(), rules.end(), f.rule,
                                     [](const RuleInfo& info, const std::string& id) { return info.id < id; });
        Json result = {{"ruleId", f.rule},
                       {"ruleIndex", rule - rules.begin()},
                       {"level", severity_name(f.severity)},
                       {"message", {{"text", (f.node == kNoNode ? "" : node + ": ") + f.message}}},
                       {"locations", Json::array({location})},
                       {"partialFingerprints", {{"dtmemRuleNode/v1", f.rule + ":" + node}}}};
        if (!related.empty()) result["relatedLocations"] = related;
        results.push_back(std::move(result));
    }
    std::string text;
    for (const Json& result : results) {
        if (!text.empty()) text += ",\n";
        text += result.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    return text;
}

void write_sarif(std::ostream& out, const std::vector<std::string>& results) {
    using Json = nlohmann::ordered_json;
    Json descriptors = Json::array();
    for (const RuleInfo& rule : rule_catalogue()) {
        std::string help = fmt::format("{}\n\nWhy: {}\n\nFix: {}\n\nKernel: {}", rule.summary, rule.rationale, rule.fix,
                                       rule.kernel);
        descriptors.push_back({{"id", rule.id},
                               {"name", rule.id},
                               {"shortDescription", {{"text", rule.summary}}},
                               {"fullDescription", {{"text", rule.rationale}}},
                               {"help", {{"text", help}, {"markdown", fmt::format("**{}**\n\n{}\n\n**Fix:** {}\n\n**Kernel:** `{}`",
                                                                                 rule.summary, rule.rationale, rule.fix, rule.kernel)}}},
                               {"defaultConfiguration", {{"level", severity_name(rule.severity)}}}});
    }
    Json driver = {{"name", "dtmem"},
                   {"version", DTMEM_VERSION},
                   {"rules", descriptors}};
    // The results are already JSON: the document is written around them.
    std::string head = Json{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"}, {"version", "2.1.0"}}.dump();
    head.pop_back();  // the closing brace: "runs" follows
    out << head << ",\"runs\":[{\"tool\":{\"driver\":" << driver.dump() << "},\"originalUriBaseIds\":{\"%SRCROOT%\":{\"uri\":\"file://"
        << std::filesystem::current_path().generic_string() << "/\"}},\"results\":[";
    bool first = true;
    for (const std::string& result : results) {
        if (result.empty()) continue;
        out << (first ? "\n" : ",\n") << result;
        first = false;
    }
    out << "]}]}\n";
}

void write_findings_github(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    static constexpr const char* kCommands[] = {"notice", "warning", "error"};
    // Workflow commands take the message up to the end of the line; %, CR and LF are escaped.
    auto escape = [](std::string text, bool property) {
        std::string out;
        for (char c : text) {
            if (c == '%') out += "%25";
            else if (c == '\r') out += "%0D";
            else if (c == '\n') out += "%0A";
            else if (property && c == ':') out += "%3A";
            else if (property && c == ',') out += "%2C";
            else out += c;
        }
        return out;
    };
    for (const Finding& f : findings) {
        std::string file = analysis.file, position;
        if (auto at = source_of(analysis, f.node, f.property)) {
            file = at->file;
            position = fmt::format(",line={},col={}", at->line, at->column);
        }
        out << fmt::format("::{} file={}{},title={}::{}\n", kCommands[static_cast<int>(f.severity)],
                           escape(repository_path(file), true), position, escape("dtmem " + f.rule, true),
                           escape(subject(analysis, f.node) + f.message, false));
    }
}

}  // namespace dtmem
