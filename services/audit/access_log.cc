#include "services/audit/access_log.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "hotspot/v1/views.pb.h"
#include "services/projections/view_util.h"
#include "services/queries/query_util.h"
#include "services/security/identity.h"
#include "store/status_macros.h"

namespace hotspot::audit {
namespace {

using queries::CheckId;
using queries::FromToken;
using queries::Invalid;
using queries::PageSize;
using queries::Token;

std::string Seq(uint64_t sequence) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(sequence & 0xff);
    sequence >>= 8;
  }
  return out;
}

uint64_t SeqOf(absl::string_view key) {
  uint64_t out = 0;
  for (unsigned char c : key.substr(key.size() - 8)) out = (out << 8) | c;
  return out;
}

// The sealed purpose's field name, and the category of a call's own key ("call-<UUIDv7>").
constexpr char kPurposeField[] = "access_purpose";
constexpr char kCallCategory[] = "call";

std::string RecordKey(uint64_t sequence) { return absl::StrCat("r", Seq(sequence)); }

// The index prefix of a youth's ("y"), a person's ("p") or an area's ("a") records.
std::string IndexPrefix(char kind, absl::string_view id) {
  return absl::StrCat(absl::string_view(&kind, 1), id, absl::string_view("\0", 1));
}

// The index prefix of a person's records of an area ("b").
std::string AreaPersonPrefix(absl::string_view area, absl::string_view person) {
  return absl::StrCat(IndexPrefix('b', area), person, absl::string_view("\0", 1));
}

constexpr char kAreaIndexed[] = "m/area-index";

// The indexes to read, merged by sequence, for a request naming a youth or a person (at most
// one), within `areas`; {"r"} for every record.
absl::StatusOr<std::vector<std::string>> PrefixesFor(const std::string& youth_id,
                                                     const std::string& person,
                                                     bool one_required,
                                                     const AccessLog::Areas& areas) {
  if (!youth_id.empty() && !person.empty()) {
    return Invalid("youth_id", "give a youth_id or a person, not both");
  }
  RETURN_IF_ERROR(CheckId("youth_id", youth_id, "youth", /*required=*/false));
  if (!person.empty()) RETURN_IF_ERROR(security::CheckUsablePerson("person", person));
  if (!youth_id.empty()) return std::vector<std::string>{IndexPrefix('y', youth_id)};
  if (person.empty() && one_required) return Invalid("youth_id", "give a youth_id or a person");
  if (!areas.has_value()) {
    return std::vector<std::string>{person.empty() ? std::string("r") : IndexPrefix('p', person)};
  }
  std::vector<std::string> prefixes;
  for (const std::string& area : std::set<std::string>(areas->begin(), areas->end())) {
    if (area.empty() || area.find('\0') != std::string::npos) continue;
    prefixes.push_back(person.empty() ? IndexPrefix('a', area) : AreaPersonPrefix(area, person));
  }
  return prefixes;
}

// The index entries of a record (its own key apart); under its area, if it names one.
std::vector<std::string> IndexKeys(const v1::AccessRecord& record) {
  const std::string& area = record.area_id();
  const std::string seq = Seq(record.sequence());
  std::vector<std::string> keys{absl::StrCat(IndexPrefix('p', record.person()), seq)};
  if (!record.youth_id().empty()) {
    keys.push_back(absl::StrCat(IndexPrefix('y', record.youth_id()), seq));
  }
  if (!area.empty()) {
    keys.push_back(absl::StrCat(IndexPrefix('a', area), seq));
    keys.push_back(absl::StrCat(AreaPersonPrefix(area, record.person()), seq));
  }
  return keys;
}

}  // namespace

struct AccessLog::Impl {
  AccessLogOptions options;
  std::unique_ptr<store::KvStore> db;
  std::atomic<uint64_t> next{1};
  std::atomic<uint64_t> written{0};  // records written since the last sync
  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::thread syncer;


  absl::Time Now() const { return options.clock ? options.clock() : absl::Now(); }

  // fsyncs the write-ahead log every sync_interval while records were written, and purges
  // the records past retention every purge_interval.
  void SyncLoop() {
    absl::MutexLock lock(&mu);
    absl::Time next_purge = absl::Now() + options.purge_interval;
    const absl::Duration tick = options.sync_interval > absl::ZeroDuration()
                                    ? options.sync_interval
                                    : options.purge_interval;
    while (!stopping) {
      mu.AwaitWithTimeout(absl::Condition(&stopping), std::min(tick, options.purge_interval));
      if (stopping) break;
      mu.Unlock();
      if (options.sync_interval > absl::ZeroDuration() && written.exchange(0) > 0) SyncWal();
      if (absl::Now() >= next_purge) {
        const absl::StatusOr<uint64_t> purged = Purge();
        if (!purged.ok()) {
          fprintf(stderr, "access log: purge failed: %s\n", purged.status().ToString().c_str());
        }
        next_purge = absl::Now() + options.purge_interval;
      }
      mu.Lock();
    }
  }

