// The contract of store::KvStore, on both engines: RocksDB in a temporary directory, PostgreSQL
// on a throwaway server (PgTestServer, started once for the whole program). Then what each
// engine does on its own: RocksDB's purge and checkpoint on disk (its failures and recovery are
// the key store's and the access log's fault tests); PostgreSQL's purge by VACUUM FULL, a
// connection lost and made again, and two stores (two nodes) on one table.
#include "store/kv_store.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/pg_test_server.h"
#include "store/status_macros.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using ::testing::ElementsAre;
using testing::AnyFileHolds;
using testing::PgTestServer;
using testing::TempDir;

PgTestServer& Pg() { return testing::ProgramPgServer(); }

// Where a store lives: a directory (RocksDB) or a table (PostgreSQL), fresh for each test.
class KvEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static int tables = 0;
    place_ = GetParam() == "rocks" ? dir_.Sub("kv") : absl::StrCat("kv_test_", ++tables);
  }
  // Opens the store (again, after a reopening: the same directory or table).
  std::unique_ptr<KvStore> Open() {
    absl::StatusOr<std::unique_ptr<KvStore>> store = absl::InternalError("unset");
    if (GetParam() == "rocks") {
      RocksKvOptions options;
      options.name = "the test store";
      store = OpenRocksKvStore(std::move(options), place_);
    } else {
      PgKvOptions options;
      options.name = "the test store";
      options.conninfo = Pg().conninfo("test");
      options.table = place_;
      store = OpenPgKvStore(std::move(options));
    }
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  TempDir dir_;
  std::string place_;
};

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

