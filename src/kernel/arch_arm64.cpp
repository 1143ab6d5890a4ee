// SPDX-License-Identifier: MIT
// arch/arm64: setup_arch() in its order (arch/arm64/kernel/setup.c), arm64_memblock_init()
// and zone_sizes_init() (arch/arm64/mm/init.c), the early page tables (arch/arm64/mm/mmu.c).
#include <bit>
#include <set>

#include "kernel/simulation.hpp"

namespace dtmem::detail {

void BootSimulation::boot_arm64() {
    // memblock skips hotpluggable memory while movable_node is in force.
    memblock_.set_skip_hotplug(cmdline_.movable_node);
    if (const Property* model = tree_.find_property(tree_.root(), "model"); model && model->as_string()) {
        log(fmt::format("Machine model: {}", *model->as_string()));
    }
    scan_memory(0, ~u64{0});
    swiotlb_parameters();  // parse_early_param()
    u64 kernel = kernel_;
    u64 image_size = image_size_;
    reserve_image("DTB", dtb_, tree_.blob().size());  // setup_machine_fdt()

    // arm64_memblock_init()
    remove_unaddressable_arm64(kernel + image_size);
    if (!cmdline_.mem.empty()) {
        u64 limit = align_down(cmdline_.mem.back().size, profile_.page_size);
        log(fmt::format("Memory limited to {}MB", limit / kMiB));
        mem_limit_remove_map(limit);
        memblock_.add(kernel, image_size);  // the kernel image is added back
    }
    if (initrd()) reserve_image("initrd", initrd()->start, initrd()->size);
    // [6.1] [_stext, _end) starts 64 KiB into the image; [6.12] [_text, _end).
    u64 text_offset = build("image_reserve_start_offset");
    reserve_image("kernel", kernel + text_offset, image_size - text_offset);
    scan_reserved_memory();
    // [6.1] without ZONE_DMA and ZONE_DMA32 (!defer_reserve_crashkernel()) crashkernel= is
    // reserved here, arm64_dma_phys_limit being PHYS_MASK + 1 from the start; else in
    // bootmem_init() after the default CMA area, as on 6.12 always.
    u64 pa_end = u64{1} << profile_.number("CONFIG_ARM64_PA_BITS").value_or(48);
    bool crashkernel_early = !features_.crashkernel_generic && !profile_.zone_dma && !profile_.zone_dma32;
    if (crashkernel_early) reserve_crashkernel(pa_end, pa_end, 2 * kMiB);

    if (!arm64_early_allocations()) return;

    // bootmem_init(): zone_sizes_init(), then dma_contiguous_reserve()
    u64 dma_limit = arm64_zones();
    log_zone_block();
    count_kernel_pages();
    default_cma(dma_limit, memblock_.end_of_dram());
    // [6.1] reserve_crashkernel(), [6.12] arch_reserve_crashkernel(): CRASH_ADDR_LOW_MAX is
    // arm64_dma_phys_limit, CRASH_ADDR_HIGH_MAX PHYS_MASK + 1, CRASH_ALIGN 2 MiB.
    if (!crashkernel_early) reserve_crashkernel(dma_limit, pa_end, 2 * kMiB);
    allocations_before_mem_init();
    // mem_init(): the bounce buffer, needed when RAM reaches past the DMA limit.
    swiotlb(memblock_.end_of_dram() / profile_.page_size > dma_limit / profile_.page_size, dma_limit - 1);
    activate_cma_areas();
}

// arm64_memblock_init(): memory above the physical address size (PHYS_MASK_SHIFT =
// CONFIG_ARM64_PA_BITS) is removed, then what the linear map cannot cover: it spans
// 2^(vabits_actual - 1) bytes from memstart_addr (ARM64_MEMSTART_ALIGN-aligned start of
// DRAM); when memory reaches beyond it, the bottom goes instead of the top.
void BootSimulation::remove_unaddressable_arm64(u64 kernel_end) {
    u64 pa_limit = u64{1} << profile_.number("CONFIG_ARM64_PA_BITS").value_or(48);
    memblock_.remove(pa_limit, ~u64{0} - pa_limit);
    // 52-bit VA kernels run with VA_BITS_MIN on CPUs without LPA2/LVA (vabits_actual):
    // 48 bits, 47 with 16 KiB pages (arch/arm64/include/asm/memory.h).
    int page_shift = std::countr_zero(profile_.page_size);
    u64 va_min = page_shift == 14 ? 47 : 48;
    u64 linear_size = u64{1} << (std::min<u64>(profile_.number("CONFIG_ARM64_VA_BITS").value_or(48), va_min) - 1);
    // arch/arm64/include/asm/kernel-pgtable.h ARM64_MEMSTART_SHIFT: PUD_SHIFT = 30 (4K),
    // CONT_PMD_SHIFT = 25 + 5 (16K), PMD_SHIFT = 29 (64K); all at least SECTION_SIZE_BITS.
    u64 memstart_align = u64{1} << (page_shift == 16 ? 29 : 30);
    u64 memstart = align_down(memblock_.start_of_dram(), memstart_align);
    u64 linear_end = std::max(memstart + linear_size, kernel_end);
    memblock_.remove(linear_end, ~u64{0} - linear_end);
    if (memstart + linear_size < memblock_.end_of_dram()) {
        memblock_.remove(0, align_up(memblock_.end_of_dram() - linear_size, memstart_align));
    }
}

// memblock_mem_limit_remove_map(): the amount is counted over memory in address order.
void BootSimulation::mem_limit_remove_map(u64 limit) {
    u64 remaining = limit, cut = memblock_.end_of_dram();
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        if (r.size >= remaining) {
            cut = r.base + remaining;
            break;
        }
        remaining -= r.size;
    }
    memblock_.cap(0, cut);
}

