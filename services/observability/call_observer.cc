#include "services/observability/call_observer.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"
#include "services/observability/trace_context.h"

namespace hotspot::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// Up to 30 s for unary calls; streams (subscriptions) run far longer and fill the last bucket.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

}  // namespace

class CallObserver final : public grpc::experimental::Interceptor {
 public:
  CallObserver(CallObserverFactory* factory, ServerRpcInfo* info)
      : factory_(factory), path_(info->method() == nullptr ? "" : info->method()) {
    // "/hotspot.v1.QueryService/GetCase": service and method, if a compiled proto declares it.
    const size_t slash = path_.rfind('/');
    if (!path_.empty() && path_[0] == '/' && slash != std::string::npos && slash > 0 &&
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
            absl::StrCat(path_.substr(1, slash - 1), ".", path_.substr(slash + 1))) != nullptr) {
      labels_ = {{"grpc_service", path_.substr(1, slash - 1)},
                 {"grpc_method", path_.substr(slash + 1)}};
    } else {
      labels_ = {{"grpc_service", "unknown"}, {"grpc_method", "unknown"}};
      path_ = "unknown";
    }
    labels_["grpc_type"] = TypeName(info->type());
    factory_->started_.Add(labels_).Increment();
  }

  ~CallObserver() override {
    if (!finished_) Finished(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      if (const auto* metadata = methods->GetRecvInitialMetadata(); metadata != nullptr) {
        trace_id_ = TraceIdIn(*metadata);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !finished_) {
      Finished(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finished(grpc::StatusCode code) {
    finished_ = true;
    const absl::Duration took = absl::Now() - start_;
    const std::string code_name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    factory_->handling_seconds_.Add(labels_, LatencyBuckets()).Observe(absl::ToDoubleSeconds(took));
    prometheus::Labels handled = labels_;
    handled["grpc_code"] = code_name;
    factory_->handled_.Add(handled).Increment();
    if (code == grpc::StatusCode::OK && labels_["grpc_service"] == "grpc.health.v1.Health") {
      return;
    }
    LOG(INFO) << "event=rpc method=" << path_ << " code=" << code_name
              << absl::StrFormat(" duration_ms=%.3f", absl::ToDoubleMilliseconds(took))
              << (trace_id_.empty() ? "" : " trace_id=") << trace_id_;
  }

  CallObserverFactory* const factory_;
  const absl::Time start_ = absl::Now();
  std::string path_;
  prometheus::Labels labels_;
  std::string trace_id_;
  bool finished_ = false;
};

CallObserverFactory::CallObserverFactory(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("gRPC calls started on the server")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("gRPC calls completed on the server, by status code")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Time from a call's start to its status, in seconds")
                            .Register(registry)) {}

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(ServerRpcInfo* info) {
  return new CallObserver(this, info);
}

}  // namespace hotspot::observability
