#include "services/commands/command_handler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/domain/aggregates.h"
#include "services/security/policy.h"
#include "store/status_macros.h"

namespace hotspot::commands {

StreamCache::Entry StreamCache::Get(absl::string_view stream) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? Entry() : it->second.entry;
}

size_t StreamCache::EventBytes(const v1::Event& event) {
  return event.SpaceUsedLong() - sizeof(v1::Event);
}

size_t StreamCache::Charge(absl::string_view stream, const Entry& entry) {
  // A map slot, a malloc header for each of the name's buffer, the vector's buffer and the
  // shared_ptr's block (with its vector).
  constexpr size_t kBookkeeping = sizeof(std::pair<const std::string, Slot>) + 3 * 16 +
                                  sizeof(std::vector<v1::Event>) + 16;
  const size_t name = stream.size() > 15 ? stream.size() + 1 : 0;
  const size_t events = entry.stream.events == nullptr
                            ? 0
                            : entry.stream.events->capacity() * sizeof(v1::Event);
  return kBookkeeping + name + events + entry.event_bytes;
}

void StreamCache::Put(absl::string_view stream, Entry entry) {
  const size_t charge = Charge(stream, entry);
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  if (it != streams_.end()) {
    if (it->second.entry.stream.version >= entry.stream.version) return;
    bytes_ -= it->second.charge;
    streams_.erase(it);
  }
  if (charge > max_bytes_ / 4) return;
  for (auto victim = streams_.begin();
       victim != streams_.end() && (bytes_ + charge > max_bytes_ || streams_.size() >= max_streams_);) {
    bytes_ -= victim->second.charge;
    streams_.erase(victim++);
  }
  if (streams_.size() >= max_streams_) return;  // max_streams_ == 0
  bytes_ += charge;
  streams_.emplace(stream, Slot{std::move(entry), charge});
}

StreamCache::Usage StreamCache::usage() const {
  absl::MutexLock lock(&mu_);
  return Usage{streams_.size(), bytes_};
}

namespace {

// Streams for deciding, from the store, through the handler's cache of parsed streams.
class StoreSource final : public domain::EventSource {
 public:
  StoreSource(const store::EventStore* events, StreamCache* cache)
      : events_(events), cache_(cache) {}

  absl::StatusOr<domain::StreamEvents> Read(absl::string_view stream) override {
    StreamCache::Entry cached = cache_->Get(stream);
    // Only what was appended since the cached version is read and parsed.
    std::shared_ptr<std::vector<v1::Event>> grown;
    uint64_t version = cached.stream.version;
    size_t event_bytes = cached.event_bytes;
    for (;;) {
      ASSIGN_OR_RETURN(
          std::vector<store::RecordedEvent> batch,
          events_->ReadStream(stream, version + 1, store::Direction::kForward, kBatch));
      if (!batch.empty() && grown == nullptr) {
        grown = cached.stream.events
                    ? std::make_shared<std::vector<v1::Event>>(*cached.stream.events)
                    : std::make_shared<std::vector<v1::Event>>();
      }
      for (const store::RecordedEvent& recorded : batch) {
        v1::Event& event = grown->emplace_back();
        if (!event.ParseFromString(recorded.payload)) {
          return absl::DataLossError(absl::StrCat("the event at position ", recorded.position, " (",
                                                  stream, ") is not a hotspot.v1.Event"));
        }
        event_bytes += StreamCache::EventBytes(event);
        version = recorded.stream_version;
      }
      if (batch.size() < kBatch) break;
    }
    if (grown == nullptr) {
      if (cached.stream.events == nullptr) {
        cached.stream.events = std::make_shared<std::vector<v1::Event>>();
      }
      return std::move(cached.stream);
    }
    domain::StreamEvents fresh{version, std::move(grown)};
    cache_->Put(stream, StreamCache::Entry{fresh, event_bytes});
    return fresh;
  }

 private:
  static constexpr size_t kBatch = 1000;
  const store::EventStore* const events_;
  StreamCache* const cache_;
};

// The domain's sealing through the key store.
class KeyStoreSealer final : public domain::FieldSealer {
 public:
  explicit KeyStoreSealer(security::Sealer* sealer) : sealer_(sealer) {}

  absl::StatusOr<v1::SealedText> Seal(absl::string_view subject, absl::string_view field,
                                      absl::string_view text) override {
    ASSIGN_OR_RETURN(security::SealedValue value, sealer_->Seal(subject, field, text));
    v1::SealedText sealed;
    sealed.set_key_id(std::move(value.key_id));
    sealed.set_ciphertext(std::move(value.ciphertext));
    sealed.set_field(std::string(field));
    return sealed;
  }

  absl::StatusOr<std::string> NewSubject(absl::string_view category) override {
    return sealer_->NewSubject(category);
  }

