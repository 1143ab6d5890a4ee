// SPDX-License-Identifier: MIT
// The possible CPUs (nr_cpu_ids) as each arch's set-up counts them from the tree, and what
// --cpus and nr_cpus= change; seen through the swiotlb area count, which is the CPUs rounded
// up to a power of two (kernel/dma/swiotlb.c swiotlb_init_remap() -> swiotlb_adjust_nareas()).
// The addresses that move with the CPUs are checked against the 2- and 4-CPU recorded boots
// (tests/kernel-cases/*-smp2-*, *-smp4-*).
#include <doctest/doctest.h>

#include <algorithm>

#include "dtmem/prediction.hpp"
#include "helpers.hpp"

using namespace dtmem;
using namespace dtmem::test;

namespace {

// A 1 GiB board at `base` whose /cpus has one node per entry of `cpus` (its extra
// properties); no /cpus at all when `cpus` is empty.
std::string board(const std::string& base, const std::vector<std::string>& cpus) {
    std::string dts = "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n";
    if (!cpus.empty()) {
        dts += "cpus { #address-cells = <1>; #size-cells = <0>;\n";
        for (std::size_t i = 0; i < cpus.size(); ++i) {
            dts += "cpu@" + std::to_string(i) + " { device_type = \"cpu\"; reg = <" + std::to_string(i) + ">; " + cpus[i] + " };\n";
        }
        dts += "};\n";
    }
    return dts + "memory@" + base + " { device_type = \"memory\"; reg = <0 0x" + base + " 0 0x40000000>; };\n};\n";
}

struct Boot {
    std::string areas;  // the "area num N." line of a boot with swiotlb=force
    std::vector<std::string> assumptions;
};

Boot boot(const std::string& dts, const std::string& kernel, std::optional<u64> cpus = std::nullopt,
          const std::string& more = "") {
    LoadedTree loaded = load_dts(dts);
    MemoryMap map = build_memory_map(loaded.tree);
    BootInputs inputs;
    inputs.bootargs = "swiotlb=force" + more;
    inputs.cpus = cpus;
    Prediction p = predict_boot(loaded.tree, map, find_profile(kernel, std::nullopt), inputs);
    auto line = std::find_if(p.log.begin(), p.log.end(), [](const std::string& l) { return l.find("area num") != std::string::npos; });
    return {line == p.log.end() ? "(none)" : *line, p.assumptions};
}

const std::string kPsci = "compatible = \"arm,cortex-a57\"; enable-method = \"psci\";";
const std::string kHart = "compatible = \"riscv\"; riscv,isa = \"rv64imafdc\"; mmu-type = \"riscv,sv48\";";

}  // namespace

TEST_CASE("CPUs: arm64 makes a secondary possible only with an enable-method") {
    // arch/arm64/kernel/smp.c smp_init_cpus(): smp_cpu_setup() -> init_cpu_ops() fails
    // without one; the boot CPU needs none.
    for (const char* kernel : {"arm64-6.1", "arm64-6.12"}) {
        CHECK(boot(board("40000000", {kPsci, kPsci, kPsci, kPsci}), kernel).areas == "software IO TLB: area num 4.");
        CHECK(boot(board("40000000", {"", kPsci, "", ""}), kernel).areas == "software IO TLB: area num 2.");
        CHECK(boot(board("40000000", {"", "", ""}), kernel).areas == "software IO TLB: area num 1.");
        // drivers/of/base.c of_get_next_cpu_node(): status "fail" is skipped, "disabled" is not.
        CHECK(boot(board("40000000", {kPsci, kPsci + " status = \"fail\";"}), kernel).areas == "software IO TLB: area num 1.");
        CHECK(boot(board("40000000", {kPsci, kPsci + " status = \"disabled\";"}), kernel).areas == "software IO TLB: area num 2.");
    }
}

TEST_CASE("CPUs: riscv takes the available harts, 32-bit ARM every CPU node") {
    // arch/riscv/kernel/smpboot.c of_parse_and_init_cpus(): riscv_early_of_processor_hartid()
    // refuses a disabled hart and one that is not "riscv".
    std::string harts = board("80000000", {kHart, kHart, kHart + " status = \"disabled\";", "compatible = \"foo\";"});
    CHECK(boot(harts, "riscv64-6.12").areas == "software IO TLB: area num 2.");
    // arch/arm/kernel/devtree.c arm_dt_init_cpu_maps(): no enable-method needed.
    std::string arm = board("40000000", {"compatible = \"arm,cortex-a15\";", "compatible = \"arm,cortex-a15\";"});
    CHECK(boot(arm, "arm-6.12-lpae").areas == "software IO TLB: area num 2.");
}

TEST_CASE("CPUs: --cpus replaces the tree's count, nr_cpus= lowers it") {
    std::string four = board("40000000", {kPsci, kPsci, kPsci, kPsci});
    CHECK(boot(four, "arm64-6.12", 8).areas == "software IO TLB: area num 8.");
    CHECK(boot(four, "arm64-6.12", 1).areas == "software IO TLB: area num 1.");
    // kernel/smp.c nr_cpu_setup(): only a positive number below nr_cpu_ids counts.
    CHECK(boot(four, "arm64-6.12", std::nullopt, " nr_cpus=2").areas == "software IO TLB: area num 2.");
    CHECK(boot(four, "arm64-6.12", std::nullopt, " nr_cpus=0").areas == "software IO TLB: area num 4.");
    CHECK(boot(four, "arm64-6.12", std::nullopt, " nr_cpus=16").areas == "software IO TLB: area num 4.");
    CHECK(boot(four, "arm64-6.12", 8, " nr_cpus=2").areas == "software IO TLB: area num 2.");
}

TEST_CASE("CPUs: at most CONFIG_NR_CPUS are possible") {
    // The arch's CPU-node walk stops at NR_CPUS: 8 on Debian's armhf builds, 512 on arm64 6.12.
    std::vector<std::string> nodes(12, "compatible = \"arm,cortex-a15\";");
    CHECK(boot(board("40000000", nodes), "arm-6.12-lpae").areas == "software IO TLB: area num 8.");
    CHECK(boot(board("40000000", {kPsci}), "arm64-6.12", 600).areas == "software IO TLB: area num 512.");
    CHECK(boot(board("40000000", {kPsci}), "arm64-6.1", 600).areas == "software IO TLB: area num 256.");
}

TEST_CASE("CPUs: a tree without /cpus is one CPU, said as an assumption unless --cpus gives it") {
    auto said = [](const Boot& b) {
        return std::any_of(b.assumptions.begin(), b.assumptions.end(),
                           [](const std::string& a) { return a.find("give --cpus") != std::string::npos; });
    };
    Boot none = boot(board("40000000", {}), "arm64-6.12");
    CHECK(none.areas == "software IO TLB: area num 1.");
    CHECK(said(none));
    CHECK_FALSE(said(boot(board("40000000", {}), "arm64-6.12", 2)));
    CHECK_FALSE(said(boot(board("40000000", {kPsci}), "arm64-6.12")));
}
