// The pieces the aggregates' Decide() functions share: the policy's answers under the names
// the decide functions use (PERMISSION_DENIED), the domain's rules (FAILED_PRECONDITION), and
// the steps more than one command takes (an action plan, a closure, an escalation). Internal to
// services/domain/: the rest of the server calls decide.h.
//
// Thread-safety: functions of their arguments and the session they are given.
#ifndef HOTSPOT_SERVICES_DOMAIN_RULES_H_
#define HOTSPOT_SERVICES_DOMAIN_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/domain/checks.h"
#include "services/domain/decide.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::domain {

// A time as the domain's messages give it: "2026-11-23T10:00:00Z" (UTC, whole seconds).
inline std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// "Today" of a command (UTC): what due dates are measured against.
inline absl::CivilDay Today(const CommandContext& context) {
  return absl::ToCivilDay(context.now, absl::UTCTimeZone());
}

// ---- who may do what: PERMISSION_DENIED ----

// The policy's (services/security/policy.h), under the names the decide functions use.
inline absl::Status Denied(const Principal& p, absl::string_view what) {
  return security::Refuse(p, what);
}
inline absl::Status RequireArea(const Principal& p, absl::string_view area_id) {
  return security::MayActInArea(p, area_id);
}
using security::IsAgencyRole;
using security::IsCoordinator;
inline absl::Status RequireAreaManager(const Principal& p, absl::string_view area_id,
                                       absl::string_view what) {
  return security::MayManageArea(p, area_id, what);
}
inline absl::Status RequireCoordinator(const Principal& p, absl::string_view area_id,
                                       absl::string_view what) {
  return security::MayCoordinate(p, area_id, what);
}
inline absl::Status RequireCoordinatorOrOwnAgency(const Principal& p, absl::string_view area_id,
                                                  absl::string_view agency_id,
                                                  absl::string_view what) {
  return security::MayActForAgency(p, area_id, agency_id, what);
}

// ---- rules: FAILED_PRECONDITION ----

// A meeting's held_at may run ahead of the server's clock by this much (clocks differ), no more:
// a meeting is recorded as held once it was, not before.
inline constexpr absl::Duration kClockLeeway = absl::Minutes(5);
// A meeting is held when it was scheduled, or later (postponed); brought forward, by no more
// than this (the same day or the day before: it started early, or was moved by a day). A
// meeting held earlier than that is another meeting, scheduled anew (review 13b, B2).
inline constexpr absl::Duration kMeetingBroughtForward = absl::Hours(24);
// A meeting's minutes: its decisions, and agenda items added once it is held, are recorded
// within this many days after it was held (the task force meets every two weeks; its minutes are
// written before it meets again), not months later at a meeting long past.
inline constexpr int kMinutesDays = 14;

inline absl::Status Rule(bool holds, absl::string_view message) {
  return holds ? absl::OkStatus() : absl::FailedPreconditionError(message);
}

