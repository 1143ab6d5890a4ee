// SPDX-License-Identifier: MIT
#include "report/picture.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "report/lines.hpp"

namespace dtmem::picture {
namespace {

// Beyond these counts a lane, a bus or the list of buses is folded: the page stays a few
// MB and opens in a browser in seconds whatever the tree (a lane of 10^5 MMIO windows
// would be unreadable anyway).
constexpr std::size_t kItemsPerLane = 150;
constexpr std::size_t kDevicesPerBus = 12;
constexpr std::size_t kBuses = 24;

Item make_item(Range range, Shape shape, std::string label, std::string subject, std::vector<std::string> details = {}) {
    Item item;
    item.range = range;
    item.shape = shape;
    item.label = std::move(label);
    item.subject = std::move(subject);
    item.details = std::move(details);
    return item;
}

// [first, last] as a Range; the whole 64-bit space, which a Range cannot hold, loses its last byte.
Range span(u64 first, u64 last) {
    return {first, last - first == ~u64{0} ? ~u64{0} : last - first + 1};
}

class Builder {
public:
    Builder(const Analysis& analysis, const std::vector<Finding>& findings, std::string_view id_prefix)
        : analysis_(analysis), tree_(analysis.tree()), map_(analysis.map), findings_(findings), prefix_(id_prefix) {
        for (const Finding& f : findings) {
            if (f.node == kNoNode) continue;
            auto [it, fresh] = worst_.try_emplace(f.node, f.severity);
            if (!fresh) it->second = std::max(it->second, f.severity);
        }
    }

    Picture build() {
        Picture picture;
        Group board{"board", {}, false};
        board.lanes.push_back(ram());
        if (analysis_.prediction) board.lanes.push_back(zones());
        board.lanes.push_back(static_reservations(picture));
        if (analysis_.prediction) {
            board.lanes.push_back(placed_at_boot(picture));
            board.lanes.push_back(swiotlb_and_images());
        }
        board.lanes.push_back(mmio());
        if (!findings_.empty()) board.lanes.push_back(finding_lane());
        std::erase_if(board.lanes, [](const Lane& lane) { return lane.items.empty(); });
        picture.groups.push_back(std::move(board));
        dma_groups(picture);
        markers(picture);
        for (Group& group : picture.groups) {
            for (Lane& lane : group.lanes) fold(lane, picture);
        }
        number(picture);
        return picture;
    }

private:
    Item node_item(Range range, Shape shape, NodeId node, std::string label, const std::string& property) {
        Item item = make_item(range, shape, std::move(label), tree_.path(node));
        item.node = node;
        if (auto at = tree_.location(node, property)) {
            item.details.push_back(fmt::format("defined at {}:{}:{}", at->file, at->line, at->column));
        }
        if (auto it = worst_.find(node); it != worst_.end()) item.finding = it->second;
        return item;
    }

    Lane ram() {
        Lane lane{"RAM", {}};
        for (const RamBank& bank : map_.ram) {
            if (bank.node == kNoNode) {
                lane.items.push_back(make_item(bank.range, Shape::Ram, "RAM", "--memory", {"given with --memory"}));
                continue;
            }
            Item item = node_item(bank.range, Shape::Ram, bank.node, "RAM",
                                  bank.source == RamSource::UsableMemory ? "linux,usable-memory" : "reg");
            if (bank.source == RamSource::UsableMemory) item.details.push_back("from linux,usable-memory");
            if (bank.hotpluggable) item.details.push_back("hotpluggable");
            lane.items.push_back(std::move(item));
        }
        return lane;
    }

    Lane zones() {
        Lane lane{"zones", {}};
        for (const Zone& zone : analysis_.prediction->zones) {
            if (zone.range) lane.items.push_back(make_item(*zone.range, Shape::Zone, zone.name, zone.name, {"zone " + zone.name}));
        }
        return lane;
    }

