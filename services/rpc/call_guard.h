// CallGuard: what hotspotd enforces on every gRPC call before any service sees it, from a server
// interceptor (so every service, gRPC's health and reflection included, is held alike):
//   - A server-side maximum deadline for unary calls: a call whose client gave no deadline, or
//     a later one, ends DEADLINE_EXCEEDED ("max_call_deadline_s: ...") once `max_unary_deadline`
//     has passed since it started. The handler's work is not interrupted (a read queued for
//     the views is dropped; see CallRunner's header on deadlines); its answer, when it comes,
//     is dropped, as gRPC drops the answer of a call past the client's own deadline.
//   - A server-side maximum duration for streams (every call that is not unary: Subscribe,
//     GetCaseHistory, ExportAccessLog, Backup, gRPC's health Watch, reflection): once
//     `max_stream_duration` has passed since it started, the stream ends UNAVAILABLE
//     ("max_stream_duration_s: ... call again, resuming from the last position received"). A
//     subscriber resubscribes from its checkpoint, as after its idle time; a reader of a
//     history or an export calls again from the last response it has.
//   - A server-wide cap on the streams of gRPC's health Watch and of reflection (every stream
//     of a service outside hotspot.v1): they need no token, so no principal's limit bounds
//     them. Beyond `max_health_reflection_streams` open at once, a new one ends
//     RESOURCE_EXHAUSTED ("max_health_reflection_streams: ..."). (hotspot.v1's streams count
//     against their principal: rpc/principal_limits.h. Every connection's streams are bounded
//     by HTTP/2's MAX_CONCURRENT_STREAMS: --max_streams_per_connection.)
//   - Close() (the server's shutdown) ends at once, UNAVAILABLE ("the server is shutting down;
//     ..."), every call registered with EndsAtClose (a unary call that waits for the views, with
//     no work running to finish; a reflection stream), and cancels every other stream of a
//     service outside hotspot.v1 (gRPC's health Watch; hotspot.v1's services close their own,
//     after the response in flight), so that none holds the exit until the grace's end.
//   - A request whose body cannot be decoded as the method's request message answers
//     INVALID_ARGUMENT naming the message ("request: cannot be decoded as
//     hotspot.v1.GetCaseRequest"), where gRPC's callback API would answer UNIMPLEMENTED with no
//     message. (gRPC gives that answer, and no handler runs, exactly when the decoding fails for
//     a method the server serves; an unknown method is left UNIMPLEMENTED.)
// A call the guard ends is cancelled with that status (the client gets it; the handler sees a
// cancellation), and the status its handler sends later is rewritten to it, so that the
// observers count what the client was sent.
//
// Register its interceptors before the CallObserver, so that the observer counts and logs the
// codes the client is sent.
//
// Thread-safety: safe for concurrent use; the factory is shared by all calls, each interceptor
// belongs to one call.
#ifndef HOTSPOT_SERVICES_RPC_CALL_GUARD_H_
#define HOTSPOT_SERVICES_RPC_CALL_GUARD_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"

namespace hotspot::rpc {

struct CallGuardOptions {
  // The longest a unary call may run, whatever deadline its client gave (or none). Zero: no
  // maximum. Default: 30 s.
  absl::Duration max_unary_deadline = absl::Seconds(30);
  // The longest a stream may run. Zero: no maximum. Default: 1 hour.
  absl::Duration max_stream_duration = absl::Hours(1);
  // Streams of gRPC's health Watch and of reflection open at once, server-wide. Zero: no
  // maximum. Default: 100.
  int max_health_reflection_streams = 100;
};

class CallGuard {
 public:
  explicit CallGuard(CallGuardOptions options);
  ~CallGuard();
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;

  // The interceptor factory that guards the server's calls; this must outlive every call.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Factory();

  // Ends the calls the header comment names (UNAVAILABLE), and each such stream that starts
  // from now on. Returns how many it cancelled. (A cancellation completes the call before its
  // status is written out: the server's shutdown gives those a moment before it drops the
  // connections.)
  int Close();

  // The status of a call ended by Close(); the same as PullWriters::ShuttingDown's.
  static constexpr char kShuttingDown[] = "the server is shutting down; retry the call later";

  struct Live;  // the calls of the server (internal)

 private:
  class Factory_;
  const CallGuardOptions options_;
  const std::shared_ptr<Live> live_;
};

// Registers how the call `call` ends itself at the server's shutdown, from construction to
// destruction: CallGuard::Close() runs `end` (once, on its own thread, with no lock held), which
// should Finish the call UNAVAILABLE (CallGuard::kShuttingDown) unless it has ended already; it
// may run after this is destroyed, so it must hold what it needs. A call registered so is not
// cancelled by Close(), whose cancellation completes a call before its status is written out.
// (CallRunner::UnaryAfter's waits for the views, the reflection streams.)
class EndsAtClose {
 public:
  EndsAtClose(grpc_call* call, std::function<void()> end);
  ~EndsAtClose();
  EndsAtClose(const EndsAtClose&) = delete;
  EndsAtClose& operator=(const EndsAtClose&) = delete;

 private:
  grpc_call* const call_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_CALL_GUARD_H_
