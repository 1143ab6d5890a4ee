// SPDX-License-Identifier: MIT
// The real board against the prediction: what a kernel printed at boot (dmesg, a serial
// capture) compared, line for line, with what dtmem predicts it prints for the same tree
// and command line; each disagreement with the input that would explain it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/prediction.hpp"

namespace dtmem {

// What a boot log says about the boot itself.
struct BootLog {
    std::vector<std::string> lines;           // timestamps and console prefixes removed
    std::optional<std::string> command_line;  // "Kernel command line: ..."
    std::optional<std::string> version;       // "6.12.118+deb13-arm64" from "Linux version ..."
};

BootLog read_boot_log(std::string_view text);

// The --kernel a release names: "6.12" from "6.12.118+deb13-arm64"; "6.1-lpae" from an LPAE
// flavour ("6.1.0-57-armmp-lpae", Ubuntu's "generic-lpae"), whose 64-bit phys_addr_t changes
// what the kernel prints; "6.12-16k" from a 16 KiB-page flavour ("6.12.118+deb13-arm64-16k").
std::optional<std::string> kernel_series(std::string_view release);

struct LineDisagreement {
    std::string kernel;       // what the kernel printed ("" when it printed nothing there)
    std::string predicted;    // what dtmem predicted ("" when it predicted nothing there)
    std::string explanation;  // the input that would explain it
};

struct LogComparison {
    std::size_t agreed = 0;
    std::vector<LineDisagreement> disagreements;
    std::vector<std::string> not_compared;  // line kinds the prediction leaves out (its unmodelled parts)
    // When the prediction rests on an assumed kernel or DTB load address and another one
    // makes every line agree: that address, as the option to give ("--load kernel=0x...").
    std::optional<std::string> explained_by;
};

// `given`: the boot inputs the analysis was made with (those not assumed).
LogComparison compare_boot_log(const Analysis& analysis, const BootLog& log, const BootInputs& given = {});

// What a running kernel shows of its memory: /proc/{zoneinfo,buddyinfo,pagetypeinfo,meminfo,
// iomem,cmdline} and /sys/kernel/debug/cma, as tools/dtmem-collect saves them (or read live).
struct ZoneState {
    std::string name;  // DMA, DMA32, Normal, HighMem, Movable
    u64 start_pfn = 0, spanned = 0, present = 0, managed = 0, free = 0;  // pages
    std::vector<u64> free_blocks;                        // buddyinfo: free blocks per order
    std::vector<std::pair<std::string, u64>> free_by_type;  // pagetypeinfo: free pages per migrate type
};

struct CmaState {
    std::string name;
    u64 base_pfn = 0, count = 0;
    std::optional<u64> used;  // pages
};

struct Snapshot {
    std::optional<std::string> cmdline;
    std::optional<u64> cma_total_kib;  // meminfo CmaTotal
    std::optional<u64> cma_free_kib;   // meminfo CmaFree
    std::vector<ZoneState> zones;      // populated zones of node 0 and others, in file order
    std::vector<CmaState> cma;
    std::vector<Range> system_ram;     // iomem "System RAM" (empty when the addresses are hidden)
    std::vector<Range> ram_in_use;     // iomem entries inside System RAM: reserved, kernel image
    std::optional<std::string> dmesg;
};

// Reads DIR/{cmdline,meminfo,zoneinfo,buddyinfo,pagetypeinfo,iomem,dmesg,cma/}; absent
// files are left out. `dir` "/" reads the running system's /proc and /sys.
Snapshot read_snapshot(const std::string& dir);

struct Observation {
    std::string what;       // "zone DMA spanned pages", "CmaTotal", ...
    std::string observed;   // what the board shows
    std::string predicted;  // what dtmem predicts
    bool agrees = false;
};

// What embedded developers read those files for, per zone.
struct ZoneHealth {
    std::string zone;
    u64 free_bytes = 0;
    u64 largest_free_block = 0;        // bytes; 0 when nothing is free
    std::vector<double> fragmentation;  // per order: the kernel's extfrag index (0..1; -1: a block is free)
    bool devices_depend = false;        // DMA-limited devices in the tree take their buffers here
    bool high_order_ok = true;          // a free block of order >= PAGE_ALLOC_COSTLY_ORDER (3)
};

struct SnapshotComparison {
    std::vector<Observation> observations;
    std::vector<ZoneHealth> health;
    std::optional<double> highmem_share;  // 32-bit: HighMem present pages / all present pages
};

SnapshotComparison compare_snapshot(const Analysis& analysis, const Snapshot& snapshot);

}  // namespace dtmem
