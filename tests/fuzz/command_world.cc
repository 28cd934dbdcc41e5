#include "tests/fuzz/command_world.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "hotspot/v1/system_commands.pb.h"
#include "services/commands/command_list.h"
#include "services/domain/aggregates.h"
#include "services/rpc/request_checks.h"
#include "services/security/policy.h"
#include "store/event_store.h"
#include "store/status_macros.h"

namespace hotspot::fuzz {
namespace {

using google::protobuf::Message;

template <typename Request>
absl::StatusOr<domain::Decision> DecideAs(const Message& request,
                                          const domain::CommandContext& context) {
  return domain::Decided(static_cast<const Request&>(request), context);
}

// The system's commands (system_commands.proto), and the subject access answer hotspotd appends
// when an export answers a request.
#define HOTSPOT_FOR_EACH_SYSTEM_COMMAND(X) \
  X(MarkCommitmentOverdue)                 \
  X(MarkEscalationNotAcknowledged)         \
  X(MarkBodyBehindCadence)                 \
  X(MarkReviewDatePassed)                  \
  X(MarkEighteenthBirthdayNear)            \
  X(LapseConsent)                          \
  X(MarkNotificationAssessmentOverdue)     \
  X(MarkNotificationReceiptOverdue)        \
  X(MarkInvestigationOverdue)              \
  X(MarkSubjectAccessOverdue)              \
  X(MarkHalfYearlyReportMissing)           \
  X(RecordAgencyEscalated)                 \
  X(AnswerSubjectAccess)

const std::vector<RequestKind>& Kinds() {
  static const auto* kinds = new std::vector<RequestKind>{
#define HOTSPOT_REQUEST_KIND(Name) \
  {&v1::Name##Request::default_instance(), &DecideAs<v1::Name##Request>},
      HOTSPOT_FOR_EACH_COMMAND(HOTSPOT_REQUEST_KIND)
#undef HOTSPOT_REQUEST_KIND
#define HOTSPOT_COMMAND_KIND(Name) \
  {&v1::Name##Command::default_instance(), &DecideAs<v1::Name##Command>},
          HOTSPOT_FOR_EACH_SYSTEM_COMMAND(HOTSPOT_COMMAND_KIND)
#undef HOTSPOT_COMMAND_KIND
  };
  return *kinds;
}

// Personal data "sealed" so that it stays the same on every run: the text XORed, under the
// subject's id; Open() reads it back (the domain reads a youth's birth date). The report's
// figures are an empty dashboard of the period asked.
class MemorySealer final : public domain::FieldSealer, public domain::ReportFigures {
 public:
  absl::StatusOr<v1::SealedText> Seal(absl::string_view subject, absl::string_view field,
                                      absl::string_view text) override {
    v1::SealedText sealed;
    sealed.set_key_id(std::string(subject));
    sealed.set_field(std::string(field));
    std::string hidden(text);
    for (char& c : hidden) c ^= 0x5a;
    sealed.set_ciphertext(std::move(hidden));
    return sealed;
  }
  absl::StatusOr<std::optional<std::string>> Open(const v1::SealedText& sealed) override {
    std::string text = sealed.ciphertext();
    for (char& c : text) c ^= 0x5a;
    return text;
  }
  absl::StatusOr<v1::AreaDashboard> Compile(const security::Principal&, absl::string_view area_id,
                                            const v1::Date& period_start,
                                            const v1::Date& period_end) override {
    v1::AreaDashboard board;
    board.set_area_id(std::string(area_id));
    *board.mutable_period_start() = period_start;
    *board.mutable_period_end() = period_end;
    return board;
  }
};

// [A-Za-z0-9_.:-] for a stream name, [A-Za-z0-9_.] for an event type (store/event_store.h).
bool StoreName(absl::string_view name, size_t max, bool dash_and_colon) {
  if (name.empty() || name.size() > max) return false;
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') continue;
    if (dash_and_colon && (c == '-' || c == ':')) continue;
    return false;
  }
  return true;
}

// "<category>-<uuid>", as domain::NewId makes them: lower-case category, 36-character UUID.
bool GeneratedId(absl::string_view s) {
  constexpr size_t kUuid = 36;
  if (s.size() < kUuid + 2 || s[s.size() - kUuid - 1] != '-') return false;
  for (char c : s.substr(0, s.size() - kUuid - 1)) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  const absl::string_view uuid = s.substr(s.size() - kUuid);
  for (size_t i = 0; i < kUuid; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uuid[i] != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(uuid[i]))) {
      return false;
    }
  }
  return true;
}

// Renames generated ids to "<category>-f<n>", numbered per category in the order first seen.
class Renamer {
 public:
  std::string Name(const std::string& id) {
    if (!GeneratedId(id)) return id;
    auto it = names_.find(id);
    if (it != names_.end()) return it->second;
    const std::string category = id.substr(0, id.size() - 37);
    std::string name = absl::StrCat(category, "-f", ++counts_[category]);
    names_.emplace(id, name);
    return name;
  }

