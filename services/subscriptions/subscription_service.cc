#include "services/subscriptions/subscription_service.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "hotspot/v1/events.pb.h"
#include "services/common/wire.h"
#include "services/projections/subject_view.h"
#include "services/queries/query_util.h"
#include "services/queries/stored_events.h"
#include "services/rpc/request_checks.h"
#include "services/rpc/rpc.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::subscriptions {
namespace {

using common::wire::PutLength;
using common::wire::PutVarintField;
using queries::Invalid;

// A response is sent once it holds this many bytes of events, well below gRPC's default 4 MiB
// limit on a received message; the rest of the batch follows in the next.
constexpr size_t kMaxResponseBytes = 1 << 20;

// A type the log holds: the message of one of v1::Event's kinds ("hotspot.v1.CommitmentMade").
bool IsEventType(absl::string_view type) {
  const google::protobuf::OneofDescriptor* kinds = v1::Event::descriptor()->FindOneofByName("kind");
  for (int i = 0; kinds != nullptr && i < kinds->field_count(); ++i) {
    const google::protobuf::Descriptor* message = kinds->field(i)->message_type();
    if (message != nullptr && message->full_name() == type) return true;
  }
  return false;
}

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

const rpc::Method& SubscribeMethod() {
  static const rpc::Method& method =
      rpc::Method::Of(v1::SubscriptionService::service_full_name(), "Subscribe");
  return method;
}

}  // namespace

