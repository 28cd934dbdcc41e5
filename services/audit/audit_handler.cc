#include "services/audit/audit_handler.h"

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/html.h"
#include "services/common/wire.h"
#include "services/common/message_walk.h"
#include "services/projections/case_views.h"
#include "services/projections/rows.h"
#include "services/projections/subject_view.h"
#include "services/projections/view_util.h"
#include "services/queries/query_util.h"
#include "services/queries/stored_events.h"
#include "services/rpc/request_checks.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::audit {
namespace {

using queries::CheckId;
using queries::FromToken;
using queries::Invalid;
using queries::LoadCaseRow;
using queries::PageSize;
using queries::PresentCase;
using queries::Token;
using queries::ToStoredEvent;

// Reading a history: positions per ReadPositions call.
constexpr size_t kReadChunk = 1000;

// The professionals named in a case (who referred, notified, owns, accepted or withdrew a
// commitment, does outreach): their names are not the youth's data (GDPR Art. 15(4)). One rule
// for the history's events and the case view alike: these string fields, wherever they stand (an
// event's or the stored event's actor is redacted on its own, keeping "system").
bool IsEmployeeName(const google::protobuf::FieldDescriptor* f) {
  static constexpr absl::string_view kNames[] = {
      "person", "responsible_person", "accepted_by", "referred_by", "notified_by", "withdrawn_by"};
  return f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING && !f->is_repeated() &&
         f->containing_type() != v1::Actor::descriptor() &&
         std::find(std::begin(kNames), std::end(kNames), f->name()) != std::end(kNames);
}

// What the subject access export leaves out of `m`, recursively: every employee name (calling
// `redacted` with each one's path from `path`, "case_view.outreach.person": repeated fields
// without their index), and every sealed value's ciphertext (the export gives each as a personal
// value, in clear or withheld; a redacted text's ciphertext would still tell its length).
void RedactForExport(google::protobuf::Message* m, const std::string& path,
                     const std::function<void(std::string)>& redacted) {
  if (m->GetDescriptor() == v1::SealedText::descriptor()) {
    static_cast<v1::SealedText*>(m)->clear_ciphertext();
    return;
  }
  const auto* reflection = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*m, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (!IsEmployeeName(f) || reflection->GetString(*m, f).empty()) continue;
    reflection->ClearField(m, f);
    redacted(absl::StrCat(path, f->name()));
  }
  common::ForEachChild(m, path, [&](google::protobuf::Message* child, std::string here) {
    RedactForExport(child, here + ".", redacted);
  });
}

// Clears every Text of `m` held in clear, recursively, calling `withheld` with each one's path
// from `path` ("commitment_fulfilled.note"). (Sealed texts are the personal values' to withhold.)
void WithholdClearTexts(google::protobuf::Message* m, const std::string& path,
                        const std::function<void(std::string)>& withheld) {
  common::ForEachChild(m, path, [&](google::protobuf::Message* child, std::string here) {
    if (child->GetDescriptor() != v1::Text::descriptor()) {
      WithholdClearTexts(child, here + ".", withheld);
      return;
    }
    auto* text = static_cast<v1::Text*>(child);
    if (!text->has_clear()) return;
    text->clear_value();
    withheld(std::move(here));
  });
}

// The youth's own identity among an event's personal values ("youth_referred.name", ...): what
// the export gives in clear even where the police recorded it.
bool IsIdentity(absl::string_view path) {
  const absl::string_view field = path.substr(path.rfind('.') + 1);
  return field == "name" || field == "cpr_number" || field == "birth_date" || field == "address";
}

