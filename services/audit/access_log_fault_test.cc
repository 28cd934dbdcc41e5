// Injected I/O errors and a full disk under the access log (issue 15 §2): only the affected
// Record()s fail, reads go on, the log resumes by itself once the fault clears (no reopen by the
// caller), and every answered read keeps its record, through a power cut after that too.
//
// AccessLogFaultTest.RandomFaultsUnderConcurrentReaders runs cycles of random faults while four
// threads record reads (see there):
//   access_log_fault_test              20 fault cycles (the ctest default)
//   access_log_fault_test --gtest_filter='*RandomFaults*' --cycles=N   N (make crash-long: 500)
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
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

int g_cycles = 20;

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

  // Records a read of `youths`' cases by `who`, one record each, in one Record().
  absl::Status Read(const security::Principal& who, const std::vector<std::string>& youths) {
    std::vector<v1::AccessRecord> records;
    for (const std::string& youth : youths) {
      v1::AccessRecord& record = records.emplace_back();
      record.set_youth_id(youth);
      record.set_area_id("area-test");
      record.set_personal_data_disclosed(true);
    }
    absl::StatusOr<security::Purpose> purpose = security::ParsePurpose("case_coordination");
    if (!purpose.ok()) return purpose.status();
    return log_->Record(who, kCall, *purpose, std::move(records));
  }
  // Records a read of `youth`'s case by the reader.
  absl::Status Read(const std::string& youth) { return Read(reader_, {youth}); }

  // The youths of `person`'s records (every record for ""), exported, in order; each sequence number greater than
  // the one before.
  std::vector<std::string> ExportedBy(const std::string& person) {
    v1::ExportAccessLogRequest request;
    request.set_person(person);
    std::vector<std::string> youths;
    uint64_t sequence = 0;
    const absl::Status exported =
        log_->Export(request, 1000, [&](v1::ExportAccessLogResponse& batch) -> absl::StatusOr<bool> {
          for (const v1::AccessRecord& record : batch.records()) {
            EXPECT_GT(record.sequence(), sequence) << person;
            sequence = record.sequence();
            youths.push_back(record.youth_id());
          }
          return true;
        });
    EXPECT_TRUE(exported.ok()) << exported;
    return youths;
  }

  // Records until it is answered (the log retries its reopening with a backoff), for at most
  // 10 s; the last status.
  absl::Status ReadUntilAnswered(const std::string& youth) {
    return store::testing::UntilOk([&] { return Read(youth); });
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
  EXPECT_EQ(ExportedBy(""), Youths({"youth-a"}));

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

// Cycles of random faults (write, sync or read errors, a full disk, or all three kinds of error
// at once; store::testing::RandomFaults) while four threads record reads (one or two youths a
// call), each cycle's by a reader of its own. Then the fault clears and the next read is answered
// without the test reopening the log. Each cycle checks, in the reader's records, exported:
// every answered read's record exactly once; a failed read's record at most once (a failed
// Record() may have reached the write-ahead log; nothing promises its absence, and a retry would
// be a new read with its own record); nothing else; sequence numbers increasing; and the same
// after a power cut that drops everything unsynced. At the end the whole log still holds every
// record each cycle found.
TEST_F(AccessLogFaultTest, RandomFaultsUnderConcurrentReaders) {
  ASSERT_NE(log_, nullptr);
  constexpr int kThreads = 4;
  absl::BitGen random;
  std::map<std::string, int> kinds;
  uint64_t answered_total = 0, failed_total = 0, failed_found = 0, found_total = 0;
  const absl::Time started = absl::Now();
  for (int cycle = 1; cycle <= g_cycles; ++cycle) {
    const security::Principal reader{absl::StrCat("reader-c", cycle), "agency-hotspot-test",
                                     security::Role::kCoordinator, {"area-test"}};
    std::string kind;
    const PowerLossFileSystem::Faults faults = store::testing::RandomFaults(random, &kind);
    ++kinds[kind];
    absl::Mutex mu;
    std::set<std::string> answered, failed;
    store::testing::WriteUnderFaults(
        *fs_, faults, random, kThreads, absl::Uniform(random, 5, 150),
        [&](int t, uint64_t n, absl::BitGen& thread_random) {
          std::vector<std::string> youths = {absl::StrCat("youth-c", cycle, "-t", t, "-", n)};
          if (absl::Bernoulli(thread_random, 0.3)) youths.push_back(youths[0] + "-b");
          const absl::Status status = Read(reader, youths);
          absl::MutexLock lock(&mu);
          (status.ok() ? answered : failed).insert(youths.begin(), youths.end());
          return status.ok();
        });

    // The log resumes by itself.
    const std::string after = absl::StrCat("youth-c", cycle, "-after");
    const absl::Status resumed = store::testing::UntilOk([&] { return Read(reader, {after}); });
    ASSERT_TRUE(resumed.ok()) << "cycle " << cycle << " (" << kind << "): " << resumed;
    answered.insert(after);

    const std::vector<std::string> found = ExportedBy(reader.person);
    std::map<std::string, int> copies;
    for (const std::string& youth : found) ++copies[youth];
    for (const std::string& youth : answered) {
      ASSERT_EQ(copies[youth], 1) << "cycle " << cycle << " (" << kind
                                  << "): the answered read of " << youth;
    }
    for (const auto& [youth, n] : copies) {
      ASSERT_TRUE(answered.count(youth) > 0 || failed.count(youth) > 0)
          << "cycle " << cycle << ": a record of " << youth << ", never read";
      ASSERT_EQ(n, 1) << "cycle " << cycle << " (" << kind << "): the failed read of " << youth;
      failed_found += failed.count(youth);
    }
    answered_total += answered.size();
    failed_total += failed.size();
    found_total += found.size();

    // Nothing listed was only in the page cache.
    ASSERT_NO_FATAL_FAILURE(PowerCutAndReopen());
    ASSERT_EQ(ExportedBy(reader.person), found) << "cycle " << cycle << " after a power cut";
  }
  EXPECT_EQ(ExportedBy("").size(), found_total);
  printf("access log: %d fault cycles (", g_cycles);
  for (const auto& [kind, n] : kinds) printf("%s %d; ", kind.c_str(), n);
  printf("): %llu records of answered reads, %llu of failed reads (%llu of those in the log); "
         "%s; %.1f s\n",
         static_cast<unsigned long long>(answered_total),
         static_cast<unsigned long long>(failed_total),
         static_cast<unsigned long long>(failed_found),
         store::testing::DescribeInjected(fs_->injected()).c_str(),
         absl::ToDoubleSeconds(absl::Now() - started));
  EXPECT_GT(failed_total, 0u);
}

}  // namespace
}  // namespace hotspot::audit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::audit::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
