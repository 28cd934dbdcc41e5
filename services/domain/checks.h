// Input checks: the shape of what a request may carry, for the command side (decide) and the read
// side (queries, audit) alike, so that both say the same of the same field. Each returns OK or
// INVALID_ARGUMENT with a message that starts with the field's name ("youth_id: must be a youth
// id (\"youth-...\"), got \"x\""). They look at the request only: whether an id names anything,
// and whether the caller may use it, is for the session and the policy.
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_SERVICES_DOMAIN_CHECKS_H_
#define HOTSPOT_SERVICES_DOMAIN_CHECKS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/types.pb.h"
#include "services/common/text.h"

namespace hotspot::domain {

namespace v1 = ::hotspot::v1;

inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxNameBytes = 200;
using common::kMaxPersonBytes;  // 128
inline constexpr size_t kMaxTextBytes = 10'000;
inline constexpr size_t kMaxSlugBytes = 60;
inline constexpr size_t kMaxIdBytes = 200;
inline constexpr int kMaxListEntries = 50;
// The most people an agency names in its register (NameAgencyPeople).
inline constexpr int kMaxAgencyPeople = 200;

// INVALID_ARGUMENT "<field>: <problem>".
absl::Status Invalid(absl::string_view field, absl::string_view problem);

// What a message may quote of a value a caller typed: at most kMaxQuotedBytes of it, escaped
// for a terminal (common::EscapeForTerminal), in quotes; a longer value is cut and its length
// said ("\"youth-aaaa…\" (10240 bytes)"). Every check that echoes its input quotes it so: a
// 10 KB id makes a short message.
inline constexpr size_t kMaxQuotedBytes = 40;
std::string Quote(absl::string_view value);

// Text people type: at most `max` bytes; not blank if `required`; UTF-8 with no control
// characters and no bidirectional overrides (common::PrintableUtf8). Up to kMaxNameBytes it is
// one line (a name, an address); longer, a free text, which may hold newlines.
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max,
                       bool required = true);

// A legal reference, not free text: the law's name, one of a closed list (Forvaltningsloven,
// Barnets lov, Serviceloven, Databeskyttelsesloven, GDPR, Arkivloven, ...), then "§" or an
// article ("art.", "artikel", "article"), then only the provision's number and parts ("stk. 2",
// "nr. 3", "litra e"), e.g. "Forvaltningsloven § 28, stk. 2",
// "GDPR art. 6(1)(e)". INVALID_ARGUMENT naming `field` otherwise.
// Retsplejeloven and Almenboligloven are not on the list: their sharing provisions are bases of
// their own (INVALID_ARGUMENT saying which). At most kMaxLegalReferenceBytes.
inline constexpr size_t kMaxLegalReferenceBytes = 100;
absl::Status CheckLegalReference(absl::string_view field, absl::string_view value);

// An archive's journal number, not free text: 1 to kMaxJournalNumberBytes of [A-Z0-9./-] with a
// digit; letters only as a prefix of at most two words of at most 4 letters ("KBH-ARK-") and as
// single letters after the first digit ("G01"), so no name fits; no run of 10 digits (across
// separators: a CPR number) and no date, e.g. "KBH-ARK-2026-0042", "27.24.00-G01-12-26".
// INVALID_ARGUMENT naming `field` otherwise.
inline constexpr size_t kMaxJournalNumberBytes = 40;
absl::Status CheckJournalNumber(absl::string_view field, absl::string_view value);

// A person's name as principals carry it (common::PersonName, the one rule for a tokens file, a
// certificate map, an OIDC token and a command): 1 to kMaxPersonBytes bytes of UTF-8 with no
// spaces, '/', control or formatting characters.
absl::Status CheckPerson(absl::string_view field, absl::string_view value);

// 1 to kMaxSlugBytes of [a-z0-9-]: names people choose within an area (bodies, goals).
absl::Status CheckSlug(absl::string_view field, absl::string_view value);

// 1 to kMaxSlugBytes of [a-z0-9_]: a measure's name, e.g. "safety_index".
absl::Status CheckMeasureName(absl::string_view field, absl::string_view value);