// One Subscribe call, a pull reactor: one step at a time runs on the service's worker pool
// (Step): it reads what the subscription holds without waiting, and either fills a response, or
// parks the call with no thread until the store publishes past its cursor
// (Subscription::OnReady) or its next heartbeat or idle timeout is due (the service's Timers).
// A filled response is written at once if no write is in flight, and the next step follows at
// once, building the next response while this one is written and read; if a write is in flight,
// the response is held and the step chain stops until that write is done (OnWriteDone starts
// the held one and queues the next step). So there is never more than one step and one write at
// once, and a slow client holds at most two responses: the one being written and the next. The
// reactor's reactions, the store's and the timers' callbacks and Close() only wake the call
// (Wake), which queues a step unless one is queued or running, or a response is held.
class SubscriptionService::Call final
    : public std::enable_shared_from_this<SubscriptionService::Call> {
 public:
  Call(SubscriptionService* service, const grpc::ByteBuffer& request,
       absl::StatusOr<rpc::Caller> caller)
      : service_(service),
        parsed_(rpc::ParseByteBuffer(request, &request_)),
        caller_(std::move(caller)) {}

  // The reactor gRPC drives; it owns the call until OnDone.
  class Reactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    explicit Reactor(std::shared_ptr<Call> call) : call_(std::move(call)) {
      call_->reactor_ = this;
    }
    void OnWriteDone(bool ok) override { call_->WriteDone(ok); }
    void OnCancel() override { call_->Cancel(/*closing=*/false); }
    void OnDone() override {
      call_->service_->Forget(call_);
      delete this;
    }

   private:
    const std::shared_ptr<Call> call_;
  };

  // Queues the first step; false if the pool is full (the call is then finished here).
  void Start() {
    {
      absl::MutexLock lock(&mu_);
      if (busy_) return;  // Close() came first and queued it
      busy_ = true;
    }
    if (!service_->pool_.Submit([self = shared_from_this()] { self->Step(); })) {
      {
        absl::MutexLock lock(&mu_);
        finished_ = true;
      }
      reactor_->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "the server has too much work queued; retry with backoff"));
    }
  }

  // Ends the call at its next step: CANCELLED (the client went away) or, `closing`, UNAVAILABLE
  // (the server is shutting down).
  void Cancel(bool closing) {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      closed_ |= closing;
    }
    Wake();
  }

 private:
  // What a step did: started a write (kWriting: the next step builds the next response at once)
  // or held its response for the write in flight (kHeld), parked, or has more to read (kAgain).
  enum class Then { kWriting, kHeld, kParked, kAgain };

  // Queues a step unless one is queued or running, or a response is held (then that one looks
  // again).
  void Wake() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (busy_) {
        woken_ = true;
        return;
      }
      busy_ = true;
    }
    Queue();
  }
  void Queue() {
    // Work already accepted: past the pool's bound, as a call's steps come one at a time.
    service_->pool_.Submit([self = shared_from_this()] { self->Step(); }, /*force=*/true);
  }

  void WriteDone(bool ok) {
    uint64_t done_timer, write = 0;
    bool next_step = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      done_timer = stall_timer_;
      if (finished_) return;  // ended when the write stalled
      if (!ok) broken_ = true;
      if (held_) {
        // The held response's step chain resumes here: it is written now (unless the call is
        // ending: then the next step ends it), and the next step builds the one after.
        held_ = false;
        next_step = true;
        if (!broken_ && !cancelled_ && !stalled_) {
          out_ = std::move(held_out_);
          writing_ = true;
          write = ++writes_;
        }
      } else if (broken_) {
        // A step running or queued sees it; a parked call is woken to end.
        if (busy_) {
          woken_ = true;
        } else {
          busy_ = true;
          next_step = true;
        }
      }
    }
    service_->timers_.Cancel(done_timer);
    if (write != 0) StartWriting(write);
    if (next_step) Queue();
  }

  // Starts write number `write` of out_, with its stall timer.
  void StartWriting(uint64_t write) {
    if (service_->options_.stall_timeout != absl::InfiniteDuration()) {
      std::weak_ptr<Call> weak = weak_from_this();
      const uint64_t timer =
          service_->timers_.At(absl::Now() + service_->options_.stall_timeout, [weak, write] {
            if (std::shared_ptr<Call> self = weak.lock()) self->Stalled(write);
          });
      absl::MutexLock lock(&mu_);
      if (writes_ == write) stall_timer_ = timer;
    }
    reactor_->StartWrite(&out_);
  }

  // The stall timer of write `write`: ends the call if that write is still in flight. (A timer
  // that fired as its write completed may run once the next write has started: the number tells
  // it that the write is not its own.)
  void Stalled(uint64_t write) {
    {
      absl::MutexLock lock(&mu_);
      if (!writing_ || writes_ != write || finished_) return;
      stalled_ = true;
      if (busy_ && !held_) {
        // A step is queued or running: it (or the one it queues) ends the call.
        woken_ = true;
        return;
      }
      // No step runs, and none will: the call's state is this thread's.
      finished_ = true;  // claimed: WriteDone does nothing from here on
      held_ = false;
    }
    Finish(Ended());
  }

  void Step() {
    absl::StatusOr<Then> then = Run();
    if (!then.ok()) return Finish(then.status());
    switch (*then) {
      case Then::kHeld:
        return;  // WriteDone resumes the chain
      case Then::kWriting:
      case Then::kAgain:
        return Queue();
      case Then::kParked:
        return Park();
    }
  }

  // Waits without a thread for the store or the clock; looks again at once if woken meanwhile.
  void Park() {
    // Registered while still busy: a callback that runs at once only marks the call woken.
    std::weak_ptr<Call> weak = weak_from_this();
    subscription_->OnReady([weak](absl::Status) {
      if (std::shared_ptr<Call> self = weak.lock()) self->Wake();
    });
    absl::Time due = last_sent_ + service_->options_.heartbeat;
    if (service_->options_.idle_timeout > absl::ZeroDuration()) {
      due = std::min(due, last_event_ + service_->options_.idle_timeout);
    }
    service_->timers_.Cancel(timer_);
    timer_ = service_->timers_.At(due, [weak] {
      if (std::shared_ptr<Call> self = weak.lock()) self->Wake();
    });
    {
      absl::MutexLock lock(&mu_);
      if (!woken_) {
        busy_ = false;
        return;
      }
      woken_ = false;
    }
    Queue();
  }

  // The call's status once it was cancelled, its stream broke or its reader stalled.
  absl::Status Ended() {
    absl::MutexLock lock(&mu_);
    if (stalled_ && !closed_) {
      return rpc::ReaderStalled(service_->options_.stall_timeout,
                                "resubscribe from your checkpoint, and read steadily");
    }
    return closed_ ? ShuttingDown() : absl::CancelledError("the client went away");
  }
  bool Stopped() {
    absl::MutexLock lock(&mu_);
    woken_ = false;  // this step looks at everything a wake would
    return cancelled_ || broken_ || stalled_;
  }

  void Finish(absl::Status status) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    service_->timers_.Cancel(timer_);  // (the stall timer is cancelled by WriteDone)
    subscription_.reset();  // and with it a callback of OnReady
    // The slots are free before the status is sent: a client that has it may subscribe again
    // at once.
    if (counted_) service_->subscribers_.fetch_sub(1);
    counted_ = false;
    own_.reset();
    if (admitted_) {  // a refused admission was recorded by Admit
      status = service_->runner_.Refused(*caller_, SubscribeMethod(), request_, std::move(status));
    }
    call_slot_.reset();
    reactor_->Finish(rpc::ToGrpcStatus(status));
  }

  // One step: kWriting once a write is started, kHeld once a response is held for the write in
  // flight, kParked when caught up with nothing to send, kAgain to go on reading; an error (or
  // OK status) to end the call with.
  absl::StatusOr<Then> Run();
  absl::Status Open();
  // Records what the response discloses, then starts its write (kWriting), or holds it while
  // another is written (kHeld). Starts the next response.
  absl::StatusOr<Then> Send() {
    RETURN_IF_ERROR(service_->runner_.Record(*caller_, SubscribeMethod(), shown_));
    grpc::ByteBuffer response = rpc::OwningByteBuffer(std::move(response_));
    Fresh();
    uint64_t write;
    {
      absl::MutexLock lock(&mu_);
      if (writing_) {
        if (stalled_ || cancelled_ || broken_) return Then::kAgain;  // the next step ends it
        held_out_ = std::move(response);
        held_ = true;
        return Then::kHeld;
      }
      out_ = std::move(response);
      writing_ = true;
      write = ++writes_;
    }
    StartWriting(write);
    return Then::kWriting;
  }
  void Fresh() {
    response_.clear();
    response_events_ = 0;
    shown_ = security::Disclosures();
    unsealing_.emplace(*service_->sealer_);
  }
  // Whether the subscriber receives `recorded`; if so, `fields` holds its payload's top-level
  // fields (queries::ReadEventFields; nothing is parsed for an event filtered out by its type or
  // category).
  absl::StatusOr<bool> Receives(const store::RecordedEvent& recorded,
                                queries::EventFields& fields);
  // The youth an event is about (projections::YouthConcerned): a stream's owner, read from its
  // first event once per call.
  absl::StatusOr<std::string> OwnerOf(const std::string& stream);
  // Whether an event (`fields`), about `youth` ("" for none), comes in clear: for a subscriber in
  // clear (SubscriptionScope), all but the texts of an escalation about a youth, which only the
  // area's chief reads (security::MaySeeEscalationTextsInStream).
  absl::StatusOr<bool> InClear(const queries::EventFields& fields, const std::string& youth);

  SubscriptionService* const service_;
  v1::SubscribeRequest request_;
  const bool parsed_;  // the request is a SubscribeRequest's wire form
  absl::StatusOr<rpc::Caller> caller_;
  Reactor* reactor_ = nullptr;  // valid until the call is finished

  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;   // a step queued or running, or a write in flight
  bool woken_ ABSL_GUARDED_BY(mu_) = false;  // woken while busy: look again
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // by the server's shutdown
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed: the client is gone
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a write in flight
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;    // writes started: the number of the last
  bool finished_ ABSL_GUARDED_BY(mu_) = false;

  bool stalled_ ABSL_GUARDED_BY(mu_) = false;  // a write was not taken for the stall timeout
  // A filled response waits for the write in flight (held_out_); the step chain stops until it
  // is written.
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  // The response being written, set by whoever starts its write (under mu_, with writing_), and
  // the response held (under mu_).
  grpc::ByteBuffer out_;
  grpc::ByteBuffer held_out_ ABSL_GUARDED_BY(mu_);
  uint64_t stall_timer_ ABSL_GUARDED_BY(mu_) = 0;  // of the write in flight

  // Touched by one step at a time.
  bool opened_ = false;
  bool admitted_ = false;  // the caller holds its call slot and role
  std::optional<rpc::PrincipalLimits::Slot> call_slot_;
  std::optional<rpc::PrincipalLimits::Slot> own_;  // the principal's subscription slot
  bool counted_ = false;                          // holds one of max_subscribers
  security::SubscriptionScope scope_;
  store::SubscriptionFilter filter_;
  bool hidden_ = false;   // without the confidential kinds
  bool partial_ = false;  // filtered here (hidden, or bound to areas): see Open()
  queries::Showing showing_;  // how its events are shown, but for their personal data
  uint32_t max_batch_ = kDefaultBatch;
  std::unique_ptr<store::Subscription> subscription_;
  std::optional<Progress> progress_;
  std::optional<store::SubscriptionBatch> batch_;  // being sent, from events[next_] on
  size_t next_ = 0;
  bool marked_caught_up_ = false;
  absl::Time last_sent_;
  absl::Time last_event_;  // sent, for the idle timeout
  uint64_t timer_ = 0;
  // The response being filled, a v1::SubscribeResponse's wire form (its events so far); its
  // events; one StoredEvent's wire form.
  std::string response_;
  int response_events_ = 0;
  std::string event_;
  security::Disclosures shown_;  // of the response being filled
  // Its sealed values' keys, asked once per response (an erasure takes effect by the next).
  std::optional<security::Sealer::Reader> unsealing_;
  std::map<std::string, std::string, std::less<>> owners_;  // stream -> youth, this call
};

