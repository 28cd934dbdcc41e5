// Helpers for the store's tests: temporary directories and events.
#ifndef HOTSPOT_STORE_TEST_UTIL_H_
#define HOTSPOT_STORE_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

// A tmpfs of `size` (e.g. "4m") mounted on a fresh directory for the object's life, and unmounted
// (lazily, MNT_DETACH) by the destructor: a real file system that fills up (issue 15 §2).
// Mounting needs root or CAP_SYS_ADMIN (CI has it); without it error() says so.
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& size);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  // Empty once mounted; else why it is not.
  const std::string& error() const { return error_; }
  // A path on the tmpfs that does not exist yet.
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }

 private:
  TempDir dir_;
  std::string error_;
};

// True if some file under `dir` whose name ends with `suffix` holds `bytes`: whether data deleted
// from a store is still on its disk.
bool AnyFileHolds(const std::string& dir, absl::string_view bytes, absl::string_view suffix = "");

// Writes the file `path` until its file system is full (to the last byte). The bytes written;
// 0 if the file cannot be created.
uint64_t Fill(const std::string& path);

// Calls `write` until it returns OK, for at most `timeout` (a store that recovers by itself
// retries with a backoff); its last status.
absl::Status UntilOk(const std::function<absl::Status()>& write,
                     absl::Duration timeout = absl::Seconds(10));

// An event of type "test.Event" with the given payload and a store-generated id.
ProposedEvent MakeEvent(std::string payload);

// One stream with one event.
StreamAppend OneEvent(std::string stream, ExpectedVersion expected, std::string payload = "x");

// Damage done through RocksDB directly, while no store has `dir` open ("behind the store's
// back"): what a disk or an intruder could do. `change` rewrites the value of `key` in the column
// `family` (given "" if there is none); returning false deletes the key instead. The error of
// RocksDB's open or write.
absl::Status DamageBehindTheStoresBack(const std::string& dir, const std::string& family,
                                       const std::string& key,
                                       const std::function<bool(std::string&)>& change);

// The "log" family's key of `position` (fixed64, big-endian).
std::string PositionKey(uint64_t position);

// Rewrites the stored record at `position`, one bit of byte `offset` flipped (OUT_OF_RANGE if the
// record is shorter).
absl::Status FlipByteBehindTheStoresBack(const std::string& dir, uint64_t position,
                                         size_t offset);

// Flips one bit of the byte at `fraction` (0 to 1) of the newest write-ahead log file (*.log) of
// the database in `dir`, while no store has it open: a WAL damaged at rest. Returns the file's
// name; NOT_FOUND if `dir` holds no WAL file, INTERNAL if it cannot be rewritten.
absl::StatusOr<std::string> FlipWriteAheadLogByte(const std::string& dir, double fraction);

}  // namespace hotspot::store::testing

#endif  // HOTSPOT_STORE_TEST_UTIL_H_
