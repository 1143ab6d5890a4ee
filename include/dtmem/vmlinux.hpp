// SPDX-License-Identifier: MIT
// What dtmem reads from a built kernel's vmlinux (ELF with DWARF debug information, as the
// build leaves it or Debian's linux-image-*-dbg packages ship it): the sizes of structs the
// kernel allocates early and the addresses of linker symbols. elfutils' libelf and libdw do
// the reading.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dtmem/range.hpp"

namespace dtmem {

// A struct to measure: its name, and the source file (compile unit) whose debug information
// is read for it, the one that allocates it (a name can mean different structs elsewhere).
struct StructQuery {
    std::string name;  // "device_node" for struct device_node
    std::string unit;  // "drivers/of/fdt.c"
};

struct VmlinuxFacts {
    std::string machine;                      // "arm64", "arm", "riscv64", or the ELF's e_machine number
    std::map<std::string, u64> struct_sizes;  // name -> sizeof; absent when the unit does not define it
    std::map<std::string, u64> symbols;       // name -> address; absent when not in the symbol table
};

// Throws dtmem::Error naming the file when it is not an ELF file, has no symbol table, or
// no DWARF information while structs are asked for.
VmlinuxFacts read_vmlinux(const std::string& path, const std::vector<StructQuery>& structs,
                          const std::vector<std::string>& symbols);

}  // namespace dtmem
