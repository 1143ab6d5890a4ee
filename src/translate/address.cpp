// SPDX-License-Identifier: MIT
// Mirrors drivers/of/address.c (v6.12): of_match_bus(), of_bus_*_map/translate,
// __of_translate_address(), of_translate_one(), of_pci_range_parser_one(),
// of_dma_get_range() and of_dma_get_max_cpu_address(). What the kernel tolerates
// (trailing cells, values wider than 64 bits, a bus it cannot translate) dtmem tolerates
// the same way and reports as a diagnostic; where the kernel's sum wraps past 2^64, dtmem
// leaves the fact out and says so (or, for the DMA limit, reproduces the kernel's value).
#include "dtmem/address.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "dtmem/error.hpp"

namespace dtmem {
namespace {

constexpr u64 kBadAddress = ~u64{0};  // OF_BAD_ADDR

enum class Bus { Pci, Isa, DefaultFlags, Default };

constexpr std::uint32_t kIoResourceIo = 0x100;   // IORESOURCE_IO
constexpr std::uint32_t kIoResourceMem = 0x200;  // IORESOURCE_MEM
constexpr std::uint32_t kIoResourcePrefetch = 0x2000;  // IORESOURCE_PREFETCH
constexpr std::uint32_t kIoResourceMem64 = 0x100000;   // IORESOURCE_MEM_64

std::string_view base_name(std::string_view name) { return name.substr(0, name.find('@')); }

int cells_value(const Property* property, int fallback) {
    if (!property) return fallback;
    auto value = property->as_u32();
    if (!value) return fallback;
    return static_cast<int>(std::min<std::uint32_t>(*value, 1000));
}

// of_match_bus(): which translator handles the children of `node`.
Bus match_bus(const Tree& tree, NodeId node) {
    if (const Property* type = tree.find_property(node, "device_type")) {
        auto text = type->as_string();
        if (text && (*text == "pci" || *text == "pciex" || *text == "vci" || *text == "ht")) {
            return Bus::Pci;
        }
    }
    std::string_view name = base_name(tree.name(node));
    if (name == "pcie") return Bus::Pci;  // of_node_is_pcie(): accepted with a warning
    if (name == "isa") return Bus::Isa;
    if (bus_cells(tree, node).address == 3) return Bus::DefaultFlags;
    return Bus::Default;
}

// bus->count_cells(dev): cells of the addresses `dev` uses on `bus` (its DT parent).
Cells count_cells(const Tree& tree, Bus bus, NodeId dt_parent) {
    switch (bus) {
        case Bus::Pci: return {3, 2};
        case Bus::Isa: return {2, 1};
        default: return bus_cells(tree, dt_parent);
    }
}

int flag_cells(Bus bus) { return bus == Bus::Default ? 0 : 1; }

// OF_CHECK_COUNTS().
bool valid_counts(Cells cells) {
    return cells.address > 0 && cells.address <= kMaxAddressCells && cells.size > 0;
}

std::uint32_t bus_flags(Bus bus, std::uint32_t first_cell) {
    switch (bus) {
        case Bus::Pci:
            switch ((first_cell >> 24) & 3) {
                case 1: return kIoResourceIo;
                case 2:
                case 3: return kIoResourceMem;
                default: return 0;
            }
        case Bus::Isa: return (first_cell & 1) ? kIoResourceIo : kIoResourceMem;
        case Bus::DefaultFlags: return first_cell;
        case Bus::Default: return kIoResourceMem;
    }
    return 0;
}

// bus->get_flags() as the range parser records it (of_bus_pci_get_flags() adds the
// 64-bit and prefetchable bits); contiguous dma-ranges entries merge only when equal.
std::uint32_t range_flags(Bus bus, std::uint32_t first_cell) {
    std::uint32_t flags = bus_flags(bus, first_cell);
    if (bus == Bus::Pci) {
        if (((first_cell >> 24) & 3) == 3) flags |= kIoResourceMem64;
        if (first_cell & 0x40000000) flags |= kIoResourcePrefetch;
    }
    return flags;
}

// Whether `count` cells hold a value that fits in 64 bits (of_read_number() keeps the low 64).
bool fits_64_bits(const std::uint32_t* cells, int count) {
    for (int i = 0; i + 2 < count; ++i) {
        if (cells[i] != 0) return false;
    }
    return true;
}

// Host-order cells of one address being translated (at most OF_MAX_ADDR_CELLS).
using AddressCells = std::array<std::uint32_t, kMaxAddressCells>;

class Reader {
public:
    Reader(const Tree& tree, NodeId subject) : tree_(tree), subject_(subject) {}

