#include "services/domain/decide.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "services/security/policy.h"
#include "store/event_id.h"
#include "store/status_macros.h"

namespace hotspot::domain {
namespace {

constexpr size_t kMaxRequestIdBytes = 128;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxPersonBytes = 100;
constexpr size_t kMaxTextBytes = 10'000;
constexpr size_t kMaxSlugBytes = 60;
constexpr size_t kMaxIdBytes = 200;
constexpr int kMaxListEntries = 50;

// ---- input checks: INVALID_ARGUMENT, starting with the field's name ----

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool AllOf(absl::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }
bool IdChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}
bool SlugChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'; }
bool PersonChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@';
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max,
                       bool required = true) {
  if (required && absl::StripAsciiWhitespace(value).empty()) return Invalid(field, "required");
  if (value.size() > max) {
    return Invalid(field, absl::StrCat("at most ", max, " bytes, got ", value.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckPerson(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "required");
  if (value.size() > kMaxPersonBytes || !AllOf(value, PersonChar)) {
    return Invalid(
        field, absl::StrCat("must be 1 to ", kMaxPersonBytes, " characters of [A-Za-z0-9_.@-]"));
  }
  return absl::OkStatus();
}

// "<category>-" then 1 to kMaxSlugBytes of [a-z0-9-]: ids people choose (areas, agencies).
absl::Status CheckSlugId(absl::string_view field, absl::string_view value,
                         absl::string_view category) {
  const std::string prefix = absl::StrCat(category, "-");
  if (value.empty()) return Invalid(field, "required");
  const absl::string_view rest =
      absl::StartsWith(value, prefix) ? value.substr(prefix.size()) : absl::string_view();
  if (rest.empty() || rest.size() > kMaxSlugBytes || !AllOf(rest, SlugChar)) {
    return Invalid(field, absl::StrCat("must be \"", prefix, "\" then 1 to ", kMaxSlugBytes,
                                       " of [a-z0-9-], got \"", value.substr(0, 80), "\""));
  }
  return absl::OkStatus();
}

// "<category>-" then 1 or more of [A-Za-z0-9_.:-], at most kMaxIdBytes in all.
absl::Status CheckId(absl::string_view field, absl::string_view value, absl::string_view category,
                     bool required = true) {
  if (value.empty()) return required ? Invalid(field, "required") : absl::OkStatus();
  const std::string prefix = absl::StrCat(category, "-");
  if (!absl::StartsWith(value, prefix) || value.size() == prefix.size() ||
      value.size() > kMaxIdBytes || !AllOf(value, IdChar)) {
    return Invalid(field, absl::StrCat("must be a ", category, " id (\"", prefix, "...\"), got \"",
                                       value.substr(0, 80), "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) return Invalid(field, "required");
  if (!is_valid(value)) return Invalid(field, absl::StrCat("unknown value ", value));
  return absl::OkStatus();
}

bool ValidDate(const v1::Date& d) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1) {
    return false;
  }
  const absl::CivilDay day(d.year(), d.month(), d.day());
  return day.month() == d.month() && day.day() == d.day();  // CivilDay normalises overflow
}

absl::Status CheckDate(absl::string_view field, const v1::Date& date) {
  if (!ValidDate(date)) {
    return Invalid(field, absl::StrCat("not a valid date (", date.year(), "-", date.month(), "-",
                                       date.day(), ")"));
  }
  return absl::OkStatus();
}

std::string FormatDate(const v1::Date& d) {
  return absl::FormatCivilTime(absl::CivilDay(d.year(), d.month(), d.day()));
}

absl::CivilDay Today(const CommandContext& context) {
  return absl::ToCivilDay(context.now, absl::UTCTimeZone());
}

// A due or review date: valid and after today.
absl::Status CheckFutureDate(absl::string_view field, const v1::Date& date,
                             const CommandContext& context) {
  RETURN_IF_ERROR(CheckDate(field, date));
  const absl::CivilDay today = Today(context);
  if (absl::CivilDay(date.year(), date.month(), date.day()) <= today) {
    return Invalid(field, absl::StrCat("must be after today (", absl::FormatCivilTime(today),
                                       "), got ", FormatDate(date)));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& t) {
  // 1970 to 9999, as google.protobuf.Timestamp allows, and required.
  if (t.seconds() <= 0 || t.seconds() > 253402300799 || t.nanos() < 0 || t.nanos() > 999999999) {
    return Invalid(field, "required, a time between 1970 and 9999");
  }
  return absl::OkStatus();
}

absl::Status CheckCount(absl::string_view field, int count, int min, int max) {
  if (count < min || count > max) {
    return Invalid(field, absl::StrCat("needs ", min, " to ", max, " entries, got ", count));
  }
  return absl::OkStatus();
}

absl::Status CheckConcerns(absl::string_view field,
                           const google::protobuf::RepeatedField<int>& concerns, int min) {
  RETURN_IF_ERROR(CheckCount(field, concerns.size(), min, 10));
  for (int i = 0; i < concerns.size(); ++i) {
    RETURN_IF_ERROR(
        CheckEnum(absl::StrCat(field, "[", i, "]"), concerns[i], v1::ConcernCategory_IsValid));
  }
  return absl::OkStatus();
}

absl::Status CheckMembers(absl::string_view field,
                          const google::protobuf::RepeatedPtrField<v1::BodyMember>& members,
                          int min) {
  RETURN_IF_ERROR(CheckCount(field, members.size(), min, 100));
  for (int i = 0; i < members.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    RETURN_IF_ERROR(CheckId(absl::StrCat(at, ".agency_id"), members[i].agency_id(), "agency"));
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, ".person"), members[i].person()));
  }
  return absl::OkStatus();
}

absl::Status CheckGoals(absl::string_view field,
                        const google::protobuf::RepeatedPtrField<std::string>& goals) {
  RETURN_IF_ERROR(CheckCount(field, goals.size(), 1, 20));
  for (int i = 0; i < goals.size(); ++i) {
    RETURN_IF_ERROR(CheckText(absl::StrCat(field, "[", i, "]"), goals[i], kMaxTextBytes));
  }
  return absl::OkStatus();
}

// Checks "DDMMYY-NNNN".
absl::Status CheckCpr(absl::string_view field, absl::string_view cpr) {
  if (cpr.empty()) return absl::OkStatus();
  bool ok = cpr.size() == 11 && cpr[6] == '-';
  for (size_t i = 0; ok && i < cpr.size(); ++i) ok = i == 6 || absl::ascii_isdigit(cpr[i]);
  return ok ? absl::OkStatus() : Invalid(field, "must be DDMMYY-NNNN");
}

// Checks "YYYY-MM-DD".
absl::Status CheckBirthDate(absl::string_view field, absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) ||
      absl::FormatCivilTime(day) != text) {
    return Invalid(field, "must be a date YYYY-MM-DD");
  }
  return absl::OkStatus();
}

// ---- who may do what: PERMISSION_DENIED ----

// The policy's (services/security/policy.h), under the names the decide functions use.
absl::Status Denied(const Principal& p, absl::string_view what) {
  return security::Refuse(p, what);
}
absl::Status RequireArea(const Principal& p, absl::string_view area_id) {
  return security::MayActInArea(p, area_id);
}
using security::IsAgencyRole;
using security::IsCoordinator;
absl::Status RequireAreaManager(const Principal& p, absl::string_view area_id,
                                absl::string_view what) {
  return security::MayManageArea(p, area_id, what);
}
absl::Status RequireCoordinator(const Principal& p, absl::string_view area_id,
                                absl::string_view what) {
  return security::MayCoordinate(p, area_id, what);
}
absl::Status RequireCoordinatorOrOwnAgency(const Principal& p, absl::string_view area_id,
                                           absl::string_view agency_id, absl::string_view what) {
  return security::MayActForAgency(p, area_id, agency_id, what);
}

// ---- rules: FAILED_PRECONDITION ----

absl::Status Rule(bool holds, absl::string_view message) {
  return holds ? absl::OkStatus() : absl::FailedPreconditionError(message);
}

