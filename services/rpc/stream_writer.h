// StreamWriter: a server-streaming call fed by a thread of its own, which sends one response at
// a time: the next is made only once gRPC has taken the last, so a slow client holds one
// response in memory, not the backlog.
//
// Thread-safety: Send() from the body's thread; the reactions come on gRPC's threads.
#ifndef HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_
#define HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_

#include <functional>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/support/server_callback.h"
#include "services/rpc/rpc.h"

namespace hotspot::rpc {

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
      // Not before thread_ is assigned: OnDone (after Finish) reads it.
      started_.WaitForNotification();
      const absl::Status status = std::move(body)(*this);
      this->Finish(ToGrpcStatus(status));
    });
    started_.Notify();
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
  absl::Notification started_;
  std::thread thread_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_STREAM_WRITER_H_
