#include "store/rocks_event_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "store/append_plan.h"
#include "store/head_witness.h"
#include "store/record_codec.h"
#include "store/recovering_db.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::store {
namespace {

using internal::FromRocks;
using internal::PendingAppend;
using internal::TruncateToMicros;
using internal::ValidateStreamName;

using internal::DecodeFixed64;
using internal::EventIdEntry;
using internal::kHashBytes;
using internal::LogKey;

constexpr char kLogFamily[] = "log";
constexpr char kStreamsFamily[] = "streams";
constexpr char kHeadsFamily[] = "heads";
constexpr char kEventIdsFamily[] = "event_ids";
constexpr char kFormatVersionKey[] = "format_version";

// The "streams" family's prefix: the stream name and its 0x00 separator. Every key of one stream
// shares it, so the family's memtable hashes streams into buckets and ReadStream() iterates one.
class StreamPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "hotspot.StreamPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* end = std::memchr(key.data(), '\0', key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(end) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

}  // namespace

bool ExpectedVersion::IsMetBy(uint64_t head) const {
  switch (kind_) {
    case Kind::kAny:
      return true;
    case Kind::kNoStream:
      return head == 0;
    case Kind::kStreamExists:
      return head > 0;
    case Kind::kExact:
      return head == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kStreamExists:
      return "stream exists";
    case Kind::kExact:
      return absl::StrCat("version ", version_);
  }
  return "?";
}

absl::string_view RecordedEvent::category() const {
  absl::string_view name = stream;
  return name.substr(0, name.find('-'));
}

bool SubscriptionFilter::Matches(const RecordedEvent& event) const {
  auto in = [](const std::vector<std::string>& list, absl::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!categories.empty() && !in(categories, event.category())) return false;
  if (!event_types.empty() && !in(event_types, event.type)) return false;
  if (!stream_prefixes.empty() &&
      std::none_of(stream_prefixes.begin(), stream_prefixes.end(),
                   [&](const std::string& p) { return absl::StartsWith(event.stream, p); })) {
    return false;
  }
  return true;
}

struct RocksEventStore::Impl {
  Options options;
  std::string directory;

  // The database. After a failed write or sync the writer closes it and opens it again
  // (Recover), holding db_mu exclusively; everyone else uses it holding db_mu shared, so readers
  // and subscriptions never see it change under them. It is open read-only while a reopening
  // failed (reads go on), and null only if even that failed (reads: UNAVAILABLE).
  mutable absl::Mutex db_mu;
  rocksdb::DB* db ABSL_GUARDED_BY(db_mu) = nullptr;
  std::shared_ptr<rocksdb::Logger> info_log ABSL_GUARDED_BY(db_mu);  // over every reopening
  std::vector<rocksdb::ColumnFamilyHandle*> handles ABSL_GUARDED_BY(db_mu);
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* log = nullptr;
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* heads = nullptr;
  rocksdb::ColumnFamilyHandle* event_ids = nullptr;

  // Serializes the writes of the write-ahead log (db->Write) with its syncs (db->SyncWAL), and
  // either with the failure it may cause: once one has failed, neither may run again on the same
  // database (Debian's RocksDB asserts, and its write-ahead log is in an unknown state), and
  // the other must see that failure before it starts.
  absl::Mutex wal_mu ABSL_ACQUIRED_AFTER(db_mu);

  // Appends waiting for the writer.
  absl::Mutex queue_mu;
  std::deque<std::unique_ptr<PendingAppend>> queue ABSL_GUARDED_BY(queue_mu);
  bool closing ABSL_GUARDED_BY(queue_mu) = false;
  // Set by Fail(): the writer is to wake up and schedule its recovery.
  bool failed ABSL_GUARDED_BY(queue_mu) = false;

  // The write path is a pipeline of three threads:
  //   writer:    takes waiting appends as a group, validates them against the store as it
  //              stands, and writes the group with one RocksDB Write without sync: into the
  //              memtables and the WAL file, not yet durable (WriterLoop, Stage);
  //   committer: makes every group written so far durable with one SyncWAL (one fsync), then
  //              publishes their events to readers and subscribers (CommitterLoop, Commit);
  //   completer: completes the groups' callers (CompleterLoop).
  // The writer validates and writes the next group while the committer waits for the disk.
  // Readers never see a written group before it is published: every read is bounded by the
  // published head (see HeadPosition); only the writer looks at RocksDB unbounded.
  std::thread writer;
  std::thread committer;
  std::thread completer;

  // A group written by the writer and not yet durable.
  struct WrittenGroup {
    std::vector<std::unique_ptr<PendingAppend>> appends;
    std::vector<absl::StatusOr<AppendResult>> results;
    std::vector<std::shared_ptr<const RecordedEvent>> events;
    uint64_t last_position = 0;  // the head after this group
  };
  // At most this many written groups wait for the committer before the writer waits too.
  static constexpr size_t kMaxWrittenGroups = 2;
  absl::Mutex commit_mu;
  std::deque<WrittenGroup> commit_queue ABSL_GUARDED_BY(commit_mu);
  bool writer_stopped ABSL_GUARDED_BY(commit_mu) = false;
  // Groups are being synced (by the committer, or by the writer itself; see WriterLoop).
  bool committer_busy ABSL_GUARDED_BY(commit_mu) = false;

  // Set by a failed write or sync; until Recover() succeeds every append fails with it.
  mutable absl::Mutex failure_mu;
  absl::Status failure ABSL_GUARDED_BY(failure_mu);
  // The failure is beyond recovery: the reopened log lacks acknowledged events.
  bool failure_final ABSL_GUARDED_BY(failure_mu) = false;
  // When MaybeRecover() tries again, and the wait before the next try after that.
  absl::Time next_recovery ABSL_GUARDED_BY(failure_mu) = absl::InfinitePast();
  absl::Duration recovery_backoff ABSL_GUARDED_BY(failure_mu);

  // Groups synced, waiting for their callers to be completed. A thread of its own completes
  // them, so that the committer goes on to the next sync at once instead of waking each caller.
  struct FinishedGroup {
    std::vector<std::unique_ptr<PendingAppend>> appends;
    std::vector<absl::StatusOr<AppendResult>> results;
  };
  absl::Mutex done_mu;
  std::deque<FinishedGroup> done_queue ABSL_GUARDED_BY(done_mu);
  bool committer_stopped ABSL_GUARDED_BY(done_mu) = false;
  bool completer_busy ABSL_GUARDED_BY(done_mu) = false;

  // Whoever stages and writes a group holds it: the writer thread, or a blocking Append() that
  // found the store idle and writes its own append (see Append). It guards the state below.
  absl::Mutex write_token;
  uint64_t next_position = 1;
  std::string last_hash = std::string(kHashBytes, '\0');
  absl::Time last_recorded_at = absl::InfinitePast();
  absl::flat_hash_map<std::string, uint64_t> head_cache;

  // What has been committed, for readers and subscribers.
  mutable absl::Mutex live_mu;
  uint64_t published_head ABSL_GUARDED_BY(live_mu) = 0;
  std::deque<std::shared_ptr<const RecordedEvent>> live ABSL_GUARDED_BY(live_mu);
  size_t live_bytes ABSL_GUARDED_BY(live_mu) = 0;
  bool live_closed ABSL_GUARDED_BY(live_mu) = false;
  // Subscriptions waiting for an event (RocksSubscription::OnReady), by the position they wait for.
  std::multimap<uint64_t, RocksSubscription*> ready ABSL_GUARDED_BY(live_mu);
  std::atomic<uint64_t> head_position{0};
  // The chain hash of the event at published_head (for the witness).
  std::string published_hash ABSL_GUARDED_BY(live_mu);
  // How far Verify() reads: the stored tail when LimitReadsTo() cut the published head below it.
  std::atomic<uint64_t> verify_to{0};

