#include <atomic>
#include <optional>
#include <thread>

#include "absl/synchronization/notification.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::OneEvent;
using testing::TempDir;

std::unique_ptr<EventStore> OpenStore(const TempDir& dir, Options options = Options()) {
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(std::move(options), dir.path());
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

// A store whose live buffer holds only `live_events`, so subscribers soon read from disk.
std::unique_ptr<EventStore> OpenWithSmallLiveBuffer(const TempDir& dir, size_t live_events) {
  Options options;
  options.sync = false;
  options.live_buffer_events = live_events;
  return OpenStore(dir, std::move(options));
}

std::vector<StreamAppend> One(std::string stream, std::string payload = "x") {
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent(std::move(stream), ExpectedVersion::Any(), std::move(payload)));
  return appends;
}

// Reads `sub` until it has seen position `last`, returning every position delivered.
std::vector<uint64_t> DrainUntil(Subscription& sub, uint64_t last, size_t batch_size = 500) {
  std::vector<uint64_t> seen;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while ((seen.empty() || seen.back() < last) && absl::Now() < give_up) {
    absl::StatusOr<SubscriptionBatch> batch = sub.Next(batch_size, absl::Milliseconds(100));
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) break;
    for (const auto& e : batch->events) seen.push_back(e->position);
  }
  return seen;
}

// Reads `sub` until a batch comes back empty and caught up, returning every position delivered.
std::vector<uint64_t> DrainAll(Subscription& sub) {
  std::vector<uint64_t> seen;
  for (;;) {
    absl::StatusOr<SubscriptionBatch> batch = sub.Next(100, absl::Milliseconds(10));
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok() || (batch->events.empty() && batch->caught_up)) return seen;
    for (const auto& e : batch->events) seen.push_back(e->position);
  }
}

void ExpectExactly(const std::vector<uint64_t>& seen, uint64_t from, uint64_t to) {
  ASSERT_EQ(seen.size(), to - from + 1);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], from + i) << "at index " << i;
}

// Starts in the backlog (part of it only on disk: the live buffer is small), crosses into live
// traffic while 8 writers append, and must see every position once, in order.
TEST(SubscriptionTest, BacklogIntoLiveWhileEightWritersAppend) {
  TempDir dir;
  auto store = OpenWithSmallLiveBuffer(dir, 256);
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(store->Append(One(absl::StrCat("pre-", i % 10))).ok());

  auto sub = *store->Subscribe(1, {});
  constexpr int kWriters = 8, kPerWriter = 1000;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i)
        ASSERT_TRUE(store->Append(One(absl::StrCat("w-", w))).ok());
    });
  }
  const uint64_t last = 3000 + kWriters * kPerWriter;
  std::vector<uint64_t> seen = DrainUntil(*sub, last, 97);
  for (auto& t : writers) t.join();
  ExpectExactly(seen, 1, last);
  EXPECT_EQ(sub->position(), last + 1);
}

// A subscriber that reads slowly falls out of the live buffer; it must not slow the writer and
// must still receive every event, from disk.
TEST(SubscriptionTest, SlowSubscriberFallsBackToDisk) {
  TempDir dir;
  auto store = OpenWithSmallLiveBuffer(dir, 64);
  auto sub = *store->Subscribe(1, {});
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 4000; ++i) ASSERT_TRUE(store->Append(One("s")).ok());
    writing = false;
  });
  std::vector<uint64_t> seen;
  while (seen.size() < 4000) {
    absl::StatusOr<SubscriptionBatch> batch = sub->Next(50, absl::Milliseconds(100));
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (const auto& e : batch->events) seen.push_back(e->position);
    if (writing) absl::SleepFor(absl::Milliseconds(1));
  }
  writer.join();
  ExpectExactly(seen, 1, 4000);
}

