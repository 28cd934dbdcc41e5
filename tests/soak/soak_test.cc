// soak_test: issue 15 §6, a soak of a real hotspotd. For `--duration` it runs, all at once:
//   - client threads (`--clients`), each a loop of a youth's workflow over CommandService:
//     ReferYouth (the school) → ScreenReferral → ScheduleMeeting → RecordAttendance →
//     AddAgendaItem → RecordDecision with a commitment (the chief) → ReportProgress (the school),
//     then queries (ListCases, GetCase, ListCommitments, GetAreaDashboard as the chief,
//     GetCaseHistory as the auditor). Every command has its own request id and is retried as sent
//     (the same id) until acknowledged, so a retry after a kill or a fault is idempotent;
//   - subscribers (`--subscribers`), the data-protection officer (an auditor of every area, who is
//     sent every event), each following the log from position 1 across restarts: a broken stream
//     resumes from the last position seen + 1, and every event must come at the next position;
//   - SIGKILL of hotspotd every `--kill_every` seconds and a restart on the same data directory;
//   - a fault window every `--fault_every` seconds for `--fault_seconds`: fsync and fdatasync fail
//     with EIO (tests/e2e/fail_sync_preload.c, preloaded into hotspotd) on the event store's, the
//     key store's or the access log's files in turn (`--fault_stores`, default events,keys,access);
//   - a sampler, every `--sample_every` seconds: hotspotd's VmRSS and Threads
//     (/proc/<pid>/status), its open file descriptors (/proc/<pid>/fd), and from its metrics
//     RocksDB's block cache and memtables (hotspot_storage_block_cache_bytes,
//     hotspot_storage_memtable_bytes: memory under hotspotd's storage budget) and the event
//     store's buffer of recent events for live subscribers (hotspot_store_live_buffer_bytes)
//     and the command handler's parsed streams (hotspot_command_stream_cache_bytes);
//     together "the storage budget" below: memory bounded by hotspotd's options, which fills up
//     to its bounds as data is written and read.
//
// It asserts:
//   - hotspotd never exits but when killed; each fault window ends with a command acknowledged
//     within 30 s (the stores resume by themselves, no restart); commands fail only with
//     INTERNAL, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED or CANCELLED (a fault or a
//     kill), never with another code, and none is given up on (each retried for at most 120 s);
//     an event-store fault window fails at least one command;
//   - at the end, after a last SIGKILL and restart: VerifyLog answers ok over the whole log;
//     each subscriber has received every position from 1 to the head exactly once, in order;
//     the event at each acknowledged
//     command's position carries that command's request id (nothing acknowledged was lost to a
//     kill); every referral acknowledged during a fault window (and up to 300 others) reads
//     back with its name unsealed (GetCase as the chief);
//   - flatness, after `--warmup` seconds of each process life, with the life's samples cut in
//     thirds: threads ≤ the first third's maximum + 8 and file descriptors ≤ its maximum + 32
//     throughout; the storage budget's memory ≤ 352 MiB (its default bound: 64 MiB of block
//     cache and 128 MiB of memtables, with half the memtables' again for those being flushed,
//     64 MiB of live buffer and 32 MiB of parsed streams);
//     the RSS outside it (RSS minus that memory, which fills up to its bound as data is read and
//     written) in the last third ≤ max(1.25 × the first third's maximum, that maximum + 16 MiB),
//     for a life that ran `--rss_judge_min_s` (120 s) past its warm-up. Across lives, against the
//     first judged life: threads ≤ its maximum + 8, descriptors ≤ its maximum + 48, and, of
//     lives whose RSS is judged, the RSS outside the budget ≤ max(1.25 × its maximum, its
//     maximum + 32 MiB).
//     A life with fewer than 6 samples after its warm-up is shown but not judged.
//
// It prints each life's figures when the life ends (a partial log of a long run is useful) and a
// table at the end; with --json, also one JSON object per line per life and one for the run.
//
//   soak_test [--duration=60] [--kill_every=25] [--fault_every=20] [--fault_seconds=3]
//             [--fault_stores=events,keys,access]
//             [--clients=3] [--subscribers=2] [--sample_every=1] [--warmup=5]
//             [--rss_judge_min_s=120] [--json]
//
// ctest runs it with the defaults (about 65 s); `make soak SOAK_SECONDS=3600` runs an hour
// (kill every 300 s, a fault window every 120 s, a sample every 5 s, warm-up 60 s). The figures
// of an hour and what it found: docs/reliability.md, §6.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/command_cases.h"
#include "tests/e2e/metrics_scrape.h"
#include "tests/e2e/suite_server.h"

ABSL_FLAG(std::string, hotspotd, HOTSPOTD_PATH,
          "the hotspotd binary (a copy, for a long run beside rebuilds)");
ABSL_FLAG(int, duration, 60, "seconds of load");
ABSL_FLAG(int, kill_every, 25, "seconds between SIGKILLs of hotspotd (0: none)");
ABSL_FLAG(int, fault_every, 20, "seconds between fault windows (0: none)");
ABSL_FLAG(int, fault_seconds, 3, "length of a fault window");
ABSL_FLAG(std::vector<std::string>, fault_stores,
          std::vector<std::string>({"events", "keys", "access"}),
          "the stores whose files' syncs fail, in turn, one a window");
ABSL_FLAG(int, clients, 3, "client threads sending commands and queries");
ABSL_FLAG(int, subscribers, 2, "live subscriptions");
ABSL_FLAG(double, sample_every, 1, "seconds between samples of hotspotd's RSS, threads, fds");
ABSL_FLAG(int, warmup, 5, "seconds of each process life not judged for flatness");
ABSL_FLAG(int, rss_judge_min_s, 120,
          "a life's RSS is judged only if it ran this long after its warm-up (RocksDB's 64 MiB "
          "memtables, in four databases, fill for the first minutes of a life)");
ABSL_FLAG(bool, json, false, "also print one JSON object per line per life and for the run");