v1::Date DateOf(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

security::AgencyFacts FactsOf(absl::string_view agency_id, const AgencyState& agency) {
  return {std::string(agency_id), agency.kind, agency.self_governing_institution};
}

// The categories as sealed in events: their enum names joined by ",".
absl::StatusOr<v1::SealedText> SealConcerns(Session& s, absl::string_view youth_id,
                                            const google::protobuf::RepeatedField<int>& concerns) {
  std::vector<std::string> names;
  for (int c : concerns) names.push_back(v1::ConcernCategory_Name(c));
  return s.Seal(youth_id, "concern_categories", absl::StrJoin(names, ","));
}

// The youth's age in whole years on `today`, from its sealed birth date; nullopt if unknown.
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

// The agency exists and belongs to the area.
absl::StatusOr<AgencyState> LoadAgencyInArea(Session& s, absl::string_view field,
                                             absl::string_view agency_id,
                                             absl::string_view area_id) {
  ASSIGN_OR_RETURN(AgencyState agency, s.Load<AgencyState>(field, agency_id));
  RETURN_IF_ERROR(Rule(agency.area_id == area_id,
                       absl::StrCat(field, ": ", agency_id, " is not an agency of ", area_id)));
  return agency;
}

v1::LeadershipLevel RungFor(v1::EscalationLevel level) {
  switch (level) {
    case v1::ESCALATION_LEVEL_STEERING_GROUP:
      return v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER;
    case v1::ESCALATION_LEVEL_DIRECTOR:
      return v1::LEADERSHIP_LEVEL_DIRECTOR;
    case v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP:
      return v1::LEADERSHIP_LEVEL_POLITICAL;
    default:
      return v1::LEADERSHIP_LEVEL_UNSPECIFIED;
  }
}

absl::Status HasContactAt(const AgencyState& agency, absl::string_view agency_id,
                          v1::EscalationLevel level) {
  return Rule(agency.ladder.count(RungFor(level)) > 0,
              absl::StrCat(agency_id, " has no leadership contact for escalations at level ",
                           v1::EscalationLevel_Name(level), "; set its leadership ladder first"));
}

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

// ---- pieces more than one command uses ----

// The action plan's adoption or revision.
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

// No commitment of the case is open. Reads each (so a concurrent change aborts the append).
absl::Status NoOpenCommitments(Session& s, const YouthState& youth, absl::string_view youth_id) {
  std::vector<std::string> open;
  for (const std::string& id : youth.commitment_ids) {
    ASSIGN_OR_RETURN(const CommitmentState c, s.Load<CommitmentState>("commitment_ids", id));
    if (c.open()) open.push_back(id);
  }
  return Rule(open.empty(),
              absl::StrCat(youth_id, " has open commitments (", absl::StrJoin(open, ", "),
                           "): fulfil or cancel them before closing the case"));
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

absl::Status CheckEscalationInput(absl::string_view field, const std::string& target, int level,
                                  absl::string_view reason,
                                  const google::protobuf::RepeatedPtrField<std::string>& ids) {
  RETURN_IF_ERROR(CheckId(absl::StrCat(field, "target_agency_id"), target, "agency"));
  RETURN_IF_ERROR(CheckEnum(absl::StrCat(field, "level"), level, v1::EscalationLevel_IsValid));
  RETURN_IF_ERROR(CheckText(absl::StrCat(field, "reason"), reason, kMaxTextBytes));
  return CheckCount(absl::StrCat(field, "commitment_ids"), ids.size(), 0, kMaxListEntries);
}

// Raises an escalation: the target agency must be of the area with a contact at the level.
// `youth_id` may be empty (then the reason stands in clear).
absl::StatusOr<std::string> RaiseEvents(Session& s, absl::string_view field,
                                        const std::string& area_id, const std::string& target,
                                        v1::EscalationLevel level, absl::string_view reason,
                                        std::vector<std::string> commitment_ids,
                                        const std::string& youth_id, const std::string& meeting_id,
                                        const std::string& decision_id) {
  ASSIGN_OR_RETURN(const AgencyState agency,
                   LoadAgencyInArea(s, absl::StrCat(field, "target_agency_id"), target, area_id));
  RETURN_IF_ERROR(HasContactAt(agency, target, level));
  const std::string id = NewId("escalation");
  v1::Event event;
  v1::EscalationRaised* raised = event.mutable_escalation_raised();
  raised->set_escalation_id(id);
  raised->set_target_agency_id(target);
  raised->set_level(level);
  ASSIGN_OR_RETURN(*raised->mutable_reason(), s.Text(youth_id, "escalation_reason", reason));
  for (auto& c : commitment_ids) raised->add_commitment_ids(std::move(c));
  raised->set_youth_id(youth_id);
  raised->set_meeting_id(meeting_id);
  raised->set_decision_id(decision_id);
  s.Emit(id, area_id, std::move(event));
  return id;
}

}  // namespace

// ---- Session ----

Session::Session(const CommandContext& context, std::optional<uint64_t> pinned)
    : context_(context), pinned_(pinned) {}

template <typename State>
absl::StatusOr<State> Session::Load(absl::string_view field, absl::string_view id,
                                    bool must_exist) {
  RETURN_IF_ERROR(CheckId(field, id, CategoryOf<State>()));
  auto it = loaded_.find(std::string(id));
  if (it == loaded_.end()) {
    ASSIGN_OR_RETURN(StreamEvents read, context_.source->Read(id));
    if (id == main_ && pinned_.has_value() && *pinned_ != read.version) {
      return absl::AbortedError(absl::StrCat("expected_version: ", id, " is at version ",
                                             read.version, ", the request expected ", *pinned_));
    }
    writes_.push_back(StreamWrite{std::string(id), read.version, {}});
    it = loaded_.emplace(std::string(id), std::move(read)).first;
  }
  State state;
  for (const v1::Event& e : *it->second.events) Evolve(state, e);
  if (must_exist && !state.exists) {
    return absl::NotFoundError(absl::StrCat(field, ": no ", CategoryOf<State>(), " ", id));
  }
  return state;
}

template <typename State>
absl::StatusOr<State> Session::LoadMain(absl::string_view field, absl::string_view id,
                                        bool must_exist) {
  main_ = std::string(id);
  return Load<State>(field, id, must_exist);
}

void Session::Emit(const std::string& stream, const std::string& area_id, v1::Event event) {
  v1::Actor* actor = event.mutable_actor();
  actor->set_person(context_.principal.person);
  actor->set_agency_id(context_.principal.agency);
  actor->set_role(std::string(RoleName(context_.principal.role)));
  event.set_area_id(area_id);
  for (StreamWrite& w : writes_) {
    if (w.stream == stream) {
      w.events.push_back(std::move(event));
      return;
    }
  }
  // A stream not read: a new aggregate, which must not exist yet.
  writes_.push_back(StreamWrite{stream, 0, {}});
  writes_.back().events.push_back(std::move(event));
}

absl::StatusOr<v1::SealedText> Session::Seal(absl::string_view youth_id, absl::string_view field,
                                             absl::string_view text) {
  return context_.sealer->Seal(youth_id, field, text);
}

absl::StatusOr<v1::Text> Session::Text(absl::string_view youth_id, absl::string_view field,
                                       absl::string_view text) {
  v1::Text out;
  if (youth_id.empty()) {
    out.set_clear(std::string(text));
  } else {
    ASSIGN_OR_RETURN(*out.mutable_sealed(), Seal(youth_id, field, text));
  }
  return out;
}

Decision Session::Finish(std::string id, std::vector<std::string> created_ids) {
  Decision d;
  d.id = std::move(id);
  d.created_ids = std::move(created_ids);
  auto main = std::find_if(writes_.begin(), writes_.end(),
                           [&](const StreamWrite& w) { return w.stream == main_; });
  if (main != writes_.end()) std::rotate(writes_.begin(), main, main + 1);
  d.writes = std::move(writes_);
  return d;
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty()) return Invalid("request_id", "required");
  if (request_id.size() > kMaxRequestIdBytes || !AllOf(request_id, IdChar)) {
    return Invalid("request_id", absl::StrCat("must be 1 to ", kMaxRequestIdBytes,
                                              " characters of [A-Za-z0-9_.:-]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FieldSealer::NewSubject(absl::string_view category) {
  return NewId(category);
}

absl::StatusOr<std::optional<std::string>> FieldSealer::Open(const v1::SealedText&) {
  return std::nullopt;
}

absl::StatusOr<std::optional<std::string>> Session::Open(const v1::SealedText& sealed) {
  if (sealed.ciphertext().empty()) return std::nullopt;
  return context_.sealer->Open(sealed);
}

std::string NewId(absl::string_view category) {
  return absl::StrCat(category, "-", store::EventId::Generate().ToString());
}

// ---- Area ----

absl::StatusOr<Decision> Decide(const v1::EstablishAreaRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckSlugId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("municipality", r.municipality(), kMaxNameBytes));
  if (r.escalation_ack_days() < 0 || r.escalation_ack_days() > 365) {
    return Invalid("escalation_ack_days", "must be 0 (the default, 14) to 365");
  }
  RETURN_IF_ERROR(security::MayEstablishArea(c.principal, r.area_id()));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id(), false));
  if (area.exists) return absl::AlreadyExistsError(absl::StrCat(r.area_id(), " exists already"));
  v1::Event e;
  auto* x = e.mutable_area_established();
  x->set_area_id(r.area_id());
  x->set_name(r.name());
  x->set_municipality(r.municipality());
  x->set_escalation_ack_days(r.escalation_ack_days() == 0 ? 14 : r.escalation_ack_days());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AdoptProgrammeRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckCount("goals", r.goals_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.goals_size(); ++i) {
    const v1::ProgrammeGoal& g = r.goals(i);
    const std::string at = absl::StrCat("goals[", i, "]");
    if (g.goal_id().empty() || g.goal_id().size() > kMaxSlugBytes ||
        !AllOf(g.goal_id(), SlugChar)) {
      return Invalid(absl::StrCat(at, ".goal_id"), "must be 1 to 60 of [a-z0-9-]");
    }
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, ".description"), g.description(), kMaxTextBytes));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, ".measure"), g.measure(), kMaxNameBytes));
    if (g.has_target_date())
      RETURN_IF_ERROR(CheckDate(absl::StrCat(at, ".target_date"), g.target_date()));
  }
  RETURN_IF_ERROR(CheckText("summary", r.summary(), kMaxTextBytes, false));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "adopt the area's programme"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  v1::Event e;
  if (area.programme_revision == 0) {
    auto* x = e.mutable_programme_adopted();
    x->set_area_id(r.area_id());
    x->set_revision(1);
    *x->mutable_goals() = r.goals();
    x->set_summary(r.summary());
  } else {
    RETURN_IF_ERROR(CheckText("summary", r.summary(), kMaxTextBytes));  // the reason, required
    auto* x = e.mutable_programme_revised();
    x->set_area_id(r.area_id());
    x->set_revision(area.programme_revision + 1);
    *x->mutable_goals() = r.goals();
    x->set_reason(r.summary());
  }
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AppointChiefRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "appoint the chief"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(
      Rule(area.chief != r.person(), absl::StrCat(r.person(), " is the chief already")));
  v1::Event e;
  e.mutable_chief_appointed()->set_area_id(r.area_id());
  e.mutable_chief_appointed()->set_person(r.person());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::AssignStaffRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(CheckText("function", r.function(), kMaxNameBytes));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "assign staff"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  RETURN_IF_ERROR(Rule(area.staff.count(r.person()) == 0,
                       absl::StrCat(r.person(), " is on the staff already")));
  v1::Event e;
  auto* x = e.mutable_staff_assigned();
  x->set_area_id(r.area_id());
  x->set_person(r.person());
  x->set_function(r.function());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::ConstituteBodyRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  if (r.body_id().empty() || r.body_id().size() > kMaxSlugBytes || !AllOf(r.body_id(), SlugChar)) {
    return Invalid("body_id", "must be 1 to 60 of [a-z0-9-]");
  }
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::BodyKind_IsValid));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckMembers("members", r.members(), 1));
  const v1::Cadence& cadence = r.cadence();
  if ((cadence.min_meetings_per_year() > 0) == (cadence.every_weeks() > 0) ||
      cadence.min_meetings_per_year() < 0 || cadence.min_meetings_per_year() > 366 ||
      cadence.every_weeks() < 0 || cadence.every_weeks() > 52) {
    return Invalid("cadence",
                   "set exactly one of min_meetings_per_year (1-366) or every_weeks (1-52)");
  }
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "constitute a body"));
  ASSIGN_OR_RETURN(const AreaState area, s.LoadMain<AreaState>("area_id", r.area_id()));
  if (area.bodies.count(r.body_id()) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("body ", r.body_id(), " of ", r.area_id(), " exists already"));
  }
  std::set<std::string> agencies;
  for (int i = 0; i < r.members_size(); ++i) {
    if (!agencies.insert(r.members(i).agency_id()).second) continue;
    RETURN_IF_ERROR(LoadAgencyInArea(s, absl::StrCat("members[", i, "].agency_id"),
                                     r.members(i).agency_id(), r.area_id())
                        .status());
  }
  v1::Event e;
  auto* x = e.mutable_body_constituted();
  x->set_area_id(r.area_id());
  x->set_body_id(r.body_id());
  x->set_kind(r.kind());
  x->set_name(r.name());
  *x->mutable_members() = r.members();
  *x->mutable_cadence() = cadence;
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordMeasurementRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  if (r.measure().empty() || r.measure().size() > kMaxSlugBytes || !AllOf(r.measure(), [](char ch) {
        return absl::ascii_islower(ch) || absl::ascii_isdigit(ch) || ch == '_';
      })) {
    return Invalid("measure", "must be 1 to 60 of [a-z0-9_], e.g. \"safety_index\"");
  }
  RETURN_IF_ERROR(CheckEnum("scope", r.scope(), v1::MeasurementScope_IsValid));
  if (!r.has_measured_on()) return Invalid("measured_on", "required");
  RETURN_IF_ERROR(CheckDate("measured_on", r.measured_on()));
  if (!std::isfinite(r.value())) return Invalid("value", "must be a finite number");
  RETURN_IF_ERROR(CheckText("source", r.source(), kMaxNameBytes, false));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "record the area's measurements"));
  RETURN_IF_ERROR(s.LoadMain<AreaState>("area_id", r.area_id()).status());
  v1::Event e;
  auto* x = e.mutable_measurement_recorded();
  x->set_area_id(r.area_id());
  x->set_measure(r.measure());
  x->set_scope(r.scope());
  *x->mutable_measured_on() = r.measured_on();
  x->set_value(r.value());
  x->set_source(r.source());
  s.Emit(r.area_id(), r.area_id(), std::move(e));
  return s.Finish(r.area_id());
}

