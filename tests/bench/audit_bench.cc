// audit_bench: the audit and subscription surfaces, and what the access log costs GetCase.
//
//   audit_bench [--json] [--dir=build/bench-audit] [--events=300000] [--seconds=3]
//
// 1. Builds the Sjælør scenario with enough youths for `--events` events, in process, fsync off
//    (not measured), plus one youth whose case has 1,000 events (referral, then shared
//    concerns).
// 2. Starts hotspotd's server in this process on that data (fsync on, deadlines off) and waits
//    for the views.
//    case_history_1000: AuditService.GetCaseHistory of that youth, one client, one call at a
//      time, every response received and decoded: latency per call.
//    case_history_1000_raw (issue 16 §3): the same 1,000 stored records read with one MultiGet
//      and streamed as opaque bytes in the same batches, by a server in this process beside
//      hotspotd's (raw_baseline.h); measured alternating with the above, --subscription_rounds
//      rounds each; case_history_1000_vs_raw: the ratio of their p50s. Then both again with
//      the access log fsynced every 100 ms instead of before every answer
//      (case_history_1000_fsync_100ms, case_history_1000_raw_2, and their ratio): what the
//      history costs beside its records' fsyncs.
//    subscription_catchup: SubscriptionService.Subscribe from position 1 (an integration, no
//      filter, max_batch 10,000) until caught up: events received and decoded per second
//      (median of 3).
//    subscription_catchup_raw: the log's stored records from position 1, in the same batches,
//      as opaque bytes (alternating with the above); subscription_catchup_vs_raw: the ratio.
// 3. get_case_logged / get_case_unlogged: GetCase of one demo case, one client, one call at a time,
//    with the access log (its default fsync interval, --access_log_sync_ms) and without it
//    (ServerOptions::record_access off, which no flag offers); and get_case_logged_fsync_100ms /
//    get_case_logged_fsync_each, with the access log fsynced every 100 ms and before every
//    answer; on the same data, alternating, two rounds each.
//
// With --json, one JSON object per line per measurement ("bench" one of "case_history_1000",
// "case_history_1000_raw", "subscription_catchup", "subscription_catchup_raw", "get_case_logged",
// "get_case_unlogged", and ratios named "<measurement>_vs_<baseline>").
// Figures are printed, never asserted.
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/audit/audit_handler.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "services/server/server.h"
#include "store/event_store.h"
#include "raw_baseline.pb.h"
#include "raw_baseline.grpc.pb.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/raw_baseline.h"
#include "tests/e2e/command_client.h"

