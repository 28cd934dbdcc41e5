// The PostgreSQL engine of EventStore against a throwaway server (ProgramPgServer): the same
// records and chain as the RocksDB engine, idempotency and expectations, two nodes appending at
// once (positions gap-free, every event once, the chain whole, a subscriber on the other node
// gets every event once, in order), a lost connection, a tampered record found by Verify.
#include "store/pg_event_store.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/pg_test_server.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using ::testing::HasSubstr;
using testing::ProgramPgServer;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::unique_ptr<EventStore> OpenPg(const std::string& prefix, bool fixed_clock = false) {
  PgEventStoreOptions options;
  options.conninfo = ProgramPgServer().conninfo("test");
  options.prefix = prefix;
  if (fixed_clock) options.limits.clock = [] { return kNow; };
  absl::StatusOr<std::unique_ptr<EventStore>> store = OpenPgEventStore(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Three calls: two streams at once, then one each; fixed ids.
std::vector<std::vector<StreamAppend>> Calls() {
  auto event = [](int n, std::string area) {
    ProposedEvent e = testing::MakeEvent(absl::StrCat("payload-", n));
    e.id = *EventId::Parse(absl::StrCat("0190a1b2-c3d4-7e5f-8a9b-0000000000", 10 + n));
    e.area = std::move(area);
    e.metadata.actor = "chief-anna";
    return e;
  };
  std::vector<std::vector<StreamAppend>> calls(3);
  calls[0].push_back({"youth-1", ExpectedVersion::NoStream(), {event(1, "area-a"), event(2, "")}});
  calls[0].push_back({"area-a", ExpectedVersion::Any(), {event(3, "area-a")}});
  calls[1].push_back({"youth-1", ExpectedVersion::Exactly(2), {event(4, "area-a")}});
  calls[2].push_back({"youth-2", ExpectedVersion::NoStream(), {event(5, "area-b")}});
  return calls;
}

TEST(PgEventStoreTest, TheRecordsAndChainAreTheRocksEnginesAndReadBackEveryWay) {
  testing::TempDir dir;
  Options rocks_options;
  rocks_options.sync = false;
  rocks_options.clock = [] { return kNow; };
  auto rocks = *EventStore::Open(std::move(rocks_options), dir.Sub("events"));
  auto pg = OpenPg("same", /*fixed_clock=*/true);
  for (std::vector<StreamAppend>& call : Calls()) {
    std::vector<StreamAppend> copy = call;
    absl::StatusOr<AppendResult> a = rocks->Append(std::move(copy));
    absl::StatusOr<AppendResult> b = pg->Append(std::move(call));
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " / " << b.status();
    EXPECT_EQ(a->positions, b->positions);
    EXPECT_EQ(a->stream_versions, b->stream_versions);
  }
  ASSERT_EQ(pg->HeadPosition(), 5u);
  const std::vector<RecordedEvent> want = *rocks->ReadAll(1, Direction::kForward, 100);
  const std::vector<RecordedEvent> got = *pg->ReadAll(1, Direction::kForward, 100);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].position, want[i].position);
    EXPECT_EQ(got[i].stream, want[i].stream);
    EXPECT_EQ(got[i].stream_version, want[i].stream_version);
    EXPECT_EQ(got[i].id, want[i].id);
    EXPECT_EQ(got[i].payload, want[i].payload);
    EXPECT_EQ(got[i].area, want[i].area);
    EXPECT_EQ(got[i].recorded_at, want[i].recorded_at);
    EXPECT_EQ(got[i].hash, want[i].hash) << "position " << got[i].position;
  }
  // Every way of reading.
  const auto backward = *pg->ReadAll(UINT64_MAX, Direction::kBackward, 2);
  ASSERT_EQ(backward.size(), 2u);
  EXPECT_EQ(backward[0].position, 5u);
  const auto stream = *pg->ReadStream("youth-1", 0, Direction::kForward, 10);
  ASSERT_EQ(stream.size(), 3u);
  EXPECT_EQ(stream[2].payload, "payload-4");
  EXPECT_EQ((*pg->ReadStream("youth-1", UINT64_MAX, Direction::kBackward, 1))[0].stream_version,
            3u);
  EXPECT_EQ(*pg->StreamVersion("youth-1"), 3u);
  EXPECT_EQ(*pg->StreamVersion("nobody"), 0u);
  const auto some = *pg->ReadPositions({4, 1});
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].position, 4u);
  EXPECT_EQ(some[1].position, 1u);
  EXPECT_EQ(pg->ReadPositions({6}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(**pg->FindEvent(want[2].id), 3u);
  EXPECT_EQ(*pg->FindEvent(EventId::Generate()), std::nullopt);
  const VerifyReport verified = pg->Verify(0, UINT64_MAX);
  EXPECT_TRUE(verified.status.ok()) << verified.status;
  EXPECT_EQ(verified.events_checked, 5u);
  EXPECT_EQ(pg->Checkpoint(dir.Sub("copy")).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(PgEventStoreTest, RetriesAreDuplicatesAndExpectationsAreAborted) {
  auto pg = OpenPg("idem");
  std::vector<std::vector<StreamAppend>> calls = Calls();
  const AppendResult first = *pg->Append(calls[0]);
  const AppendResult again = *pg->Append(calls[0]);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.positions, first.positions);
  EXPECT_EQ(pg->HeadPosition(), 3u);  // nothing written twice
  std::vector<StreamAppend> changed = calls[0];
  changed[0].events[0].payload = "other";
  EXPECT_EQ(pg->Append(changed).status().code(), absl::StatusCode::kAlreadyExists);
  std::vector<StreamAppend> stale = calls[2];
  stale[0].stream = "youth-1";  // exists: NoStream does not hold
  stale[0].events[0].id = EventId::Generate();
  const absl::Status aborted = pg->Append(stale).status();
  EXPECT_EQ(aborted.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(aborted.message(), HasSubstr("youth-1"));
  std::vector<StreamAppend> bad = calls[1];
  bad[0].stream = "no spaces";
  const absl::Status invalid = pg->Append(bad).status();
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.message(), HasSubstr("appends[0].stream"));
  EXPECT_EQ(pg->HeadPosition(), 3u);
}

// Two nodes on one log, appending at once: positions 1..N, each acknowledged event once, the
// chain whole; a subscriber on the other node sees every event once, in order.
TEST(PgEventStoreTest, TwoNodesAppendAtOnceAndEverySubscriberSeesEveryEventOnce) {
  auto one = OpenPg("shared");
  auto two = OpenPg("shared");
  auto subscription = *two->Subscribe(1, SubscriptionFilter());
  constexpr int kThreads = 3, kAppends = 40;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::map<uint64_t, std::string> acknowledged;  // position -> stream
  for (int t = 0; t < 2 * kThreads; ++t) {
    threads.emplace_back([&, t] {
      EventStore& node = t % 2 == 0 ? *one : *two;
      for (int i = 0; i < kAppends; ++i) {
        const std::string stream = absl::StrCat("youth-", t, "-", i % 5);
        absl::StatusOr<AppendResult> r =
            node.Append({testing::OneEvent(stream, ExpectedVersion::Any())});
        ASSERT_TRUE(r.ok()) << r.status();
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(acknowledged.emplace(r->positions.at(0), stream).second);
      }
    });
  }
  for (auto& t : threads) t.join();
  const uint64_t total = 2 * kThreads * kAppends;
  ASSERT_EQ(acknowledged.size(), total);
  EXPECT_EQ(acknowledged.begin()->first, 1u);
  EXPECT_EQ(acknowledged.rbegin()->first, total);  // contiguous: N distinct in 1..N
  std::vector<uint64_t> seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (seen.size() < total && absl::Now() < deadline) {
    absl::StatusOr<SubscriptionBatch> batch = subscription->Next(100, absl::Seconds(1));
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (const auto& e : batch->events) {
      seen.push_back(e->position);
      EXPECT_EQ(e->stream, acknowledged[e->position]);
    }
  }
  ASSERT_EQ(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(one->HeadPosition(), total);
  const VerifyReport report = one->Verify(0, UINT64_MAX);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, total);
}

// The server ends every connection (as a failover does): the next append is UNAVAILABLE or
// written; either way, a retry with the same ids leaves it in the log once, and the store goes
// on by itself.
TEST(PgEventStoreTest, ALostConnectionIsUnavailableAndARetryWritesOnce) {
  auto pg = OpenPg("lost");
  ASSERT_TRUE(pg->Append({testing::OneEvent("youth-1", ExpectedVersion::Any())}).ok());
  ASSERT_TRUE(ProgramPgServer()
                  .Psql("test", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = 'test' AND pid <> pg_backend_pid()")
                  .ok());
  ProposedEvent event = testing::MakeEvent("after the loss");
  event.id = EventId::Generate();
  std::vector<StreamAppend> call{{"youth-2", ExpectedVersion::Any(), {event}}};
  const absl::StatusOr<AppendResult> first = pg->Append(call);
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
  const absl::StatusOr<AppendResult> retried = pg->Append(call);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->positions, std::vector<uint64_t>{2});
  EXPECT_EQ(pg->HeadPosition(), 2u);
  EXPECT_EQ(**pg->FindEvent(event.id), 2u);
}

// before_write runs before each group (hotspotd: the key store's new keys); its error fails the
// group, which writes nothing. on_commit is told of each committed group's events.
TEST(PgEventStoreTest, BeforeWriteRunsFirstAndItsErrorFailsTheGroupAndOnCommitSeesCommits) {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{true};
  PgEventStoreOptions options;
  options.conninfo = ProgramPgServer().conninfo("test");
  options.prefix = "hooked";
  options.limits.before_write = [&]() -> absl::Status {
    ++calls;
    return failing ? absl::InternalError("the key store is down") : absl::OkStatus();
  };
  std::vector<uint64_t> committed;  // on_commit: the positions, before readers see them
  options.limits.on_commit = [&](const CommitInfo& info) {
    EXPECT_EQ(info.events, info.published.size());
    for (const RecordedEvent* e : info.published) committed.push_back(e->position);
  };
  auto pg = *OpenPgEventStore(std::move(options));
  const absl::Status failed =
      pg->Append({testing::OneEvent("youth-1", ExpectedVersion::Any())}).status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(failed.message(), HasSubstr("the key store is down"));
  EXPECT_EQ(pg->HeadPosition(), 0u);
  failing = false;
  ASSERT_TRUE(pg->Append({testing::OneEvent("youth-1", ExpectedVersion::Any())}).ok());
  EXPECT_EQ(pg->HeadPosition(), 1u);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(committed, std::vector<uint64_t>{1});  // the failed group committed nothing
}

TEST(PgEventStoreTest, VerifyFindsARecordChangedBehindItsBack) {
  auto pg = OpenPg("tampered");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pg->Append({testing::OneEvent("youth-1", ExpectedVersion::Any(),
                                              absl::StrCat("payload-", i))})
                    .ok());
  }
  ASSERT_TRUE(ProgramPgServer()
                  .Psql("test", "UPDATE tampered_log SET record = overlay(record placing "
                                "'\\\\x58'::bytea from length(record) for 1) WHERE position = 3")
                  .ok());
  const VerifyReport report = pg->Verify(0, UINT64_MAX);
  EXPECT_EQ(report.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(report.first_broken_position, 3u);
  EXPECT_THAT(report.status.message(), HasSubstr("position 3"));
  EXPECT_EQ(pg->ReadAll(3, Direction::kForward, 1).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hotspot::store
