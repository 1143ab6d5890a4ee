#include "dtmem/error.hpp"

#include "dtmem/diagnostic.hpp"

#include <fmt/format.h>

namespace dtmem {

std::string format_error(const std::string& input_file, const Error& error) {
    std::string where = input_file;
    if (error.location()) {
        where = fmt::format("{}:{}:{}", error.location()->file, error.location()->line,
                            error.location()->column);
    }
    if (error.node_path().empty()) return fmt::format("{}: error: {}", where, error.what());
    return fmt::format("{}: error: {}: {}", where, error.node_path(), error.what());
}

const char* severity_name(Severity severity) {
    switch (severity) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "note";
}

}  // namespace dtmem
