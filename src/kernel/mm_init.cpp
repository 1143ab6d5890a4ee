// SPDX-License-Identifier: MIT
// mm/mm_init.c, mm/sparse.c, mm/percpu.c and the hash tables: zones and the zone block,
// NUMA node data and sparse sections, nr_kernel_pages and start_kernel()'s allocations.
#include <bit>

#include "kernel/simulation.hpp"

namespace dtmem::detail {

// nr_kernel_pages, which sizes the boot-time hash tables. 6.12: calc_nr_kernel_pages()
// counts free pages at free_area_init(); 6.1: free_area_init_core() adds each lowmem
// zone's present pages less its memory map.
void BootSimulation::count_kernel_pages() {
    u64 page = profile_.page_size;
    if (features_.nr_kernel_pages_at_free_area_init) {
        // HighMem pages are not kernel pages (high_zone_low).
        u64 high = prediction_.lowmem_end.value_or(~u64{0});
        for (const auto& [start, end] : memblock_.free_ranges(0, high)) {
            u64 first = align_up(start, page) / page, last = end / page;
            if (first < last) nr_kernel_pages_ += last - first;
        }
        return;
    }
    std::vector<Zone> zones = allocator_zones(prediction_);
    bool movable_high = std::any_of(prediction_.zones.begin(), prediction_.zones.end(),
                                    [](const Zone& z) { return z.name == "HighMem" && z.range; });
    for (const Zone& zone : zones) {
        // is_highmem_idx(): ZONE_MOVABLE taken from HighMem is HighMem too.
        if (!zone.range || zone.name == "HighMem" || (zone.name == "Movable" && movable_high)) continue;
        u64 spanned = zone.range->size / page, present = 0;
        for (const detail::MemblockRegion& r : memblock_.memory()) {
            u64 start = std::max(r.base, zone.range->start), end = std::min(r.end(), zone.range->start + zone.range->size);
            if (start < end) present += (end - start) / page;
        }
        u64 counted = spanned > present + (present >> 4) ? present : spanned;  // calc_memmap_size()
        u64 memmap = align_up(counted * build("sizeof_struct_page"), page) / page;
        if (present > memmap) nr_kernel_pages_ += present - memmap;
    }
}

// Between dma_contiguous_reserve() and mem_init() (arm64, riscv): resources, then
// start_kernel()'s allocations. Modelled where the profile measured them: the swiotlb
// buffer of a small board goes below them.
void BootSimulation::allocations_before_mem_init() {
    if (!profile_.build.count("pcpu_unit_bytes")) {
        prediction_.unmodelled.push_back("allocations between the default CMA area and swiotlb are not in this "
                                         "profile; swiotlb assumes they fit above the CMA area");
        return;
    }
    u64 resource = build("resource_bytes_per_memory_region");
    if (profile_.arch == Arch::Riscv64) {
        // arch/riscv/kernel/setup.c init_resources(): room for every memory and reserved region
        // and one more, filled from the end with the reserved regions outside memory and the
        // memory regions; the unused start of the array is freed again.
        u64 reserved_outside = 0;
        for (const detail::MemblockRegion& r : memblock_.reserved()) reserved_outside += !memblock_.overlaps_memory(align_down(r.base, profile_.page_size), 1);
        u64 slots = memblock_.memory().size() + memblock_.reserved().size() + 1;
        u64 used = std::min(slots, memblock_.memory().size() + reserved_outside);
        if (auto array = memblock_.alloc(resource * slots, 64); array && used < slots) memblock_.free(*array, resource * (slots - used));
    } else {
        memblock_.alloc(resource * memblock_.memory().size(), 64);  // request_standard_resources()
    }
    start_kernel_allocations();
}

// start_kernel(): the command line copies, the per-CPU first chunk, the dentry and
// inode hash tables and (6.12 FLATMEM) the page_ext table.
void BootSimulation::start_kernel_allocations() {
    u64 page = profile_.page_size;
    u64 cmdline = inputs_.bootargs.value_or(std::string(map_.chosen.bootargs.value_or(""))).size() + 1;
    memblock_.alloc(cmdline, 64);  // saved_command_line
    memblock_.alloc(cmdline, 64);  // static_command_line
    // mm/percpu.c pcpu_embed_first_chunk(): two temporary pages (pcpu_build_alloc_info()'s
    // alloc info, the group areas), then one unit per possible CPU in one allocation for the
    // one group (pcpu_fc_alloc(nr_units * unit_size); a unit is the page-aligned static +
    // reserved + dynamic size, so nothing of it is given back). pcpu_setup_first_chunk():
    // group_offsets and group_sizes (a long per group), unit_map (an int per nr_cpu_ids),
    // unit_off (a long per nr_cpu_ids), then the slot lists and pcpu_alloc_first_chunk()'s
    // chunk maps, which do not depend on the CPUs (the profile's list).
    u64 cpus = possible_cpus(), word = pointer_bytes();
    auto info = memblock_.alloc(page, page);
    auto areas = memblock_.alloc(page, 64);
    memblock_.alloc(build("pcpu_unit_bytes") * cpus, page);
    for (u64 size : {word, word, 4 * cpus, word * cpus}) memblock_.alloc(size, 64);
    for (std::int64_t size : profile_.build_lists.at("pcpu_small_allocations")) memblock_.alloc(static_cast<u64>(size), 64);
    if (info) memblock_.free(*info, page);
    if (areas) memblock_.free(*areas, page);
    // alloc_large_system_hash(): dentry (scale 13) and inode (scale 14) caches.
    for (u64 scale : {13, 14}) {
        if (u64 bytes = hash_table_bytes(scale)) memblock_.alloc(bytes, 64);
    }
    // page_ext_init_flatmem(): one entry per page the node spans.
    if (u64 entry = optional_build("page_ext_bytes_per_page")) {
        u64 order_bytes = profile_.page_size << 11;
        u64 spanned = (align_up(memblock_.end_of_dram(), order_bytes) - align_down(memblock_.start_of_dram(), order_bytes)) / page;
        memblock_.alloc(spanned * entry, page);
    }
    // mm_core_init() → kfence_alloc_pool_and_metadata() (mm/kfence/core.c, allocated at run
    // time since 6.6): with sampling on, the objects' metadata, KFENCE_METADATA_SIZE =
    // PAGE_ALIGN(sizeof(struct kfence_metadata) * CONFIG_KFENCE_NUM_OBJECTS).
    if (kfence_samples() && profile_.version >= KernelVersion{6, 6, 0}) {
        if (u64 metadata = optional_build("sizeof_kfence_metadata")) {
            memblock_.alloc(align_up(metadata * profile_.number("CONFIG_KFENCE_NUM_OBJECTS").value_or(255), page), page);
        } else {
            prediction_.unmodelled.push_back("the KFENCE metadata before swiotlb, whose size this profile does not give "
                                             "(give --vmlinux)");
        }
    }
}

u64 BootSimulation::hash_table_bytes(u64 scale) const {
    const u64 kBucket = pointer_bytes();  // struct hlist_bl_head is one pointer
    u64 page = profile_.page_size;
    int page_shift = __builtin_ctzll(page);
    // mm/mm_init.c alloc_large_system_hash(): one bucket per 2^scale bytes of low memory,
    // which is more than one per page when the page is larger (64K pages).
    u64 entries = align_up(nr_kernel_pages_, kMiB / page);
    entries = scale > static_cast<u64>(page_shift) ? entries >> (scale - page_shift) : entries << (page_shift - scale);
    if (entries * kBucket < page) entries = page / kBucket;
    entries = round_up_pow2(entries);
    u64 most = std::min<u64>((nr_kernel_pages_ * page >> 4) / kBucket, 0x80000000ULL);
    entries = std::min(entries, most);
    return kBucket * std::bit_floor(entries);  // 1 << ilog2(); no table when no page is left
}

// Zone ends (exclusive) in kernel order; Device is always empty at boot. The kernel
// keeps page frame numbers: an end is PFN_DOWN() of the byte limit.
void BootSimulation::set_zones(const std::vector<std::pair<std::string, u64>>& ends) {
    u64 start = memblock_.start_of_dram();
    for (auto [zone, end] : ends) {
        end = align_down(end, profile_.page_size);
        Zone z{zone, std::nullopt};
        if (end > start) {
            z.range = Range{start, end - start};
            start = end;
        }
        prediction_.zones.push_back(z);
    }
    if (profile_.zone_device) prediction_.zones.push_back({"Device", std::nullopt});
}

// mm/mm_init.c (6.1: mm/page_alloc.c) find_zone_movable_pfns_for_nodes() for the one node:
// the first page frame of ZONE_MOVABLE, from movable_node, kernelcore= or movablecore=.
std::optional<u64> BootSimulation::zone_movable_pfn() {
    u64 page = profile_.page_size, order_pages = profile_.max_order_bytes / page;  // MAX_ORDER_NR_PAGES
    struct PfnRange {
        u64 start, end;
    };
    std::vector<PfnRange> ranges;  // for_each_mem_pfn_range(): NOMAP memory included
    u64 total = 0;                 // early_calculate_totalpages()
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        u64 start = align_up(r.base, page) / page, end = r.end() / page;
        if (start >= end) continue;
        ranges.push_back({start, end});
        total += end - start;
    }
    if (ranges.empty()) return std::nullopt;
    std::optional<u64> pfn;
    auto lower = [&](u64 candidate) { pfn = std::min(pfn.value_or(candidate), candidate); };
    if (cmdline_.movable_node && profile_.has("CONFIG_MEMORY_HOTPLUG")) {
        // movable_node: kernelcore= and movablecore= are ignored; ZONE_MOVABLE starts at the
        // lowest hotpluggable region (none on numa_memblks kernels, which clear the flag).
        bool core_given = cmdline_.kernelcore_mirror || cmdline_.kernelcore.bytes || cmdline_.kernelcore.percent ||
                          cmdline_.movablecore.bytes || cmdline_.movablecore.percent;
        if (core_given) prediction_.notes.push_back("kernelcore=/movablecore=: ignored while movable_node is given");
        if (!features_.numa_memblks && profile_.arch == Arch::Arm64) {
            for (const detail::MemblockRegion& r : memblock_.memory()) {
                if (r.hotplug) lower(align_up(r.base, page) / page);
            }
        }
    } else if (cmdline_.kernelcore_mirror) {
        // A device tree marks no memory mirrored (only the EFI memory map does).
        if (features_.kernelcore_mirror_needs_mirror) {
            prediction_.notes.push_back("kernelcore=mirror: no memory is mirrored, so the kernel ignores it "
                                        "(\"The system has no mirror memory, ignore kernelcore=mirror.\")");
            return std::nullopt;
        }
        // Every unmirrored region from 4 GiB up is movable; one below warns.
        bool below_4g = false;
        for (const PfnRange& r : ranges) {
            if (r.start < 4 * kGiB / page) {
                below_4g = true;
            } else {
                lower(r.start);
            }
        }
        if (below_4g) prediction_.notes.push_back("kernelcore=mirror: no memory is mirrored; the kernel warns \"This "
                                                  "configuration results in unmirrored kernel memory.\"");
    } else {
        // unsigned long arithmetic: 32 bits on 32-bit ARM, where N% of a few GiB overflows.
        u64 word = pointer_bytes() == 4 ? 0xffffffffULL : ~u64{0};
        auto required = [&](const CoreParameter& core) {
            return core.percent ? ((total * 100 * core.percent) & word) / 10000 : core.bytes / page;
        };
        u64 kernelcore = required(cmdline_.kernelcore), movablecore = required(cmdline_.movablecore);
        if (movablecore) {
            // The larger kernel part wins when both are given.
            movablecore = std::min(total, align_up(movablecore, order_pages));
            kernelcore = std::max(kernelcore, total - movablecore);
        }
        if (!kernelcore || kernelcore >= total) return std::nullopt;
        // Pages below the zone ZONE_MOVABLE is taken from (the highest populated one,
        // find_usable_zone_for_movable()) are kernel pages and count towards kernelcore.
        u64 usable_start = 0;
        for (const Zone& zone : prediction_.zones) {
            if (zone.range && zone.name != "Device") usable_start = zone.range->start / page;
        }
        for (const PfnRange& r : ranges) {
            u64 start = std::max(r.start, pfn.value_or(0));
            if (start >= r.end) continue;
            if (start < usable_start) {
                kernelcore -= std::min(std::min(r.end, usable_start) - start, kernelcore);
                if (r.end <= usable_start) {
                    pfn = r.end;
                    continue;
                }
                start = usable_start;
            }
            u64 size = std::min(r.end - start, kernelcore);
            pfn = start + size;
            kernelcore -= size;
            if (!kernelcore) break;
        }
    }
    // Rounded up to MAX_ORDER_NR_PAGES; none when that reaches the end of the node.
    if (!pfn) return std::nullopt;
    u64 start = align_up(*pfn, order_pages);
    if (start >= ranges.back().end || start == 0) return std::nullopt;
    return start;
}

