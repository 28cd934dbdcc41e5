// EventStore: the durable, append-only event log under everything else.
//
// What it is. A single global log of events. Every event belongs to one stream (an aggregate,
// such as "youth-42") and has two coordinates: its global position (1, 2, 3, ... across all
// streams, gap-free) and its stream version (1, 2, 3, ... within its stream). The store knows nothing about youths, agencies or gRPC; payloads are opaque bytes.
//
// Guarantees.
//   - Durable before acknowledged: with Options::sync (the default) an append completes only after
//     the write-ahead log has been fsync'ed.
//   - Atomic across streams: one Append() call may write to several streams; either every event
//     of the call is written or none is.
//   - Gap-free global order: positions are contiguous, and readers and subscribers see events
//     only in position order (a reader never sees position N+1 without N).
//   - Permanent idempotency: an event id is stored forever. Appending it again with the same
//     content returns the original positions and writes nothing; with other content the append is
//     rejected with ALREADY_EXISTS. This survives restarts and has no time window.
//   - Tamper evidence: every event carries a SHA-256 hash chained to the previous event's hash;
//     Verify() recomputes the chain.
//
// Threading. An EventStore is safe for concurrent use from any number of threads without external
// synchronization.
//
// Engines. EventStore is the interface; each engine says in its header how it writes, fails,
// recovers and lays out its data:
//   - RocksDB (rocks_event_store.h; EventStore::Open): embedded, on this node's disk. The
//     default.
//   - PostgreSQL (pg_event_store.h; OpenPgEventStore), shared by several nodes with
//     replication and failover; not yet used by hotspotd (docs/postgresql.md).
// Every engine writes the same records (record_codec.h) and hash chain, so that verification,
// histories, subscriptions and backups behave the same whichever holds the log.
#ifndef HOTSPOT_STORE_EVENT_STORE_H_
#define HOTSPOT_STORE_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/event_id.h"
#include "store/memory_budget.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace hotspot::store {

// Limits on names that are part of the format, not tunable.
inline constexpr size_t kMaxStreamNameBytes = 200;
inline constexpr size_t kMaxEventTypeBytes = 128;
inline constexpr size_t kMaxMetadataFieldBytes = 512;
inline constexpr size_t kMaxAreaBytes = 128;

// What one commit made durable with one sync (group commit): see Options::on_commit.
struct RecordedEvent;
struct CommitInfo {
  // Append calls it completed (as StoreStats::appends counts them); 0 for the events of failed
  // appends that the store found in its log when it recovered from a failed write (see
  // rocks_event_store.h, "Failure"), published then, with a zero sync_time.
  size_t appends = 0;
  size_t events = 0;   // events it published
  // The events it published, in position order; valid during the on_commit call only.
  std::vector<const RecordedEvent*> published;
  // The sync that made them durable (for a lone append written with sync, the write and the
  // sync together). Zero without Options::sync.
  absl::Duration sync_time;
};

struct Options {
  // fsync the write-ahead log before acknowledging an append. Turning it off makes appends
  // survive a process crash but not a power loss or kernel crash: for tests and benchmarks only.
  // Default: true.
  bool sync = true;

  // Create the database if the directory holds none. Default: true.
  bool create_if_missing = true;

  // Largest payload of one event, in bytes. Larger ones: INVALID_ARGUMENT. Default: 1 MiB.
  size_t max_payload_bytes = 1 << 20;

  // Most events in one Append() call, over all its streams. Default: 1000.
  size_t max_events_per_append = 1000;

  // Most streams in one Append() call. Default: 100.
  size_t max_streams_per_append = 100;

  // Most bytes (payloads plus metadata) in one Append() call. Default: 16 MiB.
  size_t max_append_bytes = 16 << 20;

  // Most events the writer takes into one group (one WriteBatch). One fsync covers every group
  // written while the previous fsync ran. Default: 4096.
  size_t max_group_events = 4096;

  // Appends waiting for the writer beyond which Append() fails fast with UNAVAILABLE instead of
  // queueing without bound. Default: 65536.
  size_t max_queued_appends = 65536;

  // Recently committed events kept in memory for live subscribers, by count and by bytes. A
  // subscriber that falls further behind reads from disk instead; the writer never waits for one.
  // Default: 65536 events, 64 MiB.
  size_t live_buffer_events = 65536;
  size_t live_buffer_bytes = 64 << 20;

