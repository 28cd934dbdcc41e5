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
using common::wire::FindLast;
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

// The fields in clear of an event's kind that are personal data too: left out for a reader not
// allowed to see its personal data (AddPersonalData, AppendStoredEvent), unless the kind's bool
// field `unless` is set. By field numbers, from the kind's message inward.
struct PersonalInClear {
  int kind;
  std::vector<int> path;
  int unless = 0;
};
const std::vector<PersonalInClear>& PersonalFieldsInClear() {
  using v1::Event;
  static const std::vector<PersonalInClear>* const fields = new std::vector<PersonalInClear>{
      // Events of before sealed categories hold them in clear.
      {Event::kYouthReferredFieldNumber, {v1::YouthReferred::kConcernsFieldNumber}},
      {Event::kConcernSharedFieldNumber, {v1::ConcernShared::kConcernsFieldNumber}},
      // A consent's scope names it in someone's words.
      {Event::kConcernSharedFieldNumber, {v1::ConcernShared::kConsentScopeFieldNumber}},
      {Event::kConsentRecordedFieldNumber, {v1::ConsentRecorded::kScopeFieldNumber}},
      {Event::kConsentWithdrawnFieldNumber, {v1::ConsentWithdrawn::kScopeFieldNumber}},
      {Event::kConsentLapsedFieldNumber, {v1::ConsentLapsed::kScopeFieldNumber}},
      // Who gave a consent, and for which purpose: a third party's name and the family's
      // circumstances; and the youth's age, derived from the sealed birth date.
      {Event::kConsentRecordedFieldNumber, {v1::ConsentRecorded::kGivenByFieldNumber}},
      {Event::kConsentRecordedFieldNumber, {v1::ConsentRecorded::kPurposeFieldNumber}},
      {Event::kConsentRecordedFieldNumber, {v1::ConsentRecorded::kGiverAgeFieldNumber}},
      // An auditor's reasons, in clear in events of before sealed reasons (an automatic
      // refusal's are the rules' own words).
      {Event::kErasureApprovedFieldNumber, {v1::ErasureApproved::kReasonFieldNumber}},
      {Event::kErasureRefusedFieldNumber, {v1::ErasureRefused::kReasonFieldNumber},
       v1::ErasureRefused::kAutomaticFieldNumber},
  };
  return *fields;
}

// A frozen report's child-welfare figures, for a reader who may not see them.
const PersonalInClear& ChildWelfareFigures() {
  static const PersonalInClear* const figures = new PersonalInClear{
      v1::Event::kReportSubmittedFieldNumber,
      {v1::ReportSubmitted::kFiguresFieldNumber, v1::AreaDashboard::kChildWelfareFieldNumber}};
  return *figures;
}

