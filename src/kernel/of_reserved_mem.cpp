// SPDX-License-Identifier: MIT
// drivers/of/of_reserved_mem.c: /memreserve/, static and dynamic /reserved-memory regions, their
// handlers and the "OF: reserved mem:" lines, per version.
#include "kernel/simulation.hpp"
#include "kernel/kernel_sort.hpp"

namespace dtmem::detail {

void BootSimulation::reserve_memreserve() {
    for (const Range& entry : map_.memreserve) memblock_.reserve(entry.start, entry.size);
}

const ReservedRegion* BootSimulation::region_of(NodeId node) const {
    for (const ReservedRegion& r : map_.reserved_memory->regions) {
        if (r.node == node) return &r;
    }
    return nullptr;
}

bool BootSimulation::has_compatible(const ReservedRegion& r, std::string_view c) const {
    return std::find(r.compatible.begin(), r.compatible.end(), c) != r.compatible.end();
}

// early_init_dt_reserve_memory()
bool BootSimulation::reserve_region(u64 base, u64 size, bool nomap) {
    if (nomap) {
        if (memblock_.overlaps_memory(base, size) && memblock_.is_region_reserved(base, size)) return false;
        memblock_.mark_nomap(base, size, true);
        return true;
    }
    memblock_.reserve(base, size);
    return true;
}

// __reserved_mem_reserve_reg(): reserves or marks every entry; returns the first one.
BootSimulation::RegStatus BootSimulation::reserve_reg(const ReservedRegion& region, std::optional<AddressSize>& first) {
    if (!tree_.has_property(region.node, "reg")) return RegStatus::NoReg;
    if (region.type == RegionType::Invalid) {
        log(of_prefix() + region.problem);
        return RegStatus::Invalid;
    }
    for (const AddressSize& entry : region.reg) {
        if (!(entry.size && reserve_region(entry.address, entry.size, region.no_map))) {
            failed_to_reserve_.insert(region.node);
            log(fmt::format("{}Reserved memory: failed to reserve memory for node '{}': base {}, size {} MiB",
                            of_prefix(), name(region.node), pa(entry.address), entry.size / kMiB));
        }
        if (!first) first = entry;
    }
    return RegStatus::Done;
}

bool BootSimulation::cma_pool(const ReservedRegion& r) const {
    return profile_.cma && has_compatible(r, "shared-dma-pool") && r.reusable && !r.no_map;
}

// __reserved_mem_alloc_size() with __reserved_mem_alloc_in_range() (6.6+). Returns
// the placed region or nothing (messages logged).
std::optional<Range> BootSimulation::alloc_dynamic(const ReservedRegion& region, const std::vector<Record>& recorded) {
    if (region.type != RegionType::Dynamic) {
        if (!region.problem.empty() && region.problem.starts_with("invalid")) log("OF: reserved mem: " + region.problem);
        return std::nullopt;
    }
    u64 size = *region.size;
    u64 align = region.alignment.value_or(0);
    if (cma_pool(region)) align = std::max(align, profile_.cma_alignment_bytes);
    if (align == 0) align = 64;  // SMP_CACHE_BYTES
    auto attempt = [&](u64 start, u64 end) -> std::optional<u64> {
        bool previous = memblock_.bottom_up();
        bool bottom_up = false, top_down = false;
        if (features_.alloc_next_to_recorded_regions) {
            for (const Record& r : recorded) {
                if (r.size == 0) continue;
                if (start >= r.base && start <= r.base + r.size) bottom_up = true;
                if (end >= r.base && end <= r.base + r.size) top_down = true;
            }
            if (bottom_up != top_down) memblock_.set_bottom_up(bottom_up);
        }
        auto base = memblock_.alloc_range(size, align, start, end == 0 ? detail::kAllocAnywhere : end);
        if (bottom_up != top_down) memblock_.set_bottom_up(previous);
        if (base && region.no_map) memblock_.mark_nomap(*base, size, true);
        return base;
    };
    std::optional<u64> base;
    if (!region.alloc_ranges.empty()) {
        for (const AddressSize& range : region.alloc_ranges) {
            base = attempt(range.address, range.address + range.size);  // u64, wrapping as the kernel's
            if (base) break;
        }
    } else {
        base = attempt(0, 0);
    }
    if (!base || *base == 0) {
        log(fmt::format("OF: reserved mem: failed to allocate memory for node '{}': size {} MiB", name(region.node),
                        size / kMiB));
        return std::nullopt;
    }
    return Range{*base, size};
}

// __reserved_mem_init_node(): the RESERVEDMEM_OF_DECLARE handlers in link order.
// Returns 0, or -ENOENT (-2) when no handler matched, or another error.
int BootSimulation::init_handlers(const ReservedRegion& region, u64 base, u64 size) {
    int result = -2;
    if (has_compatible(region, "shared-dma-pool")) {
        if (profile_.cma) {  // kernel/dma/contiguous.c rmem_cma_setup()
            result = rmem_cma_setup(region, base, size);
            if (result == 0) return log_initialized(region, "shared-dma-pool");
        }
        result = rmem_dma_setup(region, base, size);  // kernel/dma/coherent.c
        if (result == 0) return log_initialized(region, "shared-dma-pool");
    }
    if (has_compatible(region, "restricted-dma-pool") && profile_.dma_restricted_pool) {
        result = (region.reusable || region.no_map || region.cma_default || region.dma_default) ? -22 : 0;
        if (result == 0) {
            log(fmt::format("Reserved memory: created restricted DMA pool at {}, size {} MiB", pa(base), size / kMiB));
            return log_initialized(region, "restricted-dma-pool");
        }
    }
    return result;
}

int BootSimulation::log_initialized(const ReservedRegion& region, std::string_view compatible) {
    log(fmt::format("OF: reserved mem: initialized node {}, compatible id {}", name(region.node), compatible));
    return 0;
}

int BootSimulation::rmem_dma_setup(const ReservedRegion& region, u64 base, u64 size) {
    if (region.reusable) return -22;
    if (profile_.arch == Arch::Arm && !region.no_map) {
        log("Reserved memory: regions without no-map are not yet supported");
        return -22;
    }
    log(fmt::format("Reserved memory: created DMA memory pool at {}, size {} MiB", pa(base), size / kMiB));
    return 0;
}

// fdt_init_reserved_mem_node() / the loop body of 6.1's fdt_init_reserved_mem().
void BootSimulation::init_region(const ReservedRegion& region, u64 base, u64 size) {
    int err = init_handlers(region, base, size);
    RegionOutcome outcome{region.node, Range{base, size}, {}, {}};
    if (failed_to_reserve_.count(region.node)) {
        outcome.error = region.no_map ? "failed to reserve: it overlaps memory already reserved, so it is neither "
                                        "reserved nor unmapped"
                                      : "failed to reserve (size 0)";
    }
    if (err != 0 && err != -2) {
        log(fmt::format("OF: reserved mem: node {} compatible matching fail", name(region.node)));
        if (region.no_map) {
            memblock_.mark_nomap(base, size, false);
        } else {
            memblock_.free(base, size);
        }
        outcome.error = "compatible matching fail: the memory was given back";
    } else if (features_.logs_each_reserved_region) {
        log(fmt::format("OF: reserved mem: {}..{} ({} KiB) {} {} {}", pa(base), pa(base + size - 1), size / 1024,
                        region.no_map ? "nomap" : "map", region.reusable ? "reusable" : "non-reusable",
                        name(region.node)));
    }
    prediction_.reserved.push_back(outcome);
}

// __rmem_check_for_overlap(): sort (the kernel's heapsort) and compare neighbours.
void BootSimulation::check_overlap(std::vector<Record>& records) {
    if (records.size() < 2) return;
    bool by_node = features_.overlap_check_sorts_by_node;
    detail::kernel_heapsort(records, [by_node](const Record& a, const Record& b) {
        if (a.base != b.base) return a.base < b.base ? -1 : 1;
        if (a.size != b.size) return a.size < b.size ? -1 : 1;
        if (by_node && a.node != b.node) return a.node < b.node ? -1 : 1;
        return 0;
    });
    for (std::size_t i = 0; i + 1 < records.size(); ++i) {
        const Record& a = records[i];
        const Record& b = records[i + 1];
        if (a.base + a.size > b.base) {
            log("OF: reserved mem: OVERLAP DETECTED!");
            log(fmt::format("{} ({}--{}) overlaps with {} ({}--{})", a.name, pa(a.base), pa(a.base + a.size), b.name,
                            pa(b.base), pa(b.base + b.size)));
        }
    }
}

bool BootSimulation::reserved_memory_usable() {
    if (!map_.reserved_memory) return false;
    if (!map_.reserved_memory->supported()) {
        log(of_prefix() + "Reserved memory: unsupported node format, ignoring");
        return false;
    }
    return true;
}

std::vector<const ReservedRegion*> BootSimulation::available_regions() const {
    std::vector<const ReservedRegion*> regions;
    for (const ReservedRegion& r : map_.reserved_memory->regions) {
        if (r.available) regions.push_back(&r);
    }
    return regions;
}

// early_init_fdt_scan_reserved_mem(), per version.
void BootSimulation::scan_reserved_memory() {
    if (!features_.memreserve_after_reserved_memory) reserve_memreserve();
    if (features_.reserved_mem_reg_nodes_late) {
        scan_reserved_memory_restructured();
        reserve_memreserve();
        return;
    }
    std::vector<Record> records;
    if (reserved_memory_usable()) {
        for (const ReservedRegion* region : available_regions()) {
            std::optional<AddressSize> first;
            RegStatus status = reserve_reg(*region, first);
            if (status == RegStatus::Done && first) {
                records.push_back({region->node, name(region->node), first->address, first->size});
            } else if (status == RegStatus::NoReg && tree_.has_property(region->node, "size")) {
                records.push_back({region->node, name(region->node), 0, 0});
            }
        }
    }
    if (features_.memreserve_after_reserved_memory) reserve_memreserve();
    // fdt_init_reserved_mem()
    check_overlap(records);
    for (Record& record : records) {
        const ReservedRegion& region = *region_of(record.node);
        if (record.size == 0) {
            if (region.type != RegionType::Dynamic) continue;  // a size-0 static entry: no size property
            auto placed = alloc_dynamic(region, records);
            if (!placed) {
                prediction_.reserved.push_back({region.node, std::nullopt, "failed to allocate memory", {}});
                continue;
            }
            record.base = placed->start;
            record.size = placed->size;
        }
        init_region(region, record.base, record.size);
    }
}

// 6.12.13+: statics reserved, dynamics allocated and initialised now; statics recorded
// and initialised at unflatten_device_tree() (late_static_regions()).
void BootSimulation::scan_reserved_memory_restructured() {
    if (!reserved_memory_usable()) return;
    std::vector<const ReservedRegion*> dynamic;
    for (const ReservedRegion* region : available_regions()) {
        std::optional<AddressSize> first;
        RegStatus status = reserve_reg(*region, first);
        if (status == RegStatus::Done) ++static_count_;  // counted per node, whatever its entries
        if (status == RegStatus::NoReg && tree_.has_property(region->node, "size")) dynamic.push_back(region);
    }
    for (const ReservedRegion* region : dynamic) {
        auto placed = alloc_dynamic(*region, late_records_);
        if (!placed) {
            prediction_.reserved.push_back({region->node, std::nullopt, "failed to allocate memory", {}});
            continue;
        }
        late_records_.push_back({region->node, name(region->node), placed->start, placed->size});
        init_region(*region, placed->start, placed->size);
    }
}

// fdt_scan_reserved_mem_reg_nodes() (6.12.13+), at unflatten_device_tree().
void BootSimulation::late_static_regions() {
    if (!map_.reserved_memory) {
        log("OF: reserved mem: Reserved memory: No reserved-memory node in the DT");
        return;
    }
    if (!map_.reserved_memory->supported()) {
        log("OF: reserved mem: Reserved memory: unsupported node format, ignoring");
        return;
    }
    for (const ReservedRegion* region : available_regions()) {
        if (!tree_.has_property(region->node, "reg")) continue;
        if (region->type == RegionType::Invalid) {
            log("OF: reserved mem: " + region->problem);
            continue;
        }
        if (region->reg.size() > 1) {
            log(fmt::format("OF: reserved mem: fdt_scan_reserved_mem_reg_nodes() ignores {} regions in node '{}'",
                            region->reg.size() - 1, name(region->node)));
        }
        if (region->reg.empty() || region->reg.front().size == 0) continue;
        const AddressSize& first = region->reg.front();
        late_records_.push_back({region->node, name(region->node), first.address, first.size});
        init_region(*region, first.address, first.size);
    }
    check_overlap(late_records_);
}

// Entries of the reserved_mem array alloc_reserved_mem_array() sizes.
u64 BootSimulation::reserved_mem_array_entries() const {
    if (!map_.reserved_memory) return 0;
    if (!map_.reserved_memory->supported()) return 64;
    return static_count_ + dynamic_allocated_count();
}

u64 BootSimulation::dynamic_allocated_count() const {
    u64 count = 0;
    for (const RegionOutcome& r : prediction_.reserved) {
        const ReservedRegion* region = region_of(r.node);
        count += region && region->type == RegionType::Dynamic && r.placed;
    }
    return count;
}

}  // namespace dtmem::detail
