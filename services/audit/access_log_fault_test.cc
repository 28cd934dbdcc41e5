// Injected I/O errors and a full disk under the access log (issue 15 §2): only the affected
// Record()s fail, reads go on, the log resumes by itself once the fault clears (no reopen by the
// caller), and every answered read keeps its record, through a power cut after that too.
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "services/audit/access_log.h"
#include "services/security/disclosures.h"
#include "store/power_loss_fs.h"
#include "store/test_util.h"

namespace hotspot::audit {
namespace {

using store::testing::PowerLossFileSystem;

constexpr char kCall[] = "hotspot.v1.QueryService/GetCase";

class AccessLogFaultTest : public ::testing::Test {
 protected:
  AccessLogFaultTest()
      : fs_(std::make_shared<PowerLossFileSystem>()), env_(rocksdb::NewCompositeEnv(fs_)) {
    log_ = Open();
  }

  std::unique_ptr<AccessLog> Open() {
    AccessLogOptions options;  // as hotspotd runs it by default: every Record() synced
    options.env = env_.get();
    absl::StatusOr<std::unique_ptr<AccessLog>> log =
        AccessLog::Open(std::move(options), dir_.path());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Records a read of `youth`'s case by the reader.
  absl::Status Read(const std::string& youth) {
    v1::AccessRecord record;
    record.set_youth_id(youth);
    record.set_area_id("area-test");
    record.set_personal_data_disclosed(true);
    absl::StatusOr<security::Purpose> purpose = security::ParsePurpose("case_coordination");
    if (!purpose.ok()) return purpose.status();
    return log_->Record(reader_, kCall, *purpose, {record});
  }

  // Records until it is answered (the log retries its reopening with a backoff), for at most
  // 10 s; the last status.
  absl::Status ReadUntilAnswered(const std::string& youth) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    absl::Status status = Read(youth);
    while (!status.ok() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
      status = Read(youth);
    }
    return status;
  }

