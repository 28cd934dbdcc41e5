#include "services/security/public_head.h"

#include <algorithm>
#include <string>
#include <vector>

#include "hotspot/v1/events.pb.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

void RaiseTo(std::atomic<uint64_t>& value, uint64_t to) {
  uint64_t now = value.load(std::memory_order_relaxed);
  while (now < to && !value.compare_exchange_weak(now, to, std::memory_order_acq_rel)) {
  }
}

// The area of `event` if it is of a confidential kind (v1::Event's area_id; "" if its payload
// does not parse), else "": only confidential events are kept by area.
std::string AreaOfConfidential(const store::RecordedEvent& event) {
  if (!IsConfidentialEventType(event.type)) return "";
  v1::Event parsed;
  if (!parsed.ParseFromString(event.payload)) return "";
  return std::move(*parsed.mutable_area_id());
}

}  // namespace

void PublicHead::Saw(uint64_t position, absl::string_view type, absl::string_view actor,
                     absl::string_view area) {
  absl::MutexLock lock(&mu_);
  if (IsConfidentialEventType(type)) {
    for (auto* last : {&own_[actor], &areas_[area]}) *last = std::max(*last, position);
  } else if (position > public_.load(std::memory_order_acquire)) {
    RaiseTo(public_, position);
    // every confidential event so far lies below the public head
    own_.clear();
    areas_.clear();
  }
  RaiseTo(head_, position);
}

void PublicHead::Committed(const store::CommitInfo& commit) {
  for (const store::RecordedEvent* event : commit.published) {
    Saw(event->position, event->type, event->metadata.actor, AreaOfConfidential(*event));
  }
}

absl::Status PublicHead::Recover(const store::EventStore& events) {
  constexpr size_t kStep = 256;
  const uint64_t head = events.HeadPosition();
  // The confidential events after the last public one, newest first, with their areas.
  struct Confidential {
    uint64_t position;
    std::string type, actor, area;
  };
  std::vector<Confidential> confidential;
  for (uint64_t at = head; at > 0;) {
    ASSIGN_OR_RETURN(std::vector<store::RecordedEvent> batch,
                     events.ReadAll(at, store::Direction::kBackward, kStep));
    if (batch.empty()) break;
    for (store::RecordedEvent& event : batch) {
      if (!IsConfidentialEventType(event.type)) {
        Saw(event.position, event.type, event.metadata.actor, "");
        at = 0;
        break;
      }
      std::string area = AreaOfConfidential(event);
      confidential.push_back({event.position, std::move(event.type),
                              std::move(event.metadata.actor), std::move(area)});
    }
    if (at != 0) at = batch.back().position - 1;
  }
  for (auto it = confidential.rbegin(); it != confidential.rend(); ++it) {
    Saw(it->position, it->type, it->actor, it->area);
  }
  RaiseTo(head_, head);
  return absl::OkStatus();
}

template <typename Learns>
uint64_t PublicHead::Raised(const Learns& learns, absl::string_view person) const {
  absl::MutexLock lock(&mu_);  // position() and the maps together: a public event clears them
  uint64_t told = position();
  for (const auto& [area, last] : areas_) {
    if (last > told && learns(area)) told = last;
  }
  if (!person.empty()) {
    if (const auto own = own_.find(person); own != own_.end()) told = std::max(told, own->second);
  }
  return told;
}

uint64_t PublicHead::For(const Principal& who) const {
  return Raised([&](absl::string_view area) { return MaySeeEveryChangeIn(who, area); }, who.person);
}

uint64_t PublicHead::For(const SubscriptionScope& scope) const {
  if (!scope.confidential_kinds) return position();
  return Raised(
      [&](absl::string_view area) {
        return scope.areas.empty() ||
               std::find(scope.areas.begin(), scope.areas.end(), area) != scope.areas.end();
      },
      "");
}

}  // namespace hotspot::security
