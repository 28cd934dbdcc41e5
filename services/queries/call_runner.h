// CallRunner: how the read side's gRPC services run a call. It authenticates the caller, asks for
// the "purpose" metadata where the call reads youths' data, runs the work off the RPC threads
// (a read may wait for the views), and, for reads of youths' data, writes the answer's access
// records before the answer is sent: if they cannot be written, the call fails instead.
//
// Unary calls run on a worker pool; server-streaming calls on a thread of their own
// (StreamWriter), which sends one response at a time: the next is made only once gRPC has taken
// the last, so a slow client holds one response in memory, not the backlog.
//
// Thread-safety: safe for concurrent use.
#ifndef HOTSPOT_SERVICES_QUERIES_CALL_RUNNER_H_
#define HOTSPOT_SERVICES_QUERIES_CALL_RUNNER_H_

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/worker_pool.h"
#include "services/domain/principal.h"
#include "services/queries/access_log.h"
#include "services/security/identity.h"
#include "services/server/rpc.h"

namespace hotspot::queries {

// A read's caller, its purpose ("" where none is asked for) and its deadline.
struct Caller {
  domain::Principal who;
  std::string purpose;
  absl::Time deadline;
};

// A server-streaming call fed by a thread of its own. The thread runs `body`, which sends
// responses with Send(); its status finishes the call.
template <typename Response>
class StreamWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  using Body = absl::AnyInvocable<absl::Status(StreamWriter& out) &&>;

  // Starts `body`. `on_cancel` runs (on a gRPC thread) when the client goes away, to wake a body
  // that waits for something else; `on_done` when the call is over.
  StreamWriter(Body body, std::function<void()> on_cancel = nullptr,
               std::function<void()> on_done = nullptr)
      : on_cancel_(std::move(on_cancel)), on_done_(std::move(on_done)) {
    thread_ = std::thread([this, body = std::move(body)]() mutable {
      const absl::Status status = std::move(body)(*this);
      this->Finish(server::ToGrpcStatus(status));
    });
  }

  // Sends `response` and waits until gRPC has taken it. False if the call was cancelled or the
  // stream broke: the body should then return.
  bool Send(const Response& response) {
    absl::MutexLock lock(&mu_);
    if (broken_) return false;
    writing_ = true;
    this->StartWrite(&response);
    mu_.Await(absl::Condition(
        +[](bool* writing) { return !*writing; }, &writing_));
    return !broken_;
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      broken_ = true;
    }
    if (on_cancel_) on_cancel_();
  }

  void OnDone() override {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    if (on_done_) on_done_();
    delete this;
  }

 private:
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  const std::function<void()> on_cancel_;
  const std::function<void()> on_done_;
  std::thread thread_;
};

class CallRunner {
 public:
  // Not owned; both must outlive the runner. `workers` threads run unary calls. A null
  // `access_log` records nothing (a benchmark's baseline only).
  CallRunner(const security::Authenticator* authenticator, AccessLog* access_log, int workers)
      : authenticator_(authenticator), access_log_(access_log), pool_(workers, 10'000) {}

  AccessLog& access_log() const { return *access_log_; }

  // The caller of `context`; with `logged`, its purpose is required.
  absl::StatusOr<Caller> Identify(const grpc::CallbackServerContext& context, bool logged) const {
    absl::StatusOr<domain::Principal> who = server::Authenticate(context, *authenticator_);
    if (!who.ok()) return who.status();
    Caller caller{*std::move(who), "", DeadlineOf(context)};
    if (logged) {
      absl::StatusOr<std::string> purpose = server::Purpose(context);
      if (!purpose.ok()) return purpose.status();
      caller.purpose = *std::move(purpose);
    }
    return caller;
  }

  // Runs `query(caller)` on the pool into `response`. With `logged`, `call` reads youths' data:
  // its purpose is required and the access records of its answer (ReadsIn, or `fallback` if it
  // shows no youth) are written before it is sent.
  template <typename Response, typename Query>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const char* call,
                                  bool logged, Response* response, Query query,
                                  std::vector<v1::AccessRecord> fallback = {}) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<Caller> caller = Identify(*context, logged);
    if (!caller.ok()) {
      reactor->Finish(server::ToGrpcStatus(caller.status()));
      return reactor;
    }
    const bool queued =
        pool_.Submit([this, reactor, response, query, call, logged, caller = *std::move(caller),
                      fallback = std::move(fallback)]() mutable {
          absl::StatusOr<Response> result = query(caller);
          if (result.ok() && logged && access_log_ != nullptr) {
            std::vector<v1::AccessRecord> reads = ReadsIn(*result);
            if (reads.empty()) reads = std::move(fallback);
            const absl::Status recorded =
                RecordReads(*access_log_, caller.who, call, caller.purpose, std::move(reads));
            if (!recorded.ok()) result = recorded;
          }
          if (result.ok()) *response = std::move(*result);
          reactor->Finish(server::ToGrpcStatus(result.status()));
        });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "the server has too many queries waiting; retry with backoff"));
    }
    return reactor;
  }

  // Runs `body(caller, out)` on a thread of its own, sending through `out` (see StreamWriter
  // for `on_cancel` and `on_done`).
  template <typename Response>
  grpc::ServerWriteReactor<Response>* Stream(
      grpc::CallbackServerContext* context, bool logged,
      absl::AnyInvocable<absl::Status(const Caller&, StreamWriter<Response>&) &&> body,
      std::function<void()> on_cancel = nullptr, std::function<void()> on_done = nullptr) {
    absl::StatusOr<Caller> caller = Identify(*context, logged);
    return new StreamWriter<Response>(
        [caller = std::move(caller), body = std::move(body)](StreamWriter<Response>& out) mutable {
          if (!caller.ok()) return caller.status();
          return std::move(body)(*caller, out);
        },
        std::move(on_cancel), std::move(on_done));
  }

  // The call's deadline, capped: a read without one waits at most 30 s for the views.
  static absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
    return std::min(absl::FromChrono(context.deadline()), absl::Now() + absl::Seconds(30));
  }

 private:
  const security::Authenticator* const authenticator_;
  AccessLog* const access_log_;
  common::WorkerPool pool_;
};

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_CALL_RUNNER_H_
