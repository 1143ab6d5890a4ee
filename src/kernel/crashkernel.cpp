// SPDX-License-Identifier: MIT
// crashkernel=: the parser of kernel/crash_core.c (6.1) / kernel/crash_reserve.c (6.12)
// and the reservations: arch/arm64/mm/init.c reserve_crashkernel() (6.1), the generic
// reserve_crashkernel_generic() (6.12: arm64 and riscv64), arch/riscv/mm/init.c
// reserve_crashkernel() (riscv64 6.1), arch/arm/kernel/setup.c reserve_crashkernel() (32-bit ARM).
#include "kernel/simulation.hpp"

namespace dtmem::detail {

namespace {

constexpr std::string_view kName = "crashkernel=";
constexpr std::string_view kSuffixes[] = {",high", ",low"};  // suffix_tbl[]

// get_last_crashkernel(): the text after the last "crashkernel=" whose word ends in
// `suffix` (none: in no known suffix). strstr() finds the name anywhere, even inside a word.
std::optional<std::string_view> last_crashkernel(std::string_view line, std::string_view suffix) {
    std::optional<std::string_view> found;
    for (std::size_t at = line.find(kName); at != std::string_view::npos; at = line.find(kName, at + 1)) {
        std::string_view word = line.substr(at, line.find(' ', at) - at);
        bool suffixed = false;
        for (std::string_view known : kSuffixes) suffixed |= word.ends_with(known);
        if (suffix.empty() ? !suffixed : word.ends_with(suffix)) found = line.substr(at + kName.size());
    }
    return found;
}

}  // namespace

// __parse_crashkernel(): parse_crashkernel_suffix() for ",high"/",low", else
// parse_crashkernel_mem() (ranges) when a ':' comes before the next space, else
// parse_crashkernel_simple().
BootSimulation::CrashRequest BootSimulation::parse_crashkernel(u64 system_ram, std::string_view suffix) {
    CrashRequest request;
    std::optional<std::string_view> found = last_crashkernel(cmdline_.text, suffix);
    if (!found) return request;  // -ENOENT
    std::string_view cur = *found;
    auto at = [&](std::size_t i) { return i < cur.size() ? cur[i] : '\0'; };
    auto invalid = [&](std::string line) {
        log(std::move(line));
        request.status = CrashRequest::Invalid;
        return request;
    };
    auto unrecognized = [&] { return invalid(fmt::format("crashkernel: unrecognized char: {}", at(0))); };
    auto number = [&](u64& value) {  // memparse(); false when no digit
        auto [parsed, used] = memparse(cur);
        value = parsed;
        cur.remove_prefix(used);
        return used > 0;
    };
    request.status = CrashRequest::Ok;
    if (!suffix.empty()) {
        if (!number(request.size)) return invalid("crashkernel: memory value expected");
        if (!cur.starts_with(suffix)) return unrecognized();
        cur.remove_prefix(suffix.size());
        if (at(0) != ' ' && at(0) != '\0') return unrecognized();
        return request;
    }
    std::size_t colon = cur.find(':'), space = cur.find(' ');
    if (colon == std::string_view::npos || colon > space) {
        if (!number(request.size)) return invalid("crashkernel: memory value expected");
        if (at(0) == '@') {
            cur.remove_prefix(1);
            number(request.base);
        } else if (at(0) != ' ' && at(0) != '\0') {
            return unrecognized();
        }
        return request;
    }
    // parse_crashkernel_mem(): "start-[end]:size[,...][@offset]", matched against the RAM
    // size rounded up to 128 MiB.
    bool v6_12 = features_.crashkernel_generic;
    u64 total = align_up(system_ram, 128 * kMiB);
    do {
        u64 start = 0, end = ~u64{0}, size = 0;
        if (!number(start)) return invalid("crashkernel: Memory value expected");
        if (at(0) != '-') return invalid("crashkernel: '-' expected");
        cur.remove_prefix(1);
        if (at(0) != ':') {
            if (!number(end)) return invalid("crashkernel: Memory value expected");
            if (end <= start) return invalid("crashkernel: end <= start");
        }
        if (at(0) != ':') return invalid("crashkernel: ':' expected");
        cur.remove_prefix(1);
        // The unprefixed wordings are 6.1's, the prefixed ones the current source's (not recorded).
        if (!number(size)) return invalid(v6_12 ? "crashkernel: Memory value expected" : "Memory value expected");
        if (size >= total) return invalid("crashkernel: invalid size");
        if (total >= start && total < end) {
            request.size = size;
            break;
        }
        char next = at(0);
        if (!cur.empty()) cur.remove_prefix(1);
        if (next != ',') break;
    } while (true);
    if (request.size == 0) {
        log("crashkernel size resulted in zero bytes");
        return request;
    }
    if (std::size_t stop = cur.find_first_of(" @"); stop != std::string_view::npos && cur[stop] == '@') {
        cur.remove_prefix(stop + 1);
        if (!number(request.base)) {
            return invalid(v6_12 ? "crashkernel: Memory value expected after '@'" : "Memory value expected after '@'");
        }
    }
    return request;
}

// Whether crashkernel= is read at all: 6.9+ reserve only with CONFIG_CRASH_RESERVE, earlier
// kernels with CONFIG_KEXEC (arm64 6.1: KEXEC_CORE, which KEXEC selects; ARM 6.1: #ifdef
// CONFIG_KEXEC). A kernel built without it ignores the argument, which a note says.
bool BootSimulation::crashkernel_wanted() {
    if (cmdline_.text.find(kName) == std::string::npos) return false;
    std::string option = profile_.version >= KernelVersion{6, 9, 0} ? "CONFIG_CRASH_RESERVE" : "CONFIG_KEXEC";
    if (profile_.has(option)) return true;
    prediction_.notes.push_back(fmt::format("crashkernel= is ignored: this kernel is built without {}", option));
    return false;
}

void BootSimulation::crash_region(std::string name, u64 base, u64 size) {
    if (auto range = make_range(base, size)) prediction_.crashkernel.push_back({std::move(name), *range, {}});
}

// reserve_crashkernel_low(): the low part, anywhere below the low limit.
bool BootSimulation::reserve_crashkernel_low(u64 size, u64 low_max, u64 align) {
    std::optional<u64> base = memblock_.alloc_range(size, align, 0, low_max);
    if (!base) {
        log(fmt::format("cannot allocate crashkernel low memory (size:{}).", hex(size)));
        return false;
    }
    log(fmt::format("crashkernel low memory reserved: {} - {} ({} MB)", hex_padded(*base, 8),
                    hex_padded(*base + size, 8), size >> 20));
    crash_region("crash kernel (low)", *base, size);
    return true;
}

// arm64 and riscv64: `low_max` is CRASH_ADDR_LOW_MAX (arm64_dma_phys_limit, riscv's
// dma32_phys_limit), `high_max` CRASH_ADDR_HIGH_MAX (arm64: PHYS_MASK + 1; riscv:
// memblock_end_of_DRAM()), `align` CRASH_ALIGN (2 MiB on both).
void BootSimulation::reserve_crashkernel(u64 low_max, u64 high_max, u64 align) {
    constexpr u64 kDefaultLowSize = 128 * kMiB;  // DEFAULT_CRASH_KERNEL_LOW_SIZE
    if (!crashkernel_wanted()) return;
    u64 system_ram = memblock_.phys_mem_size();
    CrashRequest request = parse_crashkernel(system_ram, "");
    u64 low_size = 0;
    bool high = false;
    if (request.status == CrashRequest::Missing) {  // crashkernel=X,high [crashkernel=Y,low]
        request = parse_crashkernel(0, ",high");
        if (request.status != CrashRequest::Ok || !request.size) return;
        CrashRequest low = parse_crashkernel(0, ",low");
        if (low.status == CrashRequest::Invalid) return;
        // [6.12] parse_crashkernel() gives the default low part; [6.1] none.
        low_size = low.status == CrashRequest::Ok ? low.size : features_.crashkernel_generic ? kDefaultLowSize : 0;
        high = true;
    }
    if (request.status != CrashRequest::Ok || !request.size) return;
    u64 size = request.size;
    if (features_.crashkernel_generic) {
        if (size >= system_ram) return;  // parse_crashkernel(): -EINVAL
    } else {
        size = align_up(size, profile_.page_size);
    }
    bool fixed = request.base != 0;
    u64 search_base = fixed ? request.base : high && features_.crashkernel_generic ? low_max : 0;
    u64 search_end = fixed ? request.base + size : high ? high_max : low_max;
    std::optional<u64> base = memblock_.alloc_range(size, align, search_base, search_end);
    if (!base && features_.crashkernel_generic) {
        if (fixed) {
            log("crashkernel reservation failed - memory is in use.");
            return;
        }
        // [6.12] reserve_crashkernel_generic(): X falls back to high memory with the default
        // low part; X,high falls back to low memory.
        if (!high) {
            low_size = kDefaultLowSize;
            base = memblock_.alloc_range(size, align, low_max, high_max);
        } else if (low_max != high_max) {
            base = memblock_.alloc_range(size, align, 0, low_max);
        }
    }
    if (!base) {
        log(fmt::format("cannot allocate crashkernel (size:{})", hex(size)));
        return;
    }
    // A low part only for a region above the limit, on both versions (recorded:
    // arm64-crashkernel-high-low-near-limit, a region within the low size below the limit).
    if (*base >= low_max && low_size && !reserve_crashkernel_low(low_size, low_max, align)) {
        memblock_.free(*base, size);
        return;
    }
    log(fmt::format("crashkernel reserved: {} - {} ({} MB)", hex_padded(*base, 16), hex_padded(*base + size, 16),
                    size >> 20));
    crash_region("crash kernel", *base, size);
}

// riscv64 before 6.6 (arch/riscv/mm/init.c reserve_crashkernel(), as in 6.1): no
// ",high"/",low"; PMD_SIZE aligned, first below SZ_4G - 1, an exclusive end, so with memory
// past 4 GiB the region ends 2 MiB below it; then anywhere.
void BootSimulation::reserve_crashkernel_riscv_before_6_6() {
    if (!crashkernel_wanted()) return;
    CrashRequest request = parse_crashkernel(memblock_.phys_mem_size(), "");
    if (request.status != CrashRequest::Ok || !request.size) return;
    u64 size = align_up(request.size, profile_.page_size);
    u64 start = request.base ? request.base : memblock_.start_of_dram();
    u64 end = request.base ? request.base + size : memblock_.end_of_dram();
    std::optional<u64> base = memblock_.alloc_range(size, 2 * kMiB, start, std::min(end, k4GiB - 1));
    if (!base) base = memblock_.alloc_range(size, 2 * kMiB, start, end);
    if (!base) {
        log(fmt::format("crashkernel: couldn't allocate {}KB", size >> 10));
        return;
    }
    log(fmt::format("crashkernel: reserved {} - {} ({} MB)", hex_padded(*base, 16), hex_padded(*base + size, 16), size >> 20));
    crash_region("crash kernel", *base, size);
}

// 32-bit ARM: no ",high"/",low"; the RAM size is lowmem's; automatic placement is
// CRASH_ALIGN (128 MiB) aligned within [128 MiB, end of lowmem), a given address 1 MiB.
void BootSimulation::reserve_crashkernel_arm(u64 lowmem_end) {
    constexpr u64 kCrashAlign = 128 * kMiB;
    if (!crashkernel_wanted()) return;
    u64 total = lowmem_end - memblock_.start_of_dram();  // get_total_mem()
    CrashRequest request = parse_crashkernel(total, "");
    if (request.status != CrashRequest::Ok || !request.size) return;
    if (features_.crashkernel_generic && request.size >= total) return;  // parse_crashkernel(): -EINVAL
    u64 size = request.size;
    std::optional<u64> base;
    if (!request.base) {
        base = memblock_.alloc_range(size, kCrashAlign, kCrashAlign, std::min<u64>(lowmem_end, 0xffffffffULL));
        if (!base) {
            log("crashkernel reservation failed - No suitable area found.");
            return;
        }
    } else {
        base = memblock_.alloc_range(size, kMiB, request.base, request.base + size);
        if (!base) {
            log("crashkernel reservation failed - memory is in use.");
            return;
        }
    }
    log(fmt::format("Reserving {}MB of memory at {}MB for crashkernel (System RAM: {}MB)", size >> 20, *base >> 20,
                    total >> 20));
    crash_region("crash kernel", *base, size);
}

}  // namespace dtmem::detail
