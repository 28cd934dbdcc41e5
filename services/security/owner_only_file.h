// Owner-only files: secrets' files written 0600 and fsynced with their directory entry (internal
// to security/), and whole trees made owner-only (hotspotd's data directory and its backups).
//
// Thread-safety: stateless functions; RestrictToOwner races with nothing but other processes
// creating files in the same tree.
#ifndef HOTSPOT_SERVICES_SECURITY_OWNER_ONLY_FILE_H_
#define HOTSPOT_SERVICES_SECURITY_OWNER_ONLY_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hotspot::security::internal {

enum class Existing { kFail, kReplace };

// Writes `contents` to `path`, readable and writable by the owner only, and makes the file and
// its directory entry durable. kFail: the file must not exist yet (ALREADY_EXISTS otherwise);
// kReplace: an existing file is replaced atomically (written aside, then renamed).
// INTERNAL for other I/O errors.
absl::Status WriteOwnerOnlyFile(const std::string& path, absl::string_view contents,
                                Existing existing);

}  // namespace hotspot::security::internal

namespace hotspot::security {

// Makes `path` and everything under it owner-only, whatever the umask they were made under:
// directories 0700, files without their group and other bits (0644 becomes 0600). Symbolic
// links are neither followed nor changed. INTERNAL naming the path for a file it cannot read the
// mode of or change (another user's file, say); NOT_FOUND if `path` does not exist.
absl::Status RestrictToOwner(const std::string& path);

}  // namespace hotspot::security

#endif  // HOTSPOT_SERVICES_SECURITY_OWNER_ONLY_FILE_H_
