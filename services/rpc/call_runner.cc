#include "services/rpc/call_runner.h"

#include "services/domain/checks.h"
#include "store/status_macros.h"

namespace hotspot::rpc {
namespace {

// The string field `name` of `message`'s top level; "" if it has none.
std::string TopLevelString(const google::protobuf::Message& message, const char* name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

}  // namespace

absl::Status RecordRefusal(security::AccessRecorder& recorder, const security::Principal& who,
                           absl::string_view call, const security::Purpose& purpose,
                           const google::protobuf::Message& request, absl::string_view youth_id,
                           const KnownIds& known) {
  v1::AccessRecord record;
  // A request's ids may be anything the caller typed (a name, a CPR number): looked up only if
  // they pass the ids' own check, and kept only if they name a case or an area.
  std::string youth(youth_id.empty() ? TopLevelString(request, "youth_id") : youth_id);
  if (!domain::CheckId("youth_id", youth, "youth", /*required=*/false).ok()) youth.clear();
  std::string area = TopLevelString(request, "area_id");
  if (!domain::CheckId("area_id", area, "area", /*required=*/false).ok()) area.clear();
  // A youth's refusal is filed under its case's area, for that area's audit, whatever area the
  // request names. (The answer is the same refusal whether the youth exists or not.)
  std::string youths_area;
  if (!youth.empty() && known.area_of_youth != nullptr) {
    ASSIGN_OR_RETURN(youths_area, known.area_of_youth(youth));
  }
  if (youths_area.empty()) {
    youth.clear();
    bool exists = false;
    if (!area.empty() && known.area_exists != nullptr) {
      ASSIGN_OR_RETURN(exists, known.area_exists(area));
    }
    if (!exists) area.clear();
  } else {
    area = std::move(youths_area);
  }
  record.set_youth_id(std::move(youth));
  record.set_area_id(std::move(area));
  record.set_refused(true);
  return recorder.Record(who, call, purpose, {record});
}

absl::Status CallRunner::Refused(const Caller& caller, const Method& method,
                                 const google::protobuf::Message& request,
                                 absl::Status status) const {
  if (!absl::IsPermissionDenied(status) || recorder_ == nullptr ||
      method.access == v1::PERSONAL_DATA_ACCESS_UNSPECIFIED) {
    return status;
  }
  const absl::Status recorded =
      RecordRefusal(*recorder_, caller.who, method.call,
                    caller.purpose.value_or(security::Purpose{}), request, "", known_);
  return recorded.ok() ? status : recorded;
}

}  // namespace hotspot::rpc
