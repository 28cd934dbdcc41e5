#include "services/server/admin_service.h"

#include "absl/strings/str_cat.h"

namespace hotspot::server {

grpc::ServerUnaryReactor* AdminService::Ping(grpc::CallbackServerContext* context,
                                             const hotspot::v1::PingRequest* request,
                                             hotspot::v1::PingResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->payload().size() > kMaxPingPayloadBytes) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("payload: ", request->payload().size(), " bytes, at most ",
                                  kMaxPingPayloadBytes, " allowed")));
    return reactor;
  }
  response->set_payload(request->payload());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace hotspot::server
