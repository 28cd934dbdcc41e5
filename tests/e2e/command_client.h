// CommandClient: calls any hotspot.v1.CommandService RPC by its request message, as a
// principal whose bearer token it knows. For e2e tests and benchmarks. Also a scenario sink, so
// the Sjælør scenario can be built over gRPC (without backdating: the server's clock rules).
#ifndef HOTSPOT_TESTS_E2E_COMMAND_CLIENT_H_
#define HOTSPOT_TESTS_E2E_COMMAND_CLIENT_H_

#include <map>
#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "services/scenario/scenario.h"

namespace hotspot::testing {

struct CallResult {
  grpc::Status status;
  v1::CommandResponse response;
};

class CommandClient final : public scenario::CommandSink {
 public:
  explicit CommandClient(std::shared_ptr<grpc::Channel> channel);

  void AddToken(const std::string& person, std::string token) {
    tokens_[person] = std::move(token);
  }
  const std::string& TokenOf(const std::string& person) const { return tokens_.at(person); }

  // Calls the RPC that takes `request`'s type, sending `token` ("" sends no authorization).
  CallResult CallWithToken(const std::string& token, const google::protobuf::Message& request);
  // The same as `as`, with its token.
  CallResult Call(const security::Principal& as, const google::protobuf::Message& request) {
    return CallWithToken(TokenOf(as.person), request);
  }

  absl::StatusOr<v1::CommandResponse> Send(const security::Principal& as,
                                           const google::protobuf::Message& request,
                                           absl::Time at) override;

 private:
  std::unique_ptr<v1::CommandService::Stub> stub_;
  std::map<std::string, std::string> tokens_;
};

// Writes a tokens file for `principals` to `path`; returns person -> token.
std::map<std::string, std::string> WriteTokens(const std::string& path,
                                               const std::vector<security::Principal>& principals);

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_COMMAND_CLIENT_H_