    // of_read_number(): the low 64 bits of `count` cells (a PCI phys.hi cell drops out).
    u64 number(const std::uint32_t* cells, int count) const {
        u64 value = 0;
        for (int i = 0; i < count; ++i) value = (value << 32) | cells[i];
        return value;
    }
    u64 add(u64 a, u64 b, std::string_view what) const {
        auto sum = checked_add(a, b);
        if (!sum) throw Error(fmt::format("{} passes the end of the 64-bit address space", what),
                              tree_.path(subject_));
        return *sum;
    }
    [[noreturn]] void fail(const std::string& message, NodeId node) const {
        throw Error(message, tree_.path(node));
    }
    const Tree& tree() const { return tree_; }

private:
    const Tree& tree_;
    NodeId subject_;
};

std::vector<std::uint32_t> host_cells(const Property& property) {
    std::vector<std::uint32_t> cells(property.cell_count());
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = property.cell(i);
    return cells;
}

// The kernel's parsers read whole entries and ignore what is left over
// (__of_get_address(), of_translate_one(), of_pci_range_parser_one(),
// early_init_dt_scan_memory()); the leftover is a defect worth a note.
void note_trailing(NodeId node, const Property& property, int entry_cells,
                   std::string_view layout, std::vector<Diagnostic>& diagnostics) {
    std::size_t entry_bytes = 4 * static_cast<std::size_t>(entry_cells);
    if (entry_cells <= 0 || property.value.size() % entry_bytes == 0) return;
    diagnostics.push_back(diagnose("trailing-cells", node,
                           fmt::format("{} has {} bytes, not a whole number of {}-cell entries ({}): the kernel "
                                       "ignores the last {} bytes",
                                       property.name, property.value.size(), entry_cells, layout,
                                       property.value.size() % entry_bytes),
                           std::string(property.name)));
}

struct Translation {
    u64 address = kBadAddress;
    std::string failure;  // empty on success
};

// __of_translate_address(): walks up from `node` (through DMA parents when `dma`),
// applying each level's ranges / dma-ranges.
class Translator {
public:
    Translator(const Reader& reader, bool dma) : reader_(reader), tree_(reader.tree()), dma_(dma) {}

    // `in` holds `available` cells; the bus above decides how many an address has.
    Translation translate(NodeId node, const std::uint32_t* in, int available) const {
        NodeId parent = next(node);
        if (parent == kNoNode) return failed("the root node has no parent to translate into");
        Bus bus = match_bus(tree_, parent);
        Cells cells = count_cells(tree_, bus, tree_.parent(node));
        if (!valid_counts(cells)) return failed(bad_cells(tree_.parent(node), cells));
        if (cells.address > available) {
            // The kernel reads past the entry here (a PCI bus always takes 3 cells).
            return failed(fmt::format("{} addresses have {} cells, but the entry gives {}", tree_.path(parent),
                                      cells.address, available));
        }
        AddressCells address{};
        std::copy(in, in + cells.address, address.begin());
        std::size_t steps = 0;
        for (NodeId dev = parent;; dev = parent) {
            if (++steps > tree_.node_count()) return failed("the DMA parent chain loops");
            parent = next(dev);
            if (parent == kNoNode) return {reader_.number(address.data(), cells.address), {}};
            Bus parent_bus = match_bus(tree_, parent);
            Cells parent_cells = count_cells(tree_, parent_bus, tree_.parent(dev));
            if (!valid_counts(parent_cells)) return failed(bad_cells(tree_.parent(dev), parent_cells));
            std::string failure = translate_one(dev, bus, parent_bus, address, cells, parent_cells.address);
            if (!failure.empty()) return failed(std::move(failure));
            cells = parent_cells;
            bus = parent_bus;
        }
    }

private:
    NodeId next(NodeId node) const { return dma_ ? dma_parent(tree_, node) : tree_.parent(node); }

    static Translation failed(std::string why) { return {kBadAddress, std::move(why)}; }

    std::string bad_cells(NodeId bus, Cells cells) const {
        return fmt::format("{} has #address-cells = {}, #size-cells = {}: not a translatable bus",
                           tree_.path(bus), cells.address, cells.size);
    }