inline v1::Date DateOf(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// The categories as sealed in events: their enum names joined by ",".
absl::StatusOr<v1::SealedText> SealConcerns(Session& s, absl::string_view youth_id,
                                            const google::protobuf::RepeatedField<int>& concerns);

// The youth's age in whole years on `now`'s day, from its sealed birth date; nullopt if unknown.
absl::StatusOr<std::optional<int>> AgeOf(Session& s, const YouthState& youth, absl::Time now);

// FAILED_PRECONDITION "<youth> is closed: <what> until it is reopened" for a closed case.
absl::Status NotClosed(const YouthState& youth, absl::string_view youth_id, absl::string_view what);

// The youth `youth_id` (named in `field`) if it has a case in `area_id`; FAILED_PRECONDITION
// "<field>: <youth_id> has no case in <area_id>" otherwise, in the same words whether the youth
// has no case at all or one of another area (whether it exists there is not the caller's to
// learn).
absl::StatusOr<YouthState> LoadYouthInArea(Session& s, absl::string_view field,
                                           absl::string_view youth_id, absl::string_view area_id);
// The commitment `commitment_id` (named in `field`) if it is of `area_id`; NOT_FOUND "<field>: no
// commitment <commitment_id>", as the commands acting on a commitment answer an unknown id
// (Session::Load), for one that does not exist and one of another area alike, before anything
// of it (its status, its youth) is told.
absl::StatusOr<CommitmentState> LoadCommitmentInArea(Session& s, absl::string_view field,
                                                     absl::string_view commitment_id,
                                                     absl::string_view area_id);

// Whether `person`, recorded for `agency_id` (named in `field`), speaks for an agency: one of a
// registered agency other than the hotspot secretariat (the chief's office, which prepares and
// records the meetings), who that agency itself named (NamedByAgency: its register, its ladder,
// as they stand), not merely one the chief recorded under its id (review 13d, 3). An id of no
// agency is none. (Quorate, in meeting.cc, counts the members of a body of before under any id
// but the secretariat's.)
absl::StatusOr<bool> SpeaksForAnAgency(Session& s, absl::string_view field,
                                       absl::string_view agency_id, absl::string_view person);

// `person`, seated in or attending for `agency` (`agency_id`) a body that seats the agencies'
// people (not BodySeatsOutsiders), is one of its people: one the agency named itself
// (NamedByAgency); for the hotspot secretariat, the area's chief or staff too. The chief records
// the meetings and constitutes the task force; whom an agency sends is the agency's (review 13c,
// d; 13d, 3). FAILED_PRECONDITION naming `field` otherwise.
absl::Status OneOfItsPeople(const AreaState& area, const AgencyState& agency,
                            absl::string_view agency_id, absl::string_view person,
                            absl::string_view field);

// A decision recorded at `meeting` that changes a case (a plan, a closure, a handover) is
// decided with the agencies: someone attended for one (SpeaksForAnAgency; review 13b, N8). One
// check for the decision cited by a command (CitedDecision) and the one carrying its own plan or
// closure (RecordDecision; review 13d, 2). FAILED_PRECONDITION "<at>, which nobody attended for
// an agency ...: <change> is decided with the agencies" otherwise: `at` starts with the field and
// names the meeting.
absl::Status DecidedWithAgencies(Session& s, const MeetingState& meeting, absl::string_view at,
                                 absl::string_view change);

// The agency exists and belongs to the area.
absl::StatusOr<AgencyState> LoadAgencyInArea(Session& s, absl::string_view field,
                                             absl::string_view agency_id,
                                             absl::string_view area_id);

// A programme's goals, as AdoptProgramme and ProposeProgrammeRevision take them: each goal's
// measure is a measure's name ([a-z0-9_], e.g. "safety_index"), the name its measurements carry.
// INVALID_ARGUMENT naming goals[i].<field>.
absl::Status CheckProgrammeGoals(
    const google::protobuf::RepeatedPtrField<v1::ProgrammeGoal>& goals);

// `agency` (`agency_id`) may be given a task in `youth`'s case (security::MayTakeOnCasework:
// outside the § 115 exchange, only with a consent in force that names it).
absl::Status MayTakeOnCasework(const YouthState& youth, const AgencyState& agency,
                               absl::string_view agency_id, absl::string_view field);

// The person who answers an escalation to `agency` at `level` in `area`: its contact for that
// rung, "" if it has none. An agency's rungs are its middle manager, its director and its
// political contact. The police's are their own, never a mayor: the area's designated police
// coordinator (else the ladder's), the local police chief, the police director; a police ladder
// set before these rungs existed answers with its middle manager and director.
std::string ContactFor(const AreaState& area, const AgencyState& agency,
                       absl::string_view agency_id, v1::EscalationLevel level);

// What a change of who answers for `agency_id` (its ladder set anew, the area's police
// coordinator designated) does to an open `escalation` of it: `holders`, the contacts at its
// level and above as they stand (before); `changed`, the first of those levels whose contact the
// change gives to another person ("" if none). Such a change is made only by those holders or an
// admin (security::MayChangeEscalatedRungs): not by a lower rung naming himself to answer it.
struct RungChange {
  std::vector<std::string> holders;
  std::string changed;
};
RungChange ChangedRungs(const EscalationState& escalation, absl::string_view agency_id,
                        const AreaState& area_before, const AgencyState& agency_before,
                        const AreaState& area_after, const AgencyState& agency_after);

// The rung above the steering-group level that `person` holds on the police's `ladder` (the local
// police chief, the police director; on a ladder of before, the director or a political rung), or
// LEADERSHIP_LEVEL_UNSPECIFIED. An area's police coordinator answers at the steering-group level
// and holds none of them: one person, one rung, as on every ladder (review 13b, N2).
v1::LeadershipLevel PoliceRungAbove(const std::map<int, std::string>& ladder,
                                    absl::string_view person);

// The agency has a contact for escalations at `level` in `area`.
absl::Status HasContactAt(const AreaState& area, const AgencyState& agency,
                          absl::string_view agency_id, v1::EscalationLevel level);

template <typename Request>
std::optional<uint64_t> Pinned(const Request& request) {
  if (request.has_expected_version()) return request.expected_version();
  return std::nullopt;
}

// Starts every Decide(): checks the request id, opens the session.
template <typename Request>
absl::StatusOr<Session> Begin(const Request& request, const CommandContext& context) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  return Session(context, Pinned(request));
}

