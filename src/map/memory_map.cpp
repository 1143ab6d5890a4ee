// SPDX-License-Identifier: MIT
#include "dtmem/memory_map.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "dtmem/error.hpp"

namespace dtmem {
namespace {

class MapBuilder {
public:
    MapBuilder(const Tree& tree, const MapOptions& options) : tree_(tree), options_(options) {}

    MemoryMap build() {
        map_.root_cells = root_cells(tree_);
        read_memory_nodes();
        read_memreserve();
        read_reserved_memory();
        guarded(tree_.find_path("/chosen"), [&] { read_chosen(); });
        read_devices();
        read_buses();
        guarded(kNoNode, [&] { map_.dma_max = dma_max_cpu_address(tree_); });
        for (const std::string& failure : map_.dma_max.failures) report("dma-ranges-untranslatable", kNoNode, failure, "dma-ranges");
        build_layout();
        std::stable_sort(map_.diagnostics.begin(), map_.diagnostics.end(),
                         [](const Diagnostic& a, const Diagnostic& b) {
                             return (a.node + 1) < (b.node + 1);  // kNoNode (global) first
                         });
        return std::move(map_);
    }

private:
    void report(std::string id, NodeId node, std::string message, std::string property = {}) {
        map_.diagnostics.push_back(diagnose(std::move(id), node, std::move(message), std::move(property)));
    }
    // A node-local fault: the kernel skips the fact (or the driver fails later); the map
    // goes on without it and says so. `what` runs the reading that may fail.
    template <typename Read>
    bool guarded(NodeId node, Read&& what) {
        try {
            what();
            return true;
        } catch (const Error& e) {
            // The fault is reported on the node that carries the property (an ancestor's
            // dma-ranges, say), so its location is that property's.
            NodeId culprit = e.node_path().empty() ? node : tree_.find_path(e.node_path());
            std::string context = culprit != node && node != kNoNode ? ", reading " + tree_.path(node) : "";
            std::string message = e.what() + std::string(" (this fact is left out of the map") + context + ")";
            if (culprit == kNoNode) message = e.node_path() + ": " + message;
            if (!reported_faults_.emplace(culprit, e.what()).second) return false;  // one per bad property
            report("malformed-property", culprit == kNoNode ? node : culprit, std::move(message), e.property());
            return false;
        }
    }

    template <typename Read>
    auto guarded_result(NodeId node, Read&& what) -> decltype(what()) {
        decltype(what()) result{};
        guarded(node, [&] { result = what(); });
        return result;
    }

    [[noreturn]] void fail(NodeId node, const std::string& message, std::string_view property = {}) {
        throw Error(message, tree_.path(node),
                    property.empty() ? tree_.location(node) : tree_.location(node, property), std::string(property));
    }

    std::vector<AddressSize> pairs(NodeId node, const Property& property, Cells cells) {
        try {
            return decode_pairs(tree_, node, property, cells, map_.diagnostics);
        } catch (const Error& e) {
            fail(node, e.what(), property.name);
        }
    }

    // memblock_add() and memblock_reserve() cap a region at the top of the address space
    // (memblock_cap_size()) rather than wrap; so does the map, with a warning.
    std::optional<Range> capped_range(NodeId node, const Property& property, std::size_t index, AddressSize entry) {
        if (entry.size == 0) return std::nullopt;
        if (auto range = make_range(entry.address, entry.size)) return range;
        u64 size = ~u64{0} - entry.address;
        report("reg-wraps", node,
             fmt::format("{} entry {} ({} + {}) passes the end of the 64-bit address space: memblock caps it to "
                         "end at {} (memblock_cap_size())",
                         property.name, index, hex(entry.address), hex(entry.size), hex(~u64{0})),
             std::string(property.name));
        return make_range(entry.address, size);
    }

    bool is_memory_node(NodeId node) const {
        const Property* type = tree_.find_property(node, "device_type");
        return type && type->as_string() == "memory";
    }

