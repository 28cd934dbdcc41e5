// The part of an append that is the same in every engine of EventStore: checking a call's input
// (names, limits; the messages name the field), preparing its events (ids, content digests), and
// staging a group of calls against the log as it stands: idempotency by event id, expected
// versions, positions, stream versions, the records (record_codec.h) and their hash chain. An
// engine supplies what the log holds (LogState) and writes what is staged (the puts it is given)
// in one atomic write of its own: a RocksDB WriteBatch, a PostgreSQL transaction.
//
// Thread-safety: PrepareAppend on any thread; StageGroup on the engine's one writer (it moves
// the chain's hash and the next position).
#ifndef HOTSPOT_STORE_APPEND_PLAN_H_
#define HOTSPOT_STORE_APPEND_PLAN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/event_store.h"
#include "store/record_codec.h"

namespace hotspot::store::internal {

// Names and fields, as every engine checks them (INVALID_ARGUMENT naming `field`).
bool IsStreamChar(char c);
absl::Status ValidateStreamName(absl::string_view field, absl::string_view stream);
// A subscription's filter: its categories, stream prefixes and event types.
absl::Status ValidateFilter(const SubscriptionFilter& filter);

// Times as the log stores them (microseconds since the epoch).
absl::Time TruncateToMicros(absl::Time t);

// An event made ready for the writer on the caller's thread: id chosen, content encoded and
// digested, and the RecordedEvent that subscribers will see filled but for what the writer adds.
struct PreparedEvent {
  std::string content;
  std::string digest;
  bool id_generated = false;
  bool occurred_at_given = false;
  std::shared_ptr<RecordedEvent> event;
};

struct PreparedStream {
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<PreparedEvent> events;
};

// One Append call, checked and prepared.
struct PendingAppend {
  std::vector<PreparedStream> streams;
  size_t event_count = 0;
  EventStore::AppendCallback done;
};

// Checks `appends` against the naming rules and `options`' limits (EventStore::Append's
// INVALID_ARGUMENT cases) and prepares its events.
absl::StatusOr<std::unique_ptr<PendingAppend>> PrepareAppend(const Options& options,
                                                             std::vector<StreamAppend> appends);

// What the log holds, as the engine's writer sees it (written groups included).
class LogState {
 public:
  virtual ~LogState() = default;
  // The version of the stream's last event; 0 if it has none.
  virtual absl::StatusOr<uint64_t> StreamHead(const std::string& stream) = 0;
  // The entry of an event id; nullopt if no event has it.
  virtual absl::StatusOr<std::optional<EventIdEntry>> StoredEventId(const EventId& id) = 0;
};

// One event staged: what the engine writes for it.
struct StagedEvent {
  uint64_t position = 0;
  std::string stream;
  uint64_t stream_version = 0;
  EventId id;
  EventIdEntry entry;  // its event-id index entry
  std::string record;  // EncodeRecord's bytes
};

// A group of appends staged together: each call's result (its error if it failed: then nothing
// of it is staged), the events to write and publish, and the streams' new heads.
struct StagedGroup {
  std::vector<std::unique_ptr<PendingAppend>> appends;
  std::vector<absl::StatusOr<AppendResult>> results;
  std::vector<StagedEvent> writes;
  std::vector<std::shared_ptr<const RecordedEvent>> events;  // for subscribers, in order
  absl::flat_hash_map<std::string, uint64_t> heads;          // stream -> its new version
  uint64_t last_position = 0;                                // the head after this group
};

// Stages `appends` in order against `state` and the group's own earlier calls: a call whose
// every event id is stored already gets its original result (duplicate); one with some of them,
// or an id stored with other content, ALREADY_EXISTS; an expected version that does not hold,
// ABORTED naming the stream; else its events take the positions from `next_position` on, at
// `recorded_at`, chained from `last_hash` (which it moves to the last staged event's hash).
// `failed`, if not OK, is every call's result (the store refuses writes). A call's error from
// `state` fails that call only.
StagedGroup StageGroup(std::vector<std::unique_ptr<PendingAppend>> appends, uint64_t next_position,
                       absl::Time recorded_at, std::string& last_hash, LogState& state,
                       const absl::Status& failed);

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_APPEND_PLAN_H_
