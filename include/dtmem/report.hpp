// SPDX-License-Identifier: MIT
// Output of the memory map: text for people, JSON for tools (docs/json-map.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/check.hpp"
#include "dtmem/diff.hpp"
#include "dtmem/suggest.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"

namespace dtmem {

struct ReportInput {
    std::string file;
    InputFormat format = InputFormat::Dtb;
    std::vector<std::string> overlays;
};

// The map document of docs/json-map.md and a new line; its "prediction" is null when there
// is none. Written as it is made, never whole in memory (a large tree gives millions of lines).
void write_map_json(std::ostream& out, const Tree& tree, const MemoryMap& map, const ReportInput& input,
                    const Prediction* prediction);

void write_map_text(std::ostream& out, const Tree& tree, const MemoryMap& map,
                    const ReportInput& input, bool color);

void write_prediction_text(std::ostream& out, const Tree& tree, const MemoryMap& map, const Prediction& prediction,
                           bool color);

// Lint findings: gcc style (file:line:col: severity: node: message [rule], related
// locations as note: lines), text (the same with the DTS source line and a caret under
// the position), JSON (docs/lint-json.md).
void write_findings_gcc(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings);
void write_findings_text(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings, bool color);
void write_findings_json(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings);
// GitHub workflow commands (::error file=…,line=…,col=…,title=…::message).
void write_findings_github(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings);

// SARIF 2.1.0: each input's results (JSON objects, comma-separated), then one document
// for all of them with the rule descriptors of the catalogue. Paths are relative to the
// working directory (%SRCROOT%).
// Where a finding points: "file:line:col" in the DTS sources, else the input file.
std::string finding_location(const Analysis& analysis, const Finding& finding);

// What a tree change does to memory (dtmem diff): text for people, JSON for tools,
// Markdown for a pull-request comment.
void write_diff_text(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff, bool color);
void write_diff_json(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff);
void write_diff_markdown(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff);

// The map drawn (docs/html-map.md): a self-contained HTML page (the picture, the findings
// linked to the regions they concern, a legend and the same data as a table), or the
// picture alone as SVG. A diff draws both sides on one address axis.
void write_map_html(std::ostream& out, const Analysis& analysis);
void write_findings_html(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings);
void write_map_svg(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings);
void write_diff_html(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff,
                     const std::vector<Finding>& before_findings, const std::vector<Finding>& after_findings);
void write_diff_svg(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff,
                    const std::vector<Finding>& before_findings, const std::vector<Finding>& after_findings);

// Verified fixes (dtmem suggest): text for people, JSON for tools.
void write_suggestions_text(std::ostream& out, const Analysis& analysis, const Suggestions& suggestions);
void write_suggestions_json(std::ostream& out, const Analysis& analysis, const Suggestions& suggestions);

// The real board against the prediction (dtmem check): text and JSON.
void write_check_text(std::ostream& out, const Analysis& analysis, const BootLog& log, const LogComparison& comparison,
                      bool color);
void write_check_json(std::ostream& out, const Analysis& analysis, const BootLog& log, const LogComparison& comparison);
void write_snapshot_text(std::ostream& out, const Analysis& analysis, const SnapshotComparison& comparison, bool color);
void write_snapshot_json(std::ostream& out, const Analysis& analysis, const SnapshotComparison& comparison);

std::string sarif_results(const Analysis& analysis, const std::vector<Finding>& findings);
void write_sarif(std::ostream& out, const std::vector<std::string>& results);

// Text from a tree (a model string, a node name) made safe for a terminal: control
// characters, C1 controls and bytes that are not UTF-8 become \xNN; newlines and tabs stay, and so
// do our own colour sequences (ESC [ digits m) when `keep_colors`.
std::string terminal_safe(std::string_view text, bool keep_colors);

}  // namespace dtmem
