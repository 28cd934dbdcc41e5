// hotspotd: the Hotspot coordination backend's server.
//
//   hotspotd [--listen=127.0.0.1:50051] [--data_dir=data] [--master_key_file=PATH]
//            [--sync=true] [--port_file=PATH]
//            [--tls_cert_file=PEM --tls_key_file=PEM [--tls_client_ca_file=PEM
//             [--tls_client_map_file=FILE]] [--tls_refresh_interval_s=60]]
//            [--metrics_listen=127.0.0.1:9464 [--metrics_allow_remote] [--metrics_port_file=PATH]]
//            [--log_format=text|json] [--max_call_deadline_s=30]
//            [--max_calls_per_principal=32] [--max_subscriptions_per_principal=8]
//            [--subscriber_idle_timeout_s=3600] [--stream_stall_timeout_s=120]
//            [--max_connections=2000] [--max_connections_per_address=64]
//            [--max_connection_idle_s=300] [--connection_handshake_timeout_s=20]
//            [--max_streams_per_connection=100] [--max_request_bytes=2097152]
//            [--max_transport_memory_mb=2048]
//            [--max_stream_duration_s=3600] [--max_health_reflection_streams=100]
//            [--oidc_issuer=URL --oidc_audience=AUD --oidc_claims_map_file=FILE ...]
//            [--verify_log_at_start] [--verify_log_interval_s=86400] [--serve_damaged_log]
//            [--memory_trim_interval_s=30] [--malloc_arena_max=2] [--malloc_mmap_threshold_kb=128]
//            [--storage_cache_mb=64] [--storage_write_buffer_mb=128]
//            [--command_stream_cache_mb=32] [--views_nice=-10]
//
// Without TLS, every address --listen resolves to must be loopback. With --tls_client_ca_file
// every connection must present a client certificate signed by that CA (mTLS); the map file
// names the principal of each certificate (services/security/identity.h). The three PEM files
// are read again every --tls_refresh_interval_s: renamed-in replacements take effect for new
// connections without a restart.
//
// With --oidc_issuer, JWT access tokens of that OIDC provider are accepted beside the tokens
// file's: verified against the provider's keys, mapped to principals by the claims map
// (services/security/jwt_verifier.h, identity.h).
//
// SIGHUP: read the tokens file, --tls_client_map_file and --oidc_claims_map_file again; a file
// that cannot be read or parsed is kept as it was, and the log says why (event=reload_failed).
//
// Everything it writes is owner-only (umask 077). Logs go to stderr (glog), key=value text or
// JSON lines (--log_format), one line per call with the caller's W3C trace id, and a warning if
// the master key file is inside the data directory. --metrics_listen serves Prometheus metrics
// (services/server/server_metrics.h, services/observability/call_observer.h).
//
// SIGTERM or SIGINT: end the open streams at once (UNAVAILABLE: subscriptions, histories,
// exports and backups, each at its next step; gRPC's health Watch and reflection streams, and
// queries waiting for the views, at once), stop accepting calls, finish those in flight (up
// to --shutdown_grace_ms), close the stores, exit 0. Exit 1: could not start; exit 2: bad flags.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"
#include "services/observability/json_log.h"
#include "services/server/memory_trimmer.h"
#include "services/server/restore.h"
#include "services/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port (logged, and written to --port_file). "
          "Without TLS, every address the host resolves to must be loopback");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain (leaf first) to serve TLS with; needs --tls_key_file. Default: "
          "none (plaintext, loopback only)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA certificate(s): every client must present a certificate this CA signed (mTLS). "
          "Default: none (no client certificates asked for)");
ABSL_FLAG(std::string, tls_client_map_file, "",
          "with mTLS: client certificates to principals, '<cn:NAME|dns:NAME|uri:URI|email:ADDR> "
          "<person> <agency> <role> <areas>' per line. Default: none (every call needs a token)");
ABSL_FLAG(int, tls_refresh_interval_s, 60,
          "seconds between reads of the TLS files (certificate, key, client CA): replaced files "
          "are taken up by new connections without a restart. At least 1. Default: 60");
