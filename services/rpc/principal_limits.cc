#include "services/rpc/principal_limits.h"

#include "absl/strings/str_cat.h"

namespace hotspot::rpc {

PrincipalLimits::Slot::~Slot() {
  if (limits_ != nullptr) limits_->Release(key_, subscription_);
}

absl::StatusOr<PrincipalLimits::Slot> PrincipalLimits::TakeCall(const security::Principal& who) {
  return Take(who, /*subscription=*/false);
}

absl::StatusOr<PrincipalLimits::Slot> PrincipalLimits::TakeSubscription(
    const security::Principal& who) {
  return Take(who, /*subscription=*/true);
}

absl::StatusOr<PrincipalLimits::Slot> PrincipalLimits::Take(const security::Principal& who,
                                                            bool subscription) {
  std::string key = absl::StrCat(who.person, "\n", who.agency, "\n", security::RoleName(who.role));
  absl::MutexLock lock(&mu_);
  Held& held = held_[key];
  if (subscription) {
    if (held.subscriptions >= options_.max_subscriptions) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "max_subscriptions_per_principal: ", who.person, " has ", held.subscriptions,
          " subscriptions open, the most one caller may; close one, or retry with backoff"));
    }
    ++held.subscriptions;
  } else {
    if (held.calls >= options_.max_calls) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "max_calls_per_principal: ", who.person, " has ", held.calls,
          " calls in flight, the most one caller may; retry with backoff"));
    }
    ++held.calls;
  }
  return Slot(this, std::move(key), subscription);
}

void PrincipalLimits::Release(const std::string& key, bool subscription) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return;
  (subscription ? it->second.subscriptions : it->second.calls)--;
  if (it->second.calls == 0 && it->second.subscriptions == 0) held_.erase(it);
}

absl::StatusOr<std::optional<PrincipalLimits::Slot>> TakeCallIfLimited(
    PrincipalLimits* limits, const security::Principal& who) {
  if (limits == nullptr) return std::nullopt;
  absl::StatusOr<PrincipalLimits::Slot> slot = limits->TakeCall(who);
  if (!slot.ok()) return slot.status();
  return std::optional<PrincipalLimits::Slot>(*std::move(slot));
}

}  // namespace hotspot::rpc
