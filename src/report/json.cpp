// SPDX-License-Identifier: MIT
#include <algorithm>
#include <charconv>
#include <concepts>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"

namespace dtmem {
namespace {

// Writes JSON laid out as nlohmann's dump(2) lays it out, piece by piece: a large tree's
// document is never held in memory, only the last 64 KiB of text.
class JsonOut {
public:
    explicit JsonOut(std::ostream& out) : out_(out) {}

    void object(const auto& members) {
        open('{');
        members();
        close('}');
    }

    void array(const auto& items) {
        open('[');
        items();
        close(']');
    }

    // The next member of the object being written.
    JsonOut& key(std::string_view name) {
        separate();
        string(name);
        text_ += ": ";
        after_key_ = true;
        return *this;
    }

    void member(std::string_view name, const auto& value) { key(name).value(value); }

    void value(std::nullptr_t) { scalar("null"); }
    void value(bool b) { scalar(b ? "true" : "false"); }
    void value(const char* s) { value(std::string_view(s)); }
    void value(std::string_view s) {
        separate();
        string(s);
    }
    void value(std::integral auto number) {
        char digits[24];
        scalar(std::string_view(digits, std::to_chars(digits, digits + sizeof digits, number).ptr));
    }
    template <class T>
    void value(const std::optional<T>& v) {
        v ? value(*v) : value(nullptr);
    }
    template <class T>
    void value(const std::vector<T>& items) {
        array([&] {
            for (const T& item : items) value(item);
        });
    }

    // Ends the document's line and writes what is left.
    void finish() {
        text_ += '\n';
        flush();
    }

private:
    void flush() {
        out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
        text_.clear();
    }

    // Before a value: nothing after a key, else a comma unless first, a new line, indentation.
    void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (open_.empty()) return;
        text_ += open_.back() ? "\n" : ",\n";
        open_.back() = false;
        text_.append(2 * open_.size(), ' ');
    }

    void open(char bracket) {
        separate();
        text_ += bracket;
        open_.push_back(true);
    }

    void close(char bracket) {
        bool empty = open_.back();
        open_.pop_back();
        if (!empty) {
            text_ += '\n';
            text_.append(2 * open_.size(), ' ');
        }
        text_ += bracket;
        if (text_.size() >= 65536) flush();
    }

    void scalar(std::string_view text) {
        separate();
        text_ += text;
    }

    // Plain ASCII as is; anything else escaped by nlohmann itself, invalid UTF-8 becoming
    // U+FFFD (strings from the tree need not be UTF-8).
    void string(std::string_view s) {
        bool plain = std::all_of(s.begin(), s.end(), [](char c) {
            auto byte = static_cast<unsigned char>(c);
            return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
        });
        if (plain) {
            text_ += '"';
            text_ += s;
            text_ += '"';
        } else {
            text_ += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
    }

    std::ostream& out_;
    std::string text_;
    std::vector<bool> open_;  // per open object or array: nothing written in it yet
    bool after_key_ = false;
};

class MapJson {
public:
    MapJson(std::ostream& out, const Tree& tree) : json_(out), tree_(tree) {}

    void document(const MemoryMap& map, const ReportInput& input, const Prediction* prediction) {
        const Property* model = tree_.find_property(tree_.root(), "model");
        const Property* compatible = tree_.find_property(tree_.root(), "compatible");
        json_.object([&] {
            json_.member("dtmem", DTMEM_VERSION);
            json_.key("input").object([&] {
                json_.member("file", input.file);
                json_.member("format", input.format == InputFormat::Dts ? "dts" : "dtb");
                json_.member("overlays", input.overlays);
            });
            json_.member("model", model ? model->as_string() : std::nullopt);
            json_.member("compatible", compatible ? compatible->as_strings() : std::vector<std::string_view>{});
            json_.key("root_cells").object([&] {
                json_.member("address", map.root_cells.address);
                json_.member("size", map.root_cells.size);
            });
            json_.key("ram").array([&] { ram(map); });
            json_.key("memreserve").array([&] {
                for (const Range& range : map.memreserve) range_object(range);
            });
            json_.key("reserved_memory");
            map.reserved_memory ? reserved_memory(*map.reserved_memory) : json_.value(nullptr);
            json_.key("chosen").object([&] { chosen(map.chosen); });
            json_.key("mmio").array([&] { mmio(map); });
            json_.key("devices").array([&] { devices(map); });
            json_.member("dma_max_cpu_address", hex_or_null(map.dma_max.address));
            json_.key("layout").array([&] { layout(map); });
            json_.key("buses").array([&] { buses(map); });
            json_.key("diagnostics").array([&] { diagnostics(map); });
            json_.key("prediction");
            prediction ? prediction_object(*prediction) : json_.value(nullptr);
        });
        json_.finish();
    }

private:
    static std::optional<std::string> hex_or_null(std::optional<u64> value) {
        return value ? std::optional(hex(*value)) : std::nullopt;
    }

