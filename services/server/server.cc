#include "services/server/server.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "glog/logging.h"
#include "grpc/grpc.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/server_builder.h"
#include "hotspot/v1/admin_service.pb.h"
#include "prometheus/registry.h"
#include "services/audit/access_log.h"
#include "services/audit/audit_handler.h"
#include "services/audit/audit_service.h"
#include "services/commands/command_handler.h"
#include "services/commands/command_service.h"
#include "services/observability/call_observer.h"
#include "services/observability/metrics_server.h"
#include "services/observability/reflection.h"
#include "services/projections/all_views.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/queries/query_handler.h"
#include "services/queries/query_service.h"
#include "services/rpc/call_guard.h"
#include "services/rpc/principal_limits.h"
#include "services/rpc/pull_writer.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/identity.h"
#include "services/security/identity_digest.h"
#include "services/security/key_store.h"
#include "services/security/owner_only_file.h"
#include "services/security/policy.h"
#include "services/security/public_head.h"
#include "services/security/sealer.h"
#include "services/server/admin_service.h"
#include "services/server/backup.h"
#include "services/server/calls_in_flight.h"
#include "services/server/connection_limit.h"
#include "services/server/erasure_executor.h"
#include "services/server/health_monitor.h"
#include "services/server/server_metrics.h"
#include "services/server/transport.h"
#include "services/subscriptions/subscription_service.h"
#include "store/event_store.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

// How long the shutdown lets the connections carry the statuses of calls it ended by
// cancelling them (rpc::CallGuard::Close()).
constexpr absl::Duration kCancelledStatusFlush = absl::Milliseconds(500);

// The tokens file to use: the given one, or for the demo <data_dir>/dev-tokens, created with a
// token for each person of the demo's cast if it is missing (the tokens go to `created`).
// With a certificate map or OIDC and no tokens file, no token of a tokens file is known: callers
// are their certificates or access tokens (`*path` is then left empty: nothing to reload).
absl::StatusOr<security::Authenticator> LoadTokens(const ServerOptions& options,
                                                   std::vector<DevToken>* created,
                                                   std::string* tokens_path) {
  std::string path = options.tokens_file;
  if (path.empty()) {
    if (!options.demo &&
        (!options.tls_client_map_file.empty() || !options.oidc.verifier.issuer.empty())) {
      return security::Authenticator::Parse("");
    }
    if (!options.demo) {
      return absl::InvalidArgumentError(
          "tokens_file: required (a file of hashed bearer tokens; --demo makes dev tokens; with "
          "mTLS, --tls_client_map_file alone will do, and with OIDC, --oidc_issuer)");
    }
    path = options.data_dir + "/dev-tokens";
    if (!std::filesystem::exists(path)) {
      const std::vector<security::Principal> cast = scenario::SjaelorCast().All();
      ASSIGN_OR_RETURN(const std::vector<std::string> tokens, security::WriteDevTokens(path, cast));
      for (size_t i = 0; i < cast.size(); ++i) {
        created->push_back(
            DevToken{cast[i].person, std::string(security::RoleName(cast[i].role)), tokens[i]});
      }
    }
  }
  *tokens_path = path;
  return security::Authenticator::Load(path);
}

// The OIDC provider's access tokens: a verifier of them, whose key set fetches are logged, and
// the claims map. INVALID_ARGUMENT naming the flag for what is missing.
absl::Status SetUpOidc(const OidcOptions& options, security::Authenticator* authenticator) {
  if (options.claims_map_file.empty()) {
    return absl::InvalidArgumentError(
        "oidc_claims_map_file: required with --oidc_issuer (which principal a token is)");
  }
  if (!options.jwks_uri.empty() && !absl::StartsWith(options.jwks_uri, "https://")) {
    return absl::InvalidArgumentError("oidc_jwks_uri: must be an https URL");
  }
  if (!absl::StartsWith(options.verifier.issuer, "https://")) {
    return absl::InvalidArgumentError("oidc_issuer: must be an https URL");
  }
  if (!options.ca_file.empty() && !std::filesystem::is_regular_file(options.ca_file)) {
    return absl::InvalidArgumentError(
        absl::StrCat("oidc_ca_file: cannot read ", options.ca_file));
  }
  if (options.fetch_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("oidc_fetch_timeout_ms: 1 or more");
  }
  ASSIGN_OR_RETURN(security::ClaimsMap claims, security::ClaimsMap::Load(options.claims_map_file));
  security::HttpsClientOptions https;
  https.ca_file = options.ca_file;
  https.timeout = options.fetch_timeout;
  // The first fetch (discovery and the key set: two requests of `fetch_timeout` at most) is made
  // here, at start; later ones on the verifier's thread, which no call waits for.
  const std::string issuer = options.verifier.issuer;
  ASSIGN_OR_RETURN(
      std::unique_ptr<security::JwtVerifier> verifier,
      security::JwtVerifier::Create(
          options.verifier,
          security::ProviderKeySet(issuer, options.jwks_uri, std::move(https)),
          [issuer](const absl::Status& status, int keys) {
            if (status.ok()) {
              LOG(INFO) << "event=oidc_keys_fetched issuer=" << issuer << " keys=" << keys;
            } else {
              LOG(WARNING) << "event=oidc_keys_fetch_failed issuer=" << issuer << " status=\""
                           << status << "\"";
            }
          }));
  authenticator->set_jwt(std::move(verifier), std::move(claims));
  return absl::OkStatus();
}

