#include "services/queries/query_handler.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "services/projections/case_views.h"
#include "services/queries/personal_data.h"
#include "store/status_macros.h"

namespace hotspot::queries {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckIdField(absl::string_view field, absl::string_view value,
                          absl::string_view category, bool required) {
  if (value.empty()) return required ? Invalid(field, "required") : absl::OkStatus();
  if (!absl::StartsWith(value, absl::StrCat(category, "-")) || value.size() > 200) {
    return Invalid(field, absl::StrCat("must be a ", category, " id (\"", category, "-...\")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) return Invalid("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

// Page tokens are the sort key of the last item returned, opaque to clients.
std::string Token(absl::string_view key) { return absl::WebSafeBase64Escape(key); }

absl::StatusOr<std::string> FromToken(absl::string_view token) {
  std::string key;
  if (!token.empty() && !absl::WebSafeBase64Unescape(token, &key)) {
    return Invalid("page_token", "not a token this service gave");
  }
  return key;
}

absl::Status RequireArea(const domain::Principal& who, absl::string_view area_id) {
  if (area_id.empty()) return Invalid("area_id", "required");
  if (!who.InArea(area_id)) {
    return absl::PermissionDeniedError(absl::StrCat(who.person, " has no access to ", area_id));
  }
  return absl::OkStatus();
}

bool Open(const v1::CommitmentView& c) { return c.state() == v1::COMMITMENT_STATE_OPEN; }

// Overdue as of `today`: open and past its due date (or marked so by the deadline process).
void MarkOverdue(v1::CommitmentView* c, absl::CivilDay today) {
  const absl::CivilDay due(c->due_date().year(), c->due_date().month(), c->due_date().day());
  if (Open(*c) && due < today) c->set_overdue(true);
}

}  // namespace

QueryHandler::QueryHandler(const projections::Projector* views, security::Sealer* sealer,
                           absl::AnyInvocable<absl::Time() const> clock)
    : views_(views), sealer_(sealer), clock_(std::move(clock)) {}

absl::CivilDay QueryHandler::Today() const {
  return absl::ToCivilDay(clock_ ? clock_() : absl::Now(), absl::UTCTimeZone());
}

absl::StatusOr<uint64_t> QueryHandler::Reach(uint64_t min_position, absl::Time deadline) const {
  if (min_position > 0) RETURN_IF_ERROR(views_->WaitFor(min_position, deadline));
  return views_->position();
}

absl::StatusOr<std::optional<v1::CaseView>> QueryHandler::LoadCase(
    absl::string_view youth_id) const {
  ASSIGN_OR_RETURN(const std::optional<std::string> row,
                   views_->Get(projections::kCasesView, projections::CaseKey(youth_id)));
  if (!row.has_value()) return std::nullopt;
  v1::CaseView view;
  if (!view.ParseFromString(*row)) {
    return absl::DataLossError(absl::StrCat("the case row of ", youth_id, " is unreadable"));
  }
  return view;
}

absl::Status QueryHandler::Present(const domain::Principal& who, v1::CaseView* view) const {
  const bool allowed = MaySeePersonalData(who, *view);
  RETURN_IF_ERROR(ResolvePersonalData(view, allowed, *sealer_));
  const absl::CivilDay today = Today();
  for (v1::CommitmentView& c : *view->mutable_commitments()) MarkOverdue(&c, today);
  absl::CivilDay born;
  if (view->birth_date().has_text() && absl::ParseCivilTime(view->birth_date().text(), &born)) {
    const absl::CivilDay adult(born.year() + 18, born.month(), born.day());
    v1::Date* date = view->mutable_eighteenth_birthday();
    date->set_year(static_cast<int32_t>(adult.year()));
    date->set_month(adult.month());
    date->set_day(adult.day());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetCaseResponse> QueryHandler::GetCase(const domain::Principal& who,
                                                          const v1::GetCaseRequest& request,
                                                          absl::Time deadline) const {
  RETURN_IF_ERROR(CheckIdField("youth_id", request.youth_id(), "youth", /*required=*/true));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(request.min_position(), deadline));
  ASSIGN_OR_RETURN(std::optional<v1::CaseView> view, LoadCase(request.youth_id()));
  if (!view.has_value()) {
    return absl::NotFoundError(absl::StrCat("youth_id: no case ", request.youth_id()));
  }
  if (!who.InArea(view->area_id())) {
    return absl::PermissionDeniedError(
        absl::StrCat(who.person, " has no access to ", view->area_id()));
  }
  RETURN_IF_ERROR(Present(who, &*view));
  v1::GetCaseResponse response;
  *response.mutable_case_view() = std::move(*view);
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::ListCasesResponse> QueryHandler::ListCases(const domain::Principal& who,
                                                              const v1::ListCasesRequest& request,
                                                              absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  if (request.status() != 0 && !v1::CaseStatus_IsValid(request.status())) {
    return Invalid("status", absl::StrCat("unknown value ", request.status()));
  }
  if (request.urgency() != 0 && !v1::Urgency_IsValid(request.urgency())) {
    return Invalid("urgency", absl::StrCat("unknown value ", request.urgency()));
  }
  RETURN_IF_ERROR(CheckIdField("agency_id", request.agency_id(), "agency", /*required=*/false));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  ASSIGN_OR_RETURN(const std::string after, FromToken(request.page_token()));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(request.min_position(), deadline));

  v1::ListCasesResponse response;
  absl::Status parsed;
  std::string last_key;
  bool more = false;
  RETURN_IF_ERROR(views_->Scan(
      projections::kCasesView, "case/", [&](absl::string_view key, absl::string_view value) {
        if (!after.empty() && key <= after) return true;
        v1::CaseView view;
        if (!view.ParseFromString(std::string(value))) {
          parsed = absl::DataLossError(absl::StrCat("view row ", key, " is unreadable"));
          return false;
        }
        if (view.area_id() != request.area_id()) return true;
        if (request.status() != 0 && view.status() != request.status()) return true;
        if (request.urgency() != 0 && view.referral().urgency() != request.urgency()) return true;
        if (!request.agency_id().empty() &&
            std::find(view.agencies_involved().begin(), view.agencies_involved().end(),
                      request.agency_id()) == view.agencies_involved().end()) {
          return true;
        }
        if (response.cases_size() == page_size) {
          more = true;
          return false;
        }
        *response.add_cases() = std::move(view);
        last_key = std::string(key);
        return true;
      }));
  RETURN_IF_ERROR(parsed);
  for (v1::CaseView& view : *response.mutable_cases()) RETURN_IF_ERROR(Present(who, &view));
  if (more) response.set_next_page_token(Token(last_key));
  response.set_position(position);
  return response;
}

absl::StatusOr<v1::ListCommitmentsResponse> QueryHandler::ListCommitments(
    const domain::Principal& who, const v1::ListCommitmentsRequest& request,
    absl::Time deadline) const {
  RETURN_IF_ERROR(RequireArea(who, request.area_id()));
  RETURN_IF_ERROR(
      CheckIdField("owning_agency_id", request.owning_agency_id(), "agency", /*required=*/false));
  RETURN_IF_ERROR(CheckIdField("youth_id", request.youth_id(), "youth", /*required=*/false));
  if (request.state() != 0 && !v1::CommitmentState_IsValid(request.state())) {
    return Invalid("state", absl::StrCat("unknown value ", request.state()));
  }
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  ASSIGN_OR_RETURN(const std::string after, FromToken(request.page_token()));
  ASSIGN_OR_RETURN(const uint64_t position, Reach(request.min_position(), deadline));

  // Every match, ordered by due date then id: the sort key is also the page token.
  const absl::CivilDay today = Today();
  std::map<std::string, v1::CommitmentView> matches;
  absl::Status parsed;
  RETURN_IF_ERROR(views_->Scan(
      projections::kCommitmentsView, "commitment/",
      [&](absl::string_view key, absl::string_view value) {
        v1::CommitmentView c;
        if (!c.ParseFromString(std::string(value))) {
          parsed = absl::DataLossError(absl::StrCat("view row ", key, " is unreadable"));
          return false;
        }
        if (c.area_id() != request.area_id()) return true;
        if (!request.owning_agency_id().empty() &&
            c.owning_agency_id() != request.owning_agency_id()) {
          return true;
        }
        if (!request.responsible_person().empty() &&
            c.responsible_person() != request.responsible_person()) {
          return true;
        }
        if (!request.youth_id().empty() && c.youth_id() != request.youth_id()) return true;
        if (request.state() != 0 && c.state() != request.state()) return true;
        MarkOverdue(&c, today);
        if (request.overdue_only() && !c.overdue()) return true;
        const std::string sort =
            absl::StrFormat("%04d%02d%02d/%s", c.due_date().year(), c.due_date().month(),
                            c.due_date().day(), c.commitment_id());
        if (!after.empty() && sort <= after) return true;
        matches.emplace(sort, std::move(c));
        return true;
      }));
  RETURN_IF_ERROR(parsed);

  v1::ListCommitmentsResponse response;
  std::map<std::string, bool> allowed_for_youth;  // each case's policy, looked up once
  for (auto& [sort, c] : matches) {
    if (response.commitments_size() == page_size) {
      response.set_next_page_token(Token(std::prev(matches.find(sort))->first));
      break;
    }
    bool allowed = true;  // an area commitment's text is in clear anyway
    if (!c.youth_id().empty()) {
      auto it = allowed_for_youth.find(c.youth_id());
      if (it == allowed_for_youth.end()) {
        ASSIGN_OR_RETURN(const std::optional<v1::CaseView> view, LoadCase(c.youth_id()));
        it = allowed_for_youth
                 .emplace(c.youth_id(), view.has_value() && MaySeePersonalData(who, *view))
                 .first;
      }
      allowed = it->second;
    }
    RETURN_IF_ERROR(ResolvePersonalData(&c, allowed, *sealer_));
    *response.add_commitments() = std::move(c);
  }
  response.set_position(position);
  return response;
}

}  // namespace hotspot::queries
