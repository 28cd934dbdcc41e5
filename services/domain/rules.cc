#include "services/domain/rules.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace hotspot::domain {

absl::StatusOr<v1::SealedText> SealConcerns(Session& s, absl::string_view youth_id,
                                            const google::protobuf::RepeatedField<int>& concerns) {
  std::vector<std::string> names;
  for (int c : concerns) names.push_back(v1::ConcernCategory_Name(c));
  return s.Seal(youth_id, "concern_categories", absl::StrJoin(names, ","));
}

absl::StatusOr<std::optional<int>> AgeOf(Session& s, const YouthState& youth, absl::Time now) {
  ASSIGN_OR_RETURN(const std::optional<std::string> birth, s.Open(youth.birth_date));
  if (!birth.has_value()) return std::nullopt;
  return AgeOn(*birth, absl::ToCivilDay(now, absl::UTCTimeZone()));
}

absl::Status NotClosed(const YouthState& youth, absl::string_view youth_id,
                       absl::string_view what) {
  return Rule(youth.status != v1::CASE_STATUS_CLOSED,
              absl::StrCat(youth_id, " is closed: ", what, " until it is reopened"));
}

absl::StatusOr<AgencyState> LoadAgencyInArea(Session& s, absl::string_view field,
                                             absl::string_view agency_id,
                                             absl::string_view area_id) {
  ASSIGN_OR_RETURN(AgencyState agency, s.Load<AgencyState>(field, agency_id));
  RETURN_IF_ERROR(Rule(agency.areas.count(std::string(area_id)) > 0,
                       absl::StrCat(field, ": ", agency_id, " is not an agency of ", area_id)));
  return agency;
}

absl::StatusOr<bool> SpeaksForAnAgency(Session& s, absl::string_view field,
                                       absl::string_view agency_id, absl::string_view person) {
  if (agency_id.empty()) return false;
  ASSIGN_OR_RETURN(const AgencyState agency,
                   s.Load<AgencyState>(field, agency_id, /*must_exist=*/false));
  return agency.exists && agency.kind != v1::AGENCY_KIND_HOTSPOT_SECRETARIAT &&
         NamedByAgency(agency, person);
}

absl::Status OneOfItsPeople(const AreaState& area, const AgencyState& agency,
                            absl::string_view agency_id, absl::string_view person,
                            absl::string_view field) {
  const bool appointed = agency.kind == v1::AGENCY_KIND_HOTSPOT_SECRETARIAT &&
                         (area.chief == person || area.staff.count(std::string(person)) > 0);
  return Rule(appointed || NamedByAgency(agency, person),
              absl::StrCat(field, ": ", person, " is not one of ", agency_id,
                           "'s people as the agency named them (NameAgencyPeople, or its "
                           "leadership ladder): an agency's seat and voice are for the people "
                           "it names"));
}

absl::Status DecidedWithAgencies(Session& s, const MeetingState& meeting, absl::string_view at,
                                 absl::string_view change) {
  for (const auto& [agency_id, person] : meeting.attendance) {
    ASSIGN_OR_RETURN(const bool speaks, SpeaksForAnAgency(s, "meeting_id", agency_id, person));
    if (speaks) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(at, ", which nobody attended for an agency (the hotspot secretariat's people "
                   "alone, or people their agency did not name): ", change,
                   " is decided with the agencies"));
}

absl::StatusOr<YouthState> LoadYouthInArea(Session& s, absl::string_view field,
                                           absl::string_view youth_id, absl::string_view area_id) {
  ASSIGN_OR_RETURN(YouthState youth, s.Load<YouthState>(field, youth_id, /*must_exist=*/false));
  RETURN_IF_ERROR(Rule(youth.exists && youth.area_id == area_id,
                       absl::StrCat(field, ": ", youth_id, " has no case in ", area_id)));
  return youth;
}

absl::StatusOr<CommitmentState> LoadCommitmentInArea(Session& s, absl::string_view field,
                                                     absl::string_view commitment_id,
                                                     absl::string_view area_id) {
  ASSIGN_OR_RETURN(CommitmentState commitment,
                   s.Load<CommitmentState>(field, commitment_id, /*must_exist=*/false));
  if (!commitment.exists || commitment.area_id != area_id) {
    return NoSuch<CommitmentState>(field, commitment_id);
  }
  return commitment;
}

