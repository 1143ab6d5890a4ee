// SPDX-License-Identifier: MIT
// kernel/dma/swiotlb.c swiotlb_init_remap(): the bounce buffer.
#include "kernel/simulation.hpp"

namespace dtmem::detail {

// num_possible_cpus(): the CPU nodes of the tree.
u64 BootSimulation::possible_cpus() const {
    u64 count = 0;
    NodeId cpus = tree_.find_path("/cpus");
    for (NodeId c = cpus == kNoNode ? kNoNode : tree_.first_child(cpus); c != kNoNode; c = tree_.next_sibling(c)) {
        const Property* type = tree_.find_property(c, "device_type");
        count += type && type->as_string() == "cpu" && tree_.is_available(c);
    }
    return std::max<u64>(count, 1);
}

// DMA_BOUNCE_UNALIGNED_KMALLOC only bounces where DMA is not cache-coherent: always on
// arm64; on riscv only when a hart has Zicbom (riscv_noncoherent_supported()).
bool BootSimulation::bounces_kmalloc() {
    if (profile_.arch != Arch::Riscv64) return true;
    assume("riscv harts without Zicbom (coherent DMA, as QEMU virt): no kmalloc bounce buffer");
    return false;
}

// `needed`: the arch's addressing-limit test; `low_limit`: ARCH_LOW_ADDRESS_LIMIT.
void BootSimulation::swiotlb(bool needed, u64 low_limit) {
    if (!profile_.swiotlb) return;
    u64 nslabs = cmdline_.swiotlb_slabs.value_or((64 * kMiB) >> kSlabShift);  // IO_TLB_DEFAULT_SIZE
    // The kernel computes the buffer's bytes as nslabs << IO_TLB_SHIFT in an unsigned long:
    // beyond 2^53 slabs that wraps, and what it then allocates is not modelled.
    if (nslabs > (~u64{0} >> kSlabShift) / 2) {
        prediction_.unmodelled.push_back(fmt::format("swiotlb={} slabs: the kernel's size arithmetic wraps; "
                                                     "the bounce buffer is not predicted", nslabs));
        return;
    }
    needed |= cmdline_.swiotlb_force;
    if (profile_.dma_bounce_unaligned_kmalloc && !needed && !cmdline_.swiotlb_slabs && bounces_kmalloc()) {
        // 1 MiB per GiB of RAM for kmalloc() bouncing (swiotlb_adjust_size()).
        u64 size = std::min(nslabs << kSlabShift, (memblock_.phys_mem_size() + 1023) / 1024);
        size = align_up(size, u64{1} << kSlabShift);
        nslabs = align_up(size >> kSlabShift, kSegment);
        log(fmt::format("software IO TLB: SWIOTLB bounce buffer size adjusted to {}MB", size >> 20));
        needed = true;
    }
    if (!needed) return;
    // swiotlb_adjust_nareas() and round_up_default_nslabs()
    u64 areas = round_up_pow2(possible_cpus());
    log(fmt::format("software IO TLB: area num {}.", areas));
    if (nslabs < kSegment * areas || (nslabs & (nslabs - 1))) {
        nslabs = round_up_pow2(std::max(nslabs, kSegment * areas));
        log(fmt::format("software IO TLB: SWIOTLB bounce buffer size roundup to {}MB", (nslabs << kSlabShift) >> 20));
    }
    u64 wanted = nslabs;
    std::optional<u64> buffer;
    for (;;) {
        u64 bytes = align_up(nslabs << kSlabShift, profile_.page_size);
        buffer = memblock_.alloc(bytes, profile_.page_size, 0, low_limit);  // memblock_alloc_low()
        if (buffer) break;
        log(fmt::format("software IO TLB: swiotlb_memblock_alloc: Failed to allocate {} bytes tlb structure", bytes));
        if (nslabs <= kMinSlabs) return;
        nslabs = align_up(nslabs >> 1, kSegment);
    }
    if (nslabs != wanted) {
        log(fmt::format("software IO TLB: SWIOTLB bounce buffer size adjusted {} -> {} slabs", wanted, nslabs));
    }
    u64 bytes = nslabs << kSlabShift;
    prediction_.swiotlb = Range{*buffer, bytes};
    log(fmt::format("software IO TLB: mapped [mem {}-{}] ({}MB)", pa(*buffer), pa(*buffer + bytes), bytes >> 20));
}

}  // namespace dtmem::detail
