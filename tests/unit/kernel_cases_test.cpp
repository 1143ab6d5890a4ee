// SPDX-License-Identifier: MIT
// Recorded boots: tests/kernel-cases/NAME/ holds a DTS, the QEMU set-up (case.yaml) and
// what real Debian kernels printed (KERNEL_ID.log, recorded by tools/kernel-oracle). The
// prediction's memory lines must equal the recorded ones, line for line.
// The build compiles each DTS once (tests/CMakeLists.txt) into DTMEM_KERNEL_CASE_DTBS/NAME.dtb;
// DTMEM_KERNEL_CASE=NAME checks that case only (ctest runs one test per case so).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <libfdt.h>
#include <yaml-cpp/yaml.h>

#include "dtmem/analysis.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

// Recorder kernel ids → shipped profiles.
const std::map<std::string, std::string> kProfiles = {
    {"arm64-6.1", "arm64-6.1"},   {"arm64-6.12", "arm64-6.12"},        {"armmp-6.1", "arm-6.1"},
    {"armmp-lpae-6.1", "arm-6.1-lpae"}, {"armmp-6.12", "arm-6.12"}, {"armmp-lpae-6.12", "arm-6.12-lpae"},
    {"riscv64-6.12", "riscv64-6.12"}};

std::vector<std::string> read_lines(const fs::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("# ")) lines.push_back(line);
    }
    return lines;
}

// QEMU's riscv virt machine adds /chosen/rng-seed (32 bytes) and packs the blob.
std::vector<std::uint8_t> with_qemu_rng_seed(std::vector<std::uint8_t> blob) {
    blob.resize(blob.size() + 128);
    fdt_open_into(blob.data(), blob.data(), static_cast<int>(blob.size()));
    int chosen = fdt_path_offset(blob.data(), "/chosen");
    std::uint8_t seed[32] = {};
    REQUIRE(chosen >= 0);
    REQUIRE(fdt_setprop(blob.data(), chosen, "rng-seed", seed, sizeof seed) == 0);
    fdt_pack(blob.data());
    blob.resize(fdt_totalsize(blob.data()));
    return blob;
}

struct Outcome {
    int agreed = 0;
    std::vector<std::string> disagreed;
};

// The cases to check: DTMEM_KERNEL_CASE, else all.
std::vector<fs::path> kernel_cases() {
    fs::path root = fs::path(DTMEM_SOURCE_DIR) / "tests" / "kernel-cases";
    std::vector<fs::path> cases;
    if (const char* only = std::getenv("DTMEM_KERNEL_CASE")) {
        cases.push_back(root / only);
        REQUIRE_MESSAGE(fs::exists(cases[0] / "case.yaml"), "no kernel case " << only);
    } else {
        for (const auto& entry : fs::directory_iterator(root)) {
            if (fs::exists(entry.path() / "case.yaml")) cases.push_back(entry.path());
        }
        REQUIRE(cases.size() >= 50);
    }
    std::sort(cases.begin(), cases.end());
    return cases;
}

// A case's tree as the recorded kernel got it, its map and the boot inputs of the recording.
struct CaseInput {
    LoadedTree loaded;
    MemoryMap map;
    BootInputs inputs;
};

CaseInput case_input(const fs::path& dir) {
    YAML::Node spec = YAML::LoadFile((dir / "case.yaml").string());
    fs::path dtb = fs::path(DTMEM_KERNEL_CASE_DTBS) / (dir.filename().string() + ".dtb");
    CaseInput in{load_tree(dtb.string(), {}), {}, {}};
    if (spec["firmware"]) {  // riscv: the tree as QEMU and OpenSBI hand it to Linux
        Firmware firmware;
        firmware.base = *parse_size(spec["firmware_addr"].as<std::string>());
        in.loaded.tree = Tree::from_blob(apply_firmware(with_qemu_rng_seed(in.loaded.tree.blob()), firmware));
    }
    in.map = build_memory_map(in.loaded.tree);
    in.inputs.kernel_address = parse_size(spec["image_addr"].as<std::string>());
    in.inputs.dtb_address = parse_size(spec["dtb_addr"].as<std::string>());
    return in;
}

// The recorded logs of a case: kernel id -> file.
std::map<std::string, fs::path> recorded_logs(const fs::path& dir) {
    std::map<std::string, fs::path> logs;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".log") logs[entry.path().stem().string()] = entry.path();
    }
    return logs;
}

}  // namespace

