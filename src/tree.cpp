#include "dtmem/tree.hpp"

#include <cstring>

#include <fmt/format.h>
#include <libfdt.h>

#include "dtmem/error.hpp"

namespace dtmem {

std::uint32_t Property::cell(std::size_t index) const {
    const std::uint8_t* p = value.data() + 4 * index;
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
           (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::optional<std::string_view> Property::as_string() const {
    if (value.empty() || value.back() != 0) return std::nullopt;
    const char* text = reinterpret_cast<const char*>(value.data());
    return std::string_view(text, std::strlen(text));
}

std::vector<std::string_view> Property::as_strings() const {
    std::vector<std::string_view> strings;
    if (value.empty() || value.back() != 0) return strings;
    const char* text = reinterpret_cast<const char*>(value.data());
    for (std::size_t at = 0; at < value.size();) {
        std::string_view s(text + at);
        strings.push_back(s);
        at += s.size() + 1;
    }
    return strings;
}

std::optional<std::uint32_t> Property::as_u32() const {
    if (value.size() < 4) return std::nullopt;
    return cell(0);
}

void validate_fdt(std::span<const std::uint8_t> blob) {
    if (blob.size() < sizeof(fdt_header)) {
        throw Error(fmt::format("not a device tree blob: {} bytes is shorter than the FDT header",
                                blob.size()));
    }
    const void* fdt = blob.data();
    if (fdt_magic(fdt) != FDT_MAGIC) {
        throw Error(fmt::format("not a device tree blob (magic {:#010x}, expected 0xd00dfeed)",
                                fdt_magic(fdt)));
    }
    if (fdt_totalsize(fdt) > blob.size()) {
        throw Error(fmt::format("truncated device tree blob: header says {} bytes, file has {}",
                                fdt_totalsize(fdt), blob.size()));
    }
    // fdt_check_full walks the whole structure block and checks every offset, name and
    // string reference; nothing below runs on a blob it rejects.
    if (int rc = fdt_check_full(fdt, blob.size()); rc != 0) {
        throw Error(std::string("corrupt device tree blob: ") + fdt_strerror(rc));
    }
}

Tree Tree::from_blob(std::vector<std::uint8_t> blob) {
    validate_fdt(blob);
    const void* fdt = nullptr;
    Tree tree;
    tree.blob_ = std::move(blob);
    fdt = tree.blob_.data();

    for (int i = 0;; ++i) {
        u64 address = 0, size = 0;
        if (fdt_get_mem_rsv(fdt, i, &address, &size) != 0 || size == 0) break;
        tree.memreserve_.push_back({address, size});
    }

    std::vector<NodeId> last_child_at_depth;  // last child seen per parent depth
    std::vector<NodeId> stack;                // node id per depth
    int depth = 0;
    for (int offset = 0; offset >= 0; offset = fdt_next_node(fdt, offset, &depth)) {
        if (depth < 0) break;
        Node node;
        int name_len = 0;
        const char* name = fdt_get_name(fdt, offset, &name_len);
        node.name = std::string_view(name ? name : "", name ? name_len : 0);
        stack.resize(depth + 1);
        last_child_at_depth.resize(depth + 2, kNoNode);
        NodeId id = static_cast<NodeId>(tree.nodes_.size());
        if (depth > 0) {
            node.parent = stack[depth - 1];
            NodeId previous = last_child_at_depth[depth];
            if (previous == kNoNode) {
                tree.nodes_[node.parent].first_child = id;
            } else {
                tree.nodes_[previous].next_sibling = id;
            }
        }
        last_child_at_depth[depth] = id;
        last_child_at_depth[depth + 1] = kNoNode;
        stack[depth] = id;

        node.first_property = static_cast<std::uint32_t>(tree.properties_.size());
        int prop_offset = 0;
        fdt_for_each_property_offset(prop_offset, fdt, offset) {
            const char* prop_name = nullptr;
            int len = 0;
            const void* value = fdt_getprop_by_offset(fdt, prop_offset, &prop_name, &len);
            if (!value || !prop_name || len < 0) continue;
            Property property{prop_name,
                              {static_cast<const std::uint8_t*>(value), static_cast<std::size_t>(len)}};
            if ((property.name == "phandle" || property.name == "linux,phandle") &&
                property.value.size() == 4) {
                tree.phandles_.emplace(property.cell(0), id);
            }
            tree.properties_.push_back(property);
        }
        node.property_count =
            static_cast<std::uint32_t>(tree.properties_.size()) - node.first_property;
        tree.nodes_.push_back(node);
        bool available = tree.is_available(id);
        tree.nodes_[id].available_subtree =
            available && (depth == 0 || tree.nodes_[tree.nodes_[id].parent].available_subtree);
    }
    if (tree.nodes_.empty()) throw Error("device tree blob has no root node");
    return tree;
}

std::span<const Property> Tree::properties(NodeId id) const {
    const Node& node = nodes_[id];
    return {properties_.data() + node.first_property, node.property_count};
}

const Property* Tree::find_property(NodeId id, std::string_view name) const {
    for (const Property& property : properties(id)) {
        if (property.name == name) return &property;
    }
    return nullptr;
}

std::string Tree::path(NodeId id) const {
    if (id == root()) return "/";
    std::vector<std::string_view> parts;
    for (NodeId n = id; n != root() && n != kNoNode; n = parent(n)) parts.push_back(name(n));
    std::string result;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        result += '/';
        result += *it;
    }
    return result;
}

NodeId Tree::find_child(NodeId parent_id, std::string_view wanted) const {
    bool has_unit = wanted.find('@') != std::string_view::npos;
    for (NodeId child = first_child(parent_id); child != kNoNode; child = next_sibling(child)) {
        std::string_view child_name = name(child);
        if (child_name == wanted) return child;
        if (!has_unit && child_name.substr(0, child_name.find('@')) == wanted) return child;
    }
    return kNoNode;
}

NodeId Tree::find_path(std::string_view wanted) const {
    if (wanted.empty() || wanted[0] != '/') return kNoNode;
    NodeId node = root();
    while (!wanted.empty() && node != kNoNode) {
        wanted.remove_prefix(1);  // the '/'
        std::size_t slash = wanted.find('/');
        std::string_view component = wanted.substr(0, slash);
        if (!component.empty()) node = find_child(node, component);
        wanted = slash == std::string_view::npos ? std::string_view{} : wanted.substr(slash);
    }
    return node;
}

NodeId Tree::by_phandle(std::uint32_t phandle) const {
    auto it = phandles_.find(phandle);
    return it == phandles_.end() ? kNoNode : it->second;
}

bool Tree::is_available(NodeId id) const {
    const Property* status = find_property(id, "status");
    if (!status) return true;
    auto text = status->as_string();
    return text && (*text == "okay" || *text == "ok");
}

const SourceInfo* Tree::sources(NodeId id) const {
    return id < sources_.size() ? &sources_[id] : nullptr;
}

std::optional<SourceLocation> Tree::location(NodeId id) const {
    const SourceInfo* info = sources(id);
    if (!info || info->node.empty()) return std::nullopt;
    return info->node.front();
}

std::optional<SourceLocation> Tree::location(NodeId id, std::string_view property) const {
    const SourceInfo* info = sources(id);
    if (!info) return std::nullopt;
    auto it = info->properties.find(property);
    if (it == info->properties.end()) return location(id);
    return it->second;
}

}  // namespace dtmem
