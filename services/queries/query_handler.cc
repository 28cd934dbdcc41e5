#include "services/queries/query_handler.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "services/common/wire.h"
#include "services/domain/aggregates.h"
#include "services/domain/rules.h"
#include "services/projections/area_views.h"
#include "services/projections/case_views.h"
#include "services/projections/duplicate_index.h"
#include "services/projections/view_util.h"
#include "services/queries/personal_data.h"
#include "services/queries/query_util.h"
#include "store/status_macros.h"

namespace hotspot::queries {
namespace {

absl::Status RequireArea(const security::Principal& who, absl::string_view area_id) {
  if (area_id.empty()) return Invalid("area_id", "required");
  return security::MayReadArea(who, area_id);
}

v1::Date DateOfDay(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool Open(const v1::CommitmentView& c) { return c.state() == v1::COMMITMENT_STATE_OPEN; }

// Overdue as of `today`: open and past its due date (or marked so by the deadline process).
void MarkOverdue(v1::CommitmentView* c, absl::CivilDay today) {
  const absl::CivilDay due(c->due_date().year(), c->due_date().month(), c->due_date().day());
  if (Open(*c) && due < today) {
    c->set_overdue(true);
    c->set_days_overdue(static_cast<int32_t>(today - due));
  }
}

}  // namespace

QueryHandler::QueryHandler(const projections::Projector* views, security::Sealer* sealer,
                           const security::PublicHead* heads,
                           absl::AnyInvocable<absl::Time() const> clock, uint64_t start_head)
    : views_(views),
      sealer_(sealer),
      heads_(heads),
      clock_(std::move(clock)),
      start_head_(start_head) {}

absl::CivilDay QueryHandler::Today() const {
  return absl::ToCivilDay(clock_ ? clock_() : absl::Now(), absl::UTCTimeZone());
}

absl::StatusOr<uint64_t> QueryHandler::Awaited(const security::Principal& who,
                                               uint64_t min_position) const {
  // Beyond the head: no wait would end. Not quoted: for who does not see every change, it is the
  // public head, and the real one must not be guessed from the message either.
  if (min_position > heads_->For(who)) {
    return absl::OutOfRangeError(
        "min_position: beyond the log's head; pass a position a command or a query returned");
  }
  const uint64_t awaited = std::max(min_position, start_head_);
  return awaited > views_->position() ? awaited : 0;
}

absl::StatusOr<uint64_t> QueryHandler::Reach(const security::Principal& who, uint64_t min_position,
                                             absl::Time deadline) const {
  ASSIGN_OR_RETURN(const uint64_t awaited, Awaited(who, min_position));
  if (awaited > 0) RETURN_IF_ERROR(views_->WaitFor(awaited, deadline));
  return std::min(views_->position(), heads_->For(who));
}

absl::StatusOr<std::optional<v1::CaseView>> LoadCaseRow(const projections::Projector& views,
                                                        absl::string_view youth_id) {
  return LoadRow<v1::CaseView>(views, projections::kCasesView, projections::CaseKey(youth_id));
}

absl::StatusOr<std::optional<v1::CaseView>> LoadCaseHead(const projections::Projector& views,
                                                         absl::string_view youth_id) {
  const std::string key = projections::CaseKey(youth_id);
  ASSIGN_OR_RETURN(const std::optional<std::string> row, views.Get(projections::kCasesView, key));
  if (!row.has_value()) return std::nullopt;
  v1::CaseView head;
  common::wire::WireReader reader(*row);
  common::wire::WireField field;
  while (reader.Next(field)) {
    if (field.type != common::wire::kLength) continue;
    if (field.number == v1::CaseView::kYouthIdFieldNumber) head.set_youth_id(std::string(field.value));
    if (field.number == v1::CaseView::kAreaIdFieldNumber) head.set_area_id(std::string(field.value));
  }
  if (reader.failed()) {
    return absl::DataLossError(
        absl::StrCat("the row ", key, " of ", projections::kCasesView, " is unreadable"));
  }
  return head;
}

absl::Status CaseFor(const security::Principal& who, absl::string_view youth_id,
                     const std::optional<v1::CaseView>& view) {
  if (!security::MayLearnOfCaseIn(who, view.has_value() ? view->area_id() : "")) {
    return security::RefuseOutsideCase(who, youth_id);
  }
  if (!view.has_value()) return absl::NotFoundError(absl::StrCat("youth_id: no case ", youth_id));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::CaseView>> QueryHandler::LoadCase(
    absl::string_view youth_id) const {
  return LoadCaseRow(*views_, youth_id);
}

absl::StatusOr<std::string> QueryHandler::ChiefOf(absl::string_view area_id) const {
  ASSIGN_OR_RETURN(const std::optional<v1::LeadershipContact> chief,
                   LoadRow<v1::LeadershipContact>(*views_, projections::kAreaView,
                                                  projections::ChiefKey(area_id)));
  return chief.has_value() ? chief->person() : std::string();
}

namespace {

void Withhold(v1::PersonalField* field, const char* reason) {
  if (field->has_sealed()) field->mutable_withheld()->set_reason(reason);
}

// The categories a sealed field held ("CONCERN_CATEGORY_CHARGES,..."), into `out`, for a reader
// who saw them.
void ParseCategories(const v1::PersonalField& field, google::protobuf::RepeatedField<int>* out) {
  if (!field.has_text()) return;
  out->Clear();
  for (absl::string_view name : absl::StrSplit(field.text(), ',', absl::SkipEmpty())) {
    v1::ConcernCategory category;
    if (v1::ConcernCategory_Parse(std::string(name), &category)) out->Add(category);
  }
}

}  // namespace

absl::Status PresentCase(v1::CaseView* view, bool allowed, security::Sealer& sealer,
                         absl::CivilDay today, security::Disclosures& shown,
                         const security::Principal* who) {
  // Need-to-know for each part of the case, settled before anything is unsealed. Who may not see
  // the case sees none of it (`allowed` false); who may, sees each part the policy lets them
  // (`who`; none given: all of it, for an audit).
  auto may = [&](auto policy) { return allowed && (who == nullptr || policy(*who)); };
  const char* const reason = allowed ? "not_recipient" : "not_allowed";
  auto withhold = [reason](std::initializer_list<v1::PersonalField*> fields) {
    for (v1::PersonalField* field : fields) Withhold(field, reason);
  };
  // A shared concern: the others see that it exists, its basis, its date and who shared it.
  for (v1::SharedConcern& concern : *view->mutable_concerns_shared()) {
    if (may([&](const auto& p) { return security::MaySeeConcern(p, *view, concern); })) continue;
    const bool ended = allowed && who != nullptr && security::ConsentEndedFor(*who, *view, concern);
    for (v1::PersonalField* field :
         {concern.mutable_text(), concern.mutable_necessity(), concern.mutable_concerns_sealed()}) {
      Withhold(field, ended ? "consent_ended" : reason);
    }
    concern.clear_concerns();
  }
  // The identity numbers: the name and address serve an outside agency's task, the CPR number
  // and birth date do not.
  const bool identity_numbers =
      may([](const auto& p) { return security::MaySeeIdentityNumbers(p); });
  if (!identity_numbers) withhold({view->mutable_cpr_number(), view->mutable_birth_date()});
  // The referral's content: the others (§ 115 parties included) get who referred, when, how
  // urgently and the number of categories (GDPR Art. 9, 10).
  if (!may([&](const auto& p) { return security::MaySeeReferral(p, *view); })) {
    v1::Referral& referral = *view->mutable_referral();
    referral.clear_concerns();
    withhold({referral.mutable_description(), referral.mutable_concerns_sealed()});
  }
  // The casework (screening note, action plan, other agencies' commitments) to the § 115
  // parties: a housing association or an NGO involved through its own commitment reads that.
  if (!may([](const auto& p) { return security::MaySeeCasework(p); })) {
    WithholdPersonalData(view->mutable_screening(), reason);
    WithholdPersonalData(view->mutable_action_plan(), reason);
  }
  for (v1::CommitmentView& c : *view->mutable_commitments()) {
    if (may([&](const auto& p) { return security::MaySeeCasework(p, c.owning_agency_id()); })) {
      continue;
    }
    WithholdPersonalData(&c, reason);
  }
  // An outreach task is casework too: its agency reads its own.
  for (v1::OutreachView& task : *view->mutable_outreach()) {
    if (may([&](const auto& p) { return security::MaySeeCasework(p, task.agency_id()); })) {
      continue;
    }
    WithholdPersonalData(&task, reason);
  }
  // A consent's scope, giver, purpose, wording and categories: the others see the kind of giver,
  // its dates and whether it stands.
  std::set<std::string> seen_consents;  // by security::ConsentKey
  for (v1::ConsentView& consent : *view->mutable_consents()) {
    if (may([&](const auto& p) { return security::MaySeeConsent(p, consent); })) {
      seen_consents.insert(security::ConsentKey(consent));
      continue;
    }
    consent.clear_given_by();
    consent.clear_purpose();
    consent.clear_scope();
    withhold({consent.mutable_given_by_sealed(), consent.mutable_purpose_sealed(),
              consent.mutable_categories_sealed(), consent.mutable_what(),
              consent.mutable_scope_sealed()});
  }
  // That the child was notified to the social administration, investigated, or that the family
  // asked for its data: the others do not learn it at all.
  auto& notifications = *view->mutable_notifications();
  notifications.erase(std::remove_if(notifications.begin(), notifications.end(),
                                     [&](const v1::NotificationView& n) {
                                       return !may([&](const auto& p) {
                                         return security::MaySeeNotification(p, n);
                                       });
                                     }),
                      notifications.end());
  if (!may(security::MaySeeNotificationAssessment)) {
    for (v1::NotificationView& n : notifications) withhold({n.mutable_assessment()});
  }
  if (!may(security::MaySeeInvestigations)) view->clear_investigations();
  if (!may(security::MaySeeSocialDecisions)) view->clear_social_decisions();
  if (!may(security::MaySeeSubjectAccessRequests)) view->clear_subject_access_requests();
  // The position of the case's last event a later one of which would date what is withheld.
  if (!may(security::MaySeeEveryChange)) view->set_position(view->position_for_all());
  view->clear_position_for_all();
  // A consent's scope is the words someone chose to name it ("the mother's consent for
  // school"): named elsewhere in the case only where the reader sees that consent.
  // (A consent of before is named by its scope in clear; a newer one by its sealed name, read
  // below.)
  auto hidden = [&](const std::string& key) { return seen_consents.count(key) == 0; };
  auto& scopes = *view->mutable_consent_scopes();
  scopes.erase(std::remove_if(scopes.begin(), scopes.end(), hidden), scopes.end());
  for (v1::SharedConcern& concern : *view->mutable_concerns_shared()) {
    if (hidden(security::ConsentKey(concern))) concern.clear_consent_scope();
  }
  RETURN_IF_ERROR(
      ResolvePersonalData(view, view->youth_id(), view->area_id(), allowed, sealer, shown));
  // What is dated by the birth date tells it: the day a consent lapsed at 18, and the flag
  // raised 90 days before the 18th birthday. Not for a reader who may not see the birth date,
  // and for nobody once the youth is erased (the view's flag; as of a day before the erasure,
  // the erased key).
  if (!identity_numbers || view->erased() || view->birth_date().withheld().reason() == "erased") {
    view->clear_turns_18_soon();
    for (v1::ConsentView& consent : *view->mutable_consents()) consent.clear_lapsed_at();
  }
  std::map<std::string, std::string> names;  // a newer consent's id -> its latest name
  for (v1::ConsentView& consent : *view->mutable_consents()) {
    if (!consent.scope_sealed().has_text()) continue;
    consent.set_scope(consent.scope_sealed().text());
    names[consent.consent_id()] = consent.scope();
    if (consent.in_force()) scopes.Add(std::string(consent.scope()));
  }
  for (v1::SharedConcern& concern : *view->mutable_concerns_shared()) {
    const auto name = names.find(concern.consent_id());
    if (!concern.consent_id().empty() && name != names.end()) {
      concern.set_consent_scope(name->second);
    }
  }
  ParseCategories(view->referral().concerns_sealed(), view->mutable_referral()->mutable_concerns());
  for (v1::SharedConcern& concern : *view->mutable_concerns_shared()) {
    ParseCategories(concern.concerns_sealed(), concern.mutable_concerns());
  }
  for (v1::ConsentView& consent : *view->mutable_consents()) {
    ParseCategories(consent.categories_sealed(), consent.mutable_categories());
  }
  for (v1::CommitmentView& c : *view->mutable_commitments()) MarkOverdue(&c, today);
  for (v1::OutreachView& task : *view->mutable_outreach()) {
    const v1::Date& due = task.due_on();
    task.set_overdue(task.has_due_on() && !task.has_outcome_at() &&
                     absl::CivilDay(due.year(), due.month(), due.day()) < today);
  }
  if (view->birth_date().has_text()) {
    if (const auto adult = projections::EighteenthBirthday(view->birth_date().text())) {
      *view->mutable_eighteenth_birthday() = DateOfDay(*adult);
    }
    if (const std::optional<int> age = domain::AgeOn(view->birth_date().text(), today)) {
      view->set_seventeen_or_older(*age >= 17);
      view->set_adult(*age >= 18);
    }
  }
  return absl::OkStatus();
}

absl::Status QueryHandler::Present(const security::Principal& who, v1::CaseView* view,
                                   security::Disclosures& shown) const {
  return PresentCase(view, security::MaySeePersonalData(who, *view), *sealer_, Today(), shown,
                     &who);
}

absl::StatusOr<Disclosed<v1::GetCaseResponse>> QueryHandler::GetCase(
    const security::Principal& who, const v1::GetCaseRequest& request, absl::Time deadline) const {
  RETURN_IF_ERROR(CheckId("youth_id", request.youth_id(), "youth", /*required=*/true));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  ASSIGN_OR_RETURN(std::optional<v1::CaseView> view, LoadCase(request.youth_id()));
  RETURN_IF_ERROR(CaseFor(who, request.youth_id(), view));
  RETURN_IF_ERROR(security::MayReadArea(who, view->area_id()));
  Disclosed<v1::GetCaseResponse> out;
  ASSIGN_OR_RETURN(const std::string chief, ChiefOf(view->area_id()));
  const bool duplicates = security::MaySeePossibleDuplicates(who, *view, chief);
  RETURN_IF_ERROR(Present(who, &*view, out.disclosures));
  if (duplicates) {
    // The flag says that another youth has this one's CPR number, or name and birth date: a read
    // of that youth's identifying data, recorded as such.
    ASSIGN_OR_RETURN(std::vector<v1::PossibleDuplicate> found,
                     projections::PossibleDuplicates(*views_, view->youth_id()));
    for (v1::PossibleDuplicate& duplicate : found) {
      out.disclosures.Shown(duplicate.youth_id(), duplicate.area_id(), /*in_clear=*/true);
      *view->add_possible_duplicates() = std::move(duplicate);
    }
  }
  *out.answer.mutable_case_view() = std::move(*view);
  out.answer.set_position(position);
  return out;
}

namespace {

// Who answers `escalation` at each level it has stood at (its level now, and those it moved
// from), as `target`'s ladder and the area's police coordinator stand in the directory: the
// domain's contacts (domain::ContactFor), so that those who answer it read it.
std::vector<std::string> ContactsAtItsLevels(const v1::EscalationView& escalation,
                                             const v1::AgencyView& target) {
  domain::AreaState area;
  domain::AgencyState agency;
  agency.kind = target.kind();
  for (const v1::LeadershipContact& rung : target.ladder()) {
    agency.ladder[rung.level()] = rung.person();
  }
  const auto designated = target.police_coordinators().find(escalation.area_id());
  if (designated != target.police_coordinators().end()) {
    area.police_coordinators[target.agency_id()] = designated->second;
  }
  std::set<v1::EscalationLevel> levels = {escalation.level()};
  for (const v1::EscalationMove& move : escalation.moves()) {
    levels.insert(move.from_level());
    levels.insert(move.to_level());
  }
  std::vector<std::string> contacts;
  for (const v1::EscalationLevel level : levels) {
    std::string contact = domain::ContactFor(area, agency, target.agency_id(), level);
    if (!contact.empty()) contacts.push_back(std::move(contact));
  }
  return contacts;
}

}  // namespace

// Whether the caller may see each youth's personal data, each case looked up once.
class QueryHandler::CasePolicy {
 public:
  // For the items of a list of `area_id`.
  // What is resolved is noted in `shown`.
  CasePolicy(const QueryHandler& handler, const security::Principal& who, std::string area_id,
             security::Disclosures& shown)
      : handler_(handler), who_(who), area_id_(std::move(area_id)), shown_(shown) {}

  // Resolves `message`'s personal data, which is about `youth_id` ("" for the area: in clear).
  // `involved` names an agency known to be involved in the case (a commitment's owner), which
  // spares looking the case up where the caller's role settles it.
  absl::Status Resolve(google::protobuf::Message* message, const std::string& youth_id,
                       const std::string& involved = "") {
    ASSIGN_OR_RETURN(const bool allowed, Allowed(youth_id, involved));
    // Of the casework, a caller that is no § 115 party reads only its own commitments.
    if (allowed && !youth_id.empty() && !security::MaySeeCasework(who_, involved)) {
      WithholdPersonalData(message, "not_recipient");
    }
    return ResolvePersonalData(message, youth_id, area_id_, allowed, *handler_.sealer_, shown_);
  }

  // Resolves an escalation's personal data (its reason and outcome): about a youth, those who
  // may see the case's personal data read them only as security::MaySeeEscalationReason says.
  absl::Status ResolveEscalation(v1::EscalationView* escalation) {
    const std::string& youth_id = escalation->youth_id();
    ASSIGN_OR_RETURN(const bool allowed, Allowed(youth_id, security::InvolvedThrough(*escalation)));
    if (allowed && !youth_id.empty()) {
      ASSIGN_OR_RETURN(const bool reads, ReadsReason(*escalation));
      if (!reads) WithholdPersonalData(escalation, "not_recipient");
    }
    return ResolvePersonalData(escalation, youth_id, area_id_, allowed, *handler_.sealer_, shown_);
  }

 private:
  // Whether the caller may see the personal data of `youth_id`'s case ("": the area's, in clear).
  absl::StatusOr<bool> Allowed(const std::string& youth_id, const std::string& involved) {
    if (youth_id.empty()) return true;  // about the area: in clear anyway
    if (const std::optional<bool> known = security::MaySeeWithoutCase(who_, area_id_, involved)) {
      return *known;
    }
    auto it = allowed_.find(youth_id);
    if (it == allowed_.end()) {
      ASSIGN_OR_RETURN(const std::optional<v1::CaseView> view, handler_.LoadCase(youth_id));
      it = allowed_.emplace(youth_id, view.has_value() && security::MaySeePersonalData(who_, *view))
               .first;
    }
    return it->second;
  }

  // Whether the caller reads `escalation`'s reason (of a youth's case), with the area's chief,
  // the target's directory entry and the case each looked up once.
  absl::StatusOr<bool> ReadsReason(const v1::EscalationView& escalation) {
    if (!chief_.has_value()) {
      ASSIGN_OR_RETURN(chief_, handler_.ChiefOf(area_id_));
    }
    const std::string& target = escalation.target_agency_id();
    auto agency = agencies_.find(target);
    if (agency == agencies_.end()) {
      ASSIGN_OR_RETURN(std::optional<v1::AgencyView> row,
                       LoadRow<v1::AgencyView>(*handler_.views_, projections::kAreaView,
                                               projections::AgencyKey(target)));
      agency = agencies_.emplace(target, std::move(row)).first;
    }
    auto view = cases_.find(escalation.youth_id());
    if (view == cases_.end()) {
      ASSIGN_OR_RETURN(std::optional<v1::CaseView> row, handler_.LoadCase(escalation.youth_id()));
      view = cases_.emplace(escalation.youth_id(), std::move(row)).first;
    }
    if (!view->second.has_value()) return false;
    const std::vector<std::string> contacts = agency->second.has_value()
                                                  ? ContactsAtItsLevels(escalation, *agency->second)
                                                  : std::vector<std::string>();
    return security::MaySeeEscalationReason(who_, escalation, *view->second, contacts, *chief_);
  }

  const QueryHandler& handler_;
  const security::Principal& who_;
  const std::string area_id_;
  security::Disclosures& shown_;
  std::map<std::string, bool> allowed_;
  // For escalations' reasons: the area's chief, agencies' directory entries and cases.
  std::optional<std::string> chief_;
  std::map<std::string, std::optional<v1::AgencyView>> agencies_;
  std::map<std::string, std::optional<v1::CaseView>> cases_;
};

absl::StatusOr<Disclosed<v1::ListCasesResponse>> QueryHandler::ListCases(
    const security::Principal& who, const v1::ListCasesRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  if (request.status() != 0 && !v1::CaseStatus_IsValid(request.status())) {
    return Invalid("status", absl::StrCat("unknown value ", request.status()));
  }
  if (request.urgency() != 0 && !v1::Urgency_IsValid(request.urgency())) {
    return Invalid("urgency", absl::StrCat("unknown value ", request.urgency()));
  }
  RETURN_IF_ERROR(CheckId("agency_id", request.agency_id(), "agency", /*required=*/false));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The index of exactly these filters: it holds only the cases that pass them, in order of
  // youth id (UUIDv7: of referral).
  const std::string prefix = projections::CasesOfAreaWhere(request.area_id(), request.status(),
                                                           request.agency_id(), request.urgency());
  ASSIGN_OR_RETURN(const std::string after,
                   FromIndexToken(request.page_token(), projections::kCasesView, prefix));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));

