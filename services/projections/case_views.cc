#include "services/projections/case_views.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "services/domain/aggregates.h"
#include "services/projections/view_util.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

using K = v1::Event::KindCase;

// A commitment as made.
v1::CommitmentView Made(const store::RecordedEvent& recorded, const v1::Event& event) {
  const v1::CommitmentMade& made = event.commitment_made();
  v1::CommitmentView c;
  c.set_commitment_id(made.commitment_id());
  c.set_area_id(event.area_id());
  c.set_owning_agency_id(made.owning_agency_id());
  c.set_responsible_person(made.responsible_person());
  c.set_youth_id(made.youth_id());
  FromText(made.action(), c.mutable_action());
  *c.mutable_due_date() = made.due_date();
  *c.mutable_made_at() = Ts(recorded.metadata.occurred_at);
  if (domain::AcceptanceOf(made) == v1::COMMITMENT_ACCEPTANCE_PROPOSED) {
    c.set_state(v1::COMMITMENT_STATE_PROPOSED);
  } else {
    c.set_state(v1::COMMITMENT_STATE_OPEN);
    // Accepted in the meeting; or made before acceptance was recorded, when it was the
    // agency's from the start (AcceptanceOf): accepted when made, by nobody named.
    *c.mutable_accepted_at() = c.made_at();
    c.set_accepted_by(made.accepted_by());
  }
  c.set_meeting_id(made.meeting_id());
  c.set_decision_id(made.decision_id());
  return c;
}

// The commitment id a commitment event is about, or "" for other events.
const std::string& CommitmentIdOf(const v1::Event& event) {
  static const std::string kNone;
  switch (event.kind_case()) {
    case K::kCommitmentMade:
      return event.commitment_made().commitment_id();
    case K::kCommitmentAcknowledged:
      return event.commitment_acknowledged().commitment_id();
    case K::kProgressReported:
      return event.progress_reported().commitment_id();
    case K::kCommitmentRenegotiated:
      return event.commitment_renegotiated().commitment_id();
    case K::kCommitmentFulfilled:
      return event.commitment_fulfilled().commitment_id();
    case K::kCommitmentCancelled:
      return event.commitment_cancelled().commitment_id();
    case K::kCommitmentMarkedOverdue:
      return event.commitment_marked_overdue().commitment_id();
    case K::kCommitmentAccepted:
      return event.commitment_accepted().commitment_id();
    case K::kCommitmentDeclined:
      return event.commitment_declined().commitment_id();
    case K::kCommitmentFollowedUp:
      return event.commitment_followed_up().commitment_id();
    case K::kCommitmentProposalWithdrawn:
      return event.commitment_proposal_withdrawn().commitment_id();
    case K::kCommitmentTakenUp:
      return event.commitment_taken_up().commitment_id();
    default:
      return kNone;
  }
}

// Applies a change of a commitment (any commitment event but CommitmentMade).
void Change(v1::CommitmentView& c, const store::RecordedEvent& recorded, const v1::Event& event) {
  const absl::Time at = recorded.metadata.occurred_at;
  switch (event.kind_case()) {
    case K::kCommitmentAcknowledged:
      c.set_acknowledged(true);
      break;
    case K::kProgressReported:
      c.set_progress_reports(c.progress_reports() + 1);
      break;
    case K::kCommitmentRenegotiated:
      *c.mutable_due_date() = event.commitment_renegotiated().new_due_date();
      c.set_renegotiations(c.renegotiations() + 1);
      c.set_overdue(false);
      break;
    case K::kCommitmentFulfilled: {
      c.set_state(v1::COMMITMENT_STATE_FULFILLED);
      *c.mutable_closed_at() = Ts(at);
      const absl::CivilDay done = absl::ToCivilDay(at, absl::UTCTimeZone());
      const absl::CivilDay due(c.due_date().year(), c.due_date().month(), c.due_date().day());
      c.set_fulfilled_on_time(done <= due);
      c.set_overdue(false);
      break;
    }
    case K::kCommitmentCancelled:
      c.set_state(v1::COMMITMENT_STATE_CANCELLED);
      *c.mutable_closed_at() = Ts(at);
      c.set_overdue(false);
      break;
    case K::kCommitmentMarkedOverdue:
      if (c.state() == v1::COMMITMENT_STATE_OPEN) c.set_overdue(true);
      break;
    case K::kCommitmentAccepted:
      c.set_state(v1::COMMITMENT_STATE_OPEN);
      *c.mutable_accepted_at() = Ts(at);
      c.set_accepted_by(event.commitment_accepted().accepted_by());
      break;
    case K::kCommitmentDeclined:
      c.set_state(v1::COMMITMENT_STATE_DECLINED);
      *c.mutable_declined_at() = Ts(at);
      FromText(event.commitment_declined().reason(), c.mutable_decline_reason());
      break;
    case K::kCommitmentProposalWithdrawn:
      c.set_state(v1::COMMITMENT_STATE_WITHDRAWN);
      *c.mutable_withdrawn_at() = Ts(at);
      FromText(event.commitment_proposal_withdrawn().reason(), c.mutable_withdrawal_reason());
      c.set_withdrawn_by(event.actor().person());
      break;
    case K::kCommitmentFollowedUp:
      c.set_follow_ups(c.follow_ups() + 1);
      *c.mutable_last_follow_up_at() = Ts(at);
      break;
    case K::kCommitmentTakenUp: {
      const v1::CommitmentTakenUp& taken = event.commitment_taken_up();
      if (c.taken_up_by().empty()) {
        c.set_taken_up_by(taken.by_commitment_id().empty() ? taken.by_escalation_id()
                                                           : taken.by_commitment_id());
      }
      break;
    }
    default:
      break;
  }
}