// OIDC access tokens (services/security/jwt_verifier.h).
ABSL_FLAG(std::string, oidc_issuer, "",
          "the OIDC provider whose JWT access tokens are accepted (https; each token's 'iss' must "
          "be exactly this). Default: none (JWTs are refused)");
ABSL_FLAG(std::string, oidc_audience, "",
          "with --oidc_issuer: the audience a token must name in 'aud' (Entra ID: hotspotd's "
          "application id or id URI). Required with --oidc_issuer");
ABSL_FLAG(std::string, oidc_claims_map_file, "",
          "with --oidc_issuer: tokens' claims to principals, '<group:VALUE|sub:SUBJECT> "
          "<person|*> <agency> <role> <areas>' per line. Required with --oidc_issuer");
ABSL_FLAG(std::string, oidc_person_claim, "sub",
          "the claim that names the person (a claims map's '*'), e.g. preferred_username. "
          "Default: sub");
ABSL_FLAG(std::string, oidc_groups_claim, "groups",
          "the claim whose values the claims map's group: lines match, e.g. roles. Default: "
          "groups");
ABSL_FLAG(std::string, oidc_jwks_uri, "",
          "the provider's JWKS (https). Default: the jwks_uri of "
          "<oidc_issuer>/.well-known/openid-configuration");
ABSL_FLAG(std::string, oidc_ca_file, "",
          "PEM CA certificate(s) to verify the provider's HTTPS certificate with. Default: the "
          "system's CAs");
ABSL_FLAG(int, oidc_leeway_s, 60,
          "clock skew allowed on a token's exp and nbf, 0 to 300 seconds. Default: 60");
ABSL_FLAG(int, oidc_jwks_refetch_interval_s, 60,
          "a token with an unknown key id fetches the provider's keys again at most this often "
          "(seconds, at least 1). Default: 60");
ABSL_FLAG(int, oidc_jwks_refresh_interval_s, 3600,
          "the provider's keys are fetched again this often whatever comes (seconds, at least "
          "60). Default: 3600");
ABSL_FLAG(int, oidc_fetch_timeout_ms, 5000,
          "the most one HTTPS request to the provider may take (ms, 100 to 60000). Default: 5000");
ABSL_FLAG(std::string, data_dir, "data", "directory of the event store and the key store");
ABSL_FLAG(std::string, restore_from, "",
          "restore this backup (hotspotctl backup) into --data_dir, which must hold no data, "
          "prove it whole (the log's chain verifies, every sealed value unseals with the master "
          "key) and exit; then start hotspotd as usual. Default: none, serve");
ABSL_FLAG(std::string, master_key_file, "",
          "master key file (64 hex digits, mode 0600); created if missing. Default: "
          "<data_dir>/master.key");
ABSL_FLAG(bool, sync, true, "fsync appends before acknowledging them; false is for tests only");
ABSL_FLAG(std::string, port_file, "", "if set, write the port listened on to this file");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on, at http://<host:port>/metrics (plain HTTP; "
          "no personal data). Port 0 picks a free port (logged, and written to "
          "--metrics_port_file). Loopback only unless --metrics_allow_remote. Default: none "
          "(no metrics served)");
ABSL_FLAG(bool, metrics_allow_remote, false,
          "let --metrics_listen be beyond loopback, on a management network only the scraper "
          "reaches (the endpoint has no TLS and no authentication). Default: false");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, write the port metrics are served on to this file. Default: none");
ABSL_FLAG(std::string, log_format, "text",
          "text: glog's lines with key=value fields; json: one JSON object per line (the fields "
          "as JSON fields), gRPC's own messages included. Default: text");
ABSL_FLAG(int, shutdown_grace_ms, 10000, "on SIGTERM, how long calls in flight may take");
ABSL_FLAG(std::string, tokens_file, "",
          "file of hashed bearer tokens: '<sha256 hex> <person> <agency> <role> <areas>' per "
          "line; read again on SIGHUP. Required unless --demo, which defaults it to "
          "<data_dir>/dev-tokens, --tls_client_map_file or --oidc_issuer");
ABSL_FLAG(bool, demo, false,
          "load the demo area (Sjaelor Boulevard) once, and make dev tokens for its people on "
          "first start (printed once)");
