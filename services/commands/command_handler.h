// CommandHandler: runs one command end to end, without gRPC: check the request id, answer a
// retry from the log, load the aggregates, decide (services/domain), seal personal data, and
// append with the versions read. The gRPC CommandService is a thin layer over it.
//
// Idempotency. The events of a command get ids derived from (caller, request_id, index), so
// the log itself remembers every request: a request whose first event id is stored is answered
// from the stored events (same position, ids), and writes nothing. The first event also keeps
// a digest of the request, keyed (security::RequestDigester, under a key derived from the
// master key) since the request holds personal data in clear: the same request_id with other
// content is ALREADY_EXISTS.
//
// Concurrency. The append carries the version of every stream the decision read. If one moved
// meanwhile (FAILED_PRECONDITION from the store), the command is decided again from fresh reads,
// up to max_attempts times, then fails with ABORTED; a request whose pinned expected_version was
// compared and held (domain::Decision::pin_held) fails with ABORTED at once.
//
// Threading. Execute() returns at once; the work runs on a worker pool, the append completes on
// the store's thread, and `done` is called on one of those threads exactly once.
//
// Errors passed to `done`: those of domain::Decided(), plus ALREADY_EXISTS (request_id reused
// with other content), ABORTED (conflicts persisted), RESOURCE_EXHAUSTED (the queue is full),
// UNAVAILABLE (the store is closing, or the first attempt of this request is still being
// committed), and the store's own failures.
#ifndef HOTSPOT_SERVICES_COMMANDS_COMMAND_HANDLER_H_
#define HOTSPOT_SERVICES_COMMANDS_COMMAND_HANDLER_H_

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "hotspot/v1/command_service.pb.h"
#include "services/common/worker_pool.h"
#include "services/domain/decide.h"
#include "services/security/request_digest.h"
#include "services/security/sealer.h"
#include "store/event_store.h"

namespace hotspot::commands {

struct CommandHandlerOptions {
  // Threads that load, decide and seal. Default: 4.
  int workers = 4;
  // Commands waiting for a worker beyond which new ones are refused (RESOURCE_EXHAUSTED).
  // Default: 10,000.
  size_t max_queued = 10'000;
  // Decisions per command when appends conflict: with up to this many commands racing on one
  // aggregate, each of them lands. Default: 10.
  int max_attempts = 10;
  // Streams kept parsed between commands (see StreamCache), and the memory they may hold.
  // Default: 10,000 streams, 32 MiB.
  size_t cached_streams = 10'000;
  size_t cached_stream_bytes = 32 << 20;
  // The clock for "today". Default: absl::Now.
  absl::AnyInvocable<absl::Time() const> clock;
  // How long a case's records are kept after it ended (erasure requests within it are refused
  // at once; see domain::CommandContext). Default: 1,826 days.
  absl::Duration retention = absl::Hours(24 * 1826);
  // The figures SubmitReport freezes (domain::ReportFigures; not owned, must outlive the
  // handler). Null: SubmitReport fails with UNAVAILABLE. Default: null.
  domain::ReportFigures* figures = nullptr;
};

using CommandDone = absl::AnyInvocable<void(absl::StatusOr<v1::CommandResponse>) &&>;

// Parsed streams, kept between commands so that deciding reads and parses only what was
// appended since (an area's or agency's stream is read by most commands). Entries are whole
// streams at a version; a reader checks the store for newer events every time, so the cache
// can be behind but never wrong.
//
// Memory. Bounded by streams and by bytes: an entry counts what its events hold on the heap
// (protobuf's SpaceUsedLong, measured once per event as it is parsed), its vector's spare
// capacity, its name and its bookkeeping. Keeping a stream that does not fit evicts others, in
// the map's order (in effect at random); a stream that alone would take more than a quarter of
// the bytes is not kept (each command reads it whole). usage() is in the metrics
// (hotspot_command_stream_cache_bytes).
//
// Thread-safe.
class StreamCache {
 public:
  struct Entry {
    domain::StreamEvents stream;
    // What the events hold beyond sizeof(v1::Event) each (EventBytes, summed).
    size_t event_bytes = 0;
  };
  struct Usage {
    size_t streams = 0;
    size_t bytes = 0;
  };

