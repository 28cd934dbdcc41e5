// What the store does when the disk fails under it: a file system that fails write-ahead-log
// syncs on demand, injected through Options::env.
#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "store/event_store.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using testing::OneEvent;
using testing::TempDir;

// Fails Sync/Fsync of write-ahead-log files ("*.log") while `fail_syncs` is set.
class FailingSyncFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingSyncFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "FailingSyncFileSystem"; }

  std::atomic<bool> fail_syncs{false};

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    if (absl::EndsWith(name, ".log")) {
      *result = std::make_unique<File>(std::move(file), this);
    } else {
      *result = std::move(file);
    }
    return s;
  }

 private:
  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FailingSyncFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->fail_syncs) return rocksdb::IOStatus::IOError("injected sync failure");
      return FSWritableFileOwnerWrapper::Sync(o, d);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->fail_syncs) return rocksdb::IOStatus::IOError("injected sync failure");
      return FSWritableFileOwnerWrapper::Fsync(o, d);
    }

   private:
    FailingSyncFileSystem* fs_;
  };
};

std::vector<StreamAppend> One(const std::string& stream, EventId id) {
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent(stream, ExpectedVersion::Any()));
  appends[0].events[0].id = id;
  return appends;
}

TEST(FailureTest, AFailedSyncAcknowledgesNothingStopsAppendsAndRecoversOnReopen) {
  TempDir dir;
  auto fs = std::make_shared<FailingSyncFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  Options options;
  options.env = env.get();
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(std::move(options), dir.path());
  ASSERT_TRUE(store.ok()) << store.status();

  const EventId before = EventId::Generate();
  ASSERT_TRUE((*store)->Append(One("youth-1", before)).ok());
  ASSERT_EQ((*store)->HeadPosition(), 1u);
  EXPECT_TRUE((*store)->WriteStatus().ok());

  // A lone append (written and synced by its own caller) and a batch of concurrent ones (synced
  // by the committer) while syncs fail: none is acknowledged, none becomes visible.
  fs->fail_syncs = true;
  const EventId lost = EventId::Generate();
  absl::StatusOr<AppendResult> failed = (*store)->Append(One("youth-1", lost));
  EXPECT_FALSE(failed.ok());
  std::atomic<int> ok{0}, errors{0};
  for (int i = 0; i < 50; ++i) {
    (*store)->AppendAsync(One(absl::StrCat("s-", i), EventId::Generate()),
                          [&](absl::StatusOr<AppendResult> r) { (r.ok() ? ok : errors)++; });
  }
  fs->fail_syncs = false;

  // Sticky: even with the disk healthy again, appends fail until the store is reopened.
  absl::StatusOr<AppendResult> after = (*store)->Append(One("youth-2", EventId::Generate()));
  EXPECT_FALSE(after.ok());
  EXPECT_TRUE(absl::StrContains(after.status().message(), "reopen")) << after.status();
  EXPECT_EQ((*store)->WriteStatus(), after.status());
  EXPECT_EQ((*store)->HeadPosition(), 1u);
  EXPECT_EQ((*(*store)->ReadAll(0, Direction::kForward, 100)).size(), 1u);
  EXPECT_EQ(*(*store)->StreamVersion("youth-1"), 1u);
  store->reset();  // completes every queued append
  EXPECT_EQ(ok.load(), 0);
  EXPECT_EQ(errors.load(), 50);

  // Reopened on a healthy disk: a gap-free, verifiable log with the acknowledged event. The
  // failed ones may or may not have survived; a retry with the same id writes it exactly once.
  store = EventStore::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  const VerifyReport report = (*store)->Verify(0, UINT64_MAX);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, (*store)->HeadPosition());
  absl::StatusOr<std::vector<RecordedEvent>> first = (*store)->ReadAll(1, Direction::kForward, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].id, before);
  absl::StatusOr<AppendResult> retry = (*store)->Append(One("youth-1", lost));
  ASSERT_TRUE(retry.ok()) << retry.status();
  absl::StatusOr<std::vector<RecordedEvent>> youth =
      (*store)->ReadStream("youth-1", 0, Direction::kForward, 100);
  ASSERT_TRUE(youth.ok());
  ASSERT_EQ(youth->size(), 2u);
  EXPECT_EQ((*youth)[1].id, lost);
}

}  // namespace
}  // namespace hotspot::store
