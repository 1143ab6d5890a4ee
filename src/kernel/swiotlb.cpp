// SPDX-License-Identifier: MIT
// kernel/dma/swiotlb.c: the swiotlb= argument (setup_io_tlb_npages()) and the bounce buffer
// (swiotlb_init_remap()), with the size adjustment the arch's mem_init() asks for.
#include "kernel/simulation.hpp"

namespace dtmem::detail {

// nr_cpu_ids = num_possible_cpus() (the possible CPUs are numbered from 0 without gaps):
// --cpus, else the CPU nodes the arch's set-up makes possible. All walk them with
// for_each_of_cpu_node() (drivers/of/base.c of_get_next_cpu_node(): name or device_type
// "cpu", not status "fail"); the boot CPU is always possible.
//  - arm64 arch/arm64/kernel/smp.c smp_init_cpus(): of_parse_and_init_cpus() takes every
//    node, then smp_cpu_setup() -> init_cpu_ops() drops a secondary without an
//    enable-method (the boot CPU is taken to be the first node);
//  - riscv arch/riscv/kernel/smpboot.c of_parse_and_init_cpus(): available "riscv" harts
//    (riscv_early_of_processor_hartid() refuses the others);
//  - arm arch/arm/kernel/devtree.c arm_dt_init_cpu_maps(): every node.
// Each walk stops at CONFIG_NR_CPUS; kernel/smp.c nr_cpu_setup() (nr_cpus=) lowers
// nr_cpu_ids before any of them runs.
u64 BootSimulation::possible_cpus() const {
    u64 count = inputs_.cpus.value_or(0);
    NodeId cpus = tree_.find_path("/cpus");
    for (NodeId c = cpus == kNoNode || count ? kNoNode : tree_.first_child(cpus); c != kNoNode; c = tree_.next_sibling(c)) {
        const Property* type = tree_.find_property(c, "device_type");
        const Property* status = tree_.find_property(c, "status");  // __of_device_is_fail()
        const Property* compatible = tree_.find_property(c, "compatible");
        auto riscv = [&] {
            std::vector<std::string_view> names = compatible ? compatible->as_strings() : std::vector<std::string_view>{};
            return std::find(names.begin(), names.end(), "riscv") != names.end();
        };
        std::string_view name = tree_.name(c).substr(0, tree_.name(c).find('@'));
        if (!(name == "cpu" || (type && type->as_string() == "cpu"))) continue;
        std::string_view state = status ? status->as_string().value_or("") : "";
        if (state == "fail" || state.starts_with("fail-")) continue;
        if (profile_.arch == Arch::Riscv64 && (!tree_.is_available(c) || !riscv())) continue;
        if (profile_.arch == Arch::Arm64 && count && !tree_.find_property(c, "enable-method")) continue;
        ++count;
    }
    count = std::min(std::max<u64>(count, 1), profile_.number("CONFIG_NR_CPUS").value_or(count));
    return cmdline_.nr_cpus ? std::min(count, *cmdline_.nr_cpus) : count;
}

// parse_early_param(): setup_io_tlb_npages() for each swiotlb=, in order; a given area count
// is applied (and printed) right there, on every kernel built with CONFIG_SWIOTLB, whether
// or not its mem_init() ever sets up a buffer.
void BootSimulation::swiotlb_parameters() {
    if (!profile_.swiotlb) return;
    // default_nslabs << IO_TLB_SHIFT is computed in an unsigned long, the area count in an
    // unsigned int: past these they wrap, and what the kernel then does is not modelled.
    u64 max_slabs = ((pointer_bytes() == 4 ? u64{0xffffffff} : ~u64{0}) >> kSlabShift) / 2;
    u64 max_areas = std::min(max_slabs / kSegment, u64{1} << 30);
    for (const SwiotlbParameter& parameter : cmdline_.swiotlb) {
        if (parameter.slabs.value_or(0) > max_slabs || parameter.areas.value_or(0) > max_areas) {
            prediction_.unmodelled.push_back(fmt::format("swiotlb={} slabs, {} areas: beyond what the kernel's unsigned "
                                                         "arithmetic holds (it wraps); the bounce buffer is not predicted",
                                                         parameter.slabs.value_or(io_tlb_nslabs_),
                                                         parameter.areas.value_or(io_tlb_nareas_)));
            swiotlb_force_disable_ = true;  // nothing of it is predicted from here on
            return;
        }
        if (parameter.slabs) io_tlb_nslabs_ = *parameter.slabs;
        if (parameter.areas && features_.swiotlb_areas) swiotlb_adjust_nareas(*parameter.areas);
        swiotlb_force_bounce_ |= parameter.force;
        swiotlb_force_disable_ |= parameter.noforce;
    }
}

// round_up_default_nslabs(): at least IO_TLB_SEGSIZE slabs per area, and a power of two.
bool BootSimulation::round_up_default_nslabs() {
    if (!io_tlb_nareas_) return false;
    if (io_tlb_nslabs_ < kSegment * io_tlb_nareas_) {
        io_tlb_nslabs_ = kSegment * io_tlb_nareas_;
    } else if (std::has_single_bit(io_tlb_nslabs_)) {
        return false;
    }
    io_tlb_nslabs_ = round_up_pow2(io_tlb_nslabs_);
    return true;
}

// swiotlb_adjust_nareas(): 0 areas count as 1, others round up to a power of two.
void BootSimulation::swiotlb_adjust_nareas(u64 nareas) {
    io_tlb_nareas_ = nareas ? round_up_pow2(nareas) : 1;
    log(fmt::format("software IO TLB: area num {}.", io_tlb_nareas_));
    if (round_up_default_nslabs()) {
        log(fmt::format("software IO TLB: SWIOTLB bounce buffer size roundup to {}MB", (io_tlb_nslabs_ << kSlabShift) >> 20));
    }
}

// swiotlb_adjust_size(): only while no swiotlb=<slabs> changed the default size.
void BootSimulation::swiotlb_adjust_size(u64 size) {
    if (io_tlb_nslabs_ != kDefaultSlabs) return;
    size = align_up(size, u64{1} << kSlabShift);
    io_tlb_nslabs_ = align_up(size >> kSlabShift, kSegment);
    if (round_up_default_nslabs()) size = io_tlb_nslabs_ << kSlabShift;
    log(fmt::format("software IO TLB: SWIOTLB bounce buffer size adjusted to {}MB", size >> 20));
}

// swiotlb_init_remap()'s first test: a buffer when the arch needs one or swiotlb=force asks
// for it, never with swiotlb=noforce.
bool BootSimulation::swiotlb_initialises(bool addressing_limit) const {
    return profile_.swiotlb && (addressing_limit || swiotlb_force_bounce_) && !swiotlb_force_disable_;
}

// DMA_BOUNCE_UNALIGNED_KMALLOC only bounces where DMA is not cache-coherent: always on
// arm64; on riscv only when a hart has Zicbom (riscv_noncoherent_supported()).
bool BootSimulation::bounces_kmalloc() {
    if (profile_.arch != Arch::Riscv64) return true;
    assume("riscv harts without Zicbom (coherent DMA, as QEMU virt): no kmalloc bounce buffer");
    return false;
}

// `addressing_limit`: the arch's test in mem_init(); `low_limit`: ARCH_LOW_ADDRESS_LIMIT.
void BootSimulation::swiotlb(bool addressing_limit, u64 low_limit) {
    if (!profile_.swiotlb) return;
    // arch/arm64/mm/init.c and arch/riscv/mm/init.c mem_init(): with
    // DMA_BOUNCE_UNALIGNED_KMALLOC and no addressing limit, 1 MiB per GiB of RAM for kmalloc()
    // bouncing, and a buffer even so. This runs before swiotlb_init(): swiotlb=noforce still
    // gets the "adjusted" line, and a forced buffer gets this size.
    if (profile_.dma_bounce_unaligned_kmalloc && !addressing_limit && bounces_kmalloc()) {
        swiotlb_adjust_size(std::min(io_tlb_nslabs_ << kSlabShift, (memblock_.phys_mem_size() + 1023) / 1024));
        addressing_limit = true;
    }
    // swiotlb_init_remap()
    if (!swiotlb_initialises(addressing_limit)) return;
    if (!io_tlb_nareas_ && features_.swiotlb_areas) swiotlb_adjust_nareas(possible_cpus());
    u64 nslabs = io_tlb_nslabs_;
    std::optional<u64> buffer;
    for (;;) {  // swiotlb_memblock_alloc(), halving down to IO_TLB_MIN_SLABS
        u64 bytes = align_up(nslabs << kSlabShift, profile_.page_size);
        buffer = memblock_.alloc(bytes, profile_.page_size, 0, low_limit);  // memblock_alloc_low()
        if (buffer) break;
        log(fmt::format("software IO TLB: swiotlb_memblock_alloc: Failed to allocate {} bytes tlb structure", bytes));
        if (nslabs <= kMinSlabs) return;
        nslabs = align_up(nslabs >> 1, kSegment);
    }
    if (nslabs != io_tlb_nslabs_) {
        log(fmt::format("software IO TLB: SWIOTLB bounce buffer size adjusted {} -> {} slabs", io_tlb_nslabs_, nslabs));
    }
    u64 bytes = nslabs << kSlabShift;
    prediction_.swiotlb = Range{*buffer, bytes};
    // swiotlb_print_info(): the end is exclusive (mem->end = start + bytes).
    log(fmt::format("software IO TLB: mapped [mem {}-{}] ({}MB)", pa(*buffer), pa(*buffer + bytes), bytes >> 20));
}

}  // namespace dtmem::detail
