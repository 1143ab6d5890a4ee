// SPDX-License-Identifier: MIT
// The map drawn (src/report/picture.cpp, html.cpp): where the axis puts addresses, what is
// folded, how findings are marked, and that text from the tree cannot become markup.
// Chromium renders the pages in tests/html/browser-test.sh.
#include <doctest/doctest.h>

#include <sstream>

#include <fmt/format.h>

#include "dtmem/report.hpp"
#include "helpers.hpp"
#include "report/picture.hpp"

using namespace dtmem;
using picture::Axis;
using picture::Item;
using picture::Picture;

namespace {

Analysis analyze_dts(std::string_view dts) {
    test::TempFile file(dts);
    Request request;
    request.input = file.path();
    request.profile.kernel = "arm64-6.12";
    return analyze(request);
}

const Item* find_item(const Picture& picture, std::string_view subject, std::optional<u64> start = {}) {
    for (const picture::Group& group : picture.groups) {
        for (const picture::Lane& lane : group.lanes) {
            for (const Item& item : lane.items) {
                if (item.subject == subject && (!start || item.range.start == *start)) return &item;
            }
        }
    }
    return nullptr;
}

const picture::Lane* find_lane(const Picture& picture, std::string_view title) {
    for (const picture::Lane& lane : picture.groups.front().lanes) {
        if (lane.title == title) return &lane;
    }
    return nullptr;
}

// 8 GiB of RAM with a 4 KiB, a 1 GiB and a 2 GiB reservation, and one device 56 GiB above.
constexpr std::string_view kBoard = R"(/dts-v1/;
/ {
    #address-cells = <2>;
    #size-cells = <2>;
    model = "<script>alert(1)</script> & \"quoted\"";
    cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = "cpu"; compatible = "arm,cortex-a53"; reg = <0>; }; };
    memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x2 0x0>; };
    reserved-memory {
        #address-cells = <2>;
        #size-cells = <2>;
        ranges;
        tiny@50000000 { reg = <0x0 0x50000000 0x0 0x1000>; no-map; };
        one@80000000 { reg = <0x0 0x80000000 0x0 0x40000000>; };
        two@100000000 { reg = <0x1 0x0 0x0 0x80000000>; };
    };
    soc {
        compatible = "simple-bus";
        #address-cells = <2>;
        #size-cells = <2>;
        ranges;
        uart@1000000000 { compatible = "vendor,uart"; reg = <0x10 0x0 0x0 0x1000>; };
    };
};
)";

}  // namespace

TEST_CASE("picture: a 4 KiB region and an 8 GiB bank are both visible; a stretch is to scale; a long gap is a break") {
    Analysis analysis = analyze_dts(kBoard);
    Picture picture = picture::draw(analysis, {}, "t");
    Axis axis({&picture});
    const Item* tiny = find_item(picture, "/reserved-memory/tiny@50000000");
    const Item* one = find_item(picture, "/reserved-memory/one@80000000");
    const Item* two = find_item(picture, "/reserved-memory/two@100000000");
    const Item* bank = find_item(picture, "/memory@40000000");
    const Item* uart = find_item(picture, "/soc/uart@1000000000");
    REQUIRE((tiny && one && two && bank && uart));
    auto height = [&](const Item& item) { return axis.bottom(item.range) - axis.top(item.range.start); };
    CHECK(height(*tiny) >= 3);
    CHECK(height(*bank) > 500);
    // Within one stretch of used address space, 2 GiB is drawn twice as tall as 1 GiB (the
    // few 3-pixel minimums of small neighbours aside).
    CHECK(height(*two) / height(*one) == doctest::Approx(2.0).epsilon(0.05));
    CHECK(axis.bottom(tiny->range) <= axis.top(one->range.start));
    CHECK(axis.bottom(one->range) <= axis.top(two->range.start));
    // RAM ends at 0x240000000; the UART is at 0x1000000000: 55 GiB of nothing, one break.
    std::vector<Axis::Segment> gaps;
    for (const Axis::Segment& segment : axis.segments()) {
        if (segment.gap) gaps.push_back(segment);
    }
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].first == 0x240000000);
    CHECK(gaps[0].last == 0xfffffffff);
    CHECK(gaps[0].height < 50);
    CHECK(axis.top(uart->range.start) >= gaps[0].top + gaps[0].height);
}

