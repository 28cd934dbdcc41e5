// An escalation: raised, acknowledged, moved up the ladder and resolved.
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

absl::StatusOr<Decision> Decide(const v1::RaiseEscalationRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(
      CheckEscalationInput("", r.target_agency_id(), r.level(), r.reason(), r.commitment_ids()));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth", /*required=*/false));
  // It concerns the target agency's own commitments (review 13b, S3): not a case or an area
  // that the agency may have no part in, whose rung contact could then not even read it.
  if (r.commitment_ids_size() == 0) {
    return Invalid("commitment_ids",
                   "name the target agency's commitments it concerns: an escalation concerns the "
                   "target's own commitments, of one youth's case (youth_id) or the area's");
  }
  RETURN_IF_ERROR(RequireCoordinator(c.principal, r.area_id(), "raise escalations"));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(
      security::MayActAsChief(c.principal, r.area_id(), area.chief, "raise escalations"));
  EscalationConcerns concerns;
  concerns.youth_id = r.youth_id();
  if (!r.youth_id().empty()) {
    RETURN_IF_ERROR(LoadYouthInArea(s, "youth_id", r.youth_id(), r.area_id()).status());
  }
  for (int i = 0; i < r.commitment_ids_size(); ++i) {
    const std::string field = absl::StrCat("commitment_ids[", i, "]");
    ASSIGN_OR_RETURN(const CommitmentState commitment,
                     LoadCommitmentInArea(s, field, r.commitment_ids(i), r.area_id()));
    // An escalation about a youth's commitment is about the youth: its reason is sealed.
    RETURN_IF_ERROR(AddEscalated(s, commitment, field, r.commitment_ids(i), r.area_id(),
                                 r.target_agency_id(), concerns));
  }
  ASSIGN_OR_RETURN(const std::string id,
                   RaiseEvents(s, "", r.area_id(), r.target_agency_id(), r.level(), r.reason(),
                               std::move(concerns), "", ""));
  return s.Finish(id);
}

