// The PostgreSQL engine of KvStore (kv_store.h: OpenPgKvStore).
#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "store/kv_store.h"
#include "store/pg_connection.h"
#include "store/status_macros.h"

namespace hotspot::store {
namespace {

using internal::PgConnection;
using internal::PgParam;
using internal::PgResult;
using internal::PgStatement;

constexpr int kPageRows = 256;  // rows an iterator reads at once

// Rows in key order, read a page at a time.
class PgIterator final : public KvIterator {
 public:
  PgIterator(PgConnection& connection, const std::string& table, absl::string_view from)
      : connection_(connection), table_(table) {
    Fetch(">=", from);
  }
  bool Valid() const override { return status_.ok() && page_.has_value() && row_ < page_->rows(); }
  absl::string_view key() const override { return page_->Bytes(row_, 0); }
  absl::string_view value() const override { return page_->Bytes(row_, 1); }
  void Next() override {
    if (++row_ < page_->rows() || page_->rows() < kPageRows) return;
    const std::string last(page_->Bytes(row_ - 1, 0));
    Fetch(">", last);
  }
  absl::Status status() const override { return status_; }

 private:
  void Fetch(absl::string_view op, absl::string_view from) {
    page_.reset();
    row_ = 0;
    absl::StatusOr<PgResult> page = connection_.Exec(
        "reading", absl::StrCat("SELECT k, v FROM ", table_, " WHERE k ", op,
                                " $1::bytea ORDER BY k LIMIT ", kPageRows),
        {std::string(from)});
    if (!page.ok()) {
      status_ = page.status();
      return;
    }
    page_.emplace(*std::move(page));
  }

  PgConnection& connection_;
  const std::string& table_;
  std::optional<PgResult> page_;
  int row_ = 0;
  absl::Status status_;
};

class PgReader final : public KvReader {
 public:
  PgReader(PgConnection& connection, const std::string& table)
      : connection_(connection), table_(table) {}
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) override {
    ASSIGN_OR_RETURN(PgResult row,
                     connection_.Exec("reading",
                                      absl::StrCat("SELECT v FROM ", table_, " WHERE k = $1::bytea"),
                                      {std::string(key)}));
    if (row.rows() == 0) return std::nullopt;
    return std::string(row.Bytes(0, 0));
  }
  std::unique_ptr<KvIterator> Seek(absl::string_view from) override {
    return std::make_unique<PgIterator>(connection_, table_, from);
  }
  absl::StatusOr<std::optional<std::string>> LastKeyBefore(absl::string_view limit) override {
    ASSIGN_OR_RETURN(
        PgResult row,
        connection_.Exec("reading",
                         absl::StrCat("SELECT k FROM ", table_,
                                      " WHERE k < $1::bytea ORDER BY k DESC LIMIT 1"),
                         {std::string(limit)}));
    if (row.rows() == 0) return std::nullopt;
    return std::string(row.Bytes(0, 0));
  }

 private:
  PgConnection& connection_;
  const std::string& table_;
};

// A REPEATABLE READ transaction on a connection of its own.
class PgSnapshot final : public KvSnapshot {
 public:
  explicit PgSnapshot(std::unique_ptr<PgConnection> connection)
      : connection(std::move(connection)) {}
  ~PgSnapshot() override {
    if (!connection->broken()) connection->Exec("ending a snapshot", "ROLLBACK").IgnoreError();
  }
  mutable absl::Mutex mu;  // one read at a time
  const std::unique_ptr<PgConnection> connection;
};

class PgKvStore final : public KvStore {
 public:
  explicit PgKvStore(PgKvOptions options) : options_(std::move(options)) {}

  absl::Status Start() {
    ASSIGN_OR_RETURN(connection_, PgConnection::Connect(options_.conninfo, options_.name));
    absl::Status made;
    // Two nodes creating the table at once: one of them may see a unique violation; again.
    for (int attempt = 0; attempt < 2; ++attempt) {
      made = connection_
                 ->Exec("creating its table",
                        absl::StrCat("CREATE TABLE IF NOT EXISTS ", options_.table,
                                     " (k bytea PRIMARY KEY, v bytea NOT NULL)"))
                 .status();
      if (!absl::IsAlreadyExists(made)) break;
    }
    return made;
  }