    // drivers/of/fdt.c early_init_dt_scan_memory(): direct children of the root only.
    void read_memory_nodes() {
        for (NodeId node = tree_.first_child(tree_.root()); node != kNoNode; node = tree_.next_sibling(node)) {
            if (!is_memory_node(node)) {
                if (tree_.name(node).substr(0, tree_.name(node).find('@')) == "memory") {
                    report("memory-node-without-device-type", node, "named like a memory node but has no device_type = \"memory\": "
                               "the kernel does not read it as RAM");
                }
                continue;
            }
            if (!tree_.is_available(node)) {
                report("memory-node-disabled", node, "memory node is disabled: the kernel ignores it", "status");
                continue;
            }
            RamSource source = RamSource::UsableMemory;
            const Property* reg = tree_.find_property(node, "linux,usable-memory");
            if (!reg) {
                reg = tree_.find_property(node, "reg");
                source = RamSource::Reg;
            }
            if (!reg) continue;
            bool hotpluggable = tree_.has_property(node, "hotpluggable");
            guarded(node, [&] {
                std::vector<AddressSize> banks = pairs(node, *reg, map_.root_cells);
                for (std::size_t i = 0; i < banks.size(); ++i) {
                    if (banks[i].size == 0) {  // early_init_dt_scan_memory(): skipped without a word
                        report("reg-size-zero", node, fmt::format("{} entry {} has size 0: the kernel skips it", reg->name, i),
                             std::string(reg->name));
                    }
                    if (auto range = capped_range(node, *reg, i, banks[i])) {
                        map_.ram.push_back({node, *range, source, hotpluggable});
                    }
                }
            });
        }
        if (!options_.memory.empty()) {
            if (!map_.ram.empty()) report("memory-replaced", kNoNode, "RAM banks of the tree replaced by --memory");
            map_.ram.clear();
            for (const Range& bank : options_.memory) map_.ram.push_back({kNoNode, bank, RamSource::CommandLine, false});
        }
        std::sort(map_.ram.begin(), map_.ram.end(),
                  [](const RamBank& a, const RamBank& b) { return a.range.start < b.range.start; });
        // Sorted by start: a bank overlaps an earlier one exactly when it starts at or below
        // the highest end so far, so each overlapping bank is found once, in one pass.
        std::size_t highest = 0;
        for (std::size_t i = 1; i < map_.ram.size(); ++i) {
            const RamBank& bank = map_.ram[i];
            const RamBank& below = map_.ram[highest];
            if (bank.range.overlaps(below.range)) {
                std::string other = below.node == kNoNode ? "a --memory bank" : tree_.path(below.node);
                report("memory-overlap", bank.node,
                       fmt::format("RAM bank {}-{} overlaps {} ({}-{}); memblock merges them", hex(bank.range.start),
                                   hex(bank.range.last()), other, hex(below.range.start), hex(below.range.last())),
                       bank.node == kNoNode ? "" : "reg");
            }
            if (bank.range.last() > below.range.last()) highest = i;
        }
        if (map_.ram.empty()) {
            report("memory-missing", kNoNode, "no RAM: the tree describes no memory (the bootloader usually fills it in); "
                          "give it with --memory BASE:SIZE");
        }
    }

    void read_memreserve() {
        for (const MemReserveEntry& entry : tree_.memreserve()) {
            auto range = make_range(entry.address, entry.size);
            if (!range) {
                report("memreserve-wraps", kNoNode, fmt::format("/memreserve/ {} {} passes the end of the 64-bit "
                                                              "address space; left out", hex(entry.address), hex(entry.size)));
                continue;
            }
            map_.memreserve.push_back(*range);
        }
    }

