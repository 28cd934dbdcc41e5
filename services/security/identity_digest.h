// IdentityDigester: keyed hashes of a youth's identifying data, so that a referral of a youth who
// is already known can be found (issue 13: "same CPR number, or same name and birth date, in the
// municipality") without indexing anything in clear.
//
// A digest is HMAC-SHA-256 under an index key that is not in the log nor in the views: hotspotd
// derives it from the master key (KeyStore::DeriveKey("duplicates.v1")), so it never lands on
// disk. Without the key, a digest cannot be confirmed by trying the small space of CPR numbers or
// of names and birth dates, as a plain hash could.
//
// What is hashed, each part length-prefixed, with the domain "hotspot.duplicates.v1":
//   kCprNumber         the scope and the CPR number, normalised to "DDMMYY-NNNN" (ten digits,
//                      any separators dropped)
//   kNameAndBirthDate  the scope, the name (common::NormaliseName) and the birth date
//                      ("YYYY-MM-DD")
// The scope is the municipality (common::NormaliseName too), so that a digest matches only
// within it.
// A value that does not normalise (no name, a CPR number without ten digits, no valid birth
// date) has no digest: it is not indexed and matches nothing.
//
// Thread-safety: an immutable value; safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_IDENTITY_DIGEST_H_
#define HOTSPOT_SERVICES_SECURITY_IDENTITY_DIGEST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/security/key_store.h"

namespace hotspot::security {

// What two youths' data have in common.
enum class IdentityMatch {
  kCprNumber,
  kNameAndBirthDate,
};

// The purpose the index key is derived for (KeyStore::DeriveKey).
inline constexpr char kDuplicatesKeyPurpose[] = "duplicates.v1";

class IdentityDigester {
 public:
  // With the key derived from `keys`' master key for kDuplicatesKeyPurpose. INTERNAL if the
  // derivation fails.
  static absl::StatusOr<IdentityDigester> FromKeyStore(const KeyStore& keys);
  // With `key` (32 bytes). INVALID_ARGUMENT for a key of another size.
  static absl::StatusOr<IdentityDigester> WithKey(std::string key);

  // The digest (32 raw bytes) of `cpr` in `scope`; nullopt if the CPR number or the scope does
  // not normalise. INTERNAL if OpenSSL fails.
  absl::StatusOr<std::optional<std::string>> OfCpr(absl::string_view scope,
                                                   absl::string_view cpr) const;
  // The digest of the pair (`name`, `birth_date`) in `scope`; nullopt if either (or the scope)
  // does not normalise. INTERNAL if OpenSSL fails.
  absl::StatusOr<std::optional<std::string>> OfNameAndBirthDate(absl::string_view scope,
                                                                absl::string_view name,
                                                                absl::string_view birth_date) const;

 private:
  explicit IdentityDigester(std::string key) : key_(std::move(key)) {}
  absl::StatusOr<std::optional<std::string>> Digest(
      IdentityMatch kind, absl::string_view scope,
      std::initializer_list<absl::string_view> parts) const;

  std::string key_;
};

// "DDMMYY-NNNN" from a CPR number with exactly ten digits and any separators ("0102031234",
// "010203-1234", "010203 1234"); nullopt otherwise.
std::optional<std::string> NormaliseCpr(absl::string_view cpr);

// "YYYY-MM-DD" if `birth_date` is a valid date in that form; nullopt otherwise.
std::optional<std::string> NormaliseBirthDate(absl::string_view birth_date);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_IDENTITY_DIGEST_H_
