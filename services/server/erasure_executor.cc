#include "services/server/erasure_executor.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "hotspot/v1/events.pb.h"
#include "services/common/backoff.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

constexpr char kExecutedType[] = "hotspot.v1.ErasureExecuted";

// Writes `position` to `file` atomically (a temporary file renamed over it).
absl::Status WriteCheckpoint(const std::string& file, uint64_t position) {
  const std::string temporary = file + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << position << "\n";
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("writing ", temporary));
  }
  if (std::rename(temporary.c_str(), file.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("renaming ", temporary, " to ", file));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> ErasureExecutor::ReadCheckpoint(const std::string& checkpoint_file) {
  uint64_t from = 1;
  std::ifstream in(checkpoint_file);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text.str()), &from) || from == 0) {
      return absl::DataLossError(absl::StrCat(checkpoint_file, " is not a position"));
    }
  }
  return from;
}

absl::StatusOr<std::unique_ptr<ErasureExecutor>> ErasureExecutor::Start(
    store::EventStore* events, security::KeyStore* keys, std::string checkpoint_file,
    ErasureExecutorOptions options) {
  ASSIGN_OR_RETURN(const uint64_t from, ReadCheckpoint(checkpoint_file));
  auto executor = std::unique_ptr<ErasureExecutor>(
      new ErasureExecutor(events, keys, std::move(checkpoint_file), options, from));
  executor->thread_ = std::thread([raw = executor.get()] { raw->Loop(); });
  return executor;
}

ErasureExecutor::ErasureExecutor(store::EventStore* events, security::KeyStore* keys,
                                 std::string file, ErasureExecutorOptions options, uint64_t from)
    : events_(events),
      keys_(keys),
      file_(std::move(file)),
      options_(options),
      checkpoint_(from) {
  status_.position = from;
}

ErasureExecutor::~ErasureExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (subscription_ != nullptr) subscription_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status ErasureExecutor::Apply(const store::SubscriptionBatch& batch) {
  absl::Time last_erasure_at = absl::InfinitePast();
  for (const auto& recorded : batch.events) {
    v1::Event event;
    if (!event.ParseFromString(recorded->payload) || !event.has_erasure_executed()) {
      return absl::DataLossError(
          absl::StrCat("the event at ", recorded->position, " is not an ErasureExecuted"));
    }
    const std::string& youth = event.erasure_executed().youth_id();
    const absl::Status erased = keys_->Erase(youth);
    if (!erased.ok() && !absl::IsNotFound(erased)) return erased;  // NOT_FOUND: it had no key
    LOG(INFO) << "event=erasure_executed erasure_id=" << event.erasure_executed().erasure_id()
              << " youth_id=" << youth << " position=" << recorded->position;
    last_erasure_at = absl::Now();
  }
  // With nothing erased the checkpoint still moves, now and then, so that a start does not read
  // again all the log examined since the last erasure.
  const bool erased_some = !batch.events.empty();
  if (!erased_some && batch.checkpoint < checkpoint_ + options_.idle_checkpoint_every) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(WriteCheckpoint(file_, batch.checkpoint));
  checkpoint_ = batch.checkpoint;
  if (!erased_some) return absl::OkStatus();
  // Counted once done: a batch tried again after a failure is not counted twice.
  absl::MutexLock lock(&mu_);
  status_.erased += batch.events.size();
  status_.last_erasure_at = last_erasure_at;
  return absl::OkStatus();
}

ErasureExecutorStatus ErasureExecutor::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::Status ErasureExecutor::Step() {
  store::Subscription* subscription = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    if (subscription_ == nullptr) {
      store::SubscriptionFilter filter;
      filter.event_types = {kExecutedType};
      ASSIGN_OR_RETURN(subscription_, events_->Subscribe(checkpoint_, filter));
    }
    subscription = subscription_.get();
  }
  ASSIGN_OR_RETURN(const store::SubscriptionBatch batch,
                   subscription->Next(100, absl::Milliseconds(200)));
  return Apply(batch);
}

void ErasureExecutor::Loop() {
  common::Backoff retry(options_.retry_initial, options_.retry_max);
  for (;;) {
    const absl::Status step = Step();
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const absl::Time now = absl::Now();
    status_.last_run_at = now;
    if (step.ok()) {
      retry.Succeeded();
      status_.consecutive_failures = 0;
      status_.next_retry_at = absl::InfinitePast();
      status_.position = subscription_->position();
      continue;
    }
    // Tried again from the checkpoint (deleting a key again is harmless) after a wait.
    const absl::Duration wait = retry.Failed();
    ++status_.consecutive_failures;
    status_.last_error = step;
    status_.last_error_at = now;
    status_.next_retry_at = now + wait;
    status_.position = checkpoint_;
    subscription_.reset();
    LOG(ERROR) << "event=erasure_executor_failed failures=" << status_.consecutive_failures
               << " retry_in_ms=" << absl::ToInt64Milliseconds(wait) << " msg=\""
               << step.message() << "\"";
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    if (stopping_) return;
  }
}

}  // namespace hotspot::server
