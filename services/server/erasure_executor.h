// ErasureExecutor: carries out executed erasures. For every ErasureExecuted event in the log it
// deletes the youth's data key from the key store (which purges it from the store's files), so
// that everything sealed under it reads as erased from then on. It follows the log from a
// checkpoint kept in a file next to the data, written after each erasure; deletion is
// idempotent, so an event seen again after a crash is harmless, and none is missed.
//
// Thread-safety: runs its own thread; the destructor stops it. Status() may be called from any
// thread.
#ifndef HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
#define HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/security/key_store.h"
#include "store/event_store.h"

namespace hotspot::server {

// What the executor has done since it started.
struct ErasureExecutorStatus {
  uint64_t erased = 0;                            // data keys deleted (ErasureExecuted events)
  uint64_t position = 0;                          // the next log position it will examine
  absl::Time last_run_at = absl::InfinitePast();  // it last looked at the log (every 200 ms)
  absl::Time last_erasure_at = absl::InfinitePast();
  absl::Status error;  // why it stopped (it then waits for a restart); OK while it runs
};

class ErasureExecutor {
 public:
  // `events` and `keys` are not owned and must outlive it. `checkpoint_file` holds the next
  // position to examine (created if missing). INTERNAL if the file cannot be read.
  static absl::StatusOr<std::unique_ptr<ErasureExecutor>> Start(store::EventStore* events,
                                                                security::KeyStore* keys,
                                                                std::string checkpoint_file);
  ~ErasureExecutor();

  ErasureExecutorStatus Status() const;

 private:
  ErasureExecutor(security::KeyStore* keys, std::string file,
                  std::unique_ptr<store::Subscription> subscription);
  void Loop();
  absl::Status Apply(const store::SubscriptionBatch& batch);

  security::KeyStore* const keys_;
  const std::string file_;
  std::unique_ptr<store::Subscription> subscription_;
  mutable absl::Mutex mu_;
  ErasureExecutorStatus status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
