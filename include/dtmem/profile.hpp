// SPDX-License-Identifier: MIT
// A kernel profile: architecture, version and the configuration that decides where memory
// goes at boot. Shipped profiles live in rules/profiles/*.yaml (raw CONFIG_ values plus
// per-build numbers measured on real boots); a .config goes through the same derivation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dtmem/range.hpp"

namespace dtmem {

class Tree;

enum class Arch { Arm64, Arm, Riscv64 };

struct KernelVersion {
    int major = 0;
    int minor = 0;
    int patch = 0;  // 0 when only major.minor is known
    friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

struct KernelProfile {
    std::string id;  // "arm64-6.12", or "config:FILE" for a .config
    Arch arch = Arch::Arm64;
    KernelVersion version;
    std::string description;
    std::map<std::string, std::string> config;  // CONFIG_X -> value; absent = not set
    std::map<std::string, std::int64_t> build;  // per-build numbers (struct sizes, offsets)
    std::map<std::string, std::vector<std::int64_t>> build_lists;  // per-build sequences
    // Where the per-build numbers came from when this build was not measured (a .config, a
    // derived profile): the names of `build`/`build_lists` entries estimated from the measured
    // profile `estimated_from` (--vmlinux takes some of them out again).
    std::string derived_from;  // a shipped profile's source.derived_from
    std::string estimated_from;
    std::set<std::string> estimated;
    std::string vmlinux;  // the built kernel the numbers were read from (--vmlinux)
    std::map<std::string, std::string> build_sources;  // build number -> where its value came from

    // Derived from `config` (see derive()).
    u64 page_size = 4096;
    u64 pageblock_bytes = 0;  // pageblock_nr_pages pages
    u64 max_order_bytes = 0;  // MAX_ORDER_NR_PAGES pages: ZONE_MOVABLE's alignment
    u64 cma_alignment_bytes = 0;  // the least a CMA area is aligned to (CMA_MIN_ALIGNMENT_BYTES)
    bool zone_dma = false, zone_dma32 = false, zone_device = false, highmem = false, lpae = false;
    bool cma = false;
    u64 cma_size_bytes = 0;  // the Kconfig default area (CONFIG_CMA_SIZE_*), 0 = none
    int cma_size_percentage = 0;
    std::string cma_size_selection = "mbytes";  // mbytes | percentage | min | max
    int cma_areas = 0;  // MAX_CMA_AREAS
    bool swiotlb = false;
    bool dma_restricted_pool = false;
    bool dma_bounce_unaligned_kmalloc = false;
    u64 page_offset = 0;  // 32-bit ARM: CONFIG_PAGE_OFFSET

    bool has(const std::string& option) const;  // "y" (or "m")
    std::optional<u64> number(const std::string& option) const;
    // The build number `name`; Error naming the profile when it does not give it.
    std::int64_t build_number(const std::string& name) const;
    // Fills the derived fields from `config`; throws dtmem::Error when they contradict.
    void derive();
};

// The ids of the shipped profiles (rules/profiles/ID.yaml, compiled into the binary), sorted.
const std::vector<std::string>& shipped_profile_ids();
// One shipped profile. Throws dtmem::Error when there is none of that id.
KernelProfile shipped_profile(const std::string& id);
// A profile from a YAML file of the shipped profiles' form (--profile-file). Throws dtmem::Error.
KernelProfile profile_from_file(const std::string& path);
// The profile as YAML of that form (`dtmem profile`): every option a shipped profile records,
// and each build number with where it came from (the vmlinux, an estimate, the source), so
// that profile_from_file() gives back the same profile, estimates still marked.
std::string profile_to_yaml(const KernelProfile& profile);
// The shipped profile `id` ("arm64-6.12", also "6.12" with `arch`), or the arch's default.
// Throws dtmem::Error naming the known ids when there is none.
KernelProfile find_profile(const std::string& id, const std::optional<Arch>& arch);
// A profile from a kernel .config ("# Linux/arm64 6.12.57 Kernel Configuration" gives
// arch and version). Build numbers come from the shipped profile of the same arch and
// version when there is one.
KernelProfile profile_from_config(const std::string& path);

// A 32-bit ARM machine descriptor that changes memory (rules/quirks/arm-machines.yaml).
struct ArmMachine {
    std::string name;
    std::optional<u64> dma_zone_size;  // only where the kernel's config enables it
    std::string reserve_hook;          // "omap_reserve", "rx51_reserve", … or empty
};

// The descriptor setup_machine_fdt() picks for this root `compatible` list in this kernel
// (of_flat_dt_match_machine(): the earliest root string any built-in machine lists wins),
// or nothing for the generic DT machine.
std::optional<ArmMachine> match_arm_machine(const std::vector<std::string_view>& root_compatible,
                                            const KernelProfile& profile);

// Reads the per-build numbers the built kernel gives (struct sizes from DWARF, the image and
// per-CPU section sizes from symbols) from its vmlinux into `profile`; they are no longer
// estimated. Throws dtmem::Error when the file is not a vmlinux of the profile's arch.
void apply_vmlinux(KernelProfile& profile, const std::string& path);

// What the user asked for: --kernel (a profile id or a version), --arch, --kernel-config,
// --profile-file, --vmlinux.
struct ProfileRequest {
    std::string kernel;
    std::string arch;
    std::string config_file;
    std::string profile_file;
    std::string vmlinux;
};

// The profile to predict with. When the arch is not given it is read from the tree's CPUs
// (riscv → riscv64, ARMv7 cores or 1-cell root addresses → arm, else arm64); when no kernel
// is given, the arch's default profile. `assumed` says what was not given but used.
KernelProfile select_profile(const ProfileRequest& request, const Tree& tree, std::string& assumed);

std::string arch_name(Arch arch);
std::optional<Arch> parse_arch(std::string_view name);

}  // namespace dtmem
