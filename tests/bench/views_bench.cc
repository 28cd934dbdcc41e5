// views_bench: the projections and the read side on a demo-shaped log scaled up.
//
//   views_bench [--json] [--dir=build/bench-views] [--events=1000000] [--seconds=5]
//               [--reuse_log] [--rebuild_only]
//
// 1. Builds the Sjælør scenario with enough youths for `--events` events, in process, fsync off
//    (generation is not measured).
// 2. rocksdb_readseq: a raw RocksDB iterator over the store's log column family (read-only
//    open), keys/s: the baseline. rebuild_all: all views built from position 0 by the Projector
//    into a fresh directory, events/s. Three rounds each, alternating.
// 3. Starts hotspotd on that data directory (fsync on, views already built) and, while a paced
//    background client sends `--background_per_s` ReferYouth commands a second, measures GetCase
//    and ListCommitments (100 of one agency's commitments) from one client: get_case,
//    list_commitments.
// 4. sustained_commands: ReferYouth answered a second with 64 calls in flight, for --seconds
//    (after a second's warm-up): the highest command rate the server sustains (issue 16 §3).
//    projection_lag: at that rate (or `--lag_per_s`, then not measured first), at most 256 calls
//    in flight, the time from a command's answer to the views reaching its position, seen by
//    polling AdminService.GetProjectionStatus every --lag_poll_ms (back to back, the polling
//    took a core from the server on a 2-core machine).
//
// With --json, one JSON object per line per measurement, "bench" one of "rocksdb_readseq",
// "rebuild_all", "get_case", "list_commitments", "sustained_commands", "projection_lag". Figures are printed, never
// asserted.
#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "rocksdb/db.h"
#include "services/projections/all_views.h"
#include "services/projections/projector.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/identity_digest.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "tests/bench/bench_util.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/hotspotd_process.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "build/bench-views", "scratch directory (emptied first)");
ABSL_FLAG(int, events, 1'000'000, "events in the log to build (approximately, at least)");
ABSL_FLAG(double, seconds, 5, "seconds per latency measurement");
ABSL_FLAG(int, background_per_s, 1000, "commands a second in the background of the reads");
ABSL_FLAG(int, lag_per_s, 0,
          "commands a second while measuring projection lag; 0: the highest rate the server "
          "sustains, measured first (64 calls in flight: sustained_commands)");
ABSL_FLAG(int, lag_poll_ms, 1,
          "milliseconds between polls of the views' progress while measuring projection lag "
          "(0: back to back)");
ABSL_FLAG(std::string, hotspotd, HOTSPOTD_PATH, "the hotspotd binary");
ABSL_FLAG(bool, reuse_log, false,
          "keep the log a previous run left in --dir instead of building it again");
ABSL_FLAG(bool, rebuild_only, false, "measure only rocksdb_readseq and rebuild_all");
ABSL_FLAG(bool, skip_rebuild, false, "do not measure rocksdb_readseq and rebuild_all");
ABSL_FLAG(int, batch_time_ms, -1,
          "the rebuilds' ProjectorOptions::batch_time in milliseconds (-1: its default)");

namespace hotspot::bench {
namespace {

void PrintRate(bool json, const char* bench, double per_s, const char* unit) {
  if (json) {
    printf("{\"bench\": \"%s\", \"per_s\": %.0f}\n", bench, per_s);
  } else {
    printf("%-20s %12.0f %s/s\n", bench, per_s, unit);
  }
  fflush(stdout);
}

// A raw RocksDB scan of the log family: keys per second.
double ReadSeq(const std::string& events_dir) {
  std::vector<std::string> families;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), events_dir, &families).ok()) {
    Die("cannot list the store's column families");
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), events_dir, descriptors, &handles, &db)
           .ok()) {
    Die("cannot open the store read-only");
  }
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (auto* h : handles) {
    if (h->GetName() == "log") log = h;
  }
  const absl::Time start = absl::Now();
  uint64_t keys = 0, bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), log));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++keys;
    bytes += it->value().size();
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  it.reset();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return keys / seconds;
}

