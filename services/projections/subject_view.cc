#include "services/projections/subject_view.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "store/status_macros.h"

namespace hotspot::projections {

std::string SubjectPrefix(absl::string_view youth_id) {
  return absl::StrCat("youth/", youth_id, "/");
}

uint64_t SubjectPosition(absl::string_view key) {
  const size_t slash = key.rfind('/');
  uint64_t position = 0;
  if (slash == absl::string_view::npos || !absl::SimpleAtoi(key.substr(slash + 1), &position)) {
    return 0;
  }
  return position;
}

std::string YouthNamedBy(const v1::Event& event) {
  if (event.kind_case() == v1::Event::KIND_NOT_SET) return std::string();
  const google::protobuf::FieldDescriptor* kind =
      v1::Event::descriptor()->FindFieldByNumber(event.kind_case());
  const google::protobuf::Message& message = event.GetReflection()->GetMessage(event, kind);
  const google::protobuf::FieldDescriptor* youth =
      message.GetDescriptor()->FindFieldByName("youth_id");
  if (youth == nullptr || youth->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      youth->is_repeated()) {
    return std::string();
  }
  return message.GetReflection()->GetString(message, youth);
}

absl::Status SubjectView::Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                                Rows& rows) {
  ASSIGN_OR_RETURN(
      const std::string youth,
      YouthConcerned(recorded, event,
                     [&](const std::string& stream) -> absl::StatusOr<std::string> {
                       ASSIGN_OR_RETURN(const std::optional<std::string> owner,
                                        rows.Get(absl::StrCat("stream/", stream)));
                       return owner.value_or("");
                     }));
  if (youth.empty()) return absl::OkStatus();
  // A stream that starts by naming a youth belongs to the youth (a meeting's does not: its first
  // event names none).
  if (recorded.stream_version == 1 && recorded.category() != "youth") {
    rows.Put(absl::StrCat("stream/", recorded.stream), youth);
  }
  rows.Put(absl::StrFormat("%s%020d", SubjectPrefix(youth), recorded.position), "");
  return absl::OkStatus();
}

}  // namespace hotspot::projections
