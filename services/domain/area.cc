// The area: its establishment, programme, chief, staff, bodies and measurements.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/domain/checks.h"
#include "services/domain/decide.h"
#include "services/domain/rules.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::domain {

absl::StatusOr<Decision> Decide(const v1::EstablishAreaRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckSlugId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("municipality", r.municipality(), kMaxNameBytes));
  if (r.escalation_ack_days() < 0 || r.escalation_ack_days() > 365) {
    return Invalid("escalation_ack_days", "must be 0 (the default, 14) to 365");
  }
  RETURN_IF_ERROR(security::MayEstablishArea(c.principal, r.area_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id(), false));
  if (area.exists) return absl::AlreadyExistsError(absl::StrCat(r.area_id(), " exists already"));
  v1::Event e;
  auto* x = e.mutable_area_established();
  x->set_area_id(r.area_id());
  x->set_name(r.name());
  x->set_municipality(r.municipality());
  x->set_escalation_ack_days(r.escalation_ack_days() == 0 ? 14 : r.escalation_ack_days());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AdoptProgrammeRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckCount("goals", r.goals_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.goals_size(); ++i) {
    const v1::ProgrammeGoal& g = r.goals(i);
    const std::string at = absl::StrCat("goals[", i, "]");
    RETURN_IF_ERROR(CheckSlug(absl::StrCat(at, ".goal_id"), g.goal_id()));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, ".description"), g.description(), kMaxTextBytes));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, ".measure"), g.measure(), kMaxNameBytes));
    if (g.has_target_date())
      RETURN_IF_ERROR(CheckDate(absl::StrCat(at, ".target_date"), g.target_date()));
  }
  RETURN_IF_ERROR(CheckText("summary", r.summary(), kMaxTextBytes, false));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "adopt the area's programme"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(security::MayActAsChiefOrAdmin(c.principal, r.area_id(), area.chief,
                                                 "adopt or revise the area's programme"));
  v1::Event e;
  if (area.programme_revision == 0) {
    auto* x = e.mutable_programme_adopted();
    x->set_area_id(r.area_id());
    x->set_revision(1);
    *x->mutable_goals() = r.goals();
    x->set_summary(r.summary());
  } else {
    RETURN_IF_ERROR(CheckText("summary", r.summary(), kMaxTextBytes));  // the reason, required
    auto* x = e.mutable_programme_revised();
    x->set_area_id(r.area_id());
    x->set_revision(area.programme_revision + 1);
    *x->mutable_goals() = r.goals();
    x->set_reason(r.summary());
  }
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AppointChiefRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(security::MayAppointChief(c.principal, r.area_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(
      Rule(area.chief != r.person(), absl::StrCat(r.person(), " is the chief already")));
  v1::Event e;
  e.mutable_chief_appointed()->set_area_id(r.area_id());
  e.mutable_chief_appointed()->set_person(r.person());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AssignStaffRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(CheckText("function", r.function(), kMaxNameBytes));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "assign staff"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(
      security::MayActAsChiefOrAdmin(c.principal, r.area_id(), area.chief, "assign staff"));
  RETURN_IF_ERROR(Rule(area.staff.count(r.person()) == 0,
                       absl::StrCat(r.person(), " is on the staff already")));
  v1::Event e;
  auto* x = e.mutable_staff_assigned();
  x->set_area_id(r.area_id());
  x->set_person(r.person());
  x->set_function(r.function());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::ConstituteBodyRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckSlug("body_id", r.body_id()));
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::BodyKind_IsValid));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckMembers("members", r.members(), 1));
  const v1::Cadence& cadence = r.cadence();
  if ((cadence.min_meetings_per_year() > 0) == (cadence.every_weeks() > 0) ||
      cadence.min_meetings_per_year() < 0 || cadence.min_meetings_per_year() > 366 ||
      cadence.every_weeks() < 0 || cadence.every_weeks() > 52) {
    return Invalid("cadence",
                   "set exactly one of min_meetings_per_year (1-366) or every_weeks (1-52)");
  }
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "constitute a body"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  if (area.bodies.count(r.body_id()) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("body ", r.body_id(), " of ", r.area_id(), " exists already"));
  }
  std::set<std::string> agencies;
  for (int i = 0; i < r.members_size(); ++i) {
    if (!agencies.insert(r.members(i).agency_id()).second) continue;
    RETURN_IF_ERROR(LoadAgencyInArea(s, absl::StrCat("members[", i, "].agency_id"),
                                     r.members(i).agency_id(), r.area_id())
                        .status());
  }
  v1::Event e;
  auto* x = e.mutable_body_constituted();
  x->set_area_id(r.area_id());
  x->set_body_id(r.body_id());
  x->set_kind(r.kind());
  x->set_name(r.name());
  *x->mutable_members() = r.members();
  *x->mutable_cadence() = cadence;
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::DesignatePoliceCoordinatorRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(
      RequireAreaManager(c.principal, r.area_id(), "designate the area's police coordinator"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  ASSIGN_OR_RETURN(const AgencyState police,
                   LoadAgencyInArea(s, "agency_id", r.agency_id(), r.area_id()));
  RETURN_IF_ERROR(Rule(police.kind == v1::AGENCY_KIND_POLICE,
                       absl::StrCat("agency_id: ", r.agency_id(), " is not the police")));
  const auto now = area.police_coordinators.find(r.agency_id());
  RETURN_IF_ERROR(Rule(now == area.police_coordinators.end() || now->second != r.person(),
                       absl::StrCat(r.person(), " is the police coordinator already")));
  v1::Event e;
  auto* x = e.mutable_police_coordinator_designated();
  x->set_area_id(r.area_id());
  x->set_agency_id(r.agency_id());
  x->set_person(r.person());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordMeasurementRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckMeasureName("measure", r.measure()));
  RETURN_IF_ERROR(CheckEnum("scope", r.scope(), v1::MeasurementScope_IsValid));
  if (!r.has_measured_on()) return Invalid("measured_on", "required");
  RETURN_IF_ERROR(CheckDate("measured_on", r.measured_on()));
  if (!std::isfinite(r.value())) return Invalid("value", "must be a finite number");
  RETURN_IF_ERROR(CheckText("source", r.source(), kMaxNameBytes, false));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "record the area's measurements"));
  RETURN_IF_ERROR(s.LoadMain<AreaState>("area_id", r.area_id()).status());
  v1::Event e;
  auto* x = e.mutable_measurement_recorded();
  x->set_area_id(r.area_id());
  x->set_measure(r.measure());
  x->set_scope(r.scope());
  *x->mutable_measured_on() = r.measured_on();
  x->set_value(r.value());
  x->set_source(r.source());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::MarkBodyBehindCadenceCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark bodies behind their cadence"));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckSlug("body_id", r.body_id()));
  RETURN_IF_ERROR(CheckTimestamp("since", r.since()));
  if (r.has_last_met_at()) RETURN_IF_ERROR(CheckTimestamp("last_met_at", r.last_met_at()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  const auto cadence = area.cadences.find(r.body_id());
  if (cadence == area.cadences.end()) {
    return absl::NotFoundError(
        absl::StrCat("body_id: ", r.area_id(), " has no body ", r.body_id()));
  }
  // Whether the body is behind is the meetings view's judgement (JudgeCadence over the meetings
  // held, which live in their own streams); the area knows which gaps it marked.
  const int64_t last_met = r.has_last_met_at() ? r.last_met_at().seconds() : 0;
  RETURN_IF_ERROR(Rule(area.behind_cadence.count({r.body_id(), last_met}) == 0,
                       absl::StrCat(r.body_id(), " of ", r.area_id(),
                                    " is marked behind its cadence for this gap already")));
  RETURN_IF_ERROR(Rule(TimeOf(r.since()) <= c.now, "since: the gap has not begun"));
  v1::Event e;
  auto* x = e.mutable_body_behind_cadence();
  x->set_area_id(r.area_id());
  x->set_body_id(r.body_id());
  *x->mutable_cadence() = cadence->second;
  if (r.has_last_met_at()) *x->mutable_last_met_at() = r.last_met_at();
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return FinishAt(s, r.area_id(), TimeOf(r.since()));
}

}  // namespace hotspot::domain
