// CallGuard: what hotspotd enforces on every gRPC call before any service sees it, from a server
// interceptor (so every service, gRPC's health and reflection included, is held alike):
//   - A server-side maximum deadline for unary calls: a call whose client gave no deadline, or
//     a later one, ends DEADLINE_EXCEEDED ("max_call_deadline_s: ...") once `max_unary_deadline`
//     has passed since it started. The handler's work is not interrupted (a read queued for
//     the views is dropped; see CallRunner's header on deadlines); its answer, when it comes,
//     is dropped, as gRPC drops the answer of a call past the client's own deadline. Streams
//     are exempt: they have rules of their own (SubscriptionService's idle time, the server's
//     shutdown).
//   - A request whose body cannot be decoded as the method's request message answers
//     INVALID_ARGUMENT naming the message ("request: cannot be decoded as
//     hotspot.v1.GetCaseRequest"), where gRPC's callback API would answer UNIMPLEMENTED with no
//     message. (gRPC gives that answer, and no handler runs, exactly when the decoding fails for
//     a method the server serves; an unknown method is left UNIMPLEMENTED.)
//
// Register it before the CallObserver, so that the observer counts and logs the codes the
// client is sent.
//
// Thread-safety: the factory is shared by all calls; each interceptor belongs to one call.
#ifndef HOTSPOT_SERVICES_RPC_CALL_GUARD_H_
#define HOTSPOT_SERVICES_RPC_CALL_GUARD_H_

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace hotspot::rpc {

struct CallGuardOptions {
  // The longest a unary call may run, whatever deadline its client gave (or none). Zero: no
  // maximum. Default: 30 s.
  absl::Duration max_unary_deadline = absl::Seconds(30);
};

class CallGuardFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallGuardFactory(CallGuardOptions options) : options_(options) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  const CallGuardOptions options_;
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_CALL_GUARD_H_
