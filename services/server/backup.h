// WriteBackup: a backup written one part per step (AdminService.Backup's producer), so that a
// partial backup is never taken for a complete one.
//
// The parts are written into `<directory>.partial` (owner-only), each into a subdirectory of its
// name; after the last part, a manifest (`manifest`, first line kBackupManifestFirstLine, then
// the log's position and the parts) is written and fsynced, and only then is the directory
// renamed to `<directory>` (then its parent fsynced). A restore refuses a backup without the
// manifest (restore.h). A backup that fails, is cancelled or is cut short by a crash or a
// shutdown leaves `<directory>.partial` and no `<directory>`: a directory named as asked for is
// always complete. The `.partial` directory is left for the operator to look at and remove; a
// backup to the same directory is refused while it exists.
//
// Refused, INVALID_ARGUMENT naming the field `directory`: a relative path; one that exists, or
// whose `.partial` exists; one that is the data directory or lies inside it (a backup inside the
// data it copies grows with every backup, and goes wherever the data directory is copied or
// lost); one that is a symbolic link (whatever it points to). Paths are compared after resolving
// symbolic links and "..".
//
// Symbolic links are resolved once. The parent directory of `<directory>` is opened when the
// backup starts, checked as opened (not inside the data directory), and everything after that is
// done relative to it: `.partial` made with mkdirat and opened with O_NOFOLLOW, the parts written
// through /proc/self/fd/<that directory> (Linux), the manifest with openat, the final rename with
// renameat2(RENAME_NOREPLACE). So a symbolic link swapped into the path while the backup runs
// changes nothing: the backup lands in the directory that was checked, or fails.
//
// Thread-safety: the producer is used by one step at a time (rpc::PullWriter).
#ifndef HOTSPOT_SERVICES_SERVER_BACKUP_H_
#define HOTSPOT_SERVICES_SERVER_BACKUP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hotspot/v1/admin_service.pb.h"
#include "services/rpc/pull_writer.h"

namespace hotspot::server {

// One part of a backup: `write` makes the directory it is given (which does not exist yet) and
// writes the part into it, returning its error.
struct BackupPart {
  std::string name;
  std::function<absl::Status(const std::string& into)> write;
};

struct BackupSource {
  // The server's data directory: no backup goes into it. Required.
  std::string data_dir;
  // Written in this order, one per step. Required.
  std::vector<BackupPart> parts;
  // The log's head in the backup, asked once the first part (the log) is written: the
  // progress' position (hotspotd: the head the log's checkpoint returned).
  // Default: none (position 0).
  std::function<uint64_t()> head;
};

// The suffix of the directory a backup is written into until it is complete.
inline constexpr char kPartialSuffix[] = ".partial";
// The file that marks a backup complete, written last, and its first line.
inline constexpr char kBackupManifest[] = "manifest";
inline constexpr char kBackupManifestFirstLine[] = "hotspotd backup 1";

// Whether `path` is `dir` or lies inside it, once symbolic links and ".." are resolved; neither
// need exist. INTERNAL naming the path that cannot be resolved.
absl::StatusOr<bool> IsWithin(const std::string& path, const std::string& dir);

// The producer of a backup of `source` to `directory`: each step writes one part and fills the
// progress (part, parts_done, parts_total, position); the last renames the backup into place.
// A step's error (INVALID_ARGUMENT for the refusals above, a part's error, INTERNAL if the
// rename fails) ends the backup, leaving `<directory>.partial` if it was made.
rpc::Producer<v1::BackupResponse> WriteBackup(BackupSource source, std::string directory);

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_BACKUP_H_