  // The head witness (see head_witness.h), written by its own thread after commits; null without
  // Options::sync and for a damaged log opened with Options::open_damaged (whose witness must
  // keep saying what was lost).
  std::unique_ptr<internal::HeadWitness> witness;
  std::thread witness_thread;
  // Checks the log against its witness at open: DATA_LOSS if acknowledged events are gone.
  absl::Status CheckWitness(const internal::HeadWitness::Record& witnessed)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu);
  // Records each new published head in the witness until the store closes.
  void WitnessLoop(uint64_t witnessed);

  std::atomic<uint64_t> stat_appends{0};
  std::atomic<uint64_t> stat_events{0};
  std::atomic<uint64_t> stat_syncs{0};
  std::atomic<uint64_t> stat_write_micros{0};
  std::atomic<uint64_t> stat_sync_micros{0};
  std::atomic<uint64_t> stat_witnessed{0};
  std::atomic<uint64_t> stat_witness_failures{0};

  ~Impl() {
    absl::MutexLock lock(&db_mu);
    CloseDatabase();
  }

  absl::Time Now() const { return options.clock ? options.clock() : absl::Now(); }

  void WriterLoop();
  bool SyncHereIfIdle();
  void WriteGroup(std::vector<std::unique_ptr<PendingAppend>> appends, bool sync_here);
  absl::Status Enqueue(std::unique_ptr<PendingAppend>& append);
  WrittenGroup Stage(std::vector<std::unique_ptr<PendingAppend>> appends,
                     rocksdb::WriteBatch* batch);
  void CommitterLoop();
  // `sync_time`: how long the write with sync took, when `already_synced`.
  void Commit(std::deque<WrittenGroup> groups, bool already_synced,
              absl::Duration sync_time = absl::ZeroDuration());
  // Sets the failure (unless set already) and returns it.
  absl::Status Fail(absl::Status cause);
  // The failure appends get while `cause` keeps the store from writing.
  absl::Status Refusal(const absl::Status& cause) const;
  absl::Status Failure() const;
  // Opens the database (creating it if allowed), or with `read_only` for reads only, and checks
  // its format version. Closes it: the handles go, then the database.
  absl::Status OpenDatabase(bool read_only) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu);
  void CloseDatabase() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu);
  // UNAVAILABLE while no database is open (a reopening failed).
  absl::Status Usable() const ABSL_SHARED_LOCKS_REQUIRED(db_mu);
  // Takes the writer's state (next position, last hash and time) from the log's last event.
  absl::Status LoadTail() ABSL_SHARED_LOCKS_REQUIRED(db_mu);
  // After a failed write or sync: if the disk takes a write and a sync again, closes the database
  // and opens it again, publishes what of the failed groups reached the log, and clears the
  // failure. Runs on the writer thread, holding write_token.
  absl::Status Recover();
  // Writes and syncs a small file beside the database: whether the disk takes writes again.
  absl::Status ProbeDisk() const;
  // Calls Recover() if the store has failed and the backoff since the last attempt has passed.
  void MaybeRecover();
  // How long the writer may wait for appends before MaybeRecover() is due.
  absl::Duration UntilRecovery() const;
  absl::Status BeforeWrite() {
    return options.before_write ? options.before_write() : absl::OkStatus();
  }
  void Complete(std::vector<std::unique_ptr<PendingAppend>> appends,
                std::vector<absl::StatusOr<AppendResult>> results);
  void CompleterLoop();
  absl::StatusOr<uint64_t> StoredHead(absl::string_view stream,
                                      const rocksdb::ReadOptions& read_options = {}) const;
  absl::StatusOr<uint64_t> PublishedVersion(absl::string_view stream, uint64_t published,
                                            const rocksdb::ReadOptions& read_options) const;
  absl::StatusOr<std::optional<EventIdEntry>> StoredEventId(const EventId& id) const;
  // Every read is checked (issue 15 §3): each record's stored hash must be the chain hash of its
  // header and content on its predecessor's stored hash (read too where the records do not
  // include it), so that a record damaged behind RocksDB's checksums (rewritten whole) is never
  // served. DATA_LOSS naming the first position that does not match; the read's error if a
  // predecessor cannot be read.
  absl::Status CheckChained(
      const rocksdb::ReadOptions& read_options,
      const std::vector<std::pair<uint64_t, absl::string_view>>& records) const;
  absl::StatusOr<std::vector<RecordedEvent>> ReadLog(uint64_t from, uint64_t to,
                                                     Direction direction, size_t limit) const;
  void Publish(std::vector<std::shared_ptr<const RecordedEvent>> events, uint64_t head);
  // Takes the OnReady() callbacks that a head at `head` lets go (UINT64_MAX: every one).
  using Ready = absl::AnyInvocable<void(absl::Status) &&>;
  std::vector<Ready> TakeReady(uint64_t head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(live_mu);
};

absl::StatusOr<uint64_t> RocksEventStore::Impl::StoredHead(
    absl::string_view stream, const rocksdb::ReadOptions& read_options) const {
  std::string value;
  const rocksdb::Status s =
      db->Get(read_options, heads, rocksdb::Slice(stream.data(), stream.size()), &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocks(s, "reading a stream head"));
  if (value.size() != 8) return absl::DataLossError("stream head record is malformed");
  return DecodeFixed64(value.data());
}

// The stream's version as readers may see it: the last one whose event is at or below the
// published head. The stored head can be a little ahead (written, not yet synced); walk back.
absl::StatusOr<uint64_t> RocksEventStore::Impl::PublishedVersion(
    absl::string_view stream, uint64_t published, const rocksdb::ReadOptions& read_options) const {
  ASSIGN_OR_RETURN(uint64_t version, StoredHead(stream, read_options));
  for (; version > 0; --version) {
    std::string value;
    RETURN_IF_ERROR(
        FromRocks(db->Get(read_options, streams, internal::StreamKey(stream, version), &value),
                  "reading the stream index"));
    if (value.size() != 8) return absl::DataLossError("stream index entry is malformed");
    if (DecodeFixed64(value.data()) <= published) break;
  }
  return version;
}

absl::StatusOr<std::optional<EventIdEntry>> RocksEventStore::Impl::StoredEventId(
    const EventId& id) const {
  std::string value;
  const absl::string_view key = id.bytes();
  const rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), event_ids, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading the event-id index"));
  ASSIGN_OR_RETURN(EventIdEntry entry, internal::DecodeEventIdEntry(value));
  return entry;
}