// Loads the demo area. Loaded before (maybe partly): played again with the same dates, which
// completes it and otherwise writes nothing. A demo loaded by an earlier version, whose commands
// the domain now refuses or whose request ids now carry other content, is kept as it is (the
// answer then counts no commands): data of before must not stop hotspotd from starting.
// A break in the log (LogVerifier), for operators: what is wrong, and how to recover.
absl::Status BrokenLog(const absl::Status& broken) {
  return absl::DataLossError(absl::StrCat(
      "the event log is broken: ", broken.message(),
      ". hotspotd refuses writes. To recover: stop hotspotd, move the data directory aside, "
      "restore the last backup into an empty one (hotspotd --data_dir=DIR --restore_from=BACKUP, "
      "which verifies it) and start again; events after that backup are lost unless another copy "
      "of the log holds them"));
}

absl::StatusOr<v1::LoadDemoResponse> LoadDemo(store::EventStore* events, security::Sealer* sealer) {
  scenario::ScenarioOptions demo_options;
  ASSIGN_OR_RETURN(const std::vector<store::RecordedEvent> first,
                   events->ReadStream(scenario::kAreaId, 1, store::Direction::kForward, 1));
  if (!first.empty()) {
    demo_options.now = first[0].metadata.occurred_at + absl::Hours(24 * scenario::kBackdatedDays);
  }
  scenario::HandlerSink sink(events, sealer);
  absl::StatusOr<scenario::ScenarioResult> played = scenario::BuildSjaelor(sink, demo_options);
  if (!played.ok() && !first.empty() &&
      (absl::IsAlreadyExists(played.status()) || absl::IsFailedPrecondition(played.status()) ||
       absl::IsInvalidArgument(played.status()) || absl::IsPermissionDenied(played.status()) ||
       absl::IsNotFound(played.status()))) {
    return v1::LoadDemoResponse();
  }
  ASSIGN_OR_RETURN(const scenario::ScenarioResult demo, std::move(played));
  v1::LoadDemoResponse response;
  response.set_commands(demo.commands);
  response.set_replayed(demo.replayed);
  return response;
}

}  // namespace

struct HotspotServer::Impl {
  // First, so last to go: the calls' and the store's metrics live in it.
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<CommitMetrics> commit_metrics;
  // Before the databases that count against it.
  std::shared_ptr<store::MemoryBudget> memory;
  std::unique_ptr<security::KeyStore> keys;
  // Before the event store, whose commits it follows.
  security::PublicHead heads;
  std::unique_ptr<store::EventStore> events;
  std::unique_ptr<security::Sealer> sealer;
  std::unique_ptr<security::Authenticator> authenticator;
  // The files Reload() reads again; empty where there is none.
  std::string tokens_path;
  std::string tls_client_map_path;
  std::string oidc_claims_map_path;
  // What this node derives from the log: the views, the erasure executor's checkpoint.
  std::shared_ptr<store::ViewDb> view_db;
  std::unique_ptr<projections::Projector> views;
  std::unique_ptr<queries::QueryHandler> query_handler;  // before the handler that asks it
  std::unique_ptr<queries::ReportFiguresFromViews> report_figures;
  std::unique_ptr<commands::CommandHandler> handler;
  // Before the services whose calls hold its slots.
  std::unique_ptr<rpc::PrincipalLimits> limits;
  std::unique_ptr<commands::CommandService> command_service;
  std::unique_ptr<queries::QueryService> query_service;
  std::unique_ptr<audit::AccessLog> access_log;
  std::unique_ptr<audit::AuditHandler> audit_handler;
  std::unique_ptr<audit::AuditService> audit_service;
  std::unique_ptr<subscriptions::SubscriptionService> subscription_service;
  std::unique_ptr<projections::DeadlineProcess> deadlines;
  std::unique_ptr<ErasureExecutor> erasures;
  std::unique_ptr<LogVerifier> log_verifier;
  std::vector<DevToken> new_dev_tokens;
  int demo_commands = 0;
  int demo_replayed = 0;
  std::unique_ptr<AdminService> admin;
  std::vector<std::unique_ptr<grpc::Service>> reflection;
  // Before the server, whose calls they count and guard.
  CallsInFlight calls;
  std::unique_ptr<rpc::CallGuard> guard;
  std::unique_ptr<grpc::Server> server;
  // After the server: it hands the server its connections, and goes first.
  std::unique_ptr<ConnectionLimiter> connections;
  std::unique_ptr<HealthMonitor> health;
  std::unique_ptr<observability::MetricsServer> metrics;
  std::string address;
  bool shut_down = false;
};

