// SPDX-License-Identifier: MIT
// libFuzzer harness: bytes as a DTB through the whole pipeline, load → map → a prediction
// for every shipped kernel → lint → diff → text, JSON and the findings in every format. A dtmem::Error (an unusable blob, a profile
// that cannot predict) is an expected outcome; anything else is a bug: another exception,
// a crash, a sanitizer report, a hang or a blow-up (run-fuzz.sh sets the limits).
// The tree's /chosen/bootargs is fuzzed with it, so command-line parsing is covered too.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

#include "dtmem/analysis.hpp"
#include "dtmem/diff.hpp"
#include "dtmem/error.hpp"
#include "dtmem/lint.hpp"
#include "dtmem/memory_map.hpp"
#include "dtmem/prediction.hpp"
#include "dtmem/profile.hpp"
#include "dtmem/report.hpp"

namespace {

void lint_and_report(const dtmem::Analysis& analysis, std::ostream& sink) {
    std::vector<dtmem::Finding> findings = dtmem::lint(analysis);
    dtmem::write_findings_text(sink, analysis, findings, false);
    dtmem::write_findings_gcc(sink, analysis, findings);
    dtmem::write_findings_json(sink, analysis, findings);
    dtmem::write_findings_html(sink, analysis, findings);
    dtmem::write_map_svg(sink, analysis, findings);
    // The diff of the tree against itself without findings: every memory fact and every
    // finding's rendering as new.
    dtmem::MemoryDiff diff = dtmem::diff_analyses(analysis, {}, analysis, findings);
    dtmem::write_diff_text(sink, analysis, analysis, diff, false);
    dtmem::write_diff_json(sink, analysis, analysis, diff);
    dtmem::write_diff_markdown(sink, analysis, analysis, diff);
    dtmem::write_diff_html(sink, analysis, analysis, diff, findings, findings);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::optional<dtmem::Tree> blob;
    try {
        blob.emplace(dtmem::Tree::from_blob(std::vector<std::uint8_t>(data, data + size)));
    } catch (const dtmem::Error&) {
        return 0;  // not a usable blob: rejected with one error, as it should be
    }
    dtmem::Analysis analysis{"fuzz.dtb", {std::move(*blob), dtmem::InputFormat::Dtb}, {}, std::nullopt, {}};
    const dtmem::Tree& tree = analysis.tree();
    analysis.map = dtmem::build_memory_map(tree);
    std::ostringstream sink;
    dtmem::ReportInput input{"fuzz.dtb", dtmem::InputFormat::Dtb, {}};
    dtmem::write_map_text(sink, tree, analysis.map, input, false);
    dtmem::write_map_json(sink, tree, analysis.map, input, nullptr);
    lint_and_report(analysis, sink);
    if (analysis.map.ram.empty()) return 0;
    for (const std::string& id : dtmem::shipped_profile_ids()) {
        try {
            analysis.prediction = dtmem::predict_boot(tree, analysis.map, dtmem::shipped_profile(id), dtmem::BootInputs{});
        } catch (const dtmem::Error&) {
            continue;  // a profile without measured build numbers, a tree this kernel cannot boot
        }
        sink.str({});  // each profile's output on its own: a sink growing for all of them costs quadratic copies
        dtmem::write_prediction_text(sink, tree, analysis.map, *analysis.prediction, false);
        dtmem::write_map_json(sink, tree, analysis.map, input, &*analysis.prediction);
        lint_and_report(analysis, sink);
    }
    return 0;
}
