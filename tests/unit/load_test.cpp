// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <libfdt.h>

#include "dtmem/error.hpp"
#include "dtmem/load.hpp"
#include "helpers.hpp"

using namespace dtmem;
using dtmem::test::error_of;
using dtmem::test::load_dts;
using dtmem::test::TempFile;

namespace {

constexpr std::string_view kSmall = R"(/dts-v1/;
/memreserve/ 0x48000000 0x100000;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	model = "test";
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>; };
	soc {
		#address-cells = <1>; #size-cells = <1>; ranges = <0 0 0 0x10000000>;
		label: uart@1000 { reg = <0x1000 0x100>; status = "okay"; };
		off: gpu@2000 { reg = <0x2000 0x100>; status = "disabled";
			child { }; };
	};
};
)";

std::vector<std::uint8_t> blob_of(std::string_view dts) { return load_dts(dts).tree.blob(); }

}  // namespace

TEST_CASE("a DTS is preprocessed, compiled and indexed") {
    LoadedTree loaded = load_dts(kSmall);
    const Tree& tree = loaded.tree;
    CHECK(loaded.format == InputFormat::Dts);
    CHECK(tree.node_count() == 6);
    NodeId uart = tree.find_path("/soc/uart@1000");
    REQUIRE(uart != kNoNode);
    CHECK(tree.path(uart) == "/soc/uart@1000");
    CHECK(tree.find_path("/soc/uart") == uart);  // libfdt rule: no unit address matches
    CHECK(tree.find_path("/soc/nope") == kNoNode);
    CHECK(tree.find_path("/") == tree.root());
    CHECK(tree.is_available(uart));
    NodeId gpu = tree.find_path("/soc/gpu@2000");
    CHECK_FALSE(tree.is_available(gpu));
    CHECK_FALSE(tree.is_available_subtree(tree.find_path("/soc/gpu@2000/child")));
    REQUIRE(tree.memreserve().size() == 1);
    CHECK(tree.memreserve()[0].address == 0x48000000);
    CHECK(tree.find_property(tree.root(), "model")->as_string() == "test");
}

TEST_CASE("the source map locates nodes and properties, across included files") {
    TempFile main(R"(/dts-v1/;
#include "soc.dtsi"
#define RAM_SIZE 0x80000000
/ {
	memory@40000000 {
		reg = <0 0x40000000 0 RAM_SIZE>;
	};
};
)");
    main.sibling("soc.dtsi", R"(/ {
	#address-cells = <2>;
	#size-cells = <2>;
	memory@40000000 {
		device_type = "memory";
	};
};
)");
    LoadedTree loaded = load_tree(main.path(), {});
    const Tree& tree = loaded.tree;
    NodeId memory = tree.find_path("/memory@40000000");
    auto reg = tree.location(memory, "reg");
    REQUIRE(reg);
    CHECK(reg->file == main.path());
    CHECK(reg->line == 6);
    CHECK(reg->column == 3);
    auto type = tree.location(memory, "device_type");
    REQUIRE(type);
    CHECK(type->file.ends_with("soc.dtsi"));
    CHECK(type->line == 5);
    REQUIRE(tree.sources(memory)->node.size() == 2);  // defined in both files
    CHECK(tree.sources(memory)->node[0].file.ends_with("soc.dtsi"));
}

TEST_CASE("a DTB gives the same tree without locations") {
    LoadedTree from_dts = load_dts(kSmall);
    std::vector<std::uint8_t> blob = from_dts.tree.blob();
    TempFile dtb(std::string(blob.begin(), blob.end()), "board.dtb");
    LoadedTree from_dtb = load_tree(dtb.path(), {});
    CHECK(from_dtb.format == InputFormat::Dtb);
    CHECK_FALSE(from_dtb.tree.has_sources());
    CHECK(from_dtb.tree.node_count() == from_dts.tree.node_count());
}