  StreamCache(size_t max_streams, size_t max_bytes)
      : max_streams_(max_streams), max_bytes_(max_bytes) {}
  // The cached stream, or version 0, no events and 0 bytes.
  Entry Get(absl::string_view stream);
  // Keeps `entry` unless a newer version is cached already or it does not fit (see above).
  void Put(absl::string_view stream, Entry entry);
  Usage usage() const;

  // What a parsed event holds on the heap beyond its own sizeof.
  static size_t EventBytes(const v1::Event& event);

 private:
  struct Slot {
    Entry entry;
    size_t charge = 0;
  };
  // What `entry` under the name `stream` counts against max_bytes_.
  static size_t Charge(absl::string_view stream, const Entry& entry);

  const size_t max_streams_;
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Slot> streams_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

class CommandHandler {
 public:
  // `events` and `sealer` are not owned and must outlive the handler. Request digests are keyed
  // with a key derived from the sealer's key store (if that fails, every command fails with
  // its error).
  CommandHandler(store::EventStore* events, security::Sealer* sealer,
                 CommandHandlerOptions options = {});
  // Waits for the commands in flight.
  ~CommandHandler();

  // Runs `request` for `principal`. `request` must stay valid until `done` is called.
  template <typename Request>
  void Execute(const security::Principal& principal, const Request& request, CommandDone done);

  // The agency `agency_id` as the log registers it (kind AGENCY_KIND_UNSPECIFIED if none is
  // registered by that id): for admitting a caller (its kind, for the policy's role check and
  // the read side's need-to-know). Read through the handler's stream cache; a registered
  // agency's facts never change, so they are kept. The store's error if the read fails.
  // Thread-safe.
  absl::StatusOr<security::AgencyFacts> AgencyFactsOf(absl::string_view agency_id);
  // The youth an aggregate (a commitment, an escalation, an erasure) is about, from its first
  // event's youth_id; "" if it has none or does not exist.
  absl::StatusOr<std::string> YouthOf(absl::string_view stream);
  // The area of `youth_id`'s case, "" if it has none; whether the area `area_id` was
  // established. For a refusal's record (rpc::KnownIds). Thread-safe.
  absl::StatusOr<std::string> AreaOfCase(absl::string_view youth_id);
  absl::StatusOr<bool> AreaEstablished(absl::string_view area_id);
  // The cache of parsed streams: how many, and the bytes they count for. Thread-safe.
  StreamCache::Usage stream_cache_usage() const { return cache_.usage(); }

 private:
  struct Call;
  void Start(std::shared_ptr<Call> call);
  void Attempt(std::shared_ptr<Call> call);

  store::EventStore* const events_;
  security::Sealer* const sealer_;
  const absl::StatusOr<security::RequestDigester> digester_;
  CommandHandlerOptions options_;
  StreamCache cache_;
  // Agencies' kinds, once registered: a kind never changes, so a role check reads the log once
  // per agency (it runs at authentication, on the RPC's thread).
  absl::Mutex kinds_mu_;
  absl::flat_hash_map<std::string, security::AgencyFacts> kinds_ ABSL_GUARDED_BY(kinds_mu_);
  common::WorkerPool pool_;
};

// The ids the handler derives; exposed for tests.
store::EventId CommandEventId(const security::Principal& principal, absl::string_view request_id,
                              uint32_t index);

// ---- implementation of the template ----

namespace internal {
// A command, type-erased: its request's bytes and how to decide it.
struct Command {
  std::string request_id;
  std::string digest_input;  // security::RequestDigester::Input of the request
  absl::AnyInvocable<absl::StatusOr<domain::Decision>(const domain::CommandContext&) const> decide;
};
}  // namespace internal

struct CommandHandler::Call {
  security::Principal principal;
  internal::Command command;
  CommandDone done;
  int attempts = 0;
};

template <typename Request>
void CommandHandler::Execute(const security::Principal& principal, const Request& request,
                             CommandDone done) {
  auto call = std::make_shared<Call>();
  call->principal = principal;
  call->command.request_id = request.request_id();
  call->command.digest_input = security::RequestDigester::Input(request);
  call->command.decide = [&request](const domain::CommandContext& context) {
    return domain::Decided(request, context);
  };
  call->done = std::move(done);
  Start(std::move(call));
}

}  // namespace hotspot::commands

#endif  // HOTSPOT_SERVICES_COMMANDS_COMMAND_HANDLER_H_
