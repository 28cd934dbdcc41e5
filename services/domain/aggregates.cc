#include "services/domain/aggregates.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "services/security/policy.h"

namespace hotspot::domain {

using K = v1::Event::KindCase;
using security::ConsentKey;

namespace {

void EndConsent(YouthState& state, const std::string& key) {
  const auto it = state.consents.find(key);
  if (it != state.consents.end()) it->second.in_force = false;
}

}  // namespace

bool BodyDecides(v1::BodyKind kind) {
  return kind == v1::BODY_KIND_TASK_FORCE || kind == v1::BODY_KIND_STEERING_GROUP;
}

bool BodyTakesYouths(v1::BodyKind kind) {
  return BodyDecides(kind) || kind == v1::BODY_KIND_LOCAL_SSP;
}

bool BodySeatsOutsiders(v1::BodyKind kind) {
  return kind == v1::BODY_KIND_HOTSPOT_BOARD || kind == v1::BODY_KIND_FORUM ||
         kind == v1::BODY_KIND_HOUSING_SOCIAL_PLAN;
}

std::string BodyKindName(v1::BodyKind kind) {
  return absl::StrReplaceAll(
      absl::StripPrefix(absl::AsciiStrToLower(v1::BodyKind_Name(kind)), "body_kind_"),
      {{"_", " "}});
}

void Evolve(AreaState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kAreaEstablished:
      state.exists = true;
      state.name = event.area_established().name();
      state.municipality = event.area_established().municipality();
      state.escalation_ack_days = event.area_established().escalation_ack_days();
      break;
    case K::kProgrammeAdopted:
      state.programme_revision = event.programme_adopted().revision();
      if (event.programme_adopted().has_adopted_at()) {
        state.programme_adopted_at = TimeOf(event.programme_adopted().adopted_at());
      }
      break;
    case K::kProgrammeRevised:
      state.programme_revision = event.programme_revised().revision();
      state.proposals.erase(event.programme_revised().proposal_id());
      break;
    case K::kProgrammeRevisionProposed:
      state.proposals[event.programme_revision_proposed().proposal_id()] =
          event.programme_revision_proposed();
      break;
    case K::kBoardMemberAppointed:
      state.board_members.emplace(event.board_member_appointed().body_id(),
                                  event.board_member_appointed().member().person());
      break;
    case K::kBoardMemberRemoved:
      state.board_members.erase(
          {event.board_member_removed().body_id(), event.board_member_removed().person()});
      break;
    case K::kChiefAppointed:
      state.chief = event.chief_appointed().person();
      break;
    case K::kPoliceCoordinatorDesignated:
      state.police_coordinators[event.police_coordinator_designated().agency_id()] =
          event.police_coordinator_designated().person();
      break;
    case K::kStaffAssigned:
      state.staff.insert(event.staff_assigned().person());
      break;
    case K::kBodyConstituted:
      state.bodies[event.body_constituted().body_id()] = event.body_constituted().kind();
      for (const v1::BodyMember& m : event.body_constituted().members()) {
        state.body_members[event.body_constituted().body_id()].emplace(m.agency_id(), m.person());
      }
      if (event.body_constituted().kind() == v1::BODY_KIND_HOTSPOT_BOARD) {
        for (const v1::BodyMember& m : event.body_constituted().members()) {
          state.board_members.emplace(event.body_constituted().body_id(), m.person());
        }
      }
      state.cadences[event.body_constituted().body_id()] = event.body_constituted().cadence();
      break;
    case K::kBodyBehindCadence:
      state.behind_cadence.emplace(event.body_behind_cadence().body_id(),
                                   event.body_behind_cadence().last_met_at().seconds());
      break;
    case K::kReportSubmitted:
      state.reports.emplace(event.report_submitted().kind(),
                            DayNumber(event.report_submitted().period_end()));
      break;
    case K::kMeasureDefined:
      state.measure_owners[event.measure_defined().measure()] =
          event.measure_defined().owning_agency_id();
      break;
    case K::kHalfYearlyReportMissing:
      state.reports_missing.insert(DayNumber(event.half_yearly_report_missing().half_year_end()));
      break;
    default:
      break;
  }
}