  // Rewrites the log record by record, oldest first: `each` adds to the batch what a record
  // changes and returns false to stop. Written `doing` every 3,000 changes and at the end (then
  // with `last` added, synced if `sync`). DATA_LOSS for a record that does not parse.
  absl::Status Rewrite(
      absl::string_view doing,
      const std::function<absl::StatusOr<bool>(absl::string_view key, v1::AccessRecord& record,
                                               store::KvBatch& batch)>& each,
      const std::function<void(store::KvBatch&)>& last = nullptr, bool sync = false) {
    // In slices of 3,000 changes, each read apart from its write (a write may reopen the
    // database, which waits for every read).
    std::string from = "r";
    for (;;) {
      store::KvBatch batch;
      bool end = false;
      RETURN_IF_ERROR(db->Read(nullptr, [&](store::KvReader& reader) -> absl::Status {
        std::unique_ptr<store::KvIterator> it = reader.Seek(from);
        for (;; it->Next()) {
          const absl::string_view key = it->Valid() ? it->key() : "";
          if (key.size() != 9 || key[0] != 'r') {
            end = true;
            break;
          }
          v1::AccessRecord record;
          if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
            return absl::DataLossError(
                absl::StrCat("access log: record ", SeqOf(key), " is unreadable"));
          }
          ASSIGN_OR_RETURN(const bool more, each(key, record, batch));
          if (!more) {
            end = true;
            break;
          }
          if (batch.size() >= 3000) {
            from = RecordKey(SeqOf(key) + 1);
            break;
          }
        }
        return it->status();
      }));
      if (!end) {
        RETURN_IF_ERROR(db->Write(batch, /*sync=*/false, doing));
        continue;
      }
      if (last != nullptr) last(batch);
      return db->Write(batch, sync, doing);
    }
  }

  // Deletes, oldest first, the records (and their index entries) stamped before now - retention.
  absl::StatusOr<uint64_t> Purge() {
    if (options.retention <= absl::ZeroDuration()) return 0;
    const absl::Time before = Now() - options.retention;
    uint64_t purged = 0;
    RETURN_IF_ERROR(Rewrite("purging the access log",
                            [&](absl::string_view key, v1::AccessRecord& record,
                                store::KvBatch& batch) -> absl::StatusOr<bool> {
                              if (projections::TimeOf(record.at()) >= before) return false;
                              batch.Delete(key);
                              for (const std::string& index : IndexKeys(record)) {
                                batch.Delete(index);
                              }
                              ++purged;
                              return true;
                            }));
    return purged;
  }

  // The purpose's free text sealed for the records of `youths` (those of one answer that keep
  // it), so that it reads as erased as soon as any youth its call showed is erased: under the
  // youth's own key if the answer shows one and the call has no CallSeal; otherwise under the
  // call's own key (made at its first answer, erased with each of the call's youths). Nothing
  // if no text is kept: none given, no youth, no sealer, or a youth of the call was erased.
  absl::StatusOr<std::optional<v1::SealedText>> SealText(const security::Purpose& purpose,
                                                         const std::vector<std::string>& youths) {
    security::Sealer* sealer = options.sealer;
    if (purpose.text.empty() || youths.empty() || sealer == nullptr) return std::nullopt;
    absl::StatusOr<security::SealedValue> sealed;
    if (purpose.seal == nullptr) {
      sealed = youths.size() == 1
                   ? sealer->Seal(youths[0], kPurposeField, purpose.text)
                   : sealer->SealForAll(kCallCategory, youths, kPurposeField, purpose.text);
    } else {
      security::CallSeal& call = *purpose.seal;
      absl::MutexLock lock(&call.mu);
      if (call.withheld) return std::nullopt;
      std::vector<std::string> added;
      for (const std::string& youth : youths) {
        if (!call.youths.contains(youth)) added.push_back(youth);
      }
      if (call.key_id.empty()) {
        sealed = sealer->SealForAll(kCallCategory, youths, kPurposeField, purpose.text);
      } else {
        sealed = security::SealedValue{call.key_id, call.ciphertext};
        if (!added.empty()) {
          if (absl::Status also = sealer->AlsoForAll(*sealed, added); !also.ok()) sealed = also;
        }
      }
      if (absl::IsFailedPrecondition(sealed.status())) call.withheld = true;
      if (sealed.ok()) {
        call.key_id = sealed->key_id;
        call.ciphertext = sealed->ciphertext;
        call.youths.insert(added.begin(), added.end());
      }
    }
    if (absl::IsFailedPrecondition(sealed.status())) return std::nullopt;  // erased: none kept
    RETURN_IF_ERROR(sealed.status());
    v1::SealedText text;
    text.set_key_id(std::move(sealed->key_id));
    text.set_ciphertext(std::move(sealed->ciphertext));
    text.set_field(kPurposeField);
    return text;
  }

  // fsyncs the write-ahead log (after a failure: once the database could be reopened).
  void SyncWal() {
    const absl::Status synced = db->Sync();
    if (!synced.ok()) fprintf(stderr, "access log: fsync failed: %s\n", synced.ToString().c_str());
  }

  // How many records are under `prefixes` (each an index, or "r"), from their keys, at
  // `snapshot` (null: the latest state).
  absl::StatusOr<uint64_t> Count(const store::KvSnapshot* snapshot,
                                 const std::vector<std::string>& prefixes) const {
    uint64_t count = 0;
    RETURN_IF_ERROR(db->Read(snapshot, [&](store::KvReader& reader) -> absl::Status {
      for (const std::string& prefix : prefixes) {
        std::unique_ptr<store::KvIterator> it = reader.Seek(prefix);
        for (; it->Valid(); it->Next()) {
          const absl::string_view key = it->key();
          if (!absl::StartsWith(key, prefix) || key.size() != prefix.size() + 8) break;
          ++count;
        }
        RETURN_IF_ERROR(it->status());
      }
      return absl::OkStatus();
    }));
    return count;
  }

  // Visits the records under `prefixes` ("r", or indexes whose records are disjoint) after
  // sequence `after`, oldest first (the indexes merged by sequence), at `snapshot` (null: the
  // latest state), until `visit` returns false.
  absl::Status Visit(const store::KvSnapshot* snapshot, const std::vector<std::string>& prefixes,
                     uint64_t after, const std::function<bool(v1::AccessRecord&)>& visit) const {
    return db->Read(snapshot, [&](store::KvReader& reader) {
      return VisitIn(reader, prefixes, after, visit);
    });
  }
  absl::Status VisitIn(store::KvReader& reader, const std::vector<std::string>& prefixes,
                       uint64_t after, const std::function<bool(v1::AccessRecord&)>& visit) const {
    struct Cursor {
      const std::string& prefix;
      std::unique_ptr<store::KvIterator> it;
      // The sequence of the entry the cursor stands on; nullopt past its prefix.
      std::optional<uint64_t> At() const {
        if (!it->Valid()) return std::nullopt;
        const absl::string_view key = it->key();
        if (!absl::StartsWith(key, prefix) || key.size() != prefix.size() + 8) return std::nullopt;
        return SeqOf(key);
      }
    };
    std::vector<Cursor> cursors;
    for (const std::string& prefix : prefixes) {
      cursors.push_back(Cursor{prefix, reader.Seek(absl::StrCat(prefix, Seq(after + 1)))});
    }
    for (;;) {
      Cursor* next = nullptr;
      uint64_t sequence = 0;
      for (Cursor& cursor : cursors) {
        const std::optional<uint64_t> at = cursor.At();
        if (at.has_value() && (next == nullptr || *at < sequence)) {
          next = &cursor;
          sequence = *at;
        }
      }
      if (next == nullptr) break;
      std::string value;
      if (next->prefix != "r") {
        ASSIGN_OR_RETURN(std::optional<std::string> got, reader.Get(RecordKey(sequence)));
        if (!got.has_value()) {
          return absl::DataLossError(
              absl::StrCat("access log: record ", sequence, " is indexed but missing"));
        }
        value = *std::move(got);
      } else {
        value.assign(next->it->value().data(), next->it->value().size());
      }
      v1::AccessRecord record;
      parsed.fetch_add(1, std::memory_order_relaxed);
      if (!record.ParseFromString(value)) {
        return absl::DataLossError(absl::StrCat("access log: record ", sequence, " is unreadable"));
      }
      if (!visit(record)) break;
      next->it->Next();
    }
    for (const Cursor& cursor : cursors) RETURN_IF_ERROR(cursor.it->status());
    return absl::OkStatus();
  }

  // Indexes a log written before the area indexes by area, once (see Storage): a record that
  // names a youth but no area gets its youth's case's area.
  absl::Status IndexByArea() {
    std::optional<std::string> done;
    RETURN_IF_ERROR(db->Read(nullptr, [&](store::KvReader& reader) -> absl::Status {
      ASSIGN_OR_RETURN(done, reader.Get(kAreaIndexed));
      return absl::OkStatus();
    }));
    if (done.has_value()) return absl::OkStatus();
    return Rewrite(
        "indexing the access log",
        [&](absl::string_view key, v1::AccessRecord& record,
            store::KvBatch& batch) -> absl::StatusOr<bool> {
          if (record.area_id().empty() && !record.youth_id().empty() &&
              options.area_of_youth != nullptr) {
            ASSIGN_OR_RETURN(std::string area, options.area_of_youth(record.youth_id()));
            if (!area.empty()) {
              record.set_area_id(std::move(area));
              batch.Put(key, record.SerializeAsString());
            }
          }
          for (const std::string& index : IndexKeys(record)) batch.Put(index, "");
          return true;
        },
        [](store::KvBatch& batch) { batch.Put(kAreaIndexed, "1"); }, /*sync=*/true);
  }

  mutable std::atomic<uint64_t> parsed{0};  // records parsed by reads (records_parsed())
};

