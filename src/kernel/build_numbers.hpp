// SPDX-License-Identifier: MIT
// Per-build numbers for a build that was not measured: taken from the nearest measured
// shipped profile and marked estimated (the prediction then says what they move).
// Internal to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dtmem/profile.hpp"

namespace dtmem::detail {

// Fills every per-build number `profile` lacks, and those a .config cannot vouch for, from
// the measured shipped profile of the same arch, page size and LPAE nearest in version, and
// lists them in profile.estimated. Numbers fixed by the kernel's source are not estimates.
void estimate_build_numbers(KernelProfile& profile);

// `profile` with each estimated number at the low (`high` false) or high end of the range a
// build's own can lie in: from half to twice the number taken, widened to every value
// measured on a shipped build of the arch; lists are halved or doubled. Less memory taken
// early (the low end) leaves later top-down allocations higher.
KernelProfile estimate_bound(const KernelProfile& profile, bool high);

// The per-CPU first chunk of a build whose per-CPU section holds `static_bytes`: its static,
// reserved (module) and dynamic parts and the unit they fill.
struct FirstChunk {
    u64 static_bytes = 0, reserved = 0, dynamic = 0, unit = 0;
};
std::optional<FirstChunk> first_chunk(const KernelProfile& profile, u64 static_bytes);

// pcpu_setup_first_chunk()'s small allocations in order (pcpu_small_allocations), given
// sizeof(struct pcpu_chunk) and sizeof(struct pcpu_block_md).
std::vector<std::int64_t> pcpu_small_allocations(const KernelProfile& profile, const FirstChunk& chunk, u64 chunk_struct,
                                                 u64 block_md);

// mm/sparse.c memblocks_present(): NR_SECTION_ROOTS pointers, a root being a page of struct
// mem_section. NR_MEM_SECTIONS is the arch's, so a measured build's roots (every measured build
// has PAGE_EXTENSION: a 32-byte mem_section) scale with the struct (16 bytes without).
u64 section_roots_bytes(u64 measured_roots_bytes, u64 mem_section_bytes);

// sparse_early_usemaps_alloc_pgdat_section(): a struct mem_section_usage and NR_PAGEBLOCK_BITS
// (4) per pageblock of a section, in whole 64-bit longs (sparse memory is 64-bit only here).
u64 usemap_bytes(const KernelProfile& profile, u64 section_bytes, u64 usage_struct_bytes);

}  // namespace dtmem::detail
