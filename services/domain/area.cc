// The area: its establishment, programme, chief, staff, bodies and measurements.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
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

namespace {

// The city council's reference: 1 to 60 of [A-Za-z0-9 ./:-], e.g. "BR 2025-0412".
absl::Status CheckCouncilReference(absl::string_view field, absl::string_view value) {
  const bool ok =
      !value.empty() && value.size() <= 60 && std::all_of(value.begin(), value.end(), [](char ch) {
        return absl::ascii_isalnum(ch) || ch == ' ' || ch == '.' || ch == '/' || ch == ':' ||
               ch == '-';
      });
  return ok ? absl::OkStatus()
            : Invalid(field, "must be 1 to 60 of [A-Za-z0-9 ./:-], e.g. \"BR 2025-0412\"");
}

}  // namespace

// The city council adopts the programme, after hearings (002, 003); the chief (or an admin
// setting the area up) records it. Revisions are proposed and approved (below).
absl::StatusOr<Decision> Decide(const v1::AdoptProgrammeRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckProgrammeGoals(r.goals()));
  RETURN_IF_ERROR(CheckText("summary", r.summary(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckCouncilReference("council_reference", r.council_reference()));
  if (!r.has_council_decided_on()) return Invalid("council_decided_on", "required");
  RETURN_IF_ERROR(CheckDate("council_decided_on", r.council_decided_on()));
  RETURN_IF_ERROR(Rule(absl::CivilDay(r.council_decided_on().year(), r.council_decided_on().month(),
                                      r.council_decided_on().day()) <= Today(c),
                       "council_decided_on: the council's decision is recorded once it is made"));
  RETURN_IF_ERROR(CheckCount("hearings", r.hearings_size(), 1, 20));
  for (int i = 0; i < r.hearings_size(); ++i) {
    const v1::Hearing& h = r.hearings(i);
    const std::string at = absl::StrCat("hearings[", i, "].");
    RETURN_IF_ERROR(CheckEnum(absl::StrCat(at, "kind"), h.kind(), v1::HearingKind_IsValid));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, "heard"), h.heard(), kMaxNameBytes));
    if (!h.has_held_on()) return Invalid(absl::StrCat(at, "held_on"), "required");
    RETURN_IF_ERROR(CheckDate(absl::StrCat(at, "held_on"), h.held_on()));
    if (DayNumber(h.held_on()) > DayNumber(r.council_decided_on())) {
      return Invalid(absl::StrCat(at, "held_on"), "a hearing is held before the council decides");
    }
  }
  // Heard by the local committee and by the administrations (002, 003; review 13b, N4): at
  // least one hearing of each kind.
  for (const v1::HearingKind kind :
       {v1::HEARING_KIND_LOCAL_COMMITTEE, v1::HEARING_KIND_ADMINISTRATION}) {
    if (std::none_of(r.hearings().begin(), r.hearings().end(),
                     [&](const v1::Hearing& h) { return h.kind() == kind; })) {
      return Invalid("hearings",
                     absl::StrCat("no hearing of kind ", v1::HearingKind_Name(kind),
                                  ": the programme is heard by the local committee and by the "
                                  "administrations before the council adopts it"));
    }
  }
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "adopt the area's programme"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(security::MayActAsChiefOrAdmin(c.principal, r.area_id(), area.chief,
                                                 "record the area's programme"));
  RETURN_IF_ERROR(Rule(area.programme_revision == 0,
                       absl::StrCat(r.area_id(),
                                    "'s programme is adopted: a revision is proposed by the chief "
                                    "(ProposeProgrammeRevision) and applies when the political "
                                    "follow-up group approves it")));
  v1::Event e;
  auto* x = e.mutable_programme_adopted();
  x->set_area_id(r.area_id());
  x->set_revision(1);
  *x->mutable_goals() = r.goals();
  x->set_summary(r.summary());
  x->set_council_reference(r.council_reference());
  *x->mutable_council_decided_on() = r.council_decided_on();
  *x->mutable_hearings() = r.hearings();
  x->mutable_adopted_at()->set_seconds(absl::ToUnixSeconds(c.now));
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::ProposeProgrammeRevisionRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckProgrammeGoals(r.goals()));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  RETURN_IF_ERROR(RequireCoordinator(c.principal, r.area_id(), "propose programme revisions"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(
      security::MayActAsChief(c.principal, r.area_id(), area.chief, "propose programme revisions"));
  RETURN_IF_ERROR(Rule(area.programme_revision > 0,
                       absl::StrCat(r.area_id(), " has no programme adopted to revise")));
  const std::string id = NewId("proposal");
  v1::Event e;
  auto* x = e.mutable_programme_revision_proposed();
  x->set_area_id(r.area_id());
  x->set_proposal_id(id);
  *x->mutable_goals() = r.goals();
  x->set_reason(r.reason());
  x->mutable_proposed_at()->set_seconds(absl::ToUnixSeconds(c.now));
  x->set_revises_revision(area.programme_revision);
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id(), {id});
}

