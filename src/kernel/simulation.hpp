// SPDX-License-Identifier: MIT
// The boot simulation's state and its steps, shared by the files that mirror the kernel's
// subsystems: of_fdt.cpp (memory nodes, the unflattened tree), of_reserved_mem.cpp,
// cma.cpp, swiotlb.cpp, mm_init.cpp (zones, sparse, per-CPU, hashes) and one file per
// architecture holding its setup_arch() order (arch_arm64.cpp, arch_arm.cpp,
// arch_riscv.cpp). Each step names the kernel function it mirrors. Internal to the library.
#pragma once

#include <algorithm>
#include <bit>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "dtmem/prediction.hpp"
#include "kernel/cmdline.hpp"
#include "kernel/features.hpp"
#include "kernel/memblock.hpp"

namespace dtmem::detail {

inline constexpr u64 kMiB = u64{1} << 20;
inline constexpr u64 kGiB = u64{1} << 30;
inline constexpr u64 k4GiB = u64{4} << 30;

inline u64 align_up(u64 value, u64 align) { return (value + align - 1) / align * align; }
inline u64 align_down(u64 value, u64 align) { return value / align * align; }

// One /reserved-memory record (struct reserved_mem).
struct Record {
    NodeId node = kNoNode;
    std::string name;
    u64 base = 0;
    u64 size = 0;
};

class BootSimulation {
public:
    BootSimulation(const Tree& tree, const MemoryMap& map, const KernelProfile& profile, const BootInputs& inputs)
        : tree_(tree), map_(map), profile_(profile), features_(kernel_features(profile.version)), inputs_(inputs),
          memblock_(profile.page_size, profile.arch == Arch::Arm && !profile.lpae ? 0xffffffffULL : ~u64{0}) {
        prediction_.profile = profile;
        std::string bootargs(inputs.bootargs.value_or(std::string(map.chosen.bootargs.value_or(""))));
        cmdline_ = detail::parse_command_line(bootargs);
    }

    Prediction run() {
        if (map_.ram.empty()) throw Error("no RAM: the kernel cannot be predicted without memory (give --memory)");
        note_device_memory();
        resolve_inputs();
        if (hugetlb_cma_hangs()) return std::move(prediction_);
        switch (profile_.arch) {
            case Arch::Arm64: boot_arm64(); break;
            case Arch::Arm: boot_arm(); break;
            case Arch::Riscv64: boot_riscv64(); break;
        }
        return std::move(prediction_);
    }

private:
    // ---- small helpers ------------------------------------------------------------

    bool phys_64bit() const { return profile_.arch != Arch::Arm || profile_.lpae; }
    u64 pointer_bytes() const { return profile_.arch == Arch::Arm ? 4 : 8; }
    // %pa: 0x + 2 * sizeof(phys_addr_t) digits.
    std::string pa(u64 value) const { return hex_padded(value, phys_64bit() ? 16 : 8); }
    std::string of_prefix() const { return features_.reserved_mem_own_prefix ? "OF: reserved mem: " : "OF: fdt: "; }
    void log(std::string line) { prediction_.log.push_back(std::move(line)); }
    std::string name(NodeId node) const { return std::string(tree_.name(node)); }
    void assume(std::string what) { prediction_.assumptions.push_back(std::move(what)); }
    // memblock_reserve() of what was loaded (the kernel image, the DTB, the initrd), kept
    // for the picture of the map.
    void reserve_image(std::string name, u64 start, u64 size) {
        memblock_.reserve(start, size);
        if (auto range = make_range(start, size)) prediction_.images.push_back({std::move(name), *range, {}});
    }
    // The inputs the steps use: given, or their documented defaults, each said once.
    void resolve_inputs() {
        kernel_ = kernel_address();
        if (profile_.arch != Arch::Arm) image_size_ = kernel_image_size();  // ARM: the profile's reservation
        dtb_ = dtb_address();
        BootInputs& used = prediction_.inputs_used;
        used = inputs_;
        used.kernel_address = kernel_;
        used.dtb_address = dtb_;
        if (profile_.arch != Arch::Arm) used.kernel_image_size = image_size_;
        used.cpus = possible_cpus();
        if (!inputs_.cpus && tree_.find_path("/cpus") == kNoNode) assume("1 CPU (the tree has no /cpus); give --cpus N");
    }
    u64 kernel_image_size() {
        if (inputs_.kernel_image_size) return *inputs_.kernel_image_size;
        u64 size = build("image_size");
        if (!profile_.vmlinux.empty()) return size;  // the build's own, from its vmlinux
        assume(fmt::format("kernel image_size {} ({}; give --kernel-image)", hex(size),
                           profile_.estimated.count("image_size") ? "estimated from " + profile_.estimated_from
                                                                  : "the profile's Debian build"));
        return size;
    }
    std::optional<Range> initrd() const { return inputs_.initrd ? inputs_.initrd : map_.chosen.initrd; }
    u64 build(const std::string& name) const { return static_cast<u64>(profile_.build_number(name)); }
    u64 optional_build(const std::string& name) const {
        auto it = profile_.build.find(name);
        return it == profile_.build.end() ? 0 : static_cast<u64>(it->second);
    }

