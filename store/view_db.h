// ViewDb: the storage of what this node derives from the event log (the views' rows, their
// checkpoints, the erasure executor's checkpoint): ordered key-value tables of byte strings and a
// few named meta rows, on this node's own disk. Whatever engine holds the log (embedded, or
// PostgreSQL shared by several nodes), each node keeps its own ViewDb, built from the log.
//
// Tables. A table is an ordered map of byte strings (keys compared as unsigned bytes), made with
// CreateTable and dropped with DropTable (a view's rebuild builds a new table beside the live one,
// then drops the old). Meta rows are a map of their own, beside the tables.
//
// Guarantees. A Batch is written atomically: its rows and meta rows all, or none. The writes skip
// the engine's write-ahead log and every table is flushed together, so a crash rolls the whole
// database back to an earlier moment at which it was consistent (rows and checkpoints of one
// moment), from which the views catch up from the log. A durable meta row (PutDurableMeta) is
// synced before the call returns, with every write before it. Reads through a Snapshot see one
// moment: every batch written before it, none after.
// Purge() makes deleted rows leave every file of the database (for erasures): the memtables are
// flushed, the tables compacted down to their last level, and a new MANIFEST (which names each
// file's first and last keys) written without the old files.
//
// On disk. A RocksDB of its own (hotspotd: <data_dir>/views): the meta rows in the default column
// family, each table a column family named after it; atomic_flush on, max_manifest_file_size 1.
//
// Threading. Safe for concurrent use, except that a Table must not be dropped while it is used.
// A Table* stays valid (and names its table) until the ViewDb is destroyed, dropped or not.
//
// Failure. Every method returns the engine's error as store::internal::FromRocks maps it
// (INTERNAL for I/O errors, RESOURCE_EXHAUSTED for a full disk, DATA_LOSS for corruption); a
// failed write leaves what was written before it.
#ifndef HOTSPOT_STORE_VIEW_DB_H_
#define HOTSPOT_STORE_VIEW_DB_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/memory_budget.h"

namespace hotspot::store {

struct ViewDbOptions {
  // The memory budget the database's caches and memtables count against.
  // Default: null, MemoryBudget::ProcessDefault().
  std::shared_ptr<MemoryBudget> memory;
};

class ViewDb {
 public:
  class Table;  // opaque: a table's handle, owned by the ViewDb

  // Opens (creating) the database in `directory`, with every table it holds. INTERNAL for I/O
  // errors; UNAVAILABLE if another process holds it; DATA_LOSS if it is corrupt.
  static absl::StatusOr<std::unique_ptr<ViewDb>> Open(ViewDbOptions options,
                                                      const std::string& directory);
  // Flushes what is not flushed yet and closes.
  ~ViewDb();
  ViewDb(const ViewDb&) = delete;
  ViewDb& operator=(const ViewDb&) = delete;

  // Every table not dropped, in no particular order.
  std::vector<Table*> Tables() const;
  // The table of this name; nullptr if there is none.
  Table* Find(absl::string_view name) const;
  static const std::string& NameOf(const Table* table);
  // A new, empty table. INVALID_ARGUMENT for an empty name or one in use; an I/O error.
  absl::StatusOr<Table*> CreateTable(absl::string_view name);
  // Drops the table and its rows (the handle stays valid, names it, and reads nothing).
  absl::Status DropTable(Table* table);

  // A row; nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> Get(const Table* table, absl::string_view key) const;
  // A meta row; nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> GetMeta(absl::string_view key) const;
  // Writes a meta row and syncs it, with everything written before: for what must hold after a
  // crash (which generation serves a view).
  absl::Status PutDurableMeta(absl::string_view key, absl::string_view value);
  // Writes a meta row through the write-ahead log, unsynced: it survives a crash of the process
  // (not always a power loss), whatever the tables do. For a checkpoint of work that is costly to
  // do again (the erasure executor's).
  absl::Status PutLoggedMeta(absl::string_view key, absl::string_view value);

  // Rows and meta rows to write at once (see Guarantees). A later write of a key wins.
  class Batch {
   public:
    Batch();
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    void Put(const Table* table, absl::string_view key, absl::string_view value);
    void Delete(const Table* table, absl::string_view key);
    void PutMeta(absl::string_view key, absl::string_view value);
    bool empty() const;

   private:
    friend class ViewDb;
    struct Rep;
    std::unique_ptr<Rep> rep_;
  };
  absl::Status Write(Batch& batch);

  // One moment of the database, for reads that must agree (a scan and the rows it points at).
  // Must not outlive the ViewDb.
  class Snapshot {
   public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    absl::StatusOr<std::optional<std::string>> Get(const Table* table,
                                                   absl::string_view key) const;
    // Visits the rows of `table` from `from` on, in key order, until `visit` returns false.
    // `visit` may call Get() of this snapshot.
    absl::Status Scan(const Table* table, absl::string_view from,
                      const std::function<bool(absl::string_view key,
                                               absl::string_view value)>& visit) const;

   private:
    friend class ViewDb;
    struct Rep;
    explicit Snapshot(std::unique_ptr<Rep> rep);
    std::unique_ptr<Rep> rep_;
  };
  std::unique_ptr<Snapshot> TakeSnapshot() const;

  // Flushes every table and the meta rows together.
  absl::Status Flush();
  // Makes the rows deleted from `tables` leave every file (see Guarantees). Costly: for erasures.
  absl::Status Purge(const std::vector<const Table*>& tables);

 private:
  struct Impl;
  explicit ViewDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_VIEW_DB_H_