  // The youths of the reader's records, in order; each sequence number once.
  std::vector<std::string> Listed() {
    v1::ListAccessRecordsRequest request;
    request.set_person(reader_.person);
    request.set_page_size(100);
    absl::StatusOr<v1::ListAccessRecordsResponse> page = log_->List(request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> youths;
    std::set<uint64_t> sequences;
    if (!page.ok()) return youths;
    for (const v1::AccessRecord& record : page->records()) {
      EXPECT_TRUE(sequences.insert(record.sequence()).second) << record.sequence();
      EXPECT_EQ(record.call(), kCall);
      youths.push_back(record.youth_id());
    }
    return youths;
  }

  void PowerCutAndReopen() {
    fs_->PowerOff();
    log_.reset();
    ASSERT_TRUE(fs_->DropUnsyncedData().ok());
    log_ = Open();
    ASSERT_NE(log_, nullptr);
  }

  store::testing::TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  const security::Principal reader_{
      "chief-anna", "agency-hotspot-test", security::Role::kCoordinator, {"area-test"}};
  std::unique_ptr<AccessLog> log_;
};

using Youths = std::vector<std::string>;

TEST_F(AccessLogFaultTest, FailedWriteFailsOnlyItsReadAndTheLogResumesByItself) {
  ASSERT_NE(log_, nullptr);
  ASSERT_TRUE(Read("youth-a").ok());
  fs_->InjectFaults({.write = 1});
  EXPECT_EQ(Read("youth-b").code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(Read("youth-c").ok());
  EXPECT_EQ(Listed(), Youths({"youth-a"}));  // reads go on

  fs_->ClearFaults();
  ASSERT_TRUE(ReadUntilAnswered("youth-d").ok());
  ASSERT_TRUE(Read("youth-e").ok());
  // The failed writes wrote nothing; the answered reads are there, once each.
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-d", "youth-e"}));
  PowerCutAndReopen();
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-d", "youth-e"}));
}

TEST_F(AccessLogFaultTest, FailedSyncFailsOnlyItsReadAndTheLogResumesByItself) {
  ASSERT_NE(log_, nullptr);
  ASSERT_TRUE(Read("youth-a").ok());
  fs_->InjectFaults({.sync = 1});
  // Written to the write-ahead log, but not synced: not answered.
  EXPECT_EQ(Read("youth-b").code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(Read("youth-c").ok());  // refused before it is written
  EXPECT_EQ(Listed(), Youths({"youth-a"}));

  fs_->ClearFaults();
  ASSERT_TRUE(ReadUntilAnswered("youth-d").ok());
  // The reopened log holds what the failed sync's write left in it (a record of a read that
  // was not answered, which is harmless), synced now, and the answered reads, once each.
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-b", "youth-d"}));
  PowerCutAndReopen();
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-b", "youth-d"}));
}

TEST_F(AccessLogFaultTest, FullDiskRefusesWithResourceExhaustedKeepsReadsAndResumes) {
  ASSERT_NE(log_, nullptr);
  ASSERT_TRUE(Read("youth-a").ok());
  fs_->InjectFaults({.no_space = true});
  EXPECT_EQ(Read("youth-b").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Read("youth-c").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Listed(), Youths({"youth-a"}));
  uint64_t exported = 0;
  ASSERT_TRUE(log_->Export({}, 10,
                           [&](v1::ExportAccessLogResponse& batch) -> absl::StatusOr<bool> {
                             exported += batch.records_size();
                             return true;
                           })
                  .ok());
  EXPECT_EQ(exported, 1u);

  fs_->ClearFaults();  // space returns
  ASSERT_TRUE(ReadUntilAnswered("youth-d").ok());
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-d"}));
  PowerCutAndReopen();
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-d"}));
}

TEST_F(AccessLogFaultTest, AnExportAcrossAReopeningAsksToStartAgain) {
  ASSERT_NE(log_, nullptr);
  ASSERT_TRUE(Read("youth-a").ok());
  ASSERT_TRUE(Read("youth-b").ok());
  absl::StatusOr<std::unique_ptr<AccessLog::Exporter>> exporter = log_->StartExport({}, 1);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  v1::ExportAccessLogResponse first;
  ASSERT_TRUE((*exporter)->Next(first).ok());
  ASSERT_EQ(first.records_size(), 1);

  fs_->InjectFaults({.write = 1});
  EXPECT_FALSE(Read("youth-c").ok());
  fs_->ClearFaults();
  ASSERT_TRUE(ReadUntilAnswered("youth-d").ok());  // the log was reopened

  v1::ExportAccessLogResponse second;
  EXPECT_EQ((*exporter)->Next(second).status().code(), absl::StatusCode::kUnavailable);
  exporter->reset();
  EXPECT_EQ(Listed(), Youths({"youth-a", "youth-b", "youth-d"}));
}

// Four threads record reads while writes, syncs or the disk fail at random; then the fault
// clears and each thread's next read is answered without a reopen. Every answered read is listed
// once, through a power cut too.
TEST_F(AccessLogFaultTest, ConcurrentReadsUnderRandomFaultsKeepEveryAnsweredRecord) {
  ASSERT_NE(log_, nullptr);
  absl::BitGen random;
  std::set<std::string> answered;
  absl::Mutex mu;
  int failed = 0;
  for (int cycle = 0; cycle < 3; ++cycle) {
    PowerLossFileSystem::Faults faults;
    switch (cycle % 3) {
      case 0:
        faults.write = 0.05;
        break;
      case 1:
        faults.sync = 0.1;
        break;
      default:
        faults.no_space = true;
    }
    fs_->InjectFaults(faults, absl::Uniform<uint64_t>(random));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          const std::string youth = absl::StrCat("youth-c", cycle, "-t", t, "-", i);
          const absl::Status status = Read(youth);
          absl::MutexLock lock(&mu);
          if (status.ok()) {
            answered.insert(youth);
          } else {
            ++failed;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    fs_->ClearFaults();
    const std::string after = absl::StrCat("youth-c", cycle, "-after");
    ASSERT_TRUE(ReadUntilAnswered(after).ok()) << "cycle " << cycle;
    answered.insert(after);
  }
  EXPECT_GT(failed, 0);
  auto check = [&](const char* when) {
    std::set<std::string> listed;
    v1::ListAccessRecordsRequest request;
    request.set_person(reader_.person);
    request.set_page_size(1000);
    absl::StatusOr<v1::ListAccessRecordsResponse> page = log_->List(request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::AccessRecord& record : page->records()) {
      EXPECT_TRUE(listed.insert(record.youth_id()).second) << when << ": " << record.youth_id();
    }
    for (const std::string& youth : answered) {
      EXPECT_EQ(listed.count(youth), 1u) << when << ": the answered read of " << youth;
    }
  };
  check("after the faults");
  PowerCutAndReopen();
  check("after a power cut");
}

}  // namespace
}  // namespace hotspot::audit
