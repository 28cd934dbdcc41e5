// Issue 15 §3 over a real hotspotd: a log that lost acknowledged events, or that a verification
// at start finds broken, stops the start saying what is wrong and how to recover; with
// --serve_damaged_log hotspotd starts for reads only, up to the intact prefix, and refuses every
// command.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "store/test_util.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

class DamagedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Synced, so that the event store keeps its head witness.
    absl::StatusOr<std::unique_ptr<SuiteServer>> started = StartSuiteServer(
        HOTSPOTD_PATH, {"--demo", "--sync=true", "--deadline_interval_s=0"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = std::move(*started);
    acknowledged_ = suite_->Head();
    ASSERT_GT(acknowledged_, 100u);
    ASSERT_EQ(*suite_->process->Stop(), 0);
  }

  std::string data_dir() const { return suite_->dir.Sub("data"); }

  // The flags hotspotd was started with, for a start that is to fail.
  std::vector<std::string> FlagsToExit() const {
    std::vector<std::string> flags = suite_->flags;
    flags.push_back("--data_dir=" + data_dir());
    flags.push_back("--listen=127.0.0.1:0");
    return flags;
  }

  // Starts again with --serve_damaged_log and checks what it serves: the views and reads up to
  // `intact_head`, no command.
  void ServesReadsOnlyUpTo(uint64_t intact_head) {
    suite_->flags.push_back("--serve_damaged_log");
    ASSERT_TRUE(suite_->Start().ok());
    EXPECT_TRUE(absl::StrContains(FileText(suite_->process->log_file()),
                                  "event=serving_damaged_log"));
    auto admin = v1::AdminService::NewStub(suite_->channel);
    v1::GetProjectionStatusResponse status;
    ASSERT_TRUE(admin->GetProjectionStatus(suite_->As(suite_->cast.admin, "").get(), {}, &status)
                    .ok());
    ASSERT_FALSE(status.views().empty());
    for (const v1::ProjectionStatus& view : status.views()) {
      EXPECT_EQ(view.head(), intact_head) << view.view();
    }

    // Reads: the demo's cases as far as the intact log has them.
    v1::ListCasesRequest list;
    list.set_area_id(scenario::kAreaId);
    list.set_page_size(100);
    v1::ListCasesResponse cases;
    const grpc::Status listed = v1::QueryService::NewStub(suite_->channel)
                                    ->ListCases(suite_->As(suite_->cast.chief).get(), list, &cases);
    ASSERT_TRUE(listed.ok()) << listed.error_message();
    EXPECT_FALSE(cases.cases().empty());

    // Commands: refused with the damage, and the command service says it does not serve.
    v1::EstablishAreaRequest area;
    area.set_request_id("t-damaged-log-1");
    area.set_area_id("area-new-1");
    area.set_name("A new area");
    area.set_municipality("København");
    const CallResult refused = suite_->commands->Call(suite_->founder, area);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::DATA_LOSS)
        << refused.status.error_message();
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest health;
    health.set_service("hotspot.v1.CommandService");
    grpc::health::v1::HealthCheckResponse serving;
    ASSERT_TRUE(grpc::health::v1::Health::NewStub(suite_->channel)
                    ->Check(&context, health, &serving)
                    .ok());
    EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    ASSERT_EQ(*suite_->process->Stop(), 0);
  }

  static std::string FileText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<SuiteServer> suite_;
  uint64_t acknowledged_ = 0;
};

// The case: one flipped byte in the newest write-ahead log file. RocksDB replays up to
// it; the head witness says how far the log had been acknowledged.
TEST_F(DamagedLogTest, ALogThatLostAcknowledgedEventsStopsTheStartOrIsServedForReads) {
  ASSERT_TRUE(store::testing::FlipWriteAheadLogByte(data_dir() + "/events", 0.5).ok());
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, FlagsToExit(), &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "lost acknowledged events")) << output;
  EXPECT_TRUE(absl::StrContains(
      output, absl::StrCat("events up to position ", acknowledged_, " were acknowledged")))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "--restore_from=BACKUP")) << output;
  EXPECT_TRUE(absl::StrContains(output, "--serve_damaged_log")) << output;

  // What is left is served; the position it ends at is the one the refusal named.
  const size_t at = output.find("it ends at position ");
  ASSERT_NE(at, std::string::npos) << output;
  const uint64_t left = std::stoull(output.substr(at + 19));
  EXPECT_LT(left, acknowledged_);
  ServesReadsOnlyUpTo(left);
}

// A log of before the head witness (its files deleted): the views, which had applied more of
// the log than it now holds, witness the loss.
TEST_F(DamagedLogTest, ViewsAheadOfTheLogWitnessALossTheStoreCannotSee) {
  ASSERT_TRUE(store::testing::FlipWriteAheadLogByte(data_dir() + "/events", 0.5).ok());
  for (const char* file : {"/events/HEAD_WITNESS-0", "/events/HEAD_WITNESS-1"}) {
    ASSERT_TRUE(std::filesystem::remove(data_dir() + file)) << file;
  }
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, FlagsToExit(), &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "the event log is broken: it lost acknowledged events"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("has applied events up to position ",
                                                     acknowledged_)))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "--serve_damaged_log")) << output;
  const size_t at = output.find("it ends at position ");
  ASSERT_NE(at, std::string::npos) << output;
  ServesReadsOnlyUpTo(std::stoull(output.substr(at + 19)));
}

// The same without the views (deleted: rebuilt from the log at the next start): the erasure
// executor's checkpoint, past what is left, witnesses the loss. It is written as a data directory
// of before kept it, in a file (the next position to examine), which hotspotd adopts as the row
// of the views' database it keeps it in today.
TEST_F(DamagedLogTest, AnErasureCheckpointAheadOfTheLogWitnessesALossToo) {
  ASSERT_TRUE(store::testing::FlipWriteAheadLogByte(data_dir() + "/events", 0.5).ok());
  for (const char* file : {"/events/HEAD_WITNESS-0", "/events/HEAD_WITNESS-1"}) {
    ASSERT_TRUE(std::filesystem::remove(data_dir() + file)) << file;
  }
  ASSERT_GT(std::filesystem::remove_all(data_dir() + "/views"), 0u);
  {
    std::ofstream checkpoint(data_dir() + "/erasures.checkpoint", std::ios::trunc);
    checkpoint << acknowledged_ + 1 << "\n";
    ASSERT_TRUE(checkpoint.good());
  }
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, FlagsToExit(), &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "the event log is broken: it lost acknowledged events"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("the erasure executor (its checkpoint/@erasures "
                                                     "row in views/) has examined events up to "
                                                     "position ",
                                                     acknowledged_)))
      << output;
  const size_t at = output.find("it ends at position ");
  ASSERT_NE(at, std::string::npos) << output;
  EXPECT_LT(std::stoull(output.substr(at + 19)), acknowledged_);
}

// A record rewritten behind hotspotd's back, found by --verify_log_at_start: served up to the
// position before it.
TEST_F(DamagedLogTest, ABreakFoundAtStartIsServedUpToThePositionBeforeIt) {
  ASSERT_TRUE(store::testing::FlipByteBehindTheStoresBack(data_dir() + "/events", 200, 60).ok());
  suite_->flags.push_back("--verify_log_at_start");
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH, FlagsToExit(), &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, "hash chain broken at position 200")) << output;
  EXPECT_TRUE(absl::StrContains(output, "--serve_damaged_log")) << output;
  ServesReadsOnlyUpTo(199);
}

}  // namespace
}  // namespace hotspot::testing
