#include "services/queries/personal_data.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "services/projections/view_util.h"
#include "store/status_macros.h"

namespace hotspot::queries {

using google::protobuf::FieldDescriptor;

absl::Status ResolvePersonalField(v1::PersonalField* field, bool allowed, security::Sealer& sealer,
                                  absl::string_view area_id, security::Disclosures& shown) {
  if (!field->has_sealed()) return absl::OkStatus();
  if (!allowed) {
    field->mutable_withheld()->set_reason("not_allowed");
    return absl::OkStatus();
  }
  const v1::SealedText& sealed = field->sealed();
  absl::StatusOr<security::UnsealedValue> value = projections::UnsealText(sealer, sealed);
  if (absl::IsNotFound(value.status()) || (value.ok() && value->erased)) {
    field->mutable_withheld()->set_reason("erased");
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(value.status());
  shown.Shown(sealed.key_id(), area_id, /*in_clear=*/true);
  field->set_text(std::move(value->text));
  return absl::OkStatus();
}

namespace {

// Calls `visit` on every PersonalField inside `message`, stopping at its first error.
absl::Status ForEachPersonalField(google::protobuf::Message* message,
                                  const std::function<absl::Status(v1::PersonalField*)>& visit) {
  if (auto* field = dynamic_cast<v1::PersonalField*>(message)) return visit(field);
  const auto* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < reflection->FieldSize(*message, f); ++j) {
        RETURN_IF_ERROR(
            ForEachPersonalField(reflection->MutableRepeatedMessage(message, f, j), visit));
      }
    } else {
      RETURN_IF_ERROR(ForEachPersonalField(reflection->MutableMessage(message, f), visit));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void WithholdPersonalData(google::protobuf::Message* message, absl::string_view reason) {
  ForEachPersonalField(message, [reason](v1::PersonalField* field) {
    if (field->has_sealed()) field->mutable_withheld()->set_reason(std::string(reason));
    return absl::OkStatus();
  }).IgnoreError();  // the visit never fails
}

absl::Status ResolvePersonalData(google::protobuf::Message* message, absl::string_view youth_id,
                                 absl::string_view area_id, bool allowed, security::Sealer& sealer,
                                 security::Disclosures& shown) {
  shown.Shown(youth_id, area_id, /*in_clear=*/false);
  return ForEachPersonalField(message, [&](v1::PersonalField* field) {
    return ResolvePersonalField(field, allowed, sealer, area_id, shown);
  });
}

}  // namespace hotspot::queries
