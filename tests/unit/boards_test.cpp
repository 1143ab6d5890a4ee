// SPDX-License-Identifier: MIT
// Golden tests on boards/: each boards/NAME/expect/*.json was computed by hand from the
// DTS (boards/NAME/NOTES.md shows the arithmetic). dtmem's JSON must contain every value
// written there; the same board compiled to a DTB must give the same map; and the text
// output must show every region of the expectation.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dtmem/report.hpp"
#include "helpers.hpp"

using namespace dtmem;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

// Every key of `expected` must be in `actual` with an equal value; lists must match in
// length and element by element. Differences are collected with their JSON path.
void compare(const Json& expected, const Json& actual, const std::string& path, std::vector<std::string>& out) {
    if (expected.is_object()) {
        if (!actual.is_object()) {
            out.push_back(path + ": expected an object, got " + actual.dump());
            return;
        }
        for (const auto& [key, value] : expected.items()) {
            if (key == "_args") continue;
            if (!actual.contains(key)) {
                out.push_back(path + "/" + key + ": missing");
            } else {
                compare(value, actual[key], path + "/" + key, out);
            }
        }
    } else if (expected.is_array()) {
        if (!actual.is_array() || actual.size() != expected.size()) {
            out.push_back(path + ": expected " + std::to_string(expected.size()) + " items, got " +
                          (actual.is_array() ? std::to_string(actual.size()) : actual.dump()));
            return;
        }
        for (std::size_t i = 0; i < expected.size(); ++i) compare(expected[i], actual[i], path + "/" + std::to_string(i), out);
    } else if (expected != actual) {
        out.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
    }
}

void strip_locations(Json& json) {
    if (json.is_object()) {
        json.erase("location");
        json.erase("node_locations");
        json.erase("input");
        for (auto& [key, value] : json.items()) strip_locations(value);
    } else if (json.is_array()) {
        for (auto& value : json) strip_locations(value);
    }
}

struct Run {
    LoadedTree loaded;
    MemoryMap map;
};

Run run(const std::string& file, const std::vector<std::string>& args) {
    LoadOptions load;
    MapOptions options;
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == "--memory") {
            auto bank = parse_memory_bank(args[i + 1]);
            REQUIRE(bank);
            options.memory.push_back(*bank);
        } else if (args[i] == "--overlay") {
            load.overlays.push_back(args[i + 1]);
        } else {
            FAIL("unsupported _args option " << args[i]);
        }
    }
    LoadedTree loaded = load_tree(file, load);
    MemoryMap map = build_memory_map(loaded.tree, options);
    return {std::move(loaded), std::move(map)};
}

// The JSON document of a run, without a prediction.
Json map_json(const Run& run, const ReportInput& input) {
    std::ostringstream out;
    write_map_json(out, run.loaded.tree, run.map, input, nullptr);
    return Json::parse(out.str());
}

std::vector<fs::path> expectation_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(DTMEM_SOURCE_DIR) / "boards")) {
        if (entry.path().extension() == ".json" && entry.path().parent_path().filename() == "expect") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// The text table must have a row "START END ... KIND NODE" for each region expected.
void check_text_rows(const std::string& text, const Json& expected, std::vector<std::string>& out) {
    int digits = expected.value("/root_cells/address"_json_pointer, 2) >= 2 ? 16 : 8;
    auto padded = [&](const std::string& hex) {
        std::string digits_only = hex.substr(2);
        return "0x" + std::string(std::max(0, digits - static_cast<int>(digits_only.size())), '0') + digits_only;
    };
    auto want_row = [&](const Json& range, const std::string& kind, const std::string& node) {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string start, end, size, size_unit, row_kind, row_node;
            words >> start >> end >> size;
            if (size.rfind("0x", 0) != 0) words >> size_unit;  // "4 KiB"; a size of odd bytes is one hex word
            words >> row_kind >> row_node;
            if (start == padded(range["start"]) && end == padded(range["end"]) && row_kind == kind && row_node == node) {
                return;
            }
        }
        out.push_back("text output has no " + kind + " row " + range["start"].get<std::string>() + "-" +
                      range["end"].get<std::string>() + " " + node);
    };
    for (const Json& bank : expected.value("ram", Json::array())) {
        want_row(bank, "RAM", bank["node"].is_null() ? "(--memory)" : bank["node"].get<std::string>());
    }
    for (const Json& mmio : expected.value("mmio", Json::array())) want_row(mmio, "MMIO", mmio["node"]);
    if (expected.contains("reserved_memory") && expected["reserved_memory"].is_object()) {
        for (const Json& region : expected["reserved_memory"]["regions"]) {
            if (region["type"] != "static" || region["reg"].size() != 1 || region["reg"][0]["end"].is_null()) continue;
            want_row(region["reg"][0], "reserved", region["node"]);
        }
    }
}

}  // namespace

TEST_CASE("boards: hand-computed expectations hold for DTS, DTB and text") {
    std::vector<fs::path> files = expectation_files();
    REQUIRE(files.size() >= 5);
    for (const fs::path& file : files) {
        CAPTURE(file.string());
        Json expected = Json::parse(std::ifstream(file));
        std::vector<std::string> args = expected.value("_args", std::vector<std::string>{});
        // Run from the board's folder, as a user would: locations name "board.dts".
        fs::path previous = fs::current_path();
        fs::current_path(file.parent_path().parent_path());
        std::string dts = "board.dts";
        ReportInput input{dts, InputFormat::Dts, {}};

        Run from_dts = run(dts, args);
        Json actual = map_json(from_dts, input);
        std::vector<std::string> differences;
        compare(expected, actual, "", differences);

        // The same board as a DTB: the same model, only the locations are gone.
        std::vector<std::uint8_t> blob = from_dts.loaded.tree.blob();
        test::TempFile dtb(std::string(blob.begin(), blob.end()), "board.dtb");
        Run from_dtb = run(dtb.path(), args);
        Json dtb_json = map_json(from_dtb, input);
        CHECK_FALSE(dtb_json.dump().find("\"location\"") != std::string::npos);
        strip_locations(actual);
        strip_locations(dtb_json);
        if (actual != dtb_json) differences.push_back("DTB map differs from the DTS map");

        std::ostringstream text;
        write_map_text(text, from_dts.loaded.tree, from_dts.map, input, false);
        check_text_rows(text.str(), expected, differences);

        fs::current_path(previous);
        for (const std::string& difference : differences) FAIL_CHECK(difference);
        CHECK(differences.empty());
    }
}
