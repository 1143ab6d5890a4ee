// SPDX-License-Identifier: MIT
// The pieces the boot simulation is built from, against the kernel's own behaviour.
#include <doctest/doctest.h>

#include "kernel/cmdline.hpp"
#include "kernel/kernel_sort.hpp"
#include "kernel/memblock.hpp"

using namespace dtmem;
using namespace dtmem::detail;

namespace {
constexpr u64 kMiB = 1 << 20;
}

TEST_CASE("lib/sort.c heapsort: the 6.1 order of equal dynamic records") {
    // lib/sort.c heapsort() as __rmem_check_for_overlap() calls it on 6.1: only dynamic nodes d0..d(n-1) (all equal) are processed as
    // d1, d2, …, d(n-1), d0 for n = 2..6.
    for (int n = 2; n <= 6; ++n) {
        std::vector<int> v(n);
        for (int i = 0; i < n; ++i) v[i] = i;
        kernel_heapsort(v, [](int, int) { return 0; });
        std::vector<int> expected;
        for (int i = 1; i < n; ++i) expected.push_back(i);
        expected.push_back(0);
        CHECK(v == expected);
    }
    std::vector<int> numbers = {5, 1, 4, 2, 3, 9, 0};
    kernel_heapsort(numbers, [](int a, int b) { return a < b ? -1 : a > b ? 1 : 0; });
    CHECK(numbers == std::vector<int>{0, 1, 2, 3, 4, 5, 9});
}

TEST_CASE("memblock: top-down first fit, reserved and NOMAP ranges skipped") {
    Memblock m(4096, ~u64{0});
    m.add(0x40000000, 512 * kMiB);
    m.reserve(0x5f000000, 16 * kMiB);  // the top 16 MiB
    CHECK(m.alloc_range(16 * kMiB, 2 * kMiB, 0, kAllocAnywhere) == 0x5e000000u);
    m.mark_nomap(0x5d000000, 16 * kMiB, true);
    CHECK(m.alloc_range(kMiB, kMiB, 0, kAllocAnywhere) == 0x5cf00000u);
    CHECK(m.memory().size() == 3);  // split around the NOMAP range, as the kernel prints it
    m.set_bottom_up(true);
    CHECK(m.alloc_range(kMiB, kMiB, 0, kAllocAnywhere) == 0x40000000u);
    CHECK(m.alloc_range(kMiB, kMiB, 0, 0x40000000) == std::nullopt);
}

TEST_CASE("memblock: the first page is never handed out, limits are exclusive") {
    Memblock m(4096, ~u64{0});
    m.add(0, 16 * kMiB);
    m.set_bottom_up(true);
    CHECK(m.alloc_range(4096, 4096, 0, kAllocAnywhere) == 4096u);
    m.set_bottom_up(false);
    CHECK(m.alloc_range(4096, 4096, 0, 8 * kMiB) == 8 * kMiB - 4096);
}

TEST_CASE("memblock: a run of blocks taken in one pass equals one-at-a-time allocation") {
    auto fresh = [] {
        Memblock m(4096, ~u64{0});
        m.add(0x40000000, 64 * kMiB);
        m.reserve(0x43ffe000, 4096);  // a hole of one page at the very top
        m.reserve(0x43ff0000, 0x8000);
        m.reserve(0x43fe0fc0, 0x40);  // a top that is 64-byte but not page aligned
        return m;
    };
    struct Run {
        u64 count, size, align;
    };
    for (Run run : {Run{40, 4096, 4096}, Run{40, 4096, 64}, Run{7, 0x3000, 0x1000}}) {
        CAPTURE(run.size);
        CAPTURE(run.align);
        Memblock one = fresh(), bulk = fresh();
        for (u64 i = 0; i < run.count; ++i) one.alloc_range(run.size, run.align, 0, kAllocAnywhere);
        CHECK(bulk.alloc_run(run.count, run.size, run.align, kAllocAnywhere) == run.count);
        REQUIRE(one.reserved().size() == bulk.reserved().size());
        for (std::size_t i = 0; i < one.reserved().size(); ++i) {
            CHECK(one.reserved()[i].base == bulk.reserved()[i].base);
            CHECK(one.reserved()[i].size == bulk.reserved()[i].size);
        }
    }
    // More blocks than memory: the run says how many it got (page 0 is never handed out).
    Memblock small(4096, ~u64{0});
    small.add(0, 16 * 4096);
    CHECK(small.alloc_run(100, 4096, 4096, kAllocAnywhere) == 15);
}

