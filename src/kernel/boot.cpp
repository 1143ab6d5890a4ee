// The boot simulation: what a kernel does with the tree's memory description, step by
// step in the kernel's own order, on a model of memblock. Each step names the kernel
// function it mirrors; section numbers refer to the team's kernel-semantics notes.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "kernel/cmdline.hpp"
#include "kernel/kernel_sort.hpp"
#include "dtmem/error.hpp"
#include "dtmem/prediction.hpp"
#include "kernel/memblock.hpp"

namespace dtmem {
namespace {

using detail::Memblock;
constexpr u64 kMiB = u64{1} << 20;
constexpr u64 kGiB = u64{1} << 30;
constexpr u64 k4GiB = u64{4} << 30;

u64 align_up(u64 value, u64 align) { return (value + align - 1) / align * align; }
u64 align_down(u64 value, u64 align) { return value / align * align; }

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
        : tree_(tree), map_(map), profile_(profile), inputs_(inputs),
          memblock_(profile.page_size, profile.arch == Arch::Arm && !profile.lpae ? 0xffffffffULL : ~u64{0}) {
        prediction_.profile = profile;
        std::string bootargs(inputs.bootargs.value_or(std::string(map.chosen.bootargs.value_or(""))));
        cmdline_ = detail::parse_command_line(bootargs);
    }

    Prediction run() {
        if (map_.ram.empty()) throw Error("no RAM: the kernel cannot be predicted without memory (give --memory)");
        note_device_memory();
        resolve_inputs();
        switch (profile_.arch) {
            case Arch::Arm64: boot_arm64(); break;
            case Arch::Arm: boot_arm(); break;
            case Arch::Riscv64: boot_riscv64(); break;
        }
        return std::move(prediction_);
    }

private:
    // ---- small helpers ------------------------------------------------------------

