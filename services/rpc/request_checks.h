// The checks every read's request passes before any policy or lookup sees it, from its
// descriptor (so a new query's fields are checked without a line of its own): a malformed id
// answers INVALID_ARGUMENT naming the field, never PERMISSION_DENIED or NOT_FOUND, and a date
// outside 1900-9999 is refused wherever it stands in a request, a command's too.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_RPC_REQUEST_CHECKS_H_
#define HOTSPOT_SERVICES_RPC_REQUEST_CHECKS_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace hotspot::rpc {

// Every hotspot.v1.Date in `request`, at any depth, that is given (not all zero) must be a
// calendar date between 1900 and 9999 (domain::CheckDate), and every google.protobuf.Timestamp
// given a time between 1900 and 9999. INVALID_ARGUMENT naming the first that is not by its path
// ("period_end", "plan.review_date", "items[2].due").
absl::Status CheckDates(const google::protobuf::Message& request);

// The ids at the top level of a read's request, each if given: a string field named
// "<category>_id" must be an id "<category>-..." (domain::CheckId; "owning_agency_id" and
// "target_agency_id" are agencies, "subject_access_id" an "access-" id, "body_id" a slug,
// "request_id" a request id), and CheckDates. INVALID_ARGUMENT naming the field otherwise.
absl::Status CheckReadRequest(const google::protobuf::Message& request);

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_REQUEST_CHECKS_H_