// When an ended case ended: its last status change.
const google::protobuf::Timestamp& EndedAt(const v1::CaseView& view) {
  return view.status_history().rbegin()->at();
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace

AuditHandler::AuditHandler(const store::EventStore* events, const projections::Projector* views,
                           security::Sealer* sealer, const security::PublicHead* heads,
                           AuditOptions options)
    : events_(events),
      views_(views),
      sealer_(sealer),
      heads_(heads),
      options_(std::move(options)) {}

uint64_t AuditHandler::HeadFor(const security::Principal& who) const {
  return std::min(events_->HeadPosition(), heads_->For(who));
}

absl::StatusOr<v1::CaseView> AuditHandler::Authorize(const security::Principal& who,
                                                     absl::string_view youth_id) const {
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth", /*required=*/true));
  // Refused before the case is looked up: an unknown id tells a caller of the wrong role nothing.
  RETURN_IF_ERROR(security::MayAuditCases(who));
  // The case's youth and area, all that is needed of it here (the row grows with the history).
  ASSIGN_OR_RETURN(std::optional<v1::CaseView> view, queries::LoadCaseHead(*views_, youth_id));
  RETURN_IF_ERROR(queries::CaseFor(who, youth_id, view));
  RETURN_IF_ERROR(security::MayAuditCase(who, view->area_id()));
  return *std::move(view);
}

absl::StatusOr<std::string> AuditHandler::AreaOf(absl::string_view youth_id) const {
  return queries::AreaOfCase(*views_, youth_id);
}

absl::StatusOr<std::vector<uint64_t>> AuditHandler::Positions(absl::string_view youth_id,
                                                              uint64_t last) const {
  std::vector<uint64_t> positions;
  RETURN_IF_ERROR(views_->Scan(projections::kSubjectsView, projections::SubjectPrefix(youth_id),
                               [&](absl::string_view key, absl::string_view) {
                                 const uint64_t position = projections::SubjectPosition(key);
                                 if (position > last) return false;
                                 if (position > 0) positions.push_back(position);
                                 return true;
                               }));
  return positions;
}

absl::Status AuditHandler::ReadEach(
    const std::vector<uint64_t>& positions,
    const std::function<absl::StatusOr<bool>(const store::RecordedEvent&)>& visit) const {
  for (size_t from = 0; from < positions.size(); from += kReadChunk) {
    const std::vector<uint64_t> chunk(
        positions.begin() + from,
        positions.begin() + std::min(positions.size(), from + kReadChunk));
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> recorded,
                     events_->ReadPositions(chunk));
    for (const store::RecordedEvent& one : recorded) {
      ASSIGN_OR_RETURN(const bool more, visit(one));
      if (!more) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditHandler::History> AuditHandler::OpenCaseHistory(
    const security::Principal& who, const v1::GetCaseHistoryRequest& request, absl::Time deadline,
    uint64_t asked_head) const {
  // Everything the log held when asked (and at least min_position) is in the index. A
  // min_position beyond the head `who` is told (HeadFor) is refused at once, as no wait would end
  // (a stream has no server-side deadline); after the role's check, so that only an auditing role
  // learns even that head.
  RETURN_IF_ERROR(security::MayAuditCases(who));
  if (request.min_position() > HeadFor(who)) {
    return absl::OutOfRangeError(
        "min_position: beyond the log's head; pass a position a command or a query returned");
  }
  RETURN_IF_ERROR(views_->WaitFor(AskedHead(asked_head), deadline));
  ASSIGN_OR_RETURN(const v1::CaseView view, Authorize(who, request.youth_id()));
  ASSIGN_OR_RETURN(const std::vector<uint64_t> positions,
                   Positions(request.youth_id(), UINT64_MAX));

  History history;
  history.handler_ = this;
  history.youth_id_ = view.youth_id();
  history.area_id_ = view.area_id();
  // An erased youth's facts dated by the birthday are left out (ErasedYouthsBirthdayFact), and
  // out of the total too, which would tell that they were there.
  size_t hidden = 0;
  ASSIGN_OR_RETURN(const bool erased, sealer_->Erased(request.youth_id()));
  if (erased) {
    v1::Event event;
    RETURN_IF_ERROR(ReadEach(positions, [&](const store::RecordedEvent& one) -> absl::StatusOr<bool> {
      RETURN_IF_ERROR(projections::ParseEvent(one, &event));
      ASSIGN_OR_RETURN(const bool birthday, queries::ErasedYouthsBirthdayFact(event, *sealer_));
      hidden += birthday;
      return true;
    }));
  }
  history.total_ = positions.size() - hidden;
  history.positions_ = std::move(positions);
  return history;
}

absl::StatusOr<rpc::Pull> AuditHandler::History::Next(std::string& response,
                                                      security::Disclosures& shown) {
  if (done_) return rpc::Pull::kNone;
  // Every response shows the youth, even one whose data all reads as erased.
  shown.Shown(youth_id_, area_id_, /*in_clear=*/false);
  const size_t batch = std::max<size_t>(handler_->options_.history_batch, 1);
  security::Sealer::Reader sealer(*handler_->sealer_);  // each key asked once per response
  size_t given = 0;
  std::string event;  // one StoredEvent's wire form, then appended as a field of the response
  // No more read than the batch can take: a hidden event makes room for one more read.
  while (next_ < positions_.size() && given < batch) {
    const size_t want = std::min(kReadChunk, batch - given);
    const std::vector<uint64_t> chunk(
        positions_.begin() + next_, positions_.begin() + std::min(positions_.size(), next_ + want));
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> recorded,
                     handler_->events_->ReadPositions(chunk));
    next_ += chunk.size();
    for (const store::RecordedEvent& one : recorded) {
      event.clear();
      ASSIGN_OR_RETURN(const bool handed_out,
                       queries::AppendAllowedStoredEvent(one, sealer, event, shown));
      if (!handed_out) continue;  // an erased youth's birthday fact
      common::wire::PutLength(response, v1::GetCaseHistoryResponse::kEventsFieldNumber, event);
      ++given;
    }
  }
  if (given > 0) {
    common::wire::PutVarintField(response, v1::GetCaseHistoryResponse::kTotalFieldNumber, total_);
  }
  if (next_ < positions_.size()) return rpc::Pull::kMore;
  done_ = true;
  // The last batch; an empty one only for a youth with no event at all.
  return given > 0 || positions_.empty() ? rpc::Pull::kLast : rpc::Pull::kNone;
}

absl::Status AuditHandler::CaseHistory(
    const security::Principal& who, const v1::GetCaseHistoryRequest& request, absl::Time deadline,
    const std::function<absl::StatusOr<bool>(v1::GetCaseHistoryResponse&,
                                             const security::Disclosures&)>& send,
    uint64_t asked_head) const {
  ASSIGN_OR_RETURN(History history, OpenCaseHistory(who, request, deadline, asked_head));
  for (;;) {
    std::string wire;
    security::Disclosures shown;
    ASSIGN_OR_RETURN(const rpc::Pull pulled, history.Next(wire, shown));
    if (pulled == rpc::Pull::kNone) return absl::OkStatus();
    v1::GetCaseHistoryResponse response;
    if (!response.ParseFromString(wire)) {
      return absl::InternalError("a history's batch did not parse back");
    }
    ASSIGN_OR_RETURN(const bool more, send(response, shown));
    if (!more || pulled == rpc::Pull::kLast) return absl::OkStatus();
  }
}

absl::StatusOr<uint64_t> AuditHandler::PositionAt(absl::Time time) const {
  // recorded_at never decreases along the log (the store stamps max(now, last)).
  uint64_t low = 0, high = events_->HeadPosition();  // answer in [low, high]
  while (low < high) {
    const uint64_t mid = low + (high - low + 1) / 2;
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> at,
                     events_->ReadAll(mid, store::Direction::kForward, 1));
    if (at.empty()) return absl::InternalError(absl::StrCat("log: position ", mid, " unread"));
    if (at[0].recorded_at <= time) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

uint64_t AuditHandler::Awaited(const v1::GetCaseAsOfRequest& request, uint64_t asked_head) const {
  const uint64_t head = AskedHead(asked_head);
  // A bad position waits for nothing: CaseAsOf refuses it.
  if (request.as_of_case() == v1::GetCaseAsOfRequest::kPosition && request.position() <= head) {
    return Unreached(request.position());
  }
  return request.as_of_case() == v1::GetCaseAsOfRequest::kTime ? Unreached(head) : 0;
}

absl::StatusOr<Disclosed<v1::GetCaseAsOfResponse>> AuditHandler::CaseAsOf(
    const security::Principal& who, const v1::GetCaseAsOfRequest& request, absl::Time deadline,
    uint64_t asked_head) const {
  uint64_t position = 0;
  // The head `who` is told: neither a position past it nor the last event before a time may
  // date an event of a confidential kind that `who` does not learn of.
  const uint64_t head = HeadFor(who);
  switch (request.as_of_case()) {
    case v1::GetCaseAsOfRequest::kPosition:
      position = request.position();
      if (position == 0) return Invalid("position", "must be at least 1");
      if (position > head) {
        return Invalid("position", absl::StrCat("past the log's head (", head, ")"));
      }
      break;
    case v1::GetCaseAsOfRequest::kTime: {
      // A time between 1900 and 9999, as every request's (the service checked it first).
      RETURN_IF_ERROR(rpc::CheckDates(request));
      ASSIGN_OR_RETURN(position, PositionAt(TimeOf(request.time())));
      position = std::min({position, head, AskedHead(asked_head)});
      break;
    }
    default:
      return Invalid("as_of", "give a position or a time");
  }
  RETURN_IF_ERROR(views_->WaitFor(position, deadline));
  ASSIGN_OR_RETURN(const v1::CaseView now, Authorize(who, request.youth_id()));
  Disclosed<v1::GetCaseAsOfResponse> out;
  v1::GetCaseAsOfResponse& response = out.answer;
  response.set_position(position);
  // Before the case existed the answer shows no data; the read of the youth is recorded.
  out.disclosures.Shown(now.youth_id(), now.area_id(), /*in_clear=*/false);
  if (position == 0) return out;

  ASSIGN_OR_RETURN(const std::vector<uint64_t> positions, Positions(request.youth_id(), position));
  projections::CasesView cases;
  projections::MemoryRows rows;
  v1::Event event;
  RETURN_IF_ERROR(ReadEach(positions, [&](const store::RecordedEvent& one) -> absl::StatusOr<bool> {
    RETURN_IF_ERROR(projections::ParseEvent(one, &event));
    // An erased youth's facts dated by the birthday are not taken into account: the view's
    // position, or a consent lapsing, would date them (and so the birth date).
    ASSIGN_OR_RETURN(const bool birthday, queries::ErasedYouthsBirthdayFact(event, *sealer_));
    if (birthday) return true;
    RETURN_IF_ERROR(cases.Apply(one, event, rows));
    return true;
  }));
  rows.Flush();
  const auto row = rows.rows().find(projections::CaseKey(request.youth_id()));
  if (row == rows.rows().end()) return out;
  v1::CaseView* view = response.mutable_case_view();
  if (!view->ParseFromString(row->second)) {
    return absl::DataLossError(absl::StrCat("the case of ", request.youth_id(), " is unreadable"));
  }
  // "Today" for overdue commitments is the day of the last event taken into account.
  ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> last,
                   events_->ReadAll(position, store::Direction::kForward, 1));
  const absl::CivilDay day =
      absl::ToCivilDay(last.empty() ? Now() : last[0].recorded_at, absl::UTCTimeZone());
  RETURN_IF_ERROR(PresentCase(view, /*allowed=*/true, *sealer_, day, out.disclosures));
  return out;
}

absl::StatusOr<v1::VerifyLogResponse> AuditHandler::VerifyLog(
    const security::Principal& who, const v1::VerifyLogRequest& request, absl::Time deadline,
    const std::function<bool()>& cancelled) const {
  RETURN_IF_ERROR(security::MayVerifyLog(who));
  const uint64_t head = HeadFor(who);
  const uint64_t from = std::max<uint64_t>(request.from_position(), 1);
  const uint64_t to = request.to_position() == 0 ? head : std::min(request.to_position(), head);
  if (from > to && head > 0) {
    return Invalid("from_position", absl::StrCat(from, " is after to_position ", to));
  }
  v1::VerifyLogResponse response;
  response.set_from_position(from);
  response.set_to_position(to);
  if (head == 0) {
    response.set_ok(true);
    return response;
  }
  // A batch at a time: each starts from the stored hash of the event before it, which the batch
  // before verified, so the batches together verify the chain as one pass would.
  const uint64_t batch = std::max<uint64_t>(options_.verify_batch, 1);
  for (uint64_t first = from; first <= to;) {
    if (cancelled != nullptr && cancelled()) {
      return absl::CancelledError(absl::StrCat("VerifyLog: the call was cancelled after verifying ",
                                               first - from, " events"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "VerifyLog: the call's deadline passed after verifying positions ", from, " to ",
          first - 1, " of ", to, "; verify the rest with from_position ", first));
    }
    const uint64_t last = to - first < batch ? to : first + batch - 1;
    const store::VerifyReport report = events_->Verify(first, last);
    if (!report.status.ok()) {
      response.set_ok(false);
      response.set_first_broken_position(report.first_broken_position.value_or(0));
      response.set_problem(std::string(report.status.message()));
      return response;
    }
    first = last + 1;
  }
  response.set_ok(true);
  return response;
}

absl::StatusOr<v1::ListErasureReviewsDueResponse> AuditHandler::ErasureReviewsDue(
    const security::Principal& who, const v1::ListErasureReviewsDueRequest& request,
    absl::Time deadline, uint64_t asked_head) const {
  if (request.area_id().empty()) return Invalid("area_id", "required");
  RETURN_IF_ERROR(security::MayReviewErasures(who, request.area_id()));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  // The area's ended cases that are not erased (an erased case has had its review), through
  // their index, oldest first, read only up to the cutoff and only as far as the page.
  const std::string prefix = projections::CasesOfAreaEnded(request.area_id());
  ASSIGN_OR_RETURN(const std::string after,
                   queries::FromIndexToken(request.page_token(), projections::kCasesView, prefix));
  RETURN_IF_ERROR(views_->WaitFor(AskedHead(asked_head), deadline));
  const absl::Time now = Now();
  const absl::Time cutoff = now - absl::Hours(24) * options_.retention_days;
  const std::string last =
      absl::StrCat(prefix, absl::StrFormat("%020d/~", absl::ToUnixSeconds(cutoff)));
  google::protobuf::RepeatedPtrField<v1::CaseView> cases;
  v1::ListErasureReviewsDueResponse response;
  ASSIGN_OR_RETURN(
      const std::string next,
      queries::IndexPage<v1::CaseView>(
          *views_, projections::kCasesView, prefix, after, last, projections::CaseKey,
          [&](v1::CaseView& view) { return TimeOf(EndedAt(view)) <= cutoff; }, page_size, &cases,
          /*parsed=*/nullptr));
  response.set_next_page_token(next);
  response.set_retention_days(options_.retention_days);
  for (const v1::CaseView& view : cases) {
    v1::ErasureReviewDue* due = response.add_cases();
    due->set_youth_id(view.youth_id());
    *due->mutable_closed_at() = EndedAt(view);
    due->set_days_closed(static_cast<int32_t>((now - TimeOf(EndedAt(view))) / absl::Hours(24)));
  }
  return response;
}

namespace {

constexpr char kPoliceReason[] =
    "the police's information (Databeskyttelsesloven § 22, stk. 2, nr. 4: the prevention and "
    "investigation of crime)";
constexpr char kThirdPartyReason[] = "a third party's name (Databeskyttelsesloven § 22, stk. 1)";
constexpr char kPurposeTextReason[] =
    "the reader's own words about the read, which may name others (Databeskyttelsesloven § 22, "
    "stk. 1): the purpose is given by its code";
constexpr char kEmployeeReason[] =
    "the employee who acted (CJEU C-579/21: the agency and the time are given)";

std::string Escape(absl::string_view text) { return common::HtmlEscape(text); }

std::string Time(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", TimeOf(t), absl::UTCTimeZone());
}

std::string Field(const v1::PersonalField& f) {
  if (f.has_text()) return f.text();
  if (f.has_withheld()) return absl::StrCat("(", f.withheld().reason(), ")");
  return "";
}

// One self-contained page: the case, the history, who read it, what was withheld.
std::string RenderHtml(const v1::SubjectAccessExport& e) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"da\"><head><meta charset=\"utf-8\">"
      "<title>Indsigt / Subject access</title><style>body{font-family:sans-serif;margin:2em}"
      "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;text-align:left;"
      "vertical-align:top}</style></head><body>\n";
  const v1::CaseView& c = e.case_view();
  absl::StrAppend(&h, "<h1>What the Hotspot coordination holds about you</h1>\n<p>Case ",
                  Escape(e.youth_id()), ", exported ", Escape(Time(e.exported_at())),
                  " for request ", Escape(e.subject_access_id()), ".</p>\n<h2>You</h2>\n<table>");
  for (const auto& [label, field] : {std::pair{"Name", &c.name()},
                                     {"CPR number", &c.cpr_number()},
                                     {"Birth date", &c.birth_date()},
                                     {"Address", &c.address()}}) {
    absl::StrAppend(&h, "<tr><th>", label, "</th><td>", Escape(Field(*field)), "</td></tr>");
  }
  absl::StrAppend(&h, "<tr><th>Status</th><td>", Escape(v1::CaseStatus_Name(c.status())),
                  "</td></tr></table>\n<h2>Everything recorded about you</h2>\n<table><tr><th>"
                  "When</th><th>What</th><th>Agency</th><th>Details</th></tr>\n");
  for (const v1::StoredEvent& s : e.history()) {
    std::string details;
    for (const v1::PersonalValue& v : s.personal_data()) {
      absl::StrAppend(&details, Escape(v.path()), ": ", Escape(Field(v.value())), "<br>");
    }
    absl::StrAppend(&h, "<tr><td>", Escape(Time(s.occurred_at())), "</td><td>",
                    Escape(absl::StripPrefix(s.type(), "hotspot.v1.")), "</td><td>",
                    Escape(s.actor().agency_id()), "</td><td>", details, "</td></tr>\n");
  }
  absl::StrAppend(&h,
                  "</table>\n<h2>Who read your data, and why</h2>\n<table><tr><th>When</th>"
                  "<th>Agency</th><th>Role</th><th>Purpose</th></tr>\n");
  for (const v1::SubjectAccessRead& r : e.reads()) {
    absl::StrAppend(&h, "<tr><td>", Escape(Time(r.at())), "</td><td>", Escape(r.agency_id()),
                    "</td><td>", Escape(r.role()), "</td><td>", Escape(r.purpose()),
                    r.purpose_text().empty() ? "" : ": ", Escape(r.purpose_text()),
                    r.refused() ? " (refused)" : "", "</td></tr>\n");
  }
  absl::StrAppend(&h,
                  "</table>\n<h2>What is withheld, and why</h2>\n<table><tr><th>Event</th>"
                  "<th>Field</th><th>Reason</th></tr>\n");
  for (const v1::Redaction& r : e.redactions()) {
    absl::StrAppend(&h, "<tr><td>", r.position(), "</td><td>", Escape(r.path()), "</td><td>",
                    Escape(r.reason()), "</td></tr>\n");
  }
  absl::StrAppend(&h, "</table>\n</body></html>\n");
  return h;
}

}  // namespace

absl::StatusOr<Disclosed<v1::ExportSubjectAccessResponse>> AuditHandler::SubjectAccess(
    const security::Principal& who, const v1::ExportSubjectAccessRequest& request,
    absl::Time deadline, std::vector<v1::AccessRecord> reads, uint64_t asked_head) const {
  RETURN_IF_ERROR(CheckId("subject_access_id", request.subject_access_id(), "access",
                          /*required=*/true));
  Disclosed<v1::ExportSubjectAccessResponse> out;
  v1::SubjectAccessExport e;
  e.set_youth_id(request.youth_id());
  e.set_subject_access_id(request.subject_access_id());
  *e.mutable_exported_at() = projections::Ts(Now());
  // The history (it checks who may read it, and waits for the views to reach the head).
  v1::GetCaseHistoryRequest history;
  history.set_youth_id(request.youth_id());
  RETURN_IF_ERROR(CaseHistory(who, history, deadline,
                              [&](v1::GetCaseHistoryResponse& response,
                                  const security::Disclosures& shown) -> absl::StatusOr<bool> {
                                for (v1::StoredEvent& event : *response.mutable_events())
                                  *e.add_history() = event;
                                out.disclosures.Merge(shown);
                                return true;
                              },
                              asked_head));
  ASSIGN_OR_RETURN(std::optional<v1::CaseView> view, LoadCaseRow(*views_, request.youth_id()));
  if (!view.has_value()) return absl::NotFoundError("youth_id: no case");
  const bool asked =
      std::any_of(view->subject_access_requests().begin(), view->subject_access_requests().end(),
                  [&](const v1::SubjectAccessView& s) {
                    return s.subject_access_id() == request.subject_access_id();
                  });
  if (!asked) {
    return absl::NotFoundError(absl::StrCat("subject_access_id: ", request.youth_id(),
                                            " has no request ", request.subject_access_id()));
  }
  RETURN_IF_ERROR(PresentCase(&*view, /*allowed=*/true, *sealer_,
                              absl::ToCivilDay(Now(), absl::UTCTimeZone()), out.disclosures));

  // Which agencies are the police.
  std::map<std::string, bool> police;
  auto is_police = [&](const std::string& agency) -> absl::StatusOr<bool> {
    if (agency.empty()) return false;  // the system's own facts
    auto it = police.find(agency);
    if (it != police.end()) return it->second;
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> first,
                     events_->ReadStream(agency, 1, store::Direction::kForward, 1));
    bool yes = false;
    if (!first.empty()) {
      ASSIGN_OR_RETURN(const v1::Event registered, projections::ParseEvent(first[0]));
      yes = registered.agency_registered().kind() == v1::AGENCY_KIND_POLICE;
    }
    return police.emplace(agency, yes).first->second;
  };
  auto redact = [&](uint64_t position, std::string path, const char* reason) {
    v1::Redaction* r = e.add_redactions();
    r->set_position(position);
    r->set_path(std::move(path));
    r->set_reason(reason);
  };
  // Clears a third party's name and lists the redaction; nothing if there is none.
  auto withhold_name = [&](uint64_t position, std::string* name, const char* path,
                           const char* reason) {
    if (name->empty()) return;
    name->clear();
    redact(position, path, reason);
  };
  // Marks as withheld those of `fields` that hold a value.
  auto withhold_fields = [](std::initializer_list<v1::PersonalField*> fields) {
    for (v1::PersonalField* f : fields) {
      if (f->value_case() != v1::PersonalField::VALUE_NOT_SET) {
        f->mutable_withheld()->set_reason("redacted");
      }
    }
  };
  for (v1::StoredEvent& s : *e.mutable_history()) {
    v1::Event& event = *s.mutable_event();
    // No ids or hashes by which a redacted name could be tested: an event id is derived from its
    // actor and request id, and the chain's hash covers the event as written, actor and all.
    s.clear_event_id();
    s.clear_request_id();
    s.clear_hash();
    event.clear_request_id();
    if (!s.actor().person().empty() && s.actor().person() != "system") {
      s.mutable_actor()->set_person("");
      event.mutable_actor()->set_person("");
      redact(s.position(), "actor.person", kEmployeeReason);
    }
    // What the police wrote: every text of an event a person of the police made (a note, an
    // action, a reason), and of a concern they shared, a referral or a notification they made
    // and a commitment of theirs (its action), whoever recorded it; not the youth's identity
    // (where the police referred the youth), nor the categories' count.
    ASSIGN_OR_RETURN(bool police_wrote, is_police(s.actor().agency_id()));
    const std::string* whose =
        event.has_concern_shared()      ? &event.concern_shared().agency_id()
        : event.has_youth_referred()    ? &event.youth_referred().referring_agency_id()
        : event.has_notification_made() ? &event.notification_made().agency_id()
        : event.has_commitment_made()   ? &event.commitment_made().owning_agency_id()
                                        : nullptr;
    if (!police_wrote && whose != nullptr) {
      ASSIGN_OR_RETURN(police_wrote, is_police(*whose));
    }
    if (police_wrote) {
      if (event.concern_shared().concerns_size() > 0) {
        event.mutable_concern_shared()->clear_concerns();
        redact(s.position(), "concern_shared.concerns", kPoliceReason);
      }
      if (event.youth_referred().concerns_size() > 0) {
        event.mutable_youth_referred()->clear_concerns();
        redact(s.position(), "youth_referred.concerns", kPoliceReason);
      }
      // Texts in clear (events of before texts were sealed, and an area's own texts).
      WithholdClearTexts(&event, "", [&](std::string path) {
        redact(s.position(), std::move(path), kPoliceReason);
      });
    }
    RedactForExport(&event, "", [&](std::string path) {
      redact(s.position(), std::move(path), kEmployeeReason);
    });
    if (event.has_consent_recorded()) {
      withhold_name(s.position(), event.mutable_consent_recorded()->mutable_given_by(),
                    "consent_recorded.given_by", kThirdPartyReason);
    }
    for (v1::PersonalValue& v : *s.mutable_personal_data()) {
      // Who asked for the youth's data or gave consent: a third party, such as a parent.
      const bool third_party =
          absl::EndsWith(v.path(), "requested_by") || absl::EndsWith(v.path(), "given_by_sealed");
      const bool police_text = police_wrote && !IsIdentity(v.path());
      if (!police_text && !third_party) continue;
      v.mutable_value()->mutable_withheld()->set_reason("redacted");
      redact(s.position(), v.path(), third_party ? kThirdPartyReason : kPoliceReason);
    }
    // The sealed values inside the event itself: their ciphertexts went (RedactForExport);
    // the export gives them as the personal values above.
  }
  // The case (position 0 in the redactions): the same withheld as in the history.
  for (v1::SharedConcern& concern : *view->mutable_concerns_shared()) {
    ASSIGN_OR_RETURN(const bool by_police, is_police(concern.agency_id()));
    if (!by_police) continue;
    withhold_fields(
        {concern.mutable_text(), concern.mutable_necessity(), concern.mutable_concerns_sealed()});
    concern.clear_concerns();
    redact(0, "case_view.concerns_shared", kPoliceReason);
  }
  ASSIGN_OR_RETURN(const bool referred_by_police,
                   is_police(view->referral().referring_agency_id()));
  if (referred_by_police) {
    v1::Referral& referral = *view->mutable_referral();
    withhold_fields({referral.mutable_description(), referral.mutable_concerns_sealed()});
    referral.clear_concerns();
    redact(0, "case_view.referral.description", kPoliceReason);
  }
  RedactForExport(&*view, "case_view.",
                        [&](std::string path) { redact(0, std::move(path), kEmployeeReason); });
  for (v1::ConsentView& consent : *view->mutable_consents()) {
    withhold_name(0, consent.mutable_given_by(), "case_view.consents.given_by", kThirdPartyReason);
    if (consent.given_by_sealed().value_case() != v1::PersonalField::VALUE_NOT_SET) {
      withhold_fields({consent.mutable_given_by_sealed()});
      redact(0, "case_view.consents.given_by_sealed", kThirdPartyReason);
    }
  }
  for (v1::SubjectAccessView& sar : *view->mutable_subject_access_requests()) {
    sar.mutable_requested_by()->mutable_withheld()->set_reason("redacted");
    redact(0, "case_view.subject_access_requests.requested_by", kThirdPartyReason);
  }
  // Withholds a text of the police's in the case, if it holds one, and lists the redaction.
  auto withhold_police_text = [&](v1::PersonalField* field, const char* path) {
    if (field->value_case() == v1::PersonalField::VALUE_NOT_SET) return;
    withhold_fields({field});
    redact(0, path, kPoliceReason);
  };
  for (v1::NotificationView& n : *view->mutable_notifications()) {
    ASSIGN_OR_RETURN(const bool by_police, is_police(n.agency_id()));
    if (by_police) withhold_police_text(n.mutable_text(), "case_view.notifications.text");
  }
  for (v1::CommitmentView& c : *view->mutable_commitments()) {
    ASSIGN_OR_RETURN(const bool by_police, is_police(c.owning_agency_id()));
    if (!by_police) continue;
    withhold_police_text(c.mutable_action(), "case_view.commitments.action");
    withhold_police_text(c.mutable_decline_reason(), "case_view.commitments.decline_reason");
  }
  *e.mutable_case_view() = std::move(*view);

  // Who read it: dates, agencies, roles and purposes, not the persons.
  for (v1::AccessRecord& record : reads) {
    v1::SubjectAccessRead* read = e.add_reads();
    *read->mutable_at() = record.at();
    read->set_agency_id(record.agency_id());
    read->set_role(record.role());
    read->set_purpose(record.purpose());
    if (record.purpose_text().value_case() != v1::PersonalField::VALUE_NOT_SET) {
      redact(0, absl::StrCat("reads[", e.reads_size() - 1, "].purpose_text"), kPurposeTextReason);
    }
    read->set_refused(record.refused());
  }

  v1::ExportSubjectAccessResponse& answer = out.answer;
  google::protobuf::util::JsonPrintOptions json;
  json.add_whitespace = true;
  json.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(e, answer.mutable_json(), json).ok()) {
    return absl::InternalError("the subject access export did not render as JSON");
  }
  answer.set_html(RenderHtml(e));
  *answer.mutable_redactions() = e.redactions();
  answer.set_position(HeadFor(who));
  return out;
}

}  // namespace hotspot::audit
