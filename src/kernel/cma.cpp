// SPDX-License-Identifier: MIT
// kernel/dma/contiguous.c and mm/cma.c: DT CMA pools (rmem_cma_setup()), the default area
// (dma_contiguous_reserve(), cma_declare_contiguous_nid()) and activation (cma_activate_area()).
#include "kernel/simulation.hpp"

namespace dtmem::detail {

int BootSimulation::rmem_cma_setup(const ReservedRegion& region, u64 base, u64 size) {
    if (cmdline_.cma && region.cma_default) {
        log(fmt::format("Reserved memory: bypass {} node, using cmdline CMA params instead", name(region.node)));
        return -16;
    }
    if (!region.reusable || region.no_map) return -22;
    if ((base | size) % profile_.cma_alignment_bytes != 0) {
        log("Reserved memory: incorrect alignment of CMA region");
        return -22;
    }
    if (static_cast<int>(prediction_.cma.size()) >= profile_.cma_areas) {
        log("cma: Not enough slots for CMA reserved regions!");
        log("Reserved memory: unable to setup CMA region");
        return -28;
    }
    prediction_.cma.push_back({name(region.node), base, size, {}, region.cma_default, true});
    if (region.cma_default) dt_default_cma_ = true;
    log(fmt::format("Reserved memory: created CMA memory pool at {}, size {} MiB", pa(base), size / kMiB));
    return 0;
}

// dma_contiguous_reserve(limit) → cma_declare_contiguous_nid().
void BootSimulation::default_cma(u64 arch_limit, u64 highmem_start) {
    if (!profile_.cma) return;
    u64 size = 0, base = 0, limit = arch_limit;
    bool fixed = false;
    if (cmdline_.cma) {
        size = cmdline_.cma->size;
        base = cmdline_.cma->base;
        limit = cmdline_.cma->limit ? std::min(cmdline_.cma->limit, arch_limit) : arch_limit;
        fixed = cmdline_.cma->base + cmdline_.cma->size == cmdline_.cma->limit;
    } else {
        u64 percent = memblock_.phys_mem_size() / 100 * profile_.cma_size_percentage;
        percent = align_down(percent, profile_.page_size);
        const std::string& selection = profile_.cma_size_selection;
        size = selection == "percentage" ? percent
               : selection == "min"      ? std::min(profile_.cma_size_bytes, percent)
               : selection == "max"      ? std::max(profile_.cma_size_bytes, percent)
                                         : profile_.cma_size_bytes;
    }
    if (size == 0 || dt_default_cma_) return;
    cma_declare(CmaArea{"reserved", base, size, {}, true, true}, limit, 0, fixed, highmem_start, -1);
}

// mm/cma.c cma_declare_contiguous_nid(): `area` names the area and gives the base (0: any)
// and size asked for. Returns 0 with the area added to the prediction, or the kernel's
// error (-ENOSPC, -EINVAL, -EBUSY, -ENOMEM) after its lines.
int BootSimulation::cma_declare(CmaArea area, u64 limit, u64 alignment, bool fixed, u64 highmem_start, int nid) {
    u64 base = area.base, size = area.size;
    if (!profile_.has("CONFIG_NUMA")) nid = -1;  // NUMA_NO_NODE
    std::string node = features_.cma_messages_name_node ? fmt::format(" on node {}", nid) : "";
    auto failed = [&](u64 shown, int error) {
        log(fmt::format("cma: Failed to reserve {} MiB{}", shown / kMiB, node));
        return error;
    };
    if (static_cast<int>(prediction_.cma.size()) >= profile_.cma_areas) {
        log("cma: Not enough slots for CMA reserved regions!");
        return -28;
    }
    if (size == 0) return -22;
    u64 memblock_end = memblock_.end_of_dram();
    alignment = std::max(alignment, profile_.cma_alignment_bytes);  // CMA_MIN_ALIGNMENT_BYTES
    if (fixed && base % alignment) {
        log(fmt::format("cma: Region at {} must be aligned to {} bytes", pa(base), pa(alignment)));
        return failed(size, -22);
    }
    base = align_up(base, alignment);
    size = align_up(size, alignment);
    limit &= ~(alignment - 1);
    if (base == 0) fixed = false;
    if (fixed && base < highmem_start && base + size > highmem_start) {
        log(fmt::format("cma: Region at {} defined on low/high memory boundary ({})", pa(base), pa(highmem_start)));
        return failed(size, -22);
    }
    if (limit == 0 || limit > memblock_end) limit = memblock_end;
    if (base + size > limit) {
        log(fmt::format("cma: Size ({}) of region at {} exceeds limit ({})", pa(size), pa(base), pa(limit)));
        return failed(size, -22);
    }
    std::optional<u64> address;
    if (fixed) {
        if (memblock_.is_region_reserved(base, size)) return failed(size, -16);
        memblock_.reserve(base, size);
        address = base;
    } else {
        bool try_above_4g = phys_64bit() && !memblock_.bottom_up() && memblock_end >= k4GiB + size;
        auto above_4g = [&] {
            memblock_.set_bottom_up(true);
            auto found = memblock_.alloc_range(size, alignment, k4GiB, limit);
            memblock_.set_bottom_up(false);
            return found;
        };
        if (!features_.cma_above_4g_before_highmem) {
            if (base < highmem_start && limit > highmem_start) {
                address = memblock_.alloc_range(size, alignment, highmem_start, limit);
                limit = highmem_start;
            }
            // 6.1 overwrites a HighMem success here (the LPAE leak).
            if (try_above_4g) address = above_4g();
        } else {
            if (try_above_4g) address = above_4g();
            if (!address && base < highmem_start && limit > highmem_start) {
                address = memblock_.alloc_range(size, alignment, highmem_start, limit);
                limit = highmem_start;
            }
        }
        if (!address) address = memblock_.alloc_range(size, alignment, base, limit);
        if (!address) return failed(size, -12);
    }
    area.base = *address;
    area.size = size;
    // The default area is listed first; the others in the order they were declared.
    prediction_.cma.insert(area.is_default ? prediction_.cma.begin() : prediction_.cma.end(), area);
    log(fmt::format("cma: Reserved {} MiB at {}{}", size / kMiB, pa(*address), node));
    return 0;
}

// cma_init_reserved_areas() → cma_activate_area() (core_initcall): every page of an
// area must lie in one zone, else the area is dropped.
void BootSimulation::activate_cma_areas() {
    std::vector<Zone> zones = allocator_zones(prediction_);  // ZONE_MOVABLE is a zone of its own
    auto zone_of = [&](u64 address) -> int {
        for (std::size_t i = 0; i < zones.size(); ++i) {
            const auto& range = zones[i].range;
            if (range && range->contains(address)) return static_cast<int>(i);
        }
        return -1;
    };
    // DT pools were declared before the default area; the kernel activates in that order.
    std::vector<CmaArea*> order;
    for (CmaArea& area : prediction_.cma) order.push_back(&area);
    std::stable_partition(order.begin(), order.end(), [](const CmaArea* a) { return a->name != "reserved"; });
    for (CmaArea* area : order) {
        if (zone_of(area->base) != zone_of(area->base + area->size - 1)) {
            area->activated = false;
            log(fmt::format("cma: CMA area {} could not be activated", area->name));
        }
    }
}

}  // namespace dtmem::detail
