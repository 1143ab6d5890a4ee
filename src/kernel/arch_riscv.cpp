// SPDX-License-Identifier: MIT
// riscv64: setup_arch() in its order (arch/riscv/kernel/setup.c) and setup_bootmem(),
// the early page tables (arch/riscv/mm/init.c).
#include <bit>

#include "kernel/simulation.hpp"

namespace dtmem::detail {

// create_linear_mapping_page_table() and create_kernel_page_table(): page-table pages
// for the linear map (sv57 as on QEMU virt: P4D, PUD, PMD, PTE levels), the KFENCE pool
// mapped with pages, and the kernel mapping's own P4D, PUD and PMD tables. A table is
// counted once per index it covers; the indices are gathered as ranges, so the count
// costs the number of memblock regions, not the size of RAM.
u64 BootSimulation::riscv_page_tables(u64 ram_base, u64 kernel, u64 kernel_end, std::optional<u64> kfence) {
    // Per level: the virtual-address shift one table covers, and the [first, last] index
    // ranges of the tables needed.
    struct Level {
        int shift;
        std::vector<std::pair<u64, u64>> spans;
    };
    Level p4d{48, {}}, pud{39, {}}, pmd{30, {}}, pte{21, {}};
    auto need = [](Level& level, u64 va_start, u64 va_end) {
        if (va_start < va_end) level.spans.push_back({va_start >> level.shift, (va_end - 1) >> level.shift});
    };
    // best_map_size(): 1 GiB where physical and virtual addresses are both aligned and a
    // whole GiB is left, else 2 MiB likewise, else a page; `fixed` forces one size.
    auto map = [&](u64 start, u64 end, u64 fixed) {
        if (start >= end) return;
        u64 offset = ram_base;  // va = pa - phys_ram_base (PAGE_OFFSET is aligned far beyond a PUD)
        need(p4d, start - offset, end - offset);
        need(pud, start - offset, end - offset);
        auto mapped_with = [&](u64 size) -> std::pair<u64, u64> {  // [first, end) mapped in `size` blocks
            if (fixed) return fixed >= size ? std::pair{start, end} : std::pair{end, end};
            if (start % profile_.page_size || offset % size) return {end, end};
            u64 first = align_up(start, size), last = align_down(end, size);
            return first < last ? std::pair{first, last} : std::pair{end, end};
        };
        auto [gib_start, gib_end] = mapped_with(kGiB);
        auto [mib_start, mib_end] = mapped_with(2 * kMiB);
        if (gib_start >= gib_end) gib_start = gib_end = mib_start;  // no GiB blocks
        // PMD tables where blocks are smaller than a GiB, PTE tables where smaller than 2 MiB.
        need(pmd, start - offset, gib_start - offset);
        need(pmd, gib_end - offset, end - offset);
        if (mib_start >= mib_end) {
            need(pte, start - offset, end - offset);
        } else {
            need(pte, start - offset, mib_start - offset);
            need(pte, mib_end - offset, end - offset);
        }
    };
    // The kernel image and the KFENCE pool are marked NOMAP while the banks are mapped.
    memblock_.mark_nomap(kernel, kernel_end - kernel, true);
    if (kfence) memblock_.mark_nomap(*kfence, build("kfence_pool_bytes"), true);
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        if (!r.nomap) map(std::max(r.base, ram_base), r.end(), 0);
    }
    map(kernel, kernel_end, 0);
    memblock_.mark_nomap(kernel, kernel_end - kernel, false);
    if (kfence) {
        map(*kfence, *kfence + build("kfence_pool_bytes"), profile_.page_size);
        memblock_.mark_nomap(*kfence, build("kfence_pool_bytes"), false);
    }
    u64 tables = build("kernel_mapping_tables");
    for (Level* level : {&p4d, &pud, &pmd, &pte}) {  // distinct indices: merge the ranges
        std::sort(level->spans.begin(), level->spans.end());
        u64 next = 0;  // first index not yet counted
        bool any = false;
        for (auto [first, last] : level->spans) {
            if (any && last < next) continue;
            u64 from = any ? std::max(first, next) : first;
            tables += last - from + 1;
            next = last + 1;
            any = true;
        }
    }
    return tables;
}

