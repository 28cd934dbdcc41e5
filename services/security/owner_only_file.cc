#include "services/security/owner_only_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace hotspot::security::internal {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  const int error = errno;
  const std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  return error == EEXIST ? absl::AlreadyExistsError(message) : absl::InternalError(message);
}

// Directories 0700, files without group and other bits; links as they are.
absl::Status RestrictOne(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return ErrnoError("reading the mode of", path);
  if (S_ISLNK(st.st_mode)) return absl::OkStatus();
  const mode_t mode = st.st_mode & 07777;
  const mode_t want = S_ISDIR(st.st_mode) ? 0700 : (mode & 0700);
  if (mode != want && chmod(path.c_str(), want) != 0) return ErrnoError("restricting", path);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteOwnerOnlyFile(const std::string& path, absl::string_view contents,
                                Existing existing) {
  const bool replace = existing == Existing::kReplace;
  const std::string target = replace ? path + ".tmp" : path;
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  const int fd = open(target.c_str(), flags, 0600);
  if (fd < 0) return ErrnoError("creating", target);
  const bool written =
      write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      fsync(fd) == 0;
  close(fd);
  if (!written) return ErrnoError("writing", target);
  if (replace && std::rename(target.c_str(), path.c_str()) != 0)
    return ErrnoError("renaming", target);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace hotspot::security::internal

namespace hotspot::security {

absl::Status RestrictToOwner(const std::string& path) {
  if (absl::Status root = internal::RestrictOne(path); !root.ok()) return root;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // A file that went away meanwhile (a compaction's input, say) needs nothing.
    if (absl::Status one = internal::RestrictOne(it->path().string());
        !one.ok() && !absl::IsNotFound(one)) {
      return one;
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("listing ", path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace hotspot::security
