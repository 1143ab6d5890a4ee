// SPDX-License-Identifier: MIT
// The physical memory map: facts the device tree states, read the way the kernel reads
// them (drivers/of/fdt.c, drivers/of/of_reserved_mem.c, drivers/of/address.c), before
// any prediction of what a kernel does with them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/address.hpp"
#include "dtmem/diagnostic.hpp"
#include "dtmem/range.hpp"
#include "dtmem/tree.hpp"

namespace dtmem {

enum class RamSource { Reg, UsableMemory, CommandLine };

struct RamBank {
    NodeId node = kNoNode;  // kNoNode for --memory banks
    Range range;
    RamSource source = RamSource::Reg;
    bool hotpluggable = false;
};

enum class RegionType { Static, Dynamic, Invalid };

struct ReservedRegion {
    NodeId node = kNoNode;
    RegionType type = RegionType::Invalid;
    std::vector<AddressSize> reg;  // may hold size-0 entries: the kernel reports them
    std::optional<u64> size;
    std::optional<u64> alignment;
    std::vector<AddressSize> alloc_ranges;  // as written: size 0 and wrapping ends included
    bool no_map = false;
    bool reusable = false;
    bool cma_default = false;
    bool dma_default = false;
    bool available = true;
    std::vector<std::string_view> compatible;
    std::vector<NodeId> users;  // available nodes whose memory-region points here
    std::string problem;        // why the kernel skips it (type Invalid), in its words
};

struct ReservedMemory {
    NodeId node = kNoNode;
    std::optional<int> address_cells;
    std::optional<int> size_cells;
    bool has_ranges = false;
    std::string unsupported_reason;  // empty when the kernel accepts the node
    std::vector<ReservedRegion> regions;

    bool supported() const { return unsupported_reason.empty(); }
    const ReservedRegion* find(NodeId region) const {
        for (const ReservedRegion& r : regions) {
            if (r.node == region) return &r;
        }
        return nullptr;
    }
};

struct Chosen {
    NodeId node = kNoNode;
    std::optional<std::string_view> bootargs;
    std::optional<std::string_view> stdout_path;
    std::optional<Range> initrd;
    std::vector<Range> usable_memory_range;
};

struct MmioRegion {
    NodeId node = kNoNode;
    int index = 0;
    std::optional<std::string_view> name;  // reg-names entry
    Range range;
};

struct RegionUse {
    NodeId region = kNoNode;
    std::optional<std::string_view> name;  // memory-region-names entry
};

struct Device {
    NodeId node = kNoNode;
    bool dma_coherent = false;
    std::optional<DmaWindow> dma_window;
    std::vector<RegionUse> memory_regions;

    // The kernel takes this device's DMA buffers from the shared pools (the default CMA area,
    // the zones, swiotlb) within its window: it has one, and no memory-region of its own.
    bool uses_shared_pools() const { return dma_window && memory_regions.empty(); }
};

// What a bus reaches: where the addresses of its children land in the CPU's space, and
// the DMA window of its own non-empty dma-ranges. Rules ask it instead of walking parents.
struct BusTranslation {
    NodeId node = kNoNode;
    bool identity = false;           // empty `ranges`: its children use its parent's addresses
    std::vector<BusWindow> windows;  // an identity bus has its parent's windows
    std::optional<DmaWindow> dma;
};

// One row of the merged physical layout every front end draws. The kinds are in the
// order rows of equal start are listed.
enum class LayoutKind { Ram, Hole, MemReserve, Reserved, Mmio };

struct LayoutEntry {
    LayoutKind kind = LayoutKind::Ram;
    Range range;
    // Where the row comes from: the index into MemoryMap::ram, ::memreserve,
    // ::reserved_memory->regions or ::mmio (unused for a hole); for a reservation also
    // its reg entry.
    std::size_t source = 0;
    std::size_t reg_index = 0;
};

struct MemoryMap {
    Cells root_cells;
    std::vector<RamBank> ram;  // sorted by start
    std::vector<Range> memreserve;
    std::optional<ReservedMemory> reserved_memory;
    Chosen chosen;
    std::vector<MmioRegion> mmio;  // sorted by start, node path, index
    std::vector<Device> devices;   // tree order
    DmaMaxAddress dma_max;
    std::vector<BusTranslation> buses;  // every available node with ranges, tree order
    std::vector<LayoutEntry> layout;    // RAM, holes between banks, reservations, MMIO; by start
    std::vector<Diagnostic> diagnostics;
};

struct MapOptions {
    std::vector<Range> memory;  // --memory banks; when non-empty they replace the tree's
};

// The translation of `bus`, or nullptr when it has no `ranges`.
const BusTranslation* find_bus(const MemoryMap& map, NodeId bus);

// Builds the map. Node-local faults become diagnostics; throws only for what no map can
// be built from.
MemoryMap build_memory_map(const Tree& tree, const MapOptions& options = {});

// Parses "BASE:SIZE" (e.g. "0x40000000:2G"); nothing when malformed or overflowing.
std::optional<Range> parse_memory_bank(std::string_view text);

}  // namespace dtmem
