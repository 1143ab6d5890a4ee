// SPDX-License-Identifier: MIT
// Reservations, RAM, MMIO and the initrd against each other. Every comparison is a sweep
// over start-sorted lists, so the work is bounded by the regions and the pairs found.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

// A span of memory the kernel keeps from the page allocator, and who asks for it.
struct Reservation {
    Range range;
    NodeId node = kNoNode;  // kNoNode: a /memreserve/ entry
    std::string property;   // "reg", or "size" for a dynamic region as placed
    std::string label;
    bool no_map = false;
    std::string added_by;  // the firmware or boot loader that added it to the tree; empty: the tree's own
};

// Static /reserved-memory regions the kernel reads (fdt_scan_reserved_mem() skips
// unavailable ones and ignores them all when the node is unsupported).
template <typename Visit>
void for_each_static_region(const MemoryMap& map, Visit&& visit) {
    if (!map.reserved_memory || !map.reserved_memory->supported()) return;
    for (const ReservedRegion& region : map.reserved_memory->regions) {
        if (region.type != RegionType::Static || !region.available) continue;
        for (std::size_t i = 0; i < region.reg.size(); ++i) {
            if (auto range = make_range(region.reg[i].address, region.reg[i].size)) visit(region, i, *range);
        }
    }
}

std::vector<Reservation> reservations(const Analysis& analysis) {
    const Tree& tree = analysis.tree();
    std::vector<Reservation> out;
    for (std::size_t i = 0; i < analysis.map.memreserve.size(); ++i) {
        out.push_back({analysis.map.memreserve[i], kNoNode, "", fmt::format("/memreserve/ entry {}", i), false, ""});
    }
    for_each_static_region(analysis.map, [&](const ReservedRegion& region, std::size_t index, Range range) {
        std::string label = tree.path(region.node);
        if (region.reg.size() > 1) label += fmt::format(" reg[{}]", index);
        auto added = analysis.loaded.added_regions.find(tree.path(region.node));
        out.push_back({range, region.node, "reg", label, region.no_map,
                       added == analysis.loaded.added_regions.end() ? "" : added->second});
    });
    if (analysis.prediction && analysis.map.reserved_memory) {
        for (const RegionOutcome& outcome : analysis.prediction->reserved) {
            const ReservedRegion* region = analysis.map.reserved_memory->find(outcome.node);
            if (outcome.placed && region && region->type == RegionType::Dynamic) {
                out.push_back({*outcome.placed, outcome.node, "size", tree.path(outcome.node) + " (as placed)", false, ""});
            }
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const Reservation& a, const Reservation& b) {
        return a.range.start < b.range.start;
    });
    return out;
}

std::string span(Range range) { return fmt::format("{}-{}", hex(range.start), hex(range.last())); }

// Calls visit(a, b) for every overlapping pair of `first` x `second` (both sorted by start;
// each element has a `range`).
template <typename A, typename B, typename Visit>
void overlapping_pairs(const std::vector<A>& first, const std::vector<B>& second, Visit&& visit) {
    std::size_t begin = 0;
    for (const A& a : first) {
        // `first` is sorted too: what ends before this start ends before every later one.
        while (begin < second.size() && second[begin].range.last() < a.range.start) ++begin;
        for (std::size_t j = begin; j < second.size() && second[j].range.start <= a.range.last(); ++j) {
            if (second[j].range.overlaps(a.range)) visit(a, second[j]);
        }
    }
}

// A hostile tree can make every pair of thousands of /memreserve/ entries overlap: the
// pairs past this many are counted, not listed.
constexpr std::size_t kMaxOverlapPairs = 100;

// Calls visit(subject, other) for each overlapping pair of reservations that `wanted`
// accepts; the subject is the one a fix goes to (a node of the tree's own before an added
// region or a /memreserve/ entry).
template <typename Wanted, typename Visit>
void reservation_pairs(const Analysis& analysis, Findings& out, Wanted&& wanted, Visit&& visit) {
    std::vector<Reservation> all = reservations(analysis);
    std::size_t unlisted = 0;
    auto rank = [](const Reservation& r) { return r.node == kNoNode ? 2 : r.added_by.empty() ? 0 : 1; };
    for (std::size_t i = 0; i < all.size(); ++i) {
        for (std::size_t j = i + 1; j < all.size() && all[j].range.start <= all[i].range.last(); ++j) {
            if (!wanted(all[i], all[j])) continue;
            if (out.all().size() >= kMaxOverlapPairs) {
                ++unlisted;
                continue;
            }
            // Of two alike, the later-starting one.
            bool second_first = rank(all[j]) < rank(all[i]) || (rank(all[j]) == rank(all[i]) && all[j].node != kNoNode);
            visit(second_first ? all[j] : all[i], second_first ? all[i] : all[j]);
        }
    }
    if (unlisted > 0) out.add(kNoNode, fmt::format("{} more overlapping pairs of reservations are not listed", unlisted));
}

