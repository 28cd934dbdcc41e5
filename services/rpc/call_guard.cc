#include "services/rpc/call_guard.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "grpc/grpc.h"
#include "grpcpp/alarm.h"
#include "grpcpp/server_context.h"

namespace hotspot::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// The method "/hotspot.v1.QueryService/GetCase" names, if a compiled proto declares it.
const google::protobuf::MethodDescriptor* MethodOf(const char* path) {
  if (path == nullptr) return nullptr;
  const absl::string_view name(path);
  const size_t slash = name.rfind('/');
  if (name.empty() || name[0] != '/' || slash == absl::string_view::npos || slash == 0) {
    return nullptr;
  }
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      absl::StrCat(name.substr(1, slash - 1), ".", name.substr(slash + 1)));
}

// What the deadline's alarm and the call share: the call (a reference held on it, so that a
// late alarm never touches a freed call) and whether its status went out.
struct Overdue {
  explicit Overdue(grpc_call* c) : call(c) { grpc_call_ref(call); }
  ~Overdue() { grpc_call_unref(call); }

  absl::Mutex mu;
  grpc_call* const call;
  bool answered ABSL_GUARDED_BY(mu) = false;
  bool ended ABSL_GUARDED_BY(mu) = false;  // by the alarm
};

class CallGuard final : public grpc::experimental::Interceptor {
 public:
  CallGuard(const CallGuardOptions& options, ServerRpcInfo* info)
      : options_(options), info_(info), method_(MethodOf(info->method())) {}

  ~CallGuard() override {
    if (overdue_ != nullptr) {
      absl::MutexLock lock(&overdue_->mu);
      overdue_->answered = true;
    }
    // alarm_'s destructor cancels it if it has not fired.
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      StartDeadline();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      received_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Answering(methods);
    }
    methods->Proceed();
  }

 private:
  // For a unary call whose deadline lies beyond the maximum: an alarm at the maximum that ends
  // the call DEADLINE_EXCEEDED unless it has been answered.
  void StartDeadline() {
    if (info_->type() != ServerRpcInfo::Type::UNARY ||
        options_.max_unary_deadline <= absl::ZeroDuration()) {
      return;
    }
    grpc::ServerContextBase* context = info_->server_context();
    const absl::Time latest = absl::Now() + options_.max_unary_deadline;
    if (context == nullptr || absl::FromChrono(context->deadline()) <= latest) return;
    overdue_ = std::make_shared<Overdue>(context->c_call());
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(absl::ToChronoTime(latest),
                [overdue = overdue_, message = DeadlineMessage()](bool fired) {
                  if (!fired) return;  // cancelled: the call ended first
                  absl::MutexLock lock(&overdue->mu);
                  if (overdue->answered) return;
                  overdue->ended = true;
                  grpc_call_cancel_with_status(overdue->call, GRPC_STATUS_DEADLINE_EXCEEDED,
                                               message.c_str(), nullptr);
                });
  }

  std::string DeadlineMessage() const {
    return absl::StrCat("max_call_deadline_s: the call ran ",
                        absl::FormatDuration(options_.max_unary_deadline),
                        ", the server's maximum; retry later, or ask for less");
  }

  // The status the handler (or gRPC) sends; rewritten where the client is told otherwise.
  void Answering(grpc::experimental::InterceptorBatchMethods* methods) {
    if (overdue_ != nullptr) {
      absl::MutexLock lock(&overdue_->mu);
      overdue_->answered = true;
      if (overdue_->ended) {
        // What the client was sent: the observer counts this, not the late answer.
        methods->ModifySendStatus(
            grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, DeadlineMessage()));
        return;
      }
    }
    const grpc::Status status = methods->GetSendStatus();
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty() &&
        !received_ && method_ != nullptr) {
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request: cannot be decoded as ", method_->input_type()->full_name())));
    }
  }

  const CallGuardOptions& options_;
  ServerRpcInfo* const info_;
  const google::protobuf::MethodDescriptor* const method_;
  bool received_ = false;  // a request message was decoded
  std::shared_ptr<Overdue> overdue_;
  std::unique_ptr<grpc::Alarm> alarm_;
};

}  // namespace

grpc::experimental::Interceptor* CallGuardFactory::CreateServerInterceptor(ServerRpcInfo* info) {
  return new CallGuard(options_, info);
}

}  // namespace hotspot::rpc
