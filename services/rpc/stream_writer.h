// StreamWriter: a server-streaming call fed by a thread of its own, which sends one response at
// a time: the next is made only once gRPC has taken the last, so a slow client holds one
// response in memory, not the backlog. A call that must first see the views at a position
// waits for them without a thread; its thread starts once they are there. (The subscriptions,
// which wait for the log without end, are pull reactors holding no thread:
// services/subscriptions.)
//
// Thread-safety: Send() from the body's thread; the reactions come on gRPC's threads.
#ifndef HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_
#define HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_

#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/support/server_callback.h"
#include "services/rpc/rpc.h"

namespace hotspot::rpc {

// How a read waits for the views without a thread (projections::Projector's OnReached and
// Forget, which this library does not name): CallRunner::UnaryAfter, and a StreamWriter made
// with a position.
struct ViewsWaits {
  // Calls `reached` once the views have reached `position` (at once, returning 0, if so
  // already); otherwise returns a ticket for `forget`. `reached` may run on the views' thread.
  std::function<uint64_t(uint64_t position, absl::AnyInvocable<void(absl::Status) &&> reached)>
      on_reached;
  // Drops the waiter of a ticket, its callback unrun, unless it has run.
  std::function<bool(uint64_t ticket)> forget;
};

template <typename Response>
class StreamWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  using Body = absl::AnyInvocable<absl::Status(StreamWriter& out) &&>;

  // Starts `body`. `on_cancel` runs (on a gRPC thread) when the client goes away, to wake a body
  // that waits for something else; `on_done` when the call is over.
  StreamWriter(Body body, std::function<void()> on_cancel = nullptr,
               std::function<void()> on_done = nullptr)
      : on_cancel_(std::move(on_cancel)), on_done_(std::move(on_done)) {
    Begin(std::move(body));
  }

  // Starts `body` once the views reach `position` (`views.on_reached`), holding no thread until
  // then. If the client goes away first, the call ends CANCELLED and `body` is dropped unrun; if
  // the views stop, it ends with their error. `views` must outlive the call.
  StreamWriter(const ViewsWaits& views, uint64_t position, Body body,
               std::function<void()> on_cancel = nullptr, std::function<void()> on_done = nullptr)
      : on_cancel_(std::move(on_cancel)), on_done_(std::move(on_done)) {
    gate_ = std::make_shared<Gate>(this, views);
    // The reactor is not yet returned to gRPC: the call cannot end before this returns.
    const uint64_t ticket = views.on_reached(
        position, [gate = gate_, body = std::move(body)](absl::Status reached) mutable {
          if (!gate->Claim()) return;  // the call was cancelled first
          if (reached.ok()) {
            gate->writer->Begin(std::move(body));
          } else {
            gate->writer->Finish(ToGrpcStatus(reached));
          }
        });
    absl::MutexLock lock(&gate_->mu);
    gate_->ticket = ticket;
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
    if (gate_ != nullptr && gate_->Claim()) {
      // Still waiting for the views: the body never runs.
      uint64_t ticket;
      {
        absl::MutexLock lock(&gate_->mu);
        ticket = gate_->ticket;
      }
      if (ticket != 0) gate_->views.forget(ticket);
      this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
      return;
    }
    if (on_cancel_) on_cancel_();
  }

  void OnDone() override {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else if (thread_.joinable()) {
      thread_.join();
    }
    if (on_done_) on_done_();
    delete this;
  }

 private:
  // What the views' waiter and the call's cancellation share: whichever claims the call first
  // decides whether the body runs.
  struct Gate {
    StreamWriter* const writer;
    const ViewsWaits& views;
    absl::Mutex mu;
    bool claimed ABSL_GUARDED_BY(mu) = false;
    uint64_t ticket ABSL_GUARDED_BY(mu) = 0;
    Gate(StreamWriter* w, const ViewsWaits& v) : writer(w), views(v) {}
    bool Claim() {
      absl::MutexLock lock(&mu);
      if (claimed) return false;
      claimed = true;
      return true;
    }
  };

  void Begin(Body body) {
    thread_ = std::thread([this, body = std::move(body)]() mutable {
      // Not before thread_ is assigned: OnDone (after Finish) reads it.
      started_.WaitForNotification();
      const absl::Status status = std::move(body)(*this);
      this->Finish(ToGrpcStatus(status));
    });
    started_.Notify();
  }

  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  const std::function<void()> on_cancel_;
  const std::function<void()> on_done_;
  std::shared_ptr<Gate> gate_;  // only while it waits for the views (second constructor)
  absl::Notification started_;
  std::thread thread_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_
