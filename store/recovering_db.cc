#include "store/recovering_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/listener.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::store::internal {
namespace {

// Keeps RocksDB from resuming by itself after a background error (a full disk while flushing):
// its resumption would write to a write-ahead log that has failed, which Debian's RocksDB
// asserts against. The stores recover by reopening the database instead. And tells the store of
// the error at once: RocksDB holds a background error until the next write, which would fail
// with it after the store had said it was well.
class OnBackgroundErrors final : public rocksdb::EventListener {
 public:
  explicit OnBackgroundErrors(std::function<void(const absl::Status&)> failed)
      : failed_(std::move(failed)) {}

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (failed_ == nullptr || error == nullptr || error->ok()) return;
    failed_(
        FromRocks(*error, absl::StrCat("RocksDB's background work (", WhatFailed(reason), ")")));
  }

 private:
  static absl::string_view WhatFailed(rocksdb::BackgroundErrorReason reason) {
    switch (reason) {
      case rocksdb::BackgroundErrorReason::kFlush:
      case rocksdb::BackgroundErrorReason::kFlushNoWAL:
        return "a flush";
      case rocksdb::BackgroundErrorReason::kCompaction:
        return "a compaction";
      case rocksdb::BackgroundErrorReason::kManifestWrite:
      case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
        return "a manifest write";
      case rocksdb::BackgroundErrorReason::kWriteCallback:
      case rocksdb::BackgroundErrorReason::kMemTable:
        return "a write";
    }
    return "unknown";
  }

  const std::function<void(const absl::Status&)> failed_;
};

// RocksDB's info log (the LOG file in the store's directory), written with plain writes whose
// failures are ignored, past the file system of the options' env. RocksDB's own logger asserts
// on its next line once a write of the LOG failed (a full disk), which aborts the process.
class InfoLog final : public rocksdb::Logger {
 public:
  // Starts the LOG anew; without it (no directory yet) nothing is logged.
  explicit InfoLog(const std::string& directory)
      : fd_(::open((directory + "/LOG").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {}
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[2048];
    const std::string time =
        absl::FormatTime("%Y/%m/%d-%H:%M:%E6S ", absl::Now(), absl::LocalTimeZone());
    int n = vsnprintf(line, sizeof(line) - 1, format, ap);
    if (n < 0) return;
    n = std::min<int>(n, sizeof(line) - 2);
    line[n++] = '\n';
    const std::string text = time + std::string(line, n);
    // A failed write loses the line, nothing else.
    if (::write(fd_, text.data(), text.size()) < 0) return;
  }

 private:
  const int fd_;
};

}  // namespace

void PrepareForFaults(const std::string& directory, rocksdb::Options& options,
                      std::shared_ptr<rocksdb::Logger>& info_log,
                      std::function<void(const absl::Status&)> on_background_error) {
  options.max_bgerror_resume_count = 0;
  options.listeners.push_back(std::make_shared<OnBackgroundErrors>(std::move(on_background_error)));
  if (info_log == nullptr) {
    if (options.create_if_missing) ::mkdir(directory.c_str(), 0700);  // for the LOG file
    info_log = std::make_shared<InfoLog>(directory);
  }
  options.info_log = info_log;
}

absl::Status ProbeDisk(rocksdb::Env* env, const std::string& directory) {
  if (env == nullptr) env = rocksdb::Env::Default();
  const std::shared_ptr<rocksdb::FileSystem>& fs = env->GetFileSystem();
  const std::string probe = directory + "/WRITE_PROBE";
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = fs->NewWritableFile(probe, rocksdb::FileOptions(), &file, nullptr);
  // About what reopening writes: a manifest, an options file, a table of the memtables.
  const std::string block(4096, '\0');
  for (int i = 0; s.ok() && i < 64; ++i) s = file->Append(block, rocksdb::IOOptions(), nullptr);
  if (s.ok()) s = file->Fsync(rocksdb::IOOptions(), nullptr);
  if (file != nullptr) file->Close(rocksdb::IOOptions(), nullptr).PermitUncheckedError();
  file.reset();
  fs->DeleteFile(probe, rocksdb::IOOptions(), nullptr).PermitUncheckedError();
  return FromRocks(s, "probing the disk with a test write");
}

RecoveringDb::RecoveringDb(Options options, std::string directory)
    : options_(std::move(options)), directory_(std::move(directory)) {}

absl::StatusOr<std::unique_ptr<RecoveringDb>> RecoveringDb::Open(Options options,
                                                                 const std::string& directory) {
  std::unique_ptr<RecoveringDb> db(new RecoveringDb(std::move(options), directory));
  absl::MutexLock lock(&db->db_mu_);
  RETURN_IF_ERROR(db->OpenDatabase(/*read_only=*/false));
  return db;
}

RecoveringDb::~RecoveringDb() {
  if (Failure().ok()) SyncWal().IgnoreError();  // nothing to do with an error while closing
  absl::MutexLock lock(&db_mu_);
  CloseDatabase();
}

