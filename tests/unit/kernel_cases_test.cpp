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
#include <functional>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <libfdt.h>
#include <yaml-cpp/yaml.h>

#include "dtmem/analysis.hpp"
#include "dtmem/check.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/load.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"
#include "kernel/build_numbers.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

// Recorder kernel ids → shipped profiles.
const std::map<std::string, std::string> kProfiles = {
    {"arm64-6.1", "arm64-6.1"},   {"arm64-6.12", "arm64-6.12"},        {"armmp-6.1", "arm-6.1"},
    {"armmp-lpae-6.1", "arm-6.1-lpae"}, {"armmp-6.12", "arm-6.12"}, {"armmp-lpae-6.12", "arm-6.12-lpae"},
    {"arm64-16k-6.12", "arm64-6.12-16k"}, {"riscv64-6.12", "riscv64-6.12"}};

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
        std::vector<std::uint8_t> blob = with_qemu_rng_seed(in.loaded.tree.blob());
        in.loaded.added_regions[apply_firmware(blob, firmware)] = "OpenSBI 1.1";
        in.loaded.tree = Tree::from_blob(std::move(blob));
    }
    in.map = build_memory_map(in.loaded.tree);
    in.inputs.kernel_address = parse_size(spec["image_addr"].as<std::string>());
    in.inputs.dtb_address = parse_size(spec["dtb_addr"].as<std::string>());
    return in;
}

