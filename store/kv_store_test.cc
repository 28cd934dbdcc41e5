// The contract of store::KvStore, on the RocksDB engine (the PostgreSQL engine is to pass the
// same). Failure and recovery are the key store's and the access log's fault tests.
#include "store/kv_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/status_macros.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using ::testing::ElementsAre;
using testing::AnyFileHolds;
using testing::TempDir;

std::unique_ptr<KvStore> OpenAt(const std::string& dir) {
  RocksKvOptions options;
  options.name = "the test store";
  absl::StatusOr<std::unique_ptr<KvStore>> store = OpenRocksKvStore(std::move(options), dir);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Every row from `from` on, as "key=value", at `at`.
std::vector<std::string> Rows(const KvStore& store, const KvSnapshot* at = nullptr,
                              absl::string_view from = "") {
  std::vector<std::string> rows;
  const absl::Status read = store.Read(at, [&](KvReader& reader) {
    for (auto it = reader.Seek(from); it->Valid(); it->Next()) {
      rows.push_back(absl::StrCat(it->key(), "=", it->value()));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return rows;
}

absl::StatusOr<std::optional<std::string>> Get(const KvStore& store, absl::string_view key) {
  std::optional<std::string> value;
  absl::Status read = store.Read(nullptr, [&](KvReader& reader) -> absl::Status {
    absl::StatusOr<std::optional<std::string>> got = reader.Get(key);
    if (got.ok()) value = *got;
    return got.status();
  });
  if (!read.ok()) return read;
  return value;
}

TEST(KvStoreTest, ABatchIsWrittenInOrderAndReadBackAfterAReopening) {
  TempDir dir;
  {
    auto store = OpenAt(dir.path());
    KvBatch batch;
    EXPECT_TRUE(batch.empty());
    batch.Put("b", "1");
    batch.Put("a", "2");
    batch.Put("c", "3");
    batch.Delete("c");  // a later write of a key wins
    batch.Put("a\xff", "4");
    ASSERT_TRUE(store->Write(batch, /*sync=*/true, "test rows").ok());
    EXPECT_EQ(*Get(*store, "a"), "2");
    EXPECT_EQ(*Get(*store, "c"), std::nullopt);
    EXPECT_THAT(Rows(*store), ElementsAre("a=2", "a\xff=4", "b=1"));
    EXPECT_THAT(Rows(*store, nullptr, "a\x01"), ElementsAre("a\xff=4", "b=1"));
  }
  auto store = OpenAt(dir.path());
  EXPECT_THAT(Rows(*store), ElementsAre("a=2", "a\xff=4", "b=1"));
}

TEST(KvStoreTest, TheLastKeyBeforeALimit) {
  TempDir dir;
  auto store = OpenAt(dir.path());
  auto last = [&](absl::string_view limit) {
    std::optional<std::string> key;
    EXPECT_TRUE(store
                    ->Read(nullptr,
                           [&](KvReader& reader) -> absl::Status {
                             ASSIGN_OR_RETURN(key, reader.LastKeyBefore(limit));
                             return absl::OkStatus();
                           })
                    .ok());
    return key;
  };
  EXPECT_EQ(last("s"), std::nullopt);  // empty
  KvBatch batch;
  for (const char* key : {"r1", "r2", "s", "t"}) batch.Put(key, "");
  ASSERT_TRUE(store->Write(batch, /*sync=*/false, "test rows").ok());
  EXPECT_EQ(last("s"), "r2");   // the limit itself is not before it
  EXPECT_EQ(last("s0"), "s");
  EXPECT_EQ(last("r1"), std::nullopt);
  EXPECT_EQ(last("\xff"), "t");
}

TEST(KvStoreTest, ASnapshotSeesOneMoment) {
  TempDir dir;
  auto store = OpenAt(dir.path());
  KvBatch first;
  first.Put("a", "1");
  ASSERT_TRUE(store->Write(first, /*sync=*/false, "test rows").ok());
  absl::StatusOr<std::unique_ptr<KvSnapshot>> snapshot = store->TakeSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  KvBatch second;
  second.Put("a", "2");
  second.Put("b", "2");
  ASSERT_TRUE(store->Write(second, /*sync=*/false, "test rows").ok());
  EXPECT_THAT(Rows(*store, snapshot->get()), ElementsAre("a=1"));
  EXPECT_THAT(Rows(*store), ElementsAre("a=2", "b=2"));
  EXPECT_EQ(store->generation(), 0u);  // never reopened
}

TEST(KvStoreTest, APurgeLeavesNoFileHoldingAnOverwrittenValue) {
  TempDir dir;
  const std::string secret(32, '\x5a');
  auto store = OpenAt(dir.path());
  KvBatch put;
  put.Put("youth-1", secret);
  ASSERT_TRUE(store->Write(put, /*sync=*/true, "a key").ok());
  ASSERT_TRUE(AnyFileHolds(dir.path(), secret));  // in the write-ahead log
  KvBatch erase;
  erase.Put("youth-1", "erased");
  ASSERT_TRUE(store->Write(erase, /*sync=*/true, "an erasure").ok());
  ASSERT_TRUE(store->Purge().ok());
  EXPECT_FALSE(AnyFileHolds(dir.path(), secret));
  EXPECT_EQ(*Get(*store, "youth-1"), "erased");
}

TEST(KvStoreTest, ACheckpointOpensWithWhatWasWritten) {
  TempDir dir;
  auto store = OpenAt(dir.Sub("live"));
  KvBatch batch;
  batch.Put("a", "1");
  ASSERT_TRUE(store->Write(batch, /*sync=*/false, "test rows").ok());
  ASSERT_TRUE(store->Checkpoint(dir.Sub("copy")).ok());
  EXPECT_EQ(store->Checkpoint(dir.Sub("copy")).code(), absl::StatusCode::kInvalidArgument);
  auto copy = OpenAt(dir.Sub("copy"));
  EXPECT_THAT(Rows(*copy), ElementsAre("a=1"));
}

TEST(KvStoreTest, AMissingStoreThatMayNotBeCreatedIsInvalidArgument) {
  TempDir dir;
  RocksKvOptions options;
  options.name = "the test store";
  options.create_if_missing = false;
  EXPECT_EQ(OpenRocksKvStore(options, dir.Sub("none")).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.name = "";
  options.create_if_missing = true;
  const absl::Status unnamed = OpenRocksKvStore(options, dir.Sub("none")).status();
  EXPECT_EQ(unnamed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unnamed.message(), ::testing::HasSubstr("name"));
}

}  // namespace
}  // namespace hotspot::store
