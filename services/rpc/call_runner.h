// CallRunner: how the read side's gRPC services run a call. It authenticates the caller, reads
// the purpose (required where the method's proto says PERSONAL_DATA_ACCESS_ALWAYS), runs the
// work off the RPC threads (a read may wait for the views), first asking whether the caller may
// hold its role (the authenticator's role check), and writes access records before
// the answer is sent: exactly the disclosures the handler made (security::Disclosed), and, for
// a refused attempt (PERMISSION_DENIED) on a method that reads youths' data, a record of the
// refusal naming the request's youth_id and area_id (see RecordRefusal). If a record cannot be
// written, the call fails instead of being answered.
//
// With limits, each call holds one of its principal's call slots (PrincipalLimits) from its
// start until its work ends: beyond the limit it is RESOURCE_EXHAUSTED.
//
// Unary calls run on a worker pool. Server-streaming calls hold no thread: they are pull
// reactors (PullWriter) whose steps (the next response read, recorded with Record(), then its
// write) run on the same pool, one step or one write in flight per call; Close() ends them at
// the server's shutdown, and a client that stops reading ends its stream after the stall
// timeout (RESOURCE_EXHAUSTED, rpc::ReaderStalled). (The subscriptions, which follow the log without end, are pull
// reactors of their own, which use Identify, Admit, Record and Refused.)
// A read that must see the views at a position (min_position: UnaryAfter, StreamAfter) is
// queued without a thread until they reach it: a waiter with the views (ViewsWaits) hands its
// work, or the stream's first step, to the pool then. A unary call ends DEADLINE_EXCEEDED naming
// min_position at the call's deadline; either is dropped if the call is cancelled. Its
// principal's call slot is held while it waits, unary call and stream alike.
//
// Deadlines. A call's deadline (Caller::deadline) is its client's, or none. The server's maximum
// is the one CallGuard enforces (--max_call_deadline_s): it ends a call that runs longer, which
// drops a waiting read's waiter as a cancellation does. No thread waits for the views: the
// audit's reads (GetCaseAsOf, ListErasureReviewsDue, ExportSubjectAccess, GetCaseHistory) are
// queued like queries, and their own wait then ends at once.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_
#define HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/alarm.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/worker_pool.h"
#include "services/rpc/call_guard.h"
#include "services/rpc/principal_limits.h"
#include "services/rpc/rpc.h"
#include "services/rpc/pull_writer.h"
#include "services/security/disclosures.h"
#include "services/security/identity.h"
#include "services/security/principal.h"
#include "store/status_macros.h"

