#include "services/common/worker_pool.h"

#include <utility>

namespace hotspot::common {

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::Submit(absl::AnyInvocable<void() &&> task, bool force) {
  absl::MutexLock lock(&mu_);
  if ((closing_ && !force) || (!force && queue_.size() >= max_queued_)) return false;
  queue_.push_back(std::move(task));
  return true;
}

void WorkerPool::Loop() {
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closing_; };
  for (;;) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // closing, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace hotspot::common
