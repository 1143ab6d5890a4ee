// SPDX-License-Identifier: MIT
// Address translation as the kernel does it (drivers/of/address.c): cell counts with
// inheritance, `reg` decoding, translation through `ranges` and `dma-ranges`, the PCI
// and ISA bus conventions, DMA windows and the system-wide DMA limit.
//
// Values are read as the kernel reads them (the low 64 bits of a wider value, trailing
// cells ignored); such defects come back as diagnostics. A region whose end would pass
// 2^64 is left out with a diagnostic, never wrapped silently.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dtmem/diagnostic.hpp"
#include "dtmem/range.hpp"
#include "dtmem/tree.hpp"

namespace dtmem {

// Kernel defaults when no ancestor has the property (OF_ROOT_NODE_*_CELLS_DEFAULT).
inline constexpr int kDefaultAddressCells = 1;
inline constexpr int kDefaultSizeCells = 1;
// OF_MAX_ADDR_CELLS.
inline constexpr int kMaxAddressCells = 4;

struct Cells {
    int address = kDefaultAddressCells;
    int size = kDefaultSizeCells;
};

// #address-cells/#size-cells that apply to the children of `bus`: its own, else the
// nearest ancestor's, else the defaults (of_bus_n_addr_cells / of_bus_n_size_cells).
Cells bus_cells(const Tree& tree, NodeId bus);

// Root #address-cells/#size-cells as the early FDT scan reads them (fdt.c
// early_init_dt_scan_root): root's own or the defaults, no inheritance.
Cells root_cells(const Tree& tree);

// The kernel treats `node` as a PCI bus (of_bus_pci_match: device_type "pci", "pciex",
// "vci", "ht", or a node named "pcie").
bool is_pci_bus(const Tree& tree, NodeId node);

// Reads `count` big-endian cells as one number: their low 64 bits, as of_read_number().
u64 read_number(const Property& property, std::size_t first_cell, int count,
                const Tree& tree, NodeId node);

struct AddressSize {
    u64 address = 0;
    u64 size = 0;
};

// Splits a (address, size) list property read with `cells` as the kernel's flat-tree
// readers do (dt_mem_next_cell()): whole entries, low 64 bits of each value. Trailing
// cells and truncated values are added to `diagnostics`; Error when an entry has no cells.
std::vector<AddressSize> decode_pairs(const Tree& tree, NodeId node, const Property& property, Cells cells,
                                      std::vector<Diagnostic>& diagnostics);

// The node's register windows translated to CPU physical addresses, with their index in
// `reg` (`assigned-addresses` under a PCI bus). Entries that are not memory space
// (I/O ports, PCI config space), have size 0, do not translate (no `ranges`, outside
// every window) or end past 2^64 are left out, the last three with a diagnostic.
struct MmioWindow {
    int index = 0;
    Range range;
};
struct MmioResult {
    std::vector<MmioWindow> windows;
    std::vector<Diagnostic> diagnostics;
};
MmioResult translate_reg(const Tree& tree, NodeId node);

// One entry of a dma-ranges window after the kernel's range parser merged contiguous ones.
struct DmaRange {
    u64 dma_start = 0;
    u64 cpu_start = 0;
    u64 size = 0;
};

struct DmaWindow {
    NodeId node = kNoNode;  // the node whose dma-ranges applies
    std::vector<DmaRange> ranges;
    u64 dma_limit = 0;  // highest bus address of the window

    // The highest CPU address the window reaches.
    u64 cpu_reach() const {
        u64 last = 0;
        for (const DmaRange& r : ranges) last = std::max(last, r.cpu_start + (r.size - 1));
        return last;
    }
};

// One window of a bus's `ranges`, composed with every parent's translation: child
// addresses child_first..child_last (inclusive; the low 64 bits of a PCI address) are the
// CPU addresses from cpu_first. `flags` are the entry's IORESOURCE_* bits (memory, I/O).
struct BusWindow {
    u64 child_first = 0;
    u64 child_last = 0;
    u64 cpu_first = 0;
    std::uint32_t flags = 0;

    std::optional<u64> to_cpu(u64 child) const {
        if (child < child_first || child > child_last) return std::nullopt;
        return cpu_first + (child - child_first);
    }
};

// The windows of `bus`'s non-empty `ranges` (of_translate_one() for each entry's parent
// address): entries that do not translate are left out with a diagnostic; a window whose
// CPU end would pass 2^64 is cut there, with one.
std::vector<BusWindow> bus_windows(const Tree& tree, NodeId bus, std::vector<Diagnostic>& diagnostics);

// Defects of a bus node the kernel works around: an #address-cells it cannot translate
// (its children get no address), trailing cells in `ranges` or `dma-ranges`, a size-0
// dma-ranges entry that hides the entries after it.
std::vector<Diagnostic> check_bus(const Tree& tree, NodeId node);

// The PCI host bridge above a device on a PCI bus: the topmost node of the chain of PCI
// buses above it; kNoNode when the device is not on a PCI bus.
NodeId pci_host_bridge(const Tree& tree, NodeId device);

// The DMA parent: the `interconnects` target named "dma-mem", else the DT parent
// (__of_get_dma_parent).
NodeId dma_parent(const Tree& tree, NodeId node);

// of_dma_get_range(node): the DMA window of the first non-empty dma-ranges from `node`
// itself up its DMA-parent chain; nothing when none is reachable or none translates.
std::optional<DmaWindow> dma_window_from(const Tree& tree, NodeId node);

// The window a device gets (of_dma_configure_id → of_dma_get_range on its DMA parent,
// or for a PCI device on its host bridge);
// nothing when no non-empty dma-ranges is reachable ("no limit from DT") or none of its
// entries translates (the kernel then configures the device as if it had none; those
// failures are listed by dma_max_cpu_address()).
std::optional<DmaWindow> device_dma_window(const Tree& tree, NodeId device);

// of_dma_get_max_cpu_address(NULL): the minimum over available nodes of the highest CPU
// address of their dma-ranges. Nothing when no dma-ranges constrains it. A failing
// translation makes the kernel wrap (cpu_end = size - 2); that value is returned as the
// kernel computes it and the failure is listed in `failures`.
struct DmaMaxAddress {
    std::optional<u64> address;
    std::vector<std::string> failures;
};
DmaMaxAddress dma_max_cpu_address(const Tree& tree);

}  // namespace dtmem