absl::Status RecoveringDb::OpenDatabase(bool read_only) {
  rocksdb::Options db_options = options_.db;
  PrepareForFaults(directory_, db_options, info_log_,
                   [this](const absl::Status& error) { Fail(error).IgnoreError(); });
  const std::shared_ptr<MemoryBudget> memory = MemoryBudget::Or(options_.memory);
  memory->ApplyTo(static_cast<rocksdb::DBOptions&>(db_options));
  memory->ApplyTo(static_cast<rocksdb::ColumnFamilyOptions&>(db_options));
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(db_options, directory_, &db)
                                      : rocksdb::DB::Open(db_options, directory_, &db);
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("opening ", options_.name, " in ", directory_)));
  db_ = db;
  return absl::OkStatus();
}

void RecoveringDb::CloseDatabase() {
  if (db_ == nullptr) return;
  if (options_.before_close) options_.before_close(*db_);
  // After a failed write Close() reports the failure again; nothing is left to do with it.
  db_->Close().PermitUncheckedError();
  delete db_;
  db_ = nullptr;
}

absl::Status RecoveringDb::Unavailable() const {
  return absl::UnavailableError(absl::StrCat(options_.name, " in ", directory_,
                                             " is being reopened after a failed write; ask "
                                             "again shortly"));
}

absl::Status RecoveringDb::Failure() const {
  absl::MutexLock lock(&failure_mu_);
  return failure_;
}

absl::Status RecoveringDb::Refusal(const absl::Status& cause) const {
  return absl::Status(cause.code(), absl::StrCat(options_.name, " in ", directory_,
                                                 " refuses writes until its disk takes writes "
                                                 "again (it retries by itself): ",
                                                 cause.message()));
}

absl::Status RecoveringDb::Fail(const absl::Status& error) {
  absl::MutexLock lock(&failure_mu_);
  if (failure_.ok()) {
    failure_ = Refusal(error);
  }
  return error;
}

absl::Status RecoveringDb::Writable() {
  {
    absl::MutexLock lock(&failure_mu_);
    if (failure_.ok()) return absl::OkStatus();
    if (reopening_ || absl::Now() < next_try_) return failure_;
    reopening_ = true;
  }
  const absl::Status reopened = Reopen();
  absl::MutexLock lock(&failure_mu_);
  reopening_ = false;
  if (reopened.ok()) {
    failure_ = absl::OkStatus();
    backoff_ = absl::ZeroDuration();
    return absl::OkStatus();
  }
  backoff_ = std::clamp(backoff_ * 2, options_.min_backoff,
                        std::max(options_.min_backoff, options_.max_backoff));
  next_try_ = absl::Now() + backoff_;
  // Writes fail with what fails now (the disk may have filled up since the first failure).
  failure_ = Refusal(reopened);
  return failure_;
}

absl::Status RecoveringDb::Reopen() {
  // While the disk still fails, the database stays open for reads.
  RETURN_IF_ERROR(ProbeDisk(options_.db.env, directory_));
  absl::MutexLock lock(&db_mu_);
  CloseDatabase();
  generation_.fetch_add(1, std::memory_order_acq_rel);
  absl::Status opened = OpenDatabase(/*read_only=*/false);
  // What the failed writes left in the log is made durable before anything is read from it.
  if (opened.ok()) opened = FromRocks(db_->SyncWAL(), "syncing the reopened write-ahead log");
  if (!opened.ok()) {
    // Reads go on from what is on disk; the next attempt opens it for writing again.
    CloseDatabase();
    OpenDatabase(/*read_only=*/true).IgnoreError();
  }
  return opened;
}

absl::Status RecoveringDb::WritePath(absl::string_view context,
                                     const std::function<rocksdb::Status(rocksdb::DB&)>& call) {
  RETURN_IF_ERROR(Writable());
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return Unavailable();
  absl::ReaderMutexLock wal_lock(&wal_mu_);
  // Another call's failure since (RocksDB itself refuses writes after it, too).
  RETURN_IF_ERROR(Failure());
  const rocksdb::Status s = call(*db_);
  if (!s.ok()) return Fail(FromRocks(s, context));
  return absl::OkStatus();
}

absl::Status RecoveringDb::Checkpoint(const std::string& directory) {
  RETURN_IF_ERROR(Writable());
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return Unavailable();
  absl::ReaderMutexLock wal_lock(&wal_mu_);
  RETURN_IF_ERROR(Failure());
  const absl::Status written = WriteCheckpoint(db_, directory);
  // A bad target leaves the database as it was; anything else may have been a failed flush.
  if (written.ok() || absl::IsInvalidArgument(written)) return written;
  return Fail(written);
}

absl::Status RecoveringDb::Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
                                 absl::string_view context) {
  return WritePath(context, [&](rocksdb::DB& db) { return db.Write(options, batch); });
}

absl::Status RecoveringDb::SyncWal() {
  RETURN_IF_ERROR(Writable());
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return Unavailable();
  absl::MutexLock wal_lock(&wal_mu_);
  RETURN_IF_ERROR(Failure());
  const rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) return Fail(FromRocks(s, "syncing the write-ahead log"));
  return absl::OkStatus();
}

}  // namespace hotspot::store::internal
