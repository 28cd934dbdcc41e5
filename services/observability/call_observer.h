// CallObserver: what hotspotd records of every gRPC call it serves, from a server interceptor
// (so every service, gRPC's health and reflection included, is seen the same way, without a
// line in the handlers):
//   - Prometheus metrics, named as go-grpc-prometheus names them so that its dashboards apply:
//       grpc_server_started_total{grpc_service,grpc_method,grpc_type}
//       grpc_server_handled_total{grpc_service,grpc_method,grpc_type,grpc_code}
//       grpc_server_handling_seconds{grpc_service,grpc_method,grpc_type}   (histogram)
//     grpc_code is the status code's name ("OK", "PERMISSION_DENIED"); grpc_type "unary",
//     "server_stream", "client_stream" or "bidi_stream". A method that no compiled proto
//     declares counts as grpc_service="unknown", grpc_method="unknown" (a caller cannot grow
//     the label sets). A call that ends without a status (the client went away) counts as
//     CANCELLED.
//   - A log line per call: "event=rpc method=/hotspot.v1.QueryService/GetCase code=OK
//     duration_ms=1.93 trace_id=<the caller's W3C trace id>" (trace_id only if the call carried
//     a valid "traceparent"). Successful health checks are not logged (probes call every few
//     seconds). No principal, peer address or request content: nothing personal.
//
// Thread-safety: the factory is shared by all calls; each interceptor belongs to one call.
#ifndef HOTSPOT_SERVICES_OBSERVABILITY_CALL_OBSERVER_H_
#define HOTSPOT_SERVICES_OBSERVABILITY_CALL_OBSERVER_H_

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace hotspot::observability {

class CallObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Registers the families in `registry`, which must outlive the factory and every call.
  explicit CallObserverFactory(prometheus::Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  friend class CallObserver;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

}  // namespace hotspot::observability

#endif  // HOTSPOT_SERVICES_OBSERVABILITY_CALL_OBSERVER_H_
