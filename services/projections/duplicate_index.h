// The duplicate index: which youths of a municipality seem to be one person, so that a referral
// of a youth who is already known is flagged to the chief (issue 13: the same CPR number, or the
// same name and birth date). It holds keyed digests (security::IdentityDigester), never the
// identifying data in clear, and it forgets an erased youth.
//
// It is a view like the others, rebuilt from the log: on YouthReferred, YouthIdentified and a
// PersonalDataRectified of the name, CPR number or birth date, it unseals the youth's identifying
// fields (with the youth's data key, in memory only), digests them in the scope of the area's
// municipality (AreaEstablished; an area established without one is a scope of its own), and
// replaces the youth's digest rows. On ErasureExecuted it removes the youth's rows, and asks the
// projector to purge them from the views' files (View::Purges). A youth whose key is gone reads as
// erased and gets no digest, so a rebuild after an erasure does not index it again; so does a
// field whose key id never had a key. A value that does not normalise (a CPR number without ten
// digits, a youth referred without an identity) is not indexed.
//
// "duplicates.v1" rows:
//   area/<area_id>                               the area's municipality, as established
//   youth/<youth_id>                             DuplicateIndexEntry: the identifying fields,
//                                                sealed as in the log, and the youth's digest keys
//   digest/<kind>/<64 hex digits>/<youth_id>     the youth's area id; kind is "cpr_number" or
//                                                "name_and_birth_date"
//
// Errors: Apply() returns DATA_LOSS for an index row that does not parse or a sealed value that
// does not open (altered), INTERNAL if hashing fails; either stops the projection. No error names
// or holds a youth's identifying data.
//
// Thread-safety: as a View, Apply() runs on the projector's thread; PossibleDuplicates() reads
// the live view from any thread. The Sealer is thread-safe.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_DUPLICATE_INDEX_H_
#define HOTSPOT_SERVICES_PROJECTIONS_DUPLICATE_INDEX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotspot/v1/views.pb.h"
#include "services/projections/projector.h"
#include "services/projections/view.h"
#include "services/security/identity_digest.h"
#include "services/security/sealer.h"

namespace hotspot::projections {

inline constexpr char kDuplicatesView[] = "duplicates.v1";

class DuplicateIndex final : public View {
 public:
  // `sealer` is not owned and must outlive the view.
  DuplicateIndex(security::Sealer* sealer, security::IdentityDigester digester)
      : sealer_(sealer), digester_(std::move(digester)) {}

  std::string name() const override { return kDuplicatesView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
  // An erasure's rows are purged.
  bool Purges(const v1::Event& event) const override;

 private:
  // Replaces the digest rows of `entry`'s youth with those of its fields as they read now.
  absl::Status Reindex(v1::DuplicateIndexEntry& entry, Rows& rows) const;

  security::Sealer* const sealer_;
  const security::IdentityDigester digester_;
};

// The other youths that share a digest with `youth_id` in the live index, in youth id order,
// each with its area and every kind of match; empty if the youth is not indexed (unknown,
// unidentified, or erased). DATA_LOSS for a row that does not parse; NOT_FOUND if `views` has
// no duplicate index.
absl::StatusOr<std::vector<v1::PossibleDuplicate>> PossibleDuplicates(const Projector& views,
                                                                      absl::string_view youth_id);

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_DUPLICATE_INDEX_H_
