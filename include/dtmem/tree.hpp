// SPDX-License-Identifier: MIT
// An immutable, validated flattened device tree with fast navigation.
//
// The blob is checked with libfdt's fdt_check_full() before it is walked; after that
// every node and property is indexed once, so the later stages never touch libfdt.
// Property values are views into the blob owned by the Tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dtmem/range.hpp"
#include "dtmem/source.hpp"

namespace dtmem {

using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = UINT32_MAX;

struct Property {
    std::string_view name;
    std::span<const std::uint8_t> value;

    std::size_t cell_count() const { return value.size() / 4; }
    bool is_cells() const { return value.size() % 4 == 0; }
    std::uint32_t cell(std::size_t index) const;  // big-endian cell; index < cell_count()
    // The value as one NUL-terminated string, or nothing when it is not one.
    std::optional<std::string_view> as_string() const;
    // The value as a list of NUL-terminated strings (empty when malformed).
    std::vector<std::string_view> as_strings() const;
    // A single cell (the kernel's of_property_read_u32 needs at least 4 bytes).
    std::optional<std::uint32_t> as_u32() const;
};

// One /memreserve/ entry from the FDT header.
struct MemReserveEntry {
    u64 address = 0;
    u64 size = 0;
};

struct SourceInfo {
    std::vector<SourceLocation> node;  // every file that contributed to the node
    std::unordered_map<std::string_view, SourceLocation> properties;
};

// Throws dtmem::Error unless `blob` is a complete, well-formed FDT (fdt_check_full).
void validate_fdt(std::span<const std::uint8_t> blob);

// Names and property values are views into the blob the Tree owns. A Tree moves (the
// blob's buffer moves with it, so views taken before stay valid) but never copies: a copy
// would hand out views into a blob that dies with the original.
class Tree {
public:
    // Validates `blob` (fdt_check_full) and indexes it. Throws dtmem::Error on a bad blob.
    static Tree from_blob(std::vector<std::uint8_t> blob);

    Tree(const Tree&) = delete;
    Tree& operator=(const Tree&) = delete;
    Tree(Tree&&) = default;
    Tree& operator=(Tree&&) = default;

    NodeId root() const { return 0; }
    std::size_t node_count() const { return nodes_.size(); }
    std::string_view name(NodeId id) const { return nodes_[id].name; }
    NodeId parent(NodeId id) const { return nodes_[id].parent; }
    NodeId first_child(NodeId id) const { return nodes_[id].first_child; }
    NodeId next_sibling(NodeId id) const { return nodes_[id].next_sibling; }
    std::span<const Property> properties(NodeId id) const;
    const Property* find_property(NodeId id, std::string_view name) const;
    bool has_property(NodeId id, std::string_view name) const {
        return find_property(id, name) != nullptr;
    }

    std::string path(NodeId id) const;
    // Exact path lookup with libfdt's rule: a component without '@' also matches a node
    // whose name before '@' is equal. kNoNode when absent.
    NodeId find_path(std::string_view path) const;
    NodeId find_child(NodeId parent, std::string_view name) const;
    NodeId by_phandle(std::uint32_t phandle) const;

    // `status` absent, "okay" or "ok" (of_fdt_device_is_available / of_device_is_available).
    bool is_available(NodeId id) const;
    // The node and every ancestor are available.
    bool is_available_subtree(NodeId id) const { return nodes_[id].available_subtree; }

    const std::vector<MemReserveEntry>& memreserve() const { return memreserve_; }
    const std::vector<std::uint8_t>& blob() const { return blob_; }

    // Source locations, present when the tree was compiled from DTS.
    bool has_sources() const { return !sources_.empty(); }
    const SourceInfo* sources(NodeId id) const;
    std::optional<SourceLocation> location(NodeId id) const;
    std::optional<SourceLocation> location(NodeId id, std::string_view property) const;
    void set_sources(std::vector<SourceInfo> sources) { sources_ = std::move(sources); }

private:
    Tree() = default;

    struct Node {
        std::string_view name;
        NodeId parent = kNoNode;
        NodeId first_child = kNoNode;
        NodeId next_sibling = kNoNode;
        std::uint32_t first_property = 0;
        std::uint32_t property_count = 0;
        bool available_subtree = true;
    };

    std::vector<std::uint8_t> blob_;
    std::vector<Node> nodes_;
    std::vector<Property> properties_;
    std::vector<MemReserveEntry> memreserve_;
    std::unordered_map<std::uint32_t, NodeId> phandles_;
    std::vector<SourceInfo> sources_;  // indexed by NodeId, or empty
};

}  // namespace dtmem
