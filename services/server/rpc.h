// What every gRPC service of hotspotd does at its boundary: find the caller, and convert an
// absl::Status to a grpc::Status (the one place where that happens; the codes share numbers).
//
// Thread-safety: stateless functions.
#ifndef HOTSPOT_SERVICES_SERVER_RPC_H_
#define HOTSPOT_SERVICES_SERVER_RPC_H_

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "services/security/identity.h"

namespace hotspot::server {

// The status as gRPC sends it: same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The principal of the call's "authorization: Bearer <token>" header. UNAUTHENTICATED if the
// header is missing, malformed or names no known token.
absl::StatusOr<domain::Principal> Authenticate(const grpc::CallbackServerContext& context,
                                               const security::Authenticator& authenticator);

inline constexpr size_t kMaxPurposeBytes = 500;

// The call's "purpose" metadata: why the caller reads a youth's data, for the access log.
// INVALID_ARGUMENT naming "purpose" if it is missing, empty or longer than kMaxPurposeBytes.
absl::StatusOr<std::string> Purpose(const grpc::CallbackServerContext& context);

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_RPC_H_
