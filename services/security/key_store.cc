#include "services/security/key_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/security/aead.h"
#include "services/security/owner_only_file.h"
#include "store/event_id.h"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

constexpr char kWrappedKey = 1;
constexpr char kErased = 2;

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status CreateMasterKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, internal::RandomBytes(internal::kKeyBytes));
  return internal::WriteOwnerOnlyFile(path, absl::BytesToHexString(key) + "\n",
                                      internal::Existing::kFail);
}

absl::StatusOr<std::string> LoadMasterKey(const std::string& path, bool create_if_missing) {
  if (path.empty()) return absl::InvalidArgumentError("master_key_file: must be set");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoError("reading the master key file", path);
    if (!create_if_missing) {
      return absl::NotFoundError(absl::StrCat("master_key_file: ", path, " does not exist"));
    }
    RETURN_IF_ERROR(CreateMasterKeyFile(path));
    if (stat(path.c_str(), &st) != 0) return ErrnoError("reading the master key file", path);
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("master_key_file: ", path, " is readable by group or others; chmod 600 it"));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string hex(absl::StripAsciiWhitespace(text.str()));
  if (hex.size() != 2 * internal::kKeyBytes ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("master_key_file: ", path, " must hold ",
                                                   2 * internal::kKeyBytes, " hex digits"));
  }
  return absl::HexStringToBytes(hex);
}

// A link's key: the parent, 0x00, the dependent (subject ids hold no 0x00).
std::string LinkPrefix(absl::string_view parent) {
  return absl::StrCat(parent, absl::string_view("\0", 1));
}
std::string LinkKey(absl::string_view parent, absl::string_view dependent) {
  return absl::StrCat(LinkPrefix(parent), dependent);
}

}  // namespace

absl::Status ValidateSubject(absl::string_view subject) {
  if (subject.empty() || subject.size() > 200) {
    return absl::InvalidArgumentError("subject: must be 1 to 200 bytes");
  }
  for (char c : subject) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      return absl::InvalidArgumentError("subject: only A-Z a-z 0-9 _ . : - are allowed");
    }
  }
  return absl::OkStatus();
}

struct KeyStore::Impl {
  KeyStoreOptions options;
  std::string master_key;
  std::unique_ptr<store::KvStore> db;

  absl::Mutex mu;
  absl::flat_hash_map<std::string, DataKey> cache ABSL_GUARDED_BY(mu);
  // The database's generation the cache was read from: after a reopening, a failed erasure may
  // have reached the store after all, so the cache is read again.
  uint64_t cache_generation ABSL_GUARDED_BY(mu) = 0;
  uint64_t unwraps ABSL_GUARDED_BY(mu) = 0;  // KeyStore::unwraps()

  ~Impl() {
    db.reset();
    std::fill(master_key.begin(), master_key.end(), '\0');
  }

  void Remember(const std::string& subject, DataKey key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (cache.size() >= options.cache_entries) cache.clear();
    cache[subject] = std::move(key);
  }

