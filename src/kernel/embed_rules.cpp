// SPDX-License-Identifier: MIT
// Build step: compiles rules/profiles/*.yaml, rules/quirks/arm-machines.yaml and the rule
// catalogue rules/lint.yaml into C++ (the definitions declared in embedded_rules.hpp and
// dtmem/rules.hpp).
//   dtmem-embed-rules OUT.cpp QUIRKS.yaml LINT.yaml PROFILE.yaml...
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "kernel/profile_yaml.hpp"
#include "rules_yaml.hpp"

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw dtmem::Error(fmt::format("cannot open {}", path));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A C++ string literal for any bytes.
std::string literal(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\{:03o}", c);  // octal: never swallows a following digit
        }
    }
    return out + "\"";
}

std::string profile_function(const dtmem::KernelProfile& p, std::size_t index) {
    std::string out = fmt::format("KernelProfile profile_{}() {{\n    KernelProfile p;\n", index);
    out += fmt::format("    p.id = {};\n    p.arch = static_cast<Arch>({});\n", literal(p.id), static_cast<int>(p.arch));
    out += fmt::format("    p.version = {{{}, {}, {}}};\n", p.version.major, p.version.minor, p.version.patch);
    out += fmt::format("    p.description = {};\n    p.derived_from = {};\n    p.config = {{\n", literal(p.description),
                       literal(p.derived_from));
    for (const auto& [key, value] : p.config) out += fmt::format("        {{{}, {}}},\n", literal(key), literal(value));
    out += "    };\n    p.build = {\n";
    for (const auto& [key, value] : p.build) out += fmt::format("        {{{}, {}LL}},\n", literal(key), value);
    out += "    };\n    p.build_lists = {\n";
    for (const auto& [key, values] : p.build_lists) {
        out += fmt::format("        {{{}, {{", literal(key));
        for (std::int64_t v : values) out += fmt::format("{}LL, ", v);
        out += "}},\n";
    }
    return out + "    };\n    return p;\n}\n\n";
}

std::string catalogue_function(const std::vector<dtmem::RuleInfo>& rules) {
    std::string out = "std::span<const RuleInfo> rule_catalogue() {\n    static const RuleInfo list[] = {\n";
    for (const dtmem::RuleInfo& r : rules) {
        std::string options;
        for (const dtmem::RuleOption& o : r.options) {
            options += fmt::format("{{{}, {}ULL, {}}}, ", literal(o.name), o.default_value, literal(o.help));
        }
        out += fmt::format("        {{{}, static_cast<Severity>({}), {}, {}, {}, {}, {{{}}}}},\n", literal(r.id),
                           static_cast<int>(r.severity), literal(r.summary), literal(r.rationale), literal(r.fix),
                           literal(r.kernel), options);
    }
    return out + "    };\n    return list;\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: dtmem-embed-rules OUT.cpp QUIRKS.yaml LINT.yaml PROFILE.yaml...\n";
        return 2;
    }
    try {
        std::vector<dtmem::KernelProfile> profiles;
        for (int i = 4; i < argc; ++i) profiles.push_back(dtmem::detail::parse_profile_yaml(read_text(argv[i]), argv[i]));
        std::sort(profiles.begin(), profiles.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        std::string out = "// SPDX-License-Identifier: MIT\n// Generated from rules/ by dtmem-embed-rules at build time: do not edit.\n"
                          "#include \"dtmem/rules.hpp\"\n#include \"kernel/embedded_rules.hpp\"\n\nnamespace dtmem::detail {\nnamespace {\n\n";
        for (std::size_t i = 0; i < profiles.size(); ++i) out += profile_function(profiles[i], i);
        out += "}  // namespace\n\nstd::span<const EmbeddedProfile> embedded_profiles() {\n"
               "    static const EmbeddedProfile list[] = {\n";
        for (std::size_t i = 0; i < profiles.size(); ++i) {
            out += fmt::format("        {{{}, &profile_{}}},\n", literal(profiles[i].id), i);
        }
        out += fmt::format("    }};\n    return list;\n}}\n\nstd::string_view embedded_arm_machines_yaml() {{\n"
                           "    static const char text[] = {};\n    return {{text, sizeof text - 1}};\n}}\n\n"
                           "}}  // namespace dtmem::detail\n\nnamespace dtmem {{\n\n{}\n}}  // namespace dtmem\n",
                           literal(read_text(argv[2])),
                           catalogue_function(dtmem::detail::parse_rule_catalogue(read_text(argv[3]), argv[3])));
        std::ofstream(argv[1], std::ios::binary) << out;
    } catch (const dtmem::Error& e) {
        std::cerr << "dtmem-embed-rules: error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