TEST(SubscriptionTest, FiltersAndResumeFromCheckpoint) {
  TempDir dir;
  auto store = OpenStore(dir);
  std::vector<uint64_t> youth_positions, special_positions, prefix_positions;
  for (int i = 0; i < 300; ++i) {
    const std::string stream = i % 3 == 0 ? absl::StrCat("youth-", i) : absl::StrCat("meeting-", i);
    std::vector<StreamAppend> appends = One(stream);
    if (i % 5 == 0) appends[0].events[0].type = "test.Special";
    absl::StatusOr<AppendResult> r = store->Append(std::move(appends));
    ASSERT_TRUE(r.ok());
    if (i % 3 == 0) youth_positions.push_back(r->positions[0]);
    if (i % 5 == 0) special_positions.push_back(r->positions[0]);
    if (stream.rfind("meeting-1", 0) == 0) prefix_positions.push_back(r->positions[0]);
  }

  // Read the youth category in small batches, dropping and resuming the subscription from each
  // batch's checkpoint.
  std::vector<uint64_t> seen;
  uint64_t checkpoint = 1;
  for (int round = 0; round < 1000 && seen.size() < youth_positions.size(); ++round) {
    auto sub = *store->Subscribe(checkpoint, {.categories = {"youth"}});
    absl::StatusOr<SubscriptionBatch> batch = sub->Next(7, absl::Milliseconds(10));
    ASSERT_TRUE(batch.ok());
    for (const auto& e : batch->events) {
      EXPECT_EQ(e->category(), "youth");
      seen.push_back(e->position);
    }
    ASSERT_GE(batch->checkpoint, checkpoint);
    checkpoint = batch->checkpoint;
  }
  EXPECT_EQ(seen, youth_positions);

  auto by_type = *store->Subscribe(0, {.event_types = {"test.Special"}});
  EXPECT_EQ(DrainAll(*by_type), special_positions);
  auto by_prefix = *store->Subscribe(0, {.stream_prefixes = {"meeting-1"}});
  EXPECT_EQ(DrainAll(*by_prefix), prefix_positions);
  auto nothing = *store->Subscribe(0, {.categories = {"escalation"}});
  EXPECT_TRUE(DrainAll(*nothing).empty());
  EXPECT_EQ(nothing->position(), 301u);  // examined everything though nothing matched
  EXPECT_EQ(store->Subscribe(0, {.categories = {"bad name"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubscriptionTest, TimeoutReturnsAnEmptyCaughtUpBatch) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_TRUE(store->Append(One("s")).ok());
  auto sub = *store->Subscribe(store->HeadPosition() + 1, {});
  absl::StatusOr<SubscriptionBatch> batch = sub->Next(10, absl::Milliseconds(20));
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->events.empty());
  EXPECT_TRUE(batch->caught_up);
  EXPECT_EQ(batch->checkpoint, 2u);
  EXPECT_EQ(sub->Next(0, absl::Milliseconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubscriptionTest, LiveEventWakesAWaitingSubscriber) {
  TempDir dir;
  auto store = OpenStore(dir);
  auto sub = *store->Subscribe(1, {});
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_TRUE(store->Append(One("s", "hello")).ok());
  });
  absl::StatusOr<SubscriptionBatch> batch = sub->Next(10, absl::Seconds(30));
  writer.join();
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0]->payload, "hello");
  EXPECT_TRUE(batch->caught_up);
}

TEST(SubscriptionTest, CancelWakesAWaitingNext) {
  TempDir dir;
  auto store = OpenStore(dir);
  auto sub = *store->Subscribe(1, {});
  const absl::Time start = absl::Now();
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(50));
    sub->Cancel();
  });
  absl::StatusOr<SubscriptionBatch> batch = sub->Next(10, absl::Seconds(30));
  canceller.join();
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(sub->Next(10, absl::Seconds(1)).status().code(), absl::StatusCode::kCancelled);
}


TEST(SubscriptionTest, OnReadyRunsOnceTheNextEventCommits) {
  TempDir dir;
  auto store = OpenStore(dir);
  ASSERT_TRUE(store->Append(One("s", "first")).ok());
  auto sub = *store->Subscribe(1, {});
  // An event at the cursor already: at once, on this thread.
  std::optional<absl::Status> now;
  sub->OnReady([&](absl::Status status) { now = status; });
  ASSERT_TRUE(now.has_value());
  EXPECT_TRUE(now->ok()) << *now;
  absl::StatusOr<SubscriptionBatch> batch = sub->Next(10, absl::ZeroDuration());
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_TRUE(batch->caught_up);
  // Caught up: not until the next commit, then with the event readable without waiting.
  absl::Notification ready;
  absl::Status status = absl::UnknownError("not run");
  sub->OnReady([&](absl::Status s) {
    status = s;
    ready.Notify();
  });
  EXPECT_FALSE(ready.HasBeenNotified());
  ASSERT_TRUE(store->Append(One("s", "second")).ok());
  ready.WaitForNotification();
  EXPECT_TRUE(status.ok()) << status;
  batch = sub->Next(10, absl::ZeroDuration());
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0]->payload, "second");
}

TEST(SubscriptionTest, OnReadyRunsWithCancelledOnCancelAndIsDroppedWithItsSubscription) {
  TempDir dir;
  auto store = OpenStore(dir);
  auto sub = *store->Subscribe(1, {});
  std::optional<absl::Status> status;
  sub->OnReady([&](absl::Status s) { status = s; });
  EXPECT_FALSE(status.has_value());
  sub->Cancel();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), absl::StatusCode::kCancelled);
  // After Cancel(): at once, CANCELLED.
  status.reset();
  sub->OnReady([&](absl::Status s) { status = s; });
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), absl::StatusCode::kCancelled);
  // A destroyed subscription's callback never runs; the commit after it wakes nobody.
  auto other = *store->Subscribe(1, {});
  bool ran = false;
  other->OnReady([&](absl::Status) { ran = true; });
  other.reset();
  ASSERT_TRUE(store->Append(One("s")).ok());
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace hotspot::store
