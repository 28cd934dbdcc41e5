// hotspotd: the Hotspot coordination backend's server.
//
//   hotspotd [--listen=127.0.0.1:50051] [--data_dir=data] [--master_key_file=PATH]
//            [--sync=true] [--port_file=PATH]
//
// Logs go to stderr (glog). SIGTERM or SIGINT: stop accepting calls, finish those in flight
// (up to --shutdown_grace_ms), close the stores, exit 0. Exit 1: could not start; exit 2: bad
// flags.
#include <signal.h>

#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "glog/logging.h"
#include "services/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port (logged, and written to --port_file)");
ABSL_FLAG(std::string, data_dir, "data", "directory of the event store and the key store");
ABSL_FLAG(std::string, master_key_file, "",
          "master key file (64 hex digits, mode 0600); created if missing. Default: "
          "<data_dir>/master.key");
ABSL_FLAG(bool, sync, true, "fsync appends before acknowledging them; false is for tests only");
ABSL_FLAG(std::string, port_file, "", "if set, write the port listened on to this file");
ABSL_FLAG(int, shutdown_grace_ms, 10000, "on SIGTERM, how long calls in flight may take");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("hotspotd: the Hotspot coordination backend's gRPC server");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  // Signals are taken by sigwait below, in this thread; every thread started later inherits
  // the mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  hotspot::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  options.sync = absl::GetFlag(FLAGS_sync);
  if (!options.sync) LOG(WARNING) << "event=sync_off msg=\"appends are not fsynced: tests only\"";

  absl::StatusOr<std::unique_ptr<hotspot::server::HotspotServer>> server =
      hotspot::server::HotspotServer::Start(options);
  if (!server.ok()) {
    LOG(ERROR) << "event=start_failed status=\"" << server.status() << "\"";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  LOG(INFO) << "event=listening address=" << (*server)->address()
            << " data_dir=" << options.data_dir;
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    const std::string port = (*server)->address().substr((*server)->address().rfind(':') + 1);
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file.c_str());  // readers never see a partial file
  }

  int signal = 0;
  sigwait(&signals, &signal);
  LOG(INFO) << "event=shutting_down signal=" << signal;
  (*server)->Shutdown(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  LOG(INFO) << "event=stopped";
  return 0;
}