// ---- Agency ----

absl::StatusOr<Decision> Decide(const v1::RegisterAgencyRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckSlugId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckEnum("kind", r.kind(), v1::AgencyKind_IsValid));
  RETURN_IF_ERROR(RequireAreaManager(c.principal, r.area_id(), "register an agency"));
  ASSIGN_OR_RETURN(const AgencyState agency,
                   s.LoadMain<AgencyState>("agency_id", r.agency_id(), false));
  if (agency.exists) {
    return absl::AlreadyExistsError(absl::StrCat(r.agency_id(), " is registered already"));
  }
  RETURN_IF_ERROR(s.Load<AreaState>("area_id", r.area_id()).status());
  v1::Event e;
  auto* x = e.mutable_agency_registered();
  x->set_agency_id(r.agency_id());
  x->set_area_id(r.area_id());
  x->set_name(r.name());
  x->set_kind(r.kind());
  x->set_self_governing_institution(r.self_governing_institution());
  s.Emit(r.agency_id(), r.area_id(), std::move(e));
  return s.Finish(r.agency_id());
}

absl::StatusOr<Decision> Decide(const v1::SetLeadershipLadderRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckCount("contacts", r.contacts_size(), 1, 3));
  std::set<int> levels;
  for (int i = 0; i < r.contacts_size(); ++i) {
    const std::string at = absl::StrCat("contacts[", i, "]");
    RETURN_IF_ERROR(
        CheckEnum(absl::StrCat(at, ".level"), r.contacts(i).level(), v1::LeadershipLevel_IsValid));
    if (!levels.insert(r.contacts(i).level()).second) {
      return Invalid(absl::StrCat(at, ".level"), "each level at most once");
    }
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, ".person"), r.contacts(i).person()));
    RETURN_IF_ERROR(
        CheckText(absl::StrCat(at, ".title"), r.contacts(i).title(), kMaxNameBytes, false));
  }
  ASSIGN_OR_RETURN(const AgencyState agency, s.LoadMain<AgencyState>("agency_id", r.agency_id()));
  RETURN_IF_ERROR(security::MaySetLeadershipLadder(c.principal, agency.area_id, r.agency_id()));
  v1::Event e;
  e.mutable_leadership_ladder_set()->set_agency_id(r.agency_id());
  *e.mutable_leadership_ladder_set()->mutable_contacts() = r.contacts();
  s.Emit(r.agency_id(), agency.area_id, std::move(e));
  return s.Finish(r.agency_id());
}

// ---- Youth case ----

