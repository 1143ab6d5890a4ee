// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "dtmem/error.hpp"
#include "dtmem/memory_map.hpp"
#include "helpers.hpp"

using namespace dtmem;
using dtmem::test::map_dts;
using dtmem::test::Mapped;

namespace {

std::string board(std::string_view body, std::string_view header = "") {
    return std::string("/dts-v1/;\n") + std::string(header) +
           "/ {\n#address-cells = <2>; #size-cells = <2>;\n" + std::string(body) + "\n};\n";
}

bool has_diagnostic(const MemoryMap& map, std::string_view text) {
    for (const Diagnostic& d : map.diagnostics) {
        if (d.message.find(text) != std::string::npos) return true;
    }
    return false;
}

const ReservedRegion& region(const MemoryMap& map, std::size_t index) {
    REQUIRE(map.reserved_memory);
    REQUIRE(map.reserved_memory->regions.size() > index);
    return map.reserved_memory->regions[index];
}

}  // namespace

TEST_CASE("RAM is read the way early_init_dt_scan_memory reads it") {
    Mapped map = map_dts(board(R"(
	memory@880000000 { device_type = "memory"; reg = <0x8 0x80000000 0x1 0x80000000>; hotpluggable; };
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x80000000>, <0 0xc0000000 0 0>; };
	usable@0 { device_type = "memory"; reg = <0x10 0 0x10 0>; linux,usable-memory = <0x10 0 0 0x1000000>; };
	off@0 { device_type = "memory"; reg = <0x20 0 0 0x1000>; status = "disabled"; };
	memory@60000000 { reg = <0 0x60000000 0 0x1000>; };
	bus { nested-memory { device_type = "memory"; reg = <0x30 0 0 0x1000>; }; };)"));
    REQUIRE(map.ram.size() == 3);  // sorted; size-0 pair, disabled and nameless nodes skipped
    CHECK(map.ram[0].range == Range{0x40000000, 0x80000000});
    CHECK(map.ram[1].range == Range{0x880000000, 0x180000000});
    CHECK(map.ram[1].hotpluggable);
    CHECK(map.ram[2].range == Range{0x1000000000, 0x1000000});
    CHECK(map.ram[2].source == RamSource::UsableMemory);
    CHECK(has_diagnostic(map, "no device_type"));
    CHECK(has_diagnostic(map, "below the root level"));
    CHECK(has_diagnostic(map, "disabled"));
    CHECK(dtmem::test::has_diagnostic(map.diagnostics, "reg-size-zero", "reg entry 1 has size 0"));
}

TEST_CASE("--memory replaces the tree's banks; no RAM is said plainly") {
    std::string dts = board(R"(memory@0 { device_type = "memory"; reg = <0 0 0 0>; };)");
    Mapped none = map_dts(dts);
    CHECK(none.ram.empty());
    CHECK(has_diagnostic(none, "no RAM"));
    MapOptions options;
    options.memory = {Range{0, 1ull << 30}, Range{0x40000000, 3ull << 30}};
    Mapped given = map_dts(dts, options);
    REQUIRE(given.ram.size() == 2);
    CHECK(given.ram[1].source == RamSource::CommandLine);
    CHECK_FALSE(has_diagnostic(given, "no RAM"));
}

