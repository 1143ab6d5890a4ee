// SPDX-License-Identifier: MIT
// The kernel command-line parameters that move memory (parse_early_param()). Internal.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "dtmem/range.hpp"

namespace dtmem::detail {

struct CmaParameter {  // kernel/dma/contiguous.c early_cma()
    u64 size = 0;
    u64 base = 0;
    u64 limit = 0;
};

struct MemParameter {  // mem=size[@start]
    u64 size = 0;
    std::optional<u64> start;
};

struct CommandLine {
    std::vector<MemParameter> mem;        // every mem= (arm64/riscv use the last as an amount)
    std::optional<CmaParameter> cma;      // cma=
    std::optional<u64> vmalloc;           // vmalloc= (32-bit ARM)
    std::optional<u64> swiotlb_slabs;     // swiotlb=<slabs>, rounded up to IO_TLB_SEGSIZE
    bool swiotlb_force = false;           // swiotlb=…,force
    bool movable_node = false;
};

// memparse(): a number in C notation (0x…, 0…, decimal) with an optional K/M/G/T/P/E.
// Returns the value and how many characters it used (0 when none).
std::pair<u64, std::size_t> memparse(std::string_view text);

CommandLine parse_command_line(std::string_view bootargs);

}  // namespace dtmem::detail
