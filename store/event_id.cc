#include "store/event_id.h"

#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "store/record_codec.h"

namespace hotspot::store {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsDashPosition(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

EventId EventId::FromName(absl::string_view name) {
  const std::string digest = internal::Sha256(name);
  EventId id;
  std::memcpy(id.bytes_.data(), digest.data(), kSize);
  id.bytes_[6] = static_cast<char>((id.bytes_[6] & 0x0f) | 0x80);  // version 8
  id.bytes_[8] = static_cast<char>((id.bytes_[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

EventId EventId::Generate() {
  thread_local absl::BitGen gen;
  EventId id;
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  for (int i = 0; i < 6; ++i) id.bytes_[i] = static_cast<char>(ms >> (8 * (5 - i)));
  const uint64_t r1 = absl::Uniform<uint64_t>(gen);
  const uint64_t r2 = absl::Uniform<uint64_t>(gen);
  std::memcpy(id.bytes_.data() + 6, &r1, 2);
  std::memcpy(id.bytes_.data() + 8, &r2, 8);
  id.bytes_[6] = static_cast<char>((id.bytes_[6] & 0x0F) | 0x70);  // version 7
  id.bytes_[8] = static_cast<char>((id.bytes_[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return id;
}

absl::StatusOr<EventId> EventId::Parse(absl::string_view text) {
  if (text.size() != 36) {
    return absl::InvalidArgumentError(
        absl::StrCat("event id: want a 36-character UUID, got ", text.size(), " characters"));
  }
  EventId id;
  size_t out = 0;
  for (size_t i = 0; i < text.size();) {
    if (IsDashPosition(i)) {
      if (text[i] != '-') return absl::InvalidArgumentError("event id: not a UUID (dashes)");
      ++i;
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("event id: not a UUID (hex digits)");
    id.bytes_[out++] = static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return id;
}

absl::StatusOr<EventId> EventId::FromBytes(absl::string_view bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("event id: want ", kSize, " bytes, got ", bytes.size()));
  }
  EventId id;
  std::memcpy(id.bytes_.data(), bytes.data(), kSize);
  return id;
}

bool EventId::IsNil() const {
  for (char c : bytes_) {
    if (c != 0) return false;
  }
  return true;
}

std::string EventId::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < kSize; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto b = static_cast<unsigned char>(bytes_[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

}  // namespace hotspot::store
