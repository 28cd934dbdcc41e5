// AdminService.GetProjectionStatus shows the deadline process's passes: a failure injected into
// one kind of item is reported (its key, its status, the passes failed in a row) while the pass
// goes on with the other items, and the next pass retries the failed items and clears the count.
// The admin's operations hold the admin's call slots (rpc::PrincipalLimits) as the read side's
// calls do, and a backup whose client stops reading ends after the stall timeout, freeing its
// slot.
// In process: a fresh store (with the Sjælør demo for the deadlines), the service on a port of
// its own (port 0).
#include "services/server/admin_service.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "services/projections/all_views.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/rpc/principal_limits.h"
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

// A fresh key store, its sealer and an event store in `dir`, without fsync.
struct Stores {
  explicit Stores(const store::testing::TempDir& dir) {
    security::KeyStoreOptions key_options;
    key_options.master_key_file = dir.Sub("master.key");
    key_options.sync = false;
    keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
    sealer = std::make_unique<security::Sealer>(keys.get());
    store::Options store_options;
    store_options.sync = false;
    events = *store::EventStore::Open(std::move(store_options), dir.Sub("events"));
  }
  // The views of the log, in `dir`.
  std::unique_ptr<projections::Projector> OpenViews(const store::testing::TempDir& dir) const {
    return *projections::Projector::Open(
        projections::ProjectorOptions(), events.get(),
        projections::AllViews(sealer.get(), *security::IdentityDigester::FromKeyStore(*keys)),
        dir.Sub("views"));
  }

  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  std::unique_ptr<store::EventStore> events;
};

// `admin` served on a port of its own, and a client of it.
struct Served {
  explicit Served(AdminService* admin) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(admin);
    server = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    stub = v1::AdminService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  ~Served() { server->Shutdown(); }

  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::AdminService::Stub> stub;
};

// The time the demo is built at.
const absl::Time kDemoNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());

// The Sjælør demo (20 youths, built at kDemoNow) in `stores`, and its views caught up; null on
// a failure (with the test failed).
std::unique_ptr<projections::Projector> DemoViews(const store::testing::TempDir& dir,
                                                  Stores& stores) {
  scenario::HandlerSink sink(stores.events.get(), stores.sealer.get());
  scenario::ScenarioOptions options;
  options.youths = 20;
  options.now = kDemoNow;
  const absl::Status built = scenario::BuildSjaelor(sink, options).status();
  EXPECT_TRUE(built.ok()) << built;
  if (!built.ok()) return nullptr;
  auto views = stores.OpenViews(dir);
  const absl::Status caught_up =
      views->WaitFor(stores.events->HeadPosition(), absl::Now() + absl::Seconds(10));
  EXPECT_TRUE(caught_up.ok()) << caught_up;
  return caught_up.ok() ? std::move(views) : nullptr;
}

// Fresh stores and views, the demo's admin with a token, and one call per principal.
struct AdminSetup {
  store::testing::TempDir dir;
  Stores stores{dir};
  std::unique_ptr<projections::Projector> views = stores.OpenViews(dir);
  scenario::Cast cast = scenario::SjaelorCast();
  std::vector<std::string> tokens = *security::WriteDevTokens(dir.Sub("tokens"), {cast.admin});
  security::Authenticator authenticator = *security::Authenticator::Load(dir.Sub("tokens"));
  rpc::PrincipalLimits limits{rpc::PrincipalLimitsOptions{1, 1}};
};

TEST(AdminServiceTest, DeadlineFailuresShowInProjectionStatusAndAreRetried) {
  store::testing::TempDir dir;
  Stores stores(dir);
  store::EventStore* events = stores.events.get();
  security::Sealer& sealer = *stores.sealer;
  const absl::Time now = kDemoNow;
  auto views = DemoViews(dir, stores);
  ASSERT_NE(views, nullptr);

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
  projections::DeadlineProcess deadlines(events, views.get(), &sealer, std::move(options));

  const scenario::Cast cast = scenario::SjaelorCast();
  const std::vector<std::string> tokens =
      *security::WriteDevTokens(dir.Sub("tokens"), {cast.admin});
  const security::Authenticator authenticator = *security::Authenticator::Load(dir.Sub("tokens"));
  AdminService admin(&authenticator, views.get(), &deadlines, nullptr, nullptr, nullptr, nullptr);
  Served served(&admin);
  v1::AdminService::Stub* stub = served.stub.get();
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
}

