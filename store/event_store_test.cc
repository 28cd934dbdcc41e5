#include "store/event_store.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "store/record_codec.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::MakeEvent;
using testing::DamageBehindTheStoresBack;
using testing::FlipByteBehindTheStoresBack;
using testing::OneEvent;
using testing::PositionKey;
using testing::TempDir;
using Kind = ExpectedVersion::Kind;

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(Options options = Options()) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(std::move(options), dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  AppendResult MustAppend(std::vector<StreamAppend> appends) {
    absl::StatusOr<AppendResult> result = store_->Append(std::move(appends));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AppendResult();
  }

  std::vector<StreamAppend> One(std::string stream,
                                ExpectedVersion expected = ExpectedVersion::Any(),
                                std::string payload = "x") {
    std::vector<StreamAppend> appends;
    appends.push_back(OneEvent(std::move(stream), expected, std::move(payload)));
    return appends;
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, ExpectedVersionMatrix) {
  MustAppend(One("existing"));
  MustAppend(One("existing"));  // head version 2

  struct Case {
    const char* stream;
    ExpectedVersion expected;
    bool ok;
  };
  const Case cases[] = {
      {"fresh", ExpectedVersion::Any(), true},
      {"fresh", ExpectedVersion::NoStream(), true},
      {"fresh", ExpectedVersion::StreamExists(), false},
      {"fresh", ExpectedVersion::Exactly(0), true},
      {"fresh", ExpectedVersion::Exactly(1), false},
      {"existing", ExpectedVersion::Any(), true},
      {"existing", ExpectedVersion::NoStream(), false},
      {"existing", ExpectedVersion::StreamExists(), true},
      {"existing", ExpectedVersion::Exactly(2), true},
      {"existing", ExpectedVersion::Exactly(1), false},
      {"existing", ExpectedVersion::Exactly(3), false},
  };
  for (const Case& c : cases) {
    // Each case runs against a store where "fresh" does not exist and "existing" is at 2.
    SCOPED_TRACE(absl::StrCat(c.stream, " expecting ", c.expected.ToString()));
    TempDir dir;
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(Options(), dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(One("existing")).ok());
    ASSERT_TRUE((*store)->Append(One("existing")).ok());
    const uint64_t head = (*store)->HeadPosition();
    absl::StatusOr<AppendResult> result = (*store)->Append(One(c.stream, c.expected));
    if (c.ok) {
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->positions, std::vector<uint64_t>{head + 1});
      EXPECT_FALSE(result->duplicate);
    } else {
      ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted);
      const uint64_t actual = std::string(c.stream) == "existing" ? 2 : 0;
      EXPECT_NE(result.status().message().find(c.stream), absl::string_view::npos)
          << result.status();
      EXPECT_NE(result.status().message().find(absl::StrCat("actual version ", actual)),
                absl::string_view::npos)
          << result.status();
      EXPECT_EQ((*store)->HeadPosition(), head);
    }
  }
}

TEST_F(EventStoreTest, MultiStreamAppendIsContiguousAndVersioned) {
  MustAppend(One("agency-1"));
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent("meeting-1", ExpectedVersion::NoStream()));
  appends[0].events.push_back(MakeEvent("second"));
  appends.push_back(OneEvent("commitment-1", ExpectedVersion::NoStream()));
  appends.push_back({"agency-1", ExpectedVersion::Exactly(1), {}});  // checked, not written
  const AppendResult result = MustAppend(std::move(appends));
  EXPECT_EQ(result.positions, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(result.stream_versions, (std::vector<uint64_t>{2, 1, 1}));
  EXPECT_EQ(store_->HeadPosition(), 4u);
  EXPECT_EQ(*store_->StreamVersion("meeting-1"), 2u);
  EXPECT_EQ(*store_->StreamVersion("agency-1"), 1u);
}

TEST_F(EventStoreTest, OneFailingExpectationWritesNothing) {
  MustAppend(One("agency-1"));
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent("meeting-1", ExpectedVersion::NoStream()));
  appends.push_back(OneEvent("commitment-1", ExpectedVersion::NoStream()));
  appends.push_back({"agency-1", ExpectedVersion::Exactly(7), {}});
  absl::StatusOr<AppendResult> result = store_->Append(std::move(appends));
  ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
  EXPECT_NE(result.status().message().find("agency-1"), absl::string_view::npos);
  EXPECT_EQ(store_->HeadPosition(), 1u);
  EXPECT_EQ(*store_->StreamVersion("meeting-1"), 0u);
  EXPECT_EQ(*store_->StreamVersion("commitment-1"), 0u);
  EXPECT_TRUE(store_->ReadStream("meeting-1", 0, Direction::kForward, 10)->empty());
  // The next append takes the next position: the failed one used none.
  EXPECT_EQ(MustAppend(One("meeting-1")).positions, std::vector<uint64_t>{2});
}

