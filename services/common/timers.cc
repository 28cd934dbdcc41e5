#include "services/common/timers.h"

#include <utility>

namespace hotspot::common {

Timers::Timers() : thread_([this] { Loop(); }) {}

Timers::~Timers() {
  std::map<std::pair<absl::Time, uint64_t>, absl::AnyInvocable<void() &&>> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(due_);
    tickets_.clear();
  }
  thread_.join();
}

uint64_t Timers::At(absl::Time when, absl::AnyInvocable<void() &&> due) {
  absl::MutexLock lock(&mu_);
  const uint64_t ticket = next_ticket_++;
  due_.emplace(std::make_pair(when, ticket), std::move(due));
  tickets_.emplace(ticket, when);
  return ticket;
}

bool Timers::Cancel(uint64_t ticket) {
  absl::AnyInvocable<void() &&> dropped;  // destroyed outside the lock
  absl::MutexLock lock(&mu_);
  const auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return false;
  const auto entry = due_.find(std::make_pair(it->second, ticket));
  dropped = std::move(entry->second);
  due_.erase(entry);
  tickets_.erase(it);
  return true;
}

void Timers::Loop() {
  for (;;) {
    absl::AnyInvocable<void() &&> due;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        const absl::Time next = due_.empty() ? absl::InfiniteFuture() : due_.begin()->first.first;
        if (next <= absl::Now()) break;
        // Woken early by any change of the map (an earlier timer, a stop) to look again.
        const size_t size = due_.size();
        const auto changed = [this, size, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || due_.size() != size ||
                 (!due_.empty() && due_.begin()->first.first != next);
        };
        mu_.AwaitWithDeadline(absl::Condition(&changed), next);
      }
      auto first = due_.begin();
      tickets_.erase(first->first.second);
      due = std::move(first->second);
      due_.erase(first);
    }
    std::move(due)();
  }
}

}  // namespace hotspot::common
