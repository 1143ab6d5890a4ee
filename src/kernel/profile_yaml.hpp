// SPDX-License-Identifier: MIT
// Reading the YAML forms of rules/: a kernel profile (rules/profiles/*.yaml, or a user's
// own with --profile-file). Shared by the library and the build step that compiles the
// shipped profiles into the binary. Internal to the library.
#pragma once

#include <string>
#include <string_view>

#include "dtmem/profile.hpp"

namespace dtmem::detail {

// The profile as written (derive() not yet called). `where` names the file in errors.
// Throws dtmem::Error.
KernelProfile parse_profile_yaml(const std::string& text, const std::string& where);

// "6.1", "6.12.57", "6.1.0-27-arm64": the first MAJOR.MINOR[.PATCH]. Throws dtmem::Error.
KernelVersion parse_version(std::string_view text, const std::string& where);

}  // namespace dtmem::detail