ABSL_FLAG(int, command_workers, 4, "threads that decide commands");
ABSL_FLAG(int, access_log_sync_ms, 0,
          "0: every read's access record is fsynced before the read is answered (it survives a "
          "power loss); N > 0: records are written before the answer (a crash of hotspotd loses "
          "none) and fsynced every N ms, which bounds what a power loss can take. Default: 0");
ABSL_FLAG(int, access_log_retention_days, 1826,
          "access records older than this many days are deleted (at start and hourly); 0 keeps "
          "them for ever");
ABSL_FLAG(int, retention_days, 1826,
          "cases ended longer ago than this are listed as due for an erasure review");
ABSL_FLAG(int, max_subscribers, 64, "subscriptions (SubscriptionService) at once");
ABSL_FLAG(int, max_calls_per_principal, 32,
          "calls in flight per principal (person, agency and role), unary and streaming, "
          "subscriptions included; more get RESOURCE_EXHAUSTED. 1 to 10000. Default: 32");
ABSL_FLAG(int, max_subscriptions_per_principal, 8,
          "subscriptions per principal, so that one token cannot hold every subscriber slot; "
          "more get RESOURCE_EXHAUSTED (as past --max_subscribers). 1 to 10000. Default: 8");
ABSL_FLAG(int, max_connections, 2000,
          "connections open at once, over all listening addresses; more are closed at once "
          "(counted in hotspot_connections_refused_total). Each holds 2 file descriptors: "
          "RLIMIT_NOFILE is raised to fit, or the limit lowered with a warning. 1 to 100000. "
          "Default: 2000");
ABSL_FLAG(int, max_connections_per_address, 64,
          "connections open at once from one source address (an IPv6 address counts by its "
          "/64), loopback included, so that one host cannot take every place of "
          "--max_connections; more are closed at once (hotspot_connections_refused_per_address_"
          "total, event=connections_refused_per_address). Behind a NAT or a proxy every client "
          "shares one address: raise it there. 1 to 100000. Default: 64");
ABSL_FLAG(int, max_connection_idle_s, 300,
          "a connection with no call in flight for this many seconds is closed (a GOAWAY); its "
          "client connects again at its next call. Open streams keep theirs. 0: never; at most "
          "86400. Default: 300");
ABSL_FLAG(int, connection_handshake_timeout_s, 20,
          "a connection that has not finished its TLS handshake and sent HTTP/2's preface within "
          "this many seconds is closed. 1 to 3600. Default: 20");
ABSL_FLAG(int, subscriber_idle_timeout_s, 3600,
          "a subscription sent no event for this many seconds (heartbeats do not count) ends "
          "UNAVAILABLE; the client resubscribes from its checkpoint. 0: never; at most 604800. "
          "Default: 3600");
ABSL_FLAG(int, stream_stall_timeout_s, 120,
          "a server stream (Subscribe, GetCaseHistory, ExportAccessLog, Backup) whose client "
          "has not taken a response for this many seconds (it stopped reading) ends "
          "RESOURCE_EXHAUSTED (\"stream_stall_timeout_s: ... the reader stalled ...\"), freeing "
          "its call and subscriber slots. 1 to 86400. Default: 120");
ABSL_FLAG(int, max_call_deadline_s, 30,
          "the longest a unary call may run, whatever deadline its client gave (or none): past "
          "it the call ends DEADLINE_EXCEEDED. Streams have --max_stream_duration_s. 1 to 3600. "
          "Default: 30");
ABSL_FLAG(int, max_stream_duration_s, 3600,
          "the longest a stream (Subscribe, GetCaseHistory, ExportAccessLog, Backup, health "
          "Watch, reflection) may run: past it the stream ends UNAVAILABLE "
          "(\"max_stream_duration_s: ...\"), and its client calls again, resuming from the last "
          "position it received. 0: no maximum; at most 604800. Default: 3600");
ABSL_FLAG(int, max_health_reflection_streams, 100,
          "streams of gRPC's health Watch and of reflection open at once, server-wide (they "
          "need no token, so no principal's limit bounds them); more get RESOURCE_EXHAUSTED. "
          "1 to 100000. Default: 100");
