#include "services/security/identity.h"

#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "services/security/aead.h"
#include "services/security/owner_only_file.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

std::string HexSha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool IsLowerHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// What a certificate map's match may start with.
constexpr absl::string_view kMatchKinds[] = {"cn:", "dns:", "uri:", "email:"};
// What a claims map's match may start with.
constexpr absl::string_view kClaimKinds[] = {"group:", "sub:"};
// A claims map's person that stands for the person the token names.
constexpr absl::string_view kTokensPerson = "*";

bool SamePrincipal(const Principal& a, const Principal& b) {
  return a.person == b.person && a.agency == b.agency && a.role == b.role && a.areas == b.areas;
}

std::string Line(absl::string_view hash, const Principal& p) {
  return absl::StrCat(hash, " ", p.person, " ", p.agency, " ", RoleName(p.role), " ",
                      p.areas.empty() ? "-" : absl::StrJoin(p.areas, ","), "\n");
}

// At most 200 bytes of `text` for a message, escaped for a terminal (a certificate's names and a
// token's claims are the peer's choice: no escape code or bidirectional override reaches a log).
std::string Bounded(absl::string_view text) {
  constexpr size_t kMax = 200;
  const std::string shown = common::EscapeForTerminal(text.substr(0, kMax));
  return text.size() <= kMax ? shown : absl::StrCat(shown, "...");
}

// T::Parse of the file at `path`: NOT_FOUND if it cannot be read; Parse's error otherwise. Messages
// start with `flag` (and the path).
template <typename T>
absl::StatusOr<T> LoadFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<T> parsed = T::Parse(text.str());
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(flag, " ", path, ": ", parsed.status().message()));
  }
  return parsed;
}

// The lines of a tokens file or a certificate map: "<key> <person> <agency> <role> <areas>", the
// key checked by `check_key`. INVALID_ARGUMENT naming the line. `key` and `key_name` say what
// the key is in messages ("want <key> ...", "this <key_name> is listed twice").
absl::StatusOr<absl::flat_hash_map<std::string, Principal>> ParsePrincipalLines(
    absl::string_view text, absl::string_view key, absl::string_view key_name,
    const std::function<absl::Status(absl::string_view)>& check_key) {
  absl::flat_hash_map<std::string, Principal> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [line_number](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
    };
    if (fields.size() != 5) {
      return error(absl::StrCat("want <", key, "> <person> <agency> <role> <areas>"));
    }
    if (absl::Status checked = check_key(fields[0]); !checked.ok()) {
      return error(checked.message());
    }
    absl::StatusOr<Role> role = ParseRole(fields[3]);
    if (!role.ok()) return error(role.status().message());
    if (!PersonName(fields[1])) {
      return error(absl::StrCat("the person must be ", common::kPersonNameRule));
    }
    Principal principal;
    principal.person = std::string(fields[1]);
    principal.agency = std::string(fields[2]);
    principal.role = *role;
    if (fields[4] != "-") principal.areas = absl::StrSplit(fields[4], ',', absl::SkipEmpty());
    if (!out.emplace(std::string(fields[0]), std::move(principal)).second) {
      return error(absl::StrCat("this ", key_name, " is listed twice"));
    }
  }
  return out;
}

// The lines of a map keyed by matches, "<kind><name>" with one of `kinds` (e.g. "cn:"); `want`
// says in messages what a match must be.
absl::StatusOr<absl::flat_hash_map<std::string, Principal>> ParseMatchLines(
    absl::string_view text, absl::Span<const absl::string_view> kinds, absl::string_view want) {
  return ParsePrincipalLines(
      text, "match", "match", [kinds, want](absl::string_view match) -> absl::Status {
        for (absl::string_view kind : kinds) {
          if (absl::StartsWith(match, kind) && match.size() > kind.size()) return absl::OkStatus();
        }
        return absl::InvalidArgumentError(absl::StrCat("the match must be ", want));
      });
}

}  // namespace

absl::StatusOr<Authenticator> Authenticator::Load(const std::string& path) {
  return LoadFile<Authenticator>("tokens_file", path);
}

absl::StatusOr<Authenticator> Authenticator::Parse(absl::string_view text) {
  ASSIGN_OR_RETURN(TokenIndex tokens,
                   ParsePrincipalLines(text, "sha256", "token hash",
                                       [](absl::string_view hash) -> absl::Status {
                                         if (hash.size() == 64 && IsLowerHex(hash)) {
                                           return absl::OkStatus();
                                         }
                                         return absl::InvalidArgumentError(
                                             "the token hash must be 64 lower-case hex digits");
                                       }));
  Authenticator out;
  out.tokens_ = std::make_shared<const TokenIndex>(std::move(tokens));
  out.certificates_ = std::make_shared<const CertificateMap>();
  out.claims_ = std::make_shared<const ClaimsMap>();
  return out;
}

