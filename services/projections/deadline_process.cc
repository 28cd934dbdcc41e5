#include "services/projections/deadline_process.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "hotspot/v1/query_service.pb.h"
#include "hotspot/v1/system_commands.pb.h"
#include "services/commands/command_handler.h"
#include "services/common/backoff.h"
#include "services/domain/checks.h"
#include "services/domain/decide.h"
#include "services/projections/area_views.h"
#include "services/projections/case_views.h"
#include "services/projections/view_util.h"
#include "services/security/policy.h"
#include "store/event_id.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

absl::CivilDay DayOf(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }
absl::Time Midnight(absl::CivilDay day) { return absl::FromCivil(day, absl::UTCTimeZone()); }

// How many half-years back a pass looks for a missing half-yearly report: the last two years.
constexpr size_t kHalfYearsLookedBack = 4;

// A command's request id: "deadline:<kind>:" and what it is about, the same on every pass. One
// that would be longer than a request id may be (long area and body names) names it by a digest.
template <typename... Parts>
std::string RequestId(absl::string_view kind, const Parts&... parts) {
  std::string id = absl::StrCat("deadline:", kind, ":", parts...);
  if (id.size() <= domain::kMaxRequestIdBytes) return id;
  return absl::StrCat("deadline:", kind, ":", store::EventId::FromName(id).ToString());
}

}  // namespace

// One pass: runs the commands and keeps its tally.
class DeadlineProcess::Pass {
 public:
  Pass(commands::CommandHandler* handler, DeadlineOptions* options)
      : handler_(handler), options_(options) {}

  // Runs `command` (its request id set) as the system and waits for it. A refusal of the domain
  // (FAILED_PRECONDITION: recorded already, or no longer so) is nothing to do.
  template <typename Command>
  void Run(const Command& command) {
    absl::Status status =
        options_->fault ? options_->fault(command.request_id()) : absl::OkStatus();
    if (status.ok()) {
      absl::Notification done;
      absl::StatusOr<v1::CommandResponse> response;
      handler_->Execute(security::SystemPrincipal(), command,
                        [&](absl::StatusOr<v1::CommandResponse> result) {
                          response = std::move(result);
                          done.Notify();
                        });
      done.WaitForNotification();
      status = response.status();
      if (response.ok() && !response->replayed()) ++appended_;
    }
    if (!status.ok() && !absl::IsFailedPrecondition(status)) Fail(command.request_id(), status);
  }

  // A view that could not be read: its items wait for the next pass.
  void FailView(absl::string_view view, const absl::Status& status) {
    Fail(absl::StrCat("view:", view), status);
  }

  // Visits the rows of `view` under `prefix` one at a time, parsed: a pass holds one row, never a
  // whole view (the views grow with the areas' history). A view that cannot be read: the rows
  // after the failure wait for the next pass.
  template <typename Row>
  void ForEachRow(const Projector& views, absl::string_view view, absl::string_view prefix,
                  const std::function<void(Row&)>& visit) {
    const absl::Status scanned =
        ScanRows<Row>(views, view, prefix, [&](absl::string_view, Row& row) {
          visit(row);
          return true;
        });
    if (!scanned.ok()) FailView(view, scanned);
  }

  int appended() const { return appended_; }
  int failed() const { return failed_; }
  const absl::Status& first_error() const { return first_error_; }
  const absl::Status& last_error() const { return last_error_; }
  const std::string& last_key() const { return last_key_; }

 private:
  void Fail(absl::string_view key, const absl::Status& status) {
    ++failed_;
    last_error_ = status;
    last_key_ = std::string(key);
    if (first_error_.ok()) {
      first_error_ = absl::Status(status.code(), absl::StrCat(key, ": ", status.message()));
    }
  }

  commands::CommandHandler* const handler_;
  DeadlineOptions* const options_;
  int appended_ = 0;
  int failed_ = 0;
  absl::Status first_error_;
  absl::Status last_error_;
  std::string last_key_;
};