  absl::StatusOr<std::optional<std::string>> Open(const v1::SealedText& sealed) override {
    absl::StatusOr<security::UnsealedValue> value = sealer_->Unseal(
        security::SealedValue{sealed.key_id(), sealed.ciphertext()}, sealed.field());
    if (absl::IsNotFound(value.status())) return std::nullopt;
    RETURN_IF_ERROR(value.status());
    if (value->erased) return std::nullopt;
    return std::move(value->text);
  }

 private:
  security::Sealer* const sealer_;
};

store::ExpectedVersion Expected(uint64_t version) {
  return version == 0 ? store::ExpectedVersion::NoStream()
                      : store::ExpectedVersion::Exactly(version);
}

}  // namespace

namespace {

// The state of the aggregate `id`, from its stream as `source` reads it.
template <typename State>
absl::StatusOr<State> Current(StoreSource& source, absl::string_view id) {
  ASSIGN_OR_RETURN(const domain::StreamEvents stream, source.Read(id));
  State state;
  for (const v1::Event& event : *stream.events) domain::Evolve(state, event);
  return state;
}

}  // namespace

absl::StatusOr<security::AgencyFacts> CommandHandler::AgencyFactsOf(absl::string_view agency_id) {
  {
    absl::MutexLock lock(&kinds_mu_);
    if (auto it = kinds_.find(agency_id); it != kinds_.end()) return it->second;
  }
  StoreSource source(events_, &cache_);
  ASSIGN_OR_RETURN(const domain::AgencyState agency,
                   Current<domain::AgencyState>(source, agency_id));
  security::AgencyFacts facts = domain::FactsOf(agency_id, agency);
  if (!agency.exists) return facts;  // may be registered later: not kept
  absl::MutexLock lock(&kinds_mu_);
  if (kinds_.size() < 10'000) kinds_.emplace(agency_id, facts);
  return facts;
}

absl::StatusOr<std::string> CommandHandler::YouthOf(absl::string_view stream) {
  StoreSource source(events_, &cache_);
  ASSIGN_OR_RETURN(const domain::StreamEvents events, source.Read(stream));
  if (events.events == nullptr || events.events->empty()) return std::string();
  const v1::Event& first = events.events->front();
  const auto* kind = first.GetReflection()->GetOneofFieldDescriptor(
      first, first.GetDescriptor()->FindOneofByName("kind"));
  if (kind == nullptr) return std::string();
  const google::protobuf::Message& message = first.GetReflection()->GetMessage(first, kind);
  const auto* youth = message.GetDescriptor()->FindFieldByName("youth_id");
  if (youth == nullptr || youth->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      youth->is_repeated()) {
    return std::string();
  }
  return message.GetReflection()->GetString(message, youth);
}

absl::StatusOr<std::string> CommandHandler::AreaOfCase(absl::string_view youth_id) {
  StoreSource source(events_, &cache_);
  ASSIGN_OR_RETURN(const domain::YouthState youth, Current<domain::YouthState>(source, youth_id));
  return youth.exists ? youth.area_id : std::string();
}

absl::StatusOr<bool> CommandHandler::AreaEstablished(absl::string_view area_id) {
  StoreSource source(events_, &cache_);
  ASSIGN_OR_RETURN(const domain::AreaState area, Current<domain::AreaState>(source, area_id));
  return area.exists;
}

store::EventId CommandEventId(const security::Principal& principal, absl::string_view request_id,
                              uint32_t index) {
  const std::string nul(1, '\0');
  std::string name = absl::StrCat("hotspot.command", nul, principal.person, nul, principal.agency,
                                  nul, request_id, nul);
  for (int shift = 24; shift >= 0; shift -= 8) name.push_back(static_cast<char>(index >> shift));
  return store::EventId::FromName(name);
}

CommandHandler::CommandHandler(store::EventStore* events, security::Sealer* sealer,
                               CommandHandlerOptions options)
    : events_(events),
      sealer_(sealer),
      digester_(security::RequestDigester::FromKeyStore(sealer->keys())),
      options_(std::move(options)),
      cache_(options_.cached_streams, options_.cached_stream_bytes),
      pool_(options_.workers, options_.max_queued) {}

CommandHandler::~CommandHandler() = default;

void CommandHandler::Start(std::shared_ptr<Call> call) {
  auto* raw = call.get();
  if (!pool_.Submit([this, call]() mutable { Attempt(std::move(call)); })) {
    std::move(raw->done)(absl::ResourceExhaustedError(
        "the server has too many commands waiting; retry with backoff"));
  }
}

// Answers a retry from the events the first attempt stored, starting at `position`.
static absl::StatusOr<v1::CommandResponse> Replay(const store::EventStore& events,
                                                  const security::RequestDigester& digester,
                                                  const security::Principal& principal,
                                                  const internal::Command& command,
                                                  uint64_t position) {
  ASSIGN_OR_RETURN(std::vector<store::RecordedEvent> stored,
                   events.ReadAll(position, store::Direction::kForward, 1000));
  v1::Event first;
  if (stored.empty() || !first.ParseFromString(stored[0].payload)) {
    return absl::DataLossError(absl::StrCat("the event at position ", position, " is unreadable"));
  }
  ASSIGN_OR_RETURN(const bool same, digester.Matches(first.request_digest(), command.digest_input));
  if (!same) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id: \"", command.request_id,
                     "\" was used before for another request; use a new request_id"));
  }
  v1::CommandResponse response;
  response.set_position(position);
  for (uint32_t i = 1; i < stored.size(); ++i) {
    if (!(stored[i].id == CommandEventId(principal, command.request_id, i))) break;
    response.set_position(stored[i].position);
  }
  response.set_id(first.result_id());
  *response.mutable_created_ids() = first.created_ids();
  response.set_replayed(true);
  return response;
}