std::string MasterKeyFile(const ServerOptions& options) {
  return options.master_key_file.empty() ? options.data_dir + "/master.key"
                                         : options.master_key_file;
}

bool MasterKeyInDataDir(const ServerOptions& options) {
  const absl::StatusOr<bool> inside = IsWithin(MasterKeyFile(options), options.data_dir);
  return !inside.ok() || *inside;
}

HotspotServer::HotspotServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HotspotServer::~HotspotServer() { Shutdown(absl::ZeroDuration()); }

const std::string& HotspotServer::address() const { return impl_->address; }
int HotspotServer::metrics_port() const {
  return impl_->metrics == nullptr ? 0 : impl_->metrics->port();
}
const std::vector<DevToken>& HotspotServer::new_dev_tokens() const { return impl_->new_dev_tokens; }
int HotspotServer::demo_commands() const { return impl_->demo_commands; }
int HotspotServer::demo_replayed() const { return impl_->demo_replayed; }

absl::StatusOr<std::unique_ptr<HotspotServer>> HotspotServer::Start(ServerOptions options) {
  ASSIGN_OR_RETURN(const std::vector<std::string> listen_addresses,
                   ListenAddresses(options.listen, !options.tls.enabled()));
  ASSIGN_OR_RETURN(const std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentialsFor(options.tls));
  std::vector<std::string> metrics_addresses;
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::vector<std::string>> addresses = ListenAddresses(
        options.metrics_listen, !options.metrics_allow_remote, ResolveHost, "metrics_listen");
    if (!addresses.ok() && !options.metrics_allow_remote &&
        absl::StrContains(addresses.status().message(), "loopback only")) {
      return absl::InvalidArgumentError(absl::StrCat(
          addresses.status().message(), ". --metrics_allow_remote serves metrics beyond loopback"));
    }
    ASSIGN_OR_RETURN(metrics_addresses, std::move(addresses));
  }
  if (!options.tls_client_map_file.empty() && options.tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_map_file: needs --tls_client_ca_file (client certificates come with mTLS)");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("data_dir: cannot create ", options.data_dir, ": ", ec.message()));
  }
  // A data directory of an earlier version, or one made under a lax umask, becomes owner-only.
  if (absl::Status restricted = security::RestrictToOwner(options.data_dir); !restricted.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("data_dir: ", restricted.message()));
  }

  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(security::Authenticator authenticator,
                   LoadTokens(options, &impl->new_dev_tokens, &impl->tokens_path));
  impl->authenticator = std::make_unique<security::Authenticator>(std::move(authenticator));
  if (!options.tls_client_map_file.empty()) {
    ASSIGN_OR_RETURN(security::CertificateMap certificates,
                     security::CertificateMap::Load(options.tls_client_map_file));
    impl->authenticator->set_certificates(std::move(certificates));
    impl->tls_client_map_path = options.tls_client_map_file;
  }
  if (!options.oidc.verifier.issuer.empty()) {
    RETURN_IF_ERROR(SetUpOidc(options.oidc, impl->authenticator.get()));
    impl->oidc_claims_map_path = options.oidc.claims_map_file;
  } else if (!options.oidc.verifier.audience.empty() || !options.oidc.claims_map_file.empty() ||
             !options.oidc.jwks_uri.empty()) {
    return absl::InvalidArgumentError(
        "oidc_issuer: required with --oidc_audience, --oidc_claims_map_file or --oidc_jwks_uri");
  }

  security::KeyStoreOptions key_options;
  key_options.master_key_file = MasterKeyFile(options);
  // New data keys wait in memory until the event store is about to write a group of events
  // (before_write below): one synced batch for a whole group of referrals instead of one each,
  // and never an event on disk before its key.
  key_options.defer_new_keys = true;
  key_options.sync = options.sync;
  impl->memory = store::MemoryBudget::Create(options.memory);
  key_options.memory = impl->memory;
  ASSIGN_OR_RETURN(impl->keys, security::KeyStore::Open(key_options, options.data_dir + "/keys"));
  store::Options store_options;
  store_options.sync = options.sync;
  store_options.memory = impl->memory;
  security::KeyStore* keys = impl->keys.get();
  store_options.before_write = [keys] { return keys->Sync(); };
  impl->commit_metrics = std::make_unique<CommitMetrics>(*impl->registry, options.sync);
  store_options.on_commit = [metrics = impl->commit_metrics.get(),
                             heads = &impl->heads](const store::CommitInfo& c) {
    metrics->Observe(c);
    heads->Committed(c);
  };
  // A damaged log (issue 15 §3) stops the start, or with --serve_damaged_log is served for
  // reads only: `what` says what is wrong and how to recover; reads stop at `intact_head`.
  auto damaged = [&options, &impl](const absl::Status& what,
                                   std::optional<uint64_t> intact_head) -> absl::Status {
    if (!options.serve_damaged_log) {
      return absl::DataLossError(absl::StrCat(
          what.message(), " (hotspotd --data_dir=EMPTY_DIR --restore_from=BACKUP restores a "
          "backup and verifies it; to serve reads of what is intact meanwhile, start hotspotd "
          "with --serve_damaged_log)"));
    }
    if (impl->events->WriteStatus().ok()) impl->events->RefuseWrites(what);
    if (intact_head.has_value()) RETURN_IF_ERROR(impl->events->LimitReadsTo(*intact_head));
    LOG(ERROR) << "event=serving_damaged_log head=" << impl->events->HeadPosition()
               << " msg=\"" << absl::CEscape(what.message())
               << "\" note=\"--serve_damaged_log: commands are refused, reads are served up to "
                  "the head\"";
    return absl::OkStatus();
  };
  store_options.open_damaged = options.serve_damaged_log;
  absl::StatusOr<std::unique_ptr<store::EventStore>> opened =
      store::EventStore::Open(std::move(store_options), options.data_dir + "/events");
  if (opened.status().code() == absl::StatusCode::kDataLoss) {
    // With --serve_damaged_log a log that lost events opens for reads; this one cannot even be.
    if (options.serve_damaged_log) return opened.status();
    return damaged(opened.status(), std::nullopt);
  }
  RETURN_IF_ERROR(opened.status());
  impl->events = std::move(*opened);
  if (const absl::Status refused = impl->events->WriteStatus(); !refused.ok()) {
    RETURN_IF_ERROR(damaged(refused, std::nullopt));
  }
  RETURN_IF_ERROR(impl->heads.Recover(*impl->events));  // before anything is appended
  impl->sealer = std::make_unique<security::Sealer>(keys);
  LogVerifierOptions verifier_options;
  verifier_options.interval = options.verify_log_interval;
  verifier_options.on_broken = [events = impl->events.get()](const absl::Status& broken) {
    events->RefuseWrites(BrokenLog(broken));
  };
  impl->log_verifier = std::make_unique<LogVerifier>(impl->events.get(), verifier_options);
  if (options.verify_log_at_start) {
    if (const absl::Status verified = impl->log_verifier->RunOnce();
        verified.code() == absl::StatusCode::kDataLoss) {
      const std::optional<uint64_t> broken = impl->log_verifier->Status().first_broken_position;
      RETURN_IF_ERROR(damaged(BrokenLog(verified),
                              broken.has_value() ? std::optional<uint64_t>(*broken - 1)
                                                 : std::nullopt));
    } else if (!verified.ok()) {
      return verified;
    }
  }

  // The duplicate index's key is derived from the master key: it is never on disk.
  ASSIGN_OR_RETURN(security::IdentityDigester digester,
                   security::IdentityDigester::FromKeyStore(*impl->keys));
  projections::ProjectorOptions projector_options;
  projector_options.memory = impl->memory;
  projector_options.nice = options.views_nice;
  if (!options.hold_views_while_file_exists.empty()) {
    projector_options.hold = [file = options.hold_views_while_file_exists] {
      std::error_code error;
      return std::filesystem::exists(file, error);
    };
  }
  store::ViewDbOptions view_db_options;
  view_db_options.memory = impl->memory;
  ASSIGN_OR_RETURN(impl->view_db,
                   store::ViewDb::Open(std::move(view_db_options), options.data_dir + "/views"));
  RETURN_IF_ERROR(ErasureExecutor::AdoptCheckpointFile(*impl->view_db,
                                                       options.data_dir + "/erasures.checkpoint"));
  ASSIGN_OR_RETURN(impl->views, projections::Projector::Open(
                                    std::move(projector_options), impl->events.get(),
                                    projections::AllViews(impl->sealer.get(), std::move(digester)),
                                    impl->view_db));
  if (const absl::Status priority = impl->views->priority(); !priority.ok()) {
    LOG(WARNING) << "event=views_priority_not_raised msg=\"" << priority.message() << "\"";
  }
  // Views that applied more of the log than it holds, or an erasure executor that examined
  // more, saw events it has lost since (witnesses beside the store's own, e.g. for a log of
  // before the witness existed). Checked before anything is appended at those positions again.
  if (impl->events->WriteStatus().ok()) {
    const uint64_t head = impl->events->HeadPosition();
    std::optional<std::string> ahead;
    for (const projections::ViewStatus& view : impl->views->Status()) {
      if (view.checkpoint <= head) continue;
      ahead = absl::StrCat("the view ", view.name, " has applied events up to position ",
                           view.checkpoint);
      break;
    }
    ASSIGN_OR_RETURN(const uint64_t erasures_from, ErasureExecutor::ReadCheckpoint(*impl->view_db));
    if (!ahead.has_value() && erasures_from > head + 1) {
      ahead = absl::StrCat("the erasure executor (its checkpoint/@erasures row in views/) has "
                           "examined events up to position ",
                           erasures_from - 1);
    }
    if (ahead.has_value()) {
      RETURN_IF_ERROR(damaged(BrokenLog(absl::DataLossError(absl::StrCat(
                                  "it lost acknowledged events: it ends at position ", head,
                                  ", but ", *ahead))),
                              std::nullopt));
    }
  }

  if (options.demo && impl->events->WriteStatus().ok()) {
    ASSIGN_OR_RETURN(const v1::LoadDemoResponse demo,
                     LoadDemo(impl->events.get(), impl->sealer.get()));
    impl->demo_commands = demo.commands();
    impl->demo_replayed = demo.replayed();
  } else if (options.demo) {
    LOG(WARNING) << "event=demo_not_loaded msg=\"the event log refuses writes\"";
  }
  // No query is answered before the views have caught up with the log as it is at the start.
  impl->query_handler = std::make_unique<queries::QueryHandler>(
      impl->views.get(), impl->sealer.get(), &impl->heads, nullptr, impl->events->HeadPosition());
  commands::CommandHandlerOptions handler_options;
  handler_options.workers = options.command_workers;
  handler_options.cached_stream_bytes = options.command_stream_cache_bytes;
  const absl::Duration offset = options.test_clock_offset;
  if (offset != absl::ZeroDuration()) {
    handler_options.clock = [offset] { return absl::Now() + offset; };
  }
  handler_options.retention = absl::Hours(24) * options.retention_days;
  // The chief's report freezes the figures the query side compiles from the views.
  impl->report_figures =
      std::make_unique<queries::ReportFiguresFromViews>(impl->query_handler.get(),
                                                                     impl->events.get());
  handler_options.figures = impl->report_figures.get();
  impl->handler = std::make_unique<commands::CommandHandler>(impl->events.get(), impl->sealer.get(),
                                                             std::move(handler_options));
  // Every caller is admitted with its agency as the log registers it: the read side's
  // need-to-know asks its kind, and a role that belongs to one kind of agency (the social
  // caseworker's) is held only in an agency registered as that kind.
  impl->authenticator->set_admission([handler = impl->handler.get()](security::Principal& who) {
    return security::Admit(
        who, [handler](absl::string_view agency) { return handler->AgencyFactsOf(agency); });
  });

  if (options.deadline_interval > absl::ZeroDuration()) {
    projections::DeadlineOptions deadline_options;
    deadline_options.interval = options.deadline_interval;
    if (offset != absl::ZeroDuration()) {
      deadline_options.clock = [offset] { return absl::Now() + offset; };
    }
    impl->deadlines = std::make_unique<projections::DeadlineProcess>(
        impl->events.get(), impl->views.get(), impl->sealer.get(), std::move(deadline_options));
  }
  ErasureExecutorOptions erasure_options;
  if (!options.fail_erasure_checkpoints_while_file_exists.empty()) {
    erasure_options.before_checkpoint = [file = options.fail_erasure_checkpoints_while_file_exists] {
      std::error_code error;
      if (!std::filesystem::exists(file, error)) return absl::OkStatus();
      return absl::InternalError(absl::StrCat("writing the checkpoint: fault injected while ", file,
                                              " exists"));
    };
  }
  ASSIGN_OR_RETURN(impl->erasures,
                   ErasureExecutor::Start(impl->events.get(), impl->keys.get(),
                                          impl->view_db.get(), std::move(erasure_options)));
  audit::AccessLogOptions access_options;
  access_options.sync_interval = options.access_log_sync_interval;
  access_options.retention = absl::Hours(24) * options.access_log_retention_days;
  access_options.sealer = impl->sealer.get();
  access_options.memory = impl->memory;
  access_options.area_of_youth = [handler = impl->handler.get()](absl::string_view youth_id) {
    return handler->AreaOfCase(youth_id);
  };
  ASSIGN_OR_RETURN(impl->access_log,
                   audit::AccessLog::Open(std::move(access_options), options.data_dir + "/access"));
  // The ids a refusal's record keeps: a youth's that has a case, an area's that was established.
  const rpc::KnownIds known{
      [handler = impl->handler.get()](absl::string_view youth_id) {
        return handler->AreaOfCase(youth_id);
      },
      [handler = impl->handler.get()](absl::string_view area_id) {
        return handler->AreaEstablished(area_id);
      }};
  impl->limits = std::make_unique<rpc::PrincipalLimits>(rpc::PrincipalLimitsOptions{
      options.max_calls_per_principal, options.max_subscriptions_per_principal});
  impl->command_service = std::make_unique<commands::CommandService>(
      impl->handler.get(), impl->authenticator.get(),
      options.record_access ? impl->access_log.get() : nullptr, known, impl->limits.get());
  impl->query_service = std::make_unique<queries::QueryService>(
      impl->query_handler.get(), impl->authenticator.get(),
      options.record_access ? impl->access_log.get() : nullptr, known, /*workers=*/4,
      impl->limits.get());
  audit::AuditOptions audit_options;
  audit_options.retention_days = options.retention_days;
  impl->audit_handler = std::make_unique<audit::AuditHandler>(impl->events.get(), impl->views.get(),
                                                              impl->sealer.get(), &impl->heads,
                                                              std::move(audit_options));
  impl->audit_service = std::make_unique<audit::AuditService>(
      impl->audit_handler.get(), impl->authenticator.get(), impl->access_log.get(),
      impl->sealer.get(),
      [handler = impl->handler.get()](const security::Principal& who,
                                      const v1::AnswerSubjectAccessCommand& answer) {
        absl::Notification done;
        absl::Status status;
        handler->Execute(who, answer, [&](absl::StatusOr<v1::CommandResponse> response) {
          status = response.status();
          done.Notify();
        });
        done.WaitForNotification();
        return status;
      },
      known, /*workers=*/2, impl->limits.get(), options.stream_stall_timeout);
  subscriptions::SubscriptionOptions subscription_options;
  subscription_options.max_subscribers = options.max_subscribers;
  subscription_options.limits = impl->limits.get();
  subscription_options.idle_timeout = options.subscriber_idle_timeout;
  subscription_options.stall_timeout = options.stream_stall_timeout;
  subscription_options.chief_of = [queries = impl->query_handler.get()](absl::string_view area) {
    return queries->ChiefOf(area);
  };
  impl->subscription_service = std::make_unique<subscriptions::SubscriptionService>(
      impl->events.get(), impl->sealer.get(), &impl->heads, impl->authenticator.get(),
      impl->access_log.get(), known, subscription_options);

  if (!metrics_addresses.empty()) {
    MonitoredParts parts;
    parts.events = impl->events.get();
    parts.views = impl->views.get();
    parts.subscriptions = impl->subscription_service.get();
    parts.max_subscribers = options.max_subscribers;
    parts.access_log = impl->access_log.get();
    parts.erasures = impl->erasures.get();
    parts.deadlines = impl->deadlines.get();
    parts.log_verifier = impl->log_verifier.get();
    parts.memory = impl->memory.get();
    parts.commands = impl->handler.get();
    ASSIGN_OR_RETURN(impl->metrics,
                     observability::MetricsServer::Start(metrics_addresses,
                                                         {impl->registry, PartsCollector(parts)}));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS: a client past it waits for one of its streams to
  // end (its library queues the call) before another starts on that connection.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_streams_per_connection);
  // Memory: no request larger than the largest real one, and a bound on all that is buffered.
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  grpc::ResourceQuota quota("hotspotd");
  quota.Resize(options.max_transport_memory_bytes);
  builder.SetResourceQuota(quota);
  // Connections no call uses are closed, and so are those that never finish their handshake:
  // with the limits per address (connection_limit.h), a client holds no place it does not use.
  if (options.max_connection_idle > absl::ZeroDuration()) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_IDLE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
  }
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.connection_handshake_timeout)));
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    // The guard first: the observer counts the codes it sends.
    impl->guard = std::make_unique<rpc::CallGuard>(
        rpc::CallGuardOptions{options.max_call_deadline, options.max_stream_duration,
                              options.max_health_reflection_streams});
    observers.push_back(impl->guard->Factory());
    observers.push_back(std::make_unique<observability::CallObserverFactory>(*impl->registry));
    observers.push_back(impl->calls.Factory());
    builder.experimental().SetInterceptorCreators(std::move(observers));
  }
  // The connections come from the limiter, which listens (connection_limit.h), and are served
  // with `credentials` as on a port of gRPC's own.
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor =
      builder.experimental().AddExternalConnectionAcceptor(
          grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, credentials);
  store::EventStore* events = impl->events.get();
  security::Sealer* sealer = impl->sealer.get();
  impl->admin = std::make_unique<AdminService>(
      impl->authenticator.get(), impl->views.get(), impl->deadlines.get(), impl->erasures.get(),
      impl->log_verifier.get(), [events, sealer] { return LoadDemo(events, sealer); },
      [events, keys = impl->keys.get(), access = impl->access_log.get(),
       data_dir = options.data_dir](const std::string& directory) {
        // The log first, so that every event in the backup has its key in the key store's copy.
        // The position is the copy's own head: appends go on while it is taken.
        auto head = std::make_shared<uint64_t>(0);
        BackupSource backup;
        backup.data_dir = data_dir;
        backup.parts = {
            {"events",
             [events, head](const std::string& into) -> absl::Status {
               ASSIGN_OR_RETURN(*head, events->Checkpoint(into));
               return absl::OkStatus();
             }},
            {"keys", [keys](const std::string& into) { return keys->Checkpoint(into); }},
            {"access", [access](const std::string& into) { return access->Checkpoint(into); }}};
        backup.head = [head] { return *head; };
        return WriteBackup(std::move(backup), directory);
      },
      impl->limits.get(), options.stream_stall_timeout);
  builder.RegisterService(impl->admin.get());
  builder.RegisterService(impl->command_service.get());
  builder.RegisterService(impl->query_service.get());
  builder.RegisterService(impl->audit_service.get());
  builder.RegisterService(impl->subscription_service.get());
  impl->reflection = observability::ReflectionServices(
      {v1::CommandService::service_full_name(), v1::QueryService::service_full_name(),
       v1::AuditService::service_full_name(), v1::SubscriptionService::service_full_name(),
       v1::AdminService::service_full_name(), "grpc.health.v1.Health"},
      [](grpc_call* call, std::function<void()> end) -> std::shared_ptr<void> {
        return std::make_shared<rpc::EndsAtClose>(call, std::move(end));
      });
  for (const auto& service : impl->reflection) builder.RegisterService(service.get());
  const uint64_t start_head = impl->events->HeadPosition();
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr) {
    return absl::UnavailableError(absl::StrCat("listen: the gRPC server did not start (",
                                               absl::StrJoin(listen_addresses, ", "), ")"));
  }
  // The health statuses before the first connection: gRPC's own say SERVING until told
  // otherwise, and the views may not have caught up yet.
  impl->health = std::make_unique<HealthMonitor>(
      impl->server->GetHealthCheckService(), impl->events.get(), impl->views.get(), start_head,
      impl->erasures.get(), impl->deadlines.get());
  // Each address gets its port: with port 0 there is one address (see ListenAddresses).
  absl::StatusOr<std::unique_ptr<ConnectionLimiter>> connections =
      ConnectionLimiter::Start(listen_addresses,
                               ConnectionLimitOptions{options.max_connections,
                                                      options.max_connections_per_address},
                               std::move(acceptor), *impl->registry);
  if (!connections.ok()) {
    impl->health.reset();
    impl->server->Shutdown();
    return connections.status();
  }
  impl->connections = *std::move(connections);
  impl->log_verifier->Start();
  impl->address = absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":",
                               impl->connections->ports()[0]);
  return std::unique_ptr<HotspotServer>(new HotspotServer(std::move(impl)));
}

