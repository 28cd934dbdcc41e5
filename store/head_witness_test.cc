// Issue 15 §3, at open: a log whose write-ahead log lost acknowledged events is refused (or, by
// option, opened for reads only), never reopened for writing at positions acknowledged before.
#include "store/head_witness.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::FlipByteBehindTheStoresBack;
using testing::FlipWriteAheadLogByte;
using testing::OneEvent;
using testing::TempDir;

class HeadWitnessTest : public ::testing::Test {
 protected:
  // Appends `count` events, one acknowledged append each, and closes the store (its witness then
  // holds the last of them).
  void AppendAndClose(int count, bool sync = true) {
    Options options;
    options.sync = sync;
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(std::move(options), dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < count; ++i) {
      std::vector<StreamAppend> appends;
      appends.push_back(OneEvent(absl::StrCat("youth-", i % 7), ExpectedVersion::Any(),
                                 std::string(200, static_cast<char>('a' + i % 26))));
      ASSERT_TRUE((*store)->Append(std::move(appends)).ok());
    }
  }

  absl::StatusOr<std::unique_ptr<EventStore>> Open(bool damaged = false) {
    Options options;
    options.open_damaged = damaged;
    return EventStore::Open(std::move(options), dir_.path());
  }

  TempDir dir_;
};

TEST_F(HeadWitnessTest, AWriteAheadLogThatLostAcknowledgedEventsIsRefusedAtOpen) {
  AppendAndClose(100);
  // The case: one flipped byte in the newest WAL file; RocksDB replays up to it.
  ASSERT_TRUE(FlipWriteAheadLogByte(dir_.path(), 0.3).ok());
  absl::StatusOr<std::unique_ptr<EventStore>> refused = Open();
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  const std::string message(refused.status().message());
  EXPECT_TRUE(absl::StrContains(message, "lost acknowledged events")) << message;
  EXPECT_TRUE(absl::StrContains(message, "events up to position 100 were acknowledged"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "restore the last backup")) << message;

  // Opened for reads: the intact prefix is served, nothing is written over the lost positions.
  absl::StatusOr<std::unique_ptr<EventStore>> damaged = Open(/*damaged=*/true);
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  EventStore& store = **damaged;
  const uint64_t left = store.HeadPosition();
  EXPECT_LT(left, 100u);
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat("it ends at position ", left))) << message;
  EXPECT_EQ(store.WriteStatus().code(), absl::StatusCode::kDataLoss);
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent("youth-new", ExpectedVersion::Any()));
  EXPECT_EQ(store.Append(std::move(appends)).status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<std::vector<RecordedEvent>> read = store.ReadAll(1, Direction::kForward, 1000);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), left);
  for (uint64_t i = 0; i < left; ++i) EXPECT_EQ((*read)[i].position, i + 1);
  EXPECT_TRUE(store.Verify(0, UINT64_MAX).status.ok());
  damaged->reset();

  // The read-only opening kept the evidence: the next plain open still refuses.
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(HeadWitnessTest, AnotherEventAtTheWitnessedPositionIsRefusedAtOpen) {
  AppendAndClose(10);
  // The chain hash of the record at the witnessed position, rewritten with RocksDB's checksums.
  ASSERT_TRUE(FlipByteBehindTheStoresBack(dir_.path(), 10, 30).ok());
  absl::StatusOr<std::unique_ptr<EventStore>> refused = Open();
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "does not hold the event acknowledged at position 10"))
      << refused.status();
}

TEST_F(HeadWitnessTest, ATornWitnessFileFallsBackToTheOtherOne) {
  internal::HeadWitness witness(nullptr, dir_.path());
  ASSERT_TRUE(witness.Read().ok());
  ASSERT_TRUE(witness.Write(5, std::string(32, 'a')).ok());   // file 0
  ASSERT_TRUE(witness.Write(10, std::string(32, 'b')).ok());  // file 1
  absl::StatusOr<internal::HeadWitness::Record> record = witness.Read();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->position, 10u);
  EXPECT_EQ(record->hash, std::string(32, 'b'));
  EXPECT_EQ(record->damaged_files, 0);

  std::filesystem::resize_file(witness.FileName(1), 20);  // torn by a crash
  record = witness.Read();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->position, 5u);
  EXPECT_EQ(record->hash, std::string(32, 'a'));
  EXPECT_EQ(record->damaged_files, 1);

  // The next record goes to the torn file, leaving the intact one.
  ASSERT_TRUE(witness.Write(11, std::string(32, 'c')).ok());
  record = witness.Read();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->position, 11u);
  EXPECT_EQ(record->damaged_files, 0);
  std::filesystem::resize_file(witness.FileName(1), 0);
  record = witness.Read();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->position, 5u);
}

