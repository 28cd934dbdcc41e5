// hotspotctl's readable answers: any response message as sections ("label  value" lines, nested
// messages indented under their label) and tables (lists, with a few meaningful columns per
// type), and a case's history as one block per event with its personal data in place.
//
// What a caller sees of a personal field (PersonalField, or a history event's sealed text):
// its text; "(sealed)" when it is present but sealed for this caller (withheld "not_allowed",
// or any other reason in brackets: "(sealed: not_recipient)"); "(erased)" after erasure; and
// "—" when it was never given (e.g. the name of a youth nobody knows yet). Scalars that are
// unset (proto3 default) are left out. Enums read as words ("CASE_STATUS_ACTIVE" -> "active"),
// dates as YYYY-MM-DD, times as "YYYY-MM-DD HH:MM" in UTC (seconds when not zero). A history
// shows when each event happened (occurred_at), not the server's clock when it was recorded:
// --json has that and everything else.
//
// Every text from the server is escaped for the terminal (common::EscapeForTerminal): a name
// cannot forge a line or send escape codes.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_CLIENTS_CLI_RENDER_H_
#define HOTSPOT_CLIENTS_CLI_RENDER_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace hotspot::cli {

// `response` (any answer, or one message of a stream) as readable text, ending in a newline.
// `first`: for streams, whether this is the first message (tables print their header once).
std::string Render(const google::protobuf::Message& response, bool first = true);

// Rewrites, in `json` (an object for a message of type `type`, as a flag or --request gives
// it), every hotspot.v1.Date given as "YYYY-MM-DD" into protobuf JSON ({"year":…}), at any depth.
// INVALID_ARGUMENT naming the field ("due_date: a date is YYYY-MM-DD, not …") for a string that
// is not a valid date; other values are left for the JSON parser.
absl::Status DatesFromText(const google::protobuf::Descriptor* type, std::string& json);

// A flag's text as a hotspot.v1.Date's protobuf JSON: "YYYY-MM-DD", or JSON as it was given
// ('{"year":…}'). INVALID_ARGUMENT naming `field` otherwise.
absl::Status DateFlag(absl::string_view field, absl::string_view text, std::string* json);

}  // namespace hotspot::cli

#endif  // HOTSPOT_CLIENTS_CLI_RENDER_H_