// drivers/of/of_reserved_mem.c __rmem_check_for_overlap() compares the regions it keeps;
// /memreserve/ entries and every reg entry join them here. Regions the firmware or boot
// loader added are firmware-overlap's.
void reserved_overlap(const Analysis& analysis, Findings& out) {
    auto own = [](const Reservation& a, const Reservation& b) { return a.added_by.empty() && b.added_by.empty(); };
    reservation_pairs(analysis, out, own, [&](const Reservation& subject, const Reservation& other) {
        Finding& f = out.add(subject.node,
                             fmt::format("{} ({}) overlaps {} ({})", subject.label, span(subject.range), other.label,
                                         span(other.range)),
                             subject.property);
        f.ranges = {subject.range, other.range};
        if (other.node != kNoNode) f.related.push_back({other.node, other.property, "the other region is defined here"});
    });
}

// The firmware keeps its own memory (OpenSBI protects it with PMP, lib/utils/fdt/fdt_fixup.c
// fdt_reserved_memory_fixup()) and tells Linux by a /reserved-memory child; a region of
// the tree over it is refused by memblock ("failed to reserve memory") when no-map, and
// handed to its users while the firmware owns it otherwise.
void firmware_overlap(const Analysis& analysis, Findings& out) {
    auto added = [](const Reservation& a, const Reservation& b) { return !a.added_by.empty() || !b.added_by.empty(); };
    reservation_pairs(analysis, out, added, [&](const Reservation& subject, const Reservation& other) {
        const Reservation& firmware = other.added_by.empty() ? subject : other;
        const Reservation& region = &firmware == &other ? subject : other;
        Finding& f = out.add(region.node,
                             fmt::format("{} ({}) overlaps the memory {} reserves for itself ({}, {})", region.label,
                                         span(region.range), firmware.added_by, firmware.label, span(firmware.range)),
                             region.property);
        f.ranges = {region.range, firmware.range};
    });
}

void reserved_outside_ram(const Analysis& analysis, Findings& out) {
    const MemoryMap& map = analysis.map;
    if (map.ram.empty()) return;  // memory-missing says so
    std::vector<Range> ram;  // sorted by start, as map.ram
    for (const RamBank& bank : map.ram) ram.push_back(bank.range);
    for_each_static_region(map, [&](const ReservedRegion& region, std::size_t index, Range range) {
        if (covered_by(ram, range)) return;
        bool touches = std::any_of(map.ram.begin(), map.ram.end(), [&](const RamBank& b) { return b.range.overlaps(range); });
        // A no-map carveout wholly outside RAM is how SRAM and device memory are handed to
        // drivers through memory-region (e.g. a coprocessor's SRAM): nothing to report.
        if (!touches && region.no_map) return;
        std::string entry = region.reg.size() > 1 ? fmt::format("reg[{}] ", index) : "";
        out.add(region.node,
                fmt::format("{}{} lies {} outside RAM{}", entry, span(range), touches ? "partly" : "wholly",
                            region.no_map ? "" : ": memblock reserves nothing there"),
                "reg")
            .ranges = {range};
    });
}

// MMIO a lint should compare with memory: a framebuffer the boot loader left in RAM
// (/chosen's simple-framebuffer) describes RAM by design.
std::vector<MmioRegion> device_mmio(const Analysis& analysis) {
    const Tree& tree = analysis.tree();
    NodeId chosen = tree.find_path("/chosen");
    std::vector<MmioRegion> out;
    for (const MmioRegion& region : analysis.map.mmio) {
        bool in_chosen = false;
        for (NodeId n = region.node; n != kNoNode && !in_chosen; n = tree.parent(n)) in_chosen = n == chosen;
        if (!in_chosen) out.push_back(region);
    }
    return out;
}

