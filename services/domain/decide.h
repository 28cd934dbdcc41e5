// decide: what a command does. Each Decide() overload checks its request's input, loads the
// aggregates it needs through a Session, checks the caller's role and the domain's rules, and
// returns the events to append, stream by stream, with the version each stream was read at.
// It has no I/O of its own: streams come from an EventSource and personal data is sealed by a
// FieldSealer, both given by the caller (the command service, or a test).
//
// Errors (absl codes; the command service maps them to gRPC codes one to one):
//   INVALID_ARGUMENT     malformed input; the message starts with the field's name
//   NOT_FOUND            an id names nothing
//   ALREADY_EXISTS       the area, agency or body a request establishes exists already
//   FAILED_PRECONDITION  a rule of the domain is broken
//   PERMISSION_DENIED    the caller's role, agency or area may not do it
//   ABORTED              the request pinned an expected version the stream is not at (told
//                        only when everything else succeeded, and for a youth's case only to a
//                        caller who may see every change of it: see Decided())
//   others               from the EventSource, the FieldSealer or ReportFigures, as they
//                        returned them (SubmitReport: UNAVAILABLE without ReportFigures)
//
// The rooms: one file per aggregate, each with its tests beside it (area, agency, youth,
// meeting, commitment, escalation, erasure .cc and _test.cc); checks.h holds the input checks
// (shared with the read side), rules.h the rules and steps several aggregates share, session.cc
// the Session, test_world.h the tests' world without I/O.
//
// Thread-safety: Decide() is reentrant; a Session belongs to one call.
#ifndef HOTSPOT_SERVICES_DOMAIN_DECIDE_H_
#define HOTSPOT_SERVICES_DOMAIN_DECIDE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/events.pb.h"
#include "hotspot/v1/system_commands.pb.h"
#include "services/domain/aggregates.h"
#include "services/domain/checks.h"
#include "services/security/policy.h"
#include "services/security/principal.h"
#include "store/status_macros.h"