ABSL_FLAG(int, max_streams_per_connection, 100,
          "calls at once on one connection (HTTP/2's MAX_CONCURRENT_STREAMS); a client's further "
          "calls on it wait until one ends. 1 to 10000. Default: 100");
ABSL_FLAG(bool, verify_log_at_start, false,
          "verify the whole event log (hash chain, stream and event-id indexes) before serving; a "
          "break stops the start, naming the position and how to recover. Default: false");
ABSL_FLAG(bool, serve_damaged_log, false,
          "start even if the event log is found damaged (acknowledged events lost, or a break "
          "found by --verify_log_at_start): refuse every command and serve reads up to the intact "
          "prefix, while a restore is prepared. Without it such a start stops, saying what is "
          "wrong and how to recover. Default: false");
ABSL_FLAG(int, memory_trim_interval_s, 30,
          "seconds between handing the memory the allocator keeps after it was freed back to "
          "the system (glibc's malloc_trim), so that the resident size follows what is in use "
          "(a start on a large log needs much more for a while). 0 turns it off. Default: 30");
ABSL_FLAG(int, malloc_arena_max, 2,
          "most arenas of glibc's allocator (0: glibc's default, 8 per core): fewer arenas reuse "
          "the same heaps after each peak instead of each keeping its own. 0 to 64. Default: 2");
ABSL_FLAG(int, malloc_mmap_threshold_kb, 128,
          "KiB from which glibc maps a block on its own and unmaps it when freed (0: glibc's "
          "default, which rises to the largest block freed and so keeps large transient buffers "
          "in the heaps). 0 to 32768. Default: 128");
ABSL_FLAG(int, storage_cache_mb, 64,
          "MiB of the block cache the event store, key store, access log and views share (their "
          "tables' data, index and filter blocks); what RocksDB reads beyond it is read again "
          "from the disk (the page cache). 8 to 65536. Default: 64");
ABSL_FLAG(int, storage_write_buffer_mb, 128,
          "MiB of memtables over the four databases together; past it the database being written "
          "flushes its largest. 16 to 65536. Default: 128");
ABSL_FLAG(int, command_stream_cache_mb, 32,
          "MiB of the streams kept parsed between commands (an area's, an agency's, a youth's), "
          "so that a command reads and parses only what was appended since; past it, streams "
          "are evicted and read again from the log. 1 to 65536. Default: 32");
ABSL_FLAG(int, views_nice, -10,
          "nice value of the two threads that keep the views up to date (views-read, "
          "views-apply): above the command workers' priority, so that the views keep up with "
          "the log while commands take the CPU (projection lag). Needs RLIMIT_NICE (systemd "
          "LimitNICE=-10, as in deploy/hotspotd.service) or CAP_SYS_NICE; without them a warning "
          "(event=views_priority_not_raised) and the process's priority. -20 to 19. Default: -10");
ABSL_FLAG(int, verify_log_interval_s, 86400,
          "seconds between full verifications of the event log in the background (progress and "
          "result in GetProjectionStatus and the metrics); a break makes hotspotd refuse writes. "
          "0 turns them off. Default: 86400 (a day)");
ABSL_FLAG(int, max_request_bytes, 2 << 20,
          "the largest request message taken; a larger one is RESOURCE_EXHAUSTED before it is "
          "read whole. 4096 to 67108864. Default: 2097152 (2 MiB; an event's payload is at most "
          "1 MiB)");
ABSL_FLAG(int, max_transport_memory_mb, 2048,
          "memory gRPC may hold for all connections and calls; past it, it reads no more from "
          "them until memory is freed (half-sent requests cannot exhaust the machine). 64 to "
          "1048576. Default: 2048");
ABSL_FLAG(int, deadline_interval_s, 60,
          "seconds between passes of the deadline process (overdue commitments, unacknowledged "
          "escalations, bodies behind cadence, review dates, 18th birthdays); 0 turns it off");