  Disclosed<v1::ListCasesResponse> out;
  v1::ListCasesResponse& response = out.answer;
  ASSIGN_OR_RETURN(
      const std::string next,
      IndexPage<v1::CaseView>(
          *views_, projections::kCasesView, prefix, after, "", projections::CaseKey,
          [&](v1::CaseView& view) {
            const auto& involved = view.agencies_involved();
            return view.area_id() == request.area_id() &&
                   (request.status() == 0 || view.status() == request.status()) &&
                   (request.urgency() == 0 || view.referral().urgency() == request.urgency()) &&
                   (request.agency_id().empty() ||
                    std::find(involved.begin(), involved.end(), request.agency_id()) !=
                        involved.end());
          },
          page_size, response.mutable_cases(), &rows_parsed_));
  response.set_next_page_token(next);
  for (v1::CaseView& view : *response.mutable_cases()) {
    RETURN_IF_ERROR(Present(who, &view, out.disclosures));
  }
  response.set_position(position);
  return out;
}

absl::StatusOr<Disclosed<v1::ListCommitmentsResponse>> QueryHandler::ListCommitments(
    const security::Principal& who, const v1::ListCommitmentsRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  RETURN_IF_ERROR(
      CheckId("owning_agency_id", request.owning_agency_id(), "agency", /*required=*/false));
  RETURN_IF_ERROR(CheckId("youth_id", request.youth_id(), "youth", /*required=*/false));
  if (!request.responsible_person().empty()) {
    RETURN_IF_ERROR(domain::CheckPerson("responsible_person", request.responsible_person()));
  }
  if (request.state() != 0 && !v1::CommitmentState_IsValid(request.state())) {
    return Invalid("state", absl::StrCat("unknown value ", request.state()));
  }
  if (request.due_within_days() < 0 || request.due_within_days() > 366) {
    return Invalid("due_within_days",
                   absl::StrCat("0 to 366 days, got ", request.due_within_days()));
  }
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The index of exactly these filters, by due date: overdue_only and due_within_days read the
  // open commitments up to a due date; declined_not_taken_up those declined and not taken up.
  const absl::CivilDay today = Today();
  projections::CommitmentFilter filter;
  filter.state = request.state();
  bool none = false;  // filters that no commitment passes
  std::optional<absl::CivilDay> due_by;
  if (request.due_within_days() > 0) due_by = today + request.due_within_days();
  if (request.overdue_only()) due_by = today - 1;  // (earlier than today + 1 to 366)
  if (due_by.has_value()) {
    none |= filter.state != 0 && filter.state != v1::COMMITMENT_STATE_OPEN;
    filter.state = v1::COMMITMENT_STATE_OPEN;
  }
  if (request.declined_not_taken_up()) {
    none |= filter.state != 0 && filter.state != v1::COMMITMENT_STATE_DECLINED;
    filter.state = 0;
    filter.untaken = true;
  }
  filter.agency_id = request.owning_agency_id();
  filter.person = request.responsible_person();
  filter.youth_id = request.youth_id();
  std::string scope;         // the filters the index does not say, which its page tokens must
  if (due_by.has_value()) {  // (not the date: a walk through the pages may pass midnight)
    absl::StrAppend(&scope, ";overdue=", request.overdue_only(),
                    ";within=", request.due_within_days());
  }
  const std::string prefix = projections::CommitmentsOfAreaWhere(request.area_id(), filter);
  ASSIGN_OR_RETURN(
      const std::string after,
      FromIndexToken(request.page_token(), projections::kCommitmentsView, prefix, scope));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));

  // None due later is read.
  const std::string last = due_by.has_value()
                               ? absl::StrFormat("%s%04d%02d%02d/\xff", prefix, due_by->year(),
                                                 due_by->month(), due_by->day())
                               : std::string();
  auto keep = [&](v1::CommitmentView& c) {
    if (c.area_id() != request.area_id()) return false;
    if (!request.owning_agency_id().empty() && c.owning_agency_id() != request.owning_agency_id()) {
      return false;
    }
    if (!request.responsible_person().empty() &&
        c.responsible_person() != request.responsible_person()) {
      return false;
    }
    if (!request.youth_id().empty() && c.youth_id() != request.youth_id()) return false;
    if (request.state() != 0 && c.state() != request.state()) return false;
    if (request.declined_not_taken_up() &&
        (c.state() != v1::COMMITMENT_STATE_DECLINED || !c.taken_up_by().empty())) {
      return false;
    }
    MarkOverdue(&c, today);
    if (request.overdue_only() && !c.overdue()) return false;
    if (request.due_within_days() > 0) {
      const v1::Date& due = c.due_date();
      if (c.state() != v1::COMMITMENT_STATE_OPEN ||
          absl::CivilDay(due.year(), due.month(), due.day()) > *due_by) {
        return false;
      }
    }
    return true;
  };
  Disclosed<v1::ListCommitmentsResponse> out;
  v1::ListCommitmentsResponse& response = out.answer;
  response.set_position(position);
  if (none) return out;
  ASSIGN_OR_RETURN(
      const std::string next,
      IndexPage<v1::CommitmentView>(*views_, projections::kCommitmentsView, prefix, after, last,
                                    projections::CommitmentKey, keep, page_size,
                                    response.mutable_commitments(), &rows_parsed_, scope));
  response.set_next_page_token(next);
  CasePolicy policy(*this, who, request.area_id(), out.disclosures);
  std::map<std::string, v1::PersonalField> names;  // by youth, sealed as the case has it
  for (v1::CommitmentView& c : *response.mutable_commitments()) {
    if (!c.youth_id().empty()) {
      auto name = names.find(c.youth_id());
      if (name == names.end()) {
        ASSIGN_OR_RETURN(const std::optional<v1::CaseView> view, LoadCase(c.youth_id()));
        name = names.emplace(c.youth_id(), view.has_value() ? view->name() : v1::PersonalField())
                   .first;
      }
      *c.mutable_youth_name() = name->second;
    }
    // Its owner is involved in the case through it, unless it was declined or cancelled.
    RETURN_IF_ERROR(policy.Resolve(
        &c, c.youth_id(),
        security::CommitmentOpensTheCase(c.state()) ? c.owning_agency_id() : std::string()));
  }
  return out;
}

