// ErasureExecutor: carries out executed erasures. For every ErasureExecuted event in the log it
// deletes the youth's data key from the key store (which purges it from the store's files), so
// that everything sealed under it reads as erased from then on. It follows the log from a
// checkpoint kept as a meta row of the views' database (store::ViewDb, "checkpoint/@erasures",
// next to the views' checkpoints), written after each erasure, and after every
// `idle_checkpoint_every` positions examined without one (else every start would read the log
// again from the last erasure). The row goes through the write-ahead log unsynced: a power loss
// may set it back, never forward; deletion is idempotent, so an event seen again after a crash is
// harmless, and none is missed. Data directories of before kept it in a file,
// <data_dir>/erasures.checkpoint, which AdoptCheckpointFile turns into the row.
//
// Failure. It never stops on an error: a failed read of the log, deletion of a key or write of
// the checkpoint is tried again, from the checkpoint, after `retry_initial`, doubled with each
// failure in a row up to `retry_max` (common::Backoff), until it succeeds. Status() tells the
// failures in a row and the last error, which AdminService.GetProjectionStatus, the metrics and
// the health service ("hotspot.ErasureExecutor" NOT_SERVING while failing) show.
//
// Thread-safety: runs its own thread; the destructor stops it (also during a wait to retry).
// Status() may be called from any thread.
#ifndef HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
#define HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/security/key_store.h"
#include "store/event_store.h"
#include "store/view_db.h"

namespace hotspot::server {

// What the executor has done since it started.
struct ErasureExecutorStatus {
  uint64_t erased = 0;                            // data keys deleted (ErasureExecuted events)
  uint64_t position = 0;                          // the next log position it will examine
  absl::Time last_run_at = absl::InfinitePast();  // it last looked at the log (every 200 ms)
  absl::Time last_erasure_at = absl::InfinitePast();
  int consecutive_failures = 0;  // tries in a row that failed, up to the last; 0 once one works
  absl::Status last_error;       // the last failure, kept after it clears; OK if none yet
  absl::Time last_error_at = absl::InfinitePast();
  absl::Time next_retry_at = absl::InfinitePast();  // while failing: when it tries again
};

struct ErasureExecutorOptions {
  // The wait before trying again after a failure, doubled with each failure in a row, at most
  // `retry_max`. Default: 200 ms, 60 s.
  absl::Duration retry_initial = absl::Milliseconds(200);
  absl::Duration retry_max = absl::Seconds(60);
  // Positions examined without an erasure after which the checkpoint is written anyway.
  // Default: 10,000.
  uint64_t idle_checkpoint_every = 10'000;
  // Fault injection for tests: asked before each checkpoint is written; its error fails the
  // step as a failed write would. Default: none.
  std::function<absl::Status()> before_checkpoint;
};

class ErasureExecutor {
 public:
  // The next position to examine, as `db`'s checkpoint row holds it (1 if there is none).
  // DATA_LOSS if it holds no position; the database's error.
  static absl::StatusOr<uint64_t> ReadCheckpoint(const store::ViewDb& db);

  // Turns the checkpoint file of a data directory of before into `db`'s row (unless the row is
  // there already, written after the file) and removes the file. OK if there is no file.
  // DATA_LOSS if the file holds no position; INTERNAL if it cannot be removed; the database's
  // error.
  static absl::Status AdoptCheckpointFile(store::ViewDb& db, const std::string& file);

  // `events`, `keys` and `checkpoints` are not owned and must outlive it. DATA_LOSS if the
  // checkpoint row holds no position.
  static absl::StatusOr<std::unique_ptr<ErasureExecutor>> Start(
      store::EventStore* events, security::KeyStore* keys, store::ViewDb* checkpoints,
      ErasureExecutorOptions options = {});
  ~ErasureExecutor();

  ErasureExecutorStatus Status() const;

 private:
  ErasureExecutor(store::EventStore* events, security::KeyStore* keys,
                  store::ViewDb* checkpoints, ErasureExecutorOptions options, uint64_t from);
  void Loop();
  // One step: the next batch from the checkpoint on, its keys deleted, the checkpoint written.
  absl::Status Step();
  absl::Status Apply(const store::SubscriptionBatch& batch);

  store::EventStore* const events_;
  security::KeyStore* const keys_;
  store::ViewDb* const checkpoints_;
  const ErasureExecutorOptions options_;
  uint64_t checkpoint_;  // the loop's thread only: the position the row holds
  mutable absl::Mutex mu_;
  // Made anew from the checkpoint after a failure. Replaced by the loop's thread, under mu_;
  // cancelled under mu_ by the destructor.
  std::unique_ptr<store::Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  ErasureExecutorStatus status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_ERASURE_EXECUTOR_H_
