// The case view and the commitments view.
//
// "cases.v6" rows:
//   case/<youth_id>        CaseView: where the case stands (personal data sealed)
//   c2y/<commitment_id>    the youth a commitment is for (to follow its changes)
//   e2y/<escalation_id>    the youth an escalation concerns
// "commitments.v3" rows:
//   commitment/<id>                            CommitmentView
//   agency/<agency_id>/<yyyymmdd due>/<id>     the same CommitmentView, by agency and due date
#ifndef HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_

#include <string>

#include "hotspot/v1/views.pb.h"
#include "services/projections/view.h"

namespace hotspot::projections {

// v2: consents, concern counts, notifications, subject access; v3: sharing and notifying involve
// nobody in the case (agencies_involved); v4: a social decision involves nobody; v5: outreach
// tasks and social decisions in the case, and identities recorded later; v6: commitments of
// before acceptance was recorded read as accepted when made (accepted_at).
inline constexpr char kCasesView[] = "cases.v6";
// v2: the agency index; v3: as cases.v6, accepted_at of the commitments of before.
inline constexpr char kCommitmentsView[] = "commitments.v3";

inline std::string CaseKey(absl::string_view youth_id) { return absl::StrCat("case/", youth_id); }
inline std::string CommitmentKey(absl::string_view id) { return absl::StrCat("commitment/", id); }
// The agency index's key of a commitment, and the part of it after "agency/<agency_id>/".
std::string CommitmentSortKey(const v1::CommitmentView& c);
std::string AgencyIndexKey(const v1::CommitmentView& c);
inline std::string AgencyIndexPrefix(absl::string_view agency_id) {
  return absl::StrCat("agency/", agency_id, "/");
}

class CasesView final : public View {
 public:
  std::string name() const override { return kCasesView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

class CommitmentsView final : public View {
 public:
  std::string name() const override { return kCommitmentsView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