void RocksEventStore::Impl::WriterLoop() {
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu) {
    return !queue.empty() || closing || failed;
  };
  auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu) {
    return commit_queue.size() < kMaxWrittenGroups;
  };
  for (;;) {
    // While the committer is behind, let appends gather into one larger group.
    {
      absl::MutexLock lock(&commit_mu);
      commit_mu.Await(absl::Condition(&room));
    }
    std::vector<std::unique_ptr<PendingAppend>> appends;
    {
      absl::MutexLock lock(&queue_mu);
      // After a failure, it wakes up to recover also when no append comes.
      queue_mu.AwaitWithTimeout(absl::Condition(&has_work), UntilRecovery());
      failed = false;
      if (closing && queue.empty()) break;  // closing, and everything accepted is written
      size_t events = 0;
      while (!queue.empty() &&
             (appends.empty() || events + queue.front()->event_count <= options.max_group_events)) {
        events += queue.front()->event_count;
        appends.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    absl::MutexLock token(&write_token);
    MaybeRecover();  // before the appends: if the disk is well again, they need not fail
    if (!appends.empty()) WriteGroup(std::move(appends), /*sync_here=*/SyncHereIfIdle());
  }
  absl::MutexLock lock(&commit_mu);
  writer_stopped = true;
}

// True, and the committer held off, if no append is waiting and every written group is synced:
// then a group has nothing to overlap its sync with, and whoever wrote it had better sync it at
// once, in the same call, than hand it to the committer (it matters for a lone appender).
bool RocksEventStore::Impl::SyncHereIfIdle() {
  {
    absl::MutexLock lock(&queue_mu);
    if (!queue.empty() || closing) return false;
  }
  absl::MutexLock lock(&commit_mu);
  if (!commit_queue.empty() || committer_busy) return false;
  committer_busy = true;  // the committer takes nothing meanwhile
  return true;
}

// Stages and writes one group; with `sync_here` (see SyncHereIfIdle) also syncs, publishes and
// completes it, else hands it to the committer.
void RocksEventStore::Impl::WriteGroup(std::vector<std::unique_ptr<PendingAppend>> appends,
                                  bool sync_here) {
  rocksdb::WriteBatch batch;
  absl::Duration written_in;
  WrittenGroup group;
  {
    absl::ReaderMutexLock db_lock(&db_mu);
    // What Stage() moves on, put back if the group is not written.
    const uint64_t staged_from = next_position;
    const std::string staged_hash = last_hash;
    const absl::Time staged_at = last_recorded_at;
    group = Stage(std::move(appends), &batch);
    if (batch.Count() > 0) {
      const absl::Time start = absl::Now();
      rocksdb::WriteOptions write_options;
      // Unsynced, a group becomes durable with the committer's next SyncWAL.
      write_options.sync = sync_here && options.sync;
      absl::Status written = BeforeWrite();
      if (written.ok()) {
        absl::MutexLock wal(&wal_mu);
        written = Failure();  // a sync of the committer's may have failed meanwhile
        if (written.ok()) {
          written = FromRocks(db->Write(write_options, &batch), "writing appends");
          if (!written.ok()) written = Fail(written);
        }
      } else {
        // Nothing of the group reached the log: the next group is staged as if it never was.
        next_position = staged_from;
        last_hash = staged_hash;
        last_recorded_at = staged_at;
        head_cache.clear();
      }
      written_in = absl::Now() - start;
      (write_options.sync ? stat_sync_micros : stat_write_micros)
          .fetch_add(absl::ToInt64Microseconds(written_in), std::memory_order_relaxed);
      if (!written.ok()) {
        for (auto& result : group.results) result = written;
        group.events.clear();
      }
    }
  }
  if (sync_here) {
    std::deque<WrittenGroup> mine;
    mine.push_back(std::move(group));
    Commit(std::move(mine), /*already_synced=*/true,
           options.sync ? written_in : absl::ZeroDuration());
    absl::MutexLock lock(&commit_mu);
    committer_busy = false;
  } else {
    absl::MutexLock lock(&commit_mu);
    commit_queue.push_back(std::move(group));
  }
}

// Validates each append of the group in order against the store as the writer has written it
// (RocksDB holds every earlier group, synced or not) and stages those that pass into `batch`.
RocksEventStore::Impl::WrittenGroup RocksEventStore::Impl::Stage(
    std::vector<std::unique_ptr<PendingAppend>> appends, rocksdb::WriteBatch* batch) {
  // The log as the writer sees it: the heads it cached, then the database.
  struct State final : internal::LogState {
    explicit State(Impl& impl) : impl(impl) {}
    absl::StatusOr<uint64_t> StreamHead(const std::string& stream) override {
      if (auto it = impl.head_cache.find(stream); it != impl.head_cache.end()) return it->second;
      return impl.StoredHead(stream);
    }
    absl::StatusOr<std::optional<EventIdEntry>> StoredEventId(const EventId& id) override {
      return impl.StoredEventId(id);
    }
    Impl& impl;
  } state(*this);
  const absl::Time recorded_at = TruncateToMicros(std::max(Now(), last_recorded_at));
  internal::StagedGroup staged = internal::StageGroup(std::move(appends), next_position,
                                                      recorded_at, last_hash, state, Failure());
  for (const internal::StagedEvent& event : staged.writes) {
    const std::string log_key = LogKey(event.position);
    batch->Put(log, log_key, event.record);
    batch->Put(streams, internal::StreamKey(event.stream, event.stream_version), log_key);
    batch->Put(event_ids, rocksdb::Slice(event.id.bytes().data(), EventId::kSize),
               internal::EncodeEventIdEntry(event.entry));
  }
  for (const auto& [stream, version] : staged.heads) {
    std::string head_value;
    internal::PutFixed64(&head_value, version);
    batch->Put(heads, stream, head_value);
  }

  // Optimistic: groups are synced in order, and after a failed write or sync no group is written
  // or synced until Recover() has reopened the log and taken this state from it again, so no
  // later group is ever acknowledged on top of a lost one.
  WrittenGroup written;
  written.appends = std::move(staged.appends);
  written.results = std::move(staged.results);
  written.events = std::move(staged.events);
  written.last_position = staged.last_position;
  next_position = staged.last_position + 1;
  last_recorded_at = recorded_at;
  if (head_cache.size() + staged.heads.size() > options.stream_head_cache_entries) {
    head_cache.clear();  // crude but bounded; misses read the "heads" family
  }
  for (auto& [stream, version] : staged.heads) head_cache[stream] = version;
  return written;
}

void RocksEventStore::Impl::CommitterLoop() {
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu) {
    return (!commit_queue.empty() && !committer_busy) || (commit_queue.empty() && writer_stopped);
  };
  for (;;) {
    std::deque<WrittenGroup> groups;
    {
      absl::MutexLock lock(&commit_mu);
      commit_mu.Await(absl::Condition(&has_work));
      if (commit_queue.empty()) break;  // the writer has stopped and everything is synced
      groups.swap(commit_queue);        // one sync for every group written so far
      committer_busy = true;
    }
    Commit(std::move(groups), /*synced=*/false);
    absl::MutexLock lock(&commit_mu);
    committer_busy = false;
  }
  absl::MutexLock lock(&done_mu);
  committer_stopped = true;
}

// Makes `groups` durable with one sync (unless `synced`: written with sync already), publishes
// their events and completes their callers.
void RocksEventStore::Impl::Commit(std::deque<WrittenGroup> groups, bool already_synced,
                              absl::Duration sync_time) {
  absl::Status synced = Failure();
  if (synced.ok() && options.sync && !already_synced) {
    const absl::Time start = absl::Now();
    {
      absl::ReaderMutexLock db_lock(&db_mu);
      absl::MutexLock wal(&wal_mu);
      synced = Failure();  // a write of the writer's may have failed meanwhile
      if (synced.ok()) {
        synced = FromRocks(db->SyncWAL(), "syncing the write-ahead log");
        if (!synced.ok()) synced = Fail(synced);
      }
    }
    sync_time = absl::Now() - start;
    stat_sync_micros.fetch_add(absl::ToInt64Microseconds(sync_time), std::memory_order_relaxed);
  }
  if (synced.ok()) {
    stat_syncs.fetch_add(1, std::memory_order_relaxed);
    if (options.on_commit) {
      // Before the callers are completed: whoever was answered sees the commit counted.
      CommitInfo committed;
      committed.sync_time = sync_time;
      for (const WrittenGroup& group : groups) {
        committed.appends += group.appends.size();
        committed.events += group.events.size();
        for (const auto& event : group.events) committed.published.push_back(event.get());
      }
      if (committed.events > 0) options.on_commit(committed);
    }
  }
  for (WrittenGroup& group : groups) {
    if (synced.ok()) {
      if (!group.events.empty()) {
        stat_events.fetch_add(group.events.size(), std::memory_order_relaxed);
        Publish(std::move(group.events), group.last_position);
      }
    } else {
      // Whether the group's events survive is unknown, and so is the state its validation saw:
      // every caller gets the failure.
      for (auto& result : group.results) result = synced;
    }
    stat_appends.fetch_add(group.appends.size(), std::memory_order_relaxed);
    Complete(std::move(group.appends), std::move(group.results));
  }
}

absl::Status RocksEventStore::Impl::Refusal(const absl::Status& cause) const {
  return absl::Status(cause.code(),
                      absl::StrCat("the event store in ", directory,
                                   " refuses appends until its disk takes writes again (it "
                                   "retries by itself): ",
                                   cause.message()));
}

absl::Status RocksEventStore::Impl::Fail(absl::Status cause) {
  absl::Status failed_with;
  {
    absl::MutexLock lock(&failure_mu);
    if (!failure.ok()) return failure;
    failure = Refusal(cause);
    failed_with = failure;
  }
  absl::MutexLock lock(&queue_mu);
  failed = true;
  return failed_with;
}

absl::Status RocksEventStore::Impl::Failure() const {
  absl::MutexLock lock(&failure_mu);
  return failure;
}

absl::Duration RocksEventStore::Impl::UntilRecovery() const {
  absl::MutexLock lock(&failure_mu);
  if (failure.ok() || failure_final) return absl::InfiniteDuration();
  return std::max(next_recovery - absl::Now(), absl::ZeroDuration());
}

void RocksEventStore::Impl::MaybeRecover() {
  if (UntilRecovery() > absl::ZeroDuration()) return;
  const absl::Status recovered = Recover();
  absl::MutexLock lock(&failure_mu);
  if (recovered.ok()) {
    recovery_backoff = absl::ZeroDuration();
    return;
  }
  recovery_backoff =
      std::clamp(recovery_backoff * 2, options.min_recovery_backoff,
                 std::max(options.min_recovery_backoff, options.max_recovery_backoff));
  next_recovery = absl::Now() + recovery_backoff;
  // Appends fail with what fails now (the disk may have filled up since the first failure).
  if (!failure_final) failure = Refusal(recovered);
}

absl::Status RocksEventStore::Impl::ProbeDisk() const {
  return internal::ProbeDisk(options.env, directory);
}

