// HotspotServer: hotspotd's gRPC server and what it serves from, wired together.
//
// It makes the data directory owner-only (directories 0700, files 0600; hotspotd's main sets the
// umask that keeps it so), opens the key store (<data_dir>/keys, master key
// <data_dir>/master.key unless given: keep it elsewhere in production) and
// the event store (<data_dir>/events), whose every fsync first syncs the key store, so that no
// event outlives the data key that sealed it. It serves, on one listening address:
//   hotspot.v1.CommandService, QueryService, AuditService, SubscriptionService, AdminService,
//   the standard gRPC health service (a status per service: health_monitor.h), and server
//   reflection v1 and v1alpha (observability/reflection.h).
// Every call is counted and timed, and logged with the caller's W3C trace id
// (observability/call_observer.h); with `metrics_listen`, the counts and the parts' own figures
// (server_metrics.h) are served to Prometheus at http://<metrics_listen>/metrics.
// Reads of youths' data are recorded in the access log (<data_dir>/access) before they are
// answered.
// Callers authenticate with "authorization: Bearer <token>", looked up in the tokens file or, for
// a JWT access token of the municipality's OIDC provider, verified against the provider's keys
// (security/jwt_verifier.h) and mapped by the claims map; or with a client certificate (mTLS)
// looked up in the certificate map (security/identity.h says how they combine). Reload() reads
// the tokens file and the two maps again. Plaintext is allowed only on addresses that resolve to loopback; TLS and
// mTLS files are watched and reloaded (transport.h).
//
// Thread-safety: Shutdown() may be called from any thread, once; Reload() from any thread before
// it.
#ifndef HOTSPOT_SERVICES_SERVER_SERVER_H_
#define HOTSPOT_SERVICES_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/security/jwt_verifier.h"
#include "services/server/transport.h"
#include "store/memory_budget.h"

