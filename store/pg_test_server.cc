#include "store/pg_test_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "store/pg_connection.h"
#include "store/status_macros.h"

namespace hotspot::store::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin";

// A port nobody listens on now (the kernel's pick for port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// `command` as the user that runs PostgreSQL, its output appended to `log`.
absl::Status Run(const std::string& command, const std::string& log) {
  const std::string as = getuid() == 0 ? "runuser -u postgres -- " : "";
  const std::string line = absl::StrCat(as, command, " >>", log, " 2>&1");
  const int rc = std::system(line.c_str());
  if (rc == 0) return absl::OkStatus();
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return absl::InternalError(absl::StrCat("`", line, "` failed (", rc, "): ", text.str()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgTestServer>> PgTestServer::Start() {
  if (!std::filesystem::exists(absl::StrCat(kBin, "/postgres"))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no PostgreSQL 15 server in ", kBin, ": install postgresql-15 (scripts/deps.sh does)"));
  }
  std::unique_ptr<PgTestServer> server(new PgTestServer());
  char pattern[] = "/tmp/hotspot-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  server->root_ = pattern;
  server->data_ = server->root_ + "/data";
  if (getuid() == 0) {
    const passwd* pg = getpwnam("postgres");
    if (pg == nullptr) return absl::FailedPreconditionError("no `postgres` user: install postgresql-15");
    if (chown(server->root_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", server->root_));
    }
  }
  const std::string log = server->root_ + "/log";
  RETURN_IF_ERROR(Run(absl::StrCat(kBin, "/initdb -D ", server->data_,
                                      " -U postgres --auth=trust --no-sync -E UTF8 --locale=C"),
                         log));
  // A port taken by someone else between FreePort() and the start is tried again, twice.
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = FreePort();
    started = Run(absl::StrCat(kBin, "/pg_ctl -D ", server->data_, " -l ", server->root_,
                               "/server.log -w -t 60 -o \"-p ", server->port_,
                               " -c listen_addresses=127.0.0.1 -c unix_socket_directories=",
                               server->root_, " -c max_connections=200\" start"),
                  log);
    if (started.ok()) break;
  }
  if (!started.ok()) return started;
  server->started_ = true;
  return server;
}

PgTestServer::~PgTestServer() {
  if (started_) {
    Run(absl::StrCat(kBin, "/pg_ctl -D ", data_, " -m immediate -w stop"), root_ + "/log")
        .IgnoreError();
  }
  std::error_code ignored;
  if (!root_.empty()) std::filesystem::remove_all(root_, ignored);
}

std::string PgTestServer::conninfo(absl::string_view database) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", database,
                      " connect_timeout=5");
}

absl::Status PgTestServer::CreateDatabase(absl::string_view database) {
  RETURN_IF_ERROR(internal::CheckIdentifier("database", database));
  return Psql("postgres", absl::StrCat("CREATE DATABASE ", database)).status();
}

absl::StatusOr<std::string> PgTestServer::Psql(absl::string_view database,
                                               absl::string_view sql) const {
  const std::string out = absl::StrCat(root_, "/psql.out");
  std::filesystem::remove(out);
  const std::string line =
      absl::StrCat(kBin, "/psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ", port_,
                   " -U postgres -d ", database, " -c \"", sql, "\" >", out, " 2>&1");
  const int rc = std::system(line.c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  if (rc != 0) return absl::InternalError(absl::StrCat("psql: ", sql, ": ", text.str()));
  return text.str();
}

PgTestServer& ProgramPgServer() {
  static const std::unique_ptr<PgTestServer> server = [] {
    absl::StatusOr<std::unique_ptr<PgTestServer>> started = PgTestServer::Start();
    absl::Status ready = started.status();
    if (ready.ok()) ready = (*started)->CreateDatabase("test");
    if (!ready.ok()) {
      fprintf(stderr, "no PostgreSQL server for the tests: %s\n", ready.ToString().c_str());
      std::abort();
    }
    return *std::move(started);
  }();
  return *server;
}

}  // namespace hotspot::store::testing
