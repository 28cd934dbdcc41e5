#include "services/queries/stored_events.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "services/common/wire.h"
#include "services/projections/view_util.h"
#include "services/queries/personal_data.h"
#include "store/status_macros.h"

namespace hotspot::queries {

using common::wire::kLength;
using common::wire::kVarint;
using common::wire::PutLength;
using common::wire::PutStringField;
using common::wire::PutVarintField;
using common::wire::WireField;
using common::wire::WireReader;

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The message types a v1::Event can reach that may hold a SealedText at some depth (SealedText
// itself among them): the walk below descends into no other, so that timestamps, dates and the
// many messages without personal data cost it nothing. Made once, then only read.
const absl::flat_hash_set<const Descriptor*>& TypesHoldingSealed() {
  static const absl::flat_hash_set<const Descriptor*>* const holding = [] {
    std::vector<const Descriptor*> reachable = {v1::Event::descriptor()};
    absl::flat_hash_set<const Descriptor*> seen = {v1::Event::descriptor()};
    for (size_t i = 0; i < reachable.size(); ++i) {
      for (int f = 0; f < reachable[i]->field_count(); ++f) {
        const Descriptor* type = reachable[i]->field(f)->message_type();
        if (type != nullptr && seen.insert(type).second) reachable.push_back(type);
      }
    }
    auto* out = new absl::flat_hash_set<const Descriptor*>{v1::SealedText::descriptor()};
    // A type holds one if a field's type does; repeated until nothing is added (types may
    // contain each other).
    for (bool added = true; added;) {
      added = false;
      for (const Descriptor* type : reachable) {
        if (out->contains(type)) continue;
        for (int f = 0; f < type->field_count(); ++f) {
          const Descriptor* field_type = type->field(f)->message_type();
          if (field_type != nullptr && out->contains(field_type)) {
            out->insert(type);
            added = true;
            break;
          }
        }
      }
    }
    return out;
  }();
  return *holding;
}

// Each SealedText in `message`, with its path ("youth_referred.name", "items[2].text").
void FindSealed(const Message& message, const std::string& path,
                std::vector<std::pair<std::string, const v1::SealedText*>>* out) {
  if (message.GetDescriptor() == v1::SealedText::descriptor()) {
    const auto* sealed = dynamic_cast<const v1::SealedText*>(&message);
    // An empty one stands for a text not given.
    if (sealed != nullptr && !sealed->ciphertext().empty()) out->emplace_back(path, sealed);
    return;
  }
  const absl::flat_hash_set<const Descriptor*>& holding = TypesHoldingSealed();
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // only those set: the path is built for them alone
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || !holding.contains(f->message_type())) {
      continue;
    }
    const std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      for (int j = 0; j < reflection->FieldSize(message, f); ++j) {
        FindSealed(reflection->GetRepeatedMessage(message, f, j), absl::StrCat(here, "[", j, "]"),
                   out);
      }
    } else {
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

// ---- The wire form (AppendAllowedStoredEvent) ----

// A google.protobuf.Timestamp as projections::Ts makes it, as a field that is always present.
void PutTimestamp(std::string& out, int field, absl::Time time) {
  const google::protobuf::Timestamp ts = projections::Ts(time);
  std::string body;
  PutVarintField(body, google::protobuf::Timestamp::kSecondsFieldNumber,
                 static_cast<uint64_t>(ts.seconds()));
  PutVarintField(body, google::protobuf::Timestamp::kNanosFieldNumber,
                 static_cast<uint64_t>(static_cast<int64_t>(ts.nanos())));
  PutLength(out, field, body);
}

// For each field of v1::Event's `kind`, the number of its message's `legal_basis` field (a
// singular enum), if it has one. Made once from the descriptors, then only read.
const absl::flat_hash_map<int, int>& LegalBasisFields() {
  static const absl::flat_hash_map<int, int>* const fields = [] {
    auto* out = new absl::flat_hash_map<int, int>();
    const google::protobuf::OneofDescriptor* kind =
        v1::Event::descriptor()->FindOneofByName("kind");
    for (int i = 0; kind != nullptr && i < kind->field_count(); ++i) {
      const Descriptor* type = kind->field(i)->message_type();
      const FieldDescriptor* basis = type == nullptr ? nullptr : type->FindFieldByName("legal_basis");
      if (basis != nullptr && basis->cpp_type() == FieldDescriptor::CPPTYPE_ENUM &&
          !basis->is_repeated()) {
        (*out)[kind->field(i)->number()] = basis->number();
      }
    }
    return out;
  }();
  return *fields;
}

// Whether field `number` of v1::Event is one of its oneof `kind`.
bool IsKind(int number) {
  static const google::protobuf::OneofDescriptor* const kind =
      v1::Event::descriptor()->FindOneofByName("kind");
  const FieldDescriptor* f = v1::Event::descriptor()->FindFieldByNumber(number);
  return f != nullptr && f->containing_oneof() == kind;
}

// FindSealed over a message's wire form (`bytes`, of type `type`): each SealedText's path and
// bytes, in the order FindSealed lists them (fields by number, as C++ serializes them). False if
// the bytes are not a wire form.
bool FindSealedWire(const Descriptor* type, absl::string_view bytes, const std::string& path,
                    std::vector<std::pair<std::string, absl::string_view>>& out) {
  const absl::flat_hash_set<const Descriptor*>& holding = TypesHoldingSealed();
  std::vector<std::pair<int, int>> seen;  // a repeated field's number, and its elements so far
  WireReader reader(bytes);
  WireField field;
  while (reader.Next(field)) {
    if (field.type != kLength) continue;
    const FieldDescriptor* f = type->FindFieldByNumber(field.number);
    if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        !holding.contains(f->message_type())) {
      continue;
    }
    std::string here = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      auto it = std::find_if(seen.begin(), seen.end(),
                             [&](const auto& s) { return s.first == field.number; });
      if (it == seen.end()) it = seen.insert(seen.end(), {field.number, 0});
      absl::StrAppend(&here, "[", it->second++, "]");
    }
    if (f->message_type() == v1::SealedText::descriptor()) {
      out.emplace_back(std::move(here), field.value);
    } else if (!FindSealedWire(f->message_type(), field.value, here, out)) {
      return false;
    }
  }
  return !reader.failed();
}

