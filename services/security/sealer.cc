#include "services/security/sealer.h"

#include "absl/strings/str_cat.h"
#include "services/security/aead.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

void AssociatedDataInto(absl::string_view key_id, absl::string_view field, std::string& out) {
  out.clear();
  absl::StrAppend(&out, "hotspot.sealed.v1", absl::string_view("\0", 1), key_id,
                  absl::string_view("\0", 1), field);
}

std::string AssociatedData(absl::string_view key_id, absl::string_view field) {
  std::string out;
  AssociatedDataInto(key_id, field, out);
  return out;
}

absl::Status ValidateField(absl::string_view field) {
  if (field.empty()) return absl::InvalidArgumentError("field: must not be empty");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SealedValue> Sealer::Seal(absl::string_view subject, absl::string_view field,
                                         absl::string_view plaintext) {
  RETURN_IF_ERROR(ValidateField(field));
  ASSIGN_OR_RETURN(std::string key, keys_->KeyForSealing(subject));
  SealedValue value;
  value.key_id = std::string(subject);
  ASSIGN_OR_RETURN(value.ciphertext,
                   internal::Seal(key, AssociatedData(value.key_id, field), plaintext));
  return value;
}

absl::StatusOr<SealedValue> Sealer::SealForAll(absl::string_view category,
                                               absl::Span<const std::string> subjects,
                                               absl::string_view field,
                                               absl::string_view plaintext) {
  RETURN_IF_ERROR(ValidateField(field));
  ASSIGN_OR_RETURN(const std::string subject, keys_->NewDependentSubject(category, subjects));
  return Seal(subject, field, plaintext);
}

absl::StatusOr<UnsealedValue> Sealer::Unseal(const SealedValue& value, absl::string_view field) {
  Reader reader(*this);  // one value: one key asked
  UnsealedValue out;
  ASSIGN_OR_RETURN(const bool opened, reader.Open(value.key_id, field, value.ciphertext, out.text));
  out.erased = !opened;
  return out;
}

absl::StatusOr<bool> Sealer::Reader::Open(absl::string_view key_id, absl::string_view field,
                                           absl::string_view ciphertext, std::string& text) {
  text.clear();
  RETURN_IF_ERROR(ValidateField(field));
  auto it = keys_.find(key_id);
  if (it == keys_.end()) {
    if (keys_.size() >= kMaxKeys) keys_.clear();
    it = keys_.emplace(std::string(key_id), sealer_->keys_->KeyForReading(key_id)).first;
  }
  const absl::StatusOr<DataKey>& key = it->second;
  if (!key.ok()) return key.status();
  if (key->erased) return false;
  AssociatedDataInto(key_id, field, associated_data_);
  RETURN_IF_ERROR(internal::OpenInto(key->key, associated_data_, ciphertext, text));
  return true;
}

absl::StatusOr<std::string> Sealer::NewSubject(absl::string_view category) {
  return keys_->ReserveSubject(category);
}

}  // namespace hotspot::security
