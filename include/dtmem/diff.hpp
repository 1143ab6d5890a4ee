// SPDX-License-Identifier: MIT
// What a device-tree change does to memory, for review: the two analyses' memory facts
// (RAM, reservations as the kernel places them, pool users, DMA windows, zones, CMA,
// swiotlb, lowmem) side by side, and the findings the change introduces or fixes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/range.hpp"

namespace dtmem {

// The kinds of fact, in the order a review lists them.
enum class FactKind { Ram, MemReserve, Reservation, PoolUsers, DmaWindow, Zone, Cma, Swiotlb, CrashKernel, Lowmem };

std::string_view fact_kind_name(FactKind kind);  // "RAM", "reservation", ...

// One fact of one side: a subject (a node path, a zone or area name) and its value.
struct Fact {
    FactKind kind = FactKind::Ram;
    std::string subject;
    std::string value;          // as people read it
    std::optional<Range> range; // when the value is one address range
};

enum class ChangeKind { Added, Removed, Moved, Grew, Shrank, Changed };

std::string_view change_kind_name(ChangeKind kind);  // "added", "removed", "moved", ...

struct FactChange {
    ChangeKind kind = ChangeKind::Changed;
    FactKind fact = FactKind::Ram;
    std::string subject;
    std::string before, after;  // empty for the side that lacks it
};

struct MemoryDiff {
    std::vector<FactChange> changes;  // by fact kind, then subject
    std::vector<Finding> introduced;  // of the new side (its node ids), most severe first
    std::vector<Finding> fixed;       // of the old side (its node ids), most severe first
};

// The memory facts of one analysis, by kind and subject.
std::vector<Fact> memory_facts(const Analysis& analysis);

// A finding is the same on both sides when its rule, node path and property are: the
// change introduces those it has more of, and fixes those it has fewer of (addresses in
// the message may move without making a finding new).
MemoryDiff diff_analyses(const Analysis& before, const std::vector<Finding>& before_findings, const Analysis& after,
                         const std::vector<Finding>& after_findings);

}  // namespace dtmem
