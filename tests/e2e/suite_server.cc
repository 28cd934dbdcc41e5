#include "tests/e2e/suite_server.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace hotspot::testing {

absl::StatusOr<std::unique_ptr<SuiteServer>> StartSuiteServer(const std::string& binary,
                                                              std::vector<std::string> flags) {
  auto suite = std::make_unique<SuiteServer>();
  std::vector<domain::Principal> people = suite->cast.All();
  people.push_back(suite->stranger);
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), people);
  flags.push_back("--tokens_file=" + suite->dir.Sub("tokens"));
  absl::StatusOr<HotspotdProcess> started =
      HotspotdProcess::Start(binary, suite->dir.Sub("data"), std::move(flags));
  if (!started.ok()) return started.status();
  suite->process.emplace(std::move(*started));
  suite->channel =
      grpc::CreateChannel(suite->process->address(), grpc::InsecureChannelCredentials());
  suite->commands = std::make_unique<CommandClient>(suite->channel);
  for (const auto& [person, token] : suite->tokens) suite->commands->AddToken(person, token);
  return suite;
}

}  // namespace hotspot::testing