    // drivers/of/of_reserved_mem.c __reserved_mem_check_root(), __reserved_mem_reserve_reg(),
    // __reserved_mem_alloc_size().
    void read_reserved_memory() {
        NodeId node = tree_.find_path("/reserved-memory");
        if (node == kNoNode) return;
        ReservedMemory rm;
        rm.node = node;
        auto cells = [&](std::string_view name) -> std::optional<int> {
            const Property* p = tree_.find_property(node, name);
            if (!p || !p->as_u32()) return std::nullopt;
            return static_cast<int>(std::min<std::uint32_t>(*p->as_u32(), 1000));
        };
        rm.address_cells = cells("#address-cells");
        rm.size_cells = cells("#size-cells");
        rm.has_ranges = tree_.has_property(node, "ranges");
        if (!rm.size_cells) {
            rm.unsupported_reason = "#size-cells is missing";
        } else if (*rm.size_cells != map_.root_cells.size) {
            rm.unsupported_reason = fmt::format("#size-cells = {} differs from the root's {}", *rm.size_cells,
                                                map_.root_cells.size);
        } else if (!rm.address_cells) {
            rm.unsupported_reason = "#address-cells is missing";
        } else if (*rm.address_cells != map_.root_cells.address) {
            rm.unsupported_reason = fmt::format("#address-cells = {} differs from the root's {}",
                                                *rm.address_cells, map_.root_cells.address);
        } else if (!rm.has_ranges) {
            rm.unsupported_reason = "it has no ranges property";
        }
        if (!rm.supported()) {
            report("reserved-cells-mismatch", node, fmt::format("the kernel ignores /reserved-memory and every region in it: {} "
                                   "(\"Reserved memory: unsupported node format, ignoring\")",
                                   rm.unsupported_reason));
        }
        for (NodeId child = tree_.first_child(node); child != kNoNode; child = tree_.next_sibling(child)) {
            ReservedRegion region;
            if (!guarded(child, [&] { region = read_region(child); })) {
                region.node = child;
                region.problem = "a malformed property (see the diagnostics)";
            }
            rm.regions.push_back(std::move(region));
            region_index_[child] = rm.regions.size() - 1;
        }
        map_.reserved_memory = std::move(rm);
    }

    ReservedRegion read_region(NodeId node) {
        ReservedRegion region;
        region.node = node;
        region.available = tree_.is_available(node);
        region.no_map = tree_.has_property(node, "no-map");
        region.reusable = tree_.has_property(node, "reusable");
        region.cma_default = tree_.has_property(node, "linux,cma-default");
        region.dma_default = tree_.has_property(node, "linux,dma-default");
        if (const Property* compatible = tree_.find_property(node, "compatible")) {
            region.compatible = compatible->as_strings();
        }
        Cells cells = map_.root_cells;
        std::size_t pair_bytes = 4 * static_cast<std::size_t>(cells.address + cells.size);
        auto invalid = [&](std::string problem, std::string_view property) {
            region.type = RegionType::Invalid;
            region.problem = std::move(problem);
            report("reserved-region-skipped", node, fmt::format("the kernel skips this region: \"{}\"", region.problem), std::string(property));
        };
        std::string_view name = tree_.name(node);

        if (const Property* reg = tree_.find_property(node, "reg")) {
            // With root cells 0 + 0 the kernel's len % t_len divides by zero; arm64's udiv
            // gives 0 for it, so len stays non-zero and the node is skipped.
            if (!reg->value.empty() && (pair_bytes == 0 || reg->value.size() % pair_bytes != 0)) {
                invalid(fmt::format("Reserved memory: invalid reg property in '{}', skipping node.", name), "reg");
                return region;
            }
            region.type = RegionType::Static;
            if (reg->value.empty()) {
                report("reserved-reg-empty", node, "reg is empty: the kernel reserves nothing for this region", "reg");
            }
            region.reg = pairs(node, *reg, cells);
            for (std::size_t i = 0; i < region.reg.size(); ++i) {
                if (auto range = capped_range(node, *reg, i, region.reg[i])) region.reg[i].size = range->size;
            }
            return region;
        }
        const Property* size = tree_.find_property(node, "size");
        if (!size) {
            region.type = RegionType::Invalid;
            region.problem = "neither reg nor size: the kernel ignores the node";
            if (region.available) report("reserved-region-skipped", node, region.problem);
            return region;
        }
        if (size->value.size() != 4 * static_cast<std::size_t>(cells.size)) {
            invalid(fmt::format("invalid size property in '{}' node.", name), "size");
            return region;
        }
        region.size = read_number(*size, 0, cells.size, tree_, node);
        if (const Property* alignment = tree_.find_property(node, "alignment")) {
            if (alignment->value.size() != 4 * static_cast<std::size_t>(cells.address)) {
                invalid(fmt::format("invalid alignment property in '{}' node.", name), "alignment");
                return region;
            }
            region.alignment = read_number(*alignment, 0, cells.address, tree_, node);
        }
        if (const Property* ranges = tree_.find_property(node, "alloc-ranges")) {
            if (ranges->value.size() % pair_bytes != 0) {
                invalid(fmt::format("invalid alloc-ranges property in '{}', skipping node.", name),
                        "alloc-ranges");
                return region;
            }
            // Kept as the kernel reads them: it allocates in [start, start + size) with a
            // wrapping sum, and an end of 0 means "anywhere" (MEMBLOCK_ALLOC_ACCESSIBLE).
            region.alloc_ranges = pairs(node, *ranges, cells);
        }
        region.type = RegionType::Dynamic;
        return region;
    }