  // What the store holds for the subject: NOT_FOUND if nothing.
  absl::StatusOr<DataKey> Load(const std::string& subject) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (const uint64_t generation = db->generation(); generation != cache_generation) {
      cache.clear();
      cache_generation = generation;
    }
    if (auto it = cache.find(subject); it != cache.end()) return it->second;
    std::string value;
    if (auto it = pending.find(subject); it != pending.end()) {
      value = it->second;
    } else {
      std::optional<std::string> stored;
      RETURN_IF_ERROR(db->Read(nullptr, [&](store::KvReader& reader) -> absl::Status {
        ASSIGN_OR_RETURN(stored, reader.Get(subject));
        return absl::OkStatus();
      }));
      if (!stored.has_value()) {
        return absl::NotFoundError(absl::StrCat("no data key for ", subject));
      }
      value = *std::move(stored);
    }
    DataKey key;
    if (!value.empty() && value[0] == kErased) {
      key.erased = true;
    } else if (!value.empty() && value[0] == kWrappedKey) {
      ASSIGN_OR_RETURN(key.key, internal::Open(master_key, subject, value.substr(1)));
      ++unwraps;
    } else {
      return absl::DataLossError(absl::StrCat("the data key record of ", subject, " is malformed"));
    }
    Remember(subject, key);
    return key;
  }

  absl::Status Put(const std::string& subject, const std::string& value) {
    store::KvBatch batch;
    batch.Put(subject, value);
    return Write(batch, "a data key");
  }

  // Writes `batch`, synced unless options.sync is off.
  absl::Status Write(const store::KvBatch& batch, absl::string_view what) {
    return db->Write(batch, options.sync, absl::StrCat("writing ", what));
  }

  // Durable keys of subjects not handed out yet, per category (see ReserveSubject).
  absl::flat_hash_map<std::string, std::vector<std::string>> stock ABSL_GUARDED_BY(mu);

  // With options.defer_new_keys: new keys' records, not written yet (see Sync).
  absl::flat_hash_map<std::string, std::string> pending ABSL_GUARDED_BY(mu);
  // Held by Sync() and Erase(), so that an erasure never lands before a pending key's write;
  // shared by NewDependentSubject() and AddParents(), so that no link is written while an
  // erasure runs.
  absl::Mutex sync_mu ABSL_ACQUIRED_BEFORE(mu);

  // Writes `batch` with the links of `dependent` to each of `parents`, and the key of each
  // parent that has none yet, in one synced write. FAILED_PRECONDITION if a parent was erased.
  // The caller holds sync_mu (shared at least).
  absl::Status WriteLinks(const std::string& dependent, absl::Span<const std::string> parents,
                          store::KvBatch& batch) ABSL_LOCKS_EXCLUDED(mu) {
    std::map<std::string, std::string> parent_keys;  // pending records written with the links
    {
      absl::MutexLock lock(&mu);
      for (const std::string& parent : parents) {
        RETURN_IF_ERROR(ValidateSubject(parent));
        absl::StatusOr<DataKey> key = Load(parent);
        if (absl::IsNotFound(key.status())) {
          // Made as KeyForSealing makes it (pending), so that concurrent first uses get one key.
          ASSIGN_OR_RETURN(std::string raw, internal::RandomBytes(internal::kKeyBytes));
          ASSIGN_OR_RETURN(std::string wrapped, internal::Seal(master_key, parent, raw));
          pending[parent] = std::string(1, kWrappedKey) + wrapped;
          Remember(parent, DataKey{false, std::move(raw)});
        } else if (!key.ok()) {
          return key.status();
        } else if (key->erased) {
          return absl::FailedPreconditionError(
              absl::StrCat("the data of ", parent, " was erased; nothing new may depend on it"));
        }
        if (auto it = pending.find(parent); it != pending.end()) {
          parent_keys[parent] = it->second;
        }
        batch.Put(LinkKey(parent, dependent), "");
      }
    }
    for (const auto& [parent, record] : parent_keys) batch.Put(parent, record);
    RETURN_IF_ERROR(Write(batch, "links of data keys"));
    absl::MutexLock lock(&mu);
    for (const auto& [parent, record] : parent_keys) {
      if (auto it = pending.find(parent); it != pending.end() && it->second == record) {
        pending.erase(it);
      }
    }
    return absl::OkStatus();
  }
};

KeyStore::KeyStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeyStore::~KeyStore() = default;

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(KeyStoreOptions options,
                                                         const std::string& directory) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->master_key,
                   LoadMasterKey(options.master_key_file, options.create_if_missing));
  impl->options = std::move(options);
  store::RocksKvOptions db_options;
  db_options.name = "the key store";
  db_options.create_if_missing = impl->options.create_if_missing;
  db_options.env = impl->options.env;
  db_options.memory = impl->options.memory;
  absl::StatusOr<std::unique_ptr<store::KvStore>> db =
      store::OpenRocksKvStore(std::move(db_options), directory);
  if (absl::IsInvalidArgument(db.status()) && !impl->options.create_if_missing) {
    return absl::NotFoundError(absl::StrCat("no key store in ", directory));
  }
  RETURN_IF_ERROR(db.status());
  impl->db = *std::move(db);

  // A store whose keys do not open with this master key is the wrong pairing: say so now.
  RETURN_IF_ERROR(impl->db->Read(nullptr, [&](store::KvReader& reader) -> absl::Status {
    std::unique_ptr<store::KvIterator> it = reader.Seek("");
    for (; it->Valid(); it->Next()) {
      if (it->value().empty() || it->value()[0] != kWrappedKey) continue;
      absl::StatusOr<std::string> key =
          internal::Open(impl->master_key, it->key(), it->value().substr(1));
      if (!key.ok()) {
        return absl::DataLossError(
            absl::StrCat("the key store in ", directory,
                         " does not open with this master key: ", key.status().message()));
      }
      break;
    }
    return it->status();
  }));
  return std::unique_ptr<KeyStore>(new KeyStore(std::move(impl)));
}

