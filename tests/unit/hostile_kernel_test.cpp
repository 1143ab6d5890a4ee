// SPDX-License-Identifier: MIT
// Hostile trees that once crashed or hung the boot simulation: each now ends with the
// kernel's own outcome (from its source), in time bounded by regions, not bytes.
#include <doctest/doctest.h>

#include <algorithm>

#include "dtmem/prediction.hpp"
#include "helpers.hpp"

using namespace dtmem;
using namespace dtmem::test;

namespace {

struct Booted {
    LoadedTree loaded;
    MemoryMap map;
    Prediction prediction;
};

Booted boot(std::string_view dts, const std::string& kernel, std::optional<std::string> bootargs = std::nullopt) {
    LoadedTree loaded = load_dts(dts);
    MemoryMap map = build_memory_map(loaded.tree);
    BootInputs inputs;
    inputs.bootargs = std::move(bootargs);
    Prediction prediction = predict_boot(loaded.tree, map, find_profile(kernel, std::nullopt), inputs);
    return {std::move(loaded), std::move(map), std::move(prediction)};
}

bool logged(const Prediction& p, std::string_view line) {
    return std::find(p.log.begin(), p.log.end(), line) != p.log.end();
}

bool unmodelled(const Prediction& p, std::string_view words) {
    return std::any_of(p.unmodelled.begin(), p.unmodelled.end(),
                       [&](const std::string& u) { return u.find(words) != std::string::npos; });
}

const char* kArm64Cpu =
    "cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = \"cpu\"; compatible = \"arm,cortex-a72\"; reg = <0>; }; };";

}  // namespace

TEST_CASE("hostile: every page reserved, arm64 panics allocating its first page table") {
    // arch/arm64/mm/mmu.c early_pgtable_alloc(): panic() when memblock has no free page.
    std::string dts = std::string("/dts-v1/;\n/memreserve/ 0x40000000 0x40000000;\n/ { #address-cells = <2>; #size-cells = <2>; ") +
                      kArm64Cpu + " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; }; };";
    for (const char* kernel : {"arm64-6.1", "arm64-6.12"}) {
        Booted b = boot(dts, kernel);
        CHECK(logged(b.prediction, "Kernel panic - not syncing: Failed to allocate page table page"));
    }
}

TEST_CASE("hostile: memory nothing of which reaches memblock") {
    // A bank smaller than a page (early_init_dt_add_memory_arch() ignores it), and a
    // linux,usable-memory-range outside RAM (memblock_cap_memory_range() leaves nothing).
    std::string sub_page = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                           " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x800>; }; };";
    std::string outside = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                          " chosen { linux,usable-memory-range = <0 0x90000000 0 0x1000000>; };"
                          " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; }; };";
    for (const std::string& dts : {sub_page, outside}) {
        CHECK(logged(boot(dts, "arm64-6.12").prediction, "Kernel panic - not syncing: Failed to allocate page table page"));
        CHECK(unmodelled(boot(dts, "riscv64-6.12").prediction, "no RAM is left"));
        CHECK(unmodelled(boot(dts, "arm-6.1").prediction, "no RAM is left"));
    }
}

TEST_CASE("hostile: a bank of almost 2^63 bytes is cut to what arm64 can map") {
    // arm64_memblock_init(): memblock_remove() above 1 << PHYS_MASK_SHIFT, then above
    // memstart_addr + linear region (2^47 bytes with 48-bit VA; 6.12's 52-bit VA build runs
    // with 48 bits without LPA2, its 16 KiB-page build with VA_BITS_MIN 47,
    // arch/arm64/include/asm/memory.h).
    std::string dts = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                      " memory@0 { device_type = \"memory\"; reg = <0 0x1000 0x7fffffff 0xfffff000>; }; };";
    for (const char* kernel : {"arm64-6.1", "arm64-6.12"}) {
        Booted b = boot(dts, kernel);
        REQUIRE(!b.prediction.memory_ranges.empty());
        CHECK(b.prediction.memory_ranges.back().last() == 0x7fffffffffffULL);
    }
    Booted sixteen = boot(dts, "arm64-6.12-16k");
    REQUIRE(!sixteen.prediction.memory_ranges.empty());
    CHECK(sixteen.prediction.memory_ranges.back().last() == 0x3fffffffffffULL);
}

TEST_CASE("hostile: riscv64 with 2^48 bytes of RAM starting 2 MiB into a GiB") {
    std::string dts =
        "/dts-v1/; / { #address-cells = <2>; #size-cells = <2>;"
        " cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = \"cpu\"; compatible = \"riscv\"; reg = <0>; }; };"
        " memory@80200000 { device_type = \"memory\"; reg = <0 0x80200000 0x10000 0>; }; };";
    Booted b = boot(dts, "riscv64-6.12");
    REQUIRE(!b.prediction.memory_ranges.empty());
    CHECK(b.prediction.memory_ranges.back().last() == 0x10000801fffffULL);
}

