#include "services/projections/projector.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "google/protobuf/arena.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

using store::ViewDb;
using Table = store::ViewDb::Table;

std::string CheckpointKey(absl::string_view view) { return absl::StrCat("checkpoint/", view); }

// The rows a batch writes, as one ViewDb::Batch, and, per view (table), the rows written as
// bytes while the batch is applied, so that the batch reads its own writes.
class Batch {
 public:
  using Overlay = absl::flat_hash_map<std::string, std::optional<std::string>>;

  explicit Batch(ViewDb* db) : db_(db) {}

  Overlay& Of(const Table* table) { return overlays_[table]; }
  ViewDb* db() const { return db_; }
  ViewDb::Batch& rows() { return write_; }

  // Every row written, plus `meta` (the checkpoints), in one write.
  absl::Status Write(const std::vector<std::pair<std::string, std::string>>& meta) {
    for (const auto& [key, value] : meta) write_.PutMeta(key, value);
    return db_->Write(write_);
  }

 private:
  ViewDb* const db_;
  ViewDb::Batch write_;
  absl::node_hash_map<const Table*, Overlay> overlays_;  // stable references
};

// A view's rows in the batch being built, read through to the database. Every write goes to the
// batch as it comes (a later write of a key wins); the rows written as bytes before Flush() are
// kept in the overlay too, for the batch's own reads.
class BatchRows final : public Rows {
 public:
  BatchRows(Batch* batch, const Table* table)
      : db_(batch->db()), table_(table), write_(batch->rows()), rows_(batch->Of(table)) {}

 protected:
  absl::StatusOr<std::optional<std::string>> Load(absl::string_view key) override {
    if (auto it = rows_.find(key); it != rows_.end()) return it->second;
    return db_->Get(table_, key);
  }
  void Store(absl::string_view key, absl::string_view value) override {
    write_.Put(table_, key, value);
    if (!flushing()) rows_[key] = std::string(value);
  }
  void Erase(absl::string_view key) override {
    write_.Delete(table_, key);
    if (!flushing()) rows_[key] = std::nullopt;
  }

 private:
  ViewDb* const db_;
  const Table* const table_;
  ViewDb::Batch& write_;
  Batch::Overlay& rows_;
};

}  // namespace