void BootSimulation::log_zone_block() {
    log("Zone ranges:");
    for (const Zone& zone : prediction_.zones) {
        log(zone.range ? fmt::format("  {:<8} [mem {:#018x}-{:#018x}]", zone.name, zone.range->start, zone.range->last())
                       : fmt::format("  {:<8} empty", zone.name));
    }
    log("Movable zone start for each node");
    if (auto pfn = zone_movable_pfn()) {
        prediction_.movable_start = *pfn * profile_.page_size;
        log(fmt::format("  Node 0: {:#018x}", *prediction_.movable_start));
    }
    log("Early memory node ranges");
    u64 page = profile_.page_size;
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        u64 start = align_up(r.base, page), end = align_down(r.end(), page);
        if (end <= start) continue;
        prediction_.memory_ranges.push_back(Range{start, end - start});
        log(fmt::format("  node {:>3}: [mem {:#018x}-{:#018x}]", 0, start, end - 1));
        // request_standard_resources() (arm64; init_resources() on riscv) makes one "System
        // RAM" resource per memblock region that is not NOMAP, in whole pages; 32-bit ARM's
        // for_each_mem_range() takes the regions' bytes as they are.
        if (r.nomap) continue;
        if (profile_.arch == Arch::Arm) {
            prediction_.system_ram.push_back(Range{r.base, r.size});
        } else {
            prediction_.system_ram.push_back(Range{start, end - start});
        }
    }
    log(fmt::format("Initmem setup node 0 [mem {:#018x}-{:#018x}]", align_up(memblock_.start_of_dram(), page),
                    align_down(memblock_.end_of_dram(), page) - 1));
}

