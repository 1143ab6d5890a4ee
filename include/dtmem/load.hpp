// Loading a tree: DTB (file, stdin, /sys/firmware/fdt) or DTS (cpp + dtc, with a source
// map), then overlays applied with libfdt.
#pragma once

#include <string>
#include <vector>

#include "dtmem/tree.hpp"

namespace dtmem {

struct LoadOptions {
    std::vector<std::string> include_dirs;  // -I for cpp and -i for dtc
    std::vector<std::string> overlays;      // .dtbo (or overlay DTS) files, applied in order
    std::string dtc = "dtc";
    std::string cpp = "cpp";
};

enum class InputFormat { Dtb, Dts };

struct LoadedTree {
    Tree tree;
    InputFormat format = InputFormat::Dtb;
};

// Reads `path` ("-" = standard input). Throws dtmem::Error (message without the file
// name; the caller adds it) for a missing file, a bad blob, or a DTS dtc rejects.
LoadedTree load_tree(const std::string& path, const LoadOptions& options);

}  // namespace dtmem
