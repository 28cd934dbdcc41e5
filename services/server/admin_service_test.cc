// AdminService.GetProjectionStatus shows the deadline process's passes: a failure injected into
// one kind of item is reported (its key, its status, the passes failed in a row) while the pass
// goes on with the other items, and the next pass retries the failed items and clears the count.
// In process: the Sjælør demo in a fresh store, the service on a port of its own (port 0).
#include "services/server/admin_service.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "services/projections/all_views.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/identity.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(AdminServiceTest, DeadlineFailuresShowInProjectionStatusAndAreRetried) {
  store::testing::TempDir dir;
  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir.Sub("master.key");
  key_options.sync = false;
  auto keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
  security::Sealer sealer(keys.get());
  store::Options store_options;
  store_options.sync = false;
  auto events = *store::EventStore::Open(std::move(store_options), dir.Sub("events"));
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
  {
    scenario::HandlerSink sink(events.get(), &sealer);
    scenario::ScenarioOptions options;
    options.youths = 20;
    options.now = now;
    ASSERT_TRUE(scenario::BuildSjaelor(sink, options).ok());
  }
  auto views = *projections::Projector::Open(
      projections::ProjectorOptions(), events.get(),
      projections::AllViews(&sealer, *security::IdentityDigester::FromKeyStore(*keys)),
      dir.Sub("views"));
  ASSERT_TRUE(views->WaitFor(events->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());

  // The commitments fail while `failing` is set; everything else goes through.
  absl::Mutex mu;
  bool failing = true;
  projections::DeadlineOptions options;
  options.interval = absl::ZeroDuration();
  options.clock = [now] { return now; };
  options.fault = [&](absl::string_view request_id) {
    absl::MutexLock lock(&mu);
    if (failing && absl::StartsWith(request_id, "deadline:overdue:")) {
      return absl::UnavailableError("injected: the store is busy");
    }
    return absl::OkStatus();
  };
  projections::DeadlineProcess deadlines(events.get(), views.get(), &sealer, std::move(options));

  const scenario::Cast cast = scenario::SjaelorCast();
  const std::vector<std::string> tokens =
      *security::WriteDevTokens(dir.Sub("tokens"), {cast.admin});
  const security::Authenticator authenticator = *security::Authenticator::Load(dir.Sub("tokens"));
  AdminService admin(&authenticator, views.get(), &deadlines, nullptr, nullptr);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&admin);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  auto stub = v1::AdminService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto status = [&] {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + tokens[0]);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetProjectionStatusResponse response;
    const grpc::Status call = stub->GetProjectionStatus(&context, {}, &response);
    EXPECT_TRUE(call.ok()) << call.error_message();
    return response.deadlines();
  };
  auto count = [&](const std::string& type) {
    int n = 0;
    for (uint64_t next = 1; next <= events->HeadPosition();) {
      const auto batch = events->ReadAll(next, store::Direction::kForward, 1000);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok() || batch->empty()) break;
      for (const auto& e : *batch) n += e.type == type;
      next = batch->back().position + 1;
    }
    return n;
  };

  EXPECT_EQ(status().passes(), 0u);
  const absl::StatusOr<int> failed = deadlines.RunOnce();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(failed.status().message()), StartsWith("deadline:overdue:commitment-"));
  v1::DeadlineStatus after_failure = status();
  EXPECT_EQ(after_failure.passes(), 1u);
  EXPECT_EQ(after_failure.consecutive_failed_passes(), 1u);
  EXPECT_GT(after_failure.failed_items(), 0u);
  EXPECT_THAT(after_failure.last_error(), HasSubstr("injected: the store is busy"));
  EXPECT_THAT(after_failure.last_error_key(), StartsWith("deadline:overdue:commitment-"));
  EXPECT_EQ(after_failure.last_error_at().seconds(), absl::ToUnixSeconds(now));
  // The pass went on past the failures: the other kinds were recorded, the commitments not.
  EXPECT_GT(after_failure.appended(), 0u);
  EXPECT_GT(count("hotspot.v1.ReviewDatePassed"), 0);
  EXPECT_EQ(count("hotspot.v1.CommitmentMarkedOverdue"), 0);

  // Still failing: the count of passes in a row grows, and nothing is appended twice.
  EXPECT_FALSE(deadlines.RunOnce().ok());
  EXPECT_EQ(status().consecutive_failed_passes(), 2u);
  EXPECT_EQ(status().appended(), after_failure.appended());

  // Fixed: the next pass marks the commitments it failed on and clears the count; the last
  // error stays for the operator to read.
  {
    absl::MutexLock lock(&mu);
    failing = false;
  }
  const absl::StatusOr<int> retried = deadlines.RunOnce();
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(*retried, static_cast<int>(after_failure.failed_items()));
  const v1::DeadlineStatus recovered = status();
  EXPECT_EQ(recovered.passes(), 3u);
  EXPECT_EQ(recovered.consecutive_failed_passes(), 0u);
  EXPECT_EQ(recovered.failed_items(), 0u);
  EXPECT_EQ(recovered.appended(), after_failure.appended() + after_failure.failed_items());
  EXPECT_EQ(recovered.last_error_key(), after_failure.last_error_key());
  EXPECT_EQ(count("hotspot.v1.CommitmentMarkedOverdue"),
            static_cast<int>(after_failure.failed_items()));
  server->Shutdown();
}

}  // namespace
}  // namespace hotspot::server
