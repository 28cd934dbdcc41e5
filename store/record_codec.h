// The on-disk encoding of the store's keys and values (format version 3; records of formats 1
// and 2 are read as well). Internal to store/.
//
// A log record is
//   u8        format version (3; 1 or 2 in logs written before it)
//   fixed64   position
//   fixed64   stream version
//   fixed64   recorded_at, microseconds since the Unix epoch (two's complement)
//   32 bytes  chain hash
//   32 bytes  the previous record's chain hash (formats 2 and 3)
//   varint-length-prefixed area (format 3 only; may be empty)
//   ...       content section, to the end of the value
// and the content section is
//   16 bytes  event id
//   varint-length-prefixed stream, type
//   u8        1 if occurred_at was given, then fixed64 occurred_at in microseconds; else 0
//   varint-length-prefixed actor, correlation id, causation id, payload
// All fixed64 are big-endian.
//
//   content digest = SHA-256(content section)
//   chain hash     = SHA-256(previous chain hash || position || stream version || recorded_at ||
//                            content digest [|| varint length || area, if the area is not empty])
// with 32 zero bytes as the previous hash of position 1. The area is in the header, not in the
// content, so that the content digest of an event is the same in every format (a retry of an
// append written before format 3 is still known as one); the chain hash covers it. The content digest is also what the
// event-id index keeps to tell an idempotent retry from a reused id; it depends only on what the
// writer gave, so a caller's thread computes it before the writer thread sees the append.
//
// Format 2 keeps the previous chain hash in the record, so that a read checks a record's hash
// from the record alone (CheckRecord); that the previous hash is its predecessor's is checked
// where both are read (a range, VerifyLog). Format 1 needs the predecessor's record for that
// check. Format 3 adds the event's area (ProposedEvent::area), so that a reader filters by area
// without parsing the payload. The chain is the same in every format for an event without area.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_STORE_RECORD_CODEC_H_
#define HOTSPOT_STORE_RECORD_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/event_store.h"

namespace hotspot::store::internal {

// The format new records are written in, and the oldest one read.
inline constexpr uint8_t kFormatVersion = 3;
inline constexpr uint8_t kOldestFormatVersion = 1;
inline constexpr size_t kHashBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 1 + 8 + 8 + 8 + kHashBytes + kHashBytes;
inline constexpr size_t kFormat1HeaderBytes = 1 + 8 + 8 + 8 + kHashBytes;

void PutFixed64(std::string* out, uint64_t value);
uint64_t DecodeFixed64(const char* p);

// "log" key.
std::string LogKey(uint64_t position);
// "streams" keys: the prefix every key of `stream` starts with, and one version's key.
std::string StreamKeyPrefix(absl::string_view stream);
std::string StreamKey(absl::string_view stream, uint64_t version);

// "event_ids" value.
struct EventIdEntry {
  uint64_t position = 0;
  uint64_t stream_version = 0;
  std::string content_digest;
};
std::string EncodeEventIdEntry(const EventIdEntry& entry);
// DATA_LOSS if `value` is not an encoded entry.
absl::StatusOr<EventIdEntry> DecodeEventIdEntry(absl::string_view value);

// The content section of `event` in `stream`. `event.id` must not be nil.
std::string EncodeContent(absl::string_view stream, const ProposedEvent& event);
// SHA-256 of `data`, 32 raw bytes.
std::string Sha256(absl::string_view data);

struct RecordHeader {
  uint64_t position = 0;
  uint64_t stream_version = 0;
  int64_t recorded_at_micros = 0;
  absl::string_view area;  // format 3; empty in records of formats 1 and 2
};
std::string ChainHash(absl::string_view previous_hash, const RecordHeader& header,
                      absl::string_view content_digest);
// A record of `format`: the current one, or an older one as logs written before it hold them
// (for tests of such logs; format 1 leaves out `previous_hash`, formats 1 and 2 the area).
std::string EncodeRecord(const RecordHeader& header, absl::string_view previous_hash,
                         absl::string_view chain_hash, absl::string_view content,
                         uint8_t format = kFormatVersion);

// A log record split into its parts, pointing into the value it was parsed from.
struct RecordView {
  uint8_t format = 0;
  RecordHeader header;
  absl::string_view chain_hash;
  absl::string_view previous_hash;  // formats 2 and 3; empty in a record of format 1
  absl::string_view content;
};
// DATA_LOSS if `value` is too short or of a format version not read.
absl::StatusOr<RecordView> ParseRecord(absl::string_view value);
// Whether `view`'s chain hash is that of its header and content after `previous_hash` (the
// predecessor's chain hash; for a record of format 2 or 3, its own previous_hash if empty).
bool HashHolds(const RecordView& view, absl::string_view previous_hash = {});
// Decodes a whole record. DATA_LOSS if it is malformed.
absl::StatusOr<RecordedEvent> DecodeRecord(absl::string_view value);

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_RECORD_CODEC_H_
