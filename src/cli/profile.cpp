// SPDX-License-Identifier: MIT
// dtmem profile: the kernel profile of a build (its .config, the numbers its vmlinux holds,
// estimates for the rest) as YAML for --profile-file, so that a board's settings can name a
// file instead of the build's artefacts.
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "dtmem/error.hpp"

namespace dtmem::cli {

CLI::App* add_profile_command(CLI::App& app, ProfileCommand& command) {
    CLI::App* sub = app.add_subcommand(
        "profile", "Write the kernel profile of a build (YAML for --profile-file) from its .config and vmlinux");
    sub->add_option("--kernel-config", command.config_file, "The build's .config")->required();
    sub->add_option("--vmlinux", command.vmlinux,
                    "The build's vmlinux (with DWARF): struct, image and per-CPU sizes; without it they are estimated");
    sub->add_option("--id", command.id, "The profile's id (default: config:FILE)");
    sub->add_option("-o,--output", command.output, "Write the profile here (default: standard output)");
    return sub;
}

int run_profile(const ProfileCommand& command) {
    std::string where = command.config_file;
    try {
        KernelProfile profile = profile_from_config(command.config_file);
        if (!command.vmlinux.empty()) {
            where = command.vmlinux;
            apply_vmlinux(profile, command.vmlinux);
        }
        if (!command.id.empty()) profile.id = command.id;
        std::string yaml = profile_to_yaml(profile);
        // What is still estimated goes to the terminal too: it is why a prediction gives ranges.
        std::size_t from_vmlinux = 0;
        for (const auto& [name, source] : profile.build_sources) from_vmlinux += source.starts_with("vmlinux: ");
        std::cerr << fmt::format("dtmem: profile {}: {} build numbers from the vmlinux, {} estimated{}{}\n", profile.id,
                                 from_vmlinux, profile.estimated.size(),
                                 profile.estimated.empty() ? "" : " from " + profile.estimated_from + ": ",
                                 fmt::join(profile.estimated, ", "));
        if (command.output.empty()) {
            std::cout << yaml;
            return flush_output();
        }
        std::ofstream out(command.output, std::ios::binary);
        if (!(out << yaml) || !out.flush()) throw Error(fmt::format("{}: cannot write it", command.output));
        return 0;
    } catch (const Error& e) {
        std::cerr << format_error(where, e) << '\n';
        return kExitInput;
    }
}

}  // namespace dtmem::cli