// Issue 15 §4: the deadline process's own thread runs the next pass sooner after a pass with
// failures (retry_initial, doubled up to the interval), so a fault that clears is caught up
// within moments, not an interval later; after a clean pass it waits the interval again.
// With an hour's interval, three passes in a row can only come from the backoff.
TEST(AdminServiceTest, AfterAFailedPassTheDeadlineProcessTriesAgainSoonerWithBackoff) {
  store::testing::TempDir dir;
  Stores stores(dir);
  auto views = DemoViews(dir, stores);
  ASSERT_NE(views, nullptr);
  absl::Mutex mu;
  bool failing = true;
  projections::DeadlineOptions options;
  options.interval = absl::Hours(1);
  options.retry_initial = absl::Milliseconds(10);
  options.clock = [] { return kDemoNow; };
  options.fault = [&](absl::string_view request_id) {
    absl::MutexLock lock(&mu);
    if (failing && absl::StartsWith(request_id, "deadline:overdue:")) {
      return absl::UnavailableError("injected: the store is busy");
    }
    return absl::OkStatus();
  };
  projections::DeadlineProcess deadlines(stores.events.get(), views.get(), stores.sealer.get(),
                                         std::move(options));
  // Bounded polls: the process's own thread gets there by itself.
  auto eventually = [&](const std::function<bool(const projections::DeadlineStatus&)>& done) {
    for (const absl::Time until = absl::Now() + absl::Seconds(30);;) {
      if (done(deadlines.Status())) return true;
      if (absl::Now() > until) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  ASSERT_TRUE(eventually([](const auto& s) { return s.consecutive_failed_passes >= 3; }));
  const projections::DeadlineStatus failing_status = deadlines.Status();
  EXPECT_THAT(failing_status.last_error_key, StartsWith("deadline:overdue:commitment-"));
  // The next pass is due within the backoff's reach, long before the interval.
  EXPECT_LT(failing_status.next_pass_at, absl::Now() + absl::Minutes(1));
  {
    absl::MutexLock lock(&mu);
    failing = false;
  }
  ASSERT_TRUE(eventually([](const auto& s) { return s.consecutive_failed_passes == 0; }));
  const projections::DeadlineStatus recovered = deadlines.Status();
  EXPECT_EQ(recovered.failed_items, 0u);
  EXPECT_GT(recovered.passes, failing_status.passes);
  // Clean again: the next pass is an interval away.
  ASSERT_TRUE(eventually(
      [](const auto& s) { return s.next_pass_at > absl::Now() + absl::Minutes(59); }));
}

// With one call per principal, an admin operation in flight (a demo being loaded) holds the
// admin's one slot: its other operations, and a read call of its (which takes its slot from the
// same PrincipalLimits), are RESOURCE_EXHAUSTED naming the flag, while Ping, which has no
// caller, is answered. Once the load is answered the slot is free again. And a slot held by the
// admin's other calls leaves none for an operation.
TEST(AdminServiceTest, OperationsHoldTheAdminsCallSlots) {
  AdminSetup s;
  absl::Notification loading;
  absl::Notification release;
  AdminService admin(
      &s.authenticator, s.views.get(), nullptr, nullptr, nullptr,
      [&]() -> absl::StatusOr<v1::LoadDemoResponse> {
        loading.Notify();
        release.WaitForNotification();
        v1::LoadDemoResponse response;
        response.set_commands(7);
        return response;
      },
      [](const std::string& directory) -> rpc::Producer<v1::BackupResponse> {
        return [](v1::BackupResponse& progress) -> absl::StatusOr<rpc::Pull> {
          progress.set_part("events");
          return rpc::Pull::kLast;
        };
      },
      &s.limits);
  Served served(&admin);
  v1::AdminService::Stub* stub = served.stub.get();
  auto as_admin = [&](grpc::ClientContext& context) {
    context.AddMetadata("authorization", "Bearer " + s.tokens[0]);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  };
  // The admin's other operations: each one's status.
  auto operations = [&] {
    std::vector<grpc::Status> out;
    {
      grpc::ClientContext context;
      as_admin(context);
      v1::GetProjectionStatusResponse response;
      out.push_back(stub->GetProjectionStatus(&context, {}, &response));
    }
    {
      grpc::ClientContext context;
      as_admin(context);
      v1::RebuildProjectionRequest request;
      request.set_view("no-such-view");
      v1::RebuildProjectionResponse response;
      out.push_back(stub->RebuildProjection(&context, request, &response));
    }
    {
      grpc::ClientContext context;
      as_admin(context);
      v1::BackupRequest request;
      request.set_directory(s.dir.Sub("backup"));
      auto reader = stub->Backup(&context, request);
      v1::BackupResponse progress;
      while (reader->Read(&progress)) EXPECT_EQ(progress.part(), "events");
      out.push_back(reader->Finish());
    }
    return out;
  };
  auto expect_exhausted = [](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_THAT(status.error_message(), StartsWith("max_calls_per_principal: "));
  };

  grpc::Status loaded;
  v1::LoadDemoResponse load_response;
  std::thread load([&] {
    grpc::ClientContext context;
    as_admin(context);
    loaded = stub->LoadDemo(&context, {}, &load_response);
  });
  loading.WaitForNotification();
  for (const grpc::Status& status : operations()) expect_exhausted(status);
  const absl::StatusOr<rpc::PrincipalLimits::Slot> read = s.limits.TakeCall(s.cast.admin);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kResourceExhausted);
  {
    grpc::ClientContext context;
    v1::PingRequest ping;
    ping.set_payload("still here");
    v1::PingResponse pong;
    EXPECT_TRUE(stub->Ping(&context, ping, &pong).ok());
    EXPECT_EQ(pong.payload(), "still here");
  }
  release.Notify();
  load.join();
  EXPECT_TRUE(loaded.ok()) << loaded.error_message();
  EXPECT_EQ(load_response.commands(), 7);

  // Free: each operation is answered (the rebuild names its unknown view).
  const std::vector<grpc::Status> free = operations();
  EXPECT_TRUE(free[0].ok()) << free[0].error_message();
  EXPECT_EQ(free[1].error_code(), grpc::StatusCode::NOT_FOUND) << free[1].error_message();
  EXPECT_TRUE(free[2].ok()) << free[2].error_message();

  // Another call of the admin's holds the slot.
  {
    absl::StatusOr<rpc::PrincipalLimits::Slot> held = s.limits.TakeCall(s.cast.admin);
    ASSERT_TRUE(held.ok()) << held.status();
    for (const grpc::Status& status : operations()) expect_exhausted(status);
  }
  EXPECT_TRUE(operations()[0].ok());
}

// A backup whose client stops reading (its progress responses made large here, so that HTTP/2's
// flow control window fills and a write stays in flight): after the stall timeout the call
// ends, its producer and with it the admin's one call slot dropped while the client still reads
// nothing. Reading again, the client gets what was buffered, then RESOURCE_EXHAUSTED saying the
// reader stalled.
TEST(AdminServiceTest, ABackupWhoseClientStopsReadingEndsAndFreesItsSlot) {
  AdminSetup s;
  // Notified when the producer is dropped (after the slot the steps hold beside it).
  absl::Notification dropped;
  struct NotifyWhenDropped {
    explicit NotifyWhenDropped(absl::Notification* n) : notification(n) {}
    ~NotifyWhenDropped() { notification->Notify(); }
    absl::Notification* const notification;
  };
  AdminService admin(
      &s.authenticator, s.views.get(), nullptr, nullptr, nullptr, nullptr,
      [&](const std::string&) -> rpc::Producer<v1::BackupResponse> {
        return [held = std::make_shared<NotifyWhenDropped>(&dropped)](
                   v1::BackupResponse& progress) -> absl::StatusOr<rpc::Pull> {
          progress.set_part(std::string(1 << 20, 'x'));
          return rpc::Pull::kMore;
        };
      },
      &s.limits, absl::Milliseconds(300));
  Served served(&admin);
  // No BDP probing: the client's window stays at its initial 64 KiB, below one response.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = v1::AdminService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", served.port), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + s.tokens[0]);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::BackupRequest request;
  request.set_directory(s.dir.Sub("backup"));
  auto reader = stub->Backup(&context, request);

  ASSERT_TRUE(dropped.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(s.limits.TakeCall(s.cast.admin).ok());

  v1::BackupResponse progress;
  int read = 0;
  while (reader->Read(&progress)) ++read;
  EXPECT_GE(read, 1);
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(),
              StartsWith("stream_stall_timeout_s: the client stopped reading: a response waited "
                         "300ms to be taken (the reader stalled); "));
}

}  // namespace
}  // namespace hotspot::server
