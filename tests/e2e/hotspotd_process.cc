#include "tests/e2e/hotspotd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace hotspot::testing {
namespace {

// Forks and execs `binary` with `args`, stdout and stderr to `log`.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

// Waits up to `timeout` for `pid` to exit; its exit code, 128+signal, or -1 on timeout.
int WaitFor(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return -1;
}

}  // namespace

absl::StatusOr<HotspotdProcess> HotspotdProcess::Start(const std::string& binary,
                                                       const std::string& data_dir,
                                                       std::vector<std::string> extra_flags) {
  std::filesystem::create_directories(data_dir);
  const std::string port_file = data_dir + "/../hotspotd.port";
  const std::string log_file = data_dir + "/../hotspotd.log";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {"--listen=127.0.0.1:0", "--data_dir=" + data_dir,
                                   "--port_file=" + port_file, "--sync=false"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  const pid_t pid = Spawn(binary, args, log_file);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (std::filesystem::exists(port_file)) {
      return HotspotdProcess(
          pid, absl::StrCat("127.0.0.1:", absl::StripAsciiWhitespace(ReadAll(port_file))),
          log_file);
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::InternalError(
          absl::StrCat("hotspotd exited with ", WEXITSTATUS(status), ": ", ReadAll(log_file)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return absl::DeadlineExceededError(absl::StrCat("hotspotd did not listen: ", ReadAll(log_file)));
}

void HotspotdProcess::Signal(int signal) const { kill(pid_, signal); }

HotspotdProcess::HotspotdProcess(HotspotdProcess&& other) noexcept
    : pid_(other.pid_), address_(std::move(other.address_)), log_file_(std::move(other.log_file_)) {
  other.pid_ = -1;
}

HotspotdProcess::~HotspotdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

absl::StatusOr<int> HotspotdProcess::Stop(int timeout_ms) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGTERM);
  const int code = WaitFor(pid_, absl::Milliseconds(timeout_ms));
  if (code < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return absl::DeadlineExceededError("hotspotd did not stop after SIGTERM");
  }
  pid_ = -1;
  return code;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

bool WaitForLog(const std::string& path, const std::string& text, int count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    const std::string log = ReadAll(path);
    int found = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
      ++found;
    }
    if (found >= count) return true;
    absl::SleepFor(absl::Milliseconds(10));  // a poll's interval, not a wait for an outcome
  }
  return false;
}

int RunToExit(const std::string& binary, const std::vector<std::string>& flags,
              std::string* output) {
  const std::string log =
      std::filesystem::temp_directory_path() / absl::StrCat("hotspotd-run-", getpid(), ".log");
  const pid_t pid = Spawn(binary, flags, log);
  const int code = WaitFor(pid, absl::Seconds(30));
  *output = ReadAll(log);
  std::filesystem::remove(log);
  return code;
}

}  // namespace hotspot::testing
