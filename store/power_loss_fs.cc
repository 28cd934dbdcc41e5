#include "store/power_loss_fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace hotspot::store::testing {
namespace {

std::string Normal(std::string path) {
  while (path.find("//") != std::string::npos) path = absl::StrReplaceAll(path, {{"//", "/"}});
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string DirOf(const std::string& path) {
  const std::string normal = Normal(path);
  const size_t slash = normal.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : normal.substr(0, slash);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<uint64_t> SizeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

class PowerLossFileSystem::File final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(std::unique_ptr<rocksdb::FSWritableFile> file, PowerLossFileSystem* fs, std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kWrite, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, d);
    if (s.ok()) Grew(data.size());
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kWrite, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, v, d);
    if (s.ok()) Grew(data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kWrite, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, d);
    if (s.ok()) At(offset + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& v,
                                     rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kWrite, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, d);
    if (s.ok()) At(offset + data.size());
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kWrite, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Truncate(size, o, d);
    if (s.ok()) {
      absl::MutexLock lock(&fs_->mu_);
      Tracked& t = fs_->files_[name_];
      t.size = size;
      t.synced = std::min(t.synced, size);
    }
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    return Durable([&] { return FSWritableFileOwnerWrapper::Sync(o, d); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    return Durable([&] { return FSWritableFileOwnerWrapper::Fsync(o, d); });
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kSync, name_); !f.ok()) return f;
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, o, d);
  }

 private:
  void Grew(uint64_t bytes) {
    absl::MutexLock lock(&fs_->mu_);
    fs_->files_[name_].size += bytes;
  }
  void At(uint64_t end) {
    absl::MutexLock lock(&fs_->mu_);
    Tracked& t = fs_->files_[name_];
    t.size = std::max(t.size, end);
  }
  // What was written when the sync began is durable once it succeeds.
  template <typename Sync>
  rocksdb::IOStatus Durable(Sync&& sync) {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kSync, name_); !f.ok()) return f;
    uint64_t written = 0;
    {
      absl::MutexLock lock(&fs_->mu_);
      written = fs_->files_[name_].size;
    }
    rocksdb::IOStatus s = sync();
    if (s.ok()) {
      absl::MutexLock lock(&fs_->mu_);
      // Power cut during the sync: it did not complete.
      if (!fs_->powered_) return fs_->Dead();
      Tracked& t = fs_->files_[name_];
      t.synced = std::max(t.synced, std::min(written, t.size));
    }
    return s;
  }

  PowerLossFileSystem* const fs_;
  const std::string name_;
};

class PowerLossFileSystem::Directory final : public rocksdb::FSDirectoryWrapper {
 public:
  Directory(std::unique_ptr<rocksdb::FSDirectory> dir, PowerLossFileSystem* fs, std::string name)
      : FSDirectoryWrapper(std::move(dir)), fs_(fs), name_(Normal(std::move(name))) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kSync, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSDirectoryWrapper::Fsync(o, d);
    if (s.ok()) fs_->DirectorySynced(name_);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d,
                                        const rocksdb::DirFsyncOptions& options) override {
    if (!fs_->powered()) return fs_->Dead();
    if (rocksdb::IOStatus f = fs_->Inject(Op::kSync, name_); !f.ok()) return f;
    rocksdb::IOStatus s = FSDirectoryWrapper::FsyncWithDirOptions(o, d, options);
    if (s.ok()) fs_->DirectorySynced(name_);
    return s;
  }

 private:
  PowerLossFileSystem* const fs_;
  const std::string name_;
};

class PowerLossFileSystem::SequentialFile final : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  SequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> file, PowerLossFileSystem* fs)
      : FSSequentialFileOwnerWrapper(std::move(file)), fs_(fs) {}
  rocksdb::IOStatus Read(size_t n, const rocksdb::IOOptions& o, rocksdb::Slice* result,
                         char* scratch, rocksdb::IODebugContext* d) override {
    if (rocksdb::IOStatus f = fs_->Inject(Op::kRead); !f.ok()) return f;
    return FSSequentialFileOwnerWrapper::Read(n, o, result, scratch, d);
  }
  rocksdb::IOStatus PositionedRead(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                                   rocksdb::Slice* result, char* scratch,
                                   rocksdb::IODebugContext* d) override {
    if (rocksdb::IOStatus f = fs_->Inject(Op::kRead); !f.ok()) return f;
    return FSSequentialFileOwnerWrapper::PositionedRead(offset, n, o, result, scratch, d);
  }

 private:
  PowerLossFileSystem* const fs_;
};