namespace {

absl::StatusOr<EscalationState> LoadOpenEscalation(Session& s, const std::string& id) {
  RETURN_IF_ERROR(CheckId("escalation_id", id, "escalation"));
  ASSIGN_OR_RETURN(EscalationState escalation, s.LoadMain<EscalationState>("escalation_id", id));
  RETURN_IF_ERROR(RequireArea(s.principal(), escalation.area_id));
  return escalation;
}

// Only the target agency's contact for the escalation's rung answers it.
absl::Status RequireContactAtRung(Session& s, const EscalationState& e, absl::string_view what) {
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", e.area_id));
  ASSIGN_OR_RETURN(const AgencyState agency,
                   s.Load<AgencyState>("target_agency_id", e.target_agency_id));
  return security::MayAnswerEscalation(s.principal(),
                                       ContactFor(area, agency, e.target_agency_id, e.level),
                                       e.target_agency_id, v1::EscalationLevel_Name(e.level), what);
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::AcknowledgeEscalationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const EscalationState escalation, LoadOpenEscalation(s, r.escalation_id()));
  RETURN_IF_ERROR(RequireContactAtRung(s, escalation, "acknowledge this escalation"));
  RETURN_IF_ERROR(Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved")));
  RETURN_IF_ERROR(Rule(!escalation.acknowledged,
                       absl::StrCat(r.escalation_id(), " is acknowledged at this level already")));
  v1::Event e;
  e.mutable_escalation_acknowledged()->set_escalation_id(r.escalation_id());
  if (!r.note().empty()) {
    ASSIGN_OR_RETURN(*e.mutable_escalation_acknowledged()->mutable_note(),
                     s.Text(escalation.youth_id, "escalation_note", r.note()));
  }
  s.Emit(r.escalation_id(), escalation.area_id, std::move(e));
  return s.Finish(r.escalation_id());
}

absl::StatusOr<Decision> Decide(const v1::MoveEscalationUpRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const EscalationState escalation, LoadOpenEscalation(s, r.escalation_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", escalation.area_id));
  RETURN_IF_ERROR(
      security::MayActAsChief(c.principal, escalation.area_id, area.chief, "move escalations up"));
  RETURN_IF_ERROR(Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved")));
  RETURN_IF_ERROR(Rule(
      escalation.level != v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP,
      absl::StrCat(r.escalation_id(), " is at the political follow-up group, the last level")));
  // One level at a time, and only once this level had its chance ("som de lokale aktører ikke
  // kan løse på egen hånd", 004): its contact acknowledged it and it stands unresolved, or the
  // area's days to acknowledge (escalation_ack_days, 14 unless the area set another) passed
  // since it reached the level without an answer (the deadline process marks it so then).
  // Escalations of before carry no time: they move as before.
  const int ack_days = area.escalation_ack_days > 0 ? area.escalation_ack_days : 14;
  const absl::Time answer_by = escalation.level_since + absl::Hours(24) * ack_days;
  RETURN_IF_ERROR(
      Rule(escalation.acknowledged || escalation.not_acknowledged.count(escalation.level) > 0 ||
               c.now >= answer_by,
           absl::StrCat("escalation_id: ", r.escalation_id(), " stands at ",
                        v1::EscalationLevel_Name(escalation.level),
                        ", whose contact has not had its chance: it moves up once that contact has "
                        "acknowledged it, or ",
                        ack_days, " days after it reached the level without an answer (",
                        TimeText(answer_by), ")")));
  const auto next = static_cast<v1::EscalationLevel>(escalation.level + 1);
  ASSIGN_OR_RETURN(const AgencyState target,
                   s.Load<AgencyState>("target_agency_id", escalation.target_agency_id));
  RETURN_IF_ERROR(HasContactAt(area, target, escalation.target_agency_id, next));
  v1::Event e;
  auto* x = e.mutable_escalation_moved_up();
  x->set_escalation_id(r.escalation_id());
  x->set_from_level(escalation.level);
  x->set_to_level(next);
  x->mutable_moved_at()->set_seconds(absl::ToUnixSeconds(c.now));
  ASSIGN_OR_RETURN(*x->mutable_reason(),
                   s.Text(escalation.youth_id, "escalation_reason", r.reason()));
  s.Emit(r.escalation_id(), escalation.area_id, std::move(e));
  return s.Finish(r.escalation_id());
}

absl::StatusOr<Decision> Decide(const v1::ResolveEscalationRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("outcome", r.outcome(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const EscalationState escalation, LoadOpenEscalation(s, r.escalation_id()));
  if (c.principal.person == escalation.raised_by) {
    return Denied(c.principal, "resolve an escalation they raised: the target's leadership does");
  }
  RETURN_IF_ERROR(RequireContactAtRung(s, escalation, "resolve this escalation"));
  RETURN_IF_ERROR(
      Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved already")));
  v1::Event e;
  e.mutable_escalation_resolved()->set_escalation_id(r.escalation_id());
  ASSIGN_OR_RETURN(*e.mutable_escalation_resolved()->mutable_outcome(),
                   s.Text(escalation.youth_id, "escalation_outcome", r.outcome()));
  s.Emit(r.escalation_id(), escalation.area_id, std::move(e));
  return s.Finish(r.escalation_id());
}

absl::StatusOr<Decision> Decide(const v1::MarkEscalationNotAcknowledgedCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark escalations not acknowledged"));
  RETURN_IF_ERROR(CheckId("escalation_id", r.escalation_id(), "escalation"));
  RETURN_IF_ERROR(CheckEnum("level", r.level(), v1::EscalationLevel_IsValid));
  RETURN_IF_ERROR(CheckTimestamp("since", r.since()));
  ASSIGN_OR_RETURN(const EscalationState escalation,
                   s.LoadMain<EscalationState>("escalation_id", r.escalation_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", escalation.area_id));
  RETURN_IF_ERROR(Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved")));
  RETURN_IF_ERROR(Rule(escalation.level == r.level(),
                       absl::StrCat("level: ", r.escalation_id(), " stands at ",
                                    v1::EscalationLevel_Name(escalation.level))));
  RETURN_IF_ERROR(Rule(!escalation.acknowledged,
                       absl::StrCat(r.escalation_id(), " is acknowledged at its level")));
  RETURN_IF_ERROR(Rule(escalation.not_acknowledged.count(escalation.level) == 0,
                       absl::StrCat(r.escalation_id(), " is marked not acknowledged at ",
                                    v1::EscalationLevel_Name(escalation.level), " already")));
  // When it reached its level is the log's time, which its events do not carry: the command
  // names it (the escalations view's raised_at or last move).
  const absl::Time deadline = TimeOf(r.since()) + absl::Hours(24) * area.escalation_ack_days;
  RETURN_IF_ERROR(
      Rule(c.now > deadline, absl::StrCat(r.escalation_id(), " has ", area.escalation_ack_days,
                                          " days to be acknowledged: not over yet")));
  v1::Event e;
  auto* x = e.mutable_escalation_not_acknowledged();
  x->set_escalation_id(r.escalation_id());
  x->set_level(escalation.level);
  x->set_days(area.escalation_ack_days);
  s.Emit(r.escalation_id(), escalation.area_id, std::move(e));
  return FinishAt(s, r.escalation_id(), deadline);
}

absl::StatusOr<Decision> Decide(const v1::RecordAgencyEscalatedCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "record escalations at their agencies"));
  RETURN_IF_ERROR(CheckId("escalation_id", r.escalation_id(), "escalation"));
  ASSIGN_OR_RETURN(const EscalationState escalation,
                   s.Load<EscalationState>("escalation_id", r.escalation_id()));
  RETURN_IF_ERROR(Rule(!escalation.resolved,
                       absl::StrCat(r.escalation_id(), " is resolved: it stands on no agency")));
  const std::string& target = escalation.target_agency_id;
  ASSIGN_OR_RETURN(const AgencyState agency, s.LoadMain<AgencyState>("escalation_id", target));
  RETURN_IF_ERROR(Rule(agency.escalations.count(r.escalation_id()) == 0,
                       absl::StrCat(r.escalation_id(), " is known at ", target, " already")));
  v1::Event e;
  e.mutable_agency_escalated()->set_agency_id(target);
  e.mutable_agency_escalated()->set_escalation_id(r.escalation_id());
  s.Emit(target, escalation.area_id, std::move(e));
  return s.Finish(r.escalation_id());
}

}  // namespace hotspot::domain