TEST_F(EventStoreTest, IdempotentRetryBeforeAndAfterRestart) {
  std::vector<StreamAppend> call;
  call.push_back(OneEvent("youth-1", ExpectedVersion::NoStream(), "referred"));
  call[0].events.push_back(MakeEvent("screened"));
  call.push_back(OneEvent("meeting-1", ExpectedVersion::NoStream(), "decided"));
  for (auto& stream : call)
    for (auto& event : stream.events) event.id = EventId::Generate();

  const AppendResult first = MustAppend(call);
  EXPECT_FALSE(first.duplicate);
  MustAppend(One("other"));
  const uint64_t head = store_->HeadPosition();

  // The retry's NoStream expectations no longer hold, yet it succeeds with the original answer.
  const AppendResult retry = MustAppend(call);
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.positions, first.positions);
  EXPECT_EQ(retry.stream_versions, first.stream_versions);
  EXPECT_EQ(store_->HeadPosition(), head);

  Reopen();
  const AppendResult after_restart = MustAppend(call);
  EXPECT_TRUE(after_restart.duplicate);
  EXPECT_EQ(after_restart.positions, first.positions);
  EXPECT_EQ(store_->HeadPosition(), head);
  EXPECT_EQ(store_->ReadStream("youth-1", 0, Direction::kForward, 10)->size(), 2u);
}

TEST_F(EventStoreTest, FindEventGivesThePositionOfAStoredId) {
  std::vector<StreamAppend> call = One("youth-1");
  call[0].events.push_back(MakeEvent("second"));
  call[0].events[1].id = EventId::Generate();
  const AppendResult result = MustAppend(call);
  EXPECT_EQ(*store_->FindEvent(call[0].events[1].id), result.positions[1]);
  EXPECT_EQ(*store_->FindEvent(EventId::Generate()), std::nullopt);
  Reopen();
  EXPECT_EQ(*store_->FindEvent(call[0].events[1].id), result.positions[1]);
}

