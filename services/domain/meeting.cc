// A meeting: its schedule, attendance, agenda and decisions (which may commit, escalate, plan
// and close in one go).
#include <algorithm>
#include <map>
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

absl::StatusOr<Decision> Decide(const v1::ScheduleMeetingRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  if (r.body_id().empty()) return Invalid("body_id", "required");
  RETURN_IF_ERROR(CheckTimestamp("scheduled_at", r.scheduled_at()));
  RETURN_IF_ERROR(RequireCoordinator(c.principal, r.area_id(), "schedule meetings"));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", r.area_id()));
  if (area.bodies.count(r.body_id()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("body_id: ", r.area_id(), " has no body \"", r.body_id().substr(0, 80), "\""));
  }
  const std::string id = NewId("meeting");
  v1::Event e;
  auto* x = e.mutable_meeting_scheduled();
  x->set_meeting_id(id);
  x->set_body_id(r.body_id());
  *x->mutable_scheduled_at() = r.scheduled_at();
  s.Emit(id, r.area_id(), std::move(e));
  return s.Finish(id);
}

namespace {

// A held meeting's minutes (its decisions, agenda items added after it) are recorded within
// kMinutesDays of it. FAILED_PRECONDITION naming the meeting otherwise.
absl::Status WithinMinutes(const MeetingState& meeting, absl::string_view meeting_id,
                           absl::Time now, absl::string_view what) {
  return Rule(now <= meeting.held_at + absl::Hours(24) * kMinutesDays,
              absl::StrCat("meeting_id: ", meeting_id, " was held at ", TimeText(meeting.held_at),
                           "; ", what, " are recorded within ", kMinutesDays,
                           " days of it (its minutes), not later"));
}

absl::StatusOr<MeetingState> LoadMeetingForCoordinator(Session& s, const std::string& meeting_id,
                                                       absl::string_view what) {
  RETURN_IF_ERROR(CheckId("meeting_id", meeting_id, "meeting"));
  ASSIGN_OR_RETURN(MeetingState meeting, s.LoadMain<MeetingState>("meeting_id", meeting_id));
  RETURN_IF_ERROR(RequireCoordinator(s.principal(), meeting.area_id, what));
  return meeting;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::RecordAttendanceRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckTimestamp("held_at", r.held_at()));
  // Recorded as held once it was: not ahead of the clock (but by kClockLeeway).
  if (TimeOf(r.held_at()) > c.now + kClockLeeway) {
    return Invalid("held_at",
                   absl::StrCat(TimeText(TimeOf(r.held_at())), " is in the future (now ",
                                TimeText(c.now), "): a meeting is recorded as held once it was"));
  }
  RETURN_IF_ERROR(CheckMembers("attendance", r.attendance(), 1, /*outsiders=*/true));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "record meetings"));
  // Those who speak for no agency attend only the bodies that seat them (BodySeatsOutsiders).
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", meeting.area_id));
  const auto body = area.bodies.find(meeting.body_id);
  const v1::BodyKind kind = body == area.bodies.end() ? v1::BODY_KIND_UNSPECIFIED : body->second;
  for (int i = 0; i < r.attendance_size(); ++i) {
    const std::string& agency_id = r.attendance(i).agency_id();
    RETURN_IF_ERROR(Rule(BodySeatsOutsiders(kind) || !agency_id.empty(),
                         absl::StrCat("attendance[", i, "].agency_id: a ", BodyKindName(kind),
                                      " seats the agencies' people, each for its agency")));
    // One who attends for an agency attends for one that serves the area (review 13c, d): the
    // quorum and the acceptances in the meeting rest on who attended for whom.
    if (agency_id.empty()) continue;
    ASSIGN_OR_RETURN(const AgencyState agency,
                     LoadAgencyInArea(s, absl::StrCat("attendance[", i, "].agency_id"), agency_id,
                                      meeting.area_id));
    // At a body that seats the agencies' people, one the agency named attends for it (review
    // 13c, d; 13d, 3): the chief records who came, not whom an agency sends.
    if (!BodySeatsOutsiders(kind)) {
      RETURN_IF_ERROR(OneOfItsPeople(area, agency, agency_id, r.attendance(i).person(),
                                     absl::StrCat("attendance[", i, "].person")));
    }
  }
  RETURN_IF_ERROR(
      Rule(!meeting.held, absl::StrCat(r.meeting_id(), " is recorded as held already")));
  RETURN_IF_ERROR(Rule(
      meeting.scheduled_at == absl::InfinitePast() ||
          TimeOf(r.held_at()) >= meeting.scheduled_at - kMeetingBroughtForward,
      absl::StrCat("held_at: ", TimeText(TimeOf(r.held_at())), " is more than a day before ", r.meeting_id(),
                   " was scheduled for (", TimeText(meeting.scheduled_at),
                   "): a meeting held that much earlier is another meeting; schedule it anew")));
  v1::Event e;
  auto* x = e.mutable_meeting_held();
  x->set_meeting_id(r.meeting_id());
  *x->mutable_held_at() = r.held_at();
  *x->mutable_attendance() = r.attendance();
  s.Emit(r.meeting_id(), meeting.area_id, std::move(e));
  return s.Finish(r.meeting_id());
}

