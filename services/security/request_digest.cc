#include "services/security/request_digest.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/security/aead.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

// The form digests had before they were keyed: SHA-256 of the input.
std::string PlainSha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool SameBytes(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

absl::StatusOr<RequestDigester> RequestDigester::FromKeyStore(const KeyStore& keys) {
  ASSIGN_OR_RETURN(std::string key, keys.DeriveKey(kRequestDigestKeyPurpose));
  return WithKey(std::move(key));
}

absl::StatusOr<RequestDigester> RequestDigester::WithKey(std::string key) {
  if (key.size() != internal::kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key: want ", internal::kKeyBytes, " bytes, got ", key.size()));
  }
  return RequestDigester(std::move(key));
}

std::string RequestDigester::Input(const google::protobuf::Message& request) {
  std::string bytes = request.GetDescriptor()->full_name();
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<std::string> RequestDigester::Digest(absl::string_view input) const {
  return internal::HmacSha256(key_, input);
}

absl::StatusOr<bool> RequestDigester::Matches(absl::string_view stored,
                                              absl::string_view input) const {
  ASSIGN_OR_RETURN(const std::string keyed, Digest(input));
  if (SameBytes(stored, keyed)) return true;
  // Upcast: a command recorded before digests were keyed.
  return SameBytes(stored, PlainSha256(input));
}

}  // namespace hotspot::security
