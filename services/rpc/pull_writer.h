// PullWriter: a server-streaming call that holds no thread, a pull reactor in the style of
// gRPC's route_guide callback example. A step function (Producer) fills the next response; each
// step runs on a shared, bounded worker pool. One write stays in flight: once a response's write
// has started, the step that fills the next one is queued at once, so that the reading and
// assembling of response n+1 overlap the sending (and the client's decoding) of response n; a
// response filled while the last is still being written is held until gRPC has taken that one
// (OnWriteDone), and no further step is queued until then. So a call has at most one write and
// one step or one held response at a time: a slow or stalled client holds two responses in
// memory, and no thread. A producer is a resumable cursor (a position, a last key, a snapshot
// kept between steps), called by one step at a time; each step does a bounded amount of work (a
// batch read, unsealing, the batch's access record).
//
// A call that must first see the views at a position waits for them without a thread
// (StartAfter, ViewsWaits): its first step is queued once they are there.
//
// Ending. A step's error ends the call with it once the write in flight (if any) is taken; kLast
// ends it OK once that response is taken, kNone once the write in flight is. The client's
// cancellation, or a failed write, ends it CANCELLED at its next step (the step running finishes
// first; a write in flight completes, failed, once gRPC gives up on it). PullWriters::Close() (the
// server's shutdown) ends every live call UNAVAILABLE at its next step or once its write in
// flight is taken (a held response is not sent), or at once while it waits for the views; one
// whose client does not read ends when its write is taken, or when gRPC cancels it at the
// shutdown's grace. The producer (and what it holds, such as the caller's call
// slot) is destroyed before the status is sent.
//
// Stalled readers. A client that stops reading leaves a write in flight once HTTP/2's flow
// control window is full. If one write is not taken within the PullWriters' stall timeout
// (--stream_stall_timeout_s), the call ends RESOURCE_EXHAUSTED (ReaderStalled: "stream_stall_
// timeout_s: ... stopped reading ...") at once, or once the step running finishes: the producer
// and its slot are freed then, and the status follows the responses still buffered, should the
// client read again. gRPC holds the call (one response) until the client reads or goes away, or
// the shutdown's grace.
//
// Thread-safety: the reactions come on gRPC's threads, steps on the pool's; the producer and the
// response being filled are touched by one step at a time, the response being written by gRPC
// alone; the call's state is under a lock. The call ends (Finish) only when no step runs.
#ifndef HOTSPOT_SERVICES_RPC_PULL_WRITER_H_
#define HOTSPOT_SERVICES_RPC_PULL_WRITER_H_