// "<category>-" then 1 to kMaxSlugBytes of [a-z0-9-]: ids people choose (areas, agencies).
absl::Status CheckSlugId(absl::string_view field, absl::string_view value,
                         absl::string_view category);

// "<category>-" then 1 or more of [A-Za-z0-9_.:-], at most kMaxIdBytes in all; empty is OK
// unless `required`.
absl::Status CheckId(absl::string_view field, absl::string_view value, absl::string_view category,
                     bool required = true);

// An enum value: not 0 (required) and known to `is_valid`.
absl::Status CheckEnum(absl::string_view field, int value, bool (*is_valid)(int));

// A calendar date between 1900 and 9999.
bool ValidDate(const v1::Date& d);
absl::Status CheckDate(absl::string_view field, const v1::Date& date);
// "YYYY-MM-DD".
std::string FormatDate(const v1::Date& d);
// A due or review date: valid and after `today`.
absl::Status CheckFutureDate(absl::string_view field, const v1::Date& date, absl::CivilDay today);

// Required, between 1970 and 9999.
absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& t);

// Between `min` and `max` entries.
absl::Status CheckCount(absl::string_view field, int count, int min, int max);

// `min` to 10 concern categories, each known.
absl::Status CheckConcerns(absl::string_view field,
                           const google::protobuf::RepeatedField<int>& concerns, int min);

// One member of a body at `field` ("members[0]", "member"): a person (`.person`, CheckPerson) and
// the agency it sits for (`.agency_id`); where `outsiders` sit (the advisory bodies of
// associations, businesses, NGOs and citizens: BodySeatsOutsiders), instead of an agency whom it
// represents (`.represents`, a public role in clear, e.g. "the tenants' board"), and then its
// `.person` is a name as CheckMemberName has it. INVALID_ARGUMENT naming the field.
absl::Status CheckMember(absl::string_view field, const v1::BodyMember& member, bool outsiders);

// The name of a member who speaks for no agency (a resident, an association's chair: no login to
// be named by), as they name themselves: one line of printable UTF-8 (CheckText) of at most
// kMaxNameBytes, no leading or trailing spaces. INVALID_ARGUMENT naming `field`.
absl::Status CheckMemberName(absl::string_view field, absl::string_view value);

// `min` to 100 members, each as CheckMember.
absl::Status CheckMembers(absl::string_view field,
                          const google::protobuf::RepeatedPtrField<v1::BodyMember>& members,
                          int min, bool outsiders);

// 1 to 20 goals of free text.
absl::Status CheckGoals(absl::string_view field,
                        const google::protobuf::RepeatedPtrField<std::string>& goals);

// "DDMMYY-NNNN", or empty.
absl::Status CheckCpr(absl::string_view field, absl::string_view cpr);

// "YYYY-MM-DD", or empty.
absl::Status CheckBirthDate(absl::string_view field, absl::string_view text);

// The birth date a CPR number tells ("DDMMYY-SNNN", the century from the seventh digit S: 0-3
// 1900s; 4 and 9 2000-2036, else 1900s; 5-8 2000-2057, else 1800s), as "YYYY-MM-DD"; a
// substitute number (erstatningspersonnummer, the day plus 60) tells its date too. Empty if
// `cpr` is no CPR number or its date does not exist.
std::string BirthDateOfCpr(absl::string_view cpr);

// INVALID_ARGUMENT naming `cpr_field` unless the CPR number tells the birth date `birth_date`;
// OK when either is empty. The message holds neither value.
absl::Status CheckCprMatchesBirthDate(absl::string_view cpr_field, absl::string_view cpr,
                                      absl::string_view birth_date);

// The field every command has: request_id, required, at most kMaxRequestIdBytes of
// [A-Za-z0-9_.:-].
absl::Status ValidateRequestId(absl::string_view request_id);

}  // namespace hotspot::domain

#endif  // HOTSPOT_SERVICES_DOMAIN_CHECKS_H_
