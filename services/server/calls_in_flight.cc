#include "services/server/calls_in_flight.h"

namespace hotspot::server {

// Counts one call while it lives.
class CallsInFlight::Counter final : public grpc::experimental::Interceptor {
 public:
  explicit Counter(CallsInFlight* calls) : calls_(calls) {
    absl::MutexLock lock(&calls_->mu_);
    ++calls_->calls_;
  }
  ~Counter() override {
    absl::MutexLock lock(&calls_->mu_);
    --calls_->calls_;
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  CallsInFlight* const calls_;
};

class CallsInFlight::CounterFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CounterFactory(CallsInFlight* calls) : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new Counter(calls_);
  }

 private:
  CallsInFlight* const calls_;
};

int CallsInFlight::count() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

bool CallsInFlight::WaitForNone(absl::Time deadline) {
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ == 0; };
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> CallsInFlight::Factory() {
  return std::make_unique<CounterFactory>(this);
}

}  // namespace hotspot::server