absl::StatusOr<std::string> KeyStore::KeyForSealing(absl::string_view subject_view) {
  RETURN_IF_ERROR(ValidateSubject(subject_view));
  const std::string subject(subject_view);
  absl::MutexLock lock(&impl_->mu);
  absl::StatusOr<DataKey> existing = impl_->Load(subject);
  if (existing.ok()) {
    if (existing->erased) {
      return absl::FailedPreconditionError(
          absl::StrCat("the data of ", subject, " was erased; nothing new may be sealed for it"));
    }
    return existing->key;
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  ASSIGN_OR_RETURN(std::string key, internal::RandomBytes(internal::kKeyBytes));
  ASSIGN_OR_RETURN(std::string wrapped, internal::Seal(impl_->master_key, subject, key));
  std::string record = std::string(1, kWrappedKey) + wrapped;
  if (impl_->options.defer_new_keys) {
    impl_->pending[subject] = std::move(record);
  } else {
    RETURN_IF_ERROR(impl_->Put(subject, record));
  }
  impl_->Remember(subject, DataKey{false, key});
  return key;
}

absl::StatusOr<DataKey> KeyStore::KeyForReading(absl::string_view subject) {
  RETURN_IF_ERROR(ValidateSubject(subject));
  absl::MutexLock lock(&impl_->mu);
  return impl_->Load(std::string(subject));
}

uint64_t KeyStore::unwraps() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->unwraps;
}

absl::StatusOr<std::string> KeyStore::ReserveSubject(absl::string_view category) {
  RETURN_IF_ERROR(ValidateSubject(category));
  {
    absl::MutexLock lock(&impl_->mu);
    auto& ids = impl_->stock[category];
    if (!ids.empty()) {
      std::string id = std::move(ids.back());
      ids.pop_back();
      return id;
    }
  }
  // Refill: new keys for new ids, written with one synced batch, then shared out. Concurrent
  // refills may both write; every id is still handed out once.
  const size_t count = std::max<size_t>(1, impl_->options.reserved_keys);
  store::KvBatch batch;
  std::vector<std::pair<std::string, std::string>> made;  // id, raw key
  for (size_t i = 0; i < count; ++i) {
    std::string id = absl::StrCat(category, "-", store::EventId::Generate().ToString());
    ASSIGN_OR_RETURN(std::string key, internal::RandomBytes(internal::kKeyBytes));
    ASSIGN_OR_RETURN(std::string wrapped, internal::Seal(impl_->master_key, id, key));
    batch.Put(id, std::string(1, kWrappedKey) + wrapped);
    made.emplace_back(std::move(id), std::move(key));
  }
  RETURN_IF_ERROR(impl_->Write(batch, "data keys"));
  absl::MutexLock lock(&impl_->mu);
  auto& ids = impl_->stock[category];
  for (size_t i = 1; i < made.size(); ++i) {
    impl_->Remember(made[i].first, DataKey{false, made[i].second});
    ids.push_back(made[i].first);
  }
  impl_->Remember(made[0].first, DataKey{false, made[0].second});
  return made[0].first;
}

absl::Status KeyStore::Sync() {
  absl::MutexLock sync_lock(&impl_->sync_mu);
  absl::flat_hash_map<std::string, std::string> batch_keys;
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->pending.empty()) return absl::OkStatus();
    batch_keys = impl_->pending;  // they stay pending (and readable) until written
  }
  store::KvBatch batch;
  for (const auto& [subject, record] : batch_keys) batch.Put(subject, record);
  RETURN_IF_ERROR(impl_->Write(batch, "data keys"));
  absl::MutexLock lock(&impl_->mu);
  for (const auto& [subject, record] : batch_keys) impl_->pending.erase(subject);
  return absl::OkStatus();
}

