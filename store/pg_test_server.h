// PgTestServer: a throwaway PostgreSQL 15 server for tests of the PostgreSQL engines, on a free
// loopback port, in a fresh directory. initdb, pg_ctl and the server run as the `postgres` user
// when the tests run as root (PostgreSQL refuses root), as the test's own user otherwise. Trust
// authentication, loopback only. The destructor stops it (immediate shutdown) and removes the
// directory. Needs Debian's postgresql-15 (scripts/deps.sh installs it); without it Start()
// fails saying so.
#ifndef HOTSPOT_STORE_PG_TEST_SERVER_H_
#define HOTSPOT_STORE_PG_TEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotspot::store::testing {

class PgTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<PgTestServer>> Start();
  ~PgTestServer();
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // A libpq connection string for `database` on this server.
  std::string conninfo(absl::string_view database = "postgres") const;
  // Creates `database` (a fresh one per test keeps tests apart). [a-z0-9_] only.
  absl::Status CreateDatabase(absl::string_view database);
  // Runs `sql` with psql against `database`; its output. For tests that act behind an engine's
  // back (ending its connections, reading the catalog).
  absl::StatusOr<std::string> Psql(absl::string_view database, absl::string_view sql) const;
  // The server's data directory (its files, for tests that look into them).
  const std::string& data_directory() const { return data_; }
  int port() const { return port_; }

 private:
  PgTestServer() = default;
  std::string root_;  // owns data_ and the socket directory
  std::string data_;
  int port_ = 0;
  bool started_ = false;
};

// The program's one server, started on first use (with a database `test`), stopped at exit. A
// server that cannot start ends the program, saying why: nothing of a PostgreSQL engine can be
// tested without one.
PgTestServer& ProgramPgServer();

}  // namespace hotspot::store::testing

#endif  // HOTSPOT_STORE_PG_TEST_SERVER_H_
