// PullWriter: a server-streaming call that holds no thread, a pull reactor in the style of
// gRPC's route_guide callback example. A step function (Producer) fills the next response; each
// step runs on a shared, bounded worker pool and ends by starting that response's write, and the
// next step is queued only once gRPC has taken it (OnWriteDone). So a call has at most one step
// or one write in flight: a slow or stalled client holds one response in memory, and no thread.
// A producer is a resumable cursor (a position, a last key, a snapshot kept between steps); each
// step does a bounded amount of work (a batch read, unsealing, the batch's access record).
//
// A call that must first see the views at a position waits for them without a thread
// (StartAfter, ViewsWaits): its first step is queued once they are there.
//
// Ending. A step's error ends the call with it; kLast ends it OK once that response is taken,
// kNone at once. The client's cancellation, or a failed write, ends it CANCELLED at its next
// step (the step running finishes first; a write in flight completes, failed, once gRPC gives
// up on it). PullWriters::Close() (the server's shutdown) ends every live call UNAVAILABLE at its
// next step, or at once while it waits for the views; one whose client does not read ends when
// its write is taken, or when gRPC cancels it at the shutdown's grace. The producer (and what it
// holds, such as the caller's call slot) is destroyed before the status is sent.
//
// Stalled readers. A client that stops reading leaves a write in flight once HTTP/2's flow
// control window is full. If one write is not taken within the PullWriters' stall timeout
// (--stream_stall_timeout_s), the call ends RESOURCE_EXHAUSTED (ReaderStalled: "stream_stall_
// timeout_s: ... stopped reading ...") at once: the producer and its slot are freed then, and
// the status follows the responses still buffered, should the client read again. gRPC holds the
// call (one response) until the client reads or goes away, or the shutdown's grace.
//
// Thread-safety: the reactions come on gRPC's threads, steps on the pool's; a call's state is
// touched by one of them at a time (a step, or the write it started), the flags under a lock.
#ifndef HOTSPOT_SERVICES_RPC_PULL_WRITER_H_
#define HOTSPOT_SERVICES_RPC_PULL_WRITER_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/support/server_callback.h"
#include "services/common/worker_pool.h"
#include "services/rpc/rpc.h"

namespace hotspot::rpc {

// How a read waits for the views without a thread (projections::Projector's OnReached and
// Forget, which this library does not name): CallRunner::UnaryAfter, and a PullWriter started
// with StartAfter.
struct ViewsWaits {
  // Calls `reached` once the views have reached `position` (at once, returning 0, if so
  // already); otherwise returns a ticket for `forget`. `reached` may run on the views' thread.
  std::function<uint64_t(uint64_t position, absl::AnyInvocable<void(absl::Status) &&> reached)>
      on_reached;
  // Drops the waiter of a ticket, its callback unrun, unless it has run.
  std::function<bool(uint64_t ticket)> forget;
};

// What a step did with the response it was given.
enum class Pull {
  kMore,  // filled it: send it, then call again
  kLast,  // filled it: send it, and the call ends OK
  kNone,  // nothing to send: the call ends OK
};

// Fills the next response of a stream (given cleared). An error ends the call with it.
template <typename Response>
using Producer = absl::AnyInvocable<absl::StatusOr<Pull>(Response& response)>;

class PullWriters;

// The status of a stream whose client took no response for `limit` (--stream_stall_timeout_s):
// RESOURCE_EXHAUSTED, saying the reader stalled, then `what_next` (what the client should do).
inline absl::Status ReaderStalled(absl::Duration limit, absl::string_view what_next) {
  return absl::ResourceExhaustedError(
      absl::StrCat("stream_stall_timeout_s: the client stopped reading: a response waited ",
                   absl::FormatDuration(limit), " to be taken (the reader stalled); ", what_next));
}

namespace internal {
// What PullWriters knows of a PullWriter, whatever its response type.
class PullWriterBase {
 public:
  virtual ~PullWriterBase() = default;

 protected:
  friend class ::hotspot::rpc::PullWriters;
  // Marks the call closed (it ends UNAVAILABLE at its next step). True if it was waiting for the
  // views and is now claimed: the caller must then EndClosed() it (outside PullWriters' lock).
  virtual bool MarkClosed() = 0;
  virtual void EndClosed() = 0;
};
}  // namespace internal

// The live PullWriters of a service, for its shutdown, and their stall timeout.
class PullWriters {
 public:
  // A write not taken within `stall_timeout` ends its call (ReaderStalled). Default: never.
  explicit PullWriters(absl::Duration stall_timeout = absl::InfiniteDuration())
      : stall_timeout_(stall_timeout) {}

