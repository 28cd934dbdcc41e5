// A commitment: its acknowledgement, progress, renegotiation, fulfilment and cancellation.
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

namespace {

// Loads a commitment for a command of its owning agency (`leaders_only`: of its leaders), in
// the status the command needs (`proposed`: awaiting the agency's answer; otherwise accepted and
// open).
absl::StatusOr<CommitmentState> LoadOwnCommitment(Session& s, const std::string& id,
                                                  absl::string_view what, bool leaders_only = false,
                                                  bool proposed = false) {
  RETURN_IF_ERROR(CheckId("commitment_id", id, "commitment"));
  ASSIGN_OR_RETURN(CommitmentState commitment, s.LoadMain<CommitmentState>("commitment_id", id));
  // The hotspot secretariat's own commitment: its leader is the area's chief.
  std::string chief;
  if (leaders_only && IsCoordinator(s.principal()) &&
      s.principal().agency == commitment.owning_agency_id) {
    ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", commitment.area_id));
    chief = area.chief;
  }
  RETURN_IF_ERROR(security::MayChangeCommitment(
      s.principal(), commitment.area_id, commitment.owning_agency_id, chief, leaders_only, what));
  if (proposed) {
    RETURN_IF_ERROR(Rule(commitment.status == CommitmentStatus::kProposed,
                         absl::StrCat(id, " is not proposed: it was answered already")));
  } else {
    RETURN_IF_ERROR(
        Rule(commitment.status != CommitmentStatus::kProposed,
             absl::StrCat(id, " is proposed: ", commitment.owning_agency_id, " accepts it first")));
    RETURN_IF_ERROR(Rule(commitment.open(), absl::StrCat(id, " is no longer open")));
  }
  return commitment;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::AcknowledgeCommitmentRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "acknowledge this commitment"));
  RETURN_IF_ERROR(
      Rule(!commitment.acknowledged, absl::StrCat(r.commitment_id(), " is acknowledged already")));
  v1::Event e;
  e.mutable_commitment_acknowledged()->set_commitment_id(r.commitment_id());
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::ReportProgressRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "report on this commitment"));
  v1::Event e;
  e.mutable_progress_reported()->set_commitment_id(r.commitment_id());
  ASSIGN_OR_RETURN(*e.mutable_progress_reported()->mutable_note(),
                   s.Text(commitment.youth_id, "progress_note", r.note()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::RenegotiateCommitmentRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  if (!r.has_new_due_date()) return Invalid("new_due_date", "required");
  RETURN_IF_ERROR(CheckFutureDate("new_due_date", r.new_due_date(), Today(c)));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "renegotiate this commitment",
                                     /*leaders_only=*/true));
  RETURN_IF_ERROR(Rule(DayNumber(commitment.due_date) != DayNumber(r.new_due_date()),
                       absl::StrCat("new_due_date: ", r.commitment_id(), " is due then already")));
  v1::Event e;
  auto* x = e.mutable_commitment_renegotiated();
  x->set_commitment_id(r.commitment_id());
  *x->mutable_previous_due_date() = commitment.due_date;
  *x->mutable_new_due_date() = r.new_due_date();
  ASSIGN_OR_RETURN(*x->mutable_reason(),
                   s.Text(commitment.youth_id, "renegotiation_reason", r.reason()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::FulfilCommitmentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "fulfil this commitment"));
  v1::Event e;
  e.mutable_commitment_fulfilled()->set_commitment_id(r.commitment_id());
  if (!r.note().empty()) {
    ASSIGN_OR_RETURN(*e.mutable_commitment_fulfilled()->mutable_note(),
                     s.Text(commitment.youth_id, "fulfilment_note", r.note()));
  }
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::CancelCommitmentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "cancel this commitment",
                                     /*leaders_only=*/true));
  v1::Event e;
  e.mutable_commitment_cancelled()->set_commitment_id(r.commitment_id());
  ASSIGN_OR_RETURN(*e.mutable_commitment_cancelled()->mutable_reason(),
                   s.Text(commitment.youth_id, "cancellation_reason", r.reason()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::AcceptCommitmentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "accept this commitment",
                                     /*leaders_only=*/false, /*proposed=*/true));
  v1::Event e;
  e.mutable_commitment_accepted()->set_commitment_id(r.commitment_id());
  e.mutable_commitment_accepted()->set_accepted_by(c.principal.person);
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::DeclineCommitmentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOwnCommitment(s, r.commitment_id(), "decline this commitment",
                                     /*leaders_only=*/false, /*proposed=*/true));
  v1::Event e;
  e.mutable_commitment_declined()->set_commitment_id(r.commitment_id());
  ASSIGN_OR_RETURN(*e.mutable_commitment_declined()->mutable_reason(),
                   s.Text(commitment.youth_id, "decline_reason", r.reason()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::WithdrawProposalRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("commitment_id", r.commitment_id(), "commitment"));
  if (!r.youth_id().empty()) RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   s.LoadMain<CommitmentState>("commitment_id", r.commitment_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("commitment_id", commitment.area_id));
  RETURN_IF_ERROR(security::MayWithdrawProposal(s.principal(), commitment.area_id, area.chief,
                                                commitment.proposed_by));
  RETURN_IF_ERROR(
      Rule(r.youth_id() == commitment.youth_id,
           absl::StrCat("youth_id: ", r.commitment_id(), " is ",
                        commitment.youth_id.empty()
                            ? "the area's, of no youth"
                            : absl::StrCat("in ", commitment.youth_id, "'s case"),
                        ", not ", r.youth_id().empty() ? "the area's" : r.youth_id(), "'s")));
  RETURN_IF_ERROR(Rule(commitment.status == CommitmentStatus::kProposed,
                       absl::StrCat("commitment_id: ", r.commitment_id(),
                                    " is not proposed: it was accepted, declined or withdrawn "
                                    "already")));
  // Left unanswered and escalated, it stands before the agency's leadership until they answer:
  // the chief does not take back what she asked them to answer for (review 13d, B).
  ASSIGN_OR_RETURN(const std::string standing,
                   StandingEscalationOf(s, "commitment_id", commitment.owning_agency_id,
                                        r.commitment_id()));
  RETURN_IF_ERROR(Rule(standing.empty(),
                       absl::StrCat("commitment_id: ", r.commitment_id(), " is escalated by ",
                                    standing, ", which stands (not resolved): ",
                                    commitment.owning_agency_id,
                                    "'s leadership answers it first; the proposal is withdrawn "
                                    "once it is resolved")));
  v1::Event e;
  auto* x = e.mutable_commitment_proposal_withdrawn();
  x->set_commitment_id(r.commitment_id());
  ASSIGN_OR_RETURN(*x->mutable_reason(),
                   s.Text(commitment.youth_id, "withdrawal_reason", r.reason()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordFollowUpRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("commitment_id", r.commitment_id(), "commitment"));
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::FollowUpKind_IsValid));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   s.LoadMain<CommitmentState>("commitment_id", r.commitment_id()));
  RETURN_IF_ERROR(RequireCoordinator(c.principal, commitment.area_id, "follow commitments up"));
  RETURN_IF_ERROR(Rule(commitment.status != CommitmentStatus::kFulfilled &&
                           commitment.status != CommitmentStatus::kCancelled &&
                           commitment.status != CommitmentStatus::kWithdrawn,
                       absl::StrCat(r.commitment_id(), " is closed: nothing to follow up")));
  v1::Event e;
  auto* x = e.mutable_commitment_followed_up();
  x->set_commitment_id(r.commitment_id());
  x->set_kind(r.kind());
  ASSIGN_OR_RETURN(*x->mutable_note(), s.Text(commitment.youth_id, "follow_up_note", r.note()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

absl::StatusOr<Decision> Decide(const v1::MarkCommitmentOverdueCommand& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, BeginSystem(r, c, "mark commitments overdue"));
  RETURN_IF_ERROR(CheckId("commitment_id", r.commitment_id(), "commitment"));
  if (!r.has_due_date()) return Invalid("due_date", "required");
  RETURN_IF_ERROR(CheckDate("due_date", r.due_date()));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   s.LoadMain<CommitmentState>("commitment_id", r.commitment_id()));
  // Only an accepted commitment counts (a proposed one is not the agency's yet).
  RETURN_IF_ERROR(Rule(commitment.open(),
                       absl::StrCat(r.commitment_id(), " is not an accepted, open commitment")));
  const absl::CivilDay due = DayOf(commitment.due_date);
  RETURN_IF_ERROR(
      Rule(DayNumber(commitment.due_date) == DayNumber(r.due_date()),
           absl::StrCat("due_date: ", r.commitment_id(), " is due on ",
                        FormatDate(commitment.due_date), ", not ", FormatDate(r.due_date()))));
  RETURN_IF_ERROR(
      Rule(due < Today(c), absl::StrCat(r.commitment_id(), " is due on ",
                                        FormatDate(commitment.due_date), ": not overdue yet")));
  RETURN_IF_ERROR(Rule(commitment.marked_overdue.count(DayNumber(commitment.due_date)) == 0,
                       absl::StrCat(r.commitment_id(), " is marked overdue for ",
                                    FormatDate(commitment.due_date), " already")));
  v1::Event e;
  e.mutable_commitment_marked_overdue()->set_commitment_id(r.commitment_id());
  *e.mutable_commitment_marked_overdue()->mutable_due_date() = commitment.due_date;
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return FinishAt(s, r.commitment_id(), StartOf(due + 1));
}

}  // namespace hotspot::domain