namespace hotspot::server {

// JWT access tokens of the municipality's OIDC provider (security/jwt_verifier.h): off while
// `verifier.issuer` is empty.
struct OidcOptions {
  // Issuer, audience, the person and groups claims, leeway and the key set's intervals (see
  // there). Default: issuer "" (off).
  security::JwtVerifierOptions verifier;
  // The provider's JWKS. Default: "" (the jwks_uri of <issuer>/.well-known/openid-configuration).
  std::string jwks_uri;
  // PEM CA certificate(s) to verify the provider's HTTPS certificate with. Default: "" (the
  // system's CAs).
  std::string ca_file;
  // The most one HTTPS request to the provider may take (the start waits for the first fetch,
  // discovery included; no call waits for a later one). Default: 5 s.
  absl::Duration fetch_timeout = absl::Seconds(5);
  // The claims map (security/identity.h): which principal a verified token is. Required with an
  // issuer. Default: "".
  std::string claims_map_file;
};

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see HotspotServer::address()). Without TLS
  // every address the host resolves to must be loopback. Default: 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // The server's certificate and key, and for mTLS the client CA (see transport.h).
  // Default: none (plaintext, loopback only).
  TlsOptions tls;
  // With mTLS: the map of client certificates to principals (security/identity.h). Without it no
  // certificate names a principal, and every call needs a bearer token. Default: "".
  std::string tls_client_map_file;
  // Where the event store and the key store live; created if missing, and made owner-only
  // (what is in it too) at every start. Default: "data".
  std::string data_dir = "data";
  // The master key file; created (0600) if missing. Default: "" meaning <data_dir>/master.key.
  std::string master_key_file;
  // fsync appends before acknowledging them; off only for tests. Default: true.
  bool sync = true;
  // One bound on what RocksDB holds in memory over the four databases (events, keys, access
  // log, views): a block cache they share, and all their memtables (store/memory_budget.h).
  // Default: 64 MiB and 128 MiB.
  store::MemoryBudget::Options memory;
  // The tokens file (see services/security/identity.h). Required unless `demo` is set, which
  // defaults it to <data_dir>/dev-tokens, generated on first start, or `tls_client_map_file` or
  // `oidc` is (callers may then be their certificates or access tokens only). Default: "".
  std::string tokens_file;
  // OIDC access tokens beside the tokens file. Default: off.
  OidcOptions oidc;
  // Load the demo scenario (Sjælør Boulevard) once, and create dev tokens for its people if the
  // tokens file does not exist. Loading again writes nothing. Default: false.
  bool demo = false;
  // Threads that decide commands. Default: 4.
  int command_workers = 4;
  // The nice value of the views' threads (projections::ProjectorOptions::nice); a refusal is
  // logged (event=views_priority_not_raised) and the server runs on. Default: 0.
  int views_nice = 0;
  // Memory of the streams the command handler keeps parsed between commands
  // (commands::StreamCache). Default: 32 MiB.
  size_t command_stream_cache_bytes = 32 << 20;
  // How often the deadline process looks for overdue commitments, unacknowledged escalations,
  // bodies behind cadence, passed review dates and youths turning 18; zero turns it off.
  // Default: 60 s.
  absl::Duration deadline_interval = absl::Seconds(60);
  // Verify the whole event log (LogVerifier: the hash chain and the indexes) before serving: a
  // break stops the start with DATA_LOSS, naming the position and how to recover. Default: false.
  bool verify_log_at_start = false;
  // What a damaged log does to the start. A log that lost acknowledged events (found at open by
  // the event store's head witness, or by views that applied more of it than it holds), or one
  // whose verification at start finds a break, stops the start with DATA_LOSS by default, naming
  // what is wrong and how to recover. With this, hotspotd starts anyway for reads only: every
  // command is refused with that DATA_LOSS (health: the command service NOT_SERVING), the demo
  // is not loaded, and reads, subscriptions and audits are served up to the intact prefix (the
  // position before a break; the whole remaining log after a lost tail). Default: false.
  bool serve_damaged_log = false;
  // Between full verifications of the log in the background; zero: none. A break found makes
  // hotspotd refuse writes. Default: 24 h.
  absl::Duration verify_log_interval = absl::Hours(24);
  // How often the access log (<data_dir>/access) is fsync'ed. Zero: every record is fsync'ed
  // before its read is answered (concurrent reads share the fsync), so a read that was answered
  // keeps its record through a power loss. Positive: records are written (not fsync'ed) before
  // the answer, which a crash of hotspotd does not lose, and this bounds what a power loss can
  // take. Default: zero.
  absl::Duration access_log_sync_interval = absl::ZeroDuration();
  // Access records older than this many days are deleted (checked at start and hourly); 0
  // keeps them for ever. Default: 1,826 days (five years, as the case records: a data subject
  // can still learn who read the case while it is kept).
  int access_log_retention_days = 1826;
  // Cases ended longer ago than this are listed as due for an erasure review. Default: 1,826
  // days (five years).
  int retention_days = 1826;
  // Record reads in the access log. No flag turns this off: it exists for audit_bench's
  // baseline (GetCase without the access log, in the same run). Default: true.
  bool record_access = true;
  // The longest a unary call may run, whatever deadline its client gave: past it the call ends
  // DEADLINE_EXCEEDED (rpc/call_guard.h). Streams have `max_stream_duration`. Default: 30 s.
  absl::Duration max_call_deadline = absl::Seconds(30);
  // The longest a stream (Subscribe, GetCaseHistory, ExportAccessLog, Backup, gRPC's health
  // Watch, reflection) may run: past it the stream ends UNAVAILABLE ("max_stream_duration_s:
  // ..."), and its client calls again, resuming from the last position it received
  // (rpc/call_guard.h). Zero: no maximum. Default: 1 hour.
  absl::Duration max_stream_duration = absl::Hours(1);
  // Streams of gRPC's health Watch and reflection open at once, server-wide (they need no token,
  // so no principal's limit bounds them): beyond it, RESOURCE_EXHAUSTED naming it. Default: 100.
  int max_health_reflection_streams = 100;
  // Streams (calls) at once on one connection: HTTP/2's MAX_CONCURRENT_STREAMS; a client's
  // further calls on that connection wait until one ends. Default: 100.
  int max_streams_per_connection = 100;
  // The largest request message taken; a larger one is RESOURCE_EXHAUSTED before it is read
  // whole (the largest real request is an event's 1 MiB payload). Default: 2 MiB.
  int max_request_bytes = 2 << 20;
  // The memory gRPC may hold for all connections and calls (its ResourceQuota): past it, it reads
  // no more from the connections until memory is freed, so that half-sent requests on many
  // connections cannot exhaust the machine. Default: 2 GiB.
  size_t max_transport_memory_bytes = size_t{2} << 30;
  // Fault injection for tests: while a file of this name exists, the views apply nothing
  // (projections::ProjectorOptions::hold). Default: "" (never).
  std::string hold_views_while_file_exists;
  // Fault injection for tests: while a file of this name exists, the erasure executor fails to
  // write its checkpoint (ErasureExecutorOptions::before_checkpoint). Default: "" (never).
  std::string fail_erasure_checkpoints_while_file_exists;
  // For tests (the environment's HOTSPOT_TEST_CLOCK_OFFSET_S; never a flag, and refused with
  // TLS): the commands' and the deadline process's clock runs this far off the wall clock, so
  // that a test acts days apart over gRPC. Default: 0.
  absl::Duration test_clock_offset = absl::ZeroDuration();
  // Subscriptions (SubscriptionService) at once. Default: 64.
  int max_subscribers = 64;
  // Calls in flight per principal (unary and streaming, subscriptions included), and
  // subscriptions per principal: beyond either, RESOURCE_EXHAUSTED naming it
  // (rpc/principal_limits.h). Default: 32 and 8.
  int max_calls_per_principal = 32;
  int max_subscriptions_per_principal = 8;
  // Connections open at once, over all listening addresses: beyond it a connection is closed
  // at once (server/connection_limit.h). Default: 2000.
  int max_connections = 2000;
  // Connections open at once from one source address (an IPv6 /64), loopback included: beyond
  // it a connection from that address is closed at once, so that one host cannot take every
  // place of `max_connections` (server/connection_limit.h). Default: 64.
  int max_connections_per_address = 64;
  // A connection with no call in flight for this long is closed (gRPC's
  // GRPC_ARG_MAX_CONNECTION_IDLE_MS: a GOAWAY, then the close); its client connects again at
  // its next call. Open streams (subscriptions) keep theirs. Zero: never. Default: 5 minutes.
  absl::Duration max_connection_idle = absl::Minutes(5);
  // A connection that has not completed its TLS handshake and sent HTTP/2's preface and
  // SETTINGS within this is closed (gRPC's GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS), so that a
  // bare TCP connection cannot hold a place for long. Default: 20 s.
  absl::Duration connection_handshake_timeout = absl::Seconds(20);
  // A subscription sent no event for this long ends UNAVAILABLE (the client resubscribes from
  // its checkpoint); zero: never. Default: 1 hour.
  absl::Duration subscriber_idle_timeout = absl::Hours(1);
  // A server stream (Subscribe, GetCaseHistory, ExportAccessLog, Backup) whose client has not
  // taken a response for this long (it stopped reading) ends RESOURCE_EXHAUSTED, saying the
  // reader stalled (rpc::ReaderStalled), and frees its slots. Default: 2 minutes.
  absl::Duration stream_stall_timeout = absl::Minutes(2);
  // host:port to serve Prometheus metrics on (http://<host:port>/metrics; port 0 picks a free
  // port, see HotspotServer::metrics_port()). They show no personal data, but do show how busy
  // the service is: the host must resolve to loopback only, unless `metrics_allow_remote`.
  // Default: "" (no metrics served).
  std::string metrics_listen;
  // Let `metrics_listen` be an address beyond loopback (a management network that only the
  // scraper reaches: the endpoint is plain HTTP without authentication). Default: false.
  bool metrics_allow_remote = false;
};

