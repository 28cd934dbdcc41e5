// The RocksDB engine of KvStore: an internal::RecoveringDb, its snapshots released (and then
// answered UNAVAILABLE) when a reopening closes the database.
#include <algorithm>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "store/kv_store.h"
#include "store/recovering_db.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::store {
namespace {

using internal::FromRocks;
using internal::RecoveringDb;

rocksdb::Slice SliceOf(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ViewOf(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

class RocksIterator final : public KvIterator {
 public:
  RocksIterator(std::unique_ptr<rocksdb::Iterator> it, std::string name)
      : it_(std::move(it)), name_(std::move(name)) {}
  bool Valid() const override { return it_->Valid(); }
  absl::string_view key() const override { return ViewOf(it_->key()); }
  absl::string_view value() const override { return ViewOf(it_->value()); }
  void Next() override { it_->Next(); }
  absl::Status status() const override {
    return FromRocks(it_->status(), absl::StrCat("reading ", name_));
  }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  const std::string name_;
};

class RocksReader final : public KvReader {
 public:
  RocksReader(rocksdb::DB& db, const rocksdb::Snapshot* snapshot, const std::string& name)
      : db_(db), name_(name) {
    read_.snapshot = snapshot;
  }
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    std::string value;
    const rocksdb::Status s = db_.Get(read_, SliceOf(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    RETURN_IF_ERROR(FromRocks(s, absl::StrCat("reading ", name_)));
    return value;
  }
  std::unique_ptr<KvIterator> Seek(absl::string_view from) override {
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(read_));
    it->Seek(SliceOf(from));
    return std::make_unique<RocksIterator>(std::move(it), name_);
  }
  absl::StatusOr<std::optional<std::string>> LastKeyBefore(absl::string_view limit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(read_));
    it->SeekForPrev(SliceOf(limit));
    if (it->Valid() && it->key() == SliceOf(limit)) it->Prev();
    RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("reading ", name_)));
    if (!it->Valid()) return std::nullopt;
    return it->key().ToString();
  }

 private:
  rocksdb::DB& db_;
  rocksdb::ReadOptions read_;
  const std::string& name_;
};

class RocksKvStore;

class RocksSnapshot final : public KvSnapshot {
 public:
  explicit RocksSnapshot(RocksKvStore* store) : store_(store) {}
  ~RocksSnapshot() override;
  // Null once released by a reopening; set and read holding the database.
  const rocksdb::Snapshot* snapshot = nullptr;

 private:
  RocksKvStore* const store_;
};

class RocksKvStore final : public KvStore {
 public:
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(RocksKvOptions options,
                                                       const std::string& directory) {
    auto store = std::unique_ptr<RocksKvStore>(new RocksKvStore(options.name));
    RecoveringDb::Options db_options;
    db_options.name = options.name;
    db_options.db.create_if_missing = options.create_if_missing;
    if (options.env != nullptr) db_options.db.env = options.env;
    db_options.memory = std::move(options.memory);
    // A reopening closes the database: the snapshots taken from it go with it.
    db_options.before_close = [raw = store.get()](rocksdb::DB& db) { raw->ReleaseAll(db); };
    ASSIGN_OR_RETURN(store->db_, RecoveringDb::Open(std::move(db_options), directory));
    return store;
  }

  ~RocksKvStore() override { db_.reset(); }  // fsyncs and closes

  absl::Status Read(const KvSnapshot* at,
                    const std::function<absl::Status(KvReader&)>& read) const override {
    return db_->Read([&](rocksdb::DB& db) -> absl::Status {
      const rocksdb::Snapshot* snapshot = nullptr;
      if (at != nullptr) {
        snapshot = static_cast<const RocksSnapshot*>(at)->snapshot;
        if (snapshot == nullptr) {
          return absl::UnavailableError(absl::StrCat(
              name_, " was reopened after a failed write, which released the snapshot being "
                     "read: start the read again"));
        }
      }
      RocksReader reader(db, snapshot, name_);
      return read(reader);
    });
  }

  absl::StatusOr<std::unique_ptr<KvSnapshot>> TakeSnapshot() const override {
    auto taken = std::make_unique<RocksSnapshot>(const_cast<RocksKvStore*>(this));
    RETURN_IF_ERROR(db_->Read([&](rocksdb::DB& db) {
      taken->snapshot = db.GetSnapshot();
      absl::MutexLock lock(&snapshots_mu_);
      snapshots_.insert(taken.get());
      return absl::OkStatus();
    }));
    return taken;
  }

  void Release(RocksSnapshot* snapshot) {
    // Released while the database is held (no reopening releases it meanwhile); a reopening
    // released it already if no database is open.
    db_->Read([&](rocksdb::DB& db) {
          if (snapshot->snapshot != nullptr) db.ReleaseSnapshot(snapshot->snapshot);
          snapshot->snapshot = nullptr;
          return absl::OkStatus();
        })
        .IgnoreError();
    absl::MutexLock lock(&snapshots_mu_);
    snapshots_.erase(snapshot);
  }

  absl::Status Write(const KvBatch& batch, bool sync, absl::string_view context) override {
    rocksdb::WriteBatch write;
    for (const KvBatch::Op& op : batch.ops()) {
      const rocksdb::Status staged = op.value.has_value()
                                         ? write.Put(SliceOf(op.key), SliceOf(*op.value))
                                         : write.Delete(SliceOf(op.key));
      RETURN_IF_ERROR(FromRocks(staged, absl::StrCat("staging ", context)));
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    if (write.Count() == 0) return sync ? db_->SyncWal() : absl::OkStatus();
    return db_->Write(options, &write, context);
  }

  absl::Status Sync() override { return db_->SyncWal(); }

  absl::Status Purge() override {
    // Flushing retires the write-ahead log that held the old values, and a forced bottommost
    // compaction rewrites every table without them.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    RETURN_IF_ERROR(db_->WritePath(absl::StrCat("flushing ", name_),
                                   [&](rocksdb::DB& db) { return db.Flush(flush); }));
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return db_->WritePath(absl::StrCat("compacting ", name_), [&](rocksdb::DB& db) {
      return db.CompactRange(compact, nullptr, nullptr);
    });
  }

  absl::Status Checkpoint(const std::string& directory) override {
    return db_->Checkpoint(directory);
  }

  uint64_t generation() const override { return db_->generation(); }

 private:
  explicit RocksKvStore(std::string name) : name_(std::move(name)) {}

  // Before a reopening closes `db` (held exclusively): every snapshot is released.
  void ReleaseAll(rocksdb::DB& db) {
    absl::MutexLock lock(&snapshots_mu_);
    for (RocksSnapshot* snapshot : snapshots_) {
      if (snapshot->snapshot != nullptr) db.ReleaseSnapshot(snapshot->snapshot);
      snapshot->snapshot = nullptr;
    }
  }

  const std::string name_;
  std::unique_ptr<RecoveringDb> db_;
  mutable absl::Mutex snapshots_mu_;
  mutable absl::flat_hash_set<RocksSnapshot*> snapshots_ ABSL_GUARDED_BY(snapshots_mu_);
};

RocksSnapshot::~RocksSnapshot() { store_->Release(this); }

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKvStore(RocksKvOptions options,
                                                          const std::string& directory) {
  if (options.name.empty()) return absl::InvalidArgumentError("name: required");
  return RocksKvStore::Open(std::move(options), directory);
}

}  // namespace hotspot::store