absl::Status NotAnEvent(uint64_t position) {
  return absl::DataLossError(
      absl::StrCat("the event at position ", position, " is not a hotspot.v1.Event"));
}

}  // namespace

absl::StatusOr<bool> AppendAllowedStoredEvent(const store::RecordedEvent& recorded,
                                              security::Sealer& sealer, std::string& out,
                                              security::Disclosures& shown) {
  const absl::string_view payload = recorded.payload;
  absl::string_view actor, request_id, area_id, kind_bytes;
  int kind = 0;
  bool digest = false;
  WireReader reader(payload);
  WireField field;
  while (reader.Next(field)) {
    const bool bytes = field.type == kLength;
    switch (field.number) {
      case v1::Event::kActorFieldNumber:
        if (bytes) actor = field.value;
        break;
      case v1::Event::kRequestIdFieldNumber:
        if (bytes) request_id = field.value;
        break;
      case v1::Event::kRequestDigestFieldNumber:
        digest = true;
        break;
      case v1::Event::kAreaIdFieldNumber:
        if (bytes) area_id = field.value;
        break;
      default:
        if (bytes && IsKind(field.number)) {
          kind = field.number;
          kind_bytes = field.value;
        }
    }
  }
  if (reader.failed()) return NotAnEvent(recorded.position);

  if (kind == v1::Event::kEighteenthBirthdayNearFieldNumber ||
      kind == v1::Event::kConsentLapsedFieldNumber) {
    v1::Event event;
    if (!event.ParseFromString(recorded.payload)) return NotAnEvent(recorded.position);
    ASSIGN_OR_RETURN(const bool hidden, ErasedYouthsBirthdayFact(event, sealer));
    if (hidden) return false;
  }

  // The event as stored, less the request's digest, which never leaves hotspotd.
  std::string without_digest;
  absl::string_view event = payload;
  if (digest) {
    WireReader again(payload);
    while (again.Next(field)) {
      if (field.number != v1::Event::kRequestDigestFieldNumber) without_digest.append(field.whole.data(), field.whole.size());
    }
    event = without_digest;
  }
  uint64_t legal_basis = v1::LEGAL_BASIS_UNSPECIFIED;
  if (auto basis = LegalBasisFields().find(kind); basis != LegalBasisFields().end()) {
    WireReader fields(kind_bytes);
    while (fields.Next(field)) {
      if (field.number == basis->second && field.type == kVarint) legal_basis = field.varint;
    }
    if (fields.failed()) return NotAnEvent(recorded.position);
  }
  std::vector<std::pair<std::string, absl::string_view>> sealed;
  if (!FindSealedWire(v1::Event::descriptor(), event, "", sealed)) {
    return NotAnEvent(recorded.position);
  }

  using v1::StoredEvent;
  PutVarintField(out, StoredEvent::kPositionFieldNumber, recorded.position);
  PutStringField(out, StoredEvent::kStreamFieldNumber, recorded.stream);
  PutVarintField(out, StoredEvent::kStreamVersionFieldNumber, recorded.stream_version);
  PutStringField(out, StoredEvent::kEventIdFieldNumber, recorded.id.ToString());
  PutStringField(out, StoredEvent::kTypeFieldNumber, recorded.type);
  PutTimestamp(out, StoredEvent::kRecordedAtFieldNumber, recorded.recorded_at);
  PutTimestamp(out, StoredEvent::kOccurredAtFieldNumber, recorded.metadata.occurred_at);
  PutLength(out, StoredEvent::kActorFieldNumber, actor);  // present, as ParseStoredEvent sets it
  PutStringField(out, StoredEvent::kRequestIdFieldNumber, request_id);
  PutVarintField(out, StoredEvent::kLegalBasisFieldNumber, legal_basis);
  PutLength(out, StoredEvent::kEventFieldNumber, event);
  const std::string area(area_id);
  for (auto& [path, bytes] : sealed) {
    v1::PersonalValue value;
    if (!value.mutable_value()->mutable_sealed()->ParseFromArray(bytes.data(),
                                                                 static_cast<int>(bytes.size()))) {
      return NotAnEvent(recorded.position);
    }
    if (value.value().sealed().ciphertext().empty()) continue;  // a text not given
    value.set_path(std::move(path));
    RETURN_IF_ERROR(ResolvePersonalField(value.mutable_value(), /*allowed=*/true, sealer, area,
                                         shown));
    PutLength(out, StoredEvent::kPersonalDataFieldNumber, value.SerializeAsString());
  }
  PutStringField(out, StoredEvent::kHashFieldNumber, recorded.hash);
  return true;
}

