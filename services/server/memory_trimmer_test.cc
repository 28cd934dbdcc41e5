#include "services/server/memory_trimmer.h"

#include <malloc.h>
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

// With a fixed mmap threshold a large block is mapped on its own and unmapped when freed, every
// time; by glibc's default the first free raises the threshold, and the next such block comes
// from the heap, where it stays resident once freed.
TEST(MemoryTrimmerTest, AFixedMmapThresholdKeepsLargeBlocksOutOfTheHeaps) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces glibc's malloc, which this configures";
#endif
  ASSERT_TRUE(MemoryTrimmer::ConfigureAllocator(/*arena_max=*/2, /*mmap_threshold_bytes=*/128 << 10));
  for (int round = 0; round < 3; ++round) {
    const size_t mapped_before = mallinfo2().hblkhd;
    auto block = std::make_unique<char[]>(512 << 10);
    block[0] = 1;
    EXPECT_GE(mallinfo2().hblkhd, mapped_before + (512 << 10)) << "round " << round;
    block.reset();
    EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "round " << round;
  }
  // glibc's largest threshold is 32 MiB.
  EXPECT_FALSE(MemoryTrimmer::ConfigureAllocator(/*arena_max=*/0, /*mmap_threshold_bytes=*/
                                                 size_t{64} << 20));
}

TEST(MemoryTrimmerTest, ItStopsPromptlyAndAZeroIntervalRunsNothing) {
  const absl::Time start = absl::Now();
  { MemoryTrimmer hourly(absl::Hours(1)); }
  { MemoryTrimmer never(absl::ZeroDuration()); }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace hotspot::server
