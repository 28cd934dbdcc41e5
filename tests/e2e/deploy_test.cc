// deploy/: the example flags file names only flags hotspotd has, and hotspotd reads it (failing,
// with paths of this machine, on the first file it cannot read, not on a flag); the systemd unit
// passes `systemd-analyze verify` where systemd is installed.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "store/test_util.h"
#include "tests/e2e/shell_util.h"

namespace hotspot::testing {
namespace {

// Runs `command` with its output to a file; the exit code and the output.
std::pair<int, std::string> RunShell(const std::string& command, const std::string& out) {
  const int status = std::system(absl::StrCat(command, " >", out, " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out)};
}

const std::string kFlags = absl::StrCat(DEPLOY_DIR, "/hotspotd.flags");

TEST(DeployTest, EveryFlagOfTheFlagsFileExists) {
  store::testing::TempDir dir;
  const auto [code, help] = RunShell(absl::StrCat(HOTSPOTD_PATH, " --helpfull"), dir.Sub("help"));
  int flags = 0;
  for (absl::string_view line : absl::StrSplit(Slurp(kFlags), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    ASSERT_TRUE(absl::ConsumePrefix(&line, "--")) << line;
    const std::string name(line.substr(0, line.find('=')));
    EXPECT_TRUE(absl::StrContains(help, absl::StrCat("-", name, " ("))) << name;
    ++flags;
  }
  EXPECT_GE(flags, 15);
}

TEST(DeployTest, HotspotdReadsTheFlagsFileAndFailsOnAMissingCertificate) {
  store::testing::TempDir dir;
  // The file as deployed, with the data and the master key moved to a temporary directory:
  // the first thing missing on this machine is the TLS certificate.
  const auto [code, out] = RunShell(
      absl::StrCat(HOTSPOTD_PATH, " --flagfile=", kFlags, " --data_dir=", dir.Sub("data"),
                   " --master_key_file=", dir.Sub("master.key"), " --metrics_listen=127.0.0.1:0",
                   " --tls_cert_file=", dir.Sub("missing.crt")),
      dir.Sub("out"));
  EXPECT_EQ(code, 2) << out;
  EXPECT_FALSE(absl::StrContains(out, "Unknown command line flag")) << out;
  EXPECT_TRUE(absl::StrContains(out, "tls_cert_file")) << out;
  EXPECT_TRUE(absl::StrContains(out, "missing.crt")) << out;
}

TEST(DeployTest, SystemdUnitVerifies) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed";
  }
  store::testing::TempDir dir;
  // The unit as installed, with ExecStart pointing at the hotspotd built here.
  std::string unit = Slurp(absl::StrCat(DEPLOY_DIR, "/hotspotd.service"));
  ASSERT_TRUE(absl::StrContains(unit, "/usr/local/bin/hotspotd"));
  absl::StrReplaceAll({{"/usr/local/bin/hotspotd", HOTSPOTD_PATH}}, &unit);
  std::ofstream(dir.Sub("hotspotd.service")) << unit;
  const auto [code, out] =
      RunShell(absl::StrCat("systemd-analyze verify ", dir.Sub("hotspotd.service")), dir.Sub("out"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << out;
  EXPECT_TRUE(absl::StrContains(unit, "ExecReload=/bin/kill -HUP $MAINPID"));
  EXPECT_TRUE(absl::StrContains(unit, "UMask=0077"));
}

}  // namespace
}  // namespace hotspot::testing
