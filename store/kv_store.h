// KvStore: an ordered map of byte strings that keeps what it acknowledged through a crash and a
// power loss: the persistence of the stores beside the event log (the key store, the access
// log). Keys compare as unsigned bytes.
//
// Engines.
//   - OpenRocksKvStore: an embedded RocksDB of its own (default column family only), which
//     recovers from failed writes by itself (internal::RecoveringDb: see there for "Failure").
//   - OpenPgKvStore: one PostgreSQL table (k bytea PRIMARY KEY, v bytea), shared by every node
//     that names it; see PgKvOptions.
//
// Guarantees. A KvBatch is written atomically. A synced write (Write with sync) is durable when it
// returns, and so is every write before it; an unsynced one survives a crash of the process but
// possibly not a power loss until Sync(). Reads see every write acknowledged before them. A read
// at a Snapshot sees one moment: every write before it was taken, none after.
//
// Threading. Safe for concurrent use. A KvReader and the iterators it makes live only inside the
// Read() callback that was given them; the callback must not write (a write may have to reopen
// the database, which waits for every read).
//
// Failure. INTERNAL for an I/O error, RESOURCE_EXHAUSTED for a full disk, DATA_LOSS for
// corruption, UNAVAILABLE while the engine cannot be reached (RocksDB: its reopening failed; a
// snapshot released by a reopening), each message naming the store (Options::name) and what
// was being done.
#ifndef HOTSPOT_STORE_KV_STORE_H_
#define HOTSPOT_STORE_KV_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/memory_budget.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace hotspot::store {

// Puts and deletes to write at once, in order (a later write of a key wins).
class KvBatch {
 public:
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  void Put(absl::string_view key, absl::string_view value) {
    ops_.push_back({std::string(key), std::string(value)});
  }
  void Delete(absl::string_view key) { ops_.push_back({std::string(key), std::nullopt}); }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  std::vector<Op> ops_;
};

// Rows in key order from where it was placed, within one Read() callback.
class KvIterator {
 public:
  virtual ~KvIterator() = default;
  virtual bool Valid() const = 0;
  virtual absl::string_view key() const = 0;  // while Valid()
  virtual absl::string_view value() const = 0;
  virtual void Next() = 0;
  // OK, or the error that ended the iteration (Valid() is false then).
  virtual absl::Status status() const = 0;
};

// The reads of one Read() callback (at its snapshot, if it was given one).
class KvReader {
 public:
  virtual ~KvReader() = default;
  // The value of `key`; nullopt if there is none.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) = 0;
  // An iterator at the first key at or after `from`.
  virtual std::unique_ptr<KvIterator> Seek(absl::string_view from) = 0;
  // The greatest key before `limit`; nullopt if there is none (e.g. the last of a sequence).
  virtual absl::StatusOr<std::optional<std::string>> LastKeyBefore(absl::string_view limit) = 0;
};

// One moment of a store, for reads that must agree over several calls (an export).
class KvSnapshot {
 public:
  virtual ~KvSnapshot() = default;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // Runs `read` with a reader of the latest state, or of `at` (a snapshot of this store), and
  // returns what it returns. UNAVAILABLE (without running it) while the store cannot be read, or
  // if `at` was released by a reopening (see internal::RecoveringDb).
  virtual absl::Status Read(const KvSnapshot* at,
                            const std::function<absl::Status(KvReader&)>& read) const = 0;
  // A snapshot of the latest state. UNAVAILABLE while the store cannot be read.
  virtual absl::StatusOr<std::unique_ptr<KvSnapshot>> TakeSnapshot() const = 0;