namespace hotspot::testing {
namespace {

using grpc::StatusCode;

constexpr int64_t kMiB = 1024 * 1024;
// hotspotd's default storage budget (64 MiB of block cache, 128 MiB of memtables), with half
// the memtables' again for those being flushed (the bound is soft), and the event store's live
// buffer (64 MiB) and the command handler's parsed streams (32 MiB), in KiB.
constexpr int64_t kStorageBoundKib = (64 + 128 * 3 / 2 + 64 + 32) * 1024;

// One reading of hotspotd's /proc.
struct Sample {
  double at_s;  // since the life began
  int64_t rss_kib;
  int threads;
  int fds;
  // RocksDB's block cache and memtables, the live buffer and the parsed streams, as hotspotd's
  // metrics say: memory under its storage budget (--storage_cache_mb, --storage_write_buffer_mb),
  // the live buffer's bound and --command_stream_cache_mb, which fills as the data is read and written and then stays within it. 0 if
  // the metrics did not answer.
  int64_t storage_kib = 0;
  // What the flatness criterion judges: the resident memory outside that budget.
  int64_t outside_kib() const { return rss_kib - storage_kib; }
};

// One process life of hotspotd, from its start to its SIGKILL (or the end of the run).
struct Life {
  int index = 0;
  pid_t pid = -1;
  absl::Time start;
  absl::Time end;
  std::vector<Sample> samples;
  uint64_t acks = 0;    // commands acknowledged during it
  std::string verdict;  // the flatness criterion's result
  bool judged = false;
  bool rss_judged = false;
  bool flat = true;
  // Post-warm-up figures.
  int64_t rss_start = 0, rss_min = 0, rss_max = 0, rss_end = 0;
  // Of the RSS outside the storage budget (Sample::outside_kib), and the budget's own maximum.
  int64_t outside_max = 0, outside_first_third_max = 0, outside_last_third_max = 0,
          storage_max = 0;
  int threads_start = 0, threads_min = 0, threads_max = 0, threads_end = 0, threads_base = 0;
  int fds_start = 0, fds_min = 0, fds_max = 0, fds_end = 0, fds_base = 0;
};

// Reads /proc/<pid>; false if the process is gone (or a zombie: exited, not yet reaped).
bool ReadProc(pid_t pid, Sample* s) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return false;
  std::string line;
  s->rss_kib = -1;
  s->threads = -1;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) return false;
    if (line.rfind("VmRSS:", 0) == 0) s->rss_kib = std::stoll(line.substr(6));
    if (line.rfind("Threads:", 0) == 0) s->threads = std::stoi(line.substr(8));
  }
  std::error_code error;
  int fds = 0;
  for (auto it = std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++fds;
  }
  s->fds = fds;
  return s->rss_kib >= 0 && s->threads >= 0 && !error;
}

// RocksDB's block cache and memtables, the event store's live buffer and the command handler's
// parsed streams in KiB, from the metrics of the hotspotd whose metrics port `port_file` holds;
// 0 if they do not answer.
int64_t StorageKib(const std::string& port_file) {
  int port = 0;
  std::ifstream(port_file) >> port;
  if (port <= 0) return 0;
  const std::string text = HttpGet(port, "/metrics");
  if (text.empty()) return 0;
  const Scrape scrape(text);
  const double cache = scrape.Value("hotspot_storage_block_cache_bytes");
  const double memtables = scrape.Value("hotspot_storage_memtable_bytes");
  const double live = scrape.Value("hotspot_store_live_buffer_bytes");
  const double streams = scrape.Value("hotspot_command_stream_cache_bytes");
  if (cache < 0 || memtables < 0 || live < 0 || streams < 0) return 0;
  return static_cast<int64_t>((cache + memtables + live + streams) / 1024);
}

// Whether `pid` has exited (a zombie or gone).
bool Exited(pid_t pid) {
  Sample ignored;
  return !ReadProc(pid, &ignored);
}