absl::Status RocksEventStore::Impl::Recover() {
  // Every written group is synced or failed first: nothing uses the write path of the database.
  {
    absl::MutexLock lock(&commit_mu);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu) {
      return commit_queue.empty() && !committer_busy;
    };
    commit_mu.Await(absl::Condition(&drained));
  }
  // While the disk still fails, the database stays open for reads.
  RETURN_IF_ERROR(ProbeDisk());

  const uint64_t published = head_position.load(std::memory_order_acquire);
  std::vector<std::shared_ptr<const RecordedEvent>> recovered;
  {
    absl::MutexLock lock(&db_mu);
    CloseDatabase();
    absl::Status opened = OpenDatabase(/*read_only=*/false);
    if (opened.ok()) opened = LoadTail();
    // What the failed groups left in the log becomes durable before it is published.
    if (opened.ok()) opened = FromRocks(db->SyncWAL(), "syncing the reopened write-ahead log");
    if (!opened.ok()) {
      // Reads go on from what is on disk; the next attempt opens it for writing again.
      CloseDatabase();
      OpenDatabase(/*read_only=*/true).IgnoreError();
      return opened;
    }
    if (next_position - 1 < published) {
      absl::MutexLock failed(&failure_mu);
      failure_final = true;
      failure = absl::DataLossError(absl::StrCat("the event store in ", directory,
                                                 " lost acknowledged events after a failed write: "
                                                 "its log ends at position ",
                                                 next_position - 1, ", ", published,
                                                 " were acknowledged; restore it from a backup"));
      return failure;
    }
    head_cache.clear();
    // The events of failed groups that reached the log anyway: their appends failed (a retry
    // with the same event ids finds them), but they are in the log now and the next events
    // follow them.
    for (uint64_t from = published + 1; from < next_position;) {
      ASSIGN_OR_RETURN(
          std::vector<RecordedEvent> events,
          ReadLog(from, next_position - 1, Direction::kForward, options.max_read_events));
      if (events.empty()) return absl::DataLossError("the reopened log has a gap");
      from = events.back().position + 1;
      for (RecordedEvent& event : events) {
        recovered.push_back(std::make_shared<const RecordedEvent>(std::move(event)));
      }
    }
  }
  if (!recovered.empty()) {
    if (options.on_commit) {
      CommitInfo committed;
      committed.events = recovered.size();
      for (const auto& event : recovered) committed.published.push_back(event.get());
      options.on_commit(committed);
    }
    stat_events.fetch_add(recovered.size(), std::memory_order_relaxed);
    Publish(std::move(recovered), next_position - 1);
  }
  absl::MutexLock lock(&failure_mu);
  if (!failure_final) failure = absl::OkStatus();  // RefuseWrites() may have come meanwhile
  return absl::OkStatus();
}

void RocksEventStore::Impl::Complete(std::vector<std::unique_ptr<PendingAppend>> appends,
                                std::vector<absl::StatusOr<AppendResult>> results) {
  // Waking a caller costs a context switch; for a group of a few callers the committer does it
  // itself (saving a hand-off on the latency path) when that keeps completions in commit order.
  constexpr size_t kCompleteInlineAppends = 2;
  {
    absl::MutexLock lock(&done_mu);
    if (appends.size() > kCompleteInlineAppends || completer_busy || !done_queue.empty()) {
      done_queue.push_back({std::move(appends), std::move(results)});
      return;
    }
  }
  for (size_t i = 0; i < appends.size(); ++i) std::move(appends[i]->done)(std::move(results[i]));
}

void RocksEventStore::Impl::CompleterLoop() {
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(done_mu) {
    return !done_queue.empty() || committer_stopped;
  };
  for (;;) {
    std::deque<FinishedGroup> groups;
    {
      absl::MutexLock lock(&done_mu);
      completer_busy = false;
      done_mu.Await(absl::Condition(&has_work));
      if (done_queue.empty()) return;  // the committer has stopped and everything is completed
      groups.swap(done_queue);
      completer_busy = true;
    }
    for (FinishedGroup& group : groups) {
      for (size_t i = 0; i < group.appends.size(); ++i) {
        std::move(group.appends[i]->done)(std::move(group.results[i]));
      }
    }
  }
}

// What an event counts for against Options::live_buffer_bytes: what it holds on the heap, its
// shared_ptr's block and the allocator's headers included, so that the bound is the memory's.
static size_t LiveBytes(const RecordedEvent& event) {
  // A string's own buffer, if it outgrew the one inside it, with a malloc header.
  const auto heap = [](const std::string& s) -> size_t {
    return s.capacity() > 15 ? s.capacity() + 1 + 16 : 0;
  };
  constexpr size_t kSharedBlock = 16 + 16;  // make_shared's control block, a malloc header
  return sizeof(RecordedEvent) + kSharedBlock + heap(event.payload) + heap(event.stream) +
         heap(event.type) + heap(event.metadata.actor) + heap(event.metadata.correlation_id) +
         heap(event.metadata.causation_id);
}

std::vector<RocksEventStore::Impl::Ready> RocksEventStore::Impl::TakeReady(uint64_t head) {
  std::vector<Ready> due;
  for (auto it = ready.begin(); it != ready.end() && it->first <= head; it = ready.erase(it)) {
    due.push_back(std::move(it->second->ready_));
    it->second->ready_ = nullptr;
  }
  return due;
}

void RocksEventStore::Impl::Publish(std::vector<std::shared_ptr<const RecordedEvent>> events,
                               uint64_t head) {
  std::vector<Ready> due;  // called outside the lock
  absl::Cleanup call = [&due] {
    for (Ready& ready : due) std::move(ready)(absl::OkStatus());
  };
  absl::MutexLock lock(&live_mu);
  if (!events.empty()) published_hash = events.back()->hash;
  for (auto& event : events) {
    live_bytes += LiveBytes(*event);
    live.push_back(std::move(event));
  }
  while (!live.empty() &&
         (live.size() > options.live_buffer_events || live_bytes > options.live_buffer_bytes)) {
    live_bytes -= LiveBytes(*live.front());
    live.pop_front();
  }
  published_head = head;
  head_position.store(head, std::memory_order_release);
  due = TakeReady(head);
}

