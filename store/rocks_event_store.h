// RocksEventStore: the RocksDB engine of EventStore (event_store.h), embedded, on this node's
// disk: the default, and what EventStore::Open() opens. One RocksDB database holds the log.
//
// Threading. A caller's thread checks an append's input and hashes its content; then one
// writer thread takes all waiting appends as a group, validates them in arrival order against
// the store as it stands, and writes the group as one RocksDB WriteBatch. A committer thread makes
// every group written so far durable with one fsync of the write-ahead log (group commit), and
// only then publishes the events to readers and completes the callers. While the committer waits
// for the disk, the writer goes on with the next group. Reads run on the caller's thread against
// RocksDB snapshots, see only published events, and never wait for the writer.
//
// Failure. If a write or an fsync fails (an I/O error, a full disk), nothing of the affected
// groups is acknowledged: their appends fail with the error, and so does every append until the
// store has recovered (WriteStatus() says why). It recovers by itself, without a restart: at
// once, then after Options::min_recovery_backoff, doubling up to max_recovery_backoff (on its
// own, and on an append once the interval has passed), the writer writes and syncs a probe file;
// once the disk takes it, the writer closes the database and opens it again (after a failed
// write or fsync the state of the log on disk is unknown, and RocksDB's write path must not be
// used again), takes the next position and the chain's hash from the log, and goes on.
// Meanwhile reads and subscriptions go on: they hold the database shared, the reopening holds it
// exclusively for the moment it takes (and if it fails, the database is opened read-only until
// the next try).
// Events of failed appends that reached the log anyway are published when it is reopened; a retry
// with the same event ids returns them as duplicates, so nothing is written twice. Should the
// reopened log lack an acknowledged event, the store refuses appends for good with DATA_LOSS.
// Reads never stop the store: a failed read fails only that read (INTERNAL), or the append that
// needed it. Every read answers UNAVAILABLE ("ask again shortly") only while no database could
// be opened at all, not even read-only.
//
// At open. RocksDB replays its write-ahead log up to the first record it cannot read: a torn
// tail after a crash, but also a damaged record in the middle, after which every record would be
// dropped silently. A witness kept outside that log (head_witness.h), recorded after commits
// (at most every 10 ms, by a thread of its own: no append waits for it),
// says how far the log was acknowledged and which event stands there; Open() refuses a log that
// ends before it or holds another event there (DATA_LOSS naming both positions and how to
// recover; see Options::open_damaged), so that a position acknowledged once is never given to
// another event. Without Options::sync nothing is acknowledged as durable and nothing is
// witnessed.
//
// On-disk format. Column families:
//   "log":       fixed64-BE position -> encoded event (see record_codec.h: format version 3,
//                which names the previous record's chain hash, so that a read checks a record's
//                hash without its predecessor, and the event's area, so that a reader filters by
//                area without parsing the payload; records of formats 1 and 2 are read as well)
//   "streams":   stream name, 0x00, fixed64-BE version -> fixed64-BE position
//   "heads":     stream name -> fixed64-BE version of its last event
//   "event_ids": 16-byte event id -> position, stream version, content digest
//   "default":   metadata ("format_version": the newest record format the log may hold; a log of
//                format 1 or 2 is marked 3 when it is opened for writing)
// One append writes all of these in one WriteBatch, so they never disagree. Beside the database:
// HEAD_WITNESS-0 and HEAD_WITNESS-1 (see head_witness.h); a store without them opens as before.
#ifndef HOTSPOT_STORE_ROCKS_EVENT_STORE_H_
#define HOTSPOT_STORE_ROCKS_EVENT_STORE_H_

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace hotspot::store {

class RocksEventStore final : public EventStore {
 public:
  // See EventStore::Open().
  static absl::StatusOr<std::unique_ptr<RocksEventStore>> Open(Options options,
                                                               const std::string& directory);
  ~RocksEventStore() override;

  absl::StatusOr<AppendResult> Append(std::vector<StreamAppend> appends) override;
  void AppendAsync(std::vector<StreamAppend> appends, AppendCallback done) override;
  absl::StatusOr<std::vector<RecordedEvent>> ReadStream(absl::string_view stream,
                                                        uint64_t from_version, Direction direction,
                                                        size_t limit) const override;
  absl::StatusOr<std::vector<RecordedEvent>> ReadAll(uint64_t from_position, Direction direction,
                                                     size_t limit) const override;
  absl::StatusOr<std::vector<RecordedEvent>> ReadPositions(
      const std::vector<uint64_t>& positions) const override;
  absl::StatusOr<std::optional<uint64_t>> FindEvent(const EventId& id) const override;
  uint64_t HeadPosition() const override;
  StoreStats Stats() const override;
  absl::Status WriteStatus() const override;
  void RefuseWrites(absl::Status why) override;
  absl::Status LimitReadsTo(uint64_t head) override;
  absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream) const override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(uint64_t from_position,
                                                          SubscriptionFilter filter) override;
  VerifyReport Verify(uint64_t from, uint64_t to) const override;
  absl::StatusOr<uint64_t> Checkpoint(const std::string& directory) override;

 private:
  friend class RocksSubscription;
  struct Impl;
  explicit RocksEventStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// The RocksDB engine's subscription: the backlog from the store's live buffer where the events
// are recent, from disk otherwise, then live events as the committer publishes them.
class RocksSubscription final : public Subscription {
 public:
  ~RocksSubscription() override;
  absl::StatusOr<SubscriptionBatch> Next(size_t max_events, absl::Duration timeout) override;
  void OnReady(absl::AnyInvocable<void(absl::Status) &&> ready) override;
  void Cancel() override;
  uint64_t position() const override { return cursor_; }

 private:
  friend class RocksEventStore;
  RocksSubscription(RocksEventStore* store, uint64_t from, SubscriptionFilter filter)
      : store_(store), cursor_(from), filter_(std::move(filter)) {}

  RocksEventStore* const store_;
  uint64_t cursor_;
  const SubscriptionFilter filter_;
  std::atomic<bool> cancelled_{false};
  std::deque<RecordedEvent> readahead_;  // read from disk, from cursor_ on, not yet returned
  // The OnReady() callback and the position it waits for, listed in the store's waiters while
  // set. Guarded by the store's live_mu.
  absl::AnyInvocable<void(absl::Status) &&> ready_;
  uint64_t ready_at_ = 0;
  void DropReady(absl::AnyInvocable<void(absl::Status) &&>& out);
};

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_ROCKS_EVENT_STORE_H_