absl::StatusOr<Disclosed<v1::ListEscalationsResponse>> QueryHandler::ListEscalations(
    const security::Principal& who, const v1::ListEscalationsRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  if (request.level() != 0 && !v1::EscalationLevel_IsValid(request.level())) {
    return Invalid("level", absl::StrCat("unknown value ", request.level()));
  }
  RETURN_IF_ERROR(
      CheckId("target_agency_id", request.target_agency_id(), "agency", /*required=*/false));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The index of exactly these filters: it holds only the escalations that pass them, oldest
  // first.
  const std::string prefix = projections::EscalationsOfAreaWhere(
      request.area_id(), request.target_agency_id(), request.open_only(), request.level());
  ASSIGN_OR_RETURN(const std::string after,
                   FromIndexToken(request.page_token(), projections::kEscalationsView, prefix));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));

  const absl::Time now = clock_ ? clock_() : absl::Now();
  Disclosed<v1::ListEscalationsResponse> out;
  v1::ListEscalationsResponse& response = out.answer;
  ASSIGN_OR_RETURN(
      const std::string next,
      IndexPage<v1::EscalationView>(
          *views_, projections::kEscalationsView, prefix, after, "", projections::EscalationKey,
          [&](v1::EscalationView& e) {
            if (e.area_id() != request.area_id()) return false;
            if (request.open_only() && e.resolved()) return false;
            if (request.level() != 0 && e.level() != request.level()) return false;
            if (!request.target_agency_id().empty() &&
                e.target_agency_id() != request.target_agency_id()) {
              return false;
            }
            if (!e.resolved()) e.set_age_days(projections::Days(e.raised_at(), now));
            return true;
          },
          page_size, response.mutable_escalations(), &rows_parsed_));
  response.set_next_page_token(next);
  CasePolicy policy(*this, who, request.area_id(), out.disclosures);
  for (v1::EscalationView& e : *response.mutable_escalations()) {
    RETURN_IF_ERROR(policy.ResolveEscalation(&e));
  }
  response.set_position(position);
  return out;
}