absl::StatusOr<Decision> Decide(const v1::AddAgendaItemRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  if (r.youth_id().empty() == r.topic().empty()) {
    return Invalid("youth_id", "name a youth or an area topic (topic), not both");
  }
  if (r.youth_id().empty()) RETURN_IF_ERROR(CheckText("topic", r.topic(), kMaxNameBytes));
  if (!r.youth_id().empty()) RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "set agendas"));
  // Once held, its agenda is completed with its minutes only.
  if (meeting.held) {
    RETURN_IF_ERROR(WithinMinutes(meeting, r.meeting_id(), c.now, "its agenda items"));
  }
  v1::Event e;
  e.mutable_agenda_item_added()->set_meeting_id(r.meeting_id());
  if (!r.topic().empty()) {
    RETURN_IF_ERROR(Rule(meeting.topics.count(r.topic()) == 0,
                         absl::StrCat("topic: \"", r.topic(), "\" is on the agenda already")));
    e.mutable_agenda_item_added()->set_topic(r.topic());
  } else {
    ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", meeting.area_id));
    const v1::BodyKind body = area.bodies.count(meeting.body_id) > 0
                                  ? area.bodies.at(meeting.body_id)
                                  : v1::BODY_KIND_UNSPECIFIED;
    RETURN_IF_ERROR(Rule(BodyTakesYouths(body),
                         absl::StrCat("youth_id: a ", BodyKindName(body),
                                      " takes no youths on its agenda (only the task force, the "
                                      "steering group and the local SSP do): an area topic can")));
    ASSIGN_OR_RETURN(const YouthState youth,
                     LoadYouthInArea(s, "youth_id", r.youth_id(), meeting.area_id));
    RETURN_IF_ERROR(Rule(meeting.agenda.count(r.youth_id()) == 0,
                         absl::StrCat(r.youth_id(), " is on the agenda already")));
    // A meeting held before the youth was referred did not discuss the youth (nor did an agency
    // accept a commitment for the youth there).
    RETURN_IF_ERROR(Rule(
        !meeting.held || youth.referred_at <= meeting.held_at,
        absl::StrCat("youth_id: ", r.youth_id(), " was referred at ", TimeText(youth.referred_at),
                     ", after ", r.meeting_id(), " was held (", TimeText(meeting.held_at),
                     "): put the youth on a later meeting's agenda")));
    e.mutable_agenda_item_added()->set_youth_id(r.youth_id());
  }
  s.Emit(r.meeting_id(), meeting.area_id, std::move(e));
  return s.Finish(r.meeting_id());
}