// arch/arm64/mm/pageattr.c can_set_direct_map(): the linear map is built page by page when
// rodata is full (CONFIG_RODATA_FULL_DEFAULT_ENABLED; rodata= is not modelled), when
// DEBUG_PAGEALLOC is on, or when KFENCE's pool comes late (arm64_kfence_can_set_direct_map():
// CONFIG_KFENCE_SAMPLE_INTERVAL 0).
bool BootSimulation::linear_map_by_pages() const {
    bool kfence_late = profile_.has("CONFIG_KFENCE") && !kfence_samples();
    return profile_.has("CONFIG_RODATA_FULL_DEFAULT_ENABLED") || profile_.has("CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT") ||
           kfence_late;
}

// paging_init() → map_mem() page by page: one page-table page per PMD_SIZE block (B: 2 MiB
// with 4 KiB pages, 32 MiB with 16 KiB) and per PUD_SIZE (G: 1 GiB / 64 GiB) of mapped
// memory, one per further PGDIR-level span, plus the build's constant (the kernel text, mapped
// apart with blocks, needs none).
u64 BootSimulation::linear_map_tables_by_pages() const {
    u64 blocks = units_touched(level_size(1), false), gigs = units_touched(level_size(2), false);
    long pages = static_cast<long>(blocks + gigs + units_touched(level_size(3), false)) - 1 +
                 static_cast<long>(profile_.build_number("page_table_constant"));
    return static_cast<u64>(std::max(pages, 0L));
}

// map_mem() with block mappings (arch/arm64/mm/mmu.c init_pmd(), alloc_init_pud()): the memory
// ranges that are not NOMAP, page aligned inward, with the kernel's [_text, __init_begin)
// mapped apart. A PMD_SIZE block not wholly inside one range needs a table of pages, a
// PUD_SIZE one a table of blocks (PUD blocks with 4 KiB pages only, pud_sect_supported()),
// and each PGDIR span one table; so does every block of an early KFENCE pool. Without the
// vmlinux's __init_begin it is taken to fall inside a block (one more table).
u64 BootSimulation::linear_map_tables_by_blocks(const std::optional<Range>& kfence_pool) const {
    u64 page = profile_.page_size;
    u64 init_begin_offset = optional_build("init_begin_offset");
    u64 init_begin = kernel_ + (init_begin_offset ? init_begin_offset : page);
    std::vector<std::pair<u64, u64>> ranges;  // [start, end)
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        if (r.nomap) continue;
        u64 start = align_up(r.base, page), end = align_down(r.end(), page);
        for (auto [from, to] : {std::pair{start, std::min(end, kernel_)}, std::pair{std::max(start, kernel_), std::min(end, init_begin)},
                                std::pair{std::max(start, init_begin), end}}) {
            // The pool is mapped apart: it splits the range it lies in.
            if (kfence_pool && from <= kfence_pool->start && kfence_pool->last() < to) {
                if (from < kfence_pool->start) ranges.emplace_back(from, kfence_pool->start);
                from = kfence_pool->last() + 1;
            }
            if (from < to) ranges.emplace_back(from, to);
        }
    }
    // The blocks of `size` some range touches without covering them whole.
    auto split_blocks = [&](u64 size) {
        std::set<u64> split;
        for (const auto& range : ranges) {
            for (u64 edge : {range.first, range.second}) {
                if (edge % size) split.insert(edge / size);
            }
        }
        return split;
    };
    std::set<u64> tables_of_pages = split_blocks(level_size(1));
    if (kfence_pool) {  // mapped page by page: a table for every block of it
        for (u64 block = kfence_pool->start / level_size(1); block <= kfence_pool->last() / level_size(1); ++block) {
            tables_of_pages.insert(block);
        }
    }
    u64 tables = tables_of_pages.size();
    tables += page == 4096 ? split_blocks(level_size(2)).size() : units_touched(level_size(2), false);
    std::set<u64> spans;
    for (const auto& range : ranges) {
        for (u64 span = range.first / level_size(3); span <= (range.second - 1) / level_size(3); ++span) spans.insert(span);
    }
    return tables + spans.size();
}

