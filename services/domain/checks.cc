#include "services/domain/checks.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/strings/str_split.h"
#include "services/common/text.h"
#include "store/status_macros.h"

namespace hotspot::domain {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

std::string Quote(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) {
    return absl::StrCat("\"", common::EscapeForTerminal(value), "\"");
  }
  return absl::StrCat("\"", common::EscapeForTerminal(value.substr(0, kMaxQuotedBytes)),
                      "…\" (", value.size(), " bytes)");
}

namespace {

bool AllOf(absl::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }
bool IdChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}
bool SlugChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'; }
bool MeasureChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'; }

}  // namespace

absl::Status CheckSlug(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > kMaxSlugBytes || !AllOf(value, SlugChar)) {
    return Invalid(field, absl::StrCat("must be 1 to ", kMaxSlugBytes, " of [a-z0-9-]"));
  }
  return absl::OkStatus();
}

absl::Status CheckMeasureName(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > kMaxSlugBytes || !AllOf(value, MeasureChar)) {
    return Invalid(field, absl::StrCat("must be 1 to ", kMaxSlugBytes,
                                       " of [a-z0-9_], e.g. \"safety_index\""));
  }
  return absl::OkStatus();
}

namespace {

// A word of a law's name: letters (ASCII, or any UTF-8 letter such as æ, ø, å), '-' and '.'.
bool NameWord(absl::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_isalpha(c) || static_cast<unsigned char>(c) >= 0x80 || c == '-' || c == '.';
  });
}

// The laws a reference may name (lower case, words joined by single spaces): a closed list, so
// that no words about a person fit before the provision. Not Retsplejeloven or Almenboligloven:
// their provisions on sharing (§ 115, § 63 d) are bases of their own, with their own rules of
// who shares and who receives, and citing them as another basis would step round those rules.
bool NamesALaw(absl::string_view name) {
  const std::string law = absl::AsciiStrToLower(name);
  for (absl::string_view known :
       {"forvaltningsloven", "barnets lov", "serviceloven", "lov om social service",
        "databeskyttelsesloven", "databeskyttelsesforordningen", "gdpr", "folkeskoleloven",
        "sundhedsloven", "beskæftigelsesloven", "ungdomskriminalitetsloven", "straffeloven",
        "offentlighedsloven", "arkivloven", "persondataloven", "politiloven",
        "lov om politiets virksomhed"}) {
    if (law == known) return true;
  }
  return false;
}

bool NamesALawWithABasisOfItsOwn(absl::string_view name) {
  const std::string law = absl::AsciiStrToLower(name);
  return law == "retsplejeloven" || law == "almenboligloven" || law == "lov om rettens pleje";
}

// A provision's number: 1 to 3 digits, an optional letter, then at most two parts in brackets:
// 1 to 3 digits, or one letter, the letter last ("11", "63d", "6(1)(e)", "9(2)"); a trailing
// comma is allowed.
bool ProvisionNumber(absl::string_view token) {
  absl::ConsumeSuffix(&token, ",");
  size_t i = 0;
  while (i < token.size() && absl::ascii_isdigit(token[i])) ++i;
  if (i == 0 || i > 3) return false;
  if (i < token.size() && absl::ascii_islower(token[i])) ++i;
  bool lettered = false;
  for (int parts = 0; i < token.size(); ++parts) {
    if (parts == 2 || lettered || token[i] != '(') return false;
    const size_t close = token.find(')', i);
    if (close == absl::string_view::npos) return false;
    const absl::string_view part = token.substr(i + 1, close - i - 1);
    const bool digits = !part.empty() && part.size() <= 2 &&
                        std::all_of(part.begin(), part.end(), absl::ascii_isdigit);
    lettered = part.size() == 1 && absl::ascii_islower(part[0]);
    if (!digits && !lettered) return false;
    i = close + 1;
  }
  return true;
}

// A part's number ("2", "3,"): 1 or 2 digits.
bool PartNumber(absl::string_view token) {
  absl::ConsumeSuffix(&token, ",");
  return !token.empty() && token.size() <= 2 &&
         std::all_of(token.begin(), token.end(), absl::ascii_isdigit);
}

bool OneLetter(absl::string_view token) {
  absl::ConsumeSuffix(&token, ",");
  return token.size() == 1 && absl::ascii_islower(token[0]);
}

