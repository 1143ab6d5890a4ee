// SPDX-License-Identifier: MIT
// hugetlb_cma=: CMA areas for gigantic huge pages. mm/hugetlb.c (6.1, 6.12; mm/hugetlb_cma.c
// from 6.15): cmdline_parse_hugetlb_cma() (early_param), hugetlb_cma_reserve() (called by the
// architecture: arm64 in arch/arm64/mm/hugetlbpage.c arm64_hugetlb_cma_reserve() from
// bootmem_init(), after arch_numa_init() and before sparse_init(), the default CMA area and
// crashkernel=; riscv64 in arch/riscv/mm/init.c setup_bootmem() after the default CMA area, a
// stub in Debian's builds without CMA, so unrecorded; 32-bit ARM never) and hugetlb_cma_check()
// (hugetlb_init(), a subsys_initcall: the warning of a kernel that parses it but never reserves).
#include "kernel/simulation.hpp"

namespace dtmem::detail {

// cmdline_parse_hugetlb_cma() for every hugetlb_cma= in order: SIZE sets hugetlb_cma_size,
// NODE:SIZE[,NODE:SIZE...] sets each node's size and adds it to hugetlb_cma_size; a node
// number of MAX_NUMNODES or more ends the parse. Returns false when this kernel has no such
// parameter (no CONFIG_HUGETLB_PAGE or no CONFIG_CMA: an unknown argument).
bool BootSimulation::hugetlb_cma_parse() {
    if (hugetlb_cma_parsed_) return hugetlb_cma_known_;
    hugetlb_cma_parsed_ = true;
    if (cmdline_.hugetlb_cma.empty()) return false;
    if (!profile_.has("CONFIG_HUGETLB_PAGE") || !profile_.cma) {
        prediction_.notes.push_back(
            "hugetlb_cma= is unknown to this kernel (it needs CONFIG_HUGETLB_PAGE and CONFIG_CMA): it is "
            "passed to init as an unknown parameter and reserves nothing");
        return false;
    }
    hugetlb_cma_known_ = true;
    u64 max_nodes = profile_.has("CONFIG_NUMA") ? u64{1} << profile_.number("CONFIG_NODES_SHIFT").value_or(0) : 1;
    hugetlb_cma_in_node_.assign(max_nodes, 0);
    for (std::string_view s : cmdline_.hugetlb_cma) {
        std::string_view p = s;
        while (!s.empty()) {
            // sscanf(s, "%lu%n"): decimal digits only
            std::size_t count = 0;
            u64 number = 0;
            while (count < s.size() && s[count] >= '0' && s[count] <= '9') number = number * 10 + (s[count++] - '0');
            if (count == 0) break;
            if (count < s.size() && s[count] == ':') {
                if (number >= max_nodes) break;
                s.remove_prefix(count + 1);
                auto [size, used] = memparse(s);
                s.remove_prefix(used);
                hugetlb_cma_in_node_[number] = size;
                hugetlb_cma_size_ += size;
                if (s.empty() || s[0] != ',') break;
                s.remove_prefix(1);
            } else {
                hugetlb_cma_size_ = memparse(p).first;
                break;
            }
        }
    }
    return true;
}

// parse_early_param() → do_early_param() passes NULL for a parameter without '=', and
// cmdline_parse_hugetlb_cma() reads *p without a check. Recorded: arm64 6.1 and 6.12 hang
// before their first console line (earlycon included), armmp-lpae 6.1 and 6.12 after the
// banner and "Machine model:"; none reaches "Kernel command line:".
bool BootSimulation::hugetlb_cma_hangs() {
    if (!cmdline_.hugetlb_cma_bare || !profile_.has("CONFIG_HUGETLB_PAGE") || !profile_.cma) return false;
    prediction_.hangs =
        "\"hugetlb_cma\" without a value: cmdline_parse_hugetlb_cma() (mm/hugetlb.c) dereferences the NULL "
        "pointer early_param() gives it, and the kernel hangs in setup_arch(), before it prints its command line "
        "(arm64 prints nothing at all)";
    return true;
}

// hugetlb_cma_reserve(order): `gigantic` is PAGE_SIZE << order, `huge` PAGE_SIZE <<
// HUGETLB_PAGE_ORDER. Only node 0 is online (the faked node). Each size is rounded up to
// gigantic pages; the area is aligned to a gigantic page or, before 6.12, to a huge page.
void BootSimulation::hugetlb_cma_reserve(u64 gigantic, u64 huge) {
    hugetlb_cma_reserve_called_ = true;
    if (!hugetlb_cma_parse() || hugetlb_cma_size_ == 0) return;
    bool node_specific = false;
    for (std::size_t nid = 0; nid < hugetlb_cma_in_node_.size(); ++nid) {
        u64& in_node = hugetlb_cma_in_node_[nid];
        if (in_node == 0) continue;
        if (nid != 0) {
            log(fmt::format("hugetlb_cma: invalid node {} specified", nid));
        } else if (in_node < gigantic) {
            log(fmt::format("hugetlb_cma: cma area of node {} should be at least {} MiB", nid, gigantic / kMiB));
        } else {
            node_specific = true;
            continue;
        }
        hugetlb_cma_size_ -= in_node;
        in_node = 0;
    }
    if (hugetlb_cma_size_ == 0) return;
    if (hugetlb_cma_size_ < gigantic) {
        log(fmt::format("hugetlb_cma: cma area should be at least {} MiB", gigantic / kMiB));
        hugetlb_cma_size_ = 0;
        return;
    }
    // per_node: DIV_ROUND_UP(hugetlb_cma_size, nr_online_nodes) with one node, printed
    // rounded up to gigantic pages (recorded: hugetlb_cma=1500M, "up to 2048 MiB per node").
    u64 size = align_up(node_specific ? hugetlb_cma_in_node_[0] : hugetlb_cma_size_, gigantic);
    if (!node_specific) {
        log(fmt::format("hugetlb_cma: reserve {} MiB, up to {} MiB per node", hugetlb_cma_size_ / kMiB, size / kMiB));
    }
    u64 alignment = features_.hugetlb_cma_gigantic_alignment ? gigantic : huge;
    int error = cma_declare(CmaArea{"hugetlb0", 0, size, {}, false, true}, 0, alignment, false, memblock_.end_of_dram(), 0);
    if (error) {
        log(fmt::format("hugetlb_cma: reservation failed: err {}, node 0", error));
        hugetlb_cma_size_ = 0;
        return;
    }
    log(fmt::format("hugetlb_cma: reserved {} MiB on node 0", size / kMiB));
}

// hugetlb_cma_check(): a kernel that parses hugetlb_cma= but whose architecture never calls
// hugetlb_cma_reserve() (32-bit ARM with LPAE) says so at hugetlb_init().
void BootSimulation::hugetlb_cma_check() {
    if (!hugetlb_cma_parse() || hugetlb_cma_size_ == 0 || hugetlb_cma_reserve_called_) return;
    log("hugetlb_cma: the option isn't supported by current arch");
    prediction_.notes.push_back("hugetlb_cma=: this architecture never reserves the area (no hugetlb_cma_reserve() call)");
}

}  // namespace dtmem::detail