void Evolve(AgencyState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kAgencyRegistered:
      state.exists = true;
      state.area_id = event.agency_registered().area_id();
      state.areas.insert(state.area_id);
      state.kind = event.agency_registered().kind();
      state.self_governing_institution = event.agency_registered().self_governing_institution();
      break;
    case K::kAgencyAreaLinked:
      state.areas.insert(event.agency_area_linked().area_id());
      break;
    case K::kLeadershipLadderSet:
      state.ladder.clear();
      for (const auto& contact : event.leadership_ladder_set().contacts()) {
        state.ladder[contact.level()] = contact.person();
      }
      break;
    case K::kAgencyPeopleNamed:
      state.people = {event.agency_people_named().persons().begin(),
                      event.agency_people_named().persons().end()};
      break;
    case K::kAgencyEscalated:
      state.escalations.insert(event.agency_escalated().escalation_id());
      break;
    default:
      break;
  }
}

bool NamedByAgency(const AgencyState& agency, absl::string_view person) {
  if (agency.people.count(std::string(person)) > 0) return true;
  return std::any_of(agency.ladder.begin(), agency.ladder.end(),
                     [&](const auto& rung) { return rung.second == person; });
}

namespace {

// A case change's decision (none in events of before).
void Cite(YouthState& state, const std::string& decision_id) {
  if (!decision_id.empty()) state.cited_decisions.insert(decision_id);
}

}  // namespace

