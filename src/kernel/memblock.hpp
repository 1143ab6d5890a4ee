// SPDX-License-Identifier: MIT
// A model of the kernel's early allocator (mm/memblock.c): the memory and reserved lists,
// NOMAP marking, and first-fit allocation top-down (default) or bottom-up.
// Internal to the library.
#pragma once

#include <optional>
#include <vector>

#include "dtmem/range.hpp"

namespace dtmem::detail {

inline constexpr u64 kAllocAnywhere = ~u64{0};  // MEMBLOCK_ALLOC_ANYWHERE

struct MemblockRegion {
    u64 base = 0;
    u64 size = 0;
    bool nomap = false;
    bool hotplug = false;
    u64 end() const { return base + size; }
};

class Memblock {
public:
    // `phys_max`: PHYS_ADDR_MAX, 0xffffffff where phys_addr_t is 32-bit.
    Memblock(u64 page_size, u64 phys_max) : page_size_(page_size), phys_max_(phys_max), current_limit_(phys_max) {}

    void add(u64 base, u64 size);                 // memblock_add
    void remove(u64 base, u64 size);              // memblock_remove
    void reserve(u64 base, u64 size);             // memblock_reserve
    void free(u64 base, u64 size);                // memblock_phys_free: drop from reserved
    void mark_nomap(u64 base, u64 size, bool on); // memblock_mark_nomap / clear_nomap
    void mark_hotplug(u64 base, u64 size);
    void clear_hotplug();  // memblock_clear_hotplug(0, ULLONG_MAX)
    // memblock_cap_memory_range(base, size): keep only memory (NOMAP excepted) inside.
    void cap(u64 base, u64 size);
    void set_bottom_up(bool on) { bottom_up_ = on; }
    bool bottom_up() const { return bottom_up_; }
    void set_current_limit(u64 limit) { current_limit_ = limit; }
    u64 current_limit() const { return current_limit_; }
    void set_skip_hotplug(bool on) { skip_hotplug_ = on; }

    // memblock_find_in_range_node(): a free, aligned block in [start, end); nothing when none.
    std::optional<u64> find(u64 size, u64 align, u64 start, u64 end) const;
    // memblock_phys_alloc_range(): find + reserve.
    std::optional<u64> alloc_range(u64 size, u64 align, u64 start, u64 end);
    // `count` top-down memblock_phys_alloc_range(size, align, 0, end) calls in a row, `size`
    // a multiple of `align`: each block sits right below the one before, holes skipped.
    // Done in one pass over the free ranges. Returns how many blocks were taken.
    u64 alloc_run(u64 count, u64 size, u64 align, u64 end);
    // memblock_alloc_try_nid(): below the current limit, retrying without `min`.
    std::optional<u64> alloc(u64 size, u64 align, u64 min = 0, u64 max = kAllocAnywhere);

    bool is_region_reserved(u64 base, u64 size) const;  // overlaps any reserved region
    bool overlaps_memory(u64 base, u64 size) const;
    u64 start_of_dram() const;  // memblock_start_of_DRAM
    u64 end_of_dram() const;    // memblock_end_of_DRAM (exclusive)
    u64 phys_mem_size() const;  // memblock_phys_mem_size
    const std::vector<MemblockRegion>& memory() const { return memory_; }
    const std::vector<MemblockRegion>& reserved() const { return reserved_; }

    // for_each_free_mem_range(): memory minus reserved, clamped to [start, end].
    std::vector<std::pair<u64, u64>> free_ranges(u64 start, u64 end) const;

private:
    u64 page_size_;
    u64 phys_max_;
    std::vector<MemblockRegion> memory_;
    std::vector<MemblockRegion> reserved_;
    bool bottom_up_ = false;
    bool skip_hotplug_ = false;
    u64 current_limit_;
};

}  // namespace dtmem::detail
