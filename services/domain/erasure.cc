// An erasure (GDPR Art. 17): requested on its ground, approved or refused, assessed and
// transferred by the archive, executed.
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

// Why the case's records must be kept (GDPR Art. 17(3)(b)), or "" if they need not: while the
// case is open, within its retention, or when its end is not known (a case of before); never
// on ground (d), data processed unlawfully.
std::string KeptRecords(const YouthState& youth, v1::ErasureGround ground,
                        const CommandContext& c) {
  if (ground == v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED) return "";
  const bool ended = youth.status == v1::CASE_STATUS_CLOSED ||
                     youth.status == v1::CASE_STATUS_DECLINED ||
                     youth.status == v1::CASE_STATUS_HANDED_OVER;
  if (!ended) return "the case is open: its records are kept while it runs (GDPR Art. 17(3)(b))";
  if (youth.ended_on.year() == 0) {
    return "the day the case ended is not recorded: its records are kept (GDPR Art. 17(3)(b))";
  }
  const absl::Time ended_at = absl::FromCivil(
      absl::CivilDay(youth.ended_on.year(), youth.ended_on.month(), youth.ended_on.day()),
      absl::UTCTimeZone());
  if (c.now >= ended_at + c.retention) return "";
  return absl::StrCat("the case ended on ", youth.ended_on.year(), "-",
                      absl::Dec(youth.ended_on.month(), absl::kZeroPad2), "-",
                      absl::Dec(youth.ended_on.day(), absl::kZeroPad2),
                      " and its records are kept for ", c.retention / absl::Hours(24),
                      " days (GDPR Art. 17(3)(b))");
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::RequestErasureRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("requested_by", r.requested_by(), kMaxNameBytes, true));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, true));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckEnum("ground", r.ground(), v1::ErasureGround_IsValid));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireCoordinator(c.principal, youth.area_id, "record erasure requests"));
  const std::string id = NewId("erasure");
  v1::Event e;
  auto* x = e.mutable_erasure_requested();
  x->set_erasure_id(id);
  x->set_youth_id(r.youth_id());
  x->set_ground(r.ground());
  ASSIGN_OR_RETURN(*x->mutable_requested_by(),
                   s.Seal(r.youth_id(), "erasure_requested_by", r.requested_by()));
  ASSIGN_OR_RETURN(*x->mutable_reason(), s.Seal(r.youth_id(), "erasure_reason", r.reason()));
  s.Emit(id, youth.area_id, std::move(e));
  const std::string refusal = KeptRecords(youth, r.ground(), c);
  if (!refusal.empty()) {
    v1::Event refused;
    auto* y = refused.mutable_erasure_refused();
    y->set_erasure_id(id);
    y->set_youth_id(r.youth_id());
    y->set_reason(refusal);
    y->set_automatic(true);
    s.Emit(id, youth.area_id, std::move(refused));
  }
  return s.Finish(id);
}

namespace {

// The erasure request `id`, for a caller of `role` in its area, in `status`.
absl::StatusOr<ErasureState> LoadErasure(Session& s, const std::string& id, Role role,
                                         ErasureStatus status, absl::string_view what) {
  RETURN_IF_ERROR(CheckId("erasure_id", id, "erasure"));
  ASSIGN_OR_RETURN(ErasureState erasure,
                   s.LoadMain<ErasureState>("erasure_id", id, /*must_exist=*/false));
  // An erasure names its youth: outside its area, one that does not exist is refused alike.
  if (!security::MayLearnOfCaseIn(s.principal(), erasure.exists ? erasure.area_id : "")) {
    return security::RefuseOutside(s.principal(), "erasure_id", id);
  }
  if (!erasure.exists) return absl::NotFoundError(absl::StrCat("erasure_id: no erasure ", id));
  RETURN_IF_ERROR(security::MayActOnErasure(s.principal(), erasure.area_id, role, what));
  if (erasure.status != status) {
    static constexpr absl::string_view kNames[] = {"unknown", "requested", "approved", "refused",
                                                   "executed"};
    return absl::FailedPreconditionError(
        absl::StrCat(id, " is ", kNames[static_cast<int>(erasure.status)], "; it must be ",
                     kNames[static_cast<int>(status)], " to ", what));
  }
  return erasure;
}

}  // namespace

