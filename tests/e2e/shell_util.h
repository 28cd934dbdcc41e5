// Small helpers for tests that run programs through the shell (hotspotctl, hotspotd, systemd's
// tools) and read what they wrote.
//
// Thread-safety: pure functions (Slurp reads the file system).
#ifndef HOTSPOT_TESTS_E2E_SHELL_UTIL_H_
#define HOTSPOT_TESTS_E2E_SHELL_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

namespace hotspot::testing {

// The whole file at `path`; "" if it cannot be read.
inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `arg` as one word for sh: in single quotes, a quote inside written as '\''.
inline std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_SHELL_UTIL_H_
