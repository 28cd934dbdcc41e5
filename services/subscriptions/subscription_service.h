// SubscriptionService: hotspot.v1.SubscriptionService for integrating systems. Each call follows
// the log through a store Subscription (the filters on categories and event types run in the
// store, or here for a subscriber without the confidential kinds; the area filter here, on the
// event's area_id, before anything is unsealed), and writes one response at a time: the next is
// built while the last is written, and held until gRPC has taken the last, so a slow client
// holds at most two responses in server memory. At most `max_subscribers` calls at once; more
// get RESOURCE_EXHAUSTED.
//
// Threads. No call holds a thread. A call is a pull reactor with one write in flight (in the
// style of gRPC's route_guide callback example): its steps (reading the store, unsealing, the
// access-log records) run one at a time on a small pool shared by every call (`workers`); a
// step that filled a response starts its write and the next step follows at once, or, with a
// write in flight, holds it (OnWriteDone writes it and queues the next step); caught up, a step
// parks the call until the store publishes past its cursor (store::Subscription::OnReady) or its
// heartbeat or idle timeout is due (one timer thread for every call). So 1,000 idle subscribers
// cost memory, not threads.
//
// Responses are assembled as their wire form around the stored events (queries::AppendStoredEvent):
// no event is parsed into a message or re-encoded; the filters read its type and category from
// the record, and its area, kind and youth from its payload's top-level wire fields.
//
// Responses: a batch of matching events with the checkpoint after it (a batch over 1 MiB goes
// out in several responses, each with its own checkpoint); a response with no events
// when the subscription reaches the head (caught_up), and every `heartbeat` while nothing
// matches, so that a client's checkpoint keeps moving. A subscription sent no event for
// `idle_timeout` ends UNAVAILABLE ("subscriber_idle_timeout_s: ... the subscription was idle
// ..."), and so does every subscription when the server shuts down (Close): the client
// resubscribes from its checkpoint. A subscriber that stops reading is another case, told apart
// by code and message: a response it has not taken for `stall_timeout` ends the call
// RESOURCE_EXHAUSTED ("stream_stall_timeout_s: the client stopped reading ... (the reader
// stalled)", rpc::ReaderStalled) at once, freeing its slots; the status follows the responses
// still buffered for it.
//
// The child's confidential affairs (security::IsConfidentialEventType) go to coordinators and
// auditors only, of their areas; for everyone else they are dropped unread like another area's
// events, and for a subscriber without them or bound to areas, the checkpoint moves past a
// dropped event only together with an event sent after it (never by itself, in a heartbeat or at
// a batch's end), so that nothing marks where or when one was. A subscriber is told the head
// security::PublicHead tells its scope: the log's public head, raised by the confidential events
// of the areas it follows if it receives the confidential kinds (the head, for an auditor of
// every area following all). from_end starts just past that head (the first checkpoint is that
// head + 1), and a from_position past that head + 1 is INVALID_ARGUMENT naming from_position.
//
// Who receives what. The principal's areas bound the events it receives, for every role but the
// admin and an auditor of every area (who may follow every area, or name one): the policy's
// SubscriptionScopeOf. Personal data stays sealed (withheld "not_allowed") except for a coordinator
// following its own areas: such a call needs a purpose (INVALID_ARGUMENT naming "purpose" without),
// and each response's data in clear is recorded in the access log before it is sent, one record per
// youth. Other roles get PERMISSION_DENIED, and the refused attempt is recorded.
//
// Thread-safety: gRPC calls the handler concurrently; Close() may be called from any thread.
#ifndef HOTSPOT_SERVICES_SUBSCRIPTIONS_SUBSCRIPTION_SERVICE_H_
#define HOTSPOT_SERVICES_SUBSCRIPTIONS_SUBSCRIPTION_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/common/timers.h"
#include "services/common/worker_pool.h"
#include "services/rpc/call_runner.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::subscriptions {