absl::StatusOr<Decision> Decide(const v1::ReferYouthRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(CheckId("referring_agency_id", r.referring_agency_id(), "agency"));
  RETURN_IF_ERROR(CheckPerson("referred_by", r.referred_by()));
  RETURN_IF_ERROR(CheckConcerns("concerns", r.concerns(), 1));
  RETURN_IF_ERROR(CheckText("description", r.description(), kMaxTextBytes));
  RETURN_IF_ERROR(CheckEnum("urgency", r.urgency(), v1::Urgency_IsValid));
  RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes, r.identity_known()));
  RETURN_IF_ERROR(CheckCpr("cpr_number", r.cpr_number()));
  RETURN_IF_ERROR(CheckBirthDate("birth_date", r.birth_date()));
  RETURN_IF_ERROR(CheckText("address", r.address(), 500, false));
  RETURN_IF_ERROR(RequireCoordinatorOrOwnAgency(c.principal, r.area_id(), r.referring_agency_id(),
                                                "refer a youth for this agency"));
  RETURN_IF_ERROR(s.Load<AreaState>("area_id", r.area_id()).status());
  RETURN_IF_ERROR(
      LoadAgencyInArea(s, "referring_agency_id", r.referring_agency_id(), r.area_id()).status());
  ASSIGN_OR_RETURN(const std::string id, c.sealer->NewSubject("youth"));
  v1::Event e;
  auto* x = e.mutable_youth_referred();
  x->set_youth_id(id);
  x->set_referring_agency_id(r.referring_agency_id());
  x->set_referred_by(r.referred_by());
  // Special-category and criminal-offence data (GDPR Art. 9, 10): sealed like the free texts.
  ASSIGN_OR_RETURN(*x->mutable_concerns_sealed(), SealConcerns(s, id, r.concerns()));
  x->set_concern_count(r.concerns_size());
  ASSIGN_OR_RETURN(*x->mutable_description(), s.Seal(id, "description", r.description()));
  x->set_urgency(r.urgency());
  x->set_identity_known(r.identity_known());
  const std::pair<const std::string*, v1::SealedText*> personal[] = {
      {&r.name(), x->mutable_name()},
      {&r.cpr_number(), x->mutable_cpr_number()},
      {&r.birth_date(), x->mutable_birth_date()},
      {&r.address(), x->mutable_address()},
  };
  const char* fields[] = {"name", "cpr_number", "birth_date", "address"};
  for (size_t i = 0; i < 4; ++i) {
    if (personal[i].first->empty()) continue;
    ASSIGN_OR_RETURN(*personal[i].second, s.Seal(id, fields[i], *personal[i].first));
  }
  s.Emit(id, r.area_id(), std::move(e));
  return s.Finish(id);
}

// Loads the main youth of a case command, checking the caller is a coordinator of its area.
absl::StatusOr<YouthState> LoadCaseForCoordinator(Session& s, const std::string& youth_id,
                                                  absl::string_view what) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(RequireCoordinator(s.principal(), youth.area_id, what));
  return youth;
}

absl::StatusOr<Decision> Decide(const v1::ScreenReferralRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, !r.accept()));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "screen referrals"));
  RETURN_IF_ERROR(Rule(youth.status == v1::CASE_STATUS_REFERRED,
                       absl::StrCat("the referral of ", r.youth_id(), " is screened already")));
  v1::Event e;
  if (r.accept()) {
    e.mutable_referral_accepted()->set_youth_id(r.youth_id());
    if (!r.reason().empty()) {
      ASSIGN_OR_RETURN(*e.mutable_referral_accepted()->mutable_note(),
                       s.Seal(r.youth_id(), "screening_note", r.reason()));
    }
  } else {
    e.mutable_referral_declined()->set_youth_id(r.youth_id());
    *e.mutable_referral_declined()->mutable_declined_on() =
        DateOf(absl::ToCivilDay(c.now, absl::UTCTimeZone()));
    ASSIGN_OR_RETURN(*e.mutable_referral_declined()->mutable_reason(),
                     s.Seal(r.youth_id(), "screening_note", r.reason()));
  }
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::AssignOutreachRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckPerson("person", r.person()));
  RETURN_IF_ERROR(CheckText("task", r.task(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "assign outreach"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no outreach task"));
  RETURN_IF_ERROR(LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id).status());
  v1::Event e;
  auto* x = e.mutable_outreach_assigned();
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_person(r.person());
  ASSIGN_OR_RETURN(*x->mutable_task(), s.Seal(r.youth_id(), "outreach_task", r.task()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::ShareConcernRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckEnum("legal_basis", r.legal_basis(), v1::LegalBasis_IsValid));
  RETURN_IF_ERROR(CheckText("legal_basis_other", r.legal_basis_other(), kMaxNameBytes,
                            r.legal_basis() == v1::LEGAL_BASIS_OTHER));
  RETURN_IF_ERROR(CheckConcerns("concerns", r.concerns(), 0));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  const bool on_consent = r.legal_basis() == v1::LEGAL_BASIS_CONSENT;
  // § 115 and § 63 d: only what is necessary for the crime-prevention purpose, and why.
  RETURN_IF_ERROR(CheckText("necessity", r.necessity(), kMaxTextBytes, !on_consent));
  RETURN_IF_ERROR(
      CheckCount("recipient_agency_ids", r.recipient_agency_ids_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.recipient_agency_ids_size(); ++i) {
    RETURN_IF_ERROR(CheckId(absl::StrCat("recipient_agency_ids[", i, "]"),
                            r.recipient_agency_ids(i), "agency"));
  }
  RETURN_IF_ERROR(CheckText("consent_scope", r.consent_scope(), kMaxNameBytes, false));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireCoordinatorOrOwnAgency(c.principal, youth.area_id, r.agency_id(),
                                                "share information for this agency"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "nothing more is shared"));
  ASSIGN_OR_RETURN(const AgencyState sharer,
                   LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id));
  RETURN_IF_ERROR(security::MayShareUnder(FactsOf(r.agency_id(), sharer), r.legal_basis()));
  std::set<std::string> recipients;
  for (int i = 0; i < r.recipient_agency_ids_size(); ++i) {
    const std::string& id = r.recipient_agency_ids(i);
    ASSIGN_OR_RETURN(
        const AgencyState recipient,
        LoadAgencyInArea(s, absl::StrCat("recipient_agency_ids[", i, "]"), id, youth.area_id));
    RETURN_IF_ERROR(security::MayReceiveUnder(FactsOf(id, recipient), r.legal_basis()));
    recipients.insert(id);
  }
  // On consent: a consent in force that covers the sharing agency and every recipient.
  std::string consent_scope;
  if (on_consent) {
    auto covers = [&](const YouthState::Consent& consent) {
      const std::set<std::string>& agencies = consent.agencies;
      if (agencies.empty()) return true;  // an unstructured consent of before: every agency
      if (agencies.count(r.agency_id()) == 0) return false;
      return std::all_of(recipients.begin(), recipients.end(),
                         [&](const std::string& a) { return agencies.count(a) > 0; });
    };
    if (!r.consent_scope().empty()) {
      const auto it = youth.consents.find(r.consent_scope());
      RETURN_IF_ERROR(Rule(it != youth.consents.end(),
                           absl::StrCat("consent_scope: no consent \"", r.consent_scope(),
                                        "\" is in force for ", r.youth_id())));
      RETURN_IF_ERROR(
          Rule(covers(it->second),
               absl::StrCat("consent_scope: the consent \"", r.consent_scope(),
                            "\" does not cover ", r.agency_id(), " and every recipient")));
      consent_scope = r.consent_scope();
    } else {
      std::vector<std::string> covering;
      for (const auto& [scope, consent] : youth.consents) {
        if (covers(consent)) covering.push_back(scope);
      }
      RETURN_IF_ERROR(Rule(!covering.empty(),
                           absl::StrCat("legal_basis: no consent in force for ", r.youth_id(),
                                        " covers ", r.agency_id(), " and every recipient")));
      if (covering.size() > 1) {
        return Invalid("consent_scope", "several consents cover this share: name one");
      }
      consent_scope = covering[0];
    }
    // What the consent covers: only its categories, and the share names them.
    const YouthState::Consent& consent = youth.consents.at(consent_scope);
    if (consent.categories.has_value()) {
      ASSIGN_OR_RETURN(const std::optional<std::string> opened, s.Open(*consent.categories));
      RETURN_IF_ERROR(Rule(opened.has_value(), absl::StrCat("consent_scope: the categories of \"",
                                                            consent_scope, "\" are erased")));
      const std::set<std::string> allowed = absl::StrSplit(*opened, ',', absl::SkipEmpty());
      RETURN_IF_ERROR(Rule(r.concerns_size() > 0,
                           absl::StrCat("concerns: a share on the consent \"", consent_scope,
                                        "\" names its categories (the consent covers ",
                                        absl::StrJoin(allowed, ", "), ")")));
      for (int i = 0; i < r.concerns_size(); ++i) {
        const std::string name = v1::ConcernCategory_Name(r.concerns(i));
        RETURN_IF_ERROR(
            Rule(allowed.count(name) > 0, absl::StrCat("concerns[", i, "]: the consent \"",
                                                       consent_scope, "\" does not cover ", name)));
      }
    }
  }
  v1::Event e;
  auto* x = e.mutable_concern_shared();
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_legal_basis(r.legal_basis());
  x->set_legal_basis_other(r.legal_basis_other());
  // Special-category and criminal-offence data (GDPR Art. 9, 10): sealed like the free texts.
  if (r.concerns_size() > 0) {
    ASSIGN_OR_RETURN(*x->mutable_concerns_sealed(), SealConcerns(s, r.youth_id(), r.concerns()));
  }
  x->set_concern_count(r.concerns_size());
  for (const std::string& id : recipients) x->add_recipient_agency_ids(id);
  if (!r.necessity().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_necessity(), s.Seal(r.youth_id(), "necessity", r.necessity()));
  }
  x->set_consent_scope(consent_scope);
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Seal(r.youth_id(), "concern", r.text()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// Consent is recorded by the chief's office or the social administration's caseworkers.
absl::StatusOr<YouthState> LoadCaseForConsent(Session& s, const std::string& youth_id) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(security::MayRecordConsent(s.principal(), youth.area_id));
  return youth;
}

absl::StatusOr<Decision> Decide(const v1::RecordConsentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("scope", r.scope(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("given_by", r.given_by(), kMaxPersonBytes));
  // Every new consent has its giver and scope; the unstructured consents of before are only
  // replayed (they cover every agency).
  RETURN_IF_ERROR(CheckEnum("giver", r.giver(), v1::ConsentGiver_IsValid));
  RETURN_IF_ERROR(CheckCount("agency_ids", r.agency_ids_size(), 1, kMaxListEntries));
  for (int i = 0; i < r.agency_ids_size(); ++i) {
    RETURN_IF_ERROR(CheckId(absl::StrCat("agency_ids[", i, "]"), r.agency_ids(i), "agency"));
  }
  RETURN_IF_ERROR(CheckText("purpose", r.purpose(), kMaxNameBytes));
  RETURN_IF_ERROR(CheckText("what", r.what(), kMaxTextBytes, false));
  RETURN_IF_ERROR(CheckConcerns("categories", r.categories(), 1));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForConsent(s, r.youth_id()));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no consent"));
  std::optional<int> age;
  for (int i = 0; i < r.agency_ids_size(); ++i) {
    RETURN_IF_ERROR(
        LoadAgencyInArea(s, absl::StrCat("agency_ids[", i, "]"), r.agency_ids(i), youth.area_id)
            .status());
  }
  // The youth gives consent from 15; a custody holder below that, and never for an adult.
  ASSIGN_OR_RETURN(age, AgeOf(s, youth, c.now));
  if (r.giver() == v1::CONSENT_GIVER_YOUTH) {
    RETURN_IF_ERROR(Rule(age.has_value(),
                         "giver: the youth's age is not known, so a custody holder gives consent"));
    RETURN_IF_ERROR(Rule(*age >= 15, absl::StrCat("giver: the youth is ", *age,
                                                  "; below 15 a custody holder gives consent")));
  } else {
    RETURN_IF_ERROR(
        Rule(!age.has_value() || *age < 18,
             absl::StrCat("giver: the youth is ", age.value_or(0), " and gives consent themself")));
  }
  v1::Event e;
  auto* x = e.mutable_consent_recorded();
  x->set_youth_id(r.youth_id());
  x->set_scope(r.scope());
  x->set_given_by(r.given_by());
  x->set_giver(r.giver());
  *x->mutable_agency_ids() = r.agency_ids();
  x->set_purpose(r.purpose());
  if (!r.what().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_what(), s.Seal(r.youth_id(), "consent_what", r.what()));
  }
  x->set_giver_age(age.value_or(-1));
  ASSIGN_OR_RETURN(*x->mutable_categories_sealed(), SealConcerns(s, r.youth_id(), r.categories()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::WithdrawConsentRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("scope", r.scope(), kMaxNameBytes));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForConsent(s, r.youth_id()));
  RETURN_IF_ERROR(
      Rule(youth.consents.count(r.scope()) > 0,
           absl::StrCat("scope: no consent \"", r.scope(), "\" is in force for ", r.youth_id())));
  v1::Event e;
  e.mutable_consent_withdrawn()->set_youth_id(r.youth_id());
  e.mutable_consent_withdrawn()->set_scope(r.scope());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::AdoptActionPlanRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckGoals("goals", r.goals()));
  RETURN_IF_ERROR(CheckFutureDate("review_date", r.review_date(), c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "adopt action plans"));
  if (youth.plan_revision > 0) RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  RETURN_IF_ERROR(
      PlanEvents(s, youth, r.youth_id(), r.goals(), r.review_date(), r.reason(), "", ""));
  return s.Finish(r.youth_id());
}

