#include "store/pg_connection.h"

#include <libpq-fe.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace hotspot::store::internal {
namespace {

// SQLSTATEs after which the connection is not to be used again: make a new one (a failover).
bool IsLostConnection(absl::string_view state) {
  return absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
         state == "57P03" || state == "25006";
}

std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

}  // namespace

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
int PgResult::rows() const { return PQntuples(result_); }
bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) == 1; }
absl::string_view PgResult::Bytes(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}
int64_t PgResult::Int64(int row, int column) const {
  const absl::string_view bytes = Bytes(row, column);
  uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return static_cast<int64_t>(value);
}

PgParam Int64Param(int64_t value) {
  std::string out(8, '\0');
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

absl::Status CheckIdentifier(absl::string_view field, absl::string_view name) {
  if (name.empty() || name.size() > 48) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": 1 to 48 characters"));
  }
  if (!absl::ascii_islower(static_cast<unsigned char>(name[0]))) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must start with a-z"));
  }
  static constexpr const char* kReserved[] = {"all", "and", "as", "by", "check", "from", "group",
                                              "order", "select", "table", "to", "user", "where"};
  for (const char* word : kReserved) {
    if (name == word) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": \"", name, "\" is SQL's"));
    }
  }
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return absl::InvalidArgumentError(absl::StrCat(field, ": only a-z 0-9 _ are allowed"));
    }
  }
  return absl::OkStatus();
}

PgConnection::PgConnection(std::string conninfo, std::string name)
    : conninfo_(std::move(conninfo)), name_(std::move(name)) {}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(std::string conninfo,
                                                                    std::string name) {
  std::unique_ptr<PgConnection> connection(new PgConnection(std::move(conninfo), std::move(name)));
  if (absl::Status opened = connection->Open(); !opened.ok()) return opened;
  return connection;
}

absl::Status PgConnection::Open() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = PQconnectdb(conninfo_.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError(absl::StrCat(name_, ": cannot connect to PostgreSQL: ",
                                               Trimmed(conn_ ? PQerrorMessage(conn_) : "")));
  }
  // The server's notices ("relation exists, skipping") are not errors: not printed.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  broken_ = false;
  return absl::OkStatus();
}

absl::Status PgConnection::Reconnect() { return Open(); }

int PgConnection::backend_pid() const { return PQbackendPID(conn_); }

int PgConnection::socket() const { return PQsocket(conn_); }

bool PgConnection::ConsumeNotifications() {
  if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  bool any = false;
  while (PGnotify* notify = PQnotifies(conn_)) {
    any = true;
    PQfreemem(notify);
  }
  return any;
}

absl::Status PgConnection::ErrorOf(absl::string_view doing, pg_result* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state != nullptr ? state : "";
  const std::string message =
      Trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  const std::string text = absl::StrCat(name_, ": ", doing, ": ", message,
                                        code.empty() ? "" : absl::StrCat(" (SQLSTATE ", code, ")"));
  if (PQstatus(conn_) != CONNECTION_OK || IsLostConnection(code) || code.empty()) {
    broken_ = true;
    return absl::UnavailableError(text);
  }
  if (code == "40001" || code == "40P01") return absl::AbortedError(text);
  if (code == "23505") return absl::AlreadyExistsError(text);
  return absl::InternalError(text);
}

namespace {

// libpq's arrays of a statement's parameters, all binary.
struct Params {
  explicit Params(const std::vector<PgParam>& params) {
    for (const PgParam& p : params) {
      values.push_back(p.has_value() ? p->data() : nullptr);
      lengths.push_back(p.has_value() ? static_cast<int>(p->size()) : 0);
      formats.push_back(1);
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view doing, absl::string_view sql,
                                            const std::vector<PgParam>& params) {
  if (broken_) return absl::UnavailableError(absl::StrCat(name_, ": ", doing, ": not connected"));
  const Params p(params);
  const std::string text(sql);
  pg_result* raw = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                p.values.data(), p.lengths.data(), p.formats.data(),
                                /*resultFormat=*/1);
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(raw);
  absl::Status error = ErrorOf(doing, raw);
  if (raw != nullptr) PQclear(raw);
  return error;
}

absl::StatusOr<PgResult> PgConnection::Pipeline(absl::string_view doing,
                                                const std::vector<PgStatement>& statements) {
  if (broken_) return absl::UnavailableError(absl::StrCat(name_, ": ", doing, ": not connected"));
  if (statements.empty()) return absl::InvalidArgumentError("statements: none");
  if (PQenterPipelineMode(conn_) != 1) return ErrorOf(doing, nullptr);
  for (const PgStatement& statement : statements) {
    const Params p(statement.params);
    if (PQsendQueryParams(conn_, statement.sql.c_str(), static_cast<int>(statement.params.size()),
                          nullptr, p.values.data(), p.lengths.data(), p.formats.data(),
                          /*resultFormat=*/1) != 1) {
      absl::Status error = ErrorOf(doing, nullptr);
      broken_ = true;  // half a pipeline sent: start afresh
      return error;
    }
  }
  if (PQpipelineSync(conn_) != 1) {
    broken_ = true;
    return ErrorOf(doing, nullptr);
  }
  absl::Status first_error;
  pg_result* last = nullptr;
  for (size_t i = 0; i < statements.size(); ++i) {
    while (pg_result* r = PQgetResult(conn_)) {
      const ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (i + 1 == statements.size()) {
          if (last != nullptr) PQclear(last);
          last = r;
          continue;
        }
      } else if (status != PGRES_PIPELINE_ABORTED && first_error.ok()) {
        first_error = ErrorOf(doing, r);
      }
      PQclear(r);
    }
    if (PQstatus(conn_) != CONNECTION_OK) break;
  }
  // The synchronization point ends the pipeline.
  while (pg_result* r = PQgetResult(conn_)) {
    const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    if (last != nullptr) PQclear(last);
    if (first_error.ok()) first_error = ErrorOf(doing, nullptr);
    broken_ = true;
    return first_error;
  }
  if (PQexitPipelineMode(conn_) != 1) broken_ = true;  // results left unread: start afresh
  if (!first_error.ok()) {
    if (last != nullptr) PQclear(last);
    // An explicit transaction the error aborted stays open until rolled back; a connection
    // that cannot roll it back is not used again.
    if (!broken_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PgResult rolled(PQexec(conn_, "ROLLBACK"));
      if (PQtransactionStatus(conn_) != PQTRANS_IDLE) broken_ = true;
    }
    return first_error;
  }
  if (broken_) {
    if (last != nullptr) PQclear(last);
    return absl::UnavailableError(absl::StrCat(name_, ": ", doing, ": the pipeline did not end"));
  }
  return PgResult(last);
}

}  // namespace hotspot::store::internal