TEST_CASE("/reserved-memory regions: static, dynamic and what the kernel rejects") {
    Mapped map = map_dts(board(R"(
	reserved-memory {
		#address-cells = <2>; #size-cells = <2>; ranges;
		tee@80000000 { reg = <0 0x80000000 0 0x2000000>, <0 0x90000000 0 0>; no-map; };
		linux,cma { compatible = "shared-dma-pool"; reusable; size = <0 0x10000000>;
			alignment = <0 0x400000>; alloc-ranges = <0 0x40000000 0 0x40000000>; linux,cma-default; };
		badreg@0 { reg = <0 0 0>; };
		badsize { size = <0x1000>; };
		badalign { size = <0 0x1000>; alignment = <0x1000>; };
		nothing { compatible = "vendor,pool"; };
		off@a0000000 { reg = <0 0xa0000000 0 0x1000>; status = "disabled"; };
	};)"));
    REQUIRE(map.reserved_memory->supported());
    const ReservedRegion& tee = region(map, 0);
    CHECK(tee.type == RegionType::Static);
    CHECK(tee.no_map);
    REQUIRE(tee.reg.size() == 2);
    CHECK(tee.reg[1].size == 0);  // kept: the kernel prints a failure for it
    const ReservedRegion& cma = region(map, 1);
    CHECK(cma.type == RegionType::Dynamic);
    CHECK(cma.size == 0x10000000u);
    CHECK(cma.alignment == 0x400000u);
    REQUIRE(cma.alloc_ranges.size() == 1);
    CHECK(cma.alloc_ranges[0].address == 0x40000000);
    CHECK(cma.alloc_ranges[0].size == 0x40000000);
    CHECK(cma.reusable);
    CHECK(cma.cma_default);
    CHECK(region(map, 2).problem == "Reserved memory: invalid reg property in 'badreg@0', skipping node.");
    CHECK(region(map, 3).problem == "invalid size property in 'badsize' node.");
    CHECK(region(map, 4).problem == "invalid alignment property in 'badalign' node.");
    CHECK(region(map, 5).type == RegionType::Invalid);
    CHECK_FALSE(region(map, 6).available);
}

TEST_CASE("/reserved-memory the kernel ignores as a whole") {
    auto reason = [](std::string_view node) {
        Mapped map = map_dts(board(node));
        REQUIRE(map.reserved_memory);
        CHECK(has_diagnostic(map, "unsupported node format"));
        return map.reserved_memory->unsupported_reason;
    };
    CHECK(reason("reserved-memory { #address-cells = <1>; #size-cells = <1>; ranges; };") ==
          "#size-cells = 1 differs from the root's 2");
    CHECK(reason("reserved-memory { #address-cells = <2>; #size-cells = <2>; };") == "it has no ranges property");
    CHECK(reason("reserved-memory { #size-cells = <2>; ranges; };") == "#address-cells is missing");
}

TEST_CASE("memory-region users, names, and phandles that go nowhere") {
    Mapped map = map_dts(board(R"(
	reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
		dsp: dsp@90000000 { reg = <0 0x90000000 0 0x800000>; no-map; };
		gpu: gpu { size = <0 0x1000000>; };
	};
	dsp@1000 { compatible = "x,dsp"; memory-region = <&dsp &gpu>; memory-region-names = "fw", "heap"; };
	off@2000 { compatible = "x,dsp"; memory-region = <&dsp>; status = "disabled"; };
	other { compatible = "x,other"; memory-region = <&gpu>; };)"));
    REQUIRE(map.devices.size() == 2);  // the disabled one is not a user
    CHECK(map.devices[0].memory_regions.size() == 2);
    CHECK(map.devices[0].memory_regions[1].name == "heap");
    CHECK(region(map, 0).users.size() == 1);
    CHECK(region(map, 1).users.size() == 2);

    // Only the driver notices (of_reserved_mem_device_init_by_idx() fails): a warning.
    Mapped dangling = map_dts(board(R"(dev { compatible = "x,dev"; memory-region = <0x1234>; };)"));
    CHECK(has_diagnostic(dangling, "phandle 0x1234"));
}

TEST_CASE("/chosen: bootargs, initrd in either cell size, usable-memory-range") {
    Mapped map = map_dts(board(R"(
	chosen { bootargs = "console=ttyS0 cma=64M"; stdout-path = "serial0:115200n8";
		linux,initrd-start = <0x48000000>; linux,initrd-end = <0x0 0x48800000>;
		linux,usable-memory-range = <0 0x40000000 0 0x20000000>; };)"));
    CHECK(map.chosen.bootargs == "console=ttyS0 cma=64M");
    CHECK(map.chosen.stdout_path == "serial0:115200n8");
    REQUIRE(map.chosen.initrd);
    CHECK(*map.chosen.initrd == Range{0x48000000, 0x800000});
    REQUIRE(map.chosen.usable_memory_range.size() == 1);
}

bool has_diagnostic_id(const MemoryMap& map, std::string_view id) {
    for (const Diagnostic& d : map.diagnostics) {
        if (d.id == id) return true;
    }
    return false;
}

TEST_CASE("overflowing or malformed facts: diagnostics, never wrapped, the rest of the map stands") {
    const char* good = R"(memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x1000>; };)";
    auto ok = [&](const Mapped& map) {  // the healthy bank is still read
        REQUIRE(!map.ram.empty());
        CHECK(map.ram.back().range == Range{0x80000000, 0x1000});
    };
    // memblock_add() caps a bank at the top of the address space (memblock_cap_size()).
    Mapped wraps = map_dts(board(std::string(good) + R"(memory@0 { device_type = "memory"; reg = <0xffffffff 0xfffff000 0 0x2000>; };)"));
    CHECK(has_diagnostic_id(wraps, "reg-wraps"));
    REQUIRE(wraps.ram.size() == 2);
    CHECK(wraps.ram[0].range == Range{0x80000000, 0x1000});
    CHECK(wraps.ram[1].range == Range{0xfffffffffffff000, 0xfff});

    Mapped memreserve = map_dts(board(good, "/memreserve/ 0xfffffffffffff000 0x2000;\n"));
    ok(memreserve);
    CHECK(has_diagnostic_id(memreserve, "memreserve-wraps"));
    CHECK(memreserve.memreserve.empty());

    Mapped ragged = map_dts(board(std::string(good) + R"(memory@0 { device_type = "memory"; reg = <0 0 0x1000>; };)"));
    ok(ragged);  // early_init_dt_scan_memory() reads whole entries: 3 cells of 4 give none
    CHECK(has_diagnostic_id(ragged, "trailing-cells"));
    CHECK(ragged.ram.size() == 1);

    Mapped alloc = map_dts(board(std::string(good) + R"(reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
                  r { size = <0 0x1000>; alloc-ranges = <0xffffffff 0xfffff000 0 0x2000>; }; };)"));
    ok(alloc);  // kept as written: the kernel's end, start + size, wraps to 0x1000 and nothing fits
    CHECK(region(alloc, 0).type == RegionType::Dynamic);
    REQUIRE(region(alloc, 0).alloc_ranges.size() == 1);
    CHECK(region(alloc, 0).alloc_ranges[0].address == 0xfffffffffffff000);
    CHECK(region(alloc, 0).alloc_ranges[0].size == 0x2000);
}

namespace {

const Device* device(const MemoryMap& map, const Mapped& mapped, std::string_view path) {
    for (const Device& d : map.devices) {
        if (mapped.loaded.tree.path(d.node) == path) return &d;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("DMA windows: a PCI device takes its host bridge's, size 0 ends the table, flags split merges") {
    Mapped map = map_dts(board(R"(
	soc@0 { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>;
		ranges = <0 0 0 0x80000000>;
		dma-ranges = <0x0 0x0 0x40000000 0x40000000>, <0x40000000 0x0 0x0 0>,
		             <0x80000000 0x0 0x80000000 0x40000000>;
		dev@1000 { compatible = "acme,dev"; reg = <0x1000 0x100>; };
		pcie@2000 { compatible = "acme,pcie"; device_type = "pci"; reg = <0x2000 0x100>;
			#address-cells = <3>; #size-cells = <2>;
			ranges = <0x02000000 0 0x10000000 0x10000000 0 0x1000000>;
			dma-ranges = <0x02000000 0 0x0 0x0 0 0x10000000>, <0x43000000 0 0x10000000 0x10000000 0 0x10000000>;
			bridge@0,0 { device_type = "pci"; reg = <0 0 0 0 0>; #address-cells = <3>; #size-cells = <2>;
				dma-ranges = <0x02000000 0 0 0 0 0 0 0x1000>;
				nic@1,0 { reg = <0x10000 0 0 0 0>; };
			};
		};
	};)"));
    // of_dma_configure_id(): a platform device starts at its parent: soc@0's table, which
    // the size-0 second entry ends (dma_range_map_max()), so the third entry is not in it.
    const Device* dev = device(map, map, "/soc@0/dev@1000");
    REQUIRE(dev);
    REQUIRE(dev->dma_window);
    REQUIRE(dev->dma_window->ranges.size() == 1);
    CHECK(dev->dma_window->dma_limit == 0x3fffffff);
    CHECK(dtmem::test::has_diagnostic(map.diagnostics, "dma-ranges-size-zero", "bus address 0x40000000"));

    // pci_dma_configure(): the NIC behind the bridge is configured with the host bridge's
    // node; the bridge's own dma-ranges play no part. The two host entries are contiguous
    // in bus and CPU space but 32-bit vs 64-bit prefetchable: of_pci_range_parser_one()
    // keeps them apart.
    for (std::string_view path : {"/soc@0/pcie@2000/bridge@0,0", "/soc@0/pcie@2000/bridge@0,0/nic@1,0"}) {
        const Device* pci = device(map, map, path);
        REQUIRE(pci);
        REQUIRE(pci->dma_window);
        CHECK(map.loaded.tree.path(pci->dma_window->node) == "/soc@0/pcie@2000");
        CHECK(pci->dma_window->ranges.size() == 2);
        CHECK(pci->dma_window->dma_limit == 0x1fffffff);
    }
}

TEST_CASE("devices are the nodes of_platform_populate() and the bus types make devices of") {
    Mapped map = map_dts(board(R"(
	firmware { #address-cells = <1>; #size-cells = <1>; dma-ranges = <0 0 0 0x80000000>;
		scmi { compatible = "arm,scmi"; #address-cells = <1>; #size-cells = <0>;
		clocks@14 { compatible = "acme,scmi-clocks"; reg = <0x14>; }; }; };
	soc@0 { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0 0 0x80000000>;
		dma-ranges = <0 0 0 0x80000000>;
		opp-table { compatible = "operating-points-v2"; };
		serial@1000 { compatible = "acme,uart"; reg = <0x1000 0x100>;
			bluetooth { compatible = "acme,bt"; }; };
		mmc@2000 { compatible = "acme,mmc"; reg = <0x2000 0x100>; #address-cells = <1>; #size-cells = <0>;
			wifi@1 { compatible = "acme,sdio-wifi"; reg = <1>; }; };
		usb@3000 { compatible = "acme,usb-glue"; reg = <0x3000 0x100>; #address-cells = <1>; #size-cells = <1>; ranges;
			usb@4000 { compatible = "snps,dwc3"; reg = <0x4000 0x1000>; }; };
	};)"));
    // Every node below has a window within reach: only device-ness decides the listing.
    for (std::string_view path : {"/firmware/scmi", "/soc@0/serial@1000", "/soc@0/mmc@2000", "/soc@0/usb@3000",
                                  "/soc@0/usb@3000/usb@4000"}) {
        CAPTURE(path);
        const Device* found = device(map, map, path);
        REQUIRE(found);
        CHECK(found->dma_window);
    }
    for (std::string_view path : {"/soc@0/opp-table", "/firmware/scmi/clocks@14", "/soc@0/serial@1000/bluetooth",
                                  "/soc@0/mmc@2000/wifi@1"}) {
        CAPTURE(path);
        CHECK_FALSE(device(map, map, path));
    }
}

TEST_CASE("the merged layout: RAM, the holes between banks, reservations and MMIO by start") {
    Mapped map = map_dts(board(R"(
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>, <1 0 0 0x40000000>; };
	reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
		fw@50000000 { reg = <0 0x50000000 0 0x100000>, <0 0x60000000 0 0x1000>; no-map; }; };
	soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0 0 0x40000000>;
		uart@1000 { reg = <0x1000 0x100>; }; };)",
                               "/memreserve/ 0x40000000 0x1000;\n"));
    std::vector<std::pair<LayoutKind, Range>> rows;
    for (const LayoutEntry& entry : map.layout) rows.push_back({entry.kind, entry.range});
    std::vector<std::pair<LayoutKind, Range>> expected = {
        {LayoutKind::Mmio, Range{0x1000, 0x100}},
        {LayoutKind::Ram, Range{0x40000000, 0x40000000}},
        {LayoutKind::MemReserve, Range{0x40000000, 0x1000}},  // equal start: after the RAM row
        {LayoutKind::Reserved, Range{0x50000000, 0x100000}},
        {LayoutKind::Reserved, Range{0x60000000, 0x1000}},
        {LayoutKind::Hole, Range{0x80000000, 0x80000000}},  // 2 GiB up to the bank at 4 GiB
        {LayoutKind::Ram, Range{0x100000000, 0x40000000}},
    };
    CHECK(rows == expected);
    CHECK(map.layout[4].reg_index == 1);
}

TEST_CASE("bus translations: each bus's windows in CPU addresses, composed once (boards/nested-buses-pci)") {
    LoadedTree loaded = load_tree(std::string(DTMEM_SOURCE_DIR) + "/boards/nested-buses-pci/board.dts", {});
    MemoryMap map = build_memory_map(loaded.tree);
    auto windows = [&](std::string_view path) {
        const BusTranslation* bus = find_bus(map, loaded.tree.find_path(path));
        REQUIRE(bus);
        return bus->windows;
    };
    // Hand computation in boards/nested-buses-pci/NOTES.md ("MMIO translation").
    auto l1 = windows("/bus@f0000000");
    REQUIRE(l1.size() == 1);
    CHECK(l1[0].child_first == 0x0);
    CHECK(l1[0].child_last == 0x0fffffff);
    CHECK(l1[0].cpu_first == 0xf0000000);
    auto apb = windows("/bus@f0000000/apb");  // ranges; : the parent's windows
    REQUIRE(apb.size() == 1);
    CHECK(apb[0].to_cpu(0x2030000) == 0xf2030000);
    auto l2 = windows("/bus@f0000000/bus@8000000");  // child (1, 0) -> L1 0x08000000
    REQUIRE(l2.size() == 1);
    CHECK(l2[0].to_cpu(0x100010000) == 0xf8010000);
    CHECK_FALSE(l2[0].to_cpu(0x101000000));
    auto pci = windows("/pcie@33800000");
    REQUIRE(pci.size() == 2);
    CHECK(pci[0].flags == 0x100);  // IORESOURCE_IO: the I/O window
    CHECK(pci[0].cpu_first == 0x1ff80000);
    CHECK(pci[1].flags == 0x200);  // IORESOURCE_MEM
    CHECK(pci[1].to_cpu(0x40000000) == 0x18000000);
    CHECK(pci[1].child_last == 0x47efffff);
    const BusTranslation* pcie = find_bus(map, loaded.tree.find_path("/pcie@33800000"));
    REQUIRE(pcie->dma);
    CHECK(pcie->dma->ranges.size() == 2);
    CHECK_FALSE(find_bus(map, loaded.tree.find_path("/bus@f0000000/memory-controller@2020000")));
}

TEST_CASE("a fault in a bus's property is reported once, on the bus, while its devices go on") {
    Mapped map = map_dts(board(R"(
	soc { compatible = "simple-bus"; #address-cells = <2>; #size-cells = <1>; ranges = <0 0 0 0 0x80000000>;
		dma-ranges = <0xffffffff 0xfffff000 0 0 0x2000>;  /* the bus end passes 2^64 */
		a@1000 { compatible = "acme,a"; reg = <0 0x1000 0x100>; };
		b@2000 { compatible = "acme,b"; reg = <0 0x2000 0x100>; }; };)"));
    int faults = 0;
    for (const Diagnostic& d : map.diagnostics) {
        if (d.id != "malformed-property") continue;
        ++faults;
        CHECK(map.loaded.tree.path(d.node) == "/soc");
        CHECK(d.property == "dma-ranges");
    }
    CHECK(faults == 1);
    CHECK(map.mmio.size() == 2);  // both devices' registers are still mapped
}
