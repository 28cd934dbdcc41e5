#include "services/queries/stored_events.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/projections/view_util.h"
#include "services/queries/personal_data.h"
#include "store/status_macros.h"

namespace hotspot::queries {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Each SealedText in `message`, with its path ("youth_referred.name", "items[2].text").
void FindSealed(const Message& message, const std::string& path,
                std::vector<std::pair<std::string, const v1::SealedText*>>* out) {
  if (const auto* sealed = dynamic_cast<const v1::SealedText*>(&message)) {
    // An empty one stands for a text not given.
    if (!sealed->ciphertext().empty()) out->emplace_back(path, sealed);
    return;
  }
  const auto* reflection = message.GetReflection();
  const auto* descriptor = message.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      for (int j = 0; j < reflection->FieldSize(message, f); ++j) {
        FindSealed(reflection->GetRepeatedMessage(message, f, j), absl::StrCat(here, "[", j, "]"),
                   out);
      }
    } else if (reflection->HasField(message, f)) {
      FindSealed(reflection->GetMessage(message, f), here, out);
    }
  }
}

// The legal basis the event's own message names, if it has a `legal_basis` field.
v1::LegalBasis LegalBasisOf(const v1::Event& event) {
  const FieldDescriptor* kind = event.GetReflection()->GetOneofFieldDescriptor(
      event, event.GetDescriptor()->FindOneofByName("kind"));
  if (kind == nullptr) return v1::LEGAL_BASIS_UNSPECIFIED;
  const Message& message = event.GetReflection()->GetMessage(event, kind);
  const FieldDescriptor* basis = message.GetDescriptor()->FindFieldByName("legal_basis");
  if (basis == nullptr || basis->cpp_type() != FieldDescriptor::CPPTYPE_ENUM ||
      basis->is_repeated()) {
    return v1::LEGAL_BASIS_UNSPECIFIED;
  }
  return static_cast<v1::LegalBasis>(message.GetReflection()->GetEnumValue(message, basis));
}

}  // namespace

absl::StatusOr<v1::StoredEvent> ToStoredEvent(const store::RecordedEvent& recorded, v1::Event event,
                                              bool allowed, security::Sealer& sealer) {
  v1::StoredEvent out;
  out.set_position(recorded.position);
  out.set_stream(recorded.stream);
  out.set_stream_version(recorded.stream_version);
  out.set_event_id(recorded.id.ToString());
  out.set_type(recorded.type);
  *out.mutable_recorded_at() = projections::Ts(recorded.recorded_at);
  *out.mutable_occurred_at() = projections::Ts(recorded.metadata.occurred_at);
  *out.mutable_actor() = event.actor();
  out.set_request_id(event.request_id());
  out.set_legal_basis(LegalBasisOf(event));
  out.set_hash(recorded.hash);
  std::vector<std::pair<std::string, const v1::SealedText*>> sealed;
  FindSealed(event, "", &sealed);
  for (const auto& [path, text] : sealed) {
    v1::PersonalValue* value = out.add_personal_data();
    value->set_path(path);
    *value->mutable_value()->mutable_sealed() = *text;
    RETURN_IF_ERROR(ResolvePersonalField(value->mutable_value(), allowed, sealer));
  }
  *out.mutable_event() = std::move(event);
  return out;
}

}  // namespace hotspot::queries
