// The command side without gRPC and without RocksDB, for the command fuzz target and its seeds:
// every request type (RequestKinds), and a CommandWorld that decides a request exactly as hotspotd
// does, against streams held in memory and loaded with a small Sjaelor scenario.
//
// What hotspotd does with a command, and the world with it (Run):
//   - the caller is admitted (security::Admit, its agency's kind as the streams register it), as
//     CommandService::Run asks the authenticator;
//   - every date and timestamp is checked (rpc::CheckDates), as CommandService::Run does;
//   - the request id is checked (domain::ValidateRequestId), as CommandHandler::Attempt does;
//   - domain::Decided() with the handler's context: the world's streams as the EventSource, a
//     deterministic FieldSealer (the text XORed; Open() reads it back), canned ReportFigures.
// The handler's store-side steps (the retry answered from the log, the request digest, the
// append with expected versions) are the store's and the key store's, fuzzed elsewhere or not at
// all; Apply() appends a decision to an Overlay as the store would, checking what the store
// would refuse (stream names, event types, counts).
//
// Ids. The domain names new aggregates with random UUIDv7 ids; the world renames every id of the
// form "<category>-<uuid>" in its streams to "<category>-f<n>" in the order they first appear, so
// that the world is the same on every run and a committed seed can name its aggregates.
//
// Thread-safety: a built CommandWorld is immutable and its const methods may run concurrently;
// an Overlay belongs to one thread.
#ifndef HOTSPOT_TESTS_FUZZ_COMMAND_WORLD_H_
#define HOTSPOT_TESTS_FUZZ_COMMAND_WORLD_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "services/domain/decide.h"
#include "services/scenario/scenario.h"

namespace hotspot::fuzz {

// One request type the command side decides.
struct RequestKind {
  const google::protobuf::Message* prototype;
  absl::StatusOr<domain::Decision> (*decide)(const google::protobuf::Message& request,
                                             const domain::CommandContext& context);
};

// Every request type: the RPCs of CommandService in command_list.h's order, then the system's
// commands (system_commands.proto). A fuzz input's first byte picks one (modulo the count).
absl::Span<const RequestKind> RequestKinds();
// The index of `descriptor`'s kind in RequestKinds(); -1 if it is none.
int KindIndex(const google::protobuf::Descriptor* descriptor);

using Streams = std::map<std::string, std::vector<v1::Event>>;

// One input's appends over the world's streams: the world's are shared and never changed.
class Overlay final : public domain::EventSource {
 public:
  explicit Overlay(const Streams* base) : base_(base) {}
  absl::StatusOr<domain::StreamEvents> Read(absl::string_view stream) override;
  // The stream as it is now (base, then this overlay's appends).
  const std::vector<v1::Event>& Stream(const std::string& name);
  void Append(const std::string& stream, const v1::Event& event);
  // Every event appended, in order: (stream, event).
  const std::vector<std::pair<std::string, v1::Event>>& appended() const { return appended_; }

 private:
  const Streams* const base_;
  Streams changed_;  // streams this overlay appended to, whole
  std::vector<std::pair<std::string, v1::Event>> appended_;
};

// A scenario command, as it was sent (after the renaming of ids): the seeds start from these.
struct SentCommand {
  int kind;    // in RequestKinds()
  int caller;  // in CommandWorld::callers()
  std::unique_ptr<google::protobuf::Message> request;
};

class CommandWorld {
 public:
  // The Sjaelor scenario with `youths` youths, built through Run() and Apply() at a fixed time
  // (2026-11-23T10:00:00Z, backdated as the demo is); INTERNAL naming the step if a command
  // fails.
  static absl::StatusOr<std::unique_ptr<CommandWorld>> Build(int youths);

  // The callers a fuzz input's second byte picks from: the Sjaelor cast, then the system
  // principal, then a coordinator of another area.
  const std::vector<security::Principal>& callers() const { return callers_; }
  const Streams& streams() const { return streams_; }
  const std::vector<SentCommand>& sent() const { return sent_; }
  absl::Time now() const { return now_; }

  // Decides `request` (of a kind in RequestKinds()) for `caller` at `at`, against `overlay`, as
  // hotspotd does (see the top of this file). The decision, or the first check's error.
  absl::StatusOr<domain::Decision> Run(const security::Principal& caller,
                                       const google::protobuf::Message& request, Overlay& overlay,
                                       absl::Time at) const;
  absl::StatusOr<domain::Decision> Run(const security::Principal& caller,
                                       const google::protobuf::Message& request,
                                       Overlay& overlay) const {
    return Run(caller, request, overlay, now_);
  }

  // Appends `decision`'s events to `overlay`, checking first what the store and the handler
  // would refuse: INTERNAL naming it (a stream name or event type the store does not take, a
  // stream twice, no events, more than the store takes in one append, an expected version that
  // is not the stream's).
  // The events get what CommandHandler gives them before the append: the request id, and on the
  // first event the result id and the created ids.
  static absl::Status Apply(absl::string_view request_id, domain::Decision decision,
                            Overlay& overlay);

 private:
  CommandWorld() = default;

  Streams streams_;
  std::vector<security::Principal> callers_;
  std::vector<SentCommand> sent_;
  absl::Time now_;
};

}  // namespace hotspot::fuzz

#endif  // HOTSPOT_TESTS_FUZZ_COMMAND_WORLD_H_
