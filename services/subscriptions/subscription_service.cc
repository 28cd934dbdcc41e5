#include "services/subscriptions/subscription_service.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"
#include "services/projections/projector.h"
#include "services/projections/subject_view.h"
#include "services/queries/query_util.h"
#include "services/queries/stored_events.h"
#include "services/rpc/request_checks.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::subscriptions {
namespace {

using queries::Invalid;

// How long one store read waits for new events before the loop looks at the clock again.
constexpr absl::Duration kPoll = absl::Milliseconds(500);

// A response is sent once it holds this many bytes of events, well below gRPC's default 4 MiB
// limit on a received message; the rest of the batch follows in the next.
constexpr size_t kMaxResponseBytes = 1 << 20;
// About what a StoredEvent adds to its event's payload (envelope, personal-data paths).
constexpr size_t kEnvelopeBytes = 300;

bool Covers(const security::SubscriptionScope& scope, absl::string_view area) {
  return scope.areas.empty() ||
         std::find(scope.areas.begin(), scope.areas.end(), area) != scope.areas.end();
}

// The checkpoint a subscriber is told: every position below it was examined. Without the
// confidential kinds, or bound to areas, it is either just past the last event sent, or the end
// of a batch that left no withheld event (a confidential kind the subscriber does not receive,
// another area's event) after that one.
// So it never moves past a withheld event by itself, in a heartbeat or at a batch's end, which
// would mark where the event was and, live, when it came (for a fact dated by a birthday, the
// birthday). Every event dropped for such a subscriber (another area's, one its filter leaves
// out) holds the checkpoint back alike, so a stalled checkpoint does not tell a withheld event
// from any other. Resuming from it re-examines at most what lies after the last event sent:
// nothing is lost or repeated either way.
class Progress {
 public:
  // From `from`: every event from there on is examined.
  explicit Progress(uint64_t from) : checkpoint_(from) {}

  uint64_t checkpoint() const { return checkpoint_; }
  // The event at `position` was sent.
  void Sent(uint64_t position) {
    checkpoint_ = position + 1;
    pending_ = false;
  }
  // An event was withheld for its kind.
  void Withheld() { pending_ = true; }
  // The store examined every position below `checkpoint`.
  void BatchEnd(uint64_t checkpoint) {
    if (!pending_) checkpoint_ = std::max(checkpoint_, checkpoint);
  }

 private:
  uint64_t checkpoint_;
  bool pending_ = false;  // a withheld event lies after the last event sent
};

absl::Status ShuttingDown() {
  return absl::UnavailableError("the server is shutting down; resubscribe from your checkpoint");
}

}  // namespace

// The subscription a call reads, shared with its cancel hook and Close().
struct SubscriptionService::Live {
  absl::Mutex mu;
  store::Subscription* subscription ABSL_GUARDED_BY(mu) = nullptr;
  bool cancelled ABSL_GUARDED_BY(mu) = false;
  bool closed ABSL_GUARDED_BY(mu) = false;  // by the server's shutdown

  void Cancel(bool closing) {
    absl::MutexLock lock(&mu);
    cancelled = true;
    closed |= closing;
    if (subscription != nullptr) subscription->Cancel();
  }
  // The call's status once its subscription was cancelled.
  absl::Status Ended() {
    absl::MutexLock lock(&mu);
    return closed ? ShuttingDown() : absl::CancelledError("the client went away");
  }
};

void SubscriptionService::Close() {
  absl::MutexLock lock(&live_mu_);
  closed_ = true;
  for (const std::shared_ptr<Live>& live : live_) live->Cancel(/*closing=*/true);
}

SubscriptionService::SubscriptionService(store::EventStore* events, security::Sealer* sealer,
                                         const security::PublicHead* heads,
                                         const security::Authenticator* authenticator,
                                         security::AccessRecorder* recorder, rpc::KnownIds known,
                                         SubscriptionOptions options)
    : events_(events),
      sealer_(sealer),
      heads_(heads),
      runner_(authenticator, recorder, /*workers=*/0,  // streams only: no unary pool
              std::move(known), options.limits),
      options_(std::move(options)) {}