    void read_chosen() {
        NodeId node = tree_.find_path("/chosen");
        map_.chosen.node = node;
        if (node == kNoNode) return;
        auto text = [&](std::string_view name) -> std::optional<std::string_view> {
            const Property* p = tree_.find_property(node, name);
            if (!p) return std::nullopt;
            auto value = p->as_string();
            if (!value) report("chosen-not-a-string", node, fmt::format("{} is not a string; ignored", name), std::string(name));
            return value;
        };
        map_.chosen.bootargs = text("bootargs");
        map_.chosen.stdout_path = text("stdout-path");

        // early_init_dt_check_for_initrd(): either cell size, of_read_number(prop, len / 4).
        auto number = [&](std::string_view name) -> std::optional<u64> {
            const Property* p = tree_.find_property(node, name);
            if (!p) return std::nullopt;
            if (!p->is_cells() || p->cell_count() == 0) {
                fail(node, fmt::format("{} must be one or two cells, not {} bytes", name, p->value.size()), name);
            }
            return read_number(*p, 0, static_cast<int>(p->cell_count()), tree_, node);
        };
        auto initrd_start = number("linux,initrd-start");
        auto initrd_end = number("linux,initrd-end");
        if (initrd_start && initrd_end) {
            if (*initrd_end > *initrd_start) {
                map_.chosen.initrd = Range{*initrd_start, *initrd_end - *initrd_start};
            } else {
                report("initrd-empty", node, "linux,initrd-end is not above linux,initrd-start: no initrd", "linux,initrd-end");
            }
        }
        if (const Property* usable = tree_.find_property(node, "linux,usable-memory-range")) {
            std::vector<AddressSize> ranges = pairs(node, *usable, map_.root_cells);
            for (std::size_t i = 0; i < ranges.size(); ++i) {
                if (auto range = capped_range(node, *usable, i, ranges[i])) {
                    map_.chosen.usable_memory_range.push_back(*range);
                }
            }
        }
    }

    bool skip_for_mmio(NodeId node) const {
        NodeId parent = tree_.parent(node);
        if (parent == tree_.root()) {
            return node == map_.chosen.node || is_memory_node(node) ||
                   (map_.reserved_memory && node == map_.reserved_memory->node);
        }
        return map_.reserved_memory && parent == map_.reserved_memory->node;
    }

    // of_dma_is_coherent(): the first dma-coherent / dma-noncoherent on the DMA-parent chain.
    bool dma_coherent(NodeId node) const {
        for (std::size_t steps = 0; node != kNoNode && steps <= tree_.node_count(); ++steps) {
            if (tree_.has_property(node, "dma-coherent")) return true;
            if (tree_.has_property(node, "dma-noncoherent")) return false;
            node = dma_parent(tree_, node);
        }
        return false;
    }

    std::vector<RegionUse> memory_regions(NodeId node) {
        std::vector<RegionUse> uses;
        const Property* regions = tree_.find_property(node, "memory-region");
        if (!regions) return uses;
        if (!regions->is_cells()) fail(node, "memory-region is not a list of phandles", "memory-region");
        std::vector<std::string_view> names;
        if (const Property* p = tree_.find_property(node, "memory-region-names")) names = p->as_strings();
        for (std::size_t i = 0; i < regions->cell_count(); ++i) {
            NodeId target = tree_.by_phandle(regions->cell(i));
            if (target == kNoNode) {  // of_reserved_mem_device_init_by_idx() fails in the driver
                report("memory-region-dangling", node, fmt::format("memory-region entry {} refers to phandle {:#x}, "
                                                                 "which no node has", i, regions->cell(i)),
                     "memory-region");
                continue;
            }
            RegionUse use{target, std::nullopt};
            if (i < names.size()) use.name = names[i];
            auto region = region_index_.find(target);
            if (region == region_index_.end()) {
                report("memory-region-not-reserved", node, fmt::format("memory-region entry {} points to {}, which is not a /reserved-memory region",
                                       i, tree_.path(target)),
                     "memory-region");
            } else {
                auto& users = map_.reserved_memory->regions[region->second].users;
                if (users.empty() || users.back() != node) users.push_back(node);
            }
            uses.push_back(use);
        }
        return uses;
    }