  // Ends every live call (see the header comment), and every call started from now on at its
  // first step.
  void Close() {
    std::vector<internal::PullWriterBase*> claimed;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      for (internal::PullWriterBase* writer : live_) {
        if (writer->MarkClosed()) claimed.push_back(writer);
      }
    }
    // Claimed calls wait for nothing else: they stay alive until this finishes them.
    for (internal::PullWriterBase* writer : claimed) writer->EndClosed();
  }

  // The status of a call ended by Close().
  static absl::Status ShuttingDown() {
    return absl::UnavailableError("the server is shutting down; retry the call later");
  }

 private:
  template <typename Response>
  friend class PullWriter;
  // False if closed already (the writer is then not added).
  bool Add(internal::PullWriterBase* writer) {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    live_.insert(writer);
    return true;
  }
  void Remove(internal::PullWriterBase* writer) {
    absl::MutexLock lock(&mu_);
    live_.erase(writer);
  }

  const absl::Duration stall_timeout_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<internal::PullWriterBase*> live_ ABSL_GUARDED_BY(mu_);
};

template <typename Response>
class PullWriter final : public grpc::ServerWriteReactor<Response>,
                         public internal::PullWriterBase {
 public:
  // Steps run on `pool`; `live` (null: none) ends the call at shutdown. Both (not owned) must
  // outlive the call. Deletes itself when the call is done. Start it with Start, StartAfter or
  // End, before it is returned to gRPC.
  PullWriter(common::WorkerPool* pool, PullWriters* live)
      : pool_(pool),
        live_(live),
        stall_timeout_(live == nullptr ? absl::InfiniteDuration() : live->stall_timeout_) {
    if (live_ != nullptr && !live_->Add(this)) {
      live_ = nullptr;
      absl::MutexLock lock(&mu_);
      closed_ = true;
    }
  }

  // Queues the first step of `next`; RESOURCE_EXHAUSTED at once if the pool is full.
  void Start(Producer<Response> next) {
    next_ = std::move(next);
    if (!pool_->Submit([this] { Step(); })) {
      End(absl::ResourceExhaustedError(
          "the server has too many queries waiting; retry with backoff"));
    }
  }

  // Start()s `next` once the views reach `position` (`views.on_reached`), holding no thread
  // until then. If the client goes away first, the call ends CANCELLED and `next` is dropped
  // unrun; if the views stop, it ends with their error. `views` must outlive the call.
  void StartAfter(const ViewsWaits& views, uint64_t position, Producer<Response> next) {
    auto gate = std::make_shared<Gate>(this, views);
    bool closed;
    {
      absl::MutexLock lock(&mu_);
      closed = closed_;  // else Close() will find the gate
      if (!closed) gate_ = gate;
    }
    if (closed) return End(PullWriters::ShuttingDown());
    // The reactor is not yet returned to gRPC: the call cannot end before this returns.
    const uint64_t ticket =
        views.on_reached(position, [gate, next = std::move(next)](absl::Status reached) mutable {
          if (!gate->Claim()) return;  // the call was cancelled or closed first
          if (reached.ok()) {
            gate->writer->Start(std::move(next));
          } else {
            next = nullptr;  // and what it holds, before the status
            gate->writer->End(reached);
          }
        });
    absl::MutexLock lock(&gate->mu);
    gate->ticket = ticket;
  }

  // Holds `kept` (what the call's request and producer refer to, e.g. a raw method's parsed
  // request) until the call is done. Before Start or StartAfter.
  void Keep(std::shared_ptr<const void> kept) { kept_ = std::move(kept); }

  // Ends the call with `status` at once, with no step (none may be queued or running).
  void End(const absl::Status& status) {
    next_ = nullptr;
    this->Finish(ToGrpcStatus(status));
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (stalled_) return;  // ended when the write stalled
    }
    stall_alarm_.reset();  // cancels it
    if (!ok) return End(absl::CancelledError("the client went away"));
    if (last_) return End(absl::OkStatus());
    // Work already accepted: past the pool's bound, as a call's steps come one at a time.
    if (!pool_->Submit([this] { Step(); }, /*force=*/true)) End(PullWriters::ShuttingDown());
  }

  void OnCancel() override {
    std::shared_ptr<Gate> gate;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      gate = gate_;
    }
    if (gate != nullptr && gate->Drop()) {
      End(absl::CancelledError("the call was cancelled"));
    }
  }

  void OnDone() override {
    if (live_ != nullptr) live_->Remove(this);
    {
      absl::MutexLock lock(&watch_->mu);
      watch_->writer = nullptr;  // a stall alarm still to run finds no call
    }
    delete this;
  }

 private:
  // What a stall alarm knows of its call, which may be done (and deleted) by the time it runs.
  struct Watch {
    absl::Mutex mu;
    PullWriter* writer ABSL_GUARDED_BY(mu);
    explicit Watch(PullWriter* w) : writer(w) {}
  };

  // What the views' waiter, the call's cancellation and Close() share: whichever claims the call
  // first decides whether it starts.
  struct Gate {
    PullWriter* const writer;
    const ViewsWaits& views;
    absl::Mutex mu;
    bool claimed ABSL_GUARDED_BY(mu) = false;
    uint64_t ticket ABSL_GUARDED_BY(mu) = 0;
    Gate(PullWriter* w, const ViewsWaits& v) : writer(w), views(v) {}
    bool Claim() {
      absl::MutexLock lock(&mu);
      if (claimed) return false;
      claimed = true;
      return true;
    }
    // Claims the call, dropping the views' waiter (and what it holds). False if claimed already.
    bool Drop() {
      if (!Claim()) return false;
      uint64_t registered;
      {
        absl::MutexLock lock(&mu);
        registered = ticket;
      }
      if (registered != 0) views.forget(registered);
      return true;
    }
  };

  bool MarkClosed() override {
    std::shared_ptr<Gate> gate;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      gate = gate_;
    }
    return gate != nullptr && gate->Drop();
  }
  void EndClosed() override { End(PullWriters::ShuttingDown()); }

  // One step: fills the response and starts its write, or ends the call.
  void Step() {
    bool closed, cancelled;
    {
      absl::MutexLock lock(&mu_);
      closed = closed_;
      cancelled = cancelled_;
    }
    // Not under the lock: End() may lead to OnDone, which deletes this, on another thread.
    if (closed) return End(PullWriters::ShuttingDown());
    if (cancelled) return End(absl::CancelledError("the client went away"));
    response_.Clear();
    const absl::StatusOr<Pull> pulled = next_(response_);
    if (!pulled.ok()) return End(pulled.status());
    if (*pulled == Pull::kNone) return End(absl::OkStatus());
    last_ = *pulled == Pull::kLast;
    uint64_t write;
    {
      absl::MutexLock lock(&mu_);
      writing_ = true;
      write = ++writes_;
    }
    if (stall_timeout_ != absl::InfiniteDuration()) {
      stall_alarm_ = std::make_unique<grpc::Alarm>();
      stall_alarm_->Set(absl::ToChronoTime(absl::Now() + stall_timeout_),
                        [watch = watch_, write](bool due) {
                          if (due) Stalled(*watch, write);
                        });
    }
    this->StartWrite(&response_);
  }

  // The stall alarm of write `write`: ends the call (ReaderStalled) if that write is still in
  // flight. (An alarm that fired as its write completed may run once the next write has
  // started: the number tells it that the write is not its own.)
  static void Stalled(Watch& watch, uint64_t write) {
    PullWriter* writer;
    {
      absl::MutexLock lock(&watch.mu);
      writer = watch.writer;
      if (writer == nullptr) return;
      absl::MutexLock call_lock(&writer->mu_);
      if (!writer->writing_ || writer->writes_ != write) return;
      writer->stalled_ = true;  // claimed: OnWriteDone does nothing, so no one else ends it
    }
    // No step runs while a write is in flight: the producer is this thread's to drop.
    writer->End(ReaderStalled(writer->stall_timeout_, "read the stream steadily, then call again"));
  }

  common::WorkerPool* const pool_;
  PullWriters* live_;
  const absl::Duration stall_timeout_;
  const std::shared_ptr<Watch> watch_ = std::make_shared<Watch>(this);
  absl::Mutex mu_;
  std::shared_ptr<Gate> gate_ ABSL_GUARDED_BY(mu_);  // only if started by StartAfter
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a write in flight
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;    // writes started: the number of the last
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;  // ended by its stall alarm
  // Touched by one step, or the write it started, at a time.
  Producer<Response> next_;
  Response response_;
  std::shared_ptr<const void> kept_;  // until OnDone deletes this
  bool last_ = false;
  std::unique_ptr<grpc::Alarm> stall_alarm_;  // of the write in flight
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_PULL_WRITER_H_
