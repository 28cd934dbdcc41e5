#include "services/common/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace hotspot::common {
namespace {

// The code point at `text[i]` and its length in bytes; length 0 if it is no UTF-8.
struct CodePoint {
  uint32_t value = 0;
  size_t bytes = 0;
};

CodePoint Decode(absl::string_view text, size_t i) {
  const unsigned char c = text[i];
  uint32_t cp = 0;
  size_t n = 0;
  if (c < 0x80) {
    cp = c, n = 1;
  } else if ((c & 0xE0) == 0xC0) {
    cp = c & 0x1F, n = 2;
  } else if ((c & 0xF0) == 0xE0) {
    cp = c & 0x0F, n = 3;
  } else if ((c & 0xF8) == 0xF0) {
    cp = c & 0x07, n = 4;
  } else {
    return {};
  }
  if (i + n > text.size()) return {};
  for (size_t k = 1; k < n; ++k) {
    const unsigned char next = text[i + k];
    if ((next & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (next & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return {};
  return {cp, n};
}

bool Printable(uint32_t cp, bool newlines) {
  if (cp == '\n' || cp == 0x2028 || cp == 0x2029) return newlines;
  if (cp == 0x200C || cp == 0x200D) return newlines;  // the joiners: free text only
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return false;
  if (cp == 0x00AD || cp == 0x061C || cp == 0x180E || cp == 0x200B || cp == 0x200E ||
      cp == 0x200F || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF) {
    return false;  // invisible
  }
  return !((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069));
}

// White space in any script: ASCII's, the no-break spaces and Unicode's other spaces.
bool Space(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

}  // namespace

bool PrintableUtf8(absl::string_view text, bool newlines) {
  for (size_t i = 0; i < text.size();) {
    const CodePoint cp = Decode(text, i);
    if (cp.bytes == 0 || !Printable(cp.value, newlines)) return false;
    i += cp.bytes;
  }
  return true;
}

bool PersonName(absl::string_view person) {
  if (person.empty() || person.size() > kMaxPersonBytes) return false;
  for (size_t i = 0; i < person.size();) {
    const CodePoint cp = Decode(person, i);
    if (cp.bytes == 0 || !Printable(cp.value, false) || Space(cp.value) || cp.value == '/') {
      return false;
    }
    i += cp.bytes;
  }
  return true;
}

std::string EscapeForTerminal(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const CodePoint cp = Decode(text, i);
    if (cp.bytes == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp.value == '\\') {
      out += "\\\\";
    } else if (cp.value == '\n') {
      out += "\\n";
    } else if (cp.value == '\r') {
      out += "\\r";
    } else if (cp.value == '\t') {
      out += "\\t";
    } else if (!Printable(cp.value, false)) {
      // Two calls: clang checks abseil's format strings at compile time, so each is a literal.
      if (cp.value < 0x100) {
        absl::StrAppendFormat(&out, "\\x%02x", cp.value);
      } else {
        absl::StrAppendFormat(&out, "\\u%04x", cp.value);
      }
    } else {
      out.append(text.data() + i, cp.bytes);
    }
    i += cp.bytes;
  }
  return out;
}

std::string EscapeJsonForTerminal(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size();) {
    const CodePoint cp = Decode(json, i);
    if (cp.bytes > 1 && !Printable(cp.value, false)) {
      absl::StrAppendFormat(&out, "\\u%04x", cp.value);
    } else {
      out.append(json.data() + i, cp.bytes == 0 ? 1 : cp.bytes);
    }
    i += cp.bytes == 0 ? 1 : cp.bytes;
  }
  return out;
}

std::optional<std::string> NormaliseName(absl::string_view name) {
  std::string out;
  bool space = false;  // a separator is pending
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const unsigned char next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    if (absl::ascii_isspace(c) || c == '-' || (c == 0xC2 && next == 0xA0)) {  // U+00A0
      if (c == 0xC2) ++i;
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    if (c == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97) {
      // U+00C0..U+00DE (but U+00D7, the multiplication sign): the Latin-1 capitals, whose small
      // letters are 0x20 further on.
      out.push_back(static_cast<char>(c));
      out.push_back(static_cast<char>(next + 0x20));
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(absl::ascii_tolower(c)));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace hotspot::common