// Only the social administration's caseworkers record its assessments and decisions.
absl::Status RequireSocialCaseworker(Session& s, absl::string_view area_id,
                                     absl::string_view what) {
  const Principal& p = s.principal();
  // The caller's agency is read only where the role leaves it open.
  v1::AgencyKind kind = v1::AGENCY_KIND_UNSPECIFIED;
  if (p.role == Role::kSocialCaseworker && p.InArea(area_id)) {
    const absl::StatusOr<AgencyState> own = s.Load<AgencyState>("caller's agency", p.agency);
    if (own.ok()) kind = own->kind;
  }
  return security::MayActAsSocialAdministration(p, area_id, kind, what);
}

absl::StatusOr<Decision> Decide(const v1::RecordSocialDecisionRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckText("decision", r.decision(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireSocialCaseworker(
      s, youth.area_id,
      "record social assessments: only the social administration's caseworkers do"));
  RETURN_IF_ERROR(NotClosed(youth, r.youth_id(), "it takes no decision"));
  v1::Event e;
  auto* x = e.mutable_social_decision_recorded();
  x->set_youth_id(r.youth_id());
  x->set_decision_id(NewId("decision"));
  ASSIGN_OR_RETURN(*x->mutable_decision(), s.Seal(r.youth_id(), "social_decision", r.decision()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// ---- Child welfare (barnets lov) ----

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  out.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(out.seconds())) / absl::Nanoseconds(1)));
  return out;
}

// The youth's notification `id`, for a caseworker's next step.
absl::StatusOr<std::pair<YouthState, YouthState::Notification>> LoadNotification(
    Session& s, const std::string& youth_id, const std::string& notification_id,
    absl::string_view what) {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth"));
  RETURN_IF_ERROR(CheckId("notification_id", notification_id, "notification"));
  ASSIGN_OR_RETURN(YouthState youth, s.LoadMain<YouthState>("youth_id", youth_id));
  RETURN_IF_ERROR(RequireSocialCaseworker(s, youth.area_id, what));
  const auto it = youth.notifications.find(notification_id);
  if (it == youth.notifications.end()) {
    return absl::NotFoundError(
        absl::StrCat("notification_id: ", youth_id, " has no notification ", notification_id));
  }
  const YouthState::Notification notification = it->second;
  return std::make_pair(std::move(youth), notification);
}

absl::StatusOr<Decision> Decide(const v1::NotifyChildWelfareRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("agency_id", r.agency_id(), "agency"));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireCoordinatorOrOwnAgency(c.principal, youth.area_id, r.agency_id(),
                                                "notify for this agency"));
  RETURN_IF_ERROR(LoadAgencyInArea(s, "agency_id", r.agency_id(), youth.area_id).status());
  const std::string id = NewId("notification");
  v1::Event e;
  auto* x = e.mutable_notification_made();
  x->set_notification_id(id);
  x->set_youth_id(r.youth_id());
  x->set_agency_id(r.agency_id());
  x->set_notified_by(c.principal.person);
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Seal(r.youth_id(), "notification", r.text()));
  *x->mutable_assessment_due_at() = TimestampOf(c.now + kNotificationAssessmentTime);
  *x->mutable_receipt_due_on() = DateOf(AfterWorkingDays(
      absl::ToCivilDay(c.now, absl::UTCTimeZone()), kNotificationReceiptWorkingDays));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::AssessNotificationRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("assessment", r.assessment(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const auto found,
                   LoadNotification(s, r.youth_id(), r.notification_id(), "assess notifications"));
  RETURN_IF_ERROR(
      Rule(!found.second.assessed, absl::StrCat(r.notification_id(), " is assessed already")));
  v1::Event e;
  auto* x = e.mutable_notification_assessed();
  x->set_notification_id(r.notification_id());
  x->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*x->mutable_assessment(),
                   s.Seal(r.youth_id(), "notification_assessment", r.assessment()));
  s.Emit(r.youth_id(), found.first.area_id, std::move(e));
  return s.Finish(r.notification_id());
}

