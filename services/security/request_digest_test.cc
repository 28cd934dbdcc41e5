#include "services/security/request_digest.h"

#include <openssl/sha.h>

#include "gtest/gtest.h"
#include "hotspot/v1/command_service.pb.h"
#include "services/security/key_store.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::TempDir;

std::unique_ptr<KeyStore> OpenKeys(const TempDir& dir) {
  KeyStoreOptions options;
  options.master_key_file = dir.Sub("master.key");
  options.sync = false;
  absl::StatusOr<std::unique_ptr<KeyStore>> keys = KeyStore::Open(options, dir.Sub("keys"));
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? std::move(*keys) : nullptr;
}

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

v1::ReferYouthRequest Referral(const std::string& cpr) {
  v1::ReferYouthRequest request;
  request.set_request_id("refer-1");
  request.set_name("Ahmed Hassan");
  request.set_cpr_number(cpr);
  request.set_birth_date("2009-03-01");
  return request;
}

// What an attacker who reads a digest could try: the plain hash of a guessed request. A keyed
// digest does not match it, and is the same after the key store is opened again.
TEST(RequestDigesterTest, KeyedNotPlainAndTheSameAcrossRestarts) {
  TempDir dir;
  const std::string input = RequestDigester::Input(Referral("010309-1234"));
  EXPECT_EQ(input.rfind("hotspot.v1.ReferYouthRequest", 0), 0u);
  std::string first;
  {
    std::unique_ptr<KeyStore> keys = OpenKeys(dir);
    ASSERT_NE(keys, nullptr);
    absl::StatusOr<RequestDigester> digester = RequestDigester::FromKeyStore(*keys);
    ASSERT_TRUE(digester.ok()) << digester.status();
    absl::StatusOr<std::string> digest = digester->Digest(input);
    ASSERT_TRUE(digest.ok()) << digest.status();
    first = *digest;
  }
  EXPECT_EQ(first.size(), 32u);
  EXPECT_NE(first, Sha256(input));
  std::unique_ptr<KeyStore> keys = OpenKeys(dir);
  ASSERT_NE(keys, nullptr);
  const RequestDigester again = *RequestDigester::FromKeyStore(*keys);
  EXPECT_EQ(*again.Digest(input), first);
  // Another request, another digest; another master key, another digest.
  EXPECT_NE(*again.Digest(RequestDigester::Input(Referral("010309-1235"))), first);
  TempDir other;
  std::unique_ptr<KeyStore> other_keys = OpenKeys(other);
  ASSERT_NE(other_keys, nullptr);
  EXPECT_NE(*RequestDigester::FromKeyStore(*other_keys)->Digest(input), first);
}

// The upcast: a command recorded before digests were keyed holds the plain SHA-256, which still
// matches its request (and no other).
TEST(RequestDigesterTest, MatchesTheKeyedAndThePlainFormOfTheSameRequestOnly) {
  const RequestDigester digester = *RequestDigester::WithKey(std::string(32, '\x07'));
  const std::string input = RequestDigester::Input(Referral("010309-1234"));
  const std::string other = RequestDigester::Input(Referral("010309-1235"));
  EXPECT_TRUE(*digester.Matches(*digester.Digest(input), input));
  EXPECT_TRUE(*digester.Matches(Sha256(input), input));
  EXPECT_FALSE(*digester.Matches(*digester.Digest(other), input));
  EXPECT_FALSE(*digester.Matches(Sha256(other), input));
  EXPECT_FALSE(*digester.Matches("", input));
  EXPECT_EQ(RequestDigester::WithKey("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hotspot::security