// The escalation id an escalation event is about, or "".
const std::string& EscalationIdOf(const v1::Event& event) {
  static const std::string kNone;
  switch (event.kind_case()) {
    case K::kEscalationRaised:
      return event.escalation_raised().escalation_id();
    case K::kEscalationAcknowledged:
      return event.escalation_acknowledged().escalation_id();
    case K::kEscalationMovedUp:
      return event.escalation_moved_up().escalation_id();
    case K::kEscalationResolved:
      return event.escalation_resolved().escalation_id();
    default:
      return kNone;
  }
}

void SetStatus(v1::CaseView& c, v1::CaseStatus status, const store::RecordedEvent& recorded) {
  c.set_status(status);
  v1::StatusChange* change = c.add_status_history();
  change->set_status(status);
  *change->mutable_at() = Ts(recorded.metadata.occurred_at);
  change->set_position(recorded.position);
}

// The status a reopened case returns to (as the domain's Evolve decides it).
v1::CaseStatus ReopenedStatus(const v1::CaseView& c) {
  if (c.status() == v1::CASE_STATUS_DECLINED) return v1::CASE_STATUS_REFERRED;
  const int n = c.status_history_size();
  v1::CaseStatus before = n >= 2 ? c.status_history(n - 2).status() : v1::CASE_STATUS_REFERRED;
  if (before == v1::CASE_STATUS_DECLINED) before = v1::CASE_STATUS_REFERRED;
  if (before == v1::CASE_STATUS_HANDED_OVER) before = v1::CASE_STATUS_ACCEPTED;
  return before;
}

void Plan(v1::CaseView& c, int32_t revision,
          const google::protobuf::RepeatedPtrField<v1::PlanGoal>& goals, const v1::Date& review,
          const store::RecordedEvent& recorded) {
  v1::ActionPlanView* plan = c.mutable_action_plan();
  plan->Clear();
  plan->set_revision(revision);
  for (const v1::PlanGoal& goal : goals) {
    v1::PlanGoalView* g = plan->add_goals();
    g->set_goal_id(goal.goal_id());
    Seal(goal.description(), g->mutable_description());
  }
  *plan->mutable_review_date() = review;
  *plan->mutable_adopted_at() = Ts(recorded.metadata.occurred_at);
  *c.mutable_next_review_date() = review;
  c.set_review_overdue(false);
  if (c.days_to_plan() < 0)
    c.set_days_to_plan(Days(c.referral().referred_at(), recorded.metadata.occurred_at));
  SetStatus(c, v1::CASE_STATUS_ACTIVE, recorded);
}

// The consent of `key` (security::ConsentKey) in force, if any, is no longer: `how` stamps why
// (nullptr: replaced). Withdrawn or lapsed, a consent of before leaves consent_scopes, which
// names those in force; the query names newer ones there, from their sealed names, for whom may
// see them.
void EndConsent(v1::CaseView& c, const std::string& key,
                const std::function<void(v1::ConsentView&)>& how) {
  if (how) {
    auto* scopes = c.mutable_consent_scopes();
    auto it = std::find(scopes->begin(), scopes->end(), key);
    if (it != scopes->end()) scopes->erase(it);
  }
  for (v1::ConsentView& consent : *c.mutable_consents()) {
    if (security::ConsentKey(consent) != key || !consent.in_force()) continue;
    consent.set_in_force(false);
    if (how) how(consent);
  }
}

