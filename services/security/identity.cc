#include "services/security/identity.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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

std::string Line(absl::string_view hash, const Principal& p) {
  return absl::StrCat(hash, " ", p.person, " ", p.agency, " ", RoleName(p.role), " ",
                      p.areas.empty() ? "-" : absl::StrJoin(p.areas, ","), "\n");
}

}  // namespace

absl::StatusOr<Authenticator> Authenticator::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens_file: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Authenticator> parsed = Parse(text.str());
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat("tokens_file ", path, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::StatusOr<Authenticator> Authenticator::Parse(absl::string_view text) {
  Authenticator out;
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
      return error("want <sha256> <person> <agency> <role> <areas>");
    }
    if (fields[0].size() != 64 || !IsLowerHex(fields[0])) {
      return error("the token hash must be 64 lower-case hex digits");
    }
    absl::StatusOr<Role> role = ParseRole(fields[3]);
    if (!role.ok()) return error(role.status().message());
    Principal principal;
    principal.person = std::string(fields[1]);
    principal.agency = std::string(fields[2]);
    principal.role = *role;
    if (fields[4] != "-") principal.areas = absl::StrSplit(fields[4], ',', absl::SkipEmpty());
    if (!out.by_hash_.emplace(std::string(fields[0]), std::move(principal)).second) {
      return error("this token hash is listed twice");
    }
  }
  return out;
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view token) const {
  if (token.empty()) return absl::UnauthenticatedError("no bearer token");
  // Looked up by hash: the time a lookup takes tells nothing about the token itself.
  auto it = by_hash_.find(HexSha256(token));
  if (it == by_hash_.end()) return absl::UnauthenticatedError("unknown bearer token");
  return it->second;
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

}  // namespace hotspot::security