// Sends `per_s` ReferYouth commands a second (open loop) until `stop`; `done(position, at)` is
// called for each answer.
class PacedClient {
 public:
  // At most `max_in_flight` calls unanswered: past it the pace waits for answers (0: no limit).
  PacedClient(v1::CommandService::Stub* stub, std::string bearer, int per_s, std::string prefix,
              std::function<void(uint64_t, absl::Time)> done = nullptr, int max_in_flight = 0)
      : stub_(stub),
        bearer_(std::move(bearer)),
        per_s_(per_s),
        // Request ids of this run alone: a log kept from an earlier run (--reuse_log) holds that
        // run's, and a request id seen before is answered as a retry, not decided.
        prefix_(absl::StrCat(prefix, "-", absl::ToUnixMicros(absl::Now()))),
        done_(std::move(done)),
        max_in_flight_(max_in_flight) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PacedClient() {
    stop_ = true;
    thread_.join();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &outstanding_));
  }
  uint64_t failures() const { return failures_; }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::ReferYouthRequest request;
    v1::CommandResponse response;
  };

  void Run() {
    const absl::Time start = absl::Now();
    for (uint64_t n = 0; !stop_; ++n) {
      absl::SleepFor(start + absl::Seconds(static_cast<double>(n) / per_s_) - absl::Now());
      auto* call = new Call;
      call->context.AddMetadata("authorization", bearer_);
      call->request =
          scenario::SampleReferral(static_cast<int>(n % 100000), absl::StrCat(prefix_, "-", n));
      {
        absl::MutexLock lock(&mu_);
        if (max_in_flight_ > 0) {
          mu_.Await(absl::Condition(
              +[](PacedClient* self) { return self->outstanding_ < self->max_in_flight_; }, this));
        }
        ++outstanding_;
      }
      stub_->async()->ReferYouth(&call->context, &call->request, &call->response,
                                 [this, call](grpc::Status status) {
                                   if (!status.ok()) {
                                     ++failures_;
                                   } else if (done_) {
                                     done_(call->response.position(), absl::Now());
                                   }
                                   delete call;
                                   absl::MutexLock lock(&mu_);
                                   --outstanding_;
                                 });
    }
  }

  v1::CommandService::Stub* const stub_;
  const std::string bearer_;
  const int per_s_;
  const std::string prefix_;
  const std::function<void(uint64_t, absl::Time)> done_;
  const int max_in_flight_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> failures_{0};
  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

