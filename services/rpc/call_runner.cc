#include "services/rpc/call_runner.h"

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
                           const google::protobuf::Message& request, absl::string_view youth_id) {
  v1::AccessRecord record;
  // Bounded: a request's id may be anything the caller typed.
  record.set_youth_id(std::string(youth_id.empty() ? TopLevelString(request, "youth_id") : youth_id)
                          .substr(0, 200));
  record.set_area_id(TopLevelString(request, "area_id").substr(0, 200));
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
  const absl::Status recorded = RecordRefusal(
      *recorder_, caller.who, method.call, caller.purpose.value_or(security::Purpose{}), request);
  return recorded.ok() ? status : recorded;
}

}  // namespace hotspot::rpc