    // of_bus_*_map(): the offset of `address` inside one range entry, or kBadAddress.
    u64 map(Bus bus, const AddressCells& address, const std::uint32_t* range, Cells cells,
            int parent_address_cells) const {
        if (bus == Bus::Pci && ((bus_flags(bus, address[0]) ^ bus_flags(bus, range[0])) &
                                (kIoResourceMem | kIoResourceIo))) {
            return kBadAddress;
        }
        if (bus == Bus::Isa && ((address[0] ^ range[0]) & 1)) return kBadAddress;
        if (bus == Bus::DefaultFlags && address[0] != range[0]) return kBadAddress;
        int flags = flag_cells(bus);
        u64 child_base = reader_.number(range + flags, cells.address - flags);
        u64 size = reader_.number(range + cells.address + parent_address_cells, cells.size);
        u64 wanted = reader_.number(address.data() + flags, cells.address - flags);
        if (wanted < child_base || wanted >= child_base + size) return kBadAddress;  // the kernel's u64 compare
        return wanted - child_base;
    }

    // of_translate_one() followed by the parent bus's translate().
    std::string translate_one(NodeId dev, Bus bus, Bus parent_bus, AddressCells& address, Cells cells,
                              int parent_address_cells) const {
        const char* property_name = dma_ ? "dma-ranges" : "ranges";
        const Property* ranges = tree_.find_property(dev, property_name);
        if (!ranges && !dma_) {
            return fmt::format("{} has no ranges: addresses below it are not CPU addresses",
                               tree_.path(dev));
        }
        u64 offset = 0;
        if (!ranges || ranges->value.empty()) {  // 1:1 (absent dma-ranges too)
            offset = reader_.number(address.data(), cells.address);
            address.fill(0);
        } else {
            int entry_cells = cells.address + parent_address_cells + cells.size;
            std::vector<std::uint32_t> all = host_cells(*ranges);
            offset = kBadAddress;
            for (std::size_t at = 0; at + entry_cells <= all.size(); at += entry_cells) {
                offset = map(bus, address, all.data() + at, cells, parent_address_cells);
                if (offset != kBadAddress) {
                    address.fill(0);
                    std::copy_n(all.data() + at + cells.address, parent_address_cells, address.begin());
                    break;
                }
            }
            if (offset == kBadAddress) {
                return fmt::format("the address is outside every {} window of {}", property_name,
                                   tree_.path(dev));
            }
        }
        // of_bus_default_translate / of_bus_default_flags_translate: add the offset to the
        // parent address (the flags cell, if any, is kept).
        int flags = flag_cells(parent_bus);
        int count = parent_address_cells - flags;
        u64 base = reader_.number(address.data() + flags, count);
        u64 value = base + offset;  // u64, as the kernel adds
        if (value < base) {
            return fmt::format("{} + {} passes the end of the 64-bit address space (the kernel wraps it to {})",
                               hex(base), hex(offset), hex(value));
        }
        std::fill(address.begin() + flags, address.begin() + parent_address_cells, 0);
        if (count > 1) address[flags + count - 2] = static_cast<std::uint32_t>(value >> 32);
        address[flags + count - 1] = static_cast<std::uint32_t>(value);
        return {};
    }