  // Writes `batch` atomically; `sync`: durable when it returns (see Guarantees). `context` says
  // what is written, for the error. An empty batch writes nothing (but a synced one syncs).
  virtual absl::Status Write(const KvBatch& batch, bool sync, absl::string_view context) = 0;
  // Makes every write acknowledged so far durable.
  virtual absl::Status Sync() = 0;
  // Makes the values deleted or overwritten so far leave every file of the store (an erasure's
  // keys): RocksDB flushes, compacts to the last level and retires the old write-ahead logs.
  virtual absl::Status Purge() = 0;
  // Writes a consistent copy of the store to `directory`, which must not exist (INVALID_ARGUMENT
  // if it does), after a Sync().
  virtual absl::Status Checkpoint(const std::string& directory) = 0;

  // How many times the store lost state it had answered reads from (RocksDB: reopened after a
  // failed write, which may have reached its log after all): what was read before may have
  // changed, and a cache of it is to be read again.
  virtual uint64_t generation() const = 0;
};

struct RocksKvOptions {
  // What the errors call the store, e.g. "the key store". Required.
  std::string name;
  // Create the database if it is missing; else INVALID_ARGUMENT for a directory without one.
  // Default: true.
  bool create_if_missing = true;
  // The memory budget its caches and memtables count against. Default: null,
  // MemoryBudget::ProcessDefault().
  std::shared_ptr<MemoryBudget> memory;
  // RocksDB's environment (file system, threads); not owned, must outlive the store. For tests
  // that inject faults (a power loss). Default: nullptr, RocksDB's default.
  rocksdb::Env* env = nullptr;
};

// Opens (creating, as allowed) the RocksDB engine in `directory`. INVALID_ARGUMENT for a missing
// database that may not be created; UNAVAILABLE if another process holds it; INTERNAL for I/O
// errors; DATA_LOSS if it is corrupt.
absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(RocksKvOptions options,
                                                          const std::string& directory);

struct PgKvOptions {
  // What the errors call the store, e.g. "the key store". Required.
  std::string name;
  // libpq's connection string. For a cluster, every host and target_session_attrs=read-write,
  // so that a reconnection after a failover finds the new primary. Required.
  std::string conninfo;
  // The table, [a-z0-9_]; created if missing. Required.
  std::string table;
};

// Opens the PostgreSQL engine: the table `options.table` (created if missing), over one
// connection of its own (and one per snapshot). Its semantics:
//   - A write is one transaction (its puts and deletes in one round trip, pipelined). A synced
//     write commits with synchronous_commit on: once it returns, it is on the primary's disk and
//     (with synchronous replication) a standby's. An unsynced one commits with it off; Sync()
//     commits a transaction that waits for every commit before it to be flushed.
//   - Reads outside a snapshot see every committed write; an iterator reads 256 rows at a time,
//     each page as the table is then (RocksDB's sees one moment: take a snapshot for that). A
//     snapshot is a REPEATABLE READ, read-only transaction on a connection of its own, kept until
//     it is destroyed.
//   - A lost connection (the primary failed over, the server restarted) answers UNAVAILABLE and
//     is made again on the next call (a read is not repeated: its callback runs once); a write whose commit was cut off may or may not have been
//     committed (writes of KvBatch are idempotent: write it again). generation() counts the
//     connections made again.
//   - Purge() runs VACUUM FULL on the table: it is rewritten into new files without the deleted
//     rows (UNAVAILABLE if it waits over 10 s for the table's lock). A deleted row that an open
//     transaction can still see (another node's snapshot, an export running) is copied along:
//     it leaves the files at the next Purge() after that transaction ends. PostgreSQL's write-ahead log, its archive and base backups still hold them until they
//     are recycled or expire (the README's "Where an erased key can still be").
//   - Checkpoint() is UNIMPLEMENTED: a PostgreSQL cluster is backed up with its own tools
//     (pgBackRest).
// INVALID_ARGUMENT naming the field for a missing name, conninfo or a bad table name;
// UNAVAILABLE if no server takes the connection; INTERNAL if the table cannot be made.
absl::StatusOr<std::unique_ptr<KvStore>> OpenPgKvStore(PgKvOptions options);

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_KV_STORE_H_
