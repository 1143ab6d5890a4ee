// SPDX-License-Identifier: MIT
#include "load/source_map.hpp"

#include <charconv>
#include <filesystem>

namespace dtmem::detail {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool parse_int(std::string_view s, int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// "file:L:C-L:C" → location of the start; false for "<no-file>:<no-line>".
bool parse_location(std::string_view item, SourceLocation& out) {
    item = trim(item);
    std::size_t dash = item.rfind('-');
    if (dash == std::string_view::npos) return false;
    std::string_view head = item.substr(0, dash);
    std::size_t colon_column = head.rfind(':');
    if (colon_column == std::string_view::npos) return false;
    std::size_t colon_line = head.rfind(':', colon_column - 1);
    if (colon_line == std::string_view::npos || colon_column == 0) return false;
    int line = 0, column = 0;
    if (!parse_int(head.substr(colon_line + 1, colon_column - colon_line - 1), line) ||
        !parse_int(head.substr(colon_column + 1), column)) {
        return false;
    }
    // "dir/../soc.dtsi" (dtc joins an /include/ to its includer's folder) as "soc.dtsi".
    out = {std::filesystem::path(head.substr(0, colon_line)).lexically_normal().string(), line, column};
    return true;
}

// Splits "code /* a, b */" into code and the locations of the trailing comment.
std::string_view split_annotation(std::string_view line, std::vector<SourceLocation>& locations) {
    locations.clear();
    if (line.size() < 4 || line.substr(line.size() - 2) != "*/") return line;
    std::size_t open = line.rfind("/* ");
    if (open == std::string_view::npos) return line;
    std::string_view comment = line.substr(open + 3, line.size() - 2 - open - 3);
    while (!comment.empty()) {
        std::size_t comma = comment.find(", ");
        SourceLocation location;
        if (parse_location(comment.substr(0, comma), location)) locations.push_back(location);
        if (comma == std::string_view::npos) break;
        comment.remove_prefix(comma + 2);
    }
    return trim(line.substr(0, open));
}

// The word before " {" in "label: name {", or the property name in
// "label: name = value;" / "name;".
std::string_view last_word(std::string_view s) {
    s = trim(s);
    std::size_t space = s.find_last_of(" \t");
    return space == std::string_view::npos ? s : s.substr(space + 1);
}

std::string_view property_name(std::string_view code) {
    std::size_t end = code.find(" =");
    std::string_view head = end == std::string_view::npos ? code.substr(0, code.find(';')) : code.substr(0, end);
    return last_word(head);  // skips "label:" prefixes
}

// dtc prints children in tree order, so the next child of a node is almost always the
// sibling after the previous one; checking that first keeps wide trees linear.
NodeId next_child(const Tree& tree, NodeId parent, NodeId previous, std::string_view name) {
    NodeId candidate = previous == kNoNode ? tree.first_child(parent) : tree.next_sibling(previous);
    if (candidate != kNoNode && tree.name(candidate) == name) return candidate;
    return tree.find_child(parent, name);
}

}  // namespace

std::vector<SourceInfo> parse_annotated_dts(std::string_view text, const Tree& tree) {
    std::vector<SourceInfo> sources(tree.node_count());
    struct Open {
        NodeId node;        // kNoNode for nodes missing from the final tree
        NodeId last_child;  // the child matched last
    };
    std::vector<Open> stack;
    std::vector<SourceLocation> locations;
    while (!text.empty()) {
        std::size_t newline = text.find('\n');
        std::string_view line = trim(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        std::string_view code = split_annotation(line, locations);
        if (code.empty() || (code.front() == '/' && code != "/ {")) continue;  // /dts-v1/; /memreserve/
        if (code.back() == '{') {
            NodeId node = kNoNode;
            if (stack.empty()) {
                node = tree.root();
            } else if (Open& parent = stack.back(); parent.node != kNoNode) {
                node = next_child(tree, parent.node, parent.last_child, last_word(code.substr(0, code.size() - 1)));
                if (node != kNoNode) parent.last_child = node;
            }
            stack.push_back({node, kNoNode});
            if (node != kNoNode) sources[node].node = locations;
        } else if (code.rfind("};", 0) == 0) {
            if (!stack.empty()) stack.pop_back();
        } else if (!stack.empty() && stack.back().node != kNoNode && !locations.empty()) {
            NodeId node = stack.back().node;
            const Property* property = tree.find_property(node, property_name(code));
            if (property) sources[node].properties.emplace(property->name, locations.front());
        }
    }
    return sources;
}

}  // namespace dtmem::detail
