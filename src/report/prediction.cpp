// SPDX-License-Identifier: MIT
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "dtmem/report.hpp"

namespace dtmem {
namespace {

std::string bold(std::string_view text, bool color) {
    return color ? fmt::format("\x1b[1m{}\x1b[0m", text) : std::string(text);
}

int address_digits(const Prediction& p) {
    return p.profile.arch == Arch::Arm && !p.profile.lpae ? 8 : 16;
}

// What the kernel makes of the highest CPU address every DMA master reaches
// (of_dma_get_max_cpu_address(), in the map): only arm64 sizes a zone by it.
std::string dma_reach_use(Arch arch) {
    switch (arch) {
        case Arch::Arm64: return "arm64 ends ZONE_DMA by it (zone_sizes_init())";
        case Arch::Arm: return "32-bit ARM does not use it: ZONE_DMA is the machine's arm_dma_zone_size";
        case Arch::Riscv64: return "riscv64 does not use it: ZONE_DMA32 covers the RAM below 4 GiB (zone_sizes_init())";
    }
    return {};
}

}  // namespace

void write_prediction_text(std::ostream& out, const Tree& tree, const MemoryMap& map, const Prediction& prediction,
                           bool color) {
    const KernelProfile& profile = prediction.profile;
    int digits = address_digits(prediction);
    auto address = [digits](u64 value) { return hex_padded(value, digits); };
    out << '\n' << bold(fmt::format("Kernel prediction: {} ({})", profile.id, profile.description), color) << '\n';
    for (const std::string& assumption : prediction.assumptions) out << "  assumes " << assumption << '\n';
    out << fmt::format("  CPUs: {} possible\n", prediction.inputs_used.cpus.value_or(1));
    if (!prediction.hangs.empty()) out << "  hangs: " << prediction.hangs << '\n';
    out << "  Zones:\n";
    for (const Zone& zone : prediction.zones) {
        out << fmt::format("    {:<8} {}\n", zone.name,
                           zone.range ? fmt::format("{}-{}", address(zone.range->start), address(zone.range->last()))
                                      : "empty");
    }
    if (map.dma_max.address) {
        out << fmt::format("  DMA masters reach up to {}: {}\n", address(*map.dma_max.address), dma_reach_use(profile.arch));
    }
    if (prediction.lowmem_end) {
        auto highmem = std::find_if(prediction.zones.begin(), prediction.zones.end(),
                                    [](const Zone& zone) { return zone.name == "HighMem" && zone.range; });
        out << fmt::format("  Lowmem ends at {} ({})\n", address(*prediction.lowmem_end),
                           highmem != prediction.zones.end() ? "HighMem above" : "no HighMem: no RAM in use above it");
    }
    bool any_default = false;
    // " *", and where estimated per-build numbers move it, the range it starts in.
    auto mark = [&any_default](const RestsOn& rests_on) {
        any_default |= !rests_on.empty();
        std::string text = rests_on.empty() ? "" : " *";
        for (const std::string& reason : rests_on) {
            if (std::size_t at = reason.find("starts between"); at != std::string::npos) text += " (" + reason.substr(at) + ")";
        }
        return text;
    };
    if (prediction.movable_start) out << fmt::format("  ZONE_MOVABLE from {}\n", address(*prediction.movable_start));
    out << "  CMA areas:" << (prediction.cma.empty() ? " none\n" : "\n");
    for (const CmaArea& area : prediction.cma) {
        out << fmt::format("    {}-{}  {:<8}  {}{}\n", address(area.base), address(area.base + area.size - 1),
                           human_size(area.size), area.name == "reserved" ? "default area" : area.name,
                           mark(area.rests_on));
    }
    if (prediction.swiotlb) {
        out << fmt::format("  swiotlb: {}-{}  {}{}\n", address(prediction.swiotlb->start),
                           address(prediction.swiotlb->last()), human_size(prediction.swiotlb->size),
                           mark(prediction.swiotlb_rests_on));
    }
    for (const BootImage& crash : prediction.crashkernel) {
        out << fmt::format("  {}: {}-{}  {}{}\n", crash.name, address(crash.range.start), address(crash.range.last()),
                           human_size(crash.range.size), mark(crash.rests_on));
    }
    if (!prediction.reserved.empty()) out << "  /reserved-memory at boot:\n";
    for (const RegionOutcome& outcome : prediction.reserved) {
        std::string where = outcome.placed ? fmt::format("{}-{}  {:<8}", address(outcome.placed->start),
                                                         address(outcome.placed->last()), human_size(outcome.placed->size))
                                           : std::string(2 * digits + 17, ' ');
        out << fmt::format("    {}  {}{}{}\n", where, tree.path(outcome.node), mark(outcome.rests_on),
                           outcome.error.empty() ? "" : "  [" + outcome.error + "]");
    }
    if (any_default) out << "  * rests on a default input or estimated number (see \"assumes\"); exact once it is given\n";
    for (const std::string& note : prediction.notes) out << "  note: " << note << '\n';
    for (const std::string& note : prediction.unmodelled) out << "  not predicted: " << note << '\n';
}

}  // namespace dtmem