// Clears `field` in `event` (a message), if its kind is set and `unless` is not.
void LeaveOut(v1::Event& event, const PersonalInClear& field) {
  if (event.kind_case() != field.kind) return;
  const auto* reflection = event.GetReflection();
  Message* message =
      reflection->MutableMessage(&event, v1::Event::descriptor()->FindFieldByNumber(field.kind));
  if (field.unless != 0) {
    const FieldDescriptor* unless = message->GetDescriptor()->FindFieldByNumber(field.unless);
    if (message->GetReflection()->GetBool(*message, unless)) return;
  }
  for (size_t i = 0; i < field.path.size(); ++i) {
    const FieldDescriptor* f = message->GetDescriptor()->FindFieldByNumber(field.path[i]);
    if (i + 1 == field.path.size()) {
      message->GetReflection()->ClearField(message, f);
    } else if (message->GetReflection()->HasField(*message, f)) {
      message = message->GetReflection()->MutableMessage(message, f);
    } else {
      return;
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

// For each field of v1::Event's `kind`, the number of its message's field `name` if that is a
// singular field of `type`. Made once per field from the descriptors, then only read.
absl::flat_hash_map<int, int>* KindFieldNumbers(absl::string_view name,
                                                FieldDescriptor::Type type) {
  auto* out = new absl::flat_hash_map<int, int>();
  const google::protobuf::OneofDescriptor* kinds = v1::Event::descriptor()->FindOneofByName("kind");
  for (int i = 0; kinds != nullptr && i < kinds->field_count(); ++i) {
    const Descriptor* message = kinds->field(i)->message_type();
    const FieldDescriptor* field =
        message == nullptr ? nullptr : message->FindFieldByName(std::string(name));
    if (field != nullptr && field->type() == type && !field->is_repeated()) {
      (*out)[kinds->field(i)->number()] = field->number();
    }
  }
  return out;
}

// Each kind's `legal_basis` field (an enum).
const absl::flat_hash_map<int, int>& LegalBasisFields() {
  static const absl::flat_hash_map<int, int>* const fields =
      KindFieldNumbers("legal_basis", FieldDescriptor::TYPE_ENUM);
  return *fields;
}

// Whether field `number` of v1::Event is one of its oneof `kind`.
bool IsKind(int number) {
  static const google::protobuf::OneofDescriptor* const kind =
      v1::Event::descriptor()->FindOneofByName("kind");
  const FieldDescriptor* f = v1::Event::descriptor()->FindFieldByNumber(number);
  return f != nullptr && f->containing_oneof() == kind;
}

// The field `number` of `type` if it is a message field whose type can hold a SealedText
// (TypesHoldingSealed), for every type a v1::Event reaches; nullptr otherwise. Made once, then
// only read: one lookup per field of a walk.
const FieldDescriptor* HoldingField(const Descriptor* type, int number) {
  static const absl::flat_hash_map<std::pair<const Descriptor*, int>, const FieldDescriptor*>* const
      fields = [] {
        auto* out =
            new absl::flat_hash_map<std::pair<const Descriptor*, int>, const FieldDescriptor*>();
        const absl::flat_hash_set<const Descriptor*>& holding = TypesHoldingSealed();
        for (const Descriptor* holder : holding) {
          for (int f = 0; f < holder->field_count(); ++f) {
            const FieldDescriptor* field = holder->field(f);
            if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                holding.contains(field->message_type())) {
              (*out)[{holder, field->number()}] = field;
            }
          }
        }
        return out;
      }();
  const auto it = fields->find(std::make_pair(type, number));
  return it == fields->end() ? nullptr : it->second;
}

// The fields walked from the event down to a value: each field and, if repeated, the element's
// index (-1 otherwise). Made into a path ("items[2].text") only for a sealed value found.
using WalkPath = std::vector<std::pair<const FieldDescriptor*, int>>;

std::string PathOf(const WalkPath& walk) {
  std::string path;
  for (const auto& [field, index] : walk) {
    if (!path.empty()) path.push_back('.');
    path.append(field->name());
    if (index >= 0) absl::StrAppend(&path, "[", index, "]");
  }
  return path;
}

bool FindSealedWire(const Descriptor* type, absl::string_view bytes, WalkPath& walk,
                    std::vector<std::pair<std::string, absl::string_view>>& out) {
  std::vector<std::pair<int, int>> seen;  // a repeated field's number, and its elements so far
  WireReader reader(bytes);
  WireField field;
  while (reader.Next(field)) {
    if (field.type != kLength) continue;
    const FieldDescriptor* f = HoldingField(type, field.number);
    if (f == nullptr) continue;
    int index = -1;
    if (f->is_repeated()) {
      auto it = std::find_if(seen.begin(), seen.end(),
                             [&](const auto& s) { return s.first == field.number; });
      if (it == seen.end()) it = seen.insert(seen.end(), {field.number, 0});
      index = it->second++;
    }
    walk.emplace_back(f, index);
    if (f->message_type() == v1::SealedText::descriptor()) {
      out.emplace_back(PathOf(walk), field.value);
    } else if (!FindSealedWire(f->message_type(), field.value, walk, out)) {
      return false;
    }
    walk.pop_back();
  }
  return !reader.failed();
}

// FindSealed over a message's wire form (`bytes`, of type `type`): each SealedText's path and
// bytes, in the order FindSealed lists them (fields by number, as C++ serializes them). False if
// the bytes are not a wire form.
bool FindSealedWire(const Descriptor* type, absl::string_view bytes,
                    std::vector<std::pair<std::string, absl::string_view>>& out) {
  WalkPath walk;
  return FindSealedWire(type, bytes, walk, out);
}

// Whether a SealedText's wire form holds a ciphertext (an empty one stands for a text not
// given); false if it is not a wire form.
bool HoldsCiphertext(absl::string_view sealed, bool& holds) {
  WireField field;
  const bool wire = FindLast(sealed, v1::SealedText::kCiphertextFieldNumber, kLength, field);
  holds = field.number != 0 && !field.value.empty();
  return wire;
}

absl::Status NotAnEvent(uint64_t position) {
  return absl::DataLossError(
      absl::StrCat("the event at position ", position, " is not a hotspot.v1.Event"));
}

}  // namespace

std::string EventFields::YouthNamed() const {
  // Each kind's `youth_id` field (a string).
  static const absl::flat_hash_map<int, int>* const youth_fields =
      KindFieldNumbers("youth_id", FieldDescriptor::TYPE_STRING);
  const auto it = youth_fields->find(kind);
  if (it == youth_fields->end()) return std::string();
  WireField youth;
  FindLast(kind_bytes, it->second, kLength, youth);
  return youth.number != 0 ? std::string(youth.value) : std::string();
}

absl::StatusOr<EventFields> ReadEventFields(const store::RecordedEvent& recorded) {
  EventFields fields;
  WireReader reader(recorded.payload);
  WireField field;
  while (reader.Next(field)) {
    const bool bytes = field.type == kLength;
    switch (field.number) {
      case v1::Event::kActorFieldNumber:
        if (bytes) fields.actor = field.value;
        break;
      case v1::Event::kRequestIdFieldNumber:
        if (bytes) fields.request_id = field.value;
        break;
      case v1::Event::kRequestDigestFieldNumber:
        ++fields.digests;
        fields.digest = field.whole;
        break;
      case v1::Event::kAreaIdFieldNumber:
        if (bytes) fields.area_id = field.value;
        break;
      default:
        if (bytes && IsKind(field.number)) {
          fields.kind = field.number;
          fields.kind_bytes = field.value;
        }
    }
  }
  if (reader.failed()) return NotAnEvent(recorded.position);
  return fields;
}

namespace {

// `message` (a wire form) without the field at `path` (field numbers, outermost first; every
// occurrence), appended to `out`. False if the bytes are not a wire form.
bool AppendWithout(absl::string_view message, const int* path, size_t depth, std::string& out) {
  WireReader reader(message);
  WireField field;
  while (reader.Next(field)) {
    if (field.number != path[0]) {
      out.append(field.whole.data(), field.whole.size());
    } else if (depth > 1 && field.type == kLength) {
      std::string inner;
      if (!AppendWithout(field.value, path + 1, depth - 1, inner)) return false;
      PutLength(out, field.number, inner);
    } else if (depth > 1) {
      out.append(field.whole.data(), field.whole.size());  // not a message: nothing inside
    }
  }
  return !reader.failed();
}

// Whether the bool field `number` of a message's wire form is set (the last one counts).
bool BoolSet(absl::string_view message, int number) {
  WireField field;
  return FindLast(message, number, kVarint, field) && field.number != 0 && field.varint != 0;
}

}  // namespace

absl::Status AppendStoredEvent(const store::RecordedEvent& recorded, const EventFields& fields,
                               const Showing& showing, security::Sealer::Reader& sealer,
                               std::string& out, security::Disclosures& shown) {
  // The event as stored, less what this reader is not shown: the request's digest, which never
  // leaves hotspotd, and for some readers personal data in clear. Copied without the digest only
  // when something else is left out too: otherwise the digest is skipped as the event is appended.
  absl::string_view event = recorded.payload;
  std::string stripped;
  const auto leave_out = [&](const std::vector<int>& path) {
    std::string without;
    if (!AppendWithout(event, path.data(), path.size(), without)) return false;
    stripped = std::move(without);
    event = stripped;
    return true;
  };
  std::vector<int> path;
  const auto leave_out_field = [&](const PersonalInClear& field) {
    if (field.kind != fields.kind) return true;
    if (field.unless != 0 && BoolSet(fields.kind_bytes, field.unless)) return true;
    path.assign(1, field.kind);
    path.insert(path.end(), field.path.begin(), field.path.end());
    return leave_out(path);
  };
  if (!showing.allowed) {
    for (const PersonalInClear& field : PersonalFieldsInClear()) {
      if (!leave_out_field(field)) return NotAnEvent(recorded.position);
    }
  }
  if (!showing.child_welfare && !leave_out_field(ChildWelfareFigures())) {
    return NotAnEvent(recorded.position);
  }
  // One digest in the payload as stored: skipped where it lies. Otherwise (more than one, or
  // after a copy) left out by a copy.
  absl::string_view skipped;
  if (fields.digests == 1 && event.data() == recorded.payload.data()) {
    skipped = fields.digest;
  } else if (fields.digests > 0 && !leave_out({v1::Event::kRequestDigestFieldNumber})) {
    return NotAnEvent(recorded.position);
  }
  uint64_t legal_basis = v1::LEGAL_BASIS_UNSPECIFIED;
  if (auto basis = LegalBasisFields().find(fields.kind); basis != LegalBasisFields().end()) {
    WireField field;
    if (!FindLast(fields.kind_bytes, basis->second, kVarint, field)) {
      return NotAnEvent(recorded.position);
    }
    if (field.number != 0) legal_basis = field.varint;
  }
  // (A digest is a top-level bytes field: the walk passes it by.)
  std::vector<std::pair<std::string, absl::string_view>> sealed;
  if (!FindSealedWire(v1::Event::descriptor(), event, sealed)) {
    return NotAnEvent(recorded.position);
  }

  using v1::StoredEvent;
  PutVarintField(out, StoredEvent::kPositionFieldNumber, recorded.position);
  PutStringField(out, StoredEvent::kStreamFieldNumber, recorded.stream);
  if (showing.stream_version) {
    PutVarintField(out, StoredEvent::kStreamVersionFieldNumber, recorded.stream_version);
  }
  PutStringField(out, StoredEvent::kEventIdFieldNumber, recorded.id.ToString());
  PutStringField(out, StoredEvent::kTypeFieldNumber, recorded.type);
  PutTimestamp(out, StoredEvent::kRecordedAtFieldNumber, recorded.recorded_at);
  PutTimestamp(out, StoredEvent::kOccurredAtFieldNumber, recorded.metadata.occurred_at);
  // Present, as ParseStoredEvent sets it.
  PutLength(out, StoredEvent::kActorFieldNumber, fields.actor);
  PutStringField(out, StoredEvent::kRequestIdFieldNumber, fields.request_id);
  PutVarintField(out, StoredEvent::kLegalBasisFieldNumber, legal_basis);
  if (skipped.empty()) {
    PutLength(out, StoredEvent::kEventFieldNumber, event);
  } else {
    // The event's bytes around the digest's, which lies within them.
    const size_t before = static_cast<size_t>(skipped.data() - event.data());
    const size_t after = before + skipped.size();
    common::wire::PutTag(out, StoredEvent::kEventFieldNumber, kLength);
    common::wire::PutVarint(out, event.size() - skipped.size());
    out.append(event.data(), before);
    out.append(event.data() + after, event.size() - after);
  }
  // Each PersonalValue built by hand, as ResolvePersonalField resolves it: in clear (its data
  // subject noted in `shown`), or withheld, for this reader or as erased (a key deleted, or never
  // made).
  const auto withheld_as = [](absl::string_view reason) {
    std::string withheld_reason, field;
    PutStringField(withheld_reason, v1::Withheld::kReasonFieldNumber, reason);
    PutLength(field, v1::PersonalField::kWithheldFieldNumber, withheld_reason);
    return field;
  };
  static const std::string* const erased = new std::string(withheld_as("erased"));
  const std::string withheld = showing.allowed ? std::string() : withheld_as(showing.withheld);
  std::string one, field, text;
  for (auto& [value_path, bytes] : sealed) {
    one.clear();
    PutStringField(one, v1::PersonalValue::kPathFieldNumber, value_path);
    if (!showing.allowed) {
      // Nothing of it is read but that it was given.
      bool given = false;
      if (!HoldsCiphertext(bytes, given)) return NotAnEvent(recorded.position);
      if (!given) continue;
      PutLength(one, v1::PersonalValue::kValueFieldNumber, withheld);
      PutLength(out, StoredEvent::kPersonalDataFieldNumber, one);
      continue;
    }
    // The SealedText's fields (the last of each, as a parse keeps).
    absl::string_view key_id, ciphertext, sealed_as;
    WireReader reader(bytes);
    WireField part;
    while (reader.Next(part)) {
      if (part.type != kLength) continue;
      if (part.number == v1::SealedText::kKeyIdFieldNumber) key_id = part.value;
      if (part.number == v1::SealedText::kCiphertextFieldNumber) ciphertext = part.value;
      if (part.number == v1::SealedText::kFieldFieldNumber) sealed_as = part.value;
    }
    if (reader.failed()) return NotAnEvent(recorded.position);
    if (ciphertext.empty()) continue;  // a text not given
    const absl::StatusOr<bool> opened = sealer.Open(key_id, sealed_as, ciphertext, text);
    if (!opened.ok() && !absl::IsNotFound(opened.status())) return opened.status();
    if (opened.ok() && *opened) {
      shown.Shown(key_id, fields.area_id, /*in_clear=*/true);
      field.clear();
      PutLength(field, v1::PersonalField::kTextFieldNumber, text);
      PutLength(one, v1::PersonalValue::kValueFieldNumber, field);
    } else {
      PutLength(one, v1::PersonalValue::kValueFieldNumber, *erased);
    }
    PutLength(out, StoredEvent::kPersonalDataFieldNumber, one);
  }
  PutStringField(out, StoredEvent::kHashFieldNumber, recorded.hash);
  return absl::OkStatus();
}

absl::StatusOr<bool> AppendAllowedStoredEvent(const store::RecordedEvent& recorded,
                                              security::Sealer::Reader& sealer, std::string& out,
                                              security::Disclosures& shown) {
  ASSIGN_OR_RETURN(const EventFields fields, ReadEventFields(recorded));
  ASSIGN_OR_RETURN(const bool hidden, ErasedYouthsBirthdayFact(fields, sealer.sealer()));
  if (hidden) return false;
  RETURN_IF_ERROR(AppendStoredEvent(recorded, fields, Showing(), sealer, out, shown));
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
    for (const PersonalInClear& field : PersonalFieldsInClear()) {
      LeaveOut(*out->mutable_event(), field);
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

absl::StatusOr<bool> ErasedYouthsBirthdayFact(const EventFields& fields, security::Sealer& sealer) {
  if (fields.kind != v1::Event::kEighteenthBirthdayNearFieldNumber &&
      fields.kind != v1::Event::kConsentLapsedFieldNumber) {
    return false;
  }
  const std::string youth = fields.YouthNamed();
  if (youth.empty()) return false;
  return sealer.Erased(youth);
}

}  // namespace hotspot::queries