DeadlineProcess::DeadlineProcess(store::EventStore* events, const Projector* views,
                                 security::Sealer* sealer, DeadlineOptions options)
    : events_(events), views_(views), sealer_(sealer), options_(std::move(options)) {
  commands::CommandHandlerOptions handler_options;
  handler_options.workers = 1;
  handler_options.clock = [this] { return Now(); };
  handler_ = std::make_unique<commands::CommandHandler>(events, sealer, std::move(handler_options));
  if (options_.interval > absl::ZeroDuration()) {
    thread_ = std::thread([this] {
      common::Backoff retry(options_.retry_initial, options_.interval);
      for (;;) {
        // Kept in Status(); the failed items are tried again by the next pass, sooner.
        absl::Duration wait = options_.interval;
        if (RunOnce().ok()) {
          retry.Succeeded();
        } else {
          wait = retry.Failed();
        }
        {
          absl::MutexLock lock(&mu_);
          status_.next_pass_at = absl::Now() + wait;
        }
        if (stop_.WaitForNotificationWithTimeout(wait)) break;
      }
    });
  }
}

DeadlineProcess::~DeadlineProcess() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

DeadlineStatus DeadlineProcess::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::StatusOr<int> DeadlineProcess::RunOnce() {
  absl::MutexLock one_pass(&pass_mu_);
  const absl::Time now = Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  Pass pass(handler_.get(), &options_);
  // The views as they stand once they have reached the log's head as the pass starts, in short
  // waits, so that a stop is not held up.
  const uint64_t head = events_->HeadPosition();
  const absl::Time caught_up_by = absl::Now() + options_.catch_up_wait;
  for (;;) {
    const absl::Status reached =
        views_->WaitFor(head, std::min(caught_up_by, absl::Now() + absl::Seconds(1)));
    if (reached.ok()) break;
    if (!absl::IsDeadlineExceeded(reached) || absl::Now() >= caught_up_by ||
        stop_.HasBeenNotified()) {
      pass.FailView("views", reached);
      break;
    }
  }

  // Accepted, open commitments past their due date.
  pass.ForEachRow<v1::CommitmentView>(
      *views_, kCommitmentsView, "commitment/", [&](const v1::CommitmentView& c) {
        if (c.state() != v1::COMMITMENT_STATE_OPEN || c.overdue() || DayOf(c.due_date()) >= today) {
          return;
        }
        v1::MarkCommitmentOverdueCommand command;
        command.set_request_id(RequestId("overdue", c.commitment_id(), ":",
                                         absl::FormatCivilTime(DayOf(c.due_date()))));
        command.set_commitment_id(c.commitment_id());
        *command.mutable_due_date() = c.due_date();
        pass.Run(command);
      });

  // Escalations not acknowledged at their level since they reached it (the domain holds it
  // against the area's time to acknowledge).
  pass.ForEachRow<v1::EscalationView>(
      *views_, kEscalationsView, "escalation/", [&](const v1::EscalationView& e) {
        // One raised before AgencyEscalated existed: its agency's stream learns of it, once.
        if (!e.resolved()) {
          absl::StatusOr<std::optional<std::string>> at_agency =
              views_->Get(kEscalationsView, EscalationAtAgencyKey(e.escalation_id()));
          if (!at_agency.ok()) {
            pass.FailView(kEscalationsView, at_agency.status());
          } else if (!at_agency->has_value()) {
            v1::RecordAgencyEscalatedCommand command;
            command.set_request_id(RequestId("at-agency", e.escalation_id()));
            command.set_escalation_id(e.escalation_id());
            pass.Run(command);
          }
        }
        if (e.resolved() || e.acknowledged() || e.acknowledgement_overdue()) return;
        v1::MarkEscalationNotAcknowledgedCommand command;
        command.set_request_id(
            RequestId("unacknowledged", e.escalation_id(), ":", static_cast<int>(e.level())));
        command.set_escalation_id(e.escalation_id());
        command.set_level(e.level());
        *command.mutable_since() =
            e.moves_size() > 0 ? e.moves(e.moves_size() - 1).at() : e.raised_at();
        // Not before the shortest time an area may set (one day): no command to refuse.
        if (now - TimeOf(command.since()) <= absl::Hours(24)) return;
        pass.Run(command);
      });

  // Bodies behind their cadence (JudgeCadence), once per gap since they last met (or were
  // constituted).
  pass.ForEachRow<v1::BodyView>(*views_, kMeetingsView, "body/", [&](v1::BodyView& body) {
    JudgeCadence(&body, now);
    if (!body.behind_cadence()) return;
    v1::MarkBodyBehindCadenceCommand command;
    command.set_area_id(body.area_id());
    command.set_body_id(body.body_id());
    absl::Time since = TimeOf(body.constituted_at());
    for (const auto& held : body.held_at()) {
      if (TimeOf(held) >= since) {
        since = TimeOf(held);
        *command.mutable_last_met_at() = held;
      }
    }
    *command.mutable_since() = Ts(since);
    command.set_request_id(
        RequestId("cadence", body.area_id(), ":", body.body_id(), ":", absl::ToUnixSeconds(since)));
    pass.Run(command);
  });

  // Half-yearly reports missing: for each area with a programme, each half-year that ended
  // after its adoption and whose grace days have passed (the last kHalfYearsLookedBack of them),
  // unless a half-yearly report of that half-year is in the view or it is flagged already (the
  // domain checks both again against the area's own stream).
  {
    // The last half-year whose grace days have passed, and those before it.
    const absl::CivilDay due_by = today - domain::kHalfYearlyReportGraceDays - 1;
    std::vector<absl::CivilDay> half_year_ends = {due_by.month() >= 7
                                                      ? absl::CivilDay(due_by.year(), 6, 30)
                                                      : absl::CivilDay(due_by.year() - 1, 12, 31)};
    while (half_year_ends.size() < kHalfYearsLookedBack) {
      const absl::CivilDay later = half_year_ends.back();
      half_year_ends.push_back(later.month() == 12 ? absl::CivilDay(later.year(), 6, 30)
                                                   : absl::CivilDay(later.year() - 1, 12, 31));
    }
    const auto half_year_start = [](absl::CivilDay end) {
      return end.month() == 6 ? absl::CivilDay(end.year(), 1, 1) : absl::CivilDay(end.year(), 7, 1);
    };
    pass.ForEachRow<v1::ProgrammeView>(
        *views_, kAreaView, "programme/", [&](const v1::ProgrammeView& programme) {
          const std::string& area = programme.area_id();
          // The half-years with a half-yearly report in the view, or flagged already.
          std::vector<bool> settled(half_year_ends.size(), false);
          const absl::Status reports = ScanRows<v1::SubmittedReport>(
              *views_, kAreaView, ReportsKeyPrefix(area),
              [&](absl::string_view, v1::SubmittedReport& r) {
                const absl::CivilDay end = DayOf(r.report().period_end());
                for (size_t i = 0; i < half_year_ends.size(); ++i) {
                  settled[i] = settled[i] || (r.report().kind() == v1::REPORT_KIND_HALF_YEARLY &&
                                              end >= half_year_start(half_year_ends[i]) &&
                                              end <= half_year_ends[i]);
                }
                return true;
              });
          const absl::Status flagged = ScanRows<v1::MissingReport>(
              *views_, kAreaView, MissingReportsKeyPrefix(area),
              [&](absl::string_view, v1::MissingReport& m) {
                for (size_t i = 0; i < half_year_ends.size(); ++i) {
                  settled[i] = settled[i] || DayOf(m.half_year_end()) == half_year_ends[i];
                }
                return true;
              });
          if (!reports.ok() || !flagged.ok()) {
            pass.FailView(kAreaView, !reports.ok() ? reports : flagged);
            return;
          }
          for (size_t i = 0; i < half_year_ends.size(); ++i) {
            const absl::CivilDay half_year_end = half_year_ends[i];
            // Owed for a half-year that ended after the adoption (the domain's rule).
            if (TimeOf(programme.adopted_at()) >= Midnight(half_year_end + 1)) break;
            if (settled[i]) continue;
            v1::MarkHalfYearlyReportMissingCommand command;
            command.set_request_id(
                RequestId("report", area, ":", absl::FormatCivilTime(half_year_end)));
            command.set_area_id(area);
            command.mutable_half_year_end()->set_year(static_cast<int32_t>(half_year_end.year()));
            command.mutable_half_year_end()->set_month(half_year_end.month());
            command.mutable_half_year_end()->set_day(half_year_end.day());
            pass.Run(command);
          }
        });
  }

  // Cases: review dates passed; child-welfare and subject-access deadlines; consents at 18;
  // youths turning 18 within 90 days.
  pass.ForEachRow<v1::CaseView>(*views_, kCasesView, "case/", [&](const v1::CaseView& c) {
    const v1::CaseStatus status = c.status();
    if (status == v1::CASE_STATUS_ACTIVE && c.has_next_review_date() && !c.review_overdue() &&
        DayOf(c.next_review_date()) < today) {
      v1::MarkReviewDatePassedCommand command;
      command.set_request_id(RequestId("review", c.youth_id(), ":",
                                       absl::FormatCivilTime(DayOf(c.next_review_date()))));
      command.set_youth_id(c.youth_id());
      *command.mutable_review_date() = c.next_review_date();
      pass.Run(command);
    }
    // Child welfare (barnets lov): a notification not assessed within 24 hours, its receipt not
    // confirmed within 6 working days, an investigation not finished within 4 months.
    for (const v1::NotificationView& n : c.notifications()) {
      if (!n.has_assessed_at() && !n.assessment_overdue() && now > TimeOf(n.assessment_due_at())) {
        v1::MarkNotificationAssessmentOverdueCommand command;
        command.set_request_id(RequestId("notification-assessment", n.notification_id()));
        command.set_youth_id(c.youth_id());
        command.set_notification_id(n.notification_id());
        pass.Run(command);
      }
      if (!n.has_receipt_confirmed_at() && !n.receipt_overdue() &&
          today > DayOf(n.receipt_due_on())) {
        v1::MarkNotificationReceiptOverdueCommand command;
        command.set_request_id(RequestId("notification-receipt", n.notification_id()));
        command.set_youth_id(c.youth_id());
        command.set_notification_id(n.notification_id());
        pass.Run(command);
      }
    }
    // GDPR Art. 12(3): a subject access request answered within one month.
    for (const v1::SubjectAccessView& sar : c.subject_access_requests()) {
      if (sar.has_answered_at() || sar.overdue() || today <= DayOf(sar.due_on())) continue;
      v1::MarkSubjectAccessOverdueCommand command;
      command.set_request_id(RequestId("subject-access", sar.subject_access_id()));
      command.set_youth_id(c.youth_id());
      command.set_subject_access_id(sar.subject_access_id());
      pass.Run(command);
    }
    for (const v1::InvestigationView& i : c.investigations()) {
      if (i.has_completed_at() || i.overdue() || today <= DayOf(i.due_on())) continue;
      v1::MarkInvestigationOverdueCommand command;
      command.set_request_id(RequestId("investigation", i.investigation_id()));
      command.set_youth_id(c.youth_id());
      command.set_investigation_id(i.investigation_id());
      pass.Run(command);
    }
    const bool open = status != v1::CASE_STATUS_CLOSED && status != v1::CASE_STATUS_DECLINED &&
                      status != v1::CASE_STATUS_HANDED_OVER;
    const bool consents = std::any_of(c.consents().begin(), c.consents().end(),
                                      [](const v1::ConsentView& x) { return x.in_force(); });
    if (!consents && (!open || c.turns_18_soon())) return;
    // The age is for the prefilter only: the domain opens the birth date itself.
    if (!c.birth_date().has_sealed()) return;
    const absl::StatusOr<security::UnsealedValue> birth =
        UnsealText(*sealer_, c.birth_date().sealed());
    if (!birth.ok() || birth->erased) return;
    const std::optional<absl::CivilDay> adult = EighteenthBirthday(birth->text);
    if (!adult.has_value()) return;
    // At 18 a consent given before then lapses, unless the youth gives it again.
    for (const v1::ConsentView& consent : c.consents()) {
      if (!consent.in_force() || *adult > today || TimeOf(consent.given_at()) >= Midnight(*adult)) {
        continue;
      }
      v1::LapseConsentCommand command;
      const std::string key = security::ConsentKey(consent);
      // The key may be a scope of before, in clear and of any characters: the id names it by
      // a digest.
      command.set_request_id(RequestId("consent-lapsed", c.youth_id(), ":",
                                       consent.given_at().seconds(), ":",
                                       store::EventId::FromName(key).ToString()));
      command.set_youth_id(c.youth_id());
      command.set_consent_key(key);
      *command.mutable_given_at() = consent.given_at();
      pass.Run(command);
    }
    if (!open || c.turns_18_soon() || *adult < today || *adult - today > 90) return;
    v1::MarkEighteenthBirthdayNearCommand command;
    command.set_request_id(RequestId("eighteen", c.youth_id()));
    command.set_youth_id(c.youth_id());
    pass.Run(command);
  });

  {
    absl::MutexLock lock(&mu_);
    ++status_.passes;
    status_.last_pass_at = now;
    status_.appended += pass.appended();
    status_.failed_items = pass.failed();
    if (pass.failed() > 0) {
      ++status_.consecutive_failed_passes;
      status_.last_error = pass.last_error();
      status_.last_error_at = now;
      status_.last_error_key = pass.last_key();
    } else {
      status_.consecutive_failed_passes = 0;
    }
  }
  if (!pass.first_error().ok()) return pass.first_error();
  return pass.appended();
}

}  // namespace hotspot::projections
