#include "store/test_util.h"

#include <stdlib.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rocksdb/db.h"

namespace hotspot::store::testing {

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/hotspot-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Tmpfs::Tmpfs(const std::string& size) {
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
    error_ = absl::StrCat("this test needs root (or CAP_SYS_ADMIN) to mount a tmpfs on ",
                          dir_.path(), ": mount: ", std::strerror(errno));
  }
}

Tmpfs::~Tmpfs() {
  if (error_.empty()) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

uint64_t Fill(const std::string& path) {
  FILE* file = fopen(path.c_str(), "w");
  if (file == nullptr) return 0;
  setvbuf(file, nullptr, _IONBF, 0);
  const std::string block(4096, 'f');
  uint64_t written = 0;
  while (fwrite(block.data(), 1, block.size(), file) == block.size()) written += block.size();
  while (fwrite("f", 1, 1, file) == 1) ++written;
  fclose(file);
  return written;
}

absl::Status UntilOk(const std::function<absl::Status()>& write, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status status = write();
  while (!status.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
    status = write();
  }
  return status;
}

ProposedEvent MakeEvent(std::string payload) {
  ProposedEvent event;
  event.type = "test.Event";
  event.payload = std::move(payload);
  return event;
}

StreamAppend OneEvent(std::string stream, ExpectedVersion expected, std::string payload) {
  StreamAppend append;
  append.stream = std::move(stream);
  append.expected = expected;
  append.events.push_back(MakeEvent(std::move(payload)));
  return append;
}

absl::Status DamageBehindTheStoresBack(const std::string& dir, const std::string& family,
                                       const std::string& key,
                                       const std::function<bool(std::string&)>& change) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  if (!s.ok()) return absl::InternalError(s.ToString());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.push_back({name, rocksdb::ColumnFamilyOptions()});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* opened = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &opened);
  if (!s.ok()) return absl::InternalError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(opened);
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == family) handle = h;
  }
  if (handle == nullptr) {
    s = rocksdb::Status::NotFound(absl::StrCat("no column family ", family));
  } else {
    std::string value;
    db->Get(rocksdb::ReadOptions(), handle, key, &value).PermitUncheckedError();
    s = change(value) ? db->Put(rocksdb::WriteOptions(), handle, key, value)
                      : db->Delete(rocksdb::WriteOptions(), handle, key);
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  return s.ok() ? absl::OkStatus() : absl::InternalError(s.ToString());
}

std::string PositionKey(uint64_t position) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(position >> (8 * (7 - i)));
  return key;
}

absl::Status FlipByteBehindTheStoresBack(const std::string& dir, uint64_t position,
                                         size_t offset) {
  bool short_record = false;
  absl::Status damaged =
      DamageBehindTheStoresBack(dir, "log", PositionKey(position), [&](std::string& value) {
        short_record = offset >= value.size();
        if (!short_record) value[offset] ^= 0x01;
        return true;
      });
  if (short_record) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is past the record"));
  }
  return damaged;
}

absl::StatusOr<std::string> FlipWriteAheadLogByte(const std::string& dir, double fraction) {
  std::filesystem::path newest;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::filesystem::path& path = entry.path();
    // WAL files are numbered; the newest has the highest number.
    if (path.extension() == ".log" && (newest.empty() || path.filename() > newest.filename())) {
      newest = path;
    }
  }
  if (newest.empty()) return absl::NotFoundError(absl::StrCat("no WAL file in ", dir));
  const uintmax_t size = std::filesystem::file_size(newest, error);
  if (error || size == 0) return absl::InternalError(absl::StrCat("cannot size ", newest.string()));
  const auto offset = static_cast<std::streamoff>(static_cast<double>(size - 1) * fraction);
  std::fstream file(newest, std::ios::in | std::ios::out | std::ios::binary);
  char byte = 0;
  file.seekg(offset);
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x10);
  file.seekp(offset);
  file.write(&byte, 1);
  file.close();
  if (!file) return absl::InternalError(absl::StrCat("cannot rewrite ", newest.string()));
  return newest.string();
}

bool AnyFileHolds(const std::string& dir, absl::string_view bytes, absl::string_view suffix) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || !absl::EndsWith(entry.path().string(), suffix)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (absl::StrContains(content, bytes)) return true;
  }
  return false;
}

}  // namespace hotspot::store::testing