absl::Status ParseEvent(const store::RecordedEvent& recorded, v1::Event* event) {
  if (!event->ParseFromString(recorded.payload)) {
    return absl::DataLossError(
        absl::StrCat("the event at position ", recorded.position, " is not a hotspot.v1.Event"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Event> ParseEvent(const store::RecordedEvent& recorded) {
  v1::Event event;
  RETURN_IF_ERROR(ParseEvent(recorded, &event));
  return event;
}

namespace {

std::string ActiveKey(absl::string_view view) { return absl::StrCat("active/", view); }
constexpr char kGenerationSeparator = '@';

// Notes `table` as one to purge after the batch (View::Purges), once.
void AddPurge(std::vector<const Table*>& purge, const Table* table) {
  if (std::find(purge.begin(), purge.end(), table) == purge.end()) purge.push_back(table);
}

}  // namespace

struct Projector::Impl {
  ProjectorOptions options;
  store::EventStore* events = nullptr;
  std::vector<std::unique_ptr<View>> views;
  std::shared_ptr<ViewDb> db;

  // Each view's checkpoint: a view applies only events after its own (a view added later
  // catches up from 0 while the others skip what they have). Owned by the loop thread.
  std::vector<uint64_t> checkpoints;

  // The table each view is served from (a rebuild swaps it). Written by the loop thread only,
  // under `families_mu`; readers take it shared.
  mutable absl::Mutex families_mu;
  std::vector<Table*> active ABSL_GUARDED_BY(families_mu);

  struct Rebuild {
    size_t view = 0;
    Table* table = nullptr;
    uint64_t cursor = 0;  // events up to here applied to `family`
  };

  mutable absl::Mutex mu;
  uint64_t position ABSL_GUARDED_BY(mu) = 0;  // the lowest checkpoint
  absl::Status error ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::optional<Rebuild> rebuild ABSL_GUARDED_BY(mu);
  std::vector<RebuildProgress> rebuilds ABSL_GUARDED_BY(mu);  // done or running, for Status
  std::unique_ptr<store::Subscription> subscription;

  // Waiters (OnReached) by (position, ticket); `tickets` maps a ticket to its position.
  using Reached = absl::AnyInvocable<void(absl::Status) &&>;
  std::map<std::pair<uint64_t, uint64_t>, Reached> waiters ABSL_GUARDED_BY(mu);
  std::map<uint64_t, uint64_t> tickets ABSL_GUARDED_BY(mu);
  uint64_t next_ticket ABSL_GUARDED_BY(mu) = 1;

  // Takes out the waiters that `position` (or `error`: every one) lets go, to be called with
  // the result outside the lock.
  std::vector<Reached> Due() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<Reached> due;
    for (auto it = waiters.begin();
         it != waiters.end() && (it->first.first <= position || !error.ok());) {
      tickets.erase(it->first.second);
      due.push_back(std::move(it->second));
      it = waiters.erase(it);
    }
    return due;
  }
  // Calls `due` with the result of waiting.
  static void Call(std::vector<Reached> due, const absl::Status& status) {
    for (Reached& reached : due) std::move(reached)(status);
  }

  // The reader thread reads and parses batches ahead of the loop thread, which applies them.
  struct Parsed {
    store::SubscriptionBatch batch;
    std::unique_ptr<google::protobuf::Arena> arena;  // owns the events
    std::vector<v1::Event*> events;                  // batch.events, parsed
    size_t applied = 0;                              // of them, applied to the views
  };
  static constexpr size_t kReadAhead = 2;  // parsed batches waiting, at most
  // The batches the loop thread has taken from the queue and not applied in full yet. Owned by
  // the loop thread.
  std::deque<absl::StatusOr<Parsed>> pending;
  absl::Mutex queue_mu;
  std::deque<absl::StatusOr<Parsed>> queue ABSL_GUARDED_BY(queue_mu);
  bool queue_closed ABSL_GUARDED_BY(queue_mu) = false;  // stopping

  std::thread reader;
  std::thread thread;

  Table* Family(size_t view) const {
    absl::ReaderMutexLock lock(&families_mu);
    return active[view];
  }
  absl::StatusOr<const Table*> FamilyOf(absl::string_view name) const {
    for (size_t i = 0; i < views.size(); ++i) {
      if (views[i]->name() == name) return Family(i);
    }
    return absl::NotFoundError(absl::StrCat("no view ", name));
  }

  // Names the calling thread and sets its nice value (options.nice); a failure to is kept in
  // `priority`.
  void StartThread(const char* name) {
    pthread_setname_np(pthread_self(), name);
    if (options.nice == 0) return;
    const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), options.nice) == 0) return;
    const int error = errno;
    absl::MutexLock lock(&mu);
    priority = absl::PermissionDeniedError(absl::StrCat(
        "the views' threads keep the process's priority: nice ", options.nice, " refused (",
        std::generic_category().message(error), "); allow it with RLIMIT_NICE (systemd: LimitNICE=", options.nice,
        ") or CAP_SYS_NICE"));
  }
  absl::Status priority ABSL_GUARDED_BY(mu);

  void Read();
  void Loop();
  // Applies the pending events to every view in one write: from the first pending batch on,
  // until options.batch_time has passed (one event at least), a batch that reached the log's
  // head or the pending batches end, or one is an error. Returns the position every view has then reached (0: nothing was applied).
  absl::StatusOr<uint64_t> ApplyPending();
  absl::Status RebuildStep();
};

