// SPDX-License-Identifier: MIT
#include "dtmem/profile.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt/format.h no longer has it from fmt 11 on)
#include <yaml-cpp/yaml.h>

#include "dtmem/error.hpp"
#include "dtmem/tree.hpp"
#include "kernel/embedded_rules.hpp"
#include "kernel/profile_yaml.hpp"

namespace dtmem {
namespace fs = std::filesystem;

bool KernelProfile::has(const std::string& option) const {
    auto it = config.find(option);
    return it != config.end() && (it->second == "y" || it->second == "m");
}

std::optional<u64> KernelProfile::number(const std::string& option) const {
    auto it = config.find(option);
    if (it == config.end()) return std::nullopt;
    auto value = parse_size(it->second);
    if (!value) throw Error(fmt::format("kernel profile {}: {}={} is not a number", id, option, it->second));
    return value;
}

std::int64_t KernelProfile::build_number(const std::string& name) const {
    auto it = build.find(name);
    if (it == build.end()) {
        throw Error(fmt::format("kernel profile {} has no build number {} (measure it with a memblock=debug boot, "
                                "see rules/profiles/README.md)", id, name));
    }
    return it->second;
}

void KernelProfile::derive() {
    bool v6_4 = version >= KernelVersion{6, 4, 0};  // MAX_ORDER became inclusive in 6.4
    int page_shift = 12;
    if (arch == Arch::Arm64 && has("CONFIG_ARM64_16K_PAGES")) page_shift = 14;
    if (arch == Arch::Arm64 && has("CONFIG_ARM64_64K_PAGES")) page_shift = 16;
    page_size = u64{1} << page_shift;

    // include/linux/pageblock-flags.h: pageblock_order, the CMA alignment unit.
    auto forced = number("CONFIG_ARCH_FORCE_MAX_ORDER");
    if (!forced) forced = number("CONFIG_FORCE_MAX_ZONEORDER");
    int max_order = v6_4 ? static_cast<int>(forced.value_or(10)) : static_cast<int>(forced.value_or(11)) - 1;
    int pmd_order = 21 - 12;  // 2 MiB PMD with 4 KiB pages (arm64, ARM LPAE, riscv64)
    if (page_shift == 14) pmd_order = 25 - 14;
    if (page_shift == 16) pmd_order = 29 - 16;
    bool hugetlb = has("CONFIG_HUGETLB_PAGE");
    bool thp = has("CONFIG_TRANSPARENT_HUGEPAGE");
    int pageblock_order = max_order;
    if (hugetlb || (version >= KernelVersion{6, 12, 0} && thp)) pageblock_order = std::min(pmd_order, max_order);
    pageblock_bytes = page_size << pageblock_order;
    max_order_bytes = page_size << max_order;

    zone_dma = has("CONFIG_ZONE_DMA");
    zone_dma32 = has("CONFIG_ZONE_DMA32");
    zone_device = has("CONFIG_ZONE_DEVICE");
    highmem = has("CONFIG_HIGHMEM");
    lpae = has("CONFIG_ARM_LPAE");
    cma = has("CONFIG_CMA") && has("CONFIG_DMA_CMA");
    cma_size_bytes = number("CONFIG_CMA_SIZE_MBYTES").value_or(cma ? 16 : 0) << 20;
    cma_size_percentage = static_cast<int>(number("CONFIG_CMA_SIZE_PERCENTAGE").value_or(10));
    if (has("CONFIG_CMA_SIZE_SEL_PERCENTAGE")) cma_size_selection = "percentage";
    if (has("CONFIG_CMA_SIZE_SEL_MIN")) cma_size_selection = "min";
    if (has("CONFIG_CMA_SIZE_SEL_MAX")) cma_size_selection = "max";
    // include/linux/cma.h: MAX_CMA_AREAS is 1 + CONFIG_CMA_AREAS before 6.12.
    int areas = static_cast<int>(number("CONFIG_CMA_AREAS").value_or(cma ? 7 : 0));
    cma_areas = version >= KernelVersion{6, 12, 0} ? areas : areas + 1;
    swiotlb = has("CONFIG_SWIOTLB");
    dma_restricted_pool = has("CONFIG_DMA_RESTRICTED_POOL");
    dma_bounce_unaligned_kmalloc = has("CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC");
    page_offset = number("CONFIG_PAGE_OFFSET").value_or(0);
    if (arch == Arch::Arm && page_offset == 0) {
        throw Error(fmt::format("kernel profile {}: CONFIG_PAGE_OFFSET is missing", id));
    }
}

const std::vector<std::string>& shipped_profile_ids() {
    static const std::vector<std::string> ids = [] {
        std::vector<std::string> found;
        for (const detail::EmbeddedProfile& shipped : detail::embedded_profiles()) found.emplace_back(shipped.id);
        return found;
    }();
    return ids;
}

// Each profile is built once per process; a batch run predicts many trees with the same profiles.
KernelProfile shipped_profile(const std::string& id) {
    static std::mutex mutex;
    static std::map<std::string, KernelProfile, std::less<>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto cached = cache.find(id); cached != cache.end()) return cached->second;
    auto shipped = detail::embedded_profiles();
    auto it = std::lower_bound(shipped.begin(), shipped.end(), id,
                               [](const detail::EmbeddedProfile& p, const std::string& wanted) { return p.id < wanted; });
    if (it == shipped.end() || it->id != id) throw Error(fmt::format("no shipped kernel profile {}", id));
    KernelProfile profile = it->make();
    profile.derive();
    return cache.emplace(id, std::move(profile)).first->second;
}