// Applies `change` to the notification (investigation) of the case with that id.
void OnNotification(v1::CaseView& c, const std::string& id,
                    const std::function<void(v1::NotificationView&)>& change) {
  for (v1::NotificationView& n : *c.mutable_notifications()) {
    if (n.notification_id() == id) change(n);
  }
}
void OnInvestigation(v1::CaseView& c, const std::string& id,
                     const std::function<void(v1::InvestigationView&)>& change) {
  for (v1::InvestigationView& i : *c.mutable_investigations()) {
    if (i.investigation_id() == id) change(i);
  }
}

void ApplyToCase(v1::CaseView& c, const store::RecordedEvent& recorded, const v1::Event& event) {
  const absl::Time at = recorded.metadata.occurred_at;
  switch (event.kind_case()) {
    case K::kReferralAccepted:
    case K::kReferralDeclined: {
      const bool accepted = event.kind_case() == K::kReferralAccepted;
      v1::Screening* screening = c.mutable_screening();
      screening->set_accepted(accepted);
      *screening->mutable_screened_at() = Ts(at);
      Seal(accepted ? event.referral_accepted().note() : event.referral_declined().reason(),
           screening->mutable_note());
      if (c.days_to_screening() < 0) c.set_days_to_screening(Days(c.referral().referred_at(), at));
      SetStatus(c, accepted ? v1::CASE_STATUS_ACCEPTED : v1::CASE_STATUS_DECLINED, recorded);
      break;
    }
    case K::kOutreachAssigned: {
      const v1::OutreachAssigned& assigned = event.outreach_assigned();
      AddUnique(c.mutable_agencies_involved(), assigned.agency_id());
      v1::OutreachView* task = c.add_outreach();
      task->set_outreach_id(assigned.outreach_id());
      task->set_agency_id(assigned.agency_id());
      task->set_person(assigned.person());
      Seal(assigned.task(), task->mutable_task());
      *task->mutable_assigned_at() = Ts(at);
      if (assigned.has_due_on()) *task->mutable_due_on() = assigned.due_on();
      break;
    }
    case K::kOutreachOutcomeRecorded: {
      const v1::OutreachOutcomeRecorded& done = event.outreach_outcome_recorded();
      for (v1::OutreachView& task : *c.mutable_outreach()) {
        if (task.outreach_id() != done.outreach_id()) continue;
        Seal(done.outcome(), task.mutable_outcome());
        *task.mutable_outcome_at() = Ts(at);
      }
      break;
    }
    case K::kYouthIdentified: {
      const v1::YouthIdentified& identified = event.youth_identified();
      c.set_identity_known(true);
      const std::pair<const v1::SealedText*, v1::PersonalField*> fields[] = {
          {&identified.name(), c.mutable_name()},
          {&identified.cpr_number(), c.mutable_cpr_number()},
          {&identified.birth_date(), c.mutable_birth_date()},
          {&identified.address(), c.mutable_address()},
      };
      for (const auto& [sealed, field] : fields) {
        if (sealed->ciphertext().empty()) continue;
        field->Clear();
        Seal(*sealed, field);
      }
      break;
    }
    case K::kConcernShared: {
      const v1::ConcernShared& shared = event.concern_shared();
      v1::SharedConcern* concern = c.add_concerns_shared();
      concern->set_agency_id(shared.agency_id());
      concern->set_legal_basis(shared.legal_basis());
      concern->set_legal_basis_other(shared.legal_basis_other());
      *concern->mutable_concerns() = shared.concerns();
      *concern->mutable_shared_at() = Ts(at);
      Seal(shared.text(), concern->mutable_text());
      Seal(shared.concerns_sealed(), concern->mutable_concerns_sealed());
      concern->set_concern_count(shared.concerns_sealed().key_id().empty()
                                     ? shared.concerns_size()
                                     : shared.concern_count());
      *concern->mutable_recipient_agency_ids() = shared.recipient_agency_ids();
      Seal(shared.necessity(), concern->mutable_necessity());
      concern->set_consent_scope(shared.consent_scope());
      concern->set_consent_id(shared.consent_id());
      // Sharing involves nobody: the policy lets a share's recipients see whom it is about
      // (while the consent stands, for a share on consent), not its sharer.
      break;
    }
    case K::kConsentRecorded: {
      const v1::ConsentRecorded& recorded = event.consent_recorded();
      if (!recorded.scope().empty()) AddUnique(c.mutable_consent_scopes(), recorded.scope());
      // Recorded again: the new one stands in for the old.
      EndConsent(c, security::ConsentKey(recorded), nullptr);
      v1::ConsentView* consent = c.add_consents();
      consent->set_scope(recorded.scope());
      consent->set_consent_id(recorded.consent_id());
      if (recorded.has_scope_sealed()) {
        Seal(recorded.scope_sealed(), consent->mutable_scope_sealed());
      }
      consent->set_giver(recorded.giver());
      consent->set_given_by(recorded.given_by());
      *consent->mutable_agency_ids() = recorded.agency_ids();
      consent->set_purpose(recorded.purpose());
      Seal(recorded.what(), consent->mutable_what());
      Seal(recorded.given_by_sealed(), consent->mutable_given_by_sealed());
      Seal(recorded.purpose_sealed(), consent->mutable_purpose_sealed());
      if (recorded.has_categories_sealed()) {
        Seal(recorded.categories_sealed(), consent->mutable_categories_sealed());
      }
      *consent->mutable_given_at() = Ts(at);
      consent->set_in_force(true);
      break;
    }
    case K::kConsentWithdrawn:
      EndConsent(c, security::ConsentKey(event.consent_withdrawn()),
                 [&](v1::ConsentView& consent) { *consent.mutable_withdrawn_at() = Ts(at); });
      break;
    case K::kConsentLapsed:
      EndConsent(c, security::ConsentKey(event.consent_lapsed()),
                 [&](v1::ConsentView& consent) { *consent.mutable_lapsed_at() = Ts(at); });
      break;
    case K::kActionPlanAdopted:
      Plan(c, event.action_plan_adopted().revision(), event.action_plan_adopted().goals(),
           event.action_plan_adopted().review_date(), recorded);
      break;
    case K::kActionPlanRevised:
      Plan(c, event.action_plan_revised().revision(), event.action_plan_revised().goals(),
           event.action_plan_revised().review_date(), recorded);
      break;
    case K::kSocialDecisionRecorded: {
      // That the social administration decided anything is the child's confidential affair:
      // it involves nobody in the list every reader of the area sees, and the query shows the
      // decisions only to its caseworkers and the coordinators.
      const v1::SocialDecisionRecorded& decided = event.social_decision_recorded();
      v1::SocialDecisionView* decision = c.add_social_decisions();
      decision->set_decision_id(decided.decision_id());
      Seal(decided.decision(), decision->mutable_decision());
      *decision->mutable_decided_at() = Ts(at);
      break;
    }
    case K::kHandedOverToAdultServices:
      SetStatus(c, v1::CASE_STATUS_HANDED_OVER, recorded);
      break;
    case K::kCaseClosed:
      if (c.days_to_closure() < 0) c.set_days_to_closure(Days(c.referral().referred_at(), at));
      SetStatus(c, v1::CASE_STATUS_CLOSED, recorded);
      break;
    case K::kCaseReopened:
      c.set_days_to_closure(-1);
      SetStatus(c, ReopenedStatus(c), recorded);
      break;
    case K::kReviewDatePassed:
      c.set_review_overdue(true);
      break;
    case K::kEighteenthBirthdayNear:
      c.set_turns_18_soon(true);
      break;
    case K::kSubjectAccessRequested: {
      const v1::SubjectAccessRequested& asked = event.subject_access_requested();
      v1::SubjectAccessView* sar = c.add_subject_access_requests();
      sar->set_subject_access_id(asked.subject_access_id());
      sar->set_requester(asked.requester());
      Seal(asked.requested_by(), sar->mutable_requested_by());
      *sar->mutable_requested_at() = Ts(at);
      *sar->mutable_due_on() = asked.due_on();
      break;
    }
    case K::kSubjectAccessAnswered:
    case K::kSubjectAccessOverdue: {
      const bool answered = event.kind_case() == K::kSubjectAccessAnswered;
      const std::string& id = answered ? event.subject_access_answered().subject_access_id()
                                       : event.subject_access_overdue().subject_access_id();
      for (v1::SubjectAccessView& sar : *c.mutable_subject_access_requests()) {
        if (sar.subject_access_id() != id) continue;
        if (!answered) {
          sar.set_overdue(true);
        } else if (!sar.has_answered_at()) {
          *sar.mutable_answered_at() = Ts(at);
        }
      }
      break;
    }
    case K::kPersonalDataRectified: {
      // The correction stands in for the value; the earlier one stays in the history.
      const v1::PersonalDataRectified& fix = event.personal_data_rectified();
      v1::PersonalField* field = nullptr;
      switch (fix.field()) {
        case v1::PERSONAL_DATA_FIELD_NAME:
          field = c.mutable_name();
          c.set_identity_known(true);
          break;
        case v1::PERSONAL_DATA_FIELD_CPR_NUMBER:
          field = c.mutable_cpr_number();
          break;
        case v1::PERSONAL_DATA_FIELD_BIRTH_DATE:
          field = c.mutable_birth_date();
          break;
        case v1::PERSONAL_DATA_FIELD_ADDRESS:
          field = c.mutable_address();
          break;
        default:
          break;
      }
      if (field != nullptr) {
        field->Clear();
        Seal(fix.value(), field);
      }
      break;
    }
    case K::kNotificationMade: {
      const v1::NotificationMade& made = event.notification_made();
      v1::NotificationView* n = c.add_notifications();
      n->set_notification_id(made.notification_id());
      n->set_agency_id(made.agency_id());
      n->set_notified_by(made.notified_by());
      *n->mutable_notified_at() = Ts(at);
      Seal(made.text(), n->mutable_text());
      *n->mutable_assessment_due_at() = made.assessment_due_at();
      *n->mutable_receipt_due_on() = made.receipt_due_on();
      break;
    }
    case K::kNotificationAssessed:
      OnNotification(c, event.notification_assessed().notification_id(),
                     [&](v1::NotificationView& n) {
                       *n.mutable_assessed_at() = Ts(at);
                       Seal(event.notification_assessed().assessment(), n.mutable_assessment());
                     });
      break;
    case K::kNotificationReceiptConfirmed:
      OnNotification(c, event.notification_receipt_confirmed().notification_id(),
                     [&](v1::NotificationView& n) { *n.mutable_receipt_confirmed_at() = Ts(at); });
      break;
    case K::kNotificationAssessmentOverdue:
      OnNotification(c, event.notification_assessment_overdue().notification_id(),
                     [](v1::NotificationView& n) { n.set_assessment_overdue(true); });
      break;
    case K::kNotificationReceiptOverdue:
      OnNotification(c, event.notification_receipt_overdue().notification_id(),
                     [](v1::NotificationView& n) { n.set_receipt_overdue(true); });
      break;
    case K::kChildWelfareInvestigationOpened: {
      const v1::ChildWelfareInvestigationOpened& opened =
          event.child_welfare_investigation_opened();
      v1::InvestigationView* i = c.add_investigations();
      i->set_investigation_id(opened.investigation_id());
      i->set_notification_id(opened.notification_id());
      *i->mutable_opened_at() = Ts(at);
      *i->mutable_due_on() = opened.due_on();
      break;
    }
    case K::kChildWelfareInvestigationCompleted:
      OnInvestigation(c, event.child_welfare_investigation_completed().investigation_id(),
                      [&](v1::InvestigationView& i) {
                        *i.mutable_completed_at() = Ts(at);
                        Seal(event.child_welfare_investigation_completed().conclusion(),
                             i.mutable_conclusion());
                      });
      break;
    case K::kChildWelfareInvestigationOverdue:
      OnInvestigation(c, event.child_welfare_investigation_overdue().investigation_id(),
                      [](v1::InvestigationView& i) { i.set_overdue(true); });
      break;
    default:
      break;
  }
}

