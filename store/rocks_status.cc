#include "store/rocks_status.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/utilities/checkpoint.h"

namespace hotspot::store::internal {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(message);
    case rocksdb::Status::kIOError:
      if (s.subcode() == rocksdb::Status::kNoSpace) return absl::ResourceExhaustedError(message);
      // Another process holds the database's LOCK file.
      if (absl::StrContains(s.ToString(), "lock")) return absl::UnavailableError(message);
      return absl::InternalError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status WriteCheckpoint(rocksdb::DB* db, const std::string& directory) {
  rocksdb::Checkpoint* raw = nullptr;
  if (absl::Status started =
          FromRocks(rocksdb::Checkpoint::Create(db, &raw), "starting a checkpoint");
      !started.ok()) {
    return started;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(directory),
                   absl::StrCat("writing a checkpoint to ", directory));
}

}  // namespace hotspot::store::internal
