#include "services/observability/trace_context.h"

#include "absl/strings/ascii.h"

namespace hotspot::observability {
namespace {

// Whether `s` is lowercase hex digits only, and (with `nonzero`) not all zeros.
bool IsLowerHex(absl::string_view s, bool nonzero) {
  bool any_nonzero = false;
  for (const char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
    any_nonzero |= c != '0';
  }
  return any_nonzero || !nonzero;
}

}  // namespace

std::optional<TraceContext> ParseTraceparent(absl::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 characters.
  constexpr size_t kLength = 55;
  if (value.size() < kLength || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  const absl::string_view version = value.substr(0, 2);
  if (!IsLowerHex(version, false) || version == "ff") return std::nullopt;
  if (version == "00" ? value.size() != kLength : value.size() > kLength && value[kLength] != '-') {
    return std::nullopt;
  }
  const absl::string_view flags = value.substr(53, 2);
  TraceContext context;
  context.trace_id = std::string(value.substr(3, 32));
  context.parent_id = std::string(value.substr(36, 16));
  if (!IsLowerHex(context.trace_id, true) || !IsLowerHex(context.parent_id, true) ||
      !IsLowerHex(flags, false)) {
    return std::nullopt;
  }
  const char low = flags[1];  // the sampled flag is bit 0
  context.sampled = ((absl::ascii_isdigit(low) ? low - '0' : low - 'a' + 10) & 1) != 0;
  return context;
}

std::string TraceIdOf(const grpc::ServerContextBase& context) {
  return TraceIdIn(context.client_metadata());
}

std::string TraceIdIn(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  const auto header = metadata.find("traceparent");
  if (header == metadata.end()) return "";
  std::optional<TraceContext> parsed =
      ParseTraceparent(absl::string_view(header->second.data(), header->second.size()));
  return parsed ? std::move(parsed->trace_id) : "";
}

}  // namespace hotspot::observability
