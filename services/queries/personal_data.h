// Personal data on the read side: who may see a case's personal data, and the one function that
// unseals it (every PersonalField of an answer, wherever it sits in the message).
//
// Thread-safety: stateless functions; the Sealer is thread-safe.
#ifndef HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_
#define HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_

#include <optional>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "hotspot/v1/views.pb.h"
#include "services/domain/principal.h"
#include "services/security/disclosures.h"
#include "services/security/sealer.h"

namespace hotspot::queries {

// True if `who` may see the personal data of `view`'s case: a coordinator or a social
// caseworker of its area, or a member or leader of an agency involved in it.
bool MaySeePersonalData(const domain::Principal& who, const v1::CaseView& view);

// The same rule without the case at hand: true or false where the caller's area and role (and
// `involved_agency`, an agency known to be involved in the case, if given) settle it; nullopt
// when the case's agencies must be looked at.
std::optional<bool> MaySeeWithoutCase(const domain::Principal& who, absl::string_view area_id,
                                      absl::string_view involved_agency);

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

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_PERSONAL_DATA_H_