// The allocations between the reserved-memory scan and dma_contiguous_reserve().
// Returns false when the boot stops here (the kernel panics).
bool BootSimulation::arm64_early_allocations() {
    u64 page = profile_.page_size;
    // map_mem() → arm64_kfence_alloc_pool(): with CONFIG_KFENCE_SAMPLE_INTERVAL not 0 the
    // KFENCE pool comes first, KFENCE_POOL_SIZE = (CONFIG_KFENCE_NUM_OBJECTS + 1) * 2 pages
    // (include/linux/kfence.h), and is mapped page by page (arm64_kfence_map_pool()).
    std::optional<Range> kfence_pool;
    if (kfence_samples()) {
        u64 size = (profile_.number("CONFIG_KFENCE_NUM_OBJECTS").value_or(255) + 1) * 2 * page;
        if (auto base = memblock_.alloc(size, page)) kfence_pool = Range{*base, size};
    }
    bool by_pages = linear_map_by_pages();
    u64 wanted = by_pages ? linear_map_tables_by_pages() : linear_map_tables_by_blocks(kfence_pool);
    if (!by_pages && profile_.version < KernelVersion{6, 12, 0}) {
        // Checked on 6.12 only: 6.1's paging_init() also maps the kernel image (map_kernel())
        // and the ID map (create_idmap()) with tables of its own.
        prediction_.unmodelled.push_back("the page tables of a linear map built with blocks (no rodata=full) before 6.12, "
                                         "so the addresses allocated after them");
    }
    if (memblock_.memory().empty() || memblock_.alloc_run(wanted, page, page, memblock_.current_limit()) < wanted) {
        // arch/arm64/mm/mmu.c early_pgtable_alloc(): no free page left for a table.
        log("Kernel panic - not syncing: Failed to allocate page table page");
        return false;
    }

    // unflatten_device_tree()
    if (features_.reserved_mem_reg_nodes_late) {
        u64 entries = reserved_mem_array_entries();
        if (entries && build("reserved_mem_entry_bytes")) memblock_.alloc(build("reserved_mem_entry_bytes") * entries, 64);
        late_static_regions();
    }
    memblock_.alloc(unflattened_size(), pointer_bytes());

    // Without NUMA the pg_data_t is contig_page_data, in the kernel image's section.
    u64 pgdat = numa_init().value_or(kernel_);
    // bootmem_init() → arm64_hugetlb_cma_reserve() (arch/arm64/mm/hugetlbpage.c): order
    // PUD_SHIFT - PAGE_SHIFT with 4 KiB pages, else CONT_PMD_SHIFT - PAGE_SHIFT; both are
    // PMD_SIZE (HPAGE_SIZE, one table of page_size / 8 entries of pages) times 512 or 32.
    u64 pmd = profile_.page_size * (profile_.page_size / 8);
    hugetlb_cma_reserve(profile_.page_size == 4096 ? pmd * 512 : pmd * 32, pmd);
    sparse_init(pgdat);
    return true;
}

// zone_sizes_init() / max_zone_phys(). Returns arm64_dma_phys_limit.
u64 BootSimulation::arm64_zones() {
    u64 start = memblock_.start_of_dram(), end = memblock_.end_of_dram();
    u64 dt_limit = map_.dma_max.address.value_or(~u64{0});
    u64 dma_end = 0, dma32_end = 0;
    if (!features_.arm64_zone_dma_by_address) {
        int bits = std::bit_width(dt_limit);  // fls64(), 0 for a limit of 0
        bits = std::min(bits, 32);
        auto max_zone_phys = [&](int zone_bits) {
            u64 mask = zone_bits >= 64 ? ~u64{0} : (u64{1} << zone_bits) - 1;
            if (start > 0xffffffffULL) {
                mask = ~u64{0};
            } else if (start > mask) {
                mask = 0xffffffffULL;
            }
            return std::min(mask, end - 1) + 1;
        };
        dma_end = max_zone_phys(bits);
        dma32_end = max_zone_phys(32);
    } else {
        auto max_zone_phys = [&](u64 limit) {
            if (start < 0xffffffffULL) limit = std::min<u64>(limit, 0xffffffffULL);
            return std::min(limit, end - 1) + 1;
        };
        dma_end = max_zone_phys(dt_limit);
        dma32_end = max_zone_phys(0xffffffffULL);
    }
    std::vector<std::pair<std::string, u64>> ends;
    if (profile_.zone_dma) ends.push_back({"DMA", dma_end});
    if (profile_.zone_dma32) ends.push_back({"DMA32", dma32_end});
    ends.push_back({"Normal", end});
    set_zones(ends);
    u64 dma_phys_limit = profile_.zone_dma ? dma_end : profile_.zone_dma32 ? dma32_end : end;
    return dma_phys_limit;
}

}  // namespace dtmem::detail
