// The case view and the commitments view.
//
// "cases.v10" rows:
//   case/<youth_id>                              CaseView: where the case stands (personal data
//                                                sealed)
//   c2y/<commitment_id>                          the youth a commitment is for (to follow its
//                                                changes)
//   e2y/<escalation_id>                          the youth an escalation concerns
//   area[-agency][-status][-urgency]/<area_id>[/<agency_id>][/<NN status>][/<NN urgency>]/
//     <youth_id>                                 index rows (keys only, see Rows::Replace) of the
//                                                cases, in the order ListCases reads them, one
//                                                family for each combination of its filters
//                                                (CasesOfAreaWhere)
//   area-ended/<area_id>/<%020d ended>/<youth_id> and the ended cases not erased, by when
//   area-<day family>/<area_id>/<yyyymmdd>/[<item id>/]<youth_id>
//                                                and the dashboard's, by the day (UTC) of what
//                                                they count (CasesOfAreaByDay)
//   area-investigation-open|-overdue/<area_id>/<investigation_id>/<youth_id>
//                                                and its figures of now (CasesOfAreaNow)
// "commitments.v6" rows:
//   commitment/<id>                                        CommitmentView
//   area[-agency][-person][-state|-untaken]/<area_id>[/<agency_id>][/<person>][/<NN state>]/
//     <yyyymmdd due>/<id>
//   area[-agency][-person]-youth[-state|-untaken]/<area_id>[/<agency_id>][/<person>]/<youth_id>
//     [/<NN state>]/<yyyymmdd due>/<id>
//                                                          index rows, by due date, one family
//                                                          for each combination of the filters
//                                                          (CommitmentsOfAreaWhere)
#ifndef HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_CASE_VIEWS_H_

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "hotspot/v1/views.pb.h"
#include "services/projections/view.h"

namespace hotspot::projections {

// v2: consents, concern counts, notifications, subject access; v3: sharing and notifying involve
// nobody in the case (agencies_involved); v4: a social decision involves nobody; v5: outreach
// tasks and social decisions in the case, and identities recorded later; v6 (a development
// version only): commitments of before acceptance was recorded read as accepted when made
// (accepted_at); v7: that, and the index rows (the ended cases' among them); v8: the first
// discussion is the first decision (not a recommendation or information), each meeting is
// listed once in meetings_discussed, and an index family for every combination of ListCases'
// filters; v9: the dashboard's index families by day (CasesOfAreaByDay, CasesOfAreaNow); v10:
// the days a case became active and stopped being so (CaseDay::kActivated, kDeactivated).
inline constexpr char kCasesView[] = "cases.v10";
// v2: the agency index; v3 (a development version only): as cases.v6, accepted_at of the
// commitments of before; v4: that, and the index rows by area (and agency, youth) instead of
// copies by agency; v5: an index family for every combination of ListCommitments' filters; v6:
// a youth's families combine with the agency and the responsible person too.
inline constexpr char kCommitmentsView[] = "commitments.v6";

inline std::string CaseKey(absl::string_view youth_id) { return absl::StrCat("case/", youth_id); }
inline std::string CommitmentKey(absl::string_view id) { return absl::StrCat("commitment/", id); }

// The index prefix of an area's cases that ListCases' filters select: of `status` (0: any),
// with `agency_id` involved ("": any), of `urgency` (0: any). Each combination of the filters
// has a family of its own, named by the filters it has: "area/<area>/", "area-status/<area>/
// <NN>/", "area-agency-status-urgency/<area>/<agency>/<NN>/<NN>/", ...; in each, the cases in
// order of youth id.
std::string CasesOfAreaWhere(absl::string_view area_id, int status, absl::string_view agency_id,
                             int urgency);
inline std::string CasesOfArea(absl::string_view area_id) {
  return CasesOfAreaWhere(area_id, 0, "", 0);
}
// The index prefix of an area's ended cases (closed, declined or handed over) not erased, by
// when they ended (their last status change: "%020d/" seconds, then the youth id); what the
// erasure reviews read (ListErasureReviewsDue).
inline std::string CasesOfAreaEnded(absl::string_view area_id) {
  return absl::StrCat("area-ended/", area_id, "/");
}
// What the dashboard counts of an area's cases by day: the index rows of each family are the
// area's, then the day (UTC, "yyyymmdd/"), then the youth id, or (for an item of a case, a
// notification or an investigation) its id and the youth id.
enum class CaseDay {
  kReferred,             // the case, on the day of its referral
  kAccepted,             // the case, on the day its screening accepted it
  kClosed,               // a case that stands closed, on the day it was closed
  kNotified,             // a notification, on the day it was made
  kAssessmentOverdue,    // the same, of the notifications whose assessment is overdue
  kReceiptOverdue,       // the same, of those whose receipt is overdue
  kInvestigationOpened,  // an investigation, on the day it was opened
  // A status change into CASE_STATUS_ACTIVE, and one out of it, on its day (the item: the
  // change's log position, "%020d"): the cases active at a day's end are those active now, less
  // those activated after it, plus those deactivated after it (the dashboard's youths_active).
  kActivated,
  kDeactivated,
};
// The index prefix of a family of CaseDay: "area-referred/<area>/", ...
std::string CasesOfAreaByDay(absl::string_view area_id, CaseDay family);
// What the dashboard counts of an area's cases as they stand now, beside the active cases
// (CasesOfAreaWhere of the status): the investigations not completed, and those ever overdue.
enum class CaseNow { kInvestigationOpen, kInvestigationOverdue };
// Their index prefix ("area-investigation-open/<area>/"), then "<investigation id>/<youth id>".
std::string CasesOfAreaNow(absl::string_view area_id, CaseNow family);
// A day as those families key it ("yyyymmdd").
std::string DayKey(absl::CivilDay day);

// Whether a case in `status` has ended.
inline bool CaseEnded(v1::CaseStatus status) {
  return status == v1::CASE_STATUS_CLOSED || status == v1::CASE_STATUS_DECLINED ||
         status == v1::CASE_STATUS_HANDED_OVER;
}
// The index rows of a case.
std::vector<std::string> CaseIndexKeys(const v1::CaseView& c);

// What ListCommitments' index families select, each field unset for any.
struct CommitmentFilter {
  std::string agency_id;  // the owning agency
  std::string person;     // the responsible person (an employee's person id, as in the row)
  std::string youth_id;   // the youth the commitment is for
  int state = 0;          // a CommitmentState
  bool untaken = false;   // declined, and not taken up by the chief (with state unset)
};
// The index prefix of an area's commitments that `filter` selects: "area/<area>/",
// "area-agency-state/<area>/<agency>/<NN>/", "area-person-untaken/<area>/<person>/",
// "area-youth-state/<area>/<youth>/<NN>/", "area-agency-youth/<area>/<agency>/<youth>/", ...; in
// each, the commitments by due date.
std::string CommitmentsOfAreaWhere(absl::string_view area_id, const CommitmentFilter& filter);
inline std::string CommitmentsOfArea(absl::string_view area_id) {
  return CommitmentsOfAreaWhere(area_id, CommitmentFilter());
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
