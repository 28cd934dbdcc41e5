// What the store does when the disk fails under it (issue 15 §2): a PowerLossFileSystem,
// injected through Options::env, fails write-ahead-log syncs or fills up on command. The random
// fault cycles are in fault_injection_test.cc, the real full file system in tmpfs_full_test.cc.
#include <atomic>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "store/event_store.h"
#include "store/power_loss_fs.h"
#include "store/recovering_db.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"
#include "store/test_util.h"

namespace hotspot::store {
namespace {

using internal::FromRocks;
using testing::OneEvent;
using testing::PowerLossFileSystem;
using testing::TempDir;

std::vector<StreamAppend> One(const std::string& stream, EventId id,
                              const std::string& payload = "x") {
  std::vector<StreamAppend> appends;
  appends.push_back(OneEvent(stream, ExpectedVersion::Any(), payload));
  appends[0].events[0].id = id;
  return appends;
}

// Polls the store's write status until it is OK (at most 10 s).
bool Resumes(const EventStore& store) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!store.WriteStatus().ok()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Every event of the log, and that each event id is in it once.
std::vector<RecordedEvent> WholeLog(const EventStore& store) {
  absl::StatusOr<std::vector<RecordedEvent>> events = store.ReadAll(0, Direction::kForward, 10'000);
  EXPECT_TRUE(events.ok()) << events.status();
  if (!events.ok()) return {};
  absl::flat_hash_set<EventId> ids;
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].position, i + 1);
    EXPECT_TRUE(ids.insert((*events)[i].id).second) << "twice: " << (*events)[i].id.ToString();
  }
  return *std::move(events);
}

class FailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.env = env_.get();
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(std::move(options), dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_ = std::make_shared<PowerLossFileSystem>();
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
  std::unique_ptr<EventStore> store_;
};

TEST_F(FailureTest, AFailedSyncAcknowledgesNothingAndTheStoreResumesByItself) {
  const EventId before = EventId::Generate();
  ASSERT_TRUE(store_->Append(One("youth-1", before)).ok());
  ASSERT_EQ(store_->HeadPosition(), 1u);
  EXPECT_TRUE(store_->WriteStatus().ok());

  // A lone append (written and synced by its own caller) and a batch of concurrent ones (synced
  // by the committer) while syncs fail: none is acknowledged, none becomes visible.
  fs_->InjectFaults({.sync = 1});
  const EventId lost = EventId::Generate();
  absl::StatusOr<AppendResult> failed = store_->Append(One("youth-1", lost));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "injected sync error"))
      << failed.status();
  absl::Mutex mu;
  int ok = 0, errors = 0;
  for (int i = 0; i < 50; ++i) {
    store_->AppendAsync(One(absl::StrCat("s-", i), EventId::Generate()),
                        [&](absl::StatusOr<AppendResult> r) {
                          absl::MutexLock lock(&mu);
                          (r.ok() ? ok : errors)++;
                        });
  }
  {
    absl::MutexLock lock(&mu);
    auto all = [&] { return ok + errors == 50; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(10)));
    EXPECT_EQ(ok, 0);
  }
  EXPECT_EQ(store_->WriteStatus().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(store_->WriteStatus().message(), dir_.path()))
      << store_->WriteStatus();
  EXPECT_EQ(store_->HeadPosition(), 1u);
  EXPECT_EQ(*store_->StreamVersion("youth-1"), 1u);

  // The disk is well again: the store resumes without being reopened. What of the failed appends
  // reached the log is in it now, once; retrying the failed one with the same id does not write
  // it twice.
  fs_->ClearFaults();
  ASSERT_TRUE(Resumes(*store_)) << store_->WriteStatus();
  const uint64_t resumed_at = store_->HeadPosition();
  absl::StatusOr<AppendResult> retry = store_->Append(One("youth-1", lost));
  ASSERT_TRUE(retry.ok()) << retry.status();
  const std::vector<RecordedEvent> log = WholeLog(*store_);
  ASSERT_EQ(log.size(), store_->HeadPosition());
  EXPECT_EQ(log[0].id, before);
  ASSERT_EQ(retry->positions.size(), 1u);
  EXPECT_EQ(log[retry->positions[0] - 1].id, lost);
  EXPECT_EQ(retry->duplicate, retry->positions[0] <= resumed_at);
  absl::StatusOr<std::vector<RecordedEvent>> youth =
      store_->ReadStream("youth-1", 0, Direction::kForward, 100);
  ASSERT_TRUE(youth.ok());
  ASSERT_EQ(youth->size(), 2u);
  EXPECT_EQ((*youth)[1].id, lost);
  const VerifyReport report = store_->Verify(0, UINT64_MAX);
  ASSERT_TRUE(report.status.ok()) << report.status;
  EXPECT_EQ(report.events_checked, store_->HeadPosition());
  EXPECT_GE(fs_->injected().syncs, 2u);
}

