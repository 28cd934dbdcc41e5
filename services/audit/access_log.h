// AccessLog: who read which youth's data, when, and why. Every answer that shows a youth's data
// (case queries, the audit's history and as-of, subscriptions that unseal, the auditors' reads
// of this log) is recorded here before it leaves the server, and so is every refused attempt;
// a read whose record cannot be written fails instead of being answered.
//
// Purposes: the code stands in clear; the caller's free text is sealed (field "access_purpose")
// so that it reads as erased on every record of its call once any youth the call showed is
// erased. A call with a CallSeal (every parsed purpose with a text) seals it once, at its first
// answer, under a key of its own ("call-<UUIDv7>", KeyStore::NewDependentSubject) linked to the
// youths of that answer, and links the youths of each later answer to it (a stream's batches);
// without one, each Record() seals it for its own records: under the youth's key if they name
// one youth, else under a key of its own linked to each. A youth already erased stops the text
// being kept from then on. Records written before call keys existed hold the text under their
// youth's key and read as before. A record that names no youth (a refused list of another area),
// a refusal, or an id that is no youth's keeps the code only.
//
// Retention: records older than AccessLogOptions::retention are deleted, with their index
// entries, at open and every purge_interval.
//
// Storage. A store::KvStore of its own (RocksDB, <data_dir>/access), apart from the event log: reads are not
// events of the case, and logging them must not slow down or lengthen the case history.
//   "r" seq(8, BE)                      -> AccessRecord
//   "y" youth_id 0x00 seq(8, BE)        -> ""   (per youth)
//   "p" person 0x00 seq(8, BE)          -> ""   (per person)
//   "a" area 0x00 seq(8, BE)            -> ""   (per area: the records filed under one)
//   "b" area 0x00 person 0x00 seq(8, BE) -> ""  (per area and person)
//   "m/area-index"                      -> "1"  (the two above cover every record)
// A record is filed under its own area_id. A log written before the area indexes existed is
// indexed once at open; a record of it that names a youth but no area is filed under the
// youth's case's area (AccessLogOptions::area_of_youth), which is then written into it.
// One answer's records are one batch; concurrent answers' batches are merged by RocksDB's group
// commit into one write of its write-ahead log.
//
// Durability. By default (a zero `sync_interval`) Record() returns once the records are fsync'ed
// (concurrent Record()s share one fsync: RocksDB's group commit): a read that was answered keeps
// its record through a crash of hotspotd and through a power loss (access_log_power_loss_test).
// With a positive interval Record() returns once they are in the write-ahead log file, which a
// crash of hotspotd does not lose, and the file is fsync'ed every `sync_interval` (and on
// close), which bounds what a power loss can take.
//
// Failure (the RocksDB engine of store::KvStore, store::internal::RecoveringDb). A write or fsync that fails (an I/O error, a full
// disk) fails its Record() (INTERNAL; RESOURCE_EXHAUSTED for a full disk), and every Record()
// after it fails at once with that error, until the log has recovered by itself, without a
// restart: on the next Record() (then at most every 10 ms, doubling up to 1 s, while it still
// fails) it writes and fsyncs a probe file, and once the disk takes it, closes its database and
// opens it again, and that Record() goes on. A Record() that failed may have left its records in
// the write-ahead log, and they are then in the log after the reopening (a record of a read that
// was not answered; a gap in the sequence still marks one, too); every answered read keeps its
// record. Reads (List, exports) go on throughout, except that an export running across a
// reopening answers UNAVAILABLE ("start it again"): its snapshot is gone.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_AUDIT_ACCESS_LOG_H_
#define HOTSPOT_SERVICES_AUDIT_ACCESS_LOG_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hotspot/v1/audit_service.pb.h"
#include "services/rpc/pull_writer.h"
#include "services/security/disclosures.h"
#include "services/security/principal.h"
#include "services/security/sealer.h"
#include "store/kv_store.h"
#include "store/memory_budget.h"