#include <functional>
#include <memory>
#include <optional>
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
    {
      absl::MutexLock lock(&mu_);
      stepping_ = true;
    }
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
    std::unique_ptr<grpc::Alarm> alarm;  // of the write done: cancelled as it is destroyed
    std::optional<absl::Status> end;
    int start = -1;
    uint64_t write = 0;
    bool queue = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      alarm = std::move(stall_alarm_);
      if (stalled_) return;  // ended when the write stalled, or by the step running then
      if (!ok) {
        if (!end_.has_value()) end_ = absl::CancelledError("the client went away");
      } else if (written_last_ && !end_.has_value()) {
        end_ = absl::OkStatus();
      } else if (closed_ && !end_.has_value()) {
        end_ = PullWriters::ShuttingDown();  // a held response is not sent
      }
      if (end_.has_value()) {
        if (!stepping_) end = *end_;  // else the step running ends the call
      } else if (held_) {
        held_ = false;
        start = Writing(held_last_, write);
        stepping_ = queue = !held_last_;
      } else if (!stepping_) {
        stepping_ = queue = true;  // (not expected: a step follows each write's start)
      }
    }
    alarm.reset();
    if (end.has_value()) return End(*end);
    if (start >= 0) StartWriting(start, write);
    if (queue) Queue();
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

  // One step: fills the next response and starts its write (queueing the step after it), or
  // holds it until the write in flight is taken; or ends the call.
  void Step() {
    bool closed, cancelled, ending;
    {
      absl::MutexLock lock(&mu_);
      closed = closed_;
      cancelled = cancelled_;
      ending = end_.has_value();  // the write failed or stalled since this step was queued
    }
    // Not under the lock: End() may lead to OnDone, which deletes this, on another thread.
    if (closed) return Settle(PullWriters::ShuttingDown());
    if (cancelled || ending) return Settle(absl::CancelledError("the client went away"));
    Response& response = responses_[fill_];
    response.Clear();
    const absl::StatusOr<Pull> pulled = next_(response);
    if (!pulled.ok()) return Settle(pulled.status());
    if (*pulled == Pull::kNone) return Settle(absl::OkStatus());
    const bool last = *pulled == Pull::kLast;
    std::optional<absl::Status> end;
    int start = -1;
    uint64_t write = 0;
    {
      absl::MutexLock lock(&mu_);
      stepping_ = false;
      if (end_.has_value()) {
        end = *end_;  // the write failed or stalled while this step ran
      } else if (writing_) {
        held_ = true;
        held_last_ = last;
      } else {
        start = Writing(last, write);
        stepping_ = !last;
      }
    }
    if (end.has_value()) return End(*end);
    if (start < 0) return;
    StartWriting(start, write);
    if (!last) Queue();
  }

  // A step that ends the call with `status`: at once, or once the write in flight is taken (an
  // end decided before, by a failed or stalled write, wins).
  void Settle(const absl::Status& status) {
    absl::Status end = status;
    {
      absl::MutexLock lock(&mu_);
      stepping_ = false;
      if (end_.has_value()) {
        end = *end_;
      } else if (writing_) {
        end_ = status;  // OnWriteDone ends the call
        return;
      }
    }
    End(end);
  }

  // Under mu_: the response at fill_ is to be written now; its buffer, and the write's number in
  // `write`. The next step fills the other buffer.
  int Writing(bool last, uint64_t& write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int start = fill_;
    fill_ = 1 - fill_;
    writing_ = true;
    written_last_ = last;
    write = ++writes_;
    return start;
  }

  // Starts the write of responses_[buffer], write number `write`, with its stall alarm.
  void StartWriting(int buffer, uint64_t write) {
    if (stall_timeout_ != absl::InfiniteDuration()) {
      auto alarm = std::make_unique<grpc::Alarm>();
      alarm->Set(absl::ToChronoTime(absl::Now() + stall_timeout_),
                 [watch = watch_, write](bool due) {
                   if (due) Stalled(*watch, write);
                 });
      absl::MutexLock lock(&mu_);
      stall_alarm_ = std::move(alarm);
    }
    this->StartWrite(&responses_[buffer]);
  }

  // Queues the next step (stepping_ set already). Work already accepted: past the pool's bound,
  // as a call's steps come one at a time.
  void Queue() {
    if (!pool_->Submit([this] { Step(); }, /*force=*/true)) Settle(PullWriters::ShuttingDown());
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
      if (!writer->writing_ || writer->writes_ != write || writer->stalled_) return;
      writer->stalled_ = true;  // claimed: OnWriteDone does nothing
      // Also over an end decided already (a step's error, or the stream's end), which waited
      // for this write to be taken: the client took it not.
      writer->end_ =
          ReaderStalled(writer->stall_timeout_, "read the stream steadily, then call again");
      if (writer->stepping_) return;  // the step running ends the call
    }
    // No step runs: the producer is this thread's to drop.
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
  bool written_last_ ABSL_GUARDED_BY(mu_) = false;  // ... of the last response
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;    // writes started: the number of the last
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;  // ended by its stall alarm
  bool stepping_ ABSL_GUARDED_BY(mu_) = false;  // a step queued or running
  bool held_ ABSL_GUARDED_BY(mu_) = false;      // responses_[fill_] filled, waiting for the write
  bool held_last_ ABSL_GUARDED_BY(mu_) = false;  // ... and it is the last
  // How the call ends, decided while a step or a write was in flight.
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::Alarm> stall_alarm_ ABSL_GUARDED_BY(mu_);  // of the write in flight
  // The response a step fills (or that is held) is responses_[fill_]; the other is written.
  // fill_ changes under mu_ when a write starts, never while a step runs.
  int fill_ = 0;
  Producer<Response> next_;  // called by one step at a time
  Response responses_[2];
  std::shared_ptr<const void> kept_;  // until OnDone deletes this
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_PULL_WRITER_H_
