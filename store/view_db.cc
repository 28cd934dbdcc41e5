#include "store/view_db.h"

#include <algorithm>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::store {

using internal::FromRocks;

class ViewDb::Table {
 public:
  Table(rocksdb::ColumnFamilyHandle* handle, std::string name)
      : handle(handle), name(std::move(name)) {}
  rocksdb::ColumnFamilyHandle* const handle;
  const std::string name;
  bool dropped = false;  // guarded by Impl::mu
};

namespace {

rocksdb::Slice SliceOf(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ViewOf(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// The tables' rows are derived from the log: written without the write-ahead log, flushed
// together (atomic_flush), so that a crash leaves an earlier, consistent moment.
rocksdb::WriteOptions DerivedWrites() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return options;
}

absl::StatusOr<std::optional<std::string>> GetFrom(rocksdb::DB& db,
                                                   const rocksdb::ReadOptions& read,
                                                   rocksdb::ColumnFamilyHandle* family,
                                                   absl::string_view key) {
  std::string value;
  const rocksdb::Status s = db.Get(read, family, SliceOf(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading a view row"));
  return value;
}

}  // namespace

struct ViewDb::Impl {
  std::shared_ptr<MemoryBudget> memory;
  std::unique_ptr<rocksdb::DB> db;
  mutable absl::Mutex mu;
  std::deque<Table> tables ABSL_GUARDED_BY(mu);  // every family opened or created; stable
  rocksdb::ColumnFamilyHandle* meta = nullptr;    // the default family

  rocksdb::ColumnFamilyOptions FamilyOptions() const {
    rocksdb::ColumnFamilyOptions family;
    memory->ApplyTo(family);
    return family;
  }

  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu) {
    std::vector<rocksdb::ColumnFamilyHandle*> live{meta};
    {
      absl::MutexLock lock(&mu);
      for (const Table& t : tables) {
        if (!t.dropped) live.push_back(t.handle);
      }
    }
    return FromRocks(db->Flush(rocksdb::FlushOptions(), live), "flushing the views");
  }

  ~Impl() {
    if (!db) return;
    Flush().IgnoreError();  // closing flushes too, if anything is left
    absl::MutexLock lock(&mu);
    for (Table& t : tables) db->DestroyColumnFamilyHandle(t.handle);
    db->DestroyColumnFamilyHandle(meta);
    db->Close().PermitUncheckedError();  // nothing to do with an error while closing
  }
};

struct ViewDb::Batch::Rep {
  rocksdb::WriteBatch write;
  absl::Status status;  // the first error staging a write
  void Staged(const rocksdb::Status& s) {
    if (status.ok() && !s.ok()) status = FromRocks(s, "staging a view row");
  }
};

ViewDb::Batch::Batch() : rep_(std::make_unique<Rep>()) {}
ViewDb::Batch::~Batch() = default;
void ViewDb::Batch::Put(const Table* table, absl::string_view key, absl::string_view value) {
  rep_->Staged(rep_->write.Put(table->handle, SliceOf(key), SliceOf(value)));
}
void ViewDb::Batch::Delete(const Table* table, absl::string_view key) {
  rep_->Staged(rep_->write.Delete(table->handle, SliceOf(key)));
}
void ViewDb::Batch::PutMeta(absl::string_view key, absl::string_view value) {
  rep_->Staged(rep_->write.Put(SliceOf(key), SliceOf(value)));
}
bool ViewDb::Batch::empty() const { return rep_->write.Count() == 0; }

struct ViewDb::Snapshot::Rep {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snapshot;
  rocksdb::ReadOptions read;
  ~Rep() { db->ReleaseSnapshot(snapshot); }
};

ViewDb::Snapshot::Snapshot(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ViewDb::Snapshot::~Snapshot() = default;

absl::StatusOr<std::optional<std::string>> ViewDb::Snapshot::Get(const Table* table,
                                                                 absl::string_view key) const {
  return GetFrom(*rep_->db, rep_->read, table->handle, key);
}

absl::Status ViewDb::Snapshot::Scan(
    const Table* table, absl::string_view from,
    const std::function<bool(absl::string_view, absl::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> rows(rep_->db->NewIterator(rep_->read, table->handle));
  for (rows->Seek(SliceOf(from)); rows->Valid(); rows->Next()) {
    if (!visit(ViewOf(rows->key()), ViewOf(rows->value()))) break;
  }
  return FromRocks(rows->status(), "scanning a view");
}

ViewDb::ViewDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ViewDb::~ViewDb() = default;

absl::StatusOr<std::unique_ptr<ViewDb>> ViewDb::Open(ViewDbOptions options,
                                                     const std::string& directory) {
  auto impl = std::make_unique<Impl>();
  impl->memory = MemoryBudget::Or(std::move(options.memory));
  // Every family the database has must be opened.
  std::vector<std::string> families;
  const rocksdb::Status listed =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory, &families);
  if (!listed.ok()) families = {rocksdb::kDefaultColumnFamilyName};
  const rocksdb::ColumnFamilyOptions family_options = impl->FamilyOptions();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) descriptors.emplace_back(name, family_options);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.atomic_flush = true;  // see DerivedWrites()
  // The MANIFEST is written anew (with the tables as they stand) at every change of the files
  // after it passed this size, and the old one deleted: it names the first and last keys of
  // every file it has recorded, so a purge must not leave it behind. The files change seldom
  // (flushes, compactions), so this costs a few kilobytes each time.
  db_options.max_manifest_file_size = 1;
  impl->memory->ApplyTo(db_options);
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, directory, descriptors, &handles, &db),
                            absl::StrCat("opening the views in ", directory)));
  impl->db.reset(db);
  absl::MutexLock lock(&impl->mu);
  for (size_t i = 0; i < handles.size(); ++i) {
    if (families[i] == rocksdb::kDefaultColumnFamilyName) {
      impl->meta = handles[i];
    } else {
      impl->tables.emplace_back(handles[i], families[i]);
    }
  }
  return std::unique_ptr<ViewDb>(new ViewDb(std::move(impl)));
}

