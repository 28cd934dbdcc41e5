// Stored events as the audit's histories and the subscriptions hand them out: the envelope
// (position, stream, times, actor, causation, legal basis, hash) and the event, with each sealed
// field listed once more as a PersonalValue that is unsealed only for a principal allowed to see
// it. As messages (ToStoredEvent), or as their wire form assembled around the stored bytes
// (AppendStoredEvent, AppendAllowedStoredEvent: no event parsed, nothing re-encoded).
//
// Thread-safety: stateless functions; the Sealer is thread-safe.
#ifndef HOTSPOT_SERVICES_QUERIES_STORED_EVENTS_H_
#define HOTSPOT_SERVICES_QUERIES_STORED_EVENTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotspot/v1/events.pb.h"
#include "hotspot/v1/stored_event.pb.h"
#include "services/security/disclosures.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::queries {

// `recorded` as a StoredEvent without its personal_data: the envelope and the event (its sealed
// values as they are stored), without the event's request_digest, which never leaves hotspotd
// (security::RequestDigester). Every path that hands stored events out starts here. DATA_LOSS if
// the payload is not an Event.
absl::Status ParseStoredEvent(const store::RecordedEvent& recorded, v1::StoredEvent* out);

// Adds each sealed value of `out`'s event as a PersonalValue: unsealed if `allowed` ("erased"
// after erasure), withheld with `withheld` as its reason otherwise ("not_recipient" for a reader
// of the youth who is not this event's recipient); each data subject whose data came out in
// clear is noted in `shown`. DATA_LOSS if a sealed value does not open.
absl::Status AddPersonalData(v1::StoredEvent* out, bool allowed, security::Sealer& sealer,
                             security::Disclosures& shown,
                             absl::string_view withheld = "not_allowed");

// Both: `recorded` as a StoredEvent, into `out` (which may live on an arena: nothing is copied that
// need not be); its personal data unsealed if `allowed` ("erased" after erasure), withheld
// "not_allowed" otherwise; each data subject whose data came out in clear is noted in `shown`.
// DATA_LOSS if the payload is not an Event or a sealed value does not open.
absl::Status ToStoredEvent(const store::RecordedEvent& recorded, bool allowed,
                           security::Sealer& sealer, v1::StoredEvent* out,
                           security::Disclosures& shown);

// An event's top-level fields, read from its stored payload's wire form without parsing it into a
// message: what the subscriptions filter on and the wire form is assembled from. Views into the
// payload, which must outlive them.
struct EventFields {
  int kind = 0;                  // the number of v1::Event's `kind` field that is set; 0 if none
  absl::string_view kind_bytes;  // that field's message, as stored
  absl::string_view actor;       // v1::Actor's wire form
  absl::string_view request_id;
  absl::string_view area_id;
  // The request_digest fields it holds (one for an event of a command), and the last of them as
  // stored (its tag and value).
  int digests = 0;
  absl::string_view digest;

  // The `youth_id` the kind's message names ("" if none), as projections::YouthNamedBy gives it.
  std::string YouthNamed() const;
};

// `recorded`'s payload's top-level fields. DATA_LOSS naming its position if the payload is not a
// wire form.
absl::StatusOr<EventFields> ReadEventFields(const store::RecordedEvent& recorded);

// How a reader is shown a stored event in its wire form (AppendStoredEvent).
struct Showing {
  // Its personal data unsealed. Otherwise each sealed value is listed withheld with `withheld`
  // as its reason, and the event's fields in clear that are personal data too are left out, as
  // AddPersonalData leaves them out. Default: true.
  bool allowed = true;
  // The reason a withheld value gives. Default: "not_allowed".
  absl::string_view withheld = "not_allowed";
  // The event's stream_version. Default: shown.
  bool stream_version = true;
  // A frozen report's child-welfare figures (report_submitted.figures.child_welfare).
  // Default: shown.
  bool child_welfare = true;
};

// The wire form of the v1::StoredEvent that ToStoredEvent builds, shown as `showing` says,
// appended to `out` without parsing the event into a message (`fields` are the payload's, from
// ReadEventFields). The envelope is encoded around the stored payload, which is copied as it is
// less its request_digest (and the fields `showing` leaves out); each sealed value is found by a
// walk of the wire bytes guided by the schema (into message types that can hold one), then
// unsealed as AddPersonalData unseals it (noting its data subject in `shown`), or listed
// withheld. It does not leave out an erased youth's birthday fact: ask ErasedYouthsBirthdayFact.
// DATA_LOSS if the payload is not an Event's wire form or a sealed value does not open; the key
// store's error if it cannot be read.
absl::Status AppendStoredEvent(const store::RecordedEvent& recorded, const EventFields& fields,
                               const Showing& showing, security::Sealer::Reader& sealer,
                               std::string& out, security::Disclosures& shown);

// The wire form, for a reader allowed to see the personal data (the audit's history): appends to
// `out` the bytes of the v1::StoredEvent that ToStoredEvent(recorded, /*allowed=*/true, ...)
// builds, without parsing the event into a message. The envelope is encoded around the stored
// payload, which is copied as it is (less its request_digest field); the event's actor, request
// id, area and legal basis are read from its wire fields, and each sealed value is found by a
// walk of the wire bytes guided by the schema (into message types that can hold one), then
// unsealed as AddPersonalData unseals it, noting its data subject in `shown`. Returns false and
// appends nothing for an erased youth's birthday fact (ErasedYouthsBirthdayFact), which the read
// side hands out no more; true otherwise. DATA_LOSS if the payload is not an Event's wire form
// or a sealed value does not open; the key store's error if it cannot be read.
absl::StatusOr<bool> AppendAllowedStoredEvent(const store::RecordedEvent& recorded,
                                              security::Sealer::Reader& sealer, std::string& out,
                                              security::Disclosures& shown);

// True for a fact dated by the youth's birthday (EighteenthBirthdayNear, ConsentLapsed) of a
// youth who was erased: its time tells the birth date, so the read side hands it out no more
// (history, subscriptions). False for any other event, or a youth whose key stands. The key
// store's error if it cannot be read.
absl::StatusOr<bool> ErasedYouthsBirthdayFact(const v1::Event& event, security::Sealer& sealer);
absl::StatusOr<bool> ErasedYouthsBirthdayFact(const EventFields& fields, security::Sealer& sealer);

}  // namespace hotspot::queries

#endif  // HOTSPOT_SERVICES_QUERIES_STORED_EVENTS_H_
