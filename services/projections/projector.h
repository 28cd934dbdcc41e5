// Projector: keeps views (see View) up to date with the event log.
//
// Storage. A store::ViewDb (hotspotd: <data_dir>/views), one table per view, each view's
// checkpoint (the last log position applied) a meta row beside them. The loop thread applies
// events to every view for up to ProjectorOptions::batch_time, the rows each view changed staying
// decoded in memory (Rows), then writes the rows and the new checkpoints in one batch: after a
// crash a view is exactly at its checkpoint, never between, and the ViewDb rolls back to an
// earlier consistent moment at worst (it skips the write-ahead log), from which the views catch
// up from the log.
// A view may ask for the rows an event deletes to be purged (View::Purges, for an erasure): the
// batch is then followed by ViewDb::Purge of that view's table.
//
// Threading. One thread subscribes to the log from the views' checkpoint and parses events
// ahead (two batches at most); another applies them.
// Reads (Get, Scan, WaitFor, OnReached, Forget, Status) may come from any thread, concurrently
// with it.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_PROJECTOR_H_
#define HOTSPOT_SERVICES_PROJECTIONS_PROJECTOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/projections/view.h"
#include "store/event_store.h"
#include "store/view_db.h"

namespace hotspot::projections {

struct ProjectorOptions {
  // Most events read from the log at once (and applied to a rebuild's generation in one
  // write). Default: 1000.
  size_t batch_events = 1000;
  // How long the loop thread applies events before it writes them (rows and checkpoints in one
  // batch): a batch that reaches the log's head is written at once; a projector that is
  // behind writes every batch_time of applying, so that no event waits much longer than that
  // for its write while the writes stay large enough to amortise. At least one event a write.
  // Default: 5 ms.
  absl::Duration batch_time = absl::Milliseconds(5);
  // Fault injection for tests: asked before each batch is applied; while it answers true, the
  // batch waits (asked again every 10 ms) and the views stay where they are. Default: none.
  std::function<bool()> hold;
  // The nice value of the projector's two threads (named views-read and views-apply): below
  // that of the threads that decide commands (0), the views keep up with the log while
  // commands take the CPU, which otherwise holds an event's applying up by tens of milliseconds
  // (docs/benchmarks.md, issue 16). Raising a thread's priority needs RLIMIT_NICE (systemd's
  // LimitNICE=) or CAP_SYS_NICE: without them the threads keep the process's priority, and
  // priority() says why. Default: 0, the process's.
  int nice = 0;
  // The memory budget the views' caches and memtables count against (see store::MemoryBudget).
  // Default: null, store::MemoryBudget::ProcessDefault().
  std::shared_ptr<store::MemoryBudget> memory;
};

struct ViewStatus {
  std::string name;
  uint64_t checkpoint = 0;  // every event up to here is applied
  uint64_t head = 0;        // the log's head when asked
  uint64_t lag() const { return head > checkpoint ? head - checkpoint : 0; }
};

struct RebuildProgress {
  std::string view;
  uint64_t position = 0;  // events applied to the new generation
  uint64_t target = 0;    // the live view's position when last looked at
  bool done = false;      // swapped in; the old generation is dropped
};

class Projector {
 public:
  // Opens (creating) the views' database in `directory` and starts applying from the lowest
  // checkpoint. The tables of views not among `views` (retired views, and rebuilds a restart
  // cut short) are dropped: views are derived, and a view opened again later is rebuilt from
  // the log. `events` is not owned and must outlive the projector. INVALID_ARGUMENT for no
  // views or two with one name; INTERNAL for I/O errors.
  static absl::StatusOr<std::unique_ptr<Projector>> Open(ProjectorOptions options,
                                                         store::EventStore* events,
                                                         std::vector<std::unique_ptr<View>> views,
                                                         const std::string& directory);
  // The same in `db`, which it shares (hotspotd keeps the erasure executor's checkpoint in it
  // too): every table of `db` is the projector's, and one not among the views' is dropped.
  // ProjectorOptions::memory is not used: `db` was opened with its own.
  static absl::StatusOr<std::unique_ptr<Projector>> Open(ProjectorOptions options,
                                                         store::EventStore* events,
                                                         std::vector<std::unique_ptr<View>> views,
                                                         std::shared_ptr<store::ViewDb> db);
  // Stops the applying thread and closes the database.
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // The position every view has reached.
  uint64_t position() const;

