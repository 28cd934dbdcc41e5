#include "services/common/timers.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace hotspot::common {
namespace {

TEST(TimersTest, RunsInTimeOrderWhateverTheOrderGiven) {
  Timers timers;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification last;
  const absl::Time now = absl::Now();
  timers.At(now + absl::Milliseconds(60), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(3);
    last.Notify();
  });
  timers.At(now + absl::Milliseconds(20), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
  });
  timers.At(now - absl::Seconds(1), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  last.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimersTest, ACancelledCallbackNeverRunsAndIsCancelledOnce) {
  Timers timers;
  bool ran = false;
  const uint64_t ticket = timers.At(absl::Now() + absl::Milliseconds(30), [&] { ran = true; });
  EXPECT_NE(ticket, 0u);
  EXPECT_TRUE(timers.Cancel(ticket));
  EXPECT_FALSE(timers.Cancel(ticket));
  EXPECT_FALSE(timers.Cancel(0));
  // A later timer runs: the cancelled one, due before it, would have run first.
  absl::Notification later;
  timers.At(absl::Now() + absl::Milliseconds(60), [&] { later.Notify(); });
  later.WaitForNotification();
  EXPECT_FALSE(ran);
}

TEST(TimersTest, DestroyingDropsWhatIsNotDue) {
  bool ran = false;
  {
    Timers timers;
    timers.At(absl::Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace hotspot::common