absl::StatusOr<Decision> Decide(const v1::ConfirmNotificationReceiptRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  ASSIGN_OR_RETURN(const auto found, LoadNotification(s, r.youth_id(), r.notification_id(),
                                                      "confirm the receipt of notifications"));
  RETURN_IF_ERROR(
      Rule(!found.second.receipt_confirmed,
           absl::StrCat("the receipt of ", r.notification_id(), " is confirmed already")));
  v1::Event e;
  auto* x = e.mutable_notification_receipt_confirmed();
  x->set_notification_id(r.notification_id());
  x->set_youth_id(r.youth_id());
  s.Emit(r.youth_id(), found.first.area_id, std::move(e));
  return s.Finish(r.notification_id());
}

absl::StatusOr<Decision> Decide(const v1::OpenChildWelfareInvestigationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("notification_id", r.notification_id(), "notification", false));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(RequireSocialCaseworker(s, youth.area_id, "open child-welfare investigations"));
  if (!r.notification_id().empty() && youth.notifications.count(r.notification_id()) == 0) {
    return absl::NotFoundError(absl::StrCat("notification_id: ", r.youth_id(),
                                            " has no notification ", r.notification_id()));
  }
  for (const auto& [id, completed] : youth.investigations) {
    RETURN_IF_ERROR(
        Rule(completed, absl::StrCat(r.youth_id(), " has an open investigation, ", id)));
  }
  const std::string id = NewId("investigation");
  const absl::CivilDay today = absl::ToCivilDay(c.now, absl::UTCTimeZone());
  const absl::CivilDay due = AddMonths(today, kInvestigationMonths);
  v1::Event e;
  auto* x = e.mutable_child_welfare_investigation_opened();
  x->set_investigation_id(id);
  x->set_youth_id(r.youth_id());
  x->set_notification_id(r.notification_id());
  *x->mutable_due_on() = DateOf(due);
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::CompleteChildWelfareInvestigationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("investigation_id", r.investigation_id(), "investigation"));
  RETURN_IF_ERROR(CheckText("conclusion", r.conclusion(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(
      RequireSocialCaseworker(s, youth.area_id, "complete child-welfare investigations"));
  const auto it = youth.investigations.find(r.investigation_id());
  if (it == youth.investigations.end()) {
    return absl::NotFoundError(absl::StrCat("investigation_id: ", r.youth_id(),
                                            " has no investigation ", r.investigation_id()));
  }
  RETURN_IF_ERROR(Rule(!it->second, absl::StrCat(r.investigation_id(), " is completed already")));
  v1::Event e;
  auto* x = e.mutable_child_welfare_investigation_completed();
  x->set_investigation_id(r.investigation_id());
  x->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*x->mutable_conclusion(),
                   s.Seal(r.youth_id(), "investigation_conclusion", r.conclusion()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.investigation_id());
}

absl::StatusOr<Decision> Decide(const v1::RectifyPersonalDataRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckEnum("field", r.field(), v1::PersonalDataField_IsValid));
  // The same checks as at referral; the value is required.
  static constexpr std::pair<v1::PersonalDataField, const char*> kFields[] = {
      {v1::PERSONAL_DATA_FIELD_NAME, "name"},
      {v1::PERSONAL_DATA_FIELD_CPR_NUMBER, "cpr_number"},
      {v1::PERSONAL_DATA_FIELD_BIRTH_DATE, "birth_date"},
      {v1::PERSONAL_DATA_FIELD_ADDRESS, "address"}};
  const char* sealed_as = "";
  for (const auto& [field, name] : kFields) {
    if (field == r.field()) sealed_as = name;
  }
  RETURN_IF_ERROR(CheckText("value", r.value(),
                            r.field() == v1::PERSONAL_DATA_FIELD_ADDRESS ? 500 : kMaxNameBytes));
  if (r.field() == v1::PERSONAL_DATA_FIELD_CPR_NUMBER)
    RETURN_IF_ERROR(CheckCpr("value", r.value()));
  if (r.field() == v1::PERSONAL_DATA_FIELD_BIRTH_DATE) {
    RETURN_IF_ERROR(CheckBirthDate("value", r.value()));
  }
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  const Principal& p = c.principal;
  RETURN_IF_ERROR(RequireArea(p, youth.area_id));
  if (!IsCoordinator(p)) {
    RETURN_IF_ERROR(
        RequireSocialCaseworker(s, youth.area_id, "correct a youth's identifying data"));
  }
  v1::Event e;
  auto* x = e.mutable_personal_data_rectified();
  x->set_youth_id(r.youth_id());
  x->set_field(r.field());
  // Sealed as the original field, so that it reads (and is erased) the same way.
  ASSIGN_OR_RETURN(*x->mutable_value(), s.Seal(r.youth_id(), sealed_as, r.value()));
  ASSIGN_OR_RETURN(*x->mutable_reason(), s.Seal(r.youth_id(), "rectification_reason", r.reason()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// ---- The data subject's access (GDPR Art. 15) ----

absl::StatusOr<Decision> Decide(const v1::RecordSubjectAccessRequestRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckEnum("requester", r.requester(), v1::ConsentGiver_IsValid));
  RETURN_IF_ERROR(CheckText("requested_by", r.requested_by(), kMaxNameBytes));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  if (!IsCoordinator(c.principal)) {
    RETURN_IF_ERROR(RequireSocialCaseworker(s, youth.area_id, "record subject access requests"));
  }
  RETURN_IF_ERROR(RequireArea(c.principal, youth.area_id));
  const std::string id = NewId("access");
  v1::Event e;
  auto* x = e.mutable_subject_access_requested();
  x->set_subject_access_id(id);
  x->set_youth_id(r.youth_id());
  x->set_requester(r.requester());
  ASSIGN_OR_RETURN(*x->mutable_requested_by(),
                   s.Seal(r.youth_id(), "subject_access_requested_by", r.requested_by()));
  *x->mutable_due_on() =
      DateOf(AddMonths(absl::ToCivilDay(c.now, absl::UTCTimeZone()), kSubjectAccessMonths));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(id);
}

absl::StatusOr<Decision> Decide(const v1::AnswerSubjectAccessCommand& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  RETURN_IF_ERROR(CheckId("subject_access_id", r.subject_access_id(), "access"));
  ASSIGN_OR_RETURN(const YouthState youth, s.LoadMain<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(security::MayAnswerSubjectAccess(c.principal, youth.area_id));
  if (youth.subject_access.count(r.subject_access_id()) == 0) {
    return absl::NotFoundError(absl::StrCat("subject_access_id: ", r.youth_id(),
                                            " has no subject access request ",
                                            r.subject_access_id()));
  }
  v1::Event e;
  auto* x = e.mutable_subject_access_answered();
  x->set_subject_access_id(r.subject_access_id());
  x->set_youth_id(r.youth_id());
  *x->mutable_redactions() = r.redactions();
  x->set_position(r.position());
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.subject_access_id());
}

absl::StatusOr<Decision> Decide(const v1::HandOverToAdultServicesRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("receiving_agency_id", r.receiving_agency_id(), "agency"));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const YouthState youth,
                   LoadCaseForCoordinator(s, r.youth_id(), "hand cases over"));
  RETURN_IF_ERROR(
      Rule(youth.status == v1::CASE_STATUS_ACCEPTED || youth.status == v1::CASE_STATUS_ACTIVE,
           absl::StrCat(r.youth_id(), " is not an accepted, open case")));
  RETURN_IF_ERROR(s.Load<AgencyState>("receiving_agency_id", r.receiving_agency_id()).status());
  v1::Event e;
  auto* x = e.mutable_handed_over_to_adult_services();
  x->set_youth_id(r.youth_id());
  x->set_receiving_agency_id(r.receiving_agency_id());
  *x->mutable_handed_over_on() = DateOf(absl::ToCivilDay(c.now, absl::UTCTimeZone()));
  if (!r.note().empty()) {
    ASSIGN_OR_RETURN(*x->mutable_note(), s.Seal(r.youth_id(), "handover_note", r.note()));
  }
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::CloseCaseRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckEnum("outcome", r.outcome(), v1::CaseOutcome_IsValid));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForCoordinator(s, r.youth_id(), "close cases"));
  RETURN_IF_ERROR(CloseEvents(s, youth, r.youth_id(), r.outcome(), r.note(), "", ""));
  return s.Finish(r.youth_id());
}