    // Default load addresses: arm64 Image at RAM + 2 MiB, DTB at RAM + 128 MiB; ARM zImage
    // at RAM + 48 MiB, DTB at RAM + 64 MiB (where the recorded boots put them).
    u64 kernel_address() {
        if (inputs_.kernel_address) return *inputs_.kernel_address;
        prediction_.kernel_address_assumed = true;
        u64 offset = profile_.arch == Arch::Arm ? 48 * kMiB : 2 * kMiB;
        u64 address = map_.ram.front().range.start + offset;
        assume(fmt::format("kernel loaded at {} (RAM start + {}); give --load kernel=ADDR", hex(address), human_size(offset)));
        return address;
    }
    // riscv: where QEMU virt puts it (riscv_compute_fdt_addr(): the top 2 MiB block below
    // min(end of the first bank, 3 GiB)).
    u64 dtb_address() {
        if (inputs_.dtb_address) return *inputs_.dtb_address;
        prediction_.dtb_address_assumed = true;
        const Range& first = map_.ram.front().range;
        if (profile_.arch == Arch::Riscv64) {
            u64 top = first.start < 3 * kGiB ? std::min(first.start + first.size, 3 * kGiB) : first.start + first.size;
            u64 address = align_down(top - tree_.blob().size(), 2 * kMiB);
            assume(fmt::format("DTB loaded at {} (where QEMU virt puts it); give --load dtb=ADDR", hex(address)));
            return address;
        }
        u64 offset = profile_.arch == Arch::Arm ? 64 * kMiB : 128 * kMiB;
        u64 address = first.start + offset;
        assume(fmt::format("DTB loaded at {} (RAM start + {}); give --load dtb=ADDR", hex(address), human_size(offset)));
        return address;
    }

    // pmem-region nodes (drivers/nvdimm/of_pmem.c) become device memory when the driver
    // probes: ZONE_DEVICE pages, never in the zones listed at boot.
    void note_device_memory() {
        for (const MmioRegion& region : map_.mmio) {
            const Property* compatible = tree_.find_property(region.node, "compatible");
            if (!compatible) continue;
            auto list = compatible->as_strings();
            if (std::find(list.begin(), list.end(), "pmem-region") == list.end()) continue;
            prediction_.notes.push_back(fmt::format(
                "{} ({}-{}) is persistent memory: of_pmem adds it as device memory ({}) when it probes, after "
                "boot; it is in none of the zones listed at boot",
                tree_.path(region.node), hex(region.range.start), hex(region.range.last()),
                profile_.zone_device ? "ZONE_DEVICE" : "this kernel has no ZONE_DEVICE, so only as a block device"));
        }
    }

    // ---- memory nodes (drivers/of/fdt.c) -----------------------------------------

    void add_memory_bank(u64 base, u64 size, u64 min_addr, u64 max_addr);
    bool no_memory_left();
    void scan_memory(u64 min_addr, u64 max_addr);
    u64 unflattened_size() const;

    // ---- /memreserve/ and /reserved-memory (drivers/of/fdt.c, of_reserved_mem.c) ----

    void reserve_memreserve();