    const Reader& reader_;
    const Tree& tree_;
    bool dma_;
};

struct ParsedDmaRange {
    u64 bus_address = 0;
    u64 cpu_address = kBadAddress;  // kBadAddress when the translation failed
    u64 size = 0;
    std::uint32_t flags = 0;
    std::string failure;
};

// Cells of one dma-ranges entry of `node`: its bus address, its parent's address, size.
struct DmaRangeLayout {
    Cells cells;
    int parent_address_cells = 0;
    int entry_cells() const { return cells.address + parent_address_cells + cells.size; }
};

DmaRangeLayout dma_range_layout(const Tree& tree, NodeId node) {
    NodeId dt_parent = tree.parent(node);
    return {bus_cells(tree, node), bus_cells(tree, dt_parent == kNoNode ? node : dt_parent).address};
}

// of_dma_range_parser_init() + for_each_of_range() on `node`'s non-empty dma-ranges,
// merging contiguous entries of equal flags as of_pci_range_parser_one() does. Cell
// counts the kernel cannot translate make every entry fail, as they do in the kernel.
std::vector<ParsedDmaRange> parse_dma_ranges(const Tree& tree, NodeId node, const Property& property) {
    Reader reader(tree, node);
    Translator translator(reader, true);
    DmaRangeLayout layout = dma_range_layout(tree, node);
    Cells cells = layout.cells;
    Bus bus = match_bus(tree, node);
    int flags = flag_cells(bus);
    if (cells.address <= 0 || cells.size < 0 || layout.parent_address_cells <= 0) {
        reader.fail(fmt::format("dma-ranges cannot be read with #address-cells = {}, #size-cells = {} "
                                "and parent #address-cells = {}",
                                cells.address, cells.size, layout.parent_address_cells),
                    node);
    }
    int entry_cells = layout.entry_cells();
    std::vector<std::uint32_t> all = host_cells(property);

    std::vector<ParsedDmaRange> ranges;
    for (std::size_t at = 0; at + entry_cells <= all.size(); at += entry_cells) {
        const std::uint32_t* entry = all.data() + at;
        ParsedDmaRange range;
        range.flags = range_flags(bus, entry[0]);
        range.bus_address = reader.number(entry + flags, cells.address - flags);
        Translation cpu = translator.translate(node, entry + cells.address, layout.parent_address_cells);
        range.cpu_address = cpu.address;
        range.failure = cpu.failure;
        range.size = reader.number(entry + cells.address + layout.parent_address_cells, cells.size);
        // Wrapping sums below are the kernel's own comparisons; only equality is tested.
        if (!ranges.empty()) {
            ParsedDmaRange& last = ranges.back();
            if (last.flags == range.flags && range.bus_address == last.bus_address + last.size &&
                range.cpu_address == last.cpu_address + last.size) {
                last.size += range.size;
                continue;
            }
        }
        ranges.push_back(std::move(range));
    }
    return ranges;
}

const Property* non_empty(const Property* property) {
    return property && !property->value.empty() ? property : nullptr;
}

}  // namespace

Cells bus_cells(const Tree& tree, NodeId bus) {
    Cells cells;
    bool have_address = false, have_size = false;
    for (NodeId n = bus; n != kNoNode && !(have_address && have_size); n = tree.parent(n)) {
        if (!have_address) {
            if (const Property* p = tree.find_property(n, "#address-cells"); p && p->as_u32()) {
                cells.address = cells_value(p, kDefaultAddressCells);
                have_address = true;
            }
        }
        if (!have_size) {
            if (const Property* p = tree.find_property(n, "#size-cells"); p && p->as_u32()) {
                cells.size = cells_value(p, kDefaultSizeCells);
                have_size = true;
            }
        }
    }
    return cells;
}

bool is_pci_bus(const Tree& tree, NodeId node) { return match_bus(tree, node) == Bus::Pci; }

Cells root_cells(const Tree& tree) {
    return {cells_value(tree.find_property(tree.root(), "#address-cells"), kDefaultAddressCells),
            cells_value(tree.find_property(tree.root(), "#size-cells"), kDefaultSizeCells)};
}

u64 read_number(const Property& property, std::size_t first_cell, int count, const Tree& tree,
                NodeId node) {
    std::vector<std::uint32_t> cells(count);
    for (int i = 0; i < count; ++i) cells[i] = property.cell(first_cell + i);
    return Reader(tree, node).number(cells.data(), count);
}

std::vector<AddressSize> decode_pairs(const Tree& tree, NodeId node, const Property& property, Cells cells,
                                      std::vector<Diagnostic>& diagnostics) {
    int entry_cells = cells.address + cells.size;
    if (cells.address < 0 || cells.size < 0 || entry_cells == 0) {
        throw Error(fmt::format("{} cannot be read with #address-cells = {}, #size-cells = {}", property.name,
                                cells.address, cells.size),
                    tree.path(node), {}, std::string(property.name));
    }
    note_trailing(node, property, entry_cells,
                  fmt::format("#address-cells = {}, #size-cells = {}", cells.address, cells.size), diagnostics);
    Reader reader(tree, node);
    std::vector<std::uint32_t> all = host_cells(property);
    std::vector<AddressSize> pairs;
    for (std::size_t at = 0; at + entry_cells <= all.size(); at += entry_cells) {
        const std::uint32_t* entry = all.data() + at;
        if (!fits_64_bits(entry, cells.address) || !fits_64_bits(entry + cells.address, cells.size)) {
            diagnostics.push_back(diagnose("value-truncated", node,
                                   fmt::format("{} entry {} has a value wider than 64 bits: the kernel keeps its "
                                               "low 64 bits (of_read_number())",
                                               property.name, pairs.size()),
                                   std::string(property.name)));
        }
        pairs.push_back({reader.number(entry, cells.address), reader.number(entry + cells.address, cells.size)});
    }
    return pairs;
}

MmioResult translate_reg(const Tree& tree, NodeId node) {
    MmioResult result;
    NodeId parent = tree.parent(node);
    if (parent == kNoNode) return result;
    Bus bus = match_bus(tree, parent);
    const Property* reg = tree.find_property(node, bus == Bus::Pci ? "assigned-addresses" : "reg");
    if (!reg) return result;
    Cells cells = count_cells(tree, bus, parent);
    if (cells.size == 0) return result;  // CPUs, i2c/spi devices: addresses, not MMIO
    // __of_get_address(): a bus whose #address-cells fails OF_CHECK_ADDR_COUNT gives its
    // children no address (check_bus() reports it on the bus).
    if (cells.address <= 0 || cells.address > kMaxAddressCells || cells.size < 0) return result;
    int entry_cells = cells.address + cells.size;
    note_trailing(node, *reg, entry_cells,
                  fmt::format("#address-cells = {}, #size-cells = {}", cells.address, cells.size),
                  result.diagnostics);
    Reader reader(tree, node);
    std::vector<std::uint32_t> all = host_cells(*reg);
    Translator translator(reader, false);
    bool untranslatable = false;
    for (std::size_t at = 0, index = 0; at + entry_cells <= all.size(); at += entry_cells, ++index) {
        const std::uint32_t* entry = all.data() + at;
        if (!(bus_flags(bus, entry[0]) & kIoResourceMem)) continue;  // I/O ports, config space
        u64 size = reader.number(entry + cells.address, cells.size);
        int flags = flag_cells(bus);
        if (!fits_64_bits(entry + flags, cells.address - flags) || !fits_64_bits(entry + cells.address, cells.size)) {
            result.diagnostics.push_back(
                diagnose("value-truncated", node,
                 fmt::format("{} entry {} has a value wider than 64 bits: the kernel keeps its low 64 bits "
                             "(of_read_number())",
                             reg->name, index),
                 std::string(reg->name)));
        }
        if (size == 0) {
            result.diagnostics.push_back(diagnose("reg-size-zero", node,
                                          fmt::format("{} entry {} has size 0: it describes no memory", reg->name,
                                                      index),
                                          std::string(reg->name)));
            continue;
        }
        Translation cpu = translator.translate(node, entry, cells.address);
        if (!cpu.failure.empty()) {
            if (!untranslatable && bus_cells(tree, parent).size > 0) {
                result.diagnostics.push_back(diagnose("reg-untranslatable", node,
                                              std::string(reg->name) + " is not a CPU address: " + cpu.failure, std::string(reg->name)));
            }
            untranslatable = true;
            continue;
        }
        auto range = make_range(cpu.address, size);
        if (!range) {  // of_address_to_resource() builds a resource whose end wrapped: unusable
            result.diagnostics.push_back(
                diagnose("reg-wraps", node,
                 fmt::format("{} entry {} ({} + {}) passes the end of the 64-bit address space: the kernel's "
                             "resource for it is unusable; left out",
                             reg->name, index, hex(cpu.address), hex(size)),
                 std::string(reg->name)));
            continue;
        }
        result.windows.push_back({static_cast<int>(index), *range});
    }
    return result;
}

std::vector<Diagnostic> check_bus(const Tree& tree, NodeId node) {
    std::vector<Diagnostic> diagnostics;
    if (tree.first_child(node) == kNoNode) return diagnostics;
    Bus bus = match_bus(tree, node);
    Cells cells = count_cells(tree, bus, node);
    auto child_with_reg = [&] {
        for (NodeId child = tree.first_child(node); child != kNoNode; child = tree.next_sibling(child)) {
            if (tree.has_property(child, "reg")) return true;
        }
        return false;
    };
    // #address-cells = <0> is common on interrupt controllers and clocks, whose children
    // have no reg: only a child that gives an address is affected.
    if (const Property* own = tree.find_property(node, "#address-cells");
        own && (cells.address <= 0 || cells.address > kMaxAddressCells) && child_with_reg()) {
        diagnostics.push_back(diagnose("bus-cells-unsupported", node,
                               fmt::format("#address-cells = {}: the kernel translates 1 to {} cells only "
                                           "(OF_CHECK_ADDR_COUNT()), so the children of this bus get no address",
                                           cells.address, kMaxAddressCells),
                               "#address-cells"));
        return diagnostics;
    }
    NodeId dt_parent = tree.parent(node);
    if (dt_parent == kNoNode) return diagnostics;
    int parent_address_cells = count_cells(tree, match_bus(tree, dt_parent), dt_parent).address;
    if (const Property* ranges = tree.find_property(node, "ranges")) {
        note_trailing(node, *ranges, cells.address + parent_address_cells + cells.size,
                      "child address, parent address, size", diagnostics);
    }
    if (const Property* ranges = tree.find_property(node, "dma-ranges")) {
        DmaRangeLayout layout = dma_range_layout(tree, node);
        note_trailing(node, *ranges, layout.entry_cells(), "bus address, parent address, size", diagnostics);
        if (non_empty(ranges)) {
            std::vector<ParsedDmaRange> parsed = parse_dma_ranges(tree, node, *ranges);
            auto zero = std::find_if(parsed.begin(), parsed.end(), [](const ParsedDmaRange& range) {
                return range.failure.empty() && range.size == 0;
            });
            if (zero != parsed.end() && zero + 1 != parsed.end()) {
                diagnostics.push_back(diagnose("dma-ranges-size-zero", node,
                                       fmt::format("a dma-ranges entry (bus address {}) has size 0: the kernel's "
                                                   "DMA range map ends there and ignores the entries after it",
                                                   hex(zero->bus_address)),
                                       "dma-ranges"));
            }
        }
    }
    return diagnostics;
}

NodeId dma_parent(const Tree& tree, NodeId node) {
    const Property* names = tree.find_property(node, "interconnect-names");
    const Property* interconnects = tree.find_property(node, "interconnects");
    if (!names || !interconnects) return tree.parent(node);
    auto list = names->as_strings();
    auto wanted = std::find(list.begin(), list.end(), "dma-mem");
    if (wanted == list.end()) return tree.parent(node);
    // of_parse_phandle_with_args(np, "interconnects", "#interconnect-cells", index)
    std::size_t index = wanted - list.begin();
    std::size_t cell = 0, count = interconnects->cell_count();
    for (std::size_t entry = 0; cell < count; ++entry) {
        NodeId provider = tree.by_phandle(interconnects->cell(cell));
        if (provider == kNoNode) return tree.parent(node);
        const Property* args = tree.find_property(provider, "#interconnect-cells");
        if (!args || !args->as_u32()) return tree.parent(node);
        if (entry == index) return provider;
        cell += 1 + std::min<std::uint32_t>(*args->as_u32(), count);
    }
    return tree.parent(node);
}

// An empty dma-ranges means 1:1 and the search goes on; after the first node a missing
// one ends it. The kernel's range map holds the entries that translate, up to the first
// of size 0, which terminates it (dma_range_map_max() and its users stop there).
std::optional<DmaWindow> dma_window_from(const Tree& tree, NodeId node) {
    const Property* ranges = nullptr;
    bool found = false;
    for (std::size_t steps = 0; node != kNoNode && steps <= tree.node_count(); ++steps) {
        ranges = tree.find_property(node, "dma-ranges");
        if (non_empty(ranges)) break;
        if (found && !ranges) return std::nullopt;  // the chain is broken
        found = true;
        node = dma_parent(tree, node);
    }
    if (node == kNoNode || !non_empty(ranges)) return std::nullopt;

    DmaWindow window;
    window.node = node;
    Reader reader(tree, node);
    for (const ParsedDmaRange& parsed : parse_dma_ranges(tree, node, *ranges)) {
        if (!parsed.failure.empty()) continue;  // kernel: pr_err and skip
        if (parsed.size == 0) break;
        reader.add(parsed.cpu_address, parsed.size - 1, "a dma-ranges window");
        u64 last = reader.add(parsed.bus_address, parsed.size - 1, "a dma-ranges window");
        window.ranges.push_back({parsed.bus_address, parsed.cpu_address, parsed.size});
        window.dma_limit = std::max(window.dma_limit, last);
    }
    if (window.ranges.empty()) return std::nullopt;
    return window;
}

NodeId pci_host_bridge(const Tree& tree, NodeId device) {
    NodeId bridge = tree.parent(device);
    if (bridge == kNoNode || match_bus(tree, bridge) != Bus::Pci) return kNoNode;
    for (NodeId up = tree.parent(bridge); up != kNoNode && match_bus(tree, up) == Bus::Pci; up = tree.parent(up)) {
        bridge = up;
    }
    return bridge;
}

std::optional<DmaWindow> device_dma_window(const Tree& tree, NodeId device) {
    // of_dma_configure_id(): a device's own node starts the search at its DMA parent; a PCI
    // device is configured with its host bridge's node (pci_dma_configure()), which
    // counts itself, and the bridges between them are not consulted.
    NodeId host = pci_host_bridge(tree, device);
    return dma_window_from(tree, host != kNoNode ? host : dma_parent(tree, device));
}

std::vector<BusWindow> bus_windows(const Tree& tree, NodeId bus, std::vector<Diagnostic>& diagnostics) {
    std::vector<BusWindow> windows;
    const Property* ranges = non_empty(tree.find_property(bus, "ranges"));
    NodeId dt_parent = tree.parent(bus);
    if (!ranges || dt_parent == kNoNode) return windows;
    Bus kind = match_bus(tree, bus);
    Cells cells = count_cells(tree, kind, bus);
    int parent_address_cells = count_cells(tree, match_bus(tree, dt_parent), dt_parent).address;
    if (cells.address <= 0 || cells.size < 0 || parent_address_cells <= 0) return windows;
    int entry_cells = cells.address + parent_address_cells + cells.size;
    int flags = flag_cells(kind);
    Reader reader(tree, bus);
    Translator translator(reader, false);
    std::vector<std::uint32_t> all = host_cells(*ranges);
    for (std::size_t at = 0; at + entry_cells <= all.size(); at += entry_cells) {
        const std::uint32_t* entry = all.data() + at;
        u64 size = reader.number(entry + cells.address + parent_address_cells, cells.size);
        if (size == 0) continue;
        Translation cpu = translator.translate(bus, entry + cells.address, parent_address_cells);
        if (!cpu.failure.empty()) {
            diagnostics.push_back(diagnose("ranges-untranslatable", bus,
                                   fmt::format("a ranges entry does not reach the CPU: {}", cpu.failure), "ranges"));
            continue;
        }
        BusWindow window;
        window.flags = bus_flags(kind, entry[0]);
        window.child_first = reader.number(entry + flags, cells.address - flags);
        window.cpu_first = cpu.address;
        u64 span = size - 1;
        span = std::min({span, ~u64{0} - window.child_first, ~u64{0} - window.cpu_first});
        if (span != size - 1) {
            diagnostics.push_back(diagnose("ranges-wraps", bus,
                                   fmt::format("a ranges window of size {} from child {} (CPU {}) passes the end of the "
                                               "64-bit address space; cut there",
                                               hex(size), hex(window.child_first), hex(window.cpu_first)),
                                   "ranges"));
        }
        window.child_last = window.child_first + span;
        windows.push_back(window);
    }
    return windows;
}

DmaMaxAddress dma_max_cpu_address(const Tree& tree) {
    DmaMaxAddress result;
    u64 best = kBadAddress;  // PHYS_ADDR_MAX
    std::vector<NodeId> pending = {tree.root()};
    while (!pending.empty()) {
        NodeId node = pending.back();
        pending.pop_back();
        if (const Property* ranges = non_empty(tree.find_property(node, "dma-ranges"))) {
            u64 cpu_end = 0;
            for (const ParsedDmaRange& range : parse_dma_ranges(tree, node, *ranges)) {
                if (!range.failure.empty()) {
                    result.failures.push_back(fmt::format(
                        "{}: dma-ranges entry for bus address {} does not translate to a CPU address ({}); "
                        "the kernel then computes with OF_BAD_ADDR and wraps",
                        tree.path(node), hex(range.bus_address), range.failure));
                }
                // Unsigned wrap-around is the kernel's arithmetic here, reproduced on purpose.
                if (range.cpu_address + range.size > cpu_end) cpu_end = range.cpu_address + range.size - 1;
            }
            best = std::min(best, cpu_end);
        }
        for (NodeId child = tree.first_child(node); child != kNoNode; child = tree.next_sibling(child)) {
            if (tree.is_available(child)) pending.push_back(child);
        }
    }
    if (best != kBadAddress) result.address = best;
    return result;
}

}  // namespace dtmem
