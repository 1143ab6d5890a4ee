// SPDX-License-Identifier: MIT
// dtmem check: a recorded boot agrees line for line; a log altered by hand disagrees where
// it was altered, and only there.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dtmem/check.hpp"
#include "helpers.hpp"

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
    CHECK(kernel_series("6.1.0-57-armmp-lpae") == "6.1-lpae");
    CHECK(kernel_series("6.12.118+deb13-arm64-16k") == "6.12-16k");
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

TEST_CASE("check: a /proc snapshot against the prediction, and the kernel's fragmentation index") {
    // Files in the kernel's formats (mm/vmstat.c, fs/proc/meminfo.c, mm/cma_debug.c) with the
    // numbers of the recorded boot arm64-cma-default-dynamic on 6.12: ZONE_DMA [mem
    // 0x40000000-0xbfffffff] = pfn 262144 + 524288 pages, the 128 MiB pool at 0x78000000.
    test::TempFile dir("console=ttyAMA0 earlycon panic=-1\n", "cmdline");
    dir.sibling("zoneinfo", "Node 0, zone      DMA\n  pages free     400000\n        spanned  524288\n"
                            "        present  524288\n        managed  490000\n  start_pfn:           262144\n"
                            "Node 0, zone    DMA32\n  pages free     0\n        spanned  0\n        present  0\n");
    // Free blocks: 4 of order 0 only, so an order-1 request fails for fragmentation:
    // __fragmentation_index() = 1000 - (1000 + 4 * 1000 / 2) / 4 = 250 -> 0.25.
    dir.sibling("buddyinfo", "Node 0, zone      DMA      4      0      0\n");
    dir.sibling("meminfo", "MemTotal:        2016944 kB\nCmaTotal:         131072 kB\nCmaFree:          131072 kB\n");
    fs::path cma = fs::path(dir.path()).parent_path() / "cma" / "linux,cma";
    fs::create_directories(cma);
    std::ofstream(cma / "base_pfn") << (0x78000000 >> 12) << '\n';
    std::ofstream(cma / "count") << (128 << 8) << '\n';
    Snapshot snapshot = read_snapshot(fs::path(dir.path()).parent_path().string());
    REQUIRE(snapshot.zones.size() == 1);  // an empty zone is not populated
    CHECK(snapshot.cmdline == "console=ttyAMA0 earlycon panic=-1");

    Request request;
    request.input = (fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-cma-default-dynamic/board.dts").string();
    request.profile.kernel = "arm64-6.12";
    SnapshotComparison comparison = compare_snapshot(analyze(request), snapshot);
    for (const Observation& o : comparison.observations) {
        CAPTURE(o.what);
        CHECK(o.agrees);
    }
    CHECK(comparison.observations.size() == 6);  // DMA start, spanned, present; CMA base, pages; CmaTotal
    REQUIRE(comparison.health.size() == 1);
    const ZoneHealth& dma = comparison.health[0];
    CHECK(dma.largest_free_block == 4096);
    REQUIRE(dma.fragmentation.size() == 3);
    CHECK(dma.fragmentation[0] == -1);
    CHECK(dma.fragmentation[1] == doctest::Approx(0.25));
    CHECK_FALSE(dma.high_order_ok);
    CHECK_FALSE(dma.devices_depend);  // the tree has no DMA-limited device
}

TEST_CASE("check: the load address that explains a log is searched when the prediction assumed it") {
    // arm-zimage-above-128m: the recorder loaded the zImage at 0x48200000; the kernel takes
    // PHYS_OFFSET from its address rounded down to 128 MiB (arch/arm/kernel/head.S), so every
    // 2 MiB step from 0x48000000 gives the same boot, and the search from the start of RAM
    // (0x40000000, where the default 0x43000000 disagrees) finds 0x48000000 first.
    fs::path dir = fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm-zimage-above-128m";
    BootLog log = log_file(dir / "armmp-6.12.log");
    Request request;
    request.input = (dir / "board.dts").string();
    request.profile.kernel = "arm-6.12";
    request.boot.bootargs = log.command_line;
    Analysis analysis = analyze(request);
    LogComparison comparison = compare_boot_log(analysis, log, request.boot);
    CHECK_FALSE(comparison.disagreements.empty());
    CHECK(comparison.explained_by == "--load kernel=0x48000000");
    request.boot.kernel_address = 0x48200000;  // given: nothing is searched, and all agree
    Analysis given = analyze(request);
    LogComparison agreed = compare_boot_log(given, log, request.boot);
    CHECK(agreed.disagreements.empty());
    CHECK_FALSE(agreed.explained_by);
}

TEST_CASE("check: a real kernel's snapshot altered by hand disagrees exactly where it was altered") {
    // arm64-dma-ranges-31bit-cma-straddle on 6.12, recorded by tools/kernel-oracle --snapshot.
    fs::path recorded = fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-dma-ranges-31bit-cma-straddle/arm64-6.12.snapshot";
    auto read = [&](const char* name) {
        std::ifstream in(recorded / name, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    auto replaced = [](std::string text, std::string_view from, std::string_view to) {
        std::size_t at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    std::string zoneinfo = read("zoneinfo");
    std::size_t dma32 = zoneinfo.find("zone    DMA32");
    REQUIRE(dma32 != std::string::npos);
    test::TempFile dir(read("fdt"), "fdt");
    dir.sibling("cmdline", read("cmdline"));
    dir.sibling("buddyinfo", read("buddyinfo"));
    dir.sibling("zoneinfo", zoneinfo.substr(0, dma32) + replaced(zoneinfo.substr(dma32), "present  524288", "present  520192"));
    dir.sibling("meminfo", replaced(read("meminfo"), "CmaTotal:          65536 kB", "CmaTotal:         131072 kB"));
    // The pool at 0x7c000000 (128 MiB) no longer inside a reservation the kernel listed.
    dir.sibling("iomem", replaced(read("iomem"), "  74000000-83ffffff : reserved", "  74000000-7bffffff : reserved"));

    Snapshot snapshot = read_snapshot(fs::path(dir.path()).parent_path().string());
    Request request;
    request.input = dir.path();
    request.profile.kernel = "arm64-6.12";
    request.boot.bootargs = snapshot.cmdline;
    request.boot.kernel_address = 0x40200000;  // case.yaml
    request.boot.dtb_address = 0x48000000;
    SnapshotComparison comparison = compare_snapshot(analyze(request), snapshot);
    std::set<std::string> disagree;
    for (const Observation& o : comparison.observations) {
        if (!o.agrees) disagree.insert(o.what);
    }
    CHECK(disagree == std::set<std::string>{"zone DMA32 present pages", "CmaTotal (KiB)",
                                            "/reserved-memory/cma-straddle@7c000000 (iomem)"});
    CHECK(comparison.observations.size() > disagree.size() + 5);
}

TEST_CASE("check: iomem entries that fit no Range are skipped, not wrapped") {
    // /proc/iomem prints each resource as START-END (inclusive, kernel/resource.c); one from
    // 0 to 2^64-1 is 2^64 bytes, which a Range cannot hold, and 0-0 is what a non-root reader sees.
    test::TempFile dir("Node 0, zone      DMA\n  pages free     1\n        spanned  1\n        present  1\n", "zoneinfo");
    dir.sibling("iomem", "00000000-00000000 : System RAM\n"
                         "0000000000000000-ffffffffffffffff : System RAM\n"
                         "  40000000-40000fff : reserved\n"
                         "40000000-7fffffff : System RAM\n"
                         "  40200000-40200fff : Kernel code\n");
    Snapshot snapshot = read_snapshot(fs::path(dir.path()).parent_path().string());
    REQUIRE(snapshot.system_ram.size() == 1);
    CHECK(snapshot.system_ram[0] == Range{0x40000000, 0x40000000});
    REQUIRE(snapshot.ram_in_use.size() == 1);  // the child of the skipped entry is not RAM in use either
    CHECK(snapshot.ram_in_use[0] == Range{0x40200000, 0x1000});
}