TEST_P(KvEngineTest, ABatchIsWrittenInOrderAndReadBackAfterAReopening) {
  {
    auto store = Open();
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
  auto store = Open();
  EXPECT_THAT(Rows(*store), ElementsAre("a=2", "a\xff=4", "b=1"));
}

TEST_P(KvEngineTest, TheLastKeyBeforeALimit) {
  auto store = Open();
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

TEST_P(KvEngineTest, ASnapshotSeesOneMomentAndAnIteratorReadsPastAPage) {
  auto store = Open();
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
  // 1,000 rows: more than one page of PostgreSQL's iterator, in order, none twice.
  KvBatch many;
  for (int i = 0; i < 1000; ++i) many.Put(absl::StrCat("m", 1000 + i), "");
  ASSERT_TRUE(store->Write(many, /*sync=*/true, "test rows").ok());
  const std::vector<std::string> rows = Rows(*store, nullptr, "m");
  ASSERT_EQ(rows.size(), 1000u);
  EXPECT_EQ(rows.front(), "m1000=");
  EXPECT_EQ(rows.back(), "m1999=");
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
}

INSTANTIATE_TEST_SUITE_P(Engines, KvEngineTest, ::testing::Values("rocks", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(RocksKvStoreTest, APurgeLeavesNoFileHoldingAnOverwrittenValue) {
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

TEST(RocksKvStoreTest, ACheckpointOpensWithWhatWasWritten) {
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

TEST(RocksKvStoreTest, AMissingStoreThatMayNotBeCreatedIsInvalidArgument) {
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

TEST(PgKvStoreTest, APurgeRewritesTheTableWithoutTheDeletedRow) {
  PgKvOptions options{"the test store", Pg().conninfo("test"), "kv_purge"};
  auto store = *OpenPgKvStore(options);
  const std::string secret(32, '\x5a');
  KvBatch put;
  put.Put("youth-1", secret);
  put.Put("youth-2", "kept");
  ASSERT_TRUE(store->Write(put, /*sync=*/true, "a key").ok());
  auto file = [&] {
    absl::StatusOr<std::string> path =
        Pg().Psql("test", "CHECKPOINT; SELECT pg_relation_filepath('kv_purge')");
    EXPECT_TRUE(path.ok()) << path.status();
    return Pg().data_directory() + "/" + std::string(absl::StripAsciiWhitespace(*path));
  };
  const std::string before = file();
  ASSERT_TRUE(AnyFileHolds(std::filesystem::path(before).parent_path(), secret,
                           std::filesystem::path(before).filename().string()));
  KvBatch erase;
  erase.Delete("youth-1");
  ASSERT_TRUE(store->Write(erase, /*sync=*/true, "an erasure").ok());
  ASSERT_TRUE(store->Purge().ok());
  const std::string after = file();
  EXPECT_NE(after, before);  // a new file; the old one is gone
  EXPECT_FALSE(std::filesystem::exists(before));
  EXPECT_FALSE(AnyFileHolds(std::filesystem::path(after).parent_path(), secret,
                            std::filesystem::path(after).filename().string()));
  EXPECT_EQ(*Get(*store, "youth-2"), "kept");
  EXPECT_EQ(store->Checkpoint("/tmp/nowhere").code(), absl::StatusCode::kUnimplemented);
}

// The server ends the store's connection (as a failover does): the call in flight is
// UNAVAILABLE (a write's, a read's: its callback is not run again), and the next call connects
// again by itself.
TEST(PgKvStoreTest, ALostConnectionIsUnavailableAndMadeAgainByTheNextCall) {
  PgKvOptions options{"the test store", Pg().conninfo("test"), "kv_lost"};
  auto store = *OpenPgKvStore(options);
  auto end_connections = [] {
    ASSERT_TRUE(Pg().Psql("test", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = 'test' AND pid <> pg_backend_pid()")
                    .ok());
  };
  KvBatch batch;
  batch.Put("a", "1");
  ASSERT_TRUE(store->Write(batch, /*sync=*/true, "test rows").ok());
  end_connections();
  const absl::Status lost = store->Write(batch, /*sync=*/true, "test rows");
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_THAT(lost.message(), ::testing::HasSubstr("the test store"));
  ASSERT_TRUE(store->Write(batch, /*sync=*/true, "test rows").ok());
  EXPECT_EQ(store->generation(), 1u);
  end_connections();
  int calls = 0;
  const absl::Status read = store->Read(nullptr, [&](KvReader& reader) {
    ++calls;
    return reader.Get("a").status();
  });
  EXPECT_EQ(read.code(), absl::StatusCode::kUnavailable) << read;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*Get(*store, "a"), "1");
  EXPECT_EQ(store->generation(), 2u);
  // An unsynced write, then Sync(): on the same server, every later reader sees it.
  KvBatch unsynced;
  unsynced.Put("b", "2");
  ASSERT_TRUE(store->Write(unsynced, /*sync=*/false, "test rows").ok());
  ASSERT_TRUE(store->Sync().ok());
  EXPECT_EQ(*Get(*store, "b"), "2");
}

// Two nodes name one table: each sees what the other wrote.
TEST(PgKvStoreTest, TwoStoresOnOneTableShareIt) {
  PgKvOptions options{"the test store", Pg().conninfo("test"), "kv_shared"};
  auto one = *OpenPgKvStore(options);
  auto two = *OpenPgKvStore(options);
  KvBatch batch;
  batch.Put("written-by-one", "1");
  ASSERT_TRUE(one->Write(batch, /*sync=*/false, "test rows").ok());
  ASSERT_TRUE(one->Sync().ok());
  EXPECT_EQ(*Get(*two, "written-by-one"), "1");
}

TEST(PgKvStoreTest, BadOptionsAreNamed) {
  EXPECT_THAT(OpenPgKvStore({"", "x", "t"}).status().message(), ::testing::HasSubstr("name"));
  EXPECT_THAT(OpenPgKvStore({"n", "", "t"}).status().message(), ::testing::HasSubstr("conninfo"));
  for (const char* bad : {"Bad-Name", "1kv", "user", ""}) {
    const absl::Status table = OpenPgKvStore({"n", Pg().conninfo("test"), bad}).status();
    EXPECT_EQ(table.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(table.message(), ::testing::HasSubstr("table")) << bad;
  }
  const absl::Status nobody =
      OpenPgKvStore({"n", "host=127.0.0.1 port=1 connect_timeout=2", "t"}).status();
  EXPECT_EQ(nobody.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hotspot::store
