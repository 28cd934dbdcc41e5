// Identity: who is calling. A call carries a bearer token, or comes over a connection whose client
// certificate hotspotd verified (mTLS), or both. A bearer token is either one of the tokens file's
// or a JWT access token of the municipality's OIDC provider.
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
// A claims map (hotspotd's --oidc_claims_map_file) maps the claims of a verified JWT access token
// (TokenVerifier; jwt_verifier.h verifies them against the provider's keys) to a principal, in
// the same form again:
//   group:<a value of the groups claim> * <agency> <role> <area>[,<area>...]
//   sub:<the token's subject>  <person or *> <agency> <role> <area>[,<area>...]
// "*" is the person the token's person claim names (e.g. preferred_username). A token's principal
// is what its matching lines say together: every line that matches (its sub, any of its groups)
// must name the same person, agency and role, and the areas of all of them add up. A token that
// matches no line, or lines that disagree, is UNAUTHENTICATED.
//
// Which principal a call is (Authenticator::Identify):
//   - a bearer token alone: the token's principal (a JWT's by the claims map, any other by the
//     tokens file);
//   - a client certificate alone: the certificate's principal; UNAUTHENTICATED if the map lists
//     none of its names (or lists them for two different principals);
//   - both: the token's principal, and if the map lists the certificate too, it must be the same
//     principal (one call, one identity: UNAUTHENTICATED otherwise, never the union or a pick of
//     the two). A certificate the map does not list then only proved that the connection comes
//     from a holder of the client CA's certificates (an operator's hotspotctl, say).
//
// Thread-safety: an Authenticator is safe for concurrent use; its setters are called before it
// serves, its Reload* methods at any time (a call sees the file before or after, never a mix).
// A CertificateMap and a ClaimsMap are immutable and safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_IDENTITY_H_
#define HOTSPOT_SERVICES_SECURITY_IDENTITY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/common/text.h"
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

// What a verified JWT access token says about its bearer (TokenVerifier).
struct TokenClaims {
  std::string subject;              // "sub"
  std::string person;               // the person claim's value; empty if the token has none
  std::vector<std::string> groups;  // the groups claim's values (a string or an array of them)
  // True if the provider left the groups out of the token: it has no groups claim, and its
  // "_claim_names" names that claim (Entra ID's "group overage", for a user in more groups than
  // a token may carry; the groups must then be read from Microsoft Graph, which hotspotd does
  // not do). Such a token maps only by its subject; see README, "Entra ID".
  bool groups_left_out = false;
};

// Checks a JWT access token: its signature against the provider's keys, its issuer, audience
// and time of validity (JwtVerifier in jwt_verifier.h).
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  // The token's claims. UNAUTHENTICATED saying why a token is refused (never quoting it);
  // UNAVAILABLE if the provider's keys cannot be had to check it.
  virtual absl::StatusOr<TokenClaims> Verify(absl::string_view token) const = 0;
};

class ClaimsMap {
 public:
  // Reads a claims map. INVALID_ARGUMENT naming the line (or the match) for a malformed line, an
  // unknown role, a match listed twice or a group line with a person other than "*"; NOT_FOUND if
  // the file cannot be read. Messages start with "oidc_claims_map_file".
  static absl::StatusOr<ClaimsMap> Load(const std::string& path);
  // From the file's text (for tests and tools).
  static absl::StatusOr<ClaimsMap> Parse(absl::string_view text);

  // The principal of a token with `claims`, by the rules at the top of this file.
  // UNAUTHENTICATED (naming the subject and the groups, which are no secret) if no line matches,
  // if the matching lines disagree, or if "*" is to be the person and the token names none
  // usable (empty, over 128 bytes, or with spaces, control characters or invisible and
  // bidirectional formatting such as U+202E).
  absl::StatusOr<Principal> Lookup(const TokenClaims& claims) const;

  size_t size() const { return by_match_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_match_;  // "group:..." -> principal
};

class Authenticator {
 public:
  // Reads a tokens file. INVALID_ARGUMENT naming the line for a malformed line, an unknown role
  // or a hash listed twice; NOT_FOUND if the file does not exist.
  static absl::StatusOr<Authenticator> Load(const std::string& path);
  // From the file's text (for tests and tools).
  static absl::StatusOr<Authenticator> Parse(absl::string_view text);