absl::Status RocksEventStore::Impl::CheckChained(
    const rocksdb::ReadOptions& read_options,
    const std::vector<std::pair<uint64_t, absl::string_view>>& records) const {
  absl::flat_hash_map<uint64_t, std::string> hashes;  // position -> its stored chain hash
  std::vector<internal::RecordView> views;
  views.reserve(records.size());
  for (const auto& [position, value] : records) {
    ASSIGN_OR_RETURN(internal::RecordView view, internal::ParseRecord(value));
    hashes[position] = std::string(view.chain_hash);
    views.push_back(view);
  }
  // The predecessors of format-1 records that are not among the records: a format-2 record
  // names its predecessor's hash itself.
  std::vector<std::string> keys;
  for (size_t i = 0; i < records.size(); ++i) {
    const uint64_t position = records[i].first;
    if (views[i].format == 1 && position > 1 && !hashes.contains(position - 1)) {
      hashes[position - 1];  // once
      keys.push_back(LogKey(position - 1));
    }
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  if (!keys.empty()) {
    db->MultiGet(read_options, log, slices.size(), slices.data(), values.data(), statuses.data());
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t position = DecodeFixed64(keys[i].data());
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(absl::StrCat("log: position ", position, " is missing"));
    }
    RETURN_IF_ERROR(FromRocks(statuses[i], "reading the log"));
    ASSIGN_OR_RETURN(const internal::RecordView view,
                     internal::ParseRecord(absl::string_view(values[i].data(), values[i].size())));
    hashes[position] = std::string(view.chain_hash);
  }
  static const std::string kNoHash(kHashBytes, '\0');
  for (size_t i = 0; i < records.size(); ++i) {
    const uint64_t position = records[i].first;
    const internal::RecordView& view = views[i];
    // The predecessor's hash where it was read (always for format 1); else the record's own.
    absl::string_view previous;
    if (position == 1) {
      previous = kNoHash;
    } else if (auto it = hashes.find(position - 1); it != hashes.end()) {
      previous = it->second;
    }
    const bool linked = view.format == 1 || previous.empty() || view.previous_hash == previous;
    if (!linked || !internal::HashHolds(view, previous)) {
      return absl::DataLossError(absl::StrCat(
          "log: the event at position ", position,
          " does not match its stored hash (the record is damaged; VerifyLog tells how far)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RecordedEvent>> RocksEventStore::Impl::ReadLog(uint64_t from, uint64_t to,
                                                                     Direction direction,
                                                                     size_t limit) const {
  std::vector<RecordedEvent> out;
  if (from > to) return out;
  std::vector<std::string> raw;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), log));
  const bool forward = direction == Direction::kForward;
  uint64_t expected = forward ? from : to;
  if (forward) {
    it->Seek(LogKey(from));
  } else {
    it->SeekForPrev(LogKey(to));
  }
  while (raw.size() < limit && it->Valid()) {
    const uint64_t key = DecodeFixed64(it->key().data());
    if (forward ? key > to : key < from) break;
    if (key != expected) {
      return absl::DataLossError(absl::StrCat("log: position ", expected, " is missing"));
    }
    raw.emplace_back(it->value().data(), it->value().size());
    if (forward) {
      it->Next();
      ++expected;
    } else {
      it->Prev();
      --expected;
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
  std::vector<std::pair<uint64_t, absl::string_view>> records;
  records.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    records.emplace_back(forward ? from + i : to - i, raw[i]);
  }
  RETURN_IF_ERROR(CheckChained(rocksdb::ReadOptions(), records));
  out.reserve(raw.size());
  for (const auto& [position, value] : records) {
    ASSIGN_OR_RETURN(RecordedEvent event, internal::DecodeRecord(value));
    if (event.position != position) {
      return absl::DataLossError(
          absl::StrCat("log: the event stored at position ", position, " says ", event.position));
    }
    out.push_back(std::move(event));
  }
  return out;
}

RocksEventStore::RocksEventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RocksEventStore::~RocksEventStore() {
  {
    absl::MutexLock lock(&impl_->queue_mu);
    impl_->closing = true;
  }
  // Each thread of the pipeline finishes its work and tells the next one it is done.
  impl_->writer.join();
  impl_->committer.join();
  impl_->completer.join();
  std::vector<Impl::Ready> due;
  {
    absl::MutexLock lock(&impl_->live_mu);
    impl_->live_closed = true;
    due = impl_->TakeReady(UINT64_MAX);
  }
  for (Impl::Ready& ready : due) std::move(ready)(absl::CancelledError("the store is closing"));
  if (impl_->witness_thread.joinable()) impl_->witness_thread.join();  // it records the head last
}

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(Options options,
                                                             const std::string& directory) {
  return RocksEventStore::Open(std::move(options), directory);
}

absl::StatusOr<std::unique_ptr<RocksEventStore>> RocksEventStore::Open(
    Options options, const std::string& directory) {
  if (options.max_payload_bytes == 0 || options.max_events_per_append == 0 ||
      options.max_streams_per_append == 0 || options.max_append_bytes == 0 ||
      options.max_group_events == 0 || options.max_queued_appends == 0 ||
      options.max_read_events == 0) {
    return absl::InvalidArgumentError("options: every max_* limit must be at least 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->directory = directory;
  impl->witness = std::make_unique<internal::HeadWitness>(impl->options.env, directory);
  ASSIGN_OR_RETURN(const internal::HeadWitness::Record witnessed, impl->witness->Read());
  {
    absl::MutexLock lock(&impl->db_mu);
    RETURN_IF_ERROR(impl->OpenDatabase(/*read_only=*/false));
    RETURN_IF_ERROR(impl->LoadTail());
    if (absl::Status lost = impl->CheckWitness(witnessed); !lost.ok()) {
      if (!impl->options.open_damaged) return lost;
      impl->witness.reset();
      absl::MutexLock failed(&impl->failure_mu);
      impl->failure_final = true;
      impl->failure = std::move(lost);
    }
  }
  if (!impl->options.sync) impl->witness.reset();
  {
    absl::MutexLock lock(&impl->live_mu);
    impl->published_head = impl->next_position - 1;
    impl->published_hash = impl->last_hash;
  }
  impl->head_position.store(impl->next_position - 1);
  if (impl->witness != nullptr) {
    impl->stat_witnessed.store(witnessed.position, std::memory_order_relaxed);
    impl->witness_thread =
        std::thread([raw = impl.get(), from = witnessed.position] { raw->WitnessLoop(from); });
  }
  impl->writer = std::thread([raw = impl.get()] { raw->WriterLoop(); });
  impl->committer = std::thread([raw = impl.get()] { raw->CommitterLoop(); });
  impl->completer = std::thread([raw = impl.get()] { raw->CompleterLoop(); });
  return std::unique_ptr<RocksEventStore>(new RocksEventStore(std::move(impl)));
}

absl::Status RocksEventStore::Impl::CheckWitness(const internal::HeadWitness::Record& witnessed) {
  if (witnessed.position == 0) return absl::OkStatus();
  const uint64_t tail = next_position - 1;
  const std::string recover = absl::StrCat(
      " Nothing is written to it. To recover, restore the last backup (events after it are lost "
      "unless another copy of the log holds them); if this directory was restored from a backup "
      "on purpose, over an older one, delete ",
      witness->FileName(0), " and ", witness->FileName(1), " to accept it as it is.");
  if (tail < witnessed.position) {
    return absl::DataLossError(absl::StrCat(
        "the event log in ", directory, " lost acknowledged events: it ends at position ", tail,
        ", but events up to position ", witnessed.position,
        " were acknowledged (its write-ahead log was damaged or lost: RocksDB replays it up to "
        "the first record it cannot read).",
        recover));
  }
  std::string value;
  const rocksdb::Status read =
      db->Get(rocksdb::ReadOptions(), log, LogKey(witnessed.position), &value);
  absl::Status checked = FromRocks(read, absl::StrCat("reading position ", witnessed.position));
  if (checked.ok()) {
    absl::StatusOr<internal::RecordView> record = internal::ParseRecord(value);
    if (!record.ok()) {
      checked = record.status();
    } else if (record->chain_hash != witnessed.hash) {
      checked = absl::DataLossError("it holds another event than the one acknowledged there");
    }
  }
  if (checked.ok()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "the event log in ", directory, " does not hold the event acknowledged at position ",
      witnessed.position, ": ", checked.message(), ".", recover));
}

void RocksEventStore::Impl::WitnessLoop(uint64_t witnessed) {
  // A failed write leaves the previous record, which is still true; it is tried again later.
  constexpr absl::Duration kRetry = absl::Seconds(1);
  // At most one record this often (each is an fsync, which the WAL's syncs would otherwise
  // share the disk with at every commit), and one more when the store closes.
  constexpr absl::Duration kEvery = absl::Milliseconds(10);
  auto pause = [this](absl::Duration pause) {
    absl::MutexLock lock(&live_mu);
    auto closing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(live_mu) { return live_closed; };
    live_mu.AwaitWithTimeout(absl::Condition(&closing), pause);
  };
  for (;;) {
    uint64_t head = 0;
    std::string hash;
    bool closed = false;
    {
      absl::MutexLock lock(&live_mu);
      auto due = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(live_mu) {
        return published_head > witnessed || live_closed;
      };
      live_mu.Await(absl::Condition(&due));
      head = published_head;
      hash = published_hash;
      closed = live_closed;
    }
    if (head > witnessed) {
      const bool written = witness->Write(head, hash).ok();
      if (written) {
        witnessed = head;
        stat_witnessed.store(head, std::memory_order_relaxed);
      } else {
        stat_witness_failures.fetch_add(1, std::memory_order_relaxed);
      }
      if (!closed) {
        pause(written ? kEvery : kRetry);
        continue;
      }
    }
    if (closed) return;
  }
}

absl::Status RocksEventStore::Impl::OpenDatabase(bool read_only) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  if (options.env != nullptr) db_options.env = options.env;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  internal::PrepareForFaults(directory, db_options, info_log,
                             [this](const absl::Status& error) { Fail(error).IgnoreError(); });

  // Hash-bucketed memtables are single-writer; the store has one writer thread anyway.
  db_options.allow_concurrent_memtable_write = false;

  // Every family's blocks and memtables count against the memory budget.
  const std::shared_ptr<MemoryBudget> memory = MemoryBudget::Or(options.memory);
  memory->ApplyTo(static_cast<rocksdb::DBOptions&>(db_options));
  // Memtables shaped to how each family is used; the default skip list searches from the top
  // for every insert, which dominated the writer's CPU.
  rocksdb::BlockBasedTableOptions bloom_table;
  memory->ApplyTo(bloom_table);
  bloom_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions plain;
  memory->ApplyTo(plain);
  // "log": keys only ever grow, so an insert hint finds the end without a search.
  rocksdb::ColumnFamilyOptions log_options;
  memory->ApplyTo(log_options);
  log_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  // Each hash-bucketed memtable allocates its buckets when it is made, and they count against
  // the memory budget: 64 Ki buckets (512 KiB) each, not RocksDB's 1 Mi (8 MiB), since a
  // memtable under the budget holds tens of thousands of keys, not millions.
  constexpr size_t kMemtableBuckets = 65536;
  // "heads", "event_ids": point lookups only, mostly of keys that do not exist. Hash buckets by
  // the whole key in the memtable, bloom filters in the tables.
  rocksdb::ColumnFamilyOptions lookup;
  lookup.prefix_extractor.reset(rocksdb::NewNoopTransform());
  lookup.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(kMemtableBuckets));
  lookup.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bloom_table));
  // "streams": read one stream at a time, in version order: hash buckets by stream.
  rocksdb::ColumnFamilyOptions by_stream;
  by_stream.prefix_extractor = std::make_shared<StreamPrefixTransform>();
  by_stream.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(kMemtableBuckets));
  by_stream.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bloom_table));

  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, plain},
      {kLogFamily, log_options},
      {kStreamsFamily, by_stream},
      {kHeadsFamily, lookup},
      {kEventIdsFamily, lookup},
  };
  const rocksdb::Status opened =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, directory, families, &handles, &db)
                : rocksdb::DB::Open(db_options, directory, families, &handles, &db);
  if (!opened.ok()) {
    db = nullptr;
    handles.clear();
    if (opened.IsInvalidArgument() && !options.create_if_missing) {
      return absl::InvalidArgumentError(
          absl::StrCat("no event store in ", directory, ": ", opened.ToString()));
    }
    return FromRocks(opened, absl::StrCat("opening the event store in ", directory));
  }
  meta = handles[0];
  log = handles[1];
  streams = handles[2];
  heads = handles[3];
  event_ids = handles[4];

  std::string format;
  const rocksdb::Status read_format =
      db->Get(rocksdb::ReadOptions(), meta, kFormatVersionKey, &format);
  if (read_format.IsNotFound() && !read_only) {
    rocksdb::WriteOptions sync_write;
    sync_write.sync = true;
    return FromRocks(db->Put(sync_write, meta, kFormatVersionKey,
                             std::string(1, static_cast<char>(internal::kFormatVersion))),
                     "writing the format version");
  }
  RETURN_IF_ERROR(FromRocks(read_format, "reading the format version"));
  const uint8_t version = format.size() == 1 ? static_cast<uint8_t>(format[0]) : 0;
  if (version < internal::kOldestFormatVersion || version > internal::kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("the event store in ", directory, " has an unknown format version"));
  }
  if (version < internal::kFormatVersion && !read_only) {
    // Records of the current format follow the old ones from now on: a binary that reads only
    // the old format refuses the store at its open, rather than at a record it cannot read.
    rocksdb::WriteOptions sync_write;
    sync_write.sync = true;
    return FromRocks(db->Put(sync_write, meta, kFormatVersionKey,
                             std::string(1, static_cast<char>(internal::kFormatVersion))),
                     "writing the format version");
  }
  return absl::OkStatus();
}