absl::Status SubscriptionService::Call::Open() {
  RETURN_IF_ERROR(caller_.status());
  rpc::Caller& caller = *caller_;
  absl::StatusOr<std::optional<rpc::PrincipalLimits::Slot>> call_slot =
      service_->runner_.Admit(caller, SubscribeMethod(), request_);
  if (!call_slot.ok()) return call_slot.status();
  if (call_slot->has_value()) call_slot_.emplace(std::move(**call_slot));
  admitted_ = true;
  if (!parsed_) return absl::InvalidArgumentError("request: not a hotspot.v1.SubscribeRequest");
  const SubscriptionOptions& options = service_->options_;
  counted_ = true;
  if (service_->subscribers_.fetch_add(1) >= options.max_subscribers) {
    return absl::ResourceExhaustedError(absl::StrCat("max_subscribers: the server has ",
                                                     options.max_subscribers,
                                                     " subscribers; retry with backoff"));
  }
  // Nor may one principal take them all.
  if (options.limits != nullptr) {
    absl::StatusOr<rpc::PrincipalLimits::Slot> own = options.limits->TakeSubscription(caller.who);
    if (!own.ok()) return own.status();
    own_.emplace(*std::move(own));
  }
  const v1::SubscribeRequest* request = &request_;
  // A malformed area_id never reaches the policy.
  RETURN_IF_ERROR(rpc::CheckReadRequest(*request));
  ASSIGN_OR_RETURN(scope_, security::SubscriptionScopeOf(caller.who, request->area_id()));
  if (scope_.in_clear && !caller.purpose.has_value()) {
    return security::ParsePurpose("").status();  // names what is missing
  }
  for (int i = 0; i < request->event_types_size(); ++i) {
    if (!IsEventType(request->event_types(i))) {
      return Invalid(absl::StrCat("event_types[", i, "]"),
                     absl::StrCat(request->event_types(i),
                                  " is not an event type (e.g. hotspot.v1.CommitmentMade)"));
    }
  }
  for (int i = 0; i < request->event_types_size(); ++i) {
    if (scope_.confidential_kinds || !security::IsConfidentialEventType(request->event_types(i))) {
      continue;
    }
    return security::Refuse(caller.who,
                            absl::StrCat("subscribe to event_types[", i, "] ",
                                         request->event_types(i),
                                         ": the child's confidential affairs are for coordinators "
                                         "and auditors"));
  }
  max_batch_ = request->max_batch() == 0 ? kDefaultBatch : request->max_batch();
  if (max_batch_ > kMaxBatch) {
    return Invalid("max_batch", absl::StrCat(max_batch_, " is over ", kMaxBatch));
  }
  filter_.categories.assign(request->categories().begin(), request->categories().end());
  filter_.event_types.assign(request->event_types().begin(), request->event_types().end());
  // A subscriber without the confidential kinds gets the whole log from the store and
  // filters here: its checkpoints must not pass a confidential event the store's filter
  // would have skipped unseen (see Progress). Nor is it told the log's head, which would
  // mark when withheld events came: its head is the public head.
  hidden_ = !scope_.confidential_kinds;
  // Nor may a subscriber bound to areas learn where another area's confidential events lie: it
  // is filtered here too, and every event dropped for it holds its checkpoint back. (Who sees
  // the events of no known area sees every area's: an auditor of every area.)
  partial_ = hidden_ || !security::MaySeeEveryChangeIn(caller.who, "");
  // No stream versions without the confidential kinds: a gap in a youth's versions would point
  // at what is withheld (and, for a fact the deadline process dates, at its day).
  showing_.stream_version = !hidden_;
  // A frozen report's child-welfare counts, as GetReport gives them.
  showing_.child_welfare = security::MaySeeChildWelfareFigures(caller.who);
  showing_.withheld = scope_.in_clear ? "not_recipient" : "not_allowed";
  const uint64_t head = service_->HeadFor(scope_);
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
  ASSIGN_OR_RETURN(subscription_, service_->events_->Subscribe(
                                      from, partial_ ? store::SubscriptionFilter() : filter_));
  progress_.emplace(from);
  last_sent_ = last_event_ = absl::Now();
  Fresh();
  return absl::OkStatus();
}

