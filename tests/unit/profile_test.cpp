// SPDX-License-Identifier: MIT
// The shipped profiles compiled into the binary are the rules/profiles/*.yaml files, and a
// user's own profile file goes through the same reader.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "dtmem/error.hpp"
#include "dtmem/profile.hpp"
#include "kernel/build_numbers.hpp"
#include "kernel/profile_yaml.hpp"

using namespace dtmem;
namespace fs = std::filesystem;

TEST_CASE("shipped profiles: the binary holds exactly rules/profiles/*.yaml") {
    fs::path dir = fs::path(DTMEM_SOURCE_DIR) / "rules" / "profiles";
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".yaml") files.push_back(entry.path().stem().string());
    }
    std::sort(files.begin(), files.end());
    CHECK(shipped_profile_ids() == files);
    for (const std::string& id : files) {
        CAPTURE(id);
        KernelProfile from_file = profile_from_file((dir / (id + ".yaml")).string());
        KernelProfile shipped = shipped_profile(id);
        CHECK(shipped.id == from_file.id);
        CHECK(shipped.arch == from_file.arch);
        CHECK(shipped.version == from_file.version);
        CHECK(shipped.description == from_file.description);
        CHECK(shipped.config == from_file.config);
        CHECK(shipped.build == from_file.build);
        CHECK(shipped.build_lists == from_file.build_lists);
        CHECK(shipped.pageblock_bytes == from_file.pageblock_bytes);
    }
}

