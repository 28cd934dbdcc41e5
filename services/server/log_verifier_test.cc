// The log's full verification: a whole log verifies chunk by chunk to its head; a flipped byte is
// found at its position, reported once, and kept in the status; a stop ends a run between chunks.
#include "services/server/log_verifier.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/test_util.h"

namespace hotspot::server {
namespace {

using store::testing::TempDir;

std::unique_ptr<store::EventStore> StoreWith(const std::string& dir, int events) {
  store::Options options;
  options.sync = false;
  absl::StatusOr<std::unique_ptr<store::EventStore>> opened = store::EventStore::Open(
      std::move(options), dir);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  for (int i = 0; i < events; ++i) {
    EXPECT_TRUE((*opened)
                    ->Append({store::testing::OneEvent(absl::StrCat("s-", i % 4),
                                                       store::ExpectedVersion::Any(),
                                                       std::string(100, 'p'))})
                    .ok());
  }
  return *std::move(opened);
}

TEST(LogVerifierTest, AWholeLogVerifiesChunkByChunk) {
  TempDir dir;
  std::unique_ptr<store::EventStore> events = StoreWith(dir.Sub("events"), 25);
  ASSERT_NE(events, nullptr);
  int broken_calls = 0;
  LogVerifierOptions options;
  options.chunk_events = 10;
  options.on_broken = [&](const absl::Status&) { ++broken_calls; };
  LogVerifier verifier(events.get(), options);
  EXPECT_EQ(verifier.Status().runs, 0u);
  ASSERT_TRUE(verifier.RunOnce().ok());
  const LogVerificationStatus status = verifier.Status();
  EXPECT_EQ(status.runs, 1u);
  EXPECT_EQ(status.failed_runs, 0u);
  EXPECT_FALSE(status.running);
  EXPECT_EQ(status.target, 25u);
  EXPECT_EQ(status.verified_to, 25u);
  EXPECT_TRUE(status.broken.ok());
  EXPECT_FALSE(status.first_broken_position.has_value());
  EXPECT_NE(status.last_completed_at, absl::InfinitePast());
  EXPECT_EQ(broken_calls, 0);
}

TEST(LogVerifierTest, AFlippedByteIsFoundAtItsPositionAndReportedOnce) {
  TempDir dir;
  const std::string path = dir.Sub("events");
  StoreWith(path, 25).reset();  // closed: damaged behind its back
  ASSERT_TRUE(store::testing::FlipByteBehindTheStoresBack(path, 17, 60).ok());
  std::unique_ptr<store::EventStore> events = StoreWith(path, 0);
  ASSERT_NE(events, nullptr);
  std::vector<absl::Status> reported;
  LogVerifierOptions options;
  options.chunk_events = 10;
  options.on_broken = [&](const absl::Status& status) { reported.push_back(status); };
  LogVerifier verifier(events.get(), options);
  const absl::Status first = verifier.RunOnce();
  EXPECT_EQ(first.code(), absl::StatusCode::kDataLoss) << first;
  EXPECT_EQ(verifier.RunOnce().code(), absl::StatusCode::kDataLoss);
  ASSERT_EQ(reported.size(), 1u);  // once, however many runs find it
  EXPECT_EQ(reported[0], first);
  EXPECT_NE(first.message().find("position 17"), absl::string_view::npos) << first;
  const LogVerificationStatus status = verifier.Status();
  EXPECT_EQ(status.runs, 2u);
  EXPECT_EQ(status.verified_to, 10u);  // the chunk before the one that broke
  EXPECT_EQ(status.broken, first);
  ASSERT_TRUE(status.first_broken_position.has_value());
  EXPECT_EQ(*status.first_broken_position, 17u);
  EXPECT_EQ(status.last_completed_at, absl::InfinitePast());
}

TEST(LogVerifierTest, BackgroundRunsAreScheduledAndStopWithTheVerifier) {
  TempDir dir;
  std::unique_ptr<store::EventStore> events = StoreWith(dir.Sub("events"), 3);
  ASSERT_NE(events, nullptr);
  LogVerifierOptions options;
  options.interval = absl::Hours(1);
  {
    LogVerifier verifier(events.get(), options);
    const absl::Time before = absl::Now();
    verifier.Start();
    // The loop sets the next run's time before it waits; poll (at most 10 s) for it.
    absl::Time next = absl::InfinitePast();
    for (const absl::Time until = absl::Now() + absl::Seconds(10);
         next == absl::InfinitePast() && absl::Now() < until;) {
      next = verifier.Status().next_run_at;
      if (next == absl::InfinitePast()) absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_GE(next, before + absl::Hours(1));
    EXPECT_EQ(verifier.Status().runs, 0u);
  }  // destroyed mid-wait: returns at once
  LogVerifier never(events.get(), LogVerifierOptions{absl::ZeroDuration(), 10, nullptr});
  never.Start();
  EXPECT_EQ(never.Status().next_run_at, absl::InfinitePast());
}

}  // namespace
}  // namespace hotspot::server
