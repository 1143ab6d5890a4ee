// SPDX-License-Identifier: MIT
// Where the per-build numbers of a profile come from: measured (shipped profiles), read from
// the built kernel (--vmlinux), or estimated from the nearest measured build.
#include "kernel/build_numbers.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "dtmem/vmlinux.hpp"
#include "kernel/embedded_rules.hpp"
#include "kernel/simulation.hpp"  // align_up()

namespace dtmem {
using detail::EmbeddedProfile;
using detail::embedded_profiles;
using detail::align_up;
using detail::FirstChunk;
using detail::first_chunk;
using detail::pcpu_small_allocations;
using detail::section_roots_bytes;
using detail::usemap_bytes;

namespace {

// Numbers that are constants of the kernel's source for an arch and page size, the same in
// every build (each profile cites where): never estimates.
constexpr std::string_view kSourceConstants[] = {"swiotlb_default_bytes", "swiotlb_slab_bytes", "section_size_bytes",
                                                 "memmap_bytes_per_section", "sparse_index_bytes",
                                                 "kernel_reserve_end_alignment", "arch_low_address_limit",
                                                 "page_directory_bytes"};

bool is_source_constant(std::string_view name) {
    return std::find(std::begin(kSourceConstants), std::end(kSourceConstants), name) != std::end(kSourceConstants);
}

int version_distance(const KernelVersion& a, const KernelVersion& b) {
    return std::abs((a.major * 100 + a.minor) - (b.major * 100 + b.minor));
}

// The measured (not derived) shipped profiles of `arch`, derived fields filled in; made once,
// as every prediction with estimates asks for them three times.
const std::vector<KernelProfile>& measured_profiles(Arch arch) {
    static const std::map<Arch, std::vector<KernelProfile>> by_arch = [] {
        std::map<Arch, std::vector<KernelProfile>> measured;
        for (const EmbeddedProfile& shipped : embedded_profiles()) {
            KernelProfile candidate = shipped.make();
            if (!candidate.derived_from.empty()) continue;
            candidate.derive();
            measured[candidate.arch].push_back(std::move(candidate));
        }
        return measured;
    }();
    static const std::vector<KernelProfile> none;
    auto it = by_arch.find(arch);
    return it == by_arch.end() ? none : it->second;
}

// The measured shipped profile a derived profile names, else the one of the same arch
// nearest in version, among those with the same page size and LPAE when there are any; the
// newer one on a tie.
KernelProfile nearest_measured(const KernelProfile& profile) {
    auto distance = [&](const KernelProfile& candidate) {
        bool other_build_kind = candidate.page_size != profile.page_size || candidate.lpae != profile.lpae;
        return (other_build_kind ? 10000 : 0) + version_distance(candidate.version, profile.version);
    };
    const KernelProfile* best = nullptr;
    for (const KernelProfile& candidate : measured_profiles(profile.arch)) {
        if (candidate.id == profile.derived_from) return candidate;
        if (!best || distance(candidate) < distance(*best) ||
            (distance(candidate) == distance(*best) && candidate.version > best->version)) {
            best = &candidate;
        }
    }
    if (!best) {
        throw Error(fmt::format("kernel profile {}: no measured profile of {} to take per-build numbers from",
                                profile.id, arch_name(profile.arch)));
    }
    return *best;
}

// The same build as a shipped profile: its exact version and the same value for every
// option a profile records.
bool same_build(const KernelProfile& profile, const KernelProfile& measured) {
    if (profile.version != measured.version) return false;
    return std::all_of(measured.config.begin(), measured.config.end(), [&](const auto& option) {
        auto it = profile.config.find(option.first);
        return it != profile.config.end() && it->second == option.second;
    }) && std::all_of(profile.config.begin(), profile.config.end(), [&](const auto& option) {
        return !measured.config.count(option.first) || measured.config.at(option.first) == option.second;
    });
}

}  // namespace

namespace detail {

void estimate_build_numbers(KernelProfile& profile) {
    KernelProfile measured = nearest_measured(profile);
    std::set<std::string> from_source;  // constants of this version's source, not estimates
    if (profile.arch == Arch::Arm64 && profile.page_size == 4096 && profile.version < KernelVersion{5, 12, 0}) {
        // arch/arm64/include/asm/sparsemem.h: SECTION_SIZE_BITS was 30 before 5.12 ("arm64/
        // sparsemem: reduce SECTION_SIZE_BITS"): 1 GiB sections, each with a 16 MiB memmap
        // (mm/sparse.c section_map_size()), a 336-byte usemap (sparse_init_nid()) and 16 KiB
        // of section roots (memblocks_present()), as the 5.10.223 memblock=debug boot
        // tests/kernel-cases/arm64-memblock-debug-1g/arm64-5.10.log allocates them.
        for (auto [name, value] : {std::pair<const char*, std::int64_t>{"section_size_bytes", 1 << 30},
                                   {"memmap_bytes_per_section", 16 << 20}, {"usemap_bytes_per_section", 336},
                                   {"section_roots_bytes", 16 << 10}}) {
            profile.build[name] = value;
            profile.build_sources[name] = "kernel source: SECTION_SIZE_BITS 30 before 5.12 (arch/arm64/include/asm/sparsemem.h)";
            from_source.insert(name);
        }
    }
    // A derived profile keeps its own numbers; the rest come from the measured one.
    std::set<std::string> copied;
    for (const auto& [name, value] : measured.build) {
        if (name != "default" && profile.build.emplace(name, value).second) copied.insert(name);
    }
    for (const auto& [name, values] : measured.build_lists) {
        if (profile.build_lists.emplace(name, values).second) copied.insert(name);
    }
    // A derived profile is unverified: the numbers it gives are estimates as well.
    if (profile.derived_from.empty() && same_build(profile, measured)) {
        for (const std::string& name : copied) profile.build_sources[name] = "measured on " + measured.id + ", the same build";
        return;
    }
    // The source's constants hold for the same page size and LPAE only.
    bool same_kind = measured.page_size == profile.page_size && measured.lpae == profile.lpae;
    for (const std::string& name : copied) {
        profile.build_sources[name] = "kernel source constant, as measured on " + measured.id;
    }
    auto estimate = [&](const std::string& name) {
        profile.estimated.insert(name);
        std::string& source = profile.build_sources[name];
        source = copied.count(name) ? "estimated: the value measured on " + measured.id : "estimated: " + source;
    };
    for (const auto& [name, value] : profile.build) {
        if (name != "default" && !(same_kind && is_source_constant(name)) && !from_source.count(name)) estimate(name);
    }
    for (const auto& [name, values] : profile.build_lists) estimate(name);
    profile.estimated_from = measured.id;
}

KernelProfile estimate_bound(const KernelProfile& profile, bool high) {
    KernelProfile bound = profile;
    const std::vector<KernelProfile>& measured = measured_profiles(profile.arch);
    // Twice a number, saturated: a profile file may give any 64-bit value.
    auto twice = [](std::int64_t value) {
        constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max(), kMin = std::numeric_limits<std::int64_t>::min();
        return value > kMax / 2 ? kMax : value < kMin / 2 ? kMin : value * 2;
    };
    for (const std::string& name : profile.estimated) {
        if (auto it = bound.build.find(name); it != bound.build.end()) {
            std::int64_t low = std::min(it->second / 2, twice(it->second)), top = std::max(it->second / 2, twice(it->second));
            for (const KernelProfile& other : measured) {
                if (auto value = other.build.find(name); value != other.build.end()) {
                    low = std::min(low, value->second);
                    top = std::max(top, value->second);
                }
            }
            it->second = high ? top : low;
        }
        if (auto it = bound.build_lists.find(name); it != bound.build_lists.end()) {
            for (std::int64_t& value : it->second) value = high ? twice(value) : value / 2;
        }
    }
    return bound;
}

// mm/percpu.c pcpu_build_alloc_info() for pcpu_embed_first_chunk(PERCPU_MODULE_RESERVE,
// PERCPU_DYNAMIC_RESERVE, PAGE_SIZE, ...): the parts fill PFN_ALIGN(their sum); the unit is at
// least PCPU_MIN_UNIT_SIZE (include/linux/percpu.h). Nothing for CONFIG_MEM_ALLOC_PROFILING,
// whose module reserve changed from release to release.
std::optional<FirstChunk> first_chunk(const KernelProfile& profile, u64 static_bytes) {
    if (profile.has("CONFIG_MEM_ALLOC_PROFILING")) return std::nullopt;
    if (static_bytes >= (u64{1} << 32)) return FirstChunk{0, 0, 0, static_bytes};  // not a kernel's: refused, never wrapped
    u64 reserved = profile.has("CONFIG_MODULES") ? 8 << 10 : 0;
    u64 dynamic_reserve = profile.has("CONFIG_64BIT") ? 28 << 10 : 20 << 10;
    if (profile.has("CONFIG_RANDOM_KMALLOC_CACHES")) dynamic_reserve <<= 2;  // PERCPU_DYNAMIC_SIZE_SHIFT 12
    u64 sum = align_up(static_bytes + reserved + dynamic_reserve, profile.page_size);
    return FirstChunk{static_bytes, reserved, sum - static_bytes - reserved, std::max<u64>(sum, 32 << 10)};
}

// The chunk slot lists (__pcpu_size_to_slot(unit) + 4 list heads), then
// pcpu_alloc_first_chunk() for the reserved part, if any, and the dynamic one: the chunk with
// its populated bitmap, alloc_map and bound_map (a bit per PCPU_MIN_ALLOC_SIZE, 4 bytes, of the
// page-aligned region) and a pcpu_block_md per page.
std::vector<std::int64_t> pcpu_small_allocations(const KernelProfile& profile, const FirstChunk& chunk, u64 chunk_struct,
                                                 u64 block_md) {
    u64 word = profile.has("CONFIG_64BIT") ? 8 : 4, page = profile.page_size;
    auto longs = [&](u64 bits) { return static_cast<std::int64_t>((bits + word * 8 - 1) / (word * 8) * word); };
    u64 slot = std::max<int>(static_cast<int>(std::bit_width(chunk.unit)) - 5 + 2, 1);  // PCPU_SLOT_BASE_SHIFT 5
    std::vector<std::int64_t> sizes = {static_cast<std::int64_t>((slot + 4) * 2 * word)};
    u64 static_aligned = align_up(chunk.static_bytes, 4);  // the dynamic part gives the difference
    auto region_maps = [&](u64 offset, u64 size) {
        u64 region = align_up(offset % page + size, page), bits = region / 4;
        for (std::int64_t bytes : {static_cast<std::int64_t>(chunk_struct) + longs(region / page), longs(bits), longs(bits + 1),
                                   static_cast<std::int64_t>(region / page * block_md)}) {
            sizes.push_back(bytes);
        }
    };
    if (chunk.reserved) region_maps(static_aligned, chunk.reserved);
    region_maps(static_aligned + chunk.reserved, chunk.dynamic - (static_aligned - chunk.static_bytes));
    return sizes;
}

u64 section_roots_bytes(u64 measured_roots_bytes, u64 mem_section_bytes) {
    return measured_roots_bytes / 32 * mem_section_bytes;
}

u64 usemap_bytes(const KernelProfile& profile, u64 section_bytes, u64 usage_struct_bytes) {
    u64 bits = profile.pageblock_bytes ? section_bytes / profile.pageblock_bytes * 4 : 0;
    return usage_struct_bytes + (bits + 63) / 64 * 8;
}

}  // namespace detail

namespace {

// A struct size the boot allocates by, read from the compile unit that allocates it.
struct StructNumber {
    std::string_view build;
    StructQuery query;
};

const std::vector<StructNumber>& struct_numbers() {
    static const std::vector<StructNumber> numbers = {
        {"sizeof_device_node", {"device_node", "drivers/of/fdt.c"}},  // unflatten_dt_nodes()
        {"sizeof_property", {"property", "drivers/of/fdt.c"}},        // populate_properties()
        {"sizeof_pg_data_t", {"pglist_data", "mm/numa.c"}},           // alloc_node_data() (6.12)
        {"sizeof_pg_data_t", {"pglist_data", "drivers/base/arch_numa.c"}},  // setup_node_data() (6.1)
        {"sizeof_struct_page", {"page", "mm/page_alloc.c"}},          // memmap
        {"resource_bytes_per_memory_region", {"resource", "kernel/resource.c"}},  // request_standard_resources()
        {"reserved_mem_entry_bytes", {"reserved_mem", "drivers/of/of_reserved_mem.c"}},  // alloc_reserved_mem_array()
    };
    return numbers;
}

}  // namespace

void apply_vmlinux(KernelProfile& profile, const std::string& path) {
    std::vector<StructQuery> structs;
    for (const StructNumber& number : struct_numbers()) structs.push_back(number.query);
    for (const char* name : {"pcpu_chunk", "pcpu_block_md"}) structs.push_back({name, "mm/percpu.c"});
    for (const char* name : {"mem_section", "mem_section_usage"}) structs.push_back({name, "mm/sparse.c"});
    structs.push_back({"kfence_metadata", "mm/kfence/core.c"});
    VmlinuxFacts facts = read_vmlinux(path, structs, {"_start", "_text", "_stext", "_end", "__init_begin", "__per_cpu_start",
                                                      "__per_cpu_end", "swapper_pg_dir"});
    if (facts.machine != arch_name(profile.arch)) {
        throw Error(fmt::format("--vmlinux {}: a kernel for {}, not for the profile's {}", path, facts.machine,
                                arch_name(profile.arch)));
    }
    // Only numbers the profile's boot uses: 0 is a step this version does not take. The file
    // is untrusted: a size no kernel has (4 GiB and more) stops the run instead of wrapping.
    auto set = [&](std::string_view name, std::optional<u64> value, std::string from) {
        auto it = profile.build.find(std::string(name));
        if (!value || it == profile.build.end() || it->second == 0) return;
        if (*value >= (u64{1} << 32)) throw Error(fmt::format("--vmlinux {}: {} would be {:#x}, not a kernel's", path, name, *value));
        it->second = static_cast<std::int64_t>(*value);
        profile.estimated.erase(it->first);
        profile.build_sources[it->first] = "vmlinux: " + from;
    };
    for (const StructNumber& number : struct_numbers()) {
        auto size = facts.struct_sizes.find(number.query.name);
        if (size != facts.struct_sizes.end()) {
            set(number.build, size->second,
                fmt::format("DWARF, sizeof(struct {}) in {}", number.query.name, number.query.unit));
        }
    }
    auto symbol = [&](const char* name) -> std::optional<u64> {
        auto it = facts.symbols.find(name);
        return it == facts.symbols.end() ? std::nullopt : std::optional<u64>(it->second);
    };
    auto difference = [&](const char* to, const char* from, u64 base = 0) -> std::optional<u64> {
        auto end = symbol(to), start = from ? symbol(from) : std::optional<u64>(base);
        if (!end || !start || *end < *start) return std::nullopt;
        return *end - *start;
    };
    // A struct that computed numbers scale with (none is 1 MiB: larger is not a kernel's).
    auto struct_size = [&](const char* name) -> std::optional<u64> {
        auto it = facts.struct_sizes.find(name);
        return it == facts.struct_sizes.end() || it->second >= (u64{1} << 20) ? std::nullopt : std::optional<u64>(it->second);
    };
    // The Image header's image_size: _end - _text on arm64 (arch/arm64/kernel/image.h
    // _kernel_size_le), _end - _start on riscv (arch/riscv/kernel/head.S).
    bool riscv = profile.arch == Arch::Riscv64;
    set("image_size", difference("_end", riscv ? "_start" : "_text"), riscv ? "symbols _end - _start" : "symbols _end - _text");
    // Numbers only builds unlike the measured ones use, so no profile has a value to replace:
    // where arm64's block-mapped linear map splits around the kernel text (map_mem()), and the
    // KFENCE metadata a build with sampling on allocates (mm_core_init()).
    auto add = [&](std::string_view name, std::optional<u64> value, std::string from) {
        if (!value) return;
        profile.build[std::string(name)] = 1;  // present and not 0: set() takes it
        set(name, value, std::move(from));
    };
    if (profile.arch == Arch::Arm64) add("init_begin_offset", difference("__init_begin", "_text"), "symbols __init_begin - _text");
    add("sizeof_kfence_metadata", struct_size("kfence_metadata"), "DWARF, sizeof(struct kfence_metadata) in mm/kfence/core.c");
    // 32-bit ARM reserves [__pa(_stext), __pa(_end)) (arch/arm/mm/init.c arm_memblock_init())
    // and keeps the initial page directory at swapper_pg_dir, below the kernel (head.S).
    if (profile.arch == Arch::Arm) {
        set("text_offset", difference("_text", nullptr, profile.page_offset), "symbols _text - PAGE_OFFSET");
        set("kernel_reserve_start_offset", difference("_stext", nullptr, profile.page_offset), "symbols _stext - PAGE_OFFSET");
        set("kernel_reserve_end_offset", difference("_end", nullptr, profile.page_offset), "symbols _end - PAGE_OFFSET");
        set("page_directory_offset", difference("swapper_pg_dir", nullptr, profile.page_offset),
            "symbols swapper_pg_dir - PAGE_OFFSET");
    }
    // Numbers computed from struct sizes replace only estimates (a measured build keeps its own).
    if (auto mem_section = struct_size("mem_section"); mem_section && profile.estimated.count("section_roots_bytes")) {
        u64 measured = static_cast<u64>(profile.build.at("section_roots_bytes"));
        set("section_roots_bytes", section_roots_bytes(measured, *mem_section),
            fmt::format("DWARF, sizeof(struct mem_section) {} in mm/sparse.c, for the {} of {} (32-byte mem_section)",
                        *mem_section, measured, profile.estimated_from));
    }
    if (auto usage = struct_size("mem_section_usage");
        usage && profile.estimated.count("usemap_bytes_per_section") && profile.build.count("section_size_bytes")) {
        set("usemap_bytes_per_section", usemap_bytes(profile, static_cast<u64>(profile.build.at("section_size_bytes")), *usage),
            fmt::format("DWARF, sizeof(struct mem_section_usage) {} in mm/sparse.c, and 4 bits per pageblock", *usage));
    }
    std::optional<u64> per_cpu = difference("__per_cpu_end", "__per_cpu_start");
    std::optional<FirstChunk> chunk = per_cpu ? first_chunk(profile, *per_cpu) : std::nullopt;
    if (chunk) {
        set("pcpu_unit_bytes", chunk->unit,
            fmt::format("symbols __per_cpu_end - __per_cpu_start = {} bytes, plus the module and dynamic reserves, "
                        "page aligned (pcpu_embed_first_chunk())", *per_cpu));
    }
    auto chunk_struct = struct_size("pcpu_chunk"), block_md = struct_size("pcpu_block_md");
    if (chunk && chunk_struct && block_md && profile.estimated.count("pcpu_small_allocations")) {
        profile.build_lists["pcpu_small_allocations"] = pcpu_small_allocations(profile, *chunk, *chunk_struct, *block_md);
        profile.estimated.erase("pcpu_small_allocations");
        profile.build_sources["pcpu_small_allocations"] =
            fmt::format("vmlinux: DWARF, sizeof(struct pcpu_chunk) {} and sizeof(struct pcpu_block_md) {} in mm/percpu.c, "
                        "with the first chunk's parts (pcpu_setup_first_chunk())", *chunk_struct, *block_md);
    }
    profile.vmlinux = path;
}

}  // namespace dtmem