KernelProfile profile_from_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot open kernel profile {}", path));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    KernelProfile profile = detail::parse_profile_yaml(text, path);
    profile.derive();
    return profile;
}

KernelProfile find_profile(const std::string& id, const std::optional<Arch>& arch) {
    const std::vector<std::string>& known = shipped_profile_ids();
    auto is_known = [&](const std::string& name) { return std::find(known.begin(), known.end(), name) != known.end(); };
    if (!id.empty()) {
        // "--kernel arm64-6.12", or "--kernel 6.12 --arch arm64" (the non-variant profile).
        std::string wanted = arch && !is_known(id) ? arch_name(*arch) + "-" + id : id;
        if (is_known(wanted)) {
            KernelProfile profile = shipped_profile(wanted);
            if (arch && profile.arch != *arch) throw Error(fmt::format("kernel profile {} is not for {}", id, arch_name(*arch)));
            return profile;
        }
    } else {
        for (const std::string& name : known) {
            if (arch && !name.starts_with(arch_name(*arch) + "-")) continue;
            KernelProfile profile = shipped_profile(name);
            if (profile.build.count("default") && profile.build.at("default")) return profile;
        }
    }
    throw Error(fmt::format("no kernel profile {}{}; known: {}", id.empty() ? "default" : id,
                            arch ? " for " + arch_name(*arch) : "", fmt::join(known, ", ")));
}

KernelProfile profile_from_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("cannot open kernel config {}", path));
    KernelProfile profile;
    profile.id = "config:" + fs::path(path).filename().string();
    // "# Linux/arm64 6.12.57 Kernel Configuration", then "CONFIG_X=value" lines.
    constexpr std::string_view kHeader = "# Linux/", kHeaderEnd = " Kernel Configuration";
    std::string line;
    bool have_header = false;
    while (std::getline(in, line)) {
        std::string_view text = line;
        if (!have_header && text.starts_with(kHeader) && text.ends_with(kHeaderEnd)) {
            text = text.substr(kHeader.size(), text.size() - kHeader.size() - kHeaderEnd.size());
            std::size_t space = text.find(' ');
            std::string arch_text(text.substr(0, space));
            auto arch = parse_arch(arch_text);
            if (!arch) throw Error(fmt::format("{}: architecture {} is not modelled (arm64, arm, riscv)", path, arch_text));
            profile.arch = *arch;
            profile.version = detail::parse_version(space == std::string_view::npos ? "" : text.substr(space + 1), path);
            have_header = true;
        } else if (std::size_t equals = text.find('='); text.starts_with("CONFIG_") && equals != std::string_view::npos) {
            std::string_view value = text.substr(equals + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            profile.config[std::string(text.substr(0, equals))] = std::string(value);
        }
    }
    if (!have_header) throw Error(fmt::format("{}: no \"# Linux/ARCH VERSION Kernel Configuration\" line", path));
    profile.description = fmt::format("from {} (Linux/{} {}.{}.{})", path, arch_name(profile.arch), profile.version.major,
                                      profile.version.minor, profile.version.patch);
    // Per-build numbers cannot be read from a .config: take the shipped profile's of the
    // same arch and version when there is one.
    // The variant builds have ids of their own: "-lpae" (ARM LPAE), "-16k" (arm64 16 KiB pages).
    std::string variant = profile.has("CONFIG_ARM_LPAE") ? "-lpae" : profile.has("CONFIG_ARM64_16K_PAGES") ? "-16k" : "";
    std::string twin = fmt::format("{}-{}.{}{}", arch_name(profile.arch), profile.version.major, profile.version.minor,
                                   variant);
    const auto& ids = shipped_profile_ids();
    if (std::find(ids.begin(), ids.end(), twin) != ids.end()) {
        KernelProfile shipped = shipped_profile(twin);
        profile.build = shipped.build;
        profile.build_lists = shipped.build_lists;
        profile.build["default"] = 0;
    }
    profile.derive();
    return profile;
}

