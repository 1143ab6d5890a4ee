// SPDX-License-Identifier: MIT
#include "kernel/cmdline.hpp"

#include <algorithm>
#include <cctype>

namespace dtmem::detail {

std::pair<u64, std::size_t> simple_strtoull(std::string_view text) {
    // lib/kstrtox.c _parse_integer_fixup_radix(): 0x with a hex digit after it is hex,
    // another leading 0 octal.
    auto lower = [&](std::size_t i) { return i < text.size() ? std::tolower(static_cast<unsigned char>(text[i])) : 0; };
    std::size_t at = 0;
    int base = 10;
    if (lower(0) == '0' && lower(1) == 'x' && std::isxdigit(lower(2))) {
        base = 16;
        at = 2;
    } else if (lower(0) == '0') {
        base = 8;
    }
    u64 value = 0;
    for (; at < text.size(); ++at) {
        int c = lower(at);
        int digit = std::isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
        if (digit >= base) break;
        value = value * base + digit;  // the kernel wraps silently here too
    }
    return {value, at};
}

std::pair<u64, std::size_t> memparse(std::string_view text) {
    // simple_strtoull(), then the suffix (lib/cmdline.c memparse()).
    auto [value, at] = simple_strtoull(text);
    if (at == 0) return {0, 0};
    if (at < text.size()) {
        static constexpr std::string_view kSuffixes = "kmgtpe";
        auto suffix = kSuffixes.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[at]))));
        if (suffix != std::string_view::npos) {
            value <<= 10 * (suffix + 1);
            ++at;
        }
    }
    return {value, at};
}

namespace {

// kernel/dma/swiotlb.c setup_io_tlb_npages()
SwiotlbParameter parse_swiotlb(std::string_view value) {
    SwiotlbParameter swiotlb;
    auto digit_first = [&] { return !value.empty() && std::isdigit(static_cast<unsigned char>(value[0])); };
    auto skip_comma = [&] {
        if (!value.empty() && value[0] == ',') value.remove_prefix(1);
    };
    if (digit_first()) {
        auto [slabs, used] = simple_strtoull(value);
        swiotlb.slabs = (slabs + 127) / 128 * 128;  // ALIGN(slabs, IO_TLB_SEGSIZE)
        value.remove_prefix(used);
    }
    skip_comma();
    if (digit_first()) {
        auto [areas, used] = simple_strtoull(value);
        swiotlb.areas = areas;
        value.remove_prefix(used);
    }
    skip_comma();
    swiotlb.force = value == "force";
    swiotlb.noforce = value == "noforce";
    return swiotlb;
}

// mm/mm_init.c cmdline_parse_core()
void parse_core(std::string_view value, CoreParameter& core) {
    auto [number, used] = simple_strtoull(value);
    if (used < value.size() && value[used] == '%') {
        core.percent = number;
    } else {
        core = {memparse(value).first, 0};
    }
}

// lib/cmdline.c parse_option_str(): `option` is one of the comma-separated words.
bool has_option(std::string_view value, std::string_view option) {
    for (std::size_t at = 0; at <= value.size();) {
        std::size_t comma = std::min(value.find(',', at), value.size());
        if (value.substr(at, comma - at) == option) return true;
        at = comma + 1;
    }
    return false;
}

}  // namespace

CommandLine parse_command_line(std::string_view bootargs) {
    CommandLine line;
    line.text = bootargs;
    while (!bootargs.empty()) {
        std::size_t space = bootargs.find(' ');
        std::string_view word = bootargs.substr(0, space);
        bootargs = space == std::string_view::npos ? std::string_view{} : bootargs.substr(space + 1);
        std::size_t equals = word.find('=');
        std::string_view key = word.substr(0, equals);
        std::string_view value = equals == std::string_view::npos ? std::string_view{} : word.substr(equals + 1);
        if (key == "mem") {
            auto [size, used] = memparse(value);
            MemParameter mem{size, std::nullopt};
            if (used < value.size() && value[used] == '@') mem.start = memparse(value.substr(used + 1)).first;
            line.mem.push_back(mem);
        } else if (key == "cma") {
            CmaParameter cma;
            auto [size, used] = memparse(value);
            cma.size = size;
            value.remove_prefix(used);
            if (!value.empty() && value[0] == '@') {
                auto [base, base_used] = memparse(value.substr(1));
                cma.base = base;
                value.remove_prefix(1 + base_used);
                if (!value.empty() && value[0] == '-') {
                    cma.limit = memparse(value.substr(1)).first;
                } else {
                    cma.limit = cma.base + cma.size;
                }
            }
            line.cma = cma;
        } else if (key == "vmalloc") {
            line.vmalloc = memparse(value).first;
        } else if (key == "swiotlb") {
            line.swiotlb.push_back(parse_swiotlb(value));
        } else if (key == "nr_cpus") {
            // kernel/smp.c nr_cpu_setup(): get_option(), only a positive number counts
            auto [count, used] = simple_strtoull(value);
            if (used && count > 0) line.nr_cpus = count;
        } else if (key == "movable_node") {
            line.movable_node = true;
        } else if (key == "kernelcore" && equals != std::string_view::npos) {
            if (has_option(value, "mirror")) {
                line.kernelcore_mirror = true;
            } else {
                parse_core(value, line.kernelcore);
            }
        } else if (key == "hugetlb_cma") {
            if (equals == std::string_view::npos) line.hugetlb_cma_bare = true;
            else line.hugetlb_cma.emplace_back(value);
        } else if (key == "movablecore" && equals != std::string_view::npos) {
            parse_core(value, line.movablecore);
        }
    }
    return line;
}

}  // namespace dtmem::detail