namespace {

// What the body of `meeting` may decide (the bodies' powers: rules.h), for a decision of `kind`
// (unset: a decision). FAILED_PRECONDITION naming what is out of its powers.
absl::Status WithinPowers(const v1::RecordDecisionRequest& r, v1::BodyKind body) {
  const v1::DecisionKind kind =
      r.kind() == v1::DECISION_KIND_UNSPECIFIED ? v1::DECISION_KIND_DECISION : r.kind();
  const bool youth_level = !r.youth_id().empty() || r.commitments_size() > 0 ||
                           r.escalations_size() > 0 ||
                           r.case_change_case() != v1::RecordDecisionRequest::CASE_CHANGE_NOT_SET;
  const std::string name = BodyKindName(body);
  // At any body, only a decision commits, escalates or changes a case.
  RETURN_IF_ERROR(
      Rule(kind == v1::DECISION_KIND_DECISION ||
               (r.commitments_size() == 0 && r.escalations_size() == 0 &&
                r.case_change_case() == v1::RecordDecisionRequest::CASE_CHANGE_NOT_SET),
           "kind: a recommendation or information carries no commitments, escalations or case "
           "changes; only a decision does"));
  if (r.has_steering()) {
    RETURN_IF_ERROR(Rule(body == v1::BODY_KIND_STEERING_GROUP,
                         absl::StrCat("steering: a ", name,
                                      " does not set the effort's goals, frames and resources; "
                                      "the steering group does")));
    RETURN_IF_ERROR(Rule(kind == v1::DECISION_KIND_DECISION && !youth_level,
                         "steering: a steering decision is a decision about the area alone"));
  }
  if (!r.approves_proposal_id().empty()) {
    RETURN_IF_ERROR(Rule(body == v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP,
                         absl::StrCat("approves_proposal_id: a ", name,
                                      " does not approve programme revisions; the political "
                                      "follow-up group does")));
    RETURN_IF_ERROR(Rule(kind == v1::DECISION_KIND_DECISION && !youth_level,
                         "approves_proposal_id: an approval is a decision about the area alone"));
    return absl::OkStatus();
  }
  if (BodyDecides(body)) return absl::OkStatus();
  RETURN_IF_ERROR(Rule(kind != v1::DECISION_KIND_DECISION,
                       absl::StrCat("kind: a ", name,
                                    " has no decision power: record a recommendation or "
                                    "information (the political follow-up group decides only "
                                    "to approve programme revisions)")));
  // Without decision power it commits, escalates and changes no case (above). A body that takes
  // youths on its agenda (the local SSP) records its recommendations and information about them
  // (review 13b, N1); the others only about the area.
  return Rule(!youth_level || BodyTakesYouths(body),
              absl::StrCat("youth_id: a ", name,
                           " records nothing about a youth (no youth, commitments, escalations "
                           "or case changes): only about the area"));
}

// The quorum of what the political follow-up group approves and the steering group decides
// (`field`): a majority of the body's members present at `meeting_id`, each under the agency and
// person the body lists them with. The hotspot secretariat's people (the chief and her staff, who
// prepare and record the meeting) count neither among the members nor among those present.
// FAILED_PRECONDITION naming `field` otherwise.
absl::Status Quorate(Session& s, const AreaState& area, const MeetingState& meeting,
                     absl::string_view meeting_id, absl::string_view field) {
  int members = 0;
  int present = 0;
  const auto listed = area.body_members.find(meeting.body_id);
  if (listed != area.body_members.end()) {
    std::map<std::string, bool> secretariat;  // agency id -> whether it is the hotspot secretariat
    for (const auto& [agency_id, person] : listed->second) {
      auto it = secretariat.find(agency_id);
      if (it == secretariat.end()) {
        ASSIGN_OR_RETURN(const AgencyState agency,
                         s.Load<AgencyState>(field, agency_id, /*must_exist=*/false));
        it = secretariat.emplace(agency_id, agency.kind == v1::AGENCY_KIND_HOTSPOT_SECRETARIAT)
                 .first;
      }
      if (it->second) continue;
      ++members;
      if (meeting.attendance.count({agency_id, person}) > 0) ++present;
    }
  }
  return Rule(members > 0 && 2 * present > members,
              absl::StrCat(field, ": ", meeting.body_id, " is not quorate at ", meeting_id, ": ",
                           present, " of its ", members,
                           " members attended (as the body lists them, under their agency; the "
                           "hotspot secretariat's people not counted), and it takes ",
                           members / 2 + 1));
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::RecordDecisionRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth", /*required=*/false));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  RETURN_IF_ERROR(CheckCount("commitments", r.commitments_size(), 0, kMaxListEntries));
  RETURN_IF_ERROR(CheckCount("escalations", r.escalations_size(), 0, 10));
  for (int i = 0; i < r.commitments_size(); ++i) {
    const v1::NewCommitment& nc = r.commitments(i);
    const std::string at = absl::StrCat("commitments[", i, "].");
    RETURN_IF_ERROR(CheckId(absl::StrCat(at, "owning_agency_id"), nc.owning_agency_id(), "agency"));
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, "responsible_person"), nc.responsible_person()));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, "action"), nc.action(), kMaxTextBytes));
    if (!nc.has_due_date()) return Invalid(absl::StrCat(at, "due_date"), "required");
    RETURN_IF_ERROR(CheckFutureDate(absl::StrCat(at, "due_date"), nc.due_date(), Today(c)));
    if (!nc.accepted_by().empty()) {
      RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, "accepted_by"), nc.accepted_by()));
    }
    RETURN_IF_ERROR(CheckId(absl::StrCat(at, "replaces_commitment_id"), nc.replaces_commitment_id(),
                            "commitment", /*required=*/false));
  }
  for (int i = 0; i < r.escalations_size(); ++i) {
    const v1::NewEscalation& ne = r.escalations(i);
    RETURN_IF_ERROR(CheckEscalationInput(absl::StrCat("escalations[", i, "]."),
                                         ne.target_agency_id(), ne.level(), ne.reason(),
                                         ne.commitment_ids()));
  }
  const bool changes_case = r.case_change_case() != v1::RecordDecisionRequest::CASE_CHANGE_NOT_SET;
  if (changes_case && r.youth_id().empty()) {
    return Invalid("youth_id", "required for a decision that changes a case");
  }
  if (r.has_plan()) {
    RETURN_IF_ERROR(CheckGoals("plan.goals", r.plan().goals()));
    RETURN_IF_ERROR(CheckFutureDate("plan.review_date", r.plan().review_date(), Today(c)));
  }
  if (r.kind() != v1::DECISION_KIND_UNSPECIFIED) {
    RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::DecisionKind_IsValid));
  }
  if (!r.topic().empty()) {
    RETURN_IF_ERROR(CheckText("topic", r.topic(), kMaxNameBytes));
    if (!r.youth_id().empty()) return Invalid("topic", "a decision is about a youth or a topic");
  }
  if (r.has_steering()) {
    RETURN_IF_ERROR(
        CheckEnum("steering.kind", r.steering().kind(), v1::SteeringDecisionKind_IsValid));
    RETURN_IF_ERROR(CheckText("steering.text", r.steering().text(), kMaxTextBytes));
    const bool resources = r.steering().kind() == v1::STEERING_DECISION_KIND_RESOURCES;
    RETURN_IF_ERROR(CheckId("steering.agency_id", r.steering().agency_id(), "agency", resources));
    if (r.steering().amount_dkk() < 0 || r.steering().hours_per_week() < 0 ||
        r.steering().hours_per_week() > 10'000) {
      return Invalid("steering.amount_dkk", "amounts and hours are not negative");
    }
    if (!resources && (!r.steering().agency_id().empty() || r.steering().amount_dkk() != 0 ||
                       r.steering().hours_per_week() != 0)) {
      return Invalid("steering.agency_id", "only a decision on resources allocates them");
    }
  }
  if (!r.approves_proposal_id().empty()) {
    RETURN_IF_ERROR(CheckId("approves_proposal_id", r.approves_proposal_id(), "proposal"));
  }
  if (r.case_change_case() == v1::RecordDecisionRequest::kCloseWithOutcome) {
    RETURN_IF_ERROR(
        CheckEnum("close_with_outcome", r.close_with_outcome(), v1::CaseOutcome_IsValid));
    RETURN_IF_ERROR(Rule(r.commitments_size() == 0,
                         "a decision that closes the case cannot make commitments for it"));
  }

  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "record decisions"));
  RETURN_IF_ERROR(Rule(
      meeting.held, absl::StrCat(r.meeting_id(), " is not held yet: record its attendance first")));
  RETURN_IF_ERROR(WithinMinutes(meeting, r.meeting_id(), c.now, "its decisions"));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", meeting.area_id));
  const auto body = area.bodies.find(meeting.body_id);
  RETURN_IF_ERROR(
      WithinPowers(r, body == area.bodies.end() ? v1::BODY_KIND_UNSPECIFIED : body->second));
  // A decision carrying its own plan or closure stands on the meeting as one cited by
  // AdoptActionPlan or CloseCase does (review 13d, 2).
  if (changes_case) {
    RETURN_IF_ERROR(DecidedWithAgencies(
        s, meeting,
        absl::StrCat(r.has_plan() ? "plan" : "close_with_outcome", ": this decision is recorded at ",
                     r.meeting_id()),
        r.has_plan() ? "an action plan" : "a closure"));
  }
  if (!r.topic().empty()) {
    RETURN_IF_ERROR(
        Rule(meeting.topics.count(r.topic()) > 0,
             absl::StrCat("topic: \"", r.topic(), "\" is not on the agenda of ", r.meeting_id())));
  }
  if (r.has_steering()) RETURN_IF_ERROR(Quorate(s, area, meeting, r.meeting_id(), "steering"));
  const v1::ProgrammeRevisionProposed* proposal = nullptr;
  if (!r.approves_proposal_id().empty()) {
    RETURN_IF_ERROR(Quorate(s, area, meeting, r.meeting_id(), "approves_proposal_id"));
    const auto it = area.proposals.find(r.approves_proposal_id());
    RETURN_IF_ERROR(
        Rule(it != area.proposals.end(),
             absl::StrCat("approves_proposal_id: ", r.approves_proposal_id(), " is no revision of ",
                          meeting.area_id, " awaiting approval")));
    proposal = &it->second;
    // Made against the programme as it stands: approving a proposal made against an older
    // revision would bring back the goals revised since (proposals of before name none).
    RETURN_IF_ERROR(
        Rule(proposal->revises_revision() == 0 ||
                 proposal->revises_revision() == area.programme_revision,
             absl::StrCat("approves_proposal_id: ", r.approves_proposal_id(), " revises revision ",
                          proposal->revises_revision(), " of ", meeting.area_id,
                          "'s programme, which revision ", area.programme_revision,
                          " has replaced since: the chief proposes the revision anew")));
    // Approved at a meeting held since it was proposed (proposals of before carry no time).
    if (proposal->has_proposed_at()) {
      const absl::Time proposed = TimeOf(proposal->proposed_at());
      RETURN_IF_ERROR(Rule(
          meeting.held_at >= proposed,
          absl::StrCat("approves_proposal_id: ", r.approves_proposal_id(), " was proposed at ",
                       TimeText(proposed), ", after ", r.meeting_id(), " was held (",
                       TimeText(meeting.held_at),
                       "): the political follow-up group approves it at a meeting held since")));
    }
  }
  const std::string& youth_id = r.youth_id();
  YouthState youth;
  if (!youth_id.empty()) {
    RETURN_IF_ERROR(
        Rule(meeting.agenda.count(youth_id) > 0,
             absl::StrCat("youth_id: ", youth_id, " is not on the agenda of ", r.meeting_id())));
    ASSIGN_OR_RETURN(youth, s.Load<YouthState>("youth_id", youth_id));
    if (r.commitments_size() > 0) {
      RETURN_IF_ERROR(NotClosed(youth, youth_id, "it takes no new commitments"));
    }
  }
  const std::string decision_id = NewId("decision");
  const std::string& area_id = meeting.area_id;
  std::vector<std::string> created;

  std::vector<std::string> commitment_ids;
  std::set<std::string> replaced;  // the declined commitments this decision takes up
  for (int i = 0; i < r.commitments_size(); ++i) {
    const v1::NewCommitment& nc = r.commitments(i);
    const std::string at = absl::StrCat("commitments[", i, "].");
    const std::string field = absl::StrCat(at, "owning_agency_id");
    const absl::StatusOr<AgencyState> owner =
        LoadAgencyInArea(s, field, nc.owning_agency_id(), area_id);
    if (absl::IsNotFound(owner.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": a commitment needs a registered owning agency; ",
                       nc.owning_agency_id(), " is not registered"));
    }
    RETURN_IF_ERROR(owner.status());
    if (!youth_id.empty())
      RETURN_IF_ERROR(MayTakeOnCasework(youth, *owner, nc.owning_agency_id(), field));
    // The chief does not commit an agency: a person of it accepts in the meeting, or the
    // commitment stands proposed until the agency answers. Of it: one the agency itself named
    // (its register of people, its ladder), not merely one the chief recorded as attending for
    // it. The police's coordinator of the area is one of their people (a designation of before
    // that named another does not make them so).
    if (!nc.accepted_by().empty()) {
      RETURN_IF_ERROR(
          Rule(meeting.attendance.count({nc.owning_agency_id(), nc.accepted_by()}) > 0,
               absl::StrCat(at, "accepted_by: ", nc.accepted_by(), " of ", nc.owning_agency_id(),
                            " did not attend ", r.meeting_id(),
                            "; without them the commitment is proposed to the agency")));
      RETURN_IF_ERROR(Rule(
          NamedByAgency(*owner, nc.accepted_by()),
          absl::StrCat(at, "accepted_by: ", nc.accepted_by(), " is not one of ",
                       nc.owning_agency_id(),
                       "'s people as the agency named them (NameAgencyPeople, or its leadership "
                       "ladder): propose the commitment to the agency instead (no accepted_by), "
                       "and it accepts or declines it")));
    }
    // The chief takes a declined commitment to the next meeting: of the same area and case.
    if (!nc.replaces_commitment_id().empty()) {
      const std::string replaces = absl::StrCat(at, "replaces_commitment_id");
      ASSIGN_OR_RETURN(const CommitmentState declined,
                       LoadCommitmentInArea(s, replaces, nc.replaces_commitment_id(), area_id));
      RETURN_IF_ERROR(Rule(declined.status == CommitmentStatus::kDeclined,
                           absl::StrCat(replaces, ": ", nc.replaces_commitment_id(),
                                        " is not declined: only a declined commitment is taken "
                                        "up in a new one")));
      RETURN_IF_ERROR(Rule(!declined.taken_up,
                           absl::StrCat(replaces, ": ", nc.replaces_commitment_id(),
                                        " is taken up already (in a new commitment or an "
                                        "escalation): a declined commitment is taken up once")));
      RETURN_IF_ERROR(Rule(replaced.insert(nc.replaces_commitment_id()).second,
                           absl::StrCat(replaces, ": ", nc.replaces_commitment_id(),
                                        " is taken up by another commitment of this decision")));
      RETURN_IF_ERROR(Rule(declined.area_id == area_id && declined.youth_id == youth_id,
                           absl::StrCat(replaces, ": ", nc.replaces_commitment_id(), " is of ",
                                        declined.youth_id.empty() ? "the area" : declined.youth_id,
                                        " in ", declined.area_id, ", not of this decision's ",
                                        youth_id.empty() ? "area" : youth_id, " in ", area_id)));
    }
    const std::string id = NewId("commitment");
    v1::Event e;
    auto* x = e.mutable_commitment_made();
    x->set_commitment_id(id);
    x->set_owning_agency_id(nc.owning_agency_id());
    x->set_responsible_person(nc.responsible_person());
    ASSIGN_OR_RETURN(*x->mutable_action(), s.Text(youth_id, "commitment_action", nc.action()));
    *x->mutable_due_date() = nc.due_date();
    x->set_youth_id(youth_id);
    x->set_meeting_id(r.meeting_id());
    x->set_decision_id(decision_id);
    x->set_acceptance(nc.accepted_by().empty() ? v1::COMMITMENT_ACCEPTANCE_PROPOSED
                                               : v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
    x->set_accepted_by(nc.accepted_by());
    x->mutable_made_at()->set_seconds(absl::ToUnixSeconds(c.now));
    s.Emit(id, area_id, std::move(e));
    if (!nc.replaces_commitment_id().empty()) {
      TakeUp(s, nc.replaces_commitment_id(), area_id, id, "", r.meeting_id(), decision_id);
    }
    if (!youth_id.empty()) {
      v1::Event link;
      link.mutable_commitment_linked()->set_youth_id(youth_id);
      link.mutable_commitment_linked()->set_commitment_id(id);
      s.Emit(youth_id, area_id, std::move(link));
    }
    commitment_ids.push_back(id);
    created.push_back(id);
  }

  std::vector<std::string> escalation_ids;
  std::set<std::string> escalated;  // the commitments this decision's escalations name
  for (int i = 0; i < r.escalations_size(); ++i) {
    const v1::NewEscalation& ne = r.escalations(i);
    const std::string prefix = absl::StrCat("escalations[", i, "].");
    EscalationConcerns concerns;
    concerns.youth_id = youth_id;
    concerns.area = youth_id.empty();  // a decision about the area escalates the area's
    for (int j = 0; j < ne.commitment_ids_size(); ++j) {
      const std::string& ref = ne.commitment_ids(j);
      const std::string field = absl::StrCat(prefix, "commitment_ids[", j, "]");
      // One escalation of a commitment at a time, in the decision too (the session reads the
      // log, not what this decision emits), a new commitment ("new:<n>") as an existing one.
      const auto once = [&](const std::string& id) {
        return Rule(escalated.insert(id).second,
                    absl::StrCat(field, ": ", ref,
                                 " is named by another escalation of this decision"));
      };
      if (absl::StartsWith(ref, "new:")) {
        int n = -1;
        if (!absl::SimpleAtoi(ref.substr(4), &n) || n < 0 || n >= r.commitments_size()) {
          return Invalid(field, absl::StrCat("\"", ref, "\" names no commitment of this decision"));
        }
        RETURN_IF_ERROR(Rule(
            !r.commitments(n).accepted_by().empty(),
            absl::StrCat(field, ": \"", ref, "\" is proposed, not accepted: nothing to escalate")));
        RETURN_IF_ERROR(
            Rule(r.commitments(n).owning_agency_id() == ne.target_agency_id(),
                 absl::StrCat(field, ": \"", ref, "\" is ", r.commitments(n).owning_agency_id(),
                              "'s, not ", ne.target_agency_id(), "'s")));
        RETURN_IF_ERROR(once(commitment_ids[n]));
        concerns.commitment_ids.push_back(commitment_ids[n]);
      } else {
        ASSIGN_OR_RETURN(const CommitmentState commitment,
                         LoadCommitmentInArea(s, field, ref, area_id));
        RETURN_IF_ERROR(once(ref));
        RETURN_IF_ERROR(
            AddEscalated(s, commitment, field, ref, area_id, ne.target_agency_id(), concerns));
      }
    }
    // A declined commitment is taken up once in the whole decision: by its first commitment or
    // escalation that names it, not again by the next (the session reads the log, not what this
    // decision emits).
    concerns.declined.erase(std::remove_if(concerns.declined.begin(), concerns.declined.end(),
                                           [&](const std::string& id) {
                                             return !replaced.insert(id).second;
                                           }),
                            concerns.declined.end());
    ASSIGN_OR_RETURN(std::string id,
                     RaiseEvents(s, prefix, area_id, ne.target_agency_id(), ne.level(), ne.reason(),
                                 std::move(concerns), r.meeting_id(), decision_id));
    escalation_ids.push_back(id);
    created.push_back(id);
  }

  v1::CaseStatus status_after = v1::CASE_STATUS_UNSPECIFIED;
  if (r.has_plan()) {
    RETURN_IF_ERROR(PlanEvents(s, youth, youth_id, r.plan().goals(), r.plan().review_date(),
                               r.text(), r.meeting_id(), decision_id));
    status_after = v1::CASE_STATUS_ACTIVE;
  } else if (r.case_change_case() == v1::RecordDecisionRequest::kCloseWithOutcome) {
    RETURN_IF_ERROR(CloseEvents(s, youth, youth_id, r.close_with_outcome(), r.text(),
                                r.meeting_id(), decision_id));
    status_after = v1::CASE_STATUS_CLOSED;
  }

  if (r.has_steering()) {
    if (!r.steering().agency_id().empty()) {
      RETURN_IF_ERROR(
          LoadAgencyInArea(s, "steering.agency_id", r.steering().agency_id(), area_id).status());
    }
    v1::Event steering;
    auto* x = steering.mutable_steering_decision_recorded();
    x->set_area_id(area_id);
    x->set_meeting_id(r.meeting_id());
    x->set_decision_id(decision_id);
    *x->mutable_decision() = r.steering();
    s.Emit(area_id, area_id, std::move(steering));
  }
  if (proposal != nullptr) {
    // The revision applies with the political follow-up group's approval.
    v1::Event revised;
    auto* x = revised.mutable_programme_revised();
    x->set_area_id(area_id);
    x->set_revision(area.programme_revision + 1);
    *x->mutable_goals() = proposal->goals();
    x->set_reason(proposal->reason());
    x->set_proposal_id(proposal->proposal_id());
    x->set_meeting_id(r.meeting_id());
    x->set_decision_id(decision_id);
    s.Emit(area_id, area_id, std::move(revised));
  }

  v1::Event e;
  auto* x = e.mutable_decision_recorded();
  x->set_meeting_id(r.meeting_id());
  x->set_decision_id(decision_id);
  x->set_youth_id(youth_id);
  x->set_kind(r.kind());
  x->set_topic(r.topic());
  x->set_approves_proposal_id(r.approves_proposal_id());
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Text(youth_id, "decision_text", r.text()));
  for (const auto& id : commitment_ids) x->add_commitment_ids(id);
  for (const auto& id : escalation_ids) x->add_escalation_ids(id);
  x->set_case_status(status_after);
  s.Emit(r.meeting_id(), area_id, std::move(e));
  return s.Finish(decision_id, std::move(created));
}

}  // namespace hotspot::domain
