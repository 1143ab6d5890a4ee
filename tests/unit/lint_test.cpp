// SPDX-License-Identifier: MIT
// Every lint rule fires on its case and stays quiet on the case next to it (tests/lint),
// from DTS and from the DTB dtc makes of it; the registry and the catalogue agree.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dtmem/config.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/rules.hpp"
#include "helpers.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

namespace {

const fs::path kCases = fs::path(DTMEM_SOURCE_DIR) / "tests/lint";

std::set<std::string> case_names() {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(kCases)) {
        if (entry.is_directory()) names.insert(entry.path().filename().string());
    }
    return names;
}

Request request_for(const fs::path& dts) {
    Request request;
    request.input = dts.string();
    fs::path memory = fs::path(dts).replace_extension(".memory");
    if (fs::exists(memory)) {
        std::ifstream in(memory);
        std::string bank;
        in >> bank;
        request.map.memory.push_back(*parse_memory_bank(bank));
    }
    return request;
}

int count(const std::vector<Finding>& findings, const std::string& rule) {
    return static_cast<int>(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.rule == rule; }));
}
int count(const Analysis& analysis, const std::string& rule) { return count(lint(analysis), rule); }

}  // namespace

TEST_CASE("the registry, the catalogue and the cases name the same rules") {
    std::set<std::string> registered;
    for (const std::string& id : registered_rules()) CHECK_MESSAGE(registered.insert(id).second, id << " twice");
    std::set<std::string> catalogue;
    for (const RuleInfo& rule : rule_catalogue()) catalogue.insert(rule.id);
    CHECK(registered == catalogue);
    CHECK(case_names() == catalogue);
}

TEST_CASE("each rule fires on its case and stays quiet on the other, from DTS and from DTB") {
    for (const std::string& rule : case_names()) {
        for (const char* which : {"fires", "quiet"}) {
            CAPTURE(rule);
            CAPTURE(which);
            Request from_dts = request_for(kCases / rule / (std::string(which) + ".dts"));
            Analysis dts = analyze(from_dts);
            // The same tree as a blob: what a board ships.
            test::TempFile blob(std::string(dts.tree().blob().begin(), dts.tree().blob().end()), "board.dtb");
            Request from_dtb = from_dts;
            from_dtb.input = blob.path();
            Analysis dtb = analyze(from_dtb);
            bool fires = std::string(which) == "fires";
            CHECK((count(dts, rule) > 0) == fires);
            CHECK((count(dtb, rule) > 0) == fires);
        }
    }
}

TEST_CASE("lint options: a disabled rule is silent, a severity is overridden, a suppression needs the node") {
    Analysis analysis = analyze(request_for(kCases / "reserved-overlap/fires.dts"));
    std::vector<Finding> plain = lint(analysis);
    REQUIRE(count(plain, "reserved-overlap") == 1);
    const Finding& finding = *std::find_if(plain.begin(), plain.end(), [](const Finding& f) { return f.rule == "reserved-overlap"; });
    CHECK(finding.severity == Severity::Warning);
    CHECK(analysis.tree().path(finding.node) == "/reserved-memory/b@50100000");
    REQUIRE(finding.related.size() == 1);
    CHECK(analysis.tree().path(finding.related[0].node) == "/reserved-memory/a@50000000");

    LintOptions off;
    off.enabled["reserved-overlap"] = false;
    CHECK(count(lint(analysis, off), "reserved-overlap") == 0);

    LintOptions raised;
    raised.severity["reserved-overlap"] = Severity::Error;
    for (const Finding& f : lint(analysis, raised)) {
        if (f.rule == "reserved-overlap") CHECK(f.severity == Severity::Error);
    }

    LintOptions elsewhere;
    elsewhere.suppressions.push_back({"reserved-overlap", "/reserved-memory/a@50000000", "not this one"});
    CHECK(count(lint(analysis, elsewhere), "reserved-overlap") == 1);
    LintOptions accepted;
    accepted.suppressions.push_back({"reserved-overlap", "/reserved-memory/b@50100000", "firmware shares it by design"});
    CHECK(count(lint(analysis, accepted), "reserved-overlap") == 0);
}

TEST_CASE("lint options: a rule option replaces the catalogue's default") {
    Analysis analysis = analyze(request_for(kCases / "lowmem-pressure/fires.dts"));  // 19% of lowmem free
    CHECK(count(analysis, "lowmem-pressure") == 1);
    LintOptions lower;
    lower.rule_options["lowmem-pressure"]["min-free-percent"] = 15;
    CHECK(count(lint(analysis, lower), "lowmem-pressure") == 0);
    LintOptions higher;
    higher.rule_options["lowmem-pressure"]["min-free-percent"] = 20;
    CHECK(count(lint(analysis, higher), "lowmem-pressure") == 1);
}

TEST_CASE("example boards: the findings written by hand in boards/*/expect/lint.txt, from DTS and DTB") {
    int boards = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(DTMEM_SOURCE_DIR) / "boards")) {
        fs::path expected_file = entry.path() / "expect" / "lint.txt";
        if (!fs::exists(expected_file)) continue;
        ++boards;
        std::set<std::pair<std::string, std::string>> expected;
        std::ifstream in(expected_file);
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream words(line);
            std::string rule, node;
            words >> rule >> node;
            expected.insert({rule, node == "-" ? "" : node});
        }
        Request request;
        request.input = (entry.path() / "board.dts").string();
        // A board's own .dtmem.yaml gives the kernel it is linted with (e.g. a .config) and
        // where the boot loader puts it.
        if (fs::path settings = entry.path() / ".dtmem.yaml"; fs::exists(settings)) {
            Config config = load_config(settings.string());
            request.profile.kernel = config.kernel.value_or("");
            request.profile.arch = config.arch.value_or("");
            request.profile.config_file = config.kernel_config.value_or("");
            if (config.load) REQUIRE(parse_load(*config.load, request.boot));
        }
        Analysis dts = analyze(request);
        test::TempFile blob(std::string(dts.tree().blob().begin(), dts.tree().blob().end()), "board.dtb");
        request.input = blob.path();
        Analysis dtb = analyze(request);
        for (const Analysis* analysis : {&dts, &dtb}) {
            std::set<std::pair<std::string, std::string>> found;
            for (const Finding& f : lint(*analysis)) {
                found.insert({f.rule, f.node == kNoNode ? "" : analysis->tree().path(f.node)});
            }
            CAPTURE(entry.path().filename().string());
            CHECK(found == expected);
        }
    }
    CHECK(boards >= 2);
}
