// SPDX-License-Identifier: MIT
// Throughput of load → memory map → kernel prediction over many DTBs in one process, the
// way a batch run works. Not a test: prints numbers for the project notes. Trees without
// RAM (most shipped DTBs: the bootloader fills it in) are predicted with 2 GiB at
// 0x40000000 so that every file runs the whole pipeline.
//   dtmem-bench [--threads N] [--repeat R] PATH...   (PATH: a .dtb or a folder searched for them)
//   dtmem-bench --write-synthetic NODES FILE          (a wide tree for the scaling check)
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <libfdt.h>

#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"

namespace fs = std::filesystem;

namespace {

// A tree of `nodes` nodes: RAM, reserved regions, buses with dma-ranges and devices.
std::vector<char> synthetic_tree(int nodes) {
    std::vector<char> buffer(static_cast<std::size_t>(nodes) * 256 + 65536);
    void* fdt = buffer.data();
    auto u32 = [&](const char* name, std::uint32_t v) { fdt_property_u32(fdt, name, v); };
    auto cells = [&](const char* name, std::vector<std::uint32_t> values) {
        for (auto& v : values) v = cpu_to_fdt32(v);
        fdt_property(fdt, name, values.data(), static_cast<int>(values.size() * 4));
    };
    fdt_create(fdt, static_cast<int>(buffer.size()));
    fdt_finish_reservemap(fdt);
    fdt_begin_node(fdt, "");
    u32("#address-cells", 2);
    u32("#size-cells", 2);
    fdt_begin_node(fdt, "memory@40000000");
    fdt_property_string(fdt, "device_type", "memory");
    cells("reg", {0, 0x40000000, 2, 0});
    fdt_end_node(fdt);
    int made = 2;
    fdt_begin_node(fdt, "reserved-memory");
    u32("#address-cells", 2);
    u32("#size-cells", 2);
    fdt_property(fdt, "ranges", nullptr, 0);
    for (int i = 0; i < nodes / 100; ++i, ++made) {
        std::string name = fmt::format("region@{:x}", 0x80000000u + i * 0x10000u);
        fdt_begin_node(fdt, name.c_str());
        cells("reg", {0, 0x80000000u + i * 0x10000u, 0, 0x10000});
        fdt_property(fdt, "no-map", nullptr, 0);
        fdt_end_node(fdt);
    }
    fdt_end_node(fdt);
    for (int bus = 0; made < nodes; ++bus) {
        std::string name = fmt::format("bus@{:x}", bus);
        fdt_begin_node(fdt, name.c_str());
        fdt_property_string(fdt, "compatible", "simple-bus");
        u32("#address-cells", 1);
        u32("#size-cells", 1);
        cells("ranges", {0, 0x10, static_cast<std::uint32_t>(bus) << 24, 0x1000000});
        cells("dma-ranges", {0, 0, 0, 0x80000000});
        ++made;
        for (int dev = 0; dev < 1000 && made < nodes; ++dev, ++made) {
            std::string dev_name = fmt::format("dev@{:x}", dev * 0x1000);
            fdt_begin_node(fdt, dev_name.c_str());
            fdt_property_string(fdt, "compatible", "vendor,device");
            cells("reg", {static_cast<std::uint32_t>(dev) * 0x1000, 0x1000});
            fdt_end_node(fdt);
        }
        fdt_end_node(fdt);
    }
    fdt_end_node(fdt);
    fdt_finish(fdt);
    buffer.resize(fdt_totalsize(fdt));
    return buffer;
}

std::vector<std::string> collect(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        if (fs::is_directory(path)) {
            for (const auto& entry : fs::recursive_directory_iterator(path)) {
                if (entry.path().extension() == ".dtb") files.push_back(entry.path().string());
            }
        } else {
            files.push_back(path);
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "--write-synthetic") {
        std::vector<char> blob = synthetic_tree(std::stoi(args[1]));
        std::ofstream(args[2], std::ios::binary).write(blob.data(), static_cast<std::streamsize>(blob.size()));
        return 0;
    }
    unsigned threads = 2;
    int repeat = 1;
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--threads" && i + 1 < args.size()) {
            threads = static_cast<unsigned>(std::stoi(args[++i]));
        } else if (args[i] == "--repeat" && i + 1 < args.size()) {
            repeat = std::stoi(args[++i]);
        } else {
            paths.push_back(args[i]);
        }
    }
    std::vector<std::string> files = collect(paths);
    if (files.empty()) {
        std::fprintf(stderr, "usage: dtmem-bench [--threads N] [--repeat R] PATH... | --write-synthetic NODES FILE\n");
        return 2;
    }
    for (int round = 0; round < repeat; ++round) {
        std::atomic<std::size_t> next{0}, failures{0}, nodes{0}, regions{0}, predicted{0};
        auto start = std::chrono::steady_clock::now();
        auto worker = [&] {
            for (std::size_t i; (i = next++) < files.size();) {
                try {
                    dtmem::LoadedTree loaded = dtmem::load_tree(files[i], {});
                    dtmem::MemoryMap map = dtmem::build_memory_map(loaded.tree);
                    nodes += loaded.tree.node_count();
                    regions += map.mmio.size() + map.ram.size();
                    if (map.ram.empty()) map = dtmem::build_memory_map(loaded.tree, {{{0x40000000, 2ull << 30}}});
                    std::string assumed;
                    dtmem::KernelProfile profile = dtmem::select_profile({}, loaded.tree, assumed);
                    dtmem::predict_boot(loaded.tree, map, profile, {});
                    ++predicted;
                } catch (const dtmem::Error&) {
                    ++failures;
                }
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        std::printf("files %zu, errors %zu, predicted %zu, nodes %zu, regions %zu, threads %u: %.3f s wall, "
                    "peak RSS %.1f MiB\n",
                    files.size(), failures.load(), predicted.load(), nodes.load(), regions.load(), threads, seconds,
                    usage.ru_maxrss / 1024.0);
    }
    return 0;
}
