// SPDX-License-Identifier: MIT
#include "dtmem/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "dtmem/error.hpp"
#include "dtmem/rules.hpp"

namespace dtmem {
namespace {

const std::set<std::string> kKeys = {"kernel", "arch", "kernel-config", "profile-file", "vmlinux", "bootargs", "load",
                                     "firmware", "memory", "cpus", "reserve", "include", "fail-on", "rules",
                                     "suppressions"};

class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
        throw Error(fmt::format("{}:{}: {}", path_, node.Mark().line + 1, message));
    }
    std::string scalar(const YAML::Node& node, const std::string& key) const {
        if (!node.IsScalar()) fail(node, key + " must be a string");
        return node.as<std::string>();
    }
    std::vector<std::string> list(const YAML::Node& node, const std::string& key) const {
        if (node.IsScalar()) return {node.as<std::string>()};
        if (!node.IsSequence()) fail(node, key + " must be a string or a list of strings");
        std::vector<std::string> out;
        for (const YAML::Node& item : node) out.push_back(scalar(item, key));
        return out;
    }
    Severity severity(const YAML::Node& node, const std::string& key) const {
        auto level = parse_severity(scalar(node, key));
        if (!level) fail(node, key + " must be error, warning or note");
        return *level;
    }
    u64 option(const YAML::Node& node, const std::string& id, const std::string& name) const {
        const RuleInfo* rule = find_rule(id);
        if (std::none_of(rule->options.begin(), rule->options.end(), [&](const RuleOption& o) { return o.name == name; })) {
            fail(node, fmt::format("{}: no option {} (dtmem explain {} lists its options)", id, name, id));
        }
        auto value = parse_size(scalar(node, name));
        if (!value) fail(node, fmt::format("{}: {} must be a number (a size may end in K, M or G)", id, name));
        return *value;
    }
    void rule(const YAML::Node& node, const std::string& id) const {
        if (!find_rule(id)) fail(node, id + ": no such rule (dtmem rules lists them)");
    }

private:
    std::string path_;
};

// A file or folder named in the config: relative to the config file's folder, since the
// config is found upward from inputs anywhere below it.
std::string beside(const std::string& config_path, const std::string& value) {
    std::filesystem::path path(value);
    if (value.empty() || path.is_absolute()) return value;
    return (std::filesystem::path(config_path).parent_path() / path).lexically_normal().string();
}

}  // namespace

std::optional<std::string> find_config(const std::string& input) {
    std::error_code error;
    std::filesystem::path dir = std::filesystem::absolute(input, error).parent_path();
    for (; !error && !dir.empty(); dir = dir.parent_path()) {
        std::filesystem::path candidate = dir / ".dtmem.yaml";
        std::error_code missing;  // absent here: look further up
        if (std::filesystem::is_regular_file(candidate, missing)) return candidate.string();
        if (dir == dir.root_path()) break;
    }
    return std::nullopt;
}

