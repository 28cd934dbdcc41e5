// KeyStore: the data keys that seal each data subject's personal data (one youth, one key), kept
// apart from the event log, wrapped by a master key.
//
// Layout. A store::KvStore of its own (not the event store's; RocksDB, <data_dir>/keys):
//   subject                  -> 0x01 the data key sealed with the master key (AES-256-GCM,
//                               associated data = the subject id)
//                             | 0x02 the erasure's time (decimal Unix microseconds): erased
//   parent 0x00 dependent    -> ""   a dependent subject's link (see NewDependentSubject)
// Subject ids hold no 0x00, so a link's key is never a subject's. Stores written before links
// existed hold subject records only and read as before.
// A new key must be durable before any event sealed under it can reach the disk: either each
// new key is written and synced at once, or (KeyStoreOptions::defer_new_keys) new keys wait in
// memory until Sync() writes them all in one synced batch, which the owner runs before the
// events are written (hotspotd: the event store's before_write hook).
//
// The master key is 32 random bytes in a file of hex text, readable by its owner only (0600).
// Open() creates it if asked to and it is missing; it refuses a file that group or others can read.
//
// Erasure (GDPR Art. 17) deletes the subject's data key: what was sealed under it can never be
// read again, while the events that hold it stay intact and verifiable. Erase() replaces the key
// with a marker, then flushes and compacts so that no file of the store holds the key any more.
// A dependent subject (e.g. one read's purpose, sealed once for every youth the read showed) is
// erased with the first of its parents: Erase(parent) replaces the parent's key and every
// dependent's key with markers, and drops the parent's links, in one synced batch, so a crash
// leaves either all of them or none erased, and erasing again finishes the purge.
//
// Failure (the RocksDB engine of store::KvStore, store::internal::RecoveringDb). A write or fsync that fails (an I/O error, a full
// disk) fails its call (INTERNAL; RESOURCE_EXHAUSTED for a full disk; new keys then stay
// pending for the next Sync()), and every writing call after it fails at once with that error,
// until the store has recovered by itself, without a restart: on the next writing call (then at
// most every 10 ms, doubling up to 1 s, while it still fails) it writes and fsyncs a probe file,
// and once the disk takes it, closes its database and opens it again, and that call goes on.
// Reads (KeyForReading, and KeyForSealing of a subject that has a key) go on throughout. What a
// failed write left in the write-ahead log may be in the store after the reopening: a key that
// was never handed out (harmless), or an erasure that was answered with an error (erase again);
// the keys cached in memory are read again from the reopened store. Every acknowledged key
// (a KeyForSealing without defer_new_keys, a Sync(), a reservation) survives.
//
// Thread-safety: safe for concurrent use. Concurrent first uses of one subject get one key.
#ifndef HOTSPOT_SERVICES_SECURITY_KEY_STORE_H_
#define HOTSPOT_SERVICES_SECURITY_KEY_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "store/kv_store.h"
#include "store/memory_budget.h"

namespace hotspot::security {

struct KeyStoreOptions {
  // The master key file. Required.
  std::string master_key_file;
  // Create the master key file (0600) and the store if missing. For the embedded default; a
  // production deployment provisions its master key and sets this to false. Default: true.
  bool create_if_missing = true;
  // Keep new keys in memory until Sync() writes them in one synced batch; the owner must call
  // Sync() before anything sealed under a new key can reach the disk. False: each new key is
  // written and synced at once. Default: false.
  bool defer_new_keys = false;
  // fsync key writes. Off only for tests and benchmarks, like the event store's. Default: true.
  bool sync = true;
  // Subject ids (and their keys) reserved with one write, for ReserveSubject. Default: 256.
  size_t reserved_keys = 256;
  // Data keys kept unwrapped in memory. Default: 100,000.
  size_t cache_entries = 100'000;
  // The memory budget its RocksDB caches and memtables count against (see store::MemoryBudget).
  // Default: null, store::MemoryBudget::ProcessDefault().
  std::shared_ptr<store::MemoryBudget> memory;
  // The RocksDB environment (file system, threads); not owned, must outlive the store. For tests
  // that inject faults (a power loss). Default: nullptr, RocksDB's default environment.
  rocksdb::Env* env = nullptr;
};

// A subject's data key, or the fact that it was erased.
struct DataKey {
  bool erased = false;
  std::string key;  // kKeyBytes raw bytes; empty if erased
};

class KeyStore {
 public:
  // Opens (creating as allowed) the key store in `directory` with the master key from
  // options.master_key_file. INVALID_ARGUMENT for a missing file name or a master key file of
  // the wrong form; FAILED_PRECONDITION if the master key file is readable by group or others;
  // NOT_FOUND if the file or the store is missing and create_if_missing is off; DATA_LOSS if the
  // store's keys do not open with this master key; INTERNAL for I/O errors.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Open(KeyStoreOptions options,
                                                        const std::string& directory);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // The subject's data key, created on first use. FAILED_PRECONDITION if the subject was erased
  // (nothing new may be sealed for it); INVALID_ARGUMENT for a malformed subject id.
  absl::StatusOr<std::string> KeyForSealing(absl::string_view subject);

