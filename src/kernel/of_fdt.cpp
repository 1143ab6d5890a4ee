// SPDX-License-Identifier: MIT
// drivers/of/fdt.c: the memory nodes (early_init_dt_scan_memory(), early_init_dt_add_memory_arch())
// and the size of the unflattened tree (unflatten_device_tree()).
#include <bit>

#include "kernel/simulation.hpp"

namespace dtmem::detail {

// early_init_dt_add_memory_arch(): page rounding and the arch's address bounds.
void BootSimulation::add_memory_bank(u64 base, u64 size, u64 min_addr, u64 max_addr) {
    u64 page = profile_.page_size;
    u64 offset = base & (page - 1);
    if (size < page - offset) {
        log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
        return;
    }
    if (offset) {
        size -= page - offset;
        base = align_up(base, page);
    }
    size &= ~(page - 1);
    if (base > max_addr) {
        log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
        return;
    }
    if (base + size - 1 > max_addr) {
        log(fmt::format("OF: fdt: Ignoring memory range {:#x} - {:#x}", max_addr + 1, base + size));
        size = max_addr - base + 1;
    }
    if (base + size < min_addr) {
        log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
        return;
    }
    if (base < min_addr) {
        log(fmt::format("OF: fdt: Ignoring memory range {:#x} - {:#x}", base, min_addr));
        size -= min_addr - base;
        base = min_addr;
    }
    memblock_.add(base, size);
}

// Nothing of the described RAM reached memblock (every bank under a page, outside the
// kernel's reach, or outside linux,usable-memory-range): the kernel cannot set up memory.
// arm64 panics in its first page-table allocation; elsewhere the outcome is not modelled.
bool BootSimulation::no_memory_left() {
    if (!memblock_.memory().empty()) return false;
    prediction_.unmodelled.push_back("no RAM is left after the kernel reads the memory nodes: it cannot boot, "
                                     "and how it fails is not predicted");
    return true;
}

// early_init_dt_scan_memory() in tree order, then linux,usable-memory-range.
void BootSimulation::scan_memory(u64 min_addr, u64 max_addr) {
    std::vector<RamBank> banks = map_.ram;
    std::stable_sort(banks.begin(), banks.end(), [](const RamBank& a, const RamBank& b) {
        return (a.node + 1) < (b.node + 1);  // the kernel reads nodes in tree order
    });
    for (const RamBank& bank : banks) {
        add_memory_bank(bank.range.start, bank.range.size, min_addr, max_addr);
        if (bank.hotpluggable) memblock_.mark_hotplug(bank.range.start, bank.range.size);
    }
    // early_init_dt_check_for_usable_mem_range(): the first range caps, a second adds.
    const auto& usable = map_.chosen.usable_memory_range;
    if (!usable.empty()) {
        memblock_.cap(usable[0].start, usable[0].size);
        if (usable.size() > 1) memblock_.add(usable[1].start, usable[1].size);
    }
}

// __unflatten_device_tree(): the size unflatten_dt_nodes() measures.
u64 BootSimulation::unflattened_size() const {
    u64 node_size = build("sizeof_device_node");
    u64 property_size = build("sizeof_property");
    u64 total = 0;
    const u64 align = pointer_bytes();  // __alignof__(struct device_node) and (struct property)
    auto alloc = [&total, align](u64 size) { total = align_up(total, align) + size; };
    NodeId chosen = tree_.find_path("/chosen");
    for (NodeId node = 0; node < tree_.node_count(); ++node) {
        std::string_view node_name = tree_.name(node);
        alloc(node_size + node_name.size() + 1);
        bool has_name = false;
        for (const Property& p : tree_.properties(node)) {
            // early_init_dt_scan_chosen() NOPs the rng-seed out of the blob once used.
            if (node == chosen && p.name == "rng-seed" && !p.value.empty()) continue;
            has_name |= p.name == "name";
            alloc(property_size);
        }
        if (!has_name) {
            std::size_t at = node_name.rfind('@');
            std::size_t base_length = at == std::string_view::npos ? node_name.size() : at;
            alloc(property_size + base_length + 1);
        }
    }
    return align_up(total, 4) + 4;
}

}  // namespace dtmem::detail
