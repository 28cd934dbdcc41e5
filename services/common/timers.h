// Timers: callbacks due at given times, all run by one thread, so that many waiting things
// (server streams' heartbeats and idle timeouts) hold no thread each.
//
// Thread-safety: safe for concurrent use. A callback runs on the timers' thread, without a lock
// held; it must be quick (hand work on, e.g. to a worker pool) and may call After() and Cancel().
#ifndef HOTSPOT_SERVICES_COMMON_TIMERS_H_
#define HOTSPOT_SERVICES_COMMON_TIMERS_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hotspot::common {

class Timers {
 public:
  Timers();
  // Drops every callback not yet run (destroyed unrun), then joins the thread.
  ~Timers();
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // Runs `due` at `when` (at once, on the timers' thread, if it has passed); returns a ticket for
  // Cancel(), never 0.
  uint64_t At(absl::Time when, absl::AnyInvocable<void() &&> due);

  // Drops the callback of `ticket` (destroyed unrun) unless it has run or is running; true if it
  // was dropped. A ticket of 0 is never dropped.
  bool Cancel(uint64_t ticket);

 private:
  void Loop();

  absl::Mutex mu_;
  // By (time, ticket); `tickets_` maps a ticket to its time.
  std::map<std::pair<absl::Time, uint64_t>, absl::AnyInvocable<void() &&>> due_
      ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, absl::Time> tickets_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_TIMERS_H_