  // Stream head versions cached by the writer. On a miss it reads the "heads" family.
  // Default: 1,000,000.
  size_t stream_head_cache_entries = 1'000'000;

  // Most events one read returns; larger limits are clamped to it. Default: 10,000.
  size_t max_read_events = 10'000;

  // The clock that stamps recorded_at. Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;

  // Runs on the writer thread before each group of appends is written to the log, for another
  // store whose writes the group's events depend on and which must be durable before any of
  // them can reach the disk (hotspotd: the key store, whose new data keys seal those events).
  // It must be quick when it has nothing to do. An error fails the group's appends with it:
  // nothing of the group is written, and the next group calls it again. Default: none.
  absl::AnyInvocable<absl::Status()> before_write;

  // Runs on the committer thread after each commit that made appends durable, with what it
  // made durable (see CommitInfo), before its events are published to readers and its callers
  // are completed: for monitoring (hotspotd's metrics), and for what must know of an event
  // before anyone can read it (hotspotd's public head). It must be quick and must not call the
  // store. Default: none.
  absl::AnyInvocable<void(const CommitInfo&)> on_commit;

  // After a failed write or sync (see rocks_event_store.h, "Failure"), the store tries to recover at once,
  // then after min_recovery_backoff, then after twice as long each time it still fails, but at
  // most max_recovery_backoff apart; appends meanwhile fail fast. Default: 10 ms, 1 s.
  absl::Duration min_recovery_backoff = absl::Milliseconds(10);
  absl::Duration max_recovery_backoff = absl::Seconds(1);

  // What Open() does with a log that lost acknowledged events (see rocks_event_store.h, "At open"):
  // false refuses to open it (DATA_LOSS); true opens it for reads only: every append is refused
  // for good with that DATA_LOSS (WriteStatus() says it), and reads serve what is left, so that
  // an operator can read a damaged log while its restore is prepared. Default: false.
  bool open_damaged = false;

  // The memory budget the store's block cache and memtables count against (see MemoryBudget).
  // Default: null, MemoryBudget::ProcessDefault().
  std::shared_ptr<MemoryBudget> memory;

  // The RocksDB environment (file system, threads) to use; not owned, must outlive the store.
  // For tests that inject faults. Default: nullptr, RocksDB's default environment.
  rocksdb::Env* env = nullptr;
};

// What a writer expects of a stream's head before its events are appended.
class ExpectedVersion {
 public:
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };

  // No expectation.
  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  // The stream has no events yet.
  static ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  // The stream has at least one event.
  static ExpectedVersion StreamExists() { return ExpectedVersion(Kind::kStreamExists, 0); }
  // The stream's last event has exactly this version. Exactly(0) means the same as NoStream().
  static ExpectedVersion Exactly(uint64_t version) {
    return ExpectedVersion(Kind::kExact, version);
  }

  Kind kind() const { return kind_; }
  uint64_t version() const { return version_; }
  // True if a stream whose head is `head` (0: no stream) meets this expectation.
  bool IsMetBy(uint64_t head) const;
  std::string ToString() const;

 private:
  ExpectedVersion(Kind kind, uint64_t version) : kind_(kind), version_(version) {}
  Kind kind_;
  uint64_t version_;
};

// Who caused an event and why, given by the writer. The store keeps it as given.
struct EventMetadata {
  // Business time: when the thing happened. absl::InfinitePast() means "not given"; a recorded
  // event then reports its recorded_at here.
  absl::Time occurred_at = absl::InfinitePast();
  std::string actor;           // who did it; at most kMaxMetadataFieldBytes
  std::string correlation_id;  // the conversation it belongs to; at most kMaxMetadataFieldBytes
  std::string causation_id;    // what caused it; at most kMaxMetadataFieldBytes
};

// An event a writer asks the store to append.
struct ProposedEvent {
  // Nil: the store generates a UUIDv7. Give your own to make retries idempotent.
  EventId id;
  // [A-Za-z0-9_.], 1 to kMaxEventTypeBytes bytes, e.g. "hotspot.v1.YouthReferred".
  std::string type;
  std::string payload;
  EventMetadata metadata;
  // The area the event belongs to, kept in the record's header (covered by its hash, not by the
  // content digest an idempotent retry is compared by), so that a reader filters by area without
  // parsing the payload. Characters as a stream name's, at most kMaxAreaBytes; may be empty.
  std::string area;
};