absl::Status CheckProgrammeGoals(
    const google::protobuf::RepeatedPtrField<v1::ProgrammeGoal>& goals) {
  RETURN_IF_ERROR(CheckCount("goals", goals.size(), 1, kMaxListEntries));
  for (int i = 0; i < goals.size(); ++i) {
    const v1::ProgrammeGoal& g = goals[i];
    const std::string at = absl::StrCat("goals[", i, "]");
    RETURN_IF_ERROR(CheckSlug(absl::StrCat(at, ".goal_id"), g.goal_id()));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, ".description"), g.description(), kMaxTextBytes));
    // The name of the measure it is set against, exactly as its measurements are recorded
    // (RecordMeasurement, DefineMeasure), or a figure the dashboard computes, e.g.
    // "median_days_to_plan": so that the report sets each goal against its own figures.
    RETURN_IF_ERROR(CheckMeasureName(absl::StrCat(at, ".measure"), g.measure()));
    if (g.has_target_date()) {
      RETURN_IF_ERROR(CheckDate(absl::StrCat(at, ".target_date"), g.target_date()));
    }
  }
  return absl::OkStatus();
}

absl::Status MayTakeOnCasework(const YouthState& youth, const AgencyState& agency,
                               absl::string_view agency_id, absl::string_view field) {
  const bool consented =
      std::any_of(youth.consents.begin(), youth.consents.end(), [&](const auto& entry) {
        const YouthState::Consent& consent = entry.second;
        return consent.in_force &&
               (consent.agencies.empty() || consent.agencies.count(std::string(agency_id)) > 0);
      });
  return security::MayTakeOnCasework(FactsOf(agency_id, agency), consented, field);
}

std::string ContactFor(const AreaState& area, const AgencyState& agency,
                       absl::string_view agency_id, v1::EscalationLevel level) {
  auto at = [&](v1::LeadershipLevel rung) -> std::string {
    const auto it = agency.ladder.find(rung);
    return it == agency.ladder.end() ? "" : it->second;
  };
  if (agency.kind == v1::AGENCY_KIND_POLICE) {
    switch (level) {
      case v1::ESCALATION_LEVEL_STEERING_GROUP: {
        const auto designated = area.police_coordinators.find(std::string(agency_id));
        if (designated != area.police_coordinators.end()) return designated->second;
        const std::string coordinator = at(v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR);
        return coordinator.empty() ? at(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER) : coordinator;
      }
      case v1::ESCALATION_LEVEL_DIRECTOR: {
        const std::string chief = at(v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF);
        return chief.empty() ? at(v1::LEADERSHIP_LEVEL_DIRECTOR) : chief;
      }
      case v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP:
        return at(v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR);
      default:
        return "";
    }
  }
  switch (level) {
    case v1::ESCALATION_LEVEL_STEERING_GROUP:
      return at(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER);
    case v1::ESCALATION_LEVEL_DIRECTOR:
      return at(v1::LEADERSHIP_LEVEL_DIRECTOR);
    case v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP:
      return at(v1::LEADERSHIP_LEVEL_POLITICAL);
    default:
      return "";
  }
}

v1::LeadershipLevel PoliceRungAbove(const std::map<int, std::string>& ladder,
                                    absl::string_view person) {
  for (const auto& [rung, holder] : ladder) {
    if (holder != person || rung == v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR ||
        rung == v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER) {
      continue;
    }
    return static_cast<v1::LeadershipLevel>(rung);
  }
  return v1::LEADERSHIP_LEVEL_UNSPECIFIED;
}

RungChange ChangedRungs(const EscalationState& escalation, absl::string_view agency_id,
                        const AreaState& area_before, const AgencyState& agency_before,
                        const AreaState& area_after, const AgencyState& agency_after) {
  RungChange change;
  for (int level = escalation.level; level <= v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP;
       ++level) {
    const auto at = static_cast<v1::EscalationLevel>(level);
    const std::string holder = ContactFor(area_before, agency_before, agency_id, at);
    if (!holder.empty()) change.holders.push_back(holder);
    if (change.changed.empty() && holder != ContactFor(area_after, agency_after, agency_id, at)) {
      change.changed = v1::EscalationLevel_Name(at);
    }
  }
  return change;
}

