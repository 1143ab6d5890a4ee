// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "dtmem/address.hpp"
#include "dtmem/error.hpp"
#include "helpers.hpp"

using namespace dtmem;
using dtmem::test::error_of;
using dtmem::test::has_diagnostic;
using dtmem::test::load_dts;

namespace {

std::vector<MmioWindow> mmio_of(const Tree& tree, std::string_view path) {
    NodeId node = tree.find_path(path);
    REQUIRE(node != kNoNode);
    return translate_reg(tree, node).windows;
}

}  // namespace

TEST_CASE("cell counts: own, inherited, kernel defaults") {
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	bus { #address-cells = <2>; #size-cells = <2>;
		inner { #size-cells = <0>; leaf { }; };
	};
};
)");
    const Tree& tree = loaded.tree;
    // dtc adds nothing: the root has no #address-cells, so the kernel's 1/1 apply.
    CHECK(root_cells(tree).address == 1);
    CHECK(root_cells(tree).size == 1);
    CHECK(bus_cells(tree, tree.find_path("/bus")).address == 2);
    Cells inner = bus_cells(tree, tree.find_path("/bus/inner"));
    CHECK(inner.address == 2);  // inherited from /bus (of_bus_n_addr_cells)
    CHECK(inner.size == 0);
}

TEST_CASE("reg translates through nested ranges with offsets") {
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	soc@100000000 {
		#address-cells = <1>; #size-cells = <1>;
		ranges = <0x0 0x1 0x00000000 0x10000000>;   /* 0 -> 0x1_0000_0000 */
		sub@8000000 {
			#address-cells = <2>; #size-cells = <1>;
			ranges = <0x0 0x100 0x8000000 0x1000000>; /* 0x100 -> 0x800_0000 (soc) */
			dev@0,100 { reg = <0x0 0x180 0x40>, <0x0 0x200 0x10>; };
			out@0,2000000 { reg = <0x0 0x2000000 0x10>; };
		};
		identity { #address-cells = <1>; #size-cells = <1>; ranges;
			uart@1000 { reg = <0x1000 0x100>; }; };
		opaque { #address-cells = <1>; #size-cells = <1>;
			i2c@2000 { reg = <0x2000 0x100>; }; };
	};
};
)");
    const Tree& tree = loaded.tree;
    auto dev = mmio_of(tree, "/soc@100000000/sub@8000000/dev@0,100");
    REQUIRE(dev.size() == 2);
    CHECK(dev[0].range.start == 0x108000080);  // 0x180-0x100 = 0x80, +0x8000000, +0x1_0000_0000
    CHECK(dev[0].range.size == 0x40);
    CHECK(dev[1].range.start == 0x108000100);
    CHECK(dev[1].index == 1);

    auto out = translate_reg(tree, tree.find_path("/soc@100000000/sub@8000000/out@0,2000000"));
    CHECK(out.windows.empty());  // 0x2000000 is outside sub's window
    CHECK(has_diagnostic(out.diagnostics, "reg-untranslatable", "outside every ranges window"));

    auto uart = mmio_of(tree, "/soc@100000000/identity/uart@1000");
    REQUIRE(uart.size() == 1);
    CHECK(uart[0].range.start == 0x100001000);  // empty ranges = 1:1, then soc's offset

    auto i2c = translate_reg(tree, tree.find_path("/soc@100000000/opaque/i2c@2000"));
    CHECK(i2c.windows.empty());  // a missing ranges stops translation
    CHECK(has_diagnostic(i2c.diagnostics, "reg-untranslatable", "has no ranges"));
}