    // Flags, users and what the kernel did with a /reserved-memory region.
    void describe(Item& item, const ReservedRegion& region) {
        if (std::string flags = region_flags(region); !flags.empty()) item.details.push_back("flags: " + flags);
        std::vector<std::string> users;
        for (NodeId user : region.users) users.push_back(tree_.path(user));
        if (!users.empty()) item.details.push_back("used by " + join(users, ", "));
        if (!map_.reserved_memory->supported()) item.details.push_back("ignored: " + map_.reserved_memory->unsupported_reason);
        const RegionOutcome* outcome = analysis_.prediction ? analysis_.prediction->outcome(region.node) : nullptr;
        if (outcome && !outcome->error.empty()) item.details.push_back("the kernel: " + outcome->error);
        if (outcome) mark_rests_on(item, outcome->rests_on);
    }

    Lane static_reservations(Picture& picture) {
        Lane lane{"static", {}};
        for (std::size_t i = 0; i < map_.memreserve.size(); ++i) {
            lane.items.push_back(make_item(map_.memreserve[i], Shape::MemReserve, "/memreserve/",
                                           fmt::format("/memreserve/ #{}", i), {"FDT header reservation"}));
        }
        if (!map_.reserved_memory) return lane;
        for (const ReservedRegion& region : map_.reserved_memory->regions) {
            if (region.type == RegionType::Invalid) {
                picture.not_drawn.push_back(fmt::format("{}: {}", tree_.path(region.node), region.problem));
                continue;
            }
            if (region.type != RegionType::Static) continue;
            Shape shape = region.no_map ? Shape::NoMap : region.reusable ? Shape::Reusable : Shape::Static;
            for (std::size_t i = 0; i < region.reg.size(); ++i) {
                auto range = make_range(region.reg[i].address, region.reg[i].size);
                if (!range) continue;
                Item item = node_item(*range, shape, region.node, std::string(tree_.name(region.node)), "reg");
                if (region.reg.size() > 1) item.details.push_back(fmt::format("reg entry {}", i));
                describe(item, region);
                lane.items.push_back(std::move(item));
            }
        }
        return lane;
    }

    // Dynamic reservations where the kernel placed them, and the CMA areas (a dynamic
    // shared-dma-pool that became CMA is drawn once, as CMA).
    Lane placed_at_boot(Picture& picture) {
        const Prediction& prediction = *analysis_.prediction;
        Lane lane{"placed at boot", {}};
        for (const RegionOutcome& outcome : prediction.reserved) {
            const ReservedRegion* region = map_.reserved_memory ? map_.reserved_memory->find(outcome.node) : nullptr;
            if (!region || region->type != RegionType::Dynamic) continue;
            if (!outcome.placed) {
                picture.not_drawn.push_back(fmt::format("{}: {}", tree_.path(outcome.node), outcome.error));
                continue;
            }
            bool cma = std::any_of(prediction.cma.begin(), prediction.cma.end(), [&](const CmaArea& area) {
                return area.base == outcome.placed->start && area.size == outcome.placed->size;
            });
            Item item = node_item(*outcome.placed, cma ? Shape::Cma : Shape::Dynamic, outcome.node,
                                  std::string(tree_.name(outcome.node)), "size");
            item.details.push_back(fmt::format("dynamic: size {}", human_size(region->size.value_or(0))));
            describe(item, *region);
            lane.items.push_back(std::move(item));
        }
        for (const CmaArea& area : prediction.cma) {
            Range range{area.base, area.size};
            bool drawn = std::any_of(lane.items.begin(), lane.items.end(),
                                     [&](const Item& item) { return item.range == range; });
            if (drawn || area.size == 0) continue;
            Item item = make_item(range, Shape::Cma, area.is_default ? "CMA (default)" : "CMA " + area.name,
                                  area.is_default ? "default CMA area" : "CMA area " + area.name);
            if (area.is_default) item.details.push_back("dma_contiguous_default_area");
            if (!area.activated) item.details.push_back("not activated: its pages span two zones");
            mark_rests_on(item, area.rests_on);
            lane.items.push_back(std::move(item));
        }
        return lane;
    }

    static void mark_rests_on(Item& item, const RestsOn& rests_on) {
        if (rests_on.empty()) return;
        item.assumed = true;
        item.details.push_back("rests on " + join(rests_on, ", "));
    }