TEST_F(EventStoreTest, BeforeWriteRunsBeforeEveryGroupAndItsErrorFailsTheAppend) {
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  Options options;
  options.before_write = [&]() -> absl::Status {
    ++calls;
    return fail ? absl::InternalError("the key store could not sync") : absl::OkStatus();
  };
  Reopen(std::move(options));
  MustAppend(One("youth-1"));
  absl::Notification done;
  store_->AppendAsync(One("youth-1"), [&](absl::StatusOr<AppendResult> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_GE(calls.load(), 2);

  fail = true;
  const absl::StatusOr<AppendResult> failed = store_->Append(One("youth-1"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  EXPECT_EQ(*store_->StreamVersion("youth-1"), 2u);  // nothing of it is published
}

// on_commit reports each durable commit before its callers are answered: every event appended
// is counted once, with the sync that made it durable, and so is every append call. It names
// the events it published, in position order.
TEST_F(EventStoreTest, OnCommitCountsWhatEachCommitMadeDurable) {
  absl::Mutex mu;
  std::vector<CommitInfo> commits;
  std::vector<std::pair<uint64_t, std::string>> published;  // position, stream
  Options options;
  options.on_commit = [&](const CommitInfo& info) {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(info.published.size(), info.events);
    for (const RecordedEvent* event : info.published) {
      published.emplace_back(event->position, event->stream);
    }
    commits.push_back(info);
    commits.back().published.clear();  // valid during the call only
  };
  Reopen(std::move(options));
  std::vector<StreamAppend> two = One("youth-1");
  two.push_back(OneEvent("youth-2", ExpectedVersion::Any()));
  MustAppend(std::move(two));
  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(commits.size(), 1u);
    EXPECT_EQ(commits[0].appends, 1u);
    EXPECT_EQ(commits[0].events, 2u);
    EXPECT_GT(commits[0].sync_time, absl::ZeroDuration());
    EXPECT_EQ(published,
              (std::vector<std::pair<uint64_t, std::string>>{{1, "youth-1"}, {2, "youth-2"}}));
  }
  constexpr int kAppends = 40;
  std::atomic<int> done{0};
  for (int i = 0; i < kAppends; ++i) {
    store_->AppendAsync(One(absl::StrCat("youth-", i)),
                        [&](absl::StatusOr<AppendResult> r) { done += r.ok(); });
  }
  store_.reset();  // completes them all
  EXPECT_EQ(done.load(), kAppends);
  size_t appends = 0, events = 0;
  absl::MutexLock lock(&mu);
  for (const CommitInfo& c : commits) {
    appends += c.appends;
    events += c.events;
  }
  EXPECT_EQ(appends, 1u + kAppends);
  EXPECT_EQ(events, 2u + kAppends);
  ASSERT_EQ(published.size(), 2u + kAppends);
  for (size_t i = 0; i < published.size(); ++i) EXPECT_EQ(published[i].first, i + 1);
}

TEST_F(EventStoreTest, LiveSubscribersSeeTheTimesExactlyAsStored) {
  auto subscription = *store_->Subscribe(store_->HeadPosition() + 1, SubscriptionFilter());
  std::vector<StreamAppend> call = One("youth-1");
  call[0].events[0].metadata.occurred_at = absl::FromUnixNanos(1'700'000'000'123'456'789);
  MustAppend(call);
  const SubscriptionBatch live = *subscription->Next(10, absl::Seconds(5));
  ASSERT_EQ(live.events.size(), 1u);
  const std::vector<RecordedEvent> stored =
      *store_->ReadStream("youth-1", 0, Direction::kForward, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(live.events[0]->metadata.occurred_at, stored[0].metadata.occurred_at);
  EXPECT_EQ(live.events[0]->recorded_at, stored[0].recorded_at);
  EXPECT_EQ(stored[0].metadata.occurred_at, absl::FromUnixMicros(1'700'000'000'123'456));
}

TEST_F(EventStoreTest, ReusedIdWithOtherContentIsAlreadyExists) {
  std::vector<StreamAppend> call = One("youth-1");
  call[0].events[0].id = EventId::Generate();
  MustAppend(call);

  for (int variant = 0; variant < 4; ++variant) {
    std::vector<StreamAppend> changed = call;
    ProposedEvent& event = changed[0].events[0];
    switch (variant) {
      case 0:
        event.payload = "other";
        break;
      case 1:
        event.type = "test.Other";
        break;
      case 2:
        event.metadata.actor = "someone";
        break;
      case 3:
        changed[0].stream = "youth-2";
        break;
    }
    absl::StatusOr<AppendResult> result = store_->Append(changed);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists) << variant;
    Reopen();  // and the same after a restart
    EXPECT_EQ(store_->Append(changed).status().code(), absl::StatusCode::kAlreadyExists) << variant;
  }
  EXPECT_EQ(store_->HeadPosition(), 1u);

  // A call that repeats one stored event next to a new one is rejected, not half-applied.
  std::vector<StreamAppend> partial = call;
  ProposedEvent fresh = MakeEvent("new");
  fresh.id = EventId::Generate();
  partial[0].events.push_back(fresh);
  EXPECT_EQ(store_->Append(partial).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->HeadPosition(), 1u);
}

TEST_F(EventStoreTest, ConcurrentRetriesOfOneCallWriteOnce) {
  std::vector<StreamAppend> call = One("youth-1", ExpectedVersion::NoStream());
  call[0].events[0].id = EventId::Generate();
  std::vector<std::thread> threads;
  absl::Mutex mu;
  std::vector<AppendResult> results;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<AppendResult> r = store_->Append(call);
      ASSERT_TRUE(r.ok()) << r.status();
      absl::MutexLock lock(&mu);
      results.push_back(*r);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->HeadPosition(), 1u);
  EXPECT_EQ(std::count_if(results.begin(), results.end(), [](auto& r) { return !r.duplicate; }), 1);
  for (auto& r : results) EXPECT_EQ(r.positions, std::vector<uint64_t>{1});
}

TEST_F(EventStoreTest, SixtyFourThreadsWithRandomConflictsGetContiguousPositions) {
  Options options;
  options.sync = false;  // the ordering logic is what is under test here, not the disk
  Reopen(std::move(options));
  constexpr int kThreads = 64;
  constexpr int kAppendsPerThread = 150;
  constexpr int kStreams = 8;  // few streams: many conflicts
  absl::Mutex mu;
  std::vector<uint64_t> acknowledged;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      absl::BitGen gen;
      for (int i = 0; i < kAppendsPerThread; ++i) {
        const std::string stream = absl::StrCat("s-", absl::Uniform(gen, 0, kStreams));
        // Guess the head: right sometimes, wrong often.
        const uint64_t seen = *store_->StreamVersion(stream);
        const ExpectedVersion expected =
            absl::Bernoulli(gen, 0.2) ? ExpectedVersion::Any() : ExpectedVersion::Exactly(seen);
        std::vector<StreamAppend> appends;
        appends.push_back(OneEvent(stream, expected, absl::StrCat(t, "/", i)));
        if (absl::Bernoulli(gen, 0.3))
          appends.push_back(OneEvent(absl::StrCat("own-", t), ExpectedVersion::Any()));
        absl::StatusOr<AppendResult> r = store_->Append(std::move(appends));
        if (!r.ok()) {
          ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
          ++conflicts;
          continue;
        }
        absl::MutexLock lock(&mu);
        acknowledged.insert(acknowledged.end(), r->positions.begin(), r->positions.end());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(conflicts.load(), 0);
  std::sort(acknowledged.begin(), acknowledged.end());
  ASSERT_EQ(acknowledged.size(), store_->HeadPosition());
  for (size_t i = 0; i < acknowledged.size(); ++i) ASSERT_EQ(acknowledged[i], i + 1);

  // The log reads back gap-free and every stream's versions are 1..n.
  std::map<std::string, uint64_t> versions;
  uint64_t next = 1;
  while (next <= store_->HeadPosition()) {
    absl::StatusOr<std::vector<RecordedEvent>> events =
        store_->ReadAll(next, Direction::kForward, 1000);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const RecordedEvent& e : *events) {
      ASSERT_EQ(e.position, next++);
      ASSERT_EQ(e.stream_version, ++versions[e.stream]) << e.stream;
    }
  }
  const VerifyReport report = store_->Verify(0, UINT64_MAX);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, store_->HeadPosition());
}

TEST_F(EventStoreTest, ReadsInBothDirections) {
  for (int i = 1; i <= 5; ++i) {
    MustAppend(One("a", ExpectedVersion::Any(), absl::StrCat("a", i)));
    MustAppend(One("b", ExpectedVersion::Any(), absl::StrCat("b", i)));
  }
  auto payloads = [](const std::vector<RecordedEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.payload);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(payloads(*store_->ReadStream("a", 0, Direction::kForward, 100)),
            (V{"a1", "a2", "a3", "a4", "a5"}));
  EXPECT_EQ(payloads(*store_->ReadStream("a", 2, Direction::kForward, 2)), (V{"a2", "a3"}));
  EXPECT_EQ(payloads(*store_->ReadStream("b", UINT64_MAX, Direction::kBackward, 3)),
            (V{"b5", "b4", "b3"}));
  EXPECT_EQ(payloads(*store_->ReadStream("b", 2, Direction::kBackward, 10)), (V{"b2", "b1"}));
  EXPECT_TRUE(store_->ReadStream("a", 6, Direction::kForward, 10)->empty());
  EXPECT_TRUE(store_->ReadStream("nobody", 0, Direction::kForward, 10)->empty());
  // "a" must not read into a stream whose name merely starts with it.
  MustAppend(One("a-longer"));
  EXPECT_EQ(store_->ReadStream("a", UINT64_MAX, Direction::kBackward, 100)->size(), 5u);

  EXPECT_EQ(payloads(*store_->ReadAll(0, Direction::kForward, 3)), (V{"a1", "b1", "a2"}));
  EXPECT_EQ(payloads(*store_->ReadAll(9, Direction::kForward, 5)), (V{"a5", "b5", "x"}));
  EXPECT_EQ(payloads(*store_->ReadAll(UINT64_MAX, Direction::kBackward, 2)), (V{"x", "b5"}));
  EXPECT_EQ(payloads(*store_->ReadAll(2, Direction::kBackward, 5)), (V{"b1", "a1"}));
  EXPECT_EQ(store_->ReadAll(0, Direction::kForward, 0).status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(payloads(*store_->ReadPositions({7, 2, 11})), (V{"a4", "b1", "x"}));
  EXPECT_TRUE(store_->ReadPositions({})->empty());
  EXPECT_EQ(store_->ReadPositions({3, 12}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadPositions({0}).status().code(), absl::StatusCode::kInvalidArgument);

  const RecordedEvent e = (*store_->ReadStream("b", 3, Direction::kForward, 1))[0];
  EXPECT_EQ(e.position, 6u);
  EXPECT_EQ(e.stream, "b");
  EXPECT_EQ(e.stream_version, 3u);
  EXPECT_EQ(e.type, "test.Event");
  EXPECT_EQ(e.hash.size(), 32u);
}

TEST_F(EventStoreTest, MetadataAndTimesAreKept) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  Options options;
  options.clock = [&now] { return now; };
  Reopen(std::move(options));
  std::vector<StreamAppend> call = One("youth-1");
  ProposedEvent& event = call[0].events[0];
  event.metadata.actor = "person:chief";
  event.metadata.correlation_id = "corr-1";
  event.metadata.causation_id = "cmd-1";
  event.metadata.occurred_at = absl::FromUnixSeconds(1'700'000'000);
  MustAppend(call);
  now -= absl::Hours(1);  // a clock that steps back does not make recorded_at go back
  MustAppend(One("youth-1"));

  std::vector<RecordedEvent> events = *store_->ReadStream("youth-1", 0, Direction::kForward, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].metadata.actor, "person:chief");
  EXPECT_EQ(events[0].metadata.correlation_id, "corr-1");
  EXPECT_EQ(events[0].metadata.causation_id, "cmd-1");
  EXPECT_EQ(events[0].metadata.occurred_at, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ(events[0].recorded_at, absl::FromUnixSeconds(1'800'000'000));
  EXPECT_EQ(events[1].recorded_at, events[0].recorded_at);
  EXPECT_EQ(events[1].metadata.occurred_at, events[1].recorded_at);
}

TEST_F(EventStoreTest, RestartRecoversHeadsAndNextPosition) {
  MustAppend(One("youth-1"));
  MustAppend(One("youth-1"));
  MustAppend(One("youth-2"));
  Reopen();
  EXPECT_EQ(store_->HeadPosition(), 3u);
  EXPECT_EQ(*store_->StreamVersion("youth-1"), 2u);
  EXPECT_EQ(*store_->StreamVersion("youth-2"), 1u);
  EXPECT_EQ(store_->Append(One("youth-2", ExpectedVersion::NoStream())).status().code(),
            absl::StatusCode::kAborted);
  const AppendResult next = MustAppend(One("youth-1", ExpectedVersion::Exactly(2)));
  EXPECT_EQ(next.positions, std::vector<uint64_t>{4});
  EXPECT_EQ(next.stream_versions, std::vector<uint64_t>{3});
  // The chain continues across the restart.
  EXPECT_TRUE(store_->Verify(0, UINT64_MAX).status.ok());
}

TEST_F(EventStoreTest, VerifyFindsASingleFlippedByte) {
  for (int i = 0; i < 20; ++i)
    MustAppend(One(absl::StrCat("s-", i % 3), ExpectedVersion::Any(), std::string(300, 'p')));
  ASSERT_TRUE(store_->Verify(0, UINT64_MAX).status.ok());
  // Offsets in the header (stream version), the stored hash, the previous hash it names, the
  // event id, and the payload.
  for (size_t offset : {size_t{12}, size_t{40}, size_t{60}, size_t{95}, size_t{200}}) {
    SCOPED_TRACE(offset);
    TempDir copy_dir;
    const absl::StatusOr<uint64_t> copied = store_->Checkpoint(copy_dir.Sub("db"));
    ASSERT_TRUE(copied.ok()) << copied.status();
    EXPECT_EQ(*copied, 20u);  // its head
    ASSERT_TRUE(FlipByteBehindTheStoresBack(copy_dir.Sub("db"), 13, offset).ok());
    absl::StatusOr<std::unique_ptr<EventStore>> damaged =
        EventStore::Open(Options(), copy_dir.Sub("db"));
    ASSERT_TRUE(damaged.ok()) << damaged.status();
    const VerifyReport report = (*damaged)->Verify(0, UINT64_MAX);
    EXPECT_EQ(report.status.code(), absl::StatusCode::kDataLoss) << report.status;
    ASSERT_TRUE(report.first_broken_position.has_value());
    EXPECT_EQ(*report.first_broken_position, 13u);
    EXPECT_EQ(report.events_checked, 12u);
    EXPECT_NE(report.status.message().find("position 13"), absl::string_view::npos);
    // A range that ends before the damage still verifies.
    EXPECT_TRUE((*damaged)->Verify(1, 12).status.ok());
  }
}

// Issue 15 §3: VerifyLog covers the stream index and the event-id index too: an entry that is
// missing or points elsewhere is DATA_LOSS naming the index and the event's position.
TEST_F(EventStoreTest, VerifyFindsABrokenStreamOrEventIdIndexEntry) {
  for (int i = 0; i < 20; ++i) MustAppend(One(absl::StrCat("s-", i % 3)));
  absl::StatusOr<std::vector<RecordedEvent>> thirteenth =
      store_->ReadAll(13, Direction::kForward, 1);
  ASSERT_TRUE(thirteenth.ok() && thirteenth->size() == 1u);
  const RecordedEvent& event = (*thirteenth)[0];
  struct Damage {
    const char* family;
    std::string key;
    std::function<bool(std::string&)> change;
    const char* says;
  } damages[] = {
      {"streams", internal::StreamKey(event.stream, event.stream_version),
       [](std::string& v) {
         v = PositionKey(12);
         return true;
       },
       "stream index broken at position 13: "},
      {"streams", internal::StreamKey(event.stream, event.stream_version),
       [](std::string&) { return false; }, "stream index broken at position 13: "},
      {"event_ids", std::string(event.id.bytes()),
       [](std::string& v) {
         v[v.size() - 1] ^= 0x01;  // the content digest
         return true;
       },
       "event-id index broken at position 13: "},
      {"event_ids", std::string(event.id.bytes()), [](std::string&) { return false; },
       "event-id index broken at position 13: "},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.says);
    TempDir copy_dir;
    ASSERT_TRUE(store_->Checkpoint(copy_dir.Sub("db")).ok());
    ASSERT_TRUE(
        DamageBehindTheStoresBack(copy_dir.Sub("db"), damage.family, damage.key, damage.change)
            .ok());
    absl::StatusOr<std::unique_ptr<EventStore>> damaged =
        EventStore::Open(Options(), copy_dir.Sub("db"));
    ASSERT_TRUE(damaged.ok()) << damaged.status();
    const VerifyReport report = (*damaged)->Verify(0, UINT64_MAX);
    EXPECT_EQ(report.status.code(), absl::StatusCode::kDataLoss) << report.status;
    EXPECT_TRUE(absl::StartsWith(report.status.message(), damage.says)) << report.status;
    EXPECT_EQ(report.first_broken_position, std::optional<uint64_t>(13));
    EXPECT_EQ(report.events_checked, 12u);
    EXPECT_TRUE((*damaged)->Verify(1, 12).status.ok());
  }
}

// Every read is checked (issue 15 §3): a record rewritten behind the store's back, whole (so
// RocksDB's own checksums hold), is never served: ReadAll, ReadStream, ReadPositions and a
// subscription's backlog answer DATA_LOSS naming its position, while reads that do not include
// it go on.
TEST_F(EventStoreTest, EveryReadChecksTheRecordsHash) {
  for (int i = 0; i < 20; ++i) {
    MustAppend(One(absl::StrCat("s-", i % 3), ExpectedVersion::Any(), std::string(300, 'p')));
  }
  absl::StatusOr<std::vector<RecordedEvent>> thirteenth = store_->ReadAll(13, Direction::kForward, 1);
  ASSERT_TRUE(thirteenth.ok() && thirteenth->size() == 1u) << thirteenth.status();
  const std::string stream = (*thirteenth)[0].stream;
  TempDir copy_dir;
  ASSERT_TRUE(store_->Checkpoint(copy_dir.Sub("db")).ok());
  ASSERT_TRUE(FlipByteBehindTheStoresBack(copy_dir.Sub("db"), 13, 200).ok());  // its payload
  absl::StatusOr<std::unique_ptr<EventStore>> opened =
      EventStore::Open(Options(), copy_dir.Sub("db"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EventStore& damaged = **opened;
  auto expect_damaged = [](const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_NE(status.message().find("position 13 does not match its stored hash"),
              absl::string_view::npos)
        << status;
  };
  expect_damaged(damaged.ReadAll(1, Direction::kForward, 100).status());
  expect_damaged(damaged.ReadAll(20, Direction::kBackward, 100).status());
  expect_damaged(damaged.ReadStream(stream, 1, Direction::kForward, 100).status());
  expect_damaged(damaged.ReadPositions({2, 13}).status());
  absl::StatusOr<std::unique_ptr<Subscription>> subscription = damaged.Subscribe(1, {});
  ASSERT_TRUE(subscription.ok());
  absl::StatusOr<SubscriptionBatch> batch = (*subscription)->Next(100, absl::ZeroDuration());
  // The backlog is read in batches: what comes before the damage may come first.
  while (batch.ok() && !batch->events.empty() && batch->events.back()->position < 12) {
    batch = (*subscription)->Next(100, absl::ZeroDuration());
  }
  expect_damaged(batch.status());
  // What does not include it is served.
  absl::StatusOr<std::vector<RecordedEvent>> before = damaged.ReadAll(1, Direction::kForward, 12);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->size(), 12u);
  absl::StatusOr<std::vector<RecordedEvent>> after = damaged.ReadAll(14, Direction::kForward, 100);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), 7u);
  EXPECT_TRUE(damaged.ReadPositions({1, 14, 20}).ok());
}

// Logs written before record format 3 hold records of format 1 (no previous hash in them) or 2
// (no area): such a log opens, is marked format 3, goes on in format 3, and every read checks the
// records of both formats (a format-1 record's with its predecessor read as well); an old record
// has no area (nullopt), a new one the area it was written with.
class OldFormatTest : public EventStoreTest, public ::testing::WithParamInterface<int> {};

TEST_P(OldFormatTest, ALogOfAnOldFormatIsReadCheckedAndVerifiedAndGoesOnInFormat3) {
  const auto old_format = static_cast<uint8_t>(GetParam());
  for (int i = 0; i < 10; ++i) {
    MustAppend(One(absl::StrCat("s-", i % 3), ExpectedVersion::Any(), std::string(100, 'p')));
  }
  store_.reset();
  const auto to_old = [old_format](std::string& value) {
    absl::StatusOr<internal::RecordView> view = internal::ParseRecord(value);
    if (!view.ok() || view->format != internal::kFormatVersion || !view->header.area.empty()) {
      return false;
    }
    value = internal::EncodeRecord(view->header, view->previous_hash, view->chain_hash,
                                   view->content, old_format);
    return true;
  };
  for (uint64_t p = 1; p <= 10; ++p) {
    ASSERT_TRUE(DamageBehindTheStoresBack(dir_.path(), "log", PositionKey(p), to_old).ok());
  }
  const auto format_of = [this](const std::string& family, const std::string& key) {
    std::string seen;
    EXPECT_TRUE(DamageBehindTheStoresBack(dir_.path(), family, key, [&seen](std::string& value) {
                  seen = value;
                  return true;  // left as it is
                }).ok());
    return seen.empty() ? -1 : static_cast<int>(seen[0]);
  };
  ASSERT_TRUE(DamageBehindTheStoresBack(dir_.path(), "default", "format_version",
                                        [old_format](std::string& value) {
                                          value = std::string(1, static_cast<char>(old_format));
                                          return true;
                                        })
                  .ok());
  ASSERT_EQ(format_of("log", PositionKey(4)), old_format);
  Reopen();
  for (int i = 10; i < 15; ++i) {
    std::vector<StreamAppend> append =
        One(absl::StrCat("s-", i % 3), ExpectedVersion::Any(), std::string(100, 'p'));
    append[0].events[0].area = i % 2 == 0 ? "area-7" : "";
    MustAppend(std::move(append));
  }
  store_.reset();
  EXPECT_EQ(format_of("default", "format_version"), 3);
  EXPECT_EQ(format_of("log", PositionKey(10)), old_format);
  EXPECT_EQ(format_of("log", PositionKey(11)), 3);
  Reopen();
  absl::StatusOr<std::vector<RecordedEvent>> all = store_->ReadAll(1, Direction::kForward, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 15u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ((*all)[i].area, std::nullopt) << i;
  for (size_t i = 10; i < 15; ++i) {
    EXPECT_EQ((*all)[i].area, std::optional<std::string>(i % 2 == 0 ? "area-7" : "")) << i;
  }
  absl::StatusOr<std::vector<RecordedEvent>> scattered = store_->ReadPositions({1, 4, 10, 11, 13, 15});
  ASSERT_TRUE(scattered.ok()) << scattered.status();
  EXPECT_EQ((*scattered)[2].hash, (*all)[9].hash);
  EXPECT_EQ((*scattered)[3].payload, std::string(100, 'p'));
  EXPECT_EQ((*scattered)[3].area, std::optional<std::string>("area-7"));
  ASSERT_TRUE(store_->ReadStream("s-1", 1, Direction::kForward, 100).ok());
  const VerifyReport report = store_->Verify(0, UINT64_MAX);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, 15u);

  // A damaged record of either format is refused; the others are served.
  store_.reset();
  ASSERT_TRUE(FlipByteBehindTheStoresBack(dir_.path(), 4, 150).ok());
  ASSERT_TRUE(FlipByteBehindTheStoresBack(dir_.path(), 13, 150).ok());
  Reopen();
  EXPECT_EQ(store_->ReadPositions({4}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->ReadPositions({13}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store_->ReadPositions({1, 5, 11, 14}).ok());
}

INSTANTIATE_TEST_SUITE_P(Formats1And2, OldFormatTest, ::testing::Values(1, 2));

// The area is in the record's header under the chain hash: it reads back as written (live and
// from disk), a changed area breaks the record's hash, and a bad one is refused naming the field.
// It is not part of the content digest: a retry differing only in it is the same append.
TEST_F(EventStoreTest, AnEventsAreaIsInItsRecordsHeaderUnderTheChainHash) {
  std::vector<RecordedEvent> live;
  std::vector<StreamAppend> append = One("s-1", ExpectedVersion::Any(), "payload");
  append[0].events[0].id = EventId::Generate();
  append[0].events[0].area = "area-42";
  const std::vector<StreamAppend> retry = append;
  MustAppend(std::move(append));
  MustAppend(One("s-2"));
  absl::StatusOr<std::vector<RecordedEvent>> read = store_->ReadPositions({1, 2});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)[0].area, std::optional<std::string>("area-42"));
  EXPECT_EQ((*read)[1].area, std::optional<std::string>(""));

  std::vector<StreamAppend> again = retry;
  again[0].events[0].area = "area-43";
  absl::StatusOr<AppendResult> retried = store_->Append(std::move(again));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(retried->positions, std::vector<uint64_t>{1});

  std::vector<StreamAppend> bad = One("s-3");
  bad[0].events[0].area = "area 9";
  const absl::Status refused = store_->Append(std::move(bad)).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("appends[0].events[0].area"), absl::string_view::npos)
      << refused;
  std::vector<StreamAppend> long_area = One("s-3");
  long_area[0].events[0].area = std::string(kMaxAreaBytes + 1, 'a');
  EXPECT_EQ(store_->Append(std::move(long_area)).status().code(),
            absl::StatusCode::kInvalidArgument);

  store_.reset();
  ASSERT_TRUE(DamageBehindTheStoresBack(dir_.path(), "log", PositionKey(1),
                                        [](std::string& value) {
                                          const size_t at = value.find("area-42");
                                          if (at == std::string::npos) return false;
                                          value[at + 6] = '3';
                                          return true;
                                        })
                  .ok());
  Reopen();
  EXPECT_EQ(store_->ReadPositions({1}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->Verify(0, UINT64_MAX).first_broken_position, std::optional<uint64_t>(1));
}

// A format-2 record names its predecessor's hash, and a read of it alone checks its hash from
// that: a record whose named previous hash was changed (its own hash left) is refused by every
// read, and VerifyLog, which knows the real predecessor, says so.
TEST_F(EventStoreTest, ARecordNamingAnotherPredecessorsHashIsRefused) {
  for (int i = 0; i < 20; ++i) MustAppend(One(absl::StrCat("s-", i % 3)));
  store_.reset();
  ASSERT_TRUE(DamageBehindTheStoresBack(dir_.path(), "log", PositionKey(13),
                                        [](std::string& value) {
                                          value[1 + 24 + internal::kHashBytes + 5] ^= 0x01;
                                          return true;
                                        })
                  .ok());
  Reopen();
  const absl::Status alone = store_->ReadPositions({13}).status();
  EXPECT_EQ(alone.code(), absl::StatusCode::kDataLoss) << alone;
  EXPECT_NE(alone.message().find("position 13 does not match its stored hash"),
            absl::string_view::npos);
  EXPECT_EQ(store_->ReadAll(12, Direction::kForward, 2).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store_->ReadPositions({12, 14}).ok());
  const VerifyReport report = store_->Verify(0, UINT64_MAX);
  EXPECT_EQ(report.first_broken_position, std::optional<uint64_t>(13));
  EXPECT_EQ(report.status.message(),
            "hash chain broken at position 13: the event does not name its predecessor's hash");
}

// A log found broken is refused writes for good (RefuseWrites): every append fails with the
// reason, reads go on, and the store does not resume by itself as it does after an I/O error.
TEST_F(EventStoreTest, RefusedWritesStayRefusedAndReadsGoOn) {
  for (int i = 0; i < 3; ++i) MustAppend(One(absl::StrCat("s-", i)));
  const absl::Status why = absl::DataLossError("the event log is broken: at position 2");
  store_->RefuseWrites(why);
  EXPECT_EQ(store_->WriteStatus(), why);
  for (int i = 0; i < 3; ++i) {
    const absl::StatusOr<AppendResult> refused = store_->Append(One("after"));
    EXPECT_EQ(refused.status(), why);
  }
  EXPECT_EQ(store_->HeadPosition(), 3u);
  absl::StatusOr<std::vector<RecordedEvent>> read = store_->ReadAll(1, Direction::kForward, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 3u);
  EXPECT_TRUE(store_->ReadStream("after", 1, Direction::kForward, 10)->empty());
}

TEST_F(EventStoreTest, VerifyRanges) {
  for (int i = 0; i < 5; ++i) MustAppend(One("s"));
  EXPECT_EQ(store_->Verify(2, 4).events_checked, 3u);
  EXPECT_EQ(store_->Verify(0, 100).events_checked, 5u);
  EXPECT_EQ(store_->Verify(4, 2).status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->Verify(9, 12).status.ok());
}

TEST_F(EventStoreTest, CheckpointOpensAsACopy) {
  for (int i = 0; i < 10; ++i) MustAppend(One("youth-1"));
  TempDir copy;
  ASSERT_TRUE(store_->Checkpoint(copy.Sub("backup")).ok());
  MustAppend(One("youth-1"));  // after the checkpoint: not in the copy
  absl::StatusOr<std::unique_ptr<EventStore>> restored =
      EventStore::Open(Options(), copy.Sub("backup"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->HeadPosition(), 10u);
  EXPECT_EQ(*(*restored)->StreamVersion("youth-1"), 10u);
  EXPECT_TRUE((*restored)->Verify(0, UINT64_MAX).status.ok());
  EXPECT_EQ(store_->Checkpoint(copy.Sub("backup")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, OpenErrors) {
  TempDir empty;
  Options no_create;
  no_create.create_if_missing = false;
  EXPECT_EQ(EventStore::Open(std::move(no_create), empty.path()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The directory is held by store_.
  EXPECT_EQ(EventStore::Open(Options(), dir_.path()).status().code(),
            absl::StatusCode::kUnavailable);
  Options bad;
  bad.max_events_per_append = 0;
  EXPECT_EQ(EventStore::Open(std::move(bad), empty.path()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, ClosingFinishesAcceptedAppends) {
  std::atomic<int> ok{0};
  for (int i = 0; i < 500; ++i) {
    store_->AppendAsync(One(absl::StrCat("s-", i)), [&](absl::StatusOr<AppendResult> r) {
      if (r.ok()) ++ok;
    });
  }
  store_.reset();
  EXPECT_EQ(ok.load(), 500);
  Reopen();
  EXPECT_EQ(store_->HeadPosition(), 500u);
}

// Every limit answers INVALID_ARGUMENT, names the field, and writes nothing.
TEST_F(EventStoreTest, InputLimits) {
  Options options;
  options.max_payload_bytes = 100;
  options.max_events_per_append = 5;
  options.max_streams_per_append = 3;
  options.max_append_bytes = 300;
  Reopen(std::move(options));

  struct Case {
    std::string name;
    std::vector<StreamAppend> appends;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({"no streams", {}, "appends"});
  cases.push_back({"no events", {{"s", ExpectedVersion::Any(), {}}}, "no events"});
  cases.push_back({"empty stream name", One(""), "appends[0].stream"});
  cases.push_back(
      {"long stream name", One(std::string(kMaxStreamNameBytes + 1, 's')), "appends[0].stream"});
  cases.push_back({"space in stream name", One("youth 1"), "appends[0].stream"});
  cases.push_back({"slash in stream name", One("youth/1"), "appends[0].stream"});
  cases.push_back({"nul in stream name", One(std::string("a\0b", 3)), "appends[0].stream"});
  cases.push_back({"non-ascii stream name", One("sjælør"), "appends[0].stream"});
  {
    auto c = One("s");
    c[0].events[0].type = "";
    cases.push_back({"empty type", c, "appends[0].events[0].type"});
    c[0].events[0].type = "bad-type";
    cases.push_back({"bad type", c, "appends[0].events[0].type"});
    c[0].events[0].type = std::string(kMaxEventTypeBytes + 1, 't');
    cases.push_back({"long type", c, "appends[0].events[0].type"});
  }
  cases.push_back({"payload too large", One("s", ExpectedVersion::Any(), std::string(101, 'p')),
                   "appends[0].events[0].payload"});
  {
    auto c = One("s");
    for (int i = 0; i < 5; ++i) c[0].events.push_back(MakeEvent("e"));
    cases.push_back({"too many events", c, "events"});
  }
  {
    std::vector<StreamAppend> c;
    for (int i = 0; i < 4; ++i) c.push_back(OneEvent(absl::StrCat("s", i), ExpectedVersion::Any()));
    cases.push_back({"too many streams", c, "streams"});
  }
  {
    std::vector<StreamAppend> c;
    for (int i = 0; i < 3; ++i)
      c.push_back(OneEvent(absl::StrCat("s", i), ExpectedVersion::Any(), std::string(100, 'p')));
    c[0].events[0].metadata.actor = "a";
    cases.push_back({"too many bytes", c, "bytes"});
  }
  {
    auto c = One("s");
    c[0].events[0].metadata.actor = std::string(kMaxMetadataFieldBytes + 1, 'a');
    cases.push_back({"long actor", c, "appends[0].events[0].metadata.actor"});
    c = One("s");
    c[0].events[0].metadata.correlation_id = std::string(kMaxMetadataFieldBytes + 1, 'c');
    cases.push_back({"long correlation id", c, "metadata.correlation_id"});
    c = One("s");
    c[0].events[0].metadata.causation_id = std::string(kMaxMetadataFieldBytes + 1, 'c');
    cases.push_back({"long causation id", c, "metadata.causation_id"});
  }
  {
    std::vector<StreamAppend> c;
    c.push_back(OneEvent("s", ExpectedVersion::Any()));
    c.push_back(OneEvent("s", ExpectedVersion::Any()));
    cases.push_back({"same stream twice", c, "appends[1].stream"});
  }
  {
    auto c = One("s");
    c[0].events.push_back(MakeEvent("again"));
    c[0].events[0].id = c[0].events[1].id = EventId::Generate();
    cases.push_back({"same id twice", c, "appends[0].events[1].id"});
  }
  for (Case& c : cases) {
    absl::StatusOr<AppendResult> result = store_->Append(std::move(c.appends));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(result.status().message().find(c.field), absl::string_view::npos)
        << c.name << ": " << result.status();
  }
  EXPECT_EQ(store_->HeadPosition(), 0u);
  // At the limits themselves, the append is fine.
  auto at_limit =
      One(std::string(kMaxStreamNameBytes, 's'), ExpectedVersion::Any(), std::string(100, 'p'));
  for (int i = 0; i < 1; ++i) at_limit[0].events.push_back(MakeEvent(std::string(100, 'p')));
  EXPECT_TRUE(store_->Append(std::move(at_limit)).ok());
  EXPECT_EQ(store_->StreamVersion("bad name").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ReadStream("", 0, Direction::kForward, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, QueueLimitAnswersUnavailable) {
  Options options;
  options.max_queued_appends = 1;
  options.sync = true;
  Reopen(std::move(options));
  // Flood the queue from one thread without waiting: some must be refused, none half-written.
  std::atomic<int> ok{0}, unavailable{0};
  for (int i = 0; i < 200; ++i) {
    store_->AppendAsync(One(absl::StrCat("s-", i)), [&](absl::StatusOr<AppendResult> r) {
      if (r.ok()) ++ok;
      if (r.status().code() == absl::StatusCode::kUnavailable) ++unavailable;
    });
  }
  store_.reset();
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_EQ(ok.load() + unavailable.load(), 200);
  Reopen();
  EXPECT_EQ(store_->HeadPosition(), static_cast<uint64_t>(ok.load()));
}

}  // namespace
}  // namespace hotspot::store
