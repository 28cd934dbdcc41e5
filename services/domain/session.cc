#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/domain/decide.h"
#include "services/security/policy.h"
#include "store/event_id.h"
#include "store/status_macros.h"

namespace hotspot::domain {

Session::Session(const CommandContext& context, std::optional<uint64_t> pinned)
    : context_(context), pinned_(pinned) {}

void Session::Emit(const std::string& stream, const std::string& area_id, v1::Event event) {
  v1::Actor* actor = event.mutable_actor();
  actor->set_person(context_.principal.person);
  actor->set_agency_id(context_.principal.agency);
  actor->set_role(std::string(RoleName(context_.principal.role)));
  event.set_area_id(area_id);
  for (StreamWrite& w : writes_) {
    if (w.stream == stream) {
      w.events.push_back(std::move(event));
      return;
    }
  }
  // A stream not read: a new aggregate, which must not exist yet.
  writes_.push_back(StreamWrite{stream, 0, {}});
  writes_.back().events.push_back(std::move(event));
}

absl::StatusOr<v1::SealedText> Session::Seal(absl::string_view youth_id, absl::string_view field,
                                             absl::string_view text) {
  if (context_.withheld != nullptr && !context_.withheld->status.ok()) {
    return context_.withheld->status;
  }
  return context_.sealer->Seal(youth_id, field, text);
}

absl::Status Session::Withhold(absl::Status status) {
  if (context_.withheld == nullptr) return status;
  if (context_.withheld->status.ok()) context_.withheld->status = std::move(status);
  return absl::OkStatus();
}

absl::Status Session::Stale(absl::string_view id, uint64_t actual) {
  absl::Status stale = StaleVersion(context_.principal, id, *pinned_, actual);
  if (context_.withheld == nullptr) return stale;
  context_.withheld->stale = std::move(stale);
  return absl::OkStatus();
}

bool Session::PinApplies(bool youth) const {
  return !youth || security::MaySeeEveryChange(context_.principal);
}

absl::Status Told(const Principal& who, const Withheld& withheld, const absl::Status& decided) {
  if (!decided.ok() || !withheld.status.ok()) {
    if (!withheld.youth_id.empty() && !security::MayLearnOfCaseIn(who, withheld.youth_area_id)) {
      return security::RefuseOutsideCase(who, withheld.youth_id);
    }
    if (absl::IsPermissionDenied(decided)) return decided;
    if (!withheld.status.ok()) return withheld.status;
    return decided;
  }
  return withheld.stale;
}

absl::Status StaleVersion(const Principal& who, absl::string_view id, uint64_t pinned,
                          uint64_t actual) {
  if (security::MaySeeEveryChange(who)) {
    return absl::AbortedError(absl::StrCat("expected_version: ", id, " is at version ", actual,
                                           ", the request expected ", pinned));
  }
  return absl::AbortedError(absl::StrCat("expected_version: ", id,
                                         " has changed since the version the request expected (",
                                         pinned, "); read it again"));
}

absl::StatusOr<v1::Text> Session::Text(absl::string_view youth_id, absl::string_view field,
                                       absl::string_view text) {
  v1::Text out;
  if (youth_id.empty()) {
    out.set_clear(std::string(text));
  } else {
    ASSIGN_OR_RETURN(*out.mutable_sealed(), Seal(youth_id, field, text));
  }
  return out;
}

Decision Session::Finish(std::string id, std::vector<std::string> created_ids) {
  Decision d;
  d.id = std::move(id);
  d.created_ids = std::move(created_ids);
  d.pin_held = pin_held_;
  auto main = std::find_if(writes_.begin(), writes_.end(),
                           [&](const StreamWrite& w) { return w.stream == main_; });
  if (main != writes_.end()) std::rotate(writes_.begin(), main, main + 1);
  d.writes = std::move(writes_);
  return d;
}
absl::StatusOr<std::string> FieldSealer::NewSubject(absl::string_view category) {
  return NewId(category);
}

absl::StatusOr<std::optional<std::string>> FieldSealer::Open(const v1::SealedText&) {
  return std::nullopt;
}

absl::StatusOr<std::optional<std::string>> Session::Open(const v1::SealedText& sealed) {
  if (sealed.ciphertext().empty()) return std::nullopt;
  return context_.sealer->Open(sealed);
}

std::string NewId(absl::string_view category) {
  return absl::StrCat(category, "-", store::EventId::Generate().ToString());
}

}  // namespace hotspot::domain
