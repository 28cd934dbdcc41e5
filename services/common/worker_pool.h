// WorkerPool: a fixed set of threads running queued tasks, so that RPC threads never block on
// storage. The queue is bounded: a full pool refuses work instead of queueing without limit.
//
// Thread-safety: Submit() may be called from any thread, including a task.
#ifndef HOTSPOT_SERVICES_COMMON_WORKER_POOL_H_
#define HOTSPOT_SERVICES_COMMON_WORKER_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace hotspot::common {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  // Runs every task already queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` dropped unrun) if max_queued tasks are waiting or the pool
  // is closing. `force` queues past the limit: for work already accepted (a retry).
  bool Submit(absl::AnyInvocable<void() &&> task, bool force = false);

 private:
  void Loop();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_WORKER_POOL_H_