// The recorded logs of a case: kernel id -> file; those of kernels with a shipped profile,
// or (`profiled` false) those of kernels dtmem has none of (tests/kernel-configs/ID.*).
std::map<std::string, fs::path> recorded_logs(const fs::path& dir, bool profiled = true) {
    std::map<std::string, fs::path> logs;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string kernel = entry.path().stem().string();
        if (entry.path().extension() == ".log" && kProfiles.count(kernel) == profiled) logs[kernel] = entry.path();
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

namespace {

// What a recorded log shows of the layout, for the rules whose fault the kernel does not
// print as a failure line.
struct RecordedLayout {
    std::vector<std::pair<std::string, Range>> listed;  // /reserved-memory regions the kernel listed, by name
    std::vector<std::pair<std::string, Range>> kept;    // those it did not fail to reserve
    std::map<std::string, std::optional<Range>> zones;  // "DMA", "DMA32", "HighMem" -> span (nothing: empty)
    std::vector<Range> ram;                              // the early memory node ranges
    std::optional<Range> default_cma;                    // "cma: Reserved N MiB at ADDR"
    std::optional<u64> available_kib, total_kib, highmem_kib;  // the "Memory:" line
    bool hung = false;  // stopped in early setup without a panic: no "Kernel command line:", no panic line
};

std::optional<Range> span_from(const std::string& first, const std::string& last) {
    return make_range(std::stoull(first, nullptr, 16), std::stoull(last, nullptr, 16) - std::stoull(first, nullptr, 16) + 1);
}

RecordedLayout recorded_layout(const std::vector<std::string>& log) {
    RecordedLayout layout;
    layout.hung = std::none_of(log.begin(), log.end(), [](const std::string& line) {
        return line.starts_with("Kernel command line:") || line.find("Kernel panic") != std::string::npos;
    });
    std::set<std::string> failed;
    static const std::regex kListed(R"(OF: reserved mem: 0x([0-9a-f]+)\.\.0x([0-9a-f]+) \(\d+ KiB\) \S+ \S+ (\S+))");
    static const std::regex kPool(R"(created (?:DMA|CMA) memory pool at 0x([0-9a-f]+), size (\d+) MiB)");
    static const std::regex kFailed(R"(failed to reserve memory for node '([^']+)')");
    static const std::regex kZone(R"(^  (DMA|DMA32|HighMem) +(?:\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]|empty))");
    static const std::regex kNode(R"(node +\d+: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\])");
    static const std::regex kDefaultCma(R"(^cma: Reserved (\d+) MiB at 0x([0-9a-f]+))");
    static const std::regex kMemory(R"(Memory: (\d+)K/(\d+)K available .* (\d+)K highmem\))");
    std::smatch m;
    for (const std::string& line : log) {
        if (std::regex_search(line, m, kListed)) {
            layout.listed.push_back({m[3], *span_from(m[1], m[2])});
        } else if (std::regex_search(line, m, kPool)) {
            layout.listed.push_back({"", *make_range(std::stoull(m[1], nullptr, 16), std::stoull(m[2]) << 20)});
        } else if (std::regex_search(line, m, kFailed)) {
            failed.insert(m[1]);
        } else if (std::regex_search(line, m, kZone)) {
            layout.zones[m[1]] = m[2].matched ? span_from(m[2], m[3]) : std::nullopt;
        } else if (std::regex_search(line, m, kNode)) {
            layout.ram.push_back(*span_from(m[1], m[2]));
        } else if (std::regex_search(line, m, kDefaultCma)) {
            layout.default_cma = make_range(std::stoull(m[2], nullptr, 16), std::stoull(m[1]) << 20);
        } else if (std::regex_search(line, m, kMemory)) {
            layout.available_kib = std::stoull(m[1]);
            layout.total_kib = std::stoull(m[2]);
            layout.highmem_kib = std::stoull(m[3]);
        }
    }
    std::copy_if(layout.listed.begin(), layout.listed.end(), std::back_inserter(layout.kept),
                 [&](const auto& region) { return failed.count(region.first) == 0; });
    return layout;
}

// The highest CPU address each DMA-limited device's window reaches, from the tree.
std::vector<u64> device_reaches(const MemoryMap& map) {
    std::vector<u64> reaches;
    for (const Device& device : map.devices) {
        if (!device.uses_shared_pools()) continue;
        reaches.push_back(device.dma_window->cpu_reach());
    }
    return reaches;
}

}  // namespace

TEST_CASE("recorded boots: the boot rules fire exactly where the real kernel failed") {
    // What the real kernel printed or laid out, by rule: the oracle is the recorded log, not
    // the prediction.
    const std::map<std::string, std::vector<std::string>> kFailureLines = {
        {"boot-panic", {"Kernel panic - not syncing: Failed"}},
        {"dynamic-alloc-fails", {"failed to allocate memory for node '"}},
        {"reservation-fails", {"failed to reserve memory for node '", "compatible matching fail"}},
        {"cma-reserve-fails", {"cma: Failed to reserve"}},
        {"cma-activation-fails", {"could not be activated"}},
        {"swiotlb-alloc-fails", {"swiotlb_memblock_alloc: Failed to allocate"}},
        {"crashkernel-fails", {"cannot allocate crashkernel", "crashkernel reservation failed"}},
        {"hugetlb-cma-ignored", {"hugetlb_cma: cma area", "hugetlb_cma: invalid node", "hugetlb_cma: the option isn't"}},
        {"cmdline-adjusted", {"limiting to", "Memory limited to", "using cmdline CMA params instead"}},
        {"memory-ignored", {"Ignoring memory", "Ignoring RAM", "Truncating memory", "HIGHMEM enabled kernel"}},
    };
    // The rules whose fault shows in the recorded layout, with the threshold rules' defaults.
    using LayoutOracle = std::function<bool(const RecordedLayout&, const CaseInput&)>;
    const std::map<std::string, LayoutOracle> kLayoutFaults = {
        {"boot-hangs", [](const RecordedLayout& layout, const CaseInput&) { return layout.hung; }},
        {"firmware-overlap",  // a region the kernel listed over the one OpenSBI added
         [](const RecordedLayout& layout, const CaseInput&) {
             for (const auto& [name, span] : layout.listed) {
                 if (!name.starts_with("mmode_resv")) continue;
                 for (const auto& [other, other_span] : layout.listed) {
                     if (other != name && other_span.overlaps(span)) return true;
                 }
             }
             return false;
         }},
        {"dtb-overwritten",  // a region the kernel kept over the DTB QEMU loaded
         [](const RecordedLayout& layout, const CaseInput& in) {
             Range dtb{*in.inputs.dtb_address, in.loaded.tree.blob().size()};
             return std::any_of(layout.kept.begin(), layout.kept.end(),
                                [&](const auto& region) { return region.second.overlaps(dtb); });
         }},
        {"lowmem-pressure",  // free lowmem ("available" less highmem) under 25% of lowmem
         [](const RecordedLayout& layout, const CaseInput&) {
             if (!layout.available_kib || !layout.zones.count("HighMem")) return false;
             const std::optional<Range>& high = layout.zones.at("HighMem");
             u64 lowmem = 0;
             for (const Range& r : layout.ram) {
                 u64 end = high ? std::min(r.start + r.size, high->start) : r.start + r.size;
                 if (end > r.start) lowmem += end - r.start;
             }
             return (*layout.available_kib - *layout.highmem_kib) * 100 < (lowmem >> 10) * 25;
         }},
        {"cma-above-dma-limit",  // the default CMA area ends above a DMA-limited device's reach
         [](const RecordedLayout& layout, const CaseInput& in) {
             std::vector<u64> reaches = device_reaches(in.map);
             return layout.default_cma && std::any_of(reaches.begin(), reaches.end(), [&](u64 reach) {
                        return reach < layout.default_cma->last();
                    });
         }},
        {"zone-dma-small",  // a DMA-limited device reaches under 16 MiB of ZONE_DMA/DMA32
         [](const RecordedLayout& layout, const CaseInput& in) {
             if (!layout.zones.count("DMA") && !layout.zones.count("DMA32")) return false;
             for (u64 reach : device_reaches(in.map)) {
                 if (layout.ram.empty() || reach >= layout.ram.back().last()) continue;
                 u64 usable = 0;
                 for (const char* name : {"DMA", "DMA32"}) {
                     auto zone = layout.zones.find(name);
                     if (zone == layout.zones.end() || !zone->second || zone->second->start > reach) continue;
                     usable += std::min(zone->second->last(), reach) - zone->second->start + 1;
                 }
                 if (usable < (u64{16} << 20)) return true;
             }
             return false;
         }},
    };
    std::map<std::string, std::pair<int, int>> fired_quiet;  // per rule: boots where it fired, stayed quiet
    for (const fs::path& dir : kernel_cases()) {
        CaseInput in = case_input(dir);
        for (const auto& [kernel, log] : recorded_logs(dir)) {
            CAPTURE(dir.filename().string());
            CAPTURE(kernel);
            std::vector<std::string> recorded = read_lines(log);
            Analysis analysis{dir.filename().string(),
                              {Tree::from_blob(in.loaded.tree.blob()), InputFormat::Dtb, in.loaded.added_regions},
                              {}, std::nullopt, {}};
            analysis.map = build_memory_map(analysis.tree());
            analysis.prediction = predict_boot(analysis.tree(), analysis.map, find_profile(kProfiles.at(kernel), std::nullopt),
                                               in.inputs);
            std::vector<Finding> findings = lint(analysis);
            bool died_elsewhere = std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                return line.find("Internal error: Oops - BUG") != std::string::npos;
            });
            RecordedLayout layout = recorded_layout(recorded);
            std::map<std::string, bool> shown;  // rule -> the recorded boot shows its fault
            for (const auto& [rule, oracle] : kLayoutFaults) shown[rule] = oracle(layout, in);
            for (const auto& [rule, texts] : kFailureLines) {
                bool& printed = shown[rule];
                printed = std::any_of(recorded.begin(), recorded.end(), [&](const std::string& line) {
                    return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) {
                        return line.find(t) != std::string::npos;
                    });
                });
                // A slab or area count given with swiotlb= and rounded ("roundup to"); the
                // kernel also rounds its own sizes (swiotlb=force on arm64-swiotlb-force-3g),
                // which is no adjustment of an argument.
                static const std::regex kSwiotlbSize(R"(Kernel command line:.* swiotlb=,?\d)");
                bool swiotlb_given = std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                    return std::regex_search(line, kSwiotlbSize);
                });
                if (rule == "cmdline-adjusted" && swiotlb_given) {
                    printed |= std::any_of(recorded.begin(), recorded.end(), [](const std::string& line) {
                        return line.find("SWIOTLB bounce buffer size roundup") != std::string::npos;
                    });
                }
            }
            for (const auto& [rule, printed] : shown) {
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

TEST_CASE("recorded boots: what the running kernel shows in /proc (snapshots) agrees with the prediction") {
    // KERNEL_ID.snapshot/: tools/dtmem-collect run by the recorder's initramfs on the real
    // kernel. Its fdt is the tree that kernel got (with the initrd in /chosen, OpenSBI's edits
    // on riscv), so the prediction is made from it, with no firmware added again.
    std::map<std::string, int> by_kernel;
    for (const fs::path& dir : kernel_cases()) {
        YAML::Node spec = YAML::LoadFile((dir / "case.yaml").string());
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().extension() != ".snapshot") continue;
            std::string kernel = entry.path().stem().string();
            CAPTURE(entry.path());
            Request request;
            request.input = (entry.path() / "fdt").string();
            request.firmware = "none";
            request.profile.kernel = kProfiles.at(kernel);
            request.boot.kernel_address = parse_size(spec["image_addr"].as<std::string>());
            request.boot.dtb_address = parse_size(spec["dtb_addr"].as<std::string>());
            Snapshot snapshot = read_snapshot(entry.path().string());
            request.boot.bootargs = snapshot.cmdline;
            Analysis analysis = analyze(request);
            REQUIRE(analysis.prediction);
            REQUIRE(analysis.map.chosen.initrd);  // the snapshot boot's own reservation
            SnapshotComparison comparison = compare_snapshot(analysis, snapshot);
            CHECK(comparison.observations.size() >= 4);  // a zone's start, span and pages; System RAM
            for (const Observation& o : comparison.observations) {
                CAPTURE(o.what);
                CAPTURE(o.observed);
                CHECK(o.agrees);
            }
            REQUIRE(snapshot.dmesg);
            LogComparison log = compare_boot_log(analysis, read_boot_log(*snapshot.dmesg), request.boot);
            for (const LineDisagreement& d : log.disagreements) {
                CHECK_MESSAGE(false, "kernel: " << d.kernel << "\n  dtmem:  " << d.predicted);
            }
            CHECK(log.agreed > 5);
            ++by_kernel[kernel];
        }
    }
    for (const auto& [kernel, count] : by_kernel) MESSAGE(kernel << ": " << count << " snapshots agree");
}