grpc::ServerWriteReactor<v1::SubscribeResponse>* SubscriptionService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  auto live = std::make_shared<Live>();
  {
    absl::MutexLock lock(&live_mu_);
    live_.insert(live);
    if (closed_) live->Cancel(/*closing=*/true);
  }
  static const rpc::Method& method =
      rpc::Method::Of(v1::SubscriptionService::service_full_name(), "Subscribe");
  return runner_.Stream<v1::SubscribeResponse>(
      context, method, *request,
      [this, request, live](const rpc::Caller& caller,
                            rpc::StreamWriter<v1::SubscribeResponse>& out) -> absl::Status {
        // A slot while the body runs: free again before the call's status is sent, so that a
        // client that has its status may subscribe again at once.
        struct Slot {
          std::atomic<int>& count;
          const int taken = count.fetch_add(1);
          ~Slot() { count.fetch_sub(1); }
        } slot{subscribers_};
        if (slot.taken >= options_.max_subscribers) {
          return absl::ResourceExhaustedError(
              absl::StrCat("max_subscribers: the server has ", options_.max_subscribers,
                           " subscribers; retry with backoff"));
        }
        // Nor may one principal take them all.
        std::optional<rpc::PrincipalLimits::Slot> own;
        if (options_.limits != nullptr) {
          absl::StatusOr<rpc::PrincipalLimits::Slot> taken =
              options_.limits->TakeSubscription(caller.who);
          if (!taken.ok()) return taken.status();
          own.emplace(*std::move(taken));
        }
        // A malformed area_id never reaches the policy.
        RETURN_IF_ERROR(rpc::CheckReadRequest(*request));
        ASSIGN_OR_RETURN(const security::SubscriptionScope scope,
                         security::SubscriptionScopeOf(caller.who, request->area_id()));
        if (scope.in_clear && !caller.purpose.has_value()) {
          return security::ParsePurpose("").status();  // names what is missing
        }
        for (int i = 0; i < request->event_types_size(); ++i) {
          if (scope.confidential_kinds ||
              !security::IsConfidentialEventType(request->event_types(i))) {
            continue;
          }
          return security::Refuse(
              caller.who,
              absl::StrCat("subscribe to event_types[", i, "] ", request->event_types(i),
                           ": the child's confidential affairs are for coordinators "
                           "and auditors"));
        }
        uint32_t max_batch = request->max_batch() == 0 ? kDefaultBatch : request->max_batch();
        if (max_batch > kMaxBatch) {
          return Invalid("max_batch", absl::StrCat(max_batch, " is over ", kMaxBatch));
        }
        store::SubscriptionFilter filter;
        filter.categories.assign(request->categories().begin(), request->categories().end());
        filter.event_types.assign(request->event_types().begin(), request->event_types().end());
        // A subscriber without the confidential kinds gets the whole log from the store and
        // filters here: its checkpoints must not pass a confidential event the store's filter
        // would have skipped unseen (see Progress). Nor is it told the log's head, which would
        // mark when withheld events came: its head is the public head.
        const bool hidden = !scope.confidential_kinds;
        // Nor may a subscriber bound to areas learn where another area's confidential events
        // lie: it is filtered here too, and every event dropped for it holds its checkpoint back.
        // (Who sees the events of no known area sees every area's: an auditor of every area.)
        const bool partial = hidden || !security::MaySeeEveryChangeIn(caller.who, "");
        // Whether the subscriber receives `recorded`; if so, `event` holds it, still sealed.
        auto receives = [&](const store::RecordedEvent& recorded,
                            v1::StoredEvent* event) -> absl::StatusOr<bool> {
          if (hidden && security::IsConfidentialEventType(recorded.type)) return false;
          if (partial && !filter.Matches(recorded)) return false;
          RETURN_IF_ERROR(queries::ParseStoredEvent(recorded, event));
          // Out of scope: dropped before anything of it is unsealed.
          if (!Covers(scope, event->event().area_id())) return false;
          // An erased youth's facts dated by the birthday: their time tells the birth date.
          ASSIGN_OR_RETURN(const bool birthday,
                           queries::ErasedYouthsBirthdayFact(event->event(), *sealer_));
          return !birthday;
        };
        // The head the subscriber is told: the public head, raised by its scope's confidential
        // events if it receives them. Its commit may be a moment ahead of what readers see.
        const uint64_t head = std::min(heads_->For(scope), events_->HeadPosition());
        uint64_t from = 0;  // the first position the subscriber is sent, and read
        switch (request->start_case()) {
          case v1::SubscribeRequest::kFromPosition:
            from = std::max<uint64_t>(request->from_position(), 1);
            if (from > head + 1) {
              return Invalid("from_position", absl::StrCat(from, " is past the log's head + 1"));
            }
            break;
          case v1::SubscribeRequest::kFromEnd:
            from = head + 1;
            break;
          default:
            return Invalid("start", "give from_position or from_end");
        }
        ASSIGN_OR_RETURN(std::unique_ptr<store::Subscription> subscription,
                         events_->Subscribe(from, partial ? store::SubscriptionFilter() : filter));
        {
          absl::MutexLock lock(&live->mu);
          if (live->cancelled) {
            return live->closed ? ShuttingDown() : absl::CancelledError("the client went away");
          }
          live->subscription = subscription.get();
        }
        absl::Status status;
        google::protobuf::Arena arena;
        v1::SubscribeResponse* response = nullptr;
        security::Disclosures shown;  // of the response being filled
        auto fresh = [&] {
          arena.Reset();
          response = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena);
          shown = security::Disclosures();
        };
        // Records what the response discloses, then sends it; false if the stream broke.
        auto send = [&]() -> absl::StatusOr<bool> {
          RETURN_IF_ERROR(runner_.Record(caller, method, shown));
          return out.Send(*response);
        };
        // The youth an event is about (projections::YouthConcerned), a stream's owner read from
        // its first event once per call.
        std::map<std::string, std::string, std::less<>> owners;  // stream -> youth, this call
        auto owner_of = [&](const std::string& stream) -> absl::StatusOr<std::string> {
          if (auto it = owners.find(stream); it != owners.end()) return it->second;
          ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> first,
                           events_->ReadStream(stream, 1, store::Direction::kForward, 1));
          std::string youth;
          if (!first.empty()) {
            ASSIGN_OR_RETURN(const v1::Event opened, projections::ParseEvent(first[0]));
            youth = projections::YouthNamedBy(opened);
          }
          return owners.emplace(stream, std::move(youth)).first->second;
        };
        fresh();
        Progress progress(from);
        bool marked_caught_up = false;
        absl::Time last_sent = absl::Now();
        absl::Time last_event = last_sent;  // sent, for the idle timeout
        while (true) {
          absl::StatusOr<store::SubscriptionBatch> batch = subscription->Next(max_batch, kPoll);
          if (!batch.ok()) {
            status = batch.status();
            // Cancelled: by the client (it has gone: any status will do), or by Close().
            if (absl::IsCancelled(status)) status = live->Ended();
            break;
          }
          size_t bytes = 0;
          bool broken = false;
          for (const auto& recorded : batch->events) {
            if (bytes >= kMaxResponseBytes) {
              // Part of the batch: everything before the next event was examined.
              response->set_checkpoint(progress.checkpoint());
              absl::StatusOr<bool> sent = send();
              if (!sent.ok()) status = sent.status();
              if (!sent.ok() || !*sent) {
                broken = true;
                break;
              }
              last_sent = last_event = absl::Now();
              fresh();
              bytes = 0;
            }
            v1::StoredEvent* event = response->add_events();
            absl::StatusOr<bool> received = receives(*recorded, event);
            if (!received.ok()) {
              status = received.status();
              break;
            }
            if (!*received) {
              // Dropped with no mark of where it was; every drop holds the checkpoint back
              // alike (see Progress).
              response->mutable_events()->RemoveLast();
              if (partial) progress.Withheld();
              continue;
            }
            // No stream versions without the confidential kinds: a gap in a youth's versions
            // would point at what is withheld (and, for a fact the deadline process dates, at
            // its day).
            if (hidden) event->clear_stream_version();
            // A frozen report's child-welfare counts, as GetReport gives them.
            if (event->event().has_report_submitted() &&
                !security::MaySeeChildWelfareFigures(caller.who)) {
              event->mutable_event()
                  ->mutable_report_submitted()
                  ->mutable_figures()
                  ->clear_child_welfare();
            }
            status = queries::AddPersonalData(event, scope.in_clear, *sealer_, shown);
            if (!status.ok()) break;
            // Every event about a youth is a read of the youth's data, sealed or not.
            absl::StatusOr<std::string> youth =
                projections::YouthConcerned(*recorded, event->event(), owner_of);
            if (!youth.ok()) {
              status = youth.status();
              break;
            }
            shown.Shown(*youth, event->event().area_id(), /*in_clear=*/false);
            progress.Sent(recorded->position);
            bytes += recorded->payload.size() + kEnvelopeBytes;
          }
          if (!status.ok() || broken) break;
          progress.BatchEnd(batch->checkpoint);
          response->set_checkpoint(progress.checkpoint());
          response->set_caught_up(batch->caught_up);
          if (!batch->caught_up) marked_caught_up = false;
          const absl::Time now = absl::Now();
          if (response->events_size() == 0 && options_.idle_timeout > absl::ZeroDuration() &&
              now - last_event >= options_.idle_timeout) {
            status = absl::UnavailableError(absl::StrCat(
                "subscriber_idle_timeout_s: no event for ", absl::FormatDuration(now - last_event),
                "; resubscribe from your checkpoint"));
            break;
          }
          const bool send_now = response->events_size() > 0 ||
                                (batch->caught_up && !marked_caught_up) ||
                                now - last_sent >= options_.heartbeat;
          if (!send_now) continue;
          absl::StatusOr<bool> sent = send();
          if (!sent.ok()) {
            status = sent.status();
            break;
          }
          if (!*sent) break;
          if (response->events_size() > 0) last_event = now;
          fresh();
          last_sent = now;
          marked_caught_up = batch->caught_up;
        }
        absl::MutexLock lock(&live->mu);
        live->subscription = nullptr;
        return status;
      },
      [live] { live->Cancel(/*closing=*/false); },
      [this, live] {
        absl::MutexLock lock(&live_mu_);
        live_.erase(live);
      });
}

}  // namespace hotspot::subscriptions
