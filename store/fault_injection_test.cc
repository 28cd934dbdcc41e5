// Injected I/O errors, at random points (issue 15 §2). The store runs on a PowerLossFileSystem;
// in each cycle four threads append (single- and two-stream appends, each with its own event
// ids) and a subscriber follows the log, while the file system fails writes, syncs or reads at
// random, or is full, or all of these at once. Then the fault clears and the store must resume
// by itself, without being reopened. Each cycle checks:
//   - every acknowledged event is present and intact, positions and stream versions contiguous,
//     the chain verified, and no event id in the log twice;
//   - retrying each failed append with the same event ids writes it exactly once (a duplicate if
//     it reached the log after all);
//   - the subscriber saw every position once, in order;
//   - nothing acknowledged was only in the page cache: the power is cut, everything unsynced is
//     dropped, the store is opened again and still holds every acknowledged event.
//
//   store_fault_injection_test              20 fault cycles (the ctest default)
//   store_fault_injection_test --cycles=N   N fault cycles (make crash-long runs 500)
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
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
using testing::RandomFaults;

// One append call, as sent: retried exactly so after a failure.
struct Request {
  std::vector<StreamAppend> appends;
  std::vector<std::string> payloads;  // of each event, in the call's order
};

Request MakeRequest(absl::BitGen& random, int thread, uint64_t n) {
  Request request;
  const int streams = absl::Bernoulli(random, 0.3) ? 2 : 1;
  for (int s = 0; s < streams; ++s) {
    StreamAppend& append = request.appends.emplace_back();
    append.stream = absl::StrCat("t", thread, "-", absl::Uniform(random, 0, 8));
    if (s == 1 && append.stream == request.appends[0].stream) append.stream += "b";
    ProposedEvent& event = append.events.emplace_back();
    event.id = EventId::Generate();
    event.type = "test.Event";
    event.payload = absl::StrCat("thread ", thread, " call ", n, " event ", s);
    request.payloads.push_back(event.payload);
  }
  return request;
}

// Every acknowledged event: id -> (position, payload).
using Acked = absl::flat_hash_map<EventId, std::pair<uint64_t, std::string>>;

void Acknowledge(const Request& request, const AppendResult& result, Acked& acked) {
  size_t i = 0;
  for (const StreamAppend& append : request.appends) {
    for (const ProposedEvent& event : append.events) {
      acked[event.id] = {result.positions[i], request.payloads[i]};
      ++i;
    }
  }
}

// The whole log against what was acknowledged: contiguous positions and stream versions, each
// acknowledged event at its position with its content, no event id twice, the chain verified
// from `verified_to` + 1 on (the part before was verified by an earlier cycle).
void CheckLog(const EventStore& store, const Acked& acked, uint64_t verified_to, int cycle) {
  const uint64_t head = store.HeadPosition();
  absl::flat_hash_map<std::string, uint64_t> versions;
  absl::flat_hash_map<EventId, uint64_t> seen;
  for (uint64_t next = 1; next <= head;) {
    absl::StatusOr<std::vector<RecordedEvent>> events =
        store.ReadAll(next, Direction::kForward, 5000);
    ASSERT_TRUE(events.ok()) << "cycle " << cycle << ": " << events.status();
    ASSERT_FALSE(events->empty()) << "cycle " << cycle << " at " << next;
    for (const RecordedEvent& e : *events) {
      ASSERT_EQ(e.position, next++) << "cycle " << cycle;
      ASSERT_EQ(e.stream_version, ++versions[e.stream]) << "cycle " << cycle << " " << e.stream;
      ASSERT_TRUE(seen.emplace(e.id, e.position).second)
          << "cycle " << cycle << ": event " << e.id.ToString() << " at " << seen[e.id] << " and "
          << e.position;
    }
  }
  for (const auto& [id, ack] : acked) {
    const auto it = seen.find(id);
    ASSERT_TRUE(it != seen.end()) << "cycle " << cycle << ": acknowledged event at " << ack.first
                                  << " is gone (head " << head << ")";
    ASSERT_EQ(it->second, ack.first) << "cycle " << cycle;
  }
  // Contents of what this cycle acknowledged (earlier ones were checked before).
  for (uint64_t from = verified_to + 1; from <= head;) {
    absl::StatusOr<std::vector<RecordedEvent>> events =
        store.ReadAll(from, Direction::kForward, 5000);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const RecordedEvent& e : *events) {
      const auto it = acked.find(e.id);
      if (it != acked.end()) {
        ASSERT_EQ(e.payload, it->second.second) << "cycle " << cycle;
      }
    }
    from = events->back().position + 1;
  }
  const VerifyReport report = store.Verify(verified_to + 1, UINT64_MAX);
  ASSERT_TRUE(report.status.ok()) << "cycle " << cycle << ": " << report.status;
  ASSERT_EQ(report.events_checked, head - verified_to) << "cycle " << cycle;
  for (const auto& [stream, version] : versions) {
    ASSERT_EQ(*store.StreamVersion(stream), version) << "cycle " << cycle << " " << stream;
  }
}

