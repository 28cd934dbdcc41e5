// PgConnection: one libpq connection to PostgreSQL, for the PostgreSQL engines of store/ (never
// used outside store/). Parameters and results travel in binary (bytea as raw bytes, bigint as
// 8 bytes big-endian); several statements can go in one round trip (libpq's pipeline mode).
//
// Connecting. `conninfo` is libpq's: a multi-host string such as
// "host=a,b,c port=5432 dbname=hotspot target_session_attrs=read-write" finds the primary among
// the hosts, so that after a failover a reconnection finds the new one.
//
// Failure. A statement's error maps its SQLSTATE: a lost connection (class 08), a server
// shutting down (57P01-57P03), a read-only server (25006, a standby that was primary) and
// "cannot connect now" -> UNAVAILABLE, and the connection is marked broken, to be made again
// with Reconnect() before the next use; a serialization failure or deadlock (40001, 40P01) ->
// ABORTED; a unique violation (23505) -> ALREADY_EXISTS; anything else -> INTERNAL. Each message
// names `name` (e.g. "the key store"), what was being done, and PostgreSQL's own message. After
// UNAVAILABLE in the middle of a commit its outcome is unknown: a retry must be idempotent.
//
// Thread-safety: none; one thread at a time (the engines hold a mutex, or one per thread).
#ifndef HOTSPOT_STORE_PG_CONNECTION_H_
#define HOTSPOT_STORE_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct pg_conn;
struct pg_result;

namespace hotspot::store::internal {

// A statement's result rows (binary).
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;

  int rows() const;
  bool IsNull(int row, int column) const;
  absl::string_view Bytes(int row, int column) const;
  // A bigint column (8 bytes, big-endian).
  int64_t Int64(int row, int column) const;

 private:
  pg_result* result_;
};

// One parameter: bytes (bytea or text), nullopt for NULL. Int64Param encodes a bigint.
using PgParam = std::optional<std::string>;
PgParam Int64Param(int64_t value);

struct PgStatement {
  std::string sql;
  std::vector<PgParam> params;
};

class PgConnection {
 public:
  // Connects. UNAVAILABLE (naming `name` and libpq's message) if no server takes it.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(std::string conninfo,
                                                               std::string name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. `doing` says what, for the error (see Failure).
  absl::StatusOr<PgResult> Exec(absl::string_view doing, absl::string_view sql,
                                const std::vector<PgParam>& params = {});
  // Runs `statements` in order in one round trip (pipeline mode): without BEGIN ... COMMIT of
  // their own they share one implicit transaction. Stops at the first error, which it returns
  // (nothing after it runs; a transaction it aborted is rolled back). The last statement's
  // result.
  absl::StatusOr<PgResult> Pipeline(absl::string_view doing,
                                    const std::vector<PgStatement>& statements);

  // True once an error said the connection is lost (see Failure).
  bool broken() const { return broken_; }
  // Makes the connection again (with the same conninfo). UNAVAILABLE if no server takes it.
  absl::Status Reconnect();
  // The server's backend process id (for tests that end a connection from the server's side).
  int backend_pid() const;
  // The connection's socket, to wait on for notifications (LISTEN).
  int socket() const;
  // Reads what the server sent and drops the notifications received; true if there was one.
  // A connection found lost is marked broken.
  bool ConsumeNotifications();

 private:
  PgConnection(std::string conninfo, std::string name);
  absl::Status Open();
  // The error of `result` (or of the connection, if null), marking the connection broken when
  // it is lost.
  absl::Status ErrorOf(absl::string_view doing, pg_result* result);

  const std::string conninfo_;
  const std::string name_;
  pg_conn* conn_ = nullptr;
  bool broken_ = false;
};

// A bytea literal's escaping is never needed: parameters are binary. A table or channel name,
// though, is part of the statement's text: a lower-case letter, then [a-z0-9_], checked here,
// and not one of SQL's reserved words (a table's name is given a prefix: hotspot_...).
absl::Status CheckIdentifier(absl::string_view field, absl::string_view name);

}  // namespace hotspot::store::internal

#endif  // HOTSPOT_STORE_PG_CONNECTION_H_
