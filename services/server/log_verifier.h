// LogVerifier: the event log's full verification (issue 15 §3), at start by flag and periodically
// in the background. A run checks the whole log as it stood when the run began, from position 1
// to that head, with EventStore::Verify's checks (each event decodes at its
// position, its SHA-256 hash chains to the one before, and the stream and event-id indexes point
// at it), `chunk_events` at a time, so that a long log's run holds no lock and other readers go
// on between chunks.
//
// On a break. The run stops at the first broken position; Status() keeps it (`broken`, the
// position) until hotspotd restarts, and `on_broken` is called once, on the verifier's thread,
// with the DATA_LOSS status (hotspotd: refuse writes, health NOT_SERVING, and say how to recover).
// Later runs go on (a restored or repaired log would verify again, but the break stays reported).
//
// Failure. A run that cannot read the log (an I/O error, not a broken chain) is counted as failed
// and tried again at the next interval; it is not a break.
//
// Thread-safety: RunOnce() is for one thread at a time (the constructor's caller, before Start);
// the background thread is started by Start() and stopped by the destructor (also mid-run, between
// chunks). Status() may be called from any thread.
#ifndef HOTSPOT_SERVICES_SERVER_LOG_VERIFIER_H_
#define HOTSPOT_SERVICES_SERVER_LOG_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "store/event_store.h"

namespace hotspot::server {

struct LogVerifierOptions {
  // Between the end of one background run and the start of the next; zero: no background runs.
  // Default: 24 h.
  absl::Duration interval = absl::Hours(24);
  // Events verified per chunk (one EventStore::Verify call). Default: 10,000.
  uint64_t chunk_events = 10'000;
  // Called once, on the first break found, with its DATA_LOSS status. Default: none.
  std::function<void(const absl::Status&)> on_broken;
};

struct LogVerificationStatus {
  uint64_t runs = 0;          // runs completed (to the head or to a break) since the start
  uint64_t failed_runs = 0;   // runs that could not read the log (not breaks)
  bool running = false;       // a run is under way
  uint64_t verified_to = 0;   // the current (or last) run's last position verified
  uint64_t target = 0;        // the head the current (or last) run verifies up to
  absl::Time started_at = absl::InfinitePast();         // the current (or last) run's start
  absl::Time last_completed_at = absl::InfinitePast();  // the last run that reached its head
  absl::Status last_error;  // the last failed run's error (OK if none)
  absl::Status broken;      // the first break found (OK if none), kept until a restart
  std::optional<uint64_t> first_broken_position;
  absl::Time next_run_at = absl::InfinitePast();  // the next background run (none: InfinitePast)
};

class LogVerifier {
 public:
  // `events` is not owned and must outlive the verifier.
  LogVerifier(const store::EventStore* events, LogVerifierOptions options);
  ~LogVerifier();
  LogVerifier(const LogVerifier&) = delete;
  LogVerifier& operator=(const LogVerifier&) = delete;

  // One run, on the calling thread: OK if the log verified to its head; DATA_LOSS (the break,
  // naming the position) if it broke; the read's error if it could not be read; CANCELLED if the
  // verifier is being destroyed.
  absl::Status RunOnce();

  // Starts the background runs, the first after `interval` (none if the interval is zero).
  void Start();

  LogVerificationStatus Status() const;

 private:
  void Loop();

  const store::EventStore* const events_;
  const LogVerifierOptions options_;
  absl::Notification stop_;
  mutable absl::Mutex mu_;
  LogVerificationStatus status_ ABSL_GUARDED_BY(mu_);
  bool reported_ ABSL_GUARDED_BY(mu_) = false;  // on_broken called
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_LOG_VERIFIER_H_
