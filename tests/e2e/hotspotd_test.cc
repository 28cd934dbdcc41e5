// hotspotd as a process: started on a free port, called over gRPC, stopped with SIGTERM.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "store/test_util.h"
#include "tests/e2e/hotspotd_process.h"

namespace hotspot::testing {
namespace {

using store::testing::TempDir;

class HotspotdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<HotspotdProcess> started =
        HotspotdProcess::Start(HOTSPOTD_PATH, data_dir(), {"--demo"});
    ASSERT_TRUE(started.ok()) << started.status();
    server_.emplace(std::move(*started));
  }

  std::string data_dir() const { return dir_.Sub("data"); }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  }

  TempDir dir_;
  std::optional<HotspotdProcess> server_;
};

// A payload past Ping's 1 MiB is INVALID_ARGUMENT naming it; a request past --max_request_bytes
// never reaches it.
TEST_F(HotspotdTest, PingEchoesItsPayloadAndRefusesAnOversizedOne) {
  auto stub = hotspot::v1::AdminService::NewStub(Channel());
  grpc::ClientContext context;
  hotspot::v1::PingRequest request;
  request.set_payload(std::string("ping\0bytes", 10));
  hotspot::v1::PingResponse response;
  const grpc::Status status = stub->Ping(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.payload(), request.payload());

  grpc::ClientContext big_context;
  request.set_payload(std::string((1 << 20) + 1, 'x'));
  const grpc::Status big = stub->Ping(&big_context, request, &response);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(big.error_message(), "payload")) << big.error_message();

  // Past --max_request_bytes (2 MiB): refused by the transport before it is read whole.
  grpc::ClientContext huge_context;
  request.set_payload(std::string(3 << 20, 'x'));
  const grpc::Status huge = stub->Ping(&huge_context, request, &response);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << huge.error_message();
  // The connection goes on serving.
  grpc::ClientContext after_context;
  request.set_payload("after");
  ASSERT_TRUE(stub->Ping(&after_context, request, &response).ok());
  EXPECT_EQ(response.payload(), "after");
}