std::vector<HotspotServer::Reloaded> HotspotServer::Reload() {
  security::Authenticator& authenticator = *impl_->authenticator;
  std::vector<Reloaded> out;
  auto reload = [&out](const char* flag, const std::string& path, const auto& read_again) {
    if (!path.empty()) out.push_back(Reloaded{flag, path, read_again(path)});
  };
  reload("tokens_file", impl_->tokens_path,
         [&](const std::string& path) { return authenticator.ReloadTokens(path); });
  reload("tls_client_map_file", impl_->tls_client_map_path,
         [&](const std::string& path) { return authenticator.ReloadCertificates(path); });
  reload("oidc_claims_map_file", impl_->oidc_claims_map_path,
         [&](const std::string& path) { return authenticator.ReloadClaims(path); });
  return out;
}

void HotspotServer::Shutdown(absl::Duration grace) {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->metrics.reset();  // no scrape reads the parts from here on
  impl_->health.reset();
  // Subscriptions never end by themselves, and the other streams may wait on a client that does
  // not read: they end now (UNAVAILABLE), not at the grace's end.
  if (impl_->subscription_service) impl_->subscription_service->Close();
  if (impl_->audit_service) impl_->audit_service->Close();
  if (impl_->admin) impl_->admin->Close();
  // New connections are refused from here on (gRPC would close them).
  if (impl_->connections) impl_->connections->StopAccepting();
  if (impl_->server) {
    // gRPC's graceful shutdown drops a connection only once its client has acknowledged a ping
    // sent after the GOAWAY (or after 20 s): a client that is not reading its connection just
    // then (one idle between calls; a blocking C++ client polls an idle channel every 5 s)
    // would hold the exit for up to the grace, with no call left to finish. So: refuse new
    // calls (the GOAWAY), let the calls in flight finish, up to the grace, then drop every
    // connection at once.
    const absl::Time deadline = absl::Now() + grace;
    // gRPC's health Watch, reflection streams and the queries that wait for the views have no
    // work to finish: they end now too (call_guard.h). Before the GOAWAY: a connection that has
    // sent it closes as soon as it has no call left, before the statuses of calls ended by
    // cancellation are written out.
    const int cancelled = impl_->guard->Close();
    grpc_completion_queue* shut = grpc_completion_queue_create_for_next(nullptr);
    grpc_server_shutdown_and_notify(impl_->server->c_server(), shut, /*tag=*/nullptr);
    impl_->calls.WaitForNone(deadline);
    // A status sent by cancelling a call (the guard's) is done before it is written out: the
    // connections are given a moment to carry it (they close by themselves once their clients
    // have it), then dropped.
    const absl::Time drop =
        cancelled == 0 ? absl::Now() : std::min(deadline, absl::Now() + kCancelledStatusFlush);
    impl_->server->Shutdown(absl::ToChronoTime(drop));  // then ends those left (at the grace)
    impl_->server->Wait();
    grpc_completion_queue_shutdown(shut);
    while (grpc_completion_queue_next(shut, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(shut);
  }
  impl_->connections.reset();
  // The stores close after the last call: the event store completes every accepted append.
  impl_->deadlines.reset();
  impl_->erasures.reset();
  impl_->log_verifier.reset();  // stops a run between chunks
  impl_->query_service.reset();  // runs the queries already queued
  impl_->audit_service.reset();
  impl_->subscription_service.reset();
  impl_->audit_handler.reset();
  // The commands' completions may record a refusal: the handler finishes before the access log,
  // and before the query handler that compiles a report's figures for it.
  impl_->handler.reset();
  impl_->report_figures.reset();
  impl_->query_handler.reset();
  impl_->access_log.reset();
  impl_->views.reset();
  impl_->view_db.reset();  // flushed and closed before the process says it stopped
  impl_->events.reset();
  impl_->keys.reset();
}

}  // namespace hotspot::server
