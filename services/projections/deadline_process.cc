#include "services/projections/deadline_process.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/domain/aggregates.h"
#include "services/projections/area_views.h"
#include "services/projections/case_views.h"
#include "services/projections/view_util.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

constexpr char kSystem[] = "system";

// The event id of a deadline fact: name-based on its key, the same on every pass.
store::EventId DeadlineId(absl::string_view key) {
  return store::EventId::FromName(absl::StrCat("hotspot.deadline", std::string(1, '\0'), key));
}

absl::CivilDay DayOf(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }
absl::Time Midnight(absl::CivilDay day) { return absl::FromCivil(day, absl::UTCTimeZone()); }

// A stream's state and version, read fresh from the log.
template <typename State>
absl::StatusOr<std::pair<State, uint64_t>> Fold(const store::EventStore& events,
                                                const std::string& stream) {
  State state;
  uint64_t version = 0;
  for (;;) {
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> batch,
                     events.ReadStream(stream, version + 1, store::Direction::kForward, 1000));
    for (const store::RecordedEvent& recorded : batch) {
      ASSIGN_OR_RETURN(const v1::Event event, ParseEvent(recorded));
      domain::Evolve(state, event);
      version = recorded.stream_version;
    }
    if (batch.size() < 1000) return std::make_pair(std::move(state), version);
  }
}

class Appender {
 public:
  explicit Appender(store::EventStore* events) : events_(events) {}

  // Appends `event` about `key` to `stream`. A stream that moved since it was read is left for
  // the next pass.
  absl::Status Append(const std::string& stream, store::ExpectedVersion expected,
                      const std::string& area_id, v1::Event event, const std::string& key,
                      absl::Time occurred_at) {
    event.mutable_actor()->set_person(kSystem);
    event.mutable_actor()->set_role(kSystem);
    event.set_request_id(absl::StrCat("deadline:", key));
    event.set_area_id(area_id);
    std::vector<store::StreamAppend> appends(1);
    appends[0].stream = stream;
    appends[0].expected = expected;
    store::ProposedEvent& proposed = appends[0].events.emplace_back();
    proposed.id = DeadlineId(key);
    proposed.type = domain::EventType(event);
    proposed.payload = event.SerializeAsString();
    proposed.metadata.occurred_at = occurred_at;
    proposed.metadata.actor = kSystem;
    proposed.metadata.correlation_id = event.request_id();
    absl::StatusOr<store::AppendResult> result = events_->Append(std::move(appends));
    if (absl::IsFailedPrecondition(result.status())) return absl::OkStatus();
    RETURN_IF_ERROR(result.status());
    if (!result->duplicate) ++appended_;
    return absl::OkStatus();
  }

  int appended() const { return appended_; }

 private:
  store::EventStore* const events_;
  int appended_ = 0;
};

// Every row of `view` under `prefix`, parsed.
template <typename Row>
absl::StatusOr<std::vector<Row>> All(const Projector& views, absl::string_view view,
                                     absl::string_view prefix) {
  std::vector<Row> rows;
  RETURN_IF_ERROR(ScanRows<Row>(views, view, prefix, [&](absl::string_view, Row& row) {
    rows.push_back(std::move(row));
    return true;
  }));
  return rows;
}

}  // namespace

DeadlineProcess::DeadlineProcess(store::EventStore* events, const Projector* views,
                                 security::Sealer* sealer, DeadlineOptions options)
    : events_(events), views_(views), sealer_(sealer), options_(std::move(options)) {
  if (options_.interval > absl::ZeroDuration()) {
    thread_ = std::thread([this] {
      do {
        RunOnce().IgnoreError();  // the next pass tries again; the views report their errors
      } while (!stop_.WaitForNotificationWithTimeout(options_.interval));
    });
  }
}

