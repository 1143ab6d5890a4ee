// SPDX-License-Identifier: MIT
// dtmem suggest: every suggestion is verified by the model; one that would not help is
// not made. Expected values come from the boards' kernel arithmetic and recorded boots.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "dtmem/load.hpp"
#include "dtmem/suggest.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

struct Suggested {
    Request request;
    Analysis analysis;
    Suggestions result;
};

Suggested suggest_for(const fs::path& dts) {
    Request request;
    request.input = dts.string();
    request.content = read_input(request.input);
    Analysis analysis = analyze(request);
    Suggestions result = suggest(request, analysis, {}, Severity::Error);
    return {std::move(request), std::move(analysis), std::move(result)};
}

}  // namespace

TEST_CASE("with_parameter: replaces every name= and keeps the rest in order") {
    CHECK(with_parameter("console=ttyS0 vmalloc=1G root=/dev/sda", "vmalloc", "") == "console=ttyS0 root=/dev/sda");
    CHECK(with_parameter("cma=64M console=ttyS0 cma=32M", "cma", "cma=16M@0-0x40000000") == "console=ttyS0 cma=16M@0-0x40000000");
    CHECK(with_parameter("", "swiotlb", "swiotlb=1024") == "swiotlb=1024");
    CHECK(with_parameter("cmaa=1 cma", "cma", "cma=8M") == "cmaa=1 cma cma=8M");
}

TEST_CASE("suggest: dropping the vmalloc= that panics an armhf board, verified") {
    Suggested s = suggest_for(fs::path(DTMEM_SOURCE_DIR) / "boards/armhf-vmalloc-panic/board.dts");
    REQUIRE(s.result.suggestions.size() == 1);
    const Suggestion& fix = s.result.suggestions[0];
    CHECK(fix.kind == Suggestion::Kind::BootArgument);
    CHECK(fix.change == "remove vmalloc=");
    CHECK(fix.bootargs == "console=ttyAMA0 root=/dev/mmcblk0p2");
    CHECK(s.result.bootargs == fix.bootargs);
    CHECK(s.result.remaining == 0);
    auto fixes = [&](std::string_view rule) {
        return std::any_of(fix.fixes.begin(), fix.fixes.end(), [&](const std::string& f) { return f.starts_with(rule); });
    };
    CHECK(fixes("boot-panic"));
    CHECK(fixes("cmdline-adjusted"));
    // With the default 240 MiB vmalloc area a 2 GiB armhf board's lowmem ends at 0x70000000
    // (the recorded boot tests/kernel-cases/arm-ram-2g: "DMA [mem 0x40000000-0x6fffffff]").
    auto zone = std::find_if(fix.effect.begin(), fix.effect.end(), [](const FactChange& c) {
        return c.fact == FactKind::Zone && c.subject == "DMA";
    });
    REQUIRE(zone != fix.effect.end());
    CHECK(zone->after == "0x40000000-0x6fffffff (768 MiB)");
}

TEST_CASE("suggest: a cma= that would not help is not made; the tree change that does is") {
    // arm64-cma-above-4g: a static linux,cma-default pool at 5 GiB, a display reaching 4 GiB.
    // cma= on the command line makes the kernel bypass the node (rmem_cma_setup()), which then
    // fails ("compatible matching fail"): an error, so no cma= is suggested. Moving the pool
    // to end at 4 GiB is: 256 MiB from 0xf0000000.
    Suggested s = suggest_for(fs::path(DTMEM_SOURCE_DIR) / "boards/arm64-cma-above-4g/board.dts");
    CHECK(std::none_of(s.result.suggestions.begin(), s.result.suggestions.end(),
                       [](const Suggestion& x) { return x.kind == Suggestion::Kind::BootArgument; }));
    CHECK_FALSE(s.result.bootargs);
    REQUIRE(s.result.suggestions.size() == 1);
    CHECK(s.result.suggestions[0].change == "/reserved-memory/linux,cma@140000000: reg = <0x0 0xf0000000 0x0 0x10000000>;");
    CHECK(s.result.remaining == 0);
}

