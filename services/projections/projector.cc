#include "services/projections/projector.h"

#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/comparator.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

using store::internal::FromRocks;

std::string CheckpointKey(absl::string_view view) { return absl::StrCat("checkpoint/", view); }

// A view's rows in the batch being built, read through to the database.
class BatchRows final : public Rows {
 public:
  BatchRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, rocksdb::WriteBatchWithIndex* batch)
      : db_(db), cf_(cf), batch_(batch) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    std::string value;
    const rocksdb::Status s = batch_->GetFromBatchAndDB(
        db_, rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::nullopt;
    RETURN_IF_ERROR(FromRocks(s, "reading a view row"));
    return value;
  }
  void Put(absl::string_view key, absl::string_view value) override {
    batch_
        ->Put(cf_, rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()))
        .PermitUncheckedError();  // fails only for oversized keys, which the views never make
  }
  void Delete(absl::string_view key) override {
    batch_->Delete(cf_, rocksdb::Slice(key.data(), key.size())).PermitUncheckedError();
  }

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::WriteBatchWithIndex* const batch_;
};

}  // namespace

absl::StatusOr<v1::Event> ParseEvent(const store::RecordedEvent& recorded) {
  v1::Event event;
  if (!event.ParseFromString(recorded.payload)) {
    return absl::DataLossError(
        absl::StrCat("the event at position ", recorded.position, " is not a hotspot.v1.Event"));
  }
  return event;
}

struct Projector::Impl {
  ProjectorOptions options;
  store::EventStore* events = nullptr;
  std::vector<std::unique_ptr<View>> views;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;                       // all opened families
  absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> by_view;  // view -> family

  // Each view's checkpoint: a view applies only events after its own (a view added later
  // catches up from 0 while the others skip what they have). Written by the loop thread only.
  std::vector<uint64_t> checkpoints;

  mutable absl::Mutex mu;
  uint64_t position ABSL_GUARDED_BY(mu) = 0;  // the lowest checkpoint
  absl::Status error ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::unique_ptr<store::Subscription> subscription;
  std::thread thread;

  ~Impl() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db) db->Close().PermitUncheckedError();  // nothing to do with an error while closing
  }

  void Loop();
  absl::Status ApplyBatch(const store::SubscriptionBatch& batch);
};

absl::Status Projector::Impl::ApplyBatch(const store::SubscriptionBatch& batch) {
  rocksdb::WriteBatchWithIndex write(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  for (const auto& recorded : batch.events) {
    ASSIGN_OR_RETURN(const v1::Event event, ParseEvent(*recorded));
    for (const auto& view : views) {
      BatchRows rows(db.get(), by_view.at(view->name()), &write);
      RETURN_IF_ERROR(view->Apply(*recorded, event, rows));
    }
  }
  const std::string checkpoint = absl::StrCat(batch.checkpoint - 1);
  for (const auto& view : views) {
    RETURN_IF_ERROR(
        FromRocks(write.Put(CheckpointKey(view->name()), checkpoint), "staging a checkpoint"));
  }
  return FromRocks(db->Write(rocksdb::WriteOptions(), write.GetWriteBatch()), "writing views");
}

void Projector::Impl::Loop() {
  for (;;) {
    absl::StatusOr<store::SubscriptionBatch> batch =
        subscription->Next(options.batch_events, absl::Milliseconds(200));
    absl::Status applied = batch.status();
    if (applied.ok() && !batch->events.empty()) applied = ApplyBatch(*batch);
    absl::MutexLock lock(&mu);
    if (stopping) return;
    if (!applied.ok()) {
      error = applied;  // visible in Status(); WaitFor() answers it
      return;
    }
    if (batch->checkpoint > 0 && batch->checkpoint - 1 > position) position = batch->checkpoint - 1;
  }
}

Projector::Projector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Projector::~Projector() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
  }
  if (impl_->subscription) impl_->subscription->Cancel();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<Projector>> Projector::Open(ProjectorOptions options,
                                                           store::EventStore* events,
                                                           std::vector<std::unique_ptr<View>> views,
                                                           const std::string& directory) {
  if (views.empty()) return absl::InvalidArgumentError("views: none given");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->events = events;

  // Every family the database has must be opened, with the views' families added.
  std::vector<std::string> families;
  const rocksdb::Status listed =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory, &families);
  if (!listed.ok()) families = {rocksdb::kDefaultColumnFamilyName};
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  for (const auto& view : views) {
    if (std::count_if(views.begin(), views.end(),
                      [&](const auto& v) { return v->name() == view->name(); }) > 1) {
      return absl::InvalidArgumentError(absl::StrCat("views: two named ", view->name()));
    }
    if (std::find(families.begin(), families.end(), view->name()) == families.end()) {
      descriptors.emplace_back(view->name(), rocksdb::ColumnFamilyOptions());
    }
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  rocksdb::DB* db = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, directory, descriptors, &impl->handles, &db),
                absl::StrCat("opening the views in ", directory)));
  impl->db.reset(db);
  for (size_t i = 0; i < descriptors.size(); ++i) {
    impl->by_view[descriptors[i].name] = impl->handles[i];
  }

  uint64_t from = UINT64_MAX;
  for (const auto& view : views) {
    std::string value;
    const rocksdb::Status s =
        impl->db->Get(rocksdb::ReadOptions(), CheckpointKey(view->name()), &value);
    uint64_t checkpoint = 0;
    if (!s.IsNotFound()) {
      RETURN_IF_ERROR(FromRocks(s, "reading a checkpoint"));
      if (!absl::SimpleAtoi(value, &checkpoint)) {
        return absl::DataLossError(
            absl::StrCat("the checkpoint of ", view->name(), " is malformed"));
      }
    }
    impl->checkpoints.push_back(checkpoint);
    from = std::min(from, checkpoint);
  }
  impl->views = std::move(views);
  {
    absl::MutexLock lock(&impl->mu);
    impl->position = from;
  }
  ASSIGN_OR_RETURN(impl->subscription, events->Subscribe(from + 1, store::SubscriptionFilter()));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<Projector>(new Projector(std::move(impl)));
}

