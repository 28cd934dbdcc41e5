#include "services/rpc/request_checks.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "hotspot/v1/types.pb.h"
#include "services/domain/checks.h"
#include "store/status_macros.h"

namespace hotspot::rpc {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// 1900-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr int64_t kFirstSecond = -2208988800;
constexpr int64_t kLastSecond = 253402300799;

absl::Status CheckDatesIn(const Message& message, const std::string& path) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  if (descriptor->full_name() == v1::Date::descriptor()->full_name()) {
    const auto& date = static_cast<const v1::Date&>(message);
    if (date.year() == 0 && date.month() == 0 && date.day() == 0) return absl::OkStatus();
    return domain::CheckDate(path, date);
  }
  if (descriptor->full_name() == google::protobuf::Timestamp::descriptor()->full_name()) {
    const auto& time = static_cast<const google::protobuf::Timestamp&>(message);
    if (time.seconds() == 0 && time.nanos() == 0) return absl::OkStatus();
    if (time.seconds() < kFirstSecond || time.seconds() > kLastSecond || time.nanos() < 0 ||
        time.nanos() > 999'999'999) {
      return domain::Invalid(path, "a time between 1900 and 9999");
    }
    return absl::OkStatus();
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string at = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->is_repeated()) {
      for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
        RETURN_IF_ERROR(CheckDatesIn(reflection->GetRepeatedMessage(message, field, j),
                                     absl::StrCat(at, "[", j, "]")));
      }
    } else if (reflection->HasField(message, field)) {
      RETURN_IF_ERROR(CheckDatesIn(reflection->GetMessage(message, field), at));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDates(const Message& request) { return CheckDatesIn(request, ""); }

absl::Status CheckReadRequest(const Message& request) {
  const auto* descriptor = request.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const std::string& name = field->name();
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING || field->is_repeated() ||
        !absl::EndsWith(name, "_id")) {
      continue;
    }
    const std::string value = request.GetReflection()->GetString(request, field);
    if (value.empty()) continue;
    if (name == "request_id") {
      RETURN_IF_ERROR(domain::ValidateRequestId(value));
    } else if (name == "body_id") {
      RETURN_IF_ERROR(domain::CheckSlug(name, value));
    } else {
      std::string category = name.substr(0, name.size() - 3);
      if (absl::EndsWith(category, "_agency")) category = "agency";
      if (category == "subject_access") category = "access";
      RETURN_IF_ERROR(domain::CheckId(name, value, category));
    }
  }
  return CheckDates(request);
}

}  // namespace hotspot::rpc