void BootSimulation::boot_riscv64() {
    // parse_dtb(): early_init_dt_scan() reads the memory nodes, then the model is printed.
    scan_memory(features_.riscv_memory_below_kernel ? 0 : kernel_, ~u64{0});
    if (const Property* model = tree_.find_property(tree_.root(), "model"); model && model->as_string()) {
        log(fmt::format("Machine model: {}", *model->as_string()));
    }
    if (no_memory_left()) return;
    swiotlb_parameters();  // parse_early_param()
    u64 page = profile_.page_size;
    // setup_bootmem()
    if (!cmdline_.mem.empty()) {
        u64 limit = align_down(cmdline_.mem.back().size, page);
        log(fmt::format("Memory limited to {}MB", limit >> 20));
        u64 remaining = limit, cut = ~u64{0};  // memblock_enforce_memory_limit()
        for (const detail::MemblockRegion& r : memblock_.memory()) {
            if (r.size >= remaining) {
                cut = r.base + remaining;
                break;
            }
            remaining -= r.size;
        }
        if (cut != ~u64{0}) {
            memblock_.remove(cut, ~u64{0} - cut);
            memblock_.free(cut, ~u64{0} - cut);
        }
    }
    u64 kernel = kernel_;
    u64 image_size = image_size_;
    u64 kernel_end = align_up(kernel + image_size, build("kernel_reserve_end_alignment"));
    reserve_image("kernel", kernel, kernel_end - kernel);
    u64 ram_base = align_down(memblock_.start_of_dram(), 2 * kMiB);  // phys_ram_base
    u64 end = memblock_.end_of_dram();
    u64 dma32_limit = std::min(k4GiB, align_down(end, page));
    if (initrd()) reserve_image("initrd", initrd()->start, initrd()->size);
    scan_reserved_memory();
    reserve_image("DTB", dtb_, tree_.blob().size());  // only now
    default_cma(dma32_limit, end);
    // setup_bootmem(): hugetlb_cma_reserve(PUD_SHIFT - PAGE_SHIFT) on 64-bit, after the default
    // CMA area (a stub without CONFIG_CMA, as in Debian's riscv64 builds: nothing recorded).
    hugetlb_cma_reserve(kGiB, 2 * kMiB);

    // setup_vm_final()
    std::optional<u64> kfence;
    if (profile_.has("CONFIG_KFENCE")) kfence = memblock_.alloc_range(build("kfence_pool_bytes"), page, 0, ~u64{0});
    u64 tables = riscv_page_tables(ram_base, kernel, kernel_end, kfence);
    memblock_.alloc_run(tables, page, page, ~u64{0});
    assume("sv57 page tables (QEMU virt harts)");

    // unflatten_device_tree(), then misc_mem_init()
    u64 entries = reserved_mem_array_entries();
    if (entries && build("reserved_mem_entry_bytes")) memblock_.alloc(build("reserved_mem_entry_bytes") * entries, 64);
    late_static_regions();
    memblock_.alloc(unflattened_size(), pointer_bytes());
    std::optional<u64> node_data = numa_init();
    bool flatmem = profile_.has("CONFIG_FLATMEM");
    if (!flatmem) sparse_init(node_data.value_or(kernel_));  // no NUMA: contig_page_data, in the image
    std::vector<std::pair<std::string, u64>> ends = {{"DMA32", dma32_limit}, {"Normal", end}};
    set_zones(ends);
    log_zone_block();
    count_kernel_pages();
    if (flatmem) {
        if (!flatmem_memmap()) return;
        flatmem_usemaps();
    }
    // misc_mem_init() → arch_reserve_crashkernel() (6.9+, the generic code):
    // CRASH_ADDR_LOW_MAX is dma32_phys_limit, CRASH_ADDR_HIGH_MAX the end of DRAM,
    // CRASH_ALIGN PMD_SIZE. Before, riscv's own reserve_crashkernel(), which 6.6 extended
    // with ",high"/",low" (not modelled).
    if (profile_.version >= KernelVersion{6, 9, 0}) {
        reserve_crashkernel(dma32_limit, end, 2 * kMiB);
    } else if (profile_.version < KernelVersion{6, 6, 0}) {
        reserve_crashkernel_riscv_before_6_6();
    } else if (cmdline_.text.find("crashkernel=") != std::string::npos) {
        prediction_.unmodelled.push_back("crashkernel= on riscv64 6.6 to 6.8");
        prediction_.unpredicted_lines.push_back("crashkernel");
        prediction_.unpredicted_lines.push_back("cannot allocate crashkernel");
    }
    activate_cma_areas();
    allocations_before_mem_init();
    swiotlb(end / page > dma32_limit / page, build("arch_low_address_limit"));
    hugetlb_cma_check();  // hugetlb_init()
}

}  // namespace dtmem::detail