namespace hotspot::audit {

struct AccessLogOptions {
  // How often the write-ahead log is fsync'ed; zero: before every Record() returns, so that
  // a read that was answered keeps its record through a power loss. Default: zero.
  absl::Duration sync_interval = absl::ZeroDuration();
  // How long a record is kept; zero or less: for ever. Default: 1,826 days (five years, the
  // case records' own retention, so that a data subject can still learn who read the case).
  absl::Duration retention = absl::Hours(24 * 1826);
  // How often records past retention are looked for. Default: 1 hour.
  absl::Duration purge_interval = absl::Hours(1);
  // Seals the purposes' free texts (not owned; must outlive the log). Null: free texts are not
  // kept. Default: null.
  security::Sealer* sealer = nullptr;
  // Stamps `at`, and "now" for retention. Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
  // The area of a youth's case ("" if it has none), for indexing, at open, records of an older
  // log that name a youth but no area. Default: null (such records stay under no area).
  std::function<absl::StatusOr<std::string>(absl::string_view youth_id)> area_of_youth;
  // The memory budget its RocksDB caches and memtables count against (see store::MemoryBudget).
  // Default: null, store::MemoryBudget::ProcessDefault().
  std::shared_ptr<store::MemoryBudget> memory;
  // The RocksDB environment (file system, threads); not owned, must outlive the log. For tests
  // that inject faults (a power loss). Default: nullptr, RocksDB's default environment.
  rocksdb::Env* env = nullptr;
};

class AccessLog final : public security::AccessRecorder {
 public:
  // Opens (creating) the log in `directory`, indexing an older log by area first (see Storage).
  // INTERNAL for I/O errors; UNAVAILABLE if another process holds it; area_of_youth's error;
  // DATA_LOSS for a record that does not parse.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(AccessLogOptions options,
                                                         const std::string& directory);
  // Stops the sync thread, fsyncs and closes.
  ~AccessLog() override;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Fills in who, the call and the purpose (the free text sealed), stamps each record with the
  // next sequence number and the time, and writes them as one batch (see Durability). The error
  // of the sealing or the write, if one fails: nothing is written then, and its sequence numbers
  // stay unused (a concurrent Record() numbered after it may be written first), so a gap in the
  // sequence marks a read that was not answered.
  absl::Status Record(const security::Principal& who, absl::string_view call,
                      const security::Purpose& purpose,
                      std::vector<v1::AccessRecord> records) override;

  // Deletes the records past retention now; how many. INTERNAL for I/O errors, DATA_LOSS for a
  // record that does not parse.
  absl::StatusOr<uint64_t> Purge();

  // The areas whose records a reader of a person's records or of the whole log is given:
  // std::nullopt for every record; else those filed under one of them (see Storage), read
  // through the area indexes, so that no other area's record is read. A youth's records are
  // all given (whose they are is checked before).
  using Areas = std::optional<std::vector<std::string>>;

  // A page of records of one youth or one person (exactly one given), oldest first, as stored
  // (purpose_text sealed), of `areas`. INVALID_ARGUMENT naming the field for bad input.
  absl::StatusOr<v1::ListAccessRecordsResponse> List(const v1::ListAccessRecordsRequest& request,
                                                     const Areas& areas = std::nullopt) const;

  // An export, read one batch at a time (a resumable cursor: a snapshot of the log, and the
  // last record given). Not thread-safe: one Next() at a time. The log must outlive it.
  class Exporter {
   public:
    ~Exporter();  // releases the snapshot
    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    // Fills `response` with the next batch, with the records given so far and the total.
    // rpc::Pull::kLast for the last batch (an empty one if there is no record), kNone once
    // everything was given; INTERNAL / DATA_LOSS for the log's errors.
    absl::StatusOr<rpc::Pull> Next(v1::ExportAccessLogResponse& response);

   private:
    friend class AccessLog;
    Exporter(const AccessLog* log, std::vector<std::string> prefixes, size_t batch)
        : log_(log), prefixes_(std::move(prefixes)), batch_(batch) {}
    const AccessLog* const log_;
    // Answers UNAVAILABLE once a reopening released it (see Failure).
    std::unique_ptr<store::KvSnapshot> snapshot_;
    const std::vector<std::string> prefixes_;  // the indexes read, merged by sequence
    const size_t batch_;
    uint64_t total_ = 0;
    uint64_t after_ = 0;  // the sequence of the last record given
    uint64_t sent_ = 0;
    bool done_ = false;
  };

  // Every record (of the youth or person, if one is given) of `areas`, oldest first, as stored,
  // in batches of up to `batch` records, from one snapshot, with the count of those records as
  // the total (counted from the index keys when it starts). INVALID_ARGUMENT naming the field
  // for bad input.
  absl::StatusOr<std::unique_ptr<Exporter>> StartExport(const v1::ExportAccessLogRequest& request,
                                                        size_t batch,
                                                        const Areas& areas = std::nullopt) const;

  // StartExport, then passes its batches to `send`, which returns false to stop, or an error
  // that ends the export with it.
  absl::Status Export(const v1::ExportAccessLogRequest& request, size_t batch,
                      const std::function<absl::StatusOr<bool>(v1::ExportAccessLogResponse&)>& send,
                      const Areas& areas = std::nullopt) const;

  // Writes a consistent copy of the log to `directory`, which must not exist. INTERNAL for I/O
  // errors, RESOURCE_EXHAUSTED for a full disk; while the log refuses writes (see Failure), its
  // failure (a checkpoint flushes, which must not touch a failed database).
  absl::Status Checkpoint(const std::string& directory);

  // The sequence number of the last record written; 0 if none.
  uint64_t last_sequence() const;

  // How many records the reads (List, exports) have parsed since open: each read parses the
  // records it gives and, for a page, one more.
  uint64_t records_parsed() const;

 private:
  struct Impl;
  explicit AccessLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotspot::audit

#endif  // HOTSPOT_SERVICES_AUDIT_ACCESS_LOG_H_