// The events for one stream in an Append() call.
struct StreamAppend {
  // [A-Za-z0-9_.:-], 1 to kMaxStreamNameBytes bytes. The category is the part before the first
  // '-' ("youth" for "youth-42"), or the whole name if it has none.
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  // May be empty: the stream's expectation is then checked, atomically with the other streams,
  // without writing to it. A call needs at least one event over all its streams.
  std::vector<ProposedEvent> events;
};

// An event as stored.
struct RecordedEvent {
  uint64_t position = 0;  // global, from 1, contiguous
  std::string stream;
  uint64_t stream_version = 0;  // within the stream, from 1, contiguous
  EventId id;
  std::string type;
  absl::Time recorded_at;  // the store's clock when the event was committed
  EventMetadata metadata;  // occurred_at is recorded_at where the writer gave none
  std::string payload;
  std::string hash;  // 32 bytes: SHA-256 chained to the previous event's hash
  // ProposedEvent::area as written; nullopt for an event written before the log recorded areas
  // (record formats 1 and 2): a reader then finds it in the payload, if anywhere.
  std::optional<std::string> area;

  // The stream's category (see StreamAppend::stream).
  absl::string_view category() const;
};

struct AppendResult {
  // The position of each event, in the order of the call (streams in order, then their events).
  std::vector<uint64_t> positions;
  // Each stream's version after its last event of the call (its head if it had no events), in the
  // order of the call's streams.
  std::vector<uint64_t> stream_versions;
  // True if every event was already stored with the same content, so nothing was written and the
  // results are those of the original append.
  bool duplicate = false;
};

enum class Direction { kForward, kBackward };

// Chooses events for a subscription; an event matches if it passes every non-empty list.
struct SubscriptionFilter {
  std::vector<std::string> categories;       // stream category equals one of these
  std::vector<std::string> stream_prefixes;  // stream name starts with one of these
  std::vector<std::string> event_types;      // type equals one of these

  bool Matches(const RecordedEvent& event) const;
};

struct SubscriptionBatch {
  // The matching events, in position order.
  std::vector<std::shared_ptr<const RecordedEvent>> events;
  // Every position below this one has been examined: subscribing again from here continues with
  // no event lost and none repeated, also when the filter matched nothing.
  uint64_t checkpoint = 0;
  // True if the batch reached the head of the log as it was when the batch was taken.
  bool caught_up = false;
};

// Counters since Open(), for monitoring and benchmarks.
struct StoreStats {
  uint64_t appends = 0;         // Append calls completed (including failures and duplicates)
  uint64_t events_written = 0;  // events committed
  uint64_t syncs = 0;           // write-ahead log syncs (one fsync each with Options::sync)
  uint64_t write_micros = 0;    // time spent writing groups (memtables, WAL file, no fsync)
  uint64_t sync_micros = 0;     // time spent in those syncs
  // The head witness (head_witness.h): the position it holds, and the writes of it that failed
  // (each is tried again a second later; until one succeeds, what was acknowledged since is not
  // witnessed, and a lost tail of it would not be noticed at open).
  uint64_t witnessed_position = 0;
  uint64_t witness_failures = 0;
  // The recent events kept in memory for live subscribers (Options::live_buffer_events and
  // live_buffer_bytes bound them): how many, and the bytes they count for (with their heap
  // overhead), which fill up to the bound as events commit.
  uint64_t live_buffer_events = 0;
  uint64_t live_buffer_bytes = 0;
};

class EventStore;

// A cursor over the log from a starting position: the backlog first (from memory where the
// events are recent, from disk otherwise), then live events as they commit. In order, with no
// event skipped or repeated. Made by EventStore::Subscribe().
//
// Waiting. Next() with a timeout blocks its thread while nothing new commits. A reader that must
// not hold a thread (a server's stream) calls Next() with a zero timeout, and once it is caught up
// asks OnReady() to be called back when there is more to read.
//
// Thread-safety: Next() and OnReady() are for one thread at a time; Cancel() may be called from
// any thread, also while Next() waits. A Subscription must be destroyed before the EventStore
// that made it; destroying it drops its OnReady() callback unrun.
class Subscription {
 public:
  virtual ~Subscription() = default;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Returns up to `max_events` matching events at or after the cursor and moves the cursor past
  // everything examined. If nothing new has committed it waits up to `timeout` for a commit; on
  // timeout it returns an empty batch with caught_up set (OK). CANCELLED once Cancel() was
  // called; INVALID_ARGUMENT if max_events is 0; DATA_LOSS if a stored event cannot be decoded.
  virtual absl::StatusOr<SubscriptionBatch> Next(size_t max_events, absl::Duration timeout) = 0;

