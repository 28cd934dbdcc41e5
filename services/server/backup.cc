#include "services/server/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/security/owner_only_file.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

namespace fs = std::filesystem;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("directory: ", why));
}

// The refusals of the header comment, before anything is written.
absl::Status CheckDestination(const std::string& data_dir, const std::string& directory) {
  if (directory.empty() || directory[0] != '/') {
    return Invalid("must be an absolute path on the server");
  }
  absl::StatusOr<bool> inside = IsWithin(directory, data_dir);
  if (!inside.ok()) return Invalid(inside.status().message());
  if (*inside) {
    return Invalid(absl::StrCat(directory, " is inside the data directory ", data_dir,
                                "; back up to a directory outside it"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> IsWithin(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const fs::path resolved_dir = fs::weakly_canonical(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot resolve ", dir, ": ", ec.message()));
  const fs::path resolved = fs::weakly_canonical(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot resolve ", path, ": ", ec.message()));
  const fs::path relative = resolved.lexically_relative(resolved_dir);
  return !relative.empty() && *relative.begin() != "..";
}

namespace {

// A file descriptor, closed with the producer.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// The path through which `fd`'s directory is reached whatever is renamed or swapped meanwhile.
std::string Pinned(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat("directory: ", what, " ", path, ": ", std::strerror(errno)));
}

// The first step's checks and `<directory>.partial`, made relative to the parent directory,
// opened once (*parent) and pinned from then on; *partial is the `.partial` directory, opened.
absl::Status MakePartial(const std::string& data_dir, const std::string& directory, Fd* parent,
                         Fd* partial) {
  RETURN_IF_ERROR(CheckDestination(data_dir, directory));
  const fs::path path(directory);
  const std::string name = path.filename().string();
  const std::string partial_name = name + kPartialSuffix;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Invalid(absl::StrCat("cannot create ", path.parent_path().string(), ": ", ec.message()));
  parent->fd = open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent->fd < 0) return Errno("cannot open", path.parent_path().string());
  // The parent as opened: a symbolic link swapped in after the check above is seen here, and
  // none after this matters.
  std::error_code resolve_ec;
  const fs::path opened = fs::read_symlink(Pinned(parent->fd), resolve_ec);
  if (resolve_ec) return Invalid(absl::StrCat("cannot resolve ", directory, ": ", resolve_ec.message()));
  ASSIGN_OR_RETURN(const bool inside, IsWithin((opened / name).string(), data_dir));
  if (inside) {
    return Invalid(absl::StrCat(directory, " is inside the data directory ", data_dir,
                                "; back up to a directory outside it"));
  }
  for (const std::string& entry : {name, partial_name}) {
    struct stat st;
    if (fstatat(parent->fd, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const std::string full = (path.parent_path() / entry).string();
    if (S_ISLNK(st.st_mode)) {
      return Invalid(absl::StrCat(full, " is a symbolic link: give a new directory's own path"));
    }
    return Invalid(entry == name ? absl::StrCat(full, " exists already")
                                 : absl::StrCat(full,
                                                " exists: a backup there did not finish; remove "
                                                "it, or back up to another directory"));
  }
  // Made here and now, or refused: two backups to one directory never share it.
  if (mkdirat(parent->fd, partial_name.c_str(), 0700) != 0) {
    return Invalid(absl::StrCat("cannot create ", directory, kPartialSuffix, ": ",
                                errno == EEXIST ? "it exists (another backup to it?)"
                                                : std::strerror(errno)));
  }
  partial->fd =
      openat(parent->fd, partial_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (partial->fd < 0) return Errno("cannot open", directory + kPartialSuffix);
  return absl::OkStatus();
}

// Writes the manifest into the `.partial` directory `dir`, synced, and syncs `dir`.
absl::Status WriteManifest(int dir, const std::string& directory, uint64_t position,
                           const std::vector<BackupPart>& parts) {
  std::string text = absl::StrCat(kBackupManifestFirstLine, "\nposition ", position, "\nparts");
  for (const BackupPart& part : parts) absl::StrAppend(&text, " ", part.name);
  text += "\n";
  const int fd = openat(dir, kBackupManifest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
  if (fd < 0) return Errno("cannot create the manifest of", directory);
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       fsync(fd) == 0;
  const int error = errno;
  close(fd);
  errno = error;
  if (!written) return Errno("cannot write the manifest of", directory);
  if (fsync(dir) != 0) return Errno("cannot sync", directory + kPartialSuffix);
  return absl::OkStatus();
}

}  // namespace

rpc::Producer<v1::BackupResponse> WriteBackup(BackupSource source, std::string directory) {
  // `done`: the parts written; `position`: the log's head once the first part is written.
  return [source = std::move(source), directory = std::move(directory), done = size_t{0},
          position = uint64_t{0}, parent = std::make_shared<Fd>(),
          partial = std::make_shared<Fd>()](v1::BackupResponse& progress) mutable
         -> absl::StatusOr<rpc::Pull> {
    const size_t total = source.parts.size();
    progress.set_parts_total(static_cast<uint32_t>(total));
    if (done == 0 && directory.size() > 1) {
      // "/b/", "/a/../b" and "/b" are the same backup, and their `.partial` "/b.partial".
      directory = fs::path(directory).lexically_normal().string();
      while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    }
    if (done == 0) {
      RETURN_IF_ERROR(MakePartial(source.data_dir, directory, parent.get(), partial.get()));
      // Owner-only before anything is in it, and each part once written (hotspotd's umask makes
      // them so already; this holds for any process that runs the server).
      RETURN_IF_ERROR(security::RestrictToOwner(Pinned(partial->fd)));
    }
    const BackupPart& part = source.parts[done];
    RETURN_IF_ERROR(part.write(absl::StrCat(Pinned(partial->fd), "/", part.name)));
    RETURN_IF_ERROR(security::RestrictToOwner(Pinned(partial->fd)));
    if (done == 0 && source.head) position = source.head();
    progress.set_part(part.name);
    ++done;
    progress.set_parts_done(static_cast<uint32_t>(done));
    progress.set_position(position);
    if (done < total) return rpc::Pull::kMore;
    // Complete: the manifest last, then only now under the name asked for, in the directory
    // that was checked.
    RETURN_IF_ERROR(WriteManifest(partial->fd, directory, position, source.parts));
    const std::string name = fs::path(directory).filename().string();
    if (renameat2(parent->fd, (name + kPartialSuffix).c_str(), parent->fd, name.c_str(),
                  RENAME_NOREPLACE) != 0) {
      return absl::InternalError(absl::StrCat("directory: cannot rename ", directory,
                                              kPartialSuffix, " to ", directory, ": ",
                                              std::strerror(errno)));
    }
    if (fsync(parent->fd) != 0) return Errno("cannot sync the directory of", directory);
    return rpc::Pull::kLast;
  };
}

}  // namespace hotspot::server
