// SPDX-License-Identifier: MIT
#include <algorithm>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "dtmem/report.hpp"
#include "report/lines.hpp"

namespace dtmem {
namespace {

struct Style {
    bool enabled = false;
    std::string wrap(std::string_view text, std::string_view code) const {
        if (!enabled || code.empty()) return std::string(text);
        return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
    }
};
constexpr std::string_view kBold = "1", kGreen = "32", kYellow = "33", kCyan = "36", kDim = "2";

// Left-aligned columns; the last column is not padded. Colour applies to whole rows.
class Table {
public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row, std::string_view color = {}) {
        rows_.push_back({std::move(row), std::string(color)});
    }
    bool empty() const { return rows_.empty(); }
    void print(std::ostream& out, const Style& style) const {
        std::vector<std::size_t> widths(header_.size());
        auto measure = [&](const std::vector<std::string>& row) {
            for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
        };
        measure(header_);
        for (const auto& row : rows_) measure(row.cells);
        auto line = [&](const std::vector<std::string>& row) {
            std::string text = "  ";
            for (std::size_t i = 0; i < row.size(); ++i) {
                text += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
            }
            while (!text.empty() && text.back() == ' ') text.pop_back();
            return text;
        };
        out << style.wrap(line(header_), kBold) << '\n';
        for (const auto& row : rows_) out << style.wrap(line(row.cells), row.color) << '\n';
    }

private:
    struct Row {
        std::vector<std::string> cells;
        std::string color;
    };
    std::vector<std::string> header_;
    std::vector<Row> rows_;
};

class TextWriter {
public:
    TextWriter(std::ostream& out, const Tree& tree, const MemoryMap& map, bool color)
        : out_(out), tree_(tree), map_(map) {
        style_.enabled = color;
        u64 highest = 0;
        for (const RamBank& bank : map.ram) highest = std::max(highest, bank.range.last());
        for (const MmioRegion& region : map.mmio) highest = std::max(highest, region.range.last());
        digits_ = (map.root_cells.address >= 2 || highest > 0xffffffffULL) ? 16 : 8;
    }

    void header(const ReportInput& input) {
        const Property* model = tree_.find_property(tree_.root(), "model");
        const Property* compatible = tree_.find_property(tree_.root(), "compatible");
        std::string title = fmt::format("{} ({})", input.file, input.format == InputFormat::Dts ? "DTS" : "DTB");
        if (model && model->as_string()) title += fmt::format(": \"{}\"", *model->as_string());
        if (compatible && !compatible->as_strings().empty()) {
            title += fmt::format(" [{}]", compatible->as_strings().front());
        }
        out_ << style_.wrap(title, kBold) << '\n';
        for (const std::string& overlay : input.overlays) out_ << "  with overlay " << overlay << '\n';
        out_ << fmt::format("root #address-cells = {}, #size-cells = {}\n", map_.root_cells.address,
                            map_.root_cells.size);
    }

    void memory_map() {
        section("Physical memory map (CPU addresses, end inclusive)");
        Table table({"START", "END", "SIZE", "KIND", "NODE", "FLAGS"});
        for (const LayoutEntry& entry : map_.layout) {
            auto [kind, node, flags, color] = describe(entry);
            table.add({address(entry.range.start), address(entry.range.last()), human_size(entry.range.size), kind,
                       node, flags},
                      color);
        }
        if (map_.ram.empty()) {
            out_ << style_.wrap("  No RAM: the tree describes none (the bootloader usually fills it in). "
                                "Give it with --memory BASE:SIZE.",
                                kYellow)
                 << '\n';
        }
        if (!table.empty()) table.print(out_, style_);
    }

    void dynamic_regions() {
        if (!map_.reserved_memory) return;
        Table table({"NODE", "SIZE", "ALIGNMENT", "ALLOC-RANGES", "FLAGS"});
        for (const ReservedRegion& region : map_.reserved_memory->regions) {
            if (region.type != RegionType::Dynamic) continue;
            std::vector<std::string> ranges;
            for (const AddressSize& r : region.alloc_ranges) {
                auto range = make_range(r.address, r.size);
                ranges.push_back(range ? address(range->start) + "-" + address(range->last())
                                       : fmt::format("{} (size {})", address(r.address), hex(r.size)));
            }
            table.add({tree_.path(region.node), human_size(*region.size),
                       region.alignment ? human_size(*region.alignment) : "-", ranges.empty() ? "-" : join(ranges, " "),
                       region_flags(region)},
                      kYellow);
        }
        if (table.empty()) return;
        section("Dynamic reservations (the kernel picks their address at boot)");
        table.print(out_, style_);
    }