    std::optional<std::string> path_or_null(NodeId node) const {
        return node == kNoNode ? std::nullopt : std::optional(tree_.path(node));
    }

    void range_members(const Range& range) {
        json_.member("start", hex(range.start));
        json_.member("end", hex(range.last()));
        json_.member("size", range.size);
    }

    void range_object(const Range& range) {
        json_.object([&] { range_members(range); });
    }

    // Entries as written: one of size 0, or (alloc-ranges) one ending past 2^64, has no "end".
    void entries(const std::vector<AddressSize>& list) {
        for (const AddressSize& entry : list) {
            if (auto range = make_range(entry.address, entry.size)) {
                range_object(*range);
                continue;
            }
            json_.object([&] {
                json_.member("start", hex(entry.address));
                json_.member("end", nullptr);
                json_.member("size", entry.size);
            });
        }
    }

    void layout(const MemoryMap& map) {
        static constexpr const char* kKinds[] = {"ram", "hole", "memreserve", "reserved", "mmio"};
        for (const LayoutEntry& entry : map.layout) {
            json_.object([&] {
                json_.member("kind", kKinds[static_cast<int>(entry.kind)]);
                range_members(entry.range);
                NodeId node = kNoNode;
                switch (entry.kind) {
                    case LayoutKind::Ram: node = map.ram[entry.source].node; break;
                    case LayoutKind::Reserved: node = map.reserved_memory->regions[entry.source].node; break;
                    case LayoutKind::Mmio: node = map.mmio[entry.source].node; break;
                    case LayoutKind::Hole:
                    case LayoutKind::MemReserve: break;
                }
                json_.member("node", path_or_null(node));
            });
        }
    }

    void buses(const MemoryMap& map) {
        for (const BusTranslation& bus : map.buses) {
            json_.object([&] {
                json_.member("node", tree_.path(bus.node));
                json_.member("identity", bus.identity);
                json_.key("windows").array([&] {
                    for (const BusWindow& w : bus.windows) {
                        json_.object([&] {
                            json_.member("child_start", hex(w.child_first));
                            json_.member("child_end", hex(w.child_last));
                            json_.member("cpu_start", hex(w.cpu_first));
                            json_.member("cpu_end", hex(w.cpu_first + (w.child_last - w.child_first)));
                            json_.member("io", (w.flags & 0x100) != 0);
                        });
                    }
                });
                json_.key("dma_window");
                bus.dma ? dma_window(*bus.dma) : json_.value(nullptr);
            });
        }
    }

    void location_object(const SourceLocation& l) {
        json_.object([&] {
            json_.member("file", l.file);
            json_.member("line", l.line);
            json_.member("column", l.column);
        });
    }

    // "location" (DTS input only): the property's, else the node's.
    void locate(NodeId node, std::string_view property = {}) {
        if (!tree_.has_sources() || node == kNoNode) return;
        auto location = property.empty() ? tree_.location(node) : tree_.location(node, property);
        if (!location) return;
        json_.key("location");
        location_object(*location);
        const SourceInfo* info = tree_.sources(node);
        if (info && info->node.size() > 1) {
            json_.key("node_locations").array([&] {
                for (const SourceLocation& l : info->node) location_object(l);
            });
        }
    }

