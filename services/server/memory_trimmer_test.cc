#include "services/server/memory_trimmer.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace hotspot::server {
namespace {

// Resident bytes of this process (/proc/self/statm).
long ResidentBytes() {
  long pages = 0, resident = 0;
  FILE* statm = fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  if (fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(statm);
  return resident * sysconf(_SC_PAGESIZE);
}

// Memory freed in the middle of the heap (its last block still in use, so that free() cannot
// give back the top) stays resident until it is trimmed.
TEST(MemoryTrimmerTest, FreedMemoryIsGivenBack) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces glibc's malloc, whose memory this trims";
#endif
  constexpr size_t kBlocks = 100'000, kBlockBytes = 2'000;  // 200 MB, below mmap's threshold
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kBlocks);
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlockBytes]);
    for (size_t at = 0; at < kBlockBytes; at += 512) blocks.back()[at] = 1;  // touched: resident
  }
  for (size_t i = 0; i + 1 < kBlocks; ++i) blocks[i].reset();
  const long before = ResidentBytes();
  ASSERT_TRUE(MemoryTrimmer::TrimNow());
  const long after = ResidentBytes();
  EXPECT_LT(after, before - 150'000'000L) << before << " -> " << after;
}

TEST(MemoryTrimmerTest, ItStopsPromptlyAndAZeroIntervalRunsNothing) {
  const absl::Time start = absl::Now();
  { MemoryTrimmer hourly(absl::Hours(1)); }
  { MemoryTrimmer never(absl::ZeroDuration()); }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace hotspot::server