DeadlineProcess::~DeadlineProcess() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> DeadlineProcess::RunOnce() {
  const absl::Time now = Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  Appender out(events_);

  // Open commitments past their due date, confirmed against the commitment's own stream.
  ASSIGN_OR_RETURN(const auto commitments,
                   All<v1::CommitmentView>(*views_, kCommitmentsView, "commitment/"));
  for (const v1::CommitmentView& c : commitments) {
    if (c.state() != v1::COMMITMENT_STATE_OPEN || c.overdue() || DayOf(c.due_date()) >= today) {
      continue;
    }
    ASSIGN_OR_RETURN(const auto fresh, Fold<domain::CommitmentState>(*events_, c.commitment_id()));
    const auto& [state, version] = fresh;
    if (!state.open() || DayOf(state.due_date) >= today) continue;
    v1::Event event;
    event.mutable_commitment_marked_overdue()->set_commitment_id(c.commitment_id());
    *event.mutable_commitment_marked_overdue()->mutable_due_date() = state.due_date;
    const absl::CivilDay due = DayOf(state.due_date);
    RETURN_IF_ERROR(out.Append(
        c.commitment_id(), store::ExpectedVersion::Exactly(version), c.area_id(), std::move(event),
        absl::StrCat("overdue/", c.commitment_id(), "/", absl::FormatCivilTime(due)),
        Midnight(due + 1)));
  }

  // Escalations not acknowledged at their level within the area's set time.
  std::map<std::string, int> ack_days;  // area -> days
  ASSIGN_OR_RETURN(const auto escalations,
                   All<v1::EscalationView>(*views_, kEscalationsView, "escalation/"));
  for (const v1::EscalationView& e : escalations) {
    if (e.resolved() || e.acknowledged() || e.acknowledgement_overdue()) continue;
    auto days = ack_days.find(e.area_id());
    if (days == ack_days.end()) {
      ASSIGN_OR_RETURN(const auto area, Fold<domain::AreaState>(*events_, e.area_id()));
      days = ack_days.emplace(e.area_id(), area.first.escalation_ack_days).first;
    }
    absl::Time since = TimeOf(e.raised_at());
    if (e.moves_size() > 0) since = TimeOf(e.moves(e.moves_size() - 1).at());
    const absl::Time deadline = since + absl::Hours(24 * days->second);
    if (now <= deadline) continue;
    ASSIGN_OR_RETURN(const auto fresh, Fold<domain::EscalationState>(*events_, e.escalation_id()));
    const auto& [state, version] = fresh;
    if (state.resolved || state.acknowledged || state.level != e.level()) continue;
    v1::Event event;
    auto* x = event.mutable_escalation_not_acknowledged();
    x->set_escalation_id(e.escalation_id());
    x->set_level(state.level);
    x->set_days(days->second);
    RETURN_IF_ERROR(out.Append(
        e.escalation_id(), store::ExpectedVersion::Exactly(version), e.area_id(), std::move(event),
        absl::StrCat("unacknowledged/", e.escalation_id(), "/", state.level), deadline));
  }

  // Bodies behind their cadence, once per gap since they last met (or were constituted).
  ASSIGN_OR_RETURN(auto bodies, All<v1::BodyView>(*views_, kMeetingsView, "body/"));
  for (v1::BodyView& body : bodies) {
    JudgeCadence(&body, now);
    if (!body.behind_cadence()) continue;
    v1::Event event;
    auto* x = event.mutable_body_behind_cadence();
    x->set_area_id(body.area_id());
    x->set_body_id(body.body_id());
    *x->mutable_cadence() = body.cadence();
    absl::Time since = TimeOf(body.constituted_at());
    for (const auto& held : body.held_at()) {
      if (TimeOf(held) >= since) {
        since = TimeOf(held);
        *x->mutable_last_met_at() = held;
      }
    }
    RETURN_IF_ERROR(out.Append(body.area_id(), store::ExpectedVersion::Any(), body.area_id(),
                               std::move(event),
                               absl::StrCat("cadence/", body.area_id(), "/", body.body_id(), "/",
                                            absl::ToUnixSeconds(since)),
                               since));
  }

  // Cases: review dates passed; youths turning 18 within 90 days.
  ASSIGN_OR_RETURN(const auto cases, All<v1::CaseView>(*views_, kCasesView, "case/"));
  for (const v1::CaseView& c : cases) {
    const v1::CaseStatus status = c.status();
    if (status == v1::CASE_STATUS_ACTIVE && c.has_next_review_date() && !c.review_overdue() &&
        DayOf(c.next_review_date()) < today) {
      v1::Event event;
      event.mutable_review_date_passed()->set_youth_id(c.youth_id());
      *event.mutable_review_date_passed()->mutable_review_date() = c.next_review_date();
      const absl::CivilDay review = DayOf(c.next_review_date());
      RETURN_IF_ERROR(
          out.Append(c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
                     absl::StrCat("review/", c.youth_id(), "/", absl::FormatCivilTime(review)),
                     Midnight(review + 1)));
    }
    // Child welfare (barnets lov): a notification not assessed within 24 hours, its receipt not
    // confirmed within 6 working days, an investigation not finished within 4 months.
    for (const v1::NotificationView& n : c.notifications()) {
      const absl::Time assessment_due = TimeOf(n.assessment_due_at());
      if (!n.has_assessed_at() && !n.assessment_overdue() && now > assessment_due) {
        v1::Event event;
        event.mutable_notification_assessment_overdue()->set_notification_id(n.notification_id());
        event.mutable_notification_assessment_overdue()->set_youth_id(c.youth_id());
        RETURN_IF_ERROR(out.Append(
            c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
            absl::StrCat("notification-assessment/", n.notification_id()), assessment_due));
      }
      const absl::CivilDay receipt_due = DayOf(n.receipt_due_on());
      if (!n.has_receipt_confirmed_at() && !n.receipt_overdue() && today > receipt_due) {
        v1::Event event;
        event.mutable_notification_receipt_overdue()->set_notification_id(n.notification_id());
        event.mutable_notification_receipt_overdue()->set_youth_id(c.youth_id());
        RETURN_IF_ERROR(out.Append(
            c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
            absl::StrCat("notification-receipt/", n.notification_id()), Midnight(receipt_due + 1)));
      }
    }
    // GDPR Art. 12(3): a subject access request answered within one month.
    for (const v1::SubjectAccessView& sar : c.subject_access_requests()) {
      const absl::CivilDay due = DayOf(sar.due_on());
      if (sar.has_answered_at() || sar.overdue() || today <= due) continue;
      v1::Event event;
      auto* x = event.mutable_subject_access_overdue();
      x->set_subject_access_id(sar.subject_access_id());
      x->set_youth_id(c.youth_id());
      *x->mutable_due_on() = sar.due_on();
      RETURN_IF_ERROR(
          out.Append(c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
                     absl::StrCat("subject-access/", sar.subject_access_id()), Midnight(due + 1)));
    }
    for (const v1::InvestigationView& i : c.investigations()) {
      const absl::CivilDay due = DayOf(i.due_on());
      if (i.has_completed_at() || i.overdue() || today <= due) continue;
      v1::Event event;
      auto* x = event.mutable_child_welfare_investigation_overdue();
      x->set_investigation_id(i.investigation_id());
      x->set_youth_id(c.youth_id());
      *x->mutable_due_on() = i.due_on();
      RETURN_IF_ERROR(
          out.Append(c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
                     absl::StrCat("investigation/", i.investigation_id()), Midnight(due + 1)));
    }
    const bool open = status != v1::CASE_STATUS_CLOSED && status != v1::CASE_STATUS_DECLINED &&
                      status != v1::CASE_STATUS_HANDED_OVER;
    const bool consents = std::any_of(c.consents().begin(), c.consents().end(),
                                      [](const v1::ConsentView& x) { return x.in_force(); });
    if (!consents && (!open || c.turns_18_soon())) continue;
    if (!c.birth_date().has_sealed()) continue;
    const v1::SealedText& sealed = c.birth_date().sealed();
    const absl::StatusOr<security::UnsealedValue> birth = UnsealText(*sealer_, sealed);
    if (!birth.ok() || birth->erased) continue;
    const std::optional<absl::CivilDay> adult = EighteenthBirthday(birth->text);
    if (!adult.has_value()) continue;
    // At 18 a consent given before then lapses, unless the youth gives it again.
    for (const v1::ConsentView& consent : c.consents()) {
      if (!consent.in_force() || *adult > today || TimeOf(consent.given_at()) >= Midnight(*adult)) {
        continue;
      }
      v1::Event event;
      event.mutable_consent_lapsed()->set_youth_id(c.youth_id());
      auto* lapsed = event.mutable_consent_lapsed();
      (consent.consent_id().empty() ? lapsed->mutable_scope() : lapsed->mutable_consent_id())
          ->assign(security::ConsentKey(consent));
      // The key names the consent by its id (a consent of before: by its scope, as it always
      // has, so that one that lapsed already is not appended again).
      RETURN_IF_ERROR(
          out.Append(c.youth_id(), store::ExpectedVersion::Any(), c.area_id(), std::move(event),
                     absl::StrCat("consent-lapsed/", c.youth_id(), "/",
                                  consent.given_at().seconds(), "/", security::ConsentKey(consent)),
                     Midnight(*adult)));
    }
    if (!open || c.turns_18_soon() || *adult < today || *adult - today > 90) continue;
    v1::Event event;
    event.mutable_eighteenth_birthday_near()->set_youth_id(c.youth_id());
    RETURN_IF_ERROR(out.Append(c.youth_id(), store::ExpectedVersion::Any(), c.area_id(),
                               std::move(event), absl::StrCat("eighteen/", c.youth_id()),
                               Midnight(*adult - 90)));
  }
  return out.appended();
}

}  // namespace hotspot::projections
