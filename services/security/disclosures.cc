#include "services/security/disclosures.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/text.h"

namespace hotspot::security {
namespace {

constexpr absl::string_view kPrefix = "PURPOSE_";

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("purpose: ", why));
}

}  // namespace

std::string PurposeName(v1::Purpose code) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::Purpose_Name(code), kPrefix));
}

absl::StatusOr<Purpose> ParsePurpose(absl::string_view value) {
  if (value.empty()) {
    return Bad(
        "required call metadata on reads of a youth's data: a code such as case_coordination, "
        "optionally followed by \": \" and a free text; it goes into the access log");
  }
  if (value.size() > kMaxPurposeBytes) {
    return Bad(absl::StrCat(value.size(), " bytes, at most ", kMaxPurposeBytes));
  }
  if (!common::PrintableUtf8(value)) return Bad("not UTF-8 text, or holds control characters");
  Purpose out;
  absl::string_view code = value;
  if (const size_t colon = value.find(':'); colon != absl::string_view::npos) {
    code = value.substr(0, colon);
    out.text = std::string(absl::StripAsciiWhitespace(value.substr(colon + 1)));
  }
  code = absl::StripAsciiWhitespace(code);
  v1::Purpose parsed;
  const std::string name = absl::StrCat(kPrefix, absl::AsciiStrToUpper(code));
  if (code.empty() ||
      !absl::c_all_of(code, [](char c) { return absl::ascii_islower(c) || c == '_'; }) ||
      !v1::Purpose_Parse(name, &parsed) || parsed == v1::PURPOSE_UNSPECIFIED) {
    std::string known;
    for (int i = v1::Purpose_MIN + 1; i <= v1::Purpose_MAX; ++i) {
      if (!v1::Purpose_IsValid(i)) continue;
      absl::StrAppend(&known, known.empty() ? "" : ", ", PurposeName(static_cast<v1::Purpose>(i)));
    }
    return Bad(absl::StrCat("\"", code.substr(0, 40), "\" is not on the list of purposes (", known,
                            "); write \"<code>: <free text>\""));
  }
  out.code = parsed;
  if (!out.text.empty()) out.seal = std::make_shared<CallSeal>();
  return out;
}

void Disclosures::Shown(absl::string_view youth_id, absl::string_view area_id, bool in_clear) {
  if (youth_id.empty()) return;
  auto it = youths_.find(youth_id);
  if (it == youths_.end()) it = youths_.emplace(std::string(youth_id), Entry{}).first;
  if (it->second.area_id.empty()) it->second.area_id = std::string(area_id);
  it->second.in_clear = it->second.in_clear || in_clear;
}

void Disclosures::Merge(const Disclosures& other) {
  for (const auto& [youth, entry] : other.youths_) Shown(youth, entry.area_id, entry.in_clear);
}

bool Disclosures::InClear(absl::string_view youth_id) const {
  const auto it = youths_.find(youth_id);
  return it != youths_.end() && it->second.in_clear;
}

std::vector<v1::AccessRecord> Disclosures::Records() const {
  std::vector<v1::AccessRecord> out;
  out.reserve(youths_.size());
  for (const auto& [youth, entry] : youths_) {
    v1::AccessRecord& record = out.emplace_back();
    record.set_youth_id(youth);
    record.set_area_id(entry.area_id);
    record.set_personal_data_disclosed(entry.in_clear);
  }
  return out;
}

}  // namespace hotspot::security