absl::StatusOr<Disclosed<v1::ListMeetingsResponse>> QueryHandler::ListMeetings(
    const security::Principal& who, const v1::ListMeetingsRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  if (!request.body_id().empty()) RETURN_IF_ERROR(domain::CheckSlug("body_id", request.body_id()));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The body's index, else the area's; in order of the time scheduled in each.
  const std::string prefix =
      request.body_id().empty()
          ? projections::MeetingsOfArea(request.area_id())
          : projections::MeetingsOfAreaAndBody(request.area_id(), request.body_id());
  ASSIGN_OR_RETURN(const std::string after,
                   FromIndexToken(request.page_token(), projections::kMeetingsView, prefix));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  Disclosed<v1::ListMeetingsResponse> out;
  v1::ListMeetingsResponse& response = out.answer;
  ASSIGN_OR_RETURN(
      const std::string next,
      IndexPage<v1::MeetingView>(
          *views_, projections::kMeetingsView, prefix, after, "", projections::MeetingKey,
          [&](v1::MeetingView& m) {
            return m.area_id() == request.area_id() &&
                   (request.body_id().empty() || m.body_id() == request.body_id());
          },
          page_size, response.mutable_meetings(), &rows_parsed_));
  response.set_next_page_token(next);
  CasePolicy policy(*this, who, request.area_id(), out.disclosures);
  for (v1::MeetingView& m : *response.mutable_meetings()) {
    for (const std::string& youth : m.agenda_youth_ids()) {
      out.disclosures.Shown(youth, request.area_id(), /*in_clear=*/false);
    }
    for (v1::DecisionView& d : *m.mutable_decisions()) {
      RETURN_IF_ERROR(policy.Resolve(&d, d.youth_id()));
    }
  }
  response.set_position(position);
  return out;
}

