// SPDX-License-Identifier: MIT
// The memory map drawn (docs/html-map.md): SVG for documents, and a self-contained HTML page
// (picture, findings linked to the regions they concern, legend, the same data as a
// table) for browsers, CI artifacts and reviews. No network, fonts or libraries: a few
// lines of inline CSS and script, and the picture works without the script.
#include <algorithm>
#include <ostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "dtmem/report.hpp"
#include "report/lines.hpp"
#include "report/picture.hpp"

namespace dtmem {
namespace {

using picture::Axis;
using picture::Group;
using picture::Item;
using picture::Lane;
using picture::Picture;
using picture::Shape;

constexpr double kLaneHeader = 44;  // lane titles above the bars
constexpr double kTitle = 24;       // a block's title band
constexpr double kAxisWidth = 124;
constexpr double kLaneWidth = 116;
constexpr double kDeviceLaneWidth = 100;
constexpr double kMarkerWidth = 190;

// Text from a tree made safe for XML: control bytes and invalid UTF-8 spelt \xNN (XML 1.0
// allows neither), then the markup characters escaped.
std::string xml(std::string_view text) {
    std::string out;
    for (char c : terminal_safe(text, false)) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

struct ShapeStyle {
    const char* fill;
    const char* pattern;  // a <pattern> id laid over the fill, or ""
    const char* legend;
};

// Light fills from a colour-blind safe palette (Okabe and Ito), told apart again by
// patterns and labels so that neither colour vision nor a colour printer is needed.
const ShapeStyle& style_of(Shape shape) {
    static const ShapeStyle kStyles[] = {
        {"#cdebd9", "", "RAM bank"},
        {"#eeeeee", "", "zone (DMA, DMA32, Normal, HighMem, Device)"},
        {"#f6d2b5", "p-lines", "/memreserve/ entry"},
        {"#f3b08a", "", "static reservation, mapped"},
        {"#f3b08a", "p-hatch", "static reservation, no-map"},
        {"#f3b08a", "p-dots", "static reservation, reusable"},
        {"#9cc3e6", "", "dynamic reservation, where the kernel puts it"},
        {"#dcb8e8", "p-cross", "CMA area"},
        {"#b3e0f2", "p-vlines", "swiotlb bounce buffer"},
        {"#d9d9d9", "", "loaded image: kernel, DTB, initrd"},
        {"#f7e3a1", "", "device registers (MMIO)"},
        {"#c6dbef", "", "DMA window: the CPU addresses a device reaches"},
        {"#ffffff", "p-hatch", "a pool the device uses (memory-region)"},
        {"#ffffff", "", "finding (circle: error, triangle: warning, square: note)"},
        {"#e6e6e6", "p-zigzag", "folded: many regions drawn as one"},
    };
    return kStyles[static_cast<int>(shape)];
}

std::string zone_fill(std::string_view zone) {
    if (zone == "DMA") return "#f5c26b";
    if (zone == "DMA32") return "#a6d3f0";
    if (zone == "Normal") return "#f2ec9a";
    if (zone == "HighMem") return "#e3b7d2";
    if (zone == "Movable") return "#8db8d9";
    return "#dddddd";
}

const char* severity_stroke(Severity severity) {
    switch (severity) {
        case Severity::Error: return "#b2182b";
        case Severity::Warning: return "#8c510a";
        case Severity::Note: return "#2166ac";
    }
    return "#000";
}

// The badge of a finding: its shape, not only its colour, says how severe it is.
std::string badge(Severity severity, double x, double y) {
    const char* stroke = severity_stroke(severity);
    switch (severity) {
        case Severity::Error:
            return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="5" fill="{}" stroke="#fff"/>)", x, y, stroke);
        case Severity::Warning:
            return fmt::format(R"(<path d="M{:.1f} {:.1f}l5.5 10h-11z" fill="{}" stroke="#fff"/>)", x, y - 5, stroke);
        case Severity::Note:
            return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="9" height="9" fill="{}" stroke="#fff"/>)", x - 4.5,
                               y - 4.5, stroke);
    }
    return {};
}

// `text` cut to what fits in `width` pixels of 11px text, with an ellipsis.
std::string shortened(const std::string& text, double width) {
    std::size_t room = static_cast<std::size_t>(std::max(1.0, width / 7.2));
    return text.size() <= room ? text : text.substr(0, room - 1) + "…";  // room >= 1
}

// "≈ 1.5 GiB": a break's size, where the exact bytes do not matter.
std::string rounded_size(u64 bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 6) {
        value /= 1024;
        ++unit;
    }
    return fmt::format("≈ {:.{}f} {}", value, value < 10 ? 1 : 0, kUnits[unit]);
}

