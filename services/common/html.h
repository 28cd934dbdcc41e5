// Text for an HTML page: the one escaping the server's export for the data subject
// (services/audit) and hotspotctl's report page (clients/cli) share. Header-only, so that a
// client includes it without linking the server's libraries.
//
// Thread-safety: a pure function.
#ifndef HOTSPOT_SERVICES_COMMON_HTML_H_
#define HOTSPOT_SERVICES_COMMON_HTML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hotspot::common {

// `text` with & < > " ' as character references: safe in element content and in quoted
// attribute values.
inline std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_HTML_H_
