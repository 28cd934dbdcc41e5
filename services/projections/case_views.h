// The case view and the commitments view.
//
// "cases.v8" rows:
//   case/<youth_id>                              CaseView: where the case stands (personal data
//                                                sealed)
//   c2y/<commitment_id>                          the youth a commitment is for (to follow its
//                                                changes)
//   e2y/<escalation_id>                          the youth an escalation concerns
//   area/<area_id>/<youth_id>                    index rows (keys only, see Reindex) of the
//   area-status/<area_id>/<NN status>/<youth_id> cases, in the order ListCases reads them: by
//   area-agency/<area_id>/<agency_id>/<youth_id> area, status, and agency involved
//   area-ended/<area_id>/<%020d ended>/<youth_id> and the ended cases not erased, by when
// "commitments.v4" rows:
//   commitment/<id>                                        CommitmentView
//   area/<area_id>/<yyyymmdd due>/<id>                     index rows, by due date: of the
//   area-agency/<area_id>/<agency_id>/<yyyymmdd due>/<id>  area, of its owning agency there, and
//   area-youth/<area_id>/<youth_id>/<yyyymmdd due>/<id>    of its youth
#ifndef HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "hotspot/v1/views.pb.h"
#include "services/projections/view.h"

namespace hotspot::projections {

// v2: consents, concern counts, notifications, subject access; v3: sharing and notifying involve
// nobody in the case (agencies_involved); v4: a social decision involves nobody; v5: outreach
// tasks and social decisions in the case, and identities recorded later; v6 (a development
// version only): commitments of before acceptance was recorded read as accepted when made
// (accepted_at); v7: that, and the index rows (the ended cases' among them); v8: the first
// discussion is the first decision (not a recommendation or information), and each meeting is
// listed once in meetings_discussed.
inline constexpr char kCasesView[] = "cases.v8";
// v2: the agency index; v3 (a development version only): as cases.v6, accepted_at of the
// commitments of before; v4: that, and the index rows by area (and agency, youth) instead of
// copies by agency.
inline constexpr char kCommitmentsView[] = "commitments.v4";

inline std::string CaseKey(absl::string_view youth_id) { return absl::StrCat("case/", youth_id); }
inline std::string CommitmentKey(absl::string_view id) { return absl::StrCat("commitment/", id); }

// The index prefixes of an area's cases: all, of one status, with one agency involved.
inline std::string CasesOfArea(absl::string_view area_id) {
  return absl::StrCat("area/", area_id, "/");
}
inline std::string CasesOfAreaInStatus(absl::string_view area_id, int status) {
  return absl::StrFormat("area-status/%s/%02d/", area_id, status);
}
inline std::string CasesOfAreaAndAgency(absl::string_view area_id, absl::string_view agency_id) {
  return absl::StrCat("area-agency/", area_id, "/", agency_id, "/");
}
// The index prefix of an area's ended cases (closed, declined or handed over) not erased, by
// when they ended (their last status change: "%020d/" seconds, then the youth id); what the
// erasure reviews read (ListErasureReviewsDue).
inline std::string CasesOfAreaEnded(absl::string_view area_id) {
  return absl::StrCat("area-ended/", area_id, "/");
}
// Whether a case in `status` has ended.
inline bool CaseEnded(v1::CaseStatus status) {
  return status == v1::CASE_STATUS_CLOSED || status == v1::CASE_STATUS_DECLINED ||
         status == v1::CASE_STATUS_HANDED_OVER;
}
// The index rows of a case.
std::vector<std::string> CaseIndexKeys(const v1::CaseView& c);

// The index prefixes of an area's commitments: all, of one owning agency, for one youth.
inline std::string CommitmentsOfArea(absl::string_view area_id) {
  return absl::StrCat("area/", area_id, "/");
}
inline std::string CommitmentsOfAreaAndAgency(absl::string_view area_id,
                                              absl::string_view agency_id) {
  return absl::StrCat("area-agency/", area_id, "/", agency_id, "/");
}
inline std::string CommitmentsOfAreaAndYouth(absl::string_view area_id,
                                             absl::string_view youth_id) {
  return absl::StrCat("area-youth/", area_id, "/", youth_id, "/");
}
// A commitment's place in due-date order ("<yyyymmdd>/<id>"), what follows those prefixes.
std::string CommitmentSortKey(const v1::CommitmentView& c);
// The index rows of a commitment.
std::vector<std::string> CommitmentIndexKeys(const v1::CommitmentView& c);

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
