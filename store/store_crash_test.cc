// The crash test. A child process appends durably under load (8 threads, single- and two-stream
// appends) and reports every acknowledged position to the parent through a pipe. The parent kills
// it with SIGKILL at a random moment, reopens the store and checks that every acknowledged event is
// present and intact, that positions and stream versions are contiguous, and that the hash chain
// verifies. Then it starts the next child on the same directory.
//
//   store_crash_test              20 kill cycles (the ctest default)
//   store_crash_test --cycles=N   N cycles (make crash-long runs 500)
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

int g_cycles = 20;
constexpr int kChildThreads = 8;

// What the child reports for each acknowledged event; 20 bytes, so each write(2) is atomic.
struct Ack {
  uint64_t position;
  uint32_t cycle;
  uint32_t thread;
  uint32_t seq;
} __attribute__((packed));
static_assert(sizeof(Ack) == 20);

std::string PayloadFor(uint32_t cycle, uint32_t thread, uint32_t seq, int part) {
  std::string payload =
      absl::StrCat("cycle ", cycle, " thread ", thread, " seq ", seq, " part ", part, " ");
  payload.resize(300, static_cast<char>('a' + (cycle + thread + seq) % 26));
  return payload;
}

[[noreturn]] void RunChild(const std::string& dir, int ack_fd, uint32_t cycle) {
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(Options(), dir);
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(2);
  }
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t seq = 0;; ++seq) {
        std::vector<StreamAppend> appends;
        appends.push_back(testing::OneEvent(absl::StrCat("crash-", t), ExpectedVersion::Any(),
                                            PayloadFor(cycle, t, seq, 0)));
        if (seq % 4 == 0) {  // a two-stream append: both events or neither
          appends.push_back(testing::OneEvent(absl::StrCat("pair-", t % 2), ExpectedVersion::Any(),
                                              PayloadFor(cycle, t, seq, 1)));
        }
        absl::StatusOr<AppendResult> result = (*store)->Append(std::move(appends));
        if (!result.ok()) {
          fprintf(stderr, "child: %s\n", result.status().ToString().c_str());
          _exit(3);
        }
        for (size_t part = 0; part < result->positions.size(); ++part) {
          // The part is implied by the order: report each position with its part in `seq`'s
          // top bit so the parent can rebuild the payload.
          const Ack ack{result->positions[part], cycle, t, seq | (part == 1 ? 0x80000000u : 0u)};
          if (write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(4);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

TEST(StoreCrashTest, AcknowledgedEventsSurviveSigkill) {
  testing::TempDir dir;
  absl::BitGen gen;
  uint64_t verified_head = 0;
  uint64_t total_acks = 0;
  std::map<std::string, uint64_t> stream_versions;

  for (int cycle = 0; cycle < g_cycles; ++cycle) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // A fresh process image: the parent's RocksDB thread pools must not leak into the child.
      close(fds[0]);
      const std::string fd = absl::StrCat(fds[1]);
      const std::string cycle_text = absl::StrCat(cycle);
      execl("/proc/self/exe", "store_crash_test", "--child", dir.path().c_str(), fd.c_str(),
            cycle_text.c_str(), static_cast<char*>(nullptr));
      _exit(5);
    }
    close(fds[1]);

    // Collect acknowledgements until a random moment, then kill the child mid-flight.
    std::vector<Ack> acks;
    std::string pending;
    auto read_acks = [&](int timeout_ms) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return false;
      char buf[4096];
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) return false;
      pending.append(buf, n);
      size_t whole = pending.size() / sizeof(Ack) * sizeof(Ack);
      for (size_t off = 0; off < whole; off += sizeof(Ack)) {
        Ack ack;
        std::memcpy(&ack, pending.data() + off, sizeof ack);
        acks.push_back(ack);
      }
      pending.erase(0, whole);
      return true;
    };
    // The kill lands at a random moment while the child appends, timed from its first
    // acknowledgement: a slow start (a loaded machine, a sanitizer build) was otherwise killed
    // before it appended anything, and then the cycle checked nothing.
    for (const absl::Time first_by = absl::Now() + absl::Seconds(30);
         acks.empty() && absl::Now() < first_by;) {
      read_acks(1);
    }
    const absl::Time kill_at = absl::Now() + absl::Milliseconds(absl::Uniform(gen, 0, 245));
    while (absl::Now() < kill_at) read_acks(1);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the child exited by itself with " << WEXITSTATUS(wstatus);
    while (read_acks(0)) {
    }
    close(fds[0]);
    ASSERT_TRUE(pending.empty()) << "a torn acknowledgement";
    total_acks += acks.size();

    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(Options(), dir.path());
    ASSERT_TRUE(store.ok()) << "cycle " << cycle << ": " << store.status();
    const uint64_t head = (*store)->HeadPosition();

    // Every acknowledged event is there, intact.
    for (const Ack& ack : acks) {
      ASSERT_LE(ack.position, head) << "cycle " << cycle;
      absl::StatusOr<std::vector<RecordedEvent>> events =
          (*store)->ReadAll(ack.position, Direction::kForward, 1);
      ASSERT_TRUE(events.ok()) << events.status();
      ASSERT_EQ(events->size(), 1u);
      const int part = (ack.seq & 0x80000000u) ? 1 : 0;
      ASSERT_EQ((*events)[0].payload,
                PayloadFor(ack.cycle, ack.thread, ack.seq & 0x7FFFFFFFu, part))
          << "cycle " << cycle << " position " << ack.position;
    }
    // Positions are contiguous and stream versions too, for everything written since the last
    // cycle (ReadAll fails with DATA_LOSS on a gap).
    for (uint64_t next = verified_head + 1; next <= head;) {
      absl::StatusOr<std::vector<RecordedEvent>> events =
          (*store)->ReadAll(next, Direction::kForward, 5000);
      ASSERT_TRUE(events.ok()) << events.status();
      ASSERT_FALSE(events->empty());
      for (const RecordedEvent& e : *events) {
        ASSERT_EQ(e.position, next++);
        ASSERT_EQ(e.stream_version, ++stream_versions[e.stream]) << e.stream;
        // A two-stream append is whole: a "pair-" event follows its partner directly.
        if (e.stream.rfind("pair-", 0) == 0) {
          absl::StatusOr<std::vector<RecordedEvent>> prev =
              (*store)->ReadAll(e.position - 1, Direction::kForward, 1);
          ASSERT_TRUE(prev.ok());
          ASSERT_EQ((*prev)[0].stream.rfind("crash-", 0), 0u);
        }
      }
    }
    if (head > verified_head) {
      const VerifyReport report = (*store)->Verify(verified_head + 1, head);
      ASSERT_TRUE(report.status.ok()) << "cycle " << cycle << ": " << report.status;
      ASSERT_EQ(report.events_checked, head - verified_head);
    }
    for (const auto& [stream, version] : stream_versions) {
      ASSERT_EQ(*(*store)->StreamVersion(stream), version) << stream;
    }
    verified_head = head;
  }

  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok());
  const VerifyReport full = (*store)->Verify(0, UINT64_MAX);
  ASSERT_TRUE(full.status.ok()) << full.status;
  EXPECT_GT(total_acks, 0u);
  printf(
      "crash test: %d SIGKILL cycles, %llu acknowledged events checked, %llu events in the log, "
      "chain verified\n",
      g_cycles, static_cast<unsigned long long>(total_acks),
      static_cast<unsigned long long>(full.events_checked));
}

}  // namespace
}  // namespace hotspot::store

int main(int argc, char** argv) {
  if (argc == 5 && absl::string_view(argv[1]) == "--child") {
    int fd = -1;
    uint32_t cycle = 0;
    if (!absl::SimpleAtoi(argv[3], &fd) || !absl::SimpleAtoi(argv[4], &cycle)) return 2;
    hotspot::store::RunChild(argv[2], fd, cycle);
  }
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--cycles=")) {
      if (!absl::SimpleAtoi(arg, &hotspot::store::g_cycles) || hotspot::store::g_cycles < 1) {
        fprintf(stderr, "--cycles: want a positive whole number\n");
        return 2;
      }
    } else {
      fprintf(stderr, "usage: %s [--cycles=N] [gtest flags]\n", argv[0]);
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
