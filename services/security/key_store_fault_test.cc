// Injected I/O errors and a full disk under the key store (issue 15 §2): only the affected
// writes fail, reads go on, the store resumes by itself once the fault clears (no reopen by the
// caller), and every acknowledged key survives a power cut after that, and unseals.
//
// KeyStoreFaultTest.RandomFaultsUnderConcurrentWriters runs cycles of random faults while four
// threads write (see there):
//   key_store_fault_test              20 fault cycles (the ctest default)
//   key_store_fault_test --gtest_filter='*RandomFaults*' --cycles=N   N (make crash-long: 500)
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/power_loss_fs.h"
#include "store/status_macros.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::PowerLossFileSystem;

int g_cycles = 20;

class KeyStoreFaultTest : public ::testing::Test {
 protected:
  KeyStoreFaultTest()
      : fs_(std::make_shared<PowerLossFileSystem>()), env_(rocksdb::NewCompositeEnv(fs_)) {}

  std::unique_ptr<KeyStore> Open(bool defer_new_keys) {
    KeyStoreOptions options;
    options.master_key_file = dir_.Sub("master.key");
    options.defer_new_keys = defer_new_keys;
    options.reserved_keys = 8;  // refills (writes) come often
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
  ASSERT_TRUE(store::testing::UntilOk([&] { return keys->Sync(); }).ok());
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
  ASSERT_TRUE(store::testing::UntilOk([&] {
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
  ASSERT_TRUE(store::testing::UntilOk([&] { return keys->Sync(); }).ok());
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

// A reopening that fails for good (the disk takes the probe, but reading the database fails,
// even read-only) leaves no database open. Every call of the key store that makes a new key
// reads first; so a read must try the reopening itself, or the store would answer UNAVAILABLE
// until a restart (found by RandomFaultsUnderConcurrentWriters, a cycle of read errors).
TEST_F(KeyStoreFaultTest, AReadAfterAFailedReopeningReopensByItself) {
  std::unique_ptr<KeyStore> keys = Open(/*defer_new_keys=*/false);
  ASSERT_NE(keys, nullptr);
  Sealer sealer(keys.get());
  absl::StatusOr<SealedValue> before = sealer.Seal("youth-a", "name", "Ann");
  ASSERT_TRUE(before.ok()) << before.status();
  fs_->InjectFaults({.write = 1});
  EXPECT_EQ(sealer.Seal("youth-b", "name", "Bob").status().code(), absl::StatusCode::kInternal);
  // The reopening (ReserveSubject writes without reading first) takes the probe, then fails to
  // read the database, and so does the read-only opening after it.
  fs_->InjectFaults({.read = 1});
  EXPECT_FALSE(keys->ReserveSubject("youth").ok());
  EXPECT_EQ(keys->KeyForReading("youth-a").status().code(), absl::StatusCode::kUnavailable);

  fs_->ClearFaults();
  absl::StatusOr<UnsealedValue> text;
  ASSERT_TRUE(store::testing::UntilOk([&] {
                text = sealer.Unseal(*before, "name");
                return text.status();
              }).ok())
      << text.status();
  EXPECT_EQ(text->text, "Ann");
  absl::StatusOr<SealedValue> after = sealer.Seal("youth-c", "name", "Cid");
  ASSERT_TRUE(after.ok()) << after.status();
}

// One writing call of the random-fault test, as sent: retried so after a failure.
struct KeyOp {
  enum Kind { kSeal, kDependent, kReserve, kErase } kind;
  std::string subject;               // kSeal, kErase
  std::vector<std::string> parents;  // kDependent
  std::string key_seen;              // kSeal with defer_new_keys: the (pending) key handed out
};

// What an acknowledged key must give: `value` unseals to `text` (or reads as erased once the
// subject or one of `parents` was erased), and a subject's stored key is `key` (if known).
struct Known {
  SealedValue value;
  std::string text;
  std::string key;
  std::vector<std::string> parents;
};

// Every acknowledged key as the test expects it; subjects whose erasure was acknowledged.
struct Acknowledged {
  std::map<std::string, Known> keys;
  std::set<std::string> erased;

  bool Erased(const std::string& subject, const Known& known) const {
    if (erased.count(subject) > 0) return true;
    for (const std::string& parent : known.parents) {
      if (erased.count(parent) > 0) return true;
    }
    return false;
  }

  // Every acknowledged key is there and unseals its value (or reads as erased, as acknowledged).
  void Check(KeyStore& keys, int cycle, const char* when) const {
    Sealer sealer(&keys);
    for (const auto& [subject, known] : this->keys) {
      const bool erased = Erased(subject, known);
      absl::StatusOr<UnsealedValue> text = sealer.Unseal(known.value, "name");
      ASSERT_TRUE(text.ok()) << "cycle " << cycle << " " << when << ": " << subject << ": "
                             << text.status();
      ASSERT_EQ(text->erased, erased) << "cycle " << cycle << " " << when << ": " << subject;
      if (erased) continue;
      ASSERT_EQ(text->text, known.text) << "cycle " << cycle << " " << when;
      if (known.key.empty()) continue;
      absl::StatusOr<DataKey> key = keys.KeyForReading(subject);
      ASSERT_TRUE(key.ok()) << "cycle " << cycle << " " << when << ": " << key.status();
      ASSERT_EQ(key->key, known.key) << "cycle " << cycle << " " << when << ": " << subject
                                     << " has a key other than the one handed out";
    }
  }
};

// Cycles of random faults (write, sync or read errors, a full disk, or all three kinds of error
// at once; store::testing::RandomFaults) while four threads write: new youths' keys (each written
// at once, or, with defer_new_keys as hotspotd runs it, kept pending and written by Sync(), the
// store chosen at random each cycle), values sealed for several youths (a dependent key and its
// links), reserved subjects, and erasures. Then the fault clears and each failed call, retried
// as it was sent, succeeds without the test reopening the store. Each cycle checks, after the
// retries and again after a power cut that drops everything unsynced: every acknowledged key is
// there, the one handed out (a subject asked for again gets the same key: a retry never makes a
// second one), and unseals what was sealed under it; every acknowledged erasure holds, for its
// dependents too.
TEST_F(KeyStoreFaultTest, RandomFaultsUnderConcurrentWriters) {
  constexpr int kThreads = 4;
  absl::BitGen random;
  bool defer = absl::Bernoulli(random, 0.5);
  std::unique_ptr<KeyStore> keys = Open(defer);
  ASSERT_NE(keys, nullptr);
  Acknowledged acked;
  std::map<std::string, int> kinds;
  uint64_t failed_calls = 0, calls = 0;
  const absl::Time started = absl::Now();
  for (int cycle = 1; cycle <= g_cycles; ++cycle) {
    auto sealer = std::make_unique<Sealer>(keys.get());
    // One call: OK once it is acknowledged (recorded in `acked`).
    absl::Mutex mu;
    auto run = [&](KeyOp& op) -> absl::Status {
      switch (op.kind) {
        case KeyOp::kSeal: {
          absl::StatusOr<std::string> key = keys->KeyForSealing(op.subject);
          if (!key.ok()) return key.status();
          if (defer) {
            // A pending key stays the subject's key until a Sync() writes it.
            if (op.key_seen.empty()) op.key_seen = *key;
            EXPECT_EQ(*key, op.key_seen) << "cycle " << cycle << ": " << op.subject;
          }
          const std::string text = absl::StrCat("the name of ", op.subject);
          absl::StatusOr<SealedValue> value = sealer->Seal(op.subject, "name", text);
          if (!value.ok()) return value.status();
          if (defer) RETURN_IF_ERROR(keys->Sync());
          absl::MutexLock lock(&mu);
          acked.keys[op.subject] = {*value, text, *key, {}};
          return absl::OkStatus();
        }
        case KeyOp::kDependent: {
          const std::string text = absl::StrCat("shown to ", op.parents[0]);
          absl::StatusOr<SealedValue> value =
              sealer->SealForAll("call", op.parents, "name", text);
          if (!value.ok()) return value.status();
          absl::MutexLock lock(&mu);
          acked.keys[value->key_id] = {*value, text, "", op.parents};
          return absl::OkStatus();
        }
        case KeyOp::kReserve: {
          absl::StatusOr<std::string> subject = sealer->NewSubject("youth");
          if (!subject.ok()) return subject.status();
          const std::string text = absl::StrCat("the name of ", *subject);
          absl::StatusOr<SealedValue> value = sealer->Seal(*subject, "name", text);
          if (!value.ok()) return value.status();
          absl::MutexLock lock(&mu);
          acked.keys[*subject] = {*value, text, "", {}};
          return absl::OkStatus();
        }
        case KeyOp::kErase: {
          RETURN_IF_ERROR(keys->Erase(op.subject));
          absl::MutexLock lock(&mu);
          acked.erased.insert(op.subject);
          return absl::OkStatus();
        }
      }
      return absl::InternalError("unknown op");
    };

    std::string kind;
    const PowerLossFileSystem::Faults faults = store::testing::RandomFaults(random, &kind);
    ++kinds[kind];
    std::vector<KeyOp> failed;
    // Per thread: its youths that may be a parent or be erased: acknowledged, no erasure of
    // them tried, and not a parent of one of its failed calls (retried later).
    std::vector<std::vector<std::string>> owns(kThreads);
    store::testing::WriteUnderFaults(
        *fs_, faults, random, kThreads, absl::Uniform(random, 5, 100),
        [&](int t, uint64_t n, absl::BitGen& thread_random) {
          std::vector<std::string>& own = owns[t];
          KeyOp op{KeyOp::kSeal, absl::StrCat("youth-c", cycle, "-t", t, "-", n), {}, ""};
          const double draw = absl::Uniform(thread_random, 0.0, 1.0);
          if (draw < 0.25 && !own.empty()) {
            op.kind = KeyOp::kDependent;
            op.parents.push_back(own[absl::Uniform<size_t>(thread_random, 0, own.size())]);
            const std::string other = own[absl::Uniform<size_t>(thread_random, 0, own.size())];
            if (other != op.parents[0]) op.parents.push_back(other);
          } else if (draw < 0.4) {
            op.kind = KeyOp::kReserve;
          } else if (draw < 0.45 && !own.empty()) {
            op.kind = KeyOp::kErase;
            const size_t i = absl::Uniform<size_t>(thread_random, 0, own.size());
            op.subject = own[i];
            own.erase(own.begin() + i);
          }
          const absl::Status status = run(op);
          if (status.ok() && op.kind == KeyOp::kSeal) own.push_back(op.subject);
          if (!status.ok() && op.kind == KeyOp::kDependent) {
            std::erase_if(own, [&](const std::string& s) {
              return std::find(op.parents.begin(), op.parents.end(), s) != op.parents.end();
            });
          }
          absl::MutexLock lock(&mu);
          ++calls;
          if (!status.ok()) failed.push_back(std::move(op));
          return status.ok();
        });

    // The store resumes by itself: each failed call, retried as sent, succeeds.
    failed_calls += failed.size();
    for (KeyOp& op : failed) {
      const absl::Status retried = store::testing::UntilOk([&] { return run(op); });
      ASSERT_TRUE(retried.ok()) << "cycle " << cycle << " (" << kind << "): " << retried;
    }
    if (defer) {
      ASSERT_TRUE(store::testing::UntilOk([&] { return keys->Sync(); }).ok());
    }
    ASSERT_NO_FATAL_FAILURE(acked.Check(*keys, cycle, "after the retries"));

    // Nothing acknowledged was only in the page cache.
    sealer.reset();
    defer = absl::Bernoulli(random, 0.5);
    keys = PowerCutAndReopen(std::move(keys), defer);
    ASSERT_NE(keys, nullptr);
    ASSERT_NO_FATAL_FAILURE(acked.Check(*keys, cycle, "after a power cut"));
  }
  printf("key store: %d fault cycles (", g_cycles);
  for (const auto& [kind, n] : kinds) printf("%s %d; ", kind.c_str(), n);
  printf("): %llu writing calls, %zu keys and %zu erasures acknowledged, %llu calls failed "
         "(each retried once the fault cleared, and acknowledged then); %s; %.1f s\n",
         static_cast<unsigned long long>(calls), acked.keys.size(), acked.erased.size(),
         static_cast<unsigned long long>(failed_calls),
         store::testing::DescribeInjected(fs_->injected()).c_str(),
         absl::ToDoubleSeconds(absl::Now() - started));
  EXPECT_GT(failed_calls, 0u);
}

}  // namespace
}  // namespace hotspot::security

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::security::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
