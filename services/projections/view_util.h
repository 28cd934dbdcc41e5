// Small helpers the views share: times, sealed and free text into PersonalField, sets as lists.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_
#define HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "hotspot/v1/views.pb.h"
#include "services/domain/aggregates.h"
#include "services/projections/rows.h"
#include "services/security/sealer.h"

namespace hotspot::projections {

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(ts.seconds()))));
  return ts;
}

using domain::TimeOf;

// Whole days from `from` to `to`.
inline int32_t Days(const google::protobuf::Timestamp& from, absl::Time to) {
  return static_cast<int32_t>(absl::ToInt64Hours(to - TimeOf(from)) / 24);
}

inline void Seal(const v1::SealedText& sealed, v1::PersonalField* field) {
  if (!sealed.key_id().empty()) *field->mutable_sealed() = sealed;
}

inline void FromText(const v1::Text& text, v1::PersonalField* field) {
  if (text.has_sealed()) {
    *field->mutable_sealed() = text.sealed();
  } else if (text.has_clear()) {
    field->set_text(text.clear());
  }
}

inline void AddUnique(google::protobuf::RepeatedPtrField<std::string>* list,
                      const std::string& value) {
  if (value.empty()) return;
  if (std::find(list->begin(), list->end(), value) == list->end()) *list->Add() = value;
}

// The one way back from a sealed field: the sealer with the value's key id and field name.
inline absl::StatusOr<security::UnsealedValue> UnsealText(security::Sealer& sealer,
                                                          const v1::SealedText& sealed) {
  return sealer.Unseal(security::SealedValue{sealed.key_id(), sealed.ciphertext()}, sealed.field());
}

// A row's place in time order: the seconds, zero-padded, then its id ("oldest first").
inline std::string TimeKey(const google::protobuf::Timestamp& t, absl::string_view id) {
  return absl::StrFormat("%020d/%s", t.seconds(), id);
}

// Index rows: keys only (empty values), each ending in "/<id>" of the row it stands for, so that
// a list reads them in its order and stops at its page (Projector::ScanIndex). The id an index
// key ends in:
inline absl::string_view IdOfIndexKey(absl::string_view key) {
  const size_t slash = key.rfind('/');
  return slash == absl::string_view::npos ? key : key.substr(slash + 1);
}

// The prefix of an index family of a list with filters: one family for each combination of the
// filters set, named by them ("area", "area-agency", "area-agency-status", ...), its keys the
// area, then each filter's value in the order added, then the row's sort key and id.
class IndexFamily {
 public:
  // A filter set to `value` ("": the family's name alone says it, as for a flag).
  void Add(absl::string_view filter, absl::string_view value) {
    absl::StrAppend(&name_, "-", filter);
    if (!value.empty()) absl::StrAppend(&values_, value, "/");
  }
  std::string Prefix(absl::string_view area_id) const {
    return absl::StrCat(name_, "/", area_id, "/", values_);
  }

 private:
  std::string name_ = "area";
  std::string values_;
};

// The 18th birthday of a "YYYY-MM-DD" birth date: the domain's.
using domain::EighteenthBirthday;

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_