absl::StatusOr<bool> SubscriptionService::Call::Receives(const store::RecordedEvent& recorded,
                                                         queries::EventFields& fields) {
  if (hidden_ && security::IsConfidentialEventType(recorded.type)) return false;
  if (partial_ && !filter_.Matches(recorded)) return false;
  // Out of scope: dropped before anything of it is unsealed, and, by the area in the record's
  // header, before its payload is read (a record written before the header held it, or with an
  // empty one, has its area read from the payload alone).
  if (recorded.area.has_value() && !recorded.area->empty() && !Covers(scope_, *recorded.area)) {
    return false;
  }
  ASSIGN_OR_RETURN(fields, queries::ReadEventFields(recorded));
  if (!Covers(scope_, fields.area_id)) return false;
  // An erased youth's facts dated by the birthday: their time tells the birth date.
  ASSIGN_OR_RETURN(const bool birthday,
                   queries::ErasedYouthsBirthdayFact(fields, *service_->sealer_));
  return !birthday;
}

absl::StatusOr<bool> SubscriptionService::Call::InClear(const queries::EventFields& fields,
                                                        const std::string& youth) {
  if (!scope_.in_clear) return false;
  const bool escalation_text = fields.kind == v1::Event::kEscalationRaisedFieldNumber ||
                               fields.kind == v1::Event::kEscalationAcknowledgedFieldNumber ||
                               fields.kind == v1::Event::kEscalationMovedUpFieldNumber ||
                               fields.kind == v1::Event::kEscalationResolvedFieldNumber;
  if (!escalation_text || youth.empty()) return true;
  // The area's chief as the views have her now, as ListEscalations asks.
  std::string chief;
  if (service_->options_.chief_of) {
    ASSIGN_OR_RETURN(chief, service_->options_.chief_of(fields.area_id));
  }
  return security::MaySeeEscalationTextsInStream(caller_->who, fields.area_id, chief);
}