    void ram(const MemoryMap& map) {
        static constexpr const char* kSources[] = {"reg", "linux,usable-memory", "--memory"};
        for (const RamBank& bank : map.ram) {
            const char* from = kSources[static_cast<int>(bank.source)];
            json_.object([&] {
                json_.member("node", path_or_null(bank.node));
                range_members(bank.range);
                json_.member("from", from);
                json_.member("hotpluggable", bank.hotpluggable);
                locate(bank.node, from);
            });
        }
    }

    void region(const ReservedRegion& region) {
        static constexpr const char* kTypes[] = {"static", "dynamic", "invalid"};
        const Property* status = tree_.find_property(region.node, "status");
        json_.object([&] {
            json_.member("node", tree_.path(region.node));
            json_.member("name", tree_.name(region.node));
            json_.member("type", kTypes[static_cast<int>(region.type)]);
            json_.key("reg").array([&] { entries(region.reg); });
            json_.member("size", region.size);
            json_.member("alignment", region.alignment);
            json_.key("alloc_ranges").array([&] { entries(region.alloc_ranges); });
            json_.member("no_map", region.no_map);
            json_.member("reusable", region.reusable);
            json_.member("compatible", region.compatible);
            json_.member("cma_default", region.cma_default);
            json_.member("dma_default", region.dma_default);
            json_.member("status", status ? status->as_string() : std::nullopt);
            json_.member("available", region.available);
            json_.key("users").array([&] {
                for (NodeId user : region.users) json_.value(tree_.path(user));
            });
            json_.member("problem", region.problem.empty() ? std::nullopt : std::optional(region.problem));
            locate(region.node, region.type == RegionType::Dynamic ? "size" : "reg");
        });
    }

    void reserved_memory(const ReservedMemory& rm) {
        json_.object([&] {
            json_.member("node", tree_.path(rm.node));
            json_.member("address_cells", rm.address_cells);
            json_.member("size_cells", rm.size_cells);
            json_.member("ranges", rm.has_ranges);
            json_.member("supported", rm.supported());
            json_.member("unsupported_reason", rm.supported() ? std::nullopt : std::optional(rm.unsupported_reason));
            json_.key("regions").array([&] {
                for (const ReservedRegion& r : rm.regions) region(r);
            });
            locate(rm.node);
        });
    }

    void chosen(const Chosen& chosen) {
        json_.member("bootargs", chosen.bootargs);
        json_.member("stdout_path", chosen.stdout_path);
        json_.key("initrd");
        chosen.initrd ? range_object(*chosen.initrd) : json_.value(nullptr);
        json_.key("usable_memory_range").array([&] {
            for (const Range& range : chosen.usable_memory_range) range_object(range);
        });
    }

    void mmio(const MemoryMap& map) {
        for (const MmioRegion& region : map.mmio) {
            json_.object([&] {
                json_.member("node", tree_.path(region.node));
                json_.member("index", region.index);
                json_.member("name", region.name);
                range_members(region.range);
                locate(region.node, "reg");
            });
        }
    }

    void dma_window(const DmaWindow& window) {
        json_.object([&] {
            json_.member("node", tree_.path(window.node));
            json_.key("ranges").array([&] {
                for (const DmaRange& r : window.ranges) {
                    json_.object([&] {
                        json_.member("dma_start", hex(r.dma_start));
                        json_.member("cpu_start", hex(r.cpu_start));
                        json_.member("size", r.size);
                        json_.member("cpu_end", hex(r.cpu_start + (r.size - 1)));
                    });
                }
            });
            json_.member("dma_limit", hex(window.dma_limit));
        });
    }

    void devices(const MemoryMap& map) {
        for (const Device& device : map.devices) {
            json_.object([&] {
                json_.member("node", tree_.path(device.node));
                json_.member("dma_coherent", device.dma_coherent);
                json_.key("dma_window");
                device.dma_window ? dma_window(*device.dma_window) : json_.value(nullptr);
                json_.key("memory_regions").array([&] {
                    for (const RegionUse& use : device.memory_regions) {
                        json_.object([&] {
                            json_.member("node", tree_.path(use.region));
                            json_.member("name", use.name);
                        });
                    }
                });
                locate(device.node, device.memory_regions.empty() ? "" : "memory-region");
            });
        }
    }

