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
        if (const YAML::Node source = yaml["source"]) {
            if (source["derived_from"]) profile.derived_from = source["derived_from"].as<std::string>();
            // Written by `dtmem profile` (profile_to_yaml()).
            if (source["estimated_from"]) profile.estimated_from = source["estimated_from"].as<std::string>();
            if (source["vmlinux"]) profile.vmlinux = source["vmlinux"].as<std::string>();
        }
        for (const auto& entry : yaml["config"]) {
            if (!entry.second.IsNull()) profile.config[entry.first.as<std::string>()] = entry.second.as<std::string>();
        }
        if (const YAML::Node build = yaml["build"]) {
            for (const auto& entry : build) {
                const YAML::Node value = entry.second.IsMap() ? entry.second["value"] : entry.second;
                if (entry.second.IsMap() && entry.second["source"]) {
                    profile.build_sources[entry.first.as<std::string>()] = entry.second["source"].as<std::string>();
                }
                if (entry.second.IsMap() && entry.second["estimated"] && entry.second["estimated"].as<bool>()) {
                    profile.estimated.insert(entry.first.as<std::string>());
                }
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

std::string profile_to_yaml(const KernelProfile& profile) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << profile.id;
    out << YAML::Key << "arch" << YAML::Value << arch_name(profile.arch);
    out << YAML::Key << "version" << YAML::Value << YAML::DoubleQuoted
        << fmt::format("{}.{}.{}", profile.version.major, profile.version.minor, profile.version.patch);
    out << YAML::Key << "variant" << YAML::Value << YAML::Null;
    out << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << profile.description;
    out << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
    if (!profile.estimated_from.empty()) out << YAML::Key << "estimated_from" << YAML::Value << profile.estimated_from;
    if (!profile.vmlinux.empty()) out << YAML::Key << "vmlinux" << YAML::Value << YAML::DoubleQuoted << profile.vmlinux;
    out << YAML::Key << "written_by" << YAML::Value << "dtmem profile";
    out << YAML::EndMap;
    out << YAML::Key << "default" << YAML::Value << false;
    // Every option the build sets, as the .config has it: read back, the profile derives the same.
    out << YAML::Key << "config" << YAML::Value << YAML::BeginMap;
    for (const auto& [option, value] : profile.config) out << YAML::Key << option << YAML::Value << YAML::DoubleQuoted << value;
    out << YAML::EndMap;
    out << YAML::Key << "build" << YAML::Value << YAML::BeginMap;
    auto entry = [&](const std::string& name, auto&& write_value) {
        out << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "value" << YAML::Value;
        write_value();
        if (profile.estimated.count(name)) out << YAML::Key << "estimated" << YAML::Value << true;
        if (auto source = profile.build_sources.find(name); source != profile.build_sources.end()) {
            out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << source->second;
        }
        out << YAML::EndMap;
    };
    // Not structured bindings: clang 14 (the fuzz build) cannot capture one in a lambda.
    for (const auto& number : profile.build) {
        if (number.first != "default") entry(number.first, [&] { out << number.second; });
    }
    for (const auto& list : profile.build_lists) {
        entry(list.first, [&] { out << YAML::Flow << list.second; });
    }
    out << YAML::EndMap << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace dtmem