ABSL_FLAG(bool, json, false, "print one JSON object per line per measurement");
ABSL_FLAG(std::string, dir, "build/bench-audit", "scratch directory (emptied first)");
ABSL_FLAG(int, events, 300'000, "events in the log to build (approximately, at least)");
ABSL_FLAG(double, seconds, 3, "seconds per latency measurement");
ABSL_FLAG(int, subscription_rounds, 3,
          "rounds of each measurement against its raw baseline, alternating (for catch-up the "
          "median is printed)");

namespace hotspot::bench {
namespace {

template <typename T>
T Must(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

// The log: the scenario, and one youth with a 1,000-event case. Returns that youth.
std::string BuildLog(const std::string& data, int events, std::string* demo_youth) {
  security::KeyStoreOptions key_options;
  key_options.master_key_file = data + "/master.key";
  key_options.sync = false;
  key_options.defer_new_keys = true;
  auto keys = Must(security::KeyStore::Open(key_options, data + "/keys"), "key store");
  security::Sealer sealer(keys.get());
  store::Options options;
  options.sync = false;
  security::KeyStore* raw_keys = keys.get();
  options.before_write = [raw_keys] { return raw_keys->Sync(); };
  auto log = Must(store::EventStore::Open(std::move(options), data + "/events"), "event store");
  scenario::HandlerSink sink(log.get(), &sealer);
  scenario::ScenarioOptions scenario;
  scenario.youths = std::max(40, static_cast<int>(events / 2.6) + 1);
  const absl::Time start = absl::Now();
  *demo_youth = Must(scenario::BuildSjaelor(sink, scenario), "scenario").youth_ids.at(0);
  const scenario::Cast cast = scenario::SjaelorCast();
  const absl::Time now = absl::Now();
  const v1::CommandResponse referred =
      Must(sink.Send(cast.school_member, scenario::SampleReferral(1, "bench-long-case"), now),
           "referral");
  const std::string youth = referred.id();
  for (int i = 1; i < 1000; ++i) {
    v1::ShareConcernRequest share;
    share.set_request_id(absl::StrCat("bench-long-case-", i));
    share.set_youth_id(youth);
    share.set_agency_id("agency-school-sjaelor");
    share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
    share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
    share.set_text(absl::StrCat("Absent again, week ", i));
    share.add_recipient_agency_ids("agency-club-sjaelor");
    share.set_necessity("The club can keep him busy after school");
    Must(sink.Send(cast.school_member, share, now), "share concern");
  }
  fprintf(stderr, "audit_bench: built %llu events in %.0f s\n",
          static_cast<unsigned long long>(log->HeadPosition()),
          absl::ToDoubleSeconds(absl::Now() - start));
  return youth;
}

struct Running {
  std::unique_ptr<server::HotspotServer> server;
  std::shared_ptr<grpc::Channel> channel;
};

// `sync`: the access log's fsync interval (zero: before every answer).
Running StartServer(const std::string& dir, bool record_access,
                    absl::Duration sync = server::ServerOptions().access_log_sync_interval) {
  server::ServerOptions options;
  options.access_log_sync_interval = sync;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir + "/data";
  options.tokens_file = dir + "/tokens";
  options.deadline_interval = absl::ZeroDuration();
  options.record_access = record_access;
  Running running;
  running.server = Must(server::HotspotServer::Start(std::move(options)), "hotspotd");
  running.channel =
      grpc::CreateChannel(running.server->address(), grpc::InsecureChannelCredentials());
  return running;
}

// `text`: the purpose carries a free text, which the access log seals under the youth's key.
std::unique_ptr<grpc::ClientContext> As(const std::string& token, bool purpose = true,
                                        bool text = false) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  if (purpose) {
    context->AddMetadata(
        "purpose", text ? "case_coordination: preparing the weekly meeting" : "case_coordination");
  }
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  return context;
}

// Calls `call` back to back for `seconds`; its latencies.
Samples Measure(double seconds, const std::function<void()>& call) {
  Samples samples;
  std::vector<uint32_t> latencies;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  while (absl::Now() < end) {
    const absl::Time begin = absl::Now();
    call();
    latencies.push_back(MicrosSince(begin));
  }
  samples.Add(std::move(latencies), absl::ToDoubleSeconds(absl::Now() - start));
  return samples;
}

int Main() {
  const bool json = absl::GetFlag(FLAGS_json);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/data");
  std::string demo_youth;
  const std::string youth = BuildLog(dir + "/data", absl::GetFlag(FLAGS_events), &demo_youth);
  const scenario::Cast cast = scenario::SjaelorCast();
  const auto tokens = testing::WriteTokens(dir + "/tokens", cast.All());

  Running running = StartServer(dir, true);
  {
    // The views catch up first: the history waits for the head anyway.
    const absl::Time start = absl::Now();
    auto audit = v1::AuditService::NewStub(running.channel);
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    auto context = As(tokens.at(cast.auditor.person));
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(10)));
    auto reader = audit->GetCaseHistory(context.get(), request);
    v1::GetCaseHistoryResponse response;
    size_t events = 0;
    while (reader->Read(&response)) events += response.events_size();
    const grpc::Status status = reader->Finish();
    if (!status.ok()) Die("history: " + status.error_message());
    if (events != 1000) Die(absl::StrCat("history: ", events, " events, want 1000"));
    fprintf(stderr, "audit_bench: views caught up in %.0f s\n",
            absl::ToDoubleSeconds(absl::Now() - start));
  }

  // The raw baselines, served from this process beside hotspotd's server (raw_baseline.h).
  std::unique_ptr<RawBaselineServer> raw_server =
      Must(RawBaselineServer::Start(dir + "/data/events", dir + "/raw-secondary"), "raw baseline");
  grpc::ChannelArguments raw_arguments;
  raw_arguments.SetMaxReceiveMessageSize(-1);
  auto raw = RawBaseline::NewStub(grpc::CreateCustomChannel(
      raw_server->address(), grpc::InsecureChannelCredentials(), raw_arguments));
  const int rounds = std::max(1, absl::GetFlag(FLAGS_subscription_rounds));

  // case_history_1000, and case_history_1000_raw: the same 1,000 records with one MultiGet, sent
  // in the same batches; alternating, `rounds` rounds of seconds / rounds each.
  {
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    RawReadRequest raw_request;
    raw_request.set_max_batch(audit::AuditOptions().history_batch);
    auto history = [&](v1::AuditService::Stub& audit, bool keep_positions) {
      auto context = As(tokens.at(cast.auditor.person));
      auto reader = audit.GetCaseHistory(context.get(), request);
      v1::GetCaseHistoryResponse response;
      size_t events = 0;
      while (reader->Read(&response)) {
        events += response.events_size();
        for (const v1::StoredEvent& event : response.events()) {
          if (keep_positions) raw_request.add_positions(event.position());
        }
      }
      if (!reader->Finish().ok() || events != 1000) Die("history failed");
    };
    // The history through the server running now, alternating with the raw baseline.
    auto measure = [&]() -> std::pair<Figures, Figures> {
      auto audit = v1::AuditService::NewStub(running.channel);
      if (raw_request.positions().empty()) history(*audit, /*keep_positions=*/true);
      Samples real_samples, raw_samples;
      for (int round = 0; round < rounds; ++round) {
        Samples real = Measure(seconds / rounds, [&] { history(*audit, false); });
        real_samples.Add(std::move(real.latencies_us), real.seconds);
        Samples bytes = Measure(seconds / rounds, [&] {
          grpc::ClientContext context;
          auto reader = raw->History(&context, raw_request);
          RawBatch batch;
          size_t records = 0;
          while (reader->Read(&batch)) records += batch.records_size();
          if (!reader->Finish().ok() || records != 1000) Die("raw history failed");
        });
        raw_samples.Add(std::move(bytes.latencies_us), bytes.seconds);
      }
      return {Summarize(real_samples), Summarize(raw_samples)};
    };
    const auto [real, bytes] = measure();
    PrintFigures(json, "case_history_1000", "events", 1000, real);
    PrintFigures(json, "case_history_1000_raw", "events", 1000, bytes);
    PrintRatio(json, "case_history_1000_vs_raw", "p50", real.p50_us / bytes.p50_us);
    // The same with the access log fsynced every 100 ms instead of before every answer: what the
    // history costs beside its records' fsyncs.
    running.server->Shutdown(absl::Seconds(5));
    running = Running();
    running = StartServer(dir, /*record_access=*/true, absl::Milliseconds(100));
    const auto [real_100ms, bytes_100ms] = measure();
    PrintFigures(json, "case_history_1000_fsync_100ms", "events", 1000, real_100ms);
    PrintFigures(json, "case_history_1000_raw_2", "events", 1000, bytes_100ms);
    PrintRatio(json, "case_history_1000_fsync_100ms_vs_raw", "p50",
               real_100ms.p50_us / bytes_100ms.p50_us);
    running.server->Shutdown(absl::Seconds(5));
    running = Running();
    running = StartServer(dir, /*record_access=*/true);
  }

  // subscription_catchup, and subscription_catchup_raw: the log's records from position 1 in the
  // same batches (10,000 records, at most 1 MiB); alternating; the median of `rounds` each.
  {
    auto subscriptions = v1::SubscriptionService::NewStub(running.channel);
    std::vector<double> rates, raw_rates;
    uint64_t head = 0;
    for (int round = 0; round < rounds; ++round) {
      v1::SubscribeRequest request;
      request.set_from_position(1);
      request.set_max_batch(10'000);
      auto context = As(tokens.at(cast.integration.person), false);
      absl::Time start = absl::Now();
      auto reader = subscriptions->Subscribe(context.get(), request);
      v1::SubscribeResponse response;
      uint64_t events = 0;
      while (reader->Read(&response)) {
        events += response.events_size();
        if (response.caught_up()) break;
      }
      double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
      context->TryCancel();
      while (reader->Read(&response)) {
      }
      const grpc::Status status = reader->Finish();
      if (events == 0) Die("subscription: nothing received: " + status.error_message());
      head = events;
      rates.push_back(events / elapsed);

      RawReadRequest raw_request;
      raw_request.set_from_position(1);
      raw_request.set_max_batch(10'000);
      grpc::ClientContext raw_context;
      start = absl::Now();
      auto raw_reader = raw->CatchUp(&raw_context, raw_request);
      RawBatch batch;
      uint64_t records = 0;
      while (raw_reader->Read(&batch)) records += batch.records_size();
      elapsed = absl::ToDoubleSeconds(absl::Now() - start);
      if (!raw_reader->Finish().ok() || records < head) Die("raw catch-up failed");
      raw_rates.push_back(records / elapsed);
    }
    std::sort(rates.begin(), rates.end());
    std::sort(raw_rates.begin(), raw_rates.end());
    const double rate = rates[rates.size() / 2];
    const double raw_rate = raw_rates[raw_rates.size() / 2];
    for (const auto& [bench, per_s] : {std::pair{"subscription_catchup", rate},
                                       std::pair{"subscription_catchup_raw", raw_rate}}) {
      if (json) {
        printf("{\"bench\": \"%s\", \"events\": %llu, \"per_s\": %.0f}\n", bench,
               static_cast<unsigned long long>(head), per_s);
      } else {
        printf("%-24s %llu events %10.0f events/s (median)\n", bench,
               static_cast<unsigned long long>(head), per_s);
      }
    }
    PrintRatio(json, "subscription_catchup_vs_raw", "per_s", rate / raw_rate);
  }

  // get_case_logged (the default fsync interval) / get_case_logged_fsync_100ms and
  // get_case_logged_fsync_each (the access log fsynced every 100 ms, and before every answer) /
  // get_case_unlogged, alternating on the same data.
  Samples logged, logged_text, unlogged, every_100ms, every_answer;
  for (int round = 0; round < 8; ++round) {
    const bool record = round % 4 != 3;
    const absl::Duration sync = round % 4 == 1   ? absl::Milliseconds(100)
                                : round % 4 == 2 ? absl::ZeroDuration()
                                                 : server::ServerOptions().access_log_sync_interval;
    if (round > 0) running = StartServer(dir, record, sync);
    auto queries = v1::QueryService::NewStub(running.channel);
    v1::GetCaseRequest request;
    request.set_youth_id(demo_youth);
    for (int i = 0; i < 200; ++i) {  // warm up
      v1::GetCaseResponse response;
      queries->GetCase(As(tokens.at(cast.chief.person)).get(), request, &response);
    }
    auto measure = [&](bool text) {
      return Measure(seconds, [&] {
        v1::GetCaseResponse response;
        const grpc::Status status = queries->GetCase(
            As(tokens.at(cast.chief.person), true, text).get(), request, &response);
        if (!status.ok()) Die("GetCase: " + status.error_message());
      });
    };
    Samples samples = measure(false);
    (round % 4 == 0   ? logged
     : round % 4 == 1 ? every_100ms
     : round % 4 == 2 ? every_answer
                      : unlogged)
        .Add(samples.latencies_us, samples.seconds);
    if (round % 4 == 0) {
      Samples with_text = measure(true);
      logged_text.Add(with_text.latencies_us, with_text.seconds);
    }
    running.server->Shutdown(absl::Seconds(5));
    running = Running();
  }
  const Figures with = Summarize(logged);
  const Figures with_text = Summarize(logged_text);
  const Figures without = Summarize(unlogged);
  PrintFigures(json, "get_case_logged", "clients", 1, with);
  PrintFigures(json, "get_case_logged_purpose_text", "clients", 1, with_text);
  PrintFigures(json, "get_case_unlogged", "clients", 1, without);
  const Figures fsync_100ms = Summarize(every_100ms);
  const Figures fsync_each = Summarize(every_answer);
  PrintFigures(json, "get_case_logged_fsync_100ms", "clients", 1, fsync_100ms);
  PrintFigures(json, "get_case_logged_fsync_each", "clients", 1, fsync_each);
  PrintRatio(json, "get_case_logged_fsync_100ms_vs_unlogged", "p50",
             fsync_100ms.p50_us / without.p50_us);
  PrintRatio(json, "get_case_logged_fsync_each_vs_unlogged", "p50",
             fsync_each.p50_us / without.p50_us);
  PrintRatio(json, "get_case_logged_vs_unlogged", "p50", with.p50_us / without.p50_us);
  PrintRatio(json, "get_case_logged_purpose_text_vs_unlogged", "p50",
             with_text.p50_us / without.p50_us);
  return 0;
}

}  // namespace
}  // namespace hotspot::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return hotspot::bench::Main();
}
