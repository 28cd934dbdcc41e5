// Personal data on the read side: the one place where it is unsealed (every PersonalField of an
// answer, wherever it sits in the message), noting each disclosure. Who may see what is the
// policy's (services/security/policy.h).
//
// Thread-safety: stateless functions; the Sealer is thread-safe.
#ifndef HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_
#define HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_

#include <optional>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "hotspot/v1/views.pb.h"
#include "services/security/disclosures.h"
#include "services/security/policy.h"
#include "services/security/principal.h"
#include "services/security/sealer.h"

namespace hotspot::queries {

// The one place where personal data is unsealed for an answer; each value that comes out in
// clear is noted in `shown` as a disclosure of its data subject (its key id) in `area_id`.

// One field: unsealed to its text if `allowed` (withheld "erased" after erasure), withheld
// "not_allowed" otherwise; left as it is if it holds no sealed value.
absl::Status ResolvePersonalField(v1::PersonalField* field, bool allowed, security::Sealer& sealer,
                                  absl::string_view area_id, security::Disclosures& shown);

// Every PersonalField in `message`, which shows youth `youth_id` of `area_id` ("" if it is about
// the area as a whole): unsealed to its text if `allowed` (withheld "erased" after erasure),
// withheld "not_allowed" otherwise. `shown` notes the youth, in clear if anything came out in
// clear. DATA_LOSS if a sealed value does not open.
absl::Status ResolvePersonalData(google::protobuf::Message* message, absl::string_view youth_id,
                                 absl::string_view area_id, bool allowed, security::Sealer& sealer,
                                 security::Disclosures& shown);

// Every PersonalField in `message` that holds a sealed value: withheld with `reason` (e.g.
// "not_recipient"), before anything is unsealed.
void WithholdPersonalData(google::protobuf::Message* message, absl::string_view reason);

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_
