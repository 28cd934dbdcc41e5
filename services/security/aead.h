// AES-256-GCM, the one authenticated cipher of the project, and HMAC-SHA-256, its one keyed hash
// (OpenSSL). Internal to security/.
//
// Sealed form: u8 version (1) | 12-byte random nonce | ciphertext | 16-byte tag. The associated
// data is authenticated, not stored: the caller must present the same bytes to open.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_SECURITY_AEAD_H_
#define HOTSPOT_SERVICES_SECURITY_AEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotspot::security::internal {

inline constexpr size_t kKeyBytes = 32;

// Encrypts `plaintext` under `key` (kKeyBytes) binding `associated_data`. INTERNAL if OpenSSL
// fails; INVALID_ARGUMENT for a key of the wrong size.
absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view associated_data,
                                 absl::string_view plaintext);

// Decrypts what Seal() made. DATA_LOSS if `sealed` is malformed, was altered, or was sealed under
// another key or other associated data; INVALID_ARGUMENT for a key of the wrong size.
absl::StatusOr<std::string> Open(absl::string_view key, absl::string_view associated_data,
                                 absl::string_view sealed);
// The same into `out` (replaced; its capacity reused). `out` is unspecified after an error.
absl::Status OpenInto(absl::string_view key, absl::string_view associated_data,
                      absl::string_view sealed, std::string& out);

// `n` bytes from OpenSSL's CSPRNG. INTERNAL if it fails.
absl::StatusOr<std::string> RandomBytes(size_t n);

inline constexpr size_t kHmacBytes = 32;

// HMAC-SHA-256 of `data` under `key` (kKeyBytes): kHmacBytes raw bytes. INVALID_ARGUMENT for a
// key of the wrong size; INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> HmacSha256(absl::string_view key, absl::string_view data);

}  // namespace hotspot::security::internal

#endif  // HOTSPOT_SERVICES_SECURITY_AEAD_H_