absl::StatusOr<uint64_t> Projector::Impl::ApplyPending() {
  Batch write(db.get());
  std::deque<BatchRows> rows;  // not movable
  for (size_t i = 0; i < views.size(); ++i) rows.emplace_back(&write, Family(i));
  std::vector<const Table*> purge;
  std::vector<Parsed> done;  // freed after the write, outside any lock
  uint64_t last = 0;
  const absl::Time start = absl::Now();
  bool spent = false;
  while (!spent && !pending.empty() && pending.front().ok()) {
    Parsed& parsed = *pending.front();
    const store::SubscriptionBatch& batch = parsed.batch;
    while (parsed.applied < batch.events.size()) {
      const size_t e = parsed.applied++;
      const store::RecordedEvent& recorded = *batch.events[e];
      for (size_t i = 0; i < views.size(); ++i) {
        if (recorded.position <= checkpoints[i]) continue;
        RETURN_IF_ERROR(views[i]->Apply(recorded, *parsed.events[e], rows[i]));
        if (views[i]->Purges(*parsed.events[e])) AddPurge(purge, Family(i));
      }
      last = recorded.position;
      if (absl::Now() - start >= options.batch_time) {
        spent = true;
        break;
      }
    }
    if (parsed.applied == batch.events.size()) {
      last = batch.checkpoint - 1;  // every event before the batch's checkpoint is in it
      // At the log's head: written at once, not held for the next batch.
      if (batch.caught_up) spent = true;
      done.push_back(std::move(parsed));
      pending.pop_front();
    }
  }
  if (last == 0) return 0;
  for (BatchRows& view_rows : rows) view_rows.Flush();
  std::vector<std::pair<std::string, std::string>> staged;
  for (const auto& view : views)
    staged.emplace_back(CheckpointKey(view->name()), absl::StrCat(last));
  RETURN_IF_ERROR(write.Write(staged));
  for (uint64_t& checkpoint : checkpoints) checkpoint = std::max(checkpoint, last);
  // An error stops the projection; the rows are deleted all the same, their bytes left to
  // RocksDB's own compactions.
  RETURN_IF_ERROR(db->Purge(purge));
  return last;
}

// Applies the next chunk of the log to the view being rebuilt; once it has reached the live
// views' position, swaps it in (the old family is dropped). Runs on the loop thread, between
// live batches, so the swap never races a live write.
absl::Status Projector::Impl::RebuildStep() {
  Rebuild r;
  uint64_t live;
  {
    absl::MutexLock lock(&mu);
    if (!rebuild.has_value()) return absl::OkStatus();
    r = *rebuild;
    live = checkpoints[r.view];
  }
  if (r.cursor < live) {
    ASSIGN_OR_RETURN(
        const std::vector<store::RecordedEvent> chunk,
        events->ReadAll(r.cursor + 1, store::Direction::kForward, options.batch_events));
    Batch write(db.get());
    BatchRows rows(&write, r.table);
    v1::Event event;
    std::vector<const Table*> purge;
    for (const store::RecordedEvent& recorded : chunk) {
      if (recorded.position > live) break;
      RETURN_IF_ERROR(ParseEvent(recorded, &event));
      RETURN_IF_ERROR(views[r.view]->Apply(recorded, event, rows));
      if (views[r.view]->Purges(event)) AddPurge(purge, r.table);
      r.cursor = recorded.position;
    }
    rows.Flush();
    RETURN_IF_ERROR(write.Write({}));
    RETURN_IF_ERROR(db->Purge(purge));
  }
  absl::MutexLock lock(&mu);
  rebuild->cursor = r.cursor;
  RebuildProgress& progress = rebuilds.back();
  progress.position = r.cursor;
  progress.target = live;
  if (r.cursor < live) return absl::OkStatus();
  // Caught up: serve the new table from now on. The rows are flushed (with every checkpoint)
  // before the switch is written: a crash after it finds the new table at least where the
  // switch said.
  const std::string name = views[r.view]->name();
  RETURN_IF_ERROR(db->PutDurableMeta(ActiveKey(name), ViewDb::NameOf(r.table)));
  Table* old;
  {
    absl::WriterMutexLock families(&families_mu);
    old = active[r.view];
    active[r.view] = r.table;
  }
  RETURN_IF_ERROR(db->DropTable(old));
  progress.done = true;
  rebuild.reset();
  return absl::OkStatus();
}