// How many `unit`-aligned blocks memory touches (NOMAP memory too when `with_nomap`).
u64 BootSimulation::units_touched(u64 unit, bool with_nomap) const {
    u64 count = 0, last = ~u64{0};
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        if (r.nomap && !with_nomap) continue;
        u64 first = r.base / unit, final = (r.end() - 1) / unit;
        count += final - first + 1 - (first == last ? 1 : 0);
        last = final;
    }
    return count;
}

bool BootSimulation::has_hotplug_memory() const {
    return std::any_of(memblock_.memory().begin(), memblock_.memory().end(), [](const auto& r) { return r.hotplug; });
}

// arch_numa_init() with one faked node and its NODE_DATA. Without CONFIG_NUMA it is empty:
// the one node is the static contig_page_data (mm/mm_init.c), allocated nothing.
std::optional<u64> BootSimulation::numa_init() {
    if (!profile_.has("CONFIG_NUMA")) return std::nullopt;
    u64 page = profile_.page_size;
    if (features_.numa_memblks && has_hotplug_memory()) {
        // mm/numa_memblks.c numa_memblks_init() clears every hotplug flag on DT systems.
        memblock_.clear_hotplug();
        if (cmdline_.movable_node) prediction_.notes.push_back("movable_node: this kernel clears the hotpluggable flag at NUMA init, so "
                                    "there is no ZONE_MOVABLE and the hotpluggable bank receives NODE_DATA and "
                                    "the memory map (it can never be offlined)");
    }
    if (!features_.numa_memblks) log("NUMA: No NUMA configuration found");
    log(fmt::format("NUMA: Faking a node at [mem {}-{}]", pa(memblock_.start_of_dram()),
                    pa(memblock_.end_of_dram() - 1)));
    if (optional_build("numa_distance_bytes")) memblock_.alloc(build("numa_distance_bytes"), page);
    u64 node_data_size = build("sizeof_pg_data_t");
    auto node_data = memblock_.alloc(node_data_size, 64);
    if (node_data) {
        u64 last = *node_data + node_data_size - 1;
        log(features_.numa_memblks ? fmt::format("NODE_DATA(0) allocated [mem {:#010x}-{:#010x}]", *node_data, last)
                            : fmt::format("NUMA: NODE_DATA [mem {:#010x}-{:#010x}]", *node_data, last));
    }
    // setup_node_to_cpumask_map(), the end of numa_init()
    if (optional_build("bootmem_cpumask_bytes")) memblock_.alloc(build("bootmem_cpumask_bytes"), 64);
    return node_data;
}

