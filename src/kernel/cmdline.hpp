// SPDX-License-Identifier: MIT
// The kernel command-line parameters that move memory (parse_early_param()). Internal.
#pragma once

#include <optional>
#include <string>
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

// kernel/dma/swiotlb.c setup_io_tlb_npages(): swiotlb=[<slabs>][,<areas>][,force|noforce],
// each number in C notation (simple_strtoul(), no size suffix).
struct SwiotlbParameter {
    std::optional<u64> slabs;  // ALIGN(slabs, IO_TLB_SEGSIZE): slabs of 2 KiB
    std::optional<u64> areas;  // as given; swiotlb_adjust_nareas() rounds it
    bool force = false;        // exactly "force" after the numbers: swiotlb_force_bounce
    bool noforce = false;      // exactly "noforce": swiotlb_force_disable, no buffer at all
};

// mm/mm_init.c (6.1: mm/page_alloc.c) cmdline_parse_core(): kernelcore=/movablecore= as a
// size (memparse()) or as "N%" of all pages. A size resets the percentage; a percentage
// leaves an earlier size in place (it wins later, in find_zone_movable_pfns_for_nodes()).
struct CoreParameter {
    u64 bytes = 0;
    u64 percent = 0;
};

struct CommandLine {
    std::vector<MemParameter> mem;        // every mem= (arm64/riscv use the last as an amount)
    std::optional<CmaParameter> cma;      // cma=
    std::optional<u64> vmalloc;           // vmalloc= (32-bit ARM)
    std::vector<SwiotlbParameter> swiotlb;  // every swiotlb=, in order (each one sets the kernel's state)
    std::optional<u64> nr_cpus;           // nr_cpus= (lowers nr_cpu_ids)
    bool movable_node = false;
    CoreParameter kernelcore, movablecore;
    bool kernelcore_mirror = false;  // kernelcore=mirror (cmdline_parse_kernelcore())
    // every hugetlb_cma= value, in order (src/kernel/hugetlb_cma.cpp parses them: the per-node
    // limit is the profile's MAX_NUMNODES)
    std::vector<std::string> hugetlb_cma;
    bool hugetlb_cma_bare = false;  // "hugetlb_cma" without '=': its parser gets a NULL pointer
    // crashkernel= is read at reservation time from the whole line (kernel/crash_core.c
    // get_last_crashkernel()); src/kernel/crashkernel.cpp parses it.
    std::string text;
};

// simple_strtoull(text, &end, 0): a number in C notation (0x…, 0…, decimal). Returns the
// value and how many characters it used (0 when none).
std::pair<u64, std::size_t> simple_strtoull(std::string_view text);

// memparse(): a number in C notation (0x…, 0…, decimal) with an optional K/M/G/T/P/E.
// Returns the value and how many characters it used (0 when none).
std::pair<u64, std::size_t> memparse(std::string_view text);

CommandLine parse_command_line(std::string_view bootargs);

}  // namespace dtmem::detail
