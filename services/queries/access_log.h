// AccessLog: who read which youth's data, when, and why. Every answer that shows a youth's data
// (case queries, the audit's history and as-of) is recorded here before it leaves the server;
// a read whose record cannot be written fails instead of being answered.
//
// Storage. A RocksDB of its own (<data_dir>/access), apart from the event log: reads are not
// events of the case, and logging them must not slow down or lengthen the case history.
//   "r" seq(8, BE)                      -> AccessRecord
//   "y" youth_id 0x00 seq(8, BE)        -> ""   (per youth)
//   "p" person 0x00 seq(8, BE)          -> ""   (per person)
// One answer's records are one WriteBatch; concurrent answers' batches are merged by RocksDB's
// group commit into one write of its write-ahead log.
//
// Durability. Record() returns after the records are in the write-ahead log file: a crash of
// hotspotd loses none. The file is fsync'ed every `sync_interval` (and on close), which bounds
// what a power loss or kernel crash can take; with a zero interval every Record() waits for an
// fsync (concurrent ones share it).
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_QUERIES_ACCESS_LOG_H_
#define HOTSPOT_SERVICES_QUERIES_ACCESS_LOG_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "hotspot/v1/audit_service.pb.h"
#include "services/domain/principal.h"

namespace hotspot::queries {

struct AccessLogOptions {
  // How often the write-ahead log is fsync'ed; zero: before every Record() returns.
  // Default: 100 ms.
  absl::Duration sync_interval = absl::Milliseconds(100);
  // Stamps `at`. Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
};

class AccessLog {
 public:
  // Opens (creating) the log in `directory`. INTERNAL for I/O errors; UNAVAILABLE if another
  // process holds it.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(AccessLogOptions options,
                                                         const std::string& directory);
  // Stops the sync thread, fsyncs and closes.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Stamps each record with the next sequence number and the time, and writes them (see
  // Durability). The error of the write, if it fails.
  absl::Status Record(std::vector<v1::AccessRecord> records);

  // A page of records of one youth or one person (exactly one given), oldest first.
  // INVALID_ARGUMENT naming the field for bad input.
  absl::StatusOr<v1::ListAccessRecordsResponse> List(
      const v1::ListAccessRecordsRequest& request) const;

  // Every record (of the youth or person, if one is given), oldest first, in batches of up to
  // `batch` records, from one snapshot; `send` returns false to stop.
  absl::Status Export(const v1::ExportAccessLogRequest& request, size_t batch,
                      const std::function<bool(v1::ExportAccessLogResponse&)>& send) const;

  // Writes a consistent copy of the log to `directory`, which must not exist. INTERNAL for I/O
  // errors.
  absl::Status Checkpoint(const std::string& directory);

  // The sequence number of the last record written; 0 if none.
  uint64_t last_sequence() const;

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The access records an answer calls for: one per youth whose data it shows (a field
// `youth_id`, or an entry of a field `*_youth_ids`, anywhere in it), with
// personal_data_disclosed set if any personal field of the message naming that youth came out
// in clear, and area_id from the `area_id` next to the youth id. Person, purpose and call are for
// the caller to fill in.
std::vector<v1::AccessRecord> ReadsIn(const google::protobuf::Message& answer);

// Records `records` as reads by `who` through `call` for `purpose`.
absl::Status RecordReads(AccessLog& log, const domain::Principal& who, absl::string_view call,
                         const std::string& purpose, std::vector<v1::AccessRecord> records);

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_ACCESS_LOG_H_
