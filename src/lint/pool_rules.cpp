// SPDX-License-Identifier: MIT
// /reserved-memory pools: their flags against their compatible and the kernel build, and
// the devices that use them.
#include <algorithm>

#include <fmt/format.h>

#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

bool has_compatible(const ReservedRegion& region, std::string_view compatible) {
    return std::find(region.compatible.begin(), region.compatible.end(), compatible) != region.compatible.end();
}

// The regions the kernel reads: none when it ignores /reserved-memory (reserved-cells-mismatch).
const std::vector<ReservedRegion>& regions(const Analysis& analysis) {
    static const std::vector<ReservedRegion> none;
    const auto& reserved = analysis.map.reserved_memory;
    return reserved && reserved->supported() ? reserved->regions : none;
}

// rmem_cma_setup() (kernel/dma/contiguous.c), rmem_dma_setup() (kernel/dma/coherent.c),
// rmem_swiotlb_setup() (kernel/dma/swiotlb.c): the flags each handler refuses.
void pool_flags_conflict(const Analysis& analysis, Findings& out) {
    for (const ReservedRegion& region : regions(analysis)) {
        if (!region.available || region.type == RegionType::Invalid) continue;
        std::vector<std::string> conflicts;
        if (region.no_map && region.reusable) {
            conflicts.push_back("no-map and reusable together: the kernel can neither map it nor give it back");
        }
        if (has_compatible(region, "restricted-dma-pool")) {
            for (auto [flag, set] : {std::pair{"reusable", region.reusable}, {"no-map", region.no_map},
                                     {"linux,cma-default", region.cma_default},
                                     {"linux,dma-default", region.dma_default}}) {
                if (set) conflicts.push_back(fmt::format("a restricted-dma-pool may not be {}", flag));
            }
        }
        if (has_compatible(region, "shared-dma-pool") && region.cma_default && !region.reusable) {
            conflicts.push_back("linux,cma-default on a pool that is not reusable: rmem_cma_setup() refuses it, so it "
                                "becomes a coherent pool and not the default CMA area");
        }
        if (has_compatible(region, "shared-dma-pool") && region.dma_default && region.reusable) {
            conflicts.push_back("linux,dma-default on a reusable pool: rmem_dma_setup() refuses reusable pools, so "
                                "it is not the default coherent pool");
        }
        for (const std::string& conflict : conflicts) out.add(region.node, conflict, "compatible");
    }
}

// rmem_cma_setup(): a static CMA pool's base and size must be multiples of the pageblock
// (CMA_MIN_ALIGNMENT_BYTES) of the kernel build; dynamic ones are aligned by the kernel.
void cma_misaligned(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    u64 pageblock = analysis.prediction->profile.cma_alignment_bytes;
    if (pageblock == 0) return;
    for (const ReservedRegion& region : regions(analysis)) {
        if (region.type != RegionType::Static || !region.available || !region.reusable || region.no_map ||
            !has_compatible(region, "shared-dma-pool") || region.reg.empty()) {
            continue;
        }
        const AddressSize& entry = region.reg.front();  // the kernel keeps the first entry
        if ((entry.address | entry.size) % pageblock == 0) continue;
        out.add(region.node,
                fmt::format("CMA pool {} + {} is not aligned to the {} pageblock of {}: \"Reserved memory: incorrect "
                            "alignment of CMA region\", no pool",
                            hex(entry.address), hex(entry.size), human_size(pageblock), analysis.prediction->profile.id),
                "reg")
            .ranges = {Range{entry.address, std::max<u64>(entry.size, 1)}};
    }
}

// Where a pool is: a static region's reg entries, a dynamic one as the kernel places it.
std::vector<Range> pool_ranges(const Analysis& analysis, const ReservedRegion& region) {
    std::vector<Range> out;
    if (region.type == RegionType::Static) {
        for (const AddressSize& entry : region.reg) {
            if (auto range = make_range(entry.address, entry.size)) out.push_back(*range);
        }
    } else if (analysis.prediction) {
        for (const RegionOutcome& outcome : analysis.prediction->reserved) {
            if (outcome.node == region.node && outcome.placed) out.push_back(*outcome.placed);
        }
    }
    return out;
}

// Whether the CPU side of the window's entries holds all of `range`.
bool window_covers(const DmaWindow& window, Range range) {
    std::vector<Range> cpu;
    for (const DmaRange& r : window.ranges) cpu.push_back(Range{r.cpu_start, r.size});
    std::sort(cpu.begin(), cpu.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
    return covered_by(cpu, range);
}

void dma_unreachable_pool(const Analysis& analysis, Findings& out) {
    const Tree& tree = analysis.tree();
    for (const Device& device : analysis.map.devices) {
        if (!device.dma_window) continue;
        for (const RegionUse& use : device.memory_regions) {
            auto region = std::find_if(regions(analysis).begin(), regions(analysis).end(),
                                       [&](const ReservedRegion& r) { return r.node == use.region; });
            if (region == regions(analysis).end() || !region->available) continue;
            for (Range range : pool_ranges(analysis, *region)) {
                if (window_covers(*device.dma_window, range)) continue;
                Finding& f = out.add(device.node,
                                     fmt::format("uses {} ({}-{}{}), which is not within its DMA window from {}",
                                                 tree.path(region->node), hex(range.start), hex(range.last()),
                                                 region->type == RegionType::Dynamic ? ", as the kernel places it" : "",
                                                 tree.path(device.dma_window->node)),
                                     "memory-region");
                f.ranges = {range};
                f.related.push_back({region->node, region->type == RegionType::Static ? "reg" : "size",
                                     "the pool is defined here"});
                f.related.push_back({device.dma_window->node, "dma-ranges", "the DMA window is defined here"});
            }
        }
    }
}

constexpr Rule kRules[] = {
    {"cma-misaligned", cma_misaligned},
    {"dma-unreachable-pool", dma_unreachable_pool},
    {"pool-flags-conflict", pool_flags_conflict},
};

}  // namespace

std::span<const Rule> pool_rules() { return kRules; }

}  // namespace dtmem::checks