int Main() {
  const bool json = absl::GetFlag(FLAGS_json);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const std::string data = dir + "/data";
  const bool reuse = absl::GetFlag(FLAGS_reuse_log) && std::filesystem::exists(data + "/events");
  if (reuse) {
    if (!absl::GetFlag(FLAGS_skip_rebuild)) std::filesystem::remove_all(data + "/views");
  } else {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(data);
  }

  // 1. The log.
  uint64_t head = 0;
  std::vector<double> readseq, rebuild;
  {
    security::KeyStoreOptions key_options;
    key_options.master_key_file = data + "/master.key";
    key_options.sync = false;
    key_options.defer_new_keys = true;
    auto keys = security::KeyStore::Open(key_options, data + "/keys");
    if (!keys.ok()) Die(std::string(keys.status().message()));
    security::Sealer sealer(keys->get());
    store::Options options;
    options.sync = false;
    security::KeyStore* raw_keys = keys->get();
    options.before_write = [raw_keys] { return raw_keys->Sync(); };
    auto events = store::EventStore::Open(std::move(options), data + "/events");
    if (!events.ok()) Die(std::string(events.status().message()));
    scenario::HandlerSink sink(events->get(), &sealer);
    scenario::ScenarioOptions scenario;
    // About 2.6 events a youth at this scale (most are referred and screened, few discussed:
    // measured 789,962 events for 303,030 youths).
    scenario.youths = std::max(40, static_cast<int>(absl::GetFlag(FLAGS_events) / 2.6) + 1);
    const absl::Time start = absl::Now();
    if (!reuse) {
      auto built = scenario::BuildSjaelor(sink, scenario);
      if (!built.ok()) Die(std::string(built.status().message()));
    }
    head = (*events)->HeadPosition();
    fprintf(stderr, "views_bench: built %llu events (%d youths) in %.0f s\n",
            static_cast<unsigned long long>(head), scenario.youths,
            absl::ToDoubleSeconds(absl::Now() - start));

    // 2. Rebuild against a sequential read, alternating, three rounds.
    for (int round = 0; round < 3 && !absl::GetFlag(FLAGS_skip_rebuild); ++round) {
      (*events).reset();
      readseq.push_back(ReadSeq(data + "/events"));
      store::Options reopen;
      reopen.sync = false;
      *events = *store::EventStore::Open(std::move(reopen), data + "/events");
      const std::string views_dir = absl::StrCat(dir, "/views-", round);
      std::filesystem::remove_all(views_dir);
      const absl::Time begin = absl::Now();
      projections::ProjectorOptions projector_options;
      if (absl::GetFlag(FLAGS_batch_time_ms) >= 0) {
        projector_options.batch_time = absl::Milliseconds(absl::GetFlag(FLAGS_batch_time_ms));
      }
      auto projector = projections::Projector::Open(
          projector_options, events->get(),
          projections::AllViews(&sealer, *security::IdentityDigester::FromKeyStore(**keys)),
          views_dir);
      if (!projector.ok()) Die(std::string(projector.status().message()));
      if (!(*projector)->WaitFor(head, absl::InfiniteFuture()).ok()) Die("rebuild failed");
      rebuild.push_back(head / absl::ToDoubleSeconds(absl::Now() - begin));
    }
  }
  if (!absl::GetFlag(FLAGS_skip_rebuild)) {
    std::sort(readseq.begin(), readseq.end());
    std::sort(rebuild.begin(), rebuild.end());
    PrintRate(json, "rocksdb_readseq", readseq[1], "keys");
    PrintRate(json, "rebuild_all", rebuild[1], "events");
    if (json) {
      printf("{\"bench\": \"rebuild_vs_readseq\", \"per_s_ratio\": %.3f}\n",
             rebuild[1] / readseq[1]);
    } else {
      printf("%-20s rebuild_all/rocksdb_readseq %.3fx (medians of 3)\n", "ratio",
             rebuild[1] / readseq[1]);
    }
    for (int round = 0; round < 2; ++round) {
      std::filesystem::remove_all(absl::StrCat(dir, "/views-", round));
    }
    std::filesystem::rename(absl::StrCat(dir, "/views-2"), data + "/views");
  }
  if (absl::GetFlag(FLAGS_rebuild_only)) return 0;

  // 3. hotspotd on that data, reads under background load.
  const scenario::Cast cast = scenario::SjaelorCast();
  const auto tokens = testing::WriteTokens(dir + "/tokens", cast.All());
  auto server = testing::HotspotdProcess::Start(
      absl::GetFlag(FLAGS_hotspotd), data,
      {"--tokens_file=" + dir + "/tokens", "--sync=true", "--deadline_interval_s=0"});
  if (!server.ok()) Die(std::string(server.status().message()));
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto commands = v1::CommandService::NewStub(channel);
  auto queries = v1::QueryService::NewStub(channel);
  auto admin = v1::AdminService::NewStub(channel);
  const std::string chief = "Bearer " + tokens.at(cast.chief.person);
  const std::string teacher = "Bearer " + tokens.at(cast.school_member.person);
  auto context = [&](const std::string& bearer) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", bearer);
    c->AddMetadata("purpose", "case_coordination: benchmark");
    return c;
  };

  // The position every view of hotspotd has reached; nullopt if it could not be asked.
  auto views_reached = [&]() -> std::optional<uint64_t> {
    v1::GetProjectionStatusResponse status;
    auto c = context("Bearer " + tokens.at(cast.admin.person));
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!admin->GetProjectionStatus(c.get(), {}, &status).ok() || status.views().empty()) {
      return std::nullopt;
    }
    uint64_t lowest = UINT64_MAX;
    for (const auto& v : status.views()) lowest = std::min<uint64_t>(lowest, v.checkpoint());
    return lowest;
  };

  // hotspotd builds its views from the log first: the reads and commands below are measured
  // once they have caught up with it, not beside that catch-up.
  {
    const absl::Time begin = absl::Now();
    for (;;) {
      const std::optional<uint64_t> reached = views_reached();
      if (reached.has_value() && *reached >= head) break;
      if (absl::Now() - begin > absl::Minutes(10)) Die("hotspotd's views did not catch up");
      absl::SleepFor(absl::Milliseconds(100));
    }
    fprintf(stderr, "views_bench: hotspotd's views caught up with %llu events in %.1f s\n",
            static_cast<unsigned long long>(head), absl::ToDoubleSeconds(absl::Now() - begin));
  }

  // A case to read: the first youth referred.
  std::string youth;
  {
    v1::ListCasesRequest list;
    list.set_area_id(scenario::kAreaId);
    list.set_page_size(1);
    v1::ListCasesResponse first;
    if (!queries->ListCases(context(chief).get(), list, &first).ok() || first.cases_size() == 0) {
      Die("no case to read");
    }
    youth = first.cases(0).youth_id();
  }
  const absl::Duration slice = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  {
    PacedClient background(commands.get(), teacher, absl::GetFlag(FLAGS_background_per_s), "bg");
    Samples get_case, list_commitments;
    auto measure = [&](Samples* out, const std::function<bool()>& call) {
      std::vector<uint32_t> latencies;
      const absl::Time start = absl::Now();
      while (absl::Now() - start < slice) {
        const absl::Time begin = absl::Now();
        if (!call()) Die("a read failed");
        latencies.push_back(MicrosSince(begin));
      }
      out->Add(std::move(latencies), absl::ToDoubleSeconds(absl::Now() - start));
    };
    v1::GetCaseRequest get;
    get.set_youth_id(youth);
    v1::ListCommitmentsRequest list;
    list.set_area_id(scenario::kAreaId);
    list.set_owning_agency_id("agency-school-sjaelor");
    list.set_page_size(100);
    measure(&get_case, [&] {
      v1::GetCaseResponse answer;
      return queries->GetCase(context(chief).get(), get, &answer).ok();
    });
    measure(&list_commitments, [&] {
      v1::ListCommitmentsResponse answer;
      return queries->ListCommitments(context(chief).get(), list, &answer).ok() &&
             answer.commitments_size() > 0;
    });
    PrintFigures(json, "get_case", "background_per_s", absl::GetFlag(FLAGS_background_per_s),
                 Summarize(get_case));
    PrintFigures(json, "list_commitments", "background_per_s",
                 absl::GetFlag(FLAGS_background_per_s), Summarize(list_commitments));
    if (background.failures() > 0) fprintf(stderr, "views_bench: background commands failed\n");
  }

  // 4. Projection lag: answers (position, time) against the views' progress, polled.
  {
    absl::Mutex mu;
    std::vector<std::pair<uint64_t, absl::Time>> answered;  // guarded by mu
    std::vector<std::pair<uint64_t, absl::Time>> reached;
    int per_s = absl::GetFlag(FLAGS_lag_per_s);
    if (per_s <= 0) {
      // The highest rate the server sustains: answers a second with 64 calls in flight.
      std::atomic<uint64_t> answers{0};
      absl::Time start;
      {
        PacedClient flat_out(
            commands.get(), teacher, 1'000'000, "max", [&](uint64_t, absl::Time) { ++answers; },
            /*max_in_flight=*/64);
        absl::SleepFor(absl::Seconds(1));  // warm-up, not counted
        answers = 0;
        start = absl::Now();
        absl::SleepFor(slice);
        per_s = static_cast<int>(answers / absl::ToDoubleSeconds(absl::Now() - start));
      }
      PrintRate(json, "sustained_commands", per_s, "commands");
    }
    {
      PacedClient load(
          commands.get(), teacher, per_s, "lag",
          [&](uint64_t position, absl::Time at) {
            absl::MutexLock lock(&mu);
            answered.emplace_back(position, at);
          },
          /*max_in_flight=*/256);
      const absl::Time start = absl::Now();
      while (absl::Now() - start < slice) {
        const std::optional<uint64_t> views = views_reached();
        if (!views.has_value()) Die("status failed");
        reached.emplace_back(*views, absl::Now());
        absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_lag_poll_ms)));
      }
    }
    std::vector<uint32_t> lags;
    absl::MutexLock lock(&mu);
    std::sort(answered.begin(), answered.end());
    size_t r = 0;
    for (const auto& [position, at] : answered) {
      while (r < reached.size() && (reached[r].first < position || reached[r].second < at)) ++r;
      if (r == reached.size()) break;
      lags.push_back(static_cast<uint32_t>(absl::ToInt64Microseconds(reached[r].second - at)));
    }
    Samples lag;
    lag.Add(std::move(lags), absl::ToDoubleSeconds(slice));
    PrintFigures(json, "projection_lag", "commands_per_s", per_s, Summarize(lag));
    fprintf(stderr, "views_bench: %zu commands answered in the lag run (%d/s asked)\n",
            answered.size(), per_s);
  }
  auto stopped = server->Stop();
  return stopped.ok() && *stopped == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hotspot::bench::Main();
}
