// EventId: the 16-byte UUID that identifies an event forever.
//
// Clients may choose event ids themselves (for idempotent retries) or leave them nil and let the
// store generate one. Generated ids are UUIDv7 (RFC 9562): a millisecond timestamp followed by
// random bits, so ids written close in time sit close together in the event-id index.
//
// Thread-safety: a value type; Generate() is safe to call from any thread.
#ifndef HOTSPOT_STORE_EVENT_ID_H_
#define HOTSPOT_STORE_EVENT_ID_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotspot::store {

class EventId {
 public:
  static constexpr size_t kSize = 16;

  // The nil UUID (all zero bits): "not chosen, generate one".
  EventId() = default;

  // A fresh UUIDv7.
  static EventId Generate();

  // A name-based UUID (version 8: the first 16 bytes of SHA-256 of `name`, with the version
  // and variant bits set): the same name always gives the same id. For ids that must come out
  // the same on a retry, e.g. a command's events from its request id.
  static EventId FromName(absl::string_view name);

  // Parses the canonical 36-character form ("8-4-4-4-12" lower- or upper-case hex).
  // INVALID_ARGUMENT if `text` is not in that form.
  static absl::StatusOr<EventId> Parse(absl::string_view text);

  // From exactly kSize raw bytes. INVALID_ARGUMENT on any other length.
  static absl::StatusOr<EventId> FromBytes(absl::string_view bytes);

  bool IsNil() const;
  // The canonical lower-case 36-character form.
  std::string ToString() const;
  // The kSize raw bytes, valid as long as this object lives.
  absl::string_view bytes() const { return absl::string_view(bytes_.data(), bytes_.size()); }

  friend bool operator==(const EventId& a, const EventId& b) { return a.bytes_ == b.bytes_; }
  friend bool operator!=(const EventId& a, const EventId& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const EventId& id) {
    return H::combine(std::move(h), id.bytes());
  }

 private:
  std::array<char, kSize> bytes_{};
};

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_EVENT_ID_H_