namespace hotspot::rpc {

// A read's caller, its purpose (nullopt where none was given) and its deadline.
struct Caller {
  security::Principal who;
  std::optional<security::Purpose> purpose;
  absl::Time deadline;
};

namespace internal {
template <typename T>
struct IsDisclosed : std::false_type {};
template <typename T>
struct IsDisclosed<security::Disclosed<T>> : std::true_type {};

// The reactor of a unary call that may wait for the views (CallRunner::UnaryAfter). Deletes
// itself when the call is done.
class WaitingReactor final : public grpc::ServerUnaryReactor {
 public:
  WaitingReactor() = default;
  ~WaitingReactor() override;
  // Waits for `views` to reach `position`, then hands `work` (which finishes the call) to
  // `submit`; at `deadline`, finishes DEADLINE_EXCEEDED naming min_position; if the call is
  // cancelled, finishes CANCELLED; at the server's shutdown (CallGuard::Close(), through
  // EndsAtClose until the call is claimed), UNAVAILABLE. Either way `work` is dropped unrun.
  // Called at most once, before the reactor is returned to gRPC; `views` must outlive the call.
  void Wait(grpc_call* call, const ViewsWaits& views, uint64_t position, absl::Time deadline,
            absl::AnyInvocable<void() &&> work,
            absl::AnyInvocable<void(absl::AnyInvocable<void() &&>) &&> submit);
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<grpc::Alarm> alarm_;
};
}  // namespace internal

// What the log knows of the ids a request names, for a refusal's record (RecordRefusal).
struct KnownIds {
  // The area of a youth's case; "" if it has none.
  std::function<absl::StatusOr<std::string>(absl::string_view youth_id)> area_of_youth;
  // True if the area was established.
  std::function<absl::StatusOr<bool>(absl::string_view area_id)> area_exists;
};

// Records, through `recorder`, a refused attempt by `who` through `call` on the youth and area
// that `request` names at its top level (its youth_id and area_id, where it has them).
// `youth_id`, if given, names the youth in place of the request's own youth_id. A caller may type
// anything there (a name, a CPR number), so an id is kept only if it names what exists: the
// youth only if it has a case (`known.area_of_youth`), and then with its case's area, whatever
// area the request names; else the area only if it was established (`known.area_exists`).
// Without the lookup, the id is not kept. The recording's error if it fails (the caller must
// then answer with that, not the refusal), or a lookup's.
absl::Status RecordRefusal(security::AccessRecorder& recorder, const security::Principal& who,
                           absl::string_view call, const security::Purpose& purpose,
                           const google::protobuf::Message& request, absl::string_view youth_id,
                           const KnownIds& known);

class CallRunner {
 public:
  // Not owned; both must outlive the runner. `workers` threads run unary calls. A null
  // `recorder` records nothing (a benchmark's baseline only). `known` decides which ids a
  // refusal's record keeps (RecordRefusal). `limits` (not owned; null: none) bounds each
  // principal's calls in flight.
  // `views` lets UnaryAfter and StreamAfter wait for the views (none: they may not be used).
  // A stream's write not taken within `stall_timeout` ends the stream (PullWriter's stalled
  // readers).
  CallRunner(const security::Authenticator* authenticator, security::AccessRecorder* recorder,
             int workers, KnownIds known, PrincipalLimits* limits = nullptr, ViewsWaits views = {},
             absl::Duration stall_timeout = absl::InfiniteDuration())
      : authenticator_(authenticator),
        recorder_(recorder),
        known_(std::move(known)),
        limits_(limits),
        views_(std::move(views)),
        pool_(workers, 10'000),
        streams_(stall_timeout) {}

  // A call slot of `who` (PrincipalLimits::TakeCall), held until the call's work ends; nullopt
  // without limits.
  absl::StatusOr<std::optional<PrincipalLimits::Slot>> TakeCall(
      const security::Principal& who) const {
    return TakeCallIfLimited(limits_, who);
  }

  // The caller of `context`. A purpose is parsed if given, and required for a method that always
  // reads youths' data (INVALID_ARGUMENT naming "purpose").
  absl::StatusOr<Caller> Identify(const grpc::CallbackServerContext& context,
                                  const Method& method) const {
    absl::StatusOr<security::Principal> who = CallerOf(context, *authenticator_);
    if (!who.ok()) return who.status();
    absl::StatusOr<std::optional<security::Purpose>> purpose = PurposeOf(context);
    if (!purpose.ok()) return purpose.status();
    if (!purpose->has_value() && method.access == v1::PERSONAL_DATA_ACCESS_ALWAYS) {
      return security::ParsePurpose("").status();  // names what is missing
    }
    return Caller{*std::move(who), *std::move(purpose), DeadlineOf(context)};
  }

  // Writes `disclosures` as reads by `caller` through `method`; nothing if there are none or
  // the method reads no youth's data.
  absl::Status Record(const Caller& caller, const Method& method,
                      const security::Disclosures& disclosures) const {
    if (recorder_ == nullptr || disclosures.empty() ||
        method.access == v1::PERSONAL_DATA_ACCESS_UNSPECIFIED) {
      return absl::OkStatus();
    }
    return recorder_->Record(caller.who, method.call, caller.purpose.value_or(security::Purpose{}),
                             disclosures.Records());
  }

  // If `status` is PERMISSION_DENIED and `method` reads youths' data: records the refused attempt
  // (the youth_id and area_id of `request`, where it has them, or the youth's area: see
  // RecordRefusal). Returns `status`, or the recording's error.
  absl::Status Refused(const Caller& caller, const Method& method,
                       const google::protobuf::Message& request, absl::Status status) const;

  // Runs `query(caller)` on the pool into `response`. The query returns
  // StatusOr<security::Disclosed<Response>> for a method that reads youths' data (its
  // disclosures are recorded before the answer is sent), or StatusOr<Response> otherwise.
  template <typename Response, typename Query>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const Method& method,
                                  const google::protobuf::Message& request, Response* response,
                                  Query query) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<Started> started = Start(*context, method);
    if (!started.ok()) {
      reactor->Finish(ToGrpcStatus(started.status()));
      return reactor;
    }
    Submit(reactor,
           Work(reactor, method, request, response, std::move(query), *std::move(started)));
    return reactor;
  }

