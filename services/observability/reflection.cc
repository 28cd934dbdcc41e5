#include "services/observability/reflection.h"

#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/support/server_callback.h"

namespace hotspot::observability {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

// Adds `file` and, transitively, what it imports to `response`, each once.
template <typename Response>
void AddFile(const FileDescriptor* file, std::set<std::string>& sent, Response& response) {
  if (!sent.insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  response.mutable_file_descriptor_response()->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), sent, response);
}

template <typename Response>
void SetError(grpc::StatusCode code, std::string message, Response& response) {
  response.mutable_error_response()->set_error_code(code);
  response.mutable_error_response()->set_error_message(std::move(message));
}

// The answer to one request; v1 and v1alpha messages have the same fields.
template <typename Request, typename Response>
void Answer(const std::vector<std::string>& services, const Request& request, Response& response) {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  response.Clear();
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  const FileDescriptor* file = nullptr;
  const char* missing = "";
  switch (request.message_request_case()) {
    case Request::kListServices:
      for (const std::string& name : services) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      return;
    case Request::kFileByFilename:
      file = pool->FindFileByName(request.file_by_filename());
      missing = "file_by_filename: no such file";
      break;
    case Request::kFileContainingSymbol:
      file = pool->FindFileContainingSymbol(request.file_containing_symbol());
      missing = "file_containing_symbol: no such symbol";
      break;
    case Request::kFileContainingExtension: {
      const auto& wanted = request.file_containing_extension();
      const auto* type = pool->FindMessageTypeByName(wanted.containing_type());
      const auto* extension =
          type == nullptr ? nullptr : pool->FindExtensionByNumber(type, wanted.extension_number());
      file = extension == nullptr ? nullptr : extension->file();
      missing = "file_containing_extension: no such extension";
      break;
    }
    case Request::kAllExtensionNumbersOfType: {
      const auto* type = pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND, "all_extension_numbers_of_type: no such type",
                 response);
        return;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      auto* numbers = response.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* extension : extensions) numbers->add_extension_number(extension->number());
      return;
    }
    default:
      SetError(grpc::StatusCode::INVALID_ARGUMENT,
               "message_request: one of list_services, file_by_filename, "
               "file_containing_symbol, file_containing_extension, "
               "all_extension_numbers_of_type",
               response);
      return;
  }
  if (file == nullptr) {
    SetError(grpc::StatusCode::NOT_FOUND, missing, response);
    return;
  }
  std::set<std::string> sent;
  AddFile(file, sent, response);
}

constexpr char kShuttingDown[] = "the server is shutting down; retry the call later";

// One reflection stream: read a request, write its answer, and again, until the client is done,
// or the server shuts down (its end, registered with `register_end`: UNAVAILABLE at once, with
// a read or a write in flight).
template <typename Request, typename Response>
class Reactor final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  Reactor(const std::vector<std::string>* services, const RegisterEnd& register_end,
          grpc_call* call)
      : services_(services),
        closer_(register_end == nullptr ? nullptr : register_end(call, [state = state_] {
          Reactor* reactor = state->Claim();
          if (reactor != nullptr) {
            reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         kShuttingDown));
          }
        })) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has finished sending (or the stream was finished)
      End(grpc::Status::OK);
      return;
    }
    if (Ended()) return;
    Answer(*services_, request_, response_);
    this->StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
      return;
    }
    if (Ended()) return;
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  // Whether the call is finished (by Close()), and the reactor while it is not.
  struct State {
    absl::Mutex mu;
    Reactor* reactor ABSL_GUARDED_BY(mu);
    explicit State(Reactor* r) : reactor(r) {}
    // The reactor, once: the caller finishes the call. Null if it was claimed already.
    Reactor* Claim() {
      absl::MutexLock lock(&mu);
      return std::exchange(reactor, nullptr);
    }
  };

  void End(const grpc::Status& status) {
    if (state_->Claim() != nullptr) this->Finish(status);
  }
  bool Ended() {
    absl::MutexLock lock(&state_->mu);
    return state_->reactor == nullptr;
  }

  const std::vector<std::string>* const services_;
  const std::shared_ptr<State> state_ = std::make_shared<State>(this);
  const std::shared_ptr<void> closer_;
  Request request_;
  Response response_;
};

template <typename Base, typename Request, typename Response>
class Reflection final : public Base {
 public:
  Reflection(std::vector<std::string> services, RegisterEnd register_end)
      : services_(std::move(services)), register_end_(std::move(register_end)) {}

  grpc::ServerBidiReactor<Request, Response>* ServerReflectionInfo(
      grpc::CallbackServerContext* context) override {
    return new Reactor<Request, Response>(&services_, register_end_, context->c_call());
  }

 private:
  const std::vector<std::string> services_;
  const RegisterEnd register_end_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> ReflectionServices(std::vector<std::string> services,
                                                               RegisterEnd register_end) {
  namespace v1 = grpc::reflection::v1;
  namespace v1alpha = grpc::reflection::v1alpha;
  // Links grpc.health.v1's descriptors in (a static library's object that nothing references is
  // left out), so that the health service gRPC serves can be described.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  services.push_back(v1::ServerReflection::service_full_name());
  services.push_back(v1alpha::ServerReflection::service_full_name());
  std::vector<std::unique_ptr<grpc::Service>> out;
  out.push_back(
      std::make_unique<Reflection<v1::ServerReflection::CallbackService,
                                  v1::ServerReflectionRequest, v1::ServerReflectionResponse>>(
          services, register_end));
  out.push_back(
      std::make_unique<
          Reflection<v1alpha::ServerReflection::CallbackService, v1alpha::ServerReflectionRequest,
                     v1alpha::ServerReflectionResponse>>(services, register_end));
  return out;
}

}  // namespace hotspot::observability