v1::CaseView Referred(const store::RecordedEvent& recorded, const v1::Event& event) {
  const v1::YouthReferred& r = event.youth_referred();
  v1::CaseView c;
  c.set_youth_id(r.youth_id());
  c.set_area_id(event.area_id());
  v1::Referral* referral = c.mutable_referral();
  referral->set_referring_agency_id(r.referring_agency_id());
  referral->set_referred_by(r.referred_by());
  *referral->mutable_referred_at() = Ts(recorded.metadata.occurred_at);
  *referral->mutable_concerns() = r.concerns();
  Seal(r.concerns_sealed(), referral->mutable_concerns_sealed());
  referral->set_concern_count(r.concerns_sealed().key_id().empty() ? r.concerns_size()
                                                                   : r.concern_count());
  referral->set_urgency(r.urgency());
  Seal(r.description(), referral->mutable_description());
  c.set_identity_known(r.identity_known());
  Seal(r.name(), c.mutable_name());
  Seal(r.cpr_number(), c.mutable_cpr_number());
  Seal(r.birth_date(), c.mutable_birth_date());
  Seal(r.address(), c.mutable_address());
  AddUnique(c.mutable_agencies_involved(), r.referring_agency_id());
  c.set_days_to_screening(-1);
  c.set_days_to_first_discussion(-1);
  c.set_days_to_plan(-1);
  c.set_days_to_closure(-1);
  SetStatus(c, v1::CASE_STATUS_REFERRED, recorded);
  c.set_position(recorded.position);
  c.set_position_for_all(recorded.position);
  return c;
}

