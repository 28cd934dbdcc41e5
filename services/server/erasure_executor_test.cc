// The erasure executor never stops silently (issue 15 §4): a failure (here the checkpoint that
// cannot be written, a fault injected) is counted and kept in Status(), tried again after a backoff from the
// checkpoint, and once the fault clears the erasure is done and counted once. The destructor
// stops it in the middle of a long wait to retry.
// Its checkpoint is a row of the views' database; a data directory of before kept it in a file,
// which is adopted. In process: a fresh event store, key store and views' database in a
// temporary directory.
#include "services/server/erasure_executor.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hotspot/v1/events.pb.h"
#include "services/security/key_store.h"
#include "store/test_util.h"

namespace hotspot::server {
namespace {

using ::testing::HasSubstr;

struct Stores {
  explicit Stores(const store::testing::TempDir& dir) {
    security::KeyStoreOptions key_options;
    key_options.master_key_file = dir.Sub("master.key");
    key_options.sync = false;
    keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
    store::Options store_options;
    store_options.sync = false;
    events = *store::EventStore::Open(std::move(store_options), dir.Sub("events"));
    views = *store::ViewDb::Open({}, dir.Sub("views"));
  }
  // Appends an ErasureExecuted event for `youth`; its position.
  uint64_t Executed(const std::string& youth) {
    v1::Event event;
    event.mutable_erasure_executed()->set_erasure_id("erasure-" + youth);
    event.mutable_erasure_executed()->set_youth_id(youth);
    store::StreamAppend append;
    append.stream = "erasure-" + youth;
    append.events.push_back(
        {store::EventId(), "hotspot.v1.ErasureExecuted", event.SerializeAsString(), {}});
    return events->Append({std::move(append)})->positions.at(0);
  }
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<store::EventStore> events;
  std::unique_ptr<store::ViewDb> views;
  // The next position to examine, as the checkpoint row holds it.
  uint64_t Checkpoint() const { return *ErasureExecutor::ReadCheckpoint(*views); }
};

// Polls `done` every 5 ms for at most 30 s: the executor's own thread gets there by itself.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (!done()) {
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Fails every checkpoint write while `*failing` holds.
std::function<absl::Status()> FailWhile(const std::atomic<bool>* failing) {
  return [failing] {
    return failing->load() ? absl::InternalError("writing the checkpoint: fault injected")
                           : absl::OkStatus();
  };
}

TEST(ErasureExecutorTest, AFailureIsCountedAndTriedAgainUntilTheFaultClears) {
  store::testing::TempDir dir;
  Stores stores(dir);
  ASSERT_TRUE(stores.keys->KeyForSealing("youth-1").ok());
  std::atomic<bool> faulty{true};
  ErasureExecutorOptions options;
  options.retry_initial = absl::Milliseconds(10);
  options.retry_max = absl::Milliseconds(40);
  options.before_checkpoint = FailWhile(&faulty);
  auto executor = *ErasureExecutor::Start(stores.events.get(), stores.keys.get(),
                                          stores.views.get(), options);
  const uint64_t position = stores.Executed("youth-1");
  ASSERT_EQ(position, 1u);

  ASSERT_TRUE(Eventually([&] { return executor->Status().consecutive_failures >= 3; }));
  ErasureExecutorStatus failing = executor->Status();
  EXPECT_EQ(failing.erased, 0u);     // not counted: its checkpoint was not written
  EXPECT_EQ(failing.position, 1u);   // it tries again from the checkpoint
  EXPECT_EQ(failing.last_error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(failing.last_error.message(), HasSubstr("fault injected"));
  EXPECT_GT(failing.last_error_at, absl::InfinitePast());
  EXPECT_GE(failing.next_retry_at, failing.last_error_at);
  EXPECT_LE(failing.next_retry_at, failing.last_error_at + options.retry_max);
  EXPECT_EQ(*stores.views->GetMeta("checkpoint/@erasures"), std::nullopt);  // never written
  // The key is deleted before the checkpoint is written; deleting it again is harmless.
  EXPECT_TRUE(stores.keys->KeyForReading("youth-1")->erased);

  // The fault clears: the next try does the erasure and writes the checkpoint, without a restart.
  faulty = false;
  ASSERT_TRUE(Eventually([&] { return executor->Status().erased == 1; }));
  const ErasureExecutorStatus recovered = executor->Status();
  EXPECT_EQ(recovered.consecutive_failures, 0);
  EXPECT_EQ(recovered.next_retry_at, absl::InfinitePast());
  EXPECT_EQ(recovered.position, 2u);
  EXPECT_EQ(stores.Checkpoint(), 2u);
  EXPECT_FALSE(recovered.last_error.ok());  // the last failure is kept, with its time
  EXPECT_GE(recovered.last_error_at, failing.last_error_at);
  EXPECT_GT(recovered.last_erasure_at, failing.last_error_at);

  // A second erasure goes through at once, counted once.
  ASSERT_TRUE(stores.keys->KeyForSealing("youth-2").ok());
  stores.Executed("youth-2");
  ASSERT_TRUE(Eventually([&] { return executor->Status().erased == 2; }));
  EXPECT_EQ(stores.Checkpoint(), 3u);
  EXPECT_TRUE(stores.keys->KeyForReading("youth-2")->erased);
}

TEST(ErasureExecutorTest, ARestartedExecutorGoesOnFromItsCheckpoint) {
  store::testing::TempDir dir;
  Stores stores(dir);
  ASSERT_TRUE(stores.keys->KeyForSealing("youth-1").ok());
  stores.Executed("youth-1");
  {
    auto executor =
        *ErasureExecutor::Start(stores.events.get(), stores.keys.get(), stores.views.get());
    ASSERT_TRUE(Eventually([&] { return executor->Status().erased == 1; }));
  }
  // The row outlives the views' database being closed and opened again.
  stores.views.reset();
  stores.views = *store::ViewDb::Open({}, dir.Sub("views"));
  ASSERT_TRUE(stores.keys->KeyForSealing("youth-2").ok());
  stores.Executed("youth-2");
  auto executor =
      *ErasureExecutor::Start(stores.events.get(), stores.keys.get(), stores.views.get());
  EXPECT_EQ(executor->Status().position, 2u);
  ASSERT_TRUE(Eventually([&] { return executor->Status().erased == 1; }));
  EXPECT_EQ(stores.Checkpoint(), 3u);
  EXPECT_TRUE(stores.keys->KeyForReading("youth-2")->erased);
}

// A log without erasures still moves the checkpoint (every `idle_checkpoint_every` positions),
// so that a restarted executor does not read it all again.
TEST(ErasureExecutorTest, WithNothingToEraseTheCheckpointStillMoves) {
  store::testing::TempDir dir;
  Stores stores(dir);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(stores.events
                    ->Append({store::testing::OneEvent(absl::StrCat("other-", i),
                                                       store::ExpectedVersion::Any())})
                    .ok());
  }
  ErasureExecutorOptions options;
  options.idle_checkpoint_every = 5;
  {
    auto executor = *ErasureExecutor::Start(stores.events.get(), stores.keys.get(),
                                            stores.views.get(), options);
    ASSERT_TRUE(Eventually([&] { return stores.Checkpoint() == 13; }));
    EXPECT_EQ(executor->Status().erased, 0u);
  }
  // Fewer than that since: not written again.
  ASSERT_TRUE(stores.events
                  ->Append({store::testing::OneEvent("other-12", store::ExpectedVersion::Any())})
                  .ok());
  auto executor = *ErasureExecutor::Start(stores.events.get(), stores.keys.get(),
                                          stores.views.get(), options);
  EXPECT_EQ(executor->Status().position, 13u);
  ASSERT_TRUE(Eventually([&] { return executor->Status().position == 14; }));
  EXPECT_EQ(stores.Checkpoint(), 13u);
}

// Destroyed while it waits an hour to try again: the destructor wakes the wait and returns (the
// test would run into ctest's timeout otherwise).
TEST(ErasureExecutorTest, TheDestructorStopsAWaitToRetry) {
  store::testing::TempDir dir;
  Stores stores(dir);
  ASSERT_TRUE(stores.keys->KeyForSealing("youth-1").ok());
  std::atomic<bool> failing{true};
  ErasureExecutorOptions options;
  options.retry_initial = absl::Hours(1);
  options.before_checkpoint = FailWhile(&failing);
  auto executor = *ErasureExecutor::Start(stores.events.get(), stores.keys.get(),
                                          stores.views.get(), options);
  stores.Executed("youth-1");
  ASSERT_TRUE(Eventually([&] { return executor->Status().consecutive_failures == 1; }));
  EXPECT_GE(executor->Status().next_retry_at, absl::Now() + absl::Minutes(59));
  executor.reset();
  EXPECT_EQ(executor, nullptr);
}

TEST(ErasureExecutorTest, AnUnreadableCheckpointIsRefusedAtStart) {
  store::testing::TempDir dir;
  Stores stores(dir);
  ASSERT_TRUE(stores.views->PutDurableMeta("checkpoint/@erasures", "not a position").ok());
  const auto executor =
      ErasureExecutor::Start(stores.events.get(), stores.keys.get(), stores.views.get());
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(executor.status().message(), HasSubstr("checkpoint/@erasures"));
}

// A data directory of before kept the checkpoint in <data_dir>/erasures.checkpoint: adopted as
// the row once, and the file removed; a row written since wins over a file a crash left behind.
TEST(ErasureExecutorTest, ACheckpointFileOfBeforeIsAdoptedAsTheRow) {
  store::testing::TempDir dir;
  Stores stores(dir);
  const std::string file = dir.Sub("erasures.checkpoint");
  EXPECT_TRUE(ErasureExecutor::AdoptCheckpointFile(*stores.views, file).ok());  // none: nothing
  EXPECT_EQ(stores.Checkpoint(), 1u);

  std::ofstream(file) << "42\n";
  ASSERT_TRUE(ErasureExecutor::AdoptCheckpointFile(*stores.views, file).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(stores.Checkpoint(), 42u);
  stores.views.reset();  // the adopted row is durable
  stores.views = *store::ViewDb::Open({}, dir.Sub("views"));
  EXPECT_EQ(stores.Checkpoint(), 42u);

  std::ofstream(file) << "7\n";
  ASSERT_TRUE(ErasureExecutor::AdoptCheckpointFile(*stores.views, file).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(stores.Checkpoint(), 42u);

  std::ofstream(file) << "not a position\n";
  const absl::Status bad = ErasureExecutor::AdoptCheckpointFile(*stores.views, file);
  EXPECT_EQ(bad.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.message(), HasSubstr(file));
  EXPECT_TRUE(std::filesystem::exists(file));  // kept, for the operator to look at
}

}  // namespace
}  // namespace hotspot::server