// Counts by a name, thread-safe.
class Tally {
 public:
  void Add(const std::string& key, uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    counts_[key] += n;
  }
  std::map<std::string, uint64_t> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  uint64_t Total() const {
    uint64_t total = 0;
    for (const auto& [key, n] : Get()) total += n;
    return total;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> counts_;
};

// gRPC's codes are abseil's, number for number.
std::string CodeName(StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// What a fault or a kill may answer; any other failure is a finding.
bool Expected(StatusCode code) {
  return code == StatusCode::INTERNAL || code == StatusCode::RESOURCE_EXHAUSTED ||
         code == StatusCode::UNAVAILABLE || code == StatusCode::DEADLINE_EXCEEDED ||
         code == StatusCode::CANCELLED;
}

class Soak {
 public:
  Soak() : cast_(scenario::SjaelorCast()) {}

  void Run();

 private:
  // The current server: its channel (new at each restart: a new port) and a generation.
  struct Current {
    std::shared_ptr<grpc::Channel> channel;
    uint64_t generation = 0;
    pid_t pid = -1;
  };
  Current Server() const {
    std::lock_guard<std::mutex> lock(server_mu_);
    return current_;
  }
  bool Stopping() const { return stop_load_.load(); }

  void Client(int index);
  // Sends `request` as `as` until acknowledged (retrying it as is), or until 120 s of failures
  // (a finding). The response, or nullopt if the run stopped or it gave up.
  std::optional<v1::CommandResponse> Do(const security::Principal& as,
                                        const google::protobuf::Message& request,
                                        const std::string& kind, CommandClient** client,
                                        uint64_t* generation);
  void Queries(const std::string& youth, uint64_t position);
  void Subscriber(int index);
  void Sampler();
  void Chaos();
  bool Kill();
  bool FaultWindow(const std::string& part);
  bool RestartLocked(bool kill);
  void EndLife();  // judges and prints the current life; under lives_mu_
  void Judge(Life& life) const;
  void PrintLife(const Life& life) const;
  void Finish();

  scenario::Cast cast_;
  std::unique_ptr<SuiteServer> suite_;
  mutable std::mutex server_mu_;  // guards suite_'s process and current_
  Current current_;
  std::string trigger_;
  std::string metrics_port_file_;  // the current hotspotd's metrics port
  absl::Time run_start_;

  std::atomic<bool> stop_load_{false};  // the clients stop
  std::atomic<bool> stop_all_{false};   // the chaos and the sampler stop
  std::atomic<bool> fault_active_{false};
  std::atomic<uint64_t> final_head_{0};  // set once the load stopped; subscribers read up to it
  std::atomic<bool> subscribers_give_up_{false};

  mutable std::mutex lives_mu_;
  std::vector<Life> lives_;

  // Acknowledged commands: position -> request id.
  std::mutex acks_mu_;
  std::map<uint64_t, std::string> acked_;
  // Acknowledged referrals: youth -> name, those acknowledged while a store's syncs failed, and
  // the store (under acks_mu_).
  std::map<std::string, std::string> referred_names_;
  std::map<std::string, std::string> referred_in_fault_;
  std::string fault_store_;  // the current window's store, "" outside one (under acks_mu_)
  // What the first subscriber saw: position -> request id (index = position).
  std::mutex seen_mu_;
  std::vector<std::string> seen_request_{""};
  std::vector<uint64_t> subscriber_next_;       // per subscriber, under seen_mu_
  std::vector<std::string> subscriber_errors_;  // under seen_mu_
  Tally failed_;                                // "<kind> <code>"
  Tally failed_in_fault_;                       // "<kind> <code>" during a fault window
  Tally unexpected_;                            // findings: "<what>: <message>"
  Tally queries_ok_, queries_failed_, queries_failed_in_fault_;
  std::atomic<uint64_t> acks_{0}, retries_acked_replayed_{0}, delivered_{0}, resubscribes_{0};
  std::atomic<uint64_t> kills_{0}, crashes_{0};
  Tally faults_;  // windows by part
  std::mutex fault_message_mu_;
  std::string fault_command_message_, fault_query_message_;  // the window's first failures
  std::vector<std::string> fault_results_;                   // under lives_mu_
  std::vector<double> recovery_s_;                           // per fault window, under lives_mu_
};

void Soak::Run() {
  const std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("hotspot-soak-", getpid());
  std::filesystem::create_directories(dir);
  trigger_ = dir + "/fault";
  metrics_port_file_ = dir + "/metrics.port";
  // The preload and its trigger go into hotspotd's environment; the part of the path that fails
  // is the trigger file's first line (no HOTSPOT_FAIL_SYNC_PATHS_WITH). Set before any thread.
  setenv("LD_PRELOAD", FAIL_SYNC_PRELOAD_PATH, 1);
  setenv("HOTSPOT_FAIL_SYNC_WHEN", trigger_.c_str(), 1);
  unsetenv("HOTSPOT_FAIL_SYNC_PATHS_WITH");
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(absl::GetFlag(FLAGS_hotspotd),
                       {"--demo", "--sync=true", "--metrics_listen=127.0.0.1:0",
                        "--metrics_port_file=" + dir + "/metrics.port"});
  ASSERT_TRUE(started.ok()) << started.status();
  suite_ = std::move(*started);
  run_start_ = absl::Now();
  {
    std::lock_guard<std::mutex> lock(server_mu_);
    current_ = {suite_->channel, 1, suite_->process->pid()};
    std::lock_guard<std::mutex> lives(lives_mu_);
    lives_.push_back(Life{.index = 1, .pid = current_.pid, .start = absl::Now()});
  }
  const int subscribers = absl::GetFlag(FLAGS_subscribers);
  subscriber_next_.assign(subscribers, 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < subscribers; ++i) threads.emplace_back([this, i] { Subscriber(i); });
  for (int i = 0; i < absl::GetFlag(FLAGS_clients); ++i) {
    threads.emplace_back([this, i] { Client(i); });
  }
  std::thread sampler([this] { Sampler(); });
  std::thread chaos([this] { Chaos(); });
  const absl::Time load_end = run_start_ + absl::Seconds(absl::GetFlag(FLAGS_duration));
  while (absl::Now() < load_end && !stop_all_.load()) {
    absl::SleepFor(std::min(absl::Seconds(1), load_end - absl::Now()));  // the run's schedule
  }
  stop_load_ = true;
  stop_all_ = true;
  chaos.join();
  std::remove(trigger_.c_str());
  for (int i = subscribers; i < static_cast<int>(threads.size()); ++i) threads[i].join();
  Finish();
  for (int i = 0; i < subscribers; ++i) threads[i].join();
  sampler.join();
  {
    std::lock_guard<std::mutex> lock(lives_mu_);
    EndLife();
  }
  // The table.
  printf("\n%-4s %-7s %5s | %-27s | %-15s | %-15s | %7s | %s\n", "life", "pid", "secs",
         "RSS MiB start/min/max/end", "threads s/mn/mx/e", "fds s/mn/mx/e", "acks", "flat");
  std::lock_guard<std::mutex> lock(lives_mu_);
  for (const Life& life : lives_) {
    if (life.samples.empty()) continue;  // the final checks' life (the sampler has stopped)
    printf(
        "%-4d %-7d %5.0f | %6.1f %6.1f %6.1f %6.1f | %3d %3d %3d %3d | %3d %3d %3d %3d | %7llu | "
        "%s\n",
        life.index, life.pid, absl::ToDoubleSeconds(life.end - life.start), life.rss_start / 1024.0,
        life.rss_min / 1024.0, life.rss_max / 1024.0, life.rss_end / 1024.0, life.threads_start,
        life.threads_min, life.threads_max, life.threads_end, life.fds_start, life.fds_min,
        life.fds_max, life.fds_end, static_cast<unsigned long long>(life.acks),
        life.verdict.c_str());
  }
  auto list = [](const std::map<std::string, uint64_t>& m) {
    std::string out;
    for (const auto& [k, n] : m) absl::StrAppend(&out, out.empty() ? "" : ", ", k, " ", n);
    return out.empty() ? std::string("none") : out;
  };
  const double seconds = absl::ToDoubleSeconds(absl::Now() - run_start_);
  printf(
      "run: %.0f s; commands acknowledged %llu (%.1f/s; %llu of them on a retry that found "
      "the first try written); failed (retried) %llu: %s\n",
      seconds, static_cast<unsigned long long>(acks_.load()), acks_.load() / seconds,
      static_cast<unsigned long long>(retries_acked_replayed_.load()),
      static_cast<unsigned long long>(failed_.Total()), list(failed_.Get()).c_str());
  printf("commands failed during fault windows: %s\n", list(failed_in_fault_.Get()).c_str());
  printf("queries failed during fault windows: %s\n", list(queries_failed_in_fault_.Get()).c_str());
  printf("queries ok: %s; failed: %s\n", list(queries_ok_.Get()).c_str(),
         list(queries_failed_.Get()).c_str());
  printf("events delivered to subscribers %llu (resubscribed %llu times); head %llu\n",
         static_cast<unsigned long long>(delivered_.load()),
         static_cast<unsigned long long>(resubscribes_.load()),
         static_cast<unsigned long long>(final_head_.load()));
  printf(
      "kills %llu (with the last, before the final checks); unexpected exits %llu; fault windows "
      "%s; recovery after a window (s):",
      static_cast<unsigned long long>(kills_.load()),
      static_cast<unsigned long long>(crashes_.load()), list(faults_.Get()).c_str());
  for (double r : recovery_s_) printf(" %.2f", r);
  printf("\nfindings: %s\n", list(unexpected_.Get()).c_str());
  if (absl::GetFlag(FLAGS_json)) {
    for (const Life& life : lives_) {
      printf(
          "{\"life\": %d, \"seconds\": %.0f, \"rss_kib\": [%lld, %lld, %lld, %lld], "
          "\"threads\": [%d, %d, %d, %d], \"fds\": [%d, %d, %d, %d], \"acks\": %llu, "
          "\"outside_max_kib\": %lld, \"storage_max_kib\": %lld, \"judged\": %s, \"flat\": %s}\n",
          life.index, absl::ToDoubleSeconds(life.end - life.start),
          static_cast<long long>(life.rss_start), static_cast<long long>(life.rss_min),
          static_cast<long long>(life.rss_max), static_cast<long long>(life.rss_end),
          life.threads_start, life.threads_min, life.threads_max, life.threads_end, life.fds_start,
          life.fds_min, life.fds_max, life.fds_end, static_cast<unsigned long long>(life.acks),
          static_cast<long long>(life.outside_max), static_cast<long long>(life.storage_max),
          life.judged ? "true" : "false", life.flat ? "true" : "false");
    }
    printf(
        "{\"run_s\": %.0f, \"acks\": %llu, \"command_failures\": %llu, \"queries\": %llu, "
        "\"query_failures\": %llu, \"delivered\": %llu, \"head\": %llu, \"kills\": %llu, "
        "\"fault_windows\": %llu, \"unexpected_exits\": %llu, \"findings\": %llu}\n",
        seconds, static_cast<unsigned long long>(acks_.load()),
        static_cast<unsigned long long>(failed_.Total()),
        static_cast<unsigned long long>(queries_ok_.Total()),
        static_cast<unsigned long long>(queries_failed_.Total()),
        static_cast<unsigned long long>(delivered_.load()),
        static_cast<unsigned long long>(final_head_.load()),
        static_cast<unsigned long long>(kills_.load()),
        static_cast<unsigned long long>(faults_.Total()),
        static_cast<unsigned long long>(crashes_.load()),
        static_cast<unsigned long long>(unexpected_.Total()));
  }
  fflush(stdout);

  // The assertions.
  EXPECT_EQ(unexpected_.Total(), 0u) << list(unexpected_.Get());
  EXPECT_EQ(crashes_.load(), 0u);
  EXPECT_GT(acks_.load(), 0u);
  if (absl::GetFlag(FLAGS_kill_every) > 0 &&
      absl::GetFlag(FLAGS_duration) > absl::GetFlag(FLAGS_kill_every)) {
    EXPECT_GE(kills_.load(), 1u);
  }
  if (absl::GetFlag(FLAGS_fault_every) > 0 &&
      absl::GetFlag(FLAGS_duration) > absl::GetFlag(FLAGS_fault_every)) {
    EXPECT_GE(faults_.Total(), 1u);
  }
  for (const std::string& r : fault_results_) ADD_FAILURE() << r;
  for (const Life& life : lives_)
    EXPECT_TRUE(life.flat) << "life " << life.index << ": " << life.verdict;
  // Across lives, against the first judged life.
  const Life* first = nullptr;
  for (const Life& life : lives_) {
    if (!life.judged) continue;
    if (first == nullptr) {
      first = &life;
      continue;
    }
    if (life.rss_judged && first->rss_judged) {
      EXPECT_LE(life.outside_max,
                std::max<int64_t>(first->outside_max * 5 / 4, first->outside_max + 32 * 1024))
          << "life " << life.index << "'s RSS outside the storage budget against life "
          << first->index << "'s";
    }
    EXPECT_LE(life.threads_max, first->threads_max + 8) << "life " << life.index;
    EXPECT_LE(life.fds_max, first->fds_max + 48) << "life " << life.index;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

void Soak::Client(int index) {
  CommandClient* client = nullptr;
  std::unique_ptr<CommandClient> owned;
  uint64_t generation = 0;
  auto ensure = [&] {
    const Current now = Server();
    if (now.generation != generation || client == nullptr) {
      owned = std::make_unique<CommandClient>(now.channel);
      for (const auto& [person, token] : suite_->tokens) owned->AddToken(person, token);
      client = owned.get();
      generation = now.generation;
    }
  };
  for (int i = 0; !Stopping(); ++i) {
    ensure();
    const std::string prefix = absl::StrCat("soak-", index, "-", i, "-");
    auto referral = scenario::SampleReferral(index * 1000000 + i, prefix + "refer");
    const bool in_fault = fault_active_.load();
    auto referred = Do(cast_.school_member, referral, "ReferYouth", &client, &generation);
    if (!referred) continue;
    const std::string youth = referred->id();
    {
      std::lock_guard<std::mutex> lock(acks_mu_);
      referred_names_[youth] = referral.name();
      if (in_fault || !fault_store_.empty()) referred_in_fault_[youth] = fault_store_;
    }
    v1::ScreenReferralRequest screen;
    screen.set_request_id(prefix + "screen");
    screen.set_youth_id(youth);
    screen.set_accept(true);
    if (!Do(cast_.chief, screen, "ScreenReferral", &client, &generation)) continue;
    v1::ScheduleMeetingRequest schedule;
    schedule.set_request_id(prefix + "schedule");
    schedule.set_area_id(kArea);
    schedule.set_body_id("task-force");
    schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    auto scheduled = Do(cast_.chief, schedule, "ScheduleMeeting", &client, &generation);
    if (!scheduled) continue;
    v1::RecordAttendanceRequest held;
    held.set_request_id(prefix + "held");
    held.set_meeting_id(scheduled->id());
    held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    held.add_attendance()->set_agency_id(kSchool);
    held.mutable_attendance(0)->set_person("teacher-ole");
    if (!Do(cast_.chief, held, "RecordAttendance", &client, &generation)) continue;
    v1::AddAgendaItemRequest agenda;
    agenda.set_request_id(prefix + "agenda");
    agenda.set_meeting_id(scheduled->id());
    agenda.set_youth_id(youth);
    if (!Do(cast_.chief, agenda, "AddAgendaItem", &client, &generation)) continue;
    v1::RecordDecisionRequest decision;
    decision.set_request_id(prefix + "decision");
    decision.set_meeting_id(scheduled->id());
    decision.set_youth_id(youth);
    decision.set_text("The school calls the family every morning");
    auto* c = decision.add_commitments();
    c->set_owning_agency_id(kSchool);
    c->set_responsible_person("teacher-ole");
    c->set_action("Morning call to the family");
    *c->mutable_due_date() = InDays(14);
    c->set_accepted_by("teacher-ole");
    auto decided = Do(cast_.chief, decision, "RecordDecision", &client, &generation);
    if (!decided || decided->created_ids_size() == 0) continue;
    v1::ReportProgressRequest progress;
    progress.set_request_id(prefix + "progress");
    progress.set_commitment_id(decided->created_ids(0));
    progress.set_note("Called twice");
    auto reported = Do(cast_.school_member, progress, "ReportProgress", &client, &generation);
    if (!reported) continue;
    Queries(youth, decided->position());
  }
}

std::optional<v1::CommandResponse> Soak::Do(const security::Principal& as,
                                            const google::protobuf::Message& request,
                                            const std::string& kind, CommandClient** client,
                                            uint64_t* generation) {
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  absl::Duration backoff = absl::Milliseconds(20);
  bool retried = false;
  for (;;) {
    const Current now = Server();
    std::unique_ptr<CommandClient> fresh;
    CommandClient* use = *client;
    if (now.generation != *generation) {  // the caller's client is of a killed server
      fresh = std::make_unique<CommandClient>(now.channel);
      for (const auto& [person, token] : suite_->tokens) fresh->AddToken(person, token);
      use = fresh.get();
    }
    const bool in_fault = fault_active_.load();
    CallResult r = use->Call(as, request);
    if (r.status.ok()) {
      acks_.fetch_add(1);
      if (retried && r.response.replayed()) retries_acked_replayed_.fetch_add(1);
      {
        std::lock_guard<std::mutex> lock(acks_mu_);
        const std::string id = request.GetReflection()->GetString(
            request, request.GetDescriptor()->FindFieldByName("request_id"));
        acked_[r.response.position()] = id;
      }
      {
        std::lock_guard<std::mutex> lock(lives_mu_);
        lives_.back().acks++;
      }
      return r.response;
    }
    const std::string code = CodeName(r.status.error_code());
    failed_.Add(absl::StrCat(kind, " ", code));
    if (in_fault || fault_active_.load()) {
      failed_in_fault_.Add(absl::StrCat(kind, " ", code));
      std::lock_guard<std::mutex> lock(fault_message_mu_);
      if (fault_command_message_.empty()) {
        fault_command_message_ = absl::StrCat(kind, " ", code, ": ", r.status.error_message());
      }
    }
    if (!Expected(r.status.error_code())) {
      unexpected_.Add(absl::StrCat(kind, " ", code, ": ", r.status.error_message()));
      return std::nullopt;
    }
    if (Stopping()) return std::nullopt;
    if (absl::Now() > give_up) {
      unexpected_.Add(
          absl::StrCat(kind, " given up after 120 s: ", code, ": ", r.status.error_message()));
      return std::nullopt;
    }
    retried = true;
    absl::SleepFor(backoff);  // a retry's backoff
    backoff = std::min(backoff * 2, absl::Milliseconds(500));
  }
}

void Soak::Queries(const std::string& youth, uint64_t position) {
  const Current now = Server();
  auto queries = v1::QueryService::NewStub(now.channel);
  auto count = [&](const std::string& name, const grpc::Status& status) {
    if (status.ok()) {
      queries_ok_.Add(name);
      return;
    }
    queries_failed_.Add(absl::StrCat(name, " ", CodeName(status.error_code())));
    if (fault_active_.load()) {
      queries_failed_in_fault_.Add(absl::StrCat(name, " ", CodeName(status.error_code())));
      std::lock_guard<std::mutex> lock(fault_message_mu_);
      if (fault_query_message_.empty()) {
        fault_query_message_ =
            absl::StrCat(name, " ", CodeName(status.error_code()), ": ", status.error_message());
      }
    }
    if (!Expected(status.error_code())) {
      unexpected_.Add(
          absl::StrCat(name, " ", CodeName(status.error_code()), ": ", status.error_message()));
    }
  };
  {
    v1::ListCasesRequest request;
    request.set_area_id(kArea);
    request.set_page_size(20);
    request.set_min_position(position);
    v1::ListCasesResponse response;
    count("ListCases", queries->ListCases(suite_->As(cast_.chief).get(), request, &response));
  }
  {
    v1::GetCaseRequest request;
    request.set_youth_id(youth);
    request.set_min_position(position);
    v1::GetCaseResponse response;
    const grpc::Status status = queries->GetCase(suite_->As(cast_.chief).get(), request, &response);
    count("GetCase", status);
    if (status.ok() && response.case_view().youth_id() != youth) {
      unexpected_.Add(
          absl::StrCat("GetCase answered ", response.case_view().youth_id(), " for ", youth));
    }
  }
  {
    v1::ListCommitmentsRequest request;
    request.set_area_id(kArea);
    request.set_youth_id(youth);
    request.set_min_position(position);
    v1::ListCommitmentsResponse response;
    const grpc::Status status =
        queries->ListCommitments(suite_->As(cast_.chief).get(), request, &response);
    count("ListCommitments", status);
    if (status.ok() && response.commitments_size() != 1) {
      unexpected_.Add(absl::StrCat("ListCommitments: ", response.commitments_size(),
                                   " commitments of a youth with one"));
    }
  }
  {
    v1::GetAreaDashboardRequest request;
    request.set_area_id(kArea);
    request.set_min_position(position);
    v1::GetAreaDashboardResponse response;
    count("GetAreaDashboard",
          queries->GetAreaDashboard(suite_->As(cast_.chief).get(), request, &response));
  }
  {
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    request.set_min_position(position);
    auto context = suite_->As(suite_->dpo, "audit: the case's history");
    auto reader = v1::AuditService::NewStub(now.channel)->GetCaseHistory(context.get(), request);
    v1::GetCaseHistoryResponse response;
    int events = 0;
    while (reader->Read(&response)) events += response.events_size();
    const grpc::Status status = reader->Finish();
    count("GetCaseHistory", status);
    if (status.ok() && events < 2) {
      unexpected_.Add(
          absl::StrCat("GetCaseHistory: ", events, " events of a referred, screened youth"));
    }
  }
}

void Soak::Subscriber(int index) {
  const uint32_t batch = index % 2 == 0 ? 1000 : 7;
  uint64_t next = 1;
  auto done = [&] {
    const uint64_t head = final_head_.load();
    return (head > 0 && next > head) || subscribers_give_up_.load();
  };
  auto error = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(seen_mu_);
    subscriber_errors_.push_back(absl::StrCat("subscriber ", index, ": ", what));
  };
  while (!done()) {
    const Current now = Server();
    v1::SubscribeRequest request;
    request.set_from_position(next);
    request.set_max_batch(batch);
    auto context = suite_->As(suite_->dpo, "", absl::Seconds(15));
    auto reader = v1::SubscriptionService::NewStub(now.channel)->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    bool bad = false;
    while (!bad && reader->Read(&response)) {
      for (const v1::StoredEvent& e : response.events()) {
        if (e.position() != next) {
          error(absl::StrCat("got position ", e.position(), " expecting ", next));
          bad = true;
          break;
        }
        ++next;
        delivered_.fetch_add(1);
        if (index == 0) {
          std::lock_guard<std::mutex> lock(seen_mu_);
          seen_request_.push_back(e.request_id());
        }
      }
      {
        std::lock_guard<std::mutex> lock(seen_mu_);
        subscriber_next_[index] = next;
      }
      if (done()) break;
    }
    context->TryCancel();
    while (reader->Read(&response)) {
    }
    const grpc::Status status = reader->Finish();
    if (bad) return;
    if (!status.ok() && !Expected(status.error_code())) {
      unexpected_.Add(
          absl::StrCat("Subscribe ", CodeName(status.error_code()), ": ", status.error_message()));
    }
    if (!done()) {
      resubscribes_.fetch_add(1);
      if (!status.ok() && status.error_code() != StatusCode::DEADLINE_EXCEEDED) {
        absl::SleepFor(absl::Milliseconds(50));  // a retry's backoff while the server restarts
      }
    }
  }
}

void Soak::Sampler() {
  const absl::Duration every = absl::Seconds(absl::GetFlag(FLAGS_sample_every));
  while (!stop_all_.load()) {
    absl::SleepFor(every);  // the sampling interval
    std::lock_guard<std::mutex> lock(server_mu_);
    // A restart that failed has said so and stopped the run; it left no process to look at.
    if (stop_all_.load() || !suite_->process.has_value()) return;
    const pid_t pid = current_.pid;
    Sample s;
    if (!ReadProc(pid, &s)) {
      // Gone though nobody killed it (a kill holds server_mu_ until the new one runs).
      crashes_.fetch_add(1);
      const std::string log = ReadAll(suite_->process->log_file());
      fprintf(stderr, "hotspotd (pid %d) exited unexpectedly; its log's end:\n%s\n", pid,
              log.substr(log.size() > 4000 ? log.size() - 4000 : 0).c_str());
      unexpected_.Add("hotspotd exited unexpectedly");
      stop_all_ = true;
      stop_load_ = true;
      subscribers_give_up_ = true;
      return;
    }
    s.storage_kib = StorageKib(metrics_port_file_);
    std::lock_guard<std::mutex> lives(lives_mu_);
    s.at_s = absl::ToDoubleSeconds(absl::Now() - lives_.back().start);
    lives_.back().samples.push_back(s);
  }
}

void Soak::Chaos() {
  const int kill_every = absl::GetFlag(FLAGS_kill_every);
  const int fault_every = absl::GetFlag(FLAGS_fault_every);
  const absl::Time end = run_start_ + absl::Seconds(absl::GetFlag(FLAGS_duration));
  absl::Time next_kill =
      kill_every > 0 ? run_start_ + absl::Seconds(kill_every) : absl::InfiniteFuture();
  // Fault windows in the middle between kills' schedule: at fault_every/2 + k × fault_every.
  absl::Time next_fault =
      fault_every > 0 ? run_start_ + absl::Seconds(fault_every) / 2 : absl::InfiniteFuture();
  std::vector<std::string> parts;
  for (const std::string& store : absl::GetFlag(FLAGS_fault_stores)) {
    parts.push_back(absl::StrCat("/data/", store, "/"));
  }
  int faults = 0;
  while (!stop_all_.load()) {
    const absl::Time next = std::min(next_kill, next_fault);
    if (next >= end - absl::Seconds(2)) break;
    while (absl::Now() < next && !stop_all_.load()) {
      absl::SleepFor(std::min(absl::Milliseconds(200), next - absl::Now()));  // the schedule
    }
    if (stop_all_.load()) break;
    if (next == next_kill) {
      if (!Kill()) return;
      next_kill += absl::Seconds(kill_every);
    } else {
      if (!FaultWindow(parts[faults++ % parts.size()])) return;
      next_fault += absl::Seconds(fault_every);
    }
  }
}

bool Soak::RestartLocked(bool kill) {
  const absl::Status restarted = suite_->Restart(kill);
  if (!restarted.ok()) {
    unexpected_.Add(absl::StrCat("restart failed: ", restarted.message()));
    stop_all_ = true;
    stop_load_ = true;
    subscribers_give_up_ = true;
    return false;
  }
  current_ = {suite_->channel, current_.generation + 1, suite_->process->pid()};
  return true;
}

bool Soak::Kill() {
  std::lock_guard<std::mutex> lock(server_mu_);
  {
    std::lock_guard<std::mutex> lives(lives_mu_);
    EndLife();
  }
  kills_.fetch_add(1);
  if (!RestartLocked(/*kill=*/true)) return false;
  std::lock_guard<std::mutex> lives(lives_mu_);
  lives_.push_back(Life{
      .index = static_cast<int>(lives_.size()) + 1, .pid = current_.pid, .start = absl::Now()});
  return true;
}

bool Soak::FaultWindow(const std::string& part) {
  const std::string kind = std::string(part.substr(6, part.size() - 7));  // "events", ...
  faults_.Add(kind);
  const uint64_t failures_before = failed_.Total();
  const uint64_t query_failures_before = queries_failed_.Total();
  {
    std::lock_guard<std::mutex> lock(fault_message_mu_);
    fault_command_message_.clear();
    fault_query_message_.clear();
  }
  {
    const std::string staged = trigger_ + ".new";
    std::ofstream(staged) << part << "\n";
    std::filesystem::rename(staged, trigger_);  // whole, or not there
  }
  {
    std::lock_guard<std::mutex> lock(acks_mu_);
    fault_store_ = kind;
  }
  fault_active_ = true;
  const absl::Time window_end = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_fault_seconds));
  while (absl::Now() < window_end && !stop_all_.load()) {
    absl::SleepFor(std::min(absl::Milliseconds(200), window_end - absl::Now()));  // the window
  }
  std::remove(trigger_.c_str());
  const uint64_t failures = failed_.Total() - failures_before;
  // A command acknowledged after the window, without a restart (bounded: 30 s).
  const absl::Time ended = absl::Now();
  {
    std::lock_guard<std::mutex> lock(acks_mu_);
    fault_store_ = "";  // referrals acknowledged from here on count as after the window
  }
  const Current now = Server();
  CommandClient probe(now.channel);
  for (const auto& [person, token] : suite_->tokens) probe.AddToken(person, token);
  const std::string request_id = absl::StrCat("soak-probe-", faults_.Total());
  bool ok = false;
  grpc::Status last;
  while (!ok && absl::Now() < ended + absl::Seconds(30)) {
    CallResult r = probe.Call(cast_.school_member,
                              scenario::SampleReferral(900000 + faults_.Total(), request_id));
    ok = r.status.ok();
    last = r.status;
    if (ok) {
      acks_.fetch_add(1);
      std::lock_guard<std::mutex> lock(acks_mu_);
      acked_[r.response.position()] = request_id;
    } else {
      absl::SleepFor(absl::Milliseconds(50));  // a retry's backoff
    }
  }
  // And a query that leaves an access record (the access log's fault fails those).
  bool read = false;
  while (ok && !read && absl::Now() < ended + absl::Seconds(30)) {
    v1::ListCasesRequest request;
    request.set_area_id(kArea);
    request.set_page_size(5);
    v1::ListCasesResponse response;
    last = v1::QueryService::NewStub(now.channel)
               ->ListCases(suite_->As(cast_.chief).get(), request, &response);
    read = last.ok();
    if (!read) absl::SleepFor(absl::Milliseconds(50));  // a retry's backoff
  }
  fault_active_ = false;
  {
    std::lock_guard<std::mutex> lock(fault_message_mu_);
    printf("[%6.0f s] first failures in the %s window: command: %s; query: %s\n",
           absl::ToDoubleSeconds(ended - run_start_), kind.c_str(),
           fault_command_message_.empty() ? "none" : fault_command_message_.c_str(),
           fault_query_message_.empty() ? "none" : fault_query_message_.c_str());
  }
  std::lock_guard<std::mutex> lock(lives_mu_);
  recovery_s_.push_back(absl::ToDoubleSeconds(absl::Now() - ended));
  printf(
      "[%6.0f s] fault window %s (%d s): %llu command failures, %llu query failures; after "
      "it a command %s and a query %s in %.2f s\n",
      absl::ToDoubleSeconds(ended - run_start_), kind.c_str(), absl::GetFlag(FLAGS_fault_seconds),
      static_cast<unsigned long long>(failures),
      static_cast<unsigned long long>(queries_failed_.Total() - query_failures_before),
      ok ? "acknowledged" : "NOT acknowledged", read ? "answered" : "NOT answered",
      recovery_s_.back());
  fflush(stdout);
  if (ok && !read) {
    fault_results_.push_back(absl::StrCat("after the ", kind, " fault window no query was ",
                                          "answered within 30 s: ", last.error_message()));
  }
  if (!ok) {
    fault_results_.push_back(absl::StrCat("after the ", kind, " fault window no command was ",
                                          "acknowledged within 30 s: ", last.error_message()));
  }
  if (kind == "events" && failures == 0 && !stop_all_.load()) {
    fault_results_.push_back("an event-store fault window failed no command");
  }
  if (Exited(now.pid)) {
    fault_results_.push_back(absl::StrCat("hotspotd exited in the ", kind, " fault window"));
  }
  return true;
}

void Soak::Judge(Life& life) const {
  const double warmup = absl::GetFlag(FLAGS_warmup);
  std::vector<Sample> s;
  for (const Sample& x : life.samples) {
    if (x.at_s >= warmup) s.push_back(x);
  }
  if (s.empty()) {
    life.verdict = "no samples after warm-up";
    return;
  }
  life.rss_start = s.front().rss_kib;
  life.rss_end = s.back().rss_kib;
  life.threads_start = s.front().threads;
  life.threads_end = s.back().threads;
  life.fds_start = s.front().fds;
  life.fds_end = s.back().fds;
  life.rss_min = life.rss_max = s.front().rss_kib;
  life.outside_max = s.front().outside_kib();
  life.threads_min = life.threads_max = s.front().threads;
  life.fds_min = life.fds_max = s.front().fds;
  for (const Sample& x : s) {
    life.rss_min = std::min(life.rss_min, x.rss_kib);
    life.rss_max = std::max(life.rss_max, x.rss_kib);
    life.outside_max = std::max(life.outside_max, x.outside_kib());
    life.storage_max = std::max(life.storage_max, x.storage_kib);
    life.threads_min = std::min(life.threads_min, x.threads);
    life.threads_max = std::max(life.threads_max, x.threads);
    life.fds_min = std::min(life.fds_min, x.fds);
    life.fds_max = std::max(life.fds_max, x.fds);
  }
  if (s.size() < 6) {
    life.verdict = absl::StrCat("not judged (", s.size(), " samples after warm-up)");
    return;
  }
  life.judged = true;
  const size_t third = s.size() / 3;
  for (size_t i = 0; i < third; ++i) {
    life.outside_first_third_max = std::max(life.outside_first_third_max, s[i].outside_kib());
    life.threads_base = std::max(life.threads_base, s[i].threads);
    life.fds_base = std::max(life.fds_base, s[i].fds);
  }
  for (size_t i = s.size() - third; i < s.size(); ++i) {
    life.outside_last_third_max = std::max(life.outside_last_third_max, s[i].outside_kib());
  }
  const int64_t rss_bound = std::max(life.outside_first_third_max * 5 / 4,
                                     life.outside_first_third_max + 16 * kMiB / 1024);
  std::vector<std::string> broken;
  life.rss_judged = s.back().at_s - s.front().at_s >= absl::GetFlag(FLAGS_rss_judge_min_s);
  if (life.rss_judged && life.outside_last_third_max > rss_bound) {
    broken.push_back(absl::StrFormat("RSS outside the storage budget, last third %.1f MiB > %.1f MiB",
                                     life.outside_last_third_max / 1024.0, rss_bound / 1024.0));
  }
  if (life.storage_max > kStorageBoundKib) {
    broken.push_back(absl::StrFormat("storage budget %.1f MiB > %.1f MiB", life.storage_max / 1024.0,
                                     kStorageBoundKib / 1024.0));
  }
  if (life.threads_max > life.threads_base + 8) {
    broken.push_back(absl::StrCat("threads ", life.threads_max, " > ", life.threads_base, " + 8"));
  }
  if (life.fds_max > life.fds_base + 32) {
    broken.push_back(absl::StrCat("fds ", life.fds_max, " > ", life.fds_base, " + 32"));
  }
  life.flat = broken.empty();
  life.verdict =
      broken.empty()
          ? absl::StrFormat("flat (RSS outside the storage budget %.1f→%.1f MiB%s %.1f, storage "
                            "≤ %.1f MiB; threads ≤ %d; fds ≤ %d)",
                            life.outside_first_third_max / 1024.0,
                            life.outside_last_third_max / 1024.0,
                            life.rss_judged ? " ≤" : ", not judged, bound", rss_bound / 1024.0,
                            life.storage_max / 1024.0, life.threads_base + 8, life.fds_base + 32)
          : absl::StrCat("NOT FLAT: ", absl::StrJoin(broken, "; "));
}

void Soak::EndLife() {
  Life& life = lives_.back();
  if (life.end != absl::Time()) return;
  life.end = absl::Now();
  Judge(life);
  PrintLife(life);
}

void Soak::PrintLife(const Life& life) const {
  printf(
      "[%6.0f s] life %d (pid %d, %.0f s, %zu samples, %llu acks): RSS MiB %.1f/%.1f/%.1f/%.1f "
      "threads %d/%d/%d/%d fds %d/%d/%d/%d (start/min/max/end after warm-up); max outside the "
      "storage budget %.1f MiB, of the budget %.1f MiB: %s\n",
      absl::ToDoubleSeconds(life.end - run_start_), life.index, life.pid,
      absl::ToDoubleSeconds(life.end - life.start), life.samples.size(),
      static_cast<unsigned long long>(life.acks), life.rss_start / 1024.0, life.rss_min / 1024.0,
      life.rss_max / 1024.0, life.rss_end / 1024.0, life.threads_start, life.threads_min,
      life.threads_max, life.threads_end, life.fds_start, life.fds_min, life.fds_max, life.fds_end,
      life.outside_max / 1024.0, life.storage_max / 1024.0, life.verdict.c_str());
  fflush(stdout);
}

// After the load: the log verifies; the subscribers reach its head having seen every position
// once; every acknowledged command's position carries its request id.
void Soak::Finish() {
  // A last SIGKILL: what follows reads what the restarted server holds.
  if (absl::GetFlag(FLAGS_kill_every) > 0 && !Kill()) return;
  const Current now = Server();
  v1::VerifyLogResponse verified;
  auto context = suite_->As(suite_->dpo, "audit: soak test", absl::Seconds(600));
  const grpc::Status status =
      v1::AuditService::NewStub(now.channel)->VerifyLog(context.get(), {}, &verified);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(verified.ok()) << verified.problem() << " at " << verified.first_broken_position();
  printf("VerifyLog: %s, positions %llu to %llu\n", verified.ok() ? "ok" : "BROKEN",
         static_cast<unsigned long long>(verified.from_position()),
         static_cast<unsigned long long>(verified.to_position()));
  uint64_t head = verified.to_position();
  if (head == 0) head = 1;  // nothing to wait for; the checks below fail
  final_head_ = head;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  bool reached = false;
  while (!reached && absl::Now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(seen_mu_);
      reached = std::all_of(subscriber_next_.begin(), subscriber_next_.end(),
                            [&](uint64_t n) { return n > head; }) ||
                !subscriber_errors_.empty();
    }
    if (!reached) absl::SleepFor(absl::Milliseconds(100));  // a poll's interval
  }
  subscribers_give_up_ = true;
  std::lock_guard<std::mutex> lock(seen_mu_);
  for (const std::string& e : subscriber_errors_) ADD_FAILURE() << e;
  for (size_t i = 0; i < subscriber_next_.size(); ++i) {
    // At least the head VerifyLog saw: the restarted server's deadline process may append its
    // facts after it (each subscriber checks on the way that every position came once).
    EXPECT_GE(subscriber_next_[i], head + 1) << "subscriber " << i << " did not reach the head";
  }
  std::lock_guard<std::mutex> acks(acks_mu_);
  // And nothing past the log: every position a subscriber was sent is in it now, verified, and
  // what came after the first VerifyLog's head is the system's own (the deadline process).
  {
    v1::VerifyLogResponse again;
    auto context = suite_->As(suite_->dpo, "audit: soak test", absl::Seconds(600));
    ASSERT_TRUE(
        v1::AuditService::NewStub(now.channel)->VerifyLog(context.get(), {}, &again).ok());
    EXPECT_TRUE(again.ok()) << again.problem();
    for (size_t i = 0; i < subscriber_next_.size(); ++i) {
      EXPECT_LE(subscriber_next_[i], again.to_position() + 1)
          << "subscriber " << i << " was sent positions the log does not hold";
    }
    for (uint64_t p = head + 1; p < seen_request_.size(); ++p) {
      EXPECT_FALSE(acked_.count(p) > 0)
          << "position " << p << " after the final head carries a command of the load";
    }
    printf("after the final VerifyLog's head %llu: %llu events appended by the server itself\n",
           static_cast<unsigned long long>(head),
           static_cast<unsigned long long>(seen_request_.size() > head + 1
                                               ? seen_request_.size() - head - 1
                                               : 0));
  }
  uint64_t lost = 0;
  for (const auto& [position, request_id] : acked_) {
    if (position >= seen_request_.size() || seen_request_[position] != request_id) {
      if (++lost <= 5) {
        ADD_FAILURE() << "acknowledged " << request_id << " at " << position << ": the log has "
                      << (position < seen_request_.size() ? seen_request_[position] : "nothing");
      }
    }
  }
  EXPECT_EQ(lost, 0u);
  printf("acknowledged commands checked against the log: %zu, missing %llu\n", acked_.size(),
         static_cast<unsigned long long>(lost));
  // Every referral acknowledged during a fault window, and up to 300 others, read back with
  // the name unsealed (its data key was written before its event was acknowledged).
  std::vector<std::pair<std::string, std::string>> youths;  // youth, in which window ("" none)
  for (const auto& [youth, store] : referred_in_fault_) youths.emplace_back(youth, store);
  size_t others = 0;
  for (const auto& [youth, name] : referred_names_) {
    if (referred_in_fault_.count(youth) == 0 && others++ < 300) youths.emplace_back(youth, "");
  }
  auto queries = v1::QueryService::NewStub(now.channel);
  std::map<std::string, uint64_t> read, unreadable;
  for (const auto& [youth, store] : youths) {
    v1::GetCaseRequest request;
    request.set_youth_id(youth);
    request.set_min_position(head);
    v1::GetCaseResponse response;
    const grpc::Status status = queries->GetCase(suite_->As(cast_.chief).get(), request, &response);
    const std::string label =
        store.empty() ? "outside the windows" : absl::StrCat("in the ", store, " windows");
    if (status.ok() && response.case_view().name().text() == referred_names_[youth]) {
      ++read[label];
      continue;
    }
    if (++unreadable[label] <= 5) {
      ADD_FAILURE() << "the referral of " << youth << ", acknowledged " << label
                    << ", reads back without its name after the kill: "
                    << (status.ok() ? response.case_view().name().ShortDebugString()
                                    : status.error_message());
    }
  }
  for (const auto& [label, n] : read) {
    printf("referrals acknowledged %s read back with their name: %llu\n", label.c_str(),
           static_cast<unsigned long long>(n));
  }
  for (const auto& [label, n] : unreadable) {
    printf("referrals acknowledged %s NOT readable after the kill: %llu\n", label.c_str(),
           static_cast<unsigned long long>(n));
  }
}

TEST(SoakTest, MixedLoadWithKillsAndFaultsStaysCorrectAndFlat) { Soak().Run(); }

}  // namespace
}  // namespace hotspot::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  return RUN_ALL_TESTS();
}
