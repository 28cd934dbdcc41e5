// The aggregates of the Hotspot domain and how events change them: one state per stream
// category, folded from the stream's events by Evolve(). Pure functions, no I/O.
//
//   area-<id>        AreaState        programme, chief, staff, bodies and their cadence
//   agency-<id>      AgencyState      registration, kind, leadership ladder, its people
//   youth-<id>       YouthState       the case: referral, screening, consent, plan, closure
//   meeting-<id>     MeetingState     schedule, attendance, agenda, decisions
//   commitment-<id>  CommitmentState  owner, due date, lifecycle
//   escalation-<id>  EscalationState  target, level, lifecycle
//
// Thread-safety: plain values.
#ifndef HOTSPOT_SERVICES_DOMAIN_AGGREGATES_H_
#define HOTSPOT_SERVICES_DOMAIN_AGGREGATES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hotspot/v1/events.pb.h"
#include "services/security/principal.h"

namespace hotspot::domain {

namespace v1 = ::hotspot::v1;

struct AreaState {
  bool exists = false;
  std::string name;
  std::string municipality;  // as established
  int32_t escalation_ack_days = 0;
  int32_t programme_revision = 0;
  // When the programme was adopted (ProgrammeAdopted.adopted_at); InfinitePast for an adoption
  // of before, which carries no time.
  absl::Time programme_adopted_at = absl::InfinitePast();
  std::string chief;
  std::set<std::string> staff;
  std::map<std::string, v1::BodyKind> bodies;   // body id -> kind
  // The bodies' members as constituted, by body id: (agency id, person).
  std::map<std::string, std::set<std::pair<std::string, std::string>>> body_members;
  std::map<std::string, v1::Cadence> cadences;  // body id -> how often it meets
  // The area's police coordinator, by police agency: its contact at the steering-group level.
  std::map<std::string, std::string> police_coordinators;
  // The gaps in a body's meetings marked BodyBehindCadence: (body id, when it last met before
  // the gap, in Unix seconds; 0: never met).
  std::set<std::pair<std::string, int64_t>> behind_cadence;
  // Programme revisions the chief proposed that the political follow-up group has not approved
  // yet, by proposal id.
  std::map<std::string, v1::ProgrammeRevisionProposed> proposals;
  // The hotspot boards' members: (body id, person).
  std::set<std::pair<std::string, std::string>> board_members;
  // The reports submitted (ReportSubmitted): (kind, last day of the period as a DayNumber), for
  // the deadline process's missing half-yearly report.
  std::set<std::pair<int, int64_t>> reports;
  // The half-years (their last day, as a DayNumber) flagged HalfYearlyReportMissing.
  std::set<int64_t> reports_missing;
  // The measures defined (MeasureDefined): measure -> its owning agency.
  std::map<std::string, std::string> measure_owners;
};

struct AgencyState {
  bool exists = false;
  std::string area_id;          // where it was registered
  std::set<std::string> areas;  // every area it serves: that one and those linked since
  v1::AgencyKind kind = v1::AGENCY_KIND_UNSPECIFIED;
  bool self_governing_institution = false;  // joined the § 115 exchange under stk. 3
  std::map<int, std::string> ladder;        // LeadershipLevel -> person
  std::set<std::string> people;             // its register, as it named it (AgencyPeopleNamed)
  // The escalations raised at it (AgencyEscalated; open or not): since that event exists.
  std::set<std::string> escalations;
};

// Whether the agency itself named `person`: on its register of people or on its leadership
// ladder. Such a person, attending a meeting for it, may accept its commitment there.
bool NamedByAgency(const AgencyState& agency, absl::string_view person);

// What the policy knows of the agency `agency_id`.
inline security::AgencyFacts FactsOf(absl::string_view agency_id, const AgencyState& agency) {
  return {std::string(agency_id), agency.kind, agency.self_governing_institution};
}

struct YouthState {
  bool exists = false;
  std::string area_id;
  std::string referring_agency_id;
  // When it was referred (YouthReferred.referred_at); InfinitePast for a referral of before.
  absl::Time referred_at = absl::InfinitePast();
  v1::CaseStatus status = v1::CASE_STATUS_UNSPECIFIED;
  // The status before closure, to return to on reopening.
  v1::CaseStatus status_before_close = v1::CASE_STATUS_UNSPECIFIED;
  bool declined = false;  // the referral was declined (stays so until reopened and re-screened)
  int32_t plan_revision = 0;
  // A consent on record. Its key is its id, or for a consent of before (no id) its scope.
  struct Consent {
    bool has_id = false;    // false: a consent of before, named by its scope in clear
    v1::SealedText scope;   // its name, sealed (has_id)
    bool in_force = false;  // neither withdrawn nor lapsed
    // The agencies it covers (empty: an unstructured consent of before, every agency) and its
    // sealed categories (unset on consents of before: any category).
    std::set<std::string> agencies;
    std::optional<v1::SealedText> categories;
  };
  // Every consent on record, by key (in force or not: recorded again under its name, a consent
  // keeps its id).
  std::map<std::string, Consent> consents;
  std::set<std::string> commitment_ids;
  bool identity_known = false;  // known at referral, or identified since
  // Outreach tasks by id (tasks of before have none): the agency doing each, and whether its
  // outcome is recorded.
  struct Outreach {
    std::string agency_id;
    bool outcome = false;
  };
  std::map<std::string, Outreach> outreach;
  v1::SealedText birth_date;  // as referred or corrected; empty if not known
  v1::SealedText cpr_number;  // the same
  v1::Date ended_on;          // closed, declined or handed over on (unset: open, or not known)
  // Notifications to the social administration (barnets lov), by id, with their deadlines and
  // whether each was marked missed.
  struct Notification {
    bool assessed = false;
    bool receipt_confirmed = false;
    absl::Time assessment_due_at = absl::InfiniteFuture();
    v1::Date receipt_due_on;
    bool assessment_overdue = false;
    bool receipt_overdue = false;
  };
  std::map<std::string, Notification> notifications;
  // Something the case owes by a date: a child-welfare investigation (done: completed), a
  // subject access request (done: answered).
  struct Due {
    bool done = false;
    v1::Date due_on;
    bool overdue = false;  // marked missed
  };
  std::map<std::string, Due> investigations;  // by id
  std::map<std::string, Due> subject_access;  // by request id
  v1::Date review_date;                       // the action plan's; unset: no plan
  std::set<int64_t> reviews_passed;           // review dates marked passed (DayNumber)
  bool eighteenth_birthday_near = false;      // marked (once for a youth)
  // The decisions the case's plan changes, closures and handovers stand on (their events'
  // decision_id; events of before name none).
  std::set<std::string> cited_decisions;
};

struct MeetingState {
  bool exists = false;
  std::string area_id;
  std::string body_id;
  absl::Time scheduled_at = absl::InfinitePast();  // as scheduled (MeetingScheduled)
  bool held = false;
  absl::Time held_at = absl::InfinitePast();  // as recorded (MeetingHeld), if held
  // Who attended, as recorded: (agency id, person).
  std::set<std::pair<std::string, std::string>> attendance;
  std::set<std::string> agenda;  // youth ids
  std::set<std::string> topics;  // area topics on the agenda
  // Its decisions, by id: what each is about and what it is (DecisionRecorded).
  struct Decided {
    std::string youth_id;  // empty for the area
    v1::DecisionKind kind = v1::DECISION_KIND_UNSPECIFIED;
  };
  std::map<std::string, Decided> decisions;
};

// kProposed: by a decision, awaiting its agency; kOpen: accepted, neither fulfilled nor
// cancelled; kDeclined: by its agency, back with the chief; kWithdrawn: while proposed, by the
// person who proposed it (or an admin of the area).
enum class CommitmentStatus {
  kNone,
  kProposed,
  kOpen,
  kDeclined,
  kFulfilled,
  kCancelled,
  kWithdrawn
};

struct CommitmentState {
  bool exists = false;
  std::string area_id;
  std::string owning_agency_id;
  std::string youth_id;
  std::string proposed_by;  // the actor of its CommitmentMade (who recorded the decision)
  std::string meeting_id;   // the meeting whose decision made it
  // When it was made (CommitmentMade.made_at); InfinitePast on commitments of before.
  absl::Time made_at = absl::InfinitePast();
  v1::Date due_date;
  CommitmentStatus status = CommitmentStatus::kNone;
  bool acknowledged = false;
  bool taken_up = false;             // declined, and taken up since (CommitmentTakenUp)
  std::set<int64_t> marked_overdue;  // due dates marked overdue (DayNumber)
  bool open() const { return status == CommitmentStatus::kOpen; }
  // Not yet done with: proposed or accepted (a case does not close over it).
  bool pending() const {
    return status == CommitmentStatus::kOpen || status == CommitmentStatus::kProposed;
  }
};

// The one upcast of the commitments' events. A CommitmentMade of before acceptance was recorded
// (acceptance UNSPECIFIED) was its agency's commitment from the start: it reads as accepted,
// when it was made (the views' accepted_at is its made_at; accepted_by names nobody, as no
// acceptance was recorded). Everything that reads a CommitmentMade (the aggregate, the views,
// the deadline process) asks here.
v1::CommitmentAcceptance AcceptanceOf(const v1::CommitmentMade& made);

struct EscalationState {
  bool exists = false;
  std::string area_id;
  std::string target_agency_id;
  std::string youth_id;   // the case it concerns, if any: its notes are sealed under the youth
  std::string raised_by;  // person
  std::set<std::string> commitment_ids;  // the commitments it concerns
  v1::EscalationLevel level = v1::ESCALATION_LEVEL_UNSPECIFIED;
  bool acknowledged = false;
  bool resolved = false;
  std::set<int> not_acknowledged;  // levels marked EscalationNotAcknowledged
  // When it reached its level (raised or moved up); InfinitePast on events of before.
  absl::Time level_since = absl::InfinitePast();
};

enum class ErasureStatus { kNone, kRequested, kApproved, kRefused, kExecuted };

struct ErasureState {
  bool exists = false;
  std::string area_id;
  std::string youth_id;
  ErasureStatus status = ErasureStatus::kNone;
  v1::ErasureGround ground = v1::ERASURE_GROUND_UNSPECIFIED;     // as requested
  v1::ArchiveOutcome archive = v1::ARCHIVE_OUTCOME_UNSPECIFIED;  // the archive's assessment
  bool transferred = false;                                      // to the archive
};

// The bodies' powers (the handbook, 002 and 004): the task force and the steering group decide
// (the political follow-up group only approves programme revisions); the hotspot board, the
// fora, the local SSP and the housing-social plan's meetings record recommendations and
// information, never youth-level decisions. Youths come on the agenda of the task force, the
// steering group and the local SSP only (which records its recommendations and information about
// them).
bool BodyDecides(v1::BodyKind kind);
bool BodyTakesYouths(v1::BodyKind kind);
// Bodies that seat members who speak for no agency (`BodyMember.represents`: associations,
// businesses, NGOs, citizens): the hotspot board, the fora and the housing-social plan's
// meetings. The others seat the agencies' and administrations' people, each for its agency.
bool BodySeatsOutsiders(v1::BodyKind kind);
// "BODY_KIND_HOTSPOT_BOARD" without its prefix, lower case: "hotspot board".
std::string BodyKindName(v1::BodyKind kind);

// Each applies one event of its stream; events of other aggregates leave the state unchanged.
void Evolve(AreaState& state, const v1::Event& event);
void Evolve(AgencyState& state, const v1::Event& event);
void Evolve(YouthState& state, const v1::Event& event);
void Evolve(MeetingState& state, const v1::Event& event);
void Evolve(CommitmentState& state, const v1::Event& event);
void Evolve(EscalationState& state, const v1::Event& event);
void Evolve(ErasureState& state, const v1::Event& event);

// The stream category of each state: "area", "agency", ...
template <typename State>
constexpr absl::string_view CategoryOf();
template <>
constexpr absl::string_view CategoryOf<AreaState>() {
  return "area";
}
template <>
constexpr absl::string_view CategoryOf<AgencyState>() {
  return "agency";
}
template <>
constexpr absl::string_view CategoryOf<YouthState>() {
  return "youth";
}
template <>
constexpr absl::string_view CategoryOf<MeetingState>() {
  return "meeting";
}
template <>
constexpr absl::string_view CategoryOf<CommitmentState>() {
  return "commitment";
}
template <>
constexpr absl::string_view CategoryOf<EscalationState>() {
  return "escalation";
}
template <>
constexpr absl::string_view CategoryOf<ErasureState>() {
  return "erasure";
}

// The store's event type of an event: the full name of its oneof case's message, e.g.
// "hotspot.v1.YouthReferred"; "" for an event with no case set.
std::string EventType(const v1::Event& event);

// Days since 1970-01-01 of a valid date (see ValidDate); for ordering and durations.
int64_t DayNumber(const v1::Date& date);

// Age in whole years on `on` of someone born on `born` ("YYYY-MM-DD"); nullopt if `born` is not
// such a date.
std::optional<int> AgeOn(absl::string_view born, absl::CivilDay on);

// A google.protobuf.Timestamp as a time.
inline absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// The 18th birthday of a "YYYY-MM-DD" birth date; nullopt if `birth_date` is not one. (29
// February: 1 March.)
inline std::optional<absl::CivilDay> EighteenthBirthday(absl::string_view birth_date) {
  absl::CivilDay born;
  if (!absl::ParseCivilTime(birth_date, &born)) return std::nullopt;
  return absl::CivilDay(born.year() + 18, born.month(), born.day());
}

// Whether the municipal administration works on `day`: Monday to Friday, except the Danish
// public holidays (helligdagsloven: New Year's Day, Maundy Thursday, Good Friday, Easter Monday,
// Great Prayer Day until 2023, Ascension Day, Whit Monday, Christmas Day and Boxing Day) and the
// days public administrations close (Constitution Day, 5 June; Christmas Eve; New Year's Eve), as
// Danish administrative deadlines count "hverdage".
bool IsWorkingDay(absl::CivilDay day);

// The day `days` working days (IsWorkingDay) after `from`.
absl::CivilDay AfterWorkingDays(absl::CivilDay from, int days);

// The calendar day in Denmark at `t` (Europe/Copenhagen: UTC+1, and UTC+2 from the last Sunday
// of March 01:00 UTC to the last Sunday of October 01:00 UTC, the EU rule since 1996): the day a
// Danish legal deadline counts from. Computed by that rule, so no time-zone database is needed.
absl::CivilDay DanishDay(absl::Time t);

// Barnets lov's deadlines for a notification and an investigation.
inline constexpr absl::Duration kNotificationAssessmentTime = absl::Hours(24);
inline constexpr int kNotificationReceiptWorkingDays = 6;
inline constexpr int kInvestigationMonths = 4;
// GDPR Art. 12(3): a subject access request is answered within one month.
inline constexpr int kSubjectAccessMonths = 1;

// The same day of the month `months` later (the month's last day where it has no such day).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

}  // namespace hotspot::domain

#endif  // HOTSPOT_SERVICES_DOMAIN_AGGREGATES_H_
