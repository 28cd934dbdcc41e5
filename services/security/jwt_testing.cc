#include "services/security/jwt_testing.h"

#include <cjose/cjose.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace hotspot::security::testing {
namespace {

std::string Base64Url(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);  // unpadded
  return out;
}

}  // namespace

TestKey::TestKey(cjose_jwk_t* jwk, std::string kid, std::string alg)
    : jwk_(jwk), kid_(std::move(kid)), alg_(std::move(alg)) {}

TestKey::TestKey(TestKey&& other) noexcept
    : jwk_(other.jwk_), kid_(std::move(other.kid_)), alg_(std::move(other.alg_)) {
  other.jwk_ = nullptr;
}

TestKey::~TestKey() {
  if (jwk_ != nullptr) cjose_jwk_release(jwk_);
}

TestKey TestKey::Rsa(std::string kid) {
  static const uint8_t kExponent[] = {0x01, 0x00, 0x01};
  cjose_err err;
  cjose_jwk_t* jwk = cjose_jwk_create_RSA_random(2048, kExponent, sizeof kExponent, &err);
  CHECK(jwk != nullptr) << cjose_err_message(err.code);
  return TestKey(jwk, std::move(kid), "RS256");
}

TestKey TestKey::Ec(std::string kid) {
  cjose_err err;
  cjose_jwk_t* jwk = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
  CHECK(jwk != nullptr) << cjose_err_message(err.code);
  return TestKey(jwk, std::move(kid), "ES256");
}

nlohmann::json TestKey::PublicJwk() const {
  cjose_err err;
  char* text = cjose_jwk_to_json(jwk_, /*priv=*/false, &err);
  CHECK(text != nullptr) << cjose_err_message(err.code);
  nlohmann::json jwk = nlohmann::json::parse(text);
  cjose_get_dealloc()(text);
  jwk["kid"] = kid_;
  jwk["use"] = "sig";
  jwk["alg"] = alg_;
  return jwk;
}

std::string TestKey::Sign(const nlohmann::json& claims, std::optional<std::string> kid,
                          const nlohmann::json& extra_header) const {
  cjose_err err;
  cjose_header_t* header = cjose_header_new(&err);
  CHECK(header != nullptr);
  CHECK(cjose_header_set(header, CJOSE_HDR_ALG, alg_.c_str(), &err));
  CHECK(cjose_header_set(header, CJOSE_HDR_KID, kid.value_or(kid_).c_str(), &err));
  CHECK(cjose_header_set(header, "typ", "JWT", &err));
  for (const auto& [name, value] : extra_header.items()) {
    // cjose takes strings as they are, and only arrays and objects as JSON.
    CHECK(value.is_string()
              ? cjose_header_set(header, name.c_str(), value.get<std::string>().c_str(), &err)
              : cjose_header_set_raw(header, name.c_str(), value.dump().c_str(), &err))
        << name;
  }
  const std::string payload = claims.dump();
  cjose_jws_t* jws = cjose_jws_sign(jwk_, header, reinterpret_cast<const uint8_t*>(payload.data()),
                                    payload.size(), &err);
  CHECK(jws != nullptr) << cjose_err_message(err.code);
  const char* compact = nullptr;
  CHECK(cjose_jws_export(jws, &compact, &err));
  std::string out = compact;
  cjose_jws_release(jws);
  cjose_header_release(header);
  return out;
}

std::string Jwks(const std::vector<const TestKey*>& keys) {
  nlohmann::json document;
  document["keys"] = nlohmann::json::array();
  for (const TestKey* key : keys) document["keys"].push_back(key->PublicJwk());
  return document.dump();
}

std::string ForgedJwt(const nlohmann::json& header, const nlohmann::json& claims,
                      absl::string_view signature) {
  return absl::StrCat(Base64Url(header.dump()), ".", Base64Url(claims.dump()), ".",
                      Base64Url(signature));
}

std::string Hs256Jwt(const std::string& kid, const nlohmann::json& claims,
                     absl::string_view secret) {
  const nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}};
  const std::string input = absl::StrCat(Base64Url(header.dump()), ".", Base64Url(claims.dump()));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  return absl::StrCat(input, ".",
                      Base64Url(absl::string_view(reinterpret_cast<char*>(mac), mac_size)));
}

nlohmann::json Claims(const std::string& issuer, const std::string& audience,
                      const std::string& subject, absl::Duration lifetime) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"iss", issuer},
          {"aud", audience},
          {"sub", subject},
          {"iat", now},
          {"nbf", now},
          {"exp", now + absl::ToInt64Seconds(lifetime)}};
}

}  // namespace hotspot::security::testing
