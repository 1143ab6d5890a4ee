// SPDX-License-Identifier: MIT
// mm/memblock.c, reduced to what placement depends on: region lists kept sorted and
// merged as memblock_add_range()/memblock_merge_regions() keep them, the free-range walk
// of for_each_free_mem_range[_reverse]() and memblock_find_in_range_node().
#include "kernel/memblock.hpp"

#include <algorithm>

namespace dtmem::detail {
namespace {

using Regions = std::vector<MemblockRegion>;

u64 end_of(u64 base, u64 size) { return size > ~u64{0} - base ? ~u64{0} : base + size; }

// Splits regions so that `base` and `base + size` fall on region boundaries.
void isolate(Regions& regions, u64 base, u64 size) {
    u64 end = end_of(base, size);
    Regions out;
    for (const MemblockRegion& r : regions) {
        u64 cuts[2] = {base, end};
        MemblockRegion rest = r;
        for (u64 cut : cuts) {
            if (cut > rest.base && cut < rest.end()) {
                MemblockRegion head = rest;
                head.size = cut - rest.base;
                out.push_back(head);
                rest.size = rest.end() - cut;
                rest.base = cut;
            }
        }
        out.push_back(rest);
    }
    regions = std::move(out);
}

void merge(Regions& regions) {
    std::sort(regions.begin(), regions.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
    Regions out;
    for (const MemblockRegion& r : regions) {
        if (r.size == 0) continue;
        if (!out.empty() && out.back().end() == r.base && out.back().nomap == r.nomap && out.back().hotplug == r.hotplug) {
            out.back().size += r.size;
        } else {
            out.push_back(r);
        }
    }
    regions = std::move(out);
}

// memblock_add_range(): inserts only the parts not yet covered, with no flags.
void add_range(Regions& regions, u64 base, u64 size) {
    u64 end = end_of(base, size);
    u64 at = base;
    Regions added;
    for (const MemblockRegion& r : regions) {  // sorted
        if (r.end() <= at) continue;
        if (r.base >= end) break;
        if (r.base > at) added.push_back({at, r.base - at});
        at = std::max(at, r.end());
    }
    if (at < end) added.push_back({at, end - at});
    regions.insert(regions.end(), added.begin(), added.end());
    merge(regions);
}

void remove_range(Regions& regions, u64 base, u64 size) {
    isolate(regions, base, size);
    u64 end = end_of(base, size);
    std::erase_if(regions, [&](const MemblockRegion& r) { return r.base >= base && r.end() <= end; });
}

bool overlaps(const Regions& regions, u64 base, u64 size) {
    u64 end = end_of(base, size);
    return std::any_of(regions.begin(), regions.end(), [&](const auto& r) { return r.base < end && base < r.end(); });
}

}  // namespace

// memblock_cap_size(): a range never passes PHYS_ADDR_MAX (a 32-bit bank ending at 4 GiB
// loses its last byte, and with it its last page).
void Memblock::add(u64 base, u64 size) { add_range(memory_, base, std::min(size, phys_max_ - base)); }
void Memblock::remove(u64 base, u64 size) { remove_range(memory_, base, size); }
void Memblock::reserve(u64 base, u64 size) { add_range(reserved_, base, std::min(size, phys_max_ - base)); }
void Memblock::free(u64 base, u64 size) { remove_range(reserved_, base, size); }

void Memblock::mark_nomap(u64 base, u64 size, bool on) {
    isolate(memory_, base, size);
    u64 end = end_of(base, size);
    for (MemblockRegion& r : memory_) {
        if (r.base >= base && r.end() <= end) r.nomap = on;
    }
    merge(memory_);
}

void Memblock::mark_hotplug(u64 base, u64 size) {
    isolate(memory_, base, size);
    u64 end = end_of(base, size);
    for (MemblockRegion& r : memory_) {
        if (r.base >= base && r.end() <= end) r.hotplug = true;
    }
    merge(memory_);
}

void Memblock::clear_hotplug() {
    for (MemblockRegion& r : memory_) r.hotplug = false;
    merge(memory_);
}

void Memblock::cap(u64 base, u64 size) {
    if (size == 0 || memory_.empty()) return;
    isolate(memory_, base, size);
    u64 end = end_of(base, size);
    std::erase_if(memory_, [&](const MemblockRegion& r) { return !r.nomap && (r.end() <= base || r.base >= end); });
    remove_range(reserved_, 0, base);
    remove_range(reserved_, end, ~u64{0} - end);
    merge(memory_);
}

std::vector<std::pair<u64, u64>> Memblock::free_ranges(u64 start, u64 end) const {
    std::vector<std::pair<u64, u64>> ranges;
    for (const MemblockRegion& m : memory_) {
        if (m.nomap || (skip_hotplug_ && m.hotplug)) continue;
        u64 at = m.base;
        for (const MemblockRegion& r : reserved_) {
            if (r.end() <= at || r.base >= m.end()) continue;
            if (r.base > at) ranges.push_back({at, r.base});
            at = std::max(at, r.end());
        }
        if (at < m.end()) ranges.push_back({at, m.end()});
    }
    for (auto& [s, e] : ranges) {
        s = std::clamp(s, start, end);
        e = std::clamp(e, start, end);
    }
    return ranges;
}

std::optional<u64> Memblock::find(u64 size, u64 align, u64 start, u64 end) const {
    start = std::max(start, page_size_);  // the first page is never handed out
    end = std::max(start, end);
    auto ranges = free_ranges(start, end);
    if (bottom_up_) {
        for (const auto& [s, e] : ranges) {
            u64 candidate = (s + align - 1) / align * align;
            if (candidate >= s && candidate < e && e - candidate >= size) return candidate;
        }
    } else {
        for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
            auto [s, e] = *it;
            if (e < size) continue;
            u64 candidate = (e - size) / align * align;
            if (candidate >= s) return candidate;
        }
    }
    return std::nullopt;
}

std::optional<u64> Memblock::alloc_range(u64 size, u64 align, u64 start, u64 end) {
    if (align == 0) align = 64;  // SMP_CACHE_BYTES
    auto found = find(size, align, start, end);
    if (found) reserve(*found, size);
    return found;
}

u64 Memblock::alloc_run(u64 count, u64 size, u64 align, u64 end) {
    const u64 wanted = count;
    auto ranges = free_ranges(page_size_, end);
    for (auto it = ranges.rbegin(); it != ranges.rend() && count > 0; ++it) {
        auto [bottom, top] = *it;
        if (top - bottom < size) continue;
        u64 highest = (top - size) / align * align;
        if (highest < bottom) continue;
        u64 taken = std::min(count, (highest - bottom) / size + 1);
        reserve(highest + size - taken * size, taken * size);
        count -= taken;
    }
    return wanted - count;
}

std::optional<u64> Memblock::alloc(u64 size, u64 align, u64 min, u64 max) {
    max = std::min(max, current_limit_);  // memblock_alloc_internal()
    auto found = alloc_range(size, align, min, max);
    if (!found && min) found = alloc_range(size, align, 0, max);
    return found;
}

bool Memblock::is_region_reserved(u64 base, u64 size) const { return overlaps(reserved_, base, size); }
bool Memblock::overlaps_memory(u64 base, u64 size) const { return overlaps(memory_, base, size); }
u64 Memblock::start_of_dram() const { return memory_.empty() ? 0 : memory_.front().base; }
u64 Memblock::end_of_dram() const { return memory_.empty() ? 0 : memory_.back().end(); }

u64 Memblock::phys_mem_size() const {
    u64 total = 0;
    for (const MemblockRegion& r : memory_) total += r.size;
    return total;
}

}  // namespace dtmem::detail
