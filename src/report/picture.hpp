// SPDX-License-Identifier: MIT
// The memory map as a picture (docs/html-map.md): lanes of address ranges side by side
// over one vertical address axis, for the HTML and SVG outputs. Internal to the report stage.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/lint.hpp"

namespace dtmem::picture {

// What an item is; each kind has its own fill and pattern (docs/html-map.md lists them).
enum class Shape {
    Ram, Zone, MemReserve, Static, NoMap, Reusable, Dynamic, Cma, Swiotlb, Image, Mmio, Dma, Pool, Finding, Folded
};

struct Item {
    Range range;
    Shape shape = Shape::Ram;
    std::string label;                 // short text drawn inside the bar
    std::string subject;               // node path, or zone, area or image name
    std::vector<std::string> details;  // flags, users, outcome, DTS location: one line each
    bool assumed = false;              // the address rests on a defaulted input
    std::optional<Severity> finding;   // the most severe finding about it
    std::size_t folded = 0;            // it stands for this many regions (0: for itself)
    std::string id;                    // anchor, unique in the page
    NodeId node = kNoNode;
};

struct Lane {
    std::string title;
    std::vector<Item> items;
};

// Lanes drawn side by side: the board's own, or the devices behind one bus's dma-ranges.
struct Group {
    std::string title;
    std::vector<Lane> lanes;
    bool collapsible = false;
};

// A line across the lanes at one address (where lowmem ends, ZONE_MOVABLE starts...).
struct Marker {
    u64 address = 0;  // the line is drawn above this byte
    std::string label;
};

struct Picture {
    std::vector<Group> groups;  // the board's lanes first
    std::vector<Marker> markers;
    std::vector<std::string> folds;      // what was folded to keep the page readable
    std::vector<std::string> not_drawn;  // regions that have no address to draw at
};

// The picture of one analysis; `findings` are marked on the items they concern and drawn
// in a lane of their own. Item ids start with `id_prefix`.
Picture draw(const Analysis& analysis, const std::vector<Finding>& findings, std::string_view id_prefix);

// Where addresses are drawn: to scale within each stretch of used address space, every
// item at least a few pixels tall, and long empty stretches cut out as labelled breaks.
class Axis {
public:
    struct Segment {
        u64 first = 0, last = 0;  // addresses
        double top = 0, height = 0;
        bool gap = false;  // a break: empty address space not drawn to scale
    };
    explicit Axis(const std::vector<const Picture*>& pictures);

    const std::vector<Segment>& segments() const { return segments_; }
    // Every address an item or a marker starts or ends at, with its height on the axis.
    const std::vector<std::pair<u64, double>>& stops() const { return stops_; }
    double height() const { return height_; }
    double top(u64 address) const;          // the top edge of the byte at `address`
    double bottom(const Range& range) const;  // the bottom edge of its last byte

private:
    std::vector<std::pair<u64, double>> stops_;  // boundary address -> y, increasing
    std::vector<Segment> segments_;
    double height_ = 0;
};

}  // namespace dtmem::picture