TEST_CASE("PCI buses: 3-cell addresses, space codes, assigned-addresses") {
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	pcie@10000000 {
		device_type = "pci";
		#address-cells = <3>; #size-cells = <2>;
		reg = <0x0 0x10000000 0x0 0x1000>;
		ranges = <0x01000000 0x0 0x0        0x0 0x3eff0000 0x0 0x10000>,
		         <0x02000000 0x0 0x10000000 0x0 0x10000000 0x0 0x2eff0000>,
		         <0x43000000 0x80 0x0       0x80 0x0       0x80 0x0>;
		dev@0 {
			reg = <0x0000 0 0 0 0>;
			assigned-addresses = <0x82000010 0x0 0x10100000 0x0 0x1000>,
			                     <0x81000014 0x0 0x100 0x0 0x100>,
			                     <0xc3000018 0x80 0x200000 0x0 0x100000>;
		};
	};
};
)");
    const Tree& tree = loaded.tree;
    auto host = mmio_of(tree, "/pcie@10000000");
    REQUIRE(host.size() == 1);
    CHECK(host[0].range.start == 0x10000000);
    auto dev = mmio_of(tree, "/pcie@10000000/dev@0");
    REQUIRE(dev.size() == 2);  // the I/O BAR is not MMIO
    CHECK(dev[0].range.start == 0x10100000);
    CHECK(dev[0].index == 0);
    CHECK(dev[1].range.start == 0x8000200000);  // 64-bit prefetchable window
    CHECK(dev[1].index == 2);
}

TEST_CASE("defects the kernel tolerates are diagnostics, and the kernel's reading is kept") {
    auto tree_of = [](std::string_view body) {
        return load_dts(std::string("/dts-v1/;\n/ {\n") + std::string(body) + "\n};\n");
    };
    // __of_get_address() reads whole entries only: 3 cells of a 4-cell layout give nothing.
    LoadedTree trailing = tree_of("#address-cells = <2>; #size-cells = <2>; dev@0 { reg = <0 0 0>; };");
    MmioResult short_reg = translate_reg(trailing.tree, trailing.tree.find_path("/dev@0"));
    CHECK(short_reg.windows.empty());
    CHECK(has_diagnostic(short_reg.diagnostics, "trailing-cells", "ignores the last 12 bytes"));

    // of_address_to_resource() would build a resource whose end wrapped: the entry is dropped.
    LoadedTree wraps = tree_of("#address-cells = <2>; #size-cells = <2>; dev@0 { reg = <0xffffffff 0xfffff000 0 0x2000>, <0 0x1000 0 0x10>; };");
    MmioResult wrapped = translate_reg(wraps.tree, wraps.tree.find_path("/dev@0"));
    REQUIRE(wrapped.windows.size() == 1);
    CHECK(wrapped.windows[0].index == 1);
    CHECK(has_diagnostic(wrapped.diagnostics, "reg-wraps", "entry 0"));

    // OF_CHECK_ADDR_COUNT(): a bus of 5 address cells gives its children no address; the bus says why.
    LoadedTree five = tree_of("#address-cells = <5>; #size-cells = <1>; dev@0 { reg = <0 0 0 0 0 1>; };");
    CHECK(translate_reg(five.tree, five.tree.find_path("/dev@0")).windows.empty());
    CHECK(has_diagnostic(check_bus(five.tree, five.tree.root()), "bus-cells-unsupported", "#address-cells = 5"));

    // of_translate_one() walks whole ranges entries: the trailing cell is ignored, the entry before it used.
    LoadedTree ranges = tree_of("#address-cells = <1>; #size-cells = <1>; bus { #address-cells = <1>; #size-cells = <1>;"
                                " ranges = <0 0x4000 0x1000 0>; dev@0 { reg = <0x20 0x10>; }; };");
    auto dev = mmio_of(ranges.tree, "/bus/dev@0");
    REQUIRE(dev.size() == 1);
    CHECK(dev[0].range == Range{0x4020, 0x10});
    CHECK(has_diagnostic(check_bus(ranges.tree, ranges.tree.find_path("/bus")), "trailing-cells", "ranges has 16 bytes"));

    LoadedTree clean = tree_of("#address-cells = <1>; #size-cells = <1>; dev@0 { reg = <0x1000 0x10>; };");
    CHECK(translate_reg(clean.tree, clean.tree.find_path("/dev@0")).diagnostics.empty());
    CHECK(check_bus(clean.tree, clean.tree.root()).empty());
}

