// SPDX-License-Identifier: MIT
// Running helper programs (cpp, dtc) with their output in files of a private temporary
// directory. Internal to the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dtmem::detail {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

struct ProcessResult {
    int exit_code = -1;  // -1 when it could not run or died of a signal
    std::string error_output;
};

// Runs argv[0] (searched in PATH) with stdin from `stdin_path` (or /dev/null) and stderr
// captured; stdout goes to `stdout_path` (or /dev/null).
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_path,
                          const std::string& stdout_path, const TempDir& temp);

// Device trees are at most a few MiB; the cap keeps /dev/zero and the like from hanging us.
inline constexpr std::size_t kMaxInputBytes = std::size_t{256} << 20;

// Reads a whole file ("-" = standard input); throws dtmem::Error.
using Bytes = std::vector<std::uint8_t>;
Bytes read_file(const std::string& path);
void write_file(const std::string& path, const Bytes& content);

}  // namespace dtmem::detail