class PowerLossFileSystem::RandomAccessFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  RandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, PowerLossFileSystem* fs)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), fs_(fs) {}
  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* d) const override {
    if (rocksdb::IOStatus f = fs_->Inject(Op::kRead); !f.ok()) return f;
    return FSRandomAccessFileOwnerWrapper::Read(offset, n, o, result, scratch, d);
  }
  rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                              const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (rocksdb::IOStatus f = fs_->Inject(Op::kRead); !f.ok()) return f;
    return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, o, d);
  }

 private:
  PowerLossFileSystem* const fs_;
};

PowerLossFileSystem::PowerLossFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(std::move(base)) {}

void PowerLossFileSystem::InjectFaults(const Faults& faults, uint64_t seed) {
  absl::MutexLock lock(&mu_);
  faults_ = faults;
  random_ = absl::BitGen(std::seed_seq{seed});
}

void PowerLossFileSystem::ClearFaults() {
  absl::MutexLock lock(&mu_);
  faults_ = Faults();
}

PowerLossFileSystem::Injected PowerLossFileSystem::injected() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

rocksdb::IOStatus PowerLossFileSystem::Inject(Op op, absl::string_view file) {
  absl::MutexLock lock(&mu_);
  if (!faults_.only_files_ending.empty() &&
      (op == Op::kRead || !absl::EndsWith(file, faults_.only_files_ending))) {
    return rocksdb::IOStatus::OK();
  }
  if (faults_.no_space && op != Op::kRead) {
    ++injected_.no_space;
    return rocksdb::IOStatus::NoSpace("injected: the disk is full (PowerLossFileSystem)");
  }
  const double p = op == Op::kWrite ? faults_.write : op == Op::kSync ? faults_.sync : faults_.read;
  if (p <= 0 || !absl::Bernoulli(random_, p)) return rocksdb::IOStatus::OK();
  switch (op) {
    case Op::kWrite:
      ++injected_.writes;
      return rocksdb::IOStatus::IOError("injected write error (PowerLossFileSystem)");
    case Op::kSync:
      ++injected_.syncs;
      return rocksdb::IOStatus::IOError("injected sync error (PowerLossFileSystem)");
    case Op::kRead:
      ++injected_.reads;
      return rocksdb::IOStatus::IOError("injected read error (PowerLossFileSystem)");
  }
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus PowerLossFileSystem::NewSequentialFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSSequentialFile>* result, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSSequentialFile> file;
  rocksdb::IOStatus s = target()->NewSequentialFile(name, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<SequentialFile>(std::move(file), this);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::NewRandomAccessFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSRandomAccessFile>* result, rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  rocksdb::IOStatus s = target()->NewRandomAccessFile(name, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<RandomAccessFile>(std::move(file), this);
  return s;
}

void PowerLossFileSystem::PowerOff() {
  absl::MutexLock lock(&mu_);
  powered_ = false;
}

bool PowerLossFileSystem::powered() const {
  absl::MutexLock lock(&mu_);
  return powered_;
}

PowerLossFileSystem::Dropped PowerLossFileSystem::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

rocksdb::IOStatus PowerLossFileSystem::Dead() const {
  return rocksdb::IOStatus::IOError("power off (PowerLossFileSystem)");
}

void PowerLossFileSystem::Opened(const std::string& name, bool created, uint64_t size) {
  absl::MutexLock lock(&mu_);
  const std::string normal = Normal(name);
  auto [it, fresh] = files_.try_emplace(normal);
  it->second.size = size;
  // A file written before is as durable as it was; one there before this file system, whole.
  if (fresh) it->second.synced = created ? 0 : size;
  it->second.synced = std::min(it->second.synced, size);
  if (created) pending_[DirOf(normal)].push_back({Pending::Kind::kCreated, normal, "", false, ""});
}

void PowerLossFileSystem::DirectorySynced(const std::string& directory) {
  absl::MutexLock lock(&mu_);
  pending_.erase(Normal(directory));
}

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  const bool existed = Exists(name);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
  if (!s.ok()) return s;
  // Made anew (truncated if it existed): none of it is durable yet.
  Opened(name, /*created=*/!existed, 0);
  if (existed) {
    absl::MutexLock lock(&mu_);
    files_[Normal(name)].synced = 0;
  }
  *result = std::make_unique<File>(std::move(file), this, Normal(name));
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  const bool existed = Exists(name);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg);
  if (!s.ok()) return s;
  const uint64_t size = SizeOf(name).value_or(0);
  Opened(name, /*created=*/!existed, size);
  *result = std::make_unique<File>(std::move(file), this, Normal(name));
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  // A recycled log file: a rename and a new file. RocksDB does this only with
  // recycle_log_file_num, which the stores leave off.
  if (!powered()) return Dead();
  rocksdb::IOStatus s = RenameFile(old_name, name, rocksdb::IOOptions(), dbg);
  if (!s.ok()) return s;
  return NewWritableFile(name, options, result, dbg);
}