TEST_CASE("bad blobs are refused with a reason, never walked") {
    std::vector<std::uint8_t> good = blob_of(kSmall);
    CHECK(error_of([] { Tree::from_blob({1, 2, 3}); }).find("shorter than the FDT header") != std::string::npos);

    auto bad_magic = good;
    bad_magic[0] = 0;
    CHECK(error_of([&] { Tree::from_blob(bad_magic); }).find("magic") != std::string::npos);

    auto truncated = good;
    truncated.resize(good.size() / 2);
    CHECK(error_of([&] { Tree::from_blob(truncated); }).find("truncated") != std::string::npos);

    // A structure-block offset pointing past the blob.
    auto corrupt = good;
    fdt_set_off_dt_struct(corrupt.data(), static_cast<uint32_t>(good.size() - 8));
    CHECK(error_of([&] { Tree::from_blob(corrupt); }).find("corrupt device tree blob") != std::string::npos);

    // Every single-byte corruption is either accepted or refused: never a crash.
    for (std::size_t at = 0; at < good.size(); ++at) {
        auto flipped = good;
        flipped[at] ^= 0xa5;
        try {
            Tree tree = Tree::from_blob(flipped);
            for (NodeId n = 0; n < tree.node_count(); ++n) (void)tree.path(n);
        } catch (const Error&) {
        }
    }
}

TEST_CASE("input errors name the problem") {
    CHECK(error_of([] { load_tree("/nonexistent/board.dtb", {}); }).find("cannot open") != std::string::npos);
    TempFile dir_probe("x");
    CHECK(error_of([&] { load_tree(std::filesystem::path(dir_probe.path()).parent_path(), {}); })
              .find("cannot read") != std::string::npos);
    std::string syntax = error_of([] { load_dts("/dts-v1/;\n/ { foo = <1>\n};\n"); });
    CHECK(syntax.find("dtc rejected the source") != std::string::npos);
    CHECK(syntax.find("syntax error") != std::string::npos);  // dtc's own message is kept
    std::string missing_include = error_of([] { load_dts("#include \"nope.dtsi\"\n"); });
    CHECK(missing_include.find("the C preprocessor failed") != std::string::npos);
    CHECK(missing_include.find("nope.dtsi") != std::string::npos);
}

TEST_CASE("overlays are applied before analysis") {
    TempFile base(R"(/dts-v1/;
/ {
	#address-cells = <1>; #size-cells = <1>;
	soc: soc { #address-cells = <1>; #size-cells = <1>; ranges; };
};
)");
    std::string overlay = base.sibling("extra.dtso", R"(/dts-v1/;
/plugin/;
&soc {
	dsp@1000 { reg = <0x1000 0x10>; };
};
)");
    LoadOptions options;
    options.overlays = {overlay};
    LoadedTree loaded = load_tree(base.path(), options);
    CHECK(loaded.tree.find_path("/soc/dsp@1000") != kNoNode);

    std::string broken = base.sibling("broken.dtso", "/dts-v1/;\n/plugin/;\n&nolabel { x; };\n");
    options.overlays = {broken};
    CHECK_FALSE(error_of([&] { load_tree(base.path(), options); }).empty());

    std::string not_fdt = base.sibling("junk.dtbo", std::string("\xd0\x0d\xfe\xed garbage", 12));
    options.overlays = {not_fdt};
    CHECK(error_of([&] { load_tree(base.path(), options); }).find("overlay") != std::string::npos);
}

TEST_CASE("errors format like a compiler's") {
    Error plain("corrupt device tree blob: FDT_ERR_BADSTRUCTURE");
    CHECK(format_error("b.dtb", plain) == "b.dtb: error: corrupt device tree blob: FDT_ERR_BADSTRUCTURE");
    Error located("reg is wrong", "/soc/uart", SourceLocation{"soc.dtsi", 12, 3});
    CHECK(format_error("b.dts", located) == "soc.dtsi:12:3: error: /soc/uart: reg is wrong");
}
