#include <string>

#include "dtmem/report.hpp"

namespace dtmem {
namespace {

using Json = nlohmann::ordered_json;

Json range_json(const Range& range) {
    return {{"start", hex(range.start)}, {"end", hex(range.last())}, {"size", range.size}};
}

Json optional_string(std::optional<std::string_view> value) {
    return value ? Json(std::string(*value)) : Json(nullptr);
}

class JsonWriter {
public:
    explicit JsonWriter(const Tree& tree) : tree_(tree) {}

    // Adds "location" (DTS input only): the property's, else the node's.
    void locate(Json& object, NodeId node, std::string_view property = {}) const {
        if (!tree_.has_sources() || node == kNoNode) return;
        auto location = property.empty() ? tree_.location(node) : tree_.location(node, property);
        if (!location) return;
        object["location"] = location_json(*location);
        const SourceInfo* info = tree_.sources(node);
        if (info && info->node.size() > 1) {
            Json all = Json::array();
            for (const SourceLocation& l : info->node) all.push_back(location_json(l));
            object["node_locations"] = std::move(all);
        }
    }

    static Json location_json(const SourceLocation& l) {
        return {{"file", l.file}, {"line", l.line}, {"column", l.column}};
    }

    Json node_path(NodeId node) const { return node == kNoNode ? Json(nullptr) : Json(tree_.path(node)); }

    Json ram(const MemoryMap& map) const {
        Json list = Json::array();
        for (const RamBank& bank : map.ram) {
            Json item = {{"node", node_path(bank.node)}};
            item.update(range_json(bank.range));
            static constexpr const char* kSources[] = {"reg", "linux,usable-memory", "--memory"};
            item["from"] = kSources[static_cast<int>(bank.source)];
            item["hotpluggable"] = bank.hotpluggable;
            locate(item, bank.node, item["from"].get<std::string>());
            list.push_back(std::move(item));
        }
        return list;
    }

    Json region(const ReservedRegion& region) const {
        static constexpr const char* kTypes[] = {"static", "dynamic", "invalid"};
        // Entries as written: size 0, or (alloc-ranges) an end past 2^64, has no "end".
        auto entries = [](const std::vector<AddressSize>& list) {
            Json json = Json::array();
            for (const AddressSize& entry : list) {
                auto range = make_range(entry.address, entry.size);
                json.push_back(range ? range_json(*range)
                                     : Json{{"start", hex(entry.address)}, {"end", nullptr}, {"size", entry.size}});
            }
            return json;
        };
        Json reg = entries(region.reg);
        Json alloc_ranges = entries(region.alloc_ranges);
        Json compatible = Json::array();
        for (std::string_view c : region.compatible) compatible.push_back(std::string(c));
        Json users = Json::array();
        for (NodeId user : region.users) users.push_back(tree_.path(user));
        const Property* status = tree_.find_property(region.node, "status");
        Json item = {
            {"node", tree_.path(region.node)},
            {"name", std::string(tree_.name(region.node))},
            {"type", kTypes[static_cast<int>(region.type)]},
            {"reg", reg},
            {"size", region.size ? Json(*region.size) : Json(nullptr)},
            {"alignment", region.alignment ? Json(*region.alignment) : Json(nullptr)},
            {"alloc_ranges", alloc_ranges},
            {"no_map", region.no_map},
            {"reusable", region.reusable},
            {"compatible", compatible},
            {"cma_default", region.cma_default},
            {"dma_default", region.dma_default},
            {"status", optional_string(status ? status->as_string() : std::nullopt)},
            {"available", region.available},
            {"users", users},
            {"problem", region.problem.empty() ? Json(nullptr) : Json(region.problem)},
        };
        locate(item, region.node, region.type == RegionType::Dynamic ? "size" : "reg");
        return item;
    }

    Json reserved_memory(const MemoryMap& map) const {
        if (!map.reserved_memory) return nullptr;
        const ReservedMemory& rm = *map.reserved_memory;
        auto cells = [](std::optional<int> value) { return value ? Json(*value) : Json(nullptr); };
        Json regions = Json::array();
        for (const ReservedRegion& r : rm.regions) regions.push_back(region(r));
        Json item = {{"node", tree_.path(rm.node)},
                     {"address_cells", cells(rm.address_cells)},
                     {"size_cells", cells(rm.size_cells)},
                     {"ranges", rm.has_ranges},
                     {"supported", rm.supported()},
                     {"unsupported_reason", rm.supported() ? Json(nullptr) : Json(rm.unsupported_reason)},
                     {"regions", regions}};
        locate(item, rm.node);
        return item;
    }

