// SPDX-License-Identifier: MIT
// dtmem check: a recorded boot agrees line for line; a log altered by hand disagrees where
// it was altered, and only there.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dtmem/check.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

BootLog log_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return read_boot_log(text.str());
}

LogComparison check(const fs::path& log_path, BootLog& log) {
    log = log_file(log_path);
    Request request;
    request.input = (fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-cma-default-dynamic/board.dts").string();
    request.profile.kernel = *kernel_series(*log.version);
    request.boot.bootargs = log.command_line;
    request.boot.kernel_address = 0x40200000;  // the recorder's (case.yaml)
    request.boot.dtb_address = 0x48000000;
    Analysis analysis = analyze(request);
    return compare_boot_log(analysis, log);
}

}  // namespace

TEST_CASE("check: reading a boot log") {
    BootLog log = read_boot_log("[    0.000000] Linux version 6.12.118+deb13-arm64 (debian-kernel@lists.debian.org) #1\n"
                                "<6>[    0.000000] Kernel command line: console=ttyAMA0 cma=64M\r\n"
                                "Dec  5 12:00:00 board kernel: [    0.000000] Zone ranges:\n");
    CHECK(log.version == "6.12.118+deb13-arm64");
    CHECK(log.command_line == "console=ttyAMA0 cma=64M");
    CHECK(log.lines.back() == "Zone ranges:");
    CHECK(kernel_series("6.12.118+deb13-arm64") == "6.12");
    CHECK(kernel_series("6.1.0-56-arm64") == "6.1");
    CHECK_FALSE(kernel_series("garbage"));
}

TEST_CASE("check: the recorded boots agree; a log altered by hand disagrees exactly where it was altered") {
    fs::path recorded = fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-cma-default-dynamic";
    for (const char* kernel : {"arm64-6.1.log", "arm64-6.12.log"}) {
        BootLog log;
        LogComparison same = check(recorded / kernel, log);
        CAPTURE(kernel);
        CHECK(same.disagreements.empty());
        CHECK(same.agreed > 10);
    }
    BootLog log;
    LogComparison moved = check(fs::path(DTMEM_SOURCE_DIR) / "tests/check/arm64-cma-moved.log", log);
    REQUIRE(moved.disagreements.size() == 2);
    CHECK(moved.disagreements[0].kernel == "Reserved memory: created CMA memory pool at 0x0000000070000000, size 128 MiB");
    CHECK(moved.disagreements[0].predicted == "Reserved memory: created CMA memory pool at 0x0000000078000000, size 128 MiB");
    CHECK(moved.disagreements[0].explanation.find("give --reserve") != std::string::npos);
    CHECK(moved.disagreements[1].kernel.starts_with("OF: reserved mem: 0x0000000070000000..0x0000000077ffffff"));
}
