// SPDX-License-Identifier: MIT
#include "dtmem/diff.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace dtmem {
namespace {

std::string span(Range range) { return fmt::format("{}-{} ({})", hex(range.start), hex(range.last()), human_size(range.size)); }

std::string spans(const std::vector<Range>& ranges) {
    std::string text;
    for (const Range& r : ranges) text += (text.empty() ? "" : ", ") + span(r);
    return text;
}

Fact fact(FactKind kind, std::string subject, const std::vector<Range>& ranges, std::string extra = {}) {
    Fact f{kind, std::move(subject), spans(ranges) + extra, std::nullopt};
    if (ranges.size() == 1) f.range = ranges.front();
    return f;
}

void ram_facts(const Analysis& analysis, std::vector<Fact>& out) {
    std::map<std::string, std::vector<Range>> banks;  // by node path, "--memory" for the command line's
    for (const RamBank& bank : analysis.map.ram) {
        banks[bank.node == kNoNode ? "--memory" : analysis.tree().path(bank.node)].push_back(bank.range);
    }
    for (const auto& [subject, ranges] : banks) out.push_back(fact(FactKind::Ram, subject, ranges));
}

void reservation_facts(const Analysis& analysis, std::vector<Fact>& out) {
    for (const Range& r : analysis.map.memreserve) out.push_back(fact(FactKind::MemReserve, span(r), {r}));
    if (!analysis.map.reserved_memory) return;
    const Tree& tree = analysis.tree();
    for (const ReservedRegion& region : analysis.map.reserved_memory->regions) {
        std::string path = tree.path(region.node);
        const RegionOutcome* outcome = analysis.prediction ? analysis.prediction->outcome(region.node) : nullptr;
        std::vector<Range> ranges;
        if (region.type == RegionType::Dynamic) {
            if (outcome && outcome->placed) ranges.push_back(*outcome->placed);
        } else {
            for (const AddressSize& entry : region.reg) {
                if (auto range = make_range(entry.address, entry.size)) ranges.push_back(*range);
            }
        }
        std::vector<std::string> notes;
        if (region.type == RegionType::Dynamic) notes.push_back(fmt::format("dynamic {}", human_size(region.size.value_or(0))));
        if (region.no_map) notes.push_back("no-map");
        if (region.reusable) notes.push_back("reusable");
        if (!region.available) notes.push_back("disabled");
        if (outcome && !outcome->error.empty()) notes.push_back("the kernel: " + outcome->error);
        std::string extra;
        for (const std::string& note : notes) extra += (extra.empty() ? "; " : ", ") + note;
        out.push_back(fact(FactKind::Reservation, path, ranges, extra));
        if (!region.users.empty()) {
            std::string users;
            for (NodeId user : region.users) users += (users.empty() ? "" : ", ") + tree.path(user);
            out.push_back({FactKind::PoolUsers, path, users, std::nullopt});
        }
    }
}

void dma_facts(const Analysis& analysis, std::vector<Fact>& out) {
    for (const BusTranslation& bus : analysis.map.buses) {
        if (!bus.dma) continue;
        std::string windows;
        std::vector<Range> cpu;
        for (const DmaRange& r : bus.dma->ranges) {
            windows += fmt::format("{}bus {} -> CPU {}-{}", windows.empty() ? "" : ", ", hex(r.dma_start), hex(r.cpu_start),
                                   hex(r.cpu_start + (r.size - 1)));
            cpu.push_back({r.cpu_start, r.size});
        }
        Fact f{FactKind::DmaWindow, analysis.tree().path(bus.node), windows, std::nullopt};
        if (cpu.size() == 1) f.range = cpu.front();
        out.push_back(std::move(f));
    }
}

void prediction_facts(const Analysis& analysis, std::vector<Fact>& out) {
    if (!analysis.prediction) return;
    const Prediction& p = *analysis.prediction;
    for (const Zone& zone : p.zones) {
        out.push_back(zone.range ? fact(FactKind::Zone, zone.name, {*zone.range}) : Fact{FactKind::Zone, zone.name, "empty", std::nullopt});
    }
    for (const CmaArea& area : p.cma) {
        out.push_back(fact(FactKind::Cma, area.name == "reserved" ? "default area" : area.name, {Range{area.base, area.size}}));
    }
    out.push_back(p.swiotlb ? fact(FactKind::Swiotlb, "bounce buffer", {*p.swiotlb})
                            : Fact{FactKind::Swiotlb, "bounce buffer", "none", std::nullopt});
    for (const BootImage& crash : p.crashkernel) {
        out.push_back(fact(FactKind::CrashKernel, crash.name == "crash kernel" ? "region" : "low part", {crash.range}));
    }
    if (p.lowmem_end) out.push_back({FactKind::Lowmem, "end", hex(*p.lowmem_end), std::nullopt});
    if (p.lowmem_free) out.push_back({FactKind::Lowmem, "free for the kernel", fmt::format("{} MiB", *p.lowmem_free >> 20), std::nullopt});
}

// A node path without unit addresses: "/reserved-memory/optee@be000000" -> "/reserved-memory/optee".
std::string without_unit_addresses(std::string_view path) {
    std::string out;
    for (std::size_t at = 0; at < path.size();) {
        std::size_t slash = path.find('/', at + 1);
        std::string_view component = path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        out += component.substr(0, component.find('@'));
        at = slash == std::string_view::npos ? path.size() : slash;
    }
    return out;
}

using FactPairs = std::map<std::pair<FactKind, std::string>, std::pair<const Fact*, const Fact*>>;

// A node whose unit address follows its new reg is the same node, moved: a fact only on
// the old side and one only on the new side with the same path but for unit addresses,
// and no other such pair, become one (the new side's entry keeps both; the old one empties).
void pair_renamed(FactPairs& facts) {
    std::map<std::pair<FactKind, std::string>, std::vector<FactPairs::iterator>> gone, came;
    for (auto it = facts.begin(); it != facts.end(); ++it) {
        auto& [old_fact, new_fact] = it->second;
        if (old_fact && !new_fact) gone[{it->first.first, without_unit_addresses(it->first.second)}].push_back(it);
        if (!old_fact && new_fact) came[{it->first.first, without_unit_addresses(it->first.second)}].push_back(it);
    }
    for (auto& [key, olds] : gone) {
        auto news = came.find(key);
        if (olds.size() != 1 || news == came.end() || news->second.size() != 1) continue;
        news->second.front()->second.first = olds.front()->second.first;
        olds.front()->second.first = nullptr;
    }
}

ChangeKind how_changed(const Fact& before, const Fact& after) {
    if (!before.range || !after.range) return ChangeKind::Changed;
    if (after.range->size > before.range->size) return ChangeKind::Grew;
    if (after.range->size < before.range->size) return ChangeKind::Shrank;
    return after.range->start != before.range->start ? ChangeKind::Moved : ChangeKind::Changed;
}

using FindingKey = std::tuple<std::string, std::string, std::string>;  // rule, node path, property

FindingKey key_of(const Analysis& analysis, const Finding& f) {
    return {f.rule, f.node == kNoNode ? "" : analysis.tree().path(f.node), f.property};
}

// The findings of `side` that `other` has fewer of, per key: same-message ones matched first.
std::vector<Finding> surplus(const Analysis& side, const std::vector<Finding>& findings, const Analysis& other_side,
                             const std::vector<Finding>& other) {
    std::map<FindingKey, std::vector<const Finding*>> theirs;
    for (const Finding& f : other) theirs[key_of(other_side, f)].push_back(&f);
    std::map<FindingKey, std::vector<const Finding*>> ours;
    for (const Finding& f : findings) ours[key_of(side, f)].push_back(&f);
    std::vector<Finding> out;
    for (auto& [key, mine] : ours) {
        std::vector<const Finding*>& matching = theirs[key];
        if (mine.size() <= matching.size()) continue;
        std::vector<const Finding*> unmatched;
        for (const Finding* f : mine) {
            auto same = std::find_if(matching.begin(), matching.end(), [&](const Finding* t) { return t && t->message == f->message; });
            if (same != matching.end()) *same = nullptr; else unmatched.push_back(f);
        }
        for (std::size_t i = 0; i < mine.size() - matching.size() && i < unmatched.size(); ++i) out.push_back(*unmatched[i]);
    }
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
    return out;
}

}  // namespace

