// PrincipalLimits: how much of the server one principal may hold at once, so that one token (a
// runaway integration, a stolen token) cannot take every worker or every subscriber slot from
// everyone else: at most `max_calls` calls in flight (unary and streaming, subscriptions
// included) and, of those, at most `max_subscriptions` subscriptions. Beyond that a call is
// RESOURCE_EXHAUSTED naming the limit's flag. A principal is its person, agency and role: two
// tokens of one person count together. Every authenticated call holds a slot: commands,
// queries, audit calls, subscriptions and AdminService's operations alike. Calls without a
// caller are not counted (AdminService.Ping, gRPC's health and reflection: cheap, and bounded by
// the connection limit, server/connection_limit.h).
//
// Thread-safety: safe for concurrent use; a Slot may be released on any thread.
#ifndef HOTSPOT_SERVICES_RPC_PRINCIPAL_LIMITS_H_
#define HOTSPOT_SERVICES_RPC_PRINCIPAL_LIMITS_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/security/principal.h"

namespace hotspot::rpc {

struct PrincipalLimitsOptions {
  // Calls in flight per principal (hotspotd: --max_calls_per_principal). Default: 32.
  int max_calls = 32;
  // Subscriptions per principal (hotspotd: --max_subscriptions_per_principal). Default: 8.
  int max_subscriptions = 8;
};

class PrincipalLimits {
 public:
  // One call (or subscription) held; released when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limits_(other.limits_), key_(std::move(other.key_)),
                                  subscription_(other.subscription_) {
      other.limits_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class PrincipalLimits;
    Slot(PrincipalLimits* limits, std::string key, bool subscription)
        : limits_(limits), key_(std::move(key)), subscription_(subscription) {}
    PrincipalLimits* limits_;
    std::string key_;
    bool subscription_;
  };

  explicit PrincipalLimits(PrincipalLimitsOptions options) : options_(options) {}

  // A call slot for `who`; RESOURCE_EXHAUSTED "max_calls_per_principal: ..." if it holds
  // max_calls already.
  absl::StatusOr<Slot> TakeCall(const security::Principal& who);
  // A subscription slot for `who`; RESOURCE_EXHAUSTED "max_subscriptions_per_principal: ..." if
  // it holds max_subscriptions already.
  absl::StatusOr<Slot> TakeSubscription(const security::Principal& who);

 private:
  struct Held {
    int calls = 0;
    int subscriptions = 0;
  };
  absl::StatusOr<Slot> Take(const security::Principal& who, bool subscription);
  void Release(const std::string& key, bool subscription);

  const PrincipalLimitsOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Held> held_ ABSL_GUARDED_BY(mu_);
};

// A call slot of `who` from `limits` (PrincipalLimits::TakeCall); nullopt, and no limit, if
// `limits` is null. RESOURCE_EXHAUSTED as TakeCall.
absl::StatusOr<std::optional<PrincipalLimits::Slot>> TakeCallIfLimited(
    PrincipalLimits* limits, const security::Principal& who);

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_PRINCIPAL_LIMITS_H_