absl::Status ParseStoredEvent(const store::RecordedEvent& recorded, v1::StoredEvent* out) {
  v1::Event& event = *out->mutable_event();
  if (!event.ParseFromString(recorded.payload)) {
    return absl::DataLossError(
        absl::StrCat("the event at position ", recorded.position, " is not a hotspot.v1.Event"));
  }
  // The command side's own: a digest of the request, which held personal data in clear (and
  // for commands of before digests were keyed, a plain SHA-256 that a guess could confirm).
  event.clear_request_digest();
  out->set_position(recorded.position);
  out->set_stream(recorded.stream);
  out->set_stream_version(recorded.stream_version);
  out->set_event_id(recorded.id.ToString());
  out->set_type(recorded.type);
  *out->mutable_recorded_at() = projections::Ts(recorded.recorded_at);
  *out->mutable_occurred_at() = projections::Ts(recorded.metadata.occurred_at);
  *out->mutable_actor() = event.actor();
  out->set_request_id(event.request_id());
  out->set_legal_basis(LegalBasisOf(event));
  out->set_hash(recorded.hash);
  return absl::OkStatus();
}

absl::Status AddPersonalData(v1::StoredEvent* out, bool allowed, security::Sealer& sealer,
                             security::Disclosures& shown, absl::string_view withheld) {
  if (!allowed) {
    // Events of before sealed categories hold them in clear: not for this reader either.
    v1::Event& event = *out->mutable_event();
    if (event.has_youth_referred()) event.mutable_youth_referred()->clear_concerns();
    if (event.has_concern_shared()) event.mutable_concern_shared()->clear_concerns();
    // A consent's scope names it in someone's words: not for this reader.
    if (event.has_concern_shared()) event.mutable_concern_shared()->clear_consent_scope();
    if (event.has_consent_recorded()) event.mutable_consent_recorded()->clear_scope();
    if (event.has_consent_withdrawn()) event.mutable_consent_withdrawn()->clear_scope();
    if (event.has_consent_lapsed()) event.mutable_consent_lapsed()->clear_scope();
    // Who gave a consent, and for which purpose, are in clear in the event: a third party's
    // name and the family's circumstances, not for this reader.
    if (event.has_consent_recorded()) {
      event.mutable_consent_recorded()->clear_given_by();
      event.mutable_consent_recorded()->clear_purpose();
      // The youth's age is derived from the sealed birth date: personal data too.
      event.mutable_consent_recorded()->clear_giver_age();
    }
    // An auditor's reasons, in clear in events of before sealed reasons (an automatic
    // refusal's are the rules' own words).
    if (event.has_erasure_approved()) event.mutable_erasure_approved()->clear_reason();
    if (event.has_erasure_refused() && !event.erasure_refused().automatic()) {
      event.mutable_erasure_refused()->clear_reason();
    }
  }
  const v1::Event& event = out->event();
  std::vector<std::pair<std::string, const v1::SealedText*>> sealed;
  FindSealed(event, "", &sealed);
  for (const auto& [path, text] : sealed) {
    v1::PersonalValue* value = out->add_personal_data();
    value->set_path(path);
    if (!allowed) {
      value->mutable_value()->mutable_withheld()->set_reason(std::string(withheld));
      continue;
    }
    *value->mutable_value()->mutable_sealed() = *text;
    RETURN_IF_ERROR(
        ResolvePersonalField(value->mutable_value(), allowed, sealer, event.area_id(), shown));
  }
  return absl::OkStatus();
}

absl::Status ToStoredEvent(const store::RecordedEvent& recorded, bool allowed,
                           security::Sealer& sealer, v1::StoredEvent* out,
                           security::Disclosures& shown) {
  RETURN_IF_ERROR(ParseStoredEvent(recorded, out));
  return AddPersonalData(out, allowed, sealer, shown);
}

absl::StatusOr<bool> ErasedYouthsBirthdayFact(const v1::Event& event, security::Sealer& sealer) {
  const std::string* youth = event.has_eighteenth_birthday_near()
                                 ? &event.eighteenth_birthday_near().youth_id()
                             : event.has_consent_lapsed() ? &event.consent_lapsed().youth_id()
                                                          : nullptr;
  if (youth == nullptr || youth->empty()) return false;
  return sealer.Erased(*youth);
}

}  // namespace hotspot::queries