// sparse_init(): the section roots, usemaps and the memory map; usemaps go next to the node's
// pg_data_t (`pgdat`) when memory can be removed.
void BootSimulation::sparse_init(u64 pgdat) {
    u64 page = profile_.page_size;
    memblock_.alloc(build("section_roots_bytes"), 64);  // memblocks_present()
    u64 section = build("section_size_bytes");
    u64 sections = units_touched(section, true);  // present sections, no-map memory included
    // sparse_index_alloc(): one root per SECTIONS_PER_ROOT sections holding memory, a root
    // being a page of struct mem_section (32 bytes with PAGE_EXTENSION): 16 GiB of address
    // space with 4 KiB pages, 64 GiB with 16 KiB.
    u64 root_span = build("sparse_index_bytes") / 32 * section;
    memblock_.alloc_run(units_touched(root_span, true), build("sparse_index_bytes"), 64, memblock_.current_limit());
    // sparse_early_usemaps_alloc_pgdat_section(): with CONFIG_MEMORY_HOTREMOVE inside the
    // section of the pg_data_t if it can, else anywhere (memblock_alloc_node()).
    u64 usemaps = build("usemap_bytes_per_section") * sections;
    u64 goal = align_down(pgdat, section);
    if (!profile_.has("CONFIG_MEMORY_HOTREMOVE") || !memblock_.alloc(usemaps, 64, goal, goal + section)) {
        memblock_.alloc(usemaps, 64);
    }
    // sparse_buffer_init(): one block of section_map_size() (a section's struct pages
    // rounded up to PMD_SIZE) for every section.
    u64 memmap = build("memmap_bytes_per_section");
    u64 ram_base = align_down(memblock_.start_of_dram(), 2 * kMiB);
    auto buffer = memblock_.alloc(memmap * sections, memmap, ram_base);
    // vmemmap_populate(): 4 KiB pages map the memory map with PMD blocks
    // (vmemmap_populate_hugepages()), which use the whole buffer; other page sizes page by
    // page (arch/arm64/mm/mmu.c, vmemmap_populate_basepages()), which take only the struct
    // pages, and sparse_buffer_fini() frees the rest (16 KiB pages: 512 KiB of each 32 MiB).
    bool basepages = profile_.page_size != 4096;
    if (basepages && buffer) {
        u64 used = sections * (section / page * build("sizeof_struct_page"));
        memblock_.free(*buffer + used, memmap * sections - used);
    }
    // Its page-table pages: one more lowest-level table (PMD table for blocks, PTE table for
    // pages) per further stretch of RAM whose struct pages that table maps (64 GiB with
    // 4 KiB pages, 8 GiB with 16 KiB).
    u64 per_table = (basepages ? level_size(1) : level_size(2)) / build("sizeof_struct_page") * page;
    u64 span = memblock_.end_of_dram() - memblock_.start_of_dram();
    u64 tables = build("vmemmap_early_pages") + (span ? (span - 1) / per_table : 0);
    memblock_.alloc_run(tables, page, page, memblock_.current_limit());  // all memory lies above ram_base
}