AccessLog::AccessLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(AccessLogOptions options,
                                                           const std::string& directory) {
  if (options.sync_interval < absl::ZeroDuration()) {
    return Invalid("access_log_sync_interval", "must not be negative");
  }
  if (options.purge_interval <= absl::ZeroDuration()) {
    return Invalid("access_log_purge_interval", "must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  store::RocksKvOptions db_options;
  db_options.name = "the access log";
  db_options.env = impl->options.env;
  db_options.memory = impl->options.memory;
  ASSIGN_OR_RETURN(impl->db, store::OpenRocksKvStore(std::move(db_options), directory));
  // The last record's key: the greatest before "s" that is a record's ("r" and 8 bytes).
  RETURN_IF_ERROR(impl->db->Read(nullptr, [&](store::KvReader& reader) -> absl::Status {
    ASSIGN_OR_RETURN(const std::optional<std::string> last, reader.LastKeyBefore("s"));
    if (last.has_value() && last->size() == 9 && (*last)[0] == 'r') impl->next = SeqOf(*last) + 1;
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(impl->IndexByArea());
  RETURN_IF_ERROR(impl->Purge().status());
  Impl* raw = impl.get();
  impl->syncer = std::thread([raw] { raw->SyncLoop(); });
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(impl)));
}

AccessLog::~AccessLog() {
  if (impl_->syncer.joinable()) {
    {
      absl::MutexLock lock(&impl_->mu);
      impl_->stopping = true;
    }
    impl_->syncer.join();
  }
  impl_->db.reset();  // fsyncs the write-ahead log (unless a write failed) and closes
}

absl::StatusOr<uint64_t> AccessLog::Purge() { return impl_->Purge(); }

absl::Status AccessLog::Record(const security::Principal& who, absl::string_view call,
                               const security::Purpose& purpose,
                               std::vector<v1::AccessRecord> records) {
  if (records.empty()) return absl::OkStatus();
  const std::string code = security::PurposeName(purpose.code);
  // The youths whose records keep the free text. A refused attempt may name a youth that does
  // not exist: no key is made for it. Nor for an id that is no youth's (a record of before
  // refusals' ids were checked may hold any text the caller typed, and an auditor's read of
  // that record names it): the code alone is kept.
  std::vector<std::string> youths;
  auto keeps_text = [](const v1::AccessRecord& record) {
    return !record.youth_id().empty() && !record.refused() &&
           CheckId("youth_id", record.youth_id(), "youth", /*required=*/false).ok();
  };
  for (const v1::AccessRecord& record : records) {
    if (keeps_text(record)) youths.push_back(record.youth_id());
  }
  std::sort(youths.begin(), youths.end());
  youths.erase(std::unique(youths.begin(), youths.end()), youths.end());
  ASSIGN_OR_RETURN(const std::optional<v1::SealedText> text, impl_->SealText(purpose, youths));
  for (v1::AccessRecord& record : records) {
    record.set_person(who.person);
    record.set_agency_id(who.agency);
    record.set_role(std::string(security::RoleName(who.role)));
    record.set_call(std::string(call));
    record.set_purpose_code(purpose.code);
    if (purpose.code != v1::PURPOSE_UNSPECIFIED) record.set_purpose(code);
    if (text.has_value() && keeps_text(record))
      *record.mutable_purpose_text()->mutable_sealed() = *text;
  }
  const uint64_t first = impl_->next.fetch_add(records.size());
  const google::protobuf::Timestamp at = projections::Ts(impl_->Now());
  store::KvBatch batch;
  for (size_t i = 0; i < records.size(); ++i) {
    v1::AccessRecord& record = records[i];
    const uint64_t sequence = first + i;
    record.set_sequence(sequence);
    *record.mutable_at() = at;
    batch.Put(RecordKey(sequence), record.SerializeAsString());
    for (const std::string& index : IndexKeys(record)) batch.Put(index, "");
  }
  RETURN_IF_ERROR(impl_->db->Write(batch, impl_->options.sync_interval == absl::ZeroDuration(),
                                   "writing the access log"));
  impl_->written.fetch_add(records.size());
  return absl::OkStatus();
}

absl::Status AccessLog::Checkpoint(const std::string& directory) {
  return impl_->db->Checkpoint(directory);
}

uint64_t AccessLog::last_sequence() const { return impl_->next.load() - 1; }

uint64_t AccessLog::records_parsed() const { return impl_->parsed.load(); }

absl::StatusOr<v1::ListAccessRecordsResponse> AccessLog::List(
    const v1::ListAccessRecordsRequest& request, const Areas& areas) const {
  ASSIGN_OR_RETURN(const std::vector<std::string> prefixes,
                   PrefixesFor(request.youth_id(), request.person(), /*one_required=*/true, areas));
  ASSIGN_OR_RETURN(const int page_size, PageSize(request.page_size()));
  ASSIGN_OR_RETURN(const std::string token, FromToken(request.page_token()));
  uint64_t after = 0;
  if (!token.empty() && !absl::SimpleAtoi(token, &after)) {
    return Invalid("page_token", "not a token this service gave");
  }
  v1::ListAccessRecordsResponse response;
  RETURN_IF_ERROR(impl_->Visit(nullptr, prefixes, after, [&](v1::AccessRecord& record) {
    if (response.records_size() == page_size) {
      response.set_next_page_token(Token(absl::StrCat(response.records(page_size - 1).sequence())));
      return false;
    }
    *response.add_records() = std::move(record);
    return true;
  }));
  return response;
}

absl::StatusOr<std::unique_ptr<AccessLog::Exporter>> AccessLog::StartExport(
    const v1::ExportAccessLogRequest& request, size_t batch, const Areas& areas) const {
  ASSIGN_OR_RETURN(
      std::vector<std::string> prefixes,
      PrefixesFor(request.youth_id(), request.person(), /*one_required=*/false, areas));
  std::unique_ptr<Exporter> exporter(
      new Exporter(this, std::move(prefixes), std::max<size_t>(batch, 1)));
  ASSIGN_OR_RETURN(exporter->snapshot_, impl_->db->TakeSnapshot());
  // Counted first, from the same snapshot, for progress.
  ASSIGN_OR_RETURN(exporter->total_, impl_->Count(exporter->snapshot_.get(), exporter->prefixes_));
  return exporter;
}

AccessLog::Exporter::~Exporter() = default;

absl::StatusOr<rpc::Pull> AccessLog::Exporter::Next(v1::ExportAccessLogResponse& response) {
  if (done_) return rpc::Pull::kNone;
  RETURN_IF_ERROR(log_->impl_->Visit(snapshot_.get(), prefixes_, after_, [&](v1::AccessRecord& record) {
    after_ = record.sequence();
    *response.add_records() = std::move(record);
    return response.records_size() < static_cast<int>(batch_);
  }));
  const uint64_t given = response.records_size();
  sent_ += given;
  response.set_sent(sent_);
  response.set_total(total_);
  if (given == batch_) return rpc::Pull::kMore;
  done_ = true;
  // The last batch; an empty one only if there was no record at all.
  return given > 0 || sent_ == 0 ? rpc::Pull::kLast : rpc::Pull::kNone;
}

absl::Status AccessLog::Export(
    const v1::ExportAccessLogRequest& request, size_t batch,
    const std::function<absl::StatusOr<bool>(v1::ExportAccessLogResponse&)>& send,
    const Areas& areas) const {
  ASSIGN_OR_RETURN(const std::unique_ptr<Exporter> exporter, StartExport(request, batch, areas));
  for (;;) {
    v1::ExportAccessLogResponse response;
    ASSIGN_OR_RETURN(const rpc::Pull pulled, exporter->Next(response));
    if (pulled == rpc::Pull::kNone) return absl::OkStatus();
    ASSIGN_OR_RETURN(const bool more, send(response));
    if (!more || pulled == rpc::Pull::kLast) return absl::OkStatus();
  }
}

}  // namespace hotspot::audit
