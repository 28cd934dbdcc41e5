// Text people typed, checked before it is kept and escaped before it is printed: no control
// character may forge a line of a table or the log, or send escape codes to a terminal, and no
// bidirectional override may make a name read as another.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_COMMON_TEXT_H_
#define HOTSPOT_SERVICES_COMMON_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace hotspot::common {

// True if `text` is valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF) with no
// control character (C0, DEL, C1; a line feed only if `newlines`), no line or paragraph
// separator (U+2028, U+2029) unless `newlines`, no bidirectional embedding, override or
// isolate (U+202A to U+202E, U+2066 to U+2069), and no invisible character that could make one
// name read as another: the soft hyphen U+00AD, the Arabic letter mark U+061C, U+180E, the zero
// width space U+200B, the left-to-right and right-to-left marks U+200E and U+200F, U+2060 to
// U+2064 and the byte order mark U+FEFF; the zero width joiners U+200C and U+200D (which shape
// scripts and emoji) only in free text (`newlines`).
bool PrintableUtf8(absl::string_view text, bool newlines = false);

// The most bytes of a person's name (PersonName).
inline constexpr size_t kMaxPersonBytes = 128;

// True if `person` will do as a person's name as principals carry it, and as events, bodies,
// commitments and the access log name people: 1 to kMaxPersonBytes bytes of one line of
// PrintableUtf8, with no white space (ASCII, no-break or other Unicode spaces) and no '/' (it
// separates the parts of the views' index keys). "søren@kommune.dk" and "teacher-ole" will do.
// One rule for every way a person comes in (a tokens file, a certificate map, an OIDC token's
// claim, a command), so that whoever can sign in can be named, and the other way round.
bool PersonName(absl::string_view person);
// PersonName's rule, for messages: "1 to 128 bytes of UTF-8 with no spaces, '/', control or
// formatting characters".
inline constexpr char kPersonNameRule[] =
    "1 to 128 bytes of UTF-8 with no spaces, '/', control or formatting characters";

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
