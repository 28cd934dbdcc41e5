#include "services/server/rpc.h"

#include <string>

namespace hotspot::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::StatusOr<domain::Principal> Authenticate(const grpc::CallbackServerContext& context,
                                               const security::Authenticator& authenticator) {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) {
    return absl::UnauthenticatedError("no authorization header: send \"Bearer <token>\"");
  }
  const absl::string_view value(header->second.data(), header->second.size());
  auto token = security::BearerToken(value);
  if (!token.ok()) return token.status();
  return authenticator.Authenticate(*token);
}

}  // namespace hotspot::server