// grpc.health.v1.Health: the server as a whole ("") is NOT_SERVING while the views catch up with
// the demo just loaded, then SERVING; Watch tells each change, so the test waits on the condition.
// Check then agrees.
TEST_F(HotspotdTest, HealthServiceReportsServing) {
  auto stub = grpc::health::v1::Health::NewStub(Channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::health::v1::HealthCheckRequest request;
  auto watch = stub->Watch(&context, request);
  grpc::health::v1::HealthCheckResponse status;
  bool serving = false;
  while (!serving && watch->Read(&status)) {
    serving = status.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }
  context.TryCancel();
  watch->Finish();
  ASSERT_TRUE(serving) << "the last status told: " << status.status();

  grpc::ClientContext check_context;
  check_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse checked;
  const grpc::Status checked_status = stub->Check(&check_context, request, &checked);
  ASSERT_TRUE(checked_status.ok()) << checked_status.error_message();
  EXPECT_EQ(checked.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Server reflection lets a client that has no stubs call the API: buf curl (npm, pinned).
TEST_F(HotspotdTest, ReflectionServesTheApiToBufCurl) {
  const std::string command = absl::StrCat(
      BUF_PATH, " curl --protocol grpc --http2-prior-knowledge -d '{\"payload\":\"aGk=\"}' http://",
      server_->address(), "/hotspot.v1.AdminService/Ping 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "\"payload\": \"aGk=\"")) << output;
}

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The number after `key=` in a key=value log.
int LoggedInt(const std::string& log, const std::string& key) {
  const size_t at = log.find(key + "=");
  return at == std::string::npos ? -1 : std::atoi(log.c_str() + at + key.size() + 1);
}

TEST_F(HotspotdTest, SigtermStopsCleanlyAndARestartUsesTheSameData) {
  absl::StatusOr<int> code = server_->Stop();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  // The demo was loaded and its dev tokens printed, once.
  const std::string first_log = FileText(server_->log_file());
  EXPECT_TRUE(absl::StrContains(first_log, "Dev tokens for the demo")) << first_log;
  EXPECT_TRUE(absl::StrContains(first_log, "chief-anna (coordinator): ")) << first_log;
  const int commands = LoggedInt(first_log, "commands");
  EXPECT_GT(commands, 200) << first_log;
  EXPECT_EQ(LoggedInt(first_log, "already_loaded"), 0) << first_log;
  struct stat st;
  ASSERT_EQ(stat((data_dir() + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  absl::StatusOr<HotspotdProcess> again =
      HotspotdProcess::Start(HOTSPOTD_PATH, data_dir(), {"--demo"});
  ASSERT_TRUE(again.ok()) << again.status();
  {
    auto stub = hotspot::v1::AdminService::NewStub(
        grpc::CreateChannel(again->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    hotspot::v1::PingRequest request;
    hotspot::v1::PingResponse response;
    EXPECT_TRUE(stub->Ping(&context, request, &response).ok());
  }  // gRPC 1.51's server waits ~5 s at shutdown for a connected idle client to go away
  EXPECT_EQ(*again->Stop(), 0);
  // Started again: the demo is all there already, and no new tokens are made.
  const std::string second_log = FileText(again->log_file());
  EXPECT_EQ(LoggedInt(second_log, "already_loaded"), commands) << second_log;
  EXPECT_FALSE(absl::StrContains(second_log, "Dev tokens")) << second_log;
}

// --verify_log_at_start (issue 15 §3): a log that verifies starts as usual; one with a byte of an
// acknowledged event flipped behind hotspotd's back does not start: exit 1, and the log names the
// position, that writes are refused, and how to recover from a backup.
TEST_F(HotspotdTest, AVerificationAtStartRefusesABrokenLog) {
  ASSERT_EQ(*server_->Stop(), 0);
  std::string output;
  const std::vector<std::string> flags = {"--data_dir=" + data_dir(), "--demo",
                                          "--listen=127.0.0.1:0", "--verify_log_at_start",
                                          "--sync=false", "--deadline_interval_s=0"};
  absl::StatusOr<HotspotdProcess> verified = HotspotdProcess::Start(
      HOTSPOTD_PATH, data_dir(), {"--demo", "--verify_log_at_start"});
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(*verified->Stop(), 0);
  EXPECT_TRUE(absl::StrContains(FileText(verified->log_file()), "event=log_verified"));

  ASSERT_TRUE(store::testing::FlipByteBehindTheStoresBack(data_dir() + "/events", 30, 60).ok());
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, flags, &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "the event log is broken: hash chain broken at position "
                                        "30"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "hotspotd refuses writes")) << output;
  EXPECT_TRUE(absl::StrContains(output, "--restore_from=BACKUP")) << output;
}

TEST(HotspotdFlagsTest, ATokensFileIsRequiredWithoutTheDemo) {
  TempDir dir;
  std::string output;
  EXPECT_EQ(
      RunToExit(HOTSPOTD_PATH, {"--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("d")}, &output), 2);
  EXPECT_TRUE(absl::StrContains(output, "tokens_file: required")) << output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                      {"--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("d"),
                       "--tokens_file=" + dir.Sub("missing")},
                      &output),
            1);
  EXPECT_TRUE(absl::StrContains(output, "tokens_file: cannot read")) << output;
}

TEST(HotspotdFlagsTest, BadListenAddressesExitWithUsageErrors) {
  TempDir dir;
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, {"--listen=0.0.0.0:0", "--data_dir=" + dir.Sub("d")}, &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "listen: plaintext is served on loopback only")) << output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, {"--listen=nonsense", "--data_dir=" + dir.Sub("d")}, &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "listen: want host:port")) << output;
}

}  // namespace
}  // namespace hotspot::testing
