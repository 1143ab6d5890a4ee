// SPDX-License-Identifier: MIT
// Physical address ranges and the overflow-checked arithmetic every stage uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dtmem {

using u64 = std::uint64_t;

// A non-empty range [start, start + size - 1]; `last()` never wraps.
struct Range {
    u64 start = 0;
    u64 size = 0;

    u64 last() const { return start + size - 1; }
    bool contains(u64 address) const { return address >= start && address - start < size; }
    bool overlaps(const Range& other) const {
        return start <= other.last() && other.start <= last();
    }
    friend bool operator==(const Range&, const Range&) = default;
};

// The range [start, start + size) when it is non-empty and does not pass 2^64.
std::optional<Range> make_range(u64 start, u64 size);

// Whether every byte of `range` lies in `ranges` (sorted by start; they may overlap or touch).
bool covered_by(const std::vector<Range>& ranges, Range range);

// How many bytes of `ranges` lie in [first, last].
u64 bytes_within(const std::vector<Range>& ranges, u64 first, u64 last);

// a + b, or nothing when it overflows.
std::optional<u64> checked_add(u64 a, u64 b);

// "0x1f" (lower case, no padding).
std::string hex(u64 value);
// "0x0000001f": zero-padded to `digits` hex digits.
std::string hex_padded(u64 value, int digits);
// Exact human size: "2 GiB", "1536 MiB", "4 KiB"; a size that is not a whole number of KiB
// in hex bytes ("0x9310"), like the addresses it stands beside; "0 B".
std::string human_size(u64 bytes);

// Parses "4G", "512M", "64K", "0x1000", "4096", "1GiB"; nothing on a malformed or
// overflowing value.
std::optional<u64> parse_size(std::string_view text);

}  // namespace dtmem