TEST_F(FailureTest, AFailedWriteFailsOnlyItsGroupAndTheNextAppendAfterTheFaultSucceeds) {
  ASSERT_TRUE(store_->Append(One("youth-1", EventId::Generate(), "first")).ok());
  fs_->InjectFaults({.write = 1});
  absl::StatusOr<AppendResult> failed = store_->Append(One("youth-1", EventId::Generate()));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "injected write error"))
      << failed.status();
  fs_->ClearFaults();

  // No waiting for the store: the next append finds the fault gone once the backoff (10 ms)
  // has passed, and succeeds right after the one in the log.
  absl::StatusOr<AppendResult> next;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    next = store_->Append(One("youth-1", EventId::Generate(), "second"));
  } while (!next.ok() && absl::Now() < deadline);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->positions, std::vector<uint64_t>{2});
  const std::vector<RecordedEvent> log = WholeLog(*store_);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].payload, "first");
  EXPECT_EQ(log[1].payload, "second");
  EXPECT_TRUE(store_->Verify(0, UINT64_MAX).status.ok());
}

TEST_F(FailureTest, AFullDiskRefusesAppendsWithResourceExhaustedKeepsReadsAndResumesWhenFreed) {
  for (int i = 1; i <= 20; ++i) {
    ASSERT_TRUE(store_->Append(One("youth-1", EventId::Generate(), absl::StrCat("e", i))).ok());
  }
  absl::StatusOr<std::unique_ptr<Subscription>> subscription =
      store_->Subscribe(0, SubscriptionFilter());
  ASSERT_TRUE(subscription.ok());

  fs_->InjectFaults({.no_space = true});
  const EventId refused = EventId::Generate();
  absl::StatusOr<AppendResult> full = store_->Append(One("youth-2", refused));
  ASSERT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << full.status();
  EXPECT_TRUE(absl::StrContains(full.status().message(), "No space left on device"))
      << full.status();
  EXPECT_TRUE(absl::StrContains(full.status().message(), "event store in " + dir_.path()))
      << full.status();
  EXPECT_EQ(store_->WriteStatus().code(), absl::StatusCode::kResourceExhausted);

  // Recovery attempts go on in the background and fail while the disk is full (the probe write
  // is refused); reads keep working all along.
  const uint64_t refusals = fs_->injected().no_space;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (fs_->injected().no_space < refusals + 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GE(fs_->injected().no_space, refusals + 3) << "the store does not retry";
  EXPECT_EQ(store_->Append(One("youth-2", refused)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->HeadPosition(), 20u);
  const std::vector<RecordedEvent> log = WholeLog(*store_);
  ASSERT_EQ(log.size(), 20u);
  EXPECT_EQ(log[19].payload, "e20");
  absl::StatusOr<std::vector<RecordedEvent>> stream =
      store_->ReadStream("youth-1", UINT64_MAX, Direction::kBackward, 1);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ((*stream)[0].stream_version, 20u);
  EXPECT_EQ(*store_->FindEvent(log[4].id), std::optional<uint64_t>(5));
  EXPECT_EQ(*store_->StreamVersion("youth-2"), 0u);
  const VerifyReport verified = store_->Verify(0, UINT64_MAX);
  EXPECT_TRUE(verified.status.ok()) << verified.status;
  EXPECT_EQ(verified.events_checked, 20u);
  absl::StatusOr<SubscriptionBatch> batch = (*subscription)->Next(100, absl::ZeroDuration());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events.size(), 20u);
  EXPECT_EQ(batch->checkpoint, 21u);

  // Space returns: appends resume without a reopen, right after the last acknowledged event.
  fs_->ClearFaults();
  ASSERT_TRUE(Resumes(*store_)) << store_->WriteStatus();
  absl::StatusOr<AppendResult> resumed = store_->Append(One("youth-2", refused));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->positions, std::vector<uint64_t>{21});
  EXPECT_FALSE(resumed->duplicate);
  batch = (*subscription)->Next(100, absl::Seconds(10));
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0]->id, refused);
  EXPECT_EQ(batch->events[0]->position, 21u);
  EXPECT_EQ(WholeLog(*store_).size(), 21u);
  EXPECT_TRUE(store_->Verify(0, UINT64_MAX).status.ok());
}

