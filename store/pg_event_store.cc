#include "store/pg_event_store.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "store/append_plan.h"
#include "store/pg_connection.h"
#include "store/record_codec.h"
#include "store/status_macros.h"

namespace hotspot::store {
namespace {

using internal::EventIdEntry;
using internal::Int64Param;
using internal::PendingAppend;
using internal::PgConnection;
using internal::PgResult;
using internal::PgStatement;

constexpr char kName[] = "the event log (PostgreSQL)";

// One connection and the mutex its users hold; made again when lost.
struct Link {
  absl::Mutex mu;
  std::unique_ptr<PgConnection> connection ABSL_GUARDED_BY(mu);
  // The connection, made again if it was lost. Held: mu.
  absl::StatusOr<PgConnection*> Get() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (connection->broken()) RETURN_IF_ERROR(connection->Reconnect());
    return connection.get();
  }
};

class PgEventStore;

class PgSubscription final : public Subscription {
 public:
  PgSubscription(PgEventStore* store, uint64_t from, SubscriptionFilter filter)
      : store_(store), cursor_(from), filter_(std::move(filter)) {}
  ~PgSubscription() override;
  absl::StatusOr<SubscriptionBatch> Next(size_t max_events, absl::Duration timeout) override;
  void OnReady(absl::AnyInvocable<void(absl::Status) &&> ready) override;
  void Cancel() override;
  uint64_t position() const override { return cursor_; }

 private:
  friend class PgEventStore;
  PgEventStore* const store_;
  uint64_t cursor_;
  const SubscriptionFilter filter_;
  std::atomic<bool> cancelled_{false};
  // Guarded by the store's head_mu.
  absl::AnyInvocable<void(absl::Status) &&> ready_;
};

class PgEventStore final : public EventStore {
 public:
  explicit PgEventStore(PgEventStoreOptions options) : options_(std::move(options)) {
    const std::string& p = options_.prefix;
    log_ = p + "_log";
    ids_ = p + "_event_ids";
    heads_ = p + "_heads";
    head_ = p + "_head";
    channel_ = p + "_appended";
  }

  absl::Status Start() {
    for (Link* link : {&writer_, &reader_}) {
      absl::MutexLock lock(&link->mu);
      ASSIGN_OR_RETURN(link->connection, PgConnection::Connect(options_.conninfo, kName));
    }
    {
      absl::MutexLock lock(&writer_.mu);
      const std::string zero_hash(internal::kHashBytes, '\0');
      absl::Status made;
      // Two nodes creating the tables at once: one may see a unique violation; again.
      for (int attempt = 0; attempt < 2; ++attempt) {
        made = writer_.connection
                   ->Pipeline(
                       "creating its tables",
                       {{absl::StrCat("CREATE TABLE IF NOT EXISTS ", log_,
                                      " (position bigint PRIMARY KEY, stream text NOT NULL, "
                                      "stream_version bigint NOT NULL, record bytea NOT NULL, "
                                      "UNIQUE (stream, stream_version))"),
                         {}},
                        {absl::StrCat("CREATE TABLE IF NOT EXISTS ", ids_,
                                      " (id bytea PRIMARY KEY, entry bytea NOT NULL)"),
                         {}},
                        {absl::StrCat("CREATE TABLE IF NOT EXISTS ", heads_,
                                      " (stream text PRIMARY KEY, version bigint NOT NULL)"),
                         {}},
                        {absl::StrCat("CREATE TABLE IF NOT EXISTS ", head_,
                                      " (one int PRIMARY KEY CHECK (one = 1), position bigint NOT "
                                      "NULL, hash bytea NOT NULL, recorded_at bigint NOT NULL, "
                                      "acknowledged bigint NOT NULL)"),
                         {}},
                        {absl::StrCat("INSERT INTO ", head_,
                                      " VALUES (1, 0, $1::bytea, 0, 0) ON CONFLICT DO NOTHING"),
                         {zero_hash}}})
                   .status();
        if (!absl::IsAlreadyExists(made)) break;
      }
      RETURN_IF_ERROR(made);
    }
    RETURN_IF_ERROR(RefreshHead());
    listener_ = std::thread([this] { Listen(); });
    writer_thread_ = std::thread([this] { WriterLoop(); });
    return absl::OkStatus();
  }