    Json chosen(const MemoryMap& map) const {
        Json usable = Json::array();
        for (const Range& range : map.chosen.usable_memory_range) usable.push_back(range_json(range));
        return {{"bootargs", optional_string(map.chosen.bootargs)},
                {"stdout_path", optional_string(map.chosen.stdout_path)},
                {"initrd", map.chosen.initrd ? range_json(*map.chosen.initrd) : Json(nullptr)},
                {"usable_memory_range", usable}};
    }

    Json mmio(const MemoryMap& map) const {
        Json list = Json::array();
        for (const MmioRegion& region : map.mmio) {
            Json item = {{"node", tree_.path(region.node)}, {"index", region.index}, {"name", optional_string(region.name)}};
            item.update(range_json(region.range));
            locate(item, region.node, "reg");
            list.push_back(std::move(item));
        }
        return list;
    }

    Json devices(const MemoryMap& map) const {
        Json list = Json::array();
        for (const Device& device : map.devices) {
            Json window = nullptr;
            if (device.dma_window) {
                Json ranges = Json::array();
                for (const DmaRange& r : device.dma_window->ranges) {
                    ranges.push_back({{"dma_start", hex(r.dma_start)},
                                      {"cpu_start", hex(r.cpu_start)},
                                      {"size", r.size},
                                      {"cpu_end", hex(r.cpu_start + (r.size - 1))}});
                }
                window = {{"node", tree_.path(device.dma_window->node)},
                          {"ranges", ranges},
                          {"dma_limit", hex(device.dma_window->dma_limit)}};
            }
            Json regions = Json::array();
            for (const RegionUse& use : device.memory_regions) {
                regions.push_back({{"node", tree_.path(use.region)}, {"name", optional_string(use.name)}});
            }
            Json item = {{"node", tree_.path(device.node)},
                         {"dma_coherent", device.dma_coherent},
                         {"dma_window", window},
                         {"memory_regions", regions}};
            locate(item, device.node, device.memory_regions.empty() ? "" : "memory-region");
            list.push_back(std::move(item));
        }
        return list;
    }

    Json diagnostics(const MemoryMap& map) const {
        Json list = Json::array();
        for (const Diagnostic& d : map.diagnostics) {
            Json item = {{"id", d.id},
                         {"severity", severity_name(d.severity)},
                         {"node", node_path(d.node)},
                         {"message", d.message}};
            locate(item, d.node, d.property);
            list.push_back(std::move(item));
        }
        return list;
    }

private:
    const Tree& tree_;
};

}  // namespace

nlohmann::ordered_json map_to_json(const Tree& tree, const MemoryMap& map, const ReportInput& input) {
    JsonWriter writer(tree);
    const Property* model = tree.find_property(tree.root(), "model");
    Json compatible = Json::array();
    if (const Property* p = tree.find_property(tree.root(), "compatible")) {
        for (std::string_view c : p->as_strings()) compatible.push_back(std::string(c));
    }
    Json memreserve = Json::array();
    for (const Range& range : map.memreserve) memreserve.push_back(range_json(range));
    return {
        {"dtmem", DTMEM_VERSION},
        {"input", {{"file", input.file},
                   {"format", input.format == InputFormat::Dts ? "dts" : "dtb"},
                   {"overlays", input.overlays}}},
        {"model", optional_string(model ? model->as_string() : std::nullopt)},
        {"compatible", compatible},
        {"root_cells", {{"address", map.root_cells.address}, {"size", map.root_cells.size}}},
        {"ram", writer.ram(map)},
        {"memreserve", memreserve},
        {"reserved_memory", writer.reserved_memory(map)},
        {"chosen", writer.chosen(map)},
        {"mmio", writer.mmio(map)},
        {"devices", writer.devices(map)},
        {"dma_max_cpu_address", map.dma_max.address ? Json(hex(*map.dma_max.address)) : Json(nullptr)},
        {"diagnostics", writer.diagnostics(map)},
    };
}

}  // namespace dtmem