std::vector<ViewDb::Table*> ViewDb::Tables() const {
  absl::MutexLock lock(&impl_->mu);
  std::vector<Table*> out;
  for (Table& t : impl_->tables) {
    if (!t.dropped) out.push_back(&t);
  }
  return out;
}

ViewDb::Table* ViewDb::Find(absl::string_view name) const {
  absl::MutexLock lock(&impl_->mu);
  for (Table& t : impl_->tables) {
    if (!t.dropped && t.name == name) return &t;
  }
  return nullptr;
}

const std::string& ViewDb::NameOf(const Table* table) { return table->name; }

absl::StatusOr<ViewDb::Table*> ViewDb::CreateTable(absl::string_view name) {
  if (name.empty() || name == rocksdb::kDefaultColumnFamilyName) {
    return absl::InvalidArgumentError(absl::StrCat("table: the name \"", name, "\" is reserved"));
  }
  if (Find(name) != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("table: ", name, " exists already"));
  }
  rocksdb::ColumnFamilyHandle* family = nullptr;
  RETURN_IF_ERROR(FromRocks(
      impl_->db->CreateColumnFamily(impl_->FamilyOptions(), std::string(name), &family),
      "creating a view table"));
  absl::MutexLock lock(&impl_->mu);
  return &impl_->tables.emplace_back(family, std::string(name));
}

absl::Status ViewDb::DropTable(Table* table) {
  RETURN_IF_ERROR(FromRocks(impl_->db->DropColumnFamily(table->handle), "dropping a view table"));
  absl::MutexLock lock(&impl_->mu);
  table->dropped = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ViewDb::Get(const Table* table,
                                                       absl::string_view key) const {
  return GetFrom(*impl_->db, rocksdb::ReadOptions(), table->handle, key);
}

absl::StatusOr<std::optional<std::string>> ViewDb::GetMeta(absl::string_view key) const {
  return GetFrom(*impl_->db, rocksdb::ReadOptions(), impl_->meta, key);
}

absl::Status ViewDb::PutDurableMeta(absl::string_view key, absl::string_view value) {
  // The rows written before it are in the memtables only (no write-ahead log): flushed first,
  // so that what the meta row says about them holds after a crash.
  RETURN_IF_ERROR(Flush());
  rocksdb::WriteOptions synced;
  synced.sync = true;
  return FromRocks(impl_->db->Put(synced, SliceOf(key), SliceOf(value)), "writing a view meta row");
}

absl::Status ViewDb::PutLoggedMeta(absl::string_view key, absl::string_view value) {
  return FromRocks(impl_->db->Put(rocksdb::WriteOptions(), SliceOf(key), SliceOf(value)),
                   "writing a view meta row");
}

absl::Status ViewDb::Write(Batch& batch) {
  RETURN_IF_ERROR(batch.rep_->status);
  return FromRocks(impl_->db->Write(DerivedWrites(), &batch.rep_->write), "writing views");
}

std::unique_ptr<ViewDb::Snapshot> ViewDb::TakeSnapshot() const {
  auto rep = std::make_unique<Snapshot::Rep>();
  rep->db = impl_->db.get();
  rep->snapshot = impl_->db->GetSnapshot();
  rep->read.snapshot = rep->snapshot;
  return std::unique_ptr<Snapshot>(new Snapshot(std::move(rep)));
}

absl::Status ViewDb::Flush() { return impl_->Flush(); }

absl::Status ViewDb::Purge(const std::vector<const Table*>& tables) {
  if (tables.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (const Table* table : tables) {
    RETURN_IF_ERROR(FromRocks(impl_->db->CompactRange(compact, table->handle, nullptr, nullptr),
                              "purging a view's deleted rows"));
  }
  // A new MANIFEST starts with the files as they stood before the change it records: one more
  // change (a flush of a marker row) starts one without the purged files.
  RETURN_IF_ERROR(FromRocks(impl_->db->Put(DerivedWrites(), "purged",
                                           absl::StrCat(absl::ToUnixMicros(absl::Now()))),
                            "marking a purge"));
  return Flush();
}

}  // namespace hotspot::store
