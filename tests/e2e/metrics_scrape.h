// Reading a real hotspotd's Prometheus metrics in a test: an HTTP GET of /metrics, and the
// text exposition parsed.
#ifndef HOTSPOT_TESTS_E2E_METRICS_SCRAPE_H_
#define HOTSPOT_TESTS_E2E_METRICS_SCRAPE_H_

#include <map>
#include <set>
#include <string>

#include "absl/strings/string_view.h"

namespace hotspot::testing {

// GET http://127.0.0.1:<port><path> (HTTP/1.0: the server closes after the answer). The body,
// or "" if the status is not 200.
std::string HttpGet(int port, const std::string& path);

// Prometheus text exposition (format 0.0.4), parsed: each sample by its name and labels, as
// `name{a="x",b="y"}` with the labels sorted. A line that does not parse fails the test.
class Scrape {
 public:
  explicit Scrape(const std::string& text);

  // The sample's value; -1 if there is none.
  double Value(const std::string& name, std::map<std::string, std::string> labels = {}) const;
  // The samples of a family: label sets to values.
  std::map<std::string, double> Family(const std::string& name) const;

 private:
  static std::string Key(const std::string& name, const std::map<std::string, std::string>& l);
  void ParseSample(absl::string_view line, const std::set<std::string>& typed);

  std::map<std::string, double> samples_;
};

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_METRICS_SCRAPE_H_
