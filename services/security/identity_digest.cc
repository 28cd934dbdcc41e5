#include "services/security/identity_digest.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/text.h"
#include "services/security/aead.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

// A part of the hashed input: its length (4 bytes, big-endian), then its bytes, so that no two
// different lists of parts hash the same bytes.
void AppendPart(std::string* out, absl::string_view part) {
  const uint32_t n = static_cast<uint32_t>(part.size());
  const char length[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8), static_cast<char>(n)};
  out->append(length, 4);
  out->append(part.data(), part.size());
}

absl::string_view KindName(IdentityMatch kind) {
  switch (kind) {
    case IdentityMatch::kCprNumber:
      return "cpr_number";
    case IdentityMatch::kNameAndBirthDate:
      return "name_and_birth_date";
  }
  return "";
}

}  // namespace

std::optional<std::string> NormaliseCpr(absl::string_view cpr) {
  std::string digits;
  for (char c : cpr) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != '-' && c != ' ') {
      return std::nullopt;
    }
  }
  if (digits.size() != 10) return std::nullopt;
  return absl::StrCat(digits.substr(0, 6), "-", digits.substr(6));
}

std::optional<std::string> NormaliseBirthDate(absl::string_view birth_date) {
  absl::CivilDay day;
  if (birth_date.size() != 10 || !absl::ParseCivilTime(birth_date, &day) ||
      absl::FormatCivilTime(day) != birth_date) {
    return std::nullopt;
  }
  return std::string(birth_date);
}

absl::StatusOr<IdentityDigester> IdentityDigester::FromKeyStore(const KeyStore& keys) {
  ASSIGN_OR_RETURN(std::string key, keys.DeriveKey(kDuplicatesKeyPurpose));
  return WithKey(std::move(key));
}

absl::StatusOr<IdentityDigester> IdentityDigester::WithKey(std::string key) {
  if (key.size() != internal::kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key: want ", internal::kKeyBytes, " bytes, got ", key.size()));
  }
  return IdentityDigester(std::move(key));
}

absl::StatusOr<std::optional<std::string>> IdentityDigester::Digest(
    IdentityMatch kind, absl::string_view scope,
    std::initializer_list<absl::string_view> parts) const {
  const std::optional<std::string> normal_scope = common::NormaliseName(scope);
  if (!normal_scope.has_value()) return std::nullopt;
  std::string input;
  AppendPart(&input, "hotspot.duplicates.v1");
  AppendPart(&input, KindName(kind));
  AppendPart(&input, *normal_scope);
  for (absl::string_view part : parts) AppendPart(&input, part);
  ASSIGN_OR_RETURN(std::string digest, internal::HmacSha256(key_, input));
  std::fill(input.begin(), input.end(), '\0');  // it held the clear values
  return digest;
}

absl::StatusOr<std::optional<std::string>> IdentityDigester::OfCpr(absl::string_view scope,
                                                                   absl::string_view cpr) const {
  const std::optional<std::string> normal = NormaliseCpr(cpr);
  if (!normal.has_value()) return std::nullopt;
  return Digest(IdentityMatch::kCprNumber, scope, {*normal});
}

absl::StatusOr<std::optional<std::string>> IdentityDigester::OfNameAndBirthDate(
    absl::string_view scope, absl::string_view name, absl::string_view birth_date) const {
  const std::optional<std::string> normal_name = common::NormaliseName(name);
  const std::optional<std::string> normal_date = NormaliseBirthDate(birth_date);
  if (!normal_name.has_value() || !normal_date.has_value()) return std::nullopt;
  return Digest(IdentityMatch::kNameAndBirthDate, scope, {*normal_name, *normal_date});
}

}  // namespace hotspot::security
