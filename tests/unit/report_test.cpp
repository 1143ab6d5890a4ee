// SPDX-License-Identifier: MIT
// What reaches a terminal from a tree's strings.
#include <doctest/doctest.h>

#include "dtmem/report.hpp"

using dtmem::terminal_safe;

TEST_CASE("terminal_safe: control characters and bytes that are not UTF-8 are escaped") {
    CHECK(terminal_safe("plain text\n", false) == "plain text\n");
    // C0 controls: an OSC title sequence and a bell are escaped, a tab stays; DEL is escaped.
    CHECK(terminal_safe("a\x1b]0;x\x07\tb\x7f", false) == "a\\x1b]0;x\\x07\tb\\x7f");
    // UTF-8 (RFC 3629): é is C3 A9; a lone continuation byte, an overlong '/' (C0 AF),
    // a surrogate (ED A0 80) and a truncated sequence are not UTF-8.
    CHECK(terminal_safe("caf\xc3\xa9", false) == "caf\xc3\xa9");
    CHECK(terminal_safe("\xa9", false) == "\\xa9");
    CHECK(terminal_safe("\xc0\xaf", false) == "\\xc0\\xaf");
    CHECK(terminal_safe("\xed\xa0\x80", false) == "\\xed\\xa0\\x80");
    CHECK(terminal_safe("\xe2\x82", false) == "\\xe2\\x82");
    // C1 controls encoded as UTF-8 (U+009B is CSI on some terminals).
    CHECK(terminal_safe("\xc2\x9b" "2J", false) == "\\xc2\\x9b2J");
    // Our own colour sequences stay when colour is on, and only those.
    CHECK(terminal_safe("\x1b[33mwarning\x1b[0m", true) == "\x1b[33mwarning\x1b[0m");
    CHECK(terminal_safe("\x1b[33mwarning\x1b[0m", false) == "\\x1b[33mwarning\\x1b[0m");
    CHECK(terminal_safe("\x1b[2J", true) == "\\x1b[2J");
}