TEST_F(HeadWitnessTest, AStoreWithoutWitnessFilesOpensAsBefore) {
  AppendAndClose(3);
  internal::HeadWitness witness(nullptr, dir_.path());
  std::filesystem::remove(witness.FileName(0));
  std::filesystem::remove(witness.FileName(1));
  absl::StatusOr<std::unique_ptr<EventStore>> reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->HeadPosition(), 3u);
}

TEST_F(HeadWitnessTest, WithoutSyncNothingIsWitnessed) {
  AppendAndClose(3, /*sync=*/false);
  internal::HeadWitness witness(nullptr, dir_.path());
  absl::StatusOr<internal::HeadWitness::Record> record = witness.Read();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->position, 0u);
}

// A witness that cannot be written is counted (hotspotd's hotspot_store_witness_failures_total),
// tried again, and catches up once it can be written.
TEST_F(HeadWitnessTest, FailedWitnessWritesAreCountedAndTriedAgain) {
  absl::StatusOr<std::unique_ptr<EventStore>> opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EventStore& store = **opened;
  auto append = [&store] {
    std::vector<StreamAppend> appends;
    appends.push_back(OneEvent("youth-1", ExpectedVersion::Any()));
    ASSERT_TRUE(store.Append(std::move(appends)).ok());
  };
  auto until = [&store](const std::function<bool(const StoreStats&)>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!done(store.Stats()) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    return done(store.Stats());
  };
  append();
  ASSERT_TRUE(until([](const StoreStats& s) { return s.witnessed_position == 1; }));
  EXPECT_EQ(store.Stats().witness_failures, 0u);

  // Both witness files replaced by directories: every write of them fails.
  internal::HeadWitness witness(nullptr, dir_.path());
  for (int i : {0, 1}) {
    std::filesystem::remove(witness.FileName(i));
    std::filesystem::create_directory(witness.FileName(i));
  }
  append();
  ASSERT_TRUE(until([](const StoreStats& s) { return s.witness_failures >= 1; }));
  EXPECT_EQ(store.Stats().witnessed_position, 1u);

  for (int i : {0, 1}) std::filesystem::remove(witness.FileName(i));
  ASSERT_TRUE(until([](const StoreStats& s) { return s.witnessed_position == 2; }));
}

TEST_F(HeadWitnessTest, ReadsLimitedToAnIntactPrefixStopThereAndVerifyStillSeesTheRest) {
  AppendAndClose(10);
  absl::StatusOr<std::unique_ptr<EventStore>> opened = Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EventStore& store = **opened;
  EXPECT_EQ(store.LimitReadsTo(6).code(), absl::StatusCode::kFailedPrecondition);
  store.RefuseWrites(absl::DataLossError("the event log is broken at position 7"));
  ASSERT_TRUE(store.LimitReadsTo(6).ok());
  EXPECT_EQ(store.HeadPosition(), 6u);
  absl::StatusOr<std::vector<RecordedEvent>> read = store.ReadAll(1, Direction::kForward, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 6u);
  read = store.ReadAll(UINT64_MAX, Direction::kBackward, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_FALSE(read->empty());
  EXPECT_EQ(read->front().position, 6u);
  absl::StatusOr<std::unique_ptr<Subscription>> subscription = store.Subscribe(1, {});
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  absl::StatusOr<SubscriptionBatch> batch = (*subscription)->Next(100, absl::ZeroDuration());
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->events.size(), 6u);
  EXPECT_EQ(batch->checkpoint, 7u);
  EXPECT_TRUE(batch->caught_up);
  subscription->reset();
  EXPECT_EQ(store.Verify(0, UINT64_MAX).events_checked, 10u);
}

}  // namespace
}  // namespace hotspot::store