// FLATMEM, free_area_init_node() → alloc_node_mem_map(): one struct page per page from
// MAX_ORDER_NR_PAGES below the node's start to above its end, in one allocation. False when it
// does not fit (the kernel panics).
bool BootSimulation::flatmem_memmap() {
    u64 first = align_down(memblock_.start_of_dram(), profile_.max_order_bytes);
    u64 last = align_up(memblock_.end_of_dram(), profile_.max_order_bytes);
    u64 memmap = (last - first) / profile_.page_size * build("sizeof_struct_page");
    if (memblock_.alloc(memmap, 64)) return true;
    log(fmt::format("Kernel panic - not syncing: Failed to allocate {} bytes for node 0 memory map", memmap));
    return false;
}

// FLATMEM, setup_usemap(): the pageblock flags of each populated zone (NR_PAGEBLOCK_BITS, 4,
// per pageblock, in whole longs).
void BootSimulation::flatmem_usemaps() {
    u64 page = profile_.page_size;
    u64 pageblock_pages = profile_.pageblock_bytes / page, long_bits = pointer_bytes() * 8;
    for (const Zone& zone : prediction_.zones) {
        if (!zone.range) continue;
        u64 start_pfn = zone.range->start / page, pages = zone.range->size / page;
        u64 blocks = align_up(pages + (start_pfn & (pageblock_pages - 1)), pageblock_pages) / pageblock_pages;
        memblock_.alloc(align_up(blocks * 4, long_bits) / 8, 64);
    }
}

}  // namespace dtmem::detail