// A dev token made at this start, shown once: the file keeps only its hash.
struct DevToken {
  std::string person;
  std::string role;
  std::string token;
};

// The master key file the options name (<data_dir>/master.key by default).
std::string MasterKeyFile(const ServerOptions& options);
// Whether that file lies inside the data directory (symbolic links resolved): then whoever copies
// the data directory, or a disk's backup of it, has the key to the personal data in it. (Backups
// made by AdminService.Backup never contain it.) True as well if a path cannot be resolved.
bool MasterKeyInDataDir(const ServerOptions& options);

class HotspotServer {
 public:
  // Opens the stores and starts serving. INVALID_ARGUMENT naming the field for a malformed or
  // unresolvable listen address (listen, metrics_listen), a plaintext one that is not loopback
  // (for metrics_listen: without metrics_allow_remote), TLS files that are missing, malformed or
  // do not belong together (see ServerCredentialsFor), and OIDC options that are incomplete or
  // given without an issuer, or a claims map that does not parse (NOT_FOUND if it cannot be read).
  // An OIDC provider that cannot be reached is not an error: its keys are fetched again in the
  // background, each outcome logged (event=oidc_keys_fetched / oidc_keys_fetch_failed), and
  // access tokens are answered UNAVAILABLE until they come. UNAVAILABLE if the
  // address cannot be bound or the data directory is held by another process; FAILED_PRECONDITION
  // if what is in the data directory cannot be made owner-only (another user's file); otherwise
  // what opening the stores returns.
  static absl::StatusOr<std::unique_ptr<HotspotServer>> Start(ServerOptions options);
  ~HotspotServer();

  // The address actually listened on, host:port, with the chosen port if the options asked
  // for port 0.
  const std::string& address() const;
  // The port metrics are served on; 0 without `metrics_listen`.
  int metrics_port() const;

  // The dev tokens generated at this start (empty unless the demo made a new tokens file).
  const std::vector<DevToken>& new_dev_tokens() const;
  // With the demo: the commands it sent, and how many of them were loaded before.
  int demo_commands() const;
  int demo_replayed() const;

  // What Reload() did with one file.
  struct Reloaded {
    std::string flag;  // "tokens_file", "tls_client_map_file" or "oidc_claims_map_file"
    std::string path;
    absl::Status status;  // OK: in use from now on; otherwise why the one before stays
  };
  // Reads the tokens file, the certificate map and the claims map again, those that are in use
  // (hotspotd: on SIGHUP). Each file is replaced whole for the calls that start from then on,
  // or, if it cannot be read or parsed, kept as it was. Thread-safe.
  std::vector<Reloaded> Reload();

  // Ends the subscriptions and the other streams (gRPC's health Watch and reflection included)
  // and the queries waiting for the views at once (UNAVAILABLE), stops accepting calls,
  // lets calls in flight finish (cancelling them after `grace`), closes every connection as soon
  // as no call is left (an idle client, one that does not answer gRPC's ping, does not hold it
  // up), then closes the stores: every append that was accepted is completed first.
  void Shutdown(absl::Duration grace);

 private:
  struct Impl;
  explicit HotspotServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_SERVER_H_
