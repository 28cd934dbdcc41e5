#include "services/security/public_head.h"

#include <algorithm>
#include <string>
#include <vector>

#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

void RaiseTo(std::atomic<uint64_t>& value, uint64_t to) {
  uint64_t now = value.load(std::memory_order_relaxed);
  while (now < to && !value.compare_exchange_weak(now, to, std::memory_order_acq_rel)) {
  }
}

}  // namespace

void PublicHead::Saw(uint64_t position, absl::string_view type, absl::string_view actor) {
  absl::MutexLock lock(&mu_);
  if (IsConfidentialEventType(type)) {
    uint64_t& own = own_[actor];
    own = std::max(own, position);
  } else if (position > public_.load(std::memory_order_acquire)) {
    RaiseTo(public_, position);
    own_.clear();  // every confidential event so far lies below the public head
  }
  RaiseTo(head_, position);
}

void PublicHead::Committed(const store::CommitInfo& commit) {
  for (const store::RecordedEvent* event : commit.published) {
    Saw(event->position, event->type, event->metadata.actor);
  }
}

absl::Status PublicHead::Recover(const store::EventStore& events) {
  constexpr size_t kStep = 256;
  const uint64_t head = events.HeadPosition();
  // The confidential events after the last public one, newest first: their actors' own.
  std::vector<store::RecordedEvent> confidential;
  for (uint64_t at = head; at > 0;) {
    ASSIGN_OR_RETURN(std::vector<store::RecordedEvent> batch,
                     events.ReadAll(at, store::Direction::kBackward, kStep));
    if (batch.empty()) break;
    for (store::RecordedEvent& event : batch) {
      if (!IsConfidentialEventType(event.type)) {
        Saw(event.position, event.type, event.metadata.actor);
        at = 0;
        break;
      }
      event.payload.clear();
      confidential.push_back(std::move(event));
    }
    if (at != 0) at = batch.back().position - 1;
  }
  for (auto it = confidential.rbegin(); it != confidential.rend(); ++it) {
    Saw(it->position, it->type, it->metadata.actor);
  }
  RaiseTo(head_, head);
  return absl::OkStatus();
}

uint64_t PublicHead::For(const Principal& who) const {
  if (MaySeeEveryChange(who)) return head();
  absl::MutexLock lock(&mu_);  // position() and own_ together: a public event clears own_
  const uint64_t open = position();
  const auto own = own_.find(who.person);
  return own == own_.end() ? open : std::max(open, own->second);
}

}  // namespace hotspot::security