TEST_CASE("profile files: versions, and errors that name the file") {
    CHECK(detail::parse_version("6.1.0-27-arm64", "x") == KernelVersion{6, 1, 0});
    CHECK(detail::parse_version("Linux/arm64 6.12.57 Kernel", "x") == KernelVersion{6, 12, 57});
    CHECK(detail::parse_version("build 7 of 6.6", "x") == KernelVersion{6, 6, 0});
    CHECK_THROWS_AS(detail::parse_version("no version", "x"), Error);

    fs::path file = fs::temp_directory_path() / "dtmem-profile-test.yaml";
    std::ofstream(file) << "id: mine\narch: arm64\nversion: \"6.1\"\nconfig: [unclosed\n";
    try {
        profile_from_file(file.string());
        FAIL("a malformed profile was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
    }
    CHECK_THROWS_AS(profile_from_file((fs::temp_directory_path() / "dtmem-no-such-profile.yaml").string()), Error);
    fs::remove(file);
}

namespace {

// A .config as the kernel writes it, from a profile's options, headed by ARCH and VERSION.
fs::path write_config(const KernelProfile& from, const std::string& version, const std::string& name) {
    fs::path file = fs::temp_directory_path() / name;
    std::ofstream out(file);
    out << "# Linux/" << arch_name(from.arch) << ' ' << version << " Kernel Configuration\n";
    for (const auto& [option, value] : from.config) {
        bool text = option == "CONFIG_CMDLINE";
        out << option << '=' << (text ? "\"" : "") << value << (text ? "\"" : "") << '\n';
    }
    return file;
}

}  // namespace

TEST_CASE("per-build numbers: measured for the same build, estimated from the nearest measured one otherwise") {
    KernelProfile debian = shipped_profile("arm64-6.12");
    // Debian's own .config of the profiled package: the profile's numbers are this build's.
    std::string package = fmt::format("{}.{}.{}", debian.version.major, debian.version.minor, debian.version.patch);
    KernelProfile same = profile_from_config(write_config(debian, package, "dtmem-same.config").string());
    CHECK(same.estimated.empty());
    debian.build.erase("default");  // which shipped profile an arch defaults to, not a number
    CHECK(same.build == debian.build);

    // Another release: every number that is not a constant of the source is an estimate.
    KernelProfile other = profile_from_config(write_config(debian, "6.10.3", "dtmem-other.config").string());
    CHECK(other.estimated_from == "arm64-6.12");  // 6.12 is nearer to 6.10 than 6.1
    CHECK(other.estimated.count("image_size"));
    CHECK(other.estimated.count("pcpu_small_allocations"));
    CHECK_FALSE(other.estimated.count("swiotlb_slab_bytes"));  // IO_TLB_SHIFT, the same in every build
    KernelProfile older = profile_from_config(write_config(debian, "5.10.200", "dtmem-older.config").string());
    CHECK(older.estimated_from == "arm64-6.1");

    // The derived (unverified) profiles no longer stop the prediction: their missing numbers
    // are their parent's, all of them marked.
    KernelProfile derived = shipped_profile("arm64-6.6");
    CHECK(derived.build.count("image_size"));
    CHECK(derived.estimated.count("sizeof_device_node"));  // given, but not measured on 6.6
}

// profile_from_config(): a .config takes the per-build numbers of the shipped build it is a
// twin of, variant included: the 16 KiB-page arm64 build has its own (NODE_DATA is larger
// with MAX_PAGE_ORDER 11, tests/kernel-cases/arm64-memblock-debug-1g arm64-16k-6.12.log).
TEST_CASE("kernel .config: the 16K-page build finds the 16k profile's build numbers") {
    fs::path file = fs::temp_directory_path() / "dtmem-profile-test-16k.config";
    for (bool sixteen : {false, true}) {
        CAPTURE(sixteen);
        std::ofstream(file) << "# Linux/arm64 6.12.57 Kernel Configuration\nCONFIG_CMA=y\nCONFIG_DMA_CMA=y\n"
                            << "CONFIG_HUGETLB_PAGE=y\nCONFIG_ARCH_FORCE_MAX_ORDER=" << (sixteen ? "11" : "10") << "\n"
                            << (sixteen ? "CONFIG_ARM64_16K_PAGES=y\n" : "CONFIG_ARM64_4K_PAGES=y\n");
        KernelProfile profile = profile_from_config(file.string());
        CHECK(profile.build.at("sizeof_pg_data_t") == (sixteen ? 0x3880 : 0x3740));
        CHECK(profile.page_size == (sixteen ? 16384u : 4096u));
        // include/linux/pageblock-flags.h: pageblock_order = min(HUGETLB_PAGE_ORDER, MAX_PAGE_ORDER),
        // PMD_SHIFT - PAGE_SHIFT being 9 (4K) and 11 (16K).
        CHECK(profile.pageblock_bytes == (sixteen ? 32u << 20 : 2u << 20));
    }
    fs::remove(file);
}

// `dtmem profile` writes what profile_from_file() reads back as the same profile: the
// options, every build number, which are estimated and from what, and where each came from.
TEST_CASE("profile_to_yaml: read back, a .config's profile is the same, estimates still marked") {
    KernelProfile written = profile_from_config(DTMEM_SOURCE_DIR "/tests/kernel-configs/arm64-5.10.config");
    REQUIRE_FALSE(written.estimated.empty());
    written.vmlinux = "build/vmlinux";  // as if read from one: a prediction then assumes no image size
    written.build_sources["sizeof_property"] = "vmlinux: DWARF, sizeof(struct property) in drivers/of/fdt.c";
    written.estimated.erase("sizeof_property");
    fs::path file = fs::temp_directory_path() / "dtmem-profile-test-written.yaml";
    std::ofstream(file) << profile_to_yaml(written);
    KernelProfile read = profile_from_file(file.string());
    fs::remove(file);
    CHECK(read.id == written.id);
    CHECK(read.arch == written.arch);
    CHECK(read.version == written.version);
    CHECK(read.config == written.config);
    written.build.erase("default");
    read.build.erase("default");
    CHECK(read.build == written.build);
    CHECK(read.build_lists == written.build_lists);
    CHECK(read.estimated == written.estimated);
    CHECK(read.estimated_from == "arm64-6.1");
    CHECK(read.vmlinux == "build/vmlinux");
    CHECK(read.build_sources == written.build_sources);
    CHECK(read.page_size == written.page_size);
    CHECK(read.cma_size_bytes == written.cma_size_bytes);
    // The sources say which numbers are the kernel's own constants and which are guesses.
    CHECK(read.build_sources.at("image_size") == "estimated: the value measured on arm64-6.1");
    CHECK(read.build_sources.at("swiotlb_slab_bytes") == "kernel source constant, as measured on arm64-6.1");
    CHECK(read.build_sources.at("section_size_bytes").starts_with("kernel source: SECTION_SIZE_BITS 30"));
}

// The per-CPU allocator's small allocations, from a vmlinux's per-CPU section and struct
// sizes, against two recorded memblock=debug boots of kernels built from linux-source:
// tests/kernel-cases/arm64-memblock-debug-1g/arm64-tiny-6.12.log (64-bit, no modules: a
// 35616-byte section, pcpu_chunk 128 and pcpu_block_md 32 bytes) and
// tests/kernel-cases/arm-memblock-debug-3g/armmp-alloc-6.1.log (32-bit, 8848 bytes, 88 and 32).
TEST_CASE("the per-CPU first chunk and its maps, as pcpu_setup_first_chunk() allocates them") {
    KernelProfile arm64 = profile_from_file(DTMEM_SOURCE_DIR "/tests/kernel-configs/arm64-tiny-6.12.yaml");
    auto chunk = detail::first_chunk(arm64, 35616);
    REQUIRE(chunk);
    CHECK(chunk->unit == 65536);  // memblock_alloc_try_nid: 65536 bytes align=0x1000 (the unit)
    CHECK(detail::pcpu_small_allocations(arm64, *chunk, 128, 32) == std::vector<std::int64_t>{288, 136, 1024, 1032, 256});
    KernelProfile arm = profile_from_file(DTMEM_SOURCE_DIR "/tests/kernel-configs/armmp-alloc-6.1.yaml");
    chunk = detail::first_chunk(arm, 8848);
    REQUIRE(chunk);
    CHECK(chunk->unit == 32768);  // PCPU_MIN_UNIT_SIZE
    CHECK(detail::pcpu_small_allocations(arm, *chunk, 88, 32) == std::vector<std::int64_t>{136, 92, 768, 772, 192});
}

// The sparse numbers a vmlinux's struct sizes give, against the recorded memblock=debug boots
// (tests/kernel-cases/arm64-memblock-debug-1g): the tiny build (mem_section 16 bytes,
// mem_section_usage 24, no HUGETLB_PAGE: 4 MiB pageblocks) allocates 65536 bytes of section
// roots and 320 bytes of usemaps for 8 sections; Debian's 6.12 (2 MiB pageblocks) 56 per section.
TEST_CASE("section roots and usemaps from struct mem_section and struct mem_section_usage") {
    KernelProfile tiny = profile_from_file(DTMEM_SOURCE_DIR "/tests/kernel-configs/arm64-tiny-6.12.yaml");
    REQUIRE(tiny.pageblock_bytes == 4u << 20);
    CHECK(detail::section_roots_bytes(0x20000, 16) == 65536);
    CHECK(detail::usemap_bytes(tiny, 128u << 20, 24) * 8 == 320);
    KernelProfile debian = shipped_profile("arm64-6.12");
    CHECK(detail::usemap_bytes(debian, 128u << 20, 24) == debian.build.at("usemap_bytes_per_section"));
}
