#include "services/commands/command_service.h"

#include "services/server/rpc.h"

namespace hotspot::commands {

template <typename Request>
grpc::ServerUnaryReactor* CommandService::Run(grpc::CallbackServerContext* context,
                                              const Request* request,
                                              v1::CommandResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<domain::Principal> principal = server::Authenticate(*context, *authenticator_);
  if (!principal.ok()) {
    reactor->Finish(server::ToGrpcStatus(principal.status()));
    return reactor;
  }
  handler_->Execute(*principal, *request,
                    [reactor, response](absl::StatusOr<v1::CommandResponse> result) {
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

void CommandService::Finish(grpc::ServerUnaryReactor* reactor, v1::CommandResponse* response,
                            absl::StatusOr<v1::CommandResponse> result) {
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(server::ToGrpcStatus(result.status()));
}

}  // namespace hotspot::commands
