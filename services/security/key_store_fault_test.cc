// Injected I/O errors and a full disk under the key store (issue 15 §2): only the affected
// writes fail, reads go on, the store resumes by itself once the fault clears (no reopen by the
// caller), and every acknowledged key survives a power cut after that, and unseals.
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/power_loss_fs.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::PowerLossFileSystem;

class KeyStoreFaultTest : public ::testing::Test {
 protected:
  KeyStoreFaultTest()
      : fs_(std::make_shared<PowerLossFileSystem>()), env_(rocksdb::NewCompositeEnv(fs_)) {}

  std::unique_ptr<KeyStore> Open(bool defer_new_keys) {
    KeyStoreOptions options;
    options.master_key_file = dir_.Sub("master.key");
    options.defer_new_keys = defer_new_keys;
    options.env = env_.get();
    absl::StatusOr<std::unique_ptr<KeyStore>> keys = KeyStore::Open(options, dir_.Sub("keys"));
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? *std::move(keys) : nullptr;
  }

  // Cuts the power, drops what was not synced, and opens the store again.
  std::unique_ptr<KeyStore> PowerCutAndReopen(std::unique_ptr<KeyStore> keys, bool defer) {
    fs_->PowerOff();
    keys.reset();
    EXPECT_TRUE(fs_->DropUnsyncedData().ok());
    return Open(defer);
  }

  // Calls `write` until it succeeds (the store retries its reopening with a backoff), for at
  // most 10 s; its last status.
  static absl::Status UntilOk(const std::function<absl::Status()>& write) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    absl::Status status = write();
    while (!status.ok() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
      status = write();
    }
    return status;
  }

  store::testing::TempDir dir_;
  std::shared_ptr<PowerLossFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(KeyStoreFaultTest, FailedSyncFailsOnlyThatSyncAndTheStoreResumesByItself) {
  std::unique_ptr<KeyStore> keys = Open(/*defer_new_keys=*/true);
  ASSERT_NE(keys, nullptr);
  Sealer sealer(keys.get());
  std::map<std::string, SealedValue> sealed;  // subject -> its sealed name
  auto seal = [&](const std::string& subject) {
    absl::StatusOr<SealedValue> value = sealer.Seal(subject, "name", "the name of " + subject);
    ASSERT_TRUE(value.ok()) << value.status();
    sealed[subject] = *value;
  };
  seal("youth-a");
  ASSERT_TRUE(keys->Sync().ok());

  seal("youth-b");  // pending: its Sync fails
  fs_->InjectFaults({.sync = 1});
  const absl::Status failed = keys->Sync();
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << failed;
  seal("youth-c");  // sealing needs no write; its key waits with youth-b's
  EXPECT_FALSE(keys->Sync().ok());
  // Reads go on: the durable key and the pending ones.
  for (const auto& [subject, value] : sealed) {
    absl::StatusOr<UnsealedValue> text = sealer.Unseal(value, "name");
    ASSERT_TRUE(text.ok()) << subject << ": " << text.status();
    EXPECT_EQ(text->text, "the name of " + subject);
  }

  fs_->ClearFaults();
  ASSERT_TRUE(UntilOk([&] { return keys->Sync(); }).ok());
  seal("youth-d");
  ASSERT_TRUE(keys->Sync().ok());

  // Every key acknowledged by a Sync() is durable: each value unseals after a power cut.
  keys = PowerCutAndReopen(std::move(keys), /*defer=*/true);
  ASSERT_NE(keys, nullptr);
  Sealer reopened(keys.get());
  for (const auto& [subject, value] : sealed) {
    absl::StatusOr<UnsealedValue> text = reopened.Unseal(value, "name");
    ASSERT_TRUE(text.ok()) << subject << ": " << text.status();
    EXPECT_EQ(text->text, "the name of " + subject);
  }
}

TEST_F(KeyStoreFaultTest, FailedWriteOfANewKeyFailsItAndTheNextOneIsKept) {
  std::unique_ptr<KeyStore> keys = Open(/*defer_new_keys=*/false);
  ASSERT_NE(keys, nullptr);
  Sealer sealer(keys.get());
  fs_->InjectFaults({.write = 1});
  const absl::StatusOr<SealedValue> refused = sealer.Seal("youth-a", "name", "Ann");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal) << refused.status();
  fs_->ClearFaults();
  absl::StatusOr<SealedValue> value;
  ASSERT_TRUE(UntilOk([&] {
                value = sealer.Seal("youth-a", "name", "Ann");
                return value.status();
              }).ok())
      << value.status();
  absl::StatusOr<std::string> dependent = keys->NewDependentSubject("call", {"youth-a"});
  ASSERT_TRUE(dependent.ok()) << dependent.status();

  keys = PowerCutAndReopen(std::move(keys), /*defer=*/false);
  ASSERT_NE(keys, nullptr);
  Sealer reopened(keys.get());
  absl::StatusOr<UnsealedValue> text = reopened.Unseal(*value, "name");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->text, "Ann");
  // The link was acknowledged too: erasing the parent erases the dependent.
  ASSERT_TRUE(keys->Erase("youth-a").ok());
  absl::StatusOr<DataKey> erased = keys->KeyForReading(*dependent);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->erased);
}

TEST_F(KeyStoreFaultTest, FullDiskRefusesWritesWithResourceExhaustedKeepsReadsAndResumes) {
  std::unique_ptr<KeyStore> keys = Open(/*defer_new_keys=*/true);
  ASSERT_NE(keys, nullptr);
  Sealer sealer(keys.get());
  absl::StatusOr<SealedValue> before = sealer.Seal("youth-a", "name", "Ann");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(keys->Sync().ok());

  fs_->InjectFaults({.no_space = true});
  absl::StatusOr<SealedValue> pending = sealer.Seal("youth-b", "name", "Bob");
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(keys->Sync().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(keys->NewDependentSubject("call", {"youth-a"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(keys->Sync().code(), absl::StatusCode::kResourceExhausted);  // still full
  absl::StatusOr<UnsealedValue> read = sealer.Unseal(*before, "name");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->text, "Ann");

  fs_->ClearFaults();  // space returns
  ASSERT_TRUE(UntilOk([&] { return keys->Sync(); }).ok());
  absl::StatusOr<std::string> dependent = keys->NewDependentSubject("call", {"youth-a"});
  ASSERT_TRUE(dependent.ok()) << dependent.status();

  keys = PowerCutAndReopen(std::move(keys), /*defer=*/true);
  ASSERT_NE(keys, nullptr);
  Sealer reopened(keys.get());
  for (const auto& [value, text] : {std::pair{*before, "Ann"}, std::pair{*pending, "Bob"}}) {
    absl::StatusOr<UnsealedValue> unsealed = reopened.Unseal(value, "name");
    ASSERT_TRUE(unsealed.ok()) << unsealed.status();
    EXPECT_EQ(unsealed->text, text);
  }
  absl::StatusOr<DataKey> key = keys->KeyForReading(*dependent);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_FALSE(key->erased);
}

}  // namespace
}  // namespace hotspot::security