rocksdb::IOStatus PowerLossFileSystem::NewDirectory(const std::string& name,
                                                    const rocksdb::IOOptions& options,
                                                    std::unique_ptr<rocksdb::FSDirectory>* result,
                                                    rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> dir;
  rocksdb::IOStatus s = target()->NewDirectory(name, options, &dir, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<Directory>(std::move(dir), this, name);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(const std::string& src,
                                                  const std::string& target_name,
                                                  const rocksdb::IOOptions& options,
                                                  rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  Pending change{Pending::Kind::kRenamed, Normal(target_name), Normal(src), false, ""};
  if (Exists(target_name)) {
    change.replaced = true;
    change.old_content = Slurp(target_name);
  }
  rocksdb::IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto from = files_.find(change.from);
  if (from != files_.end()) {
    files_[change.name] = from->second;
    files_.erase(from);
  } else {
    files_.erase(change.name);
  }
  pending_[DirOf(change.name)].push_back(std::move(change));
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::LinkFile(const std::string& src,
                                                const std::string& target_name,
                                                const rocksdb::IOOptions& options,
                                                rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  rocksdb::IOStatus s = target()->LinkFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  pending_[DirOf(target_name)].push_back(
      {Pending::Kind::kCreated, Normal(target_name), "", false, ""});
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(const std::string& name,
                                                  const rocksdb::IOOptions& options,
                                                  rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  rocksdb::IOStatus s = target()->DeleteFile(name, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  files_.erase(Normal(name));
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::Truncate(const std::string& name, size_t size,
                                                const rocksdb::IOOptions& options,
                                                rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  rocksdb::IOStatus s = target()->Truncate(name, size, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = files_.find(Normal(name));
  if (it != files_.end()) {
    it->second.size = size;
    it->second.synced = std::min<uint64_t>(it->second.synced, size);
  }
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::CreateDir(const std::string& name,
                                                 const rocksdb::IOOptions& options,
                                                 rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  return target()->CreateDir(name, options, dbg);
}

rocksdb::IOStatus PowerLossFileSystem::CreateDirIfMissing(const std::string& name,
                                                          const rocksdb::IOOptions& options,
                                                          rocksdb::IODebugContext* dbg) {
  if (!powered()) return Dead();
  return target()->CreateDirIfMissing(name, options, dbg);
}

absl::Status PowerLossFileSystem::DropUnsyncedData() {
  absl::MutexLock lock(&mu_);
  powered_ = false;
  // The unsynced tails, under the names the files have now.
  for (const auto& [name, tracked] : files_) {
    const std::optional<uint64_t> size = SizeOf(name);
    if (!size.has_value() || *size <= tracked.synced) continue;
    if (::truncate(name.c_str(), static_cast<off_t>(tracked.synced)) != 0) {
      return absl::InternalError(absl::StrCat("truncate ", name, ": ", std::strerror(errno)));
    }
    dropped_.bytes += *size - tracked.synced;
  }
  // The directory changes no fsync made durable, newest first.
  for (auto& [directory, changes] : pending_) {
    for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
      if (it->kind == Pending::Kind::kCreated) {
        if (::unlink(it->name.c_str()) == 0) ++dropped_.files_deleted;
        continue;
      }
      if (::rename(it->name.c_str(), it->from.c_str()) != 0 && errno != ENOENT) {
        return absl::InternalError(
            absl::StrCat("rename ", it->name, " back to ", it->from, ": ", std::strerror(errno)));
      }
      ++dropped_.renames_undone;
      if (it->replaced) {
        std::ofstream out(it->name, std::ios::binary | std::ios::trunc);
        out << it->old_content;
        if (!out.flush()) return absl::InternalError(absl::StrCat("restore ", it->name));
      }
    }
  }
  files_.clear();
  pending_.clear();
  powered_ = true;
  return absl::OkStatus();
}

int WriteUntilPowerCut(PowerLossFileSystem& fs, int writers, int cut_after,
                       const std::function<bool(int thread)>& write) {
  absl::Mutex mu;
  int written = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      while (write(t)) {
        absl::MutexLock lock(&mu);
        ++written;
      }
    });
  }
  {
    absl::MutexLock lock(&mu);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return written >= cut_after; };
    mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(60));
  }
  fs.PowerOff();
  for (std::thread& t : threads) t.join();
  absl::MutexLock lock(&mu);
  return written;
}

PowerLossFileSystem::Faults RandomFaults(absl::BitGen& random, std::string* name) {
  PowerLossFileSystem::Faults faults;
  switch (absl::Uniform(random, 0, 5)) {
    case 0:
      *name = "write";
      faults.write = absl::Uniform(random, 0.005, 0.1);
      break;
    case 1:
      *name = "sync";
      faults.sync = absl::Uniform(random, 0.02, 0.3);
      break;
    case 2:
      *name = "read";
      faults.read = absl::Uniform(random, 0.02, 0.3);
      break;
    case 3:
      *name = "full disk";
      faults.no_space = true;
      break;
    default:
      *name = "mixed";
      faults.write = 0.02;
      faults.sync = 0.05;
      faults.read = 0.05;
      break;
  }
  return faults;
}

int WriteUnderFaults(
    PowerLossFileSystem& fs, const PowerLossFileSystem::Faults& faults, absl::BitGen& random,
    int writers, int want_successes,
    const std::function<bool(int thread, uint64_t n, absl::BitGen& random)>& write) {
  absl::Mutex mu;
  int successes = 0, failures = 0;
  fs.InjectFaults(faults, absl::Uniform<uint64_t>(random));
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t, seed = absl::Uniform<uint64_t>(random)] {
      absl::BitGen thread_random(std::seed_seq{seed});
      for (uint64_t n = 0;; ++n) {
        {
          absl::MutexLock lock(&mu);
          if (failures >= 3 || successes >= want_successes) return;
        }
        const bool acknowledged = write(t, n, thread_random);
        absl::MutexLock lock(&mu);
        (acknowledged ? successes : failures) += 1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  fs.ClearFaults();
  absl::MutexLock lock(&mu);
  return failures;
}

std::string DescribeInjected(const PowerLossFileSystem::Injected& injected) {
  return absl::StrCat("injected ", injected.writes, " write, ", injected.syncs, " sync, ",
                      injected.reads, " read, ", injected.no_space, " no-space errors");
}

bool ParseCycles(int argc, char** argv, int* cycles) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--cycles=") || !absl::SimpleAtoi(arg, cycles) || *cycles < 1) {
      fprintf(stderr, "usage: %s [--cycles=N, N >= 1] [gtest flags]\n", argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace hotspot::store::testing
