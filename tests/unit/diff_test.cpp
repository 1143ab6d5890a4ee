// SPDX-License-Identifier: MIT
// dtmem diff on a real two-file change (tests/diff): OP-TEE's carve-out moved in the SoC
// .dtsi onto the VPU's in the board file, and the board's CMA pool doubled.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "dtmem/diff.hpp"
#include "helpers.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

Analysis analyze_path(const fs::path& path) {
    Request request;
    request.input = path.string();
    return analyze(request);
}

const FactChange* change_of(const MemoryDiff& diff, FactKind kind, std::string_view subject_start) {
    auto found = std::find_if(diff.changes.begin(), diff.changes.end(), [&](const FactChange& c) {
        return c.fact == kind && c.subject.starts_with(subject_start);
    });
    return found == diff.changes.end() ? nullptr : &*found;
}

}  // namespace

TEST_CASE("diff: a carve-out moved in one .dtsi and a pool grown in the board file") {
    fs::path fixtures = fs::path(DTMEM_SOURCE_DIR) / "tests/diff";
    Analysis before = analyze_path(fixtures / "before/board.dts");
    Analysis after = analyze_path(fixtures / "after/board.dts");
    MemoryDiff diff = diff_analyses(before, lint(before), after, lint(after));

    // The node renamed with its unit address is the same node, moved (the DTS says where).
    const FactChange* optee = change_of(diff, FactKind::Reservation, "/reserved-memory/optee@7e000000");
    REQUIRE(optee);
    CHECK(optee->kind == ChangeKind::Moved);
    CHECK(optee->subject == "/reserved-memory/optee@7e000000 (was /reserved-memory/optee@be000000)");
    CHECK(optee->before.starts_with("0xbe000000-0xbfffffff (32 MiB)"));
    CHECK(optee->after.starts_with("0x7e000000-0x7fffffff (32 MiB)"));

    // The dynamic CMA pool is placed top-down below the end of RAM (0xc0000000) by
    // __reserved_mem_alloc_size(): under OP-TEE's old carve-out before, at the very top after.
    const FactChange* cma = change_of(diff, FactKind::Cma, "linux,cma");
    REQUIRE(cma);
    CHECK(cma->kind == ChangeKind::Grew);
    CHECK(cma->before == "0xba000000-0xbdffffff (64 MiB)");
    CHECK(cma->after == "0xb8000000-0xbfffffff (128 MiB)");

    // What the change brings: OP-TEE now overlaps the VPU's carve-out; nothing is fixed.
    REQUIRE(diff.introduced.size() == 1);
    CHECK(diff.introduced[0].rule == "reserved-overlap");
    CHECK(after.tree().path(diff.introduced[0].node) == "/reserved-memory/vpu@7f000000");
    CHECK(diff.fixed.empty());

    // The other way round the same finding is fixed.
    MemoryDiff back = diff_analyses(after, lint(after), before, lint(before));
    CHECK(back.introduced.empty());
    REQUIRE(back.fixed.size() == 1);
    CHECK(back.fixed[0].rule == "reserved-overlap");
}

TEST_CASE("diff: a finding that only moves is neither new nor fixed; no change, no difference") {
    const char* kTree = R"(/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>; };
	reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
		a@50000000 { reg = <0 0x50000000 0 0x200000>; no-map; };
		b { reg = <0 B 0 0x200000>; no-map; }; };
};
)";
    auto with_b_at = [&](const char* base) {
        std::string text = kTree;
        text.replace(text.find(" B "), 3, std::string(" ") + base + " ");
        return text;
    };
    test::TempFile old_file(with_b_at("0x50100000")), new_file(with_b_at("0x50180000"));
    Analysis before = analyze_path(old_file.path()), after = analyze_path(new_file.path());
    std::vector<Finding> old_findings = lint(before), new_findings = lint(after);
    REQUIRE(std::count_if(new_findings.begin(), new_findings.end(), [](const Finding& f) { return f.rule == "reserved-overlap"; }) == 1);
    MemoryDiff diff = diff_analyses(before, old_findings, after, new_findings);
    CHECK(diff.introduced.empty());
    CHECK(diff.fixed.empty());
    const FactChange* b = change_of(diff, FactKind::Reservation, "/reserved-memory/b");
    REQUIRE(b);
    CHECK(b->kind == ChangeKind::Moved);

    MemoryDiff same = diff_analyses(after, new_findings, after, new_findings);
    CHECK(same.changes.empty());
    CHECK(same.introduced.empty());
    CHECK(same.fixed.empty());
}
