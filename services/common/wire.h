// A protobuf message's wire form, written and read by hand, for what is served as stored bytes
// without parsing them into messages (queries::AppendStoredEvent: histories and subscriptions):
// varints, tags and length-delimited fields out; a message's fields one by one in, without its
// schema. Encodings as https://protobuf.dev/programming-guides/encoding/ gives them; proto3's
// implicit presence for the scalar helpers (a zero or an empty string is not written).
//
// Thread-safety: functions on their arguments; a WireReader is one reader's.
#ifndef HOTSPOT_SERVICES_COMMON_WIRE_H_
#define HOTSPOT_SERVICES_COMMON_WIRE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace hotspot::common::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

inline void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

inline void PutTag(std::string& out, int field, WireType type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

// A length-delimited field (a string, bytes, a message), written even if empty.
inline void PutLength(std::string& out, int field, absl::string_view bytes) {
  PutTag(out, field, kLength);
  PutVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// A varint field (uint64, a non-negative int, an enum, a bool), not written if zero.
inline void PutVarintField(std::string& out, int field, uint64_t value) {
  if (value == 0) return;
  PutTag(out, field, kVarint);
  PutVarint(out, value);
}

// A string or bytes field, not written if empty.
inline void PutStringField(std::string& out, int field, absl::string_view bytes) {
  if (!bytes.empty()) PutLength(out, field, bytes);
}

// One field of a message's wire form.
struct WireField {
  int number = 0;
  WireType type = kVarint;
  uint64_t varint = 0;      // kVarint
  absl::string_view value;  // kLength: its bytes
  absl::string_view whole;  // the tag and the value, as they are
};

// Reads a message's wire form field by field, without its schema. The bytes must outlive it.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes) : at_(bytes.data()), end_(at_ + bytes.size()) {}

  // The next field; false at the end, or if the bytes are not a wire form (then failed()):
  // a truncated field, a field number of 0 or past 2^29 - 1, or a group (no schema here has one).
  bool Next(WireField& field) {
    if (at_ == end_) return false;
    const char* start = at_;
    uint64_t tag = 0;
    if (!Varint(tag) || (tag >> 3) == 0 || (tag >> 3) > 536'870'911) return Fail();
    field.number = static_cast<int>(tag >> 3);
    field.type = static_cast<WireType>(tag & 7);
    switch (field.type) {
      case kVarint:
        if (!Varint(field.varint)) return Fail();
        break;
      case kFixed64:
      case kFixed32: {
        const size_t size = field.type == kFixed64 ? 8 : 4;
        if (static_cast<size_t>(end_ - at_) < size) return Fail();
        at_ += size;
        break;
      }
      case kLength: {
        uint64_t size = 0;
        if (!Varint(size) || size > static_cast<uint64_t>(end_ - at_)) return Fail();
        field.value = absl::string_view(at_, size);
        at_ += size;
        break;
      }
      default:
        return Fail();
    }
    field.whole = absl::string_view(start, at_ - start);
    return true;
  }
  bool failed() const { return failed_; }

 private:
  bool Varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64 && at_ != end_; shift += 7) {
      const auto byte = static_cast<uint8_t>(*at_++);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Fail() {
    failed_ = true;
    return false;
  }

  const char* at_;
  const char* const end_;
  bool failed_ = false;
};

// The last field `number` of wire type `type` in `message` (a parser keeps the last of a singular
// field), into `found`; found.number is 0 if there is none. False if `message` is not a wire form.
inline bool FindLast(absl::string_view message, int number, WireType type, WireField& found) {
  found = WireField();
  WireReader reader(message);
  WireField field;
  while (reader.Next(field)) {
    if (field.number == number && field.type == type) found = field;
  }
  return !reader.failed();
}

}  // namespace hotspot::common::wire

#endif  // HOTSPOT_SERVICES_COMMON_WIRE_H_
