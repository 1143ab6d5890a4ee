// SPDX-License-Identifier: MIT
// Errors that make an input unusable. Each names the input file and, when it is
// about one node, the node path and (DTS input) the source location.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "dtmem/source.hpp"

namespace dtmem {

class Error : public std::runtime_error {
public:
    explicit Error(std::string message, std::string node_path = {},
                   std::optional<SourceLocation> location = std::nullopt, std::string property = {})
        : std::runtime_error(std::move(message)), node_path_(std::move(node_path)),
          location_(std::move(location)), property_(std::move(property)) {}

    const std::string& node_path() const { return node_path_; }
    const std::optional<SourceLocation>& location() const { return location_; }
    const std::string& property() const { return property_; }  // empty when not about one

private:
    std::string node_path_;
    std::optional<SourceLocation> location_;
    std::string property_;
};

// "FILE:LINE:COL: error: /node: message" (gcc style; LINE:COL only when known).
std::string format_error(const std::string& input_file, const Error& error);

}  // namespace dtmem