TEST_F(FailureTest, AFailedBeforeWriteFailsOnlyItsGroup) {
  store_.reset();
  std::atomic<bool> refuse{false};
  Options options;
  options.env = env_.get();
  options.before_write = [&refuse] {
    return refuse ? absl::UnavailableError("the key store refuses") : absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(std::move(options), dir_.path());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Append(One("youth-1", EventId::Generate(), "a")).ok());
  refuse = true;
  absl::StatusOr<AppendResult> refused = (*store)->Append(One("youth-1", EventId::Generate()));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  refuse = false;
  // Nothing was written: the store never stopped, and the next event follows the first.
  EXPECT_TRUE((*store)->WriteStatus().ok());
  absl::StatusOr<AppendResult> next = (*store)->Append(One("youth-1", EventId::Generate(), "b"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->positions, std::vector<uint64_t>{2});
  EXPECT_EQ(next->stream_versions, std::vector<uint64_t>{2});
  EXPECT_TRUE((*store)->Verify(0, UINT64_MAX).status.ok());
}

// A flush that fails in RocksDB's background (its table's fsync): the database is marked failed
// as it happens, not at the next write, which would fail with the error RocksDB held after the
// store had said it was well. Once the disk is well, the next write reopens it, and nothing is
// lost. The event store is told of background errors the same way (PrepareForFaults).
TEST_F(FailureTest, AFailedBackgroundFlushMarksTheDatabaseFailedAtOnceAndItRecovers) {
  store_.reset();
  internal::RecoveringDb::Options options;
  options.name = "the test database";
  options.db.create_if_missing = true;
  options.db.env = env_.get();
  const std::string directory = dir_.path() + "/db";
  absl::StatusOr<std::unique_ptr<internal::RecoveringDb>> db =
      internal::RecoveringDb::Open(options, directory);
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::WriteOptions synced;
  synced.sync = true;
  const auto put = [&](const std::string& key) {
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(batch.Put(key, "v").ok());
    return (*db)->Write(synced, &batch, "writing a test row");
  };
  ASSERT_TRUE(put("a").ok());

  fs_->InjectFaults({.sync = 1, .only_files_ending = ".sst"});
  // A flush in the background, not waited for: no write of ours meets its error.
  ASSERT_TRUE((*db)
                  ->Read([](rocksdb::DB& rocks) {
                    rocksdb::FlushOptions background;
                    background.wait = false;
                    return FromRocks(rocks.Flush(background), "flushing");
                  })
                  .ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*db)->Failure().ok() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  const absl::Status failure = (*db)->Failure();
  EXPECT_EQ(failure.code(), absl::StatusCode::kInternal) << failure;
  EXPECT_TRUE(absl::StrContains(failure.message(), "a flush")) << failure;
  EXPECT_TRUE(absl::StrContains(failure.message(), "injected sync error")) << failure;
  EXPECT_TRUE(absl::StrContains(failure.message(), "the test database")) << failure;
  EXPECT_GE(fs_->injected().syncs, 1u);
  // While the flush still fails, writes are refused with it (the reopening flushes too).
  EXPECT_EQ(put("b").code(), absl::StatusCode::kInternal);

  fs_->ClearFaults();
  absl::Status written;
  const absl::Time resumed_by = absl::Now() + absl::Seconds(10);
  do {
    written = put("c");  // the first after the backoff reopens the database
  } while (!written.ok() && absl::Now() < resumed_by);
  ASSERT_TRUE(written.ok()) << written;
  EXPECT_TRUE((*db)->Failure().ok());
  for (const std::string key : {"a", "c"}) {
    const absl::StatusOr<std::string> value =
        (*db)->Read([&](rocksdb::DB& rocks) -> absl::StatusOr<std::string> {
          std::string v;
          RETURN_IF_ERROR(FromRocks(rocks.Get(rocksdb::ReadOptions(), key, &v), "reading"));
          return v;
        });
    ASSERT_TRUE(value.ok()) << key << ": " << value.status();
    EXPECT_EQ(*value, "v");
  }
}

}  // namespace
}  // namespace hotspot::store
