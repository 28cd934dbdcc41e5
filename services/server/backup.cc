#include "services/server/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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
  std::error_code ec;
  if (fs::exists(directory, ec)) return Invalid(absl::StrCat(directory, " exists already"));
  const std::string partial = directory + kPartialSuffix;
  if (fs::exists(partial, ec)) {
    return Invalid(absl::StrCat(partial,
                                " exists: a backup there did not finish; remove it, or back up "
                                "to another directory"));
  }
  return absl::OkStatus();
}

// Makes the rename of an entry of `dir` durable.
absl::Status SyncDirectory(const fs::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("open ", dir.string(), ": ", std::strerror(errno)));
  }
  const int synced = fsync(fd);
  const int error = errno;
  close(fd);
  if (synced != 0) {
    return absl::InternalError(absl::StrCat("fsync ", dir.string(), ": ", std::strerror(error)));
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

rpc::Producer<v1::BackupResponse> WriteBackup(BackupSource source, std::string directory) {
  // `done`: the parts written; `position`: the log's head once the first part is written.
  return [source = std::move(source), directory = std::move(directory), done = size_t{0},
          position = uint64_t{0}](v1::BackupResponse& progress) mutable
         -> absl::StatusOr<rpc::Pull> {
    const size_t total = source.parts.size();
    progress.set_parts_total(static_cast<uint32_t>(total));
    if (done == 0 && directory.size() > 1) {
      // "/b/", "/a/../b" and "/b" are the same backup, and their `.partial` "/b.partial".
      directory = fs::path(directory).lexically_normal().string();
      while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    }
    const std::string partial = directory + kPartialSuffix;
    if (done == 0) {
      RETURN_IF_ERROR(CheckDestination(source.data_dir, directory));
      std::error_code ec;
      fs::create_directories(fs::path(partial).parent_path(), ec);
      if (ec) return Invalid(absl::StrCat("cannot create ", partial, ": ", ec.message()));
      // Made here and now, or refused: two backups to one directory never share it.
      if (!fs::create_directory(partial, ec) || ec) {
        return Invalid(absl::StrCat("cannot create ", partial, ": ",
                                    ec ? ec.message() : "it exists (another backup to it?)"));
      }
      // Owner-only before anything is in it, and each part once written (hotspotd's umask makes
      // them so already; this holds for any process that runs the server).
      RETURN_IF_ERROR(security::RestrictToOwner(partial));
    }
    const BackupPart& part = source.parts[done];
    RETURN_IF_ERROR(part.write(absl::StrCat(partial, "/", part.name)));
    RETURN_IF_ERROR(security::RestrictToOwner(partial));
    if (done == 0 && source.head) position = source.head();
    progress.set_part(part.name);
    ++done;
    progress.set_parts_done(static_cast<uint32_t>(done));
    progress.set_position(position);
    if (done < total) return rpc::Pull::kMore;
    // Complete: only now under the name asked for.
    std::error_code ec;
    fs::rename(partial, directory, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("directory: cannot rename ", partial, " to ",
                                              directory, ": ", ec.message()));
    }
    RETURN_IF_ERROR(SyncDirectory(fs::path(directory).parent_path()));
    return rpc::Pull::kLast;
  };
}

}  // namespace hotspot::server