void RocksEventStore::Impl::CloseDatabase() {
  if (db == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  handles.clear();
  // After a failed write Close() reports the failure again; nothing is left to do with it.
  db->Close().PermitUncheckedError();
  delete db;
  db = nullptr;
}

absl::Status RocksEventStore::Impl::Usable() const {
  if (db != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the event store in ", directory,
                   " is being reopened after a failed write; ask again shortly"));
}

absl::Status RocksEventStore::Impl::LoadTail() {
  // The next position and the chain's last hash, from the last event.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), log));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the last event"));
  next_position = 1;
  last_hash = std::string(kHashBytes, '\0');
  if (!it->Valid()) return absl::OkStatus();
  ASSIGN_OR_RETURN(internal::RecordView last, internal::ParseRecord(absl::string_view(
                                                  it->value().data(), it->value().size())));
  const uint64_t key = DecodeFixed64(it->key().data());
  if (last.header.position != key) {
    return absl::DataLossError(absl::StrCat("the last event is stored at position ", key,
                                            " but says ", last.header.position));
  }
  next_position = key + 1;
  last_hash = std::string(last.chain_hash);
  last_recorded_at =
      std::max(last_recorded_at, absl::FromUnixMicros(last.header.recorded_at_micros));
  return absl::OkStatus();
}

// Queues `append` for the writer (taking it). UNAVAILABLE, and `append` left with the caller, if
// the store is closing or too many appends wait.
absl::Status RocksEventStore::Impl::Enqueue(std::unique_ptr<PendingAppend>& append) {
  absl::MutexLock lock(&queue_mu);
  if (closing) return absl::UnavailableError("the event store is closing");
  if (queue.size() >= options.max_queued_appends) {
    return absl::UnavailableError(
        absl::StrCat("the event store is overloaded: ", queue.size(), " appends are waiting"));
  }
  queue.push_back(std::move(append));
  return absl::OkStatus();
}

void RocksEventStore::AppendAsync(std::vector<StreamAppend> appends, AppendCallback done) {
  absl::StatusOr<std::unique_ptr<PendingAppend>> pending =
      internal::PrepareAppend(impl_->options, std::move(appends));
  if (!pending.ok()) {
    std::move(done)(pending.status());
    return;
  }
  (*pending)->done = std::move(done);
  const absl::Status queued = impl_->Enqueue(*pending);
  if (!queued.ok()) std::move((*pending)->done)(queued);
}

absl::StatusOr<AppendResult> RocksEventStore::Append(std::vector<StreamAppend> appends) {
  absl::StatusOr<std::unique_ptr<PendingAppend>> pending =
      internal::PrepareAppend(impl_->options, std::move(appends));
  if (!pending.ok()) return pending.status();
  // A futex-backed flag rather than absl::Notification: this runs once per append, and a
  // Notification creates and destroys an absl::Mutex each time.
  struct Outcome {
    std::atomic<uint32_t> done{0};
    absl::StatusOr<AppendResult> result;
  };
  auto outcome = std::make_shared<Outcome>();
  (*pending)->done = [outcome](absl::StatusOr<AppendResult> result) {
    outcome->result = std::move(result);
    outcome->done.store(1, std::memory_order_release);
    outcome->done.notify_one();
  };

  // If nobody else is writing, write this append here: no hand-off to the writer thread and
  // back, which is most of a lone appender's latency above the disk's.
  bool written_here = false;
  if (impl_->write_token.TryLock()) {
    impl_->MaybeRecover();
    if (impl_->SyncHereIfIdle()) {
      std::vector<std::unique_ptr<PendingAppend>> alone;
      alone.push_back(std::move(*pending));
      impl_->WriteGroup(std::move(alone), /*sync_here=*/true);
      written_here = true;
    }
    impl_->write_token.Unlock();
  }
  if (!written_here) {
    const absl::Status queued = impl_->Enqueue(*pending);
    if (!queued.ok()) return queued;
  }
  outcome->done.wait(0, std::memory_order_acquire);
  return std::move(outcome->result);
}

absl::StatusOr<std::vector<RecordedEvent>> RocksEventStore::ReadStream(absl::string_view stream,
                                                                  uint64_t from_version,
                                                                  Direction direction,
                                                                  size_t limit) const {
  RETURN_IF_ERROR(ValidateStreamName("stream", stream));
  if (limit == 0) return absl::InvalidArgumentError("limit: must be at least 1");
  limit = std::min(limit, impl_->options.max_read_events);

  const uint64_t published = HeadPosition();  // everything at or below it is in the snapshot
  absl::ReaderMutexLock db_lock(&impl_->db_mu);
  RETURN_IF_ERROR(impl_->Usable());
  rocksdb::ManagedSnapshot snapshot(impl_->db);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.snapshot();
  read_options.prefix_same_as_start = true;  // one stream's keys; see StreamPrefixTransform
  const std::string prefix = internal::StreamKeyPrefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->streams));
  const bool forward = direction == Direction::kForward;
  if (forward) {
    it->Seek(internal::StreamKey(stream, from_version));
  } else {
    // Hash-bucketed memtables cannot SeekForPrev a key that is absent: start at the exact
    // version, which exists whenever it is at most the head.
    ASSIGN_OR_RETURN(const uint64_t head, impl_->PublishedVersion(stream, published, read_options));
    const uint64_t start = std::min(from_version, head);
    if (start == 0) return std::vector<RecordedEvent>();
    it->Seek(internal::StreamKey(stream, start));
  }
  std::vector<std::string> keys;
  for (; it->Valid() && keys.size() < limit; forward ? it->Next() : it->Prev()) {
    const rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix) || key.size() != prefix.size() + 8) break;
    if (it->value().size() != 8) return absl::DataLossError("stream index entry is malformed");
    if (DecodeFixed64(it->value().data()) > published) break;  // written, not yet published
    keys.push_back(it->value().ToString());
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));

  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values(keys.size());
  std::vector<rocksdb::Status> statuses = impl_->db->MultiGet(
      read_options, std::vector<rocksdb::ColumnFamilyHandle*>(keys.size(), impl_->log), slices,
      &values);
  std::vector<RecordedEvent> out;
  out.reserve(keys.size());
  std::vector<std::pair<uint64_t, absl::string_view>> records;
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t position = DecodeFixed64(keys[i].data());
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(absl::StrCat("stream \"", stream, "\" lists position ", position,
                                              ", which is missing from the log"));
    }
    RETURN_IF_ERROR(FromRocks(statuses[i], "reading the log"));
    records.emplace_back(position, values[i]);
  }
  RETURN_IF_ERROR(impl_->CheckChained(read_options, records));
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t position = records[i].first;
    ASSIGN_OR_RETURN(RecordedEvent event, internal::DecodeRecord(values[i]));
    if (event.stream != stream) {
      return absl::DataLossError(absl::StrCat("stream \"", stream, "\" lists position ", position,
                                              ", which belongs to another stream"));
    }
    out.push_back(std::move(event));
  }
  return out;
}

