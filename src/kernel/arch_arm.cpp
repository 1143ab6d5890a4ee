// SPDX-License-Identifier: MIT
// 32-bit ARM: setup_arch() in its order (arch/arm/kernel/setup.c), lowmem and vmalloc
// (arch/arm/mm/mmu.c), arm_memblock_init() and the machine reserve hooks (arch/arm/mm/init.c).
#include <bit>

#include "kernel/simulation.hpp"

namespace dtmem::detail {

// The decompressor picks PHYS_OFFSET: the zImage address rounded down to
// 128 MiB, kept only inside a DT memory bank (fdt_check_mem_start()), else the lowest
// bank below 4 GiB rounded up to 2 MiB.
u64 BootSimulation::arm_phys_offset(u64 zimage) const {
    u64 candidate = align_down(zimage, 128 * kMiB);
    std::vector<Range> banks;
    for (const RamBank& bank : map_.ram) banks.push_back(bank.range);
    for (const Range& r : map_.chosen.usable_memory_range) banks.push_back(r);
    for (const Range& bank : banks) {
        if (bank.contains(candidate)) return candidate;
    }
    u64 lowest = ~u64{0};
    for (const Range& bank : banks) {
        if (bank.start < k4GiB) lowest = std::min(lowest, bank.start);
    }
    return lowest == ~u64{0} ? candidate : align_up(lowest, 2 * kMiB);
}

// arm_add_memory() for mem=size@start.
void BootSimulation::arm_add_memory(u64 start, u64 size) {
    u64 aligned = align_up(start, profile_.page_size);
    size = aligned > start + size ? 0 : size - (aligned - start);
    if (!profile_.lpae) {
        if (aligned > 0xffffffffULL) {
            log(fmt::format("Ignoring memory at 0x{:08x} outside 32-bit physical address space", start));
            return;
        }
        if (aligned + size > 0xffffffffULL) {
            log(fmt::format("Truncating memory at 0x{:08x} to fit in 32-bit physical address space", start));
            size = 0xffffffffULL - aligned;
        }
    }
    if (aligned < phys_offset_) {
        if (aligned + size <= phys_offset_) {
            log(fmt::format("Ignoring memory below PHYS_OFFSET: 0x{:08x}-0x{:08x}", aligned, aligned + size));
            return;
        }
        log(fmt::format("Ignoring memory below PHYS_OFFSET: 0x{:08x}-0x{:08x}", aligned, phys_offset_));
        size -= phys_offset_ - aligned;
        aligned = phys_offset_;
    }
    size &= ~(profile_.page_size - 1);
    if (size) memblock_.add(aligned, size);
}

// early_vmalloc()
void BootSimulation::arm_vmalloc_parameter() {
    if (!cmdline_.vmalloc) return;
    u64 size = *cmdline_.vmalloc;
    if (size < 16 * kMiB) {
        size = 16 * kMiB;
        log(fmt::format("vmalloc area is too small, limiting to {}MiB", size >> 20));
    }
    u64 most = kVmallocEnd - (profile_.page_offset + 32 * kMiB + kVmallocOffset);
    if (size > most) {
        size = most;
        log(fmt::format("vmalloc area is too big, limiting to {}MiB", size >> 20));
    }
    vmalloc_size_ = size;
}

// adjust_lowmem_bounds() (arch/arm/mm/mmu.c). Returns arm_lowmem_limit.
u64 BootSimulation::adjust_lowmem_bounds() {
    u64 vmalloc_limit = kVmallocEnd - vmalloc_size_ - kVmallocOffset - profile_.page_offset + phys_offset_;
    for (const detail::MemblockRegion& r : memblock_.memory()) {  // the first usable bank
        if (r.nomap) continue;
        if (r.base % kPmdSize) memblock_.mark_nomap(r.base, align_up(r.base, kPmdSize) - r.base, true);
        break;
    }
    u64 lowmem_limit = 0, memblock_limit = 0;
    for (const detail::MemblockRegion& r : memblock_.memory()) {
        if (r.nomap || r.base >= vmalloc_limit) continue;
        if (r.end() > lowmem_limit) lowmem_limit = std::min(vmalloc_limit, r.end());
        if (!memblock_limit) {
            if (r.base % kPmdSize) {
                memblock_limit = r.base;
            } else if (r.end() % kPmdSize) {
                memblock_limit = lowmem_limit;
            }
        }
    }
    if (!memblock_limit) memblock_limit = lowmem_limit;
    memblock_limit = align_down(memblock_limit, kPmdSize);
    if (!profile_.highmem && memblock_.end_of_dram() > lowmem_limit) {
        u64 end = memblock_.end_of_dram();
        log(fmt::format("Ignoring RAM at {}-{}", pa(memblock_limit), pa(end)));
        log("Consider using a HIGHMEM enabled kernel.");
        memblock_.remove(memblock_limit, end - memblock_limit);
    }
    memblock_.set_current_limit(memblock_limit);
    return lowmem_limit;
}

// arm_memblock_steal() (arch/arm/mm/init.c): allocated below the current limit, then
// removed from memory; the kernel panics when nothing fits. Returns false then.
// `caller` is the function whose return address the panic prints (%pS).
bool BootSimulation::arm_memblock_steal(u64 size, u64 align, std::string_view hook, std::string_view caller) {
    auto block = memblock_.alloc_range(size, align, 0, memblock_.current_limit());
    if (!block) {
        log(fmt::format("Kernel panic - not syncing: Failed to steal 0x{:0{}x} bytes at {}", size,
                        profile_.lpae ? 16 : 8, caller));
        prediction_.unmodelled.push_back(fmt::format("the offset printed after {} in the panic line", caller));
        return false;
    }
    memblock_.free(*block, size);
    memblock_.remove(*block, size);
    prediction_.notes.push_back(fmt::format(
        "machine code ({}()) takes {}-{} out of memory (arm_memblock_steal()): lowmem and the zones end below it",
        hook, hex(*block), hex(*block + size - 1)));
    return true;
}

void BootSimulation::boot_arm() {
    std::vector<std::string_view> compatible;
    if (const Property* p = tree_.find_property(tree_.root(), "compatible")) compatible = p->as_strings();
    std::optional<ArmMachine> machine = match_arm_machine(compatible, profile_);
    if (const Property* model = tree_.find_property(tree_.root(), "model"); model && model->as_string()) {
        log(fmt::format("OF: fdt: Machine model: {}", *model->as_string()));
    }
    phys_offset_ = arm_phys_offset(kernel_);
    if (phys_offset_ != align_down(kernel_, 128 * kMiB) || !inputs_.kernel_address) {
        assume(fmt::format("PHYS_OFFSET {}", hex(phys_offset_)));
    }
    scan_memory(phys_offset_, profile_.lpae ? ~u64{0} : 0xffffffffULL);
    if (no_memory_left()) return;
    reserve_image("DTB", dtb_, tree_.blob().size());

    // parse_early_param(): mem= replaces memory; vmalloc=
    for (std::size_t i = 0; i < cmdline_.mem.size(); ++i) {
        if (i == 0) memblock_.remove(0, ~u64{0});
        arm_add_memory(cmdline_.mem[i].start.value_or(phys_offset_), cmdline_.mem[i].size);
    }
    arm_vmalloc_parameter();
    swiotlb_parameters();

    // setup_dma_zone(): arm_dma_limit is inclusive.
    u64 arm_dma_limit = !profile_.zone_dma            ? (profile_.lpae ? ~u64{0} : 0xffffffffULL)
                        : machine && machine->dma_zone_size ? phys_offset_ + *machine->dma_zone_size - 1
                                                            : 0xffffffffULL;
    u64 highmem_start = adjust_lowmem_bounds();

    // arm_memblock_init()
    reserve_image("kernel", phys_offset_ + build("kernel_reserve_start_offset"),
                  build("kernel_reserve_end_offset") - build("kernel_reserve_start_offset"));
    if (initrd()) reserve_image("initrd", initrd()->start, initrd()->size);
    memblock_.reserve(phys_offset_ + build("page_directory_offset"), build("page_directory_bytes"));
    if (machine && (machine->reserve_hook == "omap_reserve" || machine->reserve_hook == "rx51_reserve")) {
        // omap_secure_ram_reserve_memblock(), omap_barrier_reserve_memblock()
        u64 section = profile_.lpae ? 2 * kMiB : kMiB;
        if (!arm_memblock_steal(section, section, machine->reserve_hook, "omap_secure_ram_reserve_memblock")) return;
        if (profile_.has("CONFIG_OMAP_INTERCONNECT_BARRIER") &&
            !arm_memblock_steal(kMiB, kMiB, machine->reserve_hook, "omap_barrier_reserve_memblock")) {
            return;
        }
    }
    scan_reserved_memory();
    default_cma(arm_dma_limit, highmem_start);
    u64 lowmem_end = adjust_lowmem_bounds();
    prediction_.lowmem_end = lowmem_end;

    // paging_init() → bootmem_init() → zone_sizes_init()
    memblock_.set_current_limit(lowmem_end);
    bool measured = profile_.build_lists.count("paging_init_allocations") > 0;
    if (measured) arm_paging_init_allocations(lowmem_end);
    u64 max_low = align_down(lowmem_end, profile_.page_size);
    std::vector<std::pair<std::string, u64>> ends;
    if (profile_.zone_dma) ends.push_back({"DMA", std::min(align_down(arm_dma_limit, profile_.page_size), max_low)});
    ends.push_back({"Normal", max_low});
    if (profile_.highmem) ends.push_back({"HighMem", memblock_.end_of_dram()});
    set_zones(ends);
    log_zone_block();
    count_kernel_pages();
    if (!flatmem_memmap()) return;  // it must fit in lowmem
    if (measured) {
        flatmem_usemaps();
        // request_standard_resources(): one resource per mapped memory range.
        for (const detail::MemblockRegion& r : memblock_.memory()) {
            if (!r.nomap) memblock_.alloc(build("resource_bytes_per_memory_region"), 64);
        }
    }
    if (features_.reserved_mem_reg_nodes_late) {
        u64 entries = reserved_mem_array_entries();
        if (measured && entries) memblock_.alloc(build("reserved_mem_entry_bytes") * entries, 64);
        late_static_regions();
    }
    if (measured) memblock_.alloc(unflattened_size(), pointer_bytes());
    reserve_crashkernel_arm(lowmem_end);  // setup_arch(), after unflatten_device_tree()
    activate_cma_areas();
    // mem_init(): LPAE kernels bounce when RAM reaches past arm_dma_pfn_limit, with the buffer
    // in lowmem below everything allocated so far (ARCH_LOW_ADDRESS_LIMIT: 0xffffffff in
    // 6.1, arm_dma_limit from 6.5.12 on; clamped to lowmem either way). Without ZONE_DMA the
    // pfn limit is ~0ul >> PAGE_SHIFT (arch/arm/mm/mm.h), an unsigned long of 32 bits: RAM
    // ending at 4 GiB already bounces.
    u64 dma_pfn_limit = (profile_.zone_dma ? arm_dma_limit : 0xffffffffULL) / profile_.page_size;
    bool needed = memblock_.end_of_dram() / profile_.page_size > dma_pfn_limit;
    if (profile_.lpae && profile_.swiotlb && measured) {
        start_kernel_allocations();
        swiotlb(needed, features_.arm_swiotlb_below_dma_limit ? arm_dma_limit : 0xffffffffULL);
    } else if (profile_.lpae && swiotlb_initialises(needed)) {
        prediction_.unmodelled.push_back("swiotlb: this profile does not give the lowmem allocations made before "
                                         "the bounce buffer, so its address is not predicted");
        prediction_.unpredicted_lines.push_back("software IO TLB: ");
    }
    // memblock_free_all() hands the rest of lowmem to the page allocator; CMA areas stay
    // reserved here, as their pages serve movable allocations only.
    u64 free = 0;
    for (auto [start, end] : memblock_.free_ranges(0, lowmem_end)) free += end - start;
    prediction_.lowmem_free = free;
    hugetlb_cma_check();  // hugetlb_init(): 32-bit ARM never calls hugetlb_cma_reserve()
}

// paging_init(): dma_contiguous_remap() maps each CMA area that lies in lowmem with
// pages (a 48-byte vm_struct, then one PTE table per 2 MiB), then devicemaps_init(),
// kmap_init() and the rest take the profile's fixed sequence.
void BootSimulation::arm_paging_init_allocations(u64 lowmem_end) {
    u64 page = profile_.page_size;
    for (const Range& area : cma_remap_areas()) {
        u64 end = std::min(area.start + area.size, lowmem_end);
        if (area.start >= end) continue;
        memblock_.alloc(48, 8);  // iotable_init()
        for (u64 block = align_down(area.start, 2 * kMiB); block < end; block += 2 * kMiB) {
            memblock_.alloc(build("cma_remap_pte_bytes"), page);
        }
    }
    const auto& sequence = profile_.build_lists.at("paging_init_allocations");
    for (std::size_t i = 0; i + 1 < sequence.size(); i += 2) {
        memblock_.alloc(static_cast<u64>(sequence[i]), static_cast<u64>(sequence[i + 1]));
    }
}

// The areas dma_contiguous_early_fixup() registered, in order: 6.12.13+ registers
// static reusable pools while reserving them, dynamic ones as they are allocated, then
// the default area; before that, the pools as they are set up, then the default area.
std::vector<Range> BootSimulation::cma_remap_areas() const {
    std::vector<Range> areas;
    if (features_.reserved_mem_reg_nodes_late && map_.reserved_memory && map_.reserved_memory->supported()) {
        for (const ReservedRegion& r : map_.reserved_memory->regions) {
            if (!r.available || r.type != RegionType::Static || !r.reusable || !has_compatible(r, "shared-dma-pool")) continue;
            if (failed_to_reserve_.count(r.node)) continue;
            for (const AddressSize& entry : r.reg) {
                if (entry.size) areas.push_back(Range{entry.address, entry.size});
            }
        }
    }
    for (const CmaArea& area : prediction_.cma) {
        bool is_static = false;
        if (features_.reserved_mem_reg_nodes_late) {
            for (const Range& known : areas) is_static |= known.start == area.base && known.size == area.size;
        }
        if (area.name != "reserved" && !is_static) areas.push_back(Range{area.base, area.size});
    }
    for (const CmaArea& area : prediction_.cma) {
        if (area.name == "reserved") areas.push_back(Range{area.base, area.size});
    }
    return areas;
}

}  // namespace dtmem::detail