    const ReservedRegion* region_of(NodeId node) const;

    bool has_compatible(const ReservedRegion& r, std::string_view c) const;

    bool reserve_region(u64 base, u64 size, bool nomap);

    enum class RegStatus { NoReg, Invalid, Done };

    RegStatus reserve_reg(const ReservedRegion& region, std::optional<AddressSize>& first);

    bool cma_pool(const ReservedRegion& r) const;

    std::optional<Range> alloc_dynamic(const ReservedRegion& region, const std::vector<Record>& recorded);
    int init_handlers(const ReservedRegion& region, u64 base, u64 size);
    int log_initialized(const ReservedRegion& region, std::string_view compatible);
    int rmem_cma_setup(const ReservedRegion& region, u64 base, u64 size);
    int rmem_dma_setup(const ReservedRegion& region, u64 base, u64 size);
    void init_region(const ReservedRegion& region, u64 base, u64 size);
    void check_overlap(std::vector<Record>& records);
    bool reserved_memory_usable();

    std::vector<const ReservedRegion*> available_regions() const;

    void scan_reserved_memory();
    void scan_reserved_memory_restructured();
    void late_static_regions();

    u64 reserved_mem_array_entries() const;
    u64 dynamic_allocated_count() const;

    // ---- CMA (kernel/dma/contiguous.c, mm/cma.c) ------------------------------------

    void default_cma(u64 arch_limit, u64 highmem_start);
    int cma_declare(CmaArea area, u64 limit, u64 alignment, bool fixed, u64 highmem_start, int nid);

    // ---- hugetlb_cma= (src/kernel/hugetlb_cma.cpp) --------------------------------------

    u64 hugetlb_cma_size_ = 0;  // hugetlb_cma_size as the parser and the reservation leave it
    bool hugetlb_cma_parsed_ = false, hugetlb_cma_known_ = false;
    bool hugetlb_cma_reserve_called_ = false;  // cma_reserve_called
    std::vector<u64> hugetlb_cma_in_node_;  // hugetlb_cma_size_in_node[MAX_NUMNODES]
    bool hugetlb_cma_parse();
    bool hugetlb_cma_hangs();
    void hugetlb_cma_reserve(u64 gigantic, u64 huge);
    void hugetlb_cma_check();
    void activate_cma_areas();

    // ---- swiotlb (kernel/dma/swiotlb.c) -----------------------------------------------

    static constexpr u64 kSlabShift = 11;     // IO_TLB_SHIFT: 2 KiB slabs
    static constexpr u64 kSegment = 128;      // IO_TLB_SEGSIZE
    static constexpr u64 kMinSlabs = 512;     // IO_TLB_MIN_SLABS (1 MiB)
    static constexpr u64 kDefaultSlabs = (64 * kMiB) >> kSlabShift;  // IO_TLB_DEFAULT_SIZE

    static u64 round_up_pow2(u64 v) { return std::bit_ceil(v); }  // 1 for 0 and 1; callers keep v <= 2^63

    u64 possible_cpus() const;

    void swiotlb_parameters();
    bool round_up_default_nslabs();
    void swiotlb_adjust_nareas(u64 nareas);
    void swiotlb_adjust_size(u64 size);
    bool swiotlb_initialises(bool addressing_limit) const;
    bool bounces_kmalloc();
    void swiotlb(bool addressing_limit, u64 low_limit);

    // ---- crashkernel= (src/kernel/crashkernel.cpp) -----------------------------------

    struct CrashRequest {
        enum Status { Missing, Invalid, Ok } status = Missing;  // -ENOENT, -EINVAL, 0
        u64 size = 0;
        u64 base = 0;
    };
    bool crashkernel_wanted();
    CrashRequest parse_crashkernel(u64 system_ram, std::string_view suffix);
    void crash_region(std::string name, u64 base, u64 size);
    bool reserve_crashkernel_low(u64 size, u64 low_max, u64 align);
    void reserve_crashkernel(u64 low_max, u64 high_max, u64 align);
    void reserve_crashkernel_riscv_before_6_6();
    void reserve_crashkernel_arm(u64 lowmem_end);

    // ---- mm init (mm/mm_init.c, mm/sparse.c, mm/percpu.c): zones, sparse, hashes -----

