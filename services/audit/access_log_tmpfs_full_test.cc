// A real full disk under the access log (issue 15 §2): the log, with its default options (every
// Record() synced), on a 4 MiB tmpfs, mounted by the test (it needs root, as CI has; without it
// the test fails saying so), filled up by a file beside the log and then freed by deleting that
// file. Records are refused with RESOURCE_EXHAUSTED while it is full, List and exports keep
// working, and once space returns Record() works again by itself, without a reopen; every
// answered read's record is there once, and no refused one.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/audit/access_log.h"
#include "services/security/disclosures.h"
#include "store/test_util.h"

namespace hotspot::audit {
namespace {

using store::testing::Fill;
using store::testing::Tmpfs;

constexpr char kCall[] = "hotspot.v1.QueryService/GetCase";

class AccessLogTmpfsFullTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccessLog> Open() {
    absl::StatusOr<std::unique_ptr<AccessLog>> log =
        AccessLog::Open(AccessLogOptions(), tmpfs_.Sub("access"));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Records a read of `youth`'s case.
  absl::Status Read(AccessLog& log, const std::string& youth) {
    v1::AccessRecord record;
    record.set_youth_id(youth);
    record.set_area_id("area-test");
    record.set_personal_data_disclosed(true);
    absl::StatusOr<security::Purpose> purpose = security::ParsePurpose("case_coordination");
    if (!purpose.ok()) return purpose.status();
    return log.Record(reader_, kCall, *purpose, {record});
  }

  // The youths of the reader's records (List), in order, and each record's sequence number
  // greater than the one before.
  std::vector<std::string> Listed(const AccessLog& log) {
    v1::ListAccessRecordsRequest request;
    request.set_person(reader_.person);
    request.set_page_size(1000);
    absl::StatusOr<v1::ListAccessRecordsResponse> page = log.List(request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> youths;
    uint64_t sequence = 0;
    if (!page.ok()) return youths;
    for (const v1::AccessRecord& record : page->records()) {
      EXPECT_GT(record.sequence(), sequence);
      sequence = record.sequence();
      EXPECT_EQ(record.call(), kCall);
      youths.push_back(record.youth_id());
    }
    return youths;
  }

  // The youths of every record, exported.
  std::vector<std::string> Exported(const AccessLog& log) {
    std::vector<std::string> youths;
    const absl::Status exported =
        log.Export({}, 50, [&](v1::ExportAccessLogResponse& batch) -> absl::StatusOr<bool> {
          for (const v1::AccessRecord& record : batch.records()) {
            youths.push_back(record.youth_id());
          }
          return true;
        });
    EXPECT_TRUE(exported.ok()) << exported;
    return youths;
  }

  Tmpfs tmpfs_{"4m"};
  const security::Principal reader_{
      "chief-anna", "agency-hotspot-test", security::Role::kCoordinator, {"area-test"}};
};

TEST_F(AccessLogTmpfsFullTest, AFullFileSystemRefusesRecordsKeepsReadsAndResumesOnceFreed) {
  ASSERT_TRUE(tmpfs_.error().empty()) << tmpfs_.error();
  std::unique_ptr<AccessLog> log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<std::string> answered;
  for (int i = 1; i <= 20; ++i) {
    answered.push_back(absl::StrCat("youth-", i));
    ASSERT_TRUE(Read(*log, answered.back()).ok());
  }

  // Full: records are refused with RESOURCE_EXHAUSTED (a few may still fit in the write-ahead
  // log's last page first).
  ASSERT_GT(Fill(tmpfs_.Sub("filler")), 0u);
  std::string refused;
  absl::Status full;
  for (int i = 0; i < 1000; ++i) {
    refused = absl::StrCat("youth-full-", i);
    full = Read(*log, refused);
    if (!full.ok()) break;
    answered.push_back(refused);
  }
  ASSERT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_TRUE(absl::StrContains(full.message(), "No space left on device")) << full;
  EXPECT_EQ(Read(*log, "youth-other").code(), absl::StatusCode::kResourceExhausted);

  // Reads keep working: List and an export give exactly the answered reads.
  EXPECT_EQ(Listed(*log), answered);
  EXPECT_EQ(Exported(*log), answered);
  const uint64_t last = log->last_sequence();

  // Freed: records are written again without a reopen. The refused write reached no file whole
  // (the disk refused its bytes), so the reopened log does not hold it.
  ASSERT_EQ(std::remove(tmpfs_.Sub("filler").c_str()), 0);
  ASSERT_TRUE(store::testing::UntilOk([&] { return Read(*log, "youth-after"); }).ok());
  answered.push_back("youth-after");
  ASSERT_TRUE(Read(*log, "youth-next").ok());
  answered.push_back("youth-next");
  EXPECT_GT(log->last_sequence(), last);
  EXPECT_EQ(Listed(*log), answered);
  EXPECT_EQ(Exported(*log), answered);

  // Everything answered was durable: reopened, the log lists the same.
  log.reset();
  log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(Listed(*log), answered);
}

}  // namespace
}  // namespace hotspot::audit