TEST_CASE("memblock: a 32-bit bank ending at 4 GiB loses its last byte (memblock_cap_size)") {
    Memblock m(4096, 0xffffffffULL);
    m.add(0x40000000, 0xc0000000ULL);
    CHECK(m.end_of_dram() == 0xffffffffULL);
}

TEST_CASE("command line: memparse and the forms of cma=, mem=, swiotlb=") {
    CHECK(memparse("64M").first == 64 * kMiB);
    CHECK(memparse("0x1000").first == 0x1000u);
    CHECK(memparse("010").first == 8u);  // C notation: octal
    CommandLine line = parse_command_line("console=ttyS0 cma=64M@0x80000000-0xc0000000 mem=1G mem=256M@0x80000000 "
                                          "vmalloc=512M swiotlb=16383,force movable_node");
    REQUIRE(line.cma);
    CHECK(line.cma->size == 64 * kMiB);
    CHECK(line.cma->base == 0x80000000u);
    CHECK(line.cma->limit == 0xc0000000u);
    REQUIRE(line.mem.size() == 2);
    CHECK(line.mem[1].start == 0x80000000u);
    CHECK(line.vmalloc == 512 * kMiB);
    REQUIRE(line.swiotlb.size() == 1);
    CHECK(line.swiotlb[0].slabs == 16384u);  // rounded up to IO_TLB_SEGSIZE
    CHECK(!line.swiotlb[0].areas);
    CHECK(line.swiotlb[0].force);
    CHECK(line.movable_node);
    CommandLine fixed = parse_command_line("cma=32M@0x90000000");
    CHECK(fixed.cma->limit == 0x92000000u);  // size@base: limit = base + size (fixed)
    CHECK(parse_command_line("cma=0").cma->size == 0u);
}

TEST_CASE("command line: kernelcore= and movablecore= as cmdline_parse_core() reads them") {
    CommandLine line = parse_command_line("kernelcore=0x40000000 movablecore=25%");
    CHECK(line.kernelcore.bytes == 0x40000000u);
    CHECK(line.kernelcore.percent == 0u);
    CHECK(line.movablecore.percent == 25u);
    CHECK(!line.kernelcore_mirror);
    // A later size resets the percentage; a later percentage keeps the size (and wins).
    CHECK(parse_command_line("kernelcore=10% kernelcore=1G").kernelcore.percent == 0u);
    CommandLine both = parse_command_line("kernelcore=1G kernelcore=10%");
    CHECK(both.kernelcore.bytes == 0x40000000u);
    CHECK(both.kernelcore.percent == 10u);
    CHECK(parse_command_line("kernelcore=mirror").kernelcore_mirror);
    CHECK(parse_command_line("kernelcore=1G,mirror").kernelcore_mirror);  // parse_option_str(): a list
    CHECK(!parse_command_line("kernelcore=mirrored").kernelcore_mirror);
    CHECK(parse_command_line("kernelcore").kernelcore.bytes == 0u);  // no value: -EINVAL, nothing set
}

TEST_CASE("command line: swiotlb=[<slabs>][,<areas>][,force|noforce] as setup_io_tlb_npages() reads it") {
    auto swiotlb = [](const char* args) {
        CommandLine line = parse_command_line(args);
        REQUIRE(line.swiotlb.size() == 1);
        return line.swiotlb[0];
    };
    SwiotlbParameter areas = swiotlb("swiotlb=16384,3,noforce");
    CHECK(areas.slabs == 16384u);
    CHECK(areas.areas == 3u);
    CHECK(areas.noforce);
    CHECK(!areas.force);
    CHECK(swiotlb("swiotlb=,4").areas == 4u);           // areas alone keep the default size
    CHECK(!swiotlb("swiotlb=,4").slabs);
    CHECK(swiotlb("swiotlb=0x1000").slabs == 0x1000u);   // simple_strtoul(), base 0
    CHECK(swiotlb("swiotlb=64M").slabs == 128u);         // no size suffix: 64 slabs, aligned to 128
    CHECK(!swiotlb("swiotlb=64M").force);
    CHECK(swiotlb("swiotlb=force").force);
    CHECK(!swiotlb("swiotlb=8192,forced").force);        // strcmp(): the whole rest must match
    CHECK(!swiotlb("swiotlb=noforce").force);
    CHECK(swiotlb("swiotlb=noforce").noforce);
    CHECK(!swiotlb("swiotlb=noforce").slabs);
    CHECK(parse_command_line("swiotlb=8192 swiotlb=force").swiotlb.size() == 2);
}
