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

// Loads an open commitment for a command by its owning agency (or a coordinator); `leaders_only`
// narrows the agency's side to its leaders.
absl::StatusOr<CommitmentState> LoadOpenCommitment(Session& s, const std::string& id,
                                                   absl::string_view what,
                                                   bool leaders_only = false) {
  RETURN_IF_ERROR(CheckId("commitment_id", id, "commitment"));
  ASSIGN_OR_RETURN(CommitmentState commitment, s.LoadMain<CommitmentState>("commitment_id", id));
  RETURN_IF_ERROR(security::MayChangeCommitment(s.principal(), commitment.area_id,
                                                commitment.owning_agency_id, leaders_only, what));
  RETURN_IF_ERROR(Rule(commitment.open(), absl::StrCat(id, " is no longer open")));
  return commitment;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::AcknowledgeCommitmentRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(const CommitmentState commitment,
                   LoadOpenCommitment(s, r.commitment_id(), "acknowledge this commitment"));
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
                   LoadOpenCommitment(s, r.commitment_id(), "report on this commitment"));
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
                   LoadOpenCommitment(s, r.commitment_id(), "renegotiate this commitment"));
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
                   LoadOpenCommitment(s, r.commitment_id(), "fulfil this commitment"));
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
                   LoadOpenCommitment(s, r.commitment_id(), "cancel this commitment",
                                      /*leaders_only=*/true));
  v1::Event e;
  e.mutable_commitment_cancelled()->set_commitment_id(r.commitment_id());
  ASSIGN_OR_RETURN(*e.mutable_commitment_cancelled()->mutable_reason(),
                   s.Text(commitment.youth_id, "cancellation_reason", r.reason()));
  s.Emit(r.commitment_id(), commitment.area_id, std::move(e));
  return s.Finish(r.commitment_id());
}

}  // namespace hotspot::domain