  ~PgEventStore() override {
    {
      absl::MutexLock lock(&queue_mu_);
      stopping_ = true;
    }
    if (writer_thread_.joinable()) writer_thread_.join();
    stop_listener_.store(true);
    if (listener_.joinable()) listener_.join();
    std::vector<absl::AnyInvocable<void(absl::Status) &&>> ready;
    {
      absl::MutexLock lock(&head_mu_);
      closing_ = true;
      for (PgSubscription* s : subscriptions_) {
        if (s->ready_) ready.push_back(std::move(s->ready_));
        s->ready_ = nullptr;
      }
    }
    for (auto& r : ready) std::move(r)(absl::CancelledError("the event log is closing"));
  }

  // --- Appends -----------------------------------------------------------------------------

  void AppendAsync(std::vector<StreamAppend> appends, AppendCallback done) override {
    absl::StatusOr<std::unique_ptr<PendingAppend>> pending =
        internal::PrepareAppend(options_.limits, std::move(appends));
    if (!pending.ok()) {
      std::move(done)(pending.status());
      return;
    }
    (*pending)->done = std::move(done);
    absl::MutexLock lock(&queue_mu_);
    if (stopping_ || queue_.size() >= options_.limits.max_queued_appends) {
      AppendCallback refused = std::move((*pending)->done);
      queue_mu_.Unlock();
      std::move(refused)(absl::UnavailableError(
          absl::StrCat(kName, ": ", stopping_ ? "closing" : "too many appends waiting")));
      queue_mu_.Lock();
      return;
    }
    queue_.push_back(*std::move(pending));
  }

