// SPDX-License-Identifier: MIT
// read_vmlinux(): struct sizes from DWARF (libdw), symbol addresses from the ELF symbol
// table (libelf). The file is untrusted: libelf and libdw check every offset; dtmem only
// walks what they hand back, one compile unit and one top-level entry at a time.
#include "dtmem/vmlinux.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "dtmem/error.hpp"

namespace dtmem {
namespace {

struct FileCloser {
    int fd;
    ~FileCloser() { close(fd); }
};

std::string machine_name(GElf_Half machine) {
    switch (machine) {
        case EM_AARCH64: return "arm64";
        case EM_ARM: return "arm";
        case EM_RISCV: return "riscv64";
        default: return std::to_string(machine);
    }
}

void read_symbols(Elf* elf, const std::string& path, const std::vector<std::string>& wanted, VmlinuxFacts& facts) {
    std::set<std::string> names(wanted.begin(), wanted.end());
    bool have_table = false;
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section; section = elf_nextscn(elf, section)) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header) || header.sh_type != SHT_SYMTAB || header.sh_entsize == 0) continue;
        have_table = true;
        Elf_Data* data = elf_getdata(section, nullptr);
        std::size_t count = data ? data->d_size / header.sh_entsize : 0;
        for (std::size_t i = 0; i < count && facts.symbols.size() < names.size(); ++i) {
            GElf_Sym symbol;
            if (!gelf_getsym(data, static_cast<int>(i), &symbol)) continue;
            const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
            if (name && names.count(name)) facts.symbols.emplace(name, symbol.st_value);
        }
    }
    if (!have_table) throw Error(fmt::format("--vmlinux {}: no symbol table (a stripped image? give the vmlinux the build left)", path));
}

void read_struct_sizes(Dwarf* dwarf, const std::vector<StructQuery>& structs, VmlinuxFacts& facts) {
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    std::size_t pending = structs.size();
    while (pending > 0 && dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die unit;
        const char* unit_name = dwarf_offdie(dwarf, offset + header_size, &unit) ? dwarf_diename(&unit) : nullptr;
        offset = next;
        if (!unit_name) continue;
        std::string_view unit_path = unit_name;
        std::vector<const StructQuery*> here;
        for (const StructQuery& query : structs) {
            bool same_file = unit_path == query.unit || unit_path.ends_with("/" + query.unit);
            if (same_file && !facts.struct_sizes.count(query.name)) here.push_back(&query);
        }
        Dwarf_Die entry;
        if (here.empty() || dwarf_child(&unit, &entry) != 0) continue;
        do {
            if (dwarf_tag(&entry) != DW_TAG_structure_type || dwarf_hasattr(&entry, DW_AT_declaration)) continue;
            const char* name = dwarf_diename(&entry);
            Dwarf_Word size = 0;
            if (!name || dwarf_aggregate_size(&entry, &size) != 0) continue;
            for (const StructQuery* query : here) {
                if (query->name == name && facts.struct_sizes.emplace(name, size).second) --pending;
            }
        } while (dwarf_siblingof(&entry, &entry) == 0);
    }
}

}  // namespace

VmlinuxFacts read_vmlinux(const std::string& path, const std::vector<StructQuery>& structs,
                          const std::vector<std::string>& symbols) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(fmt::format("--vmlinux {}: cannot open it", path));
    FileCloser closer{fd};
    elf_version(EV_CURRENT);
    std::unique_ptr<Elf, decltype(&elf_end)> elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr), &elf_end);
    GElf_Ehdr header;
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || !gelf_getehdr(elf.get(), &header)) {
        throw Error(fmt::format("--vmlinux {}: not an ELF file (give vmlinux, not the Image or zImage)", path));
    }
    VmlinuxFacts facts;
    facts.machine = machine_name(header.e_machine);
    read_symbols(elf.get(), path, symbols, facts);
    if (!structs.empty()) {
        std::unique_ptr<Dwarf, decltype(&dwarf_end)> dwarf(dwarf_begin_elf(elf.get(), DWARF_C_READ, nullptr), &dwarf_end);
        if (!dwarf) {
            throw Error(fmt::format("--vmlinux {}: no DWARF debug information (build with CONFIG_DEBUG_INFO, or take "
                                    "the distribution's -dbg package)", path));
        }
        read_struct_sizes(dwarf.get(), structs, facts);
    }
    return facts;
}

}  // namespace dtmem