void Evolve(YouthState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kYouthReferred:
      state.exists = true;
      state.area_id = event.area_id();
      state.referring_agency_id = event.youth_referred().referring_agency_id();
      if (event.youth_referred().has_referred_at()) {
        state.referred_at = TimeOf(event.youth_referred().referred_at());
      }
      state.status = v1::CASE_STATUS_REFERRED;
      state.birth_date = event.youth_referred().birth_date();
      state.cpr_number = event.youth_referred().cpr_number();
      state.identity_known = event.youth_referred().identity_known();
      break;
    case K::kYouthIdentified:
      state.identity_known = true;
      if (!event.youth_identified().birth_date().ciphertext().empty()) {
        state.birth_date = event.youth_identified().birth_date();
      }
      if (!event.youth_identified().cpr_number().ciphertext().empty()) {
        state.cpr_number = event.youth_identified().cpr_number();
      }
      break;
    case K::kOutreachAssigned:
      if (!event.outreach_assigned().outreach_id().empty()) {
        state.outreach[event.outreach_assigned().outreach_id()].agency_id =
            event.outreach_assigned().agency_id();
      }
      break;
    case K::kOutreachOutcomeRecorded:
      state.outreach[event.outreach_outcome_recorded().outreach_id()].outcome = true;
      break;
    case K::kReferralAccepted:
      state.status = v1::CASE_STATUS_ACCEPTED;
      state.declined = false;
      break;
    case K::kReferralDeclined:
      state.status = v1::CASE_STATUS_DECLINED;
      state.declined = true;
      state.ended_on = event.referral_declined().declined_on();
      break;
    case K::kConsentRecorded: {
      const v1::ConsentRecorded& consent = event.consent_recorded();
      YouthState::Consent& recorded = state.consents[ConsentKey(consent)];
      recorded.has_id = !consent.consent_id().empty();
      recorded.scope = consent.scope_sealed();
      recorded.in_force = true;
      recorded.agencies = {consent.agency_ids().begin(), consent.agency_ids().end()};
      recorded.categories.reset();
      if (consent.has_categories_sealed()) recorded.categories = consent.categories_sealed();
      break;
    }
    case K::kConsentWithdrawn:
      EndConsent(state, ConsentKey(event.consent_withdrawn()));
      break;
    case K::kConsentLapsed:
      EndConsent(state, ConsentKey(event.consent_lapsed()));
      break;
    case K::kSubjectAccessRequested:
      state.subject_access[event.subject_access_requested().subject_access_id()].due_on =
          event.subject_access_requested().due_on();
      break;
    case K::kSubjectAccessAnswered:
      state.subject_access[event.subject_access_answered().subject_access_id()].done = true;
      break;
    case K::kSubjectAccessOverdue:
      state.subject_access[event.subject_access_overdue().subject_access_id()].overdue = true;
      break;
    case K::kPersonalDataRectified:
      if (event.personal_data_rectified().field() == v1::PERSONAL_DATA_FIELD_BIRTH_DATE) {
        state.birth_date = event.personal_data_rectified().value();
      }
      if (event.personal_data_rectified().field() == v1::PERSONAL_DATA_FIELD_CPR_NUMBER) {
        state.cpr_number = event.personal_data_rectified().value();
      }
      break;
    case K::kNotificationMade: {
      const v1::NotificationMade& made = event.notification_made();
      YouthState::Notification& notification = state.notifications[made.notification_id()];
      notification.assessment_due_at = TimeOf(made.assessment_due_at());
      notification.receipt_due_on = made.receipt_due_on();
      break;
    }
    case K::kNotificationAssessed:
      state.notifications[event.notification_assessed().notification_id()].assessed = true;
      break;
    case K::kNotificationReceiptConfirmed:
      state.notifications[event.notification_receipt_confirmed().notification_id()]
          .receipt_confirmed = true;
      break;
    case K::kNotificationAssessmentOverdue:
      state.notifications[event.notification_assessment_overdue().notification_id()]
          .assessment_overdue = true;
      break;
    case K::kNotificationReceiptOverdue:
      state.notifications[event.notification_receipt_overdue().notification_id()].receipt_overdue =
          true;
      break;
    case K::kChildWelfareInvestigationOpened:
      state.investigations[event.child_welfare_investigation_opened().investigation_id()].due_on =
          event.child_welfare_investigation_opened().due_on();
      break;
    case K::kChildWelfareInvestigationCompleted:
      state.investigations[event.child_welfare_investigation_completed().investigation_id()].done =
          true;
      break;
    case K::kChildWelfareInvestigationOverdue:
      state.investigations[event.child_welfare_investigation_overdue().investigation_id()].overdue =
          true;
      break;
    case K::kReviewDatePassed:
      state.reviews_passed.insert(DayNumber(event.review_date_passed().review_date()));
      break;
    case K::kEighteenthBirthdayNear:
      state.eighteenth_birthday_near = true;
      break;
    case K::kActionPlanAdopted:
      state.plan_revision = event.action_plan_adopted().revision();
      state.status = v1::CASE_STATUS_ACTIVE;
      state.review_date = event.action_plan_adopted().review_date();
      Cite(state, event.action_plan_adopted().decision_id());
      break;
    case K::kActionPlanRevised:
      state.plan_revision = event.action_plan_revised().revision();
      state.status = v1::CASE_STATUS_ACTIVE;
      state.review_date = event.action_plan_revised().review_date();
      Cite(state, event.action_plan_revised().decision_id());
      break;
    case K::kHandedOverToAdultServices:
      state.status = v1::CASE_STATUS_HANDED_OVER;
      state.ended_on = event.handed_over_to_adult_services().handed_over_on();
      Cite(state, event.handed_over_to_adult_services().decision_id());
      break;
    case K::kCaseClosed:
      state.status_before_close = state.status;
      state.status = v1::CASE_STATUS_CLOSED;
      state.ended_on = event.case_closed().closed_on();
      Cite(state, event.case_closed().decision_id());
      break;
    case K::kCaseReopened:
      // A declined referral reopens as a new referral to screen; any other case as it stood.
      state.status = state.declined ? v1::CASE_STATUS_REFERRED : state.status_before_close;
      if (state.status == v1::CASE_STATUS_HANDED_OVER) state.status = v1::CASE_STATUS_ACCEPTED;
      state.declined = false;
      state.ended_on.Clear();
      break;
    case K::kCommitmentLinked:
      state.commitment_ids.insert(event.commitment_linked().commitment_id());
      break;
    default:
      break;
  }
}

