// What every gRPC service of hotspotd does at its boundary: find the caller and the purpose of a
// read, look up a method's personal-data rule, and convert an absl::Status to a grpc::Status (the
// one place where that happens; the codes share numbers).
//
// Thread-safety: stateless functions.
#ifndef HOTSPOT_SERVICES_RPC_RPC_H_
#define HOTSPOT_SERVICES_RPC_RPC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"
#include "hotspot/v1/options.pb.h"
#include "services/security/disclosures.h"
#include "services/security/identity.h"

namespace hotspot::rpc {

// The status as gRPC sends it: same code, same message, cut after kMaxStatusMessageBytes (a
// last guard: the checks quote at most a prefix of what a caller typed, domain::Quote).
inline constexpr size_t kMaxStatusMessageBytes = 1024;
grpc::Status ToGrpcStatus(const absl::Status& status);

// Raw methods (a response served as bytes assembled by hand, e.g. the audit's history): `bytes`
// as a ByteBuffer that owns them, without a copy, until gRPC has sent them.
grpc::ByteBuffer OwningByteBuffer(std::string bytes);
// A raw method's request parsed into `message`; false if it is not its wire form (`message` is
// then cleared: nothing of it reaches an admission or its record).
bool ParseByteBuffer(const grpc::ByteBuffer& buffer, google::protobuf::Message* message);

// The principal of the call: its "authorization: Bearer <token>" header and the client
// certificate the TLS handshake verified (mTLS), combined by security::Authenticator::Identify.
// UNAUTHENTICATED if the header is malformed, if neither names a known principal, or if they
// name two.
absl::StatusOr<security::Principal> CallerOf(const grpc::CallbackServerContext& context,
                                             const security::Authenticator& authenticator);

// CallerOf, and the authenticator's admission (the agency's kind filled in): PERMISSION_DENIED if
// the principal may not hold its role (security::MayHoldRole). (The read side's CallRunner admits
// inside the call instead, so that the refusal of a read of youths' data is recorded.)
absl::StatusOr<security::Principal> Authenticate(const grpc::CallbackServerContext& context,
                                                 const security::Authenticator& authenticator);

// The call's purpose: the metadata "purpose-bin" (UTF-8, which gRPC carries base64-encoded: the
// clients' wrappers send this) or "purpose" (ASCII), parsed by security::ParsePurpose. nullopt
// if neither is sent; INVALID_ARGUMENT naming "purpose" for a malformed one.
absl::StatusOr<std::optional<security::Purpose>> PurposeOf(
    const grpc::CallbackServerContext& context);

// One RPC as the read side's runner needs it: the name the access log records and the rule its
// proto declares with (hotspot.v1.personal_data).
struct Method {
  std::string call;  // "hotspot.v1.QueryService/GetCase"
  v1::PersonalDataAccess access = v1::PERSONAL_DATA_ACCESS_UNSPECIFIED;

  // The method `name` of `service` (a full name, "hotspot.v1.QueryService"), from the generated
  // descriptors, made once and kept for the process's lifetime (calls hold references to it). A
  // name that is not there is a bug: CHECK-fails. Thread-safe.
  static const Method& Of(absl::string_view service, absl::string_view name);
};

}  // namespace hotspot::rpc

#endif  // HOTSPOT_SERVICES_RPC_RPC_H_
