// SPDX-License-Identifier: MIT
// The shipped rules/ data compiled into the binary at build time (src/kernel/embed_rules.cpp
// writes the definitions): no data files to find at run time, and no YAML to parse for a
// shipped profile. Internal to the library.
#pragma once

#include <span>
#include <string_view>

#include "dtmem/profile.hpp"

namespace dtmem::detail {

struct EmbeddedProfile {
    std::string_view id;
    KernelProfile (*make)();  // the profile as written; derive() not yet called
};

// Sorted by id.
std::span<const EmbeddedProfile> embedded_profiles();

// rules/quirks/arm-machines.yaml, verbatim.
std::string_view embedded_arm_machines_yaml();

}  // namespace dtmem::detail