    Lane swiotlb_and_images() {
        const Prediction& prediction = *analysis_.prediction;
        Lane lane{"swiotlb, images", {}};
        if (prediction.swiotlb) {
            Item item = make_item(*prediction.swiotlb, Shape::Swiotlb, "swiotlb", "swiotlb bounce buffer");
            mark_rests_on(item, prediction.swiotlb_rests_on);
            lane.items.push_back(std::move(item));
        }
        for (const auto* list : {&prediction.images, &prediction.crashkernel}) {
            for (const BootImage& image : *list) {
                Item item = make_item(image.range, Shape::Image, image.name, image.name, {"reserved in memblock at boot"});
                mark_rests_on(item, image.rests_on);
                lane.items.push_back(std::move(item));
            }
        }
        return lane;
    }

    Lane mmio() {
        Lane lane{"MMIO", {}};
        for (const MmioRegion& region : map_.mmio) {
            std::string label(tree_.name(region.node));
            Item item = node_item(region.range, Shape::Mmio, region.node, label, "reg");
            if (region.name) item.details.push_back(fmt::format("reg-names \"{}\"", *region.name));
            else if (region.index > 0) item.details.push_back(fmt::format("reg entry {}", region.index));
            lane.items.push_back(std::move(item));
        }
        return lane;
    }

    Lane finding_lane() {
        Lane lane{"findings", {}};
        for (const Finding& f : findings_) {
            for (const Range& range : f.ranges) {
                Item item = make_item(range, Shape::Finding, f.rule, f.node == kNoNode ? analysis_.file : tree_.path(f.node),
                                      {fmt::format("{}: {}", severity_name(f.severity), f.message)});
                item.finding = f.severity;
                item.node = f.node;
                lane.items.push_back(std::move(item));
            }
        }
        return lane;
    }

    // One group per bus whose dma-ranges gives devices their window, a lane per device:
    // the CPU addresses the window reaches, and the pools the device uses (memory-region)
    // where they lie, so a pool out of reach shows.
    void dma_groups(Picture& picture) {
        std::map<NodeId, std::vector<const Device*>> by_window;
        for (const Device& device : map_.devices) {
            if (device.dma_window) by_window[device.dma_window->node].push_back(&device);
        }
        std::size_t buses = 0, shared_lane_devices = 0, shared_lane_buses = 0;
        for (const auto& [window_node, devices] : by_window) {
            if (++buses > kBuses) continue;
            Group group{fmt::format("{} ({} device{})", tree_.path(window_node), devices.size(), devices.size() == 1 ? "" : "s"),
                        {}, true};
            for (std::size_t i = 0; i < devices.size() && i < kDevicesPerBus; ++i) {
                group.lanes.push_back(device_lane(*devices[i]));
            }
            if (devices.size() > kDevicesPerBus) {
                std::size_t more = devices.size() - kDevicesPerBus;
                Lane lane{fmt::format("{} more devices", more), window_items(*devices.front()->dma_window, window_node)};
                for (Item& item : lane.items) item.details.push_back(fmt::format("the window of {} more devices of this bus", more));
                group.lanes.push_back(std::move(lane));
                shared_lane_devices += more;
                ++shared_lane_buses;
            }
            picture.groups.push_back(std::move(group));
        }
        if (shared_lane_devices) {
            picture.folds.push_back(fmt::format("{} devices share one lane on each of {} bus{} (a bus gives its devices one window)",
                                                shared_lane_devices, shared_lane_buses, shared_lane_buses == 1 ? "" : "es"));
        }
        if (buses > kBuses) {
            picture.folds.push_back(fmt::format("{} more buses with dma-ranges are not drawn (the text output of dtmem map lists them)",
                                                buses - kBuses));
        }
    }

    std::vector<Item> window_items(const DmaWindow& window, NodeId window_node) {
        std::vector<Item> items;
        for (const DmaRange& r : window.ranges) {
            auto cpu = make_range(r.cpu_start, r.size);
            if (!cpu) continue;
            Item item = node_item(*cpu, Shape::Dma, window_node, "DMA window", "dma-ranges");
            item.details.push_back(fmt::format("bus {}-{} -> CPU {}-{}", hex(r.dma_start), hex(r.dma_start + (r.size - 1)),
                                               hex(cpu->start), hex(cpu->last())));
            item.finding.reset();  // a finding about the bus is drawn on the bus's own items
            items.push_back(std::move(item));
        }
        return items;
    }