    void dma_windows() {
        std::map<NodeId, std::vector<const Device*>> by_window;
        for (const Device& device : map_.devices) {
            if (device.dma_window) by_window[device.dma_window->node].push_back(&device);
        }
        if (by_window.empty() && !map_.dma_max.address) return;
        section("DMA windows (dma-ranges)");
        for (const auto& [window_node, devices] : by_window) {
            const DmaWindow& window = *devices.front()->dma_window;
            std::vector<std::string> ranges;
            for (const DmaRange& r : window.ranges) {
                ranges.push_back(fmt::format("bus {}-{} -> CPU {}-{}", address(r.dma_start), address(r.dma_start + (r.size - 1)),
                                             address(r.cpu_start), address(r.cpu_start + (r.size - 1))));
            }
            out_ << "  " << style_.wrap(tree_.path(window_node), kBold) << ": " << join(ranges, ", ") << '\n';
            std::vector<std::string> names;
            for (const Device* device : devices) {
                names.push_back(tree_.path(device->node) + (device->dma_coherent ? " (dma-coherent)" : ""));
            }
            print_wrapped(fmt::format("{} device{}: ", names.size(), names.size() == 1 ? "" : "s"), names);
        }
        if (map_.dma_max.address) {
            out_ << fmt::format("  Highest CPU address every DMA master reaches: {} (of_dma_get_max_cpu_address())\n", address(*map_.dma_max.address));
        }
    }

    void pool_users() {
        Table table({"DEVICE", "MEMORY-REGION", "NAME"});
        for (const Device& device : map_.devices) {
            for (const RegionUse& use : device.memory_regions) {
                table.add({tree_.path(device.node), tree_.path(use.region), use.name ? std::string(*use.name) : "-"});
            }
        }
        if (table.empty()) return;
        section("Memory-region users");
        table.print(out_, style_);
    }

    void chosen() {
        const Chosen& c = map_.chosen;
        if (!c.bootargs && !c.initrd && c.usable_memory_range.empty()) return;
        section("/chosen");
        if (c.bootargs) out_ << fmt::format("  bootargs: {}\n", *c.bootargs);
        if (c.initrd) {
            out_ << fmt::format("  initrd: {}-{} ({})\n", address(c.initrd->start), address(c.initrd->last()),
                                human_size(c.initrd->size));
        }
        for (const Range& r : c.usable_memory_range) {
            out_ << fmt::format("  linux,usable-memory-range: {}-{} ({})\n", address(r.start), address(r.last()),
                                human_size(r.size));
        }
    }

    void diagnostics(const ReportInput& input) {
        if (map_.diagnostics.empty()) return;
        section("Notes");
        for (const Diagnostic& d : map_.diagnostics) {
            std::string where = input.file;
            if (auto location = d.node == kNoNode ? std::nullopt : tree_.location(d.node, d.property)) {
                where = fmt::format("{}:{}:{}", location->file, location->line, location->column);
            }
            bool warning = d.severity != Severity::Note;
            std::string label = style_.wrap(severity_name(d.severity), warning ? kYellow : kDim);
            std::string node = d.node == kNoNode ? "" : tree_.path(d.node) + ": ";
            out_ << fmt::format("  {}: {}: {}{} [{}]\n", where, label, node, d.message, d.id);
        }
    }

private:
    // "    3 devices: /a, /b," continued on indented lines of at most ~100 columns.
    void print_wrapped(const std::string& label, const std::vector<std::string>& items) {
        constexpr std::size_t kWidth = 100;
        std::string line = "    " + label;
        const std::string indent(line.size(), ' ');
        for (std::size_t i = 0; i < items.size(); ++i) {
            std::string item = items[i] + (i + 1 < items.size() ? "," : "");
            if (line.size() + item.size() > kWidth && line != indent && line.size() > indent.size()) {
                out_ << line << '\n';
                line = indent;
            }
            if (line.size() > indent.size() && line.back() != ' ') line += ' ';
            line += item;
        }
        out_ << line << '\n';
    }