  Authenticator(Authenticator&&) = default;
  Authenticator& operator=(Authenticator&&) = default;

  // The principal the bearer token belongs to: a JWT (three dot-separated parts) is checked by
  // the token verifier and mapped by the claims map, any other token is looked up in the tokens
  // file. UNAUTHENTICATED for an empty or unknown token, a JWT that does not verify (or with no
  // verifier set) or that the claims map maps to no principal; UNAVAILABLE if the verifier
  // cannot get the keys to check it.
  absl::StatusOr<Principal> Authenticate(absl::string_view token) const;

  // Client certificates map to principals through `certificates` (without one, none does). Set
  // before serving.
  void set_certificates(CertificateMap certificates);
  // JWT access tokens are checked by `verifier` and mapped to principals by `claims`; without a
  // verifier every JWT is refused. Set before serving.
  void set_jwt(std::shared_ptr<const TokenVerifier> verifier, ClaimsMap claims);

  // Read the tokens file, the certificate map or the claims map at `path` again (hotspotd: on
  // SIGHUP) and use it for the calls that start from now on. A file that cannot be read or
  // parsed changes nothing: the error (Load's) says why, and the one in use stays.
  absl::Status ReloadTokens(const std::string& path);
  absl::Status ReloadCertificates(const std::string& path);
  absl::Status ReloadClaims(const std::string& path);

  // The caller of a call that sent `token` (nullopt: no authorization header) over a connection
  // with the verified client `certificate` (nullptr: none), by the rules at the top of this file.
  // UNAUTHENTICATED, saying why, when they give no principal or two different ones; UNAVAILABLE
  // as Authenticate.
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

  // The number of tokens in the tokens file in use.
  size_t size() const;

 private:
  using TokenIndex = absl::flat_hash_map<std::string, Principal>;  // hex SHA-256 -> principal
  Authenticator() = default;

  // Whatever the files said when last read; replaced whole, never changed in place.
  std::shared_ptr<const TokenIndex> tokens() const;
  std::shared_ptr<const CertificateMap> certificates() const;
  std::shared_ptr<const ClaimsMap> claims() const;

  // A unique_ptr so that an Authenticator can be moved out of Load() before it serves.
  std::unique_ptr<absl::Mutex> mu_ = std::make_unique<absl::Mutex>();
  std::shared_ptr<const TokenIndex> tokens_ ABSL_GUARDED_BY(*mu_);
  std::shared_ptr<const CertificateMap> certificates_ ABSL_GUARDED_BY(*mu_);
  std::shared_ptr<const ClaimsMap> claims_ ABSL_GUARDED_BY(*mu_);
  std::shared_ptr<const TokenVerifier> verifier_;
  Admission admission_;
};

// A person's name a principal may carry, as commands name people too (common::PersonName): it
// becomes the events' actor and the access log's person, and is printed to operators. A tokens
// file's, a certificate map's and an OIDC token's person claim must be one. 1 to 128 bytes, no
// spaces, '/', control characters, invisible or bidirectional formatting.
using common::PersonName;

// A person a request names at `field` (e.g. the access log's filter): OK if PersonName,
// INVALID_ARGUMENT naming `field` otherwise (without quoting it: it may hold anything).
absl::Status CheckUsablePerson(absl::string_view field, absl::string_view person);

// The token in an "authorization" header value: "Bearer <token>". UNAUTHENTICATED otherwise.
absl::StatusOr<absl::string_view> BearerToken(absl::string_view authorization);

// A fresh token (32 random bytes, hex) for each principal. Writes the tokens file for them to
// `path` (mode 0600, replacing any file there) and returns the tokens in the same order: they are
// shown once and never stored. For the embedded demo. INTERNAL for I/O errors.
absl::StatusOr<std::vector<std::string>> WriteDevTokens(const std::string& path,
                                                        const std::vector<Principal>& principals);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_IDENTITY_H_
