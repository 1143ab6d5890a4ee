// SPDX-License-Identifier: MIT
// Rules from the boot prediction: every failure or adjustment the predicted kernel prints
// becomes a finding, in the kernel's own words and order (the prediction's log is the
// kernel's log: tests/kernel-cases holds the real boots it agrees with).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "kernel/cmdline.hpp"
#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

bool has(std::string_view line, std::string_view text) { return line.find(text) != std::string_view::npos; }

// The /reserved-memory child the kernel names in a line ('NAME', "node NAME ..." or
// "CMA area NAME"): the kernel prints the node's name, unique among its siblings.
NodeId region_named(const Analysis& analysis, std::string_view line) {
    std::string_view name;
    if (auto quote = line.find('\''); quote != std::string_view::npos) {
        auto end = line.find('\'', quote + 1);
        if (end != std::string_view::npos) name = line.substr(quote + 1, end - quote - 1);
    } else if (auto node = line.find("node "); node != std::string_view::npos) {
        name = line.substr(node + 5);
        name = name.substr(0, name.find(' '));
    } else if (auto area = line.find("CMA area "); area != std::string_view::npos) {  // mm/cma.c cma_activate_area()
        name = line.substr(area + 9);
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

// What a finding rests on besides the tree: the defaulted inputs that move it.
std::string rests_on(const RestsOn& defaults) {
    if (defaults.empty()) return "";
    std::string list = defaults.front();
    for (std::size_t i = 1; i < defaults.size(); ++i) list += (i + 1 == defaults.size() ? " and " : ", ") + defaults[i];
    return fmt::format("; this rests on {}: give --load for where the boot loader puts things", list);
}

std::string bootargs(const Analysis& analysis) {
    const std::optional<std::string>& given = analysis.prediction->inputs_used.bootargs;
    return given ? *given : std::string(analysis.map.chosen.bootargs.value_or(""));
}

// Where a whole-board line points in the tree: the boot arguments when they come from
// /chosen, the memory node of the address a line names.
void locate_in_chosen(const Analysis& analysis, Finding& finding) {
    if (analysis.prediction->inputs_used.bootargs || analysis.map.chosen.node == kNoNode) return;
    finding.node = analysis.map.chosen.node;
    finding.property = "bootargs";
}

void locate_in_memory(const Analysis& analysis, std::string_view line, Finding& finding) {
    auto at = line.find("0x");
    if (at == std::string_view::npos) return;
    u64 address = std::strtoull(std::string(line.substr(at + 2, 16)).c_str(), nullptr, 16);
    for (const RamBank& bank : analysis.map.ram) {
        if (bank.node != kNoNode && bank.range.contains(address)) {
            finding.node = bank.node;
            finding.property = "reg";
            return;
        }
    }
}

// One finding per log line containing any of `texts`, on the region the line names.
template <typename Locate>
void lines_with(const Analysis& analysis, Findings& out, std::initializer_list<std::string_view> texts, Locate&& locate) {
    for (const std::string& line : boot_log(analysis)) {
        if (std::none_of(texts.begin(), texts.end(), [&](std::string_view t) { return has(line, t); })) continue;
        NodeId node = region_named(analysis, line);
        const RegionOutcome* outcome = analysis.prediction->outcome(node);
        Finding& finding = out.add(node, kernel_line(analysis, line) + (outcome ? rests_on(outcome->rests_on) : ""),
                                   node == kNoNode ? "" : "reg");
        if (node == kNoNode) locate(line, finding);
    }
}

void lines_with(const Analysis& analysis, Findings& out, std::initializer_list<std::string_view> texts) {
    lines_with(analysis, out, texts, [](std::string_view, Finding&) {});
}

// panic(): arm_memblock_steal(), the FLATMEM memory map, arm64's first page table.
void boot_panic(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"Kernel panic - not syncing:"});
}

// drivers/of/of_reserved_mem.c __reserved_mem_alloc_size(): no room for a dynamic region.
void dynamic_alloc_fails(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"failed to allocate memory for node '"});
}

