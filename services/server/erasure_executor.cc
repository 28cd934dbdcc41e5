#include "services/server/erasure_executor.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
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

// The checkpoint's meta row, beside the views' "checkpoint/<view>": '@' is in no view's name.
constexpr char kCheckpointRow[] = "checkpoint/@erasures";

absl::StatusOr<uint64_t> ParsePosition(absl::string_view text, absl::string_view where) {
  uint64_t from = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &from) || from == 0) {
    return absl::DataLossError(absl::StrCat(where, " is not a position"));
  }
  return from;
}

}  // namespace

absl::StatusOr<uint64_t> ErasureExecutor::ReadCheckpoint(const store::ViewDb& db) {
  ASSIGN_OR_RETURN(const std::optional<std::string> row, db.GetMeta(kCheckpointRow));
  if (!row.has_value()) return 1;
  return ParsePosition(*row, absl::StrCat("the erasure executor's checkpoint (", kCheckpointRow,
                                          ") of the views' database"));
}

absl::Status ErasureExecutor::AdoptCheckpointFile(store::ViewDb& db, const std::string& file) {
  std::ifstream in(file);
  if (!in) return absl::OkStatus();  // none: adopted before, or never written
  std::stringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(const uint64_t from, ParsePosition(text.str(), file));
  ASSIGN_OR_RETURN(const std::optional<std::string> row, db.GetMeta(kCheckpointRow));
  // A row there already was written after the file (a crash before the file was removed).
  if (!row.has_value()) RETURN_IF_ERROR(db.PutDurableMeta(kCheckpointRow, absl::StrCat(from)));
  if (std::remove(file.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("removing ", file, " (adopted as ", kCheckpointRow,
                                            "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ErasureExecutor>> ErasureExecutor::Start(
    store::EventStore* events, security::KeyStore* keys, store::ViewDb* checkpoints,
    ErasureExecutorOptions options) {
  ASSIGN_OR_RETURN(const uint64_t from, ReadCheckpoint(*checkpoints));
  auto executor = std::unique_ptr<ErasureExecutor>(
      new ErasureExecutor(events, keys, checkpoints, std::move(options), from));
  executor->thread_ = std::thread([raw = executor.get()] { raw->Loop(); });
  return executor;
}

ErasureExecutor::ErasureExecutor(store::EventStore* events, security::KeyStore* keys,
                                 store::ViewDb* checkpoints, ErasureExecutorOptions options,
                                 uint64_t from)
    : events_(events),
      keys_(keys),
      checkpoints_(checkpoints),
      options_(std::move(options)),
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
  if (options_.before_checkpoint) RETURN_IF_ERROR(options_.before_checkpoint());
  // Through the write-ahead log, unsynced: a crash of the process keeps it; a power loss may take
  // it back to an earlier position, from which the erasures are done again (harmless), never
  // past one (the key store syncs each erasure before this is written).
  RETURN_IF_ERROR(checkpoints_->PutLoggedMeta(kCheckpointRow, absl::StrCat(batch.checkpoint)));
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
