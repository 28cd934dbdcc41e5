// The one place where RocksDB statuses become absl statuses (the store's and the key store's).
//
// kNotFound -> NOT_FOUND, kCorruption -> DATA_LOSS, kInvalidArgument -> INVALID_ARGUMENT,
// kNotSupported -> UNIMPLEMENTED, kBusy/kTimedOut/kTryAgain/kShutdownInProgress -> UNAVAILABLE,
// kIOError -> RESOURCE_EXHAUSTED when out of space, UNAVAILABLE when another process holds the
// database's lock, INTERNAL otherwise; anything else -> INTERNAL. The message starts with
// `context`. Thread-safety: a pure function.
#ifndef HOTSPOT_STORE_ROCKS_STATUS_H_
#define HOTSPOT_STORE_ROCKS_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace hotspot::store::internal {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context);

// Writes a RocksDB checkpoint of `db` (hard links where it can) to `directory`, which must not
// exist: the one way the event store, the key store and the access log copy themselves.
absl::Status WriteCheckpoint(rocksdb::DB* db, const std::string& directory);

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_ROCKS_STATUS_H_
