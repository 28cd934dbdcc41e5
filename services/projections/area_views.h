// The escalations view and the meetings-and-bodies view.
//
// "escalations.v4" rows:
//   escalation/<id>                                               EscalationView
//   at-agency/<id>                                                "" once its target agency's
//                                                                 stream records it
//                                                                 (AgencyEscalated)
//   area[-agency][-open][-level]/<area_id>[/<target agency>][/<NN level>]/<raised, %020d>/<id>
//                                                                 index rows (keys only, see
//                                                                 Rows::Replace), oldest first, one
//                                                                 family for each combination
//                                                                 of the filters
//                                                                 (EscalationsOfAreaWhere)
// "meetings.v2" rows:
//   meeting/<id>                                                  MeetingView
//   body/<area_id>/<body_id>                                      BodyView (meetings held;
//                                                                 cadence is judged at query time)
//   area/<area_id>/<scheduled: seconds, %020d>/<id>               index rows of the meetings, in
//   area-body/<area_id>/<body_id>/<scheduled, %020d>/<id>         time order
#ifndef HOTSPOT_SERVICES_PROJECTIONS_AREA_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_AREA_VIEWS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hotspot/v1/views.pb.h"
#include "services/projections/view.h"

namespace hotspot::projections {

// v2: the index rows; v3: an index family for every combination of ListEscalations' filters;
// v4: the at-agency rows.
inline constexpr char kEscalationsView[] = "escalations.v4";
inline constexpr char kMeetingsView[] = "meetings.v2";  // v2: the index rows
// v4: the agencies' index by area; v5: the area's chief, and police ladders without a mayor.
inline constexpr char kAreaView[] = "area.v5";

// The index prefix of an area's escalations that ListEscalations' filters select: to
// `agency_id` ("": any), only the open ones or any, at `level` (0: any). Each combination has a
// family of its own ("area/<area>/", "area-agency-open/<area>/<agency>/", "area-open-level/
// <area>/<NN>/", ...); oldest first in each.
std::string EscalationsOfAreaWhere(absl::string_view area_id, absl::string_view agency_id,
                                   bool open_only, int level);
inline std::string EscalationsOfArea(absl::string_view area_id) {
  return EscalationsOfAreaWhere(area_id, "", false, 0);
}
// The index rows of an escalation; and the index prefixes of an area's meetings (all; of one
// body), and the index rows of one.
std::vector<std::string> EscalationIndexKeys(const v1::EscalationView& e);
inline std::string MeetingsOfArea(absl::string_view area_id) {
  return absl::StrCat("area/", area_id, "/");
}
inline std::string MeetingsOfAreaAndBody(absl::string_view area_id, absl::string_view body_id) {
  return absl::StrCat("area-body/", area_id, "/", body_id, "/");
}
std::vector<std::string> MeetingIndexKeys(const v1::MeetingView& m);

inline std::string EscalationKey(absl::string_view id) { return absl::StrCat("escalation/", id); }
// Present once the escalation's target agency's stream records it (AgencyEscalated): for the
// deadline process, which has the escalations of before that event recorded there.
inline std::string EscalationAtAgencyKey(absl::string_view id) {
  return absl::StrCat("at-agency/", id);
}
inline std::string MeetingKey(absl::string_view id) { return absl::StrCat("meeting/", id); }
inline std::string ProgrammeKey(absl::string_view area_id) {
  return absl::StrCat("programme/", area_id);
}
// The area's appointed chief (ChiefAppointed): a LeadershipContact whose person is the chief.
inline std::string ChiefKey(absl::string_view area_id) { return absl::StrCat("chief/", area_id); }
inline std::string AgencyKey(absl::string_view agency_id) {
  return absl::StrCat("agency/", agency_id);
}
// The index prefix of the agencies serving an area (registered there or linked to it).
inline std::string AgenciesOfArea(absl::string_view area_id) {
  return absl::StrCat("agencies-of/", area_id, "/");
}
// The prefix of an area's reports, and (ReportKeyPrefix) of its reports for a period
// (ReportKeyPrefix(area, start, end)), and their rows under it, oldest first.
inline std::string ReportsKeyPrefix(absl::string_view area_id) {
  return absl::StrCat("report/", area_id, "/");
}
std::string ReportKeyPrefix(absl::string_view area_id, const v1::Date& start, const v1::Date& end);
// The prefix of an area's half-years flagged without their report, and the row of one.
inline std::string MissingReportsKeyPrefix(absl::string_view area_id) {
  return absl::StrCat("report-missing/", area_id, "/");
}
std::string MissingReportKey(absl::string_view area_id, const v1::Date& half_year_end);

// The prefix of an area's bodies (ListBodies reads them in key order: by body id), and the row
// of one.
inline std::string BodiesOfArea(absl::string_view area_id) {
  return absl::StrCat("body/", area_id, "/");
}
inline std::string BodyKey(absl::string_view area_id, absl::string_view body_id) {
  return absl::StrCat(BodiesOfArea(area_id), body_id);
}

class EscalationsView final : public View {
 public:
  std::string name() const override { return kEscalationsView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

// "area.v5" rows:
//   measurement/<area_id>/<measure>/<scope>/<yyyymmdd>  Measurement
//   programme/<area_id>                                 ProgrammeView
//   chief/<area_id>                                     LeadershipContact: the appointed chief
//                                                       (person), for the read side's policy
//   agency/<agency_id>                                  AgencyView (the directory)
//   agencies-of/<area_id>/<agency_id>                   index row (key only, see Rows::Replace): an
//                                                       agency serving the area, by id
//   report/<area_id>/<yyyymmdd>-<yyyymmdd>/<position>   SubmittedReport (the period; frozen)
//   measure/<area_id>/<measure>                         MeasureDefinition
//   report-missing/<area_id>/<yyyymmdd>                 MissingReport (the half-year's last day)
// (the dashboard's other figures are computed from the other views at query time). v2 added the
// programme and the directory, v3 the half-years without their report, v4 the agencies' index by
// area, v5 the chief and the police ladders of before without their mayor (AgencyView); each
// version is rebuilt
// from the log when it opens.
class AreaView final : public View {
 public:
  std::string name() const override { return kAreaView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

class MeetingsView final : public View {
 public:
  std::string name() const override { return kMeetingsView; }
  absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                     Rows& rows) override;
};

// Sets meetings_last_year, behind_cadence and decides (its powers) of `body` as of `now`: a yearly
// cadence is judged over the last 365 days (pro rata, rounded, for a body younger than a year); an
// every-N-weeks cadence is behind when the last meeting is more than N weeks old.
void JudgeCadence(v1::BodyView* body, absl::Time now);

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_AREA_VIEWS_H_