absl::Status HasContactAt(const AreaState& area, const AgencyState& agency,
                          absl::string_view agency_id, v1::EscalationLevel level) {
  return Rule(!ContactFor(area, agency, agency_id, level).empty(),
              absl::StrCat(agency_id, " has no contact for escalations at level ",
                           v1::EscalationLevel_Name(level),
                           "; set its leadership ladder (or the area's police coordinator) first"));
}

absl::Status PlanEvents(Session& s, const YouthState& youth, const std::string& youth_id,
                        const google::protobuf::RepeatedPtrField<std::string>& goals,
                        const v1::Date& review_date, absl::string_view reason,
                        const std::string& meeting_id, const std::string& decision_id) {
  RETURN_IF_ERROR(Rule(
      !youth.declined,
      absl::StrCat("the referral of ", youth_id, " was declined: it cannot get an action plan")));
  RETURN_IF_ERROR(NotClosed(youth, youth_id, "it cannot get an action plan"));
  RETURN_IF_ERROR(Rule(youth.status != v1::CASE_STATUS_REFERRED,
                       absl::StrCat(youth_id, " is not screened yet: accept the referral first")));
  RETURN_IF_ERROR(Rule(youth.status != v1::CASE_STATUS_HANDED_OVER,
                       absl::StrCat(youth_id, " was handed over to adult services")));
  std::vector<v1::PlanGoal> sealed;
  for (int i = 0; i < goals.size(); ++i) {
    v1::PlanGoal goal;
    goal.set_goal_id(absl::StrCat("goal-", i + 1));
    ASSIGN_OR_RETURN(*goal.mutable_description(), s.Seal(youth_id, "plan_goal", goals[i]));
    sealed.push_back(std::move(goal));
  }
  v1::Event event;
  if (youth.plan_revision == 0) {
    v1::ActionPlanAdopted* plan = event.mutable_action_plan_adopted();
    plan->set_youth_id(youth_id);
    plan->set_revision(1);
    for (auto& goal : sealed) *plan->add_goals() = std::move(goal);
    *plan->mutable_review_date() = review_date;
    plan->set_meeting_id(meeting_id);
    plan->set_decision_id(decision_id);
  } else {
    v1::ActionPlanRevised* plan = event.mutable_action_plan_revised();
    plan->set_youth_id(youth_id);
    plan->set_revision(youth.plan_revision + 1);
    for (auto& goal : sealed) *plan->add_goals() = std::move(goal);
    *plan->mutable_review_date() = review_date;
    plan->set_meeting_id(meeting_id);
    plan->set_decision_id(decision_id);
    ASSIGN_OR_RETURN(*plan->mutable_reason(), s.Seal(youth_id, "plan_reason", reason));
  }
  s.Emit(youth_id, youth.area_id, std::move(event));
  return absl::OkStatus();
}

absl::Status NoOpenCommitments(Session& s, const YouthState& youth, absl::string_view youth_id) {
  std::vector<std::string> open;
  for (const std::string& id : youth.commitment_ids) {
    ASSIGN_OR_RETURN(const CommitmentState c, s.Load<CommitmentState>("commitment_ids", id));
    if (c.pending()) open.push_back(id);
  }
  return Rule(open.empty(),
              absl::StrCat(youth_id, " has open commitments (", absl::StrJoin(open, ", "),
                           "): their agencies fulfil, cancel or decline them before the case "
                           "closes"));
}

