#include "services/rpc/call_guard.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
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

// The calls registered with EndsAtClose, of every server in the process: a call is known by its
// grpc_call, and only its own server's guard looks it up.
absl::Mutex closers_mu(absl::kConstInit);
absl::flat_hash_map<const grpc_call*, std::function<void()>>& Closers()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(closers_mu) {
  static auto* closers = new absl::flat_hash_map<const grpc_call*, std::function<void()>>();
  return *closers;
}
// How `call` ends itself at Close(); null if it was not registered.
std::function<void()> CloserOf(const grpc_call* call) {
  absl::MutexLock lock(&closers_mu);
  const auto it = Closers().find(call);
  return it == Closers().end() ? nullptr : it->second;
}

// Whether `path` ("/grpc.health.v1.Health/Watch") is a method of a service outside hotspot.v1.
bool OutsideHotspot(const char* path) {
  return path == nullptr || !absl::StartsWith(path, "/hotspot.");
}

// One call, as the guard's alarms and Close() know it (a reference held on it, so that a late
// alarm never touches a freed call): whether its status went out, and the status the guard
// ended it with, if it did.
struct Guarded {
  Guarded(grpc_call* c, bool s, bool o) : call(c), stream(s), outside(o) { grpc_call_ref(call); }
  ~Guarded() { grpc_call_unref(call); }

  // Ends the call with `code` and `message`, unless it was answered or ended already; true if
  // it did.
  bool End(grpc::StatusCode code, const std::string& message) {
    absl::MutexLock lock(&mu);
    if (answered || ended.has_value()) return false;
    ended = grpc::Status(code, message);
    grpc_call_cancel_with_status(call, static_cast<grpc_status_code>(code), message.c_str(),
                                 nullptr);
    return true;
  }

  absl::Mutex mu;
  grpc_call* const call;
  const bool stream;   // not unary
  const bool outside;  // of a service outside hotspot.v1
  bool answered ABSL_GUARDED_BY(mu) = false;
  std::optional<grpc::Status> ended ABSL_GUARDED_BY(mu);
};

}  // namespace

// The calls of one server, for Close() and the cap on health and reflection streams.
struct CallGuard::Live {
  absl::Mutex mu;
  bool closed ABSL_GUARDED_BY(mu) = false;
  absl::flat_hash_set<std::shared_ptr<Guarded>> calls ABSL_GUARDED_BY(mu);
  int outside_streams ABSL_GUARDED_BY(mu) = 0;
};

namespace {

class GuardedCall final : public grpc::experimental::Interceptor {
 public:
  GuardedCall(const CallGuardOptions& options, std::shared_ptr<CallGuard::Live> live,
              ServerRpcInfo* info)
      : options_(options), live_(std::move(live)), info_(info), method_(MethodOf(info->method())) {}

