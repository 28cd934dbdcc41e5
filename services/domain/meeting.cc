// A meeting: its schedule, attendance, agenda and decisions (which may commit, escalate, plan
// and close in one go).
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
  RETURN_IF_ERROR(CheckMembers("attendance", r.attendance(), 1));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "record meetings"));
  RETURN_IF_ERROR(
      Rule(!meeting.held, absl::StrCat(r.meeting_id(), " is recorded as held already")));
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
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "set agendas"));
  ASSIGN_OR_RETURN(const YouthState youth, s.Load<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(Rule(youth.area_id == meeting.area_id,
                       absl::StrCat("youth_id: ", r.youth_id(), " is not of ", meeting.area_id)));
  RETURN_IF_ERROR(Rule(meeting.agenda.count(r.youth_id()) == 0,
                       absl::StrCat(r.youth_id(), " is on the agenda already")));
  v1::Event e;
  e.mutable_agenda_item_added()->set_meeting_id(r.meeting_id());
  e.mutable_agenda_item_added()->set_youth_id(r.youth_id());
  s.Emit(r.meeting_id(), meeting.area_id, std::move(e));
  return s.Finish(r.meeting_id());
}

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
    // commitment stands proposed until the agency answers.
    if (!nc.accepted_by().empty()) {
      RETURN_IF_ERROR(
          Rule(meeting.attendance.count({nc.owning_agency_id(), nc.accepted_by()}) > 0,
               absl::StrCat(at, "accepted_by: ", nc.accepted_by(), " of ", nc.owning_agency_id(),
                            " did not attend ", r.meeting_id(),
                            "; without them the commitment is proposed to the agency")));
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
    s.Emit(id, area_id, std::move(e));
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
  for (int i = 0; i < r.escalations_size(); ++i) {
    const v1::NewEscalation& ne = r.escalations(i);
    std::vector<std::string> concerns;
    for (int j = 0; j < ne.commitment_ids_size(); ++j) {
      const std::string& ref = ne.commitment_ids(j);
      const std::string field = absl::StrCat("escalations[", i, "].commitment_ids[", j, "]");
      if (absl::StartsWith(ref, "new:")) {
        int n = -1;
        if (!absl::SimpleAtoi(ref.substr(4), &n) || n < 0 || n >= r.commitments_size()) {
          return Invalid(field, absl::StrCat("\"", ref, "\" names no commitment of this decision"));
        }
        RETURN_IF_ERROR(Rule(
            !r.commitments(n).accepted_by().empty(),
            absl::StrCat(field, ": \"", ref, "\" is proposed, not accepted: nothing to escalate")));
        concerns.push_back(commitment_ids[n]);
      } else {
        ASSIGN_OR_RETURN(const CommitmentState commitment, s.Load<CommitmentState>(field, ref));
        RETURN_IF_ERROR(EscalatesOver(commitment, field, ref));
        concerns.push_back(ref);
      }
    }
    ASSIGN_OR_RETURN(std::string id,
                     RaiseEvents(s, absl::StrCat("escalations[", i, "]."), area_id,
                                 ne.target_agency_id(), ne.level(), ne.reason(),
                                 std::move(concerns), youth_id, r.meeting_id(), decision_id));
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

  v1::Event e;
  auto* x = e.mutable_decision_recorded();
  x->set_meeting_id(r.meeting_id());
  x->set_decision_id(decision_id);
  x->set_youth_id(youth_id);
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Text(youth_id, "decision_text", r.text()));
  for (const auto& id : commitment_ids) x->add_commitment_ids(id);
  for (const auto& id : escalation_ids) x->add_escalation_ids(id);
  x->set_case_status(status_after);
  s.Emit(r.meeting_id(), area_id, std::move(e));
  return s.Finish(decision_id, std::move(created));
}

}  // namespace hotspot::domain
