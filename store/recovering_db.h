// RecoveringDb: a RocksDB database (default column family only) that survives failed writes,
// failed fsyncs and a full disk without a restart; for the stores beside the event log (the key
// store, the access log). The event store does the same with its own writer thread.
//
// Failure. A write, fsync, flush or compaction that fails fails only its own call, and marks the
// database failed: from then on no call reaches RocksDB's write path (after its error, the state
// of the write-ahead log on disk is unknown, and Debian's RocksDB asserts on a sync after a failed
// one), and writes fail at once with the error (RESOURCE_EXHAUSTED for a full disk, INTERNAL for
// an I/O error). It recovers by itself, without a restart: on the first write after the failure,
// then at most every `min_backoff`, doubling up to `max_backoff` while it still fails, a write
// writes and fsyncs a probe file beside the database; once the disk takes it, the database is
// closed and opened again (RocksDB replays its write-ahead log, which is fsync'ed then), and
// that write goes on. What a failed write left in the log may be there after the reopening: its
// caller was told it failed, so nothing unacknowledged is ever relied on, and nothing
// acknowledged is lost.
// Reads go on meanwhile, from the database as it was; the reopening holds the database
// exclusively for the moment it takes. If it fails, the database is opened read-only until the
// next try; should even that fail, a read tries the reopening itself (with the same backoff) and
// answers UNAVAILABLE until one succeeds.
// RocksDB's own resumption after a background error is off (it would write to the failed log),
// and its LOG file is written by a logger that ignores write failures (RocksDB's asserts once a
// line failed to reach a full disk).
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_STORE_RECOVERING_DB_H_
#define HOTSPOT_STORE_RECOVERING_DB_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "store/memory_budget.h"

namespace hotspot::store::internal {

// Sets `options` so that a failed write never aborts the process: no automatic resumption after
// a background error, and RocksDB's info log written through `info_log` (made on first use; keep
// it over every reopening), a logger whose failed writes lose the line, nothing else. Creates
// `directory` if options.create_if_missing is set. A background error (a failed flush,
// compaction or manifest write) is handed to `on_background_error` as it happens, on RocksDB's
// thread: the store is to refuse writes and recover from then on, not learn of it from its next
// write. It must be quick and must not call into the database. Default: none.
void PrepareForFaults(const std::string& directory, rocksdb::Options& options,
                      std::shared_ptr<rocksdb::Logger>& info_log,
                      std::function<void(const absl::Status&)> on_background_error = nullptr);

// Writes and fsyncs a file of 256 KiB beside the database in `directory` through `env`'s file
// system (null: the default), and deletes it: whether the disk takes writes again.
// RESOURCE_EXHAUSTED for a full disk, INTERNAL for another I/O error.
absl::Status ProbeDisk(rocksdb::Env* env, const std::string& directory);

class RecoveringDb {
 public:
  struct Options {
    // What RocksDB is opened with (PrepareForFaults is applied to it). Default: RocksDB's.
    rocksdb::Options db;
    // What the errors call the store, e.g. "the key store". Required.
    std::string name;
    // The backoff between reopening attempts while the disk still fails. Default: 10 ms, 1 s.
    absl::Duration min_backoff = absl::Milliseconds(10);
    absl::Duration max_backoff = absl::Seconds(1);
    // Runs just before the database is closed for a reopening (e.g. to release snapshots taken
    // from it), with the database held exclusively. Default: nothing.
    std::function<void(rocksdb::DB&)> before_close;
    // The memory budget the database's caches and memtables count against.
    // Default: null, MemoryBudget::ProcessDefault().
    std::shared_ptr<MemoryBudget> memory;
  };

  // Opens the database in `directory`. RocksDB's error (FromRocks) if it does not open.
  static absl::StatusOr<std::unique_ptr<RecoveringDb>> Open(Options options,
                                                            const std::string& directory);
  // fsyncs the write-ahead log (unless a write failed since the last reopening) and closes.
  ~RecoveringDb();
  RecoveringDb(const RecoveringDb&) = delete;
  RecoveringDb& operator=(const RecoveringDb&) = delete;

  // Runs `read(db)` with the database held shared (no reopening meanwhile), and returns what it
  // returns (an absl::Status or StatusOr). While no database is open (a reopening failed), it
  // first tries to reopen it, as a write would (at most as often as the backoff allows), so that
  // a store whose callers only read, or read before they write, still recovers by itself;
  // UNAVAILABLE, without running `read`, while that fails.
  template <typename Reader>
  auto Read(Reader&& read) -> decltype(read(std::declval<rocksdb::DB&>())) {
    {
      absl::ReaderMutexLock lock(&db_mu_);
      if (db_ != nullptr) return read(*db_);
    }
    Writable().IgnoreError();  // its failure is answered as UNAVAILABLE below
    absl::ReaderMutexLock lock(&db_mu_);
    if (db_ == nullptr) return Unavailable();
    return read(*db_);
  }

  // Writes `batch`. The failure (see "Failure") if the database failed and could not be reopened
  // yet; else RocksDB's error, as FromRocks(…, context) says, which marks the database failed.
  absl::Status Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
                     absl::string_view context);
  // Any other call of RocksDB's write path (a flush, a compaction), like Write().
  absl::Status WritePath(absl::string_view context,
                         const std::function<rocksdb::Status(rocksdb::DB&)>& call);
  // fsyncs the write-ahead log, like Write(); never concurrently with a write.
  absl::Status SyncWal();
  // Writes a checkpoint (WriteCheckpoint, which flushes the memtables) to `directory`, like
  // Write(): never on a failed database. INVALID_ARGUMENT if `directory` exists.
  absl::Status Checkpoint(const std::string& directory);

  // OK, or the error writes fail with until the database is reopened.
  absl::Status Failure() const;
  // How many times the database was reopened: what was read from it before may have changed
  // (a failed write may have reached the log after all).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  RecoveringDb(Options options, std::string directory);
  absl::Status OpenDatabase(bool read_only) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  void CloseDatabase() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  absl::Status Unavailable() const;
  // OK if writes may go on: no failure, or a reopening now succeeded; else the failure.
  absl::Status Writable();
  absl::Status Reopen();
  // The failure writes get while `cause` keeps the database from being written.
  absl::Status Refusal(const absl::Status& cause) const;
  // Marks the database failed with `error`, unless it failed already; `error`.
  absl::Status Fail(const absl::Status& error);

  const Options options_;
  const std::string directory_;
  std::shared_ptr<rocksdb::Logger> info_log_;  // over every reopening

  // Held shared by every use of the database, exclusively to close and open it.
  mutable absl::Mutex db_mu_;
  rocksdb::DB* db_ ABSL_GUARDED_BY(db_mu_) = nullptr;
  // Held shared by writes, exclusively by SyncWal(), so that a sync never runs after a write
  // failed without seeing its failure.
  absl::Mutex wal_mu_ ABSL_ACQUIRED_AFTER(db_mu_);

  mutable absl::Mutex failure_mu_ ABSL_ACQUIRED_AFTER(wal_mu_);
  absl::Status failure_ ABSL_GUARDED_BY(failure_mu_);
  bool reopening_ ABSL_GUARDED_BY(failure_mu_) = false;
  absl::Time next_try_ ABSL_GUARDED_BY(failure_mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(failure_mu_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_RECOVERING_DB_H_
