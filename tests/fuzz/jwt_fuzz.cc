// libFuzzer target: OIDC access tokens and the provider's key set (services/security/
// jwt_verifier.h, over libcjose and nlohmann's JSON). The first byte picks what the rest is:
//   0  a JWKS document, as the provider's jwks_uri would answer: a verifier is made with it and
//      asked to verify a token signed by the fuzz key (a seed's JWKS holds that key);
//   1  an access token, verified against the fuzz key's JWKS;
//   2  a token's payload (its claims), signed here with the fuzz key, so that the claims are
//      read past the signature check.
// Nothing may crash, throw or leak; Verify() answers OK, UNAUTHENTICATED or UNAVAILABLE only.
// The fuzz key is a fixed P-256 key made for this target (kid "fuzz-ec"), so that committed seeds
// stay signed with it; the verifier's clock is fixed at 2030-01-01T00:00:00Z.
#include <cjose/cjose.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/security/jwt_verifier.h"

namespace {

using hotspot::security::JwtVerifier;
using hotspot::security::JwtVerifierOptions;
using hotspot::security::TokenClaims;

constexpr char kPrivateJwk[] =
    R"({"kty":"EC","crv":"P-256","x":"ji7mVZAg9XhCeMpSu6oNZgYwN840rp5TcTfJWkJBsss",)"
    R"("y":"p59NR6ETOAXLjz2cKFijboRmaYN2IZgGy3wTwbGBD5s",)"
    R"("d":"9mqv70MmKSxIP9fxFk7Mz1eSxkC6v0RelVeDlipAqHo"})";
constexpr char kJwks[] =
    R"({"keys":[{"kty":"EC","crv":"P-256","x":"ji7mVZAg9XhCeMpSu6oNZgYwN840rp5TcTfJWkJBsss",)"
    R"("y":"p59NR6ETOAXLjz2cKFijboRmaYN2IZgGy3wTwbGBD5s","kid":"fuzz-ec","use":"sig",)"
    R"("alg":"ES256"}]})";
// The claims of the token mode 0 verifies: valid for the verifier below at its fixed clock.
constexpr char kClaims[] =
    R"({"iss":"https://login.example/tenant/v2.0","aud":"hotspot","sub":"s-1",)"
    R"("preferred_username":"anna","groups":["g1","g2"],"exp":1893459600,"nbf":1893452400})";

void Fail(const std::string& what) {
  std::fprintf(stderr, "jwt fuzz: %s\n", what.c_str());
  std::abort();
}

cjose_jwk_t* FuzzKey() {
  static cjose_jwk_t* const key = [] {
    cjose_err err;
    cjose_jwk_t* jwk = cjose_jwk_import(kPrivateJwk, sizeof kPrivateJwk - 1, &err);
    if (jwk == nullptr) Fail(absl::StrCat("the fuzz key does not import: ", err.message));
    return jwk;
  }();
  return key;
}

// A compact JWS of `payload` (any bytes) signed ES256 with the fuzz key, kid "fuzz-ec".
std::string Sign(absl::string_view payload) {
  cjose_err err;
  cjose_header_t* header = cjose_header_new(&err);
  if (header == nullptr || !cjose_header_set(header, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &err) ||
      !cjose_header_set(header, CJOSE_HDR_KID, "fuzz-ec", &err)) {
    Fail("cannot make a JWS header");
  }
  cjose_jws_t* jws = cjose_jws_sign(
      FuzzKey(), header, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), &err);
  if (jws == nullptr) Fail(absl::StrCat("cannot sign: ", err.message));
  const char* compact = nullptr;
  if (!cjose_jws_export(jws, &compact, &err)) Fail("cannot export a JWS");
  std::string out = compact;
  cjose_jws_release(jws);
  cjose_header_release(header);
  return out;
}

JwtVerifierOptions Options() {
  JwtVerifierOptions options;
  options.issuer = "https://login.example/tenant/v2.0";
  options.audience = "hotspot";
  options.person_claim = "preferred_username";
  const absl::Time now = absl::FromUnixSeconds(1893456000);  // 2030-01-01T00:00:00Z
  options.now = [now] { return now; };
  return options;
}

std::unique_ptr<JwtVerifier> Verifier(std::string jwks) {
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = JwtVerifier::Create(
      Options(), [jwks = std::move(jwks)]() -> absl::StatusOr<std::string> { return jwks; });
  if (!verifier.ok()) Fail(verifier.status().ToString());
  return *std::move(verifier);
}

void Check(const absl::StatusOr<TokenClaims>& claims) {
  if (claims.ok() || absl::IsUnauthenticated(claims.status()) ||
      absl::IsUnavailable(claims.status())) {
    return;
  }
  Fail(absl::StrCat("Verify answered ", claims.status().ToString()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const JwtVerifier* const verifier = Verifier(kJwks).release();
  static const std::string token = Sign(kClaims);
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Check(Verifier(std::string(rest))->Verify(token));
      break;
    case 1:
      Check(verifier->Verify(rest));
      break;
    case 2:
      Check(verifier->Verify(Sign(rest)));
      break;
  }
  return 0;
}