// A static region that fails because it overlaps the kernel image or the DTB at a load
// address dtmem assumed (no --load kernel=, dtb=) fails only on that assumption: a
// warning that says so.
bool mark_assumed_overlap(const Analysis& analysis, Finding& finding) {
    const Prediction& prediction = *analysis.prediction;
    const BootInputs& used = prediction.inputs_used;
    struct Placed {
        const char* what;
        const char* option;
        std::optional<u64> address;
        u64 size;
    };
    const Placed placed[] = {
        {"kernel image", "kernel", prediction.kernel_address_assumed ? used.kernel_address : std::nullopt,
         std::max<u64>(used.kernel_image_size.value_or(1), 1)},
        {"DTB", "dtb", prediction.dtb_address_assumed ? used.dtb_address : std::nullopt,
         std::max<u64>(analysis.tree().blob().size(), 1)},
    };
    const ReservedRegion* region = analysis.map.reserved_memory ? analysis.map.reserved_memory->find(finding.node) : nullptr;
    if (!region) return false;
    for (const Placed& p : placed) {
        auto at = p.address ? make_range(*p.address, p.size) : std::nullopt;
        for (const AddressSize& entry : region->reg) {
            auto range = make_range(entry.address, entry.size);
            if (!range || !at || !range->overlaps(*at)) continue;
            finding.severity = std::min(finding.severity, Severity::Warning);
            finding.message += fmt::format("; it overlaps the {} at the assumed load address {}: give --load {}=ADDR for "
                                           "where the boot loader puts it",
                                           p.what, hex(*p.address), p.option);
            return true;
        }
    }
    return false;
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
        const RegionOutcome* outcome = analysis.prediction->outcome(node);
        if (!mark_assumed_overlap(analysis, finding) && outcome) finding.message += rests_on(outcome->rests_on);
    }
}

// mm/cma.c cma_declare_contiguous_nid() refuses the default area (or a cma= area).
void cma_reserve_fails(const Analysis& analysis, Findings& out) {
    const std::vector<std::string>& log = boot_log(analysis);
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (!has(log[i], "cma: Failed to reserve")) continue;
        std::string message = kernel_line(analysis, log[i]);
        if (i > 0 && has(log[i - 1], "cma: ") && !has(log[i - 1], "Reserved")) message += fmt::format(" after \"{}\"", log[i - 1]);
        Finding& finding = out.add(kNoNode, message);
        if (has(bootargs(analysis), "cma=")) locate_in_chosen(analysis, finding);
    }
}

// mm/cma.c cma_activate_area(): an area that spans zones is not activated; its memory is lost.
void cma_activation_fails(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"could not be activated"});
}

// No crash region (or no low part, which gives the region back): kdump has nowhere to load.
// kernel/crash_reserve.c reserve_crashkernel_generic(), arch/arm64/mm/init.c and
// arch/arm/kernel/setup.c reserve_crashkernel().
void crashkernel_fails(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"cannot allocate crashkernel", "crashkernel reservation failed"},
               [&](std::string_view, Finding& finding) { locate_in_chosen(analysis, finding); });
}

// The kernel hangs before its first console line (Prediction::hangs).
void boot_hangs(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction || analysis.prediction->hangs.empty()) return;
    Finding& finding = out.add(kNoNode, fmt::format("{}: {}", analysis.prediction->profile.id, analysis.prediction->hangs));
    locate_in_chosen(analysis, finding);
}

// mm/hugetlb.c hugetlb_cma_reserve() drops sizes below a gigantic page and nodes that are not
// online; hugetlb_cma_check(): the architecture never reserves the area.
void hugetlb_cma_ignored(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"hugetlb_cma: cma area", "hugetlb_cma: invalid node", "hugetlb_cma: the option isn't supported"},
               [&](std::string_view, Finding& finding) { locate_in_chosen(analysis, finding); });
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
    Finding& finding = out.add(kNoNode, kernel_line(analysis, *first) +
                                            (attempts > 1 ? fmt::format(", and {} smaller attempts fail too", attempts - 1) : "") +
                                            rests_on(analysis.prediction->swiotlb_rests_on));
    if (has(bootargs(analysis), "swiotlb=")) locate_in_chosen(analysis, finding);
}

// A swiotlb= with a slab or area count: what round_up_default_nslabs() rounds is then the
// argument's, not the kernel's own default or its swiotlb_adjust_size() (kernel/dma/swiotlb.c).
bool swiotlb_size_given(const Analysis& analysis) {
    std::vector<detail::SwiotlbParameter> given = detail::parse_command_line(bootargs(analysis)).swiotlb;
    return std::any_of(given.begin(), given.end(), [](const detail::SwiotlbParameter& p) { return p.slabs || p.areas; });
}