absl::StatusOr<std::vector<RecordedEvent>> RocksEventStore::ReadAll(uint64_t from_position,
                                                               Direction direction,
                                                               size_t limit) const {
  if (limit == 0) return absl::InvalidArgumentError("limit: must be at least 1");
  limit = std::min(limit, impl_->options.max_read_events);
  // Read only what has been published: everything at or below it is committed.
  const uint64_t head = HeadPosition();
  absl::ReaderMutexLock db_lock(&impl_->db_mu);
  RETURN_IF_ERROR(impl_->Usable());
  if (direction == Direction::kForward) {
    return impl_->ReadLog(std::max<uint64_t>(from_position, 1), head, direction, limit);
  }
  return impl_->ReadLog(1, std::min(from_position, head), direction, limit);
}

absl::StatusOr<std::vector<RecordedEvent>> RocksEventStore::ReadPositions(
    const std::vector<uint64_t>& positions) const {
  if (positions.size() > impl_->options.max_read_events) {
    return absl::InvalidArgumentError(absl::StrCat("positions: ", positions.size(),
                                                   " given, at most ",
                                                   impl_->options.max_read_events, " allowed"));
  }
  const uint64_t head = HeadPosition();
  std::vector<std::string> keys;
  keys.reserve(positions.size());
  for (uint64_t position : positions) {
    if (position == 0 || position > head) {
      return absl::InvalidArgumentError(
          absl::StrCat("positions: ", position, " is not in the log (head ", head, ")"));
    }
    keys.push_back(LogKey(position));
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  absl::ReaderMutexLock db_lock(&impl_->db_mu);
  RETURN_IF_ERROR(impl_->Usable());
  impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->log, slices.size(), slices.data(),
                      values.data(), statuses.data());
  std::vector<RecordedEvent> out;
  out.reserve(positions.size());
  std::vector<std::pair<uint64_t, absl::string_view>> records;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(absl::StrCat("log: position ", positions[i], " is missing"));
    }
    RETURN_IF_ERROR(FromRocks(statuses[i], "reading the log"));
    records.emplace_back(positions[i], absl::string_view(values[i].data(), values[i].size()));
  }
  RETURN_IF_ERROR(impl_->CheckChained(rocksdb::ReadOptions(), records));
  for (size_t i = 0; i < positions.size(); ++i) {
    ASSIGN_OR_RETURN(RecordedEvent event,
                     internal::DecodeRecord(absl::string_view(values[i].data(), values[i].size())));
    if (event.position != positions[i]) {
      return absl::DataLossError(absl::StrCat("log: the event stored at position ", positions[i],
                                              " says ", event.position));
    }
    out.push_back(std::move(event));
  }
  return out;
}

StoreStats RocksEventStore::Stats() const {
  StoreStats stats;
  stats.appends = impl_->stat_appends.load(std::memory_order_relaxed);
  stats.events_written = impl_->stat_events.load(std::memory_order_relaxed);
  stats.syncs = impl_->stat_syncs.load(std::memory_order_relaxed);
  stats.write_micros = impl_->stat_write_micros.load(std::memory_order_relaxed);
  stats.sync_micros = impl_->stat_sync_micros.load(std::memory_order_relaxed);
  stats.witnessed_position = impl_->stat_witnessed.load(std::memory_order_relaxed);
  stats.witness_failures = impl_->stat_witness_failures.load(std::memory_order_relaxed);
  {
    absl::MutexLock lock(&impl_->live_mu);
    stats.live_buffer_events = impl_->live.size();
    stats.live_buffer_bytes = impl_->live_bytes;
  }

  return stats;
}

absl::Status RocksEventStore::WriteStatus() const { return impl_->Failure(); }

void RocksEventStore::RefuseWrites(absl::Status why) {
  absl::MutexLock lock(&impl_->failure_mu);
  impl_->failure_final = true;
  impl_->failure = std::move(why);
}

absl::Status RocksEventStore::LimitReadsTo(uint64_t head) {
  {
    absl::MutexLock lock(&impl_->failure_mu);
    if (!impl_->failure_final) {
      return absl::FailedPreconditionError(
          "the event store accepts writes: refuse them before limiting its reads");
    }
  }
  absl::MutexLock lock(&impl_->live_mu);
  if (head >= impl_->published_head) return absl::OkStatus();
  impl_->verify_to.store(impl_->published_head, std::memory_order_release);
  while (!impl_->live.empty() && impl_->live.back()->position > head) {
    impl_->live_bytes -= LiveBytes(*impl_->live.back());
    impl_->live.pop_back();
  }
  impl_->published_head = head;
  impl_->head_position.store(head, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> RocksEventStore::FindEvent(const EventId& id) const {
  std::optional<EventIdEntry> entry;
  {
    absl::ReaderMutexLock db_lock(&impl_->db_mu);
    RETURN_IF_ERROR(impl_->Usable());
    ASSIGN_OR_RETURN(entry, impl_->StoredEventId(id));
  }
  if (!entry.has_value()) return std::nullopt;
  if (entry->position > HeadPosition()) {
    return absl::UnavailableError(
        absl::StrCat("event ", id.ToString(), " is being committed; ask again shortly"));
  }
  return entry->position;
}

uint64_t RocksEventStore::HeadPosition() const {
  return impl_->head_position.load(std::memory_order_acquire);
}

absl::StatusOr<uint64_t> RocksEventStore::StreamVersion(absl::string_view stream) const {
  RETURN_IF_ERROR(ValidateStreamName("stream", stream));
  const uint64_t published = HeadPosition();
  absl::ReaderMutexLock db_lock(&impl_->db_mu);
  RETURN_IF_ERROR(impl_->Usable());
  return impl_->PublishedVersion(stream, published, rocksdb::ReadOptions());
}

absl::StatusOr<std::unique_ptr<Subscription>> RocksEventStore::Subscribe(uint64_t from_position,
                                                                    SubscriptionFilter filter) {
  RETURN_IF_ERROR(internal::ValidateFilter(filter));
  return std::unique_ptr<Subscription>(
      new RocksSubscription(this, std::max<uint64_t>(from_position, 1), std::move(filter)));
}

VerifyReport RocksEventStore::Verify(uint64_t from, uint64_t to) const {
  VerifyReport report;
  from = std::max<uint64_t>(from, 1);
  if (from > to) {
    report.status =
        absl::InvalidArgumentError(absl::StrCat("range: from ", from, " is past to ", to));
    return report;
  }
  to = std::min(to, std::max(HeadPosition(), impl_->verify_to.load(std::memory_order_acquire)));
  if (from > to) return report;  // nothing stored in the range yet
  auto broken = [&report](uint64_t position, absl::string_view why) {
    report.first_broken_position = position;
    report.status =
        absl::DataLossError(absl::StrCat("hash chain broken at position ", position, ": ", why));
    return report;
  };

  auto index_broken = [&report](absl::string_view index, uint64_t position, absl::string_view why) {
    report.first_broken_position = position;
    report.status =
        absl::DataLossError(absl::StrCat(index, " index broken at position ", position, ": ", why));
    return report;
  };

  absl::ReaderMutexLock db_lock(&impl_->db_mu);
  report.status = impl_->Usable();
  if (!report.status.ok()) return report;
  rocksdb::ManagedSnapshot snapshot(impl_->db);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot.snapshot();
  std::string previous_hash(kHashBytes, '\0');
  if (from > 1) {
    std::string value;
    const rocksdb::Status s = impl_->db->Get(read_options, impl_->log, LogKey(from - 1), &value);
    if (!s.ok()) return broken(from - 1, s.ToString());
    absl::StatusOr<internal::RecordView> view = internal::ParseRecord(value);
    if (!view.ok()) return broken(from - 1, view.status().message());
    previous_hash = std::string(view->chain_hash);
  }

  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, impl_->log));
  uint64_t expected = from;
  for (it->Seek(LogKey(from)); it->Valid() && expected <= to; it->Next(), ++expected) {
    const uint64_t key = DecodeFixed64(it->key().data());
    if (key != expected) return broken(expected, "the event is missing");
    absl::StatusOr<internal::RecordView> view =
        internal::ParseRecord(absl::string_view(it->value().data(), it->value().size()));
    if (!view.ok()) return broken(key, view.status().message());
    if (view->header.position != key) return broken(key, "the event names another position");
    const std::string digest = internal::Sha256(view->content);
    const std::string hash = internal::ChainHash(previous_hash, view->header, digest);
    if (hash != view->chain_hash) return broken(key, "the stored hash does not match the event");
    if (view->format >= 2 && view->previous_hash != previous_hash) {
      return broken(key, "the event does not name its predecessor's hash");
    }
    previous_hash = hash;
    // Its index entries point at it.
    absl::StatusOr<RecordedEvent> event =
        internal::DecodeRecord(absl::string_view(it->value().data(), it->value().size()));
    if (!event.ok()) return broken(key, event.status().message());
    std::string value;
    rocksdb::Status s =
        impl_->db->Get(read_options, impl_->streams,
                       internal::StreamKey(event->stream, event->stream_version), &value);
    if (!s.ok() || value != LogKey(key)) {
      return index_broken("stream", key,
                          absl::StrCat(event->stream, " version ", event->stream_version, " ",
                                       s.ok() ? "points at another position" : s.ToString()));
    }
    const absl::string_view id = event->id.bytes();
    s = impl_->db->Get(read_options, impl_->event_ids, rocksdb::Slice(id.data(), id.size()),
                       &value);
    absl::StatusOr<EventIdEntry> entry =
        s.ok() ? internal::DecodeEventIdEntry(value) : absl::DataLossError(s.ToString());
    if (!entry.ok() || entry->position != key || entry->stream_version != event->stream_version ||
        entry->content_digest != digest) {
      return index_broken("event-id", key,
                          absl::StrCat("the entry of event ", event->id.ToString(), " ",
                                       entry.ok() ? "names another position, version or content"
                                                  : entry.status().message()));
    }
    ++report.events_checked;
  }
  if (!it->status().ok()) return broken(expected, it->status().ToString());
  if (expected <= to) return broken(expected, "the event is missing");
  return report;
}