  // Unary() for a read that must see the views at a position: `awaited(caller)` (run at once,
  // on the RPC thread: it must be quick) says which (0: none), or the error to answer at once
  // (OUT_OF_RANGE for a min_position beyond the head). Until the views reach it the call waits
  // without a thread, holding its call slot (see the header comment for its deadline); the
  // server's shutdown ends the wait at once (CallGuard::Close(), UNAVAILABLE).
  template <typename Response, typename Awaited, typename Query>
  grpc::ServerUnaryReactor* UnaryAfter(grpc::CallbackServerContext* context, const Method& method,
                                       const google::protobuf::Message& request, Response* response,
                                       Awaited awaited, Query query) {
    auto* reactor = new internal::WaitingReactor();
    absl::StatusOr<Started> started = Start(*context, method);
    absl::StatusOr<uint64_t> position = started.ok() ? awaited(started->caller) : started.status();
    if (!position.ok()) {
      reactor->Finish(ToGrpcStatus(position.status()));
      return reactor;
    }
    const absl::Time deadline = started->caller.deadline;
    absl::AnyInvocable<void()&&> work =
        Work(reactor, method, request, response, std::move(query), *std::move(started));
    if (*position == 0) {
      Submit(reactor, std::move(work));
    } else {
      reactor->Wait(context->c_call(), views_, *position, deadline, std::move(work),
                    [this, reactor](absl::AnyInvocable<void() &&> ready) {
                      Submit(reactor, std::move(ready));
                    });
    }
    return reactor;
  }

  // The first step of a stream, given its admitted caller (valid for the whole call): the
  // producer of its responses (a cursor), or the error to end the call with.
  template <typename Response>
  using OpenStream = absl::AnyInvocable<absl::StatusOr<Producer<Response>>(const Caller&) &&>;

  // A server stream as a pull reactor (PullWriter): no thread of its own; each step runs on the
  // pool. The caller is identified and takes its call slot (held until the call ends) at once;
  // its role is admitted at the first step, which then runs `open`. The producer records what
  // each response discloses with Record(); a PERMISSION_DENIED that a step returns is recorded
  // as a refusal.
  template <typename Response>
  grpc::ServerWriteReactor<Response>* Stream(grpc::CallbackServerContext* context,
                                             const Method& method,
                                             const google::protobuf::Message& request,
                                             OpenStream<Response> open) {
    return StreamAfter<Response>(context, method, request, 0, std::move(open));
  }

  // Stream() for a read that must see the views at `position` (0: none; it must be at most the
  // head, so that the wait ends): the call waits for them without a thread, holding its call
  // slot as UnaryAfter's calls do, and its first step is queued once they are there. The
  // client's deadline or cancellation ends the wait (CANCELLED; streams have no server-side
  // deadline, CallGuard), and so does Close() (UNAVAILABLE).
  // `kept` (e.g. a raw method's parsed request, which `request` may be) is held until the call
  // is done.
  template <typename Response>
  grpc::ServerWriteReactor<Response>* StreamAfter(grpc::CallbackServerContext* context,
                                                  const Method& method,
                                                  const google::protobuf::Message& request,
                                                  uint64_t position, OpenStream<Response> open,
                                                  std::shared_ptr<const void> kept = nullptr) {
    auto* writer = new PullWriter<Response>(&pool_, &streams_);
    writer->Keep(std::move(kept));
    absl::StatusOr<Started> started = Start(*context, method);
    if (!started.ok()) {
      writer->End(started.status());
      return writer;
    }
    Producer<Response> next =
        Steps<Response>(method, request, *std::move(started), std::move(open));
    if (position == 0) {
      writer->Start(std::move(next));
    } else {
      writer->StartAfter(views_, position, std::move(next));
    }
    return writer;
  }

  // Ends the streams (PullWriters::Close): at the server's shutdown, before gRPC's.
  void Close() { streams_.Close(); }

  // What a stream reactor of its own (Subscribe) does before its first response, off the RPC
  // thread (a refusal's record is a write): takes the caller's call slot (TakeCall:
  // RESOURCE_EXHAUSTED beyond its limit) and admits its role (the authenticator's check, which
  // may fill in `caller.who`; a PERMISSION_DENIED is recorded as a refusal, see Refused). The
  // slot, held until the call's work ends (nullopt without limits).
  absl::StatusOr<std::optional<PrincipalLimits::Slot>> Admit(
      Caller& caller, const Method& method, const google::protobuf::Message& request) const {
    absl::StatusOr<std::optional<PrincipalLimits::Slot>> slot = TakeCall(caller.who);
    if (!slot.ok()) return slot.status();
    absl::Status role = authenticator_->Admit(caller.who);
    if (!role.ok()) return Refused(caller, method, request, std::move(role));
    return slot;
  }

