// Power loss, simulated, over the key store and the event store together, as hotspotd runs them
// (issue 15 §1): new data keys are kept in memory (defer_new_keys) and made durable by the event
// store's before_write hook, before any event sealed under them can reach the disk. Both stores
// run on one PowerLossFileSystem; four threads seal a value for a new youth each time and append
// it, until the power is cut at a random moment. After the unsynced data is dropped and both are
// opened again, every acknowledged event is there, and every event in the log (acknowledged or
// not) unseals: a sealed event never outlives its key.
//
//   key_store_power_loss_test              20 power cuts (the ctest default)
//   key_store_power_loss_test --cycles=N   N power cuts (make crash-long runs 500)
#include <cstdio>
#include <map>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/event_id.h"
#include "store/event_store.h"
#include "store/power_loss_fs.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

int g_cycles = 20;
constexpr int kThreads = 4;

using store::testing::PowerLossFileSystem;

// An event's payload: the sealed value's key id, then its ciphertext.
std::string Payload(const SealedValue& value) {
  return absl::StrCat(value.key_id, "\n", value.ciphertext);
}
SealedValue FromPayload(const std::string& payload) {
  const size_t newline = payload.find('\n');
  return {payload.substr(0, newline), payload.substr(newline + 1)};
}
std::string TextFor(const std::string& subject) { return absl::StrCat("the name of ", subject); }

TEST(KeyStorePowerLossTest, NoSealedEventOutlivesItsKeyAndNoAcknowledgedEventIsLost) {
  store::testing::TempDir dir;
  absl::BitGen random;
  std::map<uint64_t, std::string> acked;  // position -> payload
  uint64_t appended = 0, checked = 0;
  for (int cycle = 0; cycle <= g_cycles; ++cycle) {
    auto fs = std::make_shared<PowerLossFileSystem>();
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    KeyStoreOptions key_options;
    key_options.master_key_file = dir.Sub("master.key");
    key_options.defer_new_keys = true;
    key_options.env = env.get();
    absl::StatusOr<std::unique_ptr<KeyStore>> keys = KeyStore::Open(key_options, dir.Sub("keys"));
    ASSERT_TRUE(keys.ok()) << "cycle " << cycle << ": " << keys.status();
    Sealer sealer(keys->get());
    store::Options options;
    options.env = env.get();
    options.before_write = [keys = keys->get()] { return keys->Sync(); };
    absl::StatusOr<std::unique_ptr<store::EventStore>> events =
        store::EventStore::Open(std::move(options), dir.Sub("events"));
    ASSERT_TRUE(events.ok()) << "cycle " << cycle << ": " << events.status();

    // Every event in the log unseals; every acknowledged one is there, as it was sent.
    const uint64_t head = (*events)->HeadPosition();
    ASSERT_GE(head, acked.empty() ? 0 : acked.rbegin()->first) << "cycle " << cycle;
    for (uint64_t next = 1; next <= head;) {
      absl::StatusOr<std::vector<store::RecordedEvent>> batch =
          (*events)->ReadAll(next, store::Direction::kForward, 5000);
      ASSERT_TRUE(batch.ok()) << "cycle " << cycle << ": " << batch.status();
      ASSERT_FALSE(batch->empty());
      for (const store::RecordedEvent& e : *batch) {
        ASSERT_EQ(e.position, next++);
        if (auto it = acked.find(e.position); it != acked.end()) {
          ASSERT_EQ(e.payload, it->second) << "cycle " << cycle << " at " << e.position;
        }
        const SealedValue value = FromPayload(e.payload);
        absl::StatusOr<UnsealedValue> opened = sealer.Unseal(value, "name");
        ASSERT_TRUE(opened.ok()) << "cycle " << cycle << ": the event at " << e.position
                                 << " outlived its key: " << opened.status();
        ASSERT_EQ(opened->text, TextFor(value.key_id));
        ++checked;
      }
    }
    const store::VerifyReport report = (*events)->Verify(0, UINT64_MAX);
    ASSERT_TRUE(report.status.ok()) << "cycle " << cycle << ": " << report.status;
    if (cycle == g_cycles) break;

    absl::Mutex mu;
    const int acks = store::testing::WriteUntilPowerCut(
        *fs, kThreads, absl::Uniform(random, 1, 200), [&](int) {
          const std::string subject = absl::StrCat("youth-", store::EventId::Generate().ToString());
          absl::StatusOr<SealedValue> sealed = sealer.Seal(subject, "name", TextFor(subject));
          if (!sealed.ok()) return false;
          std::string payload = Payload(*sealed);
          std::vector<store::StreamAppend> appends;
          appends.push_back(
              store::testing::OneEvent(subject, store::ExpectedVersion::NoStream(), payload));
          absl::StatusOr<store::AppendResult> result = (*events)->Append(std::move(appends));
          if (!result.ok()) return false;  // the power is off
          absl::MutexLock lock(&mu);
          acked[result->positions[0]] = std::move(payload);
          return true;
        });
    appended += acks;
    events->reset();
    keys->reset();
    ASSERT_TRUE(fs->DropUnsyncedData().ok()) << "cycle " << cycle;
  }
  EXPECT_GT(appended, 0u);
  printf("key store power loss test: %d power cuts, %llu acknowledged appends, %llu events "
         "unsealed over the cycles\n",
         g_cycles, static_cast<unsigned long long>(appended),
         static_cast<unsigned long long>(checked));
}

}  // namespace
}  // namespace hotspot::security

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotspot::store::testing::ParseCycles(argc, argv, &hotspot::security::g_cycles)) return 2;
  return RUN_ALL_TESTS();
}