Config load_config(const std::string& path) {
    Config config;
    config.path = path;
    Reader read(path);
    YAML::Node root;
    try {
        std::ifstream in(path);
        if (!in) throw Error(fmt::format("{}: cannot open", path));
        root = YAML::Load(in);
    } catch (const YAML::Exception& e) {
        throw Error(fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
    }
    if (root.IsNull()) return config;
    if (!root.IsMap()) read.fail(root, "expected a map of settings");
    for (const auto& item : root) {
        std::string key = item.first.as<std::string>();
        const YAML::Node& value = item.second;
        if (!kKeys.count(key)) read.fail(item.first, key + ": unknown setting");
        if (key == "kernel") config.kernel = read.scalar(value, key);
        else if (key == "arch") config.arch = read.scalar(value, key);
        else if (key == "kernel-config") config.kernel_config = beside(path, read.scalar(value, key));
        else if (key == "profile-file") config.profile_file = beside(path, read.scalar(value, key));
        else if (key == "vmlinux") config.vmlinux = beside(path, read.scalar(value, key));
        else if (key == "bootargs") config.bootargs = read.scalar(value, key);
        else if (key == "load") config.load = read.scalar(value, key);
        else if (key == "firmware") config.firmware = read.scalar(value, key);
        else if (key == "memory") config.memory = read.list(value, key);
        else if (key == "cpus") {
            unsigned cpus = 0;
            if (!value.IsScalar() || !YAML::convert<unsigned>::decode(value, cpus) || cpus < 1 || cpus > (1u << 16)) {
                read.fail(value, "cpus must be a number of CPUs from 1 to 65536");
            }
            config.cpus = cpus;
        }
        else if (key == "reserve") config.reserve = read.list(value, key);
        else if (key == "include") {
            for (const std::string& dir : read.list(value, key)) config.include.push_back(beside(path, dir));
        } else if (key == "fail-on") config.fail_on = read.severity(value, key);
        else if (key == "rules") {
            if (!value.IsMap()) read.fail(value, "rules: expected RULE: off|error|warning|note, or RULE: {level: ..., OPTION: N}");
            for (const auto& rule : value) {
                std::string id = rule.first.as<std::string>();
                read.rule(rule.first, id);
                const YAML::Node& settings = rule.second;
                std::optional<YAML::Node> level;  // nothing: the catalogue's level
                if (!settings.IsMap()) {
                    level.emplace(settings);
                } else {
                    if (settings["level"]) level.emplace(settings["level"]);
                    for (const auto& option : settings) {
                        std::string name = option.first.as<std::string>();
                        if (name != "level") config.lint.rule_options[id][name] = read.option(option.second, id, name);
                    }
                }
                if (!level) continue;
                if (level->IsScalar() && (level->as<std::string>() == "off" || level->as<std::string>() == "false")) {
                    config.lint.enabled[id] = false;
                } else {
                    config.lint.enabled[id] = true;
                    config.lint.severity[id] = read.severity(*level, id);
                }
            }
        } else if (key == "suppressions") {
            if (!value.IsSequence()) read.fail(value, "suppressions: expected a list of {rule, node, reason}");
            for (const YAML::Node& entry : value) {
                if (!entry.IsMap()) read.fail(entry, "a suppression is {rule, node, reason}");
                Suppression s;
                for (const char* field : {"rule", "node", "reason"}) {
                    if (!entry[field]) read.fail(entry, fmt::format("a suppression needs its {}", field));
                }
                s.rule = read.scalar(entry["rule"], "rule");
                read.rule(entry["rule"], s.rule);
                s.node = read.scalar(entry["node"], "node");
                s.reason = read.scalar(entry["reason"], "reason");
                if (s.reason.empty()) read.fail(entry, "a suppression's reason may not be empty");
                config.lint.suppressions.push_back(std::move(s));
            }
        }
    }
    // As on the command line: one way to name the kernel.
    if ((config.kernel ? 1 : 0) + (config.kernel_config ? 1 : 0) + (config.profile_file ? 1 : 0) > 1) {
        read.fail(root, "kernel, kernel-config and profile-file name the kernel in three ways; give one");
    }
    return config;
}

std::string dump_config(const Config& config) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    auto optional = [&](const char* key, const std::optional<std::string>& value) {
        out << YAML::Key << key << YAML::Value;
        if (value) out << *value; else out << YAML::Null;
    };
    optional("kernel", config.kernel);
    optional("arch", config.arch);
    optional("kernel-config", config.kernel_config);
    optional("profile-file", config.profile_file);
    optional("vmlinux", config.vmlinux);
    optional("bootargs", config.bootargs);
    optional("load", config.load);
    optional("firmware", config.firmware);
    out << YAML::Key << "cpus" << YAML::Value;
    if (config.cpus) out << *config.cpus; else out << YAML::Null;
    out << YAML::Key << "memory" << YAML::Value << YAML::Flow << config.memory;
    out << YAML::Key << "reserve" << YAML::Value << YAML::Flow << config.reserve;
    out << YAML::Key << "include" << YAML::Value << YAML::Flow << config.include;
    out << YAML::Key << "fail-on" << YAML::Value << severity_name(config.fail_on.value_or(Severity::Error));
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginMap;
    for (const RuleInfo& rule : rule_catalogue()) {
        auto on = config.lint.enabled.find(rule.id);
        auto level = config.lint.severity.find(rule.id);
        std::string shown = on != config.lint.enabled.end() && !on->second
                                ? "off"
                                : severity_name(level != config.lint.severity.end() ? level->second : rule.severity);
        out << YAML::Key << rule.id << YAML::Value;
        if (rule.options.empty()) {
            out << shown;
            continue;
        }
        auto tuned = config.lint.rule_options.find(rule.id);
        out << YAML::BeginMap << YAML::Key << "level" << YAML::Value << shown;
        for (const RuleOption& o : rule.options) {
            u64 value = o.default_value;
            if (tuned != config.lint.rule_options.end() && tuned->second.count(o.name)) value = tuned->second.at(o.name);
            out << YAML::Key << o.name << YAML::Value << value;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    out << YAML::Key << "suppressions" << YAML::Value << YAML::BeginSeq;
    for (const Suppression& s : config.lint.suppressions) {
        out << YAML::BeginMap << YAML::Key << "rule" << YAML::Value << s.rule << YAML::Key << "node" << YAML::Value
            << s.node << YAML::Key << "reason" << YAML::Value << s.reason << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace dtmem
