// Identity: who is calling. Every call carries a bearer token; a tokens file maps the SHA-256 of
// each token to a principal (person, agency, role, areas). The file holds hashes only, so it
// reveals no token; tokens are 32 random bytes, hex-encoded.
//
// Tokens file, one principal a line; blank lines and lines starting with '#' are skipped:
//   <sha256 of the token, 64 hex digits> <person> <agency> <role> <area>[,<area>...]
// or "-" for none (e.g. an auditor of the whole installation: policy.h), e.g.
//   9f86d08...  chief-anna  agency-hotspot-sjaelor  coordinator  area-sjaelor
//   60303ae...  dpo-karen   agency-dpo-copenhagen   auditor      -
// Roles: coordinator, agency_member, agency_leader, social_caseworker, auditor, integration, admin
// (never "system": that role is hotspotd's own, and a file naming it is refused).
//
// Thread-safety: an Authenticator is immutable after Load() and safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_IDENTITY_H_
#define HOTSPOT_SERVICES_SECURITY_IDENTITY_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/security/principal.h"

namespace hotspot::security {

class Authenticator {
 public:
  // Reads a tokens file. INVALID_ARGUMENT naming the line for a malformed line, an unknown role
  // or a hash listed twice; NOT_FOUND if the file does not exist.
  static absl::StatusOr<Authenticator> Load(const std::string& path);
  // From the file's text (for tests and tools).
  static absl::StatusOr<Authenticator> Parse(absl::string_view text);

  // The principal the bearer token belongs to. UNAUTHENTICATED for an empty or unknown token.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

  // Admits a principal before its call runs (hotspotd: fills in its agency's kind as the log
  // registers it, and asks the policy's MayHoldRole). Set before serving; by default every
  // principal is admitted as the tokens file has it.
  using Admission = std::function<absl::Status(Principal&)>;
  void set_admission(Admission admission) { admission_ = std::move(admission); }
  // The admission's answer for `who`, which it completes: OK, or its error (PERMISSION_DENIED
  // saying why).
  absl::Status Admit(Principal& who) const {
    return admission_ ? admission_(who) : absl::OkStatus();
  }

  size_t size() const { return by_hash_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_hash_;  // hex SHA-256 -> principal
  Admission admission_;
};

// The token in an "authorization" header value: "Bearer <token>". UNAUTHENTICATED otherwise.
absl::StatusOr<absl::string_view> BearerToken(absl::string_view authorization);

// A fresh token (32 random bytes, hex) for each principal. Writes the tokens file for them to
// `path` (mode 0600, replacing any file there) and returns the tokens in the same order: they are
// shown once and never stored. For the embedded demo. INTERNAL for I/O errors.
absl::StatusOr<std::vector<std::string>> WriteDevTokens(const std::string& path,
                                                        const std::vector<Principal>& principals);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_IDENTITY_H_
