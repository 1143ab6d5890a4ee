// SPDX-License-Identifier: MIT
// The boot prediction's entry point: runs the simulation (src/kernel/simulation.hpp) for
// the profile's architecture, marks what rests on defaulted inputs, and reads kernel logs.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernel/build_numbers.hpp"
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

// A way the inputs could differ from what the prediction used: a defaulted input moved, or
// the estimated per-build numbers at both ends of their range (`bounds`: whatever moves is
// given with the range its start falls in).
struct Variant {
    std::string name;
    std::vector<Prediction> runs;
    bool bounds = false;
};

// Marks an item that some run of `variant` has elsewhere or not at all: `find` gives a run's
// copy of it (nullptr: none), `unchanged` compares, `start` says where one starts.
template <typename Item, typename Find, typename Unchanged, typename Start>
void mark(const Item& mine, RestsOn& rests_on, const Variant& variant, Find find, Unchanged unchanged, Start start) {
    bool moved = false;
    std::vector<u64> starts;
    if (auto own = start(mine)) starts.push_back(*own);
    for (const Prediction& run : variant.runs) {
        const Item* theirs = find(run);
        moved |= !theirs || !unchanged(mine, *theirs);
        if (auto at = theirs ? start(*theirs) : std::nullopt) starts.push_back(*at);
    }
    if (!moved) return;
    std::string text = variant.name;
    if (variant.bounds && starts.size() == variant.runs.size() + 1) {
        auto [low, high] = std::minmax_element(starts.begin(), starts.end());
        text += fmt::format(", starts between {:#x} and {:#x}", *low, *high);
    }
    rests_on.push_back(text);
}

// Marks every placed address that moves when a defaulted input moves (the prediction is
// re-run with each default shifted by 2 MiB) or with the estimated per-build numbers (re-run
// at both ends of their range).
void mark_defaults(Prediction& prediction, const Tree& tree, const MemoryMap& map, const KernelProfile& profile,
                   const BootInputs& inputs) {
    const BootInputs& used = prediction.inputs_used;
    std::vector<std::pair<std::string, BootInputs>> moved_inputs;
    if (!inputs.kernel_address) {
        BootInputs v = inputs;
        v.kernel_address = *used.kernel_address + 2 * kMiB;
        moved_inputs.push_back({"the kernel's load address (default)", v});
    }
    if (!inputs.dtb_address) {
        BootInputs v = inputs;
        v.dtb_address = *used.dtb_address - 2 * kMiB;
        moved_inputs.push_back({"the DTB's load address (default)", v});
    }
    if (!inputs.kernel_image_size && used.kernel_image_size && profile.vmlinux.empty() && profile.estimated.empty()) {
        BootInputs v = inputs;
        v.kernel_image_size = *used.kernel_image_size + 2 * kMiB;
        moved_inputs.push_back({"the kernel image size (the profile's build)", v});
    }
    auto run = [&](const KernelProfile& with, const BootInputs& given) -> std::optional<Prediction> {
        try {
            return BootSimulation(tree, map, with, given).run();
        } catch (const Error&) {
            return std::nullopt;  // the variant does not boot at all; nothing to compare
        }
    };
    std::vector<Variant> variants;
    for (auto& [name, variant_inputs] : moved_inputs) {
        if (auto other = run(profile, variant_inputs)) variants.push_back({name, {std::move(*other)}, false});
    }
    if (!profile.estimated.empty()) {
        Variant estimated{fmt::format("per-build numbers estimated from {} (give --vmlinux)", profile.estimated_from), {}, true};
        for (bool high : {false, true}) {
            if (auto other = run(detail::estimate_bound(profile, high), inputs)) estimated.runs.push_back(std::move(*other));
        }
        variants.push_back(std::move(estimated));
    }
    auto first = [](const auto& list, auto same) -> decltype(&*list.begin()) {
        auto it = std::find_if(list.begin(), list.end(), same);
        return it == list.end() ? nullptr : &*it;
    };
    for (const Variant& variant : variants) {
        for (CmaArea& area : prediction.cma) {
            mark(area, area.rests_on, variant,
                 [&](const Prediction& other) { return first(other.cma, [&](const CmaArea& o) { return o.name == area.name; }); },
                 [](const CmaArea& a, const CmaArea& b) { return a.base == b.base && a.size == b.size; },
                 [](const CmaArea& a) { return std::optional<u64>(a.base); });
        }
        for (RegionOutcome& region : prediction.reserved) {
            mark(region, region.rests_on, variant,
                 [&](const Prediction& other) {
                     return first(other.reserved, [&](const RegionOutcome& o) { return o.node == region.node; });
                 },
                 [](const RegionOutcome& a, const RegionOutcome& b) { return a.placed == b.placed && a.error == b.error; },
                 [](const RegionOutcome& r) { return r.placed ? std::optional<u64>(r.placed->start) : std::nullopt; });
        }
        mark(prediction.swiotlb, prediction.swiotlb_rests_on, variant,
             [](const Prediction& other) { return &other.swiotlb; },
             [](const std::optional<Range>& a, const std::optional<Range>& b) { return a == b; },
             [](const std::optional<Range>& r) { return r ? std::optional<u64>(r->start) : std::nullopt; });
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        for (auto member : {&Prediction::images, &Prediction::crashkernel}) {
            for (BootImage& image : prediction.*member) {
                mark(image, image.rests_on, variant,
                     [&](const Prediction& other) {
                         return first(other.*member, [&](const BootImage& o) { return o.name == image.name; });
                     },
                     [](const BootImage& a, const BootImage& b) { return a.range == b.range; },
                     [](const BootImage& i) { return std::optional<u64>(i.range.start); });
            }
        }
    }
}

}  // namespace

Prediction predict_boot(const Tree& tree, const MemoryMap& map, const KernelProfile& profile, const BootInputs& inputs) {
    Prediction prediction = BootSimulation(tree, map, profile, inputs).run();
    if (!profile.estimated.empty()) {
        prediction.assumptions.push_back(fmt::format(
            "per-build numbers of {} for this build: {} (each between half and twice it, and what other builds measured; give --vmlinux)",
            profile.estimated_from, fmt::join(profile.estimated, ", ")));
    }
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
