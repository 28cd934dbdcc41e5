// MemoryBudget: one bound on the memory RocksDB holds for the databases of a process (the event
// store, the key store, the access log, the views), however large they grow.
//
// What it bounds. Left to its defaults, RocksDB gives every column family its own 8 MiB block
// cache and up to two 64 MiB memtables, and keeps every table's index and filter blocks in memory
// outside any cache, for as long as the table is open (hotspotd keeps all of them open). With
// some twenty column families over four databases that is several hundred MiB that fills as the
// data grows, and the index and filter blocks grow with the data without limit. Under a budget:
// - every table's data, index and filter blocks share one LRU cache of `cache_bytes` (index and
//   filter blocks at high priority; those of level-0 tables pinned while the table lives, which
//   RocksDB keeps few);
// - every memtable is counted against `write_buffer_bytes`: past it, the database being written
//   flushes its largest memtables. The bound is soft: memtables being flushed still count until
//   they are written out.
// RocksDB's other memory (its table readers' small fixed part, iterators' pinned blocks, write
// batches) is not bounded here, nor is the stores' own (caches of stream heads, data keys, live
// events; each has its own option).
//
// Failure. None: a budget only sizes caches. A cache over its capacity evicts; reads go on.
//
// Thread-safety: safe for concurrent use; one budget serves any number of databases at once.
#ifndef HOTSPOT_STORE_MEMORY_BUDGET_H_
#define HOTSPOT_STORE_MEMORY_BUDGET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace rocksdb {
class Cache;
class WriteBufferManager;
struct BlockBasedTableOptions;
struct ColumnFamilyOptions;
struct DBOptions;
}  // namespace rocksdb

namespace hotspot::store {

class MemoryBudget {
 public:
  struct Options {
    // The block cache every table's blocks share. Default: 64 MiB.
    size_t cache_bytes = size_t{64} << 20;
    // All memtables together. Default: 128 MiB.
    size_t write_buffer_bytes = size_t{128} << 20;
  };

  // What the budget holds now.
  struct Usage {
    uint64_t cache_bytes = 0;         // in the block cache, pinned blocks included
    uint64_t cache_pinned_bytes = 0;  // of those, blocks in use or pinned
    uint64_t write_buffer_bytes = 0;  // in memtables, mutable and immutable
  };

  static std::shared_ptr<MemoryBudget> Create(const Options& options);

  // The budget of a store whose options name none: one for the whole process, of the default
  // Options, made on first use.
  static std::shared_ptr<MemoryBudget> ProcessDefault();
  // `named` if not null, else ProcessDefault(): what a store's `memory` option means.
  static std::shared_ptr<MemoryBudget> Or(std::shared_ptr<MemoryBudget> named) {
    return named != nullptr ? std::move(named) : ProcessDefault();
  }

  ~MemoryBudget();
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  Usage usage() const;
  const Options& options() const { return options_; }

  // For the stores: puts a database under the budget. ApplyTo(DBOptions) before opening it, and
  // ApplyTo(table) on the block-based table options of each of its column families (a family
  // whose options keep RocksDB's default table factory: ApplyTo(ColumnFamilyOptions)).
  void ApplyTo(rocksdb::DBOptions& db) const;
  void ApplyTo(rocksdb::BlockBasedTableOptions& table) const;
  void ApplyTo(rocksdb::ColumnFamilyOptions& family) const;

 private:
  explicit MemoryBudget(const Options& options);

  const Options options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers_;
};

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_MEMORY_BUDGET_H_
