#include "services/projections/duplicate_index.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/projections/view_util.h"
#include "store/status_macros.h"

namespace hotspot::projections {
namespace {

using K = v1::Event::KindCase;

constexpr char kCprKind[] = "cpr_number";
constexpr char kNameKind[] = "name_and_birth_date";

std::string AreaRow(absl::string_view area_id) { return absl::StrCat("area/", area_id); }
std::string YouthRow(absl::string_view youth_id) { return absl::StrCat("youth/", youth_id); }
std::string DigestKey(absl::string_view kind, absl::string_view digest) {
  return absl::StrCat("digest/", kind, "/", absl::BytesToHexString(digest));
}
std::string DigestRow(absl::string_view digest_key, absl::string_view youth_id) {
  return absl::StrCat(digest_key, "/", youth_id);
}

// A sealed field as it reads now: its text, or nullopt if there is none, its key is gone
// (erased) or its key id never had a key. DATA_LOSS if it does not open.
absl::StatusOr<std::optional<std::string>> Read(security::Sealer& sealer,
                                                const v1::SealedText& sealed) {
  if (sealed.key_id().empty() || sealed.ciphertext().empty()) return std::nullopt;
  absl::StatusOr<security::UnsealedValue> value = UnsealText(sealer, sealed);
  if (absl::IsNotFound(value.status())) return std::nullopt;
  if (!value.ok()) {
    // The sealer's message names the youth's key id and the field, never the value.
    return absl::DataLossError(absl::StrCat("the duplicate index cannot read a sealed ",
                                            sealed.field(), " of ", sealed.key_id(), ": ",
                                            value.status().message()));
  }
  if (value->erased) return std::nullopt;
  return std::move(value->text);
}

// Overwrites clear values once they are hashed.
void Wipe(std::optional<std::string>& text) {
  if (text.has_value()) std::fill(text->begin(), text->end(), '\0');
}

// The field of the entry a rectification corrects; nullptr for the address (not indexed).
v1::SealedText* Rectified(v1::DuplicateIndexEntry& entry, v1::PersonalDataField field) {
  switch (field) {
    case v1::PERSONAL_DATA_FIELD_NAME:
      return entry.mutable_name();
    case v1::PERSONAL_DATA_FIELD_CPR_NUMBER:
      return entry.mutable_cpr_number();
    case v1::PERSONAL_DATA_FIELD_BIRTH_DATE:
      return entry.mutable_birth_date();
    default:
      return nullptr;
  }
}

}  // namespace

absl::Status DuplicateIndex::Reindex(v1::DuplicateIndexEntry& entry, Rows& rows) const {
  for (const std::string& key : entry.digest_keys()) rows.Delete(DigestRow(key, entry.youth_id()));
  entry.clear_digest_keys();
  ASSIGN_OR_RETURN(const std::optional<std::string> municipality,
                   rows.Get(AreaRow(entry.area_id())));
  // An area established without a municipality is a scope of its own.
  const std::string scope = municipality.has_value() && !municipality->empty()
                                ? *municipality
                                : absl::StrCat("area ", entry.area_id());
  ASSIGN_OR_RETURN(std::optional<std::string> name, Read(*sealer_, entry.name()));
  ASSIGN_OR_RETURN(std::optional<std::string> cpr, Read(*sealer_, entry.cpr_number()));
  ASSIGN_OR_RETURN(std::optional<std::string> born, Read(*sealer_, entry.birth_date()));
  std::optional<std::string> by_cpr, by_name;
  absl::Status hashed;
  if (cpr.has_value()) {
    absl::StatusOr<std::optional<std::string>> digest = digester_.OfCpr(scope, *cpr);
    if (digest.ok()) by_cpr = *digest;
    hashed.Update(digest.status());
  }
  if (name.has_value() && born.has_value()) {
    absl::StatusOr<std::optional<std::string>> digest =
        digester_.OfNameAndBirthDate(scope, *name, *born);
    if (digest.ok()) by_name = *digest;
    hashed.Update(digest.status());
  }
  Wipe(name);
  Wipe(cpr);
  Wipe(born);
  RETURN_IF_ERROR(hashed);
  for (const auto& [kind, digest] :
       {std::pair{kCprKind, &by_cpr}, std::pair{kNameKind, &by_name}}) {
    if (!digest->has_value()) continue;
    std::string key = DigestKey(kind, **digest);
    rows.Put(DigestRow(key, entry.youth_id()), entry.area_id());
    entry.add_digest_keys(std::move(key));
  }
  return absl::OkStatus();
}

absl::Status DuplicateIndex::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                                   Rows& rows) {
  switch (event.kind_case()) {
    case K::kAreaEstablished: {
      const v1::AreaEstablished& area = event.area_established();
      rows.Put(AreaRow(area.area_id()), area.municipality());
      return absl::OkStatus();
    }
    case K::kYouthReferred: {
      const v1::YouthReferred& referred = event.youth_referred();
      v1::DuplicateIndexEntry entry;
      entry.set_youth_id(referred.youth_id());
      entry.set_area_id(event.area_id());
      *entry.mutable_name() = referred.name();
      *entry.mutable_cpr_number() = referred.cpr_number();
      *entry.mutable_birth_date() = referred.birth_date();
      RETURN_IF_ERROR(Reindex(entry, rows));
      const std::string key = YouthRow(entry.youth_id());
      PutRow(rows, key, std::move(entry));
      return absl::OkStatus();
    }
    case K::kYouthIdentified: {
      const v1::YouthIdentified& identified = event.youth_identified();
      ASSIGN_OR_RETURN(v1::DuplicateIndexEntry* const entry,
                       rows.Edit<v1::DuplicateIndexEntry>(YouthRow(identified.youth_id())));
      if (entry == nullptr) return absl::OkStatus();  // a youth never referred: nothing to flag
      const std::pair<const v1::SealedText*, v1::SealedText*> fields[] = {
          {&identified.name(), entry->mutable_name()},
          {&identified.cpr_number(), entry->mutable_cpr_number()},
          {&identified.birth_date(), entry->mutable_birth_date()},
      };
      for (const auto& [given, kept] : fields) {
        if (!given->ciphertext().empty()) *kept = *given;
      }
      return Reindex(*entry, rows);
    }
    case K::kPersonalDataRectified: {
      const v1::PersonalDataRectified& fix = event.personal_data_rectified();
      ASSIGN_OR_RETURN(v1::DuplicateIndexEntry* const entry,
                       rows.Edit<v1::DuplicateIndexEntry>(YouthRow(fix.youth_id())));
      if (entry == nullptr) return absl::OkStatus();
      v1::SealedText* const field = Rectified(*entry, fix.field());
      if (field == nullptr) return absl::OkStatus();
      *field = fix.value();
      return Reindex(*entry, rows);
    }
    case K::kErasureExecuted: {
      const std::string row = YouthRow(event.erasure_executed().youth_id());
      ASSIGN_OR_RETURN(const v1::DuplicateIndexEntry* const entry,
                       rows.Find<v1::DuplicateIndexEntry>(row));
      if (entry == nullptr) return absl::OkStatus();
      for (const std::string& key : entry->digest_keys()) {
        rows.Delete(DigestRow(key, entry->youth_id()));
      }
      rows.Delete(row);
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

bool DuplicateIndex::Purges(const v1::Event& event) const {
  return event.kind_case() == K::kErasureExecuted;
}

absl::StatusOr<std::vector<v1::PossibleDuplicate>> PossibleDuplicates(const Projector& views,
                                                                      absl::string_view youth_id) {
  ASSIGN_OR_RETURN(const std::optional<std::string> row,
                   views.Get(kDuplicatesView, YouthRow(youth_id)));
  if (!row.has_value()) return std::vector<v1::PossibleDuplicate>();
  v1::DuplicateIndexEntry entry;
  if (!entry.ParseFromString(*row)) {
    return absl::DataLossError(
        absl::StrCat("the duplicate index row of ", youth_id, " is unreadable"));
  }
  std::map<std::string, v1::PossibleDuplicate> found;  // by youth id
  for (const std::string& key : entry.digest_keys()) {
    const v1::DuplicateMatch match = absl::StartsWith(key, absl::StrCat("digest/", kCprKind, "/"))
                                         ? v1::DUPLICATE_MATCH_CPR_NUMBER
                                         : v1::DUPLICATE_MATCH_NAME_AND_BIRTH_DATE;
    const std::string prefix = absl::StrCat(key, "/");
    RETURN_IF_ERROR(views.Scan(kDuplicatesView, prefix,
                               [&](absl::string_view other_key, absl::string_view area_id) {
                                 const absl::string_view other = other_key.substr(prefix.size());
                                 if (other == youth_id) return true;
                                 v1::PossibleDuplicate& d = found[std::string(other)];
                                 d.set_youth_id(std::string(other));
                                 d.set_area_id(std::string(area_id));
                                 d.add_matches(match);
                                 return true;
                               }));
  }
  std::vector<v1::PossibleDuplicate> out;
  for (auto& [id, duplicate] : found) {
    auto* matches = duplicate.mutable_matches();
    std::sort(matches->begin(), matches->end());
    out.push_back(std::move(duplicate));
  }
  return out;
}

}  // namespace hotspot::projections
