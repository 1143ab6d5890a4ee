// SPDX-License-Identifier: MIT
#include "dtmem/load.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <libfdt.h>

#include "dtmem/error.hpp"
#include "load/process.hpp"
#include "load/source_map.hpp"

namespace dtmem {
namespace {

using detail::TempDir;

using detail::Bytes;

bool is_dtb(const Bytes& content) {
    return content.size() >= 4 && content[0] == 0xd0 && content[1] == 0x0d && content[2] == 0xfe &&
           content[3] == 0xed;
}

// Judged as a blob (and so validated, with one error line, instead of going to dtc as
// source): the FDT magic, a .dtb/.dtbo name, or binary content (a NUL in its first bytes).
bool looks_like_blob(const Bytes& content, const std::string& path) {
    std::string extension = std::filesystem::path(path).extension().string();
    auto head = content.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(content.size(), 64));
    return is_dtb(content) || extension == ".dtb" || extension == ".dtbo" || std::find(content.begin(), head, 0) != head;
}

// A tool's complaint as one line: its first line that says "error" (dtc and cpp put the
// reason there), else its first line.
std::string first_error_line(const std::string& output) {
    std::string first;
    for (std::size_t at = 0; at < output.size();) {
        std::size_t end = std::min(output.find('\n', at), output.size());
        std::string line = output.substr(at, end - at);
        at = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (first.empty()) first = line;
        std::string lower = line;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.find("error") != std::string::npos) return line;
    }
    return first;
}

// A helper program: the option when given, else the environment (build systems set DTC
// and CPP to their own), else the name looked up in PATH.
std::string program(const std::string& given, const char* variable, const char* fallback) {
    if (!given.empty()) return given;
    const char* from_environment = std::getenv(variable);
    return from_environment && *from_environment ? from_environment : fallback;
}

struct CompiledDts {
    Bytes blob;
    Bytes annotated;  // dtc -O dts -T -T; empty for overlays
};

// The kernel's own preprocessing (scripts/Makefile.lib cmd_dtc), then dtc.
CompiledDts compile_dts(const std::string& path, const Bytes& content, bool symbols,
                        bool annotate, const LoadOptions& options) {
    TempDir temp;
    std::string source = path;
    std::string stdin_path;
    if (path == "-") {  // cpp reads it from stdin and names it "<stdin>"
        stdin_path = temp.file("stdin.dts");
        detail::write_file(stdin_path, content);
        source = "-";
    }
    std::vector<std::string> cpp = {program(options.cpp, "CPP", "cpp"), "-nostdinc", "-undef", "-D__DTS__",
                                    "-x", "assembler-with-cpp"};
    std::vector<std::string> include_dirs;
    // Absolute: dtc resolves /include/ from the folder of the file it reads (our temporary
    // copy), so "board.dts" must give "$PWD", not "".
    if (path != "-") include_dirs.push_back(std::filesystem::absolute(path).parent_path().string());
    include_dirs.insert(include_dirs.end(), options.include_dirs.begin(), options.include_dirs.end());
    for (const std::string& dir : include_dirs) {
        if (!dir.empty()) cpp.push_back("-I" + dir);
    }
    std::string preprocessed = temp.file("preprocessed.dts");
    cpp.insert(cpp.end(), {"-o", preprocessed, source});
    detail::ProcessResult pre = detail::run_process(cpp, stdin_path, "", temp);
    if (pre.exit_code != 0) {
        throw Error("the C preprocessor failed: " + first_error_line(pre.error_output));
    }

    auto dtc = [&](std::vector<std::string> extra, const std::string& output) {
        std::vector<std::string> argv = {program(options.dtc, "DTC", "dtc"), "-q", "-I", "dts"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        for (const std::string& dir : include_dirs) {
            if (!dir.empty()) argv.insert(argv.end(), {"-i", dir});
        }
        if (symbols) argv.push_back("-@");
        argv.insert(argv.end(), {"-o", output, preprocessed});
        detail::ProcessResult run = detail::run_process(argv, "", "", temp);
        if (run.exit_code != 0) throw Error("dtc rejected the source: " + first_error_line(run.error_output));
        return detail::read_file(output);
    };
    CompiledDts compiled;
    compiled.blob = dtc({"-O", "dtb"}, temp.file("out.dtb"));
    if (annotate) compiled.annotated = dtc({"-O", "dts", "-T", "-T"}, temp.file("annotated.dts"));
    return compiled;
}

std::vector<std::uint8_t> apply_overlay(std::vector<std::uint8_t> base, std::vector<std::uint8_t> overlay,
                                        const std::string& overlay_path) {
    // Both blobs are validated first: fdt_overlay_apply trusts its inputs.
    try {
        validate_fdt(overlay);
    } catch (const Error& e) {
        throw Error(fmt::format("overlay {}: {}", overlay_path, e.what()));
    }
    std::vector<std::uint8_t> merged(base.size() + 2 * overlay.size() + 4096);
    if (int rc = fdt_open_into(base.data(), merged.data(), static_cast<int>(merged.size())); rc != 0) {
        throw Error(fmt::format("cannot prepare the tree for overlay {}: {}", overlay_path, fdt_strerror(rc)));
    }
    if (int rc = fdt_overlay_apply(merged.data(), overlay.data()); rc != 0) {
        std::string hint;
        if (rc == -FDT_ERR_NOTFOUND) {
            hint = " (a label or target it refers to is missing; the base tree needs __symbols__, "
                   "i.e. compiled with dtc -@)";
        }
        throw Error(fmt::format("cannot apply overlay {}: {}{}", overlay_path, fdt_strerror(rc), hint));
    }
    fdt_pack(merged.data());
    merged.resize(fdt_totalsize(merged.data()));
    return merged;
}

}  // namespace

