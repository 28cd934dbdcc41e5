#include "services/server/erasure_executor.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "glog/logging.h"
#include "hotspot/v1/events.pb.h"
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

absl::StatusOr<std::unique_ptr<ErasureExecutor>> ErasureExecutor::Start(
    store::EventStore* events, security::KeyStore* keys, std::string checkpoint_file) {
  uint64_t from = 1;
  std::ifstream in(checkpoint_file);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text.str()), &from) || from == 0) {
      return absl::DataLossError(absl::StrCat(checkpoint_file, " is not a position"));
    }
  }
  store::SubscriptionFilter filter;
  filter.event_types = {kExecutedType};
  ASSIGN_OR_RETURN(std::unique_ptr<store::Subscription> subscription,
                   events->Subscribe(from, filter));
  auto executor = std::unique_ptr<ErasureExecutor>(
      new ErasureExecutor(keys, std::move(checkpoint_file), std::move(subscription)));
  executor->thread_ = std::thread([raw = executor.get()] { raw->Loop(); });
  return executor;
}

ErasureExecutor::ErasureExecutor(security::KeyStore* keys, std::string file,
                                 std::unique_ptr<store::Subscription> subscription)
    : keys_(keys), file_(std::move(file)), subscription_(std::move(subscription)) {
  status_.position = subscription_->position();
}

ErasureExecutor::~ErasureExecutor() {
  subscription_->Cancel();
  if (thread_.joinable()) thread_.join();
}

absl::Status ErasureExecutor::Apply(const store::SubscriptionBatch& batch) {
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
    absl::MutexLock lock(&mu_);
    ++status_.erased;
    status_.last_erasure_at = absl::Now();
  }
  if (!batch.events.empty()) RETURN_IF_ERROR(WriteCheckpoint(file_, batch.checkpoint));
  return absl::OkStatus();
}

ErasureExecutorStatus ErasureExecutor::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void ErasureExecutor::Loop() {
  for (;;) {
    absl::StatusOr<store::SubscriptionBatch> batch =
        subscription_->Next(100, absl::Milliseconds(200));
    if (absl::IsCancelled(batch.status())) return;
    absl::Status applied = batch.status();
    if (applied.ok()) applied = Apply(*batch);
    {
      absl::MutexLock lock(&mu_);
      status_.last_run_at = absl::Now();
      status_.position = subscription_->position();
      status_.error = applied;
    }
    if (!applied.ok()) {
      // Stops here; the next start resumes from the checkpoint.
      LOG(ERROR) << "event=erasure_executor_stopped msg=\"" << applied.message() << "\"";
      return;
    }
  }
}

}  // namespace hotspot::server