    void section(std::string_view title) { out_ << '\n' << style_.wrap(title, kBold) << '\n'; }

    std::string address(u64 value) const { return hex_padded(value, digits_); }

    struct RowText {
        std::string kind, node, flags;
        std::string_view color;
    };
    RowText describe(const LayoutEntry& entry) const {
        switch (entry.kind) {
            case LayoutKind::Ram: {
                const RamBank& bank = map_.ram[entry.source];
                std::string flags = bank.source == RamSource::UsableMemory ? "linux,usable-memory" : "";
                if (bank.hotpluggable) flags += flags.empty() ? "hotpluggable" : ", hotpluggable";
                return {"RAM", bank.node == kNoNode ? "(--memory)" : tree_.path(bank.node), flags, kGreen};
            }
            case LayoutKind::Hole: return {"hole", "(no RAM)", "", kDim};
            case LayoutKind::MemReserve: return {"memreserve", fmt::format("/memreserve/ #{}", entry.source), "", kYellow};
            case LayoutKind::Reserved: {
                const ReservedRegion& region = map_.reserved_memory->regions[entry.source];
                std::string node = tree_.path(region.node);
                if (region.reg.size() > 1) node += fmt::format(" reg[{}]", entry.reg_index);
                std::string flags = region_flags(region);
                if (!map_.reserved_memory->supported()) flags += flags.empty() ? "ignored" : ", ignored";
                return {"reserved", node, flags, kYellow};
            }
            case LayoutKind::Mmio: {
                const MmioRegion& region = map_.mmio[entry.source];
                std::string node = tree_.path(region.node);
                if (region.name) node += fmt::format(" \"{}\"", *region.name);
                else if (region.index > 0) node += fmt::format(" reg[{}]", region.index);
                return {"MMIO", node, "", kCyan};
            }
        }
        return {};
    }

    std::ostream& out_;
    const Tree& tree_;
    const MemoryMap& map_;
    Style style_;
    int digits_ = 8;
};

}  // namespace

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) out += separator;
        out += part;
    }
    return out;
}

std::string region_flags(const ReservedRegion& region) {
    std::vector<std::string> flags;
    if (region.no_map) flags.push_back("no-map");
    if (region.reusable) flags.push_back("reusable");
    if (region.cma_default) flags.push_back("linux,cma-default");
    if (region.dma_default) flags.push_back("linux,dma-default");
    for (std::string_view c : region.compatible) flags.push_back(std::string(c));
    if (!region.available) flags.push_back("disabled");
    return join(flags, ", ");
}

void write_map_text(std::ostream& out, const Tree& tree, const MemoryMap& map, const ReportInput& input,
                    bool color) {
    TextWriter writer(out, tree, map, color);
    writer.header(input);
    writer.memory_map();
    writer.dynamic_regions();
    writer.dma_windows();
    writer.pool_users();
    writer.chosen();
    writer.diagnostics(input);
}

namespace {

// The length of the valid UTF-8 sequence at `at` that is not a C1 control, or 0.
std::size_t printable_utf8(std::string_view text, std::size_t at) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    std::size_t length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 0;
    if (length == 0 || at + length > text.size()) return 0;
    std::uint32_t code = lead & (0xff >> (length + 1));
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xc0) != 0x80) return 0;
        code = (code << 6) | (byte(at + i) & 0x3f);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    bool valid = code >= kSmallest[length] && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return valid && code > 0x9f ? length : 0;
}

// ESC [ digits/semicolons m: the length of a colour sequence at `at`, or 0.
std::size_t color_sequence(std::string_view text, std::size_t at) {
    if (text.substr(at, 2) != "\x1b[") return 0;
    std::size_t end = text.find_first_not_of("0123456789;", at + 2);
    return end != std::string_view::npos && text[end] == 'm' ? end + 1 - at : 0;
}

}  // namespace

std::string terminal_safe(std::string_view text, bool keep_colors) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[at]);
        std::size_t keep = 0;
        if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') {
            keep = 1;
        } else if (c >= 0x80) {
            keep = printable_utf8(text, at);
        } else if (keep_colors) {
            keep = color_sequence(text, at);
        }
        if (keep) {
            out.append(text.substr(at, keep));
            at += keep;
        } else {
            out += fmt::format("\\x{:02x}", c);
            ++at;
        }
    }
    return out;
}

}  // namespace dtmem