std::string range_text(const Range& range) {
    return fmt::format("{}-{} ({})", hex(range.start), hex(range.last()), human_size(range.size));
}

// What hover, focus and the table show of an item.
std::string tooltip(const Item& item) {
    std::string text = item.subject + "\n" + range_text(item.range);
    for (const std::string& line : item.details) text += "\n" + line;
    if (item.assumed) text += "\n(address rests on a default input)";
    return text;
}

const char* kDefs = R"~(<defs>
<pattern id="p-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="1.4" stroke-opacity="0.55"/></pattern>
<pattern id="p-dots" width="6" height="6" patternUnits="userSpaceOnUse"><circle cx="3" cy="3" r="1.3" fill="#000" fill-opacity="0.55"/></pattern>
<pattern id="p-cross" width="8" height="8" patternUnits="userSpaceOnUse"><path d="M0 0L8 8M8 0L0 8" stroke="#000" stroke-width="0.9" stroke-opacity="0.5"/></pattern>
<pattern id="p-lines" width="6" height="6" patternUnits="userSpaceOnUse"><line x1="0" y1="3" x2="6" y2="3" stroke="#000" stroke-width="1.2" stroke-opacity="0.5"/></pattern>
<pattern id="p-vlines" width="6" height="6" patternUnits="userSpaceOnUse"><line x1="3" y1="0" x2="3" y2="6" stroke="#000" stroke-width="1.2" stroke-opacity="0.45"/></pattern>
<pattern id="p-zigzag" width="8" height="6" patternUnits="userSpaceOnUse"><path d="M0 5L2 1L4 5L6 1L8 5" fill="none" stroke="#000" stroke-width="0.8" stroke-opacity="0.5"/></pattern>
</defs>)~";

class SvgWriter {
public:
    SvgWriter(const Axis& axis, std::set<std::string> changed = {}) : axis_(axis), changed_(std::move(changed)) {}

    double height() const { return kLaneHeader + axis_.height() + 8; }

    double group_width(const Group& group) const {
        return static_cast<double>(group.lanes.size()) * lane_width(group);
    }

    // The address column: the address of every edge where there is room, and the breaks.
    std::string axis_block() const {
        std::string out = fmt::format(R"(<text x="4" y="28" class="head">address</text>)");
        double last_label = -100;
        for (const auto& [address, y] : axis_.stops()) {
            double at = kLaneHeader + y;
            out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#999"/>)", kAxisWidth - 8, at,
                               kAxisWidth, at);
            if (at - last_label < 12) continue;
            out += fmt::format(R"(<text x="{}" y="{:.1f}" class="addr" text-anchor="end">{}</text>)", kAxisWidth - 10,
                               at + 4, hex(address));
            last_label = at;
        }
        for (const Axis::Segment& segment : axis_.segments()) {
            if (!segment.gap) continue;
            out += break_band(kAxisWidth, segment);
            out += fmt::format(R"(<text x="4" y="{:.1f}" class="gap">gap of {}</text>)", kLaneHeader + segment.top + 18,
                               rounded_size(segment.last - segment.first + 1));
        }
        return out;
    }

    std::string group_block(const Group& group, const Picture& picture) const {
        std::string out;
        double width = lane_width(group);
        for (std::size_t i = 0; i < group.lanes.size(); ++i) out += lane(group.lanes[i], static_cast<double>(i) * width, width);
        double total = group_width(group);
        for (const picture::Marker& marker : picture.markers) {
            double y = kLaneHeader + axis_.top(marker.address);
            out += fmt::format(R"(<line x1="0" y1="{0:.1f}" x2="{1}" y2="{0:.1f}" stroke="#333" stroke-dasharray="6 3"/>)", y,
                               total);
        }
        for (const Axis::Segment& segment : axis_.segments()) {
            if (segment.gap) out += break_band(total, segment);
        }
        return out;
    }

    std::string marker_block(const Picture& picture) const {
        std::string out = R"(<text x="4" y="28" class="head">marks</text>)";
        for (const picture::Marker& marker : picture.markers) {
            double y = kLaneHeader + axis_.top(marker.address);
            out += fmt::format(R"(<line x1="0" y1="{0:.1f}" x2="12" y2="{0:.1f}" stroke="#333" stroke-dasharray="6 3"/>)"
                               R"(<text x="14" y="{1:.1f}" class="mark">{2}</text>)",
                               y, y + 4, xml(marker.label));
        }
        return out;
    }

    static double lane_width(const Group& group) { return group.collapsible ? kDeviceLaneWidth : kLaneWidth; }

