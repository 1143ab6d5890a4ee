// SPDX-License-Identifier: MIT
// Rules from the boot prediction: every failure or adjustment the predicted kernel prints
// becomes a finding, in the kernel's own words and order (the prediction's log is the
// kernel's log: tests/kernel-cases holds the real boots it agrees with).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

bool has(std::string_view line, std::string_view text) { return line.find(text) != std::string_view::npos; }

// The /reserved-memory child the kernel names in a line ('NAME' or "node NAME ..."): the
// kernel prints the node's name, unique among its siblings.
NodeId region_named(const Analysis& analysis, std::string_view line) {
    std::string_view name;
    if (auto quote = line.find('\''); quote != std::string_view::npos) {
        auto end = line.find('\'', quote + 1);
        if (end != std::string_view::npos) name = line.substr(quote + 1, end - quote - 1);
    } else if (auto node = line.find("node "); node != std::string_view::npos) {
        name = line.substr(node + 5);
        name = name.substr(0, name.find(' '));
    }
    const auto& reserved = analysis.map.reserved_memory;
    if (name.empty() || !reserved) return kNoNode;
    for (const ReservedRegion& region : reserved->regions) {
        if (analysis.tree().name(region.node) == name) return region.node;
    }
    return kNoNode;
}

const std::vector<std::string>& boot_log(const Analysis& analysis) {
    static const std::vector<std::string> none;
    return analysis.prediction ? analysis.prediction->log : none;
}

std::string kernel_line(const Analysis& analysis, const std::string& line) {
    return fmt::format("{} prints \"{}\"", analysis.prediction->profile.id, line);
}

// One finding per log line containing any of `texts`, on the region the line names.
void lines_with(const Analysis& analysis, Findings& out, std::initializer_list<std::string_view> texts) {
    for (const std::string& line : boot_log(analysis)) {
        if (std::any_of(texts.begin(), texts.end(), [&](std::string_view t) { return has(line, t); })) {
            NodeId node = region_named(analysis, line);
            out.add(node, kernel_line(analysis, line), node == kNoNode ? "" : "reg");
        }
    }
}

// panic(): arm_memblock_steal(), the FLATMEM memory map, arm64's first page table.
void boot_panic(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"Kernel panic - not syncing:"});
}

// drivers/of/of_reserved_mem.c __reserved_mem_alloc_size(): no room for a dynamic region.
void dynamic_alloc_fails(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"failed to allocate memory for node '"});
}

// A static region that fails because it overlaps the kernel image at a load address dtmem
// assumed (no --load kernel=) fails only on that assumption: a warning that says so.
void mark_default_kernel_overlap(const Analysis& analysis, Finding& finding) {
    const Prediction& prediction = *analysis.prediction;
    bool assumed = std::any_of(prediction.assumptions.begin(), prediction.assumptions.end(),
                               [](const std::string& a) { return a.starts_with("kernel loaded at"); });
    const BootInputs& used = prediction.inputs_used;
    if (!assumed || finding.node == kNoNode || !used.kernel_address || !analysis.map.reserved_memory) return;
    auto image = make_range(*used.kernel_address, std::max<u64>(used.kernel_image_size.value_or(1), 1));
    for (const ReservedRegion& region : analysis.map.reserved_memory->regions) {
        if (region.node != finding.node) continue;
        for (const AddressSize& entry : region.reg) {
            auto range = make_range(entry.address, entry.size);
            if (!range || !image || !range->overlaps(*image)) continue;
            finding.severity = std::min(finding.severity, Severity::Warning);
            finding.message += fmt::format("; it overlaps the kernel image at the assumed load address {}: give "
                                           "--load kernel=ADDR for where the boot loader puts it",
                                           hex(*used.kernel_address));
            return;
        }
    }
}

// A static region memblock cannot reserve (early_init_dt_reserve_memory()), or one no
// handler accepts (__reserved_mem_init_node(): "compatible matching fail"), with the
// handler's reason from the line before it.
void reservation_fails(const Analysis& analysis, Findings& out) {
    const std::vector<std::string>& log = boot_log(analysis);
    for (std::size_t i = 0; i < log.size(); ++i) {
        const std::string& line = log[i];
        if (!has(line, "failed to reserve memory for node '") && !has(line, "compatible matching fail")) continue;
        std::string message = kernel_line(analysis, line);
        if (i > 0 && (has(log[i - 1], "Reserved memory: ") || has(log[i - 1], "cma: Not enough slots")) &&
            !has(log[i - 1], "created") && !has(log[i - 1], "initialized")) {
            message += fmt::format(" after \"{}\"", log[i - 1]);
        }
        NodeId node = region_named(analysis, line);
        Finding& finding = out.add(node, message, node == kNoNode ? "" : "reg");
        mark_default_kernel_overlap(analysis, finding);
    }
}

// mm/cma.c cma_declare_contiguous_nid() refuses the default area (or a cma= area).
void cma_reserve_fails(const Analysis& analysis, Findings& out) {
    const std::vector<std::string>& log = boot_log(analysis);
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (!has(log[i], "cma: Failed to reserve")) continue;
        std::string message = kernel_line(analysis, log[i]);
        if (i > 0 && has(log[i - 1], "cma: ") && !has(log[i - 1], "Reserved")) message += fmt::format(" after \"{}\"", log[i - 1]);
        out.add(kNoNode, message);
    }
}

