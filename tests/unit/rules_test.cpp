// SPDX-License-Identifier: MIT
// The rule catalogue (rules/lint.yaml) against the code that uses it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "dtmem/error.hpp"
#include "dtmem/rules.hpp"
#include "rules_yaml.hpp"

using namespace dtmem;

TEST_CASE("every diagnostic id the code emits is in the catalogue") {
    // diagnose("id", ...) and the map's report("id", ...): the catalogue gives their severity.
    std::regex call(R"re((?:diagnose|report)\("([a-z0-9-]+)")re");
    int seen = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(DTMEM_SOURCE_DIR) + "/src")) {
        if (entry.path().extension() != ".cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        std::string source = text.str();
        for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
            CAPTURE(entry.path().string());
            CHECK_MESSAGE(find_rule((*it)[1].str()), (*it)[1].str());
            ++seen;
        }
    }
    CHECK(seen > 20);
}

TEST_CASE("the catalogue: sorted, unique, complete entries; diagnose() takes its severity") {
    auto rules = rule_catalogue();
    REQUIRE(!rules.empty());
    for (std::size_t i = 0; i < rules.size(); ++i) {
        CAPTURE(rules[i].id);
        if (i > 0) CHECK(rules[i - 1].id < rules[i].id);
        CHECK(!rules[i].summary.empty());
        CHECK(!rules[i].rationale.empty());
        CHECK(!rules[i].fix.empty());
        CHECK(!rules[i].kernel.empty());
    }
    CHECK(diagnose("reserved-cells-mismatch", kNoNode, "m").severity == Severity::Error);
    CHECK(diagnose("reg-size-zero", kNoNode, "m").severity == Severity::Note);
    CHECK_THROWS_AS(diagnose("no-such-rule", kNoNode, "m"), std::logic_error);
    CHECK_THROWS_AS(detail::parse_rule_catalogue("- {id: a, severity: fatal, summary: s, rationale: r, fix: f, kernel: k}", "t"),
                    Error);
    CHECK_THROWS_AS(detail::parse_rule_catalogue("- {id: a, severity: note, summary: s, rationale: r, fix: f}", "t"), Error);
}
