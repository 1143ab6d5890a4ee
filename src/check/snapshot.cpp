// SPDX-License-Identifier: MIT
// A running kernel's memory files against the prediction, and what they say about
// fragmentation. Formats: mm/vmstat.c (zoneinfo_show_print(), frag_show_print(),
// pagetypeinfo_showfree_print()), fs/proc/meminfo.c, kernel/resource.c (iomem),
// mm/cma_debug.c.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dtmem/check.hpp"
#include "dtmem/prediction.hpp"

namespace dtmem {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// "Node 0, zone   Normal" (zoneinfo, buddyinfo) or "Node    0, zone   Normal, type ..." (pagetypeinfo).
std::optional<std::string> zone_of(const std::string& line) {
    if (!line.starts_with("Node ")) return std::nullopt;
    std::size_t at = line.find("zone");
    if (at == std::string::npos) return std::nullopt;
    std::istringstream words(line.substr(at + 4));
    std::string name;
    words >> name;
    if (!name.empty() && name.back() == ',') name.pop_back();
    return name;
}

ZoneState* find_zone(Snapshot& snapshot, const std::string& name) {
    for (ZoneState& z : snapshot.zones) {
        if (z.name == name) return &z;
    }
    return nullptr;
}

void read_zoneinfo(const std::string& text, Snapshot& snapshot) {
    std::istringstream in(text);
    ZoneState* zone = nullptr;
    for (std::string line; std::getline(in, line);) {
        if (auto name = zone_of(line)) {
            zone = find_zone(snapshot, *name);
            if (!zone) {
                zone = &snapshot.zones.emplace_back();
                zone->name = *name;
            }
            continue;
        }
        if (!zone) continue;
        std::istringstream words(line);
        std::string key;
        words >> key;
        u64 value = 0;
        if (key == "pages") {
            std::string free;
            words >> free >> value;
            if (free == "free") zone->free += value;
        } else if (key == "spanned" && words >> value) {
            zone->spanned += value;
        } else if (key == "present" && words >> value) {
            zone->present += value;
        } else if (key == "managed" && words >> value) {
            zone->managed += value;
        } else if (key == "start_pfn:" && words >> value) {
            zone->start_pfn = value;
        }
    }
    std::erase_if(snapshot.zones, [](const ZoneState& z) { return z.spanned == 0; });
}

void read_buddyinfo(const std::string& text, Snapshot& snapshot) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto name = zone_of(line);
        ZoneState* zone = name ? find_zone(snapshot, *name) : nullptr;
        if (!zone) continue;
        std::istringstream counts(line.substr(line.find(*name, line.find("zone")) + name->size()));
        std::vector<u64> blocks;
        for (u64 n; counts >> n;) blocks.push_back(n);
        zone->free_blocks.resize(std::max(zone->free_blocks.size(), blocks.size()));
        for (std::size_t order = 0; order < blocks.size(); ++order) zone->free_blocks[order] += blocks[order];
    }
}

void read_pagetypeinfo(const std::string& text, Snapshot& snapshot) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::size_t type_at = line.find(", type ");
        auto name = zone_of(line);
        ZoneState* zone = name && type_at != std::string::npos ? find_zone(snapshot, *name) : nullptr;
        if (!zone) continue;
        std::istringstream rest(line.substr(type_at + 7));
        std::string type;
        rest >> type;
        u64 pages = 0, order = 0;
        for (u64 n; rest >> n; ++order) pages += n << order;
        auto known = std::find_if(zone->free_by_type.begin(), zone->free_by_type.end(), [&](const auto& t) { return t.first == type; });
        if (known == zone->free_by_type.end()) zone->free_by_type.push_back({type, pages}); else known->second += pages;
    }
}

void read_meminfo(const std::string& text, Snapshot& snapshot) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string key;
        u64 kib = 0;
        if (!(words >> key >> kib)) continue;
        if (key == "CmaTotal:") snapshot.cma_total_kib = kib;
        if (key == "CmaFree:") snapshot.cma_free_kib = kib;
    }
}