std::optional<Firmware> parse_firmware(std::string_view text) {
    Firmware firmware;
    std::size_t at = text.find('@');
    if (at != std::string_view::npos) {
        auto base = parse_size(text.substr(at + 1));
        if (!base) return std::nullopt;
        firmware.base = *base;
        text = text.substr(0, at);
    }
    if (text != "opensbi" && text != "opensbi-1.1") return std::nullopt;
    return firmware;
}

std::optional<BootReservation> parse_reservation(std::string_view text) {
    std::size_t first = text.find(':');
    if (first == std::string_view::npos) return std::nullopt;
    std::size_t second = text.find(':', first + 1);
    auto base = parse_size(text.substr(0, first));
    auto size = parse_size(text.substr(first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1));
    if (!base || !size) return std::nullopt;
    auto range = make_range(*base, *size);
    if (!range) return std::nullopt;
    BootReservation reservation{*range, "bootloader"};
    if (second != std::string_view::npos) {
        reservation.name = std::string(text.substr(second + 1));
        if (reservation.name.empty() || reservation.name.find_first_of("/@ ") != std::string::npos) return std::nullopt;
    }
    return reservation;
}

namespace {

// fdt_open_into() with `extra` more bytes of room at the end, as firmware does before
// editing; the blob is validated by the caller.
void grow(std::vector<std::uint8_t>& blob, int extra, const char* what) {
    int size = static_cast<int>(fdt_totalsize(blob.data()));
    blob.resize(static_cast<std::size_t>(size + extra));
    if (int rc = fdt_open_into(blob.data(), blob.data(), size + extra); rc != 0) {
        throw Error(fmt::format("cannot {}: {}", what, fdt_strerror(rc)));
    }
}

// Adds `name`@base with `reg` under /reserved-memory (created like OpenSBI creates it),
// as the first child: libfdt's fdt_add_subnode(), which firmware and bootloaders use.
// Returns the new node's path.
std::string add_reserved_child(std::vector<std::uint8_t>& blob, const std::string& base_name, u64 base, u64 size) {
    auto fail = [](int rc) { throw Error(std::string("cannot add a reserved region to the tree: ") + fdt_strerror(rc)); };
    void* fdt = blob.data();
    auto root_cells = [&](const char* name) {
        int len = 0;
        const void* value = fdt_getprop(fdt, 0, name, &len);
        return value && len == 4 ? fdt32_ld(static_cast<const fdt32_t*>(value)) : 1u;
    };
    std::uint32_t address_cells = root_cells("#address-cells"), size_cells = root_cells("#size-cells");
    // OF_MAX_ADDR_CELLS: a region cannot be written, nor read back by the kernel, in more.
    if (address_cells < 1 || address_cells > 4 || size_cells < 1 || size_cells > 4) {
        throw Error(fmt::format("cannot add a reserved region to the tree: the root's #address-cells = {}, "
                                "#size-cells = {} (1 to 4 each)", address_cells, size_cells));
    }
    int parent = fdt_path_offset(fdt, "/reserved-memory");
    if (parent < 0) {
        parent = fdt_add_subnode(fdt, 0, "reserved-memory");
        if (parent < 0) fail(parent);
        fdt_setprop_u32(fdt, parent, "#address-cells", address_cells);
        fdt_setprop_u32(fdt, parent, "#size-cells", size_cells);
        fdt_setprop(fdt, parent, "ranges", nullptr, 0);
    }
    std::string name = base >> 32 ? fmt::format("{}@{:x},{:x}", base_name, base >> 32, base & 0xffffffff)
                                   : fmt::format("{}@{:x}", base_name, base);
    // Already there: a tree the firmware has edited (e.g. read back from /sys/firmware/fdt).
    if (fdt_subnode_offset(fdt, parent, name.c_str()) >= 0) return "/reserved-memory/" + name;
    int node = fdt_add_subnode(fdt, parent, name.c_str());
    if (node < 0) fail(node);
    std::vector<fdt32_t> reg;
    auto put = [&](u64 value, std::uint32_t cells) {
        for (std::uint32_t i = cells; i-- > 0;) reg.push_back(cpu_to_fdt32(i >= 2 ? 0 : static_cast<std::uint32_t>(value >> (32 * i))));
    };
    put(base, address_cells);
    put(size, size_cells);
    if (int rc = fdt_setprop(fdt, node, "reg", reg.data(), static_cast<int>(reg.size() * 4)); rc != 0) fail(rc);
    return "/reserved-memory/" + name;
}

}  // namespace