namespace hotspot::domain {

// Who acts is the security module's (services/security/principal.h).
using security::Principal;
using security::Role;
using security::RoleName;

// A stream as read: its events, oldest first, shared (a source may cache them), and its
// version (0 and no events for an unknown stream).
struct StreamEvents {
  uint64_t version = 0;
  std::shared_ptr<const std::vector<v1::Event>> events;
};

// Reads a stream for deciding.
class EventSource {
 public:
  virtual ~EventSource() = default;
  virtual absl::StatusOr<StreamEvents> Read(absl::string_view stream) = 0;
};

// Seals a personal-data field of a data subject (security::Sealer in the server), and names
// new data subjects.
class FieldSealer {
 public:
  virtual ~FieldSealer() = default;
  virtual absl::StatusOr<v1::SealedText> Seal(absl::string_view subject, absl::string_view field,
                                              absl::string_view text) = 0;
  // A fresh id for a new data subject of `category` ("youth" -> "youth-..."). The server's key
  // store hands out ids whose data keys are durable already. Default: NewId(category).
  virtual absl::StatusOr<std::string> NewSubject(absl::string_view category);
  // The text of a sealed field, for a rule that needs it (a youth's age, from the birth date);
  // nullopt if it was erased or cannot be read here. Default: nullopt.
  virtual absl::StatusOr<std::optional<std::string>> Open(const v1::SealedText& sealed);
};

// The figures of the chief's report (SubmitReport): the area's dashboard of a period, as the
// views show it now. Deciding is pure, so the figures come from this interface, which the
// server implements over the query side (services/queries) and a test with canned figures:
// the domain names what it needs and the dependency stays server -> queries, server ->
// commands -> domain. Errors: the query side's (e.g. PERMISSION_DENIED, INVALID_ARGUMENT),
// passed on as they are.
class ReportFigures {
 public:
  virtual ~ReportFigures() = default;
  virtual absl::StatusOr<v1::AreaDashboard> Compile(const Principal& who, absl::string_view area_id,
                                                    const v1::Date& period_start,
                                                    const v1::Date& period_end) = 0;
};

// What a Session learns before the policy has admitted the caller, and tells only to a caller
// it admits (Decided(), below): that the youth whose case is the command's main aggregate has no
// case (NOT_FOUND), or that the main aggregate is not at the version the request pinned
// (ABORTED). Told earlier, either answered any token, of any role and area, whether a youth
// has a case and, from its version, when a confidential event was added to it.
struct Withheld {
  absl::Status status;  // the main youth's NOT_FOUND; OK if none
  // The pinned version's ABORTED, told only if the command would otherwise have succeeded: no
  // other outcome may depend on the version.
  absl::Status stale;
  // The main aggregate as loaded, if it is a youth's case: its id, and its area ("" if it has no
  // case). A refusal of a caller outside that area names neither the area nor the case's
  // existence (Decided()).
  std::string youth_id;
  std::string youth_area_id;
};

struct CommandContext {
  Principal principal;  // the caller: checked, and the actor of every event
  absl::Time now;       // decides what "today" is (UTC) for due dates
  EventSource* source = nullptr;
  FieldSealer* sealer = nullptr;
  // How long a case's records are kept after it ended; an erasure request within it is refused
  // at once (but on ground (d)). Default: 1,826 days.
  absl::Duration retention = absl::Hours(24 * 1826);
  // The figures for SubmitReport; without it, SubmitReport fails with UNAVAILABLE.
  // Default: none.
  ReportFigures* figures = nullptr;
  // Where the Session keeps what it withholds until the policy has spoken (set by Decided()).
  // Null: the Session fails at once, as soon as it finds it. Default: null.
  Withheld* withheld = nullptr;
};

// The events for one stream, and the version they were decided against (0: no stream yet).
// With no events, the stream was read and must still be at that version when appending.
struct StreamWrite {
  std::string stream;
  uint64_t expected_version = 0;
  std::vector<v1::Event> events;
};

struct Decision {
  std::string id;                        // the aggregate acted on or created
  // The request's pin was compared and held: a concurrent change before the append is ABORTED,
  // not decided again. False without a pin, and for a pin that was ignored (Session::Load).
  bool pin_held = false;
  std::vector<std::string> created_ids;  // others created, in request order
  std::vector<StreamWrite> writes;       // every stream read or written; the main stream first
  // When its facts occurred, if not at the command's `now`: a deadline missed occurred at the
  // deadline, whenever the system noticed it (the system's commands, system_commands.proto).
  std::optional<absl::Time> occurred_at;
};

// ABORTED for a request that pinned `pinned` of stream `id`, which is at `actual`. The actual
// version is named only to a principal who may see every change to a case
// (security::MaySeeEveryChange): to anyone else it would date the events it may not see.
absl::Status StaleVersion(const Principal& who, absl::string_view id, uint64_t pinned,
                          uint64_t actual);

// One Decide() call's reads and writes.
class Session {
 public:
  // `pinned`: the version the request pinned for its main aggregate, if any.
  Session(const CommandContext& context, std::optional<uint64_t> pinned);

  // Loads the aggregate with stream name `id`, which must be of State's category (e.g.
  // "youth-..." for YouthState). `field` names the request field for errors. NOT_FOUND if it
  // does not exist (with must_exist), ABORTED if it is the main aggregate and the request pinned
  // another version. For the main aggregate both are withheld (context().withheld, if set; the
  // NOT_FOUND only for a youth's case): the load returns the state as read (an empty one if none
  // exists) and Decide() goes on to its policy checks.
  // A youth's case counts events of the confidential kinds (security::IsConfidentialEventType),
  // so its version is compared with the pin only for a caller who may see every change
  // (security::MaySeeEveryChange); anyone else's pin is ignored, and the command is decided
  // against the case as it is, as an unpinned one.
  template <typename State>
  absl::StatusOr<State> Load(absl::string_view field, absl::string_view id, bool must_exist = true);
  // Like Load(), for the command's main aggregate (checked against the pinned version). A
  // commitment, escalation or meeting of an area whose cases the caller may not learn of
  // (security::MayLearnOfCaseIn) is NOT_FOUND in the words of an unknown id.
  template <typename State>
  absl::StatusOr<State> LoadMain(absl::string_view field, absl::string_view id,
                                 bool must_exist = true);

  // Adds an event to `stream`, stamped with the caller as actor and with `area_id`.
  void Emit(const std::string& stream, const std::string& area_id, v1::Event event);

