#include "services/common/backoff.h"

#include "gtest/gtest.h"

namespace hotspot::common {
namespace {

TEST(BackoffTest, DoublesUpToItsMostAndStartsOverAfterASuccess) {
  Backoff backoff(absl::Milliseconds(200), absl::Seconds(1));
  EXPECT_EQ(backoff.Failed(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Failed(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Failed(), absl::Milliseconds(800));
  EXPECT_EQ(backoff.Failed(), absl::Seconds(1));
  EXPECT_EQ(backoff.Failed(), absl::Seconds(1));
  backoff.Succeeded();
  EXPECT_EQ(backoff.Failed(), absl::Milliseconds(200));
  // A most below the first wait is the first wait.
  Backoff flat(absl::Seconds(2), absl::Seconds(1));
  EXPECT_EQ(flat.Failed(), absl::Seconds(2));
  EXPECT_EQ(flat.Failed(), absl::Seconds(2));
}

}  // namespace
}  // namespace hotspot::common