  // Calls `ready` once, when Next() would return at once: with OK when the log holds an event at
  // or past the cursor; with CANCELLED once Cancel() is called or the store is closing. If that
  // is so already, it runs at once on the calling thread. Otherwise it runs later on the store's
  // committer thread (when a commit publishes that event, which it must not hold up: it should
  // only hand work on, e.g. to a worker pool), or on the thread that calls Cancel(). One
  // callback at a time: a second call before the first ran replaces it (destroyed unrun).
  virtual void OnReady(absl::AnyInvocable<void(absl::Status) &&> ready) = 0;

  // Stops the subscription: a waiting Next() returns CANCELLED promptly, and so does every later
  // one; an OnReady() callback runs with CANCELLED. Idempotent.
  virtual void Cancel() = 0;

  // The next position this subscription will examine.
  virtual uint64_t position() const = 0;

 protected:
  Subscription() = default;
};

// The outcome of Verify().
struct VerifyReport {
  // OK if the chain holds over the range and the indexes agree with it. DATA_LOSS if it breaks
  // (an event missing, undecodable, or with a hash that does not match: "hash chain broken at
  // position N: ...") or an index entry of an event is missing or points elsewhere ("stream index
  // broken at position N: ...", "event-id index broken at position N: ..."), naming the position.
  absl::Status status;
  uint64_t events_checked = 0;
  // The first position where the chain breaks, if it does.
  std::optional<uint64_t> first_broken_position;
};

