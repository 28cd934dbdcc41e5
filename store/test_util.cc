#include "store/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace hotspot::store::testing {

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/hotspot-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ProposedEvent MakeEvent(std::string payload) {
  ProposedEvent event;
  event.type = "test.Event";
  event.payload = std::move(payload);
  return event;
}

StreamAppend OneEvent(std::string stream, ExpectedVersion expected, std::string payload) {
  StreamAppend append;
  append.stream = std::move(stream);
  append.expected = expected;
  append.events.push_back(MakeEvent(std::move(payload)));
  return append;
}

}  // namespace hotspot::store::testing