absl::StatusOr<CertificateMap> CertificateMap::Load(const std::string& path) {
  return LoadFile<CertificateMap>("tls_client_map_file", path);
}

absl::StatusOr<CertificateMap> CertificateMap::Parse(absl::string_view text) {
  CertificateMap out;
  ASSIGN_OR_RETURN(out.by_name_,
                   ParseMatchLines(text, kMatchKinds,
                                   "cn:<common name>, dns:<name>, uri:<uri> or email:<address>"));
  return out;
}

absl::StatusOr<ClaimsMap> ClaimsMap::Load(const std::string& path) {
  return LoadFile<ClaimsMap>("oidc_claims_map_file", path);
}

absl::StatusOr<ClaimsMap> ClaimsMap::Parse(absl::string_view text) {
  ClaimsMap out;
  ASSIGN_OR_RETURN(out.by_match_,
                   ParseMatchLines(text, kClaimKinds, "group:<value> or sub:<subject>"));
  for (const auto& [match, principal] : out.by_match_) {
    if (absl::StartsWith(match, "group:") && principal.person != kTokensPerson) {
      return absl::InvalidArgumentError(
          absl::StrCat(match, ": a group's person must be * (each member is the person their "
                              "token names)"));
    }
  }
  return out;
}

absl::StatusOr<Principal> ClaimsMap::Lookup(const TokenClaims& claims) const {
  std::vector<std::string> matches = {"sub:" + claims.subject};
  for (const std::string& group : claims.groups) matches.push_back("group:" + group);
  std::optional<Principal> found;
  std::string found_by;
  for (const std::string& match : matches) {
    auto it = by_match_.find(match);
    if (it == by_match_.end()) continue;
    Principal principal = it->second;
    if (principal.person == kTokensPerson) {
      if (!PersonName(claims.person)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the token of subject ", Bounded(claims.subject), " matches ", Bounded(match),
            " in oidc_claims_map_file, but its person claim names no usable person (empty, over "
            "128 bytes, or with spaces, control or formatting characters)"));
      }
      principal.person = claims.person;
    }
    if (!found.has_value()) {
      found = std::move(principal);
      found_by = match;
      continue;
    }
    if (found->person != principal.person || found->agency != principal.agency ||
        found->role != principal.role) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the token matches ", Bounded(found_by), " (", found->person, ", ",
          RoleName(found->role), " of ", found->agency, ") and ", Bounded(match), " (",
          principal.person, ", ", RoleName(principal.role), " of ", principal.agency,
          ") in oidc_claims_map_file: one token, one identity"));
    }
    for (std::string& area : principal.areas) {
      if (std::find(found->areas.begin(), found->areas.end(), area) == found->areas.end()) {
        found->areas.push_back(std::move(area));
      }
    }
  }
  if (!found.has_value()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the token verifies but maps to no principal: oidc_claims_map_file lists neither its "
        "subject (sub:",
        Bounded(claims.subject), ") nor any of its groups (",
        claims.groups_left_out
            ? "the provider left them out of the token: group overage, see _claim_names; map "
              "app roles instead"
            : claims.groups.empty() ? "it has none"
                                    : Bounded(absl::StrJoin(claims.groups, " ")),
        ")"));
  }
  return *std::move(found);
}

absl::StatusOr<Principal> CertificateMap::Lookup(const PeerCertificate& certificate) const {
  std::vector<std::string> names;
  if (!certificate.common_name.empty()) names.push_back("cn:" + certificate.common_name);
  for (const std::string& name : certificate.dns_names) names.push_back("dns:" + name);
  for (const std::string& uri : certificate.uris) names.push_back("uri:" + uri);
  for (const std::string& email : certificate.emails) names.push_back("email:" + email);
  const Principal* found = nullptr;
  for (const std::string& name : names) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) continue;
    if (found != nullptr && !SamePrincipal(*found, it->second)) {
      return absl::UnauthenticatedError(
          absl::StrCat("the client certificate's names map to two principals (", found->person,
                       " and ", it->second.person, ") in tls_client_map_file"));
    }
    found = &it->second;
  }
  if (found == nullptr) {
    return absl::UnauthenticatedError(
        absl::StrCat("the client certificate (",
                     names.empty() ? "with no name" : Bounded(absl::StrJoin(names, " ")),
                     ") is not in tls_client_map_file, and no bearer token was sent"));
  }
  return *found;
}

void Authenticator::set_certificates(CertificateMap certificates) {
  absl::MutexLock lock(mu_.get());
  certificates_ = std::make_shared<const CertificateMap>(std::move(certificates));
}

