// Logs as JSON lines: one object per line on stderr, for log collectors (journald, Loki,
// Elasticsearch) that index fields instead of parsing text.
//
//   {"time":"2025-03-01T09:30:00.123456Z","level":"INFO","source":"call_observer.cc:80",
//    "event":"rpc","method":"/hotspot.v1.QueryService/GetCase","code":"OK","duration_ms":1.9,
//    "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}
//
// hotspotd's messages are key=value fields ("event=rpc code=OK msg=\"...\""): each becomes a
// JSON field (a number where the value is a plain decimal of at most 15 digits, a string
// otherwise). A message that is not in that form is kept whole as "msg". A field named like one
// of the line's own ("time", "level", "source") gets a leading "_". Strings are valid
// JSON whatever the bytes logged: control characters are escaped, and bytes that are not UTF-8
// become U+FFFD.
//
// Thread-safety: JsonLogLine is pure; lines are written whole, one at a time.
#ifndef HOTSPOT_SERVICES_OBSERVABILITY_JSON_LOG_H_
#define HOTSPOT_SERVICES_OBSERVABILITY_JSON_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hotspot::observability {

// The JSON line (without the newline) for one log message.
std::string JsonLogLine(absl::Time time, absl::string_view level, absl::string_view source,
                        absl::string_view message);

// From now on, glog's messages (and gRPC's own, which bypass glog) go to stderr as JSON lines
// only. Call once, from main, after google::InitGoogleLogging. Never undone.
void LogJsonLinesToStderr();

}  // namespace hotspot::observability

#endif  // HOTSPOT_SERVICES_OBSERVABILITY_JSON_LOG_H_
