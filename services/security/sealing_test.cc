#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "services/security/aead.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::AnyFileHolds;
using store::testing::TempDir;

std::unique_ptr<KeyStore> MustOpen(const TempDir& dir, const std::string& key_file = "master.key") {
  KeyStoreOptions options;
  options.master_key_file = dir.Sub(key_file);
  absl::StatusOr<std::unique_ptr<KeyStore>> keys = KeyStore::Open(options, dir.Sub("keys"));
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? std::move(*keys) : nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(AeadTest, RoundTripAndEveryAlterationIsDataLoss) {
  const std::string key(internal::kKeyBytes, 'k');
  absl::StatusOr<std::string> sealed = internal::Seal(key, "context", "Ahmed Hassan");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("Ahmed"), std::string::npos);
  EXPECT_EQ(*internal::Open(key, "context", *sealed), "Ahmed Hassan");
  EXPECT_NE(*internal::Seal(key, "context", "Ahmed Hassan"), *sealed);  // fresh nonce each time
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string altered = *sealed;
    altered[i] ^= 0x20;
    EXPECT_EQ(internal::Open(key, "context", altered).status().code(), absl::StatusCode::kDataLoss)
        << "byte " << i;
  }
  EXPECT_EQ(internal::Open(key, "other context", *sealed).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      internal::Open(std::string(internal::kKeyBytes, 'x'), "context", *sealed).status().code(),
      absl::StatusCode::kDataLoss);
  EXPECT_EQ(internal::Open(key, "context", sealed->substr(0, 10)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(internal::Seal("short", "c", "p").status().code(), absl::StatusCode::kInvalidArgument);
}

// Each thread reuses one context for sealing and one for opening (aead.cc): values sealed under
// different keys and lengths, opened in another order, after failed opens, on several threads at
// once, each open to their own text and only with their own key.
TEST(AeadTest, ReusedContextsKeepEveryOperationApart) {
  auto round = [](int thread) {
    std::vector<std::string> keys, texts, sealed;
    for (int i = 0; i < 20; ++i) {
      keys.push_back(std::string(internal::kKeyBytes, static_cast<char>('a' + i)));
      texts.push_back(absl::StrCat("text ", thread, "/", i, std::string(i * 7, '.')));
      sealed.push_back(*internal::Seal(keys[i], absl::StrCat("ctx", i), texts[i]));
    }
    for (int i = 19; i >= 0; --i) {
      std::string altered = sealed[i];
      altered.back() ^= 0x01;  // the tag
      EXPECT_EQ(internal::Open(keys[i], absl::StrCat("ctx", i), altered).status().code(),
                absl::StatusCode::kDataLoss);
      EXPECT_EQ(internal::Open(keys[(i + 1) % 20], absl::StrCat("ctx", i), sealed[i]).status().code(),
                absl::StatusCode::kDataLoss);
      absl::StatusOr<std::string> opened = internal::Open(keys[i], absl::StrCat("ctx", i), sealed[i]);
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ(*opened, texts[i]);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(round, t);
  for (std::thread& t : threads) t.join();
}

// A run of values under one key reuses the key's schedule (only the nonce is set): each still
// opens alone, and a key that differs in its last byte only, a failed opening or a sealing
// between them is never taken for the run's key.
TEST(AeadTest, ValuesUnderOneKeyInARowOpenAndNothingBetweenIsTakenForTheirKey) {
  const std::string a(internal::kKeyBytes, 'k');
  std::string b = a;
  b.back() = 'm';
  std::vector<std::string> sealed;
  for (int i = 0; i < 30; ++i) {
    sealed.push_back(*internal::Seal(a, absl::StrCat("field", i), absl::StrCat("text ", i)));
  }
  const std::string under_b = *internal::Seal(b, "field-b", "text b");
  auto opens = [&](const std::string& key, int i) {
    absl::StatusOr<std::string> opened = internal::Open(key, absl::StrCat("field", i), sealed[i]);
    return opened.ok() && *opened == absl::StrCat("text ", i);
  };
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(opens(a, i)) << i;
  std::string altered = sealed[10];
  altered.back() ^= 0x01;
  EXPECT_EQ(internal::Open(a, "field10", altered).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(opens(a, 11));
  EXPECT_EQ(internal::Open(a, "field-b", under_b).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(opens(b, 12));
  EXPECT_TRUE(opens(a, 12));
  EXPECT_EQ(*internal::Open(b, "field-b", under_b), "text b");
  EXPECT_FALSE(opens(b, 13));
  EXPECT_TRUE(opens(a, 13));
  EXPECT_EQ(internal::Open(a, "field14", sealed[15]).status().code(), absl::StatusCode::kDataLoss);
  const std::string again = *internal::Seal(a, "field-again", "sealed between openings");
  EXPECT_TRUE(opens(a, 16));
  EXPECT_EQ(*internal::Open(a, "field-again", again), "sealed between openings");
  for (int i = 17; i < 30; ++i) EXPECT_TRUE(opens(a, i)) << i;
}

TEST(KeyStoreTest, MasterKeyFileIsCreatedOwnerOnlyAndReused) {
  TempDir dir;
  SealedValue sealed;
  {
    auto keys = MustOpen(dir);
    Sealer sealer(keys.get());
    sealed = *sealer.Seal("youth-1", "name", "Ahmed Hassan");
  }
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string text = ReadFile(dir.Sub("master.key"));
  EXPECT_EQ(text.size(), 2 * internal::kKeyBytes + 1);
  // Reopened with the same master key, the same data key opens the value.
  auto keys = MustOpen(dir);
  Sealer sealer(keys.get());
  EXPECT_EQ(sealer.Unseal(sealed, "name")->text, "Ahmed Hassan");
}

TEST(KeyStoreTest, MasterKeyFileProblemsAreRefused) {
  TempDir dir;
  MustOpen(dir);  // creates master.key
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  chmod(dir.Sub("master.key").c_str(), 0644);
  EXPECT_EQ(KeyStore::Open(options, dir.Sub("keys")).status().code(),
            absl::StatusCode::kFailedPrecondition);

  std::ofstream(dir.Sub("bad.key")) << "not hex\n";
  chmod(dir.Sub("bad.key").c_str(), 0600);
  options.master_key_file = dir.Sub("bad.key");
  EXPECT_EQ(KeyStore::Open(options, dir.Sub("keys")).status().code(),
            absl::StatusCode::kInvalidArgument);

  options.master_key_file = dir.Sub("missing.key");
  options.create_if_missing = false;
  EXPECT_EQ(KeyStore::Open(options, dir.Sub("keys")).status().code(), absl::StatusCode::kNotFound);
  options.master_key_file = "";
  EXPECT_EQ(KeyStore::Open(options, dir.Sub("keys")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyStoreTest, AnotherMasterKeyIsDataLoss) {
  TempDir dir;
  {
    auto keys = MustOpen(dir);
    ASSERT_TRUE(keys->KeyForSealing("youth-1").ok());
  }
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("other.key");
  EXPECT_EQ(KeyStore::Open(options, dir.Sub("keys")).status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyStoreTest, OneKeyPerSubjectAlsoUnderConcurrentFirstUse) {
  TempDir dir;
  auto keys = MustOpen(dir);
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { seen[i] = *keys->KeyForSealing("youth-7"); });
  }
  for (auto& t : threads) t.join();
  for (const auto& key : seen) EXPECT_EQ(key, seen[0]);
  EXPECT_EQ(seen[0].size(), internal::kKeyBytes);
  EXPECT_NE(*keys->KeyForSealing("youth-8"), seen[0]);
  EXPECT_EQ(keys->KeyForReading("youth-9").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(keys->KeyForSealing("youth 9").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeyStoreTest, DeferredNewKeysAreWrittenBySyncAndErasureWins) {
  TempDir dir;
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  options.defer_new_keys = true;
  std::string kept, lost;
  {
    auto keys = *KeyStore::Open(options, dir.Sub("keys"));
    EXPECT_TRUE(keys->Sync().ok());  // nothing pending: no-op
    kept = *keys->KeyForSealing("youth-1");
    EXPECT_EQ(keys->KeyForReading("youth-1")->key, kept);  // readable while pending
    ASSERT_TRUE(keys->Sync().ok());
    lost = *keys->KeyForSealing("youth-2");  // never synced
    *keys->KeyForSealing("youth-3");
    ASSERT_TRUE(keys->Erase("youth-3").ok());  // erased while pending
    // Only youth-2 is pending now; after this Sync nothing may bring youth-3's key back.
  }
  auto keys = *KeyStore::Open(options, dir.Sub("keys"));
  EXPECT_EQ(keys->KeyForReading("youth-1")->key, kept);
  EXPECT_EQ(keys->KeyForReading("youth-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(keys->KeyForReading("youth-3")->erased);
  ASSERT_TRUE(keys->Sync().ok());
  EXPECT_TRUE(keys->KeyForReading("youth-3")->erased);
}

// A dependent subject (one call's purpose, sealed once for several youths) is erased with the
// first of its parents, for good: across a reopen, and erasing again is harmless.
TEST(KeyStoreTest, ErasingAParentErasesItsDependentsDurablyAndIdempotently) {
  TempDir dir;
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  options.defer_new_keys = true;  // links and the keys they need do not wait for Sync()
  std::string call, other, youth_b_key;
  SealedValue sealed;
  {
    auto keys = *KeyStore::Open(options, dir.Sub("keys"));
    *keys->KeyForSealing("youth-a");  // pending: written with the links
    Sealer sealer(keys.get());
    // youth-b has no key yet: it is given one, so that its erasure finds the link.
    sealed = *sealer.SealForAll("call", {"youth-a", "youth-b"}, "access_purpose", "mother of A");
    call = sealed.key_id;
    EXPECT_TRUE(absl::StartsWith(call, "call-")) << call;
    youth_b_key = keys->KeyForReading("youth-b")->key;
    other = *keys->NewDependentSubject("call", {"youth-b"});
    EXPECT_EQ(keys->NewDependentSubject("call", {}).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(keys->NewDependentSubject("call", {"youth 1"}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }  // no Sync()
  {
    auto keys = *KeyStore::Open(options, dir.Sub("keys"));
    Sealer sealer(keys.get());
    EXPECT_EQ(sealer.Unseal(sealed, "access_purpose")->text, "mother of A");
    EXPECT_EQ(keys->KeyForReading("youth-b")->key, youth_b_key);
    EXPECT_FALSE(keys->KeyForReading("youth-a")->erased);

    ASSERT_TRUE(keys->Erase("youth-a").ok());
    EXPECT_TRUE(keys->KeyForReading("youth-a")->erased);
    EXPECT_TRUE(keys->KeyForReading(call)->erased);
    EXPECT_TRUE(sealer.Unseal(sealed, "access_purpose")->erased);
    EXPECT_FALSE(keys->KeyForReading("youth-b")->erased);  // another parent: untouched
    EXPECT_FALSE(keys->KeyForReading(other)->erased);
    ASSERT_TRUE(keys->Erase("youth-a").ok());  // again: harmless
    EXPECT_TRUE(keys->KeyForReading(call)->erased);
  }
  auto keys = *KeyStore::Open(options, dir.Sub("keys"));
  EXPECT_TRUE(keys->KeyForReading("youth-a")->erased);
  EXPECT_TRUE(keys->KeyForReading(call)->erased);
  EXPECT_FALSE(keys->KeyForReading(other)->erased);
  // Nothing new depends on an erased subject, nor is an erased dependent given parents.
  EXPECT_EQ(keys->NewDependentSubject("call", {"youth-c", "youth-a"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys->AddParents(call, {"youth-c"}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys->AddParents(other, {"youth-a"}).code(), absl::StatusCode::kFailedPrecondition);
  // A parent added later erases it as well; the erasure of the first parent then finds it gone.
  ASSERT_TRUE(keys->AddParents(other, {"youth-c"}).ok());
  ASSERT_TRUE(keys->Erase("youth-c").ok());
  EXPECT_TRUE(keys->KeyForReading(other)->erased);
  ASSERT_TRUE(keys->Erase("youth-b").ok());
  EXPECT_TRUE(keys->KeyForReading("youth-b")->erased);
  EXPECT_EQ(keys->Erase("youth-never").code(), absl::StatusCode::kNotFound);
}

TEST(KeyStoreTest, ReservedSubjectsHaveDurableKeysAndAreNeverHandedOutTwice) {
  TempDir dir;
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  options.defer_new_keys = true;  // reserved keys do not wait for Sync()
  options.reserved_keys = 8;
  std::set<std::string> ids;
  std::map<std::string, std::string> keys_of;
  {
    auto keys = *KeyStore::Open(options, dir.Sub("keys"));
    std::vector<std::thread> threads;
    absl::Mutex mu;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          const std::string id = *keys->ReserveSubject("youth");
          const std::string key = *keys->KeyForSealing(id);
          absl::MutexLock lock(&mu);
          EXPECT_TRUE(ids.insert(id).second) << id;
          keys_of[id] = key;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(keys->ReserveSubject("youth 1").status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ids.size(), 40u);
  auto keys = *KeyStore::Open(options, dir.Sub("keys"));  // no Sync() was called
  for (const auto& [id, key] : keys_of) {
    EXPECT_TRUE(absl::StartsWith(id, "youth-")) << id;
    EXPECT_EQ(keys->KeyForReading(id)->key, key) << id;
  }
}

TEST(SealerTest, ValuesAreBoundToTheirSubjectAndField) {
  TempDir dir;
  auto keys = MustOpen(dir);
  Sealer sealer(keys.get());
  absl::StatusOr<SealedValue> name = sealer.Seal("youth-1", "name", "Ahmed Hassan");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->key_id, "youth-1");
  EXPECT_EQ(name->ciphertext.find("Ahmed"), std::string::npos);
  absl::StatusOr<UnsealedValue> back = sealer.Unseal(*name, "name");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->erased);
  EXPECT_EQ(back->text, "Ahmed Hassan");

  EXPECT_EQ(sealer.Unseal(*name, "address").status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(sealer.Seal("youth-2", "name", "someone else").ok());
  SealedValue moved = *name;
  moved.key_id = "youth-2";
  EXPECT_EQ(sealer.Unseal(moved, "name").status().code(), absl::StatusCode::kDataLoss);
  moved.key_id = "youth-never";
  EXPECT_EQ(sealer.Unseal(moved, "name").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sealer.Seal("youth-1", "", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

// Issue 16 §1: unsealing keeps data keys unwrapped, so that each is unwrapped once, not once per
// field (a history of a thousand events unseals thousands of fields under a few keys).
TEST(SealerTest, EachDataKeyIsUnwrappedOncePerOpenNotOncePerField) {
  TempDir dir;
  std::vector<SealedValue> sealed;
  {
    auto keys = MustOpen(dir);
    Sealer sealer(keys.get());
    for (int i = 0; i < 50; ++i) {
      for (const char* youth : {"youth-1", "youth-2"}) {
        absl::StatusOr<SealedValue> value = sealer.Seal(youth, "name", absl::StrCat("name ", i));
        ASSERT_TRUE(value.ok()) << value.status();
        sealed.push_back(*std::move(value));
      }
    }
  }
  auto keys = MustOpen(dir);  // nothing unwrapped yet
  Sealer sealer(keys.get());
  EXPECT_EQ(keys->unwraps(), 0u);
  for (size_t i = 0; i < sealed.size(); ++i) {
    absl::StatusOr<UnsealedValue> back = sealer.Unseal(sealed[i], "name");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->text, absl::StrCat("name ", i / 2));
  }
  EXPECT_EQ(keys->unwraps(), 2u);  // one per key, for 100 fields
}

// A Reader (one per response of a history or a subscription) answers as Unseal does, into a
// reused buffer, asking the key store for each key once: a key erased after the Reader asked for
// it still opens through that Reader, and reads as erased through the next one.
TEST(SealerTest, AReaderOpensAsUnsealDoesAndAsksForEachKeyOnce) {
  TempDir dir;
  auto keys = MustOpen(dir);
  Sealer sealer(keys.get());
  const SealedValue name = *sealer.Seal("youth-1", "name", "Ahmed Hassan");
  const SealedValue address = *sealer.Seal("youth-1", "address", "Vej 1");
  const SealedValue other = *sealer.Seal("youth-2", "name", "Sara Jensen");
  Sealer::Reader reader(sealer);
  std::string text = "left over";
  absl::StatusOr<bool> opened = reader.Open(name.key_id, "name", name.ciphertext, text);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(*opened);
  EXPECT_EQ(text, "Ahmed Hassan");
  ASSERT_TRUE(*reader.Open(other.key_id, "name", other.ciphertext, text));
  EXPECT_EQ(text, "Sara Jensen");
  // Another field, another subject, a subject that never had a key, no field.
  EXPECT_EQ(reader.Open(name.key_id, "address", name.ciphertext, text).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(reader.Open("youth-2", "name", name.ciphertext, text).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(reader.Open("youth-never", "name", name.ciphertext, text).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(reader.Open(name.key_id, "", name.ciphertext, text).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(keys->Erase("youth-1").ok());
  EXPECT_TRUE(sealer.Unseal(address, "address")->erased);
  ASSERT_TRUE(*reader.Open(address.key_id, "address", address.ciphertext, text));
  EXPECT_EQ(text, "Vej 1");  // the key this reader was given
  Sealer::Reader next(sealer);
  opened = next.Open(address.key_id, "address", address.ciphertext, text);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_FALSE(*opened);
  EXPECT_EQ(text, "");
  ASSERT_TRUE(*next.Open(other.key_id, "name", other.ciphertext, text));
  EXPECT_EQ(text, "Sara Jensen");
}

TEST(SealerTest, ErasureReadsAsErasedAndPurgesTheKeyFromDisk) {
  TempDir dir;
  SealedValue name, other;
  {
    auto keys = MustOpen(dir);
    Sealer sealer(keys.get());
    name = *sealer.Seal("youth-1", "name", "Ahmed Hassan");
    other = *sealer.Seal("youth-2", "name", "Sara Jensen");
  }
  // The wrapped data key as stored, read behind the key store's back; the scan must find it
  // before erasure, or finding nothing afterwards would prove nothing.
  std::string wrapped;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir.Sub("keys"), &raw).ok());
    ASSERT_TRUE(raw->Get(rocksdb::ReadOptions(), "youth-1", &wrapped).ok());
    delete raw;
  }
  ASSERT_GT(wrapped.size(), 40u);
  const std::string needle = wrapped.substr(14, 32);  // inside the wrapped key's ciphertext
  ASSERT_TRUE(AnyFileHolds(dir.Sub("keys"), needle));

  {
    auto keys = MustOpen(dir);
    ASSERT_TRUE(keys->Erase("youth-1").ok());
    EXPECT_TRUE(keys->Erase("youth-1").ok());  // idempotent
    EXPECT_EQ(keys->Erase("youth-never").code(), absl::StatusCode::kNotFound);
  }
  EXPECT_FALSE(AnyFileHolds(dir.Sub("keys"), needle));

  auto keys = MustOpen(dir);
  Sealer sealer(keys.get());
  absl::StatusOr<UnsealedValue> erased = sealer.Unseal(name, "name");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->erased);
  EXPECT_TRUE(erased->text.empty());
  EXPECT_EQ(sealer.Seal("youth-1", "name", "again").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sealer.Unseal(other, "name")->text, "Sara Jensen");  // others are untouched
}

}  // namespace
}  // namespace hotspot::security