namespace {

// Writes `port` to `path`, unless it is "": readers never see a partial file.
void WritePortFile(const std::string& path, int port) {
  if (path.empty() || port == 0) return;
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

// An int flag's value and the range it must lie in.
struct FlagRange {
  const char* flag;
  int value, min, max;
};

// True if every flag is in its range; otherwise false, having logged the first that is not.
bool InRange(std::initializer_list<FlagRange> ranges) {
  for (const FlagRange& range : ranges) {
    if (range.value < range.min || range.value > range.max) {
      LOG(ERROR) << "event=bad_flag msg=\"" << range.flag << ": " << range.min << " to "
                 << range.max << "\"";
      return false;
    }
  }
  return true;
}

// The --oidc_* flags, checked. False (having logged which flag is wrong) for a bad one.
bool OidcFlags(hotspot::server::OidcOptions* oidc) {
  oidc->verifier.issuer = absl::GetFlag(FLAGS_oidc_issuer);
  oidc->verifier.audience = absl::GetFlag(FLAGS_oidc_audience);
  oidc->verifier.person_claim = absl::GetFlag(FLAGS_oidc_person_claim);
  oidc->verifier.groups_claim = absl::GetFlag(FLAGS_oidc_groups_claim);
  oidc->claims_map_file = absl::GetFlag(FLAGS_oidc_claims_map_file);
  oidc->jwks_uri = absl::GetFlag(FLAGS_oidc_jwks_uri);
  oidc->ca_file = absl::GetFlag(FLAGS_oidc_ca_file);
  if (!InRange({
          {"oidc_leeway_s", absl::GetFlag(FLAGS_oidc_leeway_s), 0, 300},
      {"oidc_jwks_refetch_interval_s", absl::GetFlag(FLAGS_oidc_jwks_refetch_interval_s), 1,
       86400},
      {"oidc_jwks_refresh_interval_s", absl::GetFlag(FLAGS_oidc_jwks_refresh_interval_s), 60,
       7 * 86400},
      {"oidc_fetch_timeout_ms", absl::GetFlag(FLAGS_oidc_fetch_timeout_ms), 100, 60000},
      })) {
    return false;
  }
  oidc->verifier.leeway = absl::Seconds(absl::GetFlag(FLAGS_oidc_leeway_s));
  oidc->verifier.refetch_interval =
      absl::Seconds(absl::GetFlag(FLAGS_oidc_jwks_refetch_interval_s));
  oidc->verifier.refresh_interval =
      absl::Seconds(absl::GetFlag(FLAGS_oidc_jwks_refresh_interval_s));
  oidc->fetch_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_oidc_fetch_timeout_ms));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Whatever hotspotd writes is its own only (directories 0700, files 0600), whatever umask it
  // was started with: the data directory, the backups, the port file.
  umask(S_IRWXG | S_IRWXO);
  absl::SetProgramUsageMessage("hotspotd: the Hotspot coordination backend's gRPC server");
  absl::ParseCommandLine(argc, argv);
  // Debian's abseil checks every Mutex acquisition for lock-order cycles (a debug aid it leaves
  // on); the tests keep it, the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (const std::string format = absl::GetFlag(FLAGS_log_format); format == "json") {
    hotspot::observability::LogJsonLinesToStderr();
  } else if (format != "text") {
    LOG(ERROR) << "event=bad_flag msg=\"log_format: text or json\"";
    return 2;
  }
  // Before any thread is started: an arena is made for a thread when it first allocates.
  const int arena_max = absl::GetFlag(FLAGS_malloc_arena_max);
  const int mmap_threshold_kb = absl::GetFlag(FLAGS_malloc_mmap_threshold_kb);
  if (!InRange({{"malloc_arena_max", arena_max, 0, 64},
                {"malloc_mmap_threshold_kb", mmap_threshold_kb, 0, 32768}})) {
    return 2;
  }
  if (!hotspot::server::MemoryTrimmer::ConfigureAllocator(arena_max,
                                                         size_t(mmap_threshold_kb) << 10)) {
    LOG(WARNING) << "event=allocator_not_configured msg=\"glibc refused malloc_arena_max or "
                    "malloc_mmap_threshold_kb, or this is not glibc\"";
  }

  // Signals are taken by sigwait below, in this thread; every thread started later inherits
  // the mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // reload the tokens file and the maps
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  hotspot::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.tls_client_map_file = absl::GetFlag(FLAGS_tls_client_map_file);
  const int tls_refresh_s = absl::GetFlag(FLAGS_tls_refresh_interval_s);
  if (tls_refresh_s < 1 || tls_refresh_s > 86400) {
    LOG(ERROR) << "event=bad_flag msg=\"tls_refresh_interval_s: 1 to 86400\"";
    return 2;
  }
  options.tls.refresh_interval = absl::Seconds(tls_refresh_s);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  options.sync = absl::GetFlag(FLAGS_sync);
  const int cache_mb = absl::GetFlag(FLAGS_storage_cache_mb);
  const int write_buffer_mb = absl::GetFlag(FLAGS_storage_write_buffer_mb);
  const int stream_cache_mb = absl::GetFlag(FLAGS_command_stream_cache_mb);
  if (!InRange({{"storage_cache_mb", cache_mb, 8, 65536},
                {"storage_write_buffer_mb", write_buffer_mb, 16, 65536},
                {"command_stream_cache_mb", stream_cache_mb, 1, 65536},
                {"views_nice", absl::GetFlag(FLAGS_views_nice), -20, 19}})) {
    return 2;
  }
  options.views_nice = absl::GetFlag(FLAGS_views_nice);
  options.command_stream_cache_bytes = size_t(stream_cache_mb) << 20;
  options.memory.cache_bytes = size_t(cache_mb) << 20;
  options.memory.write_buffer_bytes = size_t(write_buffer_mb) << 20;
  options.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  if (!OidcFlags(&options.oidc)) return 2;
  options.demo = absl::GetFlag(FLAGS_demo);
  options.command_workers = absl::GetFlag(FLAGS_command_workers);
  options.deadline_interval = absl::Seconds(absl::GetFlag(FLAGS_deadline_interval_s));
  options.verify_log_at_start = absl::GetFlag(FLAGS_verify_log_at_start);
  options.serve_damaged_log = absl::GetFlag(FLAGS_serve_damaged_log);
  options.verify_log_interval = absl::Seconds(absl::GetFlag(FLAGS_verify_log_interval_s));
  options.access_log_sync_interval = absl::Milliseconds(absl::GetFlag(FLAGS_access_log_sync_ms));
  options.retention_days = absl::GetFlag(FLAGS_retention_days);
  options.access_log_retention_days = absl::GetFlag(FLAGS_access_log_retention_days);
  if (options.access_log_retention_days < 0) {
    LOG(ERROR) << "event=bad_flag msg=\"access_log_retention_days: 0 or more\"";
    return 2;
  }
  options.max_subscribers = absl::GetFlag(FLAGS_max_subscribers);
  // The limits against overload (services/rpc/call_guard.h, principal_limits.h,
  // services/server/connection_limit.h).
  if (!InRange({
          {"max_call_deadline_s", absl::GetFlag(FLAGS_max_call_deadline_s), 1, 3600},
          {"subscriber_idle_timeout_s", absl::GetFlag(FLAGS_subscriber_idle_timeout_s), 0,
           86400 * 7},
          {"max_calls_per_principal", absl::GetFlag(FLAGS_max_calls_per_principal), 1, 10000},
          {"max_subscriptions_per_principal", absl::GetFlag(FLAGS_max_subscriptions_per_principal),
           1, 10000},
          {"max_connections", absl::GetFlag(FLAGS_max_connections), 1, 100000},
          {"max_connections_per_address", absl::GetFlag(FLAGS_max_connections_per_address), 1,
           100000},
          {"max_connection_idle_s", absl::GetFlag(FLAGS_max_connection_idle_s), 0, 86400},
          {"connection_handshake_timeout_s", absl::GetFlag(FLAGS_connection_handshake_timeout_s),
           1, 3600},
          {"stream_stall_timeout_s", absl::GetFlag(FLAGS_stream_stall_timeout_s), 1, 86400},
          {"max_stream_duration_s", absl::GetFlag(FLAGS_max_stream_duration_s), 0, 86400 * 7},
          {"max_health_reflection_streams", absl::GetFlag(FLAGS_max_health_reflection_streams),
           1, 100000},
          {"max_streams_per_connection", absl::GetFlag(FLAGS_max_streams_per_connection), 1,
           10000},
          {"max_request_bytes", absl::GetFlag(FLAGS_max_request_bytes), 4096, 64 << 20},
          {"max_transport_memory_mb", absl::GetFlag(FLAGS_max_transport_memory_mb), 64, 1 << 20},
      })) {
    return 2;
  }
  options.max_call_deadline = absl::Seconds(absl::GetFlag(FLAGS_max_call_deadline_s));
  // Fault injection for tests only, like tests/e2e/fail_sync_preload.c's triggers: not a flag.
  if (const char* hold = std::getenv("HOTSPOT_HOLD_VIEWS_WHEN"); hold != nullptr) {
    options.hold_views_while_file_exists = hold;
  }
  if (const char* fail = std::getenv("HOTSPOT_FAIL_ERASURE_CHECKPOINTS_WHEN"); fail != nullptr) {
    options.fail_erasure_checkpoints_while_file_exists = fail;
  }
  if (const char* offset = std::getenv("HOTSPOT_TEST_CLOCK_OFFSET_S"); offset != nullptr) {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(offset, &seconds) || !options.tls.cert_file.empty()) {
      LOG(ERROR) << "event=bad_environment msg=\"HOTSPOT_TEST_CLOCK_OFFSET_S: whole seconds, for "
                    "tests, never with TLS\"";
      return 2;
    }
    LOG(WARNING) << "event=test_clock msg=\"commands are dated " << seconds
                 << " s off the wall clock (HOTSPOT_TEST_CLOCK_OFFSET_S): for tests only\"";
    options.test_clock_offset = absl::Seconds(seconds);
  }
  options.subscriber_idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_subscriber_idle_timeout_s));
  options.stream_stall_timeout = absl::Seconds(absl::GetFlag(FLAGS_stream_stall_timeout_s));
  options.max_stream_duration = absl::Seconds(absl::GetFlag(FLAGS_max_stream_duration_s));
  options.max_health_reflection_streams = absl::GetFlag(FLAGS_max_health_reflection_streams);
  options.max_streams_per_connection = absl::GetFlag(FLAGS_max_streams_per_connection);
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  options.max_transport_memory_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_transport_memory_mb)) << 20;
  options.max_calls_per_principal = absl::GetFlag(FLAGS_max_calls_per_principal);
  options.max_subscriptions_per_principal = absl::GetFlag(FLAGS_max_subscriptions_per_principal);
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.max_connections_per_address = absl::GetFlag(FLAGS_max_connections_per_address);
  if (options.max_connections_per_address >= options.max_connections) {
    // One host may then take every place, the lock-out the per-address limit exists against.
    LOG(WARNING) << "event=max_connections_per_address_ineffective max_connections="
                 << options.max_connections
                 << " max_connections_per_address=" << options.max_connections_per_address
                 << " msg=\"one address may hold every connection: keep "
                    "--max_connections_per_address well below --max_connections\"";
  }
  options.max_connection_idle = absl::Seconds(absl::GetFlag(FLAGS_max_connection_idle_s));
  options.connection_handshake_timeout =
      absl::Seconds(absl::GetFlag(FLAGS_connection_handshake_timeout_s));
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.metrics_allow_remote = absl::GetFlag(FLAGS_metrics_allow_remote);
  if (absl::GetFlag(FLAGS_deadline_interval_s) < 0) {
    LOG(ERROR) << "event=bad_flag msg=\"deadline_interval_s: 0 or more\"";
    return 2;
  }
  if (absl::GetFlag(FLAGS_verify_log_interval_s) < 0) {
    LOG(ERROR) << "event=bad_flag msg=\"verify_log_interval_s: 0 or more\"";
    return 2;
  }
  if (absl::GetFlag(FLAGS_access_log_sync_ms) < 0) {
    LOG(ERROR) << "event=bad_flag msg=\"access_log_sync_ms: 0 or more\"";
    return 2;
  }
  if (options.retention_days < 1) {
    LOG(ERROR) << "event=bad_flag msg=\"retention_days: 1 or more\"";
    return 2;
  }
  if (options.max_subscribers < 1 || options.max_subscribers > 10000) {
    LOG(ERROR) << "event=bad_flag msg=\"max_subscribers: 1 to 10000\"";
    return 2;
  }
  if (options.command_workers < 1 || options.command_workers > 256) {
    LOG(ERROR) << "event=bad_flag msg=\"command_workers: 1 to 256\"";
    return 2;
  }
  if (!options.sync) LOG(WARNING) << "event=sync_off msg=\"appends are not fsynced: tests only\"";
  if (hotspot::server::MasterKeyInDataDir(options)) {
    LOG(WARNING) << "event=master_key_in_data_dir master_key_file="
                 << hotspot::server::MasterKeyFile(options)
                 << " msg=\"the master key is inside the data directory: a copy of the directory "
                    "carries the key with the data it protects. In production keep it elsewhere "
                    "(--master_key_file); see the README\"";
  }

  if (const std::string backup = absl::GetFlag(FLAGS_restore_from); !backup.empty()) {
    const absl::StatusOr<hotspot::server::RestoreReport> restored =
        hotspot::server::RestoreBackup(backup, options.data_dir,
                                       hotspot::server::MasterKeyFile(options));
    if (!restored.ok()) {
      LOG(ERROR) << "event=restore_failed status=\"" << restored.status() << "\"";
      return restored.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    std::cout << "restored " << backup << " into " << options.data_dir << ": " << restored->events
              << " events, their hash chain verified; " << restored->sealed_values
              << " sealed values unsealed (" << restored->erased_values
              << " erased before the backup). Start hotspotd on " << options.data_dir
              << ": its views rebuild from the log. Redo the erasures executed after the backup "
                 "was taken (the journal's event=erasure_executed lines).\n";
    return 0;
  }

  absl::StatusOr<std::unique_ptr<hotspot::server::HotspotServer>> server =
      hotspot::server::HotspotServer::Start(options);
  if (!server.ok()) {
    LOG(ERROR) << "event=start_failed status=\"" << server.status() << "\"";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (options.demo) {
    LOG(INFO) << "event=demo_loaded area=area-sjaelor-boulevard commands="
              << (*server)->demo_commands() << " already_loaded=" << (*server)->demo_replayed();
  }
  if (!(*server)->new_dev_tokens().empty()) {
    // Shown once: the tokens file keeps only their hashes.
    std::cout << "Dev tokens for the demo (shown once; delete " << options.data_dir
              << "/dev-tokens to make new ones):\n";
    for (const auto& t : (*server)->new_dev_tokens()) {
      std::cout << "  " << t.person << " (" << t.role << "): " << t.token << "\n";
    }
    std::cout << std::flush;
  }
  LOG(INFO) << "event=listening address=" << (*server)->address() << " transport="
            << (!options.tls.enabled()               ? "plaintext"
                : options.tls.client_ca_file.empty() ? "tls"
                                                     : "mtls")
            << " data_dir=" << options.data_dir;
  if ((*server)->metrics_port() != 0) {
    LOG(INFO) << "event=metrics_listening address="
              << options.metrics_listen.substr(0, options.metrics_listen.rfind(':')) << ":"
              << (*server)->metrics_port() << " path=/metrics";
  }
  // The metrics' port first: a reader of --port_file may take it for "started".
  WritePortFile(absl::GetFlag(FLAGS_metrics_port_file), (*server)->metrics_port());
  WritePortFile(absl::GetFlag(FLAGS_port_file),
                std::stoi((*server)->address().substr((*server)->address().rfind(':') + 1)));

  const int trim_every = absl::GetFlag(FLAGS_memory_trim_interval_s);
  hotspot::server::MemoryTrimmer trimmer(absl::Seconds(std::max(trim_every, 0)));

  int signal = 0;
  while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
    for (const hotspot::server::HotspotServer::Reloaded& file : (*server)->Reload()) {
      if (file.status.ok()) {
        LOG(INFO) << "event=reloaded file=" << file.flag << " path=" << file.path;
      } else {
        LOG(WARNING) << "event=reload_failed file=" << file.flag << " path=" << file.path
                     << " status=\"" << file.status << "\" msg=\"the file loaded before stays "
                     << "in use\"";
      }
    }
  }
  LOG(INFO) << "event=shutting_down signal=" << signal;
  (*server)->Shutdown(absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  LOG(INFO) << "event=stopped";
  return 0;
}