    bool compatible_with(NodeId node, std::initializer_list<std::string_view> wanted) const {
        const Property* compatible = tree_.find_property(node, "compatible");
        if (!compatible) return false;
        for (std::string_view entry : compatible->as_strings()) {
            if (std::find(wanted.begin(), wanted.end(), entry) != wanted.end()) return true;
        }
        return false;
    }

    // Whether the kernel makes a DMA-configured device of `node` (its parent decided first):
    // of_platform_populate() from the root and from /firmware (of_platform_default_populate_init())
    // creates one for each child with a compatible, except OPP tables (of_skipped_node_table),
    // and descends only into buses of of_default_bus_match_table; PCI enumeration makes
    // the nodes on a PCI bus devices. Children of a device whose `ranges` maps them into
    // the CPU's space are counted too: the drivers of such nodes (simple-pm-bus, USB and
    // PCIe glue layers) populate them. Children of UARTs, MMC hosts, I2C/SPI controllers
    // and firmware protocols are on buses that configure no DMA.
    bool kernel_makes_device(NodeId node, const std::vector<bool>& is_device) const {
        NodeId parent = tree_.parent(node);
        if (is_pci_bus(tree_, parent)) return true;
        if (!tree_.has_property(node, "compatible") || compatible_with(node, {"operating-points-v2"})) return false;
        if (parent == tree_.root() || parent == tree_.find_path("/firmware")) return true;
        if (!is_device[parent]) return false;
        return compatible_with(parent, {"simple-bus", "simple-mfd", "isa", "arm,amba-bus", "simple-pm-bus"}) ||
               tree_.has_property(parent, "ranges");
    }

    void read_devices() {
        std::vector<bool> is_device(tree_.node_count(), false);
        for (NodeId node = 1; node < tree_.node_count(); ++node) {
            if (!tree_.is_available_subtree(node)) continue;
            for (Diagnostic& diagnostic : guarded_result(node, [&] { return check_bus(tree_, node); })) {
                map_.diagnostics.push_back(std::move(diagnostic));
            }
            if (is_memory_node(node) && tree_.parent(node) != tree_.root()) {
                report("memory-node-not-at-root", node, "device_type = \"memory\" below the root level: the kernel reads memory "
                           "nodes only directly under /");
            }
            if (skip_for_mmio(node)) continue;
            guarded(node, [&] { read_mmio(node); });
            std::vector<RegionUse> uses;
            guarded(node, [&] { uses = memory_regions(node); });
            std::optional<DmaWindow> window;
            is_device[node] = kernel_makes_device(node, is_device);
            if (is_device[node]) guarded(node, [&] { window = dma_window(node); });
            if (window || !uses.empty()) {
                map_.devices.push_back({node, dma_coherent(node), std::move(window), std::move(uses)});
            }
        }
        std::sort(map_.mmio.begin(), map_.mmio.end(), [&](const MmioRegion& a, const MmioRegion& b) {
            if (a.range.start != b.range.start) return a.range.start < b.range.start;
            if (a.node != b.node) return tree_.path(a.node) < tree_.path(b.node);
            return a.index < b.index;
        });
    }

    std::optional<DmaWindow> dma_window(NodeId node) {
        try {
            return device_dma_window(tree_, node);
        } catch (const Error& e) {
            throw Error(e.what(), e.node_path(), tree_.location(tree_.find_path(e.node_path()), "dma-ranges"), "dma-ranges");
        }
    }