// Starts a system command's Decide() (system_commands.proto): as Begin(), for the system
// principal only (PERMISSION_DENIED before anything is read).
template <typename Request>
absl::StatusOr<Session> BeginSystem(const Request& request, const CommandContext& context,
                                    absl::string_view what) {
  RETURN_IF_ERROR(security::MayRecordSystemFact(context.principal, what));
  return Begin(request, context);
}

// A date as a day, and the moment a day begins (UTC): a date-bound deadline is missed at the
// start of the day after it.
inline absl::CivilDay DayOf(const v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}
inline absl::Time StartOf(absl::CivilDay day) { return absl::FromCivil(day, absl::UTCTimeZone()); }

// Finishes a system command's decision: its facts occurred at `at`, the deadline missed.
inline Decision FinishAt(Session& s, std::string id, absl::Time at) {
  Decision d = s.Finish(std::move(id));
  d.occurred_at = at;
  return d;
}

// ---- pieces more than one command uses ----

// The action plan's adoption or revision.
absl::Status PlanEvents(Session& s, const YouthState& youth, const std::string& youth_id,
                        const google::protobuf::RepeatedPtrField<std::string>& goals,
                        const v1::Date& review_date, absl::string_view reason,
                        const std::string& meeting_id, const std::string& decision_id);

// No commitment of the case is open. Reads each (so a concurrent change aborts the append).
absl::Status NoOpenCommitments(Session& s, const YouthState& youth, absl::string_view youth_id);

// The case's closure (no commitment open), at a meeting's decision if `meeting_id` is set.
absl::Status CloseEvents(Session& s, const YouthState& youth, const std::string& youth_id,
                         int outcome, absl::string_view note, const std::string& meeting_id,
                         const std::string& decision_id);

// The decision that a case change recorded by its own command stands on (AdoptActionPlan,
// CloseCase, HandOverToAdultServices; issue 13 S6: a decision of a body that decides is the
// origin of plan changes and closures). A rule for new commands: events of before name none.
//
// CheckCitedDecision: both ids given and well formed; INVALID_ARGUMENT naming decision_id or
// meeting_id otherwise.
absl::Status CheckCitedDecision(absl::string_view meeting_id, absl::string_view decision_id);
// CitedDecision: `decision_id` was recorded at `meeting_id`, a meeting of the youth's area that
// was held, of a body that decides (BodyDecides: the task force, the steering group); it is a
// decision, not a recommendation or information, about `youth_id`; and no change of the case
// cites it already (a decision with a plan or a closure is cited by the change it carried).
// FAILED_PRECONDITION naming decision_id, and why, otherwise. `change` names the change in the
// messages ("an action plan", "a closure").
absl::Status CitedDecision(Session& s, const YouthState& youth, absl::string_view youth_id,
                           const std::string& meeting_id, const std::string& decision_id,
                           absl::string_view change);