void Evolve(MeetingState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kMeetingScheduled:
      state.exists = true;
      state.area_id = event.area_id();
      state.body_id = event.meeting_scheduled().body_id();
      state.scheduled_at = TimeOf(event.meeting_scheduled().scheduled_at());
      break;
    case K::kMeetingHeld:
      state.held = true;
      state.held_at = TimeOf(event.meeting_held().held_at());
      for (const v1::BodyMember& m : event.meeting_held().attendance()) {
        state.attendance.emplace(m.agency_id(), m.person());
      }
      break;
    case K::kAgendaItemAdded:
      if (!event.agenda_item_added().topic().empty()) {
        state.topics.insert(event.agenda_item_added().topic());
      } else {
        state.agenda.insert(event.agenda_item_added().youth_id());
      }
      break;
    case K::kDecisionRecorded: {
      const v1::DecisionRecorded& d = event.decision_recorded();
      state.decisions[d.decision_id()] = {d.youth_id(), d.kind()};
      break;
    }
    default:
      break;
  }
}

v1::CommitmentAcceptance AcceptanceOf(const v1::CommitmentMade& made) {
  return made.acceptance() == v1::COMMITMENT_ACCEPTANCE_UNSPECIFIED
             ? v1::COMMITMENT_ACCEPTANCE_ACCEPTED
             : made.acceptance();
}

void Evolve(CommitmentState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kCommitmentMade:
      state.exists = true;
      state.area_id = event.area_id();
      state.owning_agency_id = event.commitment_made().owning_agency_id();
      state.youth_id = event.commitment_made().youth_id();
      state.proposed_by = event.actor().person();
      state.meeting_id = event.commitment_made().meeting_id();
      if (event.commitment_made().has_made_at()) {
        state.made_at = TimeOf(event.commitment_made().made_at());
      }
      state.due_date = event.commitment_made().due_date();
      state.status = AcceptanceOf(event.commitment_made()) == v1::COMMITMENT_ACCEPTANCE_PROPOSED
                         ? CommitmentStatus::kProposed
                         : CommitmentStatus::kOpen;
      break;
    case K::kCommitmentAccepted:
      state.status = CommitmentStatus::kOpen;
      break;
    case K::kCommitmentDeclined:
      state.status = CommitmentStatus::kDeclined;
      break;
    case K::kCommitmentProposalWithdrawn:
      state.status = CommitmentStatus::kWithdrawn;
      break;
    case K::kCommitmentAcknowledged:
      state.acknowledged = true;
      break;
    case K::kCommitmentTakenUp:
      state.taken_up = true;
      break;
    case K::kCommitmentRenegotiated:
      state.due_date = event.commitment_renegotiated().new_due_date();
      break;
    case K::kCommitmentFulfilled:
      state.status = CommitmentStatus::kFulfilled;
      break;
    case K::kCommitmentCancelled:
      state.status = CommitmentStatus::kCancelled;
      break;
    case K::kCommitmentMarkedOverdue:
      state.marked_overdue.insert(DayNumber(event.commitment_marked_overdue().due_date()));
      break;
    default:
      break;
  }
}

void Evolve(EscalationState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kEscalationRaised:
      state.exists = true;
      state.area_id = event.area_id();
      state.target_agency_id = event.escalation_raised().target_agency_id();
      state.level = event.escalation_raised().level();
      state.youth_id = event.escalation_raised().youth_id();
      state.raised_by = event.actor().person();
      state.commitment_ids = {event.escalation_raised().commitment_ids().begin(),
                              event.escalation_raised().commitment_ids().end()};
      state.level_since = event.escalation_raised().has_raised_at()
                              ? TimeOf(event.escalation_raised().raised_at())
                              : absl::InfinitePast();
      break;
    case K::kEscalationAcknowledged:
      state.acknowledged = true;
      break;
    case K::kEscalationMovedUp:
      state.level = event.escalation_moved_up().to_level();
      state.acknowledged = false;  // the next level has to acknowledge it anew
      state.level_since = event.escalation_moved_up().has_moved_at()
                              ? TimeOf(event.escalation_moved_up().moved_at())
                              : absl::InfinitePast();
      break;
    case K::kEscalationResolved:
      state.resolved = true;
      break;
    case K::kEscalationNotAcknowledged:
      state.not_acknowledged.insert(event.escalation_not_acknowledged().level());
      break;
    default:
      break;
  }
}