TEST(FaultInjectionTest, TheStoreResumesByItselfAfterRandomIOErrorsLosingAndDuplicatingNothing) {
  testing::TempDir dir;
  absl::BitGen random;
  auto fs = std::make_shared<PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  auto open = [&]() -> std::unique_ptr<EventStore> {
    Options options;
    options.env = env.get();
    options.min_recovery_backoff = absl::Milliseconds(1);
    options.max_recovery_backoff = absl::Milliseconds(50);
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(std::move(options), dir.path());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  };
  std::unique_ptr<EventStore> store = open();
  ASSERT_NE(store, nullptr);
  Acked acked;
  uint64_t verified_to = 0, failed_appends = 0, duplicates = 0, rewritten = 0;
  std::map<std::string, int> kinds;
  for (int cycle = 1; cycle <= g_cycles; ++cycle) {
    std::string kind;
    const PowerLossFileSystem::Faults faults = RandomFaults(random, &kind);
    ++kinds[kind];

    // A subscriber follows the log from where the last cycle left it, through the fault and the
    // store's recovery; a read failed by injection is retried.
    const uint64_t start = store->HeadPosition() + 1;
    absl::StatusOr<std::unique_ptr<Subscription>> subscription =
        store->Subscribe(start, SubscriptionFilter());
    ASSERT_TRUE(subscription.ok());
    absl::Mutex delivered_mu;
    std::vector<uint64_t> delivered;  // guarded by delivered_mu
    std::thread reader([&] {
      for (;;) {
        absl::StatusOr<SubscriptionBatch> batch =
            (*subscription)->Next(1000, absl::Milliseconds(20));
        if (!batch.ok() && batch.status().code() == absl::StatusCode::kCancelled) return;
        if (!batch.ok()) continue;
        absl::MutexLock lock(&delivered_mu);
        for (const auto& e : batch->events) delivered.push_back(e->position);
      }
    });
    // Stopped however the cycle ends: an assertion that returns leaves no thread running.
    absl::Cleanup stop_reader = [&] {
      (*subscription)->Cancel();
      if (reader.joinable()) reader.join();
    };

    // Writers until some appends failed (or enough succeeded); then the fault clears.
    absl::Mutex mu;
    std::vector<Request> failed;
    testing::WriteUnderFaults(
        *fs, faults, random, kThreads, absl::Uniform(random, 5, 150),
        [&](int t, uint64_t n, absl::BitGen& thread_random) {
          Request request = MakeRequest(thread_random, t, n);
          absl::StatusOr<AppendResult> result = store->Append(request.appends);
          absl::MutexLock lock(&mu);
          if (!result.ok()) {
            failed.push_back(std::move(request));
            return false;
          }
          Acknowledge(request, *result, acked);
          return true;
        });

    // The store resumes by itself.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!store->WriteStatus().ok() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_TRUE(store->WriteStatus().ok())
        << "cycle " << cycle << " (" << kind << "): " << store->WriteStatus();

    // Each failed call, retried as it was sent, is written exactly once.
    failed_appends += failed.size();
    for (const Request& request : failed) {
      const uint64_t head = store->HeadPosition();
      absl::StatusOr<AppendResult> retry = store->Append(request.appends);
      ASSERT_TRUE(retry.ok()) << "cycle " << cycle << " (" << kind << "): " << retry.status();
      for (uint64_t position : retry->positions) {
        ASSERT_EQ(position <= head, retry->duplicate) << "cycle " << cycle;
      }
      (retry->duplicate ? duplicates : rewritten) += 1;
      Acknowledge(request, *retry, acked);
    }
    ASSERT_NO_FATAL_FAILURE(CheckLog(*store, acked, verified_to, cycle));

    // The subscriber saw every position from its start to the head once, in order.
    const uint64_t head = store->HeadPosition();
    {
      absl::MutexLock lock(&delivered_mu);
      auto caught_up = [&] {
        return head < start || (!delivered.empty() && delivered.back() >= head);
      };
      delivered_mu.AwaitWithTimeout(absl::Condition(&caught_up), absl::Seconds(20));
    }
    std::move(stop_reader).Invoke();
    ASSERT_EQ(delivered.size(), head - start + 1) << "cycle " << cycle;
    for (size_t i = 0; i < delivered.size(); ++i) {
      ASSERT_EQ(delivered[i], start + i) << "cycle " << cycle;
    }
    subscription->reset();

    // Nothing acknowledged was only in the page cache.
    store.reset();
    ASSERT_TRUE(fs->DropUnsyncedData().ok());
    store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->HeadPosition(), head) << "cycle " << cycle;
    ASSERT_NO_FATAL_FAILURE(CheckLog(*store, acked, head, cycle));
    verified_to = head;
  }
  const VerifyReport report = store->Verify(0, UINT64_MAX);
  ASSERT_TRUE(report.status.ok()) << report.status;
  printf("%d fault cycles (", g_cycles);
  for (const auto& [kind, n] : kinds) printf("%s %d; ", kind.c_str(), n);
  printf("): %zu events acknowledged, %llu appends failed (on retry %llu were in the log, %llu "
         "written then); %s\n",
         acked.size(), static_cast<unsigned long long>(failed_appends),
         static_cast<unsigned long long>(duplicates), static_cast<unsigned long long>(rewritten),
         testing::DescribeInjected(fs->injected()).c_str());
  EXPECT_GT(failed_appends, 0u);
}

}  // namespace
}  // namespace hotspot::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::store::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