  // Waits until every view has reached `position`, blocking the calling thread: for work that
  // is not an RPC's (a command compiling a report, the deadline process, tests). A query that
  // waits for the views uses OnReached instead, so that no thread waits for them.
  // DEADLINE_EXCEEDED (naming the position reached) if that takes past `deadline`; the
  // projection's own error if it stopped.
  absl::Status WaitFor(uint64_t position, absl::Time deadline) const;

  // Calls `reached` once, when every view has reached `position`: with OK; or with the
  // projection's error if it stopped, or UNAVAILABLE if the projector is destroyed first. If
  // that is so already, it runs at once on the calling thread and 0 is returned; else it runs
  // later on the projector's thread, which it must not hold up (it should only hand work on,
  // e.g. to a worker pool), and a ticket for Forget() is returned. There is no deadline: the
  // caller keeps its own and calls Forget() when it passes.
  uint64_t OnReached(uint64_t position, absl::AnyInvocable<void(absl::Status) &&> reached) const;
  // Drops the waiter of `ticket` (destroying its callback, unrun) unless it has run or is
  // running; true if it was dropped. A ticket of 0 is never dropped.
  bool Forget(uint64_t ticket) const;

  // A row of `view`; nullopt if there is none. NOT_FOUND for an unknown view.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view view,
                                                 absl::string_view key) const;

  // Visits the rows of `view` whose keys start with `prefix`, in key order, from one consistent
  // snapshot, until `visit` returns false; from `start` on if it is past the prefix. NOT_FOUND
  // for an unknown view.
  absl::Status Scan(
      absl::string_view view, absl::string_view prefix,
      const std::function<bool(absl::string_view key, absl::string_view value)>& visit,
      absl::string_view start = "") const;

  // Scan() over an index of `view`: the index rows under `prefix` whose keys are after `after`
  // (all of them if it is empty), in key order, up to `last` inclusive (no bound if it is
  // empty). For each, `target(index_key)` names the row it stands for, read from the same
  // snapshot, and `visit(index_key, row_value)` is called until it returns false. Only the index
  // rows' keys are read, never their values. DATA_LOSS naming the key for an index row whose
  // row is missing; NOT_FOUND for an unknown view.
  absl::Status ScanIndex(
      absl::string_view view, absl::string_view prefix, absl::string_view after,
      absl::string_view last, const std::function<std::string(absl::string_view)>& target,
      const std::function<bool(absl::string_view index_key, absl::string_view value)>& visit) const;

  // Rebuilds `view` blue/green: a new generation (table) is built from position 0 by
  // the same code, between live batches, while the old one keeps serving; once it has caught
  // up it is swapped in atomically and the old one dropped. Returns when the rebuild has
  // started; Rebuilds() reports progress. NOT_FOUND for an unknown view; FAILED_PRECONDITION if
  // a rebuild is running (one at a time). A restart abandons an unfinished rebuild.
  absl::Status Rebuild(absl::string_view view);
  std::vector<RebuildProgress> Rebuilds() const;

  // Whether the threads took ProjectorOptions::nice: OK (also for 0), or PERMISSION_DENIED
  // naming the limit, once the threads have started (they set it themselves).
  absl::Status priority() const;

  // Each view's checkpoint and lag. The error that stopped the projection, if any, is in
  // `error`.
  std::vector<ViewStatus> Status(absl::Status* error = nullptr) const;

 private:
  struct Impl;
  explicit Projector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Scan() with each row parsed as `Row`: `visit(key, row)` until it returns false. DATA_LOSS
// naming the key for a row that does not parse.
template <typename Row>
absl::Status ScanRows(const Projector& views, absl::string_view view, absl::string_view prefix,
                      const std::function<bool(absl::string_view key, Row& row)>& visit,
                      absl::string_view start = "") {
  absl::Status parsed;
  absl::Status scanned = views.Scan(
      view, prefix,
      [&](absl::string_view key, absl::string_view value) {
        Row row;
        if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parsed = absl::DataLossError(absl::StrCat("view row ", key, " is unreadable"));
          return false;
        }
        return visit(key, row);
      },
      start);
  return scanned.ok() ? parsed : scanned;
}

// Builds `view` in memory from the log's first event up to `position` (inclusive), with the same
// code as the live view: the view as it stood then. DATA_LOSS for an unreadable event.
absl::Status BuildInMemory(const store::EventStore& events, View& view, uint64_t position,
                           MemoryRows* rows);

// Parses a stored event's payload. DATA_LOSS naming the position if it is not a v1::Event.
absl::StatusOr<v1::Event> ParseEvent(const store::RecordedEvent& recorded);
// The same into `event` (reusing its memory).
absl::Status ParseEvent(const store::RecordedEvent& recorded, v1::Event* event);

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_PROJECTOR_H_