  // A sealed field of `youth_id`. Fails with the withheld error, if any: nothing is sealed for a
  // command that will not be carried out (nor a key made for a youth that has no case).
  absl::StatusOr<v1::SealedText> Seal(absl::string_view youth_id, absl::string_view field,
                                      absl::string_view text);
  // The text of a sealed field (FieldSealer::Open); nullopt if it cannot be read.
  absl::StatusOr<std::optional<std::string>> Open(const v1::SealedText& sealed);
  // Free text: sealed under the youth if `youth_id` is set, in clear for the area otherwise.
  absl::StatusOr<v1::Text> Text(absl::string_view youth_id, absl::string_view field,
                                absl::string_view text);

  const CommandContext& context() const { return context_; }
  const Principal& principal() const { return context_.principal; }

  Decision Finish(std::string id, std::vector<std::string> created_ids = {});

 private:
  // Keeps `status` for Decided() if the context has a place for it (then OK), else returns it.
  absl::Status Withhold(absl::Status status);
  // The same for the pin's ABORTED (Withheld::stale), the main stream being at `actual`.
  absl::Status Stale(absl::string_view id, uint64_t actual);
  // Whether the pin is compared: always, but for a youth's case (`youth`) with a caller who may
  // not see every change of it.
  bool PinApplies(bool youth) const;

  const CommandContext& context_;
  std::optional<uint64_t> pinned_;
  bool pin_held_ = false;
  std::string main_;
  std::vector<StreamWrite> writes_;             // in order of first use
  std::map<std::string, StreamEvents> loaded_;  // stream -> its events, as read
};

// ---- Session's templates ----

// NOT_FOUND "<field>: no <category> <id>": an unknown id, and one the caller may not learn of.
template <typename State>
absl::Status NoSuch(absl::string_view field, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat(field, ": no ", CategoryOf<State>(), " ", id));
}

template <typename State>
absl::StatusOr<State> Session::Load(absl::string_view field, absl::string_view id,
                                    bool must_exist) {
  RETURN_IF_ERROR(CheckId(field, id, CategoryOf<State>()));
  auto it = loaded_.find(std::string(id));
  if (it == loaded_.end()) {
    ASSIGN_OR_RETURN(StreamEvents read, context_.source->Read(id));
    if (id == main_ && pinned_.has_value() && PinApplies(std::is_same_v<State, YouthState>)) {
      pin_held_ = *pinned_ == read.version;
      if (!pin_held_) RETURN_IF_ERROR(Stale(id, read.version));
    }
    writes_.push_back(StreamWrite{std::string(id), read.version, {}});
    it = loaded_.emplace(std::string(id), std::move(read)).first;
  }
  State state;
  for (const v1::Event& e : *it->second.events) Evolve(state, e);
  if constexpr (std::is_same_v<State, YouthState>) {
    if (id == main_ && context_.withheld != nullptr) {
      context_.withheld->youth_id = std::string(id);
      context_.withheld->youth_area_id = state.area_id;
    }
  }
  if (must_exist && !state.exists) {
    absl::Status missing = NoSuch<State>(field, id);
    // Whether a youth has a case is withheld; an unknown agency, commitment or meeting is not.
    if (id != main_ || !std::is_same_v<State, YouthState>) return missing;
    RETURN_IF_ERROR(Withhold(std::move(missing)));
  }
  return state;
}

template <typename State>
absl::StatusOr<State> Session::LoadMain(absl::string_view field, absl::string_view id,
                                        bool must_exist) {
  main_ = std::string(id);
  ASSIGN_OR_RETURN(State state, Load<State>(field, id, must_exist));
  // A commitment, an escalation or a meeting of an area the caller may not learn of is refused
  // as an unknown id is, so that its area is not named (review 13b, N10; a youth's case: Told()).
  if constexpr (std::is_same_v<State, CommitmentState> || std::is_same_v<State, EscalationState> ||
                std::is_same_v<State, MeetingState>) {
    if (state.exists && !security::MayLearnOfCaseIn(context_.principal, state.area_id)) {
      return NoSuch<State>(field, id);
    }
  }
  return state;
}

// What Decided() tells of a Decide() that ended in `decided`, given what its Session withheld;
// OK: the decision stands.
absl::Status Told(const Principal& who, const Withheld& withheld, const absl::Status& decided);

