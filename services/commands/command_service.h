// CommandService: hotspot.v1.CommandService over gRPC's callback API. Each RPC authenticates
// the caller, hands the request to the CommandHandler (which never blocks the RPC thread), and
// finishes the call from the handler's completion, converting its status at the boundary.
//
// Thread-safety: gRPC calls the handlers concurrently; the service holds no mutable state.
#ifndef HOTSPOT_SERVICES_COMMANDS_COMMAND_SERVICE_H_
#define HOTSPOT_SERVICES_COMMANDS_COMMAND_SERVICE_H_

#include "hotspot/v1/command_service.grpc.pb.h"
#include "services/rpc/call_runner.h"
#include "services/commands/command_handler.h"
#include "services/commands/command_list.h"
#include "services/rpc/principal_limits.h"
#include "services/security/disclosures.h"
#include "services/security/identity.h"

namespace hotspot::commands {

class CommandService final : public v1::CommandService::CallbackService {
 public:
  // Not owned; all must outlive the service. A null `recorder` records no refusals.
  // `limits` (null: none) bounds each principal's calls in flight.
  CommandService(CommandHandler* handler, const security::Authenticator* authenticator,
                 security::AccessRecorder* recorder = nullptr, rpc::KnownIds known = {},
                 rpc::PrincipalLimits* limits = nullptr)
      : handler_(handler),
        authenticator_(authenticator),
        recorder_(recorder),
        known_(std::move(known)),
        limits_(limits) {}

  // Each authenticates the caller, then runs its command (see Run).
#define HOTSPOT_DECLARE_COMMAND_RPC(Name)                                                         \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context,                            \
                                 const v1::Name##Request* request, v1::CommandResponse* response) \
      override;
  HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_DECLARE_COMMAND_RPC)
#undef HOTSPOT_DECLARE_COMMAND_RPC

 private:
  // `call`: the method's full name, e.g. "hotspot.v1.CommandService/ShareConcern".
  template <typename Request>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const char* call,
                                const Request* request, v1::CommandResponse* response);
  // `status`, after recording it as a refused attempt on the youth of `request` if it is
  // PERMISSION_DENIED and the request names a youth (its youth_id, or the youth of the
  // commitment, escalation or erasure it names); the recording's error if that fails.
  absl::Status Refused(const security::Principal& who, const char* call,
                       const google::protobuf::Message& request, absl::Status status) const;
  // Logs the server's own failures (not the caller's mistakes), with the call's trace id.
  static void LogFailure(const google::protobuf::Message& request, absl::string_view person,
                         absl::string_view trace_id, const absl::Status& status);
  // Finishes the call with `result`, copying an answer into `response`.
  static void Finish(grpc::ServerUnaryReactor* reactor, v1::CommandResponse* response,
                     absl::StatusOr<v1::CommandResponse> result);

  CommandHandler* const handler_;
  const security::Authenticator* const authenticator_;
  security::AccessRecorder* const recorder_;
  const rpc::KnownIds known_;  // which ids a refusal's record keeps
  rpc::PrincipalLimits* const limits_;
};

}  // namespace hotspot::commands

#endif  // HOTSPOT_SERVICES_COMMANDS_COMMAND_SERVICE_H_