  absl::Status Read(const KvSnapshot* at,
                    const std::function<absl::Status(KvReader&)>& read) const override {
    if (at != nullptr) {
      const auto* snapshot = static_cast<const PgSnapshot*>(at);
      absl::MutexLock lock(&snapshot->mu);
      if (snapshot->connection->broken()) {
        return absl::UnavailableError(absl::StrCat(
            options_.name, ": the connection of the snapshot being read was lost (a failover?): "
                           "start the read again"));
      }
      PgReader reader(*snapshot->connection, options_.table);
      return read(reader);
    }
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Connected());
    PgReader reader(*connection_, options_.table);
    return read(reader);
  }

  absl::StatusOr<std::unique_ptr<KvSnapshot>> TakeSnapshot() const override {
    ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                     PgConnection::Connect(options_.conninfo, options_.name));
    // The snapshot is taken at the transaction's first statement.
    RETURN_IF_ERROR(connection
                        ->Pipeline("taking a snapshot",
                                   {{"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}},
                                    {"SELECT 1", {}}})
                        .status());
    return std::make_unique<PgSnapshot>(std::move(connection));
  }

  absl::Status Write(const KvBatch& batch, bool sync, absl::string_view context) override {
    if (batch.empty()) return sync ? Sync() : absl::OkStatus();
    std::vector<PgStatement> statements;
    statements.reserve(batch.size() + 3);
    statements.push_back({"BEGIN", {}});
    // Whatever the server's default: on for a synced write (durable, and on a synchronous
    // standby), off for another.
    statements.push_back({sync ? "SET LOCAL synchronous_commit TO on"
                               : "SET LOCAL synchronous_commit TO off",
                          {}});
    const std::string put = absl::StrCat("INSERT INTO ", options_.table,
                                         " (k, v) VALUES ($1::bytea, $2::bytea) ON CONFLICT (k) "
                                         "DO UPDATE SET v = EXCLUDED.v");
    const std::string erase = absl::StrCat("DELETE FROM ", options_.table, " WHERE k = $1::bytea");
    for (const KvBatch::Op& op : batch.ops()) {
      if (op.value.has_value()) {
        statements.push_back({put, {op.key, *op.value}});
      } else {
        statements.push_back({erase, {op.key}});
      }
    }
    statements.push_back({"COMMIT", {}});
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Connected());
    return connection_->Pipeline(context, statements).status();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Connected());
    // A transaction that writes to the log commits synchronously (synchronous_commit on): it
    // waits until the log is flushed (and replicated) up to it, so every commit before it is
    // durable too. (One that only takes an id writes nothing before its commit record, and
    // commits asynchronously.)
    return connection_
        ->Pipeline("syncing", {{"BEGIN", {}},
                               {"SET LOCAL synchronous_commit TO on", {}},
                               {"SELECT pg_logical_emit_message(true, 'hotspot.sync', '')", {}},
                               {"COMMIT", {}}})
        .status();
  }

  absl::Status Purge() override {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Connected());
    // VACUUM FULL waits for every transaction that holds the table; a bounded wait, then
    // UNAVAILABLE (the erasure is tried again).
    RETURN_IF_ERROR(connection_->Exec("purging", "SET lock_timeout = '10s'").status());
    const absl::Status vacuumed =
        connection_->Exec("purging", absl::StrCat("VACUUM FULL ", options_.table)).status();
    if (!connection_->broken()) {
      RETURN_IF_ERROR(connection_->Exec("purging", "RESET lock_timeout").status());
    }
    if (vacuumed.message().find("55P03") != absl::string_view::npos) {
      return absl::UnavailableError(vacuumed.message());  // lock_not_available
    }
    return vacuumed;
  }

  absl::Status Checkpoint(const std::string& directory) override {
    return absl::UnimplementedError(absl::StrCat(
        options_.name, " is in PostgreSQL: back it up with the cluster's own tools (pgBackRest), "
                       "not into ", directory));
  }

  uint64_t generation() const override { return reconnections_.load(); }

 private:
  // OK once the connection is usable, made again if it was lost.
  absl::Status Connected() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!connection_->broken()) return absl::OkStatus();
    RETURN_IF_ERROR(connection_->Reconnect());
    reconnections_.fetch_add(1);
    return absl::OkStatus();
  }

  const PgKvOptions options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<PgConnection> connection_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<uint64_t> reconnections_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenPgKvStore(PgKvOptions options) {
  if (options.name.empty()) return absl::InvalidArgumentError("name: required");
  if (options.conninfo.empty()) return absl::InvalidArgumentError("conninfo: required");
  RETURN_IF_ERROR(internal::CheckIdentifier("table", options.table));
  auto store = std::make_unique<PgKvStore>(std::move(options));
  RETURN_IF_ERROR(store->Start());
  return store;
}

}  // namespace hotspot::store