TEST_CASE("values over 64 bits keep their low 64 bits; a translation past 2^64 is refused") {
    // of_read_number(): a 4-cell address <0 1 0 0> is 0 once shifted into a u64.
    LoadedTree wide = load_dts("/dts-v1/; / { #address-cells = <4>; #size-cells = <1>; dev@0 { reg = <0 1 0 0 0x10>; }; };");
    MmioResult dev = translate_reg(wide.tree, wide.tree.find_path("/dev@0"));
    REQUIRE(dev.windows.size() == 1);
    CHECK(dev.windows[0].range == Range{0, 0x10});
    // 0xfffffffffffff000 + 0x1800 wraps in the kernel's of_bus_default_translate(): dtmem says so.
    LoadedTree wraps = load_dts("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; bus { #address-cells = <1>; "
                                "#size-cells = <1>; ranges = <0 0xffffffff 0xfffff000 0x2000>; dev@1800 { reg = <0x1800 0x10>; }; }; };");
    MmioResult wrapped = translate_reg(wraps.tree, wraps.tree.find_path("/bus/dev@1800"));
    CHECK(wrapped.windows.empty());
    CHECK(has_diagnostic(wrapped.diagnostics, "reg-untranslatable", "the kernel wraps it to 0x800"));
}

TEST_CASE("a PCI host bridge with an empty ranges and dma-ranges passes its children through") {
    // of_translate_one(): empty ranges = 1:1, offset = of_read_number(addr, 3) (phys.hi drops
    // out), the parent's address cells zeroed, then of_bus_default_translate() adds the offset.
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	pcie@40000000 { device_type = "pci"; #address-cells = <3>; #size-cells = <2>; ranges; dma-ranges;
		reg = <0 0x40000000 0 0x1000>;
		dev@0,0 { reg = <0 0 0 0 0>; assigned-addresses = <0x82000010 0 0x50000000 0 0x100000>; };
	};
};
)");
    const Tree& tree = loaded.tree;
    MmioResult dev = translate_reg(tree, tree.find_path("/pcie@40000000/dev@0,0"));
    REQUIRE(dev.windows.size() == 1);
    CHECK(dev.windows[0].range == Range{0x50000000, 0x100000});
}

TEST_CASE("DMA windows follow of_dma_get_range") {
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	#address-cells = <2>; #size-cells = <2>;
	soc {
		compatible = "simple-bus";
		#address-cells = <1>; #size-cells = <1>;
		ranges = <0x0 0x0 0x0 0x80000000>;
		dma-ranges = <0xc0000000 0x0 0x0 0x40000000>;   /* bus 0xc0000000 -> CPU 0, 1 GiB */
		dma@1000 { compatible = "x,dma"; reg = <0x1000 0x100>; dma-coherent; };
		empty { #address-cells = <1>; #size-cells = <1>; ranges; dma-ranges;
			dev@2000 { compatible = "x,dev"; reg = <0x2000 0x100>; }; };
		gap { #address-cells = <1>; #size-cells = <1>; ranges;
			sub { #address-cells = <1>; #size-cells = <1>; ranges;
				dev@3000 { compatible = "x,dev"; reg = <0x3000 0x100>; }; }; };
		inner { #address-cells = <1>; #size-cells = <1>; ranges;
			dma-ranges = <0x0 0xc0000000 0x10000000>, <0x10000000 0xd0000000 0x10000000>;
			dev@4000 { compatible = "x,dev"; reg = <0x4000 0x100>; }; };
	};
	free { compatible = "x,free"; };
};
)");
    const Tree& tree = loaded.tree;
    auto window = [&](std::string_view path) { return device_dma_window(tree, tree.find_path(path)); };

    auto dma = window("/soc/dma@1000");
    REQUIRE(dma);
    CHECK(tree.path(dma->node) == "/soc");
    REQUIRE(dma->ranges.size() == 1);
    CHECK(dma->ranges[0].dma_start == 0xc0000000);
    CHECK(dma->ranges[0].cpu_start == 0x0);
    CHECK(dma->dma_limit == 0xffffffff);

    // An empty dma-ranges lets the search continue upwards.
    auto through_empty = window("/soc/empty/dev@2000");
    REQUIRE(through_empty);
    CHECK(tree.path(through_empty->node) == "/soc");

    // gap has no dma-ranges at all: its parent is reached only for the first level.
    CHECK_FALSE(window("/soc/gap/sub/dev@3000"));

    // Nested: inner's two contiguous entries merge, and translate through /soc's window.
    auto inner = window("/soc/inner/dev@4000");
    REQUIRE(inner);
    REQUIRE(inner->ranges.size() == 1);
    CHECK(inner->ranges[0].dma_start == 0x0);
    CHECK(inner->ranges[0].cpu_start == 0x0);  // 0xc0000000 on /soc's bus = CPU 0
    CHECK(inner->ranges[0].size == 0x20000000);
    CHECK(inner->dma_limit == 0x1fffffff);

    CHECK_FALSE(window("/free"));
}