namespace {

// The area, for a change of its hotspot board `body_id`'s members by its chief.
absl::StatusOr<AreaState> LoadBoardForChief(Session& s, const std::string& area_id,
                                            const std::string& body_id, absl::string_view what) {
  RETURN_IF_ERROR(CheckId("area_id", area_id, "area"));
  RETURN_IF_ERROR(CheckSlug("body_id", body_id));
  RETURN_IF_ERROR(RequireCoordinator(s.principal(), area_id, what));
  ASSIGN_OR_RETURN(AreaState area, s.LoadMain<AreaState>("area_id", area_id));
  RETURN_IF_ERROR(security::MayActAsChief(s.principal(), area_id, area.chief, what));
  const auto body = area.bodies.find(body_id);
  if (body == area.bodies.end()) {
    return absl::NotFoundError(absl::StrCat("body_id: ", area_id, " has no body ", body_id));
  }
  RETURN_IF_ERROR(Rule(body->second == v1::BODY_KIND_HOTSPOT_BOARD,
                       absl::StrCat("body_id: ", body_id, " is a ", BodyKindName(body->second),
                                    ", not a hotspot board: the chief appoints the board's "
                                    "members only")));
  return area;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::AppointBoardMemberRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  const v1::BodyMember& m = r.member();
  RETURN_IF_ERROR(CheckMember("member", m, /*outsiders=*/true));
  ASSIGN_OR_RETURN(const AreaState area, LoadBoardForChief(s, r.area_id(), r.body_id(),
                                                           "appoint the hotspot board's members"));
  RETURN_IF_ERROR(Rule(area.board_members.count({r.body_id(), m.person()}) == 0,
                       absl::StrCat(m.person(), " is on ", r.body_id(), " already")));
  if (!m.agency_id().empty()) {
    RETURN_IF_ERROR(LoadAgencyInArea(s, "member.agency_id", m.agency_id(), r.area_id()).status());
  }
  v1::Event e;
  auto* x = e.mutable_board_member_appointed();
  x->set_area_id(r.area_id());
  x->set_body_id(r.body_id());
  *x->mutable_member() = m;
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::RemoveBoardMemberRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  // A login's id, or the name of a member who speaks for no agency.
  RETURN_IF_ERROR(CheckMemberName("person", r.person()));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const AreaState area, LoadBoardForChief(s, r.area_id(), r.body_id(),
                                                           "remove the hotspot board's members"));
  RETURN_IF_ERROR(Rule(area.board_members.count({r.body_id(), r.person()}) > 0,
                       absl::StrCat(r.person(), " is not on ", r.body_id())));
  v1::Event e;
  auto* x = e.mutable_board_member_removed();
  x->set_area_id(r.area_id());
  x->set_body_id(r.body_id());
  x->set_person(r.person());
  x->set_reason(r.reason());
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
  // A forum, the board and the housing-social plan's meetings seat citizens, associations,
  // businesses and NGOs that are no registered agency (review 13b, S4); the bodies that decide
  // or govern seat the agencies' people.
  RETURN_IF_ERROR(CheckMembers("members", r.members(), 1, BodySeatsOutsiders(r.kind())));
  const v1::Cadence& cadence = r.cadence();
  if ((cadence.min_meetings_per_year() > 0) == (cadence.every_weeks() > 0) ||
      cadence.min_meetings_per_year() < 0 || cadence.min_meetings_per_year() > 366 ||
      cadence.every_weeks() < 0 || cadence.every_weeks() > 52) {
    return Invalid("cadence",
                   "set exactly one of min_meetings_per_year (1-366) or every_weeks (1-52)");
  }
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "constitute a body"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  if (r.kind() == v1::BODY_KIND_HOTSPOT_BOARD) {
    RETURN_IF_ERROR(security::MayActAsChiefOrAdmin(c.principal, r.area_id(), area.chief,
                                                   "constitute the hotspot board"));
  }
  if (r.kind() == v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP ||
      r.kind() == v1::BODY_KIND_STEERING_GROUP) {
    RETURN_IF_ERROR(security::MayConstituteGoverningBody(
        c.principal, r.area_id(), absl::StrCat("constitute the ", BodyKindName(r.kind()))));
  }
  if (area.bodies.count(r.body_id()) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("body ", r.body_id(), " of ", r.area_id(), " exists already"));
  }
  bool agency_seated = false;  // an agency's people, not only the hotspot secretariat's
  for (int i = 0; i < r.members_size(); ++i) {
    const v1::BodyMember& member = r.members(i);
    if (member.agency_id().empty()) continue;  // speaks for no agency
    ASSIGN_OR_RETURN(const AgencyState agency,
                     LoadAgencyInArea(s, absl::StrCat("members[", i, "].agency_id"),
                                      member.agency_id(), r.area_id()));
    // A body of the agencies' people seats those each agency named (review 13d, 3): not the
    // chief's staff under an agency's id.
    if (!BodySeatsOutsiders(r.kind())) {
      RETURN_IF_ERROR(OneOfItsPeople(area, agency, member.agency_id(), member.person(),
                                     absl::StrCat("members[", i, "].person")));
    }
    agency_seated |= agency.kind != v1::AGENCY_KIND_HOTSPOT_SECRETARIAT;
  }
  // A body that decides (task force, steering group) seats the agencies' decision-capable
  // people: the chief does not make one of her own staff to decide alone (review 13b, N8).
  RETURN_IF_ERROR(Rule(!BodyDecides(r.kind()) || agency_seated,
                       absl::StrCat("members: a ", BodyKindName(r.kind()),
                                    " seats the agencies' people, not only the hotspot "
                                    "secretariat's: it decides with them")));
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
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  ASSIGN_OR_RETURN(const AgencyState police,
                   LoadAgencyInArea(s, "agency_id", r.agency_id(), r.area_id()));
  // "Each area designates its police coordinator" (issue 13 §4): the area's chief, or an admin
  // of the area; not the police's home area for another area, nor the police themselves. The
  // police keep their own ladder and register (whom they name is theirs): the area designates
  // one of the people they named. While an escalation stands with the coordinator, see below.
  RETURN_IF_ERROR(security::MayActAsChiefOrAdmin(c.principal, r.area_id(), area.chief,
                                                 "designate the area's police coordinator"));
  RETURN_IF_ERROR(Rule(police.kind == v1::AGENCY_KIND_POLICE,
                       absl::StrCat("agency_id: ", r.agency_id(), " is not the police")));
  // One of the police's own people, as they named them.
  RETURN_IF_ERROR(Rule(NamedByAgency(police, r.person()),
                       absl::StrCat("person: ", r.person(), " is not one of ", r.agency_id(),
                                    "'s people as the police named them (NameAgencyPeople, or "
                                    "their leadership ladder)")));
  // One person, one rung: not one who answers above the coordinator too.
  const v1::LeadershipLevel above = PoliceRungAbove(police.ladder, r.person());
  RETURN_IF_ERROR(Rule(above == v1::LEADERSHIP_LEVEL_UNSPECIFIED,
                       absl::StrCat("person: ", r.person(), " holds ", r.agency_id(), "'s ",
                                    v1::LeadershipLevel_Name(above),
                                    " rung: one person holds one rung of the police's ladder, "
                                    "and the coordinator answers below it")));
  const auto now = area.police_coordinators.find(r.agency_id());
  RETURN_IF_ERROR(Rule(now == area.police_coordinators.end() || now->second != r.person(),
                       absl::StrCat(r.person(), " is the police coordinator already")));
  // An open escalation of the police in this area that stands at the steering-group level goes
  // to the coordinator: as with their ladder (SetLeadershipLadder), who answers it is changed
  // only by those who answer it now or an admin of the area, not by one who designates himself
  // (or another) to answer it.
  AreaState after = area;
  after.police_coordinators[r.agency_id()] = r.person();
  for (const std::string& id : police.escalations) {
    ASSIGN_OR_RETURN(const EscalationState escalation, s.Load<EscalationState>("agency_id", id));
    if (escalation.resolved || escalation.area_id != r.area_id()) continue;
    const auto [holders, changed] =
        ChangedRungs(escalation, r.agency_id(), area, police, after, police);
    if (changed.empty()) continue;
    RETURN_IF_ERROR(security::MayChangeEscalatedRungs(
        c.principal, r.area_id(), r.agency_id(), holders, "person",
        absl::StrCat("designate another police coordinator while the escalation ", id,
                     " stands at ", changed)));
  }
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
  if (!v1::AgeGroup_IsValid(r.age_group())) return Invalid("age_group", "not an age group");
  RETURN_IF_ERROR(RequireArea(c.principal, r.area_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  // Each measure has an owning agency and a definition (issue 13, §5): a measure is defined
  // before its first measurement, and only its owning agency's people record it. Measurements
  // recorded before this rule stand (state evolution does not check).
  const auto owner = area.measure_owners.find(r.measure());
  RETURN_IF_ERROR(Rule(owner != area.measure_owners.end(),
                       absl::StrCat("measure: ", r.measure(), " is not defined in ", r.area_id(),
                                    ": DefineMeasure names its owning agency and definition "
                                    "first")));
  RETURN_IF_ERROR(security::MayRecordMeasurement(c.principal, r.area_id(), owner->second));
  v1::Event e;
  auto* x = e.mutable_measurement_recorded();
  x->set_area_id(r.area_id());
  x->set_measure(r.measure());
  x->set_scope(r.scope());
  *x->mutable_measured_on() = r.measured_on();
  x->set_value(r.value());
  x->set_source(r.source());
  x->set_age_group(r.age_group());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::DefineMeasureRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckMeasureName("measure", r.measure()));
  RETURN_IF_ERROR(CheckId("owning_agency_id", r.owning_agency_id(), "agency"));
  RETURN_IF_ERROR(CheckText("definition", r.definition(), 4'000));
  RETURN_IF_ERROR(CheckText("unit", r.unit(), kMaxNameBytes, false));
  RETURN_IF_ERROR(RequireArea(c.principal, r.area_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  // A measure is its owning agency's: it defines it, and it alone changes it.
  const auto owner = area.measure_owners.find(r.measure());
  RETURN_IF_ERROR(security::MayDefineMeasure(
      c.principal, r.area_id(), area.chief,
      owner == area.measure_owners.end() ? "" : owner->second, r.owning_agency_id()));
  RETURN_IF_ERROR(
      LoadAgencyInArea(s, "owning_agency_id", r.owning_agency_id(), r.area_id()).status());
  v1::Event e;
  auto* x = e.mutable_measure_defined();
  x->set_area_id(r.area_id());
  x->set_measure(r.measure());
  x->set_owning_agency_id(r.owning_agency_id());
  x->set_definition(r.definition());
  x->set_unit(r.unit());
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

absl::StatusOr<Decision> Decide(const v1::SubmitReportRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::ReportKind_IsValid));
  if (!r.has_period_start()) return Invalid("period_start", "required");
  if (!r.has_period_end()) return Invalid("period_end", "required");
  RETURN_IF_ERROR(CheckDate("period_start", r.period_start()));
  RETURN_IF_ERROR(CheckDate("period_end", r.period_end()));
  const absl::CivilDay start(r.period_start().year(), r.period_start().month(),
                             r.period_start().day());
  const absl::CivilDay end(r.period_end().year(), r.period_end().month(), r.period_end().day());
  if (start > end) return Invalid("period_start", "after period_end");
  if (end > absl::ToCivilDay(c.now, absl::UTCTimeZone())) {
    return Invalid("period_end", "in the future: a report covers a period that has passed");
  }
  // A half-yearly report covers its half-year, 1 January to 30 June or 1 July to 31 December
  // (an area that began within it reports the whole half-year: its figures start with it); an
  // ad hoc report any period that has passed. So the deadline process's missing half-yearly
  // report is answered by the report of that half-year, not by a day of it.
  if (r.kind() == v1::REPORT_KIND_HALF_YEARLY) {
    const bool first_half = end.month() == 6 && end.day() == 30;
    if (!first_half && !(end.month() == 12 && end.day() == 31)) {
      return Invalid("period_end", absl::StrCat("a half-yearly report ends on 30 June or 31 "
                                                "December, got ",
                                                FormatDate(r.period_end())));
    }
    const absl::CivilDay half_start(end.year(), first_half ? 1 : 7, 1);
    if (start != half_start) {
      return Invalid("period_start",
                     absl::StrCat("a half-yearly report covers its half-year: from ",
                                  absl::FormatCivilTime(half_start), " to ",
                                  FormatDate(r.period_end()), ", got ",
                                  FormatDate(r.period_start())));
    }
  }
  RETURN_IF_ERROR(CheckCount("recipients", r.recipients_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.recipients_size(); ++i) {
    const std::string at = absl::StrCat("recipients[", i, "]");
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, ".person"), r.recipients(i).person()));
    RETURN_IF_ERROR(CheckId(absl::StrCat(at, ".agency_id"), r.recipients(i).agency_id(), "agency"));
  }
  RETURN_IF_ERROR(CheckText("note", r.note(), 4'000, false));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "submit the area's report"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(security::MayActAsChief(c.principal, r.area_id(), area.chief,
                                          "submit the report to the directors"));
  // The report goes to the administrations' directors ("de administrerende direktører for
  // forvaltningerne", 002): each recipient holds the director rung of its agency's leadership
  // ladder, for the police the police director. Not a middle manager, nor a mayor (the
  // political follow-up group follows the effort in its own meetings).
  std::map<std::string, AgencyState> agencies;
  for (int i = 0; i < r.recipients_size(); ++i) {
    const v1::ReportRecipient& to = r.recipients(i);
    auto it = agencies.find(to.agency_id());
    if (it == agencies.end()) {
      ASSIGN_OR_RETURN(AgencyState agency,
                       LoadAgencyInArea(s, absl::StrCat("recipients[", i, "].agency_id"),
                                        to.agency_id(), r.area_id()));
      it = agencies.emplace(to.agency_id(), std::move(agency)).first;
    }
    const auto rung = it->second.ladder.find(it->second.kind == v1::AGENCY_KIND_POLICE
                                                 ? v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR
                                                 : v1::LEADERSHIP_LEVEL_DIRECTOR);
    const std::string director = rung == it->second.ladder.end() ? "" : rung->second;
    RETURN_IF_ERROR(Rule(
        !to.person().empty() && to.person() == director,
        absl::StrCat("recipients[", i, "].person: ", to.person(), " is not ", to.agency_id(),
                     "'s director: the report goes to the administrations' directors",
                     director.empty()
                         ? " (its leadership ladder names none; set the ladder first)"
                         : absl::StrCat(" (its leadership ladder names ", director, ")"))));
  }
  if (c.figures == nullptr) return absl::UnavailableError("no source of the report's figures");
  ASSIGN_OR_RETURN(v1::AreaDashboard figures,
                   c.figures->Compile(c.principal, r.area_id(), r.period_start(), r.period_end()));
  const std::string report_id = NewId("report");
  v1::Event e;
  auto* x = e.mutable_report_submitted();
  x->set_area_id(r.area_id());
  x->set_report_id(report_id);
  x->set_kind(r.kind());
  *x->mutable_period_start() = r.period_start();
  *x->mutable_period_end() = r.period_end();
  *x->mutable_recipients() = r.recipients();
  *x->mutable_figures() = std::move(figures);
  x->set_note(r.note());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(report_id);
}

absl::StatusOr<Decision> Decide(const v1::MarkHalfYearlyReportMissingCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "flag missing half-yearly reports"));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckDate("half_year_end", r.half_year_end()));
  const v1::Date& end = r.half_year_end();
  if (!((end.month() == 6 && end.day() == 30) || (end.month() == 12 && end.day() == 31))) {
    return Invalid("half_year_end", "a half-year ends on 30 June or 31 December");
  }
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  const absl::CivilDay last = DayOf(end);
  const absl::CivilDay first =
      end.month() == 6 ? absl::CivilDay(end.year(), 1, 1) : absl::CivilDay(end.year(), 7, 1);
  const int64_t epoch_last = DayNumber(end);
  RETURN_IF_ERROR(Rule(area.reports_missing.count(epoch_last) == 0,
                       absl::StrCat(r.area_id(), "'s half-yearly report to ",
                                    absl::FormatCivilTime(last), " is flagged missing already")));
  // Owed only for a half-year that ended with a programme adopted (adoptions of before carry no
  // time: taken as adopted before).
  RETURN_IF_ERROR(
      Rule(area.programme_revision > 0 && area.programme_adopted_at < StartOf(last + 1),
           absl::StrCat("half_year_end: ", r.area_id(),
                        " had no programme adopted by the end of the half-year to ",
                        absl::FormatCivilTime(last), ": no half-yearly report is owed")));
  const absl::CivilDay due = last + kHalfYearlyReportGraceDays;
  RETURN_IF_ERROR(
      Rule(absl::ToCivilDay(c.now, absl::UTCTimeZone()) > due,
           absl::StrCat("half_year_end: the report is due by ", absl::FormatCivilTime(due))));
  const int64_t epoch_first = epoch_last - (last - first);
  for (const auto& [kind, period_end] : area.reports) {
    RETURN_IF_ERROR(Rule(
        kind != v1::REPORT_KIND_HALF_YEARLY || period_end < epoch_first || period_end > epoch_last,
        absl::StrCat(r.area_id(), " submitted its half-yearly report to ",
                     absl::FormatCivilTime(last))));
  }
  v1::Event e;
  auto* x = e.mutable_half_yearly_report_missing();
  x->set_area_id(r.area_id());
  *x->mutable_half_year_end() = end;
  x->set_grace_days(kHalfYearlyReportGraceDays);
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return FinishAt(s, r.area_id(), StartOf(due + 1));
}

}  // namespace hotspot::domain