void Evolve(ErasureState& state, const v1::Event& event) {
  switch (event.kind_case()) {
    case K::kErasureRequested:
      state.exists = true;
      state.area_id = event.area_id();
      state.youth_id = event.erasure_requested().youth_id();
      state.ground = event.erasure_requested().ground();
      state.status = ErasureStatus::kRequested;
      break;
    case K::kErasureApproved:
      state.status = ErasureStatus::kApproved;
      break;
    case K::kErasureRefused:
      state.status = ErasureStatus::kRefused;
      break;
    case K::kErasureExecuted:
      state.status = ErasureStatus::kExecuted;
      break;
    case K::kErasureArchiveAssessed:
      state.archive = event.erasure_archive_assessed().outcome();
      break;
    case K::kErasureArchiveTransferred:
      state.transferred = true;
      break;
    default:
      break;
  }
}

std::string EventType(const v1::Event& event) {
  if (event.kind_case() == K::KIND_NOT_SET) return "";
  const google::protobuf::FieldDescriptor* field =
      v1::Event::descriptor()->FindFieldByNumber(event.kind_case());
  return field == nullptr ? "" : field->message_type()->full_name();
}

int64_t DayNumber(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day()) - absl::CivilDay(1970, 1, 1);
}

std::optional<int> AgeOn(absl::string_view born, absl::CivilDay on) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(born, &day)) return std::nullopt;
  const bool before_birthday =
      on.month() < day.month() || (on.month() == day.month() && on.day() < day.day());
  return static_cast<int>(on.year() - day.year()) - (before_birthday ? 1 : 0);
}

namespace {

// Easter Sunday of the Gregorian `year` (the anonymous Gregorian algorithm).
absl::CivilDay EasterSunday(int64_t year) {
  const int64_t a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  const int64_t f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  const int64_t i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int64_t m = (a + 11 * h + 22 * l) / 451;
  const int64_t month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, static_cast<int>(month), static_cast<int>(day));
}

}  // namespace

bool IsWorkingDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) return false;
  const int month = day.month(), dom = day.day();
  if ((month == 1 && dom == 1) || (month == 6 && dom == 5) ||
      (month == 12 && (dom == 24 || dom == 25 || dom == 26 || dom == 31))) {
    return false;
  }
  const absl::CivilDay easter = EasterSunday(day.year());
  switch (day - easter) {
    case -3:  // Maundy Thursday
    case -2:  // Good Friday
    case 1:   // Easter Monday
    case 39:  // Ascension Day
    case 50:  // Whit Monday
      return false;
    case 26:  // Great Prayer Day, abolished from 2024
      return day.year() >= 2024;
    default:
      return true;
  }
}

absl::CivilDay AfterWorkingDays(absl::CivilDay from, int days) {
  absl::CivilDay day = from;
  while (days > 0) {
    day += 1;
    if (IsWorkingDay(day)) --days;
  }
  return day;
}

namespace {

// The last Sunday of `month` in `year`.
absl::CivilDay LastSunday(int64_t year, int month) {
  absl::CivilDay day = absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1;
  while (absl::GetWeekday(day) != absl::Weekday::sunday) --day;
  return day;
}

}  // namespace

absl::CivilDay DanishDay(absl::Time t) {
  const int64_t year = absl::ToCivilYear(t, absl::UTCTimeZone()).year();
  auto switch_at = [&](int month) {
    return absl::FromCivil(absl::CivilSecond(LastSunday(year, month)) + 3600, absl::UTCTimeZone());
  };
  const bool summer = t >= switch_at(3) && t < switch_at(10);
  return absl::ToCivilDay(t + absl::Hours(summer ? 2 : 1), absl::UTCTimeZone());
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const absl::CivilDay same(month.year(), month.month(), day.day());
  if (absl::CivilMonth(same) == month) return same;
  return absl::CivilDay(month + 1) - 1;  // normalised into the next month: its last day instead
}

}  // namespace hotspot::domain
