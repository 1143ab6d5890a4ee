// SPDX-License-Identifier: MIT
// A diagnostic: a fact about the input that does not stop the analysis. Each has a stable
// kebab-case id (tests, lint rules and editors key on it), a severity, the node it is
// about (kNoNode for the whole input) and the property, whose DTS location the tree knows.
#pragma once

#include <string>

#include "dtmem/tree.hpp"

namespace dtmem {

enum class Severity { Note, Warning, Error };

struct Diagnostic {
    std::string id;
    Severity severity = Severity::Note;
    NodeId node = kNoNode;
    std::string message;
    std::string property;  // the property the diagnostic is about, for its location
};

// "note", "warning", "error".
const char* severity_name(Severity severity);

// A diagnostic of rule `id`, at the rule's default severity (rules/lint.yaml). An id the
// catalogue does not have is a bug in dtmem: std::logic_error.
Diagnostic diagnose(std::string id, NodeId node, std::string message, std::string property = {});

}  // namespace dtmem
