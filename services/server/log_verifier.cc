#include "services/server/log_verifier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace hotspot::server {

LogVerifier::LogVerifier(const store::EventStore* events, LogVerifierOptions options)
    : events_(events), options_(std::move(options)) {}

LogVerifier::~LogVerifier() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status LogVerifier::RunOnce() {
  const uint64_t target = events_->HeadPosition();
  const absl::Time started = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    status_.running = true;
    status_.verified_to = 0;
    status_.target = target;
    status_.started_at = started;
  }
  LOG(INFO) << "event=log_verification_started head=" << target;
  absl::Status result;
  uint64_t checked = 0;
  for (uint64_t from = 1; from <= target && result.ok();) {
    if (stop_.HasBeenNotified()) {
      result = absl::CancelledError("log verification: hotspotd is stopping");
      break;
    }
    const uint64_t to = std::min(target, from + std::max<uint64_t>(options_.chunk_events, 1) - 1);
    const store::VerifyReport report = events_->Verify(from, to);
    checked += report.events_checked;
    result = report.status;
    absl::MutexLock lock(&mu_);
    if (!result.ok()) {
      if (result.code() == absl::StatusCode::kDataLoss && status_.broken.ok()) {
        status_.broken = result;
        status_.first_broken_position = report.first_broken_position;
      }
      break;
    }
    status_.verified_to = to;
    from = to + 1;
  }
  bool report_break = false;
  {
    absl::MutexLock lock(&mu_);
    status_.running = false;
    if (result.ok()) {
      ++status_.runs;
      status_.last_completed_at = absl::Now();
    } else if (result.code() == absl::StatusCode::kDataLoss) {
      ++status_.runs;
      report_break = !reported_;
      reported_ = true;
    } else if (result.code() != absl::StatusCode::kCancelled) {
      ++status_.failed_runs;
      status_.last_error = result;
    }
  }
  if (result.ok()) {
    LOG(INFO) << "event=log_verified head=" << target << " events=" << checked
              << " seconds=" << absl::ToDoubleSeconds(absl::Now() - started);
  } else if (result.code() == absl::StatusCode::kDataLoss) {
    LOG(ERROR) << "event=log_broken " << result.message();
    if (report_break && options_.on_broken) options_.on_broken(result);
  } else if (result.code() != absl::StatusCode::kCancelled) {
    LOG(WARNING) << "event=log_verification_failed error=\"" << result.message() << "\"";
  }
  return result;
}

void LogVerifier::Start() {
  if (options_.interval <= absl::ZeroDuration()) return;
  thread_ = std::thread([this] { Loop(); });
}

void LogVerifier::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      status_.next_run_at = absl::Now() + options_.interval;
    }
    if (stop_.WaitForNotificationWithTimeout(options_.interval)) return;
    RunOnce().IgnoreError();  // its outcome is in Status(), the log and on_broken
  }
}

LogVerificationStatus LogVerifier::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

}  // namespace hotspot::server
