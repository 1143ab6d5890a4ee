// SPDX-License-Identifier: MIT
// The single entry point: an Analysis owns its tree, so two can live side by side and move.
#include <doctest/doctest.h>

#include "dtmem/analysis.hpp"
#include "dtmem/error.hpp"
#include "helpers.hpp"

using namespace dtmem;
using dtmem::test::TempFile;

namespace {

std::string board(const char* bank) {
    return std::string("/dts-v1/;\n/ { model = \"m\"; #address-cells = <2>; #size-cells = <2>;\n"
                       "cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = \"cpu\"; "
                       "compatible = \"arm,cortex-a53\"; reg = <0>; }; };\n") +
           bank + "\n};\n";
}

Analysis analyze_dts(const std::string& dts, const std::string& kernel = "arm64-6.12") {
    TempFile file(dts);
    Request request;
    request.input = file.path();
    request.profile.kernel = kernel;
    return analyze(std::move(request));
}

}  // namespace

TEST_CASE("analyze: two analyses alive at once, one moved, each keeps its own tree") {
    Analysis old_board = analyze_dts(board("memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x40000000>; };"));
    Analysis new_board = analyze_dts(board("memory@80000000 { device_type = \"memory\"; reg = <0 0x80000000 0 0x80000000>; };"));
    Analysis moved = std::move(old_board);
    REQUIRE(moved.map.ram.size() == 1);
    REQUIRE(new_board.map.ram.size() == 1);
    CHECK(moved.tree().path(moved.map.ram[0].node) == "/memory@40000000");
    CHECK(new_board.tree().path(new_board.map.ram[0].node) == "/memory@80000000");
    REQUIRE(moved.prediction);
    REQUIRE(new_board.prediction);
    CHECK(moved.prediction->memory_ranges.front() == Range{0x40000000, 0x40000000});
    CHECK(new_board.prediction->memory_ranges.front() == Range{0x80000000, 0x80000000});
}

TEST_CASE("analyze: no RAM gives a map without a prediction; a bad request is an error") {
    Analysis no_ram = analyze_dts(board(""));
    CHECK(!no_ram.prediction);
    CHECK(no_ram.no_prediction.find("no RAM") != std::string::npos);
    CHECK_THROWS_AS(analyze_dts(board(""), "arm64-9.99"), Error);
}

TEST_CASE("parse_load: kernel, dtb and initrd in any order") {
    BootInputs inputs;
    REQUIRE(parse_load("dtb=0x48000000,initrd=0x49000000:16M,kernel=0x40200000", inputs));
    CHECK(inputs.kernel_address == 0x40200000u);
    CHECK(inputs.dtb_address == 0x48000000u);
    CHECK(inputs.initrd == Range{0x49000000, 16u << 20});
    CHECK(!parse_load("kernel", inputs));
    CHECK(!parse_load("bios=0x0", inputs));
}

TEST_CASE("analyze: machine code that takes memory away says so (OMAP's omap_reserve())") {
    // tests/kernel-cases/arm-machine-dra7-reserve-hook, recorded on Debian armmp 6.12: the
    // kernel's node ranges go 0x40000000-0x6fdfffff, then resume at 0x70000000 above the
    // two MiB arm_memblock_steal() removed (secure RAM, then the interconnect barrier).
    Request request;
    request.input = std::string(DTMEM_SOURCE_DIR) + "/tests/kernel-cases/arm-machine-dra7-reserve-hook/board.dts";
    request.profile.kernel = "arm-6.12";
    Analysis analysis = analyze(std::move(request));
    REQUIRE(analysis.prediction);
    std::vector<std::string> steals;
    for (const std::string& note : analysis.prediction->notes) {
        if (note.find("omap_reserve()") != std::string::npos) steals.push_back(note);
    }
    REQUIRE(steals.size() == 2);
    CHECK(steals[0].find("0x6ff00000-0x6fffffff") != std::string::npos);
    CHECK(steals[1].find("0x6fe00000-0x6fefffff") != std::string::npos);
}
