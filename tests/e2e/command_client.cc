#include "tests/e2e/command_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "services/commands/command_list.h"
#include "services/security/identity.h"

namespace hotspot::testing {

CommandClient::CommandClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::CommandService::NewStub(std::move(channel))) {}

CallResult CommandClient::CallWithToken(const std::string& token,
                                        const google::protobuf::Message& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  CallResult result;
#define HOTSPOT_CALL(Name)                                                \
  if (const auto* r = dynamic_cast<const v1::Name##Request*>(&request)) { \
    result.status = stub_->Name(&context, *r, &result.response);          \
    return result;                                                        \
  }
  HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_CALL)
#undef HOTSPOT_CALL
  result.status =
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat(request.GetDescriptor()->full_name(), " is no command"));
  return result;
}

absl::StatusOr<v1::CommandResponse> CommandClient::Send(const security::Principal& as,
                                                        const google::protobuf::Message& request,
                                                        absl::Time) {
  CallResult r = Call(as, request);
  if (!r.status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(r.status.error_code()),
                        r.status.error_message());
  }
  return r.response;
}

std::map<std::string, std::string> WriteTokens(const std::string& path,
                                               const std::vector<security::Principal>& principals) {
  const std::vector<std::string> tokens = *security::WriteDevTokens(path, principals);
  std::map<std::string, std::string> by_person;
  for (size_t i = 0; i < principals.size(); ++i) by_person[principals[i].person] = tokens[i];
  return by_person;
}

}  // namespace hotspot::testing