// Boot arguments the kernel clamps or overrides: vmalloc= (arch/arm/mm/mmu.c
// early_vmalloc()), mem= (arm_add_memory() / memblock_cap_memory_range()), swiotlb=
// (swiotlb_adjust_size()), cma= overriding the tree (rmem_cma_setup()).
void cmdline_adjusted(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    auto in_chosen = [&](std::string_view, Finding& finding) { locate_in_chosen(analysis, finding); };
    lines_with(analysis, out, {"vmalloc area is too big, limiting to", "vmalloc area is too small, limiting to",
                               "Memory limited to", "using cmdline CMA params instead"}, in_chosen);
    if (swiotlb_size_given(analysis)) lines_with(analysis, out, {"SWIOTLB bounce buffer size roundup"}, in_chosen);
}

// RAM the kernel does not use: outside what it can address or map (early_init_dt_add_memory_arch(),
// arm's sanity checks, a kernel without HIGHMEM).
void memory_ignored(const Analysis& analysis, Findings& out) {
    lines_with(analysis, out, {"Ignoring memory", "Ignoring RAM at", "Truncating memory at", "Consider using a HIGHMEM"},
               [&](std::string_view line, Finding& finding) { locate_in_memory(analysis, line, finding); });
}

// movable_node on a kernel that clears the hotpluggable flag at NUMA init (6.12).
void movable_node_ignored(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction) return;
    for (const std::string& note : analysis.prediction->notes) {
        if (has(note, "movable_node:")) out.add(kNoNode, note);
    }
}

// A region the kernel accepts where the boot loader put the DTB: riscv reserves the DTB only
// after the reserved-memory scan (arch/riscv/mm/init.c setup_bootmem()), so a dynamic
// region can be placed on it; a static region is reserved twice without complaint unless
// it is no-map (early_init_dt_reserve_memory()). Either way the region's users get the
// memory while the kernel still reads the tree there (unflatten_device_tree(), and later
// /sys/firmware/fdt and kexec).
void dtb_overwritten(const Analysis& analysis, Findings& out) {
    if (!analysis.prediction || !analysis.prediction->inputs_used.dtb_address || !analysis.map.reserved_memory) return;
    const Prediction& prediction = *analysis.prediction;
    Range dtb{*prediction.inputs_used.dtb_address, std::max<u64>(analysis.tree().blob().size(), 1)};
    bool assumed = prediction.dtb_address_assumed;
    for (const RegionOutcome& outcome : prediction.reserved) {
        if (!outcome.error.empty()) continue;
        const ReservedRegion* region = analysis.map.reserved_memory->find(outcome.node);
        if (!region || analysis.loaded.added_regions.count(analysis.tree().path(region->node))) continue;
        std::vector<Range> spans;  // a dynamic region where it is placed, a static one's reg entries
        if (region->type == RegionType::Dynamic) {
            if (outcome.placed) spans.push_back(*outcome.placed);
        } else {
            for (const AddressSize& entry : region->reg) {
                if (auto range = make_range(entry.address, entry.size)) spans.push_back(*range);
            }
        }
        for (const Range& span : spans) {
            if (!span.overlaps(dtb)) continue;
            Finding& f = out.add(
                region->node,
                fmt::format("this region ({}-{}{}) lies over the DTB at {}-{}: its users write over the tree the kernel "
                            "still reads (unflatten_device_tree(), /sys/firmware/fdt, kexec){}",
                            hex(span.start), hex(span.last()),
                            region->type == RegionType::Dynamic ? ", where the kernel places it" : "",
                            hex(dtb.start), hex(dtb.last()),
                            assumed ? "; the DTB address is assumed: give --load dtb=ADDR for where the boot loader puts it"
                                    : rests_on(outcome.rests_on)),
                region->type == RegionType::Dynamic ? "size" : "reg");
            f.ranges = {span, dtb};
            if (assumed) f.severity = std::min(f.severity, Severity::Warning);
            break;
        }
    }
}

constexpr Rule kRules[] = {
    {"boot-hangs", boot_hangs},
    {"boot-panic", boot_panic},
    {"cma-activation-fails", cma_activation_fails},
    {"cma-reserve-fails", cma_reserve_fails},
    {"cmdline-adjusted", cmdline_adjusted},
    {"crashkernel-fails", crashkernel_fails},
    {"dtb-overwritten", dtb_overwritten},
    {"dynamic-alloc-fails", dynamic_alloc_fails},
    {"hugetlb-cma-ignored", hugetlb_cma_ignored},
    {"memory-ignored", memory_ignored},
    {"movable-node-ignored", movable_node_ignored},
    {"reservation-fails", reservation_fails},
    {"swiotlb-alloc-fails", swiotlb_alloc_fails},
};

}  // namespace

std::span<const Rule> boot_rules() { return kRules; }

}  // namespace dtmem::checks
