// Writes secrets' files: mode 0600, fsynced with their directory entry. Internal to security/.
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

#endif  // HOTSPOT_SERVICES_SECURITY_OWNER_ONLY_FILE_H_
