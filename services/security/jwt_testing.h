// For tests: signing keys and the JWT access tokens an OIDC provider would issue with them, to
// check JwtVerifier and hotspotd against (never used by hotspotd itself).
//
// Thread-safety: a TestKey is immutable once made and safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_JWT_TESTING_H_
#define HOTSPOT_SERVICES_SECURITY_JWT_TESTING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cjose/jwk.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hotspot::security::testing {

class TestKey {
 public:
  // A fresh RSA key of 2048 bits (signs RS256) or EC key on P-256 (signs ES256), with key id
  // `kid`. CHECK-fails if the key cannot be made.
  static TestKey Rsa(std::string kid);
  static TestKey Ec(std::string kid);
  TestKey(TestKey&& other) noexcept;
  TestKey& operator=(TestKey&&) = delete;
  ~TestKey();

  const std::string& kid() const { return kid_; }
  // The public key as a JWK (with "kid", "use": "sig" and "alg").
  nlohmann::json PublicJwk() const;
  // A compact JWS of `claims` signed with this key (RS256 or ES256); the header names `kid`, or
  // this key's id, and holds the members of `extra_header` too.
  std::string Sign(const nlohmann::json& claims, std::optional<std::string> kid = std::nullopt,
                   const nlohmann::json& extra_header = nlohmann::json::object()) const;

 private:
  TestKey(cjose_jwk_t* jwk, std::string kid, std::string alg);
  cjose_jwk_t* jwk_;
  std::string kid_;
  std::string alg_;
};

// A JWKS document ({"keys": [...]}) of the public keys of `keys`.
std::string Jwks(const std::vector<const TestKey*>& keys);

// A token of `header` and `claims` with `signature` (raw bytes, base64url-encoded here) as its
// signature: for "alg": "none" and other tokens no provider should issue.
std::string ForgedJwt(const nlohmann::json& header, const nlohmann::json& claims,
                      absl::string_view signature = "");

// A token signed HS256 with `secret` (the public key's JWK text, say: the old confusion attack).
std::string Hs256Jwt(const std::string& kid, const nlohmann::json& claims,
                     absl::string_view secret);

// Claims a provider would issue: "iss", "aud", "sub", "iat", "nbf" (now) and "exp" (now +
// `lifetime`), to be added to or changed by the test.
nlohmann::json Claims(const std::string& issuer, const std::string& audience,
                      const std::string& subject, absl::Duration lifetime = absl::Minutes(10));

}  // namespace hotspot::security::testing

#endif  // HOTSPOT_SERVICES_SECURITY_JWT_TESTING_H_
