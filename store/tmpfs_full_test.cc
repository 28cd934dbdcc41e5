// A real full disk (issue 15 §2): the store on a 4 MiB tmpfs, mounted by the test (it needs
// root, as CI has; without it the test fails saying so), filled up by a file beside the store
// and then freed by deleting that file.
#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::Fill;
using testing::Tmpfs;

std::vector<StreamAppend> One(EventId id, const std::string& payload) {
  std::vector<StreamAppend> appends;
  appends.push_back(testing::OneEvent("youth-1", ExpectedVersion::Any(), payload));
  appends[0].events[0].id = id;
  return appends;
}

TEST(TmpfsFullTest, AFullFileSystemRefusesAppendsKeepsReadsAndResumesOnceFreed) {
  Tmpfs tmpfs("4m");
  ASSERT_TRUE(tmpfs.error().empty()) << tmpfs.error();
  {
    Options options;
    options.max_recovery_backoff = absl::Milliseconds(50);
    absl::StatusOr<std::unique_ptr<EventStore>> opened =
        EventStore::Open(std::move(options), tmpfs.Sub("events"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    EventStore& store = **opened;
    for (int i = 1; i <= 20; ++i) {
      ASSERT_TRUE(store.Append(One(EventId::Generate(), absl::StrCat("e", i))).ok());
    }

    // Full: appends are refused with RESOURCE_EXHAUSTED (a few may still fit in the log file's
    // last page first).
    ASSERT_GT(Fill(tmpfs.Sub("filler")), 0u);
    const std::string payload(1000, 'p');
    EventId refused;
    absl::StatusOr<AppendResult> full;
    uint64_t acked = 20;
    for (int i = 0; i < 1000; ++i) {
      refused = EventId::Generate();
      full = store.Append(One(refused, payload));
      if (!full.ok()) break;
      ASSERT_EQ(full->positions, std::vector<uint64_t>{++acked});
    }
    ASSERT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << full.status();
    EXPECT_TRUE(absl::StrContains(full.status().message(), "No space left on device"))
        << full.status();
    EXPECT_EQ(store.WriteStatus().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(store.Append(One(EventId::Generate(), "x")).status().code(),
              absl::StatusCode::kResourceExhausted);

    // Reads keep working.
    EXPECT_EQ(store.HeadPosition(), acked);
    absl::StatusOr<std::vector<RecordedEvent>> log = store.ReadAll(0, Direction::kForward, 10'000);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_EQ(log->size(), acked);
    EXPECT_EQ((*log)[19].payload, "e20");
    absl::StatusOr<std::vector<RecordedEvent>> stream =
        store.ReadStream("youth-1", 0, Direction::kForward, 10'000);
    ASSERT_TRUE(stream.ok()) << stream.status();
    EXPECT_EQ(stream->size(), acked);
    const VerifyReport verified = store.Verify(0, UINT64_MAX);
    EXPECT_TRUE(verified.status.ok()) << verified.status;
    EXPECT_EQ(verified.events_checked, acked);

    // Freed: appends resume without a reopen; the refused one, retried, is written once.
    ASSERT_EQ(std::remove(tmpfs.Sub("filler").c_str()), 0);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!store.WriteStatus().ok() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_TRUE(store.WriteStatus().ok()) << store.WriteStatus();
    const uint64_t resumed_at = store.HeadPosition();
    absl::StatusOr<AppendResult> retry = store.Append(One(refused, payload));
    ASSERT_TRUE(retry.ok()) << retry.status();
    EXPECT_EQ(retry->duplicate, retry->positions[0] <= resumed_at);
    absl::StatusOr<AppendResult> next = store.Append(One(EventId::Generate(), "after"));
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->positions, std::vector<uint64_t>{store.HeadPosition()});
    log = store.ReadAll(0, Direction::kForward, 10'000);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ(log->size(), store.HeadPosition());
    int copies = 0;
    for (const RecordedEvent& e : *log) copies += e.id == refused;
    EXPECT_EQ(copies, 1);
    EXPECT_EQ(log->back().payload, "after");
    EXPECT_TRUE(store.Verify(0, UINT64_MAX).status.ok());
  }
}

}  // namespace
}  // namespace hotspot::store