void Projector::Impl::Read() {
  for (;;) {
    absl::StatusOr<store::SubscriptionBatch> batch =
        subscription->Next(options.batch_events, absl::Milliseconds(200));
    absl::StatusOr<Parsed> parsed = absl::UnknownError("unset");
    if (!batch.ok()) {
      parsed = batch.status();
    } else {
      if (batch->events.empty()) continue;  // nothing new
      parsed = Parsed{std::move(*batch), std::make_unique<google::protobuf::Arena>(), {}};
      for (const auto& recorded : parsed->batch.events) {
        v1::Event* event = google::protobuf::Arena::CreateMessage<v1::Event>(parsed->arena.get());
        const absl::Status ok = ParseEvent(*recorded, event);
        if (!ok.ok()) {
          parsed = ok;
          break;
        }
        parsed->events.push_back(event);
      }
    }
    const bool failed = !parsed.ok();
    absl::MutexLock lock(&queue_mu);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu) {
      return queue.size() < kReadAhead || queue_closed;
    };
    queue_mu.Await(absl::Condition(&room));
    if (queue_closed) return;
    queue.push_back(std::move(parsed));
    if (failed) return;  // the loop thread reports it
  }
}

void Projector::Impl::Loop() {
  for (;;) {
    bool rebuilding;
    {
      absl::MutexLock lock(&mu);
      rebuilding = rebuild.has_value();
    }
    // Takes what the reader has parsed (at most kReadAhead batches pending). Waits for it only
    // when nothing is pending, and not while rebuilding: a rebuild chunk follows every (possibly
    // empty) write.
    {
      absl::MutexLock lock(&queue_mu);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu) {
        return !queue.empty() || queue_closed;
      };
      if (pending.empty()) {
        queue_mu.AwaitWithTimeout(absl::Condition(&ready),
                                  rebuilding ? absl::ZeroDuration() : absl::Milliseconds(200));
      }
      if (queue_closed) return;
      while (!queue.empty() && pending.size() < kReadAhead) {
        pending.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    // Fault injection for tests: the batch waits while the hold lasts.
    while (!pending.empty() && options.hold && options.hold()) {
      {
        absl::MutexLock lock(&queue_mu);
        if (queue_closed) return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    absl::Status applied;
    std::vector<Reached> due;
    if (!pending.empty()) {
      absl::StatusOr<uint64_t> reached = ApplyPending();
      if (reached.ok() && *reached == 0 && !pending.front().ok()) {
        reached = pending.front().status();  // a batch the reader could not read or parse
      }
      applied = reached.status();
      if (applied.ok()) {
        absl::MutexLock lock(&mu);
        position = std::max(position, *reached);
        due = Due();
      }
    }
    Call(std::move(due), absl::OkStatus());
    if (applied.ok()) applied = RebuildStep();
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
      if (applied.ok()) continue;
      error = applied;  // visible in Status(); WaitFor() and the waiters answer it
      due = Due();
    }
    Call(std::move(due), applied);
    return;
  }
}

Projector::Projector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Projector::~Projector() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
  }
  {
    absl::MutexLock lock(&impl_->queue_mu);
    impl_->queue_closed = true;
  }
  if (impl_->subscription) impl_->subscription->Cancel();
  if (impl_->reader.joinable()) impl_->reader.join();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::vector<Impl::Reached> left;
  {
    absl::MutexLock lock(&impl_->mu);
    for (auto& [key, reached] : impl_->waiters) left.push_back(std::move(reached));
    impl_->waiters.clear();
    impl_->tickets.clear();
  }
  Impl::Call(std::move(left), absl::UnavailableError("the views are closing"));
}

absl::StatusOr<std::unique_ptr<Projector>> Projector::Open(ProjectorOptions options,
                                                           store::EventStore* events,
                                                           std::vector<std::unique_ptr<View>> views,
                                                           const std::string& directory) {
  store::ViewDbOptions db_options;
  db_options.memory = options.memory;
  ASSIGN_OR_RETURN(std::unique_ptr<ViewDb> db, ViewDb::Open(std::move(db_options), directory));
  return Open(std::move(options), events, std::move(views), std::move(db));
}