    void count_kernel_pages();
    void allocations_before_mem_init();
    void start_kernel_allocations();
    u64 hash_table_bytes(u64 scale) const;
    u64 units_touched(u64 unit, bool with_nomap) const;
    // What one entry of a page-table page at `level` maps (0: PAGE_SIZE, 1: PMD_SIZE,
    // 2: PUD_SIZE, 3: P4D/PGDIR_SIZE): a table holds PAGE_SIZE / 8 entries (PTRS_PER_PTE).
    u64 level_size(int level) const {
        return profile_.page_size << (level * (std::countr_zero(profile_.page_size) - 3));
    }
    bool has_hotplug_memory() const;
    std::optional<u64> numa_init();
    void sparse_init(u64 pgdat);
    bool flatmem_memmap();
    void flatmem_usemaps();
    void set_zones(const std::vector<std::pair<std::string, u64>>& ends);
    std::optional<u64> zone_movable_pfn();
    void log_zone_block();

    // ---- arm64 (arch/arm64/kernel/setup.c setup_arch(), arch/arm64/mm/init.c) ------

    void boot_arm64();
    void remove_unaddressable_arm64(u64 kernel_end);
    bool linear_map_by_pages() const;
    // KFENCE samples from boot (CONFIG_KFENCE_SAMPLE_INTERVAL not 0): its pool comes early
    // (arm64 kfence_early_init) and its metadata is allocated at mm_core_init().
    bool kfence_samples() const {
        return profile_.has("CONFIG_KFENCE") && profile_.number("CONFIG_KFENCE_SAMPLE_INTERVAL").value_or(0) != 0;
    }
    u64 linear_map_tables_by_pages() const;
    u64 linear_map_tables_by_blocks(const std::optional<Range>& kfence_pool) const;
    void mem_limit_remove_map(u64 limit);
    bool arm64_early_allocations();
    u64 arm64_zones();

    // ---- 32-bit ARM (arch/arm/kernel/setup.c setup_arch(), arch/arm/mm/) ----------

    static constexpr u64 kVmallocEnd = 0xff800000;   // VMALLOC_END
    static constexpr u64 kVmallocOffset = 8 * kMiB;  // VMALLOC_OFFSET
    static constexpr u64 kPmdSize = 2 * kMiB;

    u64 arm_phys_offset(u64 zimage) const;

    void arm_add_memory(u64 start, u64 size);
    void arm_vmalloc_parameter();
    u64 adjust_lowmem_bounds();
    bool arm_memblock_steal(u64 size, u64 align, std::string_view hook, std::string_view caller);
    void boot_arm();
    void arm_paging_init_allocations(u64 lowmem_end);

    std::vector<Range> cma_remap_areas() const;


    // ---- riscv64 (arch/riscv/kernel/setup.c, arch/riscv/mm/init.c) ----------

    u64 riscv_page_tables(u64 ram_base, u64 kernel, u64 kernel_end, std::optional<u64> kfence);
    void boot_riscv64();

    const Tree& tree_;
    const MemoryMap& map_;
    const KernelProfile& profile_;
    const KernelFeatures features_;
    const BootInputs& inputs_;
    detail::CommandLine cmdline_;
    Memblock memblock_;
    Prediction prediction_;
    bool dt_default_cma_ = false;
    u64 static_count_ = 0;
    u64 phys_offset_ = 0;
    u64 kernel_ = 0, dtb_ = 0, image_size_ = 0;  // resolved inputs (resolve_inputs())
    u64 nr_kernel_pages_ = 0;
    u64 vmalloc_size_ = 240 * kMiB;  // the default vmalloc_size
    std::vector<Record> late_records_;
    std::set<NodeId> failed_to_reserve_;
    // kernel/dma/swiotlb.c's static state, as the swiotlb= arguments leave it.
    u64 io_tlb_nslabs_ = kDefaultSlabs;  // default_nslabs
    u64 io_tlb_nareas_ = 0;              // default_nareas (0: not adjusted yet)
    bool swiotlb_force_bounce_ = false;
    bool swiotlb_force_disable_ = false;
};

}  // namespace dtmem::detail