TEST_CASE("recorded boots: predicted memory lines equal the kernel's") {
    std::map<std::string, Outcome> by_kernel;
    std::map<std::string, int> not_compared;  // line kinds a prediction declared it leaves out
    for (const fs::path& dir : kernel_cases()) {
        CaseInput in = case_input(dir);
        const LoadedTree& loaded = in.loaded;
        const MemoryMap& map = in.map;
        const BootInputs& inputs = in.inputs;
        for (const auto& [kernel, log] : recorded_logs(dir)) {
            KernelProfile profile = find_profile(kProfiles.at(kernel), std::nullopt);
            std::vector<std::string> expected, got;
            try {
                Prediction prediction = predict_boot(loaded.tree, map, profile, inputs);
                got = predicted_lines(prediction.log);
                std::vector<std::string> recorded = read_lines(log);
                expected = predicted_lines(recorded, prediction.unpredicted_lines);
                // A boot that died of something outside the model (QEMU lacks the SoC the
                // machine code drives) is compared up to where it died.
                bool died = std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                    return line.find("Internal error: Oops - BUG") != std::string::npos;
                });
                if (died && got.size() > expected.size()) {
                    got.resize(expected.size());
                    not_compared[kernel + ": lines after a machine-code BUG (" + dir.filename().string() + ")"]++;
                }
                for (const std::string& prefix : prediction.unpredicted_lines) {
                    not_compared[kernel + ": \"" + prefix + "\" lines"]++;
                }
            } catch (const std::exception& e) {
                got = {std::string("error: ") + e.what()};
            }
            Outcome& outcome = by_kernel[kernel];
            if (got == expected) {
                ++outcome.agreed;
                continue;
            }
            std::string report = dir.filename().string();
            for (std::size_t i = 0; i < std::max(got.size(), expected.size()); ++i) {
                std::string e = i < expected.size() ? expected[i] : "(nothing)";
                std::string g = i < got.size() ? got[i] : "(nothing)";
                if (e != g) {
                    report += "\n    kernel: " + e + "\n    dtmem:  " + g;
                    break;
                }
            }
            outcome.disagreed.push_back(report);
        }
    }
    for (const auto& [kernel, outcome] : by_kernel) {
        std::string text = kernel + ": " + std::to_string(outcome.agreed) + " agree, " +
                           std::to_string(outcome.disagreed.size()) + " disagree";
        for (const std::string& d : outcome.disagreed) text += "\n  " + d;
        MESSAGE(text);
        CHECK_MESSAGE(outcome.disagreed.empty(), text);
    }
    for (const auto& [what, cases] : not_compared) MESSAGE("not compared in " << cases << " boots: " << what);
}

TEST_CASE("recorded boots: the boot rules fire exactly where the real kernel failed") {
    // What the real kernel printed, by rule: the oracle is the recorded log, not the prediction.
    const std::map<std::string, std::vector<std::string>> kFailureLines = {
        {"boot-panic", {"Kernel panic - not syncing: Failed"}},
        {"dynamic-alloc-fails", {"failed to allocate memory for node '"}},
        {"reservation-fails", {"failed to reserve memory for node '", "compatible matching fail"}},
        {"cma-reserve-fails", {"cma: Failed to reserve"}},
        {"cma-activation-fails", {"could not be activated"}},
        {"swiotlb-alloc-fails", {"swiotlb_memblock_alloc: Failed to allocate"}},
        {"cmdline-adjusted", {"limiting to", "Memory limited to", "using cmdline CMA params instead"}},
        {"memory-ignored", {"Ignoring memory", "Ignoring RAM", "Truncating memory", "HIGHMEM enabled kernel"}},
    };
    std::map<std::string, std::pair<int, int>> fired_quiet;  // per rule: boots where it fired, stayed quiet
    for (const fs::path& dir : kernel_cases()) {
        CaseInput in = case_input(dir);
        for (const auto& [kernel, log] : recorded_logs(dir)) {
            CAPTURE(dir.filename().string());
            CAPTURE(kernel);
            std::vector<std::string> recorded = read_lines(log);
            Analysis analysis{dir.filename().string(), {Tree::from_blob(in.loaded.tree.blob()), InputFormat::Dtb}, {},
                              std::nullopt, {}};
            analysis.map = build_memory_map(analysis.tree());
            analysis.prediction = predict_boot(analysis.tree(), analysis.map, find_profile(kProfiles.at(kernel), std::nullopt),
                                               in.inputs);
            std::vector<Finding> findings = lint(analysis);
            bool died_elsewhere = std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                return line.find("Internal error: Oops - BUG") != std::string::npos;
            });
            for (const auto& [rule, texts] : kFailureLines) {
                bool printed = std::any_of(recorded.begin(), recorded.end(), [&](const std::string& line) {
                    return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) {
                        return line.find(t) != std::string::npos;
                    });
                });
                // swiotlb= given on the command line and rounded ("roundup to"); the kernel
                // also rounds its own default size, which is no adjustment of an argument.
                bool swiotlb_given = std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                    return line.find("Kernel command line:") != std::string::npos && line.find("swiotlb=") != std::string::npos;
                });
                if (rule == "cmdline-adjusted" && swiotlb_given) {
                    printed |= std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                        return line.find("SWIOTLB bounce buffer size roundup") != std::string::npos;
                    });
                }
                bool fired = std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.rule == rule; });
                if (died_elsewhere && fired && !printed) continue;  // compared only up to the BUG
                CAPTURE(rule);
                CHECK(fired == printed);
                (fired ? fired_quiet[rule].first : fired_quiet[rule].second)++;
            }
        }
    }
    if (std::getenv("DTMEM_KERNEL_CASE")) return;
    for (const auto& [rule, counts] : fired_quiet) {
        MESSAGE(rule << ": fires on " << counts.first << " recorded boots, quiet on " << counts.second);
        CHECK_MESSAGE(counts.first > 0, rule << " fires on no recorded boot");
    }
}
