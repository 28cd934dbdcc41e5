// Helpers for the store's tests: temporary directories and events.
#ifndef HOTSPOT_STORE_TEST_UTIL_H_
#define HOTSPOT_STORE_TEST_UTIL_H_

#include <string>

#include "store/event_store.h"

namespace hotspot::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory that does not exist yet.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// An event of type "test.Event" with the given payload and a store-generated id.
ProposedEvent MakeEvent(std::string payload);

// One stream with one event.
StreamAppend OneEvent(std::string stream, ExpectedVersion expected, std::string payload = "x");

}  // namespace hotspot::store::testing

#endif  // HOTSPOT_STORE_TEST_UTIL_H_