struct SubscriptionOptions {
  // Calls at once. Default: 64.
  int max_subscribers = 64;
  // An empty response with the checkpoint at least this often while nothing matches.
  // Default: 5 s.
  absl::Duration heartbeat = absl::Seconds(5);
  // A subscription that has been sent no event for this long ends UNAVAILABLE
  // ("subscriber_idle_timeout_s: ..."): resubscribe from the last checkpoint. Heartbeats do not
  // count. Zero: never. Default: 1 hour.
  absl::Duration idle_timeout = absl::Hours(1);
  // A response not taken by the client for this long (it stopped reading) ends the call
  // RESOURCE_EXHAUSTED ("stream_stall_timeout_s: ...", rpc::ReaderStalled). Default: never.
  absl::Duration stall_timeout = absl::InfiniteDuration();
  // Threads that run the calls' steps (store reads, unsealing, access-log records), shared by
  // every call. Default: 4.
  int workers = 4;
  // Each principal's calls and subscriptions (rpc/principal_limits.h); not owned. Default: null
  // (no limit per principal).
  rpc::PrincipalLimits* limits = nullptr;
  // The appointed chief of an area ("" while none is), as the views have her: she alone of a
  // subscriber's coordinators reads an escalation's texts about a youth
  // (security::MaySeeEscalationTextsInStream). Default: none (nobody reads them in a
  // subscription).
  std::function<absl::StatusOr<std::string>(absl::string_view area_id)> chief_of;
};

class SubscriptionService final
    : public v1::SubscriptionService::WithRawCallbackMethod_Subscribe<
          v1::SubscriptionService::CallbackService> {
 public:
  inline static constexpr uint32_t kDefaultBatch = 1000;
  inline static constexpr uint32_t kMaxBatch = 10'000;

  // Not owned; all must outlive the service (the server's shutdown ends every call first).
  SubscriptionService(store::EventStore* events, security::Sealer* sealer,
                      const security::PublicHead* heads,
                      const security::Authenticator* authenticator,
                      security::AccessRecorder* recorder, rpc::KnownIds known,
                      SubscriptionOptions options = {});

  // Waits for nothing: the pool runs every call's steps queued so far, then stops.
  ~SubscriptionService() override;

  // A raw method: the request is parsed here (INVALID_ARGUMENT "request: ..." if it is not a
  // SubscribeRequest), and each response is a v1::SubscribeResponse's wire form assembled around
  // the stored events (queries::AppendStoredEvent).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

  int subscribers() const { return subscribers_.load(); }

  // Ends every subscription, open or starting, at its next step (at once for a parked one)
  // with UNAVAILABLE ("the server is shutting down; resubscribe from your checkpoint"), and
  // every later one: for a prompt shutdown, before the server waits for its calls. A call with
  // a write in flight ends once the write is done. Thread-safe.
  void Close();

 private:
  class Call;
  // The head a subscriber of `scope` is told (security::PublicHead::For), at most the log's head.
  uint64_t HeadFor(const security::SubscriptionScope& scope) const;
  // Drops a call that is done from live_.
  void Forget(const std::shared_ptr<Call>& call);

  // The subscriptions open now, for Close().
  absl::Mutex live_mu_;
  absl::flat_hash_set<std::shared_ptr<Call>> live_ ABSL_GUARDED_BY(live_mu_);
  bool closed_ ABSL_GUARDED_BY(live_mu_) = false;

  store::EventStore* const events_;
  security::Sealer* const sealer_;
  const security::PublicHead* const heads_;
  rpc::CallRunner runner_;
  const SubscriptionOptions options_;
  std::atomic<int> subscribers_{0};
  // The calls' steps, and their heartbeats and idle timeouts.
  common::WorkerPool pool_;
  common::Timers timers_;
};

}  // namespace hotspot::subscriptions

#endif  // HOTSPOT_SERVICES_SUBSCRIPTIONS_SUBSCRIPTION_SERVICE_H_
