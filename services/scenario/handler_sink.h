// HandlerSink: runs scenario commands in process, through a CommandHandler of its own whose
// clock is each command's business time (so the demo can play the past weeks). For loading the
// demo at start-up and for tests; never exposed over the network.
//
// Thread-safety: one Send() at a time.
#ifndef HOTSPOT_SERVICES_SCENARIO_HANDLER_SINK_H_
#define HOTSPOT_SERVICES_SCENARIO_HANDLER_SINK_H_

#include <atomic>
#include <memory>

#include "services/commands/command_handler.h"
#include "services/scenario/scenario.h"

namespace hotspot::scenario {

class HandlerSink final : public CommandSink {
 public:
  // Not owned; both must outlive the sink.
  HandlerSink(store::EventStore* events, security::Sealer* sealer);

  // Runs `request` (a hotspot.v1 command request) as `as`, admitted as hotspotd admits a caller
  // (security::Admit: its agency's kind as the log registers it), at business time `at`; blocks
  // until it completes. INVALID_ARGUMENT for a message that is no command request;
  // PERMISSION_DENIED for a role its agency may not hold.
  absl::StatusOr<v1::CommandResponse> Send(const security::Principal& as,
                                           const google::protobuf::Message& request,
                                           absl::Time at) override;

 private:
  absl::Time at_ = absl::InfinitePast();
  std::unique_ptr<commands::CommandHandler> handler_;
};

}  // namespace hotspot::scenario

#endif  // HOTSPOT_SERVICES_SCENARIO_HANDLER_SINK_H_
