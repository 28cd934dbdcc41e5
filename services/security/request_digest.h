// RequestDigester: the digest a command's first event keeps of its request, so that a retry with
// the same request id is recognised and one with other content refused (the command handler's
// idempotency, services/commands/command_handler.h).
//
// A request holds personal data in clear (a referral's name, CPR number, birth date, address and
// texts), and the digest stays in the log after the youth's erasure: a plain hash of it could be
// confirmed by whoever guesses the request (a CPR number is a small space). So a digest is
// HMAC-SHA-256 under a key derived from the master key (KeyStore::DeriveKey("request-digest.v1")),
// never on disk, and the read side never hands a digest out (queries::ParseStoredEvent clears it).
//
// What is digested (Input): the request's full message name, a NUL, and its deterministic
// serialisation.
//
// Upcast. Commands recorded before digests were keyed hold the plain SHA-256 of the same input.
// Matches() accepts either form, so that a retry of such a request is still answered from the
// log; this is the one place that knows of the old form. New events get the keyed form only.
//
// Thread-safety: an immutable value; safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_REQUEST_DIGEST_H_
#define HOTSPOT_SERVICES_SECURITY_REQUEST_DIGEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/security/key_store.h"

namespace hotspot::security {

// The purpose the digest key is derived for (KeyStore::DeriveKey).
inline constexpr char kRequestDigestKeyPurpose[] = "request-digest.v1";

class RequestDigester {
 public:
  // With the key derived from `keys`' master key for kRequestDigestKeyPurpose: the same for the
  // same master key, so digests survive restarts. INTERNAL if the derivation fails.
  static absl::StatusOr<RequestDigester> FromKeyStore(const KeyStore& keys);
  // With `key` (32 bytes). INVALID_ARGUMENT for a key of another size.
  static absl::StatusOr<RequestDigester> WithKey(std::string key);

  // The bytes a digest is taken of: `request`'s full message name, NUL, its deterministic
  // serialisation. They hold the request's personal data in clear: keep them no longer than the
  // command.
  static std::string Input(const google::protobuf::Message& request);

  // The digest (32 raw bytes) of `input`. INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> Digest(absl::string_view input) const;

  // True if `stored` (an event's request_digest) is the digest of `input`: keyed, or, for a
  // command recorded before digests were keyed, the plain SHA-256 of `input` (the upcast).
  // INTERNAL if OpenSSL fails.
  absl::StatusOr<bool> Matches(absl::string_view stored, absl::string_view input) const;

 private:
  explicit RequestDigester(std::string key) : key_(std::move(key)) {}

  std::string key_;
};

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_REQUEST_DIGEST_H_