namespace {

Arch guess_arch(const Tree& tree) {
    static constexpr std::string_view kArmV7[] = {"arm,cortex-a5", "arm,cortex-a7", "arm,cortex-a8", "arm,cortex-a9",
                                                  "arm,cortex-a12", "arm,cortex-a15", "arm,cortex-a17", "marvell,pj4a",
                                                  "marvell,pj4b", "qcom,krait"};
    bool armv7 = false, armv8 = false;
    NodeId cpus = tree.find_path("/cpus");
    for (NodeId cpu = cpus == kNoNode ? kNoNode : tree.first_child(cpus); cpu != kNoNode; cpu = tree.next_sibling(cpu)) {
        const Property* compatible = tree.find_property(cpu, "compatible");
        if (!compatible) continue;
        for (std::string_view c : compatible->as_strings()) {
            if (c.starts_with("riscv")) return Arch::Riscv64;
            if (std::find(std::begin(kArmV7), std::end(kArmV7), c) != std::end(kArmV7)) {
                armv7 = true;
            } else if (c.starts_with("arm,")) {
                armv8 = true;
            }
        }
    }
    const Property* cells = tree.find_property(tree.root(), "#address-cells");
    bool one_cell = cells && cells->as_u32() == 1u;
    return armv7 || (one_cell && !armv8) ? Arch::Arm : Arch::Arm64;
}

}  // namespace

KernelProfile select_profile(const ProfileRequest& request, const Tree& tree, std::string& assumed) {
    if (!request.config_file.empty()) return profile_from_config(request.config_file);
    if (!request.profile_file.empty()) return profile_from_file(request.profile_file);
    std::optional<Arch> arch;
    if (!request.arch.empty()) {
        arch = parse_arch(request.arch);
        if (!arch) throw Error(fmt::format("unknown --arch {} (arm64, arm, riscv64)", request.arch));
    } else if (request.kernel.empty() || std::isdigit(static_cast<unsigned char>(request.kernel[0]))) {
        arch = guess_arch(tree);
        assumed = fmt::format("arch {} (from the tree's CPUs; give --arch)", arch_name(*arch));
    }
    KernelProfile profile = find_profile(request.kernel, arch);
    if (request.kernel.empty()) {
        assumed += fmt::format("{}kernel profile {} (the default for {}; give --kernel)", assumed.empty() ? "" : ", ",
                               profile.id, arch_name(profile.arch));
    }
    return profile;
}