    void read_mmio(NodeId node) {
        MmioResult result = translate_reg(tree_, node);
        for (Diagnostic& diagnostic : result.diagnostics) map_.diagnostics.push_back(std::move(diagnostic));
        std::vector<std::string_view> names;
        if (!result.windows.empty()) {
            if (const Property* p = tree_.find_property(node, "reg-names")) names = p->as_strings();
        }
        for (const MmioWindow& window : result.windows) {
            MmioRegion region{node, window.index, std::nullopt, window.range};
            if (static_cast<std::size_t>(window.index) < names.size()) region.name = names[window.index];
            map_.mmio.push_back(region);
        }
    }

    // drivers/of/address.c of_translate_one() per bus, composed once for the whole tree.
    void read_buses() {
        std::unordered_map<NodeId, std::size_t> index;
        for (NodeId node = 1; node < tree_.node_count(); ++node) {
            const Property* ranges = tree_.find_property(node, "ranges");
            if (!ranges || !tree_.is_available_subtree(node)) continue;
            BusTranslation bus;
            bus.node = node;
            bus.identity = ranges->value.empty();
            NodeId parent = tree_.parent(node);
            if (!bus.identity) {
                guarded(node, [&] { bus.windows = bus_windows(tree_, node, map_.diagnostics); });
            } else if (parent == tree_.root()) {
                bus.windows.push_back({0, ~u64{0}, 0, 0x200});  // IORESOURCE_MEM, the whole space
            } else if (auto above = index.find(parent); above != index.end()) {
                bus.windows = map_.buses[above->second].windows;
            }
            if (const Property* dma = tree_.find_property(node, "dma-ranges"); dma && !dma->value.empty()) {
                guarded(node, [&] { bus.dma = dma_window_from(tree_, node); });
            }
            index[node] = map_.buses.size();
            map_.buses.push_back(std::move(bus));
        }
    }

    void build_layout() {
        std::vector<LayoutEntry>& layout = map_.layout;
        for (std::size_t i = 0; i < map_.ram.size(); ++i) {
            layout.push_back({LayoutKind::Ram, map_.ram[i].range, i, 0});
            if (i == 0) continue;
            u64 previous_last = map_.ram[i - 1].range.last();
            u64 start = map_.ram[i].range.start;
            if (start > previous_last + 1) {  // sorted by start; overlapping banks leave no hole
                layout.push_back({LayoutKind::Hole, Range{previous_last + 1, start - previous_last - 1}, 0, 0});
            }
        }
        for (std::size_t i = 0; i < map_.memreserve.size(); ++i) {
            layout.push_back({LayoutKind::MemReserve, map_.memreserve[i], i, 0});
        }
        if (map_.reserved_memory) {
            const std::vector<ReservedRegion>& regions = map_.reserved_memory->regions;
            for (std::size_t i = 0; i < regions.size(); ++i) {
                if (regions[i].type != RegionType::Static) continue;
                for (std::size_t r = 0; r < regions[i].reg.size(); ++r) {
                    if (auto range = make_range(regions[i].reg[r].address, regions[i].reg[r].size)) {
                        layout.push_back({LayoutKind::Reserved, *range, i, r});
                    }
                }
            }
        }
        for (std::size_t i = 0; i < map_.mmio.size(); ++i) layout.push_back({LayoutKind::Mmio, map_.mmio[i].range, i, 0});
        std::stable_sort(layout.begin(), layout.end(), [](const LayoutEntry& a, const LayoutEntry& b) {
            if (a.range.start != b.range.start) return a.range.start < b.range.start;
            return a.kind < b.kind;
        });
    }

    const Tree& tree_;
    const MapOptions& options_;
    MemoryMap map_;
    std::unordered_map<NodeId, std::size_t> region_index_;
    std::set<std::pair<NodeId, std::string>> reported_faults_;
};

}  // namespace

const BusTranslation* find_bus(const MemoryMap& map, NodeId bus) {
    auto found = std::find_if(map.buses.begin(), map.buses.end(),
                              [bus](const BusTranslation& translation) { return translation.node == bus; });
    return found == map.buses.end() ? nullptr : &*found;
}

MemoryMap build_memory_map(const Tree& tree, const MapOptions& options) {
    return MapBuilder(tree, options).build();
}

std::optional<Range> parse_memory_bank(std::string_view text) {
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto base = parse_size(text.substr(0, colon));
    auto size = parse_size(text.substr(colon + 1));
    if (!base || !size) return std::nullopt;
    return make_range(*base, *size);
}

}  // namespace dtmem
