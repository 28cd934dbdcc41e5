// Identity: who is calling. A call carries a bearer token, or comes over a connection whose client
// certificate hotspotd verified (mTLS), or both.
//
// A tokens file maps the SHA-256 of each token to a principal (person, agency, role, areas). The
// file holds hashes only, so it reveals no token; tokens are 32 random bytes, hex-encoded.
//
// Tokens file, one principal a line; blank lines and lines starting with '#' are skipped:
//   <sha256 of the token, 64 hex digits> <person> <agency> <role> <area>[,<area>...]
// or "-" for none (e.g. an auditor of the whole installation: policy.h), e.g.
//   9f86d08...  chief-anna  agency-hotspot-sjaelor  coordinator  area-sjaelor
//   60303ae...  dpo-karen   agency-dpo-copenhagen   auditor      -
// Roles: coordinator, agency_member, agency_leader, social_caseworker, auditor, integration, admin
// (never "system": that role is hotspotd's own, and a file naming it is refused).
//
// A certificate map (hotspotd's --tls_client_map_file) maps client certificates to principals,
// in the same form, a certificate's name in place of the hash:
//   <match> <person> <agency> <role> <area>[,<area>...]
// where <match> is one of
//   cn:<the subject's common name>      e.g. cn:system-case-records
//   dns:<a DNS subject alternative name>  e.g. dns:case-records.kommune.example
//   uri:<a URI subject alternative name>  e.g. uri:spiffe://kommune.example/case-records
//   email:<an e-mail subject alternative name>
// Names are compared exactly (case included). Only certificates signed by --tls_client_ca_file
// reach the map, so that CA must issue certificates for hotspotd's integrations alone: anyone who
// holds a certificate of it with a listed name is that principal.
//
// Which principal a call is (Authenticator::Identify):
//   - a bearer token alone: the token's principal;
//   - a client certificate alone: the certificate's principal; UNAUTHENTICATED if the map lists
//     none of its names (or lists them for two different principals);
//   - both: the token's principal, and if the map lists the certificate too, it must be the same
//     principal (one call, one identity: UNAUTHENTICATED otherwise, never the union or a pick of
//     the two). A certificate the map does not list then only proved that the connection comes
//     from a holder of the client CA's certificates (an operator's hotspotctl, say).
//
// Thread-safety: an Authenticator is immutable after Load() and its setters, and safe for
// concurrent use; so is a CertificateMap.
#ifndef HOTSPOT_SERVICES_SECURITY_IDENTITY_H_
#define HOTSPOT_SERVICES_SECURITY_IDENTITY_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/security/principal.h"

namespace hotspot::security {

// The names of a client certificate that the TLS handshake verified.
struct PeerCertificate {
  std::string common_name;  // the subject's CN; empty if it has none
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  std::vector<std::string> emails;
};

class CertificateMap {
 public:
  // Reads a certificate map. INVALID_ARGUMENT naming the line for a malformed line, an unknown
  // role or a match listed twice; NOT_FOUND if the file cannot be read. Messages start with
  // "tls_client_map_file".
  static absl::StatusOr<CertificateMap> Load(const std::string& path);
  // From the file's text (for tests and tools).
  static absl::StatusOr<CertificateMap> Parse(absl::string_view text);

  // The principal of `certificate`: the one its listed names map to. UNAUTHENTICATED if none of
  // its names is listed, or if they map to different principals.
  absl::StatusOr<Principal> Lookup(const PeerCertificate& certificate) const;

  size_t size() const { return by_name_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_name_;  // "cn:..." -> principal
};

class Authenticator {
 public:
  // Reads a tokens file. INVALID_ARGUMENT naming the line for a malformed line, an unknown role
  // or a hash listed twice; NOT_FOUND if the file does not exist.
  static absl::StatusOr<Authenticator> Load(const std::string& path);
  // From the file's text (for tests and tools).
  static absl::StatusOr<Authenticator> Parse(absl::string_view text);

  // The principal the bearer token belongs to. UNAUTHENTICATED for an empty or unknown token.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

  // Client certificates map to principals through `certificates` (without one, none does). Set
  // before serving.
  void set_certificates(CertificateMap certificates) { certificates_ = std::move(certificates); }

  // The caller of a call that sent `token` (nullopt: no authorization header) over a connection
  // with the verified client `certificate` (nullptr: none), by the rules at the top of this file.
  // UNAUTHENTICATED, saying why, when they give no principal or two different ones.
  absl::StatusOr<Principal> Identify(std::optional<absl::string_view> token,
                                     const PeerCertificate* certificate) const;

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
  CertificateMap certificates_;
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
