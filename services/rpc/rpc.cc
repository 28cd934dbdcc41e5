#include "services/rpc/rpc.h"

#include <string>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"

namespace hotspot::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::StatusOr<security::Principal> Authenticate(const grpc::CallbackServerContext& context,
                                                 const security::Authenticator& authenticator) {
  absl::StatusOr<security::Principal> who = BearerOf(context, authenticator);
  if (!who.ok()) return who;
  if (absl::Status admitted = authenticator.Admit(*who); !admitted.ok()) return admitted;
  return who;
}

absl::StatusOr<security::Principal> BearerOf(const grpc::CallbackServerContext& context,
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

absl::StatusOr<std::optional<security::Purpose>> PurposeOf(
    const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("purpose-bin");
  if (header == metadata.end()) header = metadata.find("purpose");
  if (header == metadata.end()) return std::nullopt;
  return security::ParsePurpose(absl::string_view(header->second.data(), header->second.size()));
}

const Method& Method::Of(absl::string_view service, absl::string_view name) {
  static absl::Mutex mu;
  static auto* methods = new absl::node_hash_map<std::string, Method>;  // never freed
  const std::string full_name = absl::StrCat(service, ".", name);
  absl::MutexLock lock(&mu);
  auto it = methods->find(full_name);
  if (it != methods->end()) return it->second;
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  CHECK(method != nullptr) << full_name << " is not a generated method";
  return methods
      ->emplace(full_name, Method{absl::StrCat(service, "/", name),
                                  method->options().GetExtension(v1::personal_data)})
      .first->second;
}

}  // namespace hotspot::rpc