absl::StatusOr<std::string> SubscriptionService::Call::OwnerOf(const std::string& stream) {
  if (auto it = owners_.find(stream); it != owners_.end()) return it->second;
  ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> first,
                   service_->events_->ReadStream(stream, 1, store::Direction::kForward, 1));
  std::string youth;
  if (!first.empty()) {
    ASSIGN_OR_RETURN(const queries::EventFields opened, queries::ReadEventFields(first[0]));
    youth = opened.YouthNamed();
  }
  return owners_.emplace(stream, std::move(youth)).first->second;
}

absl::StatusOr<SubscriptionService::Call::Then> SubscriptionService::Call::Run() {
  if (Stopped()) return Ended();
  if (!opened_) {
    RETURN_IF_ERROR(Open());
    opened_ = true;
  }
  Progress& progress = *progress_;
  if (!batch_.has_value()) {
    absl::StatusOr<store::SubscriptionBatch> batch =
        subscription_->Next(max_batch_, absl::ZeroDuration());
    if (!batch.ok()) return batch.status();
    batch_ = *std::move(batch);
    next_ = 0;
  }
  for (; next_ < batch_->events.size(); ++next_) {
    const store::RecordedEvent& recorded = *batch_->events[next_];
    if (response_.size() >= kMaxResponseBytes) {
      // Part of the batch: everything before the next event was examined. The rest follows
      // once this is written.
      PutVarintField(response_, v1::SubscribeResponse::kCheckpointFieldNumber,
                     progress.checkpoint());
      last_sent_ = last_event_ = absl::Now();
      return Send();
    }
    queries::EventFields fields;
    ASSIGN_OR_RETURN(const bool received, Receives(recorded, fields));
    if (!received) {
      // Dropped with no mark of where it was; every drop holds the checkpoint back alike (see
      // Progress).
      if (partial_) progress.Withheld();
      continue;
    }
    ASSIGN_OR_RETURN(const std::string youth,
                     projections::YouthConcernedBy(
                         recorded, [&fields] { return fields.YouthNamed(); },
                         [this](const std::string& stream) { return OwnerOf(stream); }));
    queries::Showing showing = showing_;
    ASSIGN_OR_RETURN(showing.allowed, InClear(fields, youth));
    event_.clear();
    RETURN_IF_ERROR(queries::AppendStoredEvent(recorded, fields, showing, *unsealing_,
                                               event_, shown_));
    PutLength(response_, v1::SubscribeResponse::kEventsFieldNumber, event_);
    ++response_events_;
    // Every event about a youth is a read of the youth's data, sealed or not.
    shown_.Shown(youth, fields.area_id, /*in_clear=*/false);
    progress.Sent(recorded.position);
  }
  const store::SubscriptionBatch batch = *std::move(batch_);
  batch_.reset();
  progress.BatchEnd(batch.checkpoint);
  if (!batch.caught_up) marked_caught_up_ = false;
  const SubscriptionOptions& options = service_->options_;
  const absl::Time now = absl::Now();
  if (response_events_ == 0 && options.idle_timeout > absl::ZeroDuration() &&
      now - last_event_ >= options.idle_timeout) {
    return absl::UnavailableError(
        absl::StrCat("subscriber_idle_timeout_s: no event for ",
                     absl::FormatDuration(absl::Trunc(now - last_event_, absl::Seconds(1))),
                     ": the subscription was idle (nothing it follows happened; heartbeats were "
                     "read); resubscribe from your checkpoint"));
  }
  const bool send_now = response_events_ > 0 || (batch.caught_up && !marked_caught_up_) ||
                        now - last_sent_ >= options.heartbeat;
  if (!send_now) {
    // Not sent: it holds no event, and the next batch fills it.
    return batch.caught_up ? Then::kParked : Then::kAgain;
  }
  PutVarintField(response_, v1::SubscribeResponse::kCheckpointFieldNumber, progress.checkpoint());
  PutVarintField(response_, v1::SubscribeResponse::kCaughtUpFieldNumber, batch.caught_up);
  if (response_events_ > 0) last_event_ = now;
  last_sent_ = now;
  marked_caught_up_ = batch.caught_up;
  return Send();
}

uint64_t SubscriptionService::HeadFor(const security::SubscriptionScope& scope) const {
  // The public head, raised by the scope's confidential events if it receives them. Its commit
  // may be a moment ahead of what readers see.
  return std::min(heads_->For(scope), events_->HeadPosition());
}

void SubscriptionService::Close() {
  absl::MutexLock lock(&live_mu_);
  closed_ = true;
  for (const std::shared_ptr<Call>& call : live_) call->Cancel(/*closing=*/true);
}

void SubscriptionService::Forget(const std::shared_ptr<Call>& call) {
  absl::MutexLock lock(&live_mu_);
  live_.erase(call);
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
      options_(std::move(options)),
      pool_(std::max(options_.workers, 1), 10'000) {}

SubscriptionService::~SubscriptionService() = default;

grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscriptionService::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  auto call = std::make_shared<Call>(this, *request, runner_.Identify(*context, SubscribeMethod()));
  auto* reactor = new Call::Reactor(call);
  {
    absl::MutexLock lock(&live_mu_);
    live_.insert(call);
    if (closed_) call->Cancel(/*closing=*/true);
  }
  call->Start();
  return reactor;
}

}  // namespace hotspot::subscriptions
