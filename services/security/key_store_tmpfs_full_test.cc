// A real full disk under the key store (issue 15 §2): the store on a 4 MiB tmpfs, mounted by
// the test (it needs root, as CI has; without it the test fails saying so), filled up by a file
// beside the store and then freed by deleting that file. New data keys (written and synced at
// once) are refused with RESOURCE_EXHAUSTED while it is full, existing keys keep unsealing, and
// once space returns the store takes new keys again by itself, without a reopen; the refused
// subject, asked for again, gets one key.
#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::Fill;
using store::testing::Tmpfs;

std::string TextFor(const std::string& subject) { return absl::StrCat("the name of ", subject); }

TEST(KeyStoreTmpfsFullTest, AFullFileSystemRefusesNewKeysKeepsReadsAndResumesOnceFreed) {
  Tmpfs tmpfs("4m");
  ASSERT_TRUE(tmpfs.error().empty()) << tmpfs.error();
  store::testing::TempDir dir;  // the master key, off the tmpfs
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  options.reserved_keys = 4;
  auto open = [&]() -> std::unique_ptr<KeyStore> {
    absl::StatusOr<std::unique_ptr<KeyStore>> keys = KeyStore::Open(options, tmpfs.Sub("keys"));
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? *std::move(keys) : nullptr;
  };
  std::unique_ptr<KeyStore> keys = open();
  ASSERT_NE(keys, nullptr);
  auto sealer = std::make_unique<Sealer>(keys.get());
  std::map<std::string, SealedValue> acked;  // subject -> its sealed name
  for (int i = 1; i <= 20; ++i) {
    const std::string subject = absl::StrCat("youth-", i);
    absl::StatusOr<SealedValue> value = sealer->Seal(subject, "name", TextFor(subject));
    ASSERT_TRUE(value.ok()) << value.status();
    acked[subject] = *value;
  }
  absl::StatusOr<std::string> dependent = keys->NewDependentSubject("call", {"youth-1"});
  ASSERT_TRUE(dependent.ok()) << dependent.status();

  // Full: new keys are refused with RESOURCE_EXHAUSTED (a few may still fit in the write-ahead
  // log's last page first).
  ASSERT_GT(Fill(tmpfs.Sub("filler")), 0u);
  std::string refused;
  absl::StatusOr<SealedValue> full;
  for (int i = 0; i < 1000; ++i) {
    refused = absl::StrCat("youth-full-", i);
    full = sealer->Seal(refused, "name", TextFor(refused));
    if (!full.ok()) break;
    acked[refused] = *full;
  }
  ASSERT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << full.status();
  EXPECT_TRUE(absl::StrContains(full.status().message(), "No space left on device"))
      << full.status();
  EXPECT_EQ(sealer->Seal("youth-other", "name", "x").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(keys->NewDependentSubject("call", {"youth-2"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(keys->ReserveSubject("youth").status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(keys->Erase("youth-1").code(), absl::StatusCode::kResourceExhausted);

  // Reads keep working: every acknowledged key unseals, the dependent's key is there.
  for (const auto& [subject, value] : acked) {
    absl::StatusOr<UnsealedValue> text = sealer->Unseal(value, "name");
    ASSERT_TRUE(text.ok()) << subject << ": " << text.status();
    EXPECT_FALSE(text->erased) << subject;
    EXPECT_EQ(text->text, TextFor(subject));
  }
  absl::StatusOr<DataKey> dependent_key = keys->KeyForReading(*dependent);
  ASSERT_TRUE(dependent_key.ok()) << dependent_key.status();
  EXPECT_FALSE(dependent_key->erased);

  // Freed: new keys are taken again without a reopen; the refused subject gets one key, the
  // same on every later use.
  ASSERT_EQ(std::remove(tmpfs.Sub("filler").c_str()), 0);
  absl::StatusOr<SealedValue> retried;
  ASSERT_TRUE(store::testing::UntilOk([&] {
                retried = sealer->Seal(refused, "name", TextFor(refused));
                return retried.status();
              }).ok())
      << retried.status();
  acked[refused] = *retried;
  absl::StatusOr<std::string> first = keys->KeyForSealing(refused);
  absl::StatusOr<DataKey> stored = keys->KeyForReading(refused);
  ASSERT_TRUE(first.ok() && stored.ok());
  EXPECT_EQ(*first, stored->key);
  absl::StatusOr<SealedValue> after = sealer->Seal("youth-after", "name", TextFor("youth-after"));
  ASSERT_TRUE(after.ok()) << after.status();
  acked["youth-after"] = *after;
  absl::StatusOr<std::string> reserved = keys->ReserveSubject("youth");
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  // The erasure refused while full goes through now, with the dependent.
  ASSERT_TRUE(keys->Erase("youth-1").ok());
  dependent_key = keys->KeyForReading(*dependent);
  ASSERT_TRUE(dependent_key.ok()) << dependent_key.status();
  EXPECT_TRUE(dependent_key->erased);

  // Everything acknowledged was durable: reopened, each value unseals (youth-1's reads erased).
  sealer.reset();
  keys.reset();
  keys = open();
  ASSERT_NE(keys, nullptr);
  sealer = std::make_unique<Sealer>(keys.get());
  for (const auto& [subject, value] : acked) {
    absl::StatusOr<UnsealedValue> text = sealer->Unseal(value, "name");
    ASSERT_TRUE(text.ok()) << subject << ": " << text.status();
    EXPECT_EQ(text->erased, subject == "youth-1") << subject;
    if (subject != "youth-1") {
      EXPECT_EQ(text->text, TextFor(subject));
    }
  }
  EXPECT_TRUE(keys->KeyForReading(*reserved).ok());
  EXPECT_EQ(keys->KeyForReading(refused)->key, stored->key);
}

}  // namespace
}  // namespace hotspot::security