  ~GuardedCall() override {
    if (guarded_ == nullptr) return;
    {
      absl::MutexLock lock(&guarded_->mu);
      guarded_->answered = true;
    }
    absl::MutexLock lock(&live_->mu);
    live_->calls.erase(guarded_);
    if (guarded_->stream && guarded_->outside) --live_->outside_streams;
    // alarm_'s destructor cancels it if it has not fired.
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Started();
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
  // Registers the call with the server's calls, refuses a stream past the cap or after Close(),
  // and sets the alarm of its maximum (deadline or duration).
  void Started() {
    grpc::ServerContextBase* context = info_->server_context();
    if (context == nullptr) return;
    const bool stream = info_->type() != ServerRpcInfo::Type::UNARY;
    guarded_ = std::make_shared<Guarded>(context->c_call(), stream, OutsideHotspot(info_->method()));
    std::optional<grpc::Status> refused;
    {
      absl::MutexLock lock(&live_->mu);
      live_->calls.insert(guarded_);
      if (stream && guarded_->outside) {
        ++live_->outside_streams;  // counted until the call is gone, refused or not
        if (live_->closed) {
          refused = grpc::Status(grpc::StatusCode::UNAVAILABLE, CallGuard::kShuttingDown);
        } else if (options_.max_health_reflection_streams > 0 &&
                   live_->outside_streams > options_.max_health_reflection_streams) {
          refused = grpc::Status(
              grpc::StatusCode::RESOURCE_EXHAUSTED,
              absl::StrCat("max_health_reflection_streams: ",
                           options_.max_health_reflection_streams,
                           " health Watch and reflection streams are open, the server's "
                           "maximum; retry later"));
        }
      }
    }
    if (refused.has_value()) {
      guarded_->End(refused->error_code(), refused->error_message());
      return;
    }
    const absl::Duration most = stream ? options_.max_stream_duration : options_.max_unary_deadline;
    if (most <= absl::ZeroDuration()) return;
    const absl::Time latest = absl::Now() + most;
    if (absl::FromChrono(context->deadline()) <= latest) return;
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(absl::ToChronoTime(latest),
                [guarded = guarded_, status = stream ? DurationStatus() : DeadlineStatus()](
                    bool fired) {
                  if (fired) guarded->End(status.error_code(), status.error_message());
                });
  }

  grpc::Status DeadlineStatus() const {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        absl::StrCat("max_call_deadline_s: the call ran ",
                                     absl::FormatDuration(options_.max_unary_deadline),
                                     ", the server's maximum; retry later, or ask for less"));
  }
  grpc::Status DurationStatus() const {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("max_stream_duration_s: the stream ran ",
                                     absl::FormatDuration(options_.max_stream_duration),
                                     ", the server's maximum; call again, resuming from the last "
                                     "position received"));
  }

  // The status the handler (or gRPC) sends; rewritten where the client is told otherwise.
  void Answering(grpc::experimental::InterceptorBatchMethods* methods) {
    if (guarded_ != nullptr) {
      absl::MutexLock lock(&guarded_->mu);
      guarded_->answered = true;
      if (guarded_->ended.has_value()) {
        // What the client was sent: the observer counts this, not the late answer.
        methods->ModifySendStatus(*guarded_->ended);
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
  const std::shared_ptr<CallGuard::Live> live_;
  ServerRpcInfo* const info_;
  const google::protobuf::MethodDescriptor* const method_;
  bool received_ = false;  // a request message was decoded
  std::shared_ptr<Guarded> guarded_;
  std::unique_ptr<grpc::Alarm> alarm_;
};

}  // namespace

class CallGuard::Factory_ final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory_(CallGuard* guard) : guard_(guard) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new GuardedCall(guard_->options_, guard_->live_, info);
  }

 private:
  CallGuard* const guard_;
};

CallGuard::CallGuard(CallGuardOptions options)
    : options_(options), live_(std::make_shared<Live>()) {}

CallGuard::~CallGuard() = default;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> CallGuard::Factory() {
  return std::make_unique<Factory_>(this);
}

int CallGuard::Close() {
  std::vector<std::shared_ptr<Guarded>> calls;
  {
    absl::MutexLock lock(&live_->mu);
    live_->closed = true;
    calls.assign(live_->calls.begin(), live_->calls.end());
  }
  // Not under the lock: a call that ends may be destroyed, and leave the set, meanwhile.
  int cancelled = 0;
  for (const std::shared_ptr<Guarded>& call : calls) {
    if (std::function<void()> end = CloserOf(call->call)) {
      end();
    } else if (call->stream && call->outside) {
      cancelled += call->End(grpc::StatusCode::UNAVAILABLE, kShuttingDown) ? 1 : 0;
    }
  }
  return cancelled;
}

EndsAtClose::EndsAtClose(grpc_call* call, std::function<void()> end) : call_(call) {
  if (call_ == nullptr) return;
  absl::MutexLock lock(&closers_mu);
  Closers()[call_] = std::move(end);
}

EndsAtClose::~EndsAtClose() {
  if (call_ == nullptr) return;
  absl::MutexLock lock(&closers_mu);
  Closers().erase(call_);
}

}  // namespace hotspot::rpc