TEST_CASE("picture: findings are marked on the regions they concern and drawn in a lane of their own") {
    Analysis analysis = analyze_dts(kBoard);
    NodeId one = analysis.tree().find_path("/reserved-memory/one@80000000");
    Finding finding{"reserved-overlap", Severity::Error, "test", one, "reg", {Range{0x80000000, 0x1000}}, {}};
    Picture picture = picture::draw(analysis, {finding}, "t");
    const Item* item = find_item(picture, "/reserved-memory/one@80000000");
    REQUIRE(item);
    CHECK(item->finding == Severity::Error);
    CHECK_FALSE(find_item(picture, "/reserved-memory/two@100000000")->finding);
    const picture::Lane* lane = find_lane(picture, "findings");
    REQUIRE(lane);
    REQUIRE(lane->items.size() == 1);
    CHECK(lane->items[0].range == Range{0x80000000, 0x1000});
}

TEST_CASE("picture: a lane of 400 MMIO windows is folded into at most 150 items that cover every window") {
    std::string devices;
    for (int i = 0; i < 400; ++i) devices += fmt::format("dev@{0:x} {{ compatible = \"v,d\"; reg = <0x{0:x} 0x100>; }};\n", i * 0x1000);
    std::string dts = fmt::format(R"(/dts-v1/;
/ {{
    #address-cells = <1>;
    #size-cells = <1>;
    memory@40000000 {{ device_type = "memory"; reg = <0x40000000 0x10000000>; }};
    soc {{ compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x10000000 0x1000000>;
{}    }};
}};
)",
                                  devices);
    Analysis analysis = analyze_dts(dts);
    REQUIRE(analysis.map.mmio.size() == 400);
    Picture picture = picture::draw(analysis, {}, "t");
    const picture::Lane* mmio = find_lane(picture, "MMIO");
    REQUIRE(mmio);
    CHECK(mmio->items.size() <= 150);
    std::size_t folded = 0;
    for (const Item& item : mmio->items) folded += item.folded;
    CHECK(folded == 400);
    for (const MmioRegion& region : analysis.map.mmio) {
        bool covered = std::any_of(mmio->items.begin(), mmio->items.end(), [&](const Item& item) {
            return item.range.start <= region.range.start && region.range.last() <= item.range.last();
        });
        CHECK(covered);
    }
    REQUIRE(picture.folds.size() == 1);
    CHECK(picture.folds[0].starts_with("MMIO: 400 regions"));
}

TEST_CASE("html and svg: text from the tree is escaped, never markup") {
    Analysis analysis = analyze_dts(kBoard);
    std::ostringstream html, svg;
    write_findings_html(html, analysis, {});
    write_map_svg(svg, analysis, {});
    CHECK(html.str().find("<script>alert") == std::string::npos);
    CHECK(html.str().find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;") != std::string::npos);
    // Every region of the map is in the SVG with its exact range.
    for (const ReservedRegion& region : analysis.map.reserved_memory->regions) {
        Range range{region.reg[0].address, region.reg[0].size};
        CHECK(svg.str().find(fmt::format(R"(data-start="{}" data-end="{}")", hex(range.start), hex(range.last()))) !=
              std::string::npos);
    }
}

TEST_CASE("picture: the crashkernel= regions are drawn in the lane of swiotlb and the images") {
    std::string board(kBoard);
    board.insert(board.rfind("};"), R"(chosen { bootargs = "crashkernel=512M,high crashkernel=64M,low"; };)");
    Analysis analysis = analyze_dts(board);
    REQUIRE(analysis.prediction);
    REQUIRE(analysis.prediction->crashkernel.size() == 2);  // the low part and the region
    Picture picture = picture::draw(analysis, {}, "t");
    const picture::Lane* lane = find_lane(picture, "swiotlb, images");
    REQUIRE(lane);
    for (const BootImage& crash : analysis.prediction->crashkernel) {
        CAPTURE(crash.name);
        CHECK(std::any_of(lane->items.begin(), lane->items.end(),
                          [&](const Item& item) { return item.subject == crash.name && item.range == crash.range; }));
    }
}