TEST_CASE("snapshots of real kernels are recorded for at least 10 cases on all three arches") {
    std::set<std::string> cases, arches;
    for (const auto& dir : fs::directory_iterator(fs::path(DTMEM_SOURCE_DIR) / "tests" / "kernel-cases")) {
        for (const auto& entry : fs::directory_iterator(dir.path())) {
            if (entry.path().extension() != ".snapshot") continue;
            CHECK(fs::exists(entry.path() / "zoneinfo"));
            cases.insert(dir.path().filename().string());
            arches.insert(YAML::LoadFile((dir.path() / "case.yaml").string())["arch"].as<std::string>());
        }
    }
    CHECK(cases.size() >= 10);
    CHECK(arches == std::set<std::string>{"arm", "arm64", "riscv64"});
}

namespace {

// The hexadecimal numbers of a line, and the line with each replaced by "#".
std::pair<std::vector<u64>, std::string> hex_numbers(const std::string& line) {
    static const std::regex kHex("0x([0-9a-f]+)");
    std::vector<u64> numbers;
    for (std::sregex_iterator it(line.begin(), line.end(), kHex), end; it != end; ++it) {
        numbers.push_back(std::stoull((*it)[1].str(), nullptr, 16));
    }
    return {numbers, std::regex_replace(line, kHex, "#")};
}

}  // namespace