  // Every string field of `m`, at any depth.
  void Walk(Message* m) {
    const auto* reflection = m->GetReflection();
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    reflection->ListFields(*m, &fields);
    for (const auto* f : fields) {
      if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        if (f->is_repeated()) {
          for (int i = 0; i < reflection->FieldSize(*m, f); ++i) {
            reflection->SetRepeatedString(m, f, i, Name(reflection->GetRepeatedString(*m, f, i)));
          }
        } else {
          reflection->SetString(m, f, Name(reflection->GetString(*m, f)));
        }
      } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        if (f->is_repeated()) {
          for (int i = 0; i < reflection->FieldSize(*m, f); ++i) {
            Walk(reflection->MutableRepeatedMessage(m, f, i));
          }
        } else {
          Walk(reflection->MutableMessage(m, f));
        }
      }
    }
  }

 private:
  std::map<std::string, std::string> names_;
  std::map<std::string, int> counts_;
};

// Sends the scenario's commands through the world into an overlay over no streams, keeping a
// copy of each.
class ScenarioSink final : public scenario::CommandSink {
 public:
  ScenarioSink(const CommandWorld* world, const std::vector<security::Principal>* callers)
      : world_(world), callers_(callers) {}

  absl::StatusOr<v1::CommandResponse> Send(const security::Principal& as, const Message& request,
                                           absl::Time at) override {
    const int kind = KindIndex(request.GetDescriptor());
    if (kind < 0) return absl::InvalidArgumentError("request: no command");
    int caller = -1;
    for (size_t i = 0; i < callers_->size(); ++i) {
      if ((*callers_)[i].person == as.person) caller = static_cast<int>(i);
    }
    if (caller < 0) return absl::InvalidArgumentError(absl::StrCat("caller ", as.person));
    ASSIGN_OR_RETURN(domain::Decision decision, world_->Run(as, request, overlay_, at));
    v1::CommandResponse response;
    response.set_id(decision.id);
    for (const std::string& id : decision.created_ids) response.add_created_ids(id);
    const auto* request_id = request.GetDescriptor()->FindFieldByName("request_id");
    RETURN_IF_ERROR(CommandWorld::Apply(request.GetReflection()->GetString(request, request_id),
                                        std::move(decision), overlay_));
    response.set_position(overlay_.appended().size());
    std::unique_ptr<Message> copy(request.New());
    copy->CopyFrom(request);
    sent_.push_back(SentCommand{kind, caller, std::move(copy)});
    return response;
  }

  Overlay& overlay() { return overlay_; }
  std::vector<SentCommand>& sent() { return sent_; }

 private:
  const CommandWorld* const world_;
  const std::vector<security::Principal>* const callers_;
  const Streams empty_;
  Overlay overlay_{&empty_};
  std::vector<SentCommand> sent_;
};

}  // namespace

absl::Span<const RequestKind> RequestKinds() { return Kinds(); }

int KindIndex(const google::protobuf::Descriptor* descriptor) {
  const std::vector<RequestKind>& kinds = Kinds();
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i].prototype->GetDescriptor() == descriptor) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<domain::StreamEvents> Overlay::Read(absl::string_view name) {
  const std::vector<v1::Event>& events = Stream(std::string(name));
  // A copy: the decision may read while the caller appends later (not within one Decide()).
  auto shared = std::make_shared<const std::vector<v1::Event>>(events);
  return domain::StreamEvents{events.size(), std::move(shared)};
}

const std::vector<v1::Event>& Overlay::Stream(const std::string& name) {
  if (auto it = changed_.find(name); it != changed_.end()) return it->second;
  static const std::vector<v1::Event> kNone;
  auto it = base_->find(name);
  return it == base_->end() ? kNone : it->second;
}

void Overlay::Append(const std::string& stream, const v1::Event& event) {
  auto it = changed_.find(stream);
  if (it == changed_.end()) {
    it = changed_.emplace(stream, Stream(stream)).first;
  }
  it->second.push_back(event);
  appended_.emplace_back(stream, event);
}

