// Files and keys at rest: hotspotd started under umask 022 keeps its data directory and its
// backups owner-only, tightens a data directory that an earlier version left open, warns when the
// master key is inside the data directory, and never puts the key in a backup.
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "store/test_util.h"
#include "tests/e2e/hotspotd_process.h"

namespace hotspot::testing {
namespace {

using store::testing::TempDir;

// Sets the umask for as long as it lives (hotspotd inherits it).
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(umask(mask)) {}
  ~Umask() { umask(previous_); }

 private:
  mode_t previous_;
};

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 07777;
}

// Every entry under `root` (itself included) that is not owner-only: directories other than
// 0700, files with a group or other bit. "path mode" each.
std::vector<std::string> NotOwnerOnly(const std::string& root) {
  std::vector<std::string> out;
  auto check = [&out](const std::filesystem::path& path) {
    const mode_t mode = ModeOf(path);
    const bool ok = std::filesystem::is_directory(path) ? mode == 0700 : (mode & 077) == 0;
    if (!ok) out.push_back(absl::StrCat(path.string(), " ", absl::Hex(mode)));
  };
  check(root);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) check(entry.path());
  return out;
}

// The dev token printed for `person` in hotspotd's log.
std::string DevToken(const std::string& log, const std::string& person) {
  std::smatch match;
  const std::regex line(person + R"( \(\w+\): (\w+))");
  return std::regex_search(log, match, line) ? match[1].str() : "";
}

// AdminService.Backup to `directory`, as the holder of `token`.
grpc::Status Backup(const std::string& address, const std::string& token,
                    const std::string& directory) {
  auto stub =
      v1::AdminService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  v1::BackupRequest request;
  request.set_directory(directory);
  auto reader = stub->Backup(&context, request);
  v1::BackupResponse progress;
  while (reader->Read(&progress)) {
  }
  return reader->Finish();
}

TEST(FilesTest, DataAndBackupsAreOwnerOnlyUnderUmask022AndNoBackupHoldsTheKey) {
  TempDir dir;
  const Umask lax(022);
  const std::string data = dir.Sub("data");
  absl::StatusOr<HotspotdProcess> server =
      HotspotdProcess::Start(HOTSPOTD_PATH, data, {"--demo", "--deadline_interval_s=0"});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string log = ReadAll(server->log_file());
  // The default master key lies in the data directory: fine for the demo, warned about.
  EXPECT_TRUE(absl::StrContains(
      log, "event=master_key_in_data_dir master_key_file=" + data + "/master.key"))
      << log;

  const std::string backup = dir.Sub("backups/2026-11-23");
  const grpc::Status backed_up = Backup(server->address(), DevToken(log, "it-operator"), backup);
  ASSERT_TRUE(backed_up.ok()) << backed_up.error_message();
  for (const char* part : {"events", "keys", "access"}) {
    EXPECT_TRUE(std::filesystem::is_directory(backup + "/" + part)) << part;
  }
  EXPECT_EQ(NotOwnerOnly(data), std::vector<std::string>{});
  EXPECT_EQ(NotOwnerOnly(backup), std::vector<std::string>{});
  EXPECT_EQ(ModeOf(dir.Sub("backups")), 0700);  // the parent it made for the backup

  // The backup holds no copy of the master key, under any name: neither its hex text nor its
  // 32 bytes appear in any file.
  const std::string hex(absl::StripAsciiWhitespace(ReadAll(data + "/master.key")));
  ASSERT_EQ(hex.size(), 64u);
  std::string raw;
  for (size_t i = 0; i < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(backup)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = ReadAll(entry.path().string());
    EXPECT_FALSE(absl::StrContains(bytes, hex)) << entry.path();
    EXPECT_FALSE(absl::StrContains(bytes, raw)) << entry.path();
  }
  EXPECT_GT(files, 10);
  ASSERT_EQ(*server->Stop(), 0);

  // An earlier version left the directory open (0755 directories, 0644 files): the next start
  // makes it owner-only again.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data)) {
    chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0644);
  }
  chmod(data.c_str(), 0755);
  ASSERT_FALSE(NotOwnerOnly(data).empty());
  absl::StatusOr<HotspotdProcess> again =
      HotspotdProcess::Start(HOTSPOTD_PATH, data, {"--demo", "--deadline_interval_s=0"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(NotOwnerOnly(data), std::vector<std::string>{});
  EXPECT_EQ(*again->Stop(), 0);
}

TEST(FilesTest, AMasterKeyOutsideTheDataDirectoryIsNotWarnedAbout) {
  TempDir dir;
  const Umask lax(022);
  std::filesystem::create_directories(dir.Sub("secrets"));
  chmod(dir.Sub("secrets").c_str(), 0700);
  absl::StatusOr<HotspotdProcess> server = HotspotdProcess::Start(
      HOTSPOTD_PATH, dir.Sub("data"),
      {"--demo", "--deadline_interval_s=0", "--master_key_file=" + dir.Sub("secrets/master.key")});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ModeOf(dir.Sub("secrets/master.key")), 0600);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data/master.key")));
  ASSERT_EQ(*server->Stop(), 0);
  const std::string log = ReadAll(server->log_file());
  EXPECT_FALSE(absl::StrContains(log, "master_key_in_data_dir")) << log;
  EXPECT_TRUE(absl::StrContains(log, "event=listening")) << log;
}

}  // namespace
}  // namespace hotspot::testing
