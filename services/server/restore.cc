#include "services/server/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "hotspot/v1/events.pb.h"
#include "services/common/message_walk.h"
#include "services/security/key_store.h"
#include "services/security/owner_only_file.h"
#include "services/security/sealer.h"
#include "services/server/backup.h"
#include "store/event_store.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 3> kParts = {"events", "keys", "access"};

absl::Status IoError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", ec.message()));
}

// fsyncs `path` (a file or a directory).
absl::Status Sync(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("opening", path, std::error_code(errno, std::generic_category()));
  const int synced = fsync(fd);
  const int error = errno;
  close(fd);
  if (synced != 0) return IoError("syncing", path, std::error_code(error, std::generic_category()));
  return absl::OkStatus();
}

// Copies the directory `from` to `to` (new), every file and directory fsynced.
absl::Status CopyDurably(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) return IoError("copying to", to, ec);
  for (auto it = fs::recursive_directory_iterator(to, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    RETURN_IF_ERROR(Sync(it->path()));
  }
  if (ec) return IoError("reading", to, ec);
  return Sync(to);
}

// Calls `visit` with every SealedText in `m`, recursively.
void ForEachSealed(google::protobuf::Message* m,
                   const std::function<void(const v1::SealedText&)>& visit) {
  if (m->GetDescriptor() == v1::SealedText::descriptor()) {
    visit(*static_cast<const v1::SealedText*>(m));
    return;
  }
  common::ForEachChild(m, "", [&](google::protobuf::Message* child, const std::string&) {
    ForEachSealed(child, visit);
  });
}

// Step 4 of the header on the copy in `dir`.
absl::StatusOr<RestoreReport> Prove(const fs::path& dir, const std::string& master_key_file) {
  security::KeyStoreOptions key_options;
  key_options.master_key_file = master_key_file;
  key_options.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<security::KeyStore> keys,
                   security::KeyStore::Open(key_options, (dir / "keys").string()));
  security::Sealer sealer(keys.get());
  store::Options store_options;
  store_options.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<store::EventStore> events,
                   store::EventStore::Open(std::move(store_options), (dir / "events").string()));
  RestoreReport report;
  const uint64_t head = events->HeadPosition();
  const store::VerifyReport verified = events->Verify(1, head);
  if (!verified.status.ok()) return verified.status;
  if (verified.events_checked != head) {
    return absl::DataLossError(absl::StrCat("the log verified ", verified.events_checked,
                                            " events of ", head));
  }
  report.events = head;
  for (uint64_t next = 1; next <= head;) {
    ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> batch,
                     events->ReadAll(next, store::Direction::kForward, 1000));
    if (batch.empty()) break;
    for (const store::RecordedEvent& recorded : batch) {
      v1::Event event;
      if (!event.ParseFromString(recorded.payload)) {
        return absl::DataLossError(absl::StrCat("the event at ", recorded.position,
                                                " does not parse"));
      }
      absl::Status unsealed;
      ForEachSealed(&event, [&](const v1::SealedText& sealed) {
        // An empty one stands for a value never given (the read side shows it as such).
        if (!unsealed.ok() || sealed.ciphertext().empty()) return;
        const absl::StatusOr<security::UnsealedValue> value =
            sealer.Unseal({sealed.key_id(), sealed.ciphertext()}, sealed.field());
        if (!value.ok()) {
          unsealed = absl::DataLossError(absl::StrCat(
              "the event at ", recorded.position, ": its ", sealed.field(), " does not unseal (",
              value.status().message(), "): the backup's key store does not match its log"));
          return;
        }
        ++report.sealed_values;
        if (value->erased) ++report.erased_values;
      });
      RETURN_IF_ERROR(unsealed);
    }
    next = batch.back().position + 1;
  }
  return report;
}

}  // namespace

absl::StatusOr<RestoreReport> RestoreBackup(const std::string& backup, const std::string& data_dir,
                                            const std::string& master_key_file) {
  std::error_code ec;
  if (absl::EndsWith(fs::path(backup).lexically_normal().string(), kPartialSuffix) ||
      absl::EndsWith(backup, std::string(kPartialSuffix) + "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "restore_from: ", backup, " is an unfinished backup (AdminService.Backup renames a "
        "backup into place once complete)"));
  }
  // The manifest is written last, before the rename: without it the backup did not finish.
  std::ifstream manifest(fs::path(backup) / kBackupManifest);
  std::string first_line;
  if (!manifest || !std::getline(manifest, first_line) || first_line != kBackupManifestFirstLine) {
    const bool any_part = fs::is_directory(fs::path(backup) / kParts[0], ec);
    return absl::InvalidArgumentError(absl::StrCat(
        "restore_from: ", backup, " has no manifest (", kBackupManifest,
        any_part ? ", written last by a backup that finished): an unfinished backup, or one "
                   "taken before backups had manifests. Restore another backup; for an old one "
                   "whose Backup call ended OK, write the line `"
                 : "): not a backup of hotspotd",
        any_part ? absl::StrCat(kBackupManifestFirstLine, "` into ", backup, "/",
                                kBackupManifest, " and restore again (README, Backups)")
                 : ""));
  }
  for (const char* part : kParts) {
    if (!fs::is_directory(fs::path(backup) / part, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "restore_from: ", backup, " holds no ", part, "/: not a backup of hotspotd"));
    }
  }
  const fs::path dir(data_dir);
  for (const char* held : {"events", "keys", "access", "views", "erasures.checkpoint"}) {
    if (fs::exists(dir / held, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data_dir: ", data_dir, " holds ", held, " already: restore into an empty directory"));
    }
  }
  if (!fs::exists(master_key_file, ec)) {
    return absl::NotFoundError(absl::StrCat("master_key_file: ", master_key_file,
                                            " is missing: the backup's keys open only with the "
                                            "master key they were made under"));
  }
  fs::create_directories(dir, ec);
  if (ec) return IoError("creating", dir, ec);
  RETURN_IF_ERROR(security::RestrictToOwner(data_dir));
  const fs::path copy = dir / ".restoring";
  fs::remove_all(copy, ec);  // an earlier restore's, cut off
  if (ec) return IoError("removing", copy, ec);
  // Whatever happens below, the copy goes (it is empty once its parts have moved).
  absl::Cleanup remove_copy = [&copy] {
    std::error_code ignored;
    fs::remove_all(copy, ignored);
  };
  fs::create_directory(copy, ec);
  if (ec) return IoError("creating", copy, ec);
  for (const char* part : kParts) {
    RETURN_IF_ERROR(CopyDurably(fs::path(backup) / part, copy / part));
  }
  RETURN_IF_ERROR(security::RestrictToOwner(copy.string()));
  ASSIGN_OR_RETURN(const RestoreReport report, Prove(copy, master_key_file));
  for (const char* part : kParts) {
    fs::rename(copy / part, dir / part, ec);
    if (ec) return IoError("moving into place", dir / part, ec);
  }
  RETURN_IF_ERROR(Sync(dir));
  return report;
}

}  // namespace hotspot::server
