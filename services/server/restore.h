// Restore: makes a data directory out of a backup (AdminService.Backup, `hotspotctl backup`) and
// proves it whole before hotspotd serves it. `hotspotd --restore_from=<backup>` runs it and exits.
//
// What it does, in order:
//   1. Checks the backup: it is not an unfinished one (named `<directory>.partial`, or without
//      the manifest a backup writes last, see backup.h), and holds `events/`, `keys/` and
//      `access/` (what Backup writes). A backup taken before backups had manifests is refused
//      too, the message saying how to proceed: if its Backup call ended OK, write the manifest's
//      first line ("hotspotd backup 1") into `<backup>/manifest` and restore again (the proof
//      of step 4 still runs).
//   2. Checks the data directory: none of `events/`, `keys/`, `access/`, `views/` or
//      `erasures.checkpoint` may be there (it may hold the master key). Created if missing.
//   3. Copies the three parts into `<data_dir>/.restoring/`, each file fsynced, owner-only.
//   4. Proves the copy whole: the key store opens with the master key; the event log opens and
//      its hash chain verifies from the first event to the head; every sealed value of every
//      event unseals under its key (or reads as erased, where its key was erased before the
//      backup was taken).
//   5. Moves the parts into the data directory (renames, then an fsync of the directory) and
//      removes `.restoring/`.
// hotspotd then starts on the directory as on any other: the views rebuild from the log, and the
// erasure executor, starting from the first event, erases again the keys of every erasure the
// log holds. Erasures executed after the backup was taken are not in it: redo them (README).
//
// Failure. Nothing is moved into the data directory unless step 4 passed: on any error the
// copy is removed and the data directory is as it was. Codes: INVALID_ARGUMENT for a backup that
// is not one (the message names `restore_from`); FAILED_PRECONDITION for a data directory that
// holds data already (naming `data_dir`); NOT_FOUND if the master key file is missing; DATA_LOSS
// if the log does not verify, a sealed value does not unseal, or the key store does not open
// with the master key; INTERNAL for I/O errors.
//
// Threading: a plain function, for a process that runs nothing else on the directory.
#ifndef HOTSPOT_SERVICES_SERVER_RESTORE_H_
#define HOTSPOT_SERVICES_SERVER_RESTORE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace hotspot::server {

struct RestoreReport {
  uint64_t events = 0;         // events in the restored log, its chain verified over all
  uint64_t sealed_values = 0;  // sealed values that unsealed (erased ones included)
  uint64_t erased_values = 0;  // of those, the ones whose key was erased before the backup
};

// Restores `backup` into `data_dir`, with the master key in `master_key_file`.
absl::StatusOr<RestoreReport> RestoreBackup(const std::string& backup, const std::string& data_dir,
                                            const std::string& master_key_file);

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_RESTORE_H_
