#include "services/security/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "store/status_macros.h"

namespace hotspot::security::internal {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// AES-256-GCM, fetched from OpenSSL's providers once: EVP_aes_256_gcm() is looked up again at
// every initialisation of a context otherwise (OpenSSL 3's implicit fetch, a few microseconds
// and a lock, which was most of the cost of unsealing a short text).
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// This thread's context for sealing (`encrypt`) or opening, with the cipher and the nonce's
// length set once, and the key it was last given: each use starts a new operation with its key
// and nonce. A use with the key of the last one sets the nonce alone, which keeps the key's
// schedule (AES's round keys and GCM's hash key): about half the cost of opening a short text,
// and a history's or a subscription's values come many under one youth's key. The copy of the
// key is wiped when the thread ends; the context holds its schedule until the next key, as it
// did before it was compared.
class ThreadCipher {
 public:
  // The context, started for `key` and `nonce`; null if OpenSSL failed.
  static EVP_CIPHER_CTX* Start(bool encrypt, absl::string_view key, absl::string_view nonce) {
    thread_local ThreadCipher seal(/*encrypt=*/true), open(/*encrypt=*/false);
    return (encrypt ? seal : open).Started(key, nonce);
  }

  ~ThreadCipher() { OPENSSL_cleanse(key_, sizeof(key_)); }

 private:
  explicit ThreadCipher(bool encrypt) : encrypt_(encrypt) {}

  EVP_CIPHER_CTX* Started(absl::string_view key, absl::string_view nonce) {
    if (ctx_ == nullptr) {
      CipherContext made(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
      if (!made || Aes256Gcm() == nullptr ||
          EVP_CipherInit_ex(made.get(), Aes256Gcm(), nullptr, nullptr, nullptr, encrypt_ ? 1 : 0) !=
              1 ||
          EVP_CIPHER_CTX_ctrl(made.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1) {
        return nullptr;
      }
      ctx_ = std::move(made);
    }
    const bool same_key =
        keyed_ && key.size() == sizeof(key_) && CRYPTO_memcmp(key_, key.data(), sizeof(key_)) == 0;
    keyed_ = false;  // until this start succeeds
    if (EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, same_key ? nullptr : Bytes(key),
                          Bytes(nonce), encrypt_ ? 1 : 0) != 1) {
      return nullptr;
    }
    if (key.size() == sizeof(key_)) {
      memcpy(key_, key.data(), sizeof(key_));
      keyed_ = true;
    }
    return ctx_.get();
  }

  const bool encrypt_;
  CipherContext ctx_{nullptr, EVP_CIPHER_CTX_free};
  unsigned char key_[kKeyBytes] = {};
  bool keyed_ = false;
};

absl::Status CheckKey(absl::string_view key) {
  if (key.size() == kKeyBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("key: want ", kKeyBytes, " bytes, got ", key.size()));
}

}  // namespace

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return out;
}

absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view associated_data,
                                 absl::string_view plaintext) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  absl::StatusOr<std::string> nonce = RandomBytes(kNonceBytes);
  if (!nonce.ok()) return nonce.status();
  std::string out;
  out.resize(1 + kNonceBytes + plaintext.size() + kTagBytes);
  out[0] = static_cast<char>(kVersion);
  out.replace(1, kNonceBytes, *nonce);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + 1 + kNonceBytes);

  EVP_CIPHER_CTX* ctx = ThreadCipher::Start(/*encrypt=*/true, key, *nonce);
  int len = 0;
  if (ctx == nullptr ||
      EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx, cipher, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx, cipher + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + plaintext.size()) != 1) {
    return absl::InternalError("OpenSSL AES-256-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view associated_data,
                                 absl::string_view sealed) {
  std::string out;
  RETURN_IF_ERROR(OpenInto(key, associated_data, sealed, out));
  return out;
}

absl::Status OpenInto(absl::string_view key, absl::string_view associated_data,
                      absl::string_view sealed, std::string& out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || static_cast<uint8_t>(sealed[0]) != kVersion) {
    return absl::DataLossError("sealed value is malformed");
  }
  const absl::string_view nonce = sealed.substr(1, kNonceBytes);
  const absl::string_view cipher =
      sealed.substr(1 + kNonceBytes, sealed.size() - 1 - kNonceBytes - kTagBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, sealed.data() + sealed.size() - kTagBytes, kTagBytes);
  out.resize(cipher.size());

  EVP_CIPHER_CTX* ctx = ThreadCipher::Start(/*encrypt=*/false, key, nonce);
  int len = 0;
  if (ctx == nullptr ||
      EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, Bytes(cipher),
                        static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1) {
    return absl::InternalError("OpenSSL AES-256-GCM decryption failed");
  }
  if (EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1) {
    return absl::DataLossError(
        "sealed value does not authenticate: altered, or sealed under another key or context");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HmacSha256(absl::string_view key, absl::string_view data) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  std::string out(kHmacBytes, '\0');
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != kHmacBytes) {
    return absl::InternalError("OpenSSL HMAC-SHA-256 failed");
  }
  return out;
}

}  // namespace hotspot::security::internal
