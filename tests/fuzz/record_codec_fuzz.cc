// libFuzzer target: the store's record codec (store/record_codec.h) on arbitrary bytes, as a
// damaged or hostile database would hand them to it. Every input is parsed as a log record and as
// an event-id index entry: neither may crash, read out of bounds or overflow, and whatever
// decodes must encode back to a record that decodes to the same event (the writer's encoding and
// the reader's agree).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "store/record_codec.h"

namespace {

using hotspot::store::ProposedEvent;
using hotspot::store::RecordedEvent;
namespace internal = hotspot::store::internal;

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "record codec fuzz: %s\n", what);
  std::abort();
}

bool Same(const RecordedEvent& a, const RecordedEvent& b) {
  return a.position == b.position && a.stream == b.stream && a.stream_version == b.stream_version &&
         a.id == b.id && a.type == b.type && a.recorded_at == b.recorded_at &&
         a.metadata.occurred_at == b.metadata.occurred_at && a.metadata.actor == b.metadata.actor &&
         a.metadata.correlation_id == b.metadata.correlation_id &&
         a.metadata.causation_id == b.metadata.causation_id && a.payload == b.payload &&
         a.hash == b.hash && a.area == b.area;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view value(reinterpret_cast<const char*>(data), size);

  if (auto entry = internal::DecodeEventIdEntry(value); entry.ok()) {
    Require(internal::EncodeEventIdEntry(*entry) == value, "event-id entry does not round-trip");
  }

  auto view = internal::ParseRecord(value);
  auto event = internal::DecodeRecord(value);
  if (!view.ok()) {
    Require(!event.ok(), "a record that does not parse decoded");
    return 0;
  }
  if (!event.ok()) return 0;

  // Encode what was decoded, as the writer would, and decode it again.
  ProposedEvent proposed;
  proposed.id = event->id;
  proposed.type = event->type;
  proposed.payload = event->payload;
  proposed.metadata = event->metadata;
  const std::string content = internal::EncodeContent(event->stream, proposed);
  // In the format it came in; the previous hash of a format-1 record is not in it, the area of a
  // format-1 or -2 record neither.
  const std::string record = internal::EncodeRecord(view->header, view->previous_hash,
                                                    event->hash, content, view->format);
  Require(internal::ParseRecord(record)->previous_hash == view->previous_hash,
          "a re-encoded record names another previous hash");
  Require(internal::ParseRecord(record).ok(), "a re-encoded record does not parse");
  auto again = internal::DecodeRecord(record);
  Require(again.ok(), "a re-encoded record does not decode");
  Require(Same(*event, *again), "a re-encoded record decodes to another event");
  // The chain hash over it is defined for any header and digest.
  Require(internal::ChainHash(event->hash, view->header, internal::Sha256(content)).size() ==
              internal::kHashBytes,
          "chain hash of the wrong size");
  return 0;
}