absl::StatusOr<std::unique_ptr<Projector>> Projector::Open(ProjectorOptions options,
                                                           store::EventStore* events,
                                                           std::vector<std::unique_ptr<View>> views,
                                                           std::shared_ptr<ViewDb> db) {
  if (views.empty()) return absl::InvalidArgumentError("views: none given");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->events = events;
  impl->db = std::move(db);

  // A view's table is named after it, or "<view>@<generation>" once rebuilt.
  for (const auto& view : views) {
    if (std::count_if(views.begin(), views.end(),
                      [&](const auto& v) { return v->name() == view->name(); }) > 1) {
      return absl::InvalidArgumentError(absl::StrCat("views: two named ", view->name()));
    }
    if (view->name().find(kGenerationSeparator) != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("views: a name may not contain '",
                                                     std::string(1, kGenerationSeparator),
                                                     "': ", view->name()));
    }
  }
  // Each view's active table; a rebuild cut short by a restart left a table nobody serves,
  // which is dropped (the rebuild has to be asked for again).
  std::vector<Table*> active;
  for (const auto& view : views) {
    ASSIGN_OR_RETURN(const std::optional<std::string> switched,
                     impl->db->GetMeta(ActiveKey(view->name())));
    Table* table = impl->db->Find(switched.value_or(view->name()));
    if (table == nullptr && switched.has_value()) {
      return absl::DataLossError(
          absl::StrCat("views: the table ", *switched, " of ", view->name(), " is missing"));
    }
    if (table == nullptr) {
      ASSIGN_OR_RETURN(table, impl->db->CreateTable(view->name()));
    }
    active.push_back(table);
  }
  // Every other table is an unfinished rebuild's, or that of a view no longer served (renamed
  // when its rows changed shape, e.g. cases.v3 for cases.v5): its rows are derived and would
  // only linger, copies of the youths' data that nobody reads; dropped.
  for (Table* table : impl->db->Tables()) {
    if (std::find(active.begin(), active.end(), table) != active.end()) continue;
    RETURN_IF_ERROR(impl->db->DropTable(table));
  }
  {
    absl::WriterMutexLock lock(&impl->families_mu);
    impl->active = std::move(active);
  }

  uint64_t from = UINT64_MAX;
  for (const auto& view : views) {
    ASSIGN_OR_RETURN(const std::optional<std::string> value,
                     impl->db->GetMeta(CheckpointKey(view->name())));
    uint64_t checkpoint = 0;
    if (value.has_value()) {
      if (!absl::SimpleAtoi(*value, &checkpoint)) {
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
  // Named, so that an operator's `top -H` tells them apart from the server's other threads.
  absl::Notification reader_started, loop_started;
  impl->reader = std::thread([raw, &reader_started] {
    raw->StartThread("views-read");
    reader_started.Notify();
    raw->Read();
  });
  impl->thread = std::thread([raw, &loop_started] {
    raw->StartThread("views-apply");
    loop_started.Notify();
    raw->Loop();
  });
  reader_started.WaitForNotification();
  loop_started.WaitForNotification();
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

uint64_t Projector::OnReached(uint64_t position,
                              absl::AnyInvocable<void(absl::Status) &&> reached) const {
  absl::Status now;
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->position < position && impl_->error.ok()) {
      const uint64_t ticket = impl_->next_ticket++;
      impl_->waiters.emplace(std::make_pair(position, ticket), std::move(reached));
      impl_->tickets.emplace(ticket, position);
      return ticket;
    }
    now = impl_->error;
  }
  std::move(reached)(now);
  return 0;
}

bool Projector::Forget(uint64_t ticket) const {
  Impl::Reached dropped;  // destroyed outside the lock
  absl::MutexLock lock(&impl_->mu);
  const auto it = impl_->tickets.find(ticket);
  if (it == impl_->tickets.end()) return false;
  const auto waiter = impl_->waiters.find(std::make_pair(it->second, ticket));
  dropped = std::move(waiter->second);
  impl_->waiters.erase(waiter);
  impl_->tickets.erase(it);
  return true;
}

absl::StatusOr<std::optional<std::string>> Projector::Get(absl::string_view view,
                                                          absl::string_view key) const {
  ASSIGN_OR_RETURN(const Table* const table, impl_->FamilyOf(view));
  return impl_->db->Get(table, key);
}

absl::Status Projector::Scan(absl::string_view view, absl::string_view prefix,
                             const std::function<bool(absl::string_view, absl::string_view)>& visit,
                             absl::string_view start) const {
  ASSIGN_OR_RETURN(const Table* const table, impl_->FamilyOf(view));
  return impl_->db->TakeSnapshot()->Scan(
      table, start > prefix ? start : prefix,
      [&](absl::string_view key, absl::string_view value) {
        return key.substr(0, prefix.size()) == prefix && visit(key, value);
      });
}

absl::Status Projector::ScanIndex(
    absl::string_view view, absl::string_view prefix, absl::string_view after,
    absl::string_view last, const std::function<std::string(absl::string_view)>& target,
    const std::function<bool(absl::string_view, absl::string_view)>& visit) const {
  ASSIGN_OR_RETURN(const Table* const table, impl_->FamilyOf(view));
  const std::unique_ptr<ViewDb::Snapshot> snapshot = impl_->db->TakeSnapshot();
  absl::Status status;
  const absl::Status scanned = snapshot->Scan(
      table, after > prefix ? after : prefix, [&](absl::string_view key, absl::string_view) {
        if (key.substr(0, prefix.size()) != prefix) return false;
        if (!last.empty() && key > last) return false;
        if (!after.empty() && key <= after) return true;
        const std::string row = target(key);
        absl::StatusOr<std::optional<std::string>> value = snapshot->Get(table, row);
        if (!value.ok()) {
          status = value.status();
        } else if (!value->has_value()) {
          status = absl::DataLossError(absl::StrCat("view row ", key, " stands for no row ", row));
        }
        return status.ok() && visit(key, **value);
      });
  return status.ok() ? scanned : status;
}

absl::Status Projector::Rebuild(absl::string_view view) {
  size_t index = impl_->views.size();
  for (size_t i = 0; i < impl_->views.size(); ++i) {
    if (impl_->views[i]->name() == view) index = i;
  }
  if (index == impl_->views.size()) {
    return absl::NotFoundError(absl::StrCat("view: no view ", view));
  }
  absl::MutexLock lock(&impl_->mu);
  if (impl_->rebuild.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "view: ", impl_->views[impl_->rebuild->view]->name(), " is being rebuilt; one at a time"));
  }
  if (!impl_->error.ok()) return impl_->error;
  ASSIGN_OR_RETURN(Table* const table,
                   impl_->db->CreateTable(absl::StrCat(view, std::string(1, kGenerationSeparator),
                                                       absl::ToUnixMicros(absl::Now()))));
  impl_->rebuild = Impl::Rebuild{index, table, 0};
  impl_->rebuilds.push_back(RebuildProgress{std::string(view), 0, 0, false});
  return absl::OkStatus();
}

absl::Status Projector::priority() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->priority;
}

std::vector<RebuildProgress> Projector::Rebuilds() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->rebuilds;
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
  v1::Event event;
  while (next <= position) {
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> batch,
                     events.ReadAll(next, store::Direction::kForward, 1000));
    if (batch.empty()) break;
    for (const store::RecordedEvent& recorded : batch) {
      if (recorded.position > position) break;
      RETURN_IF_ERROR(ParseEvent(recorded, &event));
      RETURN_IF_ERROR(view.Apply(recorded, event, *rows));
      next = recorded.position + 1;
    }
    rows->Flush();
    if (batch.back().position > position) break;
  }
  return absl::OkStatus();
}

}  // namespace hotspot::projections