// "  40200000-41f3ffff : Kernel code": nested entries are indented by two spaces per level.
void read_iomem(const std::string& text, Snapshot& snapshot) {
    std::istringstream in(text);
    bool in_ram = false;  // below a "System RAM" entry
    for (std::string line; std::getline(in, line);) {
        std::size_t indent = line.find_first_not_of(' ');
        std::size_t dash = line.find('-', indent);
        if (indent == std::string::npos || dash == std::string::npos) continue;
        u64 first = std::strtoull(line.substr(indent, dash - indent).c_str(), nullptr, 16);
        u64 last = std::strtoull(line.substr(dash + 1).c_str(), nullptr, 16);
        // 0-0: addresses hidden from non-root; 0-ffffffffffffffff would not fit a Range.
        bool fits = last > first && last - first != ~u64{0};
        if (indent == 0) in_ram = fits && line.find(" : System RAM") != std::string::npos;
        if (!fits || !in_ram) continue;
        (indent == 0 ? snapshot.system_ram : snapshot.ram_in_use).push_back({first, last - first + 1});
    }
    std::sort(snapshot.ram_in_use.begin(), snapshot.ram_in_use.end(), [](Range a, Range b) { return a.start < b.start; });
}

std::string ranges_text(const std::vector<Range>& ranges) {
    std::string text;
    for (const Range& r : ranges) text += fmt::format("{}{:x}-{:x}", text.empty() ? "" : " ", r.start, r.last());
    return text.empty() ? "none" : text;
}

void read_cma(const fs::path& dir, Snapshot& snapshot) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        auto number = [&](const char* file) -> std::optional<u64> {
            auto text = read_text(entry.path() / file);
            if (!text) return std::nullopt;
            return std::strtoull(text->c_str(), nullptr, 10);
        };
        auto base = number("base_pfn"), count = number("count");
        if (base && count) snapshot.cma.push_back({entry.path().filename().string(), *base, *count, number("used")});
    }
    std::sort(snapshot.cma.begin(), snapshot.cma.end(), [](const CmaState& a, const CmaState& b) { return a.base_pfn < b.base_pfn; });
}

// mm/vmstat.c __fragmentation_index(): how far a failure to allocate 2^order pages is due
// to fragmentation (towards 1) rather than lack of memory (towards 0); -1 when it succeeds.
double fragmentation_index(const std::vector<u64>& free_blocks, std::size_t order) {
    u64 total = 0, pages = 0, suitable = 0;
    for (std::size_t o = 0; o < free_blocks.size(); ++o) {
        total += free_blocks[o];
        pages += free_blocks[o] << o;
        if (o >= order) suitable += free_blocks[o] << (o - order);
    }
    if (total == 0) return 0;
    if (suitable) return -1;
    u64 requested = u64{1} << order;
    return (1000 - static_cast<int64_t>((1000 + pages * 1000 / requested) / total)) / 1000.0;
}

}  // namespace

Snapshot read_snapshot(const std::string& dir) {
    Snapshot snapshot;
    bool live = dir == "/";
    fs::path root(dir);
    auto file = [&](const char* saved, const char* system) { return live ? fs::path(system) : root / saved; };
    if (auto text = read_text(file("cmdline", "/proc/cmdline"))) {
        std::string line = *text;
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
        snapshot.cmdline = line;
    }
    if (auto text = read_text(file("zoneinfo", "/proc/zoneinfo"))) read_zoneinfo(*text, snapshot);
    if (auto text = read_text(file("buddyinfo", "/proc/buddyinfo"))) read_buddyinfo(*text, snapshot);
    if (auto text = read_text(file("pagetypeinfo", "/proc/pagetypeinfo"))) read_pagetypeinfo(*text, snapshot);
    if (auto text = read_text(file("meminfo", "/proc/meminfo"))) read_meminfo(*text, snapshot);
    if (auto text = read_text(file("iomem", "/proc/iomem"))) read_iomem(*text, snapshot);
    if (!live) snapshot.dmesg = read_text(root / "dmesg");
    read_cma(file("cma", "/sys/kernel/debug/cma"), snapshot);
    return snapshot;
}

