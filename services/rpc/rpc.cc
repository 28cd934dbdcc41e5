#include "services/rpc/rpc.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"
#include "google/protobuf/descriptor.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/slice.h"

namespace hotspot::rpc {

grpc::ByteBuffer OwningByteBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(owned->data(), owned->size(),
                    [](void* held) { delete static_cast<std::string*>(held); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

bool ParseByteBuffer(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  grpc::ByteBuffer copy(buffer);  // shares the slices; the reader consumes its own
  grpc::ProtoBufferReader reader(&copy);
  if (reader.status().ok() && message->ParseFromZeroCopyStream(&reader)) return true;
  message->Clear();  // nothing of what failed to parse
  return false;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  absl::string_view message = status.message();
  if (message.size() <= kMaxStatusMessageBytes) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(message));
  }
  // Not past a UTF-8 sequence's first byte.
  size_t cut = kMaxStatusMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      absl::StrCat(message.substr(0, cut), "… (cut)"));
}

absl::StatusOr<security::Principal> Authenticate(const grpc::CallbackServerContext& context,
                                                 const security::Authenticator& authenticator) {
  absl::StatusOr<security::Principal> who = CallerOf(context, authenticator);
  if (!who.ok()) return who;
  if (absl::Status admitted = authenticator.Admit(*who); !admitted.ok()) return admitted;
  return who;
}

namespace {

// The names of the client certificate the handshake verified; nullopt without one (plaintext,
// or TLS without client certificates).
std::optional<security::PeerCertificate> CertificateOf(const grpc::CallbackServerContext& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) {
    return std::nullopt;
  }
  auto values = [&auth](const char* property) {
    std::vector<std::string> out;
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      out.emplace_back(value.data(), value.size());
    }
    return out;
  };
  security::PeerCertificate certificate;
  if (std::vector<std::string> cn = values(GRPC_X509_CN_PROPERTY_NAME); !cn.empty()) {
    certificate.common_name = std::move(cn[0]);
  }
  certificate.dns_names = values(GRPC_PEER_DNS_PROPERTY_NAME);
  certificate.uris = values(GRPC_PEER_URI_PROPERTY_NAME);
  certificate.emails = values(GRPC_PEER_EMAIL_PROPERTY_NAME);
  return certificate;
}

}  // namespace

absl::StatusOr<security::Principal> CallerOf(const grpc::CallbackServerContext& context,
                                             const security::Authenticator& authenticator) {
  std::optional<absl::string_view> token;
  const auto& metadata = context.client_metadata();
  // One call, one identity: two headers would leave which one counts to the metadata's order.
  if (metadata.count("authorization") > 1) {
    return absl::UnauthenticatedError(
        "more than one authorization header: send one \"Bearer <token>\"");
  }
  if (const auto header = metadata.find("authorization"); header != metadata.end()) {
    absl::StatusOr<absl::string_view> bearer =
        security::BearerToken(absl::string_view(header->second.data(), header->second.size()));
    if (!bearer.ok()) return bearer.status();
    token = *bearer;
  }
  const std::optional<security::PeerCertificate> certificate = CertificateOf(context);
  return authenticator.Identify(token, certificate ? &*certificate : nullptr);
}

absl::StatusOr<std::optional<security::Purpose>> PurposeOf(
    const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  if (metadata.count("purpose-bin") + metadata.count("purpose") > 1) {
    return absl::InvalidArgumentError(
        "purpose: more than one purpose header (purpose or purpose-bin): send one");
  }
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