absl::Status CloseEvents(Session& s, const YouthState& youth, const std::string& youth_id,
                         int outcome, absl::string_view note, const std::string& meeting_id,
                         const std::string& decision_id) {
  RETURN_IF_ERROR(
      Rule(youth.status != v1::CASE_STATUS_CLOSED, absl::StrCat(youth_id, " is closed already")));
  RETURN_IF_ERROR(NoOpenCommitments(s, youth, youth_id));
  v1::Event event;
  v1::CaseClosed* closed = event.mutable_case_closed();
  closed->set_youth_id(youth_id);
  closed->set_outcome(static_cast<v1::CaseOutcome>(outcome));
  *closed->mutable_closed_on() = DateOf(absl::ToCivilDay(s.context().now, absl::UTCTimeZone()));
  if (!note.empty()) {
    ASSIGN_OR_RETURN(*closed->mutable_note(), s.Seal(youth_id, "close_note", note));
  }
  closed->set_meeting_id(meeting_id);
  closed->set_decision_id(decision_id);
  s.Emit(youth_id, youth.area_id, std::move(event));
  return absl::OkStatus();
}

absl::Status CheckCitedDecision(absl::string_view meeting_id, absl::string_view decision_id) {
  RETURN_IF_ERROR(CheckId("decision_id", decision_id, "decision"));
  return CheckId("meeting_id", meeting_id, "meeting");
}

absl::Status CitedDecision(Session& s, const YouthState& youth, absl::string_view youth_id,
                           const std::string& meeting_id, const std::string& decision_id,
                           absl::string_view change) {
  const std::string at = absl::StrCat("decision_id: ", decision_id);
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   s.Load<MeetingState>("meeting_id", meeting_id, /*must_exist=*/false));
  const auto found = meeting.decisions.find(decision_id);
  // A meeting of another area is as unknown as none.
  RETURN_IF_ERROR(
      Rule(meeting.exists && meeting.area_id == youth.area_id && found != meeting.decisions.end(),
           absl::StrCat(at, " is no decision recorded at ", meeting_id, " in ", youth.area_id, ": ",
                        change,
                        " stands on a decision of the task force or the steering "
                        "group, recorded with RecordDecision first")));
  RETURN_IF_ERROR(Rule(meeting.held, absl::StrCat(at, " was recorded at ", meeting_id,
                                                  ", which is not recorded as held")));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", meeting.area_id));
  const auto body = area.bodies.find(meeting.body_id);
  const v1::BodyKind kind = body == area.bodies.end() ? v1::BODY_KIND_UNSPECIFIED : body->second;
  RETURN_IF_ERROR(Rule(BodyDecides(kind),
                       absl::StrCat(at, " is of a ", BodyKindName(kind), " (", meeting.body_id,
                                    "), which has no power to decide ", change,
                                    ": the task force or the steering group decides it")));
  RETURN_IF_ERROR(
      DecidedWithAgencies(s, meeting, absl::StrCat(at, " was recorded at ", meeting_id), change));
  const MeetingState::Decided& decided = found->second;
  RETURN_IF_ERROR(Rule(
      decided.kind == v1::DECISION_KIND_UNSPECIFIED || decided.kind == v1::DECISION_KIND_DECISION,
      absl::StrCat(at, " is a ",
                   absl::AsciiStrToLower(
                       absl::StripPrefix(v1::DecisionKind_Name(decided.kind), "DECISION_KIND_")),
                   ", not a decision: ", change, " stands on a decision")));
  RETURN_IF_ERROR(
      Rule(decided.youth_id == youth_id,
           absl::StrCat(at, " is about ", decided.youth_id.empty() ? "the area" : decided.youth_id,
                        ", not about ", youth_id)));
  return Rule(youth.cited_decisions.count(decision_id) == 0,
              absl::StrCat(at, " is cited by a change of ", youth_id,
                           "'s case already (or carried its own plan or closure): each plan "
                           "change and closure stands on its own decision"));
}

