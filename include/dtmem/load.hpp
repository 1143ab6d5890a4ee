// SPDX-License-Identifier: MIT
// Loading a tree: DTB (file, stdin, /sys/firmware/fdt) or DTS (cpp + dtc, with a source
// map), then overlays applied with libfdt.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dtmem/range.hpp"
#include "dtmem/tree.hpp"

namespace dtmem {

// Firmware that edits the tree before Linux sees it. OpenSBI (riscv M-mode firmware)
// announces the memory it protects as a /reserved-memory child (OpenSBI lib/utils/fdt/fdt_fixup.c
// fdt_reserved_memory_fixup()), which the kernel then reserves like any other.
struct Firmware {
    std::string name = "opensbi";
    std::string version = "1.1";  // Debian 12/13's opensbi package
    u64 base = 0x80000000;        // where the firmware runs (fw_dynamic: start of RAM)
    u64 region_size = 0x80000;    // the PMP region it reserves (512 KiB for fw_dynamic 1.1)
};

// Parses "opensbi", "opensbi-1.1", "opensbi@0x80000000"; nothing when unknown.
std::optional<Firmware> parse_firmware(std::string_view text);

// Applies the firmware's edits to a validated blob, as the firmware does (libfdt), and
// returns the path of the region it reserves for itself.
std::string apply_firmware(std::vector<std::uint8_t>& blob, const Firmware& firmware);

// Something the bootloader reserves in the tree it hands on (--reserve BASE:SIZE[:NAME]):
// added as a mapped /reserved-memory child NAME@BASE, as OpenSBI adds its own.
struct BootReservation {
    Range range;
    std::string name = "bootloader";
};

// Parses "BASE:SIZE[:NAME]"; nothing when malformed.
std::optional<BootReservation> parse_reservation(std::string_view text);

struct LoadOptions {
    std::vector<std::string> include_dirs;  // -I for cpp and -i for dtc
    std::vector<std::string> overlays;      // .dtbo (or overlay DTS) files, applied in order
    std::optional<Firmware> firmware;       // applied after the overlays
    std::vector<BootReservation> reservations;  // applied last
    std::string dtc;  // empty: $DTC, else "dtc" from PATH
    std::string cpp;  // empty: $CPP, else "cpp" from PATH
};

enum class InputFormat { Dtb, Dts };

struct LoadedTree {
    Tree tree;
    InputFormat format = InputFormat::Dtb;
    // /reserved-memory children the firmware or the boot loader added (--firmware,
    // --reserve): node path -> who added it ("OpenSBI 1.1", "the boot loader").
    std::map<std::string, std::string> added_regions;
};

// Reads `path` ("-" = standard input). Throws dtmem::Error (message without the file
// name; the caller adds it) for a missing file, a bad blob, or a DTS dtc rejects.
LoadedTree load_tree(const std::string& path, const LoadOptions& options);

// The whole input, read once ("-" = standard input), for loading it more than once.
std::vector<std::uint8_t> read_input(const std::string& path);
// Loads `content`, which came from `path` (its folder is searched for includes).
LoadedTree load_tree(std::vector<std::uint8_t> content, const std::string& path, const LoadOptions& options);

}  // namespace dtmem