absl::StatusOr<domain::Decision> CommandWorld::Run(const security::Principal& caller,
                                                   const Message& request, Overlay& overlay,
                                                   absl::Time at) const {
  const int kind = KindIndex(request.GetDescriptor());
  if (kind < 0) return absl::InvalidArgumentError("request: no command");
  // CommandService::Run: the caller admitted with its agency as the log registers it (the
  // handler's AgencyFactsOf), then the dates.
  security::Principal who = caller;
  RETURN_IF_ERROR(security::Admit(
      who, [&overlay](absl::string_view agency_id) -> absl::StatusOr<security::AgencyFacts> {
        domain::AgencyState agency;
        for (const v1::Event& e : overlay.Stream(std::string(agency_id))) domain::Evolve(agency, e);
        return domain::FactsOf(agency_id, agency);
      }));
  RETURN_IF_ERROR(rpc::CheckDates(request));
  // CommandHandler::Attempt: the request id, then the decision in the handler's context.
  const auto* request_id = request.GetDescriptor()->FindFieldByName("request_id");
  RETURN_IF_ERROR(
      domain::ValidateRequestId(request.GetReflection()->GetString(request, request_id)));
  MemorySealer sealer;
  domain::CommandContext context{who, at, &overlay, &sealer};
  context.figures = &sealer;
  return Kinds()[kind].decide(request, context);
}

absl::Status CommandWorld::Apply(absl::string_view request_id, domain::Decision decision,
                                 Overlay& overlay) {
  auto refused = [](absl::string_view what) {
    return absl::InternalError(absl::StrCat("the store would refuse this decision: ", what));
  };
  size_t events = 0;
  std::set<std::string> streams;
  for (const domain::StreamWrite& write : decision.writes) {
    if (!StoreName(write.stream, store::kMaxStreamNameBytes, /*dash_and_colon=*/true)) {
      return refused(absl::StrCat("stream name \"", write.stream, "\""));
    }
    if (!streams.insert(write.stream).second) {
      return refused(absl::StrCat("stream ", write.stream, " twice"));
    }
    if (write.expected_version != overlay.Stream(write.stream).size()) {
      return refused(absl::StrCat("stream ", write.stream, " expected at version ",
                                  write.expected_version, ", is at ",
                                  overlay.Stream(write.stream).size()));
    }
    for (const v1::Event& event : write.events) {
      const std::string type = domain::EventType(event);
      if (!StoreName(type, store::kMaxEventTypeBytes, /*dash_and_colon=*/false)) {
        return refused(absl::StrCat("event type \"", type, "\""));
      }
      ++events;
    }
  }
  // CommandHandler::Attempt: "the command decided no events"; the store's default limit.
  if (events == 0) return refused("no events");
  if (events > store::Options().max_events_per_append) {
    return refused(absl::StrCat(events, " events in one append"));
  }
  bool first = true;
  for (domain::StreamWrite& write : decision.writes) {
    for (v1::Event& event : write.events) {
      if (first) {
        event.set_result_id(decision.id);
        for (const std::string& id : decision.created_ids) event.add_created_ids(id);
        first = false;
      }
      event.set_request_id(std::string(request_id));
      // The bytes the store keeps, read back as the next decision reads them.
      v1::Event stored;
      if (!stored.ParseFromString(event.SerializeAsString())) {
        return refused(absl::StrCat("an event of ", write.stream, " does not parse back"));
      }
      overlay.Append(write.stream, stored);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CommandWorld>> CommandWorld::Build(int youths) {
  std::unique_ptr<CommandWorld> world(new CommandWorld());
  const scenario::Cast cast = scenario::SjaelorCast();
  world->callers_ = cast.All();
  world->callers_.push_back(security::SystemPrincipal());
  security::Principal stranger = cast.chief;
  stranger.person = "chief-elsewhere";
  stranger.areas = {"area-elsewhere"};
  world->callers_.push_back(stranger);
  world->now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());

  ScenarioSink sink(world.get(), &world->callers_);
  scenario::ScenarioOptions options;
  options.youths = youths;
  options.request_prefix = "fuzz";
  options.now = world->now_;
  absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(sink, options);
  if (!built.ok()) return absl::InternalError(built.status().ToString());

  Renamer renamer;
  for (const auto& [stream, event] : sink.overlay().appended()) {
    v1::Event renamed = event;
    renamer.Walk(&renamed);
    world->streams_[renamer.Name(stream)].push_back(std::move(renamed));
  }
  for (SentCommand& sent : sink.sent()) {
    renamer.Walk(sent.request.get());
    world->sent_.push_back(std::move(sent));
  }
  return world;
}

}  // namespace hotspot::fuzz