// OpenSBI 1.1 lib/utils/fdt/fdt_fixup.c: fdt_fixups() grows the blob by 32 bytes
// (fdt_cpu_fixup) and 1024 bytes (fdt_reserved_memory_fixup), creates /reserved-memory as
// the root's first child when absent (cells copied from the root, empty ranges) and adds
// mmode_resv0@<base> (reg in root cells, no no-map) as its first child.
std::string apply_firmware(std::vector<std::uint8_t>& blob, const Firmware& firmware) {
    validate_fdt(blob);
    grow(blob, 32, "apply the firmware's tree edits");
    grow(blob, 1024, "apply the firmware's tree edits");
    return add_reserved_child(blob, "mmode_resv0", firmware.base, firmware.region_size);
}

std::vector<std::uint8_t> read_input(const std::string& path) { return detail::read_file(path); }

LoadedTree load_tree(const std::string& path, const LoadOptions& options) {
    return load_tree(detail::read_file(path), path, options);
}

LoadedTree load_tree(std::vector<std::uint8_t> content, const std::string& path, const LoadOptions& options) {
    Bytes blob = std::move(content);
    InputFormat format = looks_like_blob(blob, path) ? InputFormat::Dtb : InputFormat::Dts;
    Bytes annotated;
    if (format == InputFormat::Dts) {
        CompiledDts compiled = compile_dts(path, blob, !options.overlays.empty(), true, options);
        blob = std::move(compiled.blob);
        annotated = std::move(compiled.annotated);
    }
    if (!options.overlays.empty()) validate_fdt(blob);
    for (const std::string& overlay_path : options.overlays) {
        Bytes overlay;
        try {
            overlay = detail::read_file(overlay_path);
            if (!looks_like_blob(overlay, overlay_path)) overlay = compile_dts(overlay_path, overlay, true, false, options).blob;
        } catch (const Error& e) {
            throw Error(fmt::format("overlay {}: {}", overlay_path, e.what()));
        }
        blob = apply_overlay(std::move(blob), std::move(overlay), overlay_path);
    }
    std::map<std::string, std::string> added;
    if (options.firmware) {
        added[apply_firmware(blob, *options.firmware)] = options.firmware->name == "opensbi"
                                                            ? "OpenSBI " + options.firmware->version
                                                            : options.firmware->name;
    }
    if (!options.reservations.empty()) {
        validate_fdt(blob);
        for (const BootReservation& r : options.reservations) {
            grow(blob, 1024, "add a reserved region to the tree");
            added[add_reserved_child(blob, r.name, r.range.start, r.range.size)] = "the boot loader (--reserve)";
        }
        // a bootloader hands on a packed tree
        fdt_pack(blob.data());
        blob.resize(fdt_totalsize(blob.data()));
    }
    LoadedTree loaded{Tree::from_blob(std::move(blob)), format, std::move(added)};
    if (format == InputFormat::Dts) {
        std::string_view text(reinterpret_cast<const char*>(annotated.data()), annotated.size());
        loaded.tree.set_sources(detail::parse_annotated_dts(text, loaded.tree));
    }
    return loaded;
}

}  // namespace dtmem
