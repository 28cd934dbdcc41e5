// WriteBackup: a backup is written under `<directory>.partial` and renamed into place only once
// complete, so a backup that fails half way leaves no directory of the name asked for; and a
// destination inside the data directory (directly, through "..", or through a symbolic link) is
// refused INVALID_ARGUMENT naming `directory`, before anything is written.
#include "services/server/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/test_util.h"

namespace hotspot::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A part that writes one file, `name`, holding "part <name>".
BackupPart FilePart(const std::string& name) {
  return {name, [name](const std::string& into) -> absl::Status {
            fs::create_directory(into);
            std::ofstream(into + "/" + name) << "part " << name;
            return absl::OkStatus();
          }};
}

// The steps of a backup of `source` to `directory`, run until the backup ends: the progress of
// each step that succeeded, and the status it ended with.
struct Outcome {
  std::vector<v1::BackupResponse> progress;
  absl::Status status;
};
Outcome RunBackup(const BackupSource& source, const std::string& directory) {
  Outcome run;
  rpc::Producer<v1::BackupResponse> next = WriteBackup(source, directory);
  for (;;) {
    v1::BackupResponse response;
    const absl::StatusOr<rpc::Pull> pulled = next(response);
    if (!pulled.ok()) {
      run.status = pulled.status();
      return run;
    }
    run.progress.push_back(response);
    if (*pulled != rpc::Pull::kMore) return run;
  }
}

// The names in `dir`, sorted.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Fixture {
  store::testing::TempDir dir;
  BackupSource source;
  Fixture() {
    fs::create_directory(dir.Sub("data"));
    source.data_dir = dir.Sub("data");
    source.parts = {FilePart("events"), FilePart("keys"), FilePart("access")};
    source.head = [] { return uint64_t{42}; };
  }
};

TEST(BackupTest, ACompleteBackupIsRenamedIntoPlaceOwnerOnly) {
  Fixture f;
  const std::string to = f.dir.Sub("backups/monday");
  const Outcome run = RunBackup(f.source, to);
  ASSERT_TRUE(run.status.ok()) << run.status;
  ASSERT_EQ(run.progress.size(), 3u);
  EXPECT_EQ(run.progress[0].part(), "events");
  EXPECT_EQ(run.progress[2].part(), "access");
  EXPECT_EQ(run.progress[2].parts_done(), 3u);
  EXPECT_EQ(run.progress[2].parts_total(), 3u);
  EXPECT_EQ(run.progress[0].position(), 42u);
  EXPECT_EQ(Names(to), (std::vector<std::string>{"access", "events", "keys", "manifest"}));
  EXPECT_EQ(ReadFile(to + "/manifest"), "hotspotd backup 1\nposition 42\nparts events keys access\n");
  EXPECT_EQ(Names(f.dir.Sub("backups")), std::vector<std::string>{"monday"});
  struct stat st;
  ASSERT_EQ(stat(to.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // The same place again: refused, naming the field.
  const Outcome again = RunBackup(f.source, to);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(again.status.message()), StartsWith("directory: "));
  EXPECT_THAT(std::string(again.status.message()), HasSubstr("exists already"));
}

// The second of three parts fails: its error ends the backup, and what was written stays under
// `.partial`, never under the name asked for. A backup to the same place is refused until the
// operator removes it.
TEST(BackupTest, ABackupThatFailsHalfWayIsLeftAsPartial) {
  Fixture f;
  f.source.parts[1].write = [](const std::string&) {
    return absl::ResourceExhaustedError("injected: the disk is full");
  };
  const std::string to = f.dir.Sub("backups/tuesday");
  const Outcome run = RunBackup(f.source, to);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kResourceExhausted) << run.status;
  EXPECT_EQ(run.progress.size(), 1u);
  EXPECT_FALSE(fs::exists(to));
  EXPECT_EQ(Names(f.dir.Sub("backups")), std::vector<std::string>{"tuesday.partial"});
  EXPECT_EQ(Names(to + ".partial"), std::vector<std::string>{"events"});

  f.source.parts[1] = FilePart("keys");
  const Outcome retried = RunBackup(f.source, to);
  EXPECT_EQ(retried.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(retried.status.message()),
              StartsWith("directory: " + to + ".partial exists: a backup there did not finish"));
  EXPECT_FALSE(fs::exists(to));

  fs::remove_all(to + ".partial");
  const Outcome fresh = RunBackup(f.source, to);
  EXPECT_TRUE(fresh.status.ok()) << fresh.status;
  EXPECT_EQ(Names(to), (std::vector<std::string>{"access", "events", "keys", "manifest"}));
}