std::string_view fact_kind_name(FactKind kind) {
    static constexpr std::string_view kNames[] = {"RAM", "/memreserve/", "reservation", "pool users", "DMA window",
                                                  "zone", "CMA area", "swiotlb", "crashkernel", "lowmem"};
    return kNames[static_cast<int>(kind)];
}

std::string_view change_kind_name(ChangeKind kind) {
    static constexpr std::string_view kNames[] = {"added", "removed", "moved", "grew", "shrank", "changed"};
    return kNames[static_cast<int>(kind)];
}

std::vector<Fact> memory_facts(const Analysis& analysis) {
    std::vector<Fact> facts;
    ram_facts(analysis, facts);
    reservation_facts(analysis, facts);
    dma_facts(analysis, facts);
    prediction_facts(analysis, facts);
    return facts;
}

MemoryDiff diff_analyses(const Analysis& before, const std::vector<Finding>& before_findings, const Analysis& after,
                         const std::vector<Finding>& after_findings) {
    MemoryDiff diff;
    FactPairs facts;
    std::vector<Fact> old_facts = memory_facts(before), new_facts = memory_facts(after);
    for (const Fact& f : old_facts) facts[{f.kind, f.subject}].first = &f;
    for (const Fact& f : new_facts) facts[{f.kind, f.subject}].second = &f;
    pair_renamed(facts);
    for (const auto& [key, sides] : facts) {
        const auto& [old_fact, new_fact] = sides;
        if (!old_fact && !new_fact) continue;  // paired with its renamed self
        if (old_fact && new_fact && old_fact->value == new_fact->value) continue;
        ChangeKind kind = !old_fact ? ChangeKind::Added : !new_fact ? ChangeKind::Removed : how_changed(*old_fact, *new_fact);
        std::string subject = old_fact && new_fact && old_fact->subject != new_fact->subject
                                  ? fmt::format("{} (was {})", new_fact->subject, old_fact->subject)
                                  : key.second;
        diff.changes.push_back({kind, key.first, subject, old_fact ? old_fact->value : "", new_fact ? new_fact->value : ""});
    }
    diff.introduced = surplus(after, after_findings, before, before_findings);
    diff.fixed = surplus(before, before_findings, after, after_findings);
    return diff;
}

}  // namespace dtmem