    Lane device_lane(const Device& device) {
        Lane lane{std::string(tree_.name(device.node)), window_items(*device.dma_window, device.dma_window->node)};
        for (Item& item : lane.items) {
            item.subject = tree_.path(device.node);
            item.details.push_back("window from " + tree_.path(device.dma_window->node));
            if (device.dma_coherent) item.details.push_back("dma-coherent");
            item.node = device.node;
            if (auto it = worst_.find(device.node); it != worst_.end()) item.finding = it->second;
        }
        for (const RegionUse& use : device.memory_regions) {
            for (const Range& range : pool_ranges(use.region)) {
                Item item = node_item(range, Shape::Pool, use.region, std::string(tree_.name(use.region)), "reg");
                item.details.push_back("memory-region of " + tree_.path(device.node));
                lane.items.push_back(std::move(item));
            }
        }
        return lane;
    }

    // Where a pool is: its reg entries, or where the kernel placed a dynamic one.
    std::vector<Range> pool_ranges(NodeId region_node) const {
        std::vector<Range> ranges;
        const ReservedRegion* region = map_.reserved_memory ? map_.reserved_memory->find(region_node) : nullptr;
        if (!region) return ranges;
        if (region->type == RegionType::Dynamic) {
            const RegionOutcome* outcome = analysis_.prediction ? analysis_.prediction->outcome(region_node) : nullptr;
            if (outcome && outcome->placed) ranges.push_back(*outcome->placed);
            return ranges;
        }
        for (const AddressSize& entry : region->reg) {
            if (auto range = make_range(entry.address, entry.size)) ranges.push_back(*range);
        }
        return ranges;
    }

    void markers(Picture& picture) {
        if (u64 reach = map_.dma_max.address.value_or(~u64{0}); reach != ~u64{0}) {
            picture.markers.push_back({reach + 1, fmt::format("all DMA masters reach up to {}", hex(reach))});
        }
        if (!analysis_.prediction) return;
        const Prediction& prediction = *analysis_.prediction;
        if (prediction.lowmem_end) picture.markers.push_back({*prediction.lowmem_end, "lowmem ends at " + hex(*prediction.lowmem_end)});
        if (prediction.movable_start) picture.markers.push_back({*prediction.movable_start, "ZONE_MOVABLE starts at " + hex(*prediction.movable_start)});
    }

    // More than kItemsPerLane items become that many folded items of consecutive ones.
    void fold(Lane& lane, Picture& picture) {
        std::size_t count = lane.items.size();
        if (count <= kItemsPerLane) return;
        std::stable_sort(lane.items.begin(), lane.items.end(),
                         [](const Item& a, const Item& b) { return a.range.start < b.range.start; });
        std::size_t per_item = (count + kItemsPerLane - 1) / kItemsPerLane;
        std::vector<Item> folded;
        for (std::size_t first = 0; first < count; first += per_item) {
            std::size_t end = std::min(count, first + per_item);
            u64 start = lane.items[first].range.start, last = lane.items[first].range.last();
            std::optional<Severity> worst;
            for (std::size_t i = first; i < end; ++i) {
                last = std::max(last, lane.items[i].range.last());
                if (lane.items[i].finding) worst = std::max(worst.value_or(Severity::Note), *lane.items[i].finding);
            }
            Item item = make_item(span(start, last), Shape::Folded, fmt::format("{} regions", end - first),
                                  fmt::format("{} {} regions", end - first, lane.title),
                                  {fmt::format("from {} to {}", lane.items[first].subject, lane.items[end - 1].subject)});
            item.folded = end - first;
            item.finding = worst;
            folded.push_back(std::move(item));
        }
        picture.folds.push_back(fmt::format("{}: {} regions drawn as {} folded ones", lane.title, count, folded.size()));
        lane.items = std::move(folded);
    }

    void number(Picture& picture) const {
        std::size_t next = 0;
        for (Group& group : picture.groups) {
            for (Lane& lane : group.lanes) {
                for (Item& item : lane.items) item.id = fmt::format("{}{}", prefix_, next++);
            }
        }
    }

