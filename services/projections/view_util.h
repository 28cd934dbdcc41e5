// Small helpers the views share: times, sealed and free text into PersonalField, sets as lists.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_
#define HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_

#include <algorithm>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "hotspot/v1/views.pb.h"
#include "services/domain/aggregates.h"
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

// The 18th birthday of a "YYYY-MM-DD" birth date: the domain's.
using domain::EighteenthBirthday;

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_VIEW_UTIL_H_
