// SPDX-License-Identifier: MIT
// The boot prediction's entry point: runs the simulation (src/kernel/simulation.hpp) for
// the profile's architecture, marks what rests on defaulted inputs, and reads kernel logs.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "kernel/simulation.hpp"

namespace dtmem {
using detail::BootSimulation;
using detail::kMiB;

std::vector<std::string> predicted_lines(const std::vector<std::string>& log, const std::vector<std::string>& unpredicted) {
    static constexpr std::string_view kPrefixes[] = {
        "Zone ranges:", "  DMA ", "  DMA32 ", "  Normal ", "  HighMem ", "  Device ", "Early memory node ranges",
        "  node ", "Initmem setup node", "cma: ", "Reserved memory: ", "OF: reserved mem: ",
        "OF: fdt: Reserved memory", "OF: fdt: Ignoring", "vmalloc area is too", "Ignoring RAM at",
        "Consider using a HIGHMEM", "Ignoring memory", "Truncating memory", "software IO TLB: ", "NUMA: NODE_DATA", "NODE_DATA(", "Memory limited to",
        "Movable zone start", "  Node ", "crashkernel", "cannot allocate crashkernel", "Reserving ",
        "hugetlb_cma: "};
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

std::vector<Zone> allocator_zones(const Prediction& prediction) {
    std::vector<Zone> zones = prediction.zones;
    if (!prediction.movable_start) return zones;
    u64 start = *prediction.movable_start, end = start;
    for (Zone& zone : zones) {
        if (!zone.range || zone.range->start + zone.range->size <= start) continue;
        end = zone.range->start + zone.range->size;
        if (zone.range->start >= start) {
            zone.range.reset();
        } else {
            zone.range->size = start - zone.range->start;
        }
    }
    auto device = std::find_if(zones.begin(), zones.end(), [](const Zone& z) { return z.name == "Device"; });
    zones.insert(device, Zone{"Movable", Range{start, end - start}});
    return zones;
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
        for (auto [mine, theirs] : {std::pair{&prediction.images, &other.images}, {&prediction.crashkernel, &other.crashkernel}}) {
            for (BootImage& image : *mine) {
                auto same = std::find_if(theirs->begin(), theirs->end(), [&](const BootImage& o) {
                    return o.name == image.name && o.range == image.range;
                });
                if (same == theirs->end()) image.rests_on.push_back(name);
            }
        }
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
