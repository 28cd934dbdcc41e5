#include "store/head_witness.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "store/record_codec.h"
#include "store/rocks_status.h"
#include "store/status_macros.h"

namespace hotspot::store::internal {
namespace {

constexpr char kMagic[] = "HSWITNS1";
constexpr size_t kMagicBytes = 8;
constexpr size_t kSumBytes = 8;
constexpr size_t kFileBytes = kMagicBytes + 8 + 8 + kHashBytes + kSumBytes;

std::string Sum(absl::string_view body) { return Sha256(body).substr(0, kSumBytes); }

struct Parsed {
  uint64_t sequence = 0;
  uint64_t position = 0;
  std::string hash;
};

// The file's content, or nullopt if it is not a whole, intact witness record.
std::optional<Parsed> Parse(absl::string_view data) {
  if (data.size() != kFileBytes || data.substr(0, kMagicBytes) != kMagic) return std::nullopt;
  const absl::string_view body = data.substr(0, kFileBytes - kSumBytes);
  if (Sum(body) != data.substr(kFileBytes - kSumBytes)) return std::nullopt;
  Parsed parsed;
  parsed.sequence = DecodeFixed64(data.data() + kMagicBytes);
  parsed.position = DecodeFixed64(data.data() + kMagicBytes + 8);
  parsed.hash = std::string(data.substr(kMagicBytes + 16, kHashBytes));
  return parsed;
}

}  // namespace

HeadWitness::HeadWitness(rocksdb::Env* env, std::string directory)
    : env_(env != nullptr ? env : rocksdb::Env::Default()), directory_(std::move(directory)) {}

std::string HeadWitness::FileName(int which) const {
  return absl::StrCat(directory_, "/HEAD_WITNESS-", which);
}

absl::StatusOr<HeadWitness::Record> HeadWitness::Read() {
  Record newest;
  sequence_ = 0;
  next_ = 0;
  rocksdb::FileSystem& fs = *env_->GetFileSystem();
  for (int which = 0; which < 2; ++which) {
    const std::string name = FileName(which);
    if (fs.FileExists(name, rocksdb::IOOptions(), nullptr).IsNotFound()) continue;
    std::string data;
    RETURN_IF_ERROR(FromRocks(rocksdb::ReadFileToString(&fs, name, &data),
                              absl::StrCat("reading ", name)));
    const std::optional<Parsed> parsed = Parse(data);
    if (!parsed.has_value()) {
      ++newest.damaged_files;
      continue;
    }
    if (parsed->sequence >= sequence_) {
      sequence_ = parsed->sequence;
      next_ = 1 - which;  // the older one is written next
      newest.position = parsed->position;
      newest.hash = parsed->hash;
    }
  }
  return newest;
}

absl::Status HeadWitness::Write(uint64_t position, const std::string& hash) {
  std::string data(kMagic, kMagicBytes);
  PutFixed64(&data, sequence_ + 1);
  PutFixed64(&data, position);
  data += hash;
  data.resize(kFileBytes - kSumBytes, '\0');
  data += Sum(data);
  rocksdb::FileSystem& fs = *env_->GetFileSystem();
  const std::string name = FileName(next_);
  const bool existed = fs.FileExists(name, rocksdb::IOOptions(), nullptr).ok();
  RETURN_IF_ERROR(FromRocks(rocksdb::WriteStringToFile(&fs, data, name, /*should_sync=*/true),
                            absl::StrCat("writing ", name)));
  if (!existed) {
    // A new file survives a power cut once its directory entry is synced.
    std::unique_ptr<rocksdb::FSDirectory> dir;
    rocksdb::IOStatus synced = fs.NewDirectory(directory_, rocksdb::IOOptions(), &dir, nullptr);
    if (synced.ok()) synced = dir->Fsync(rocksdb::IOOptions(), nullptr);
    RETURN_IF_ERROR(FromRocks(synced, absl::StrCat("syncing the directory of ", name)));
  }
  ++sequence_;
  next_ = 1 - next_;
  return absl::OkStatus();
}

}  // namespace hotspot::store::internal