    const Analysis& analysis_;
    const Tree& tree_;
    const MemoryMap& map_;
    const std::vector<Finding>& findings_;
    std::string prefix_;
    std::map<NodeId, Severity> worst_;
};

// The exclusive end of a range, saturated at the top of the address space.
u64 end_of(const Range& range) {
    return range.last() == ~u64{0} ? range.last() : range.last() + 1;
}

}  // namespace

Picture draw(const Analysis& analysis, const std::vector<Finding>& findings, std::string_view id_prefix) {
    return Builder(analysis, findings, id_prefix).build();
}

namespace {

constexpr double kBudget = 900;     // pixels the used address space is scaled to
constexpr double kMinHeight = 3;    // the least an item is drawn
constexpr double kBreakHeight = 28; // a break in the axis
constexpr double kLongestGap = 40;  // an empty stretch drawn taller than this becomes a break

}  // namespace

// Used address space is what any item but a zone or a DMA window covers: those two span
// whole GiB of nothing, so only their ends count (and markers are such points too).
Axis::Axis(const std::vector<const Picture*>& pictures) {
    std::vector<Range> used;
    std::vector<u64> bounds;
    for (const Picture* picture : pictures) {
        for (const Group& group : picture->groups) {
            for (const Lane& lane : group.lanes) {
                for (const Item& item : lane.items) {
                    bounds.push_back(item.range.start);
                    bounds.push_back(end_of(item.range));
                    if (item.shape == Shape::Zone || item.shape == Shape::Dma) {
                        used.push_back({item.range.start, 1});
                        used.push_back({item.range.last(), 1});
                    } else {
                        used.push_back(item.range);
                    }
                }
            }
        }
        for (const Marker& marker : picture->markers) {
            used.push_back({marker.address, 1});
            bounds.push_back(marker.address);
        }
    }
    if (used.empty()) return;
    std::sort(used.begin(), used.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
    std::vector<Range> clusters{used.front()};
    for (const Range& r : used) {
        Range& last = clusters.back();
        if (r.start <= end_of(last)) {
            if (r.last() > last.last()) last = span(last.start, r.last());
        } else {
            clusters.push_back(r);
        }
    }
    // Short gaps join their neighbours, drawn to scale; the scale is then set again from
    // what is drawn to scale.
    auto scale_of = [](const std::vector<Range>& ranges) {
        double bytes = 0;
        for (const Range& r : ranges) bytes += static_cast<double>(r.size);
        return kBudget / bytes;
    };
    double scale = scale_of(clusters);
    std::vector<Range> joined{clusters.front()};
    for (std::size_t i = 1; i < clusters.size(); ++i) {
        Range& last = joined.back();
        double gap = static_cast<double>(clusters[i].start - end_of(last));
        if (gap * scale <= kLongestGap) {
            last = span(last.start, clusters[i].last());
        } else {
            joined.push_back(clusters[i]);
        }
    }
    scale = scale_of(joined);

    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    double y = 0;
    for (std::size_t c = 0; c < joined.size(); ++c) {
        const Range& cluster = joined[c];
        if (c > 0) {
            segments_.push_back({end_of(joined[c - 1]), cluster.start - 1, y, kBreakHeight, true});
            y += kBreakHeight;
        }
        Segment segment{cluster.start, cluster.last(), y, 0, false};
        u64 from = cluster.start;
        auto next = std::upper_bound(bounds.begin(), bounds.end(), from);
        while (true) {
            u64 to = next != bounds.end() && *next < end_of(cluster) ? *next : end_of(cluster);
            stops_.push_back({from, y});
            y += std::max(kMinHeight, static_cast<double>(to - from) * scale);
            if (to == end_of(cluster)) break;
            from = to;
            ++next;
        }
        stops_.push_back({end_of(cluster), y});
        segment.height = y - segment.top;
        segments_.push_back(segment);
    }
    height_ = y;
}

double Axis::top(u64 address) const {
    if (stops_.empty()) return 0;
    auto after = std::upper_bound(stops_.begin(), stops_.end(), address,
                                  [](u64 a, const std::pair<u64, double>& stop) { return a < stop.first; });
    if (after == stops_.begin()) return stops_.front().second;
    auto at = std::prev(after);
    if (at->first == address || after == stops_.end()) return at->second;
    // Between two stops: in a break, or a point no item bounds; interpolate.
    double fraction = static_cast<double>(address - at->first) / static_cast<double>(after->first - at->first);
    return at->second + fraction * (after->second - at->second);
}

double Axis::bottom(const Range& range) const {
    return top(end_of(range));
}

}  // namespace dtmem::picture
