// SPDX-License-Identifier: MIT
#include "kernel/profile_yaml.hpp"

#include <charconv>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "dtmem/error.hpp"

namespace dtmem {

std::string arch_name(Arch arch) {
    switch (arch) {
        case Arch::Arm64: return "arm64";
        case Arch::Arm: return "arm";
        case Arch::Riscv64: return "riscv64";
    }
    return "?";
}

std::optional<Arch> parse_arch(std::string_view name) {
    if (name == "arm64" || name == "aarch64") return Arch::Arm64;
    if (name == "arm" || name == "armhf" || name == "arm32") return Arch::Arm;
    if (name == "riscv64" || name == "riscv") return Arch::Riscv64;
    return std::nullopt;
}

namespace detail {

// The first MAJOR.MINOR[.PATCH] in the text, as the regex (\d+)\.(\d+)(\.(\d+))? finds it.
KernelVersion parse_version(std::string_view text, const std::string& where) {
    const char* end = text.data() + text.size();
    for (std::size_t start = text.find_first_of("0123456789"); start != std::string_view::npos;
         start = text.find_first_of("0123456789", start + 1)) {
        int parts[3] = {0, 0, 0};
        int count = 0;
        for (const char* p = text.data() + start; count < 3;) {
            auto [next, ec] = std::from_chars(p, end, parts[count]);
            if (ec != std::errc{}) break;
            ++count;
            if (next == end || *next != '.') break;
            p = next + 1;
        }
        if (count >= 2) return {parts[0], parts[1], parts[2]};
    }
    throw Error(fmt::format("{}: no kernel version in \"{}\"", where, text));
}

KernelProfile parse_profile_yaml(const std::string& text, const std::string& where) {
    KernelProfile profile;
    try {
        YAML::Node yaml = YAML::Load(text);
        profile.id = yaml["id"].as<std::string>();
        auto arch = parse_arch(yaml["arch"].as<std::string>());
        if (!arch) throw Error(fmt::format("{}: unknown arch {}", where, yaml["arch"].as<std::string>()));
        profile.arch = *arch;
        profile.version = parse_version(yaml["version"].as<std::string>(), where);
        // The package version carries the patch level (6.12.13+ differs from 6.12.0).
        if (yaml["source"] && yaml["source"]["version"]) {
            KernelVersion package = parse_version(yaml["source"]["version"].as<std::string>(), where);
            if (package.major == profile.version.major && package.minor == profile.version.minor) profile.version = package;
        }
        profile.description = yaml["description"] ? yaml["description"].as<std::string>() : "";
        if (yaml["source"] && yaml["source"]["derived_from"]) {
            profile.derived_from = yaml["source"]["derived_from"].as<std::string>();
        }
        for (const auto& entry : yaml["config"]) {
            if (!entry.second.IsNull()) profile.config[entry.first.as<std::string>()] = entry.second.as<std::string>();
        }
        if (const YAML::Node build = yaml["build"]) {
            for (const auto& entry : build) {
                const YAML::Node value = entry.second.IsMap() ? entry.second["value"] : entry.second;
                if (value && value.IsSequence()) {
                    auto& list = profile.build_lists[entry.first.as<std::string>()];
                    for (const auto& item : value) list.push_back(std::stoll(item.as<std::string>(), nullptr, 0));
                } else if (value && value.IsScalar() && !value.IsNull()) {
                    std::string number_text = value.as<std::string>();
                    std::size_t used = 0;
                    std::int64_t number = std::stoll(number_text, &used, 0);
                    if (used != number_text.size()) {
                        throw Error(fmt::format("{}: build number {} = {} is not a number", where,
                                                entry.first.as<std::string>(), number_text));
                    }
                    profile.build[entry.first.as<std::string>()] = number;
                }
            }
        }
        profile.build["default"] = yaml["default"] && yaml["default"].as<bool>() ? 1 : 0;
    } catch (const YAML::Exception& e) {
        throw Error(fmt::format("kernel profile {}: {}", where, e.what()));
    } catch (const std::logic_error& e) {  // std::stoll on a malformed number
        throw Error(fmt::format("kernel profile {}: a build number is not a number ({})", where, e.what()));
    }
    return profile;
}

}  // namespace detail
}  // namespace dtmem
