// command_bench: durable commands over gRPC against a real hotspotd, next to Ping on the same
// server in the same run.
//
//   command_bench [--json] [--dir=build/bench-commands] [--seconds=2] [--rounds=3]
//                 [--in_flight=1,64] [--sync=true]
//
// It starts hotspotd (fsync on, unless --sync=false) on a fresh data directory, sets up the
// Sjælør Boulevard area over gRPC, then for each in-flight level keeps that many calls
// outstanding from one client (gRPC's callback API, one channel) for `seconds`, alternating
// Ping and ReferYouth slices over `rounds` rounds, because this machine's disk and CPU drift
// within minutes. Every ReferYouth is a new youth: a new stream, a new data key, sealed
// personal data and one durable append.
//
// With --json it prints one JSON object per line per measurement:
//   {"bench": "ping" | "command_refer", "in_flight": N, "per_s": X, "p50_us": Y, "p99_us": Z}
//   {"bench": "refer_vs_ping", "in_flight": N, "per_s_ratio": R}
// Figures are printed, never asserted.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/bench/bench_util.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/hotspotd_process.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "build/bench-commands", "scratch directory (emptied first)");
ABSL_FLAG(double, seconds, 2, "seconds per slice");
ABSL_FLAG(int, rounds, 3, "rounds of alternating slices");
ABSL_FLAG(std::string, in_flight, "1,64", "comma-separated calls kept outstanding");
ABSL_FLAG(bool, sync, true, "hotspotd --sync (fsync appends)");
ABSL_FLAG(std::string, hotspotd, HOTSPOTD_PATH, "the hotspotd binary");
ABSL_FLAG(std::string, hotspotd_flags, "", "more hotspotd flags, comma-separated");