// Changes one case in place; a case that does not exist is left alone. Its index rows follow
// the change (status, agencies involved) when the batch is written.
template <typename Fn>
absl::Status UpdateCase(Rows& rows, const std::string& youth_id,
                        const store::RecordedEvent& recorded, Fn change) {
  if (youth_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(v1::CaseView* const c, rows.Edit(CaseKey(youth_id), &CaseIndexKeys));
  if (c == nullptr) return absl::OkStatus();
  change(*c);
  c->set_position(recorded.position);
  if (!security::IsConfidentialEventType(recorded.type)) c->set_position_for_all(recorded.position);
  return absl::OkStatus();
}

// The youth a commitment or escalation row points to ("" if none).
absl::StatusOr<std::string> Owner(Rows& rows, const std::string& key) {
  ASSIGN_OR_RETURN(const std::optional<std::string> youth, rows.Get(key));
  return youth.value_or("");
}

}  // namespace

absl::Status CasesView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                              Rows& rows) {
  if (event.kind_case() == K::kYouthReferred) {
    return rows.Replace(CaseKey(event.youth_referred().youth_id()), Referred(recorded, event),
                        &CaseIndexKeys);
  }
  if (recorded.category() == "youth") {
    return UpdateCase(rows, recorded.stream, recorded,
                      [&](v1::CaseView& c) { ApplyToCase(c, recorded, event); });
  }
  if (event.kind_case() == K::kErasureExecuted) {
    return UpdateCase(rows, event.erasure_executed().youth_id(), recorded,
                      [](v1::CaseView& c) { c.set_erased(true); });
  }
  if (event.kind_case() == K::kDecisionRecorded) {
    const v1::DecisionRecorded& d = event.decision_recorded();
    return UpdateCase(rows, d.youth_id(), recorded, [&](v1::CaseView& c) {
      // Each meeting once, however many items it recorded about the youth.
      const bool listed =
          std::any_of(c.meetings_discussed().begin(), c.meetings_discussed().end(),
                      [&](const v1::MeetingRef& m) { return m.meeting_id() == d.meeting_id(); });
      if (!listed) {
        v1::MeetingRef* meeting = c.add_meetings_discussed();
        meeting->set_meeting_id(d.meeting_id());
        *meeting->mutable_at() = Ts(recorded.metadata.occurred_at);
      }
      // The case's first discussion is its first decision (a decision of before, unset, is one):
      // a recommendation or information (the local SSP's, review 13c, e) decides nothing.
      const bool decision =
          d.kind() == v1::DECISION_KIND_DECISION || d.kind() == v1::DECISION_KIND_UNSPECIFIED;
      if (decision && c.days_to_first_discussion() < 0) {
        c.set_days_to_first_discussion(
            Days(c.referral().referred_at(), recorded.metadata.occurred_at));
      }
    });
  }
  if (const std::string& id = CommitmentIdOf(event); !id.empty()) {
    if (event.kind_case() == K::kCommitmentMade) {
      const std::string& youth = event.commitment_made().youth_id();
      if (youth.empty()) return absl::OkStatus();
      rows.Put(absl::StrCat("c2y/", id), youth);
      return UpdateCase(rows, youth, recorded, [&](v1::CaseView& c) {
        *c.add_commitments() = Made(recorded, event);
        AddUnique(c.mutable_agencies_involved(), event.commitment_made().owning_agency_id());
      });
    }
    ASSIGN_OR_RETURN(const std::string youth, Owner(rows, absl::StrCat("c2y/", id)));
    return UpdateCase(rows, youth, recorded, [&](v1::CaseView& c) {
      for (v1::CommitmentView& commitment : *c.mutable_commitments()) {
        if (commitment.commitment_id() == id) Change(commitment, recorded, event);
      }
    });
  }
  if (const std::string& id = EscalationIdOf(event); !id.empty()) {
    if (event.kind_case() == K::kEscalationRaised) {
      const v1::EscalationRaised& raised = event.escalation_raised();
      if (raised.youth_id().empty()) return absl::OkStatus();
      rows.Put(absl::StrCat("e2y/", id), raised.youth_id());
      return UpdateCase(rows, raised.youth_id(), recorded, [&](v1::CaseView& c) {
        v1::EscalationRef* ref = c.add_escalations();
        ref->set_escalation_id(id);
        ref->set_target_agency_id(raised.target_agency_id());
        ref->set_level(raised.level());
      });
    }
    ASSIGN_OR_RETURN(const std::string youth, Owner(rows, absl::StrCat("e2y/", id)));
    return UpdateCase(rows, youth, recorded, [&](v1::CaseView& c) {
      for (v1::EscalationRef& ref : *c.mutable_escalations()) {
        if (ref.escalation_id() != id) continue;
        if (event.kind_case() == K::kEscalationMovedUp) {
          ref.set_level(event.escalation_moved_up().to_level());
        }
        if (event.kind_case() == K::kEscalationResolved) ref.set_resolved(true);
      }
    });
  }
  return absl::OkStatus();
}