class EventStore {
 public:
  // Opens (or, with create_if_missing, creates) the store in `directory`: the RocksDB engine
  // (rocks_event_store.h). Returns a store that is
  // ready for use, or: INVALID_ARGUMENT for bad options or a directory that holds no store while
  // create_if_missing is off; DATA_LOSS if the database is corrupt, its last event cannot be
  // decoded, or it lost acknowledged events (rocks_event_store.h, "At open", and Options::open_damaged);
  // FAILED_PRECONDITION for an unknown format version; UNAVAILABLE if another process
  // holds the directory's lock; INTERNAL for other I/O errors.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(Options options,
                                                          const std::string& directory);

  // Finishes every append already accepted (their callers are completed), wakes every waiting
  // subscription with CANCELLED (and runs every OnReady() callback with CANCELLED), stops the
  // writer and closes the database.
  virtual ~EventStore() = default;

  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<AppendResult>) &&>;

  // Appends atomically to every stream in `appends`, blocking until the events are durable.
  // Returns the positions and versions, or:
  //   INVALID_ARGUMENT: a limit or naming rule is broken (no events at all, a stream name empty,
  //     too long or with a character outside [A-Za-z0-9_.:-], the same stream twice, an event
  //     type that is empty or malformed, a payload over max_payload_bytes, too many events,
  //     streams or bytes, a metadata field too long, an area too long or of a character
  //     outside [A-Za-z0-9_.:-], the same event id twice in one call); the message names the
  //     offending field.
  //   ABORTED: a stream's expected version is not met (read again and retry); the message names
  //     the stream, what was expected and its actual version.
  //   ALREADY_EXISTS: an event id is stored already with other content, or only some of the
  //     call's event ids are stored already.
  //   UNAVAILABLE: the store is closing, or max_queued_appends appends are waiting.
  //   INTERNAL / RESOURCE_EXHAUSTED (the disk is full) / DATA_LOSS: writing or syncing failed,
  //     or had failed and the store has not recovered yet (the engine's "Failure"); the message
  //     names the store's directory and the cause. Also Options::before_write's error.
  // In every error case but the last, nothing of the call has been written. After a failed write
  // or sync the outcome is unknown (the events may survive in the log file): once WriteStatus()
  // is OK again, retry with the same event ids; idempotency makes the retry write them at most
  // once.
  virtual absl::StatusOr<AppendResult> Append(std::vector<StreamAppend> appends) = 0;

  // Like Append(), but returns at once and calls `done` with the result. `done` runs on one of
  // the store's threads (or on the caller's, for input rejected before queueing), in commit
  // order: it must be quick and must not wait for another append.
  virtual void AppendAsync(std::vector<StreamAppend> appends, AppendCallback done) = 0;

  // Reads up to `limit` events of `stream`. Forward: versions from `from_version` upwards (0
  // counts as 1). Backward: versions from `from_version` downwards (UINT64_MAX: from the head).
  // An unknown stream reads as empty. INVALID_ARGUMENT for a malformed stream name or limit 0.
  virtual absl::StatusOr<std::vector<RecordedEvent>> ReadStream(absl::string_view stream,
                                                        uint64_t from_version, Direction direction,
                                                        size_t limit) const = 0;

  // Reads up to `limit` events of the whole log. Forward: positions from `from_position` upwards
  // (0 counts as 1). Backward: from `from_position` downwards (UINT64_MAX: from the head).
  // INVALID_ARGUMENT for limit 0; DATA_LOSS if a stored event cannot be decoded.
  virtual absl::StatusOr<std::vector<RecordedEvent>> ReadAll(uint64_t from_position, Direction direction,
                                                     size_t limit) const = 0;

  // Reads the events at `positions` (each at most the head; any order, returned in the same
  // order) with one batched lookup: for an index of positions kept elsewhere (the audit's
  // subject index). INVALID_ARGUMENT for position 0 or past the head, or more than
  // max_read_events positions; DATA_LOSS if one is missing or cannot be decoded.
  virtual absl::StatusOr<std::vector<RecordedEvent>> ReadPositions(
      const std::vector<uint64_t>& positions) const = 0;

  // The position of the committed event with this id, or nullopt if no event has it.
  // UNAVAILABLE if the event is being committed (written, not yet durable): ask again shortly.
  // DATA_LOSS if its index entry is malformed.
  virtual absl::StatusOr<std::optional<uint64_t>> FindEvent(const EventId& id) const = 0;

  // The position of the last committed event; 0 if the log is empty.
  virtual uint64_t HeadPosition() const = 0;

  virtual StoreStats Stats() const = 0;

  // OK while the store accepts appends. After a failed write or sync (a full disk, an I/O
  // error), the error appends fail with until the store has recovered by itself (the engine's "Failure"):
  // RESOURCE_EXHAUSTED while the disk is full, INTERNAL for other I/O errors, DATA_LOSS if it
  // cannot recover.
  virtual absl::Status WriteStatus() const = 0;

  // Refuses every append from now on, for good, with `why` (which must not be OK): for a log
  // found broken (hotspotd's LogVerifier), which only a restore repairs. Appends already written
  // complete as they would; reads go on. WriteStatus() says `why` from then on.
  virtual void RefuseWrites(absl::Status why) = 0;

  // Serves reads only up to `head` from now on, for a log found broken after it (hotspotd's
  // --serve_damaged_log): HeadPosition(), reads and subscriptions stop there, as if the log
  // ended there; Verify() still covers the rest, and finds the break. Call it after
  // RefuseWrites() (writes past a limited head would reuse positions), before anyone reads;
  // FAILED_PRECONDITION otherwise. A head at or past HeadPosition() changes nothing.
  virtual absl::Status LimitReadsTo(uint64_t head) = 0;

  // The version of the stream's last event; 0 if it has none. INVALID_ARGUMENT for a malformed
  // stream name.
  virtual absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream) const = 0;

  // Starts a subscription at `from_position` (0 counts as 1; HeadPosition() + 1 for live events
  // only). INVALID_ARGUMENT for a malformed filter.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(uint64_t from_position,
                                                          SubscriptionFilter filter) = 0;

  // Recomputes the hash chain from `from` to `to`, inclusive (0 for `from` counts as 1; `to` past
  // the head counts as the head), and checks that each event's entries in the stream index (its
  // stream and version) and the event-id index (its position, version and content digest) point
  // at it. See VerifyReport. INVALID_ARGUMENT if from > to.
  virtual VerifyReport Verify(uint64_t from, uint64_t to) const = 0;

  // Writes a consistent copy of the store to `directory`, which must not exist yet, on the same
  // file system for hard links to be used. Open() can open the copy. The copy holds a gap-free
  // prefix of the log that includes every acknowledged event (and possibly a few that were being
  // committed). Returns the copy's head: the last position it holds, read from the copy itself
  // (appends go on while it is taken, so HeadPosition() before or after may differ from it).
  // INVALID_ARGUMENT if the directory exists; INTERNAL for I/O errors; WriteStatus() while the
  // store refuses appends (a checkpoint writes to the database too). Appends wait meanwhile.
  virtual absl::StatusOr<uint64_t> Checkpoint(const std::string& directory) = 0;

 protected:
  EventStore() = default;
};

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_EVENT_STORE_H_
