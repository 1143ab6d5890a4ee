// SPDX-License-Identifier: MIT
#include "dtmem/tree.hpp"

#include <algorithm>

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

namespace {

std::uint64_t be32_at(std::span<const std::uint8_t> blob, std::uint64_t at) {
    return (std::uint64_t{blob[at]} << 24) | (std::uint64_t{blob[at + 1]} << 16) | (std::uint64_t{blob[at + 2]} << 8) |
           blob[at + 3];
}

// libfdt 1.6.1's fdt_next_tag() lets a huge property length wrap the next offset backwards,
// and fdt_check_full() then loops for ever (found by the fuzzer). Walk the tags once first,
// every step forward and inside the structure block, at most one step per 4 bytes.
bool tags_walk_forward(std::span<const std::uint8_t> blob) {
    const void* fdt = blob.data();
    std::uint64_t total = fdt_totalsize(fdt), start = fdt_off_dt_struct(fdt);
    if (start > total) return false;
    std::uint64_t size = fdt_version(fdt) >= 17 ? fdt_size_dt_struct(fdt) : total - start;
    if (size > total - start) return false;
    auto align4 = [](std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; };
    for (std::uint64_t at = 0; at + 4 <= size;) {
        std::uint64_t tag = be32_at(blob, start + at);
        at += 4;
        if (tag == FDT_BEGIN_NODE) {
            auto name = blob.subspan(start + at, size - at);
            auto nul = std::find(name.begin(), name.end(), 0);
            if (nul == name.end()) return false;
            at = align4(at + static_cast<std::uint64_t>(nul - name.begin()) + 1);
        } else if (tag == FDT_PROP) {
            if (size - at < 8) return false;
            at = align4(at + 8 + be32_at(blob, start + at));
        } else if (tag == FDT_END) {
            return true;
        } else if (tag != FDT_END_NODE && tag != FDT_NOP) {
            return false;
        }
    }
    return false;
}

}  // namespace

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
    // Before fdt_check_full: libfdt 1.6.1 dereferences NULL checking a version 11 blob
    // (found by the fuzzer), and nothing older than 16 is read anyway.
    if (fdt_version(fdt) < 16) {
        throw Error(fmt::format("FDT version {} is older than 16, the oldest format dtmem reads", fdt_version(fdt)));
    }
    if (!tags_walk_forward(blob)) throw Error("corrupt device tree blob: FDT_ERR_BADSTRUCTURE");
    // fdt_check_full walks the whole structure block and checks every offset, name and
    // string reference; nothing below runs on a blob it rejects.
    if (int rc = fdt_check_full(fdt, blob.size()); rc != 0) {
        throw Error(std::string("corrupt device tree blob: ") + fdt_strerror(rc));
    }
}

namespace {

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

}  // namespace

Tree Tree::from_blob(std::vector<std::uint8_t> blob) {
    validate_fdt(blob);
    Tree tree;
    tree.blob_ = std::move(blob);
    const void* fdt = tree.blob_.data();

    for (int i = 0;; ++i) {
        u64 address = 0, size = 0;
        if (fdt_get_mem_rsv(fdt, i, &address, &size) != 0 || size == 0) break;
        tree.memreserve_.push_back({address, size});
    }

    // One linear pass over the structure block. fdt_check_full() has accepted it, so the
    // walk below only meets well-formed tags; the bounds are still checked, cheaply.
    const std::uint8_t* structure = tree.blob_.data() + fdt_off_dt_struct(fdt);
    const std::size_t structure_size = fdt_size_dt_struct(fdt);
    const char* strings = reinterpret_cast<const char*>(tree.blob_.data()) + fdt_off_dt_strings(fdt);
    const std::size_t strings_size = fdt_size_dt_strings(fdt);
    auto corrupt = [] { return Error("corrupt device tree blob: structure block ends early"); };

    std::vector<NodeId> open;        // the node at each depth
    std::vector<NodeId> last_child;  // the last child added below each open node
    for (std::size_t at = 0;;) {
        if (at + 4 > structure_size) throw corrupt();
        std::uint32_t tag = load_be32(structure + at);
        at += 4;
        if (tag == FDT_BEGIN_NODE) {
            const char* name = reinterpret_cast<const char*>(structure + at);
            const void* nul = std::memchr(name, 0, structure_size - at);
            if (!nul) throw corrupt();
            std::size_t name_len = static_cast<const char*>(nul) - name;
            at += align4(name_len + 1);
            NodeId id = static_cast<NodeId>(tree.nodes_.size());
            Node node;
            node.name = std::string_view(name, name_len);
            node.first_property = static_cast<std::uint32_t>(tree.properties_.size());
            if (!open.empty()) {
                node.parent = open.back();
                if (last_child.back() == kNoNode) {
                    tree.nodes_[node.parent].first_child = id;
                } else {
                    tree.nodes_[last_child.back()].next_sibling = id;
                }
                last_child.back() = id;
            }
            tree.nodes_.push_back(node);
            open.push_back(id);
            last_child.push_back(kNoNode);
        } else if (tag == FDT_PROP) {
            if (open.empty() || at + 8 > structure_size) throw corrupt();
            std::uint32_t len = load_be32(structure + at);
            std::uint32_t name_offset = load_be32(structure + at + 4);
            at += 8;
            if (len > structure_size - at || name_offset >= strings_size) throw corrupt();
            const char* name = strings + name_offset;
            const void* nul = std::memchr(name, 0, strings_size - name_offset);
            if (!nul) throw corrupt();
            Property property{std::string_view(name, static_cast<const char*>(nul) - name), {structure + at, len}};
            at += align4(len);
            NodeId id = open.back();
            if ((property.name == "phandle" || property.name == "linux,phandle") && len == 4) {
                tree.phandles_.emplace(property.cell(0), id);
            }
            tree.properties_.push_back(property);
            tree.nodes_[id].property_count++;
        } else if (tag == FDT_END_NODE) {
            if (open.empty()) throw corrupt();
            open.pop_back();
            last_child.pop_back();
        } else if (tag == FDT_END) {
            break;
        } else if (tag != FDT_NOP) {
            throw corrupt();
        }
    }
    if (tree.nodes_.empty()) throw Error("device tree blob has no root node");
    for (NodeId id = 0; id < tree.nodes_.size(); ++id) {  // parents precede children
        NodeId parent = tree.nodes_[id].parent;
        tree.nodes_[id].available_subtree =
            tree.is_available(id) && (parent == kNoNode || tree.nodes_[parent].available_subtree);
    }
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