std::string CasesOfAreaWhere(absl::string_view area_id, int status, absl::string_view agency_id,
                             int urgency) {
  IndexFamily family;
  if (!agency_id.empty()) family.Add("agency", agency_id);
  if (status != 0) family.Add("status", absl::StrFormat("%02d", status));
  if (urgency != 0) family.Add("urgency", absl::StrFormat("%02d", urgency));
  return family.Prefix(area_id);
}

std::vector<std::string> CaseIndexKeys(const v1::CaseView& c) {
  // Under every combination of the filters the case passes: each one set to its value or unset.
  std::vector<std::string> agencies = {""};
  agencies.insert(agencies.end(), c.agencies_involved().begin(), c.agencies_involved().end());
  std::vector<int> statuses = {0}, urgencies = {0};
  if (c.status() != 0) statuses.push_back(c.status());
  if (c.referral().urgency() != 0) urgencies.push_back(c.referral().urgency());
  std::vector<std::string> keys;
  for (const std::string& agency : agencies) {
    for (const int status : statuses) {
      for (const int urgency : urgencies) {
        keys.push_back(
            absl::StrCat(CasesOfAreaWhere(c.area_id(), status, agency, urgency), c.youth_id()));
      }
    }
  }
  if (CaseEnded(c.status()) && !c.erased() && !c.status_history().empty()) {
    keys.push_back(absl::StrCat(CasesOfAreaEnded(c.area_id()),
                                absl::StrFormat("%020d/", c.status_history().rbegin()->at().seconds()),
                                c.youth_id()));
  }
  // The dashboard's: by the day of what each counts (an item's id before the youth's), and now.
  auto on = [&](CaseDay family, const google::protobuf::Timestamp& at, absl::string_view item) {
    keys.push_back(absl::StrCat(CasesOfAreaByDay(c.area_id(), family),
                                DayKey(absl::ToCivilDay(TimeOf(at), absl::UTCTimeZone())), "/",
                                item, item.empty() ? "" : "/", c.youth_id()));
  };
  auto now = [&](CaseNow family, absl::string_view item) {
    keys.push_back(absl::StrCat(CasesOfAreaNow(c.area_id(), family), item, "/", c.youth_id()));
  };
  on(CaseDay::kReferred, c.referral().referred_at(), "");
  if (c.screening().accepted()) on(CaseDay::kAccepted, c.screening().screened_at(), "");
  if (c.status() == v1::CASE_STATUS_CLOSED && !c.status_history().empty()) {
    on(CaseDay::kClosed, c.status_history().rbegin()->at(), "");
  }
  for (int i = 0; i < c.status_history_size(); ++i) {
    const v1::StatusChange& change = c.status_history(i);
    const bool active = change.status() == v1::CASE_STATUS_ACTIVE;
    const bool was_active = i > 0 && c.status_history(i - 1).status() == v1::CASE_STATUS_ACTIVE;
    if (active == was_active) continue;
    on(active ? CaseDay::kActivated : CaseDay::kDeactivated, change.at(),
       absl::StrFormat("%020d", change.position()));
  }
  for (const v1::NotificationView& n : c.notifications()) {
    on(CaseDay::kNotified, n.notified_at(), n.notification_id());
    if (n.assessment_overdue()) {
      on(CaseDay::kAssessmentOverdue, n.notified_at(), n.notification_id());
    }
    if (n.receipt_overdue()) on(CaseDay::kReceiptOverdue, n.notified_at(), n.notification_id());
  }
  for (const v1::InvestigationView& i : c.investigations()) {
    on(CaseDay::kInvestigationOpened, i.opened_at(), i.investigation_id());
    if (!i.has_completed_at()) now(CaseNow::kInvestigationOpen, i.investigation_id());
    if (i.overdue()) now(CaseNow::kInvestigationOverdue, i.investigation_id());
  }
  return keys;
}