    bool at_least(int major, int minor, int patch = 0) const {
        return profile_.version >= KernelVersion{major, minor, patch};
    }
    bool restructured() const { return at_least(6, 12, 13); }  // of_reserved_mem rework (5.1)
    bool phys_64bit() const { return profile_.arch != Arch::Arm || profile_.lpae; }
    u64 pointer_bytes() const { return profile_.arch == Arch::Arm ? 4 : 8; }
    // %pa: 0x + 2 * sizeof(phys_addr_t) digits.
    std::string pa(u64 value) const { return hex_padded(value, phys_64bit() ? 16 : 8); }
    std::string of_prefix() const { return at_least(6, 12) ? "OF: reserved mem: " : "OF: fdt: "; }
    void log(std::string line) { prediction_.log.push_back(std::move(line)); }
    std::string name(NodeId node) const { return std::string(tree_.name(node)); }
    void assume(std::string what) { prediction_.assumptions.push_back(std::move(what)); }
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
    }
    u64 kernel_image_size() {
        if (inputs_.kernel_image_size) return *inputs_.kernel_image_size;
        u64 size = build("image_size");
        assume(fmt::format("kernel image_size {} (the profile's Debian build; give --kernel-image)", hex(size)));
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
        u64 offset = profile_.arch == Arch::Arm ? 48 * kMiB : 2 * kMiB;
        u64 address = map_.ram.front().range.start + offset;
        assume(fmt::format("kernel loaded at {} (RAM start + {}); give --load kernel=ADDR", hex(address), human_size(offset)));
        return address;
    }
    // riscv: where QEMU virt puts it (riscv_compute_fdt_addr(): the top 2 MiB block below
    // min(end of the first bank, 3 GiB)).
    u64 dtb_address() {
        if (inputs_.dtb_address) return *inputs_.dtb_address;
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

    // early_init_dt_add_memory_arch(): page rounding and the arch's address bounds.
    void add_memory_bank(u64 base, u64 size, u64 min_addr, u64 max_addr) {
        u64 page = profile_.page_size;
        u64 offset = base & (page - 1);
        if (size < page - offset) {
            log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
            return;
        }
        if (offset) {
            size -= page - offset;
            base = align_up(base, page);
        }
        size &= ~(page - 1);
        if (base > max_addr) {
            log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
            return;
        }
        if (base + size - 1 > max_addr) {
            log(fmt::format("OF: fdt: Ignoring memory range {:#x} - {:#x}", max_addr + 1, base + size));
            size = max_addr - base + 1;
        }
        if (base + size < min_addr) {
            log(fmt::format("OF: fdt: Ignoring memory block {:#x} - {:#x}", base, base + size));
            return;
        }
        if (base < min_addr) {
            log(fmt::format("OF: fdt: Ignoring memory range {:#x} - {:#x}", base, min_addr));
            size -= min_addr - base;
            base = min_addr;
        }
        memblock_.add(base, size);
    }

    // Nothing of the described RAM reached memblock (every bank under a page, outside the
    // kernel's reach, or outside linux,usable-memory-range): the kernel cannot set up memory.
    // arm64 panics in its first page-table allocation; elsewhere the outcome is not modelled.
    bool no_memory_left() {
        if (!memblock_.memory().empty()) return false;
        prediction_.unmodelled.push_back("no RAM is left after the kernel reads the memory nodes: it cannot boot, "
                                         "and how it fails is not predicted");
        return true;
    }

    // early_init_dt_scan_memory() in tree order, then linux,usable-memory-range.
    void scan_memory(u64 min_addr, u64 max_addr) {
        std::vector<RamBank> banks = map_.ram;
        std::stable_sort(banks.begin(), banks.end(), [](const RamBank& a, const RamBank& b) {
            return (a.node + 1) < (b.node + 1);  // the kernel reads nodes in tree order
        });
        for (const RamBank& bank : banks) {
            add_memory_bank(bank.range.start, bank.range.size, min_addr, max_addr);
            if (bank.hotpluggable) memblock_.mark_hotplug(bank.range.start, bank.range.size);
        }
        // early_init_dt_check_for_usable_mem_range(): the first range caps, a second adds.
        const auto& usable = map_.chosen.usable_memory_range;
        if (!usable.empty()) {
            memblock_.cap(usable[0].start, usable[0].size);
            if (usable.size() > 1) memblock_.add(usable[1].start, usable[1].size);
        }
    }

    // ---- /memreserve/ and /reserved-memory (drivers/of/fdt.c, of_reserved_mem.c) ----

    void reserve_memreserve() {
        for (const Range& entry : map_.memreserve) memblock_.reserve(entry.start, entry.size);
    }

    const ReservedRegion* region_of(NodeId node) const {
        for (const ReservedRegion& r : map_.reserved_memory->regions) {
            if (r.node == node) return &r;
        }
        return nullptr;
    }

    bool has_compatible(const ReservedRegion& r, std::string_view c) const {
        return std::find(r.compatible.begin(), r.compatible.end(), c) != r.compatible.end();
    }

    // early_init_dt_reserve_memory()
    bool reserve_region(u64 base, u64 size, bool nomap) {
        if (nomap) {
            if (memblock_.overlaps_memory(base, size) && memblock_.is_region_reserved(base, size)) return false;
            memblock_.mark_nomap(base, size, true);
            return true;
        }
        memblock_.reserve(base, size);
        return true;
    }

    enum class RegStatus { NoReg, Invalid, Done };

    // __reserved_mem_reserve_reg(): reserves or marks every entry; returns the first one.
    RegStatus reserve_reg(const ReservedRegion& region, std::optional<AddressSize>& first) {
        if (!tree_.has_property(region.node, "reg")) return RegStatus::NoReg;
        if (region.type == RegionType::Invalid) {
            log(of_prefix() + region.problem);
            return RegStatus::Invalid;
        }
        for (const AddressSize& entry : region.reg) {
            if (!(entry.size && reserve_region(entry.address, entry.size, region.no_map))) {
                failed_to_reserve_.insert(region.node);
                log(fmt::format("{}Reserved memory: failed to reserve memory for node '{}': base {}, size {} MiB",
                                of_prefix(), name(region.node), pa(entry.address), entry.size / kMiB));
            }
            if (!first) first = entry;
        }
        return RegStatus::Done;
    }

    bool cma_pool(const ReservedRegion& r) const {
        return profile_.cma && has_compatible(r, "shared-dma-pool") && r.reusable && !r.no_map;
    }

    // __reserved_mem_alloc_size() with __reserved_mem_alloc_in_range() (6.6+). Returns
    // the placed region or nothing (messages logged).
    std::optional<Range> alloc_dynamic(const ReservedRegion& region, const std::vector<Record>& recorded) {
        if (region.type != RegionType::Dynamic) {
            if (!region.problem.empty() && region.problem.starts_with("invalid")) log("OF: reserved mem: " + region.problem);
            return std::nullopt;
        }
        u64 size = *region.size;
        u64 align = region.alignment.value_or(0);
        if (cma_pool(region)) align = std::max(align, profile_.pageblock_bytes);
        if (align == 0) align = 64;  // SMP_CACHE_BYTES
        auto attempt = [&](u64 start, u64 end) -> std::optional<u64> {
            bool previous = memblock_.bottom_up();
            bool bottom_up = false, top_down = false;
            if (at_least(6, 6)) {
                for (const Record& r : recorded) {
                    if (r.size == 0) continue;
                    if (start >= r.base && start <= r.base + r.size) bottom_up = true;
                    if (end >= r.base && end <= r.base + r.size) top_down = true;
                }
                if (bottom_up != top_down) memblock_.set_bottom_up(bottom_up);
            }
            auto base = memblock_.alloc_range(size, align, start, end == 0 ? detail::kAllocAnywhere : end);
            if (bottom_up != top_down) memblock_.set_bottom_up(previous);
            if (base && region.no_map) memblock_.mark_nomap(*base, size, true);
            return base;
        };
        std::optional<u64> base;
        if (!region.alloc_ranges.empty()) {
            for (const AddressSize& range : region.alloc_ranges) {
                base = attempt(range.address, range.address + range.size);  // u64, wrapping as the kernel's
                if (base) break;
            }
        } else {
            base = attempt(0, 0);
        }
        if (!base || *base == 0) {
            log(fmt::format("OF: reserved mem: failed to allocate memory for node '{}': size {} MiB", name(region.node),
                            size / kMiB));
            return std::nullopt;
        }
        return Range{*base, size};
    }

    // __reserved_mem_init_node(): the RESERVEDMEM_OF_DECLARE handlers in link order.
    // Returns 0, or -ENOENT (-2) when no handler matched, or another error.
    int init_handlers(const ReservedRegion& region, u64 base, u64 size) {
        int result = -2;
        if (has_compatible(region, "shared-dma-pool")) {
            if (profile_.cma) {  // kernel/dma/contiguous.c rmem_cma_setup()
                result = rmem_cma_setup(region, base, size);
                if (result == 0) return log_initialized(region, "shared-dma-pool");
            }
            result = rmem_dma_setup(region, base, size);  // kernel/dma/coherent.c
            if (result == 0) return log_initialized(region, "shared-dma-pool");
        }
        if (has_compatible(region, "restricted-dma-pool") && profile_.dma_restricted_pool) {
            result = (region.reusable || region.no_map || region.cma_default || region.dma_default) ? -22 : 0;
            if (result == 0) {
                log(fmt::format("Reserved memory: created restricted DMA pool at {}, size {} MiB", pa(base), size / kMiB));
                return log_initialized(region, "restricted-dma-pool");
            }
        }
        return result;
    }

    int log_initialized(const ReservedRegion& region, std::string_view compatible) {
        log(fmt::format("OF: reserved mem: initialized node {}, compatible id {}", name(region.node), compatible));
        return 0;
    }

    int rmem_cma_setup(const ReservedRegion& region, u64 base, u64 size) {
        if (cmdline_.cma && region.cma_default) {
            log(fmt::format("Reserved memory: bypass {} node, using cmdline CMA params instead", name(region.node)));
            return -16;
        }
        if (!region.reusable || region.no_map) return -22;
        if ((base | size) % profile_.pageblock_bytes != 0) {
            log("Reserved memory: incorrect alignment of CMA region");
            return -22;
        }
        if (static_cast<int>(prediction_.cma.size()) >= profile_.cma_areas) {
            log("cma: Not enough slots for CMA reserved regions!");
            log("Reserved memory: unable to setup CMA region");
            return -28;
        }
        prediction_.cma.push_back({name(region.node), base, size, {}});
        if (region.cma_default) dt_default_cma_ = true;
        log(fmt::format("Reserved memory: created CMA memory pool at {}, size {} MiB", pa(base), size / kMiB));
        return 0;
    }

    int rmem_dma_setup(const ReservedRegion& region, u64 base, u64 size) {
        if (region.reusable) return -22;
        if (profile_.arch == Arch::Arm && !region.no_map) {
            log("Reserved memory: regions without no-map are not yet supported");
            return -22;
        }
        log(fmt::format("Reserved memory: created DMA memory pool at {}, size {} MiB", pa(base), size / kMiB));
        return 0;
    }

    // fdt_init_reserved_mem_node() / the loop body of 6.1's fdt_init_reserved_mem().
    void init_region(const ReservedRegion& region, u64 base, u64 size) {
        int err = init_handlers(region, base, size);
        RegionOutcome outcome{region.node, Range{base, size}, {}, {}};
        if (failed_to_reserve_.count(region.node)) {
            outcome.error = region.no_map ? "failed to reserve: it overlaps memory already reserved, so it is neither "
                                            "reserved nor unmapped"
                                          : "failed to reserve (size 0)";
        }
        if (err != 0 && err != -2) {
            log(fmt::format("OF: reserved mem: node {} compatible matching fail", name(region.node)));
            if (region.no_map) {
                memblock_.mark_nomap(base, size, false);
            } else {
                memblock_.free(base, size);
            }
            outcome.error = "compatible matching fail: the memory was given back";
        } else if (at_least(6, 6)) {
            log(fmt::format("OF: reserved mem: {}..{} ({} KiB) {} {} {}", pa(base), pa(base + size - 1), size / 1024,
                            region.no_map ? "nomap" : "map", region.reusable ? "reusable" : "non-reusable",
                            name(region.node)));
        }
        prediction_.reserved.push_back(outcome);
    }

    // __rmem_check_for_overlap(): sort (the kernel's heapsort) and compare neighbours.
    void check_overlap(std::vector<Record>& records) {
        if (records.size() < 2) return;
        bool by_node = at_least(6, 6);
        detail::kernel_heapsort(records, [by_node](const Record& a, const Record& b) {
            if (a.base != b.base) return a.base < b.base ? -1 : 1;
            if (a.size != b.size) return a.size < b.size ? -1 : 1;
            if (by_node && a.node != b.node) return a.node < b.node ? -1 : 1;
            return 0;
        });
        for (std::size_t i = 0; i + 1 < records.size(); ++i) {
            const Record& a = records[i];
            const Record& b = records[i + 1];
            if (a.base + a.size > b.base) {
                log("OF: reserved mem: OVERLAP DETECTED!");
                log(fmt::format("{} ({}--{}) overlaps with {} ({}--{})", a.name, pa(a.base), pa(a.base + a.size), b.name,
                                pa(b.base), pa(b.base + b.size)));
            }
        }
    }

    bool reserved_memory_usable() {
        if (!map_.reserved_memory) return false;
        if (!map_.reserved_memory->supported()) {
            log(of_prefix() + "Reserved memory: unsupported node format, ignoring");
            return false;
        }
        return true;
    }

    std::vector<const ReservedRegion*> available_regions() const {
        std::vector<const ReservedRegion*> regions;
        for (const ReservedRegion& r : map_.reserved_memory->regions) {
            if (r.available) regions.push_back(&r);
        }
        return regions;
    }

    // early_init_fdt_scan_reserved_mem(), per version (5.1).
    void scan_reserved_memory() {
        if (!at_least(6, 6)) reserve_memreserve();
        if (restructured()) {
            scan_reserved_memory_restructured();
            reserve_memreserve();
            return;
        }
        std::vector<Record> records;
        if (reserved_memory_usable()) {
            for (const ReservedRegion* region : available_regions()) {
                std::optional<AddressSize> first;
                RegStatus status = reserve_reg(*region, first);
                if (status == RegStatus::Done && first) {
                    records.push_back({region->node, name(region->node), first->address, first->size});
                } else if (status == RegStatus::NoReg && tree_.has_property(region->node, "size")) {
                    records.push_back({region->node, name(region->node), 0, 0});
                }
            }
        }
        if (at_least(6, 6)) reserve_memreserve();
        // fdt_init_reserved_mem()
        check_overlap(records);
        for (Record& record : records) {
            const ReservedRegion& region = *region_of(record.node);
            if (record.size == 0) {
                if (region.type != RegionType::Dynamic) continue;  // a size-0 static entry: no size property
                auto placed = alloc_dynamic(region, records);
                if (!placed) {
                    prediction_.reserved.push_back({region.node, std::nullopt, "failed to allocate memory", {}});
                    continue;
                }
                record.base = placed->start;
                record.size = placed->size;
            }
            init_region(region, record.base, record.size);
        }
    }

    // 6.12.13+: statics reserved, dynamics allocated and initialised now; statics recorded
    // and initialised at unflatten_device_tree() (late_static_regions()).
    void scan_reserved_memory_restructured() {
        if (!reserved_memory_usable()) return;
        std::vector<const ReservedRegion*> dynamic;
        for (const ReservedRegion* region : available_regions()) {
            std::optional<AddressSize> first;
            RegStatus status = reserve_reg(*region, first);
            if (status == RegStatus::Done) ++static_count_;  // counted per node, whatever its entries
            if (status == RegStatus::NoReg && tree_.has_property(region->node, "size")) dynamic.push_back(region);
        }
        for (const ReservedRegion* region : dynamic) {
            auto placed = alloc_dynamic(*region, late_records_);
            if (!placed) {
                prediction_.reserved.push_back({region->node, std::nullopt, "failed to allocate memory", {}});
                continue;
            }
            late_records_.push_back({region->node, name(region->node), placed->start, placed->size});
            init_region(*region, placed->start, placed->size);
        }
    }

    // fdt_scan_reserved_mem_reg_nodes() (6.12.13+), at unflatten_device_tree().
    void late_static_regions() {
        if (!map_.reserved_memory) {
            log("OF: reserved mem: Reserved memory: No reserved-memory node in the DT");
            return;
        }
        if (!map_.reserved_memory->supported()) {
            log("OF: reserved mem: Reserved memory: unsupported node format, ignoring");
            return;
        }
        for (const ReservedRegion* region : available_regions()) {
            if (!tree_.has_property(region->node, "reg")) continue;
            if (region->type == RegionType::Invalid) {
                log("OF: reserved mem: " + region->problem);
                continue;
            }
            if (region->reg.size() > 1) {
                log(fmt::format("OF: reserved mem: fdt_scan_reserved_mem_reg_nodes() ignores {} regions in node '{}'",
                                region->reg.size() - 1, name(region->node)));
            }
            if (region->reg.empty() || region->reg.front().size == 0) continue;
            const AddressSize& first = region->reg.front();
            late_records_.push_back({region->node, name(region->node), first.address, first.size});
            init_region(*region, first.address, first.size);
        }
        check_overlap(late_records_);
    }

    // Entries of the reserved_mem array alloc_reserved_mem_array() sizes (2.7.1 step 2).
    u64 reserved_mem_array_entries() const {
        if (!map_.reserved_memory) return 0;
        if (!map_.reserved_memory->supported()) return 64;
        return static_count_ + dynamic_allocated_count();
    }
    u64 dynamic_allocated_count() const {
        u64 count = 0;
        for (const RegionOutcome& r : prediction_.reserved) {
            const ReservedRegion* region = region_of(r.node);
            count += region && region->type == RegionType::Dynamic && r.placed;
        }
        return count;
    }

    // ---- CMA (kernel/dma/contiguous.c, mm/cma.c) ------------------------------------

    // dma_contiguous_reserve(limit) → cma_declare_contiguous_nid() (5.14, 5.15).
    void default_cma(u64 arch_limit, u64 highmem_start) {
        if (!profile_.cma) return;
        u64 size = 0, base = 0, limit = arch_limit;
        bool fixed = false;
        if (cmdline_.cma) {
            size = cmdline_.cma->size;
            base = cmdline_.cma->base;
            limit = cmdline_.cma->limit ? std::min(cmdline_.cma->limit, arch_limit) : arch_limit;
            fixed = cmdline_.cma->base + cmdline_.cma->size == cmdline_.cma->limit;
        } else {
            u64 percent = memblock_.phys_mem_size() / 100 * profile_.cma_size_percentage;
            percent = align_down(percent, profile_.page_size);
            const std::string& selection = profile_.cma_size_selection;
            size = selection == "percentage" ? percent
                   : selection == "min"      ? std::min(profile_.cma_size_bytes, percent)
                   : selection == "max"      ? std::max(profile_.cma_size_bytes, percent)
                                             : profile_.cma_size_bytes;
        }
        if (size == 0 || dt_default_cma_) return;
        std::string node = at_least(6, 6) ? " on node -1" : "";
        auto failed = [&](u64 shown) { log(fmt::format("cma: Failed to reserve {} MiB{}", shown / kMiB, node)); };
        if (static_cast<int>(prediction_.cma.size()) >= profile_.cma_areas) {
            log("cma: Not enough slots for CMA reserved regions!");
            return;
        }
        u64 memblock_end = memblock_.end_of_dram();
        u64 alignment = profile_.pageblock_bytes;
        if (fixed && base % alignment) {
            log(fmt::format("cma: Region at {} must be aligned to {} bytes", pa(base), pa(alignment)));
            return failed(size);
        }
        base = align_up(base, alignment);
        size = align_up(size, alignment);
        limit &= ~(alignment - 1);
        if (base == 0) fixed = false;
        if (fixed && base < highmem_start && base + size > highmem_start) {
            log(fmt::format("cma: Region at {} defined on low/high memory boundary ({})", pa(base), pa(highmem_start)));
            return failed(size);
        }
        if (limit == 0 || limit > memblock_end) limit = memblock_end;
        if (base + size > limit) {
            log(fmt::format("cma: Size ({}) of region at {} exceeds limit ({})", pa(size), pa(base), pa(limit)));
            return failed(size);
        }
        std::optional<u64> address;
        if (fixed) {
            if (memblock_.is_region_reserved(base, size)) return failed(size);
            memblock_.reserve(base, size);
            address = base;
        } else {
            bool try_above_4g = phys_64bit() && !memblock_.bottom_up() && memblock_end >= k4GiB + size;
            auto above_4g = [&] {
                memblock_.set_bottom_up(true);
                auto found = memblock_.alloc_range(size, alignment, k4GiB, limit);
                memblock_.set_bottom_up(false);
                return found;
            };
            if (!at_least(6, 6)) {
                if (base < highmem_start && limit > highmem_start) {
                    address = memblock_.alloc_range(size, alignment, highmem_start, limit);
                    limit = highmem_start;
                }
                // 6.1 overwrites a HighMem success here (the LPAE leak, 3.5).
                if (try_above_4g) address = above_4g();
            } else {
                if (try_above_4g) address = above_4g();
                if (!address && base < highmem_start && limit > highmem_start) {
                    address = memblock_.alloc_range(size, alignment, highmem_start, limit);
                    limit = highmem_start;
                }
            }
            if (!address) address = memblock_.alloc_range(size, alignment, base, limit);
            if (!address) return failed(size);
        }
        prediction_.cma.insert(prediction_.cma.begin(), CmaArea{"reserved", *address, size, {}});
        log(fmt::format("cma: Reserved {} MiB at {}{}", size / kMiB, pa(*address), node));
    }

    // cma_init_reserved_areas() → cma_activate_area() (core_initcall): every page of an
    // area must lie in one zone, else the area is dropped (5.15).
    void activate_cma_areas() {
        auto zone_of = [&](u64 address) -> int {
            for (std::size_t i = 0; i < prediction_.zones.size(); ++i) {
                const auto& range = prediction_.zones[i].range;
                if (range && range->contains(address)) return static_cast<int>(i);
            }
            return -1;
        };
        // DT pools were declared before the default area; the kernel activates in that order.
        std::vector<CmaArea> order = prediction_.cma;
        std::stable_partition(order.begin(), order.end(), [](const CmaArea& a) { return a.name != "reserved"; });
        for (const CmaArea& area : order) {
            if (zone_of(area.base) != zone_of(area.base + area.size - 1)) {
                log(fmt::format("cma: CMA area {} could not be activated", area.name));
            }
        }
    }

    // nr_kernel_pages, which sizes the boot-time hash tables. 6.12: calc_nr_kernel_pages()
    // counts free pages at free_area_init(); 6.1: free_area_init_core() adds each lowmem
    // zone's present pages less its memory map.
    void count_kernel_pages() {
        u64 page = profile_.page_size;
        if (at_least(6, 12)) {
            // HighMem pages are not kernel pages (high_zone_low).
            u64 high = prediction_.lowmem_end.value_or(~u64{0});
            for (const auto& [start, end] : memblock_.free_ranges(0, high)) {
                u64 first = align_up(start, page) / page, last = end / page;
                if (first < last) nr_kernel_pages_ += last - first;
            }
            return;
        }
        for (const Zone& zone : prediction_.zones) {
            if (!zone.range || zone.name == "HighMem") continue;
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
    void allocations_before_mem_init() {
        if (!profile_.build.count("pcpu_unit_bytes")) {
            prediction_.unmodelled.push_back("allocations between the default CMA area and swiotlb are not in this "
                                             "profile; swiotlb assumes they fit above the CMA area");
            return;
        }
        // request_standard_resources(): one array for every memory region.
        memblock_.alloc(build("resource_bytes_per_memory_region") * memblock_.memory().size(), 64);
        start_kernel_allocations();
    }

    // start_kernel(): the command line copies, the per-CPU first chunk, the dentry and
    // inode hash tables and (6.12 FLATMEM) the page_ext table.
    void start_kernel_allocations() {
        u64 page = profile_.page_size;
        u64 cmdline = inputs_.bootargs.value_or(std::string(map_.chosen.bootargs.value_or(""))).size() + 1;
        memblock_.alloc(cmdline, 64);  // saved_command_line
        memblock_.alloc(cmdline, 64);  // static_command_line
        // pcpu_embed_first_chunk(): two temporary pages, the units, the chunk's metadata.
        auto info = memblock_.alloc(page, page);
        auto areas = memblock_.alloc(page, 64);
        memblock_.alloc(build("pcpu_unit_bytes") * possible_cpus(), page);
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
    }

    u64 hash_table_bytes(u64 scale) const {
        const u64 kBucket = pointer_bytes();  // struct hlist_bl_head is one pointer
        u64 page = profile_.page_size;
        int page_shift = __builtin_ctzll(page);
        u64 entries = align_up(nr_kernel_pages_, kMiB / page) >> (scale - page_shift);
        if (entries * kBucket < page) entries = page / kBucket;
        entries = round_up_pow2(entries);
        u64 most = std::min<u64>((nr_kernel_pages_ * page >> 4) / kBucket, 0x80000000ULL);
        entries = std::min(entries, most);
        return kBucket * std::bit_floor(entries);  // 1 << ilog2(); no table when no page is left
    }

    // ---- swiotlb (kernel/dma/swiotlb.c swiotlb_init_remap(), 2.8) ----------------------

    static constexpr u64 kSlabShift = 11;     // IO_TLB_SHIFT: 2 KiB slabs
    static constexpr u64 kSegment = 128;      // IO_TLB_SEGSIZE
    static constexpr u64 kMinSlabs = 512;     // IO_TLB_MIN_SLABS (1 MiB)

    static u64 round_up_pow2(u64 v) { return std::bit_ceil(v); }  // 1 for 0 and 1; callers keep v <= 2^63

    // num_possible_cpus(): the CPU nodes of the tree.
    u64 possible_cpus() const {
        u64 count = 0;
        NodeId cpus = tree_.find_path("/cpus");
        for (NodeId c = cpus == kNoNode ? kNoNode : tree_.first_child(cpus); c != kNoNode; c = tree_.next_sibling(c)) {
            const Property* type = tree_.find_property(c, "device_type");
            count += type && type->as_string() == "cpu" && tree_.is_available(c);
        }
        return std::max<u64>(count, 1);
    }

    // DMA_BOUNCE_UNALIGNED_KMALLOC only bounces where DMA is not cache-coherent: always on
    // arm64; on riscv only when a hart has Zicbom (riscv_noncoherent_supported(), 4.6).
    bool bounces_kmalloc() {
        if (profile_.arch != Arch::Riscv64) return true;
        assume("riscv harts without Zicbom (coherent DMA, as QEMU virt): no kmalloc bounce buffer");
        return false;
    }

    // `needed`: the arch's addressing-limit test; `low_limit`: ARCH_LOW_ADDRESS_LIMIT.
    void swiotlb(bool needed, u64 low_limit) {
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

    // ---- zones and the zone block (mm/mm_init.c free_area_init()) --------------------

    // Zone ends (exclusive) in kernel order; Device is always empty at boot. The kernel
    // keeps page frame numbers: an end is PFN_DOWN() of the byte limit.
    void set_zones(const std::vector<std::pair<std::string, u64>>& ends) {
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

    void log_zone_block() {
        log("Zone ranges:");
        for (const Zone& zone : prediction_.zones) {
            log(zone.range ? fmt::format("  {:<8} [mem {:#018x}-{:#018x}]", zone.name, zone.range->start, zone.range->last())
                           : fmt::format("  {:<8} empty", zone.name));
        }
        log("Movable zone start for each node");
        // find_zone_movable_pfns_for_nodes(): with movable_node, from the lowest hotpluggable
        // range, rounded up to MAX_ORDER_NR_PAGES (4 MiB).
        if (cmdline_.movable_node && !at_least(6, 12) && profile_.arch == Arch::Arm64) {
            for (const detail::MemblockRegion& r : memblock_.memory()) {
                if (!r.hotplug) continue;
                prediction_.movable_start = align_up(r.base, 4 * kMiB);
                log(fmt::format("  Node 0: {:#018x}", *prediction_.movable_start));
                break;
            }
        }
        log("Early memory node ranges");
        u64 page = profile_.page_size;
        for (const detail::MemblockRegion& r : memblock_.memory()) {
            u64 start = align_up(r.base, page), end = align_down(r.end(), page);
            if (end <= start) continue;
            prediction_.memory_ranges.push_back(Range{start, end - start});
            log(fmt::format("  node {:>3}: [mem {:#018x}-{:#018x}]", 0, start, end - 1));
        }
        log(fmt::format("Initmem setup node 0 [mem {:#018x}-{:#018x}]", align_up(memblock_.start_of_dram(), page),
                        align_down(memblock_.end_of_dram(), page) - 1));
    }

    // ---- arm64 (arch/arm64/kernel/setup.c setup_arch(), arch/arm64/mm/init.c) ------

    void boot_arm64() {
        // memblock skips hotpluggable memory while movable_node is in force (5.2).
        memblock_.set_skip_hotplug(cmdline_.movable_node);
        if (const Property* model = tree_.find_property(tree_.root(), "model"); model && model->as_string()) {
            log(fmt::format("Machine model: {}", *model->as_string()));
        }
        scan_memory(0, ~u64{0});
        u64 kernel = kernel_;
        u64 image_size = image_size_;
        memblock_.reserve(dtb_, tree_.blob().size());  // setup_machine_fdt()

        // arm64_memblock_init()
        remove_unaddressable_arm64(kernel + image_size);
        if (!cmdline_.mem.empty()) {
            u64 limit = align_down(cmdline_.mem.back().size, profile_.page_size);
            log(fmt::format("Memory limited to {}MB", limit / kMiB));
            mem_limit_remove_map(limit);
            memblock_.add(kernel, image_size);  // the kernel image is added back
        }
        if (initrd()) memblock_.reserve(initrd()->start, initrd()->size);
        // [6.1] [_stext, _end) starts 64 KiB into the image; [6.12] [_text, _end).
        u64 text_offset = build("image_reserve_start_offset");
        memblock_.reserve(kernel + text_offset, image_size - text_offset);
        scan_reserved_memory();

        if (!arm64_early_allocations()) return;

        // bootmem_init(): zone_sizes_init(), then dma_contiguous_reserve()
        u64 dma_limit = arm64_zones();
        log_zone_block();
        count_kernel_pages();
        default_cma(dma_limit, memblock_.end_of_dram());
        allocations_before_mem_init();
        // mem_init(): the bounce buffer, needed when RAM reaches past the DMA limit.
        bool needed = memblock_.end_of_dram() / profile_.page_size > dma_limit / profile_.page_size;
        swiotlb(needed, dma_limit - 1);
        activate_cma_areas();
    }


    // ---- 32-bit ARM (arch/arm/kernel/setup.c setup_arch(), arch/arm/mm/) ----------

    static constexpr u64 kVmallocEnd = 0xff800000;   // VMALLOC_END
    static constexpr u64 kVmallocOffset = 8 * kMiB;  // VMALLOC_OFFSET
    static constexpr u64 kPmdSize = 2 * kMiB;

    // The decompressor picks PHYS_OFFSET (3.1): the zImage address rounded down to
    // 128 MiB, kept only inside a DT memory bank (fdt_check_mem_start()), else the lowest
    // bank below 4 GiB rounded up to 2 MiB.
    u64 arm_phys_offset(u64 zimage) const {
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

    // arm_add_memory() for mem=size@start (3.7).
    void arm_add_memory(u64 start, u64 size) {
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
    void arm_vmalloc_parameter() {
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

    // adjust_lowmem_bounds() (arch/arm/mm/mmu.c, 3.2). Returns arm_lowmem_limit.
    u64 adjust_lowmem_bounds() {
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
    bool arm_memblock_steal(u64 size, u64 align, std::string_view hook, std::string_view caller) {
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

    void boot_arm() {
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
        memblock_.reserve(dtb_, tree_.blob().size());

        // parse_early_param(): mem= replaces memory; vmalloc=
        for (std::size_t i = 0; i < cmdline_.mem.size(); ++i) {
            if (i == 0) memblock_.remove(0, ~u64{0});
            arm_add_memory(cmdline_.mem[i].start.value_or(phys_offset_), cmdline_.mem[i].size);
        }
        arm_vmalloc_parameter();

        // setup_dma_zone(): arm_dma_limit is inclusive.
        u64 arm_dma_limit = !profile_.zone_dma            ? (profile_.lpae ? ~u64{0} : 0xffffffffULL)
                            : machine && machine->dma_zone_size ? phys_offset_ + *machine->dma_zone_size - 1
                                                                : 0xffffffffULL;
        u64 highmem_start = adjust_lowmem_bounds();

        // arm_memblock_init()
        memblock_.reserve(phys_offset_ + build("kernel_reserve_start_offset"),
                          build("kernel_reserve_end_offset") - build("kernel_reserve_start_offset"));
        if (initrd()) memblock_.reserve(initrd()->start, initrd()->size);
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
        // alloc_node_mem_map(): FLATMEM's struct page array must fit in lowmem.
        u64 order_bytes = profile_.page_size << 11;
        u64 first = align_down(memblock_.start_of_dram(), order_bytes);
        u64 last = align_up(memblock_.end_of_dram(), order_bytes);
        u64 memmap = (last - first) / profile_.page_size * build("sizeof_struct_page");
        if (!memblock_.alloc(memmap, 64)) {
            log(fmt::format("Kernel panic - not syncing: Failed to allocate {} bytes for node 0 memory map", memmap));
            return;
        }
        if (measured) {
            arm_usemaps();
            // request_standard_resources(): one resource per mapped memory range.
            for (const detail::MemblockRegion& r : memblock_.memory()) {
                if (!r.nomap) memblock_.alloc(build("resource_bytes_per_memory_region"), 64);
            }
        }
        if (restructured()) {
            u64 entries = reserved_mem_array_entries();
            if (measured && entries) memblock_.alloc(build("reserved_mem_entry_bytes") * entries, 64);
            late_static_regions();
        }
        if (measured) memblock_.alloc(unflattened_size(), pointer_bytes());
        activate_cma_areas();
        // mem_init(): LPAE kernels bounce when RAM reaches past arm_dma_limit, with the buffer
        // in lowmem below everything allocated so far (ARCH_LOW_ADDRESS_LIMIT: 0xffffffff in
        // 6.1, arm_dma_limit from 6.5.12 on; clamped to lowmem either way).
        if (!profile_.lpae || !profile_.swiotlb) return;
        bool needed = memblock_.end_of_dram() / profile_.page_size > arm_dma_limit / profile_.page_size;
        if (measured) {
            start_kernel_allocations();
            swiotlb(needed, at_least(6, 6) ? arm_dma_limit : 0xffffffffULL);
        } else if (needed) {
            prediction_.unmodelled.push_back("swiotlb: this profile does not give the lowmem allocations made before "
                                             "the bounce buffer, so its address is not predicted");
            prediction_.unpredicted_lines.push_back("software IO TLB: ");
        }
    }

    // paging_init(): dma_contiguous_remap() maps each CMA area that lies in lowmem with
    // pages (a 48-byte vm_struct, then one PTE table per 2 MiB), then devicemaps_init(),
    // kmap_init() and the rest take the profile's fixed sequence.
    void arm_paging_init_allocations(u64 lowmem_end) {
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
    std::vector<Range> cma_remap_areas() const {
        std::vector<Range> areas;
        if (restructured() && map_.reserved_memory && map_.reserved_memory->supported()) {
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
            if (restructured()) {
                for (const Range& known : areas) is_static |= known.start == area.base && known.size == area.size;
            }
            if (area.name != "reserved" && !is_static) areas.push_back(Range{area.base, area.size});
        }
        for (const CmaArea& area : prediction_.cma) {
            if (area.name == "reserved") areas.push_back(Range{area.base, area.size});
        }
        return areas;
    }

    // setup_usemap(): the pageblock flags of each populated zone (4 bits per pageblock,
    // whole longs).
    void arm_usemaps() {
        u64 page = profile_.page_size;
        u64 pageblock_pages = profile_.pageblock_bytes / page;
        for (const Zone& zone : prediction_.zones) {
            if (!zone.range) continue;
            u64 start_pfn = zone.range->start / page, pages = zone.range->size / page;
            u64 blocks = align_up(pages + (start_pfn & (pageblock_pages - 1)), pageblock_pages) / pageblock_pages;
            memblock_.alloc(align_up(blocks * 4, 32) / 8, 64);
        }
    }

    // ---- riscv64 (arch/riscv/kernel/setup.c, arch/riscv/mm/init.c; section 4) ----------

    // create_linear_mapping_page_table() and create_kernel_page_table(): page-table pages
    // for the linear map (sv57 as on QEMU virt: P4D, PUD, PMD, PTE levels), the KFENCE pool
    // mapped with pages, and the kernel mapping's own P4D, PUD and PMD tables. A table is
    // counted once per index it covers; the indices are gathered as ranges, so the count
    // costs the number of memblock regions, not the size of RAM.
    u64 riscv_page_tables(u64 ram_base, u64 kernel, u64 kernel_end, std::optional<u64> kfence) {
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

    void boot_riscv64() {
        if (const Property* model = tree_.find_property(tree_.root(), "model"); model && model->as_string()) {
            log(fmt::format("Machine model: {}", *model->as_string()));
        }
        scan_memory(0, ~u64{0});
        if (no_memory_left()) return;
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
        memblock_.reserve(kernel, kernel_end - kernel);
        u64 ram_base = align_down(memblock_.start_of_dram(), 2 * kMiB);  // phys_ram_base
        u64 end = memblock_.end_of_dram();
        u64 dma32_limit = std::min(k4GiB, align_down(end, page));
        if (initrd()) memblock_.reserve(initrd()->start, initrd()->size);
        scan_reserved_memory();
        memblock_.reserve(dtb_, tree_.blob().size());  // only now (4.3)
        default_cma(dma32_limit, end);

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
        numa_and_sparse();
        std::vector<std::pair<std::string, u64>> ends = {{"DMA32", dma32_limit}, {"Normal", end}};
        set_zones(ends);
        log_zone_block();
        count_kernel_pages();
        activate_cma_areas();
        allocations_before_mem_init();
        swiotlb(end / page > dma32_limit / page, build("arch_low_address_limit"));
    }

    // arm64_memblock_init(): memory above the physical address size (PHYS_MASK_SHIFT =
    // CONFIG_ARM64_PA_BITS) is removed, then what the linear map cannot cover: it spans
    // 2^(vabits_actual - 1) bytes from memstart_addr (ARM64_MEMSTART_ALIGN-aligned start of
    // DRAM); when memory reaches beyond it, the bottom goes instead of the top.
    void remove_unaddressable_arm64(u64 kernel_end) {
        u64 pa_limit = u64{1} << profile_.number("CONFIG_ARM64_PA_BITS").value_or(48);
        memblock_.remove(pa_limit, ~u64{0} - pa_limit);
        // 52-bit VA kernels run with 48 bits on CPUs without LPA2/LVA (vabits_actual).
        u64 linear_size = u64{1} << (std::min<u64>(profile_.number("CONFIG_ARM64_VA_BITS").value_or(48), 48) - 1);
        int page_shift = std::countr_zero(profile_.page_size);
        u64 memstart_align = u64{1} << (page_shift == 12 ? 30 : page_shift == 14 ? 25 : 29);  // ARM64_MEMSTART_SHIFT
        u64 memstart = align_down(memblock_.start_of_dram(), memstart_align);
        u64 linear_end = std::max(memstart + linear_size, kernel_end);
        memblock_.remove(linear_end, ~u64{0} - linear_end);
        if (memstart + linear_size < memblock_.end_of_dram()) {
            memblock_.remove(0, align_up(memblock_.end_of_dram() - linear_size, memstart_align));
        }
    }

    // memblock_mem_limit_remove_map(): the amount is counted over memory in address order.
    void mem_limit_remove_map(u64 limit) {
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

    // The allocations between the reserved-memory scan and dma_contiguous_reserve() (2.7.1).
    // Returns false when the boot stops here (the kernel panics).
    bool arm64_early_allocations() {
        u64 page = profile_.page_size;
        // paging_init(): one page-table page per 2 MiB block (B) and per 1 GiB (G) of mapped
        // memory, one per further 512 GiB, plus the build's constant; one page at a time.
        u64 blocks = units_touched(2 * kMiB, false), gigs = units_touched(kGiB, false);
        long pages = static_cast<long>(blocks + gigs + units_touched(512 * kGiB, false)) - 1 +
                     static_cast<long>(profile_.build_number("page_table_constant"));
        u64 wanted = static_cast<u64>(std::max(pages, 0L));
        if (memblock_.memory().empty() || memblock_.alloc_run(wanted, page, page, memblock_.current_limit()) < wanted) {
            // arch/arm64/mm/mmu.c early_pgtable_alloc(): no free page left for a table.
            log("Kernel panic - not syncing: Failed to allocate page table page");
            return false;
        }

        // unflatten_device_tree()
        if (restructured()) {
            u64 entries = reserved_mem_array_entries();
            if (entries && build("reserved_mem_entry_bytes")) memblock_.alloc(build("reserved_mem_entry_bytes") * entries, 64);
            late_static_regions();
        }
        memblock_.alloc(unflattened_size(), pointer_bytes());

        numa_and_sparse();
        return true;
    }

    // How many `unit`-aligned blocks memory touches (NOMAP memory too when `with_nomap`).
    u64 units_touched(u64 unit, bool with_nomap) const {
        u64 count = 0, last = ~u64{0};
        for (const detail::MemblockRegion& r : memblock_.memory()) {
            if (r.nomap && !with_nomap) continue;
            u64 first = r.base / unit, final = (r.end() - 1) / unit;
            count += final - first + 1 - (first == last ? 1 : 0);
            last = final;
        }
        return count;
    }

    bool has_hotplug_memory() const {
        return std::any_of(memblock_.memory().begin(), memblock_.memory().end(), [](const auto& r) { return r.hotplug; });
    }

    // arch_numa_init() with one faked node, NODE_DATA, then sparse_init() (2.7.1, 4.5).
    void numa_and_sparse() {
        u64 page = profile_.page_size;
        if (at_least(6, 12) && has_hotplug_memory()) {
            // mm/numa_memblks.c numa_memblks_init() clears every hotplug flag on DT systems.
            memblock_.clear_hotplug();
            if (cmdline_.movable_node) prediction_.notes.push_back("movable_node: this kernel clears the hotpluggable flag at NUMA init, so "
                                        "there is no ZONE_MOVABLE and the hotpluggable bank receives NODE_DATA and "
                                        "the memory map (it can never be offlined)");
        }
        if (!at_least(6, 12)) log("NUMA: No NUMA configuration found");
        log(fmt::format("NUMA: Faking a node at [mem {}-{}]", pa(memblock_.start_of_dram()),
                        pa(memblock_.end_of_dram() - 1)));
        if (optional_build("numa_distance_bytes")) memblock_.alloc(build("numa_distance_bytes"), page);
        u64 node_data_size = build("sizeof_pg_data_t");
        auto node_data = memblock_.alloc(node_data_size, 64);
        if (node_data) {
            u64 last = *node_data + node_data_size - 1;
            log(at_least(6, 12) ? fmt::format("NODE_DATA(0) allocated [mem {:#010x}-{:#010x}]", *node_data, last)
                                : fmt::format("NUMA: NODE_DATA [mem {:#010x}-{:#010x}]", *node_data, last));
        }
        if (optional_build("bootmem_cpumask_bytes")) memblock_.alloc(build("bootmem_cpumask_bytes"), 64);
        memblock_.alloc(build("section_roots_bytes"), 64);  // memblocks_present()
        u64 section = build("section_size_bytes");
        u64 sections = units_touched(section, true);  // present sections, no-map memory included
        memblock_.alloc_run(units_touched(16 * kGiB, true), build("sparse_index_bytes"), 64, memblock_.current_limit());
        // sparse_early_usemaps_alloc_pgdat_section(): inside NODE_DATA's section if it can.
        u64 usemaps = build("usemap_bytes_per_section") * sections;
        u64 goal = node_data ? align_down(*node_data, section) : 0;
        if (!memblock_.alloc(usemaps, 64, goal, goal + section)) memblock_.alloc(usemaps, 64);
        // sparse_buffer_init(): one block for every section's struct pages.
        u64 memmap = build("memmap_bytes_per_section");
        u64 ram_base = align_down(memblock_.start_of_dram(), 2 * kMiB);
        memblock_.alloc(memmap * sections, memmap, ram_base);
        // vmemmap_populate(): its page-table pages, one more PMD page per further 64 GiB.
        u64 span = memblock_.end_of_dram() - memblock_.start_of_dram();
        u64 tables = build("vmemmap_early_pages") + (span ? (span - 1) / (64 * kGiB) : 0);
        memblock_.alloc_run(tables, page, page, memblock_.current_limit());  // all memory lies above ram_base
    }

    // __unflatten_device_tree(): the size unflatten_dt_nodes() measures (2.7.1, U).
    u64 unflattened_size() const {
        u64 node_size = build("sizeof_device_node");
        u64 property_size = build("sizeof_property");
        u64 total = 0;
        const u64 align = pointer_bytes();  // __alignof__(struct device_node) and (struct property)
        auto alloc = [&total, align](u64 size) { total = align_up(total, align) + size; };
        NodeId chosen = tree_.find_path("/chosen");
        for (NodeId node = 0; node < tree_.node_count(); ++node) {
            std::string_view node_name = tree_.name(node);
            alloc(node_size + node_name.size() + 1);
            bool has_name = false;
            for (const Property& p : tree_.properties(node)) {
                // early_init_dt_scan_chosen() NOPs the rng-seed out of the blob once used.
                if (node == chosen && p.name == "rng-seed" && !p.value.empty()) continue;
                has_name |= p.name == "name";
                alloc(property_size);
            }
            if (!has_name) {
                std::size_t at = node_name.rfind('@');
                std::size_t base_length = at == std::string_view::npos ? node_name.size() : at;
                alloc(property_size + base_length + 1);
            }
        }
        return align_up(total, 4) + 4;
    }

    // zone_sizes_init() / max_zone_phys() (2.2). Returns arm64_dma_phys_limit.
    u64 arm64_zones() {
        u64 start = memblock_.start_of_dram(), end = memblock_.end_of_dram();
        u64 dt_limit = map_.dma_max.address.value_or(~u64{0});
        u64 dma_end = 0, dma32_end = 0;
        if (!at_least(6, 12)) {
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

    const Tree& tree_;
    const MemoryMap& map_;
    const KernelProfile& profile_;
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
};

}  // namespace

std::vector<std::string> predicted_lines(const std::vector<std::string>& log, const std::vector<std::string>& unpredicted) {
    static constexpr std::string_view kPrefixes[] = {
        "Zone ranges:", "  DMA ", "  DMA32 ", "  Normal ", "  HighMem ", "  Device ", "Early memory node ranges",
        "  node ", "Initmem setup node", "cma: ", "Reserved memory: ", "OF: reserved mem: ",
        "OF: fdt: Reserved memory", "OF: fdt: Ignoring", "vmalloc area is too", "Ignoring RAM at",
        "Consider using a HIGHMEM", "Ignoring memory", "Truncating memory", "software IO TLB: ", "NUMA: NODE_DATA", "NODE_DATA(", "Memory limited to",
        "Movable zone start", "  Node "};
    std::vector<std::string> lines;
    bool overlap_follows = false;
    for (std::string line : log) {
        if (line.size() > 15 && line[0] == '[' && line.find("] ") != std::string::npos) line = line.substr(line.find("] ") + 2);
        bool keep = overlap_follows;  // the second OVERLAP line has no prefix
        overlap_follows = line.ends_with("OVERLAP DETECTED!");
        for (std::string_view prefix : kPrefixes) keep |= line.starts_with(prefix);
        for (const std::string& prefix : unpredicted) keep &= !line.starts_with(prefix);
        if (keep) lines.push_back(line);
    }
    return lines;
}

namespace {

// Marks every placed address that moves when a defaulted input moves: the prediction is
// re-run with each default shifted by 2 MiB and the addresses compared.
void mark_defaults(Prediction& prediction, const Tree& tree, const MemoryMap& map, const KernelProfile& profile,
                   const BootInputs& inputs) {
    const BootInputs& used = prediction.inputs_used;
    std::vector<std::pair<std::string, BootInputs>> variants;
    if (!inputs.kernel_address) {
        BootInputs v = inputs;
        v.kernel_address = *used.kernel_address + 2 * kMiB;
        variants.push_back({"the kernel's load address (default)", v});
    }
    if (!inputs.dtb_address) {
        BootInputs v = inputs;
        v.dtb_address = *used.dtb_address - 2 * kMiB;
        variants.push_back({"the DTB's load address (default)", v});
    }
    if (!inputs.kernel_image_size && used.kernel_image_size) {
        BootInputs v = inputs;
        v.kernel_image_size = *used.kernel_image_size + 2 * kMiB;
        variants.push_back({"the kernel image size (the profile's build)", v});
    }
    for (auto& [name, variant] : variants) {
        Prediction other;
        try {
            other = BootSimulation(tree, map, profile, variant).run();
        } catch (const Error&) {
            continue;  // the variant does not boot at all; nothing to compare
        }
        for (CmaArea& area : prediction.cma) {
            auto same = std::find_if(other.cma.begin(), other.cma.end(), [&](const CmaArea& o) {
                return o.name == area.name && o.base == area.base && o.size == area.size;
            });
            if (same == other.cma.end()) area.rests_on.push_back(name);
        }
        for (RegionOutcome& region : prediction.reserved) {
            auto same = std::find_if(other.reserved.begin(), other.reserved.end(), [&](const RegionOutcome& o) {
                return o.node == region.node && o.placed == region.placed && o.error == region.error;
            });
            if (same == other.reserved.end()) region.rests_on.push_back(name);
        }
        if (prediction.swiotlb != other.swiotlb) prediction.swiotlb_rests_on.push_back(name);
    }
}

}  // namespace

Prediction predict_boot(const Tree& tree, const MemoryMap& map, const KernelProfile& profile, const BootInputs& inputs) {
    Prediction prediction = BootSimulation(tree, map, profile, inputs).run();
    mark_defaults(prediction, tree, map, profile, inputs);
    return prediction;
}

u64 read_kernel_image_size(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) throw Error(fmt::format("--kernel-image {}: cannot open it", path));
    std::uint8_t header[64] = {};
    std::size_t got = std::fread(header, 1, sizeof header, file);
    std::fclose(file);
    auto le = [&](int at, int bytes) {
        u64 v = 0;
        for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | header[at + i];
        return v;
    };
    if (got < 64) throw Error(fmt::format("--kernel-image {}: too short for a kernel image header", path));
    if (header[0] == 0x1f && header[1] == 0x8b) {
        throw Error(fmt::format("--kernel-image {}: a gzip file; give the uncompressed Image (zcat it)", path));
    }
    // arm64 Documentation/arch/arm64/booting.rst: magic "ARM\x64" at 56; riscv
    // Documentation/arch/riscv/boot-image-header.rst: "RSC\x05" at 56.
    if (le(56, 4) == 0x644d5241 || le(56, 4) == 0x05435352) return le(16, 8);
    if (le(0x24, 4) == 0x016f2818) {
        throw Error(fmt::format("--kernel-image {}: an ARM zImage, whose header does not give the size of the "
                                "kernel it unpacks; the profile's reservation is used", path));
    }
    throw Error(fmt::format("--kernel-image {}: not an arm64 or riscv Image (no header magic)", path));
}

}  // namespace dtmem
