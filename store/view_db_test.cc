#include "store/view_db.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::AnyFileHolds;
using testing::TempDir;

std::vector<std::string> Names(const ViewDb& db) {
  std::vector<std::string> names;
  for (const ViewDb::Table* table : db.Tables()) names.push_back(ViewDb::NameOf(table));
  return names;
}

// Every row of `table` from `from` on, as "key=value", read through one snapshot.
std::vector<std::string> Rows(const ViewDb::Snapshot& snapshot, const ViewDb::Table* table,
                              absl::string_view from = "") {
  std::vector<std::string> rows;
  EXPECT_TRUE(snapshot
                  .Scan(table, from,
                        [&](absl::string_view key, absl::string_view value) {
                          rows.push_back(absl::StrCat(key, "=", value));
                          return true;
                        })
                  .ok());
  return rows;
}

TEST(ViewDbTest, TablesAndMetaRowsAreWrittenTogetherAndKeptAcrossAReopening) {
  TempDir dir;
  {
    auto db = *ViewDb::Open({}, dir.path());
    EXPECT_THAT(Names(*db), IsEmpty());
    ViewDb::Table* cases = *db->CreateTable("cases.v5");
    ViewDb::Table* areas = *db->CreateTable("areas.v2");
    EXPECT_EQ(db->Find("cases.v5"), cases);
    EXPECT_EQ(db->Find("nothing"), nullptr);
    const absl::Status again = db->CreateTable("cases.v5").status();
    EXPECT_EQ(again.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(again.message(), ::testing::HasSubstr("cases.v5"));
    EXPECT_EQ(db->CreateTable("").status().code(), absl::StatusCode::kInvalidArgument);

    ViewDb::Batch batch;
    EXPECT_TRUE(batch.empty());
    batch.Put(cases, "youth/1", "open");
    batch.Put(cases, "youth/2", "closed");
    batch.Delete(cases, "youth/2");  // a later write of a key wins
    batch.Put(areas, "area/a", "A");
    batch.PutMeta("checkpoint/cases.v5", "7");
    EXPECT_FALSE(batch.empty());
    ASSERT_TRUE(db->Write(batch).ok());
    EXPECT_EQ(*db->Get(cases, "youth/1"), "open");
    EXPECT_EQ(*db->Get(cases, "youth/2"), std::nullopt);
    EXPECT_EQ(*db->Get(areas, "youth/1"), std::nullopt);  // tables are apart
    EXPECT_EQ(*db->GetMeta("checkpoint/cases.v5"), "7");
    EXPECT_EQ(*db->GetMeta("checkpoint/areas.v2"), std::nullopt);
    ASSERT_TRUE(db->PutDurableMeta("active/cases.v5", "cases.v5").ok());
  }  // closing flushes the rows written without a write-ahead log
  auto db = *ViewDb::Open({}, dir.path());
  EXPECT_THAT(Names(*db), UnorderedElementsAre("cases.v5", "areas.v2"));
  EXPECT_EQ(*db->Get(db->Find("cases.v5"), "youth/1"), "open");
  EXPECT_EQ(*db->Get(db->Find("areas.v2"), "area/a"), "A");
  EXPECT_EQ(*db->GetMeta("checkpoint/cases.v5"), "7");
  EXPECT_EQ(*db->GetMeta("active/cases.v5"), "cases.v5");
}

TEST(ViewDbTest, ASnapshotSeesOneMomentAndScansInKeyOrder) {
  TempDir dir;
  auto db = *ViewDb::Open({}, dir.path());
  ViewDb::Table* table = *db->CreateTable("t");
  {
    ViewDb::Batch batch;
    for (const char* key : {"b", "a\xff", "a", "c"}) batch.Put(table, key, "1");
    ASSERT_TRUE(db->Write(batch).ok());
  }
  const std::unique_ptr<ViewDb::Snapshot> before = db->TakeSnapshot();
  {
    ViewDb::Batch batch;
    batch.Put(table, "b", "2");
    batch.Delete(table, "c");
    ASSERT_TRUE(db->Write(batch).ok());
  }
  // Keys compare as unsigned bytes: 0xff after every ASCII letter, before the next one.
  EXPECT_THAT(Rows(*before, table), ::testing::ElementsAre("a=1", "a\xff=1", "b=1", "c=1"));
  EXPECT_THAT(Rows(*before, table, "b"), ::testing::ElementsAre("b=1", "c=1"));
  EXPECT_EQ(*before->Get(table, "b"), "1");
  EXPECT_THAT(Rows(*db->TakeSnapshot(), table), ::testing::ElementsAre("a=1", "a\xff=1", "b=2"));
  // A visit that stops ends the scan; Get() from within a scan reads the same moment.
  std::vector<std::string> seen;
  ASSERT_TRUE(before
                  ->Scan(table, "",
                         [&](absl::string_view key, absl::string_view) {
                           seen.push_back(absl::StrCat(key, ":", **before->Get(table, "c")));
                           return seen.size() < 2;
                         })
                  .ok());
  EXPECT_THAT(seen, ::testing::ElementsAre("a:1", "a\xff:1"));
}

TEST(ViewDbTest, ADroppedTableIsGoneAndItsHandleStillNamesIt) {
  TempDir dir;
  {
    auto db = *ViewDb::Open({}, dir.path());
    ViewDb::Table* old = *db->CreateTable("cases.v3");
    ViewDb::Batch batch;
    batch.Put(old, "youth/1", "x");
    ASSERT_TRUE(db->Write(batch).ok());
    ASSERT_TRUE(db->DropTable(old).ok());
    EXPECT_EQ(ViewDb::NameOf(old), "cases.v3");
    EXPECT_EQ(db->Find("cases.v3"), nullptr);
    EXPECT_THAT(Names(*db), IsEmpty());
    // The name may be used again, for a new, empty table.
    ViewDb::Table* fresh = *db->CreateTable("cases.v3");
    EXPECT_NE(fresh, old);
    EXPECT_EQ(*db->Get(fresh, "youth/1"), std::nullopt);
  }
  auto db = *ViewDb::Open({}, dir.path());
  EXPECT_THAT(Names(*db), UnorderedElementsAre("cases.v3"));
  EXPECT_EQ(*db->Get(db->Find("cases.v3"), "youth/1"), std::nullopt);
}

TEST(ViewDbTest, APurgeLeavesNoFileHoldingADeletedRow) {
  TempDir dir;
  const std::string secret = "Ahmed-Hassan-010110";
  auto db = *ViewDb::Open({}, dir.path());
  ViewDb::Table* table = *db->CreateTable("subjects.v1");
  {
    ViewDb::Batch batch;
    batch.Put(table, "youth/1", secret);
    batch.Put(table, "youth/2", "kept");
    ASSERT_TRUE(db->Write(batch).ok());
  }
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(AnyFileHolds(dir.path(), secret, ".sst"));
  {
    ViewDb::Batch batch;
    batch.Delete(table, "youth/1");
    ASSERT_TRUE(db->Write(batch).ok());
  }
  ASSERT_TRUE(db->Purge({table}).ok());
  EXPECT_FALSE(AnyFileHolds(dir.path(), secret));
  EXPECT_FALSE(AnyFileHolds(dir.path(), "youth/1"));  // nor its key (a MANIFEST names keys)
  EXPECT_EQ(*db->Get(table, "youth/2"), "kept");
}

}  // namespace
}  // namespace hotspot::store
