// SPDX-License-Identifier: MIT
// Candidate fixes per finding, each verified by analysing the board again with it. The
// candidates follow what the kernel does with the arguments: cma= (kernel/dma/contiguous.c
// early_cma(), dma_contiguous_reserve(): SIZE@BASE-LIMIT places the default area below
// LIMIT and overrides a linux,cma-default node), vmalloc= (arch/arm/mm/mmu.c
// early_vmalloc()), swiotlb= (kernel/dma/swiotlb.c setup_io_tlb_npages(): slabs of 2 KiB),
// and alloc-ranges (drivers/of/of_reserved_mem.c __reserved_mem_alloc_size()).
#include "dtmem/suggest.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <libfdt.h>

#include "dtmem/error.hpp"
#include "kernel/cmdline.hpp"

namespace dtmem {
namespace {

constexpr u64 kMiB = u64{1} << 20, kGiB = u64{1} << 30;

struct Candidate {
    Suggestion::Kind kind = Suggestion::Kind::BootArgument;
    std::string change;
    std::string bootargs;
    std::string node, property;
    std::vector<u64> values;  // Tree: the property's (address, size) pairs
    std::string why;
};

// A size as the kernel's memparse() reads it, in the largest whole unit.
std::string size_argument(u64 bytes) {
    if (bytes % kGiB == 0) return fmt::format("{}G", bytes / kGiB);
    if (bytes % kMiB == 0) return fmt::format("{}M", bytes / kMiB);
    if (bytes % 1024 == 0) return fmt::format("{}K", bytes / 1024);
    return hex(bytes);
}

// An (address, size) pair as a property value in the given cells ("0x0 0x40000000 0x0 0x10000000");
// cells past the second are zero.
std::string cells_text(u64 address, u64 size, int address_cells, int size_cells) {
    std::string text;
    auto put = [&](u64 value, int count) {
        for (int i = count; i-- > 0;) text += fmt::format("{}{:#x}", text.empty() ? "" : " ", i >= 2 ? 0 : (value >> (32 * i)) & 0xffffffff);
    };
    put(address, address_cells);
    put(size, size_cells);
    return text;
}

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string finding_text(const Analysis& analysis, const Finding& f) {
    return fmt::format("{} {}: {}", f.rule, f.node == kNoNode ? analysis.file : analysis.tree().path(f.node), f.message);
}

// The default CMA area's size: as placed, else as the kernel failed to reserve it.
std::optional<u64> default_cma_size(const Analysis& analysis) {
    const Prediction& p = *analysis.prediction;
    for (const CmaArea& area : p.cma) {
        if (area.is_default) return area.size;
    }
    for (const std::string& line : p.log) {
        std::size_t at = line.find("cma: Failed to reserve ");
        if (at != std::string::npos) return std::strtoull(line.c_str() + at + 23, nullptr, 10) * kMiB;
    }
    return std::nullopt;
}

// The size of the last crashkernel= that gives one plainly (SIZE, SIZE@ADDR, SIZE,high; not
// the ranges form nor a ",low" part).
std::optional<u64> crashkernel_size(std::string_view bootargs) {
    std::optional<u64> size;
    std::istringstream words{std::string(bootargs)};
    for (std::string word; words >> word;) {
        if (!word.starts_with("crashkernel=") || word.ends_with(",low") || has(word, ":")) continue;
        auto [bytes, used] = detail::memparse(std::string_view(word).substr(std::string_view("crashkernel=").size()));
        if (used && bytes) size = bytes;
    }
    return size;
}

// The highest CPU address each DMA-limited device reaches, plus one.
std::vector<u64> device_limits(const Analysis& analysis) {
    std::vector<u64> limits;
    for (const Device& device : analysis.map.devices) {
        if (!device.uses_shared_pools()) continue;
        limits.push_back(device.dma_window->cpu_reach() + 1);
    }
    return limits;
}

// Where a default CMA area could be kept below: the devices' reach, the ends of ZONE_DMA
// and DMA32 (an area must lie in one zone to activate), the end of lowmem.
std::vector<u64> cma_limits(const Analysis& analysis) {
    const Prediction& p = *analysis.prediction;
    std::set<u64> limits;
    for (u64 limit : device_limits(analysis)) limits.insert(limit);
    for (const Zone& zone : p.zones) {
        if ((zone.name == "DMA" || zone.name == "DMA32") && zone.range) limits.insert(zone.range->start + zone.range->size);
    }
    if (p.lowmem_end) limits.insert(*p.lowmem_end);
    u64 ram_end = p.memory_ranges.empty() ? 0 : p.memory_ranges.back().start + p.memory_ranges.back().size;
    std::vector<u64> out;
    for (u64 limit : limits) {
        if (limit > 0 && limit < ram_end) out.push_back(limit);
    }
    std::reverse(out.begin(), out.end());  // the least constraining first
    return out;
}

std::vector<Candidate> bootarg_candidates(const Analysis& analysis, const Finding& finding, const std::string& bootargs) {
    std::vector<Candidate> out;
    auto add = [&](std::string_view name, const std::string& parameter, std::string why) {
        std::string change = parameter.empty() ? "remove " + std::string(name) + "=" : parameter;
        out.push_back({Suggestion::Kind::BootArgument, change, with_parameter(bootargs, name, parameter), "", "", {}, std::move(why)});
    };
    const Prediction& p = *analysis.prediction;
    const std::string& rule = finding.rule;
    if (rule == "cma-above-dma-limit" || rule == "cma-reserve-fails" || rule == "cma-activation-fails") {
        std::optional<u64> size = default_cma_size(analysis);
        for (u64 s = size.value_or(0); size && s >= 4 * kMiB; s /= 2) {
            for (u64 limit : cma_limits(analysis)) {
                add("cma", fmt::format("cma={}@0-{}", size_argument(s), hex(limit)),
                    fmt::format("Keeps the default CMA area ({}) below {}, inside what its users reach and inside one "
                                "zone; on the command line it overrides a linux,cma-default node.",
                                human_size(s), hex(limit)));
            }
            if (s != *size) {
                add("cma", fmt::format("cma={}", size_argument(s)),
                    fmt::format("Shrinks the default CMA area to {} so that it fits.", human_size(s)));
            }
        }
    }
    // The last resort, at a price: mem= keeps the kernel below the lowest reach, so that
    // everything it allocates lies where the devices reach (TI e2e 826613 on Keystone 2).
    if (rule == "cma-above-dma-limit" || rule == "zone-dma-small") {
        std::vector<u64> limits = device_limits(analysis);
        u64 ram_start = p.memory_ranges.empty() ? 0 : p.memory_ranges.front().start;
        u64 ram = 0;
        for (const Range& r : p.memory_ranges) ram += r.size;
        if (!limits.empty()) {
            u64 limit = *std::min_element(limits.begin(), limits.end());
            u64 kept = 0;
            for (const Range& r : p.memory_ranges) kept += r.start < limit ? std::min(r.last() + 1, limit) - r.start : 0;
            if (limit > ram_start && kept < ram) {
                add("mem", fmt::format("mem={}", size_argument(kept)),
                    fmt::format("Makes the kernel use only the {} of RAM below {}, which every device reaches; the other "
                                "{} are lost.", human_size(kept), hex(limit), human_size(ram - kept)));
            }
        }
    }
    bool vmalloc_given = has(bootargs, "vmalloc=");
    if (vmalloc_given && (rule == "boot-panic" || (rule == "cmdline-adjusted" && has(finding.message, "vmalloc")))) {
        add("vmalloc", "", "Drops vmalloc=: the kernel's default vmalloc area (240 MiB) leaves lowmem the room the "
                           "boot needs.");
    }
    if (rule == "lowmem-pressure" && p.profile.arch == Arch::Arm) {
        for (u64 mib : {160, 128, 96, 64}) {
            add("vmalloc", fmt::format("vmalloc={}M", mib),
                fmt::format("A {} MiB vmalloc area moves the lowmem/HighMem boundary up, giving lowmem the difference "
                            "(drivers that vmap a lot need more).", mib));
        }
    }
    // crashkernel=: the size asked for, then halves of it down to 64 MiB, placed by the kernel
    // (no @ADDR), and with ",high" where the kernel reads it (arm64; riscv64 from 6.9, as
    // modelled), which takes the region from memory above the DMA limit.
    if (rule == "crashkernel-fails") {
        std::optional<u64> size = crashkernel_size(bootargs);
        bool high = p.profile.arch == Arch::Arm64 || (p.profile.arch == Arch::Riscv64 && p.profile.version >= KernelVersion{6, 9, 0});
        for (u64 s = size.value_or(0); size && s >= 64 * kMiB; s /= 2) {
            if (high) {
                add("crashkernel", fmt::format("crashkernel={},high", size_argument(s)),
                    fmt::format("Takes the {} crash region from memory above the DMA limit, which has room (6.12 adds a "
                                "128 MiB low part below the limit, 6.1 none).", human_size(s)));
            }
            add("crashkernel", fmt::format("crashkernel={}", size_argument(s)),
                fmt::format("A {} crash region, placed by the kernel where it looks for one.", human_size(s)));
        }
    }
    if (rule == "swiotlb-alloc-fails") {
        // The new swiotlb= replaces every one given: it keeps their last area count and force.
        std::optional<u64> areas;
        bool force = false;
        for (const detail::SwiotlbParameter& given : detail::parse_command_line(bootargs).swiotlb) {
            if (given.areas) areas = given.areas;
            force |= given.force;
        }
        std::string rest = (areas ? fmt::format(",{}", *areas) : "") + (force ? ",force" : "");
        for (u64 slabs : {16384, 8192, 4096, 2048, 1024}) {
            add("swiotlb", fmt::format("swiotlb={}{}", slabs, rest),
                fmt::format("A {} bounce buffer ({} slabs of 2 KiB) that the kernel can place.", human_size(slabs * 2048), slabs));
        }
    }
    return out;
}

// The highest `align`-aligned base of `size` bytes ending at or below `end` that lies in
// one of `ram` (sorted) and overlaps none of `taken`.
std::optional<u64> highest_free_base(const std::vector<Range>& ram, const std::vector<Range>& taken, u64 size, u64 align, u64 end) {
    for (auto r = ram.rbegin(); r != ram.rend(); ++r) {
        u64 top = std::min(end, r->start + r->size);  // exclusive
        while (top >= r->start + size) {
            u64 base = (top - size) / align * align;
            if (base < r->start) break;
            Range place{base, size};
            auto clash = std::find_if(taken.begin(), taken.end(), [&](const Range& t) { return t.overlaps(place); });
            if (clash == taken.end()) return base;
            top = clash->start;  // below what is in the way
        }
    }
    return std::nullopt;
}

// Reserved-memory changes for a finding about a pool: alloc-ranges for a dynamic one, a new
// reg for a static one, inside the window its users reach or one zone.
std::vector<Candidate> tree_candidates(const Analysis& analysis, const Finding& finding) {
    std::vector<Candidate> out;
    const auto& reserved = analysis.map.reserved_memory;
    if (!reserved || !reserved->supported() || analysis.map.ram.empty()) return out;
    u64 ram_start = analysis.map.ram.front().range.start;
    int address_cells = reserved->address_cells.value_or(1), size_cells = reserved->size_cells.value_or(1);
    auto alloc_ranges = [&](const ReservedRegion& region, u64 end, std::string why) {
        if (region.type != RegionType::Dynamic || end <= ram_start) return;
        u64 size = (end - ram_start) / kMiB * kMiB;
        std::string path = analysis.tree().path(region.node);
        out.push_back({Suggestion::Kind::Tree,
                       fmt::format("{}: alloc-ranges = <{}>;", path, cells_text(ram_start, size, address_cells, size_cells)),
                       "", path, "alloc-ranges", {ram_start, size}, std::move(why)});
    };
    // A static pool moved to the highest place below `end` in RAM that no other static
    // reservation or /memreserve/ takes, its base aligned to 4 MiB (a pageblock of 4K-page
    // kernels; the verification checks the profile's own CMA alignment).
    auto moved_below = [&](const ReservedRegion& region, u64 end, std::string why) {
        if (region.type != RegionType::Static || region.reg.size() != 1 || region.reg[0].size == 0) return;
        u64 size = region.reg[0].size;
        std::vector<Range> taken = analysis.map.memreserve;
        for (const ReservedRegion& other : reserved->regions) {
            if (other.node == region.node || other.type != RegionType::Static) continue;
            for (const AddressSize& reg : other.reg) {
                if (auto range = make_range(reg.address, reg.size)) taken.push_back(*range);  // a size-0 reg takes nothing
            }
        }
        std::optional<u64> base = highest_free_base(analysis.prediction->memory_ranges, taken, size, 4 * kMiB, end);
        if (!base) return;
        std::string path = analysis.tree().path(region.node);
        out.push_back({Suggestion::Kind::Tree,
                       fmt::format("{}: reg = <{}>;", path, cells_text(*base, size, address_cells, size_cells)), "", path,
                       "reg", {*base, size}, std::move(why)});
    };
    auto region_of = [&](NodeId node) { return node == kNoNode ? nullptr : reserved->find(node); };
    if (finding.rule == "dtb-overwritten" && !finding.ranges.empty() && finding.ranges.size() > 1) {
        if (const ReservedRegion* region = region_of(finding.node)) {
            alloc_ranges(*region, finding.ranges[1].start, "Lets the kernel allocate the pool only below the DTB.");
        }
    }
    if (finding.rule == "cma-activation-fails") {  // a pool across a zone boundary: end it there
        if (const ReservedRegion* region = region_of(finding.node)) {
            for (u64 limit : cma_limits(analysis)) {
                moved_below(*region, limit, fmt::format("Moves the pool into free RAM below {}, so that it lies in one zone.", hex(limit)));
            }
        }
    }
    if (finding.rule == "cma-above-dma-limit" || finding.rule == "dma-unreachable-pool") {
        std::vector<u64> limits = device_limits(analysis);
        if (limits.empty()) return out;
        u64 limit = *std::min_element(limits.begin(), limits.end());
        for (const ReservedRegion& region : reserved->regions) {
            bool target = finding.rule == "cma-above-dma-limit"
                              ? region.cma_default
                              : std::find(region.users.begin(), region.users.end(), finding.node) != region.users.end();
            if (target) {
                alloc_ranges(region, limit, fmt::format("Lets the kernel allocate the pool only below {}, where its "
                                                        "users reach.", hex(limit)));
                moved_below(region, limit, fmt::format("Moves the pool into free RAM below {}, where its users reach.", hex(limit)));
            }
        }
    }
    return out;
}

// The tree as it was compiled, before overlays, firmware and boot-loader edits, with
// one property set (each is applied again by the analysis).
std::vector<std::uint8_t> edited_blob(std::vector<std::uint8_t> blob, const Candidate& c, int address_cells, int size_cells) {
    blob.resize(blob.size() + 256);
    if (fdt_open_into(blob.data(), blob.data(), static_cast<int>(blob.size())) != 0) throw Error("cannot edit the tree");
    int node = fdt_path_offset(blob.data(), c.node.c_str());
    if (node < 0) throw Error("cannot edit the tree: no " + c.node);
    std::vector<fdt32_t> cells;
    for (std::size_t i = 0; i + 1 < c.values.size(); i += 2) {
        for (int k = address_cells; k-- > 0;) cells.push_back(cpu_to_fdt32(k >= 2 ? 0 : static_cast<std::uint32_t>(c.values[i] >> (32 * k))));
        for (int k = size_cells; k-- > 0;) cells.push_back(cpu_to_fdt32(k >= 2 ? 0 : static_cast<std::uint32_t>(c.values[i + 1] >> (32 * k))));
    }
    if (fdt_setprop(blob.data(), node, c.property.c_str(), cells.data(), static_cast<int>(cells.size() * 4)) != 0) {
        throw Error("cannot edit the tree");
    }
    fdt_pack(blob.data());
    blob.resize(fdt_totalsize(blob.data()));
    return blob;
}

std::pair<std::string, std::string> key_of(const Analysis& analysis, const Finding& f) {
    return {f.rule, f.node == kNoNode ? "" : analysis.tree().path(f.node)};
}

// The boot-argument suggestions together: each one's parameter replaces its name in turn.
void combine_arguments(const Request& request, const Analysis& analysis, const std::vector<Finding>& findings,
                       const LintOptions& options, Severity fail_on, const std::string& bootargs, Suggestions& result) {
    std::string combined = bootargs;
    std::size_t count = 0;
    for (const Suggestion& s : result.suggestions) {
        if (s.kind != Suggestion::Kind::BootArgument) continue;
        ++count;
        std::string name = s.change.starts_with("remove ") ? s.change.substr(7, s.change.size() - 8) : s.change.substr(0, s.change.find('='));
        combined = with_parameter(combined, name, s.change.starts_with("remove ") ? "" : s.change);
    }
    if (count <= 1) {
        for (const Suggestion& s : result.suggestions) {
            if (s.kind == Suggestion::Kind::BootArgument) result.bootargs = s.bootargs;
        }
        return;
    }
    Request changed = request;
    changed.boot.bootargs = combined;
    Analysis after = analyze(changed);
    MemoryDiff effect = diff_analyses(analysis, findings, after, lint(after, options));
    bool bad = std::any_of(effect.introduced.begin(), effect.introduced.end(), [&](const Finding& f) { return f.severity >= fail_on; });
    std::size_t fixes = 0;
    for (const Suggestion& s : result.suggestions) fixes += s.kind == Suggestion::Kind::BootArgument ? s.fixes.size() : 0;
    if (!bad && effect.fixed.size() >= fixes) result.bootargs = combined;
}

}  // namespace

std::string with_parameter(std::string_view bootargs, std::string_view name, std::string_view parameter) {
    std::string out;
    std::istringstream words{std::string(bootargs)};
    for (std::string word; words >> word;) {
        if (word.starts_with(std::string(name) + "=")) continue;
        out += (out.empty() ? "" : " ") + word;
    }
    if (!parameter.empty()) out += (out.empty() ? "" : " ") + std::string(parameter);
    return out;
}

Suggestions suggest(const Request& request, const Analysis& analysis, const LintOptions& options, Severity fail_on) {
    Suggestions result;
    if (!analysis.prediction) {
        result.no_prediction = analysis.no_prediction;
        return result;
    }
    std::vector<Finding> findings = lint(analysis, options);
    std::string bootargs = request.boot.bootargs.value_or(std::string(analysis.map.chosen.bootargs.value_or("")));
    std::optional<std::vector<std::uint8_t>> compiled;  // the tree before edits, for tree candidates
    std::set<std::string> tried;                      // change + target: each verified once
    std::set<std::pair<std::string, std::string>> fixed;  // findings a chosen suggestion already removes
    for (const Finding& target : findings) {
        if (fixed.count(key_of(analysis, target))) continue;
        std::vector<Candidate> candidates = tree_candidates(analysis, target);
        std::vector<Candidate> arguments = bootarg_candidates(analysis, target, bootargs);
        candidates.insert(candidates.end(), arguments.begin(), arguments.end());
        if (candidates.empty()) continue;
        std::vector<std::string> refusals;
        bool found[2] = {false, false};  // a verified boot argument, a verified tree change
        for (const Candidate& c : candidates) {
            int kind = static_cast<int>(c.kind);
            auto [rule, node] = key_of(analysis, target);
            if (found[kind] || !tried.insert(c.change + '\n' + rule + '\n' + node).second) continue;
            Request changed = request;
            if (c.kind == Suggestion::Kind::BootArgument) {
                changed.boot.bootargs = c.bootargs;
            } else {
                if (!compiled) {
                    LoadOptions plain;
                    plain.include_dirs = request.load.include_dirs;
                    plain.dtc = request.load.dtc;
                    plain.cpp = request.load.cpp;
                    compiled = load_tree(request.content ? *request.content : read_input(request.input), request.input, plain).tree.blob();
                }
                const ReservedMemory& reserved = *analysis.map.reserved_memory;
                try {
                    changed.content = edited_blob(*compiled, c, reserved.address_cells.value_or(1), reserved.size_cells.value_or(1));
                } catch (const Error& e) {
                    refusals.push_back(fmt::format("{} ({})", c.change, e.what()));
                    continue;
                }
            }
            std::optional<Analysis> analysed;
            try {
                analysed.emplace(analyze(changed));
            } catch (const Error& e) {  // a change the tree cannot take
                refusals.push_back(fmt::format("{} ({})", c.change, e.what()));
                continue;
            }
            const Analysis& after = *analysed;
            std::vector<Finding> after_findings = lint(after, options);
            bool still = std::any_of(after_findings.begin(), after_findings.end(),
                                     [&](const Finding& f) { return key_of(after, f) == key_of(analysis, target); });
            MemoryDiff effect = diff_analyses(analysis, findings, after, after_findings);
            auto bad = std::find_if(effect.introduced.begin(), effect.introduced.end(),
                                    [&](const Finding& f) { return f.severity >= fail_on; });
            if (still || bad != effect.introduced.end()) {
                refusals.push_back(fmt::format("{} ({})", c.change,
                                               still ? "the finding stays" : "brings " + finding_text(after, *bad)));
                continue;
            }
            Suggestion s{c.kind, c.change, c.bootargs, c.node, c.property, c.why, {}, {}, effect.changes};
            for (const Finding& f : effect.fixed) {
                s.fixes.push_back(finding_text(analysis, f));
                fixed.insert(key_of(analysis, f));
            }
            for (const Finding& f : effect.introduced) s.brings.push_back(finding_text(after, f));
            result.suggestions.push_back(std::move(s));
            found[kind] = true;
        }
        if (!found[0] && !found[1] && !refusals.empty()) {
            std::string list;
            for (std::size_t i = 0; i < refusals.size() && i < 3; ++i) list += (i ? "; " : "") + refusals[i];
            result.unfixed.push_back(fmt::format("{}: tried {}{}", finding_text(analysis, target), list,
                                                 refusals.size() > 3 ? fmt::format(" and {} more", refusals.size() - 3) : ""));
        }
    }
    combine_arguments(request, analysis, findings, options, fail_on, bootargs, result);
    result.remaining = std::count_if(findings.begin(), findings.end(), [&](const Finding& f) {
        return f.severity >= fail_on && !fixed.count(key_of(analysis, f));
    });
    return result;
}

}  // namespace dtmem