// mm/cma.c cma_activate_area(): an area that spans zones is not activated; its memory is lost.
void cma_activation_fails(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"could not be activated"});
}

// kernel/dma/swiotlb.c swiotlb_memblock_alloc(): no bounce buffer, so devices that need
// bouncing fail their DMA.
void swiotlb_alloc_fails(const Analysis& analysis, Findings& out) {
    // swiotlb_init_remap() retries with halved sizes: one finding for the whole sequence.
    const std::vector<std::string>& log = boot_log(analysis);
    auto failed = [](const std::string& line) { return has(line, "swiotlb_memblock_alloc: Failed to allocate"); };
    auto first = std::find_if(log.begin(), log.end(), failed);
    if (first == log.end()) return;
    auto attempts = std::count_if(first, log.end(), failed);
    out.add(kNoNode, kernel_line(analysis, *first) +
                         (attempts > 1 ? fmt::format(", and {} smaller attempts fail too", attempts - 1) : ""));
}

// Boot arguments the kernel clamps or overrides: vmalloc= (arch/arm/mm/mmu.c
// early_vmalloc()), mem= (arm_add_memory() / memblock_cap_memory_range()), swiotlb=
// (swiotlb_adjust_size()), cma= overriding the tree (rmem_cma_setup()).
void cmdline_adjusted(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"vmalloc area is too big, limiting to", "vmalloc area is too small, limiting to",
                               "Memory limited to", "using cmdline CMA params instead"});
    // The kernel rounds its own default size too; only a given swiotlb= is adjusted.
    const std::optional<std::string>& given = analysis.prediction ? analysis.prediction->inputs_used.bootargs : std::nullopt;
    std::string bootargs = given ? *given : std::string(analysis.map.chosen.bootargs.value_or(""));
    if (has(bootargs, "swiotlb=")) lines_with(analysis, out, {"SWIOTLB bounce buffer size roundup"});
}

// RAM the kernel does not use: outside what it can address or map (early_init_dt_add_memory_arch(),
// arm's sanity checks, a kernel without HIGHMEM).
void memory_ignored(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"Ignoring memory", "Ignoring RAM at", "Truncating memory at", "Consider using a HIGHMEM"});
}

// movable_node on a kernel that clears the hotpluggable flag at NUMA init (6.12).
void movable_node_ignored(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    for (const std::string& note : analysis.prediction->notes) {
        if (has(note, "movable_node:")) out.add(kNoNode, note);
    }
}

// The highest CPU address a DMA window reaches.
u64 window_cpu_end(const DmaWindow& window) {
    u64 end = 0;
    for (const DmaRange& r : window.ranges) end = std::max(end, r.cpu_start + (r.size - 1));
    return end;
}

// dma_alloc_contiguous() takes a device's buffers from the default CMA area unless the
// device has its own pool; pages above the device's DMA window fail dma_coherent_ok() and
// the allocation falls back or fails. One finding per DMA window that the area overshoots.
void cma_above_dma_limit(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    auto is_default = [&](const CmaArea& area) {  // the default area: cma= / CONFIG_CMA_SIZE, or linux,cma-default
        if (area.name == "reserved") return true;
        const auto& reserved = analysis.map.reserved_memory;
        return reserved && std::any_of(reserved->regions.begin(), reserved->regions.end(), [&](const ReservedRegion& r) {
                   return r.cma_default && analysis.tree().name(r.node) == area.name;
               });
    };
    for (const CmaArea& area : analysis.prediction->cma) {
        if (!is_default(area)) continue;
        Range cma{area.base, area.size};
        std::map<NodeId, std::vector<NodeId>> short_windows;  // window node -> devices
        std::map<NodeId, u64> reach;
        for (const Device& device : analysis.map.devices) {
            if (!device.dma_window || !device.memory_regions.empty()) continue;
            u64 end = window_cpu_end(*device.dma_window);
            if (end >= cma.last()) continue;
            short_windows[device.dma_window->node].push_back(device.node);
            reach[device.dma_window->node] = end;
        }
        for (const auto& [window, devices] : short_windows) {
            Finding& f = out.add(window,
                                 fmt::format("the default CMA area {}-{} lies {} above what {} reach{} (up to {}): {} "
                                             "CMA allocations fail",
                                             hex(cma.start), hex(cma.last()), cma.start > reach[window] ? "wholly" : "partly",
                                             devices.size() == 1 ? "the device below this bus"
                                                                 : fmt::format("the {} devices below this bus", devices.size()),
                                             devices.size() == 1 ? "es" : "", hex(reach[window]),
                                             devices.size() == 1 ? "its" : "their"),
                                 "dma-ranges");
            f.ranges = {cma};
            f.related.push_back({devices.front(), "", "for example this device"});
        }
    }
}

constexpr Rule kRules[] = {
    {"boot-panic", boot_panic},
    {"cma-above-dma-limit", cma_above_dma_limit},
    {"cma-activation-fails", cma_activation_fails},
    {"cma-reserve-fails", cma_reserve_fails},
    {"cmdline-adjusted", cmdline_adjusted},
    {"dynamic-alloc-fails", dynamic_alloc_fails},
    {"memory-ignored", memory_ignored},
    {"movable-node-ignored", movable_node_ignored},
    {"reservation-fails", reservation_fails},
    {"swiotlb-alloc-fails", swiotlb_alloc_fails},
};

}  // namespace

std::span<const Rule> boot_rules() { return kRules; }

}  // namespace dtmem::checks
