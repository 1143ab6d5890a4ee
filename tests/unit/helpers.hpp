// SPDX-License-Identifier: MIT
// Test helpers: compile DTS text through the real loader (cpp + dtc), run the map.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"

namespace dtmem::test {

// A file in a fresh temporary directory, removed with it.
class TempFile {
public:
    explicit TempFile(std::string_view content, const std::string& name = "board.dts") {
        std::string pattern = (std::filesystem::temp_directory_path() / "dtmem-test-XXXXXX").string();
        dir_ = mkdtemp(pattern.data());
        path_ = dir_ + "/" + name;
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::filesystem::remove_all(dir_); }
    const std::string& path() const { return path_; }
    std::string sibling(const std::string& name, std::string_view content) const {
        std::string p = dir_ + "/" + name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

private:
    std::string dir_, path_;
};

inline LoadedTree load_dts(std::string_view dts, const LoadOptions& options = {}) {
    TempFile file(dts);
    return load_tree(file.path(), options);
}

// A map with the tree it holds views into: the tree lives as long as the map.
struct Mapped : MemoryMap {
    LoadedTree loaded;
};

inline Mapped map_dts(std::string_view dts, const MapOptions& options = {}) {
    LoadedTree loaded = load_dts(dts);
    MemoryMap map = build_memory_map(loaded.tree, options);
    return {std::move(map), std::move(loaded)};  // moving a Tree keeps its blob's buffer
}

// Whether `diagnostics` hold one with `id` whose message contains `text`.
inline bool has_diagnostic(const std::vector<Diagnostic>& diagnostics, std::string_view id, std::string_view text = {}) {
    for (const Diagnostic& d : diagnostics) {
        if (d.id == id && d.message.find(text) != std::string::npos) return true;
    }
    return false;
}

// The message of the dtmem::Error that `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace dtmem::test