  absl::StatusOr<AppendResult> Append(std::vector<StreamAppend> appends) override {
    absl::Mutex mu;
    std::optional<absl::StatusOr<AppendResult>> out;
    AppendAsync(std::move(appends), [&](absl::StatusOr<AppendResult> result) {
      absl::MutexLock lock(&mu);
      out = std::move(result);
    });
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::optional<absl::StatusOr<AppendResult>>* o) { return o->has_value(); }, &out));
    return *std::move(out);
  }

  // --- Reads -------------------------------------------------------------------------------

  absl::StatusOr<std::vector<RecordedEvent>> ReadAll(uint64_t from_position, Direction direction,
                                                     size_t limit) const override {
    if (limit == 0) return absl::InvalidArgumentError("limit: must be at least 1");
    limit = std::min(limit, options_.limits.max_read_events);
    const uint64_t head = HeadPosition();
    std::string where;
    if (direction == Direction::kForward) {
      where = absl::StrCat("position >= ", std::max<uint64_t>(from_position, 1),
                           " AND position <= ", head, " ORDER BY position");
    } else {
      where = absl::StrCat("position <= ", std::min(from_position, head), " ORDER BY position DESC");
    }
    return Records(absl::StrCat("SELECT record FROM ", log_, " WHERE ", where, " LIMIT ", limit),
                   {});
  }

  absl::StatusOr<std::vector<RecordedEvent>> ReadStream(absl::string_view stream,
                                                        uint64_t from_version,
                                                        Direction direction,
                                                        size_t limit) const override {
    RETURN_IF_ERROR(internal::ValidateStreamName("stream", stream));
    if (limit == 0) return absl::InvalidArgumentError("limit: must be at least 1");
    limit = std::min(limit, options_.limits.max_read_events);
    const std::string order = direction == Direction::kForward
                                  ? absl::StrCat("stream_version >= ",
                                                 std::max<uint64_t>(from_version, 1),
                                                 " ORDER BY stream_version")
                                  : absl::StrCat("stream_version <= ",
                                                 std::min<uint64_t>(from_version, INT64_MAX),
                                                 " ORDER BY stream_version DESC");
    return Records(absl::StrCat("SELECT record FROM ", log_, " WHERE stream = $1 AND position <= ",
                                HeadPosition(), " AND ", order, " LIMIT ", limit),
                   {std::string(stream)});
  }

  absl::StatusOr<std::vector<RecordedEvent>> ReadPositions(
      const std::vector<uint64_t>& positions) const override {
    if (positions.size() > options_.limits.max_read_events) {
      return absl::InvalidArgumentError(absl::StrCat("positions: more than ",
                                                     options_.limits.max_read_events));
    }
    const uint64_t head = HeadPosition();
    for (uint64_t p : positions) {
      if (p == 0 || p > head) {
        return absl::InvalidArgumentError(absl::StrCat("positions: ", p, " is not in the log"));
      }
    }
    if (positions.empty()) return std::vector<RecordedEvent>();
    ASSIGN_OR_RETURN(std::vector<RecordedEvent> found,
                     Records(absl::StrCat("SELECT record FROM ", log_, " WHERE position IN (",
                                          absl::StrJoin(positions, ","), ")"),
                             {}));
    std::map<uint64_t, RecordedEvent*> by_position;
    for (RecordedEvent& e : found) by_position[e.position] = &e;
    std::vector<RecordedEvent> out;
    for (uint64_t p : positions) {
      auto it = by_position.find(p);
      if (it == by_position.end()) {
        return absl::DataLossError(absl::StrCat("the event at position ", p, " is missing"));
      }
      out.push_back(*it->second);
    }
    return out;
  }

  absl::StatusOr<std::optional<uint64_t>> FindEvent(const EventId& id) const override {
    ASSIGN_OR_RETURN(std::optional<EventIdEntry> entry, Reader([&](PgConnection& c) {
                       return LookUpId(c, id);
                     }));
    if (!entry.has_value()) return std::nullopt;
    if (entry->position > HeadPosition()) {
      return absl::UnavailableError(
          absl::StrCat("event ", id.ToString(), " is being committed; ask again shortly"));
    }
    return entry->position;
  }

  uint64_t HeadPosition() const override {
    const uint64_t head = acknowledged_.load(std::memory_order_acquire);
    const uint64_t limit = read_limit_.load(std::memory_order_acquire);
    return std::min(head, limit);
  }

  absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream) const override {
    RETURN_IF_ERROR(internal::ValidateStreamName("stream", stream));
    const uint64_t head = HeadPosition();
    return Reader([&](PgConnection& c) -> absl::StatusOr<uint64_t> {
      ASSIGN_OR_RETURN(PgResult r,
                       c.Exec("reading a stream's version",
                              absl::StrCat("SELECT coalesce(max(stream_version), 0)::bigint FROM ",
                                           log_, " WHERE stream = $1 AND position <= ", head),
                              {std::string(stream)}));
      return static_cast<uint64_t>(r.Int64(0, 0));
    });
  }

  StoreStats Stats() const override {
    StoreStats stats;
    stats.appends = appends_.load();
    stats.events_written = events_written_.load();
    return stats;
  }

  absl::Status WriteStatus() const override {
    absl::MutexLock lock(&refusal_mu_);
    return refusal_;
  }

  void RefuseWrites(absl::Status why) override {
    absl::MutexLock lock(&refusal_mu_);
    refusal_ = std::move(why);
  }

  absl::Status LimitReadsTo(uint64_t head) override {
    if (WriteStatus().ok()) {
      return absl::FailedPreconditionError("LimitReadsTo: call RefuseWrites() first");
    }
    read_limit_.store(head);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(uint64_t from_position,
                                                          SubscriptionFilter filter) override {
    RETURN_IF_ERROR(internal::ValidateFilter(filter));
    auto subscription = std::make_unique<PgSubscription>(
        this, std::max<uint64_t>(from_position, 1), std::move(filter));
    absl::MutexLock lock(&head_mu_);
    subscriptions_.insert(subscription.get());
    return subscription;
  }

  VerifyReport Verify(uint64_t from, uint64_t to) const override {
    VerifyReport report;
    from = std::max<uint64_t>(from, 1);
    to = std::min(to, HeadPosition());
    if (from > to) {
      if (from > to + 1 && to == HeadPosition()) return report;
      report.status = absl::InvalidArgumentError("from: after to");
      return report;
    }
    std::string previous;
    if (from > 1) {
      absl::StatusOr<std::vector<RecordedEvent>> before = ReadAll(from - 1, Direction::kForward, 1);
      if (!before.ok() || before->empty()) {
        report.status = before.ok() ? absl::DataLossError("the event before `from` is missing")
                                    : before.status();
        return report;
      }
      previous = before->front().hash;
    } else {
      previous.assign(internal::kHashBytes, '\0');
    }
    for (uint64_t next = from; next <= to;) {
      const uint64_t last = std::min<uint64_t>(to, next + 999);
      // The records as stored, each checked here (ReadAll would stop at the first bad one
      // without naming it).
      absl::StatusOr<std::vector<std::string>> page =
          Reader([&](PgConnection& c) -> absl::StatusOr<std::vector<std::string>> {
            ASSIGN_OR_RETURN(PgResult r,
                             c.Exec("verifying", absl::StrCat("SELECT record FROM ", log_,
                                                             " WHERE position BETWEEN ", next,
                                                             " AND ", last, " ORDER BY position")));
            std::vector<std::string> records;
            for (int i = 0; i < r.rows(); ++i) records.emplace_back(r.Bytes(i, 0));
            return records;
          });
      if (!page.ok()) {
        report.status = page.status();
        return report;
      }
      uint64_t expected = next;
      for (const std::string& record : *page) {
        const absl::Status broken = CheckRecord(record, expected, previous);
        if (!broken.ok()) {
          report.status = broken;
          report.first_broken_position = expected;
          return report;
        }
        ++report.events_checked;
        ++expected;
      }
      if (expected != last + 1) {
        report.status = absl::DataLossError(
            absl::StrCat("hash chain broken at position ", expected, ": the event is missing"));
        report.first_broken_position = expected;
        return report;
      }
      next = last + 1;
    }
    return report;
  }

  absl::StatusOr<uint64_t> Checkpoint(const std::string& directory) override {
    return absl::UnimplementedError(absl::StrCat(
        kName, ": back the cluster up with its own tools (pgBackRest), not into ", directory));
  }

 private:
  friend class PgSubscription;

  // Runs `read` on the reader's connection (made again if it was lost). A read that finds the
  // connection lost (a failover, or a server that ended it) is run once more on a new one: its
  // result is built inside `read`, so running it again is safe.
  template <typename Read>
  auto Reader(Read&& read) const -> decltype(read(std::declval<PgConnection&>())) {
    absl::MutexLock lock(&reader_.mu);
    absl::StatusOr<PgConnection*> c = reader_.Get();
    if (!c.ok()) return c.status();
    auto result = read(**c);
    if (result.ok() || !(*c)->broken()) return result;
    c = reader_.Get();
    if (!c.ok()) return c.status();
    return read(**c);
  }

  // The records a query selects (its first column), decoded and each one's hash checked.
  absl::StatusOr<std::vector<RecordedEvent>> Records(const std::string& sql,
                                                     const std::vector<internal::PgParam>& params)
      const {
    return Reader([&](PgConnection& c) -> absl::StatusOr<std::vector<RecordedEvent>> {
      ASSIGN_OR_RETURN(PgResult r, c.Exec("reading events", sql, params));
      std::vector<RecordedEvent> out;
      out.reserve(r.rows());
      for (int i = 0; i < r.rows(); ++i) {
        const absl::string_view bytes = r.Bytes(i, 0);
        ASSIGN_OR_RETURN(const internal::RecordView view, internal::ParseRecord(bytes));
        if (!internal::HashHolds(view)) {
          return absl::DataLossError(absl::StrCat("hash chain broken at position ",
                                                  view.header.position,
                                                  ": the record does not match its hash"));
        }
        ASSIGN_OR_RETURN(RecordedEvent event, internal::DecodeRecord(bytes));
        out.push_back(std::move(event));
      }
      return out;
    });
  }

  // What Verify() checks of one record: its position, its hash after `previous` (which it
  // moves on to its own), its id's entry in the event-id table.
  absl::Status CheckRecord(const std::string& record, uint64_t expected,
                           std::string& previous) const {
    const std::string where = absl::StrCat("hash chain broken at position ", expected, ": ");
    absl::StatusOr<internal::RecordView> view = internal::ParseRecord(record);
    if (!view.ok()) return absl::DataLossError(absl::StrCat(where, view.status().message()));
    if (view->header.position != expected) {
      return absl::DataLossError(absl::StrCat(where, "the record says position ",
                                              view->header.position));
    }
    if (!internal::HashHolds(*view, previous)) {
      return absl::DataLossError(absl::StrCat(where, "the hash does not match the record"));
    }
    ASSIGN_OR_RETURN(const RecordedEvent event, internal::DecodeRecord(record));
    ASSIGN_OR_RETURN(std::optional<EventIdEntry> entry,
                     Reader([&](PgConnection& c) { return LookUpId(c, event.id); }));
    if (!entry.has_value() || entry->position != expected ||
        entry->stream_version != event.stream_version ||
        entry->content_digest != internal::Sha256(view->content)) {
      return absl::DataLossError(absl::StrCat("event-id index broken at position ", expected));
    }
    previous = std::string(view->chain_hash);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<EventIdEntry>> LookUpId(PgConnection& c, const EventId& id) const {
    ASSIGN_OR_RETURN(PgResult r,
                     c.Exec("reading an event id",
                            absl::StrCat("SELECT entry FROM ", ids_, " WHERE id = $1::bytea"),
                            {std::string(id.bytes().data(), EventId::kSize)}));
    if (r.rows() == 0) return std::nullopt;
    ASSIGN_OR_RETURN(EventIdEntry entry, internal::DecodeEventIdEntry(r.Bytes(0, 0)));
    return entry;
  }

  // Reads the acknowledged head; wakes what waits for it. A committed head that no writer
  // acknowledged (its connection was lost between its commit and the acknowledgement) is
  // acknowledged here, in a transaction of its own that commits synchronously: once that is
  // visible, the log up to it is replicated.
  absl::Status RefreshHead() {
    ASSIGN_OR_RETURN(const uint64_t head,
                     Reader([&](PgConnection& c) -> absl::StatusOr<uint64_t> {
                       ASSIGN_OR_RETURN(PgResult r,
                                        c.Exec("reading the head",
                                               absl::StrCat("SELECT position, acknowledged FROM ",
                                                            head_)));
                       if (r.rows() != 1) return absl::DataLossError("the head row is missing");
                       const int64_t position = r.Int64(0, 0);
                       if (position == r.Int64(0, 1)) return static_cast<uint64_t>(position);
                       ASSIGN_OR_RETURN(
                           PgResult acked,
                           c.Pipeline("acknowledging the head",
                                      {{"BEGIN", {}},
                                       {"SET LOCAL synchronous_commit TO on", {}},
                                       {absl::StrCat("UPDATE ", head_,
                                                     " SET acknowledged = GREATEST(acknowledged, "
                                                     "$1::bigint)"),
                                        {Int64Param(position)}},
                                       {"COMMIT", {}}}));
                       (void)acked;
                       return static_cast<uint64_t>(position);
                     }));
    Advance(head);
    return absl::OkStatus();
  }

  // The acknowledged head is at least `head`: subscriptions waiting for it are told.
  void Advance(uint64_t head) {
    std::vector<absl::AnyInvocable<void(absl::Status) &&>> ready;
    {
      absl::MutexLock lock(&head_mu_);
      uint64_t now = acknowledged_.load();
      if (head <= now) return;
      acknowledged_.store(head, std::memory_order_release);
      for (PgSubscription* s : subscriptions_) {
        if (s->ready_ && s->cursor_ <= HeadPosition()) {
          ready.push_back(std::move(s->ready_));
          s->ready_ = nullptr;
        }
      }
    }
    for (auto& r : ready) std::move(r)(absl::OkStatus());
  }

  // LISTENs for other nodes' commits; reads the head every second as well.
  void Listen() {
    std::unique_ptr<PgConnection> connection;
    while (!stop_listener_.load()) {
      if (connection == nullptr || connection->broken()) {
        absl::StatusOr<std::unique_ptr<PgConnection>> made =
            PgConnection::Connect(options_.conninfo, kName);
        if (made.ok() &&
            (*made)->Exec("listening", absl::StrCat("LISTEN ", channel_)).ok()) {
          connection = *std::move(made);
        } else {
          absl::SleepFor(absl::Milliseconds(200));
          continue;
        }
      }
      const int socket = connection->socket();
      fd_set readable;
      FD_ZERO(&readable);
      FD_SET(socket, &readable);
      timeval wait{0, 200'000};
      const int ready = select(socket + 1, &readable, nullptr, nullptr, &wait);
      bool notified = false;
      if (ready > 0) notified = connection->ConsumeNotifications();
      const absl::Time now = absl::Now();
      if (notified || now - last_poll_ >= absl::Seconds(1)) {
        last_poll_ = now;
        RefreshHead().IgnoreError();  // tried again within a second
      }
    }
  }

  void WriterLoop() {
    for (;;) {
      std::vector<std::unique_ptr<PendingAppend>> group;
      {
        absl::MutexLock lock(&queue_mu_);
        queue_mu_.Await(absl::Condition(
            +[](PgEventStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return !s->queue_.empty() || s->stopping_;
            },
            this));
        if (queue_.empty() && stopping_) return;
        size_t events = 0;
        while (!queue_.empty() &&
               (group.empty() ||
                events + queue_.front()->event_count <= options_.limits.max_group_events)) {
          events += queue_.front()->event_count;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      WriteGroup(std::move(group));
    }
  }

  // Writes one group in one transaction (see the header), then completes its callers.
  void WriteGroup(std::vector<std::unique_ptr<PendingAppend>> appends) {
    const size_t count = appends.size();
    const absl::Time write_start = absl::Now();
    absl::Status refused = WriteStatus();
    // What must be durable before any event of the group is (the key store's new keys).
    if (refused.ok() && options_.limits.before_write) refused = options_.limits.before_write();
    std::optional<internal::StagedGroup> staged;
    absl::Status written = refused;
    if (refused.ok()) {
      absl::MutexLock lock(&writer_.mu);
      written = [&]() -> absl::Status {
        ASSIGN_OR_RETURN(PgConnection* const c, writer_.Get());
        RETURN_IF_ERROR(c->Exec("beginning a write", "BEGIN").status());
        ASSIGN_OR_RETURN(PgResult head,
                         c->Exec("locking the head",
                                 absl::StrCat("SELECT position, hash, recorded_at FROM ", head_,
                                              " WHERE one = 1 FOR UPDATE")));
        if (head.rows() != 1) return absl::DataLossError("the head row is missing");
        const uint64_t next = static_cast<uint64_t>(head.Int64(0, 0)) + 1;
        std::string last_hash(head.Bytes(0, 1));
        const absl::Time last_recorded = absl::FromUnixMicros(head.Int64(0, 2));
        const absl::Time now =
            options_.limits.clock ? options_.limits.clock() : absl::Now();
        const absl::Time recorded_at = internal::TruncateToMicros(std::max(now, last_recorded));
        struct State final : internal::LogState {
          State(PgEventStore& store, PgConnection& c) : store(store), c(c) {}
          absl::StatusOr<uint64_t> StreamHead(const std::string& stream) override {
            ASSIGN_OR_RETURN(PgResult r,
                             c.Exec("reading a stream head",
                                    absl::StrCat("SELECT version FROM ", store.heads_,
                                                 " WHERE stream = $1"),
                                    {stream}));
            return r.rows() == 0 ? 0 : static_cast<uint64_t>(r.Int64(0, 0));
          }
          absl::StatusOr<std::optional<EventIdEntry>> StoredEventId(const EventId& id) override {
            return store.LookUpId(c, id);
          }
          PgEventStore& store;
          PgConnection& c;
        } state(*this, *c);
        staged = internal::StageGroup(std::move(appends), next, recorded_at, last_hash, state,
                                      absl::OkStatus());
        std::vector<PgStatement> rows;
        for (const internal::StagedEvent& e : staged->writes) {
          rows.push_back({absl::StrCat("INSERT INTO ", log_,
                                       " (position, stream, stream_version, record) VALUES "
                                       "($1::bigint, $2, $3::bigint, $4::bytea)"),
                          {Int64Param(static_cast<int64_t>(e.position)), e.stream,
                           Int64Param(static_cast<int64_t>(e.stream_version)), e.record}});
          rows.push_back({absl::StrCat("INSERT INTO ", ids_, " (id, entry) VALUES ($1, $2)"),
                          {std::string(e.id.bytes().data(), EventId::kSize),
                           internal::EncodeEventIdEntry(e.entry)}});
        }
        for (const auto& [stream, version] : staged->heads) {
          rows.push_back({absl::StrCat("INSERT INTO ", heads_,
                                       " (stream, version) VALUES ($1, $2::bigint) ON CONFLICT "
                                       "(stream) DO UPDATE SET version = EXCLUDED.version"),
                          {stream, Int64Param(static_cast<int64_t>(version))}});
        }
        if (!staged->writes.empty()) {
          rows.push_back({absl::StrCat("UPDATE ", head_,
                                       " SET position = $1::bigint, hash = $2::bytea, "
                                       "recorded_at = $3::bigint WHERE one = 1"),
                          {Int64Param(static_cast<int64_t>(staged->last_position)), last_hash,
                           Int64Param(absl::ToUnixMicros(recorded_at))}});
        }
        rows.push_back({"SET LOCAL synchronous_commit TO on", {}});
        rows.push_back({"COMMIT", {}});
        RETURN_IF_ERROR(c->Pipeline("writing events", rows).status());
        if (staged->writes.empty()) return absl::OkStatus();
        // Committed (and, with a synchronous standby, replicated): readers may have it now.
        return c
            ->Pipeline("acknowledging events",
                       {{absl::StrCat("UPDATE ", head_,
                                      " SET acknowledged = GREATEST(acknowledged, $1::bigint)"),
                         {Int64Param(static_cast<int64_t>(staged->last_position))}},
                        {absl::StrCat("SELECT pg_notify('", channel_, "', $1::text)"),
                         {absl::StrCat(staged->last_position)}}})
            .status();
      }();
      if (!written.ok() && !c_broken()) {
        // An error before the commit: the transaction is rolled back, nothing was written.
        writer_.connection->Exec("rolling back", "ROLLBACK").IgnoreError();
      }
    }
    appends_.fetch_add(count);
    std::vector<std::unique_ptr<PendingAppend>> done;
    std::vector<absl::StatusOr<AppendResult>> results;
    if (staged.has_value() && written.ok()) {
      events_written_.fetch_add(staged->writes.size());
      // What must know of the events before anyone here reads them (hotspotd's public head).
      if (options_.limits.on_commit && !staged->writes.empty()) {
        CommitInfo info;
        info.appends = count;
        info.events = staged->events.size();
        for (const auto& event : staged->events) info.published.push_back(event.get());
        info.sync_time = absl::Now() - write_start;
        options_.limits.on_commit(info);
      }
      if (!staged->writes.empty()) Advance(staged->last_position);
      done = std::move(staged->appends);
      results = std::move(staged->results);
    } else {
      done = staged.has_value() ? std::move(staged->appends) : std::move(appends);
      // A commit cut off by a lost connection: its outcome is unknown (UNAVAILABLE); retried
      // with the same event ids, it is written at most once.
      results.assign(done.size(), absl::StatusOr<AppendResult>(written));
    }
    for (size_t i = 0; i < done.size(); ++i) std::move(done[i]->done)(std::move(results[i]));
  }

  bool c_broken() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return writer_.connection == nullptr || writer_.connection->broken();
  }

  PgEventStoreOptions options_;  // before_write is called (the writer thread only)
  std::string log_, ids_, heads_, head_, channel_;
  mutable Link writer_;
  mutable Link reader_;

  absl::Mutex queue_mu_;
  std::deque<std::unique_ptr<PendingAppend>> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread writer_thread_;

  std::atomic<bool> stop_listener_{false};
  absl::Time last_poll_ = absl::InfinitePast();  // the listener's
  std::thread listener_;

  mutable absl::Mutex head_mu_;
  std::atomic<uint64_t> acknowledged_{0};
  std::atomic<uint64_t> read_limit_{UINT64_MAX};
  std::set<PgSubscription*> subscriptions_ ABSL_GUARDED_BY(head_mu_);
  bool closing_ ABSL_GUARDED_BY(head_mu_) = false;

  mutable absl::Mutex refusal_mu_;
  absl::Status refusal_ ABSL_GUARDED_BY(refusal_mu_);
  std::atomic<uint64_t> appends_{0};
  std::atomic<uint64_t> events_written_{0};
};

PgSubscription::~PgSubscription() {
  absl::AnyInvocable<void(absl::Status) &&> dropped;  // destroyed outside the lock
  absl::MutexLock lock(&store_->head_mu_);
  store_->subscriptions_.erase(this);
  dropped = std::move(ready_);
}

absl::StatusOr<SubscriptionBatch> PgSubscription::Next(size_t max_events, absl::Duration timeout) {
  if (max_events == 0) return absl::InvalidArgumentError("max_events: must be at least 1");
  {
    absl::MutexLock lock(&store_->head_mu_);
    auto has_more = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->head_mu_) {
      return cancelled_.load() || store_->closing_ || store_->HeadPosition() >= cursor_;
    };
    store_->head_mu_.AwaitWithTimeout(absl::Condition(&has_more), timeout);
  }
  if (cancelled_.load()) return absl::CancelledError("the subscription was cancelled");
  SubscriptionBatch batch;
  const uint64_t head = store_->HeadPosition();
  if (head < cursor_) {
    batch.checkpoint = cursor_;
    batch.caught_up = true;
    return batch;
  }
  ASSIGN_OR_RETURN(std::vector<RecordedEvent> events,
                   store_->ReadAll(cursor_, Direction::kForward, max_events));
  for (RecordedEvent& event : events) {
    cursor_ = event.position + 1;
    if (filter_.Matches(event)) {
      batch.events.push_back(std::make_shared<const RecordedEvent>(std::move(event)));
    }
  }
  batch.checkpoint = cursor_;
  batch.caught_up = cursor_ > head;
  return batch;
}

void PgSubscription::OnReady(absl::AnyInvocable<void(absl::Status) &&> ready) {
  absl::Status now;
  {
    absl::MutexLock lock(&store_->head_mu_);
    if (cancelled_.load() || store_->closing_) {
      now = absl::CancelledError("the subscription was cancelled");
    } else if (store_->HeadPosition() < cursor_) {
      ready_ = std::move(ready);
      return;
    }
  }
  std::move(ready)(now);
}

void PgSubscription::Cancel() {
  absl::AnyInvocable<void(absl::Status) &&> ready;
  {
    absl::MutexLock lock(&store_->head_mu_);
    cancelled_.store(true);
    ready = std::move(ready_);
    ready_ = nullptr;
  }
  if (ready) std::move(ready)(absl::CancelledError("the subscription was cancelled"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenPgEventStore(PgEventStoreOptions options) {
  if (options.conninfo.empty()) return absl::InvalidArgumentError("conninfo: required");
  RETURN_IF_ERROR(internal::CheckIdentifier("prefix", options.prefix));
  auto store = std::make_unique<PgEventStore>(std::move(options));
  RETURN_IF_ERROR(store->Start());
  return store;
}

}  // namespace hotspot::store