absl::StatusOr<uint64_t> RocksEventStore::Checkpoint(const std::string& directory) {
  {
    // The checkpoint flushes the memtables, which touches the write-ahead log: never after a
    // failure, and never while a write or sync may fail.
    absl::ReaderMutexLock db_lock(&impl_->db_mu);
    absl::MutexLock wal(&impl_->wal_mu);
    RETURN_IF_ERROR(impl_->Failure());
    RETURN_IF_ERROR(internal::WriteCheckpoint(impl_->db, directory));
  }
  // The copy's head, from the copy: opened read-only, its log family only.
  rocksdb::DBOptions db_options;
  if (impl_->options.env != nullptr) db_options.env = impl_->options.env;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::OpenForReadOnly(db_options, directory,
                                   {{rocksdb::kDefaultColumnFamilyName, {}}, {kLogFamily, {}}},
                                   &handles, &raw),
      absl::StrCat("opening the checkpoint in ", directory)));
  const std::unique_ptr<rocksdb::DB> copy(raw);
  // Before the database goes, and after the iterator.
  absl::Cleanup close = [&] {
    for (rocksdb::ColumnFamilyHandle* handle : handles) copy->DestroyColumnFamilyHandle(handle);
  };
  const std::unique_ptr<rocksdb::Iterator> it(
      copy->NewIterator(rocksdb::ReadOptions(), handles[1]));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the checkpoint's last event"));
  return it->Valid() ? DecodeFixed64(it->key().data()) : 0;
}

RocksSubscription::~RocksSubscription() {
  absl::AnyInvocable<void(absl::Status) &&> dropped;  // destroyed outside the lock
  absl::MutexLock lock(&store_->impl_->live_mu);
  DropReady(dropped);
}

// Takes this subscription out of the store's waiters, its callback into `out`.
void RocksSubscription::DropReady(absl::AnyInvocable<void(absl::Status) &&>& out) {
  if (!ready_) return;
  auto& waiting = store_->impl_->ready;
  for (auto it = waiting.lower_bound(ready_at_); it != waiting.end() && it->first == ready_at_;
       ++it) {
    if (it->second != this) continue;
    waiting.erase(it);
    break;
  }
  out = std::move(ready_);
  ready_ = nullptr;
}

void RocksSubscription::OnReady(absl::AnyInvocable<void(absl::Status) &&> ready) {
  RocksEventStore::Impl& impl = *store_->impl_;
  absl::AnyInvocable<void(absl::Status) &&> dropped;  // destroyed outside the lock
  bool stopped;
  {
    absl::MutexLock lock(&impl.live_mu);
    DropReady(dropped);
    stopped = cancelled_.load() || impl.live_closed;
    if (!stopped && impl.published_head < cursor_) {
      ready_ = std::move(ready);
      ready_at_ = cursor_;
      impl.ready.emplace(cursor_, this);
      return;
    }
  }
  std::move(ready)(stopped ? absl::CancelledError("the subscription was cancelled")
                           : absl::OkStatus());
}

void RocksSubscription::Cancel() {
  cancelled_.store(true);
  absl::AnyInvocable<void(absl::Status) &&> ready;
  {
    // Waiters re-evaluate their condition when the mutex is released.
    absl::MutexLock lock(&store_->impl_->live_mu);
    DropReady(ready);
  }
  if (ready) std::move(ready)(absl::CancelledError("the subscription was cancelled"));
}

absl::StatusOr<SubscriptionBatch> RocksSubscription::Next(size_t max_events, absl::Duration timeout) {
  if (max_events == 0) return absl::InvalidArgumentError("max_events: must be at least 1");
  RocksEventStore::Impl& impl = *store_->impl_;
  const absl::Time deadline = absl::Now() + timeout;
  // Bounds the events examined in one call, so a filter that matches little still returns
  // checkpoints regularly.
  const size_t scan_budget = std::max<size_t>(max_events * 4, 4096);
  SubscriptionBatch batch;
  size_t scanned = 0;

  for (;;) {
    uint64_t head = 0;
    uint64_t live_first = 0;
    {
      absl::MutexLock lock(&impl.live_mu);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.live_mu) {
        return impl.published_head >= cursor_ || cancelled_.load() || impl.live_closed;
      };
      impl.live_mu.AwaitWithDeadline(absl::Condition(&ready), deadline);
      if (cancelled_.load() || impl.live_closed) {
        return absl::CancelledError("the subscription was cancelled");
      }
      head = impl.published_head;
      if (cursor_ > head) {  // the deadline passed with nothing new
        batch.checkpoint = cursor_;
        batch.caught_up = true;
        return batch;
      }
      live_first = impl.live.empty() ? head + 1 : impl.live.front()->position;
      if (cursor_ >= live_first) {
        for (size_t i = cursor_ - live_first;
             i < impl.live.size() && batch.events.size() < max_events && scanned < scan_budget;
             ++i, ++scanned, ++cursor_) {
          if (filter_.Matches(*impl.live[i])) batch.events.push_back(impl.live[i]);
        }
      }
    }
    if (cursor_ < live_first) {
      // Behind the live buffer: read from disk, outside the lock, without holding up the writer.
      // A chunk is read ahead and kept until it is used up, so no event is decoded twice.
      if (readahead_.empty()) {
        const size_t want = std::min(scan_budget - scanned, impl.options.max_read_events);
        std::vector<RecordedEvent> events;
        {
          absl::ReaderMutexLock db_lock(&impl.db_mu);
          RETURN_IF_ERROR(impl.Usable());
          ASSIGN_OR_RETURN(events,
                           impl.ReadLog(cursor_, live_first - 1, Direction::kForward, want));
        }
        for (RecordedEvent& event : events) readahead_.push_back(std::move(event));
      }
      while (!readahead_.empty() && batch.events.size() < max_events) {
        RecordedEvent& event = readahead_.front();
        ++scanned;
        ++cursor_;
        if (filter_.Matches(event)) {
          batch.events.push_back(std::make_shared<const RecordedEvent>(std::move(event)));
        }
        readahead_.pop_front();
      }
    }
    const bool done = !batch.events.empty() || scanned >= scan_budget || absl::Now() >= deadline;
    if (done) {
      batch.checkpoint = cursor_;
      batch.caught_up = cursor_ > head;
      return batch;
    }
  }
}

}  // namespace hotspot::store
