#include "services/scenario/handler_sink.h"

#include "absl/synchronization/notification.h"
#include "services/commands/command_list.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::scenario {

HandlerSink::HandlerSink(store::EventStore* events, security::Sealer* sealer) {
  commands::CommandHandlerOptions options;
  options.workers = 1;
  options.clock = [this] { return at_; };
  handler_ = std::make_unique<commands::CommandHandler>(events, sealer, std::move(options));
}

absl::StatusOr<v1::CommandResponse> HandlerSink::Send(const security::Principal& as,
                                                      const google::protobuf::Message& request,
                                                      absl::Time at) {
  // Admitted as hotspotd admits a caller (server.cc): with its agency as the log registers it,
  // so that the play in process is the play over gRPC.
  security::Principal who = as;
  RETURN_IF_ERROR(security::Admit(
      who, [this](absl::string_view agency) { return handler_->AgencyFactsOf(agency); }));
  at_ = at;
  absl::Notification done;
  absl::StatusOr<v1::CommandResponse> result;
  auto finish = [&](absl::StatusOr<v1::CommandResponse> r) {
    result = std::move(r);
    done.Notify();
  };
#define HOTSPOT_DISPATCH(Name)                                            \
  if (const auto* r = dynamic_cast<const v1::Name##Request*>(&request)) { \
    handler_->Execute(who, *r, finish);                                   \
    done.WaitForNotification();                                           \
    return result;                                                        \
  }
  HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_DISPATCH)
#undef HOTSPOT_DISPATCH
  return absl::InvalidArgumentError(
      absl::StrCat("request: ", request.GetDescriptor()->full_name(), " is no command"));
}

}  // namespace hotspot::scenario
