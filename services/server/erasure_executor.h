// ErasureExecutor: carries out executed erasures. For every ErasureExecuted event in the log it
// deletes the youth's data key from the key store (which purges it from the store's files), so
// that everything sealed under it reads as erased from then on. It follows the log from a
// checkpoint kept in a file next to the data, written after each erasure; deletion is
// idempotent, so an event seen again after a crash is harmless, and none is missed.
//
// Thread-safety: runs its own thread; the destructor stops it.
#ifndef HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
#define HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/security/key_store.h"
#include "store/event_store.h"

namespace hotspot::server {

class ErasureExecutor {
 public:
  // `events` and `keys` are not owned and must outlive it. `checkpoint_file` holds the next
  // position to examine (created if missing). INTERNAL if the file cannot be read.
  static absl::StatusOr<std::unique_ptr<ErasureExecutor>> Start(store::EventStore* events,
                                                                security::KeyStore* keys,
                                                                std::string checkpoint_file);
  ~ErasureExecutor();

 private:
  ErasureExecutor(security::KeyStore* keys, std::string file,
                  std::unique_ptr<store::Subscription> subscription);
  void Loop();
  absl::Status Apply(const store::SubscriptionBatch& batch);

  security::KeyStore* const keys_;
  const std::string file_;
  std::unique_ptr<store::Subscription> subscription_;
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