std::string mmio_label(const Tree& tree, const MmioRegion& region) {
    std::string label = tree.path(region.node);
    if (region.name) label += fmt::format(" \"{}\"", *region.name);
    else if (region.index > 0) label += fmt::format(" reg[{}]", region.index);
    return label;
}

// One finding per memory span (a RAM bank, a reservation) for all the device registers
// in it: a wrong bank overlaps dozens, and it is the bank that needs the fix.
template <typename Memory>
void registers_in_memory(const Analysis& analysis, const std::vector<Memory>& memory, Findings& out) {
    const Tree& tree = analysis.tree();
    std::vector<MmioRegion> mmio = device_mmio(analysis);
    std::map<const Memory*, std::vector<const MmioRegion*>> hits;
    overlapping_pairs(memory, mmio, [&](const Memory& m, const MmioRegion& r) { hits[&m].push_back(&r); });
    for (const Memory& m : memory) {
        auto found = hits.find(&m);
        if (found == hits.end()) continue;
        const std::vector<const MmioRegion*>& regions = found->second;
        std::string first = fmt::format("{} ({})", mmio_label(tree, *regions.front()), span(regions.front()->range));
        std::string more = regions.size() > 1 ? fmt::format(" and {} more", regions.size() - 1) : "";
        Finding& f = out.add(m.node, fmt::format("{} ({}) overlaps the registers of {}{}", m.label,
                                                 span(m.range), first, more),
                             m.property);
        f.ranges.push_back(m.range);
        for (std::size_t i = 0; i < regions.size() && i < 3; ++i) {
            f.ranges.push_back(regions[i]->range);
            f.related.push_back({regions[i]->node, "reg", "the device's registers are defined here"});
        }
    }
}

void reserved_mmio_overlap(const Analysis& analysis, Findings& out) {
    // A no-map carveout outside RAM is SRAM or device memory handed to a driver; that the
    // device's own reg describes it too is the point (a remote processor's SRAM).
    std::vector<Reservation> in_ram;
    for (const Reservation& r : reservations(analysis)) {
        bool touches_ram = std::any_of(analysis.map.ram.begin(), analysis.map.ram.end(),
                                       [&](const RamBank& bank) { return bank.range.overlaps(r.range); });
        if (touches_ram || !r.no_map) in_ram.push_back(r);
    }
    registers_in_memory(analysis, in_ram, out);
}

// A RAM bank as a memory span of registers_in_memory().
struct Bank {
    Range range;
    NodeId node;
    std::string property;
    std::string label;
};

void ram_mmio_overlap(const Analysis& analysis, Findings& out) {
    std::vector<Bank> banks;
    for (const RamBank& bank : analysis.map.ram) {
        banks.push_back({bank.range, bank.node, bank.node == kNoNode ? "" : "reg", "RAM"});
    }
    registers_in_memory(analysis, banks, out);
}

void initrd_overlap(const Analysis& analysis, Findings& out) {
    std::optional<Range> initrd = analysis.map.chosen.initrd;
    bool from_chosen = true;
    if (analysis.prediction && analysis.prediction->inputs_used.initrd) {
        initrd = analysis.prediction->inputs_used.initrd;
        from_chosen = initrd == analysis.map.chosen.initrd;
    }
    if (!initrd) return;
    for (const Reservation& r : reservations(analysis)) {
        if (!r.range.overlaps(*initrd)) continue;
        Finding& f = out.add(from_chosen ? analysis.map.chosen.node : kNoNode,
                             fmt::format("the initrd ({}) overlaps {} ({})", span(*initrd), r.label, span(r.range)),
                             from_chosen ? "linux,initrd-start" : "");
        f.ranges = {*initrd, r.range};
        if (r.node != kNoNode) f.related.push_back({r.node, r.property, "the region is defined here"});
    }
}

constexpr Rule kRules[] = {
    {"firmware-overlap", firmware_overlap},
    {"initrd-overlap", initrd_overlap},
    {"ram-mmio-overlap", ram_mmio_overlap},
    {"reserved-mmio-overlap", reserved_mmio_overlap},
    {"reserved-outside-ram", reserved_outside_ram},
    {"reserved-overlap", reserved_overlap},
};

}  // namespace

std::span<const Rule> overlap_rules() { return kRules; }

}  // namespace dtmem::checks
