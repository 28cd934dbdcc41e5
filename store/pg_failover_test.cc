// Failover under load, at the event log's level (issue 17 §5): a real cluster on loopback
// (scripts/pg_cluster.sh: etcd x3, PostgreSQL x3 under Patroni, synchronous_mode_strict), two
// nodes' event logs (OpenPgEventStore) appending from four threads, a subscriber on the second
// node, and the primary killed with SIGKILL (its Patroni and its PostgreSQL: a machine lost),
// --failovers times (default 3; make ha-long runs 20). Checked: every acknowledged append is in
// the log exactly once, at the position it was acknowledged at; positions are 1..N; the chain
// verifies; the subscriber got every event once, in order; appends during a failover were
// answered UNAVAILABLE and succeeded when retried with the same event ids; both nodes went on by
// themselves. Prints each failover's time, from the kill until the first append acknowledged
// after it.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/pg_event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

int failovers = 3;

// Runs a pg_cluster.sh command; its output (trimmed), or the failure.
absl::StatusOr<std::string> Cluster(const std::string& args) {
  const std::string line = absl::StrCat(HOTSPOT_SOURCE_DIR, "/scripts/pg_cluster.sh ", args);
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen");
  std::string out;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  const int rc = pclose(pipe);
  if (rc != 0) return absl::InternalError(absl::StrCat(line, " failed (", rc, "): ", out));
  return std::string(absl::StripAsciiWhitespace(out));
}