TEST_CASE("hostile: swiotlb= beyond what the kernel's size arithmetic holds") {
    // kernel/dma/swiotlb.c: nslabs << IO_TLB_SHIFT wraps an unsigned long.
    std::string dts = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                      " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 1 0>; }; };";
    Booted b = boot(dts, "arm64-6.12", "swiotlb=9223372036854775808,force");
    CHECK(unmodelled(b.prediction, "swiotlb="));
    CHECK(!b.prediction.swiotlb);
    // The area count is an unsigned int: 2^32 + 1 areas wrap before they are rounded.
    Booted areas = boot(dts, "arm64-6.12", "swiotlb=8192,4294967297");
    CHECK(unmodelled(areas.prediction, "swiotlb="));
    CHECK(!areas.prediction.swiotlb);
}

TEST_CASE("hostile: a DT DMA limit of 0 on 6.1 arm64") {
    // arch/arm64/mm/init.c (6.1) zone_sizes_init(): zone_dma_bits = min(32, fls64(0)) = 0;
    // max_zone_phys(0): DMA_BIT_MASK(0) = 0 lies below the start of DRAM, so the zone mask
    // becomes U32_MAX and ZONE_DMA covers RAM up to 4 GiB.
    std::string dts = std::string("/dts-v1/; / { #address-cells = <1>; #size-cells = <1>; ") + kArm64Cpu +
                      " memory@40000000 { device_type = \"memory\"; reg = <0x40000000 0x40000000>; };"
                      " soc { #address-cells = <1>; #size-cells = <1>; ranges; dma-ranges = <0 0 1>; }; };";
    Booted b = boot(dts, "arm64-6.1");
    REQUIRE(b.map.dma_max.address == 0u);
    REQUIRE(!b.prediction.zones.empty());
    CHECK(b.prediction.zones[0].name == "DMA");
    CHECK(b.prediction.zones[0].range == Range{0x40000000, 0x40000000});
}

TEST_CASE("crashkernel=: wrapping values and malformed forms reserve nothing") {
    // memparse() wraps as the kernel's does; an ADDR + SIZE that wraps leaves
    // memblock_phys_alloc_range() an empty range, so the reservation fails; a size of all
    // RAM or more is refused by 6.12's parse_crashkernel() before any allocation.
    std::string dts = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                      " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; }; };";
    for (const char* kernel : {"arm64-6.1", "arm64-6.12", "riscv64-6.12", "arm-6.12"}) {
        for (const char* args : {"crashkernel=64M@0xfffffffffff00000", "crashkernel=16E", "crashkernel=0-:99999999999999999999E",
                                 "crashkernel=1-2:,", "crashkernel=", "crashkernel=64M,high crashkernel=x,low"}) {
            CAPTURE(kernel);
            CAPTURE(args);
            Booted b = boot(dts, kernel, std::string(args));
            CHECK(b.prediction.crashkernel.empty());
        }
    }
}

namespace {

// crashkernel=256M on an arm64 board with 1 GiB at 0x40000000, booted by `profile`.
Prediction crashkernel_256m_on_1g(const KernelProfile& profile) {
    std::string dts = std::string("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; ") + kArm64Cpu +
                      " memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; }; };";
    LoadedTree loaded = load_dts(dts);
    MemoryMap map = build_memory_map(loaded.tree);
    BootInputs inputs;
    inputs.bootargs = "crashkernel=256M";
    return predict_boot(loaded.tree, map, profile, inputs);
}

}  // namespace

TEST_CASE("crashkernel=: a kernel built without crash-kernel support ignores it and says so") {
    KernelProfile profile = find_profile("arm64-6.12", std::nullopt);
    CHECK(!crashkernel_256m_on_1g(profile).crashkernel.empty());
    profile.config.erase("CONFIG_CRASH_RESERVE");
    Prediction prediction = crashkernel_256m_on_1g(profile);
    CHECK(prediction.crashkernel.empty());
    CHECK(std::none_of(prediction.log.begin(), prediction.log.end(),
                       [](const std::string& line) { return line.find("crashkernel") != std::string::npos; }));
    CHECK(std::any_of(prediction.notes.begin(), prediction.notes.end(), [](const std::string& note) {
        return note == "crashkernel= is ignored: this kernel is built without CONFIG_CRASH_RESERVE";
    }));
}

TEST_CASE("crashkernel=: 6.1 arm64 without DMA zones reserves it in arm64_memblock_init(), before the page tables and CMA") {
    // arch/arm64/mm/init.c (6.1): !defer_reserve_crashkernel() when neither ZONE_DMA nor
    // ZONE_DMA32 is built; arm64_dma_phys_limit is then PHYS_MASK + 1. No recorded boot
    // (Debian builds both zones): the region takes the top of RAM, CMA comes below it.
    KernelProfile profile = find_profile("arm64-6.1", std::nullopt);
    profile.config.erase("CONFIG_ZONE_DMA");
    profile.config.erase("CONFIG_ZONE_DMA32");
    profile.derive();
    Prediction prediction = crashkernel_256m_on_1g(profile);
    REQUIRE(prediction.crashkernel.size() == 1);
    CHECK(prediction.crashkernel[0].range == Range{0x70000000, 256 << 20});
    REQUIRE(!prediction.cma.empty());
    CHECK(prediction.cma[0].base + prediction.cma[0].size <= 0x70000000);
}
