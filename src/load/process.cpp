// SPDX-License-Identifier: MIT
#include "load/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dtmem/error.hpp"

extern char** environ;

namespace dtmem::detail {

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dtmem-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
        throw Error(fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_path,
                          const std::string& stdout_path, const TempDir& temp) {
    std::string stderr_path = temp.file("stderr.txt");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(),
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.empty() ? "/dev/null" : stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    ProcessResult result;
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        result.error_output = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    std::ifstream err(stderr_path);
    std::ostringstream text;
    text << err.rdbuf();
    result.error_output = text.str();
    if (WIFSIGNALED(status)) {
        result.error_output += fmt::format("{} was killed by signal {}\n", argv[0], WTERMSIG(status));
    }
    return result;
}

Bytes read_file(const std::string& path) {
    FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!in) throw Error(fmt::format("cannot open: {}", std::strerror(errno)));
    Bytes content;
    std::uint8_t buffer[65536];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, in)) > 0) {
        if (content.size() + got > kMaxInputBytes) {
            if (in != stdin) std::fclose(in);
            throw Error(fmt::format("input is larger than {} MiB", kMaxInputBytes >> 20));
        }
        content.insert(content.end(), buffer, buffer + got);
    }
    bool failed = std::ferror(in) != 0;
    int read_errno = errno;
    if (in != stdin) std::fclose(in);
    if (failed) throw Error(fmt::format("cannot read: {}", std::strerror(read_errno)));
    return content;
}

void write_file(const std::string& path, const Bytes& content) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    if (!out) throw Error(fmt::format("cannot write {}", path));
}

}  // namespace dtmem::detail
