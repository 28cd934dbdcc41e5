// Power loss, simulated (issue 15 §1). The store runs on a PowerLossFileSystem; four threads
// append durably (single- and two-stream appends) until the power is cut at a random moment,
// after a random number of acknowledgements. The store is closed, everything that was not synced
// is dropped from the files (unsynced tails, creations and renames no directory fsync made
// durable), and the store is opened again on the same directory. Each cycle checks that every
// acknowledged event is present and intact, that positions and stream versions are contiguous,
// and that the hash chain verifies; the next cycle appends on top.
//
//   store_power_loss_test              20 power cuts (the ctest default)
//   store_power_loss_test --cycles=N   N power cuts (make crash-long runs 500)
#include <cstdio>
#include <map>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "store/event_store.h"
#include "store/power_loss_fs.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

int g_cycles = 20;
constexpr int kThreads = 4;

using testing::PowerLossFileSystem;

// Every acknowledged event: position -> (stream, payload).
using Acked = std::map<uint64_t, std::pair<std::string, std::string>>;

// Checks `store` against what was acknowledged, and the whole log: contiguous positions and
// stream versions, a two-stream append whole, the chain verified.
void CheckLog(EventStore& store, const Acked& acked, int cycle) {
  const uint64_t head = store.HeadPosition();
  ASSERT_GE(head, acked.empty() ? 0 : acked.rbegin()->first) << "cycle " << cycle;
  std::map<std::string, uint64_t> versions;
  auto ack = acked.begin();
  for (uint64_t next = 1; next <= head;) {
    absl::StatusOr<std::vector<RecordedEvent>> events =
        store.ReadAll(next, Direction::kForward, 5000);
    ASSERT_TRUE(events.ok()) << "cycle " << cycle << ": " << events.status();
    ASSERT_FALSE(events->empty()) << "cycle " << cycle << " at " << next;
    for (const RecordedEvent& e : *events) {
      ASSERT_EQ(e.position, next++) << "cycle " << cycle;
      ASSERT_EQ(e.stream_version, ++versions[e.stream]) << "cycle " << cycle << " " << e.stream;
      if (ack != acked.end() && ack->first == e.position) {
        ASSERT_EQ(e.stream, ack->second.first) << "cycle " << cycle << " at " << e.position;
        ASSERT_EQ(e.payload, ack->second.second) << "cycle " << cycle << " at " << e.position;
        ++ack;
      }
    }
  }
  ASSERT_EQ(ack, acked.end()) << "cycle " << cycle << ": acknowledged position " << ack->first
                              << " is past the head " << head;
  const VerifyReport report = store.Verify(0, UINT64_MAX);
  ASSERT_TRUE(report.status.ok()) << "cycle " << cycle << ": " << report.status;
  ASSERT_EQ(report.events_checked, head) << "cycle " << cycle;
  for (const auto& [stream, version] : versions) {
    ASSERT_EQ(*store.StreamVersion(stream), version) << "cycle " << cycle << " " << stream;
  }
}

TEST(PowerLossTest, EveryAcknowledgedEventSurvivesAPowerCutAtAnyMoment) {
  testing::TempDir dir;
  absl::BitGen random;
  Acked acked;
  uint64_t appended = 0, dropped_bytes = 0;
  int dropped_files = 0;
  for (int cycle = 0; cycle <= g_cycles; ++cycle) {
    auto fs = std::make_shared<PowerLossFileSystem>();
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    Options options;
    options.env = env.get();
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(std::move(options), dir.path());
    ASSERT_TRUE(store.ok()) << "cycle " << cycle << ": " << store.status();
    CheckLog(**store, acked, cycle);
    if (cycle == g_cycles) break;  // the last opening only checks

    // Appends until the power is cut after `cut_after` acknowledgements (a random moment in the
    // stream of appends: the cut lands between, inside or after the threads' writes and syncs).
    absl::Mutex mu;
    std::vector<int> seqs(kThreads, 0);
    const int acks = testing::WriteUntilPowerCut(
        *fs, kThreads, absl::Uniform(random, 1, 300), [&](int t) {
          const int seq = seqs[t]++;
          std::vector<StreamAppend> appends;
          std::vector<std::pair<std::string, std::string>> sent;
          const int parts = seq % 4 == 0 ? 2 : 1;  // a two-stream append: both or neither
          for (int part = 0; part < parts; ++part) {
            std::string stream = part == 0 ? absl::StrCat("power-", t) : "pair";
            std::string payload = absl::StrCat("cycle ", cycle, " thread ", t, " seq ", seq,
                                               " part ", part, std::string(200, 'x'));
            appends.push_back(testing::OneEvent(stream, ExpectedVersion::Any(), payload));
            sent.emplace_back(std::move(stream), std::move(payload));
          }
          absl::StatusOr<AppendResult> result = (*store)->Append(std::move(appends));
          if (!result.ok()) return false;  // the power is off: the store refuses from now on
          absl::MutexLock lock(&mu);
          for (size_t part = 0; part < result->positions.size(); ++part) {
            acked[result->positions[part]] = sent[part];
          }
          return true;
        });
    appended += acks;
    store->reset();
    ASSERT_TRUE(fs->DropUnsyncedData().ok()) << "cycle " << cycle;
    dropped_bytes += fs->dropped().bytes;
    dropped_files += fs->dropped().files_deleted;
  }
  EXPECT_GT(appended, 0u);
  printf("power loss test: %d power cuts, %llu acknowledged appends, %zu acknowledged events "
         "checked each cycle, %llu unsynced bytes and %d unsynced files dropped\n",
         g_cycles, static_cast<unsigned long long>(appended), acked.size(),
         static_cast<unsigned long long>(dropped_bytes), dropped_files);
}

}  // namespace
}  // namespace hotspot::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::store::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
