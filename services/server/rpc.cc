#include "services/server/rpc.h"

#include <string>

#include "absl/strings/str_cat.h"

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

absl::StatusOr<std::string> Purpose(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("purpose");
  if (header == metadata.end() || header->second.empty()) {
    return absl::InvalidArgumentError(
        "purpose: required call metadata on reads of a youth's data (why you read, 1 to 500 "
        "bytes); it goes into the access log");
  }
  if (header->second.size() > kMaxPurposeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("purpose: ", header->second.size(), " bytes, at most ", kMaxPurposeBytes));
  }
  return std::string(header->second.data(), header->second.size());
}

}  // namespace hotspot::server
