#include "tests/e2e/suite_server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"

namespace hotspot::testing {

security::Principal Founder() {
  security::Principal founder{"it-founder", "agency-hotspot-sjaelor", security::Role::kAdmin, {}};
  for (int i = 1; i <= 60; ++i) founder.areas.push_back(absl::StrCat("area-new-", i));
  return founder;
}

absl::StatusOr<std::unique_ptr<SuiteServer>> StartSuiteServer(
    const std::string& binary, std::vector<std::string> flags,
    const std::vector<security::Principal>& extra) {
  auto suite = std::make_unique<SuiteServer>();
  std::vector<security::Principal> people = suite->cast.All();
  people.push_back(suite->stranger);
  people.push_back(suite->founder);
  people.push_back(suite->dpo);
  people.insert(people.end(), extra.begin(), extra.end());
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), people);
  flags.push_back("--tokens_file=" + suite->dir.Sub("tokens"));
  suite->binary = binary;
  suite->flags = std::move(flags);
  if (absl::Status started = suite->Start(); !started.ok()) return started;
  return suite;
}

absl::Status SuiteServer::Start() {
  absl::StatusOr<HotspotdProcess> started = HotspotdProcess::Start(binary, dir.Sub("data"), flags);
  if (!started.ok()) return started.status();
  process.emplace(std::move(*started));
  channel = grpc::CreateChannel(process->address(), grpc::InsecureChannelCredentials());
  commands = std::make_unique<CommandClient>(channel);
  for (const auto& [person, token] : tokens) commands->AddToken(person, token);
  return absl::OkStatus();
}

uint64_t SuiteServer::Head() const {
  auto context = As(cast.admin, "");
  v1::GetProjectionStatusResponse status;
  if (!v1::AdminService::NewStub(channel)
           ->GetProjectionStatus(context.get(), v1::GetProjectionStatusRequest(), &status)
           .ok()) {
    return 0;
  }
  uint64_t head = 0;
  for (const v1::ProjectionStatus& view : status.views()) head = std::max(head, view.head());
  return head;
}

absl::StatusOr<v1::GetProjectionStatusResponse> SuiteServer::AwaitDeadlinePass(
    absl::Duration timeout) const {
  auto admin = v1::AdminService::NewStub(channel);
  v1::GetProjectionStatusResponse status;
  const absl::Time give_up = absl::Now() + timeout;
  do {
    auto context = As(cast.admin, "");
    const grpc::Status read = admin->GetProjectionStatus(context.get(), {}, &status);
    if (!read.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(read.error_code()), read.error_message());
    }
  } while (status.deadlines().passes() == 0 && absl::Now() < give_up);
  if (status.deadlines().passes() == 0) {
    return absl::DeadlineExceededError("the deadline process ran no pass");
  }
  if (status.deadlines().consecutive_failed_passes() > 0) {
    return absl::InternalError(
        absl::StrCat("the deadline process fails: ", status.deadlines().last_error_key(), ": ",
                     status.deadlines().last_error()));
  }
  return status;
}

absl::Status SuiteServer::WaitForViews(uint64_t position) const {
  v1::ListBodiesRequest request;
  request.set_area_id(scenario::kAreaId);
  request.set_min_position(position);
  v1::ListBodiesResponse response;
  const grpc::Status status =
      v1::QueryService::NewStub(channel)->ListBodies(As(cast.chief).get(), request, &response);
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::vector<v1::StoredEvent>> SuiteServer::History(const security::Principal& who,
                                                                  const std::string& youth,
                                                                  uint64_t min_position) const {
  v1::GetCaseHistoryRequest request;
  request.set_youth_id(youth);
  request.set_min_position(min_position);
  auto context = As(who, "audit: the case's history");
  auto reader = v1::AuditService::NewStub(channel)->GetCaseHistory(context.get(), request);
  std::vector<v1::StoredEvent> out;
  v1::GetCaseHistoryResponse response;
  while (reader->Read(&response)) {
    for (v1::StoredEvent& e : *response.mutable_events()) out.push_back(std::move(e));
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return out;
}

absl::Status SuiteServer::Restart(bool kill) {
  commands.reset();
  channel.reset();
  if (!kill) {
    absl::StatusOr<int> code = process->Stop();
    if (!code.ok()) return code.status();
  }
  process.reset();  // SIGKILL if still running
  return Start();
}

std::pair<v1::SubscribeResponse, grpc::Status> SuiteServer::FirstResponse(
    const security::Principal& who, const v1::SubscribeRequest& request,
    const std::string& purpose) const {
  auto context = As(who, purpose, absl::Seconds(30));
  auto reader = v1::SubscriptionService::NewStub(channel)->Subscribe(context.get(), request);
  v1::SubscribeResponse response;
  if (reader->Read(&response)) context->TryCancel();
  v1::SubscribeResponse more;
  while (reader->Read(&more)) {
  }
  return {response, reader->Finish()};
}

std::unique_ptr<grpc::ClientContext> SuiteServer::As(const security::Principal& who,
                                                     const std::string& purpose,
                                                     absl::Duration deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + tokens.at(who.person));
  if (!purpose.empty()) context->AddMetadata("purpose", purpose);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

}  // namespace hotspot::testing