absl::StatusOr<Decision> Decide(const v1::ReopenCaseRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("reason", r.reason(), kMaxTextBytes));
  ASSIGN_OR_RETURN(const YouthState youth, LoadCaseForCoordinator(s, r.youth_id(), "reopen cases"));
  RETURN_IF_ERROR(Rule(youth.status == v1::CASE_STATUS_CLOSED || youth.declined,
                       absl::StrCat(r.youth_id(), " is neither closed nor declined")));
  v1::Event e;
  e.mutable_case_reopened()->set_youth_id(r.youth_id());
  ASSIGN_OR_RETURN(*e.mutable_case_reopened()->mutable_reason(),
                   s.Seal(r.youth_id(), "reopen_reason", r.reason()));
  s.Emit(r.youth_id(), youth.area_id, std::move(e));
  return s.Finish(r.youth_id());
}

// ---- Meeting ----

absl::StatusOr<Decision> Decide(const v1::ScheduleMeetingRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  if (r.body_id().empty()) return Invalid("body_id", "required");
  RETURN_IF_ERROR(CheckTimestamp("scheduled_at", r.scheduled_at()));
  RETURN_IF_ERROR(RequireCoordinator(c.principal, r.area_id(), "schedule meetings"));
  ASSIGN_OR_RETURN(const AreaState area, s.Load<AreaState>("area_id", r.area_id()));
  if (area.bodies.count(r.body_id()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("body_id: ", r.area_id(), " has no body \"", r.body_id().substr(0, 80), "\""));
  }
  const std::string id = NewId("meeting");
  v1::Event e;
  auto* x = e.mutable_meeting_scheduled();
  x->set_meeting_id(id);
  x->set_body_id(r.body_id());
  *x->mutable_scheduled_at() = r.scheduled_at();
  s.Emit(id, r.area_id(), std::move(e));
  return s.Finish(id);
}

absl::StatusOr<MeetingState> LoadMeetingForCoordinator(Session& s, const std::string& meeting_id,
                                                       absl::string_view what) {
  RETURN_IF_ERROR(CheckId("meeting_id", meeting_id, "meeting"));
  ASSIGN_OR_RETURN(MeetingState meeting, s.LoadMain<MeetingState>("meeting_id", meeting_id));
  RETURN_IF_ERROR(RequireCoordinator(s.principal(), meeting.area_id, what));
  return meeting;
}

absl::StatusOr<Decision> Decide(const v1::RecordAttendanceRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckTimestamp("held_at", r.held_at()));
  RETURN_IF_ERROR(CheckMembers("attendance", r.attendance(), 1));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "record meetings"));
  RETURN_IF_ERROR(
      Rule(!meeting.held, absl::StrCat(r.meeting_id(), " is recorded as held already")));
  v1::Event e;
  auto* x = e.mutable_meeting_held();
  x->set_meeting_id(r.meeting_id());
  *x->mutable_held_at() = r.held_at();
  *x->mutable_attendance() = r.attendance();
  s.Emit(r.meeting_id(), meeting.area_id, std::move(e));
  return s.Finish(r.meeting_id());
}

absl::StatusOr<Decision> Decide(const v1::AddAgendaItemRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth"));
  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "set agendas"));
  ASSIGN_OR_RETURN(const YouthState youth, s.Load<YouthState>("youth_id", r.youth_id()));
  RETURN_IF_ERROR(Rule(youth.area_id == meeting.area_id,
                       absl::StrCat("youth_id: ", r.youth_id(), " is not of ", meeting.area_id)));
  RETURN_IF_ERROR(Rule(meeting.agenda.count(r.youth_id()) == 0,
                       absl::StrCat(r.youth_id(), " is on the agenda already")));
  v1::Event e;
  e.mutable_agenda_item_added()->set_meeting_id(r.meeting_id());
  e.mutable_agenda_item_added()->set_youth_id(r.youth_id());
  s.Emit(r.meeting_id(), meeting.area_id, std::move(e));
  return s.Finish(r.meeting_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordDecisionRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth", /*required=*/false));
  RETURN_IF_ERROR(CheckText("text", r.text(), kMaxTextBytes));
  RETURN_IF_ERROR(CheckCount("commitments", r.commitments_size(), 0, kMaxListEntries));
  RETURN_IF_ERROR(CheckCount("escalations", r.escalations_size(), 0, 10));
  for (int i = 0; i < r.commitments_size(); ++i) {
    const v1::NewCommitment& nc = r.commitments(i);
    const std::string at = absl::StrCat("commitments[", i, "].");
    RETURN_IF_ERROR(CheckId(absl::StrCat(at, "owning_agency_id"), nc.owning_agency_id(), "agency"));
    RETURN_IF_ERROR(CheckPerson(absl::StrCat(at, "responsible_person"), nc.responsible_person()));
    RETURN_IF_ERROR(CheckText(absl::StrCat(at, "action"), nc.action(), kMaxTextBytes));
    if (!nc.has_due_date()) return Invalid(absl::StrCat(at, "due_date"), "required");
    RETURN_IF_ERROR(CheckFutureDate(absl::StrCat(at, "due_date"), nc.due_date(), c));
  }
  for (int i = 0; i < r.escalations_size(); ++i) {
    const v1::NewEscalation& ne = r.escalations(i);
    RETURN_IF_ERROR(CheckEscalationInput(absl::StrCat("escalations[", i, "]."),
                                         ne.target_agency_id(), ne.level(), ne.reason(),
                                         ne.commitment_ids()));
  }
  const bool changes_case = r.case_change_case() != v1::RecordDecisionRequest::CASE_CHANGE_NOT_SET;
  if (changes_case && r.youth_id().empty()) {
    return Invalid("youth_id", "required for a decision that changes a case");
  }
  if (r.has_plan()) {
    RETURN_IF_ERROR(CheckGoals("plan.goals", r.plan().goals()));
    RETURN_IF_ERROR(CheckFutureDate("plan.review_date", r.plan().review_date(), c));
  }
  if (r.case_change_case() == v1::RecordDecisionRequest::kCloseWithOutcome) {
    RETURN_IF_ERROR(
        CheckEnum("close_with_outcome", r.close_with_outcome(), v1::CaseOutcome_IsValid));
    RETURN_IF_ERROR(Rule(r.commitments_size() == 0,
                         "a decision that closes the case cannot make commitments for it"));
  }

  ASSIGN_OR_RETURN(const MeetingState meeting,
                   LoadMeetingForCoordinator(s, r.meeting_id(), "record decisions"));
  RETURN_IF_ERROR(Rule(
      meeting.held, absl::StrCat(r.meeting_id(), " is not held yet: record its attendance first")));
  const std::string& youth_id = r.youth_id();
  YouthState youth;
  if (!youth_id.empty()) {
    RETURN_IF_ERROR(
        Rule(meeting.agenda.count(youth_id) > 0,
             absl::StrCat("youth_id: ", youth_id, " is not on the agenda of ", r.meeting_id())));
    ASSIGN_OR_RETURN(youth, s.Load<YouthState>("youth_id", youth_id));
    if (r.commitments_size() > 0) {
      RETURN_IF_ERROR(NotClosed(youth, youth_id, "it takes no new commitments"));
    }
  }
  const std::string decision_id = NewId("decision");
  const std::string& area_id = meeting.area_id;
  std::vector<std::string> created;

  std::vector<std::string> commitment_ids;
  for (int i = 0; i < r.commitments_size(); ++i) {
    const v1::NewCommitment& nc = r.commitments(i);
    const std::string field = absl::StrCat("commitments[", i, "].owning_agency_id");
    const absl::StatusOr<AgencyState> owner = s.Load<AgencyState>(field, nc.owning_agency_id());
    if (absl::IsNotFound(owner.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": a commitment needs a registered owning agency; ",
                       nc.owning_agency_id(), " is not registered"));
    }
    RETURN_IF_ERROR(owner.status());
    const std::string id = NewId("commitment");
    v1::Event e;
    auto* x = e.mutable_commitment_made();
    x->set_commitment_id(id);
    x->set_owning_agency_id(nc.owning_agency_id());
    x->set_responsible_person(nc.responsible_person());
    ASSIGN_OR_RETURN(*x->mutable_action(), s.Text(youth_id, "commitment_action", nc.action()));
    *x->mutable_due_date() = nc.due_date();
    x->set_youth_id(youth_id);
    x->set_meeting_id(r.meeting_id());
    x->set_decision_id(decision_id);
    s.Emit(id, area_id, std::move(e));
    if (!youth_id.empty()) {
      v1::Event link;
      link.mutable_commitment_linked()->set_youth_id(youth_id);
      link.mutable_commitment_linked()->set_commitment_id(id);
      s.Emit(youth_id, area_id, std::move(link));
    }
    commitment_ids.push_back(id);
    created.push_back(id);
  }

  std::vector<std::string> escalation_ids;
  for (int i = 0; i < r.escalations_size(); ++i) {
    const v1::NewEscalation& ne = r.escalations(i);
    std::vector<std::string> concerns;
    for (int j = 0; j < ne.commitment_ids_size(); ++j) {
      const std::string& ref = ne.commitment_ids(j);
      const std::string field = absl::StrCat("escalations[", i, "].commitment_ids[", j, "]");
      if (absl::StartsWith(ref, "new:")) {
        int n = -1;
        if (!absl::SimpleAtoi(ref.substr(4), &n) || n < 0 || n >= r.commitments_size()) {
          return Invalid(field, absl::StrCat("\"", ref, "\" names no commitment of this decision"));
        }
        concerns.push_back(commitment_ids[n]);
      } else {
        RETURN_IF_ERROR(s.Load<CommitmentState>(field, ref).status());
        concerns.push_back(ref);
      }
    }
    ASSIGN_OR_RETURN(std::string id,
                     RaiseEvents(s, absl::StrCat("escalations[", i, "]."), area_id,
                                 ne.target_agency_id(), ne.level(), ne.reason(),
                                 std::move(concerns), youth_id, r.meeting_id(), decision_id));
    escalation_ids.push_back(id);
    created.push_back(id);
  }

  v1::CaseStatus status_after = v1::CASE_STATUS_UNSPECIFIED;
  if (r.has_plan()) {
    RETURN_IF_ERROR(PlanEvents(s, youth, youth_id, r.plan().goals(), r.plan().review_date(),
                               r.text(), r.meeting_id(), decision_id));
    status_after = v1::CASE_STATUS_ACTIVE;
  } else if (r.case_change_case() == v1::RecordDecisionRequest::kCloseWithOutcome) {
    RETURN_IF_ERROR(CloseEvents(s, youth, youth_id, r.close_with_outcome(), r.text(),
                                r.meeting_id(), decision_id));
    status_after = v1::CASE_STATUS_CLOSED;
  }

  v1::Event e;
  auto* x = e.mutable_decision_recorded();
  x->set_meeting_id(r.meeting_id());
  x->set_decision_id(decision_id);
  x->set_youth_id(youth_id);
  ASSIGN_OR_RETURN(*x->mutable_text(), s.Text(youth_id, "decision_text", r.text()));
  for (const auto& id : commitment_ids) x->add_commitment_ids(id);
  for (const auto& id : escalation_ids) x->add_escalation_ids(id);
  x->set_case_status(status_after);
  s.Emit(r.meeting_id(), area_id, std::move(e));
  return s.Finish(decision_id, std::move(created));
}

