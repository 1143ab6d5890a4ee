// SPDX-License-Identifier: MIT
// What changed between the kernel versions dtmem models, as named facts of a profile's
// version: the simulation asks for a behaviour, never for a version number. Each flag says
// where the kernel changed. Internal to the library.
#pragma once

#include "dtmem/profile.hpp"

namespace dtmem::detail {

struct KernelFeatures {
    // 6.0 ("swiotlb: split up the global swiotlb lock"): the buffer is split into areas, one
    // per possible CPU ("software IO TLB: area num N."), which can round its slabs up.
    // Recorded: 5.10 has none, 6.1 has them.
    bool swiotlb_areas = false;
    // 6.6: __reserved_mem_alloc_in_range() allocates next to regions already recorded
    // (bottom-up or top-down towards them).
    bool alloc_next_to_recorded_regions = false;
    // 6.6: fdt_init_reserved_mem_node() prints each region: "BASE..END (N KiB) map reusable NAME".
    bool logs_each_reserved_region = false;
    // 6.6: __rmem_check_for_overlap() orders equal regions by node too.
    bool overlap_check_sorts_by_node = false;
    // 6.6: early_init_fdt_scan_reserved_mem() reserves /memreserve/ after /reserved-memory.
    bool memreserve_after_reserved_memory = false;
    // 6.6: cma_declare_contiguous_nid() names the node in its messages ("on node -1").
    bool cma_messages_name_node = false;
    // 6.6: cma_declare_contiguous_nid() tries above 4 GiB first, then HighMem (6.1 tries
    // HighMem, then overwrites its result with the 4 GiB attempt: the LPAE leak).
    bool cma_above_4g_before_highmem = false;
    // 6.6 (6.5.12): 32-bit ARM limits swiotlb by arm_dma_limit instead of 4 GiB.
    bool arm_swiotlb_below_dma_limit = false;
    // find_zone_movable_pfns_for_nodes() ignores kernelcore=mirror when no memory is mirrored
    // ("The system has no mirror memory"); 6.1 makes every unmirrored region from 4 GiB up
    // ZONE_MOVABLE. Boots of 6.1 and 6.12 differ; the release in between is not checked (6.6 assumed).
    bool kernelcore_mirror_needs_mirror = false;
    // 6.12: of_reserved_mem.c's lines carry its own "OF: reserved mem: " prefix, not fdt.c's.
    bool reserved_mem_own_prefix = false;
    // 6.12: calc_nr_kernel_pages() counts free lowmem pages at free_area_init().
    bool nr_kernel_pages_at_free_area_init = false;
    // 6.12: numa_memblks: the hotpluggable flag is cleared at NUMA init, "NODE_DATA(0)
    // allocated" replaces "NUMA: NODE_DATA", and "No NUMA configuration found" is gone.
    bool numa_memblks = false;
    // 6.12: arm64's ZONE_DMA ends at the DT DMA limit itself (max_zone_phys(limit)), not
    // at the power of two fls64() of it gives.
    bool arm64_zone_dma_by_address = false;
    // 6.12.13: fdt_scan_reserved_mem_reg_nodes(): static regions are recorded and
    // initialised at unflatten_device_tree(), dynamic ones at once.
    bool reserved_mem_reg_nodes_late = false;
    // crashkernel= as 6.12 reserves it (kernel/crash_reserve.c reserve_crashkernel_generic()):
    // X falls back above the low limit with a default low part, X,high takes a default low
    // part, X@ADDR fails with its own line, a size of all RAM or more is refused; 6.1 arm64
    // (arch/arm64/mm/init.c reserve_crashkernel()) does none of these. 6.6 (unverified
    // profile) is taken as 6.12: its arm64 code has the same fallback.
    bool crashkernel_generic = false;
    // hugetlb_cma_reserve() (mm/hugetlb.c) aligns each area to a gigantic page (PAGE_SIZE <<
    // order), not to HUGETLB_PAGE_ORDER: recorded on 6.12.118 (a 1 GiB area on arm64 starts at
    // a 1 GiB boundary or fails with -ENOMEM), 6.1.192 aligns to 2 MiB. 6.6 unverified, taken as 6.1.
    bool hugetlb_cma_gigantic_alignment = false;
    // 6.4 ("riscv: Use PUD/P4D/PGD pages for the linear mapping"): riscv64's linear map
    // starts at the start of DRAM. Before, it started at the kernel's load address
    // (MIN_MEMBLOCK_ADDR), and early_init_dt_add_memory_arch() ignored the memory below it:
    // recorded on a 6.1.192 build ("OF: fdt: Ignoring memory range 0x80000000 - 0x80200000").
    bool riscv_memory_below_kernel = false;
};

inline KernelFeatures kernel_features(const KernelVersion& version) {
    bool v6_6 = version >= KernelVersion{6, 6, 0};
    bool v6_12 = version >= KernelVersion{6, 12, 0};
    KernelFeatures f;
    f.swiotlb_areas = version >= KernelVersion{6, 0, 0};
    f.alloc_next_to_recorded_regions = v6_6;
    f.logs_each_reserved_region = v6_6;
    f.overlap_check_sorts_by_node = v6_6;
    f.memreserve_after_reserved_memory = v6_6;
    f.cma_messages_name_node = v6_6;
    f.cma_above_4g_before_highmem = v6_6;
    f.arm_swiotlb_below_dma_limit = v6_6;
    f.kernelcore_mirror_needs_mirror = v6_6;
    f.reserved_mem_own_prefix = v6_12;
    f.nr_kernel_pages_at_free_area_init = v6_12;
    f.numa_memblks = v6_12;
    f.arm64_zone_dma_by_address = v6_12;
    f.crashkernel_generic = v6_6;
    f.hugetlb_cma_gigantic_alignment = v6_12;
    f.reserved_mem_reg_nodes_late = version >= KernelVersion{6, 12, 13};
    f.riscv_memory_below_kernel = version >= KernelVersion{6, 4, 0};
    return f;
}

}  // namespace dtmem::detail