void Authenticator::set_jwt(std::shared_ptr<const TokenVerifier> verifier, ClaimsMap claims) {
  verifier_ = std::move(verifier);
  absl::MutexLock lock(mu_.get());
  claims_ = std::make_shared<const ClaimsMap>(std::move(claims));
}

absl::Status Authenticator::ReloadTokens(const std::string& path) {
  ASSIGN_OR_RETURN(Authenticator loaded, Load(path));
  std::shared_ptr<const TokenIndex> tokens = loaded.tokens();
  absl::MutexLock lock(mu_.get());
  tokens_ = std::move(tokens);
  return absl::OkStatus();
}

absl::Status Authenticator::ReloadCertificates(const std::string& path) {
  ASSIGN_OR_RETURN(CertificateMap loaded, CertificateMap::Load(path));
  set_certificates(std::move(loaded));
  return absl::OkStatus();
}

absl::Status Authenticator::ReloadClaims(const std::string& path) {
  ASSIGN_OR_RETURN(ClaimsMap loaded, ClaimsMap::Load(path));
  auto claims = std::make_shared<const ClaimsMap>(std::move(loaded));
  absl::MutexLock lock(mu_.get());
  claims_ = std::move(claims);
  return absl::OkStatus();
}

std::shared_ptr<const Authenticator::TokenIndex> Authenticator::tokens() const {
  absl::MutexLock lock(mu_.get());
  return tokens_;
}

std::shared_ptr<const CertificateMap> Authenticator::certificates() const {
  absl::MutexLock lock(mu_.get());
  return certificates_;
}

std::shared_ptr<const ClaimsMap> Authenticator::claims() const {
  absl::MutexLock lock(mu_.get());
  return claims_;
}

size_t Authenticator::size() const { return tokens()->size(); }

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view token) const {
  if (token.empty()) return absl::UnauthenticatedError("no bearer token");
  // A JWT is three base64url parts joined by dots; a token of the tokens file has no dot.
  if (std::count(token.begin(), token.end(), '.') == 2) {
    if (verifier_ == nullptr) {
      return absl::UnauthenticatedError(
          "the bearer token is a JWT, and this hotspotd accepts none (no --oidc_issuer)");
    }
    ASSIGN_OR_RETURN(const TokenClaims token_claims, verifier_->Verify(token));
    return claims()->Lookup(token_claims);
  }
  // Looked up by hash: the time a lookup takes tells nothing about the token itself.
  const std::shared_ptr<const TokenIndex> index = tokens();
  auto it = index->find(HexSha256(token));
  if (it == index->end()) return absl::UnauthenticatedError("unknown bearer token");
  return it->second;
}

absl::StatusOr<Principal> Authenticator::Identify(std::optional<absl::string_view> token,
                                                  const PeerCertificate* certificate) const {
  if (!token.has_value()) {
    if (certificate == nullptr) {
      return absl::UnauthenticatedError("no authorization header: send \"Bearer <token>\"");
    }
    return certificates()->Lookup(*certificate);
  }
  ASSIGN_OR_RETURN(Principal by_token, Authenticate(*token));
  if (certificate == nullptr) return by_token;
  absl::StatusOr<Principal> by_certificate = certificates()->Lookup(*certificate);
  if (by_certificate.ok() && !SamePrincipal(by_token, *by_certificate)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the bearer token is ", by_token.person, "'s and the client certificate ",
        by_certificate->person, "'s: send one identity (the token, or the certificate alone)"));
  }
  return by_token;
}

absl::StatusOr<absl::string_view> BearerToken(absl::string_view authorization) {
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError("authorization: want \"Bearer <token>\"");
  }
  value = absl::StripAsciiWhitespace(value.substr(7));
  if (value.empty()) return absl::UnauthenticatedError("authorization: the token is empty");
  return value;
}

absl::StatusOr<std::vector<std::string>> WriteDevTokens(const std::string& path,
                                                        const std::vector<Principal>& principals) {
  std::vector<std::string> tokens;
  std::string text =
      "# hotspotd dev tokens: sha256(token) person agency role areas. Generated for the demo.\n";
  for (const Principal& p : principals) {
    ASSIGN_OR_RETURN(std::string raw, internal::RandomBytes(32));
    tokens.push_back(absl::BytesToHexString(raw));
    text += Line(HexSha256(tokens.back()), p);
  }
  RETURN_IF_ERROR(internal::WriteOwnerOnlyFile(path, text, internal::Existing::kReplace));
  return tokens;
}

absl::Status CheckUsablePerson(absl::string_view field, absl::string_view person) {
  if (PersonName(person)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": not a person's name (", common::kPersonNameRule, "; ", person.size(),
      " bytes given)"));
}

}  // namespace hotspot::security