// Abandoned after its first part (the client went away, the server shut down): the producer is
// dropped, and the backup stays `.partial`.
TEST(BackupTest, AnAbandonedBackupIsLeftAsPartial) {
  Fixture f;
  const std::string to = f.dir.Sub("wednesday");
  {
    rpc::Producer<v1::BackupResponse> next = WriteBackup(f.source, to);
    v1::BackupResponse response;
    ASSERT_EQ(next(response).value_or(rpc::Pull::kNone), rpc::Pull::kMore);
  }
  EXPECT_FALSE(fs::exists(to));
  EXPECT_TRUE(fs::exists(to + ".partial/events"));
}

TEST(BackupTest, ADestinationInsideTheDataDirectoryIsRefused) {
  Fixture f;
  fs::create_symlink(f.dir.Sub("data"), f.dir.Sub("link"));
  for (const std::string& to :
       {f.dir.Sub("data"), f.dir.Sub("data/backup"), f.dir.Sub("data/new/backup"),
        f.dir.Sub("other/../data/backup"), f.dir.Sub("link/backup"), f.dir.Sub("data/backup/")}) {
    const Outcome run = RunBackup(f.source, to);
    EXPECT_EQ(run.status.code(), absl::StatusCode::kInvalidArgument) << to;
    EXPECT_THAT(std::string(run.status.message()), StartsWith("directory: ")) << to;
    EXPECT_THAT(std::string(run.status.message()), HasSubstr("is inside the data directory"))
        << to;
    EXPECT_TRUE(run.progress.empty());
  }
  // Nothing was written.
  EXPECT_TRUE(fs::is_empty(f.dir.Sub("data")));
  EXPECT_EQ(Names(f.dir.path()), (std::vector<std::string>{"data", "link"}));
  // Beside it is fine, even with a name that starts alike.
  const Outcome beside = RunBackup(f.source, f.dir.Sub("data-backup"));
  EXPECT_TRUE(beside.status.ok()) << beside.status;
}

TEST(BackupTest, ARelativeDestinationIsRefused) {
  Fixture f;
  const Outcome run = RunBackup(f.source, "backups/thursday");
  EXPECT_EQ(run.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run.status.message(), "directory: must be an absolute path on the server");
}

// A destination that is itself a symbolic link is refused, naming the field, whatever it points
// to: into the data directory, or to a directory yet to be made elsewhere (which the rename
// would not have replaced).
TEST(BackupTest, ADestinationThatIsASymbolicLinkIsRefused) {
  Fixture f;
  fs::create_symlink(f.dir.Sub("data/backup"), f.dir.Sub("into-data"));
  fs::create_symlink(f.dir.Sub("elsewhere/backup"), f.dir.Sub("dangling"));
  for (const std::string& to : {f.dir.Sub("into-data"), f.dir.Sub("dangling")}) {
    const Outcome run = RunBackup(f.source, to);
    EXPECT_EQ(run.status.code(), absl::StatusCode::kInvalidArgument) << to << ": " << run.status;
    EXPECT_THAT(std::string(run.status.message()), StartsWith("directory: " + to + " is "))
        << run.status;
    EXPECT_TRUE(run.progress.empty());
  }
  EXPECT_THAT(std::string(RunBackup(f.source, f.dir.Sub("dangling")).status.message()),
              HasSubstr("is a symbolic link"));
  EXPECT_TRUE(fs::is_empty(f.dir.Sub("data")));
  EXPECT_FALSE(fs::exists(f.dir.Sub("elsewhere")));
}

// The parent of the destination is swapped for a symbolic link into the data directory after
// the backup has started (after the check): the rest of the backup, and its rename, still go to
// the directory that was checked, and nothing is written into the data directory.
TEST(BackupTest, ASymbolicLinkSwappedInWhileTheBackupRunsChangesNothing) {
  Fixture f;
  const std::string to = f.dir.Sub("backups/friday");
  rpc::Producer<v1::BackupResponse> next = WriteBackup(f.source, to);
  v1::BackupResponse response;
  ASSERT_EQ(next(response).value_or(rpc::Pull::kNone), rpc::Pull::kMore);
  fs::rename(f.dir.Sub("backups"), f.dir.Sub("checked"));
  fs::create_symlink(f.dir.Sub("data"), f.dir.Sub("backups"));
  absl::StatusOr<rpc::Pull> pulled;
  do {
    pulled = next(response);
    ASSERT_TRUE(pulled.ok()) << pulled.status();
  } while (*pulled == rpc::Pull::kMore);
  EXPECT_TRUE(fs::is_empty(f.dir.Sub("data")));
  EXPECT_EQ(Names(f.dir.Sub("checked/friday")),
            (std::vector<std::string>{"access", "events", "keys", "manifest"}));
  EXPECT_EQ(Names(f.dir.Sub("checked")), std::vector<std::string>{"friday"});
}

}  // namespace
}  // namespace hotspot::server