    void diagnostics(const MemoryMap& map) {
        for (const Diagnostic& d : map.diagnostics) {
            json_.object([&] {
                json_.member("id", d.id);
                json_.member("severity", severity_name(d.severity));
                json_.member("node", path_or_null(d.node));
                json_.member("message", d.message);
                locate(d.node, d.property);
            });
        }
    }

    void prediction_object(const Prediction& prediction) {
        const KernelProfile& profile = prediction.profile;
        json_.object([&] {
            json_.key("profile").object([&] {
                json_.member("id", profile.id);
                json_.member("arch", arch_name(profile.arch));
                json_.member("version", fmt::format("{}.{}.{}", profile.version.major, profile.version.minor,
                                                    profile.version.patch));
                json_.member("description", profile.description);
            });
            json_.member("cpus", prediction.inputs_used.cpus.value_or(1));
            json_.member("assumptions", prediction.assumptions);
            json_.key("zones").array([&] {
                for (const Zone& zone : prediction.zones) {
                    json_.object([&] {
                        json_.member("name", zone.name);
                        if (zone.range) {
                            json_.member("start", hex(zone.range->start));
                            json_.member("end", hex(zone.range->last()));
                        } else {
                            json_.member("empty", true);
                        }
                    });
                }
            });
            json_.key("memory_ranges").array([&] {
                for (const Range& r : prediction.memory_ranges) {
                    json_.object([&] {
                        json_.member("start", hex(r.start));
                        json_.member("end", hex(r.last()));
                    });
                }
            });
            json_.key("cma").array([&] {
                for (const CmaArea& area : prediction.cma) {
                    json_.object([&] {
                        json_.member("name", area.name);
                        json_.member("base", hex(area.base));
                        json_.member("size", area.size);
                        json_.member("exact", area.rests_on.empty());
                        json_.member("rests_on", area.rests_on);
                    });
                }
            });
            json_.key("reserved_memory").array([&] {
                for (const RegionOutcome& outcome : prediction.reserved) {
                    json_.object([&] {
                        json_.member("node", tree_.path(outcome.node));
                        if (outcome.placed) {
                            json_.member("base", hex(outcome.placed->start));
                            json_.member("size", outcome.placed->size);
                        }
                        if (!outcome.error.empty()) json_.member("error", outcome.error);
                        json_.member("exact", outcome.rests_on.empty());
                        json_.member("rests_on", outcome.rests_on);
                    });
                }
            });
            json_.member("lowmem_end", hex_or_null(prediction.lowmem_end));
            json_.member("movable_start", hex_or_null(prediction.movable_start));
            json_.key("swiotlb");
            if (prediction.swiotlb) {
                json_.object([&] {
                    range_members(*prediction.swiotlb);
                    json_.member("exact", prediction.swiotlb_rests_on.empty());
                    json_.member("rests_on", prediction.swiotlb_rests_on);
                });
            } else {
                json_.value(nullptr);
            }
            for (const auto& entry : {std::pair{"boot_images", &prediction.images}, {"crashkernel", &prediction.crashkernel}}) {
                const std::vector<BootImage>* list = entry.second;  // clang 14 cannot capture a structured binding
                json_.key(entry.first).array([&] {
                    for (const BootImage& image : *list) {
                        json_.object([&] {
                            json_.member("name", image.name);
                            range_members(image.range);
                            json_.member("exact", image.rests_on.empty());
                            json_.member("rests_on", image.rests_on);
                        });
                    }
                });
            }
            json_.member("notes", prediction.notes);
            json_.member("hangs", prediction.hangs);
            json_.member("log", prediction.log);
            json_.member("unmodelled", prediction.unmodelled);
        });
    }

    JsonOut json_;
    const Tree& tree_;
};

}  // namespace

void write_map_json(std::ostream& out, const Tree& tree, const MemoryMap& map, const ReportInput& input,
                    const Prediction* prediction) {
    MapJson(out, tree).document(map, input, prediction);
}

}  // namespace dtmem