// Runs Decide(request, context) and tells what its Session withheld only to a caller the policy
// admitted, in this order:
//   - a caller who may not learn of the case of the youth that is the command's main aggregate
//     (outside its area: security::MayLearnOfCaseIn) gets security::RefuseOutsideCase() for any
//     failure, whatever the rule that failed: a youth with no case and a youth of another area
//     are refused alike, in the same words;
//   - a refusal (PERMISSION_DENIED) stands;
//   - then the withheld NOT_FOUND of the main youth, then Decide()'s own error;
//   - the pinned version's ABORTED only if all else succeeded, so no other outcome depends on
//     the version.
// Every caller of Decide() outside the domain's own tests goes through here.
template <typename Request>
absl::StatusOr<Decision> Decided(const Request& request, const CommandContext& context) {
  Withheld withheld;
  CommandContext c = context;
  c.withheld = &withheld;
  absl::StatusOr<Decision> decision = Decide(request, c);
  RETURN_IF_ERROR(Told(context.principal, withheld, decision.status()));
  return decision;
}

absl::StatusOr<Decision> Decide(const v1::RequestErasureRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ApproveErasureRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RefuseErasureRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ExecuteErasureRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::NotifyChildWelfareRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AssessNotificationRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ConfirmNotificationReceiptRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::OpenChildWelfareInvestigationRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::CompleteChildWelfareInvestigationRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RectifyPersonalDataRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordArchiveAssessmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordSubjectAccessRequestRequest& request,
                                const CommandContext& c);
// Not an RPC: appended by hotspotd when an export answers a subject access request.
absl::StatusOr<Decision> Decide(const v1::AnswerSubjectAccessCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordArchiveTransferRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::EstablishAreaRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AdoptProgrammeRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AppointChiefRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AssignStaffRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ConstituteBodyRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordMeasurementRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::DefineMeasureRequest& request, const CommandContext& c);
// The chief's report, frozen (ReportSubmitted) with the figures of `c.figures`.
absl::StatusOr<Decision> Decide(const v1::SubmitReportRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::DesignatePoliceCoordinatorRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ProposeProgrammeRevisionRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AppointBoardMemberRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RemoveBoardMemberRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RegisterAgencyRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::LinkAgencyToAreaRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::SetLeadershipLadderRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::NameAgencyPeopleRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ReferYouthRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ScreenReferralRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AssignOutreachRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ShareConcernRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordOutreachOutcomeRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::IdentifyYouthRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordConsentRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::WithdrawConsentRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AdoptActionPlanRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordSocialDecisionRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::HandOverToAdultServicesRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::CloseCaseRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ReopenCaseRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ScheduleMeetingRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordAttendanceRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AddAgendaItemRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordDecisionRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AcknowledgeCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ReportProgressRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RenegotiateCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::FulfilCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::CancelCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AcceptCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::DeclineCommitmentRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordFollowUpRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::WithdrawProposalRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RaiseEscalationRequest& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::AcknowledgeEscalationRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MoveEscalationUpRequest& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::ResolveEscalationRequest& request,
                                const CommandContext& c);

// The system's commands (system_commands.proto): the time-driven facts of hotspotd's deadline
// process. Only the system principal runs them (PERMISSION_DENIED for anyone else, before any
// read). Each checks its rule against the aggregate's state and `now`, and refuses with
// FAILED_PRECONDITION a fact that does not hold (any more), or that is recorded already: also one
// recorded under other event ids by the deadline process of before. Its Decision's occurred_at
// is the deadline that was missed.
absl::StatusOr<Decision> Decide(const v1::MarkCommitmentOverdueCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkEscalationNotAcknowledgedCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::RecordAgencyEscalatedCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkBodyBehindCadenceCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkReviewDatePassedCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkEighteenthBirthdayNearCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::LapseConsentCommand& request, const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkNotificationAssessmentOverdueCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkNotificationReceiptOverdueCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkInvestigationOverdueCommand& request,
                                const CommandContext& c);
absl::StatusOr<Decision> Decide(const v1::MarkSubjectAccessOverdueCommand& request,
                                const CommandContext& c);
// INVALID_ARGUMENT (half_year_end) for a day that ends no half-year.
absl::StatusOr<Decision> Decide(const v1::MarkHalfYearlyReportMissingCommand& request,
                                const CommandContext& c);

// Days after a half-year's end within which its half-yearly report is due.
inline constexpr int kHalfYearlyReportGraceDays = 30;

// A fresh id of a category, e.g. NewId("youth") -> "youth-0193c1d2-...". Not personal data.
std::string NewId(absl::string_view category);

}  // namespace hotspot::domain

#endif  // HOTSPOT_SERVICES_DOMAIN_DECIDE_H_
