#include "tests/e2e/metrics_scrape.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace hotspot::testing {

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[8192];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.1 200") && !absl::StartsWith(response, "HTTP/1.0 200")) {
    return "";
  }
  return body == std::string::npos ? "" : response.substr(body + 4);
}

Scrape::Scrape(const std::string& text) {
  std::set<std::string> typed;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      EXPECT_EQ(parts.size(), 4u) << line;
      if (parts.size() == 4) typed.insert(parts[2]);
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;
    ParseSample(line, typed);
  }
}

double Scrape::Value(const std::string& name, std::map<std::string, std::string> labels) const {
  const auto it = samples_.find(Key(name, labels));
  return it == samples_.end() ? -1 : it->second;
}

std::map<std::string, double> Scrape::Family(const std::string& name) const {
  std::map<std::string, double> out;
  for (const auto& [key, value] : samples_) {
    if (absl::StartsWith(key, name + "{") || key == name) out[key] = value;
  }
  return out;
}

std::string Scrape::Key(const std::string& name, const std::map<std::string, std::string>& l) {
  if (l.empty()) return name;
  std::string out = name + "{";
  for (const auto& [k, v] : l)
    absl::StrAppend(&out, out.back() == '{' ? "" : ",", k, "=\"", v, "\"");
  return out + "}";
}

void Scrape::ParseSample(absl::string_view line, const std::set<std::string>& typed) {
  size_t i = 0;
  while (i < line.size() && (absl::ascii_isalnum(line[i]) || line[i] == '_' || line[i] == ':')) {
    ++i;
  }
  const std::string name(line.substr(0, i));
  ASSERT_FALSE(name.empty()) << line;
  std::map<std::string, std::string> labels;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t equals = line.find("=\"", i);
      ASSERT_NE(equals, absl::string_view::npos) << line;
      const std::string key(line.substr(i, equals - i));
      std::string value;
      size_t j = equals + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) ++j;
        value += line[j];
      }
      ASSERT_LT(j, line.size()) << line;
      labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    ASSERT_LT(i, line.size()) << line;
    ++i;
  }
  ASSERT_TRUE(i < line.size() && line[i] == ' ') << line;
  double value = 0;
  const std::string number(absl::StripAsciiWhitespace(line.substr(i + 1)));
  char* end = nullptr;
  value = std::strtod(number.c_str(), &end);  // NaN, +Inf too
  ASSERT_TRUE(end != nullptr && *end == '\0') << line;
  // Every sample belongs to a declared family (histograms: its _bucket, _sum and _count).
  bool declared = typed.count(name) > 0;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    declared |= absl::EndsWith(name, suffix) &&
                typed.count(name.substr(0, name.size() - strlen(suffix))) > 0;
  }
  EXPECT_TRUE(declared) << line;
  samples_[Key(name, labels)] = value;
}

}  // namespace hotspot::testing