SnapshotComparison compare_snapshot(const Analysis& analysis, const Snapshot& snapshot) {
    SnapshotComparison result;
    const Prediction& p = *analysis.prediction;
    u64 page = p.profile.page_size;
    auto observe = [&](std::string what, u64 observed, u64 predicted) {
        result.observations.push_back({std::move(what), std::to_string(observed), std::to_string(predicted), observed == predicted});
    };
    // Zones: the span the kernel printed, ZONE_MOVABLE cut out, and the RAM in it.
    for (const Zone& zone : allocator_zones(p)) {
        if (!zone.range) continue;
        const ZoneState* seen = nullptr;
        for (const ZoneState& z : snapshot.zones) {
            if (z.name == zone.name) seen = &z;
        }
        if (!seen) {
            result.observations.push_back({fmt::format("zone {}", zone.name), "absent", "populated", false});
            continue;
        }
        observe(fmt::format("zone {} start pfn", zone.name), seen->start_pfn, zone.range->start / page);
        observe(fmt::format("zone {} spanned pages", zone.name), seen->spanned, zone.range->size / page);
        observe(fmt::format("zone {} present pages", zone.name), seen->present,
                bytes_within(p.memory_ranges, zone.range->start, zone.range->last()) / page);
    }
    // CMA: areas the kernel activated (mm/cma.c cma_activate_area() takes a failed one out of
    // totalcma_pages).
    u64 cma_bytes = 0;
    for (const CmaArea& area : p.cma) {
        if (area.activated) cma_bytes += area.size;
        auto seen = std::find_if(snapshot.cma.begin(), snapshot.cma.end(), [&](const CmaState& c) { return c.name == area.name; });
        if (seen != snapshot.cma.end()) {
            observe(fmt::format("CMA area {} base pfn", area.name), seen->base_pfn, area.base / page);
            observe(fmt::format("CMA area {} pages", area.name), seen->count, area.size / page);
        }
    }
    if (snapshot.cma_total_kib) observe("CmaTotal (KiB)", *snapshot.cma_total_kib, cma_bytes / 1024);
    // The RAM the kernel maps (no-map regions are not System RAM), and where the regions it
    // reserved are: a no-map region outside System RAM, the others in use inside it, where the
    // arch lists memblock's reservations (arm64 reserve_memblock_reserved_regions(), riscv
    // init_resources(); 32-bit ARM lists only the kernel image).
    if (!snapshot.system_ram.empty()) {
        result.observations.push_back({"System RAM (iomem)", ranges_text(snapshot.system_ram), ranges_text(p.system_ram),
                                       snapshot.system_ram == p.system_ram});
        bool lists_reservations = p.profile.arch != Arch::Arm;
        auto place = [&](const std::string& what, Range range, bool no_map) {
            bool in_ram = std::any_of(snapshot.system_ram.begin(), snapshot.system_ram.end(),
                                      [&](Range r) { return r.overlaps(range); });
            if (no_map) {
                result.observations.push_back({what, in_ram ? "in System RAM" : "outside System RAM", "outside System RAM", !in_ram});
            } else if (lists_reservations) {
                bool reserved = covered_by(snapshot.ram_in_use, range);
                result.observations.push_back({what, reserved ? "reserved" : "not reserved", "reserved", reserved});
            }
        };
        for (const RegionOutcome& r : p.reserved) {
            const ReservedRegion* region = analysis.map.reserved_memory ? analysis.map.reserved_memory->find(r.node) : nullptr;
            if (!region || !r.placed || !r.error.empty()) continue;
            place(fmt::format("{} (iomem)", analysis.tree().path(r.node)), *r.placed, region->no_map);
        }
        for (const CmaArea& area : p.cma) {
            if (area.name == "reserved") place("default CMA area (iomem)", Range{area.base, area.size}, false);
        }
    }
    // Health: what the buddy allocator holds per zone.
    std::vector<u64> reaches;
    for (const Device& device : analysis.map.devices) {
        if (!device.uses_shared_pools()) continue;
        reaches.push_back(device.dma_window->cpu_reach());
    }
    u64 ram_last = p.memory_ranges.empty() ? 0 : p.memory_ranges.back().last();
    u64 present = 0, highmem = 0;
    for (const ZoneState& z : snapshot.zones) {
        present += z.present;
        if (z.name == "HighMem") highmem += z.present;
        ZoneHealth health{z.name, z.free * page, 0, {}, false, true};
        for (std::size_t order = 0; order < z.free_blocks.size(); ++order) {
            if (z.free_blocks[order]) health.largest_free_block = (u64{1} << order) * page;
            health.fragmentation.push_back(fragmentation_index(z.free_blocks, order));
        }
        health.devices_depend = (z.name == "DMA" || z.name == "DMA32") &&
                                std::any_of(reaches.begin(), reaches.end(), [&](u64 reach) { return reach < ram_last; });
        health.high_order_ok = health.largest_free_block >= 8 * page;  // PAGE_ALLOC_COSTLY_ORDER
        result.health.push_back(std::move(health));
    }
    if (highmem && present) result.highmem_share = static_cast<double>(highmem) / static_cast<double>(present);
    return result;
}

}  // namespace dtmem
