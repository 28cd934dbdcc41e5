// Text people typed, checked before it is kept and escaped before it is printed: no control
// character may forge a line of a table or the log, or send escape codes to a terminal, and no
// bidirectional override may make a name read as another.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_COMMON_TEXT_H_
#define HOTSPOT_SERVICES_COMMON_TEXT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace hotspot::common {

// True if `text` is valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF) with no
// control character (C0, DEL, C1; a line feed only if `newlines`), no line or paragraph
// separator (U+2028, U+2029) unless `newlines`, and no bidirectional embedding, override or
// isolate (U+202A to U+202E, U+2066 to U+2069).
bool PrintableUtf8(absl::string_view text, bool newlines = false);

// `text` for a terminal: every byte or code point PrintableUtf8 refuses (with `newlines` false)
// written as a visible escape ("\n", "\x1b", "\u202e"), and a backslash as "\\"; any other text
// as it is.
std::string EscapeForTerminal(absl::string_view text);

// JSON text for a terminal: the non-ASCII code points PrintableUtf8 refuses (C1 controls, the
// line and paragraph separators, the bidirectional controls) written as JSON escapes
// ("\u202e"), which can only stand inside a JSON string; everything else as it is (JSON
// escapes the ASCII controls itself).
std::string EscapeJsonForTerminal(absl::string_view json);

// A name (or a municipality) as compared: lower case (ASCII and the Latin-1 letters, so "ØSTER"
// and "øster" are one), hyphens and runs of white space (also no-break spaces) as one space, no
// space at either end; nullopt if nothing is left. Other characters are kept as they are (UTF-8).
// The duplicate index compares youths' names and their areas' municipalities so, and
// LinkAgencyToArea the municipalities of an agency's areas.
std::optional<std::string> NormaliseName(absl::string_view name);

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_TEXT_H_
