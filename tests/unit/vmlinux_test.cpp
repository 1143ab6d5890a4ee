// SPDX-License-Identifier: MIT
// read_vmlinux() and apply_vmlinux() on a small ELF with DWARF (tests/vmlinux/): what they
// read must be what that program's own compiler and loader say.
#include <cstdio>
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "dtmem/error.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/vmlinux.hpp"

using namespace dtmem;

namespace {

// "name value" lines the fixture prints: its symbol addresses and sizeof of its structs.
std::map<std::string, u64> fixture_says() {
    std::map<std::string, u64> said;
    std::FILE* out = popen(DTMEM_TEST_VMLINUX, "r");
    REQUIRE(out);
    char name[64];
    unsigned long long value = 0;
    while (std::fscanf(out, "%63s %lli", name, &value) == 2) said[name] = value;
    pclose(out);
    return said;
}

}  // namespace

TEST_CASE("read_vmlinux reads struct sizes from the named unit and symbols from the ELF") {
    std::map<std::string, u64> expected = fixture_says();
    REQUIRE(expected.size() == 5);
    VmlinuxFacts facts = read_vmlinux(DTMEM_TEST_VMLINUX,
                                      {{"device_node", "drivers/of/fdt.c"}, {"property", "drivers/of/fdt.c"},
                                       {"resource", "kernel/resource.c"}, {"page", "mm/page_alloc.c"}},
                                      {"_text", "_end", "no_such_symbol"});
    CHECK(facts.struct_sizes.at("device_node") == expected.at("device_node"));
    CHECK(facts.struct_sizes.at("property") == expected.at("property"));
    // other.c, first in link order, has a struct resource of another size.
    CHECK(facts.struct_sizes.at("resource") == expected.at("resource"));
    CHECK(facts.struct_sizes.count("page") == 0);  // no such unit
    CHECK(facts.symbols.at("_text") == expected.at("_text"));
    CHECK(facts.symbols.at("_end") == expected.at("_end"));
    CHECK(facts.symbols.count("no_such_symbol") == 0);
}

TEST_CASE("read_vmlinux refuses what is not a vmlinux, naming the file") {
    CHECK_THROWS_WITH_AS(read_vmlinux(DTMEM_SOURCE_DIR "/README.md", {}, {"_end"}),
                         doctest::Contains("README.md: not an ELF file"), Error);
    CHECK_THROWS_WITH_AS(read_vmlinux(DTMEM_SOURCE_DIR "/no-such-vmlinux", {}, {}),
                         doctest::Contains("cannot open it"), Error);
}

TEST_CASE("apply_vmlinux refuses a vmlinux of another architecture") {
    KernelProfile profile = shipped_profile("arm64-6.12");
    CHECK_THROWS_WITH_AS(apply_vmlinux(profile, DTMEM_TEST_VMLINUX), doctest::Contains("not for the profile's arm64"),
                         Error);
}
