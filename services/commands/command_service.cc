#include "services/commands/command_service.h"

#include "glog/logging.h"
#include "services/rpc/rpc.h"

namespace hotspot::commands {

template <typename Request>
grpc::ServerUnaryReactor* CommandService::Run(grpc::CallbackServerContext* context,
                                              const Request* request,
                                              v1::CommandResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<security::Principal> principal = rpc::Authenticate(*context, *authenticator_);
  if (!principal.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(principal.status()));
    return reactor;
  }
  handler_->Execute(*principal, *request,
                    [reactor, request, response,
                     person = principal->person](absl::StatusOr<v1::CommandResponse> result) {
                      if (!result.ok()) LogFailure(*request, person, result.status());
                      Finish(reactor, response, std::move(result));
                    });
  return reactor;
}

#define HOTSPOT_DEFINE_COMMAND_RPC(Name)                                               \
  grpc::ServerUnaryReactor* CommandService::Name(grpc::CallbackServerContext* context, \
                                                 const v1::Name##Request* request,     \
                                                 v1::CommandResponse* response) {      \
    return Run(context, request, response);                                            \
  }
HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_DEFINE_COMMAND_RPC)
#undef HOTSPOT_DEFINE_COMMAND_RPC

// The server's own failures are logged once, here at the boundary; the caller's mistakes
// (invalid input, rules, permissions) are only answered. Messages name fields and ids, never
// personal data.
void CommandService::LogFailure(const google::protobuf::Message& request, absl::string_view person,
                                const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      break;
    default:
      return;
  }
  const auto* request_id = request.GetDescriptor()->FindFieldByName("request_id");
  LOG(WARNING) << "event=command_failed command=" << request.GetDescriptor()->name()
               << " request_id=" << request.GetReflection()->GetString(request, request_id)
               << " person=" << person << " code=" << absl::StatusCodeToString(status.code())
               << " msg=\"" << status.message() << "\"";
}

void CommandService::Finish(grpc::ServerUnaryReactor* reactor, v1::CommandResponse* response,
                            absl::StatusOr<v1::CommandResponse> result) {
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(rpc::ToGrpcStatus(result.status()));
}

}  // namespace hotspot::commands