  // The call's deadline: its client's, or none (absl::InfiniteFuture). The server's maximum is
  // CallGuard's, the one cap (see the header comment).
  static absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
    const auto deadline = context.deadline();
    return deadline == std::chrono::system_clock::time_point::max() ? absl::InfiniteFuture()
                                                                    : absl::FromChrono(deadline);
  }

 private:
  // A unary call's caller (Identify), holding its call slot (TakeCall).
  struct Started {
    Caller caller;
    std::optional<PrincipalLimits::Slot> slot;
  };
  absl::StatusOr<Started> Start(const grpc::CallbackServerContext& context,
                                const Method& method) const {
    absl::StatusOr<Caller> caller = Identify(context, method);
    if (!caller.ok()) return caller.status();
    absl::StatusOr<std::optional<PrincipalLimits::Slot>> slot = TakeCall(caller->who);
    if (!slot.ok()) return slot.status();
    return Started{*std::move(caller), *std::move(slot)};
  }

  // The work of a unary call: `query(caller)` into `response`, recorded, then the call
  // finished through `reactor`. The slot is held until the answer is ready.
  template <typename Response, typename Query>
  absl::AnyInvocable<void() &&> Work(grpc::ServerUnaryReactor* reactor, const Method& method,
                                     const google::protobuf::Message& request, Response* response,
                                     Query query, Started started) {
    return [this, reactor, response, query = std::move(query), &method, &request,
            caller = std::move(started.caller), slot = std::move(started.slot)]() mutable {
      const absl::Status status = [&]() -> absl::Status {
        absl::Status status = authenticator_->Admit(caller.who);
        if (!status.ok()) return Refused(caller, method, request, std::move(status));
        auto result = query(caller);
        if (!result.ok()) return Refused(caller, method, request, result.status());
        if constexpr (internal::IsDisclosed<std::decay_t<decltype(*result)>>::value) {
          RETURN_IF_ERROR(Record(caller, method, result->disclosures));
          *response = std::move(result->answer);
        } else {
          *response = *std::move(result);
        }
        return absl::OkStatus();
      }();
      // Free before the answer: a caller that has it may call again at once.
      slot.reset();
      reactor->Finish(ToGrpcStatus(status));
    };
  }

  // The steps of a stream: the first admits the caller's role (a refusal recorded) and opens
  // the stream; each then produces a response. A PERMISSION_DENIED is recorded as a refusal.
  template <typename Response>
  Producer<Response> Steps(const Method& method, const google::protobuf::Message& request,
                           Started started, OpenStream<Response> open) {
    struct State {
      Started started;
      OpenStream<Response> open;
      Producer<Response> next;  // once opened
    };
    // On the heap: the producer `open` makes may keep a reference to the caller.
    auto state = std::make_unique<State>(State{std::move(started), std::move(open), nullptr});
    return [this, &method, &request,
            state = std::move(state)](Response& response) -> absl::StatusOr<Pull> {
      Caller& caller = state->started.caller;
      if (state->next == nullptr) {
        absl::Status role = authenticator_->Admit(caller.who);
        if (!role.ok()) return Refused(caller, method, request, std::move(role));
        absl::StatusOr<Producer<Response>> opened = std::move(state->open)(caller);
        if (!opened.ok()) return Refused(caller, method, request, opened.status());
        state->next = *std::move(opened);
      }
      absl::StatusOr<Pull> pulled = state->next(response);
      if (!pulled.ok()) return Refused(caller, method, request, pulled.status());
      return pulled;
    };
  }

  // Runs `work` on the pool; if the pool is full, finishes the call RESOURCE_EXHAUSTED (the
  // work, and the slot it holds, dropped unrun).
  void Submit(grpc::ServerUnaryReactor* reactor, absl::AnyInvocable<void() &&> work) {
    if (!pool_.Submit(std::move(work))) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "the server has too many queries waiting; retry with backoff"));
    }
  }

  const security::Authenticator* const authenticator_;
  security::AccessRecorder* const recorder_;
  const KnownIds known_;
  PrincipalLimits* const limits_;
  const ViewsWaits views_;
  common::WorkerPool pool_;
  PullWriters streams_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_CALL_RUNNER_H_
