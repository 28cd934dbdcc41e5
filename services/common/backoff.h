// Backoff: how long a background process (the erasure executor, the deadline process) waits
// before it tries again after a failure: `initial`, doubled after each failure in a row, at most
// `max`; back to `initial` after a success.
//
// Thread-safety: none; one process's own thread uses it.
#ifndef HOTSPOT_SERVICES_COMMON_BACKOFF_H_
#define HOTSPOT_SERVICES_COMMON_BACKOFF_H_

#include <algorithm>

#include "absl/time/time.h"

namespace hotspot::common {

class Backoff {
 public:
  // `initial` and `max` must be positive; a `max` below `initial` is raised to it.
  Backoff(absl::Duration initial, absl::Duration max)
      : initial_(initial), max_(std::max(initial, max)), next_(initial) {}

  // The wait after one more failure in a row.
  absl::Duration Failed() {
    const absl::Duration wait = next_;
    next_ = std::min(next_ * 2, max_);
    return wait;
  }

  // A success: the next failure waits `initial` again.
  void Succeeded() { next_ = initial_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration next_;
};

}  // namespace hotspot::common

#endif  // HOTSPOT_SERVICES_COMMON_BACKOFF_H_
