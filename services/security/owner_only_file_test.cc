#include "services/security/owner_only_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "store/test_util.h"

namespace hotspot::security {
namespace {

using store::testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 07777;
}

TEST(RestrictToOwnerTest, DirectoriesBecome0700AndFilesLoseGroupAndOtherBits) {
  TempDir dir;
  const std::string root = dir.Sub("data");
  std::filesystem::create_directories(root + "/events/archive");
  std::ofstream(root + "/events/000001.sst") << "x";
  std::ofstream(root + "/erasures.checkpoint") << "1";
  std::ofstream(root + "/run.sh") << "#!/bin/sh";
  std::ofstream(dir.Sub("outside")) << "not ours to change";
  std::filesystem::create_symlink(dir.Sub("outside"), root + "/link");
  for (const char* d : {"", "/events", "/events/archive"}) chmod((root + d).c_str(), 0755);
  chmod((root + "/events/000001.sst").c_str(), 0644);
  chmod((root + "/erasures.checkpoint").c_str(), 0666);
  chmod((root + "/run.sh").c_str(), 0755);
  chmod(dir.Sub("outside").c_str(), 0644);

  ASSERT_TRUE(RestrictToOwner(root).ok());
  for (const char* d : {"", "/events", "/events/archive"}) EXPECT_EQ(ModeOf(root + d), 0700) << d;
  EXPECT_EQ(ModeOf(root + "/events/000001.sst"), 0600);
  EXPECT_EQ(ModeOf(root + "/erasures.checkpoint"), 0600);
  EXPECT_EQ(ModeOf(root + "/run.sh"), 0700);
  // A link is not followed: what it points to is not the directory's.
  EXPECT_EQ(ModeOf(dir.Sub("outside")), 0644);

  EXPECT_EQ(RestrictToOwner(dir.Sub("missing")).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hotspot::security
