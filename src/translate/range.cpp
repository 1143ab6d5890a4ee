// SPDX-License-Identifier: MIT
#include "dtmem/range.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace dtmem {

std::optional<u64> checked_add(u64 a, u64 b) {
    u64 sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
    return sum;
}

bool covered_by(const std::vector<Range>& ranges, Range range) {
    u64 cursor = range.start;
    for (const Range& r : ranges) {
        if (r.start > cursor) break;
        if (r.last() >= cursor) {
            if (r.last() >= range.last()) return true;
            cursor = r.last() + 1;  // r.last() < range.last(), so no wrap
        }
    }
    return false;
}

u64 bytes_within(const std::vector<Range>& ranges, u64 first, u64 last) {
    u64 bytes = 0;
    for (const Range& r : ranges) {
        u64 low = std::max(r.start, first), high = std::min(r.last(), last);
        if (low <= high) bytes += high - low + 1;
    }
    return bytes;
}

std::optional<Range> make_range(u64 start, u64 size) {
    if (size == 0 || start + (size - 1) < start) return std::nullopt;
    return Range{start, size};
}

std::string hex(u64 value) { return fmt::format("{:#x}", value); }

std::string hex_padded(u64 value, int digits) { return fmt::format("0x{:0{}x}", value, digits); }

std::string human_size(u64 bytes) {
    if (bytes % 1024 != 0) return hex(bytes);  // bytes, in the base of the addresses beside it
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int unit = 0;
    while (unit < 6 && bytes != 0 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++unit;
    }
    return fmt::format("{} {}", bytes, kUnits[unit]);
}

std::optional<u64> parse_size(std::string_view text) {
    if (text.empty()) return std::nullopt;
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    u64 value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    std::string_view suffix(end, text.data() + text.size() - end);
    if (suffix.empty()) return value;
    // K/M/G/T/P/E in either case, optionally followed by "iB" or "B" (binary units either way).
    static constexpr std::string_view kLetters = "KMGTPE";
    auto letter = kLetters.find(static_cast<char>(std::toupper(suffix[0])));
    if (letter == std::string_view::npos) return std::nullopt;
    suffix.remove_prefix(1);
    std::string rest;
    for (char c : suffix) rest += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!rest.empty() && rest != "ib" && rest != "b") return std::nullopt;
    int shift = 10 * static_cast<int>(letter + 1);
    if (value > (~u64{0} >> shift)) return std::nullopt;
    return value << shift;
}

}  // namespace dtmem
