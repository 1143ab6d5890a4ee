// SPDX-License-Identifier: MIT
// What a given kernel does with a board's memory at boot: the boot simulation's result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/memory_map.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/tree.hpp"

namespace dtmem {

// Where the bootloader put things, and facts about the kernel image. Every value the user
// does not give has a documented default, and the prediction says it used one.
struct BootInputs {
    std::optional<std::string> bootargs;  // replaces /chosen/bootargs
    std::optional<u64> kernel_address;    // load address of the Image / zImage
    std::optional<u64> kernel_image_size; // image_size (arm64 / riscv Image header)
    std::optional<u64> dtb_address;
    std::optional<Range> initrd;          // replaces /chosen linux,initrd-start/-end
    std::optional<u64> cpus;              // possible CPUs, replacing the count of /cpus nodes
};

// image_size from an arm64 or riscv Image header (--kernel-image). Throws dtmem::Error
// for other files, naming what they are (a zImage's header does not give it).
u64 read_kernel_image_size(const std::string& path);

struct Zone {
    std::string name;            // DMA, DMA32, Normal, HighMem, Device (Movable: allocator_zones())
    std::optional<Range> range;  // nothing = "empty"
};

// Which defaulted inputs an address depends on (empty: exact for the inputs given).
using RestsOn = std::vector<std::string>;

struct CmaArea {
    std::string name;  // "reserved" for the default area, else the DT node name
    u64 base = 0;
    u64 size = 0;
    RestsOn rests_on;
    bool is_default = false;  // dma_contiguous_default_area: cma=/CONFIG_CMA_SIZE or linux,cma-default
    bool activated = true;    // cma_activate_area() succeeded (pages in one zone)
};

struct RegionOutcome {
    NodeId node = kNoNode;
    std::optional<Range> placed;  // where it is (static: its first reg entry)
    std::string error;            // empty when it was reserved and initialised
    RestsOn rests_on;
};

// A named range the kernel reserves in memblock: what was loaded before the kernel ran,
// or a crashkernel= region.
struct BootImage {
    std::string name;  // "kernel", "DTB", "initrd"; "crash kernel", "crash kernel (low)"
    Range range;
    RestsOn rests_on;
};

struct Prediction {
    KernelProfile profile;
    BootInputs inputs_used;                // the inputs as given, defaults filled in
    std::vector<std::string> assumptions;  // defaults the prediction rests on
    bool kernel_address_assumed = false;   // the kernel's load address is a default, not given
    bool dtb_address_assumed = false;      // the DTB's likewise
    std::vector<Zone> zones;
    std::vector<Range> memory_ranges;  // "Early memory node ranges"
    std::vector<Range> system_ram;     // the "System RAM" entries of /proc/iomem
    std::vector<CmaArea> cma;
    std::vector<RegionOutcome> reserved;
    std::optional<Range> swiotlb;
    RestsOn swiotlb_rests_on;
    std::vector<BootImage> images;  // in the order the kernel reserves them
    std::vector<BootImage> crashkernel;  // crashkernel=, as printed: a low part before the region
    std::optional<u64> lowmem_end;   // 32-bit ARM: end of lowmem (exclusive)
    // 32-bit ARM: lowmem left for the kernel's own allocations at the end of early boot
    // (memblock's free lowmem, CMA and swiotlb taken).
    std::optional<u64> lowmem_free;
    std::optional<u64> movable_start;  // ZONE_MOVABLE start (kernelcore=, movablecore=, movable_node)
    std::vector<std::string> notes;  // what the kernel does that the user may not expect
    std::string hangs;  // why the kernel hangs in early setup, nothing predicted after (empty: it does not)
    std::vector<std::string> log;    // what this kernel prints, in its order and wording
    std::vector<std::string> unmodelled;  // things that happen but dtmem does not predict
    // Beginnings of log lines this kernel prints that the prediction leaves out (see
    // `unmodelled`); a comparison with a real log skips them.
    std::vector<std::string> unpredicted_lines;

    // What the kernel did with the /reserved-memory region `node`; nullptr when it never saw it.
    const RegionOutcome* outcome(NodeId node) const {
        for (const RegionOutcome& o : reserved) {
            if (o.node == node) return &o;
        }
        return nullptr;
    }
};

// The zones as the page allocator has them (/proc/zoneinfo): `zones` with ZONE_MOVABLE, from
// `movable_start` to the end of the highest zone, cut out of them (mm/mm_init.c
// adjust_zone_range_for_zone_movable()). Without a movable start, `zones` as printed.
std::vector<Zone> allocator_zones(const Prediction& prediction);

// The lines of a kernel log that dtmem predicts (zones, memory ranges, reserved memory,
// CMA, swiotlb, NUMA node data), in order; everything else is dropped. Timestamps
// ("[    0.000000] ") are removed first. Used to compare a prediction with a real boot.
std::vector<std::string> predicted_lines(const std::vector<std::string>& log,
                                         const std::vector<std::string>& unpredicted = {});

// Throws dtmem::Error when the tree cannot be booted at all (no RAM).
Prediction predict_boot(const Tree& tree, const MemoryMap& map, const KernelProfile& profile,
                        const BootInputs& inputs);

}  // namespace dtmem
