// libFuzzer target: the files hotspotd reads who its callers are from (services/security/
// identity.h): the tokens file (--tokens_file), the certificate map (--tls_client_map_file) and
// the claims map (--oidc_claims_map_file). The first byte picks the parser, the rest is the
// file's text. A file that parses is then asked what the server asks it: the principal of the
// token "fuzz-token" (a seed lists its hash), of a certificate and of token claims named by the
// file's own first fields. Nothing may crash; a parsed file's lookups answer OK or
// UNAUTHENTICATED, never another code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/security/identity.h"

namespace {

using hotspot::security::Authenticator;
using hotspot::security::CertificateMap;
using hotspot::security::ClaimsMap;
using hotspot::security::PeerCertificate;
using hotspot::security::Principal;
using hotspot::security::TokenClaims;

void RequireAnswer(const absl::StatusOr<Principal>& principal, const char* what) {
  if (principal.ok() || absl::IsUnauthenticated(principal.status())) return;
  std::fprintf(stderr, "tokens file fuzz: %s answered %s\n", what,
               principal.status().ToString().c_str());
  std::abort();
}

// The first field of each line: what a line maps (a hash, "cn:...", "group:...").
std::vector<std::string> Keys(absl::string_view text) {
  std::vector<std::string> keys;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (!fields.empty() && keys.size() < 16) keys.emplace_back(fields[0]);
  }
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      absl::StatusOr<Authenticator> tokens = Authenticator::Parse(text);
      if (!tokens.ok()) return 0;
      RequireAnswer(tokens->Authenticate("fuzz-token"), "a listed token");
      RequireAnswer(tokens->Authenticate("a.b.c"), "a JWT without a verifier");
      RequireAnswer(tokens->Identify(std::nullopt, nullptr), "no credentials");
      break;
    }
    case 1: {
      absl::StatusOr<CertificateMap> map = CertificateMap::Parse(text);
      if (!map.ok()) return 0;
      PeerCertificate certificate;
      for (const std::string& key : Keys(text)) {
        if (absl::StartsWith(key, "cn:")) certificate.common_name = key.substr(3);
        if (absl::StartsWith(key, "dns:")) certificate.dns_names.push_back(key.substr(4));
        if (absl::StartsWith(key, "uri:")) certificate.uris.push_back(key.substr(4));
        if (absl::StartsWith(key, "email:")) certificate.emails.push_back(key.substr(6));
      }
      RequireAnswer(map->Lookup(certificate), "a certificate of the map's names");
      RequireAnswer(map->Lookup(PeerCertificate{}), "a certificate with no names");
      break;
    }
    case 2: {
      absl::StatusOr<ClaimsMap> map = ClaimsMap::Parse(text);
      if (!map.ok()) return 0;
      TokenClaims claims;
      claims.person = "person-from-token";
      for (const std::string& key : Keys(text)) {
        if (absl::StartsWith(key, "sub:")) claims.subject = key.substr(4);
        if (absl::StartsWith(key, "group:")) claims.groups.push_back(key.substr(6));
      }
      RequireAnswer(map->Lookup(claims), "claims of the map's matches");
      claims.person = "";
      RequireAnswer(map->Lookup(claims), "claims naming no person");
      claims.groups_left_out = true;
      RequireAnswer(map->Lookup(claims), "claims with groups left out");
      break;
    }
  }
  return 0;
}