void CommandHandler::Attempt(std::shared_ptr<Call> call) {
  ++call->attempts;
  const internal::Command& command = call->command;
  auto fail = [&call](absl::Status status) { std::move(call->done)(std::move(status)); };

  if (absl::Status valid = domain::ValidateRequestId(command.request_id); !valid.ok()) {
    return fail(std::move(valid));
  }
  if (!digester_.ok()) return fail(digester_.status());
  const absl::StatusOr<std::optional<uint64_t>> earlier =
      events_->FindEvent(CommandEventId(call->principal, command.request_id, 0));
  if (!earlier.ok()) return fail(earlier.status());
  if (earlier->has_value()) {
    std::move(call->done)(Replay(*events_, *digester_, call->principal, command, **earlier));
    return;
  }

  StoreSource source(events_, &cache_);
  KeyStoreSealer sealer(sealer_);
  const domain::CommandContext context{call->principal,
                                       options_.clock ? options_.clock() : absl::Now(),
                                       &source,
                                       &sealer,
                                       options_.retention,
                                       options_.figures};
  absl::StatusOr<domain::Decision> decision = command.decide(context);
  if (!decision.ok()) return fail(decision.status());
  absl::StatusOr<std::string> digest = digester_->Digest(command.digest_input);
  if (!digest.ok()) return fail(digest.status());

  std::vector<store::StreamAppend> appends;
  uint32_t index = 0;
  for (domain::StreamWrite& write : decision->writes) {
    store::StreamAppend& append = appends.emplace_back();
    append.stream = std::move(write.stream);
    append.expected = Expected(write.expected_version);
    for (v1::Event& event : write.events) {
      if (index == 0) {
        event.set_request_digest(*digest);
        event.set_result_id(decision->id);
        for (const std::string& id : decision->created_ids) event.add_created_ids(id);
      }
      event.set_request_id(command.request_id);
      store::ProposedEvent& proposed = append.events.emplace_back();
      proposed.id = CommandEventId(call->principal, command.request_id, index++);
      proposed.type = domain::EventType(event);
      proposed.payload = event.SerializeAsString();
      proposed.area = event.area_id();  // in the record's header: filters read it from there
      proposed.metadata.actor = call->principal.person;
      proposed.metadata.correlation_id = command.request_id;
      proposed.metadata.occurred_at = decision->occurred_at.value_or(context.now);
    }
  }
  if (index == 0) return fail(absl::InternalError("the command decided no events"));

  const bool pin_held = decision->pin_held;
  v1::CommandResponse response;
  response.set_id(decision->id);
  for (std::string& id : decision->created_ids) response.add_created_ids(std::move(id));
  events_->AppendAsync(
      std::move(appends), [this, call = std::move(call), response = std::move(response), pin_held](
                              absl::StatusOr<store::AppendResult> result) mutable {
        if (result.ok()) {
          response.set_position(result->positions.back());
          std::move(call->done)(std::move(response));
          return;
        }
        const absl::Status& status = result.status();
        // A stream moved since it was read, or a concurrent attempt of this same request was
        // stored first (its ids, other content): decide again, which then replays.
        const bool conflict = absl::IsAborted(status);
        if (conflict || absl::IsAlreadyExists(status)) {
          // The store's message names the versions: only for those who may see every change
          // (domain::StaleVersion).
          const std::string versions =
              security::MaySeeEveryChange(call->principal)
                  ? absl::StrCat(": ", status.message())
                  : std::string("; read it again");
          if (conflict && pin_held) {
            std::move(call->done)(absl::AbortedError(
                absl::StrCat("expected_version: the aggregate changed", versions)));
            return;
          }
          if (call->attempts < options_.max_attempts) {
            pool_.Submit([this, call]() mutable { Attempt(std::move(call)); }, /*force=*/true);
            return;
          }
          std::move(call->done)(absl::AbortedError(
              absl::StrCat("concurrent changes: still conflicting after ", call->attempts,
                           " attempts; retry the command", versions)));
          return;
        }
        std::move(call->done)(status);
      });
}

}  // namespace hotspot::commands