  // The subject's data key for reading, or erased. NOT_FOUND if the subject never had a key;
  // DATA_LOSS if the stored key does not open with the master key.
  absl::StatusOr<DataKey> KeyForReading(absl::string_view subject);

  // How many stored data keys were unwrapped with the master key since the store was opened.
  // An unwrapped key is kept in memory (up to options.cache_entries) until the database is
  // reopened, so that a read unwraps each key once, not once per sealed field.
  uint64_t unwraps() const;

  // A fresh subject id "<category>-<UUIDv7>" whose data key exists and is durable already, so
  // that sealing a new subject's data costs no write: ids come from a stock that is refilled,
  // options.reserved_keys at a time, with one synced batch. Never the same id twice. Ids
  // reserved but never used leave unused keys behind (at most one stock per open).
  // INVALID_ARGUMENT for a malformed category; INTERNAL for I/O errors.
  absl::StatusOr<std::string> ReserveSubject(absl::string_view category);

  // A fresh subject id "<category>-<UUIDv7>" with a new data key that depends on each of
  // `parents`: erasing any parent erases it too (see Erase). Each parent without a key is given
  // one. The key and the links (and parents' new keys) are written in one synced batch before
  // it returns, whatever defer_new_keys says, so whatever is sealed under it never outlives a
  // link. FAILED_PRECONDITION if a parent was erased (nothing new may depend on it);
  // INVALID_ARGUMENT for a malformed category or parent, or no parents; INTERNAL for I/O errors.
  absl::StatusOr<std::string> NewDependentSubject(absl::string_view category,
                                                  absl::Span<const std::string> parents);

  // Makes `dependent` (a subject made by NewDependentSubject) depend on each of `parents` as
  // well, in one synced batch; parents linked already are skipped, parents without a key are
  // given one. FAILED_PRECONDITION if a parent or the dependent was erased; NOT_FOUND if the
  // dependent has no key; INVALID_ARGUMENT for a malformed id; INTERNAL for I/O errors.
  absl::Status AddParents(absl::string_view dependent, absl::Span<const std::string> parents);

  // Writes the keys created since the last Sync() (with defer_new_keys) in one synced batch;
  // returns at once if there are none. INTERNAL for I/O errors, RESOURCE_EXHAUSTED for a full
  // disk (the keys stay pending; see Failure).
  absl::Status Sync();

  // Deletes the subject's data key, and the keys of its dependents, for good, and purges them
  // from the store's files. Idempotent. NOT_FOUND if the subject never had a key.
  absl::Status Erase(absl::string_view subject);

  // A key for `purpose` (e.g. "duplicates.v1"), derived from the master key with HMAC-SHA-256
  // (domain-separated from the data keys): the same for the same master key and purpose, never
  // written anywhere. For keyed hashes of derived data (the duplicate index) that must not be
  // computable by whoever reads the data directory without the master key. A new master key
  // gives new derived keys: what was hashed under the old ones must then be rebuilt.
  // INVALID_ARGUMENT for an empty purpose; INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> DeriveKey(absl::string_view purpose) const;

  // Writes a consistent copy of the key store (wrapped keys only; the master key is not in it)
  // to `directory`, which must not exist, after syncing new keys. INTERNAL for I/O errors,
  // RESOURCE_EXHAUSTED for a full disk; while the store refuses writes (see Failure), its failure.
  absl::Status Checkpoint(const std::string& directory);

 private:
  struct Impl;
  explicit KeyStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Subject ids are pseudonymous ids such as "youth-3f2a...": [A-Za-z0-9_.:-], 1 to 200 bytes.
absl::Status ValidateSubject(absl::string_view subject);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_KEY_STORE_H_