absl::Status CheckEscalationInput(absl::string_view field, const std::string& target, int level,
                                  absl::string_view reason,
                                  const google::protobuf::RepeatedPtrField<std::string>& ids) {
  RETURN_IF_ERROR(CheckId(absl::StrCat(field, "target_agency_id"), target, "agency"));
  RETURN_IF_ERROR(CheckEnum(absl::StrCat(field, "level"), level, v1::EscalationLevel_IsValid));
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, "reason"), reason, kMaxTextBytes));
  RETURN_IF_ERROR(
      CheckCount(absl::StrCat(field, "commitment_ids"), ids.size(), 0, kMaxListEntries));
  // Each commitment once: a declined one is taken up once (CommitmentTakenUp), not per mention.
  std::set<std::string> named;
  for (int i = 0; i < ids.size(); ++i) {
    if (!named.insert(ids[i]).second) {
      return Invalid(absl::StrCat(field, "commitment_ids[", i, "]"),
                     absl::StrCat("names ", ids[i].substr(0, 80), " again: each commitment once"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StandingEscalationOf(Session& s, absl::string_view field,
                                                 absl::string_view owner, absl::string_view id) {
  ASSIGN_OR_RETURN(const AgencyState agency,
                   s.Load<AgencyState>(field, owner, /*must_exist=*/false));
  for (const std::string& escalation_id : agency.escalations) {
    ASSIGN_OR_RETURN(const EscalationState escalation,
                     s.Load<EscalationState>(field, escalation_id, /*must_exist=*/false));
    if (!escalation.resolved && escalation.commitment_ids.count(std::string(id)) > 0) {
      return escalation_id;
    }
  }
  return std::string();
}

absl::Status AddEscalated(Session& s, const CommitmentState& commitment, absl::string_view field,
                          absl::string_view id, absl::string_view area_id, absl::string_view target,
                          EscalationConcerns& concerns) {
  RETURN_IF_ERROR(
      Rule(commitment.area_id == area_id, absl::StrCat(field, ": ", id, " is not of ", area_id)));
  RETURN_IF_ERROR(
      Rule(commitment.owning_agency_id == target,
           absl::StrCat(field, ": ", id, " is ", commitment.owning_agency_id, "'s, not ", target,
                        "'s: an escalation to ", target, " concerns its own commitments")));
  if (commitment.status == CommitmentStatus::kProposed) {
    // Left unanswered: the agency had the area's days to acknowledge since it was proposed,
    // that is since its decision was recorded, which may be days after the meeting (review 13d,
    // 1). A proposal of before carries no time: since its meeting was held (never since now,
    // which would put it off for ever).
    ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", area_id));
    absl::Time since = commitment.made_at;
    if (since == absl::InfinitePast() && !commitment.meeting_id.empty()) {
      ASSIGN_OR_RETURN(const MeetingState meeting,
                       s.Load<MeetingState>(field, commitment.meeting_id, /*must_exist=*/false));
      since = meeting.held_at;
    }
    const int days = area.escalation_ack_days > 0 ? area.escalation_ack_days : 14;
    const absl::Time from = since + absl::Hours(24) * days;
    RETURN_IF_ERROR(Rule(
        s.context().now >= from,
        absl::StrCat(field, ": ", id, " is proposed and awaits its agency's answer: it may be "
                     "escalated once left unanswered for ", days, " days after it was proposed "
                     "(from ", absl::FormatTime("%Y-%m-%d %H:%M UTC", from, absl::UTCTimeZone()),
                     ")")));
  }
  RETURN_IF_ERROR(Rule(commitment.status != CommitmentStatus::kWithdrawn,
                       absl::StrCat(field, ": ", id, " was withdrawn: nothing to escalate")));
  // Fulfilled or cancelled, nothing is left for the agency to live up to.
  const bool fulfilled = commitment.status == CommitmentStatus::kFulfilled;
  RETURN_IF_ERROR(Rule(!fulfilled && commitment.status != CommitmentStatus::kCancelled,
                       absl::StrCat(field, ": ", id, " is ", fulfilled ? "fulfilled" : "cancelled",
                                    ": nothing left to escalate")));
  ASSIGN_OR_RETURN(const std::string standing, StandingEscalationOf(s, field, target, id));
  RETURN_IF_ERROR(Rule(standing.empty(),
                       absl::StrCat(field, ": ", id, " is escalated already by ", standing,
                                    ", which stands (not resolved): one escalation of a commitment "
                                    "at a time, moved up (MoveEscalationUp) if its level does not "
                                    "answer")));
  if (commitment.youth_id.empty()) {
    RETURN_IF_ERROR(Rule(concerns.youth_id.empty(),
                         absl::StrCat(field, ": ", id, " is a commitment of the area; the "
                                      "escalation concerns ", concerns.youth_id,
                                      "'s case, and the target's commitments in it")));
    concerns.area = true;
  } else {
    RETURN_IF_ERROR(Rule(!concerns.area,
                         absl::StrCat(field, ": ", id, " is of a youth's case; the escalation "
                                      "concerns the area, and the target's commitments of the "
                                      "area")));
    RETURN_IF_ERROR(Rule(
        concerns.youth_id.empty() || concerns.youth_id == commitment.youth_id,
        absl::StrCat(field, ": ", id, " is of ", commitment.youth_id, "; the escalation concerns ",
                     concerns.youth_id, "'s case (one youth's, or the area's)")));
    concerns.youth_id = commitment.youth_id;
  }
  concerns.commitment_ids.emplace_back(id);
  // A declined commitment the escalation takes up, once: not one taken up already.
  if (commitment.status == CommitmentStatus::kDeclined && !commitment.taken_up) {
    concerns.declined.emplace_back(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RaiseEvents(Session& s, absl::string_view field,
                                        const std::string& area_id, const std::string& target,
                                        v1::EscalationLevel level, absl::string_view reason,
                                        EscalationConcerns concerns, const std::string& meeting_id,
                                        const std::string& decision_id) {
  // About a youth's case, it concerns the target's own commitments in it (review 13b, S3): an
  // agency is not asked to answer for a case it has no task in.
  if (!concerns.youth_id.empty() && concerns.commitment_ids.empty()) {
    return Invalid(absl::StrCat(field, "commitment_ids"),
                   absl::StrCat("an escalation about ", concerns.youth_id,
                                "'s case names the target agency's commitments in it"));
  }
  RETURN_IF_ERROR(Rule(level == v1::ESCALATION_LEVEL_STEERING_GROUP,
                       absl::StrCat(field,
                                    "level: an escalation starts at the steering-group level and "
                                    "climbs one level at a time (MoveEscalationUp)")));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", area_id));
  RETURN_IF_ERROR(security::MayActAsChief(s.principal(), area_id, area.chief, "raise escalations"));
  ASSIGN_OR_RETURN(const AgencyState agency,
                   LoadAgencyInArea(s, absl::StrCat(field, "target_agency_id"), target, area_id));
  RETURN_IF_ERROR(HasContactAt(area, agency, target, level));
  const std::string id = NewId("escalation");
  v1::Event event;
  v1::EscalationRaised* raised = event.mutable_escalation_raised();
  raised->set_escalation_id(id);
  raised->set_target_agency_id(target);
  raised->set_level(level);
  ASSIGN_OR_RETURN(*raised->mutable_reason(),
                   s.Text(concerns.youth_id, "escalation_reason", reason));
  for (auto& c : concerns.commitment_ids) raised->add_commitment_ids(std::move(c));
  raised->set_youth_id(concerns.youth_id);
  raised->set_meeting_id(meeting_id);
  raised->set_decision_id(decision_id);
  raised->mutable_raised_at()->set_seconds(absl::ToUnixSeconds(s.context().now));
  s.Emit(id, area_id, std::move(event));
  // The agency's own stream knows the escalations raised at it, for its ladder's changes.
  v1::Event at_agency;
  at_agency.mutable_agency_escalated()->set_agency_id(target);
  at_agency.mutable_agency_escalated()->set_escalation_id(id);
  s.Emit(target, area_id, std::move(at_agency));
  for (const std::string& declined : concerns.declined) {
    TakeUp(s, declined, area_id, "", id, meeting_id, decision_id);
  }
  return id;
}

void TakeUp(Session& s, const std::string& id, const std::string& area_id,
            const std::string& by_commitment, const std::string& by_escalation,
            const std::string& meeting_id, const std::string& decision_id) {
  v1::Event event;
  v1::CommitmentTakenUp* x = event.mutable_commitment_taken_up();
  x->set_commitment_id(id);
  x->set_by_commitment_id(by_commitment);
  x->set_by_escalation_id(by_escalation);
  x->set_meeting_id(meeting_id);
  x->set_decision_id(decision_id);
  s.Emit(id, area_id, std::move(event));
}

}  // namespace hotspot::domain