// ---- Commitment ----

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
  RETURN_IF_ERROR(CheckFutureDate("new_due_date", r.new_due_date(), c));
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

// ---- Escalation ----

absl::StatusOr<Decision> Decide(const v1::RaiseEscalationRequest& r, const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckId("area_id", r.area_id(), "area"));
  RETURN_IF_ERROR(
      CheckEscalationInput("", r.target_agency_id(), r.level(), r.reason(), r.commitment_ids()));
  RETURN_IF_ERROR(CheckId("youth_id", r.youth_id(), "youth", /*required=*/false));
  if (r.youth_id().empty() && r.commitment_ids_size() == 0) {
    return Invalid("commitment_ids", "name the commitments or the case (youth_id) it concerns");
  }
  RETURN_IF_ERROR(RequireCoordinator(c.principal, r.area_id(), "raise escalations"));
  std::string youth_id = r.youth_id();
  if (!youth_id.empty()) {
    ASSIGN_OR_RETURN(const YouthState youth, s.Load<YouthState>("youth_id", youth_id));
    RETURN_IF_ERROR(Rule(youth.area_id == r.area_id(),
                         absl::StrCat("youth_id: ", youth_id, " is not of ", r.area_id())));
  }
  std::vector<std::string> concerns;
  for (int i = 0; i < r.commitment_ids_size(); ++i) {
    const std::string field = absl::StrCat("commitment_ids[", i, "]");
    ASSIGN_OR_RETURN(const CommitmentState commitment,
                     s.Load<CommitmentState>(field, r.commitment_ids(i)));
    RETURN_IF_ERROR(
        Rule(commitment.area_id == r.area_id(),
             absl::StrCat(field, ": ", r.commitment_ids(i), " is not of ", r.area_id())));
    // An escalation about a youth's commitment is about the youth: its reason is sealed.
    if (youth_id.empty()) youth_id = commitment.youth_id;
    concerns.push_back(r.commitment_ids(i));
  }
  ASSIGN_OR_RETURN(const std::string id,
                   RaiseEvents(s, "", r.area_id(), r.target_agency_id(), r.level(), r.reason(),
                               std::move(concerns), youth_id, "", ""));
  return s.Finish(id);
}

absl::StatusOr<EscalationState> LoadOpenEscalation(Session& s, const std::string& id) {
  RETURN_IF_ERROR(CheckId("escalation_id", id, "escalation"));
  ASSIGN_OR_RETURN(EscalationState escalation, s.LoadMain<EscalationState>("escalation_id", id));
  RETURN_IF_ERROR(RequireArea(s.principal(), escalation.area_id));
  return escalation;
}

absl::Status RequireTargetLeadership(const Principal& p, const EscalationState& e,
                                     absl::string_view what) {
  return security::MayAnswerForAgency(p, e.target_agency_id, what);
}

absl::StatusOr<Decision> Decide(const v1::AcknowledgeEscalationRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckText("note", r.note(), kMaxTextBytes, false));
  ASSIGN_OR_RETURN(const EscalationState escalation, LoadOpenEscalation(s, r.escalation_id()));
  RETURN_IF_ERROR(RequireTargetLeadership(c.principal, escalation, "acknowledge this escalation"));
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
  RETURN_IF_ERROR(RequireCoordinator(c.principal, escalation.area_id, "move escalations up"));
  RETURN_IF_ERROR(Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved")));
  RETURN_IF_ERROR(Rule(
      escalation.level != v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP,
      absl::StrCat(r.escalation_id(), " is at the political follow-up group, the last level")));
  const auto next = static_cast<v1::EscalationLevel>(escalation.level + 1);
  ASSIGN_OR_RETURN(const AgencyState target,
                   s.Load<AgencyState>("target_agency_id", escalation.target_agency_id));
  RETURN_IF_ERROR(HasContactAt(target, escalation.target_agency_id, next));
  v1::Event e;
  auto* x = e.mutable_escalation_moved_up();
  x->set_escalation_id(r.escalation_id());
  x->set_from_level(escalation.level);
  x->set_to_level(next);
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
  RETURN_IF_ERROR(RequireTargetLeadership(c.principal, escalation, "resolve this escalation"));
  RETURN_IF_ERROR(
      Rule(!escalation.resolved, absl::StrCat(r.escalation_id(), " is resolved already")));
  v1::Event e;
  e.mutable_escalation_resolved()->set_escalation_id(r.escalation_id());
  ASSIGN_OR_RETURN(*e.mutable_escalation_resolved()->mutable_outcome(),
                   s.Text(escalation.youth_id, "escalation_outcome", r.outcome()));
  s.Emit(r.escalation_id(), escalation.area_id, std::move(e));
  return s.Finish(r.escalation_id());
}

// ---- erasure ----

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
  ASSIGN_OR_RETURN(const YouthState youth, s.Load<YouthState>("youth_id", r.youth_id()));
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
  ASSIGN_OR_RETURN(ErasureState erasure, s.LoadMain<ErasureState>("erasure_id", id));
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
  x->set_reason(r.reason());
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
  x->set_reason(r.reason());
  s.Emit(r.erasure_id(), erasure.area_id, std::move(e));
  return s.Finish(r.erasure_id());
}

absl::StatusOr<Decision> Decide(const v1::RecordArchiveAssessmentRequest& r,
                                const CommandContext& c) {
  ASSIGN_OR_RETURN(Session s, Begin(r, c));
  RETURN_IF_ERROR(CheckEnum("outcome", r.outcome(), v1::ArchiveOutcome_IsValid));
  RETURN_IF_ERROR(CheckText("reference", r.reference(), kMaxNameBytes));
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
  RETURN_IF_ERROR(CheckText("reference", r.reference(), kMaxNameBytes));
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
