// SPDX-License-Identifier: MIT
#include "kernel/cmdline.hpp"

#include <cctype>

namespace dtmem::detail {

std::pair<u64, std::size_t> memparse(std::string_view text) {
    // simple_strtoull(ptr, &end, 0), then the suffix (lib/cmdline.c memparse()).
    std::size_t at = 0;
    int base = 10;
    if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        at = 2;
    } else if (!text.empty() && text[0] == '0') {
        base = 8;
    }
    u64 value = 0;
    std::size_t digits_start = at;
    for (; at < text.size(); ++at) {
        int c = std::tolower(static_cast<unsigned char>(text[at]));
        int digit = std::isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 99;
        if (digit >= base) break;
        value = value * base + digit;  // the kernel wraps silently here too
    }
    if (at == digits_start && base != 8) return {0, 0};
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

CommandLine parse_command_line(std::string_view bootargs) {
    CommandLine line;
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
        } else if (key == "swiotlb") {  // kernel/dma/swiotlb.c setup_io_tlb_npages()
            if (!value.empty() && std::isdigit(static_cast<unsigned char>(value[0]))) {
                auto [slabs, used] = memparse(value);
                line.swiotlb_slabs = (slabs + 127) / 128 * 128;
                value.remove_prefix(used);
            }
            line.swiotlb_force = value.find("force") != std::string_view::npos &&
                                 value.find("noforce") == std::string_view::npos;
        } else if (key == "movable_node") {
            line.movable_node = true;
        }
    }
    return line;
}

}  // namespace dtmem::detail