bool ProvisionMarker(absl::string_view token) {
  const std::string word = absl::AsciiStrToLower(token);
  return word == "§" || word == "§§" || word == "art." || word == "artikel" || word == "article";
}

// What follows the law's name, as tokens: a marker and a number, then only the provision's
// parts: "stk. 2", "nr. 3", "pkt. 1", "litra e", a letter right after the number ("§ 115 a"),
// and "og"/"and" or another marker before a further number.
bool Provision(const std::vector<absl::string_view>& tokens, size_t from) {
  size_t i = from;
  int numbers = 0;  // at most two provisions ("§ 133 og § 134")
  auto number = [&]() {
    if (++numbers > 2 || i >= tokens.size() || !ProvisionNumber(tokens[i])) return false;
    ++i;
    if (i < tokens.size() && OneLetter(tokens[i])) ++i;  // "§ 115 a"
    return true;
  };
  if (i >= tokens.size() || !ProvisionMarker(tokens[i++]) || !number()) return false;
  std::set<std::string> parts;  // each kind once per provision: "stk. 2, nr. 3, litra b"
  while (i < tokens.size()) {
    const std::string word = absl::AsciiStrToLower(tokens[i++]);
    if (word == "og" || word == "and" || ProvisionMarker(word)) {
      parts.clear();
    } else if (!parts.insert(word).second) {
      return false;
    }
    if (word == "stk." || word == "nr." || word == "pkt.") {
      if (i >= tokens.size() || !PartNumber(tokens[i++])) return false;
    } else if (word == "litra") {
      if (i >= tokens.size() || !OneLetter(tokens[i++])) return false;
    } else if (word == "og" || word == "and" || ProvisionMarker(word)) {
      if (i < tokens.size() && ProvisionMarker(tokens[i])) ++i;
      if (!number()) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckLegalReference(absl::string_view field, absl::string_view value) {
  // A reference, not free text: the law's name (one of a closed list), the provision's marker,
  // then only its number and parts. So nothing about a person fits in it.
  const std::vector<absl::string_view> tokens = absl::StrSplit(value, ' ', absl::SkipEmpty());
  size_t marker = 0;
  while (marker < tokens.size() && !ProvisionMarker(tokens[marker])) ++marker;
  const std::string law = absl::StrJoin(tokens.begin(), tokens.begin() + marker, " ");
  if (NamesALawWithABasisOfItsOwn(law)) {
    return Invalid(field, absl::StrCat(law, " is not another basis: share under its own ",
                                       "(LEGAL_BASIS_SSP_EXCHANGE for Retsplejeloven § 115, "
                                       "LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS for "
                                       "Almenboligloven § 63 d), with its rules"));
  }
  bool ok = value.size() <= kMaxLegalReferenceBytes && marker >= 1 && marker <= 8;
  for (size_t i = 0; ok && i < marker; ++i) ok = NameWord(tokens[i]);
  ok = ok && NamesALaw(law) && Provision(tokens, marker);
  if (ok) return absl::OkStatus();
  return Invalid(field,
                 "must be a legal reference: the law's name, then § or an article and the "
                 "provision's number and parts, e.g. \"Forvaltningsloven § 28, stk. 2\" or "
                 "\"GDPR art. 6(1)(e)\"");
}

namespace {

// A date in a journal number's digit groups (split at [./-]): D.M.YY(YY) or YYYY-MM-DD.
bool ValidDay(int d, int m) { return m >= 1 && m <= 12 && d >= 1 && d <= 31; }

// A run of 6 or 8 digits that reads as a date (DDMMYY, DDMMYYYY, YYYYMMDD): a birth date.
bool HasDateRun(absl::string_view value) {
  for (size_t i = 0; i < value.size();) {
    size_t j = i;
    while (j < value.size() && absl::ascii_isdigit(value[j])) ++j;
    const absl::string_view run = value.substr(i, j - i);
    int a = 0, b = 0, c = 0;
    if (run.size() == 6 && absl::SimpleAtoi(run.substr(0, 2), &a) &&
        absl::SimpleAtoi(run.substr(2, 2), &b) && ValidDay(a, b)) {
      return true;
    }
    if (run.size() == 8 && absl::SimpleAtoi(run.substr(0, 2), &a) &&
        absl::SimpleAtoi(run.substr(2, 2), &b) && ValidDay(a, b)) {
      return true;
    }
    if (run.size() == 8 && absl::SimpleAtoi(run.substr(4, 2), &b) &&
        absl::SimpleAtoi(run.substr(6, 2), &c) && ValidDay(c, b)) {
      return true;
    }
    i = j == i ? i + 1 : j;
  }
  return false;
}

bool HasDate(absl::string_view value) {
  if (HasDateRun(value)) return true;
  const std::vector<absl::string_view> groups =
      absl::StrSplit(value, absl::ByAnyChar("./-"), absl::SkipEmpty());
  auto number = [](absl::string_view g, int* n) {
    return !g.empty() && std::all_of(g.begin(), g.end(), absl::ascii_isdigit) &&
           absl::SimpleAtoi(g, n);
  };
  for (size_t i = 0; i + 2 < groups.size(); ++i) {
    int a = 0, b = 0, c = 0;
    if (!number(groups[i], &a) || !number(groups[i + 1], &b) || !number(groups[i + 2], &c)) {
      continue;
    }
    const size_t la = groups[i].size(), lb = groups[i + 1].size(), lc = groups[i + 2].size();
    if (la <= 2 && a >= 1 && a <= 31 && lb <= 2 && b >= 1 && b <= 12 && (lc == 2 || lc == 4)) {
      return true;
    }
    if (la == 4 && lb == 2 && b >= 1 && b <= 12 && lc == 2 && c >= 1 && c <= 31) return true;
  }
  return false;
}

// A CPR number split around a journal number's handling letter ("20080G91133"): ten digits on
// across the letter (`before` its run of digits, `after` the next) whose first six read DDMMYY.
bool CprAcrossLetter(absl::string_view before, absl::string_view after) {
  if (before.empty() || after.empty()) return false;
  const std::string joined = absl::StrCat(before, after);
  for (size_t start = before.size() > 9 ? before.size() - 9 : 0;
       start < before.size() && start + 10 <= joined.size(); ++start) {
    int d = 0, m = 0;
    if (absl::SimpleAtoi(joined.substr(start, 2), &d) &&
        absl::SimpleAtoi(joined.substr(start + 2, 2), &m) && ValidDay(d, m)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status CheckJournalNumber(absl::string_view field, absl::string_view value) {
  bool ok = !value.empty() && value.size() <= kMaxJournalNumberBytes &&
            std::any_of(value.begin(), value.end(), absl::ascii_isdigit) && !HasDate(value);
  size_t letters = 0, runs = 0, digits = 0, singles = 0;
  bool seen_digit = false;
  std::string run, before_letter;  // the digits of the run (across separators), before the letter
  for (const char c : value) {
    const bool letter = absl::ascii_isupper(c);
    const bool digit = absl::ascii_isdigit(c);
    const bool separator = c == '.' || c == '/' || c == '-';
    ok = ok && (letter || digit || separator);
    if (letter && letters == 0) ++runs;
    letters = letter ? letters + 1 : 0;
    // Letters: a prefix of at most two short words ("KBH-ARK-"), then single letters only
    // ("G01"): no name fits.
    ok = ok && letters <= (seen_digit ? 1 : 4) && runs <= (seen_digit ? runs : 2);
    if (letter && seen_digit) ++singles;
    ok = ok && singles <= 1;  // one handling code ("G01"), not a name in single letters
    seen_digit = seen_digit || digit;
    // Digits run on across separators: ten of them may be a CPR number ("DDMMYY-NNNN",
    // "20.08.09-1133"), which files a person, not a case.
    digits = digit ? digits + 1 : (separator ? digits : 0);
    ok = ok && digits < 10;
    if (digit) run += c;
    if (letter) {
      if (seen_digit) before_letter = run;
      run.clear();
    }
  }
  ok = ok && !CprAcrossLetter(before_letter, run);
  if (ok) return absl::OkStatus();
  return Invalid(field, absl::StrCat("must be a journal number: 1 to ", kMaxJournalNumberBytes,
                                     " of [A-Z0-9./-] with a digit, a prefix of at most two "
                                     "words of at most 4 letters, no CPR number and no date, "
                                     "e.g. \"KBH-ARK-2026-0042\""));
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max,
                       bool required) {
  if (required && absl::StripAsciiWhitespace(value).empty()) return Invalid(field, "required");
  if (value.size() > max) {
    return Invalid(field, absl::StrCat("at most ", max, " bytes, got ", value.size()));
  }
  const bool free_text = max > kMaxNameBytes;
  if (!common::PrintableUtf8(value, /*newlines=*/free_text)) {
    return Invalid(field, free_text ? "must be UTF-8 text with no control characters but newlines"
                                    : "must be one line of UTF-8 text with no control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckPerson(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "required");
  if (!common::PersonName(value)) {
    return Invalid(field, absl::StrCat("must be ", common::kPersonNameRule));
  }
  return absl::OkStatus();
}

// "<category>-" then 1 to kMaxSlugBytes of [a-z0-9-]: ids people choose (areas, agencies).
absl::Status CheckSlugId(absl::string_view field, absl::string_view value,
                         absl::string_view category) {
  const std::string prefix = absl::StrCat(category, "-");
  if (value.empty()) return Invalid(field, "required");
  const absl::string_view rest =
      absl::StartsWith(value, prefix) ? value.substr(prefix.size()) : absl::string_view();
  if (rest.empty() || rest.size() > kMaxSlugBytes || !AllOf(rest, SlugChar)) {
    return Invalid(field, absl::StrCat("must be \"", prefix, "\" then 1 to ", kMaxSlugBytes,
                                       " of [a-z0-9-], got ", Quote(value)));
  }
  return absl::OkStatus();
}

// "<category>-" then 1 or more of [A-Za-z0-9_.:-], at most kMaxIdBytes in all.
absl::Status CheckId(absl::string_view field, absl::string_view value, absl::string_view category,
                     bool required) {
  if (value.empty()) return required ? Invalid(field, "required") : absl::OkStatus();
  const std::string prefix = absl::StrCat(category, "-");
  if (!absl::StartsWith(value, prefix) || value.size() == prefix.size() ||
      value.size() > kMaxIdBytes || !AllOf(value, IdChar)) {
    return Invalid(field, absl::StrCat("must be an id \"", prefix, "...\" of [A-Za-z0-9_.:-], got ",
                                       Quote(value)));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) return Invalid(field, "required");
  if (!is_valid(value)) return Invalid(field, absl::StrCat("unknown value ", value));
  return absl::OkStatus();
}

bool ValidDate(const v1::Date& d) {
  if (d.year() < 1900 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1) {
    return false;
  }
  const absl::CivilDay day(d.year(), d.month(), d.day());
  return day.month() == d.month() && day.day() == d.day();  // CivilDay normalises overflow
}

absl::Status CheckDate(absl::string_view field, const v1::Date& date) {
  if (!ValidDate(date)) {
    return Invalid(field, absl::StrCat("not a valid date (", date.year(), "-", date.month(), "-",
                                       date.day(), ")"));
  }
  return absl::OkStatus();
}

std::string FormatDate(const v1::Date& d) {
  return absl::FormatCivilTime(absl::CivilDay(d.year(), d.month(), d.day()));
}

// A due or review date: valid and after today.
absl::Status CheckFutureDate(absl::string_view field, const v1::Date& date, absl::CivilDay today) {
  RETURN_IF_ERROR(CheckDate(field, date));
  if (absl::CivilDay(date.year(), date.month(), date.day()) <= today) {
    return Invalid(field, absl::StrCat("must be after today (", absl::FormatCivilTime(today),
                                       "), got ", FormatDate(date)));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& t) {
  // 1970 to 9999, as google.protobuf.Timestamp allows, and required.
  if (t.seconds() <= 0 || t.seconds() > 253402300799 || t.nanos() < 0 || t.nanos() > 999999999) {
    return Invalid(field, "required, a time between 1970 and 9999");
  }
  return absl::OkStatus();
}

absl::Status CheckCount(absl::string_view field, int count, int min, int max) {
  if (count < min || count > max) {
    return Invalid(field, absl::StrCat("needs ", min, " to ", max, " entries, got ", count));
  }
  return absl::OkStatus();
}

absl::Status CheckConcerns(absl::string_view field,
                           const google::protobuf::RepeatedField<int>& concerns, int min) {
  RETURN_IF_ERROR(CheckCount(field, concerns.size(), min, 10));
  for (int i = 0; i < concerns.size(); ++i) {
    RETURN_IF_ERROR(
        CheckEnum(absl::StrCat(field, "[", i, "]"), concerns[i], v1::ConcernCategory_IsValid));
  }
  return absl::OkStatus();
}

absl::Status CheckMemberName(absl::string_view field, absl::string_view value) {
  RETURN_IF_ERROR(CheckText(field, value, kMaxNameBytes, /*required=*/true));
  if (absl::StripAsciiWhitespace(value).size() != value.size()) {
    return Invalid(field, "no leading or trailing spaces");
  }
  return absl::OkStatus();
}

absl::Status CheckMember(absl::string_view field, const v1::BodyMember& member, bool outsiders) {
  RETURN_IF_ERROR(CheckId(absl::StrCat(field, ".agency_id"), member.agency_id(), "agency",
                          /*required=*/!outsiders));
  // One who speaks for no agency (a resident, an association's chair) has no login to be named
  // by: they are named as people name themselves (review 13, f).
  RETURN_IF_ERROR(member.agency_id().empty()
                      ? CheckMemberName(absl::StrCat(field, ".person"), member.person())
                      : CheckPerson(absl::StrCat(field, ".person"), member.person()));
  return CheckText(absl::StrCat(field, ".represents"), member.represents(), kMaxNameBytes,
                   /*required=*/member.agency_id().empty());
}

absl::Status CheckMembers(absl::string_view field,
                          const google::protobuf::RepeatedPtrField<v1::BodyMember>& members,
                          int min, bool outsiders) {
  RETURN_IF_ERROR(CheckCount(field, members.size(), min, 100));
  for (int i = 0; i < members.size(); ++i) {
    RETURN_IF_ERROR(CheckMember(absl::StrCat(field, "[", i, "]"), members[i], outsiders));
  }
  return absl::OkStatus();
}

absl::Status CheckGoals(absl::string_view field,
                        const google::protobuf::RepeatedPtrField<std::string>& goals) {
  RETURN_IF_ERROR(CheckCount(field, goals.size(), 1, 20));
  for (int i = 0; i < goals.size(); ++i) {
    RETURN_IF_ERROR(CheckText(absl::StrCat(field, "[", i, "]"), goals[i], kMaxTextBytes));
  }
  return absl::OkStatus();
}

// Checks "DDMMYY-NNNN".
absl::Status CheckCpr(absl::string_view field, absl::string_view cpr) {
  if (cpr.empty()) return absl::OkStatus();
  bool ok = cpr.size() == 11 && cpr[6] == '-';
  for (size_t i = 0; ok && i < cpr.size(); ++i) ok = i == 6 || absl::ascii_isdigit(cpr[i]);
  return ok ? absl::OkStatus() : Invalid(field, "must be DDMMYY-NNNN");
}

// Checks "YYYY-MM-DD".
absl::Status CheckBirthDate(absl::string_view field, absl::string_view text) {
  if (text.empty()) return absl::OkStatus();
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) ||
      absl::FormatCivilTime(day) != text) {
    return Invalid(field, "must be a date YYYY-MM-DD");
  }
  if (day.year() < 1900 || day.year() > 9999) {
    return Invalid(field, "must be a date from 1900-01-01 to 9999-12-31, as every date of a request");
  }
  return absl::OkStatus();
}

std::string BirthDateOfCpr(absl::string_view cpr) {
  if (!CheckCpr("cpr", cpr).ok() || cpr.empty()) return "";
  auto number = [&](size_t at) { return (cpr[at] - '0') * 10 + (cpr[at + 1] - '0'); };
  int day = number(0);
  const int month = number(2), year = number(4), century_digit = cpr[7] - '0';
  if (day > 60) day -= 60;  // a substitute number
  int century = 1900;
  if ((century_digit == 4 || century_digit == 9) && year <= 36) century = 2000;
  if (century_digit >= 5 && century_digit <= 8) century = year <= 57 ? 2000 : 1800;
  const absl::CivilDay date(century + year, month, day);
  if (date.month() != month || date.day() != day) return "";
  return absl::FormatCivilTime(date);
}

absl::Status CheckCprMatchesBirthDate(absl::string_view cpr_field, absl::string_view cpr,
                                      absl::string_view birth_date) {
  if (cpr.empty() || birth_date.empty() || BirthDateOfCpr(cpr) == birth_date) {
    return absl::OkStatus();
  }
  return Invalid(cpr_field, "its date and century digit do not tell the birth date given");
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty()) return Invalid("request_id", "required");
  if (request_id.size() > kMaxRequestIdBytes || !AllOf(request_id, IdChar)) {
    return Invalid("request_id", absl::StrCat("must be 1 to ", kMaxRequestIdBytes,
                                              " characters of [A-Za-z0-9_.:-]"));
  }
  return absl::OkStatus();
}

}  // namespace hotspot::domain
