// JwtVerifier: checks the JWT access tokens of the municipality's OIDC provider (Entra ID, say)
// against the provider's published signing keys (its JWKS), and reads the claims that say who the
// bearer is (identity.h maps them to a principal).
//
// A token is accepted only if all of these hold:
//   - it is a JWS in compact form whose header's "alg" is RS256, RS384, RS512, PS256, PS384,
//     PS512, ES256, ES384 or ES512 ("none" and the HMAC algorithms are refused: the keys are
//     public), and whose "kid" names a signing key of the provider's key set, of the algorithm's
//     type (RSA, or EC on the algorithm's curve; and the key's own "alg", if it has one);
//   - the signature verifies with that key;
//   - "iss" is exactly the configured issuer, and "aud" (a string or an array) holds the
//     configured audience;
//   - "exp" is present and now < exp + leeway; "nbf", if present, is <= now + leeway.
//
// Keys. A key set holds the JWKS's signing keys that have a "kid", a type of RSA (2048 bits or
// more) or EC, and no "use" other than "sig"; the rest are left out, and a JWKS with none is
// refused like one that does not parse. The key set is fetched when the verifier is made (on the
// caller's thread, before Create returns), again every `refresh_interval`, and again when a token
// names a key id the set does not hold: providers (Entra ID among them) roll their signing keys
// without notice. Fetches run on a thread of the verifier's own, and no call of Verify() ever
// waits for one (an RPC thread held while the provider answers would let tokens with made-up key
// ids hold them all). For a token whose key id the set does not hold:
//   - if no fetch is under way or asked for, and none was asked for by a token within the last
//     `refetch_interval` (so that tokens with made-up key ids cannot hammer the provider), a
//     fetch is asked for;
//   - while a fetch is asked for or under way, the token is answered UNAVAILABLE at once ("key
//     <kid> is unknown; ... being fetched again; retry"): it may be of a key just rolled, and its
//     retry after the fetch is verified with the new set;
//   - otherwise (the fetch has completed, the key id is still unknown, and the rate limit allows
//     no other) it is refused UNAUTHENTICATED, or answered UNAVAILABLE if the last fetch failed
//     (the keys in use may be stale).
// A key set that fails to fetch or parse leaves the one before in use; until a first one is had,
// tokens are answered UNAVAILABLE, and the fetch is tried again every `refetch_interval` (and
// when a token asks, within the same rate limit).
//
// Claims. The person claim and the groups claim (see the options) are read as they are; a token
// without the groups claim whose "_claim_names" names it (Entra ID's group overage) is marked
// TokenClaims::groups_left_out, and its groups are not fetched from anywhere.
//
// Thread-safety: Verify() is safe for concurrent use and does not block on the provider. The
// destructor stops the fetching thread (waiting for a fetch under way).
#ifndef HOTSPOT_SERVICES_SECURITY_JWT_VERIFIER_H_
#define HOTSPOT_SERVICES_SECURITY_JWT_VERIFIER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/security/identity.h"

namespace hotspot::security {

struct JwtVerifierOptions {
  // The provider's issuer, compared exactly with each token's "iss" (for Entra ID:
  // https://login.microsoftonline.com/<tenant id>/v2.0). Required.
  std::string issuer;
  // The audience a token must be for: one of its "aud" values (for Entra ID, the application
  // (client) id of hotspotd's app registration, or its application id URI). Required.
  std::string audience;
  // The claim that names the person ("preferred_username", "upn", "email", "sub", ...): it
  // becomes TokenClaims::person. Default: "sub".
  std::string person_claim = "sub";
  // The claim that lists the bearer's groups or roles (a string or an array of strings): it
  // becomes TokenClaims::groups. Default: "groups".
  std::string groups_claim = "groups";
  // Clock skew allowed between hotspotd and the provider, on "exp" and "nbf". Default: 60 s.
  absl::Duration leeway = absl::Seconds(60);
  // The least time between two fetches asked for by tokens with an unknown key id; also how often
  // a key set is tried again after a failed fetch. Default: 60 s.
  absl::Duration refetch_interval = absl::Seconds(60);
  // The key set is fetched again this often whatever tokens come. Default: 1 h.
  absl::Duration refresh_interval = absl::Hours(1);
  // The clock (for tests). Default: absl::Now.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// Fetches the provider's key set: returns a JWKS document ({"keys": [...]}), or why it could
// not. Called on the verifier's thread, never concurrently with itself.
using KeySetFetcher = std::function<absl::StatusOr<std::string>()>;

// Told of each fetch's outcome (OK with the number of signing keys had, or why it failed), on
// the verifier's thread (the first fetch's on Create's caller), once the outcome is in use: for
// hotspotd's log.
using KeySetObserver = std::function<void(const absl::Status& status, int keys)>;

class JwtVerifier final : public TokenVerifier {
 public:
  // A verifier that fetches the key set with `fetch` (its first fetch done on the calling thread
  // before this returns, as long as `fetch` takes; a failure is told to `observer` and tried again
  // later, see the top of this file). INVALID_ARGUMENT naming the option for an empty issuer or
  // audience, a negative leeway or intervals that are not positive.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtVerifierOptions options,
                                                            KeySetFetcher fetch,
                                                            KeySetObserver observer = nullptr);
  ~JwtVerifier() override;

  // The claims of `token`, by the rules at the top of this file; never waits for a fetch.
  // UNAUTHENTICATED saying which rule it breaks (the message never quotes the token);
  // UNAVAILABLE (retry) if no key set has been had yet, or if the token's key id is unknown while
  // the key set is being fetched again or after a fetch failed.
  absl::StatusOr<TokenClaims> Verify(absl::string_view token) const override;

  // Fetches completed so far, successful or not; a fetch counts once its outcome is in use (for
  // tests, which wait on it).
  int fetches() const;

 private:
  struct State;
  explicit JwtVerifier(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The HTTPS client hotspotd fetches the provider's documents with (libcurl): the server's
// certificate is verified against `ca_file` (or the system's CAs) and its name; no redirects.
struct HttpsClientOptions {
  // PEM CA certificate(s) to verify the provider's certificate with. Default: "" (the system's).
  std::string ca_file;
  // The most one request may take, connecting included. Default: 5 s.
  absl::Duration timeout = absl::Seconds(5);
  // The largest document accepted. Default: 1 MiB.
  size_t max_bytes = 1 << 20;
};

// The body of `url` (https only) if it answers 200. UNAVAILABLE saying why otherwise (the
// connection, the certificate, the status, the size). INVALID_ARGUMENT for a URL that is not
// https.
absl::StatusOr<std::string> HttpsGet(const std::string& url, const HttpsClientOptions& options);

// The provider's key set fetcher: the JWKS at `jwks_uri`, or, if it is empty, at the jwks_uri of
// the issuer's discovery document (<issuer>/.well-known/openid-configuration), whose "issuer"
// must be `issuer` exactly (looked up until it succeeds once, then kept).
KeySetFetcher ProviderKeySet(std::string issuer, std::string jwks_uri,
                             HttpsClientOptions options);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_JWT_VERIFIER_H_