TEST(PgFailoverTest, NothingAcknowledgedIsLostAcrossFailovers) {
  char pattern[] = "/tmp/hotspot-ha-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const int base = 16000 + (getpid() % 100) * 40;
  absl::StatusOr<std::string> conninfo = Cluster(absl::StrCat("start ", dir, " ", base));
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  struct Stop {
    std::string dir;
    ~Stop() {
      Cluster(absl::StrCat("stop ", dir)).IgnoreError();
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } stop{dir};

  auto open = [&] {
    PgEventStoreOptions options;
    options.conninfo = *conninfo;
    options.prefix = "ha";
    return OpenPgEventStore(std::move(options));
  };
  absl::StatusOr<std::unique_ptr<EventStore>> one = open();
  ASSERT_TRUE(one.ok()) << one.status();
  absl::StatusOr<std::unique_ptr<EventStore>> two = open();
  ASSERT_TRUE(two.ok()) << two.status();
  std::vector<EventStore*> nodes{one->get(), two->get()};

  // The subscriber on the second node.
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> target{UINT64_MAX};
  std::vector<uint64_t> seen;
  std::thread subscriber([&] {
    std::unique_ptr<Subscription> subscription = *nodes[1]->Subscribe(1, SubscriptionFilter());
    // Until it has every event up to the head the writers left (set once they stopped), or a
    // minute after that: the checks below say what is missing.
    absl::Time until = absl::InfiniteFuture();
    while (seen.size() < target.load()) {
      if (target.load() != UINT64_MAX && until == absl::InfiniteFuture()) {
        until = absl::Now() + absl::Seconds(60);
      }
      if (absl::Now() > until) break;
      absl::StatusOr<SubscriptionBatch> batch = subscription->Next(500, absl::Milliseconds(200));
      if (!batch.ok()) continue;  // a read during a failover: the cursor did not move
      for (const auto& e : batch->events) seen.push_back(e->position);
    }
  });

  // Writers: each call is retried with the same ids until it is acknowledged.
  std::mutex mu;
  absl::flat_hash_map<EventId, uint64_t> acknowledged;  // id -> the position acknowledged
  std::atomic<int> unavailable{0}, other_errors{0};
  // The start of the last attempt that was acknowledged: an append begun after a kill and
  // acknowledged is one the new primary took (a commit in flight at the kill is not).
  std::atomic<int64_t> last_acked_start_micros{0};
  std::atomic<int64_t> last_ack_micros{0};
  std::vector<std::thread> writers;
  // On every way out (a failed ASSERT returns early), the threads are stopped and joined, so
  // that the cluster is stopped too (`stop` above), not left running by std::terminate.
  struct Join {
    std::atomic<bool>& stopping;
    std::atomic<uint64_t>& target;
    std::thread& subscriber;
    std::vector<std::thread>& writers;
    ~Join() {
      stopping.store(true);
      for (auto& w : writers) {
        if (w.joinable()) w.join();
      }
      if (subscriber.joinable()) {
        if (target.load() == UINT64_MAX) target.store(0);  // it has nothing left to wait for
        subscriber.join();
      }
    }
  } join{stopping, target, subscriber, writers};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      EventStore& node = *nodes[t % 2];
      for (int i = 0; !stopping.load(); ++i) {
        ProposedEvent event = testing::MakeEvent(absl::StrCat("writer ", t, " call ", i));
        event.id = EventId::Generate();
        const std::vector<StreamAppend> call{
            {absl::StrCat("youth-", t, "-", i % 7), ExpectedVersion::Any(), {event}}};
        const absl::Time give_up = absl::Now() + absl::Seconds(90);
        for (;;) {
          const int64_t started = absl::ToUnixMicros(absl::Now());
          absl::StatusOr<AppendResult> r = node.Append(call);
          if (r.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged[event.id] = r->positions.at(0);
            last_ack_micros.store(absl::ToUnixMicros(absl::Now()));
            last_acked_start_micros.store(started);
            break;
          }
          if (absl::IsUnavailable(r.status())) {
            ++unavailable;
          } else {
            ++other_errors;
            fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
          }
          ASSERT_LT(absl::Now(), give_up) << "an append did not succeed for 90 s: " << r.status();
          absl::SleepFor(absl::Milliseconds(100));
        }
      }
    });
  }

  std::vector<double> failover_seconds;
  for (int f = 0; f < failovers; ++f) {
    absl::SleepFor(absl::Seconds(2));  // load before the kill
    absl::StatusOr<std::string> killed = Cluster(absl::StrCat("kill-primary ", dir));
    ASSERT_TRUE(killed.ok()) << killed.status();
    const absl::Time kill = absl::Now();
    const absl::Time deadline = kill + absl::Seconds(90);
    while (absl::FromUnixMicros(last_acked_start_micros.load()) <= kill &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));  // polls for the first append begun after the kill
    }
    ASSERT_GT(absl::FromUnixMicros(last_acked_start_micros.load()), kill)
        << "no append after failover";
    failover_seconds.push_back(
        absl::ToDoubleSeconds(absl::FromUnixMicros(last_ack_micros.load()) - kill));
    printf("failover %d: %s killed, first append acknowledged %.2f s after the kill\n", f + 1,
           killed->c_str(), failover_seconds.back());
    ASSERT_TRUE(Cluster(absl::StrCat("start-member ", dir, " ", *killed)).ok());
    // The killed member rejoins as a standby before the next kill: three members again, two of
    // them streaming, one synchronous (polled for at most 90 s).
    const absl::Time rejoined = absl::Now() + absl::Seconds(90);
    while (!Cluster(absl::StrCat("healthy ", dir)).ok() && absl::Now() < rejoined) {
      absl::SleepFor(absl::Milliseconds(500));
    }
    ASSERT_TRUE(Cluster(absl::StrCat("healthy ", dir)).ok()) << "the member did not rejoin";
  }
  absl::SleepFor(absl::Seconds(1));
  stopping.store(true);
  for (auto& w : writers) w.join();
  uint64_t head = 0;
  for (EventStore* node : nodes) head = std::max(head, node->HeadPosition());
  target.store(head);
  subscriber.join();
  printf("%zu appends acknowledged, head %llu, %d answered UNAVAILABLE and retried, %d other "
         "errors\n",
         acknowledged.size(), static_cast<unsigned long long>(head), unavailable.load(),
         other_errors.load());
  EXPECT_GT(unavailable.load(), 0);  // appends during a failover were refused, then retried
  EXPECT_EQ(other_errors.load(), 0);
  // Every acknowledged append exactly once, where it was acknowledged; positions 1..N.
  EXPECT_EQ(acknowledged.size(), head);
  std::map<uint64_t, EventId> by_position;
  for (const auto& [id, position] : acknowledged) {
    EXPECT_TRUE(by_position.emplace(position, id).second) << "position " << position << " twice";
  }
  for (uint64_t from = 1; from <= head; from += 1000) {
    absl::StatusOr<std::vector<RecordedEvent>> page =
        nodes[0]->ReadAll(from, Direction::kForward, 1000);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const RecordedEvent& e : *page) {
      ASSERT_TRUE(by_position.count(e.position)) << "position " << e.position << " unacknowledged";
      EXPECT_EQ(e.id, by_position[e.position]);
    }
  }
  const VerifyReport report = nodes[1]->Verify(0, UINT64_MAX);
  EXPECT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, head);
  ASSERT_EQ(seen.size(), head);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i + 1);
  EXPECT_EQ(nodes[1]->HeadPosition(), head);
}

}  // namespace
}  // namespace hotspot::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg(argv[i]);
    if (absl::ConsumePrefix(&arg, "--failovers=") &&
        !absl::SimpleAtoi(arg, &hotspot::store::failovers)) {
      fprintf(stderr, "--failovers: a number\n");
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