absl::StatusOr<v1::ListBodiesResponse> QueryHandler::ListBodies(
    const security::Principal& who, const v1::ListBodiesRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The area's body rows themselves, by body id.
  const std::string prefix = projections::BodiesOfArea(request.area_id());
  ASSIGN_OR_RETURN(const std::string after,
                   FromIndexToken(request.page_token(), projections::kMeetingsView, prefix));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  const absl::Time now = clock_ ? clock_() : absl::Now();
  v1::ListBodiesResponse response;
  ASSIGN_OR_RETURN(const std::string next, RowPage<v1::BodyView>(
                                               *views_, projections::kMeetingsView, prefix, after,
                                               [](v1::BodyView&) { return true; }, page_size,
                                               response.mutable_bodies(), &rows_parsed_));
  response.set_next_page_token(next);
  for (v1::BodyView& body : *response.mutable_bodies()) projections::JudgeCadence(&body, now);
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::GetProgrammeResponse> QueryHandler::GetProgramme(
    const security::Principal& who, const v1::GetProgrammeRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  ASSIGN_OR_RETURN(
      const std::optional<std::string> row,
      views_->Get(projections::kAreaView, projections::ProgrammeKey(request.area_id())));
  if (!row.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("area_id: no programme was adopted for ", request.area_id()));
  }
  v1::GetProgrammeResponse response;
  if (!response.mutable_programme()->ParseFromString(*row)) {
    return absl::DataLossError(
        absl::StrCat("the programme row of ", request.area_id(), " is unreadable"));
  }
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::ListAgenciesResponse> QueryHandler::ListAgencies(
    const security::Principal& who, const v1::ListAgenciesRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  // The area's agencies, through its index, by id: no other area's agency is read.
  ASSIGN_OR_RETURN(auto agencies,
                   IndexedRows<v1::AgencyView>(*views_, projections::kAreaView,
                                               projections::AgenciesOfArea(request.area_id()),
                                               projections::AgencyKey, &rows_parsed_));
  v1::ListAgenciesResponse response;
  for (v1::AgencyView& agency : agencies) {
    // Another area's police coordinator is that area's business.
    auto& coordinators = *agency.mutable_police_coordinators();
    for (auto it = coordinators.begin(); it != coordinators.end();) {
      it = it->first == request.area_id() ? std::next(it) : coordinators.erase(it);
    }
    *response.add_agencies() = std::move(agency);
  }
  response.set_position(position);
  return response;
}

namespace {

double Median(std::vector<int32_t> values) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

}  // namespace

absl::StatusOr<v1::GetAreaDashboardResponse> QueryHandler::GetAreaDashboard(
    const security::Principal& who, const v1::GetAreaDashboardRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  const absl::Time now = clock_ ? clock_() : absl::Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  absl::CivilDay start = today - 182, end = today;
  for (const auto& [field, date, out] : {std::tuple<const char*, const v1::Date*, absl::CivilDay*>{
                                             "period_start", &request.period_start(), &start},
                                         {"period_end", &request.period_end(), &end}}) {
    if (!request.GetReflection()->HasField(request,
                                           request.GetDescriptor()->FindFieldByName(field))) {
      continue;
    }
    const absl::CivilDay day(date->year(), date->month(), date->day());
    if (date->year() < 1900 || day.month() != date->month() || day.day() != date->day()) {
      return Invalid(field, "not a valid date");
    }
    *out = day;
  }
  if (start > end) return Invalid("period_start", "after period_end");
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));

  auto in_period = [&](const google::protobuf::Timestamp& at) {
    const absl::CivilDay day = absl::ToCivilDay(projections::TimeOf(at), absl::UTCTimeZone());
    return day >= start && day <= end;
  };
  v1::AreaDashboard board;
  board.set_area_id(request.area_id());
  *board.mutable_period_start() = DateOfDay(start);
  *board.mutable_period_end() = DateOfDay(end);

  // The area's rows of the period, through its indexes by day: no other area's is read, nor
  // another day's. The figures of now count index rows, and parse none.
  const std::string& area = request.area_id();
  auto first_day = [&](const std::string& prefix) {
    return absl::StrCat(prefix, projections::DayKey(start));
  };
  auto last_day = [&](const std::string& prefix) {
    return absl::StrCat(prefix, projections::DayKey(end), "/\xff");
  };
  auto count = [&](const std::string& prefix, bool of_period) {
    return of_period ? CountIndexRows(*views_, projections::kCasesView, prefix, first_day(prefix),
                                      last_day(prefix))
                     : CountIndexRows(*views_, projections::kCasesView, prefix);
  };
  using projections::CaseDay;
  using projections::CasesOfAreaByDay;
  const std::string referred = CasesOfAreaByDay(area, CaseDay::kReferred);
  // The period's rows are visited one at a time, not held: a period may hold thousands.
  std::vector<int32_t> to_discussion, to_plan;
  RETURN_IF_ERROR(ForEachIndexedRow<v1::CaseView>(
      *views_, projections::kCasesView, referred, projections::CaseKey, &rows_parsed_,
      [&](const v1::CaseView& c) {
        board.set_youths_referred(board.youths_referred() + 1);
        if (c.days_to_first_discussion() >= 0) {
          to_discussion.push_back(c.days_to_first_discussion());
        }
        if (c.days_to_plan() >= 0) to_plan.push_back(c.days_to_plan());
      },
      first_day(referred), last_day(referred)));
  board.set_median_days_to_first_discussion(Median(std::move(to_discussion)));
  board.set_median_days_to_plan(Median(std::move(to_plan)));
  // Screened and accepted, and closed (standing closed), in the period; active at its end.
  for (const auto& [family, figure] :
       {std::pair{CaseDay::kAccepted, &v1::AreaDashboard::set_youths_accepted},
        std::pair{CaseDay::kClosed, &v1::AreaDashboard::set_youths_closed}}) {
    ASSIGN_OR_RETURN(const int64_t n, count(CasesOfAreaByDay(area, family), true));
    (board.*figure)(static_cast<int32_t>(n));
  }
  // Those active now, less those that became active after the period, plus those that stopped
  // being active after it: the index rows of the days since its end, counted (none parsed).
  ASSIGN_OR_RETURN(
      const int64_t active,
      count(projections::CasesOfAreaWhere(area, v1::CASE_STATUS_ACTIVE, "", 0), false));
  auto since_end = [&](CaseDay family) {
    const std::string prefix = CasesOfAreaByDay(area, family);
    return CountIndexRows(*views_, projections::kCasesView, prefix, last_day(prefix));
  };
  ASSIGN_OR_RETURN(const int64_t activated, since_end(CaseDay::kActivated));
  ASSIGN_OR_RETURN(const int64_t deactivated, since_end(CaseDay::kDeactivated));
  board.set_youths_active(static_cast<int32_t>(active - activated + deactivated));
  // Child welfare (barnets lov), for an area with cases: notifications made in the period and
  // their deadlines missed; investigations opened in the period, open now, and ever overdue.
  ASSIGN_OR_RETURN(const int64_t any_case,
                   CountIndexRows(*views_, projections::kCasesView, projections::CasesOfArea(area),
                                  "", "", /*at_most=*/1));
  if (any_case > 0) {
    v1::ChildWelfareStats* welfare = board.mutable_child_welfare();
    using Figure = void (v1::ChildWelfareStats::*)(int32_t);
    for (const auto& [family, figure] :
         {std::pair<CaseDay, Figure>{CaseDay::kNotified, &v1::ChildWelfareStats::set_notifications},
          {CaseDay::kAssessmentOverdue, &v1::ChildWelfareStats::set_assessments_overdue},
          {CaseDay::kReceiptOverdue, &v1::ChildWelfareStats::set_receipts_overdue},
          {CaseDay::kInvestigationOpened, &v1::ChildWelfareStats::set_investigations_opened}}) {
      ASSIGN_OR_RETURN(const int64_t n, count(CasesOfAreaByDay(area, family), true));
      (welfare->*figure)(static_cast<int32_t>(n));
    }
    for (const auto& [family, figure] :
         {std::pair<projections::CaseNow, Figure>{projections::CaseNow::kInvestigationOpen,
                                                  &v1::ChildWelfareStats::set_investigations_open},
          {projections::CaseNow::kInvestigationOverdue,
           &v1::ChildWelfareStats::set_investigations_overdue}}) {
      ASSIGN_OR_RETURN(const int64_t n, count(projections::CasesOfAreaNow(area, family), false));
      (welfare->*figure)(static_cast<int32_t>(n));
    }
  }

  // The commitments due in the period (the area's index is by due date), per agency, and per
  // agency and responsible person: the same counts.
  const std::string commitments_prefix = projections::CommitmentsOfArea(area);
  std::map<std::string, v1::AgencyCommitmentStats> by_agency, by_person;
  auto add = [](v1::AgencyCommitmentStats& stats, const v1::CommitmentView& c) {
    // Only what the agency accepted is its commitment (open, fulfilled, or cancelled after its
    // acceptance). What it never accepted is counted apart: proposed, declined, or withdrawn by
    // the chief before it answered.
    if (c.state() == v1::COMMITMENT_STATE_PROPOSED) {
      stats.set_proposed(stats.proposed() + 1);
      return;
    }
    if (c.state() == v1::COMMITMENT_STATE_DECLINED) {
      stats.set_declined(stats.declined() + 1);
      return;
    }
    if (c.state() == v1::COMMITMENT_STATE_WITHDRAWN) {
      stats.set_withdrawn(stats.withdrawn() + 1);
      return;
    }
    stats.set_due(stats.due() + 1);
    if (c.state() == v1::COMMITMENT_STATE_FULFILLED) {
      if (c.fulfilled_on_time()) {
        stats.set_fulfilled_on_time(stats.fulfilled_on_time() + 1);
      } else {
        stats.set_fulfilled_late(stats.fulfilled_late() + 1);
      }
    }
    if (c.overdue()) stats.set_open_overdue(stats.open_overdue() + 1);
    if (c.renegotiations() > 0) stats.set_renegotiated(stats.renegotiated() + 1);
  };
  RETURN_IF_ERROR(ForEachIndexedRow<v1::CommitmentView>(
      *views_, projections::kCommitmentsView, commitments_prefix, projections::CommitmentKey,
      &rows_parsed_,
      [&](v1::CommitmentView& c) {
        MarkOverdue(&c, today);
        v1::AgencyCommitmentStats& agency = by_agency[c.owning_agency_id()];
        agency.set_agency_id(c.owning_agency_id());
        add(agency, c);
        v1::AgencyCommitmentStats& person =
            by_person[absl::StrCat(c.owning_agency_id(), "/", c.responsible_person())];
        person.set_agency_id(c.owning_agency_id());
        person.set_responsible_person(c.responsible_person());
        add(person, c);
      },
      first_day(commitments_prefix), last_day(commitments_prefix)));
  for (const auto& [stats_by, out] :
       {std::pair{&by_agency, board.mutable_commitments_by_agency()},
        std::pair{&by_person, board.mutable_commitments_by_person()}}) {
    for (auto& [key, stats] : *stats_by) {
      stats.set_share_on_time(
          stats.due() == 0 ? 0 : static_cast<double>(stats.fulfilled_on_time()) / stats.due());
      *out->Add() = stats;
    }
  }

  // The escalations raised in the period (the area's index is by the second raised); a period
  // before 1970 (keys of negative seconds) reads them all.
  const std::string escalations_prefix = projections::EscalationsOfArea(area);
  const int64_t from_second = absl::ToUnixSeconds(absl::FromCivil(start, absl::UTCTimeZone()));
  const int64_t to_second = absl::ToUnixSeconds(absl::FromCivil(end + 1, absl::UTCTimeZone())) - 1;
  const bool bounded = from_second >= 0;
  std::map<int, std::pair<v1::EscalationLevelStats, std::vector<int32_t>>> by_level;
  RETURN_IF_ERROR(ForEachIndexedRow<v1::EscalationView>(
      *views_, projections::kEscalationsView, escalations_prefix, projections::EscalationKey,
      &rows_parsed_,
      [&](const v1::EscalationView& e) {
        if (!in_period(e.raised_at())) return;
        auto& [stats, days] = by_level[e.level()];
        stats.set_level(e.level());
        stats.set_raised(stats.raised() + 1);
        if (e.resolved()) {
          stats.set_resolved(stats.resolved() + 1);
          days.push_back(e.days_to_resolve());
        }
      },
      bounded ? absl::StrFormat("%s%020d", escalations_prefix, from_second) : "",
      bounded ? absl::StrFormat("%s%020d/\xff", escalations_prefix, to_second) : ""));
  for (auto& [level, entry] : by_level) {
    entry.first.set_median_days_to_resolve(Median(std::move(entry.second)));
    *board.add_escalations_by_level() = entry.first;
  }

  ASSIGN_OR_RETURN(auto bodies,
                   Collect<v1::BodyView>(*views_, projections::kMeetingsView,
                                         projections::BodiesOfArea(request.area_id()), "",
                                         [](v1::BodyView& b) { return b.body_id(); }));
  for (auto& [id, body] : bodies) {
    projections::JudgeCadence(&body, now);
    body.set_meetings_in_period(static_cast<int32_t>(
        std::count_if(body.held_at().begin(), body.held_at().end(), in_period)));
    *board.add_bodies() = std::move(body);
  }
  ASSIGN_OR_RETURN(auto measurements,
                   Collect<v1::Measurement>(*views_, projections::kAreaView,
                                            absl::StrCat("measurement/", request.area_id(), "/"),
                                            "", [](v1::Measurement& m) {
                                              return absl::StrFormat(
                                                  "%s/%d/%04d%02d%02d/%d", m.measure(), m.scope(),
                                                  m.measured_on().year(), m.measured_on().month(),
                                                  m.measured_on().day(), m.age_group());
                                            }));
  // Those measured by the period's end (the earlier ones are the baselines); not those after.
  for (auto& [key, m] : measurements) {
    const v1::Date& on = m.measured_on();
    if (absl::CivilDay(on.year(), on.month(), on.day()) > end) continue;
    *board.add_measurements() = std::move(m);
  }
  ASSIGN_OR_RETURN(auto definitions, Collect<v1::MeasureDefinition>(
                                         *views_, projections::kAreaView,
                                         absl::StrCat("measure/", request.area_id(), "/"), "",
                                         [](v1::MeasureDefinition& d) { return d.measure(); }));
  for (auto& [measure, d] : definitions) *board.add_measure_definitions() = std::move(d);
  ASSIGN_OR_RETURN(
      auto missing,
      Collect<v1::MissingReport>(
          *views_, projections::kAreaView, projections::MissingReportsKeyPrefix(request.area_id()),
          "", [](v1::MissingReport& m) {
            return absl::StrFormat("%04d%02d%02d", m.half_year_end().year(),
                                   m.half_year_end().month(), m.half_year_end().day());
          }));
  for (auto& [end, m] : missing) *board.add_reports_missing() = std::move(m);
  // The programme's goals, to set the measurements against.
  ASSIGN_OR_RETURN(
      const std::optional<std::string> programme_row,
      views_->Get(projections::kAreaView, projections::ProgrammeKey(request.area_id())));
  if (programme_row.has_value()) {
    v1::ProgrammeView programme;
    if (!programme.ParseFromString(*programme_row)) {
      return absl::DataLossError(
          absl::StrCat("the programme row of ", request.area_id(), " is unreadable"));
    }
    *board.mutable_goals() = programme.goals();
    *board.mutable_programme_adopted_on() =
        programme.has_council_decided_on()
            ? programme.council_decided_on()
            : DateOfDay(absl::ToCivilDay(projections::TimeOf(programme.adopted_at()),
                                         absl::UTCTimeZone()));
  }

  // Per day, the child-welfare counts would date each notification and investigation.
  if (!security::MaySeeChildWelfareFigures(who)) board.clear_child_welfare();
  v1::GetAreaDashboardResponse response;
  *response.mutable_dashboard() = std::move(board);
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::GetReportResponse> QueryHandler::GetReport(const security::Principal& who,
                                                              const v1::GetReportRequest& request,
                                                              absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  const bool by_id = !request.report_id().empty();
  if (!by_id) {
    for (const auto& [field, date] : {std::pair{"period_start", &request.period_start()},
                                      std::pair{"period_end", &request.period_end()}}) {
      const absl::CivilDay day(date->year(), date->month(), date->day());
      if (date->year() < 1900 || day.month() != date->month() || day.day() != date->day()) {
        return Invalid(field, "a valid date is required without a report_id");
      }
    }
  }
  ASSIGN_OR_RETURN(const uint64_t position, Reach(who, request.min_position(), deadline));
  const std::string prefix =
      by_id ? projections::ReportsKeyPrefix(request.area_id())
            : projections::ReportKeyPrefix(request.area_id(), request.period_start(),
                                           request.period_end());
  std::optional<v1::SubmittedReport> found;
  RETURN_IF_ERROR(projections::ScanRows<v1::SubmittedReport>(
      *views_, projections::kAreaView, prefix, [&](absl::string_view, v1::SubmittedReport& row) {
        if (by_id && row.report().report_id() != request.report_id()) return true;
        found = std::move(row);  // rows are oldest first: the last is the latest
        return !by_id;
      }));
  if (!found.has_value()) {
    return absl::NotFoundError(
        by_id
            ? absl::StrCat("report_id: ", request.area_id(), " has no report ", request.report_id())
            : absl::StrCat("period_start: no report of ", request.area_id(),
                           " was submitted for this period"));
  }
  // The frozen figures, as the dashboard's: child welfare for those who may see it.
  if (!security::MaySeeChildWelfareFigures(who)) {
    found->mutable_report()->mutable_figures()->clear_child_welfare();
  }
  v1::GetReportResponse response;
  *response.mutable_report() = std::move(*found);
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::AreaDashboard> ReportFiguresFromViews::Compile(const security::Principal& who,
                                                                  absl::string_view area_id,
                                                                  const v1::Date& period_start,
                                                                  const v1::Date& period_end) {
  v1::GetAreaDashboardRequest request;
  request.set_area_id(std::string(area_id));
  *request.mutable_period_start() = period_start;
  *request.mutable_period_end() = period_end;
  request.set_min_position(events_->HeadPosition());
  ASSIGN_OR_RETURN(v1::GetAreaDashboardResponse response,
                   queries_->GetAreaDashboard(who, request, absl::Now() + wait_));
  return std::move(*response.mutable_dashboard());
}

}  // namespace hotspot::queries