private:
    // Empty address space not drawn to scale: a white band with zigzag edges.
    std::string break_band(double width, const Axis::Segment& segment) const {
        double top = kLaneHeader + segment.top + 3, bottom = kLaneHeader + segment.top + segment.height - 3;
        std::string zig_top, zig_bottom;
        for (double x = 0; x <= width; x += 8) {
            zig_top += fmt::format("{}{:.0f} {:.1f}", x == 0 ? "M" : "L", x, top + (static_cast<int>(x / 8) % 2 ? 3 : 0));
            zig_bottom += fmt::format("{}{:.0f} {:.1f}", x == 0 ? "M" : "L", x, bottom - (static_cast<int>(x / 8) % 2 ? 3 : 0));
        }
        return fmt::format(R"(<g class="break"><rect x="0" y="{:.1f}" width="{}" height="{:.1f}" fill="#fff"/>)"
                           R"(<path d="{}" fill="none" stroke="#777"/><path d="{}" fill="none" stroke="#777"/></g>)",
                           top, width, bottom - top, zig_top, zig_bottom);
    }

    // Overlapping items of a lane share its width side by side (at most four columns).
    static std::vector<int> columns(const std::vector<Item>& items, int& count) {
        std::vector<int> column(items.size());
        std::vector<u64> column_end;  // the last address each column holds
        std::vector<std::size_t> order(items.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return items[a].range.start < items[b].range.start; });
        for (std::size_t i : order) {
            auto free = std::find_if(column_end.begin(), column_end.end(), [&](u64 end) { return end < items[i].range.start; });
            if (free == column_end.end()) {
                column_end.push_back(items[i].range.last());
                column[i] = static_cast<int>(column_end.size() - 1);
            } else {
                *free = items[i].range.last();
                column[i] = static_cast<int>(free - column_end.begin());
            }
        }
        count = std::min<int>(4, static_cast<int>(std::max<std::size_t>(1, column_end.size())));
        for (int& c : column) c %= count;
        return column;
    }

    std::string lane(const Lane& lane, double x, double width) const {
        std::string title = xml(lane.title);
        std::string out = fmt::format(R"~(<g transform="translate({:.1f},0)"><text x="4" y="28" class="head">{}</text>)~"
                                      R"(<title>{}</title>)",
                                      x, xml(shortened(lane.title, width - 8)), title);
        int count = 1;
        std::vector<int> column = columns(lane.items, count);
        double column_width = (width - 6) / count;
        for (std::size_t i = 0; i < lane.items.size(); ++i) {
            out += item(lane.items[i], 2 + column[i] * column_width, column_width - 2);
        }
        return out + "</g>";
    }

    std::string item(const Item& item, double x, double width) const {
        double top = kLaneHeader + axis_.top(item.range.start);
        double height = std::max(1.0, kLaneHeader + axis_.bottom(item.range) - top);
        const ShapeStyle& style = style_of(item.shape);
        std::string fill = item.shape == Shape::Zone ? zone_fill(item.label) : style.fill;
        bool changed = changed_.count(item.subject) > 0;
        std::string stroke = item.finding ? severity_stroke(*item.finding) : changed ? "#2166ac" : "#555";
        std::string dash = item.assumed ? R"( stroke-dasharray="4 2")" : changed ? R"( stroke-dasharray="2 2")" : "";
        double stroke_width = item.finding || changed ? 2.5 : 1;
        std::string out = fmt::format(
            R"(<g class="item" tabindex="0" id="{}" data-node="{}" data-start="{}" data-end="{}" data-size="{}")"
            R"({}><title>{}</title>)",
            item.id, xml(item.subject), hex(item.range.start), hex(item.range.last()), item.range.size,
            item.folded ? fmt::format(R"( data-folded="{}")", item.folded) : "", xml(tooltip(item)));
        out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="{}" stroke-width="{}"{}/>)",
                           x, top, width, height, fill, stroke, stroke_width, dash);
        if (*style.pattern) {
            out += fmt::format(R"~(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="url(#{})" pointer-events="none"/>)~",
                               x, top, width, height, style.pattern);
        }
        if (height >= 13 && width >= 24) {
            out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="label">{}</text>)", x + 3,
                               top + std::min(height / 2 + 4, 14.0), xml(shortened(item.label, width - 6)));
        }
        if (item.finding) out += badge(*item.finding, x + width - 7, top + 6);
        if (changed) out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="delta">Δ</text>)", x + width - 22, top + 11);
        return out + "</g>";
    }

    const Axis& axis_;
    std::set<std::string> changed_;  // subjects a diff changed, outlined on the new side
};