TEST_CASE("the system DMA limit is the smallest per-node maximum (of_dma_get_max_cpu_address)") {
    auto limit = [](std::string_view body) {
        LoadedTree loaded = load_dts(std::string("/dts-v1/;\n/ {\n#address-cells = <2>; #size-cells = <2>;\n") +
                                     std::string(body) + "\n};\n");
        return dma_max_cpu_address(loaded.tree);
    };
    CHECK_FALSE(limit("").address);
    CHECK_FALSE(limit("bus { #address-cells = <2>; #size-cells = <2>; dma-ranges; };").address);
    auto two = limit(R"(
	a { #address-cells = <2>; #size-cells = <2>; dma-ranges = <0 0 0 0 0 0x80000000>; };
	b { #address-cells = <2>; #size-cells = <2>; dma-ranges = <0 0 0 0 1 0>, <1 0 1 0 0 0x10000000>; };
	c { #address-cells = <2>; #size-cells = <2>; status = "disabled"; dma-ranges = <0 0 0 0 0 0x1000>; };)");
    CHECK(two.address == 0x7fffffffu);  // a (31 bits) beats b (max 0x10fffffff); c is disabled
    // dma-ranges on the root never translates: the kernel wraps to size - 2 (a [boot] fact).
    auto root = limit("dma-ranges = <0 0 0 0 0 0x80000000>;");
    CHECK(root.address == 0x7ffffffeu);
    REQUIRE(root.failures.size() == 1);
    CHECK(root.failures[0].find("wraps") != std::string::npos);
}

TEST_CASE("dma-ranges under a bus the kernel takes for PCI but whose #address-cells is 1") {
    // of_bus_pci_count_cells() says 3 address cells whatever the node says; the range parser
    // sizes entries with the node's 1 cell. The kernel reads past the entry; dtmem refuses
    // the translation (and ASan checks it reads nothing beyond the property).
    LoadedTree loaded = load_dts(R"(/dts-v1/;
/ {
	#address-cells = <1>; #size-cells = <1>;
	pcie@1000 { #address-cells = <1>; #size-cells = <1>; ranges;
		bus@0 { #address-cells = <1>; #size-cells = <1>; dma-ranges = <0 0 0x1000>; };
	};
};
)");
    DmaMaxAddress limit = dma_max_cpu_address(loaded.tree);
    REQUIRE(limit.failures.size() == 1);
    CHECK(limit.failures[0].find("addresses have 3 cells, but the entry gives 1") != std::string::npos);
}