std::string CasesOfAreaByDay(absl::string_view area_id, CaseDay family) {
  // In the order of CaseDay.
  static constexpr const char* kFamilies[] = {"area-referred/",
                                              "area-accepted/",
                                              "area-closed/",
                                              "area-notified/",
                                              "area-notified-assessment-overdue/",
                                              "area-notified-receipt-overdue/",
                                              "area-investigation-opened/",
                                              "area-activated/",
                                              "area-deactivated/"};
  return absl::StrCat(kFamilies[static_cast<int>(family)], area_id, "/");
}

std::string CasesOfAreaNow(absl::string_view area_id, CaseNow family) {
  return absl::StrCat(family == CaseNow::kInvestigationOpen ? "area-investigation-open/"
                                                            : "area-investigation-overdue/",
                      area_id, "/");
}

std::string DayKey(absl::CivilDay day) {
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

std::string CommitmentSortKey(const v1::CommitmentView& c) {
  return absl::StrFormat("%04d%02d%02d/%s", c.due_date().year(), c.due_date().month(),
                         c.due_date().day(), c.commitment_id());
}

std::string CommitmentsOfAreaWhere(absl::string_view area_id, const CommitmentFilter& filter) {
  IndexFamily family;
  if (!filter.agency_id.empty()) family.Add("agency", filter.agency_id);
  if (!filter.person.empty()) family.Add("person", filter.person);
  if (!filter.youth_id.empty()) family.Add("youth", filter.youth_id);
  if (filter.untaken) {
    family.Add("untaken", "");
  } else if (filter.state != 0) {
    family.Add("state", absl::StrFormat("%02d", filter.state));
  }
  return family.Prefix(area_id);
}

std::vector<std::string> CommitmentIndexKeys(const v1::CommitmentView& c) {
  const std::string sort = CommitmentSortKey(c);
  // Under every combination of the filters it passes: each one set to its value or unset.
  std::vector<CommitmentFilter> states(1);
  if (c.state() != 0) states.emplace_back().state = c.state();
  if (c.state() == v1::COMMITMENT_STATE_DECLINED && c.taken_up_by().empty()) {
    states.emplace_back().untaken = true;
  }
  std::vector<std::string> agencies = {""}, persons = {""}, youths = {""}, keys;
  if (!c.owning_agency_id().empty()) agencies.push_back(c.owning_agency_id());
  if (!c.responsible_person().empty()) persons.push_back(c.responsible_person());
  if (!c.youth_id().empty()) youths.push_back(c.youth_id());
  for (const std::string& agency : agencies) {
    for (const std::string& person : persons) {
      for (const std::string& youth : youths) {
        for (CommitmentFilter filter : states) {
          filter.agency_id = agency;
          filter.person = person;
          filter.youth_id = youth;
          keys.push_back(absl::StrCat(CommitmentsOfAreaWhere(c.area_id(), filter), sort));
        }
      }
    }
  }
  return keys;
}

absl::Status CommitmentsView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                                    Rows& rows) {
  const std::string& id = CommitmentIdOf(event);
  if (id.empty()) return absl::OkStatus();
  if (event.kind_case() == K::kCommitmentMade) {
    return rows.Replace(CommitmentKey(id), Made(recorded, event), &CommitmentIndexKeys);
  }
  ASSIGN_OR_RETURN(v1::CommitmentView* const c,
                   rows.Edit(CommitmentKey(id), &CommitmentIndexKeys));
  if (c != nullptr) Change(*c, recorded, event);  // the due date may change
  return absl::OkStatus();
}

}  // namespace hotspot::projections