const char* kSvgStyle = R"(<style>
text{font-family:"DejaVu Sans",Verdana,sans-serif;font-size:11px;fill:#111}
.head{font-weight:bold}.addr{font-family:"DejaVu Sans Mono",monospace;font-size:10px}
.gap{font-style:italic;fill:#444}.mark{font-size:10px}.label{font-size:10.5px;paint-order:stroke;stroke:#fff;stroke-width:3px}.delta{font-weight:bold;fill:#2166ac}
.item:focus{outline:none}.item:focus rect,.item:hover rect,.item:target rect{stroke:#000;stroke-width:3}
</style>)";

// One picture (or two, for a diff) as blocks placed left to right: the address column,
// then each picture's board lanes, its DMA groups and its marks.
struct Block {
    std::string title;
    double width = 0;
    std::string body;
    bool collapsible = false;
};

std::vector<Block> blocks(const SvgWriter& writer, const Picture& picture, std::string_view side) {
    std::vector<Block> out;
    for (const Group& group : picture.groups) {
        std::string title = group.collapsible ? group.title : side.empty() ? "this board" : std::string(side);
        out.push_back({title, writer.group_width(group), writer.group_block(group, picture), group.collapsible});
    }
    if (!picture.markers.empty()) out.push_back({"", kMarkerWidth, writer.marker_block(picture), false});
    return out;
}

std::string legend_rows(double& height);

// Everything drawn as one SVG document, the legend below.
void write_svg(std::ostream& out, const std::string& title, const SvgWriter& writer,
               const std::vector<std::vector<Block>>& sides) {
    std::vector<Block> all{{"", kAxisWidth, writer.axis_block(), false}};
    for (const auto& side : sides) all.insert(all.end(), side.begin(), side.end());
    double width = 0;
    for (const Block& block : all) width += block.width + 6;
    double legend_height = 0;
    std::string legend = legend_rows(legend_height);
    double picture_height = kTitle + writer.height();
    double height = picture_height + 16 + legend_height;
    width = std::max(width, 600.0);
    out << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
                       R"(role="img" aria-labelledby="svg-title">)",
                       width, height)
        << fmt::format(R"(<title id="svg-title">{}</title>)", xml(title)) << kDefs << kSvgStyle
        << R"(<rect width="100%" height="100%" fill="#fff"/>)";
    double x = 0;
    for (const Block& block : all) {
        out << fmt::format(R"~(<g transform="translate({:.1f},0)"><text x="4" y="15" class="head">{}</text>)~"
                           R"~(<g transform="translate(0,{})">{}</g></g>)~",
                           x, xml(block.title), kTitle, block.body);
        x += block.width + 6;
    }
    out << fmt::format(R"~(<g transform="translate(0,{:.0f})">{}</g>)~", picture_height + 16, legend) << "</svg>\n";
}

// The legend: every shape, the assumed and finding outlines, marks and breaks. Returns
// the rows, `height` set to their height.
std::string legend_rows(double& height) {
    constexpr int kShapes = static_cast<int>(Shape::Folded) + 1;
    std::string body;
    double y = 4;
    auto row = [&](const std::string& swatch, std::string_view text) {
        body += swatch + fmt::format(R"(<text x="40" y="{:.0f}">{}</text>)", y + 12, xml(text));
        y += 20;
    };
    for (int i = 0; i < kShapes; ++i) {
        const ShapeStyle& style = style_of(static_cast<Shape>(i));
        std::string swatch = fmt::format(R"(<rect x="4" y="{}" width="28" height="15" fill="{}" stroke="#555"/>)", y, style.fill);
        if (*style.pattern) swatch += fmt::format(R"~(<rect x="4" y="{}" width="28" height="15" fill="url(#{})"/>)~", y, style.pattern);
        if (static_cast<Shape>(i) == Shape::Finding) {
            swatch += badge(Severity::Error, 11, y + 7) + badge(Severity::Warning, 19, y + 7) + badge(Severity::Note, 28, y + 7);
        }
        row(swatch, style.legend);
    }
    row(fmt::format(R"(<rect x="4" y="{}" width="28" height="15" fill="#9cc3e6" stroke="#555" stroke-dasharray="4 2"/>)", y),
        "dashed outline: the address rests on a default input (give --load, --kernel-image)");
    row(fmt::format(R"(<rect x="4" y="{}" width="28" height="15" fill="#fff" stroke="#b2182b" stroke-width="2.5"/>)", y),
        "thick outline: a finding concerns the region");
    row(fmt::format(R"(<line x1="4" y1="{0}" x2="32" y2="{0}" stroke="#333" stroke-dasharray="6 3"/>)", y + 7),
        "dashed line: a mark (lowmem end, ZONE_MOVABLE start, DMA reach)");
    row(fmt::format(R"(<path d="M4 {0}L8 {1}L12 {0}L16 {1}L20 {0}L24 {1}L28 {0}" fill="none" stroke="#777"/>)", y + 5, y + 10),
        "zigzag band: a break, empty address space not drawn to scale");
    height = y + 4;
    return body;
}

const char* kPageStyle = R"(<style>
body{font-family:"DejaVu Sans",Verdana,sans-serif;font-size:14px;margin:1em 1.5em;color:#111;background:#fff}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}.sub{color:#333}
.map{display:flex;align-items:flex-start;gap:6px;overflow-x:auto;padding-bottom:1em}
.block>.title,.block>summary{height:24px;line-height:24px;font-weight:bold;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
details.block>summary{cursor:pointer;max-width:100%}details.block:not([open]){width:2.2em}
.side{display:flex;gap:6px;border-left:3px solid #999;padding-left:6px}
#info{position:fixed;right:1em;bottom:1em;max-width:34em;background:#fffbe6;border:1px solid #888;padding:.6em .8em;white-space:pre-line;font-size:13px;box-shadow:0 1px 4px #0004}
table{border-collapse:collapse;font-size:12.5px}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
td.a{font-family:"DejaVu Sans Mono",monospace;white-space:nowrap}
.error{color:#b2182b}.warning{color:#8c510a}.note{color:#2166ac}li{margin:.2em 0}
@media print{#info{display:none}details.block:not([open]){display:none}}
</style>)";

// Hover or keyboard focus shows an item's details; without the script its <title> still does.
const char* kScript = R"(<script>
const info = document.getElementById('info');
function show(event) {
  const item = event.target.closest && event.target.closest('.item');
  if (item) info.textContent = item.querySelector('title').textContent;
}
document.addEventListener('mouseover', show);
document.addEventListener('focusin', show);
window.addEventListener('hashchange', () => {
  const item = document.getElementById(location.hash.slice(1));
  if (item && item.classList.contains('item')) { item.focus(); }
});
</script>)";

void write_blocks_html(std::ostream& out, const std::vector<Block>& blocks, double height) {
    for (const Block& block : blocks) {
        std::string svg = fmt::format(R"(<svg width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}">{2}{3}</svg>)",
                                      block.width, height, kSvgStyle, block.body);
        if (block.collapsible) {
            out << fmt::format(R"(<details class="block" open><summary title="{0}">{0}</summary>{1}</details>)",
                               xml(block.title), svg);
        } else {
            out << fmt::format(R"(<div class="block"><div class="title">{}</div>{}</div>)", xml(block.title), svg);
        }
    }
}

void write_page_head(std::ostream& out, const std::string& title) {
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        << "<title>" << xml(title) << "</title>\n"
        << kPageStyle << "\n</head>\n<body>\n";
}

void write_page_tail(std::ostream& out) {
    double height = 0;
    std::string legend = legend_rows(height);
    out << fmt::format(R"(<section id="legend"><h2>Legend</h2><svg width="600" height="{:.0f}" role="img" aria-label="legend">)",
                       height)
        << kSvgStyle << legend << "</svg></section>\n"
        << R"(<aside id="info" aria-live="polite">Hover over a region, or focus one with Tab, to see its node, range, flags, users and source.</aside>)"
        << "\n<footer><p class=\"sub\">dtmem " << DTMEM_VERSION << "</p></footer>\n"
        << kScript << "\n</body>\n</html>\n";
}

// How to read the picture, and what was folded or could not be drawn.
void write_picture_notes(std::ostream& out, const Picture& picture) {
    for (const std::string& fold : picture.folds) out << "<p class=\"sub\">Folded: " << xml(fold) << "</p>\n";
    if (!picture.not_drawn.empty()) {
        out << "<p class=\"sub\">Not drawn (no address):</p><ul>";
        for (const std::string& line : picture.not_drawn) out << "<li>" << xml(line) << "</li>";
        out << "</ul>\n";
    }
}

void write_table(std::ostream& out, const Picture& picture, std::string_view caption) {
    out << "<table><caption>" << xml(caption) << "</caption>\n"
        << "<tr><th>lane</th><th>what</th><th>start</th><th>end</th><th>size</th><th>details</th></tr>\n";
    for (const Group& group : picture.groups) {
        for (const Lane& lane : group.lanes) {
            std::string lane_name = group.collapsible ? group.title + ": " + lane.title : lane.title;
            for (const Item& item : lane.items) {
                std::string details;
                for (const std::string& line : item.details) details += (details.empty() ? "" : "<br>") + xml(line);
                if (item.assumed) details += std::string(details.empty() ? "" : "<br>") + "address rests on a default input";
                out << fmt::format(R"(<tr><td>{}</td><td><a href="#{}">{}</a></td><td class="a">{}</td><td class="a">{}</td>)"
                                   R"(<td class="a">{}</td><td>{}</td></tr>)",
                                   xml(lane_name), item.id, xml(item.subject), hex(item.range.start), hex(item.range.last()),
                                   human_size(item.range.size), details)
                    << '\n';
            }
        }
    }
    out << "</table>\n";
}

// The anchor a finding links to: its own band in the findings lane, else the first item
// of its node.
std::string anchor_of(const Picture& picture, const Finding& finding, std::size_t& next_band) {
    const Lane* findings = nullptr;
    for (const Lane& lane : picture.groups.front().lanes) {
        if (lane.title == "findings") findings = &lane;
    }
    if (findings && !finding.ranges.empty() && next_band < findings->items.size() && !findings->items[next_band].folded) {
        std::string id = findings->items[next_band].id;
        next_band += finding.ranges.size();
        return id;
    }
    for (const Group& group : picture.groups) {
        for (const Lane& lane : group.lanes) {
            for (const Item& item : lane.items) {
                if (finding.node != kNoNode && item.node == finding.node) return item.id;
            }
        }
    }
    return {};
}

void write_finding_list(std::ostream& out, const Analysis& analysis, const Picture& picture,
                        const std::vector<Finding>& findings) {
    out << "<ol>\n";
    std::size_t next_band = 0;
    std::vector<std::pair<Severity, std::string>> lines;  // most severe first, then as lint lists them
    for (const Finding& f : findings) {
        std::string anchor = anchor_of(picture, f, next_band);
        std::string text = xml(finding_line(analysis, f));
        lines.emplace_back(f.severity, fmt::format(R"(<li class="{}">{}</li>)", severity_name(f.severity),
                                                   anchor.empty() ? text : fmt::format(R"(<a href="#{}">{}</a>)", anchor, text)));
    }
    std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& line : lines) out << line.second << '\n';
    out << "</ol>\n";
}

void write_header(std::ostream& out, const Analysis& analysis, std::string_view heading) {
    const Property* model = analysis.tree().find_property(analysis.tree().root(), "model");
    std::string name = model && model->as_string() ? fmt::format(" — {}", *model->as_string()) : "";
    out << "<header><h1>" << xml(heading) << ": " << xml(analysis.file) << xml(name) << "</h1>\n";
    if (analysis.prediction) {
        const KernelProfile& profile = analysis.prediction->profile;
        out << "<p class=\"sub\">As kernel " << xml(profile.id) << " (" << xml(profile.description)
            << ") boots it. Assumed:</p><ul>";
        for (const std::string& assumption : analysis.prediction->assumptions) out << "<li>" << xml(assumption) << "</li>";
        out << "</ul>\n";
    } else {
        out << "<p class=\"sub\">No boot prediction: " << xml(analysis.no_prediction) << "</p>\n";
    }
    out << "</header>\n";
}

void write_one(std::ostream& out, const Analysis& analysis, const std::vector<Finding>* findings) {
    std::vector<Finding> none;
    Picture picture = picture::draw(analysis, findings ? *findings : none, "r");
    Axis axis({&picture});
    SvgWriter writer(axis);
    write_page_head(out, fmt::format("dtmem {}: {}", findings ? "lint" : "map", analysis.file));
    write_header(out, analysis, findings ? "Memory findings" : "Memory map");
    if (findings) {
        out << "<section id=\"findings\"><h2>Findings (" << findings->size() << ")</h2>\n";
        if (findings->empty()) out << "<p>None.</p>\n";
        write_finding_list(out, analysis, picture, *findings);
        out << "</section>\n";
    } else if (!analysis.diagnostics().empty()) {
        out << "<section id=\"notes\"><h2>Notes on the tree</h2><ul>\n";
        for (const Diagnostic& d : analysis.diagnostics()) {
            out << fmt::format("<li class=\"{}\">{}{} [{}]</li>\n", severity_name(d.severity),
                               xml(d.node == kNoNode ? "" : analysis.tree().path(d.node) + ": "), xml(d.message), d.id);
        }
        out << "</ul></section>\n";
    }
    out << "<section id=\"picture\"><h2>The physical address space</h2>\n"
        << "<p class=\"sub\">Addresses grow downwards, to scale within each stretch; every region is at least 3 pixels "
           "tall, and a zigzag band cuts out empty space. Hover or Tab for details; the table below has the same data.</p>\n";
    write_picture_notes(out, picture);
    out << R"(<svg width="0" height="0" aria-hidden="true" style="position:absolute">)" << kDefs << "</svg>\n"
        << "<div class=\"map\" role=\"img\" aria-label=\"memory map of " << xml(analysis.file) << "\">";
    write_blocks_html(out, {{"", kAxisWidth, writer.axis_block(), false}}, writer.height());
    write_blocks_html(out, blocks(writer, picture, ""), writer.height());
    out << "</div></section>\n<section id=\"table\"><h2>The same regions as a table</h2>\n";
    write_table(out, picture, analysis.file);
    out << "</section>\n";
    write_page_tail(out);
}

// The subjects a diff changed, as the new side's items name them.
std::set<std::string> changed_subjects(const MemoryDiff& diff) {
    std::set<std::string> subjects;
    for (const FactChange& change : diff.changes) {
        std::string subject = change.subject.substr(0, change.subject.find(" (was "));
        subjects.insert(subject == "default area" ? "default CMA area" : subject == "bounce buffer" ? "swiotlb bounce buffer" : subject);
    }
    return subjects;
}

}  // namespace

void write_map_html(std::ostream& out, const Analysis& analysis) {
    write_one(out, analysis, nullptr);
}

void write_findings_html(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    write_one(out, analysis, &findings);
}

void write_map_svg(std::ostream& out, const Analysis& analysis, const std::vector<Finding>& findings) {
    Picture picture = picture::draw(analysis, findings, "r");
    Axis axis({&picture});
    SvgWriter writer(axis);
    write_svg(out, "memory map of " + analysis.file, writer, {blocks(writer, picture, "")});
}

namespace {

// Both sides of a diff on one axis; the new side marks what the change changed.
struct DiffDrawing {
    DiffDrawing(const Analysis& before, const Analysis& after, const MemoryDiff& diff,
                const std::vector<Finding>& before_findings, const std::vector<Finding>& after_findings)
        : old_picture(picture::draw(before, before_findings, "a")),
          new_picture(picture::draw(after, after_findings, "b")),
          axis({&old_picture, &new_picture}),
          old_writer(axis),
          new_writer(axis, changed_subjects(diff)),
          old_side(blocks(old_writer, old_picture, "before: " + before.file)),
          new_side(blocks(new_writer, new_picture, "after: " + after.file)) {}
    DiffDrawing(const DiffDrawing&) = delete;  // the writers hold the axis

    Picture old_picture, new_picture;
    Axis axis;
    SvgWriter old_writer, new_writer;
    std::vector<Block> old_side, new_side;
};

}  // namespace

void write_diff_html(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff,
                     const std::vector<Finding>& before_findings, const std::vector<Finding>& after_findings) {
    DiffDrawing drawing(before, after, diff, before_findings, after_findings);
    write_page_head(out, fmt::format("dtmem diff: {} -> {}", before.file, after.file));
    out << "<header><h1>Memory diff: " << xml(before.file) << " → " << xml(after.file) << "</h1></header>\n"
        << "<section id=\"changes\"><h2>What the change does to memory</h2><ul>\n";
    if (diff.changes.empty()) out << "<li>no change</li>\n";
    for (const FactChange& change : diff.changes) out << "<li>" << xml(change_line(change)) << "</li>\n";
    out << "</ul>\n<h2>Findings it brings (" << diff.introduced.size() << ")</h2>\n";
    write_finding_list(out, after, drawing.new_picture, diff.introduced);
    out << "<h2>Findings it fixes (" << diff.fixed.size() << ")</h2>\n";
    write_finding_list(out, before, drawing.old_picture, diff.fixed);
    out << "</section>\n<section id=\"picture\"><h2>Before and after, on one address axis</h2>\n"
        << "<p class=\"sub\">Regions the change moved, resized, added or changed are outlined and marked Δ on the new side.</p>\n";
    write_picture_notes(out, drawing.old_picture);
    write_picture_notes(out, drawing.new_picture);
    out << R"(<svg width="0" height="0" aria-hidden="true" style="position:absolute">)" << kDefs << "</svg>\n"
        << "<div class=\"map\" role=\"img\" aria-label=\"memory map before and after\">";
    double height = drawing.old_writer.height();
    write_blocks_html(out, {{"", kAxisWidth, drawing.old_writer.axis_block(), false}}, height);
    out << "<div class=\"side\">";
    write_blocks_html(out, drawing.old_side, height);
    out << "</div><div class=\"side\">";
    write_blocks_html(out, drawing.new_side, height);
    out << "</div></div></section>\n<section id=\"table\"><h2>The same regions as tables</h2>\n";
    write_table(out, drawing.old_picture, "before: " + before.file);
    write_table(out, drawing.new_picture, "after: " + after.file);
    out << "</section>\n";
    write_page_tail(out);
}

void write_diff_svg(std::ostream& out, const Analysis& before, const Analysis& after, const MemoryDiff& diff,
                    const std::vector<Finding>& before_findings, const std::vector<Finding>& after_findings) {
    DiffDrawing drawing(before, after, diff, before_findings, after_findings);
    write_svg(out, fmt::format("memory map of {} and {}", before.file, after.file), drawing.old_writer,
              {drawing.old_side, drawing.new_side});
}

}  // namespace dtmem