uint64_t Projector::position() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->position;
}

absl::Status Projector::WaitFor(uint64_t position, absl::Time deadline) const {
  absl::MutexLock lock(&impl_->mu);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->mu) {
    return impl_->position >= position || !impl_->error.ok();
  };
  impl_->mu.AwaitWithDeadline(absl::Condition(&reached), deadline);
  if (!impl_->error.ok()) return impl_->error;
  if (impl_->position >= position) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("min_position: the views reached ",
                                                  impl_->position, ", not ", position,
                                                  ", within the deadline"));
}

absl::StatusOr<std::optional<std::string>> Projector::Get(absl::string_view view,
                                                          absl::string_view key) const {
  auto it = impl_->by_view.find(view);
  if (it == impl_->by_view.end()) return absl::NotFoundError(absl::StrCat("no view ", view));
  std::string value;
  const rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), it->second,
                                           rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading a view row"));
  return value;
}

absl::Status Projector::Scan(
    absl::string_view view, absl::string_view prefix,
    const std::function<bool(absl::string_view, absl::string_view)>& visit) const {
  auto it = impl_->by_view.find(view);
  if (it == impl_->by_view.end()) return absl::NotFoundError(absl::StrCat("no view ", view));
  rocksdb::ReadOptions read;
  const rocksdb::Snapshot* snapshot = impl_->db->GetSnapshot();
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> rows(impl_->db->NewIterator(read, it->second));
  for (rows->Seek(rocksdb::Slice(prefix.data(), prefix.size())); rows->Valid(); rows->Next()) {
    const absl::string_view key(rows->key().data(), rows->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, absl::string_view(rows->value().data(), rows->value().size()))) break;
  }
  const absl::Status status = FromRocks(rows->status(), "scanning a view");
  rows.reset();
  impl_->db->ReleaseSnapshot(snapshot);
  return status;
}

std::vector<ViewStatus> Projector::Status(absl::Status* error) const {
  const uint64_t head = impl_->events->HeadPosition();
  absl::MutexLock lock(&impl_->mu);
  if (error != nullptr) *error = impl_->error;
  std::vector<ViewStatus> out;
  // Every view is at least at the lowest checkpoint; the loop thread owns the exact ones.
  for (const auto& view : impl_->views) out.push_back({view->name(), impl_->position, head});
  return out;
}

absl::Status BuildInMemory(const store::EventStore& events, View& view, uint64_t position,
                           MemoryRows* rows) {
  uint64_t next = 1;
  while (next <= position) {
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> batch,
                     events.ReadAll(next, store::Direction::kForward, 1000));
    if (batch.empty()) break;
    for (const store::RecordedEvent& recorded : batch) {
      if (recorded.position > position) return absl::OkStatus();
      ASSIGN_OR_RETURN(const v1::Event event, ParseEvent(recorded));
      RETURN_IF_ERROR(view.Apply(recorded, event, *rows));
      next = recorded.position + 1;
    }
  }
  return absl::OkStatus();
}

}  // namespace hotspot::projections
