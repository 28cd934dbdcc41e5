// HotspotdProcess: a real hotspotd, started for a test on a free port and stopped with SIGTERM.
#ifndef HOTSPOT_TESTS_E2E_HOTSPOTD_PROCESS_H_
#define HOTSPOT_TESTS_E2E_HOTSPOTD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hotspot::testing {

class HotspotdProcess {
 public:
  // Starts `binary` with --listen=127.0.0.1:0, --data_dir=`data_dir`, --sync=false (unless
  // `extra_flags` says otherwise) and `extra_flags`, and waits until it listens.
  // Returns the process, or why it did not start (its exit code and log).
  static absl::StatusOr<HotspotdProcess> Start(const std::string& binary,
                                               const std::string& data_dir,
                                               std::vector<std::string> extra_flags = {});
  HotspotdProcess(HotspotdProcess&& other) noexcept;
  HotspotdProcess& operator=(HotspotdProcess&&) = delete;
  ~HotspotdProcess();  // SIGKILL if still running

  const std::string& address() const { return address_; }
  const std::string& log_file() const { return log_file_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` (SIGHUP, say) to the process.
  void Signal(int signal) const;

  // Sends SIGTERM and waits (up to `timeout_ms`) for the exit; returns the exit code, or
  // DEADLINE_EXCEEDED (and kills it) if it did not stop in time.
  absl::StatusOr<int> Stop(int timeout_ms = 15000);

 private:
  HotspotdProcess(pid_t pid, std::string address, std::string log_file)
      : pid_(pid), address_(std::move(address)), log_file_(std::move(log_file)) {}
  pid_t pid_ = -1;
  std::string address_;
  std::string log_file_;
};

// The text of the file at `path` ("" if it cannot be read).
std::string ReadAll(const std::string& path);

// Whether `text` appears at least `count` times in the file at `path` (a log) within 10 s.
bool WaitForLog(const std::string& path, const std::string& text, int count);

// Runs `binary` with `flags` to completion; returns its exit code, its output in `*output`.
int RunToExit(const std::string& binary, const std::vector<std::string>& flags,
              std::string* output);

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_HOTSPOTD_PROCESS_H_
