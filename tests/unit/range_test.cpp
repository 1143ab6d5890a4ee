// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "dtmem/memory_map.hpp"
#include "dtmem/range.hpp"

using namespace dtmem;

TEST_CASE("parse_size accepts the units users write") {
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("0x1000") == 0x1000u);
    CHECK(parse_size("64K") == 64u << 10);
    CHECK(parse_size("512M") == 512u << 20);
    CHECK(parse_size("4G") == 4ull << 30);
    CHECK(parse_size("1GiB") == 1ull << 30);
    CHECK(parse_size("2gb") == 2ull << 30);
    CHECK(parse_size("16E") == std::nullopt);  // 2^64 does not fit
    CHECK(parse_size("") == std::nullopt);
    CHECK(parse_size("12Q") == std::nullopt);
    CHECK(parse_size("0x") == std::nullopt);
    CHECK(parse_size("1MiBx") == std::nullopt);
    CHECK(parse_size("99999999999999999999") == std::nullopt);
}

TEST_CASE("ranges never wrap") {
    CHECK(make_range(0, 0) == std::nullopt);
    CHECK(make_range(~0ull, 1)->last() == ~0ull);
    CHECK(make_range(~0ull, 2) == std::nullopt);
    CHECK(make_range(0, ~0ull)->last() == ~0ull - 1);
    CHECK(checked_add(~0ull, 1) == std::nullopt);
    CHECK(Range{0x1000, 0x1000}.overlaps(Range{0x1fff, 1}));
    CHECK_FALSE(Range{0x1000, 0x1000}.overlaps(Range{0x2000, 1}));
}

TEST_CASE("human sizes are exact") {
    CHECK(human_size(2ull << 30) == "2 GiB");
    CHECK(human_size(1536ull << 20) == "1536 MiB");
    CHECK(human_size(37648) == "0x9310");
    CHECK(human_size(0) == "0 B");
    CHECK(hex(0) == "0x0");
    CHECK(hex_padded(0x1f, 8) == "0x0000001f");
}

TEST_CASE("--memory banks") {
    CHECK(parse_memory_bank("0x40000000:2G") == Range{0x40000000, 2ull << 30});
    CHECK(parse_memory_bank("0:1G") == Range{0, 1ull << 30});
    CHECK(parse_memory_bank("0x40000000") == std::nullopt);
    CHECK(parse_memory_bank("0xffffffffffff0000:1M") == std::nullopt);  // wraps
    CHECK(parse_memory_bank("0x1000:0") == std::nullopt);
}

TEST_CASE("covered_by: every byte in the union of sorted ranges, touching ranges join") {
    std::vector<Range> ranges = {{0x1000, 0x1000}, {0x2000, 0x1000}, {0x2800, 0x2000}, {0x8000, 0x1000}};
    CHECK(covered_by(ranges, Range{0x1800, 0x2000}));   // across two that touch
    CHECK(covered_by(ranges, Range{0x1000, 0x3800}));   // to the end of the overlapping third
    CHECK_FALSE(covered_by(ranges, Range{0x4000, 0x1000}));  // runs into the hole at 0x4800
    CHECK_FALSE(covered_by(ranges, Range{0x800, 0x1000}));   // starts below the first
    CHECK(covered_by({{0xfffffffffffff000, 0xfff}}, Range{0xfffffffffffff800, 0x7ff}));
    CHECK_FALSE(covered_by({}, Range{0, 1}));
}