absl::StatusOr<Decision> Decide(const v1::ApproveErasureRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const ErasureState erasure,
                   LoadErasure(s, r.erasure_id(), Role::kAuditor, ErasureStatus::kRequested,
                               "assess erasure requests"));
  v1::Event e;
  auto* x = e.mutable_erasure_approved();
  x->set_erasure_id(r.erasure_id());
  x->set_youth_id(erasure.youth_id);
  if (!r.reason().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_reason_sealed(),
                     s.Seal(erasure.youth_id, "erasure_decision_reason", r.reason()));
  }
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id());
}

absl::StatusOr<Decision> Decide(const v1::RefuseErasureRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, true));
  ASSIGN_OR_RETURN(const ErasureState erasure,
                   LoadErasure(s, r.erasure_id(), Role::kAuditor, ErasureStatus::kRequested,
                               "assess erasure requests"));
  v1::Event e;
  auto* x = e.mutable_erasure_refused();
  x->set_erasure_id(r.erasure_id());
  x->set_youth_id(erasure.youth_id);
  ASSIGN_OR_RETURN(*x->mutable_reason_sealed(),
                   s.Seal(erasure.youth_id, "erasure_decision_reason", r.reason()));
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordArchiveAssessmentRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckEnum("outcome", r.outcome(), v1::ArchiveOutcome_IsValid));
  RETURN_IF_ERROR(CheckJournalNumber("reference", r.reference()));
  ASSIGN_OR_RETURN(const ErasureState erasure,
                   LoadErasure(s, r.erasure_id(), Role::kAuditor, ErasureStatus::kApproved,
                               "record the archive's assessment"));
  RETURN_IF_ERROR(Rule(erasure.archive == v1::ARCHIVE_OUTCOME_UNSPECIFIED,
                       absl::StrCat("the archive has assessed ", r.erasure_id(), " already")));
  v1::Event e;
  auto* x = e.mutable_erasure_archive_assessed();
  x->set_erasure_id(r.erasure_id());
  x->set_youth_id(erasure.youth_id);
  x->set_outcome(r.outcome());
  x->set_reference(r.reference());
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordArchiveTransferRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckJournalNumber("reference", r.reference()));
  ASSIGN_OR_RETURN(const ErasureState erasure,
                   LoadErasure(s, r.erasure_id(), Role::kAuditor, ErasureStatus::kApproved,
                               "record the transfer to the archive"));
  RETURN_IF_ERROR(Rule(erasure.archive == v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER,
                       absl::StrCat("the archive has not asked to preserve ", r.erasure_id())));
  RETURN_IF_ERROR(Rule(!erasure.transferred,
                       absl::StrCat(r.erasure_id(), " is transferred to the archive already")));
  v1::Event e;
  auto* x = e.mutable_erasure_archive_transferred();
  x->set_erasure_id(r.erasure_id());
  x->set_youth_id(erasure.youth_id);
  x->set_reference(r.reference());
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id());
}

absl::StatusOr<Decision> Decide(const v1::ExecuteErasureRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(
      const ErasureState erasure,
      LoadErasure(s, r.erasure_id(), Role::kAdmin, ErasureStatus::kApproved, "execute erasures"));
  // Arkivloven: the archive assesses the records before they are destroyed.
  RETURN_IF_ERROR(Rule(erasure.archive != v1::ARCHIVE_OUTCOME_UNSPECIFIED,
                       absl::StrCat("archive: the municipal archive has not assessed ",
                                    r.erasure_id(), "'s records yet")));
  RETURN_IF_ERROR(
      Rule(erasure.archive != v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER || erasure.transferred,
           absl::StrCat("archive: the records of ", r.erasure_id(),
                        " are to be preserved; record their transfer first")));
  // The case as it stands now: reopened since the approval, its records are kept again.
  ASSIGN_OR_RETURN(const YouthState youth, s.Load<YouthState>("youth_id", erasure.youth_id));
  if (const std::string kept = KeptRecords(youth, erasure.ground, c); !kept.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(r.erasure_id(), ": ", kept));
  }
  v1::Event e;
  auto* x = e.mutable_erasure_executed();
  x->set_erasure_id(r.erasure_id());
  x->set_youth_id(erasure.youth_id);
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id(), {erasure.youth_id});
}

}  // namespace hotspot::domain
