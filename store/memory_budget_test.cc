// Issue 15 §6: what RocksDB holds in memory is bounded over every database of a process,
// however much they hold on disk.
#include "store/memory_budget.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::MakeEvent;
using testing::TempDir;

constexpr size_t kMiB = size_t{1} << 20;

std::string RandomBytes(absl::BitGen& random, size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(absl::Uniform<unsigned>(random, 0, 256));
  return bytes;
}

// Appends `bytes` of random payloads (incompressible) in appends of 64 events of 4 KiB.
void AppendBytes(EventStore& store, size_t bytes, absl::BitGen& random) {
  for (size_t written = 0; written < bytes;) {
    StreamAppend append;
    append.stream = absl::StrCat("youth-", written / (256 * 1024));
    for (int i = 0; i < 64; ++i) {
      append.events.push_back(MakeEvent(RandomBytes(random, 4096)));
      written += 4096;
    }
    std::vector<StreamAppend> appends;
    appends.push_back(std::move(append));
    ASSERT_TRUE(store.Append(std::move(appends)).ok());
  }
}

TEST(MemoryBudgetTest, TwoStoresShareOneBoundOnTheirMemtablesAndTheirBlockCache) {
  MemoryBudget::Options limits;
  limits.write_buffer_bytes = 32 * kMiB;
  limits.cache_bytes = 1 * kMiB;
  const std::shared_ptr<MemoryBudget> budget = MemoryBudget::Create(limits);
  EXPECT_EQ(budget->usage().write_buffer_bytes, 0u);

  TempDir first_dir, second_dir;
  std::vector<std::unique_ptr<EventStore>> stores;
  for (const TempDir* dir : {&first_dir, &second_dir}) {
    Options options;
    options.sync = false;
    options.memory = budget;
    absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(std::move(options),
                                                                         dir->path());
    ASSERT_TRUE(store.ok()) << store.status();
    stores.push_back(*std::move(store));
  }

  // 48 MiB into each: 96 MiB, three times the bound. Left to RocksDB's defaults each store's log
  // family alone would keep its 48 MiB in one memtable (64 MiB before it flushes).
  absl::BitGen random;
  for (auto& store : stores) AppendBytes(*store, 48 * kMiB, random);

  // The bound is soft: memtables being flushed count until written out, and a write sets off a
  // flush once the mutable memtables pass 7/8 of it. Once the flushes the writes set off are
  // done, what is left is within it (each family's memtable holds at least one arena block of
  // 1 MiB: ten families here).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (budget->usage().write_buffer_bytes > limits.write_buffer_bytes &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_LE(budget->usage().write_buffer_bytes, limits.write_buffer_bytes);
  EXPECT_GT(budget->usage().write_buffer_bytes, 0u);

  // Every event reads back whole, its blocks through the shared cache, which stays within its
  // capacity once nothing holds them.
  for (auto& store : stores) {
    uint64_t position = 1;
    for (;;) {
      absl::StatusOr<std::vector<RecordedEvent>> read =
          store->ReadAll(position, Direction::kForward, 1000);
      ASSERT_TRUE(read.ok()) << read.status();
      if (read->empty()) break;
      for (const RecordedEvent& event : *read) {
        ASSERT_EQ(event.position, position);
        ASSERT_EQ(event.payload.size(), 4096u);
        ++position;
      }
    }
    EXPECT_EQ(position, 48 * kMiB / 4096 + 1);
  }
  const MemoryBudget::Usage after_reads = budget->usage();
  EXPECT_GT(after_reads.cache_bytes, 0u);
  EXPECT_LE(after_reads.cache_bytes, limits.cache_bytes);
}

TEST(MemoryBudgetTest, StoresThatNameNoBudgetShareTheProcessDefault) {
  const std::shared_ptr<MemoryBudget> shared = MemoryBudget::ProcessDefault();
  EXPECT_EQ(shared, MemoryBudget::ProcessDefault());
  EXPECT_EQ(shared->options().cache_bytes, 64 * kMiB);
  EXPECT_EQ(shared->options().write_buffer_bytes, 128 * kMiB);

  const uint64_t before = shared->usage().write_buffer_bytes;
  TempDir dir;
  Options options;
  options.sync = false;
  absl::StatusOr<std::unique_ptr<EventStore>> store = EventStore::Open(std::move(options),
                                                                       dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::BitGen random;
  AppendBytes(**store, 1 * kMiB, random);
  EXPECT_GE(shared->usage().write_buffer_bytes, before + 1 * kMiB);
}

}  // namespace
}  // namespace hotspot::store
