// Disclosures: which youths one answer showed, and whether any of their personal data came out
// in clear. A read fills them in the one place where personal data is unsealed
// (queries/personal_data.h); the call runner hands exactly those to an AccessRecorder (the
// audit's access log) before the answer is sent. Nothing looks through an answer afterwards.
//
// Purposes. Every read of a youth's data says why: a code from the controlled list
// (hotspot.v1.Purpose, options.proto) and an optional free text, "<code>[: <free text>]", e.g.
// "meeting_preparation: weekly task force". The access log keeps the free text sealed so that it
// is erased with any youth the call showed: once per call (CallSeal), under a key of the call's
// own that the key store erases with each of them.
//
// Thread-safety: Disclosures is a value for one answer (not for concurrent use); ParsePurpose is
// a pure function; AccessRecorder implementations must be safe for concurrent use.
#ifndef HOTSPOT_SERVICES_SECURITY_DISCLOSURES_H_
#define HOTSPOT_SERVICES_SECURITY_DISCLOSURES_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "hotspot/v1/audit_service.pb.h"
#include "hotspot/v1/options.pb.h"
#include "services/security/principal.h"

namespace hotspot::security {

// How one call's free text is sealed, shared by the copies of its Purpose (ParsePurpose makes
// one per parsed text), so that every answer of a call (a stream's batches) seals it under one
// key erased with every youth that call showed. The access log's to fill in.
struct CallSeal {
  absl::Mutex mu;
  std::string key_id ABSL_GUARDED_BY(mu);      // the call's subject; "" until the first answer
  std::string ciphertext ABSL_GUARDED_BY(mu);  // the text sealed under it
  std::set<std::string> youths ABSL_GUARDED_BY(mu);  // those the key is erased with
  bool withheld ABSL_GUARDED_BY(mu) = false;         // a youth of the call was erased: no text kept
};

// Why a caller reads.
struct Purpose {
  v1::Purpose code = v1::PURPOSE_UNSPECIFIED;
  std::string text;  // optional free text (UTF-8); may name people, so it is sealed when kept
  // Null: each answer's records are sealed on their own (one youth: its key; several: a key of
  // the answer's own, erased with each of them).
  std::shared_ptr<CallSeal> seal;
};

inline constexpr size_t kMaxPurposeBytes = 500;

// "<code>" or "<code>: <free text>" (the space is optional: "<code>:<text>" is the same; the text
// is trimmed, and may be empty), where the code is a hotspot.v1.Purpose value's name in lower
// case without "PURPOSE_" (e.g. "case_coordination"), as the README documents. INVALID_ARGUMENT
// naming "purpose" for an empty value, a code outside the list, more than kMaxPurposeBytes,
// text that is not UTF-8 or holds control characters.
absl::StatusOr<Purpose> ParsePurpose(absl::string_view value);

// "case_coordination" for PURPOSE_CASE_COORDINATION.
std::string PurposeName(v1::Purpose code);

class Disclosures {
 public:
  // The answer shows youth `youth_id` (of `area_id`, "" if not known); `in_clear`: some of its
  // personal data was unsealed for the caller. Repeated calls merge: in clear once, in clear.
  // An empty youth id is ignored.
  void Shown(absl::string_view youth_id, absl::string_view area_id, bool in_clear);

  // Adds every youth of `other`.
  void Merge(const Disclosures& other);

  // One record per youth shown, in youth id order: youth_id, area_id and
  // personal_data_disclosed set; who, why and the call are the recorder's to fill in.
  std::vector<v1::AccessRecord> Records() const;

  bool empty() const { return youths_.empty(); }
  // Whether `youth_id` was shown in clear.
  bool InClear(absl::string_view youth_id) const;

 private:
  struct Entry {
    std::string area_id;
    bool in_clear = false;
  };
  std::map<std::string, Entry, std::less<>> youths_;
};

// An answer together with the disclosures it made: what a read handler returns.
template <typename Response>
struct Disclosed {
  Response answer;
  Disclosures disclosures;
};

// Where the access records of answers go (the audit's access log).
class AccessRecorder {
 public:
  virtual ~AccessRecorder() = default;
  // Writes `records` as reads (or, with `refused` set on them, refused attempts) by `who` through
  // `call` (e.g. "hotspot.v1.QueryService/GetCase") for `purpose`, durably enough that a crash
  // of the process loses none (see the implementation). The write's error if it fails: the
  // caller must then not send the answer.
  virtual absl::Status Record(const security::Principal& who, absl::string_view call,
                              const Purpose& purpose, std::vector<v1::AccessRecord> records) = 0;
};

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_DISCLOSURES_H_