absl::Status KeyStore::Erase(absl::string_view subject_view) {
  RETURN_IF_ERROR(ValidateSubject(subject_view));
  const std::string subject(subject_view);
  absl::MutexLock sync_lock(&impl_->sync_mu);
  absl::MutexLock lock(&impl_->mu);
  const absl::StatusOr<DataKey> own = impl_->Load(subject);
  if (!own.ok() && !absl::IsNotFound(own.status())) return own.status();
  // The dependents' links (none written since: NewDependentSubject and AddParents hold sync_mu).
  std::vector<std::string> dependents;
  const std::string prefix = LinkPrefix(subject);
  RETURN_IF_ERROR(impl_->db->Read(nullptr, [&](store::KvReader& reader) {
    std::unique_ptr<store::KvIterator> it = reader.Seek(prefix);
    for (; it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
      dependents.emplace_back(it->key().substr(prefix.size()));
    }
    return it->status();
  }));
  if (!own.ok() && dependents.empty()) return own.status();
  std::string marker(1, kErased);
  absl::StrAppend(&marker, absl::ToUnixMicros(absl::Now()));
  // The subject's marker, its dependents' markers and the links' deletions: one batch, so
  // that a crash leaves all or none of them, and erasing again finds what is left to purge.
  store::KvBatch batch;
  std::vector<std::string> erased;
  if (!own.ok() || !own->erased) erased.push_back(subject);
  for (const std::string& dependent : dependents) {
    batch.Delete(LinkKey(subject, dependent));
    const absl::StatusOr<DataKey> key = impl_->Load(dependent);
    if (!key.ok() && !absl::IsNotFound(key.status())) return key.status();
    if (key.ok() && !key->erased) erased.push_back(dependent);
  }
  for (const std::string& each : erased) batch.Put(each, marker);
  RETURN_IF_ERROR(impl_->db->Write(batch, impl_->options.sync, "erasing data keys"));
  for (const std::string& each : erased) {
    impl_->pending.erase(each);  // never to be written now
    impl_->Remember(each, DataKey{true, ""});
  }
  // The old values leave every file of the store.
  return impl_->db->Purge();
}

absl::StatusOr<std::string> KeyStore::NewDependentSubject(absl::string_view category,
                                                          absl::Span<const std::string> parents) {
  RETURN_IF_ERROR(ValidateSubject(category));
  if (parents.empty()) return absl::InvalidArgumentError("parents: must not be empty");
  const std::string id = absl::StrCat(category, "-", store::EventId::Generate().ToString());
  ASSIGN_OR_RETURN(std::string key, internal::RandomBytes(internal::kKeyBytes));
  ASSIGN_OR_RETURN(std::string wrapped, internal::Seal(impl_->master_key, id, key));
  store::KvBatch batch;
  batch.Put(id, std::string(1, kWrappedKey) + wrapped);
  // Shared: dependents are made concurrently, but never while an erasure runs.
  absl::ReaderMutexLock sync_lock(&impl_->sync_mu);
  RETURN_IF_ERROR(impl_->WriteLinks(id, parents, batch));
  absl::MutexLock lock(&impl_->mu);
  impl_->Remember(id, DataKey{false, std::move(key)});
  return id;
}

absl::Status KeyStore::AddParents(absl::string_view dependent_view,
                                  absl::Span<const std::string> parents) {
  RETURN_IF_ERROR(ValidateSubject(dependent_view));
  const std::string dependent(dependent_view);
  absl::ReaderMutexLock sync_lock(&impl_->sync_mu);
  {
    absl::MutexLock lock(&impl_->mu);
    ASSIGN_OR_RETURN(const DataKey key, impl_->Load(dependent));
    if (key.erased) {
      return absl::FailedPreconditionError(
          absl::StrCat("the data of ", dependent, " was erased; nothing new may depend on it"));
    }
  }
  store::KvBatch batch;
  return impl_->WriteLinks(dependent, parents, batch);
}

absl::StatusOr<std::string> KeyStore::DeriveKey(absl::string_view purpose) const {
  if (purpose.empty()) return absl::InvalidArgumentError("purpose: must not be empty");
  // The master key is set once, at Open(): no lock is needed to read it.
  return internal::HmacSha256(impl_->master_key, absl::StrCat("hotspot.derived-key.v1",
                                                              absl::string_view("\0", 1), purpose));
}

absl::Status KeyStore::Checkpoint(const std::string& directory) {
  RETURN_IF_ERROR(Sync());
  return impl_->db->Checkpoint(directory);
}

}  // namespace hotspot::security
