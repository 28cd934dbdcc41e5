// W3C Trace Context (https://www.w3.org/TR/trace-context/): the "traceparent" header a caller
// sends with a call, so that what hotspotd logs about the call carries the caller's trace id.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                version-trace id (32 hex)-parent span id (16 hex)-flags
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_OBSERVABILITY_TRACE_CONTEXT_H_
#define HOTSPOT_SERVICES_OBSERVABILITY_TRACE_CONTEXT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace hotspot::observability {

struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  bool sampled = false;   // flag 01
};

// The trace context of a "traceparent" value, or nullopt if it is malformed, as the standard
// has it: lowercase hex only; version ff, an all-zero trace id or parent id are invalid; a
// version 00 value is exactly 55 characters, a later version may add "-..." after them.
std::optional<TraceContext> ParseTraceparent(absl::string_view value);

// The trace id of the "traceparent" in a call's metadata; "" if it has none or a malformed one.
std::string TraceIdIn(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);
// The same of a call.
std::string TraceIdOf(const grpc::ServerContextBase& context);

}  // namespace hotspot::observability

#endif  // HOTSPOT_SERVICES_OBSERVABILITY_TRACE_CONTEXT_H_
