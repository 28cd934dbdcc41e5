// CallsInFlight: how many gRPC calls hotspotd is serving, counted by a server interceptor (so
// every service, gRPC's health and reflection included, counts alike), so that the shutdown can
// tell when the last call is done. A call counts from its start until gRPC has destroyed it:
// after its status was sent and its client's side closed.
//
// Thread-safety: safe for concurrent use; the factory is shared by all calls.
#ifndef HOTSPOT_SERVICES_SERVER_CALLS_IN_FLIGHT_H_
#define HOTSPOT_SERVICES_SERVER_CALLS_IN_FLIGHT_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace hotspot::server {

class CallsInFlight {
 public:
  int count() const;
  // Waits until no call is in flight, or until `deadline`; true if none is.
  bool WaitForNone(absl::Time deadline);
  // The interceptor factory that counts the server's calls here; this must outlive every call.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Factory();

 private:
  class Counter;
  class CounterFactory;
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_CALLS_IN_FLIGHT_H_