// An escalation's input, its fields prefixed with `field` ("" or "escalations[0].").
absl::Status CheckEscalationInput(absl::string_view field, const std::string& target, int level,
                                  absl::string_view reason,
                                  const google::protobuf::RepeatedPtrField<std::string>& ids);

// What an escalation concerns: its commitments, those of them declined (taken to the agency's
// leadership: the escalation takes them up, CommitmentTakenUp), and the one case it is about
// (the youth its reason is sealed under; "" for the area).
struct EscalationConcerns {
  std::vector<std::string> commitment_ids;
  std::vector<std::string> declined;
  std::string youth_id;
  // About the area: it concerns commitments of the area, none of a youth's case (set by a
  // decision about the area, or by the first area-level commitment named).
  bool area = false;
};

// Adds `commitment` (`id`, named by `field`) to what an escalation to `target` in `area_id`
// concerns. It must be of the area and owned by the target agency, and accepted by it (the
// agency's own, late or stuck), declined (taken to the agency's leadership), or proposed and left
// unanswered for the area's days to acknowledge (escalation_ack_days, 14 unless set) since it
// was proposed (its decision recorded; for a proposal of before, its meeting held: an agency
// that never answers is escalated like one that declines); not withdrawn, fulfilled or cancelled
// (nothing left to live up to); escalated by no escalation that stands (StandingEscalationOf:
// one escalation of a commitment at a time, moved up if its level does not answer); and of the
// escalation's case: a youth's commitment sets `concerns.youth_id`, which must not name another
// youth, and an area-level one sets `concerns.area`; one escalation never mixes the two (an
// agency with no task in a youth's case is not asked to answer for it, review 13c).
// FAILED_PRECONDITION naming `field`.
absl::Status AddEscalated(Session& s, const CommitmentState& commitment, absl::string_view field,
                          absl::string_view id, absl::string_view area_id, absl::string_view target,
                          EscalationConcerns& concerns);

// The escalation that stands (raised and not resolved) about the commitment `id` of the agency
// `owner`, "" if none: found among the escalations raised at the agency (AgencyEscalated; those
// raised before that event existed are not found). `field` names the commitment in errors.
absl::StatusOr<std::string> StandingEscalationOf(Session& s, absl::string_view field,
                                                 absl::string_view owner, absl::string_view id);

// Raises an escalation over `concerns`: the target agency must be of the area with a contact at
// the level; the target's stream records it (AgencyEscalated, for its ladder's changes); each
// declined commitment is marked taken up by it. Without a youth the reason stands in clear.
// About a youth's case it names the target's commitments in it (INVALID_ARGUMENT naming
// `field`commitment_ids otherwise): the agency answers for its own tasks, and so reads it.
// Returns the escalation's id.
absl::StatusOr<std::string> RaiseEvents(Session& s, absl::string_view field,
                                        const std::string& area_id, const std::string& target,
                                        v1::EscalationLevel level, absl::string_view reason,
                                        EscalationConcerns concerns, const std::string& meeting_id,
                                        const std::string& decision_id);

// Marks the declined commitment `id` of `area_id` taken up: by a commitment proposed in its place
// (`by_commitment`, at `meeting_id`'s `decision_id`) or by an escalation (`by_escalation`).
void TakeUp(Session& s, const std::string& id, const std::string& area_id,
            const std::string& by_commitment, const std::string& by_escalation,
            const std::string& meeting_id, const std::string& decision_id);

}  // namespace hotspot::domain

#endif  // HOTSPOT_SERVICES_DOMAIN_RULES_H_
