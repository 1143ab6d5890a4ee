// SPDX-License-Identifier: MIT
// Rules whose findings are the map's diagnostics: what the tree gets wrong node by node,
// found while the map is read the way the kernel reads it (src/map, src/translate).
#include "lint/registry.hpp"

namespace dtmem::checks {
namespace {

void forward(const Analysis& analysis, Findings& out) {
    for (const Diagnostic& d : analysis.diagnostics()) {
        if (d.id == out.rule()) out.add(d.node, d.message, d.property);
    }
}

constexpr Rule kRules[] = {
    {"bus-cells-unsupported", forward},
    {"chosen-not-a-string", forward},
    {"dma-ranges-size-zero", forward},
    {"dma-ranges-untranslatable", forward},
    {"initrd-empty", forward},
    {"malformed-property", forward},
    {"memory-missing", forward},
    {"memory-node-disabled", forward},
    {"memory-node-not-at-root", forward},
    {"memory-node-without-device-type", forward},
    {"memory-overlap", forward},
    {"memory-region-dangling", forward},
    {"memory-region-not-reserved", forward},
    {"memory-replaced", forward},
    {"memreserve-wraps", forward},
    {"ranges-untranslatable", forward},
    {"ranges-wraps", forward},
    {"reg-size-zero", forward},
    {"reg-untranslatable", forward},
    {"reg-wraps", forward},
    {"reserved-cells-mismatch", forward},
    {"reserved-reg-empty", forward},
    {"reserved-region-skipped", forward},
    {"trailing-cells", forward},
    {"value-truncated", forward},
};

}  // namespace

std::span<const Rule> diagnostic_rules() { return kRules; }

}  // namespace dtmem::checks