namespace {

struct MachineRule {
    std::string name;
    std::string built_by;  // the CONFIG_ option that builds the machine in
    std::vector<std::string> compat_requires;
    std::map<std::string, std::vector<std::string>> compat_by_version;  // "" = every version
    std::optional<u64> dma_zone_size;
    std::vector<std::string> dma_zone_size_requires;
    std::string reserve_hook;
};

std::vector<std::string> strings_of(const YAML::Node& list) {
    std::vector<std::string> out;
    if (list) {
        for (const auto& item : list) {
            std::string text = item.as<std::string>();
            out.push_back(text.substr(0, text.find(' ')));  // "CONFIG_X (why)" → CONFIG_X
        }
    }
    return out;
}

const std::vector<MachineRule>& machine_rules() {
    static const std::vector<MachineRule> rules = [] {
        std::vector<MachineRule> loaded;
        try {
            YAML::Node yaml = YAML::Load(std::string(detail::embedded_arm_machines_yaml()));
            for (const auto& machine : yaml["machines"]) {
                MachineRule rule;
                rule.name = machine["name"].as<std::string>();
                if (machine["debian_armmp"] && machine["debian_armmp"]["config"]) {
                    rule.built_by = machine["debian_armmp"]["config"].as<std::string>();
                }
                rule.compat_requires = strings_of(machine["dt_compat_requires"]);
                for (const auto& c : machine["dt_compat"]) rule.compat_by_version[""].push_back(c.as<std::string>());
                if (const YAML::Node by_version = machine["dt_compat_by_version"]) {
                    for (const auto& entry : by_version) {
                        for (const auto& c : entry.second) {
                            rule.compat_by_version[entry.first.as<std::string>()].push_back(c.as<std::string>());
                        }
                    }
                }
                if (machine["dma_zone_size"] && !machine["dma_zone_size"].IsNull()) {
                    rule.dma_zone_size = machine["dma_zone_size"].as<u64>();
                }
                rule.dma_zone_size_requires = strings_of(machine["dma_zone_size_requires"]);
                if (machine["reserve"] && !machine["reserve"].IsNull()) {
                    std::string hook = machine["reserve"].as<std::string>();
                    rule.reserve_hook = hook.substr(0, hook.find('('));
                }
                loaded.push_back(std::move(rule));
            }
        } catch (const YAML::Exception& e) {
            throw Error(fmt::format("machine quirks rules/quirks/arm-machines.yaml: {}", e.what()));
        }
        return loaded;
    }();
    return rules;
}

}  // namespace

// The quirk file in lower case, for a cheap first look before it is parsed.
const std::string& machine_rules_text() {
    static const std::string text = [] {
        std::string content(detail::embedded_arm_machines_yaml());
        for (char& c : content) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return content;
    }();
    return text;
}

std::optional<ArmMachine> match_arm_machine(const std::vector<std::string_view>& root_compatible,
                                            const KernelProfile& profile) {
    // A machine can only match a root string that occurs in the file (quoted): most boards
    // match none, and then the file need not be parsed.
    bool mentioned = std::any_of(root_compatible.begin(), root_compatible.end(), [](std::string_view c) {
        std::string quoted = "\"" + std::string(c) + "\"";
        for (char& ch : quoted) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return machine_rules_text().find(quoted) != std::string::npos;
    });
    if (!mentioned) return std::nullopt;
    std::string version = fmt::format("{}.{}", profile.version.major, profile.version.minor);
    auto all_set = [&](const std::vector<std::string>& options) {
        return std::all_of(options.begin(), options.end(), [&](const std::string& o) { return profile.has(o); });
    };
    std::optional<ArmMachine> best;
    std::size_t best_score = 0;
    for (const MachineRule& rule : machine_rules()) {
        if (rule.built_by.empty() || !profile.has(rule.built_by) || !all_set(rule.compat_requires)) continue;
        auto compat = rule.compat_by_version.count(version) ? rule.compat_by_version.at(version)
                                                            : rule.compat_by_version.at("");
        // of_fdt_is_compatible(): 1-based position of the string in the root list.
        std::size_t score = 0;
        for (const std::string& wanted : compat) {
            for (std::size_t i = 0; i < root_compatible.size(); ++i) {
                if (strcasecmp(std::string(root_compatible[i]).c_str(), wanted.c_str()) == 0 && (score == 0 || i + 1 < score)) {
                    score = i + 1;
                }
            }
        }
        if (score == 0 || (best && score >= best_score)) continue;
        best = ArmMachine{rule.name, all_set(rule.dma_zone_size_requires) ? rule.dma_zone_size : std::nullopt,
                          rule.reserve_hook};
        best_score = score;
    }
    return best;
}

}  // namespace dtmem
