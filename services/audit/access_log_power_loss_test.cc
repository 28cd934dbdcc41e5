// Power loss, simulated, over the access log (issue 15 §1): a read that was answered keeps its
// record. The log runs with its default options on a PowerLossFileSystem; four threads record
// reads (each Record() returning is an answer that may leave the server) until the power is cut
// at a random moment. After the unsynced data is dropped and the log is opened again, every
// answered read's record is there, whole, in order of sequence number. (A number may be missing:
// the number of a read whose write failed at the cut, and so was never answered, while a
// concurrent read numbered after it was written first.)
//
//   access_log_power_loss_test              20 power cuts (the ctest default)
//   access_log_power_loss_test --cycles=N   N power cuts (make crash-long runs 500)
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "services/audit/access_log.h"
#include "services/security/disclosures.h"
#include "store/event_id.h"
#include "store/power_loss_fs.h"
#include "store/test_util.h"

namespace hotspot::audit {
namespace {

int g_cycles = 20;
constexpr int kThreads = 4;

using store::testing::PowerLossFileSystem;

TEST(AccessLogPowerLossTest, EveryAnsweredReadKeepsItsRecord) {
  store::testing::TempDir dir;
  absl::BitGen random;
  std::map<std::string, std::string> answered;  // youth read -> the reader
  const security::Principal reader{"chief-anna", "agency-hotspot-test",
                                   security::Role::kCoordinator, {"area-test"}};
  absl::StatusOr<security::Purpose> purpose = security::ParsePurpose("case_coordination");
  ASSERT_TRUE(purpose.ok()) << purpose.status();
  uint64_t total = 0;
  for (int cycle = 0; cycle <= g_cycles; ++cycle) {
    auto fs = std::make_shared<PowerLossFileSystem>();
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    AccessLogOptions options;  // as hotspotd runs it by default
    options.env = env.get();
    absl::StatusOr<std::unique_ptr<AccessLog>> log = AccessLog::Open(std::move(options), dir.path());
    ASSERT_TRUE(log.ok()) << "cycle " << cycle << ": " << log.status();

    // Every answered read is there, in order of sequence number.
    std::set<std::string> found;
    uint64_t sequence = 0;
    ASSERT_TRUE((*log)
                    ->Export({}, 1000,
                             [&](v1::ExportAccessLogResponse& batch) -> absl::StatusOr<bool> {
                               for (const v1::AccessRecord& r : batch.records()) {
                                 EXPECT_GT(r.sequence(), sequence) << "cycle " << cycle;
                                 sequence = r.sequence();
                                 EXPECT_EQ(r.call(), "hotspot.v1.QueryService/GetCase");
                                 found.insert(r.youth_id());
                               }
                               return true;
                             })
                    .ok());
    for (const auto& [youth, person] : answered) {
      ASSERT_EQ(found.count(youth), 1u)
          << "cycle " << cycle << ": the answered read of " << youth << " lost its record";
    }
    if (cycle == g_cycles) break;

    absl::Mutex mu;
    const int answers = store::testing::WriteUntilPowerCut(
        *fs, kThreads, absl::Uniform(random, 1, 300), [&](int) {
          const std::string youth = absl::StrCat("youth-", store::EventId::Generate().ToString());
          v1::AccessRecord record;
          record.set_youth_id(youth);
          record.set_area_id("area-test");
          record.set_personal_data_disclosed(true);
          const absl::Status recorded =
              (*log)->Record(reader, "hotspot.v1.QueryService/GetCase", *purpose, {record});
          if (!recorded.ok()) return false;  // the power is off: nothing more is answered
          absl::MutexLock lock(&mu);
          answered[youth] = reader.person;
          return true;
        });
    total += answers;
    log->reset();
    ASSERT_TRUE(fs->DropUnsyncedData().ok()) << "cycle " << cycle;
  }
  EXPECT_GT(total, 0u);
  printf("access log power loss test: %d power cuts, %llu answered reads, each one's record "
         "found after every later cut\n",
         g_cycles, static_cast<unsigned long long>(total));
}

}  // namespace
}  // namespace hotspot::audit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::audit::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