namespace hotspot::bench {
namespace {

// Keeps `in_flight` calls outstanding for `duration`. `issue(slot, done)` starts one call and
// arranges for done(ok) to be called when it completes.
using Done = std::function<void(bool)>;
using Issue = std::function<void(int slot, Done done)>;

void ClosedLoop(int in_flight, absl::Duration duration, const Issue& issue, Samples* out,
                uint64_t* failures) {
  struct Loop {
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::atomic<uint64_t> failed{0};
    absl::Mutex mu;
    std::vector<uint32_t> latencies ABSL_GUARDED_BY(mu);
    absl::Notification finished;
  } loop;
  std::function<void(int)> next = [&](int slot) {
    if (loop.stop.load(std::memory_order_relaxed)) {
      if (loop.running.fetch_sub(1) == 1) loop.finished.Notify();
      return;
    }
    const absl::Time begin = absl::Now();
    issue(slot, [&, slot, begin](bool ok) {
      const uint32_t us = MicrosSince(begin);
      if (ok) {
        absl::MutexLock lock(&loop.mu);
        loop.latencies.push_back(us);
      } else {
        loop.failed.fetch_add(1);
      }
      next(slot);
    });
  };
  const absl::Time start = absl::Now();
  loop.running = in_flight;
  for (int slot = 0; slot < in_flight; ++slot) next(slot);
  absl::SleepFor(duration);
  loop.stop = true;
  loop.finished.WaitForNotification();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  absl::MutexLock lock(&loop.mu);
  out->Add(std::move(loop.latencies), elapsed);
  *failures += loop.failed.load();
}

// One outstanding call: its context and messages live until it completes.
template <typename Request, typename Response>
struct Slot {
  std::unique_ptr<grpc::ClientContext> context;
  Request request;
  Response response;
};

int Main() {
  const bool json = absl::GetFlag(FLAGS_json);
  const absl::Duration slice = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::vector<int> levels;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_in_flight), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 4096) Die("--in_flight: 1 to 4096 each");
    levels.push_back(n);
  }

  const std::string dir = absl::GetFlag(FLAGS_dir);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const scenario::Cast cast = scenario::SjaelorCast();
  const auto tokens = testing::WriteTokens(dir + "/tokens", cast.All());
  std::vector<std::string> server_flags = {"--tokens_file=" + dir + "/tokens",
                                           absl::StrCat("--sync=", absl::GetFlag(FLAGS_sync)),
                                           "--deadline_interval_s=0"};
  for (absl::string_view flag :
       absl::StrSplit(absl::GetFlag(FLAGS_hotspotd_flags), ',', absl::SkipEmpty())) {
    server_flags.emplace_back(flag);
  }
  absl::StatusOr<testing::HotspotdProcess> server =
      testing::HotspotdProcess::Start(absl::GetFlag(FLAGS_hotspotd), dir + "/data", server_flags);
  if (!server.ok()) Die(std::string(server.status().message()));

  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  {
    testing::CommandClient setup(channel);
    for (const auto& [person, token] : tokens) setup.AddToken(person, token);
    scenario::ScenarioOptions options;
    options.backdate = false;
    options.youths = 0;
    options.request_prefix = "bench-setup";
    absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(setup, options);
    if (!built.ok()) Die(std::string(built.status().message()));
  }
  auto admin = v1::AdminService::NewStub(channel);
  auto commands = v1::CommandService::NewStub(channel);
  const std::string bearer = "Bearer " + tokens.at(cast.school_member.person);

  const int max_slots = *std::max_element(levels.begin(), levels.end());
  std::vector<Slot<v1::PingRequest, v1::PingResponse>> pings(max_slots);
  std::vector<Slot<v1::ReferYouthRequest, v1::CommandResponse>> refers(max_slots);
  std::atomic<uint64_t> sequence{0};
  const Issue ping = [&](int i, Done done) {
    auto& s = pings[i];
    s.context = std::make_unique<grpc::ClientContext>();
    s.request.set_payload("ping");
    admin->async()->Ping(s.context.get(), &s.request, &s.response,
                         [done](grpc::Status status) { done(status.ok()); });
  };
  const Issue refer = [&](int i, Done done) {
    auto& s = refers[i];
    s.context = std::make_unique<grpc::ClientContext>();
    s.context->AddMetadata("authorization", bearer);
    const uint64_t n = sequence.fetch_add(1);
    s.request = scenario::SampleReferral(static_cast<int>(n % 100000), absl::StrCat("bench-", n));
    commands->async()->ReferYouth(
        s.context.get(), &s.request, &s.response, [done](grpc::Status status) {
          if (!status.ok()) {
            fprintf(stderr, "refer: %s\n", status.error_message().c_str());
          }
          done(status.ok());
        });
  };

  std::vector<Samples> ping_samples(levels.size()), refer_samples(levels.size());
  uint64_t failures = 0;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (size_t l = 0; l < levels.size(); ++l) {
      ClosedLoop(levels[l], slice, ping, &ping_samples[l], &failures);
      ClosedLoop(levels[l], slice, refer, &refer_samples[l], &failures);
    }
  }
  for (size_t l = 0; l < levels.size(); ++l) {
    const Figures p = Summarize(ping_samples[l]);
    const Figures r = Summarize(refer_samples[l]);
    PrintFigures(json, "ping", "in_flight", levels[l], p);
    PrintFigures(json, "command_refer", "in_flight", levels[l], r);
    const double ratio = p.per_s > 0 ? r.per_s / p.per_s : 0;
    if (json) {
      printf("{\"bench\": \"refer_vs_ping\", \"in_flight\": %d, \"per_s_ratio\": %.2f}\n",
             levels[l], ratio);
    } else {
      printf("%-20s in_flight=%-3d command_refer/ping rate %.2fx\n", "ratio", levels[l], ratio);
    }
    fflush(stdout);
  }
  if (failures > 0)
    fprintf(stderr, "command_bench: %llu calls failed\n",
            static_cast<unsigned long long>(failures));
  absl::StatusOr<int> stopped = server->Stop();
  return failures == 0 && stopped.ok() && *stopped == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hotspot::bench::Main();
}