// A version dtmem has no profile of, predicted from its .config alone: every line the kernel
// printed must be predicted, exactly where it does not rest on per-build numbers, and where
// it does, each address must lie between those the prediction gives with the estimated
// numbers at both ends of their range (detail::estimate_bound()).
// The kernels dtmem ships no profile of: Debian's of other versions, predicted from their
// .config alone (tests/kernel-configs/ID.config), and kernels built from linux-source with
// tools/kernel-oracle/build-kernel.sh, predicted from the profile `dtmem profile` wrote from
// their .config and vmlinux (tests/kernel-configs/ID.yaml).
TEST_CASE("recorded boots of kernels without a shipped profile: exact, or within the estimates' range") {
    std::map<std::string, std::pair<int, int>> agreed;  // kernel -> exact, within the range
    std::vector<std::string> disagreed;
    for (const fs::path& dir : kernel_cases()) {
        std::map<std::string, fs::path> logs = recorded_logs(dir, false);
        if (logs.empty()) continue;
        CaseInput in = case_input(dir);
        for (const auto& [kernel, log] : logs) {
            CAPTURE(kernel);
            fs::path configs = fs::path(DTMEM_SOURCE_DIR) / "tests" / "kernel-configs";
            fs::path written = configs / (kernel + ".yaml"), config = configs / (kernel + ".config");
            REQUIRE_MESSAGE((fs::exists(written) || fs::exists(config)), "no shipped profile, no " << written << ", no " << config);
            KernelProfile profile =
                fs::exists(written) ? profile_from_file(written.string()) : profile_from_config(config.string());
            std::vector<std::vector<std::string>> runs;  // the prediction, then at both ends
            Prediction prediction = predict_boot(in.loaded.tree, in.map, profile, in.inputs);
            runs.push_back(predicted_lines(prediction.log));
            for (bool high : {false, true}) {
                runs.push_back(predicted_lines(
                    predict_boot(in.loaded.tree, in.map, detail::estimate_bound(profile, high), in.inputs).log));
            }
            std::vector<std::string> expected = predicted_lines(read_lines(log), prediction.unpredicted_lines);
            std::string problem;
            bool estimated = false;
            for (std::size_t i = 0; i < std::max(expected.size(), runs[0].size()) && problem.empty(); ++i) {
                std::string e = i < expected.size() ? expected[i] : "(nothing)";
                std::string g = i < runs[0].size() ? runs[0][i] : "(nothing)";
                if (e == g) continue;
                auto [truth, shape] = hex_numbers(e);
                bool fits = runs[1].size() == runs[0].size() && runs[2].size() == runs[0].size() &&
                            hex_numbers(g).second == shape;
                for (std::size_t n = 0; fits && n < truth.size(); ++n) {
                    u64 low = hex_numbers(g).first[n], high = low;
                    for (const auto& run : runs) {
                        auto numbers = hex_numbers(run[i]).first;
                        if (numbers.size() != truth.size()) { fits = false; break; }
                        low = std::min(low, numbers[n]);
                        high = std::max(high, numbers[n]);
                    }
                    fits = fits && truth[n] >= low && truth[n] <= high;
                }
                if (fits && !profile.estimated.empty()) {
                    estimated = true;
                } else {
                    problem = "\n    kernel: " + e + "\n    dtmem:  " + g;
                }
            }
            if (!problem.empty()) {
                disagreed.push_back(kernel + " " + dir.filename().string() + problem);
            } else {
                ++(estimated ? agreed[kernel].second : agreed[kernel].first);
            }
        }
    }
    std::string text;
    for (const auto& [kernel, counts] : agreed) {
        text += fmt::format("{}: {} exact, {} within the estimates' range\n", kernel, counts.first, counts.second);
    }
    text += fmt::format("{} disagree", disagreed.size());
    for (const std::string& d : disagreed) text += "\n  " + d;
    MESSAGE(text);
    if (!std::getenv("DTMEM_KERNEL_CASE")) CHECK(!agreed.empty());  // one case may have none
    CHECK_MESSAGE(disagreed.empty(), text);
}
