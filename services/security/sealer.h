// Sealer: personal data (a youth's name, CPR number, birth date, address, and every free-text
// field about a youth) never stands in clear in an event. It is sealed with AES-256-GCM under the
// subject's data key (KeyStore); events hold only a SealedValue. Unseal() is the one way back, for
// the read side; after erasure it answers "erased" instead of the text.
//
// The associated data binds a sealed value to its key id and its field name, so a sealed address
// cannot be passed off as a name, nor one youth's value as another's.
//
// Thread-safety: safe for concurrent use (as its KeyStore is).
#ifndef HOTSPOT_SERVICES_SECURITY_SEALER_H_
#define HOTSPOT_SERVICES_SECURITY_SEALER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/security/key_store.h"

namespace hotspot::security {

// A sealed personal-data field, as an event holds it.
struct SealedValue {
  std::string key_id;      // the data subject's id: names the data key, is not personal data
  std::string ciphertext;  // version, nonce, ciphertext, tag
};

// A field read back: its text, or erased.
struct UnsealedValue {
  bool erased = false;
  std::string text;  // empty if erased
};

class Sealer {
 public:
  // `keys` is not owned and must outlive the Sealer.
  explicit Sealer(KeyStore* keys) : keys_(keys) {}

  // Seals `plaintext` as field `field` (e.g. "name", "address") of `subject`, creating the
  // subject's data key on first use. FAILED_PRECONDITION if the subject was erased;
  // INVALID_ARGUMENT for a malformed subject or an empty field name.
  absl::StatusOr<SealedValue> Seal(absl::string_view subject, absl::string_view field,
                                   absl::string_view plaintext);

  // Seals `plaintext` as field `field` once for all of `subjects`: under a new subject of
  // `category` that depends on each of them (KeyStore::NewDependentSubject), so that it reads
  // as erased as soon as any one of them is erased. FAILED_PRECONDITION if one was erased;
  // INVALID_ARGUMENT for a malformed id, no subjects or an empty field name.
  absl::StatusOr<SealedValue> SealForAll(absl::string_view category,
                                         absl::Span<const std::string> subjects,
                                         absl::string_view field, absl::string_view plaintext);

  // Makes `value` (made by SealForAll) read as erased once any of `subjects` is erased, too
  // (KeyStore::AddParents). FAILED_PRECONDITION if one of them, or `value`'s subject, was erased.
  absl::Status AlsoForAll(const SealedValue& value, absl::Span<const std::string> subjects) {
    return keys_->AddParents(value.key_id, subjects);
  }

  // A new subject id whose data key is durable already (KeyStore::ReserveSubject).
  absl::StatusOr<std::string> NewSubject(absl::string_view category);

  // The text of `value` as field `field`, or erased. NOT_FOUND if its key id never had a key;
  // DATA_LOSS if the value was altered or belongs to another field or subject.
  absl::StatusOr<UnsealedValue> Unseal(const SealedValue& value, absl::string_view field);

  // Unseals the values of one response (a batch of a history or a subscription): each data key
  // is asked of the key store once per Reader, not once per value, and the buffers are reused. A
  // Reader keeps the keys it was given: make one per response, not per call, so that an erasure
  // takes effect by the next response. Not thread-safe; must not outlive its Sealer.
  class Reader {
   public:
    explicit Reader(Sealer& sealer) : sealer_(&sealer) {}

    // Unseal()'s answer for `ciphertext` sealed under `key_id` as field `field`: true with the
    // text in `text`, false if the key was erased (`text` then empty); the same errors.
    absl::StatusOr<bool> Open(absl::string_view key_id, absl::string_view field,
                              absl::string_view ciphertext, std::string& text);

    Sealer& sealer() const { return *sealer_; }

   private:
    static constexpr size_t kMaxKeys = 256;  // past it, the keys are asked again
    Sealer* const sealer_;
    absl::flat_hash_map<std::string, absl::StatusOr<DataKey>> keys_;
    std::string associated_data_;
  };

  // Whether `subject` was erased (its key deleted); false for a subject that never had a key.
  // The key store's error if it cannot be read.
  absl::StatusOr<bool> Erased(absl::string_view subject) {
    absl::StatusOr<DataKey> key = keys_->KeyForReading(subject);
    if (absl::IsNotFound(key.status())) return false;
    if (!key.ok()) return key.status();
    return key->erased;
  }

  // The key store it seals with: for keys derived from the same master key (KeyStore::DeriveKey).
  const KeyStore& keys() const { return *keys_; }

 private:
  KeyStore* const keys_;
};

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_SEALER_H_