TEST_CASE("suggest: a pool is moved into free RAM below its users' reach, not into a hole") {
    // rpi4-dma-window-pool: the codec reaches CPU addresses below 0x40000000 (its bus's
    // dma-ranges); RAM below that is 0x0-0x3b3fffff. The 256 MiB pool fits at the top of that
    // bank, 4 MiB aligned: 0x3b400000 - 0x10000000 = 0x2b400000, all of it in RAM.
    Suggested s = suggest_for(fs::path(DTMEM_SOURCE_DIR) / "boards/rpi4-dma-window-pool/board.dts");
    REQUIRE(s.result.suggestions.size() == 1);
    const Suggestion& move = s.result.suggestions[0];
    CHECK(move.change == "/reserved-memory/codec-pool@70000000: reg = <0x0 0x2b400000 0x10000000>;");
    CHECK(move.brings.empty());
    CHECK(s.result.remaining == 0);
}

TEST_CASE("suggest: nothing verifies for a CMA area no window has room for, and it says so") {
    // arm64-dma-window-8m-device: the device reaches the first 8 MiB of RAM only, where the
    // kernel image lies (0x40200000); no default CMA area fits below it (recorded: "cma:
    // Failed to reserve 64 MiB").
    Suggested s = suggest_for(fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-dma-window-8m-device/board.dts");
    REQUIRE_FALSE(s.result.unfixed.empty());
    CHECK(s.result.unfixed[0].starts_with("cma-reserve-fails"));
    CHECK(s.result.remaining > 0);
}

TEST_CASE("suggest: a smaller swiotlb= keeps the area count and force of the one it replaces") {
    // tests/kernel-cases/arm64-dma-window-8m-device: ZONE_DMA is 8 MiB and the recorded 6.12
    // boot fits 2 MiB of bounce buffer there ("adjusted 32768 -> 1024 slabs"), not 4 MiB.
    Request request;
    request.input = (fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases/arm64-dma-window-8m-device/board.dts").string();
    request.content = read_input(request.input);
    request.boot.bootargs = "console=ttyAMA0 swiotlb=32768,2 swiotlb=force";
    Analysis analysis = analyze(request);
    Suggestions result = suggest(request, analysis, {}, Severity::Error);
    auto made = [&](std::string_view change) {
        return std::any_of(result.suggestions.begin(), result.suggestions.end(),
                           [&](const Suggestion& x) { return x.change == change; });
    };
    CHECK(made("swiotlb=1024,2,force"));
    CHECK_FALSE(made("swiotlb=2048,2,force"));
    CHECK_FALSE(made("swiotlb=1024"));
}

TEST_CASE("suggest: crashkernel=SIZE,high for a crash region that does not fit below the DMA limit") {
    // tests/kernel-cases/arm64-crashkernel-too-big-low: 6.1 cannot place crashkernel=3G below
    // 4 GiB and gives up. Its recorded boot with the suggested argument
    // (tests/kernel-cases/arm64-crashkernel-high-3g, arm64-6.1) reserves it above 4 GiB.
    fs::path cases = fs::path(DTMEM_SOURCE_DIR) / "tests/kernel-cases";
    Request request;
    request.input = (cases / "arm64-crashkernel-too-big-low/board.dts").string();
    request.content = read_input(request.input);
    request.load.include_dirs = {(cases / "include").string()};
    request.profile.kernel = "arm64-6.1";
    request.boot.kernel_address = 0x40200000;
    request.boot.dtb_address = 0x48000000;
    Analysis analysis = analyze(request);
    Suggestions result = suggest(request, analysis, {}, Severity::Error);
    REQUIRE_FALSE(result.suggestions.empty());
    const Suggestion& first = result.suggestions.front();
    CHECK(first.change == "crashkernel=3G,high");
    CHECK(first.bootargs == "console=ttyAMA0 earlycon panic=-1 crashkernel=3G,high");
    auto recorded = std::find_if(first.effect.begin(), first.effect.end(),
                                 [](const FactChange& c) { return c.fact == FactKind::CrashKernel && c.subject == "region"; });
    REQUIRE(recorded != first.effect.end());
    // "crashkernel reserved: 0x0000000176e00000 - 0x0000000236e00000 (3072 MB)"
    CHECK(recorded->after.starts_with("0x176e00000-0x236dfffff"));
}
