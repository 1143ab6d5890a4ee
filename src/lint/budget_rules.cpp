// SPDX-License-Identifier: MIT
// Rules from the predicted layout: what it leaves the devices limited by their DMA windows
// and, on 32-bit ARM, the kernel's own lowmem.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

// The buses whose DMA window ends below `last` (an inclusive address), with the devices
// below them; devices with their own pool (memory-region) take their buffers from it.
struct LimitedBus {
    u64 reach = 0;  // the last CPU address the window reaches
    std::vector<NodeId> devices;
};

std::map<NodeId, LimitedBus> buses_reaching_below(const Analysis& analysis, u64 last) {
    std::map<NodeId, LimitedBus> buses;
    for (const Device& device : analysis.map.devices) {
        if (!device.uses_shared_pools()) continue;
        u64 reach = device.dma_window->cpu_reach();
        if (reach >= last) continue;
        LimitedBus& bus = buses[device.dma_window->node];
        bus.reach = reach;
        bus.devices.push_back(device.node);
    }
    return buses;
}

std::string devices_below(const LimitedBus& bus) {
    return bus.devices.size() == 1 ? "the device below this bus" : fmt::format("the {} devices below this bus", bus.devices.size());
}

// dma_alloc_contiguous() takes a device's buffers from the default CMA area unless the
// device has its own pool; pages above the device's DMA window fail dma_coherent_ok() and
// the allocation falls back or fails. One finding per DMA window that the area overshoots.
void cma_above_dma_limit(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    for (const CmaArea& area : analysis.prediction->cma) {
        if (!area.is_default) continue;
        Range cma{area.base, area.size};
        for (const auto& [window, bus] : buses_reaching_below(analysis, cma.last())) {
            Finding& f = out.add(window,
                                 fmt::format("the default CMA area {}-{} lies {} above what {} reach{} (up to {}): {} "
                                             "CMA allocations fail",
                                             hex(cma.start), hex(cma.last()), cma.start > bus.reach ? "wholly" : "partly",
                                             devices_below(bus), bus.devices.size() == 1 ? "es" : "", hex(bus.reach),
                                             bus.devices.size() == 1 ? "its" : "their"),
                                 "dma-ranges");
            f.ranges = {cma};
            f.related.push_back({bus.devices.front(), "", "for example this device"});
        }
    }
}

// kernel/dma/direct.c dma_direct_optimal_gfp_mask(): a device that cannot reach all of RAM
// gets its buffers with GFP_DMA or GFP_DMA32, i.e. from ZONE_DMA/ZONE_DMA32 (and the zones
// below), never from ZONE_NORMAL. When those zones hold little memory the device can
// reach, its allocations fail (an empty ZONE_DMA has no zone below it to fall back to).
void zone_dma_small(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction || analysis.prediction->memory_ranges.empty()) return;
    const Prediction& prediction = *analysis.prediction;
    std::vector<const Zone*> low_zones;
    for (const Zone& zone : prediction.zones) {
        if (zone.name == "DMA" || zone.name == "DMA32") low_zones.push_back(&zone);
    }
    if (low_zones.empty()) return;  // no such zone configured: GFP_DMA* are plain allocations
    u64 min_size = out.option("min-size");
    for (const auto& [window, bus] : buses_reaching_below(analysis, prediction.memory_ranges.back().last())) {
        std::vector<Range> spans;
        std::string zones;
        for (const Zone* zone : low_zones) {
            zones += fmt::format("{}{} {}", zones.empty() ? "" : ", ", zone->name,
                                 zone->range ? fmt::format("{}-{}", hex(zone->range->start), hex(zone->range->last())) : "empty");
            if (zone->range) spans.push_back(*zone->range);
        }
        u64 usable = bytes_within(spans, 0, bus.reach);
        if (usable >= min_size) continue;
        Finding& f = out.add(window,
                             fmt::format("{} reach{} up to {} and take{} DMA buffers from ZONE_DMA/DMA32, which hold{} "
                                         "{} there ({}): their allocations fail",
                                         devices_below(bus), bus.devices.size() == 1 ? "es" : "", hex(bus.reach),
                                         bus.devices.size() == 1 ? "s its" : " their", usable == 0 ? "" : " only",
                                         usable == 0 ? "nothing" : human_size(usable), zones),
                             "dma-ranges");
        f.related.push_back({bus.devices.front(), "", "for example this device"});
    }
}

// 32-bit ARM: slab, page tables and the memory map of all RAM (HighMem included) come
// from lowmem only (arch/arm/mm/mmu.c adjust_lowmem_bounds(), mm/mm_init.c
// alloc_node_mem_map()); CMA pages serve movable allocations only.
void lowmem_pressure(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction || !analysis.prediction->lowmem_free || !analysis.prediction->lowmem_end) return;
    const Prediction& prediction = *analysis.prediction;
    u64 lowmem_end = *prediction.lowmem_end;
    u64 lowmem = lowmem_end == 0 ? 0 : bytes_within(prediction.memory_ranges, 0, lowmem_end - 1);
    u64 free = *prediction.lowmem_free, min_percent = out.option("min-free-percent");
    if (lowmem == 0 || free * 100 >= lowmem * min_percent) return;
    Finding& f = out.add(kNoNode, fmt::format("the kernel keeps {} MiB of its {} MiB of lowmem ({}%) for its own "
                                              "allocations after reservations, CMA and swiotlb (below {}%): slab, page "
                                              "tables and the memory map of all RAM must fit there",
                                              free >> 20, lowmem >> 20, free * 100 / lowmem, min_percent));
    // The largest /reserved-memory regions in lowmem, where the room would come from.
    std::vector<std::pair<u64, NodeId>> takers;
    for (const RegionOutcome& region : prediction.reserved) {
        if (region.error.empty() && region.placed && region.placed->start < lowmem_end) {
            takers.push_back({std::min(region.placed->last(), lowmem_end - 1) - region.placed->start + 1, region.node});
        }
    }
    std::sort(takers.rbegin(), takers.rend());
    for (std::size_t i = 0; i < takers.size() && i < 3; ++i) {
        f.related.push_back({takers[i].second, "", fmt::format("this region takes {} of lowmem", human_size(takers[i].first))});
    }
}

constexpr Rule kRules[] = {
    {"cma-above-dma-limit", cma_above_dma_limit},
    {"lowmem-pressure", lowmem_pressure},
    {"zone-dma-small", zone_dma_small},
};

}  // namespace

std::span<const Rule> budget_rules() { return kRules; }

}  // namespace dtmem::checks
