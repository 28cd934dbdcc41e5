// What operators watch a real hotspotd by: /metrics scraped over HTTP and parsed as Prometheus
// text, the health service per service, reflection v1 and v1alpha (buf curl, and a reflection
// client), and JSON log lines that carry the caller's W3C trace id.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "store/test_util.h"
#include "tests/e2e/metrics_scrape.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using store::testing::TempDir;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";

class ObservabilityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    metrics_dir_ = new TempDir;
    absl::StatusOr<std::unique_ptr<SuiteServer>> started = StartSuiteServer(
        HOTSPOTD_PATH,
        {"--demo", "--sync=true", "--log_format=json", "--metrics_listen=127.0.0.1:0",
         "--metrics_port_file=" + metrics_dir_->Sub("metrics.port")});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    ASSERT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(ReadAll(metrics_dir_->Sub("metrics.port"))), &metrics_port_));
  }
  static void TearDownTestSuite() {
    delete suite_;
    delete metrics_dir_;
  }

  static Scrape ScrapeMetrics() {
    const std::string text = HttpGet(metrics_port_, "/metrics");
    EXPECT_FALSE(text.empty());
    return Scrape(text);
  }

  static std::map<std::string, std::string> Rpc(const std::string& service,
                                                const std::string& method,
                                                const std::string& code = "") {
    std::map<std::string, std::string> labels = {
        {"grpc_service", service}, {"grpc_method", method}, {"grpc_type", "unary"}};
    if (!code.empty()) labels["grpc_code"] = code;
    return labels;
  }

  static grpc::Status Ping(const std::string& traceparent = "") {
    grpc::ClientContext context;
    if (!traceparent.empty()) context.AddMetadata("traceparent", traceparent);
    v1::PingResponse response;
    return v1::AdminService::NewStub(suite_->channel)->Ping(&context, v1::PingRequest(), &response);
  }

  static SuiteServer* suite_;
  static TempDir* metrics_dir_;
  static int metrics_port_;
};

SuiteServer* ObservabilityTest::suite_ = nullptr;
TempDir* ObservabilityTest::metrics_dir_ = nullptr;
int ObservabilityTest::metrics_port_ = 0;

// Reads the health of `service` with Watch until it is `wanted` (true) or the stream ends
// (false): the server sends the status at once and then each change.
bool WatchUntil(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                HealthCheckResponse::ServingStatus wanted) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  HealthCheckRequest request;
  request.set_service(service);
  auto reader = grpc::health::v1::Health::NewStub(channel)->Watch(&context, request);
  HealthCheckResponse response;
  while (reader->Read(&response)) {
    if (response.status() == wanted) {
      context.TryCancel();
      return true;
    }
  }
  return false;
}

HealthCheckResponse::ServingStatus Check(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service, grpc::Status* status) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  *status = grpc::health::v1::Health::NewStub(channel)->Check(&context, request, &response);
  return response.status();
}

TEST_F(ObservabilityTest, MetricsMoveAsCallsAreMade) {
  const scenario::Cast& cast = suite_->cast;
  EXPECT_EQ(HttpGet(metrics_port_, "/"), "");  // nothing but /metrics
  const Scrape before = ScrapeMetrics();
  const auto ping_ok = Rpc("hotspot.v1.AdminService", "Ping", "OK");
  const auto refer_denied = Rpc("hotspot.v1.CommandService", "ReferYouth", "PERMISSION_DENIED");
  const auto refer_ok = Rpc("hotspot.v1.CommandService", "ReferYouth", "OK");
  const double pings = std::max(0.0, before.Value("grpc_server_handled_total", ping_ok));
  const double denied = std::max(0.0, before.Value("grpc_server_handled_total", refer_denied));
  const double referred = std::max(0.0, before.Value("grpc_server_handled_total", refer_ok));
  const double ping_latencies = std::max(0.0, before.Value("grpc_server_handling_seconds_count",
                                                           Rpc("hotspot.v1.AdminService", "Ping")));

  // An OK call and a refused one.
  ASSERT_TRUE(Ping().ok());
  const CallResult refused =
      suite_->commands->Call(suite_->stranger, scenario::SampleReferral(8100, "obs-refused"));
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A command: one append, made durable by one fsync.
  const CallResult ok =
      suite_->commands->Call(cast.school_member, scenario::SampleReferral(8101, "obs-referral"));
  ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
  const Scrape after_calls = ScrapeMetrics();
  EXPECT_EQ(after_calls.Value("grpc_server_handled_total", ping_ok), pings + 1);
  EXPECT_EQ(after_calls.Value("grpc_server_handled_total", refer_denied), denied + 1);
  EXPECT_EQ(after_calls.Value("grpc_server_handled_total", refer_ok), referred + 1);
  EXPECT_EQ(after_calls.Value("grpc_server_handling_seconds_count",
                              Rpc("hotspot.v1.AdminService", "Ping")),
            ping_latencies + 1);
  EXPECT_GE(after_calls.Value("grpc_server_handling_seconds_bucket",
                              {{"grpc_service", "hotspot.v1.AdminService"},
                               {"grpc_method", "Ping"},
                               {"grpc_type", "unary"},
                               {"le", "+Inf"}}),
            ping_latencies + 1);
  EXPECT_GE(after_calls.Value("hotspot_store_commit_appends_count"),
            before.Value("hotspot_store_commit_appends_count") + 1);
  EXPECT_GE(after_calls.Value("hotspot_store_commit_appends_sum"),
            before.Value("hotspot_store_commit_appends_sum") + 1);
  EXPECT_GE(after_calls.Value("hotspot_store_fsync_seconds_count"),
            before.Value("hotspot_store_fsync_seconds_count") + 1);
  EXPECT_GT(after_calls.Value("hotspot_store_fsync_seconds_sum"),
            before.Value("hotspot_store_fsync_seconds_sum"));
  EXPECT_GE(after_calls.Value("hotspot_store_events_written_total"),
            before.Value("hotspot_store_events_written_total") + 1);
  EXPECT_GE(after_calls.Value("hotspot_store_head_position"), ok.response.position());
  EXPECT_EQ(after_calls.Value("hotspot_store_accepting_writes"), 1);
  EXPECT_EQ(after_calls.Value("hotspot_store_witness_failures_total"), 0);
  EXPECT_LE(after_calls.Value("hotspot_store_witnessed_position"),
            after_calls.Value("hotspot_store_head_position"));

  // A read of a youth's data: one access record.
  {
    v1::GetCaseRequest request;
    request.set_youth_id(ok.response.id());
    request.set_min_position(ok.response.position());
    v1::GetCaseResponse response;
    auto context = suite_->As(cast.chief);
    ASSERT_TRUE(v1::QueryService::NewStub(suite_->channel)
                    ->GetCase(context.get(), request, &response)
                    .ok());
  }
  const Scrape after_read = ScrapeMetrics();
  EXPECT_EQ(after_read.Value("hotspot_access_log_records_written_total"),
            after_calls.Value("hotspot_access_log_records_written_total") + 1);
  // Every view has reached the read's position at least.
  const std::map<std::string, double> positions = after_read.Family("hotspot_view_position");
  EXPECT_FALSE(positions.empty());
  for (const auto& [view, position] : positions) {
    EXPECT_GE(position, ok.response.position()) << view;
  }
  EXPECT_EQ(positions.size(), after_read.Family("hotspot_view_lag_events").size());
  EXPECT_EQ(after_read.Value("hotspot_projection_failed"), 0);

  // RocksDB's memory, under the budget's defaults: the demo's and the calls' writes are in the
  // memtables, the case read went through the block cache.
  EXPECT_GT(after_read.Value("hotspot_storage_memtable_bytes"), 0);
  EXPECT_LE(after_read.Value("hotspot_storage_memtable_bytes"), 128 << 20);
  EXPECT_GT(after_read.Value("hotspot_storage_block_cache_bytes"), 0);
  EXPECT_LE(after_read.Value("hotspot_storage_block_cache_bytes"), 64 << 20);
  EXPECT_LE(after_read.Value("hotspot_storage_block_cache_pinned_bytes"),
            after_read.Value("hotspot_storage_block_cache_bytes"));

  // A subscriber, while its call is open.
  EXPECT_EQ(after_read.Value("hotspot_subscribers"), 0);
  EXPECT_EQ(after_read.Value("hotspot_subscribers_max"), 64);
  {
    v1::SubscribeRequest request;
    request.set_from_position(after_read.Value("hotspot_store_head_position") + 1);
    auto context = suite_->As(cast.auditor, "");
    auto reader =
        v1::SubscriptionService::NewStub(suite_->channel)->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    ASSERT_TRUE(reader->Read(&response));  // caught up: the call is open
    EXPECT_EQ(ScrapeMetrics().Value("hotspot_subscribers"), 1);
    context->TryCancel();
    while (reader->Read(&response)) {
    }
  }

  // The erasure executor's and the deadline process's state.
  EXPECT_GE(after_read.Value("hotspot_erasure_executor_erasures_total"), 0);
  EXPECT_GE(after_read.Value("hotspot_erasure_executor_position"), 1);
  EXPECT_EQ(after_read.Value("hotspot_erasure_executor_failed"), 0);
  EXPECT_GE(after_read.Value("hotspot_deadline_passes_total"), 0);
  EXPECT_GE(after_read.Value("hotspot_deadline_consecutive_failed_passes"), 0);
  EXPECT_GE(after_read.Value("hotspot_deadline_last_pass_timestamp_seconds"), 0);
}

TEST_F(ObservabilityTest, EachServiceIsServingOnceTheViewsHaveCaughtUp) {
  for (const char* service :
       {"", "hotspot.v1.CommandService", "hotspot.v1.QueryService", "hotspot.v1.AuditService",
        "hotspot.v1.SubscriptionService", "hotspot.v1.AdminService"}) {
    EXPECT_TRUE(WatchUntil(suite_->channel, service, HealthCheckResponse::SERVING)) << service;
    grpc::Status status;
    EXPECT_EQ(Check(suite_->channel, service, &status), HealthCheckResponse::SERVING) << service;
    EXPECT_TRUE(status.ok()) << service;
  }
  grpc::Status status;
  Check(suite_->channel, "hotspot.v1.NoSuchService", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

// buf curl (npm, pinned) lists every method of every service through reflection, with either
// version of the reflection protocol.
TEST_F(ObservabilityTest, BufCurlListsEveryMethodThroughReflectionV1AndV1alpha) {
  std::vector<std::string> expected = {
      "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch",
      "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"};
  for (const char* name :
       {"hotspot.v1.CommandService", "hotspot.v1.QueryService", "hotspot.v1.AuditService",
        "hotspot.v1.SubscriptionService", "hotspot.v1.AdminService"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      expected.push_back(absl::StrCat(name, "/", service->method(i)->name()));
    }
  }
  for (const char* protocol : {"grpc-v1", "grpc-v1alpha"}) {
    const std::string command =
        absl::StrCat(BUF_PATH, " curl --protocol grpc --http2-prior-knowledge --reflect-protocol ",
                     protocol, " --list-methods http://", suite_->process->address(), " 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    ASSERT_EQ(pclose(pipe), 0) << protocol << ": " << output;
    std::set<std::string> listed = absl::StrSplit(output, '\n', absl::SkipEmpty());
    for (const std::string& method : expected) {
      EXPECT_TRUE(listed.count(method)) << protocol << " lacks " << method << ": " << output;
    }
    EXPECT_EQ(listed.size(), expected.size()) << protocol << ": " << output;
  }
}

// A reflection v1 client describes a method from what the server sends: the file that declares
// it and, transitively, every file it imports.
TEST_F(ObservabilityTest, ReflectionV1DescribesAMethod) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = grpc::reflection::v1::ServerReflection::NewStub(suite_->channel)
                    ->ServerReflectionInfo(&context);
  grpc::reflection::v1::ServerReflectionRequest request;
  grpc::reflection::v1::ServerReflectionResponse response;

  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::set<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.insert(s.name());
  EXPECT_EQ(
      services,
      (std::set<std::string>{
          "hotspot.v1.CommandService", "hotspot.v1.QueryService", "hotspot.v1.AuditService",
          "hotspot.v1.SubscriptionService", "hotspot.v1.AdminService", "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}));

  request.set_file_containing_symbol("hotspot.v1.QueryService.GetCase");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(response.has_file_descriptor_response()) << response.DebugString();
  google::protobuf::DescriptorPool pool;
  // Imports come after their importer: build the files in any order by retrying.
  std::vector<google::protobuf::FileDescriptorProto> files;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    files.emplace_back().ParseFromString(bytes);
  }
  for (size_t round = 0; round < files.size(); ++round) {
    for (const auto& file : files) {
      if (pool.FindFileByName(file.name()) != nullptr) continue;
      bool ready = true;
      for (const std::string& import : file.dependency())
        ready &= pool.FindFileByName(import) != nullptr;
      if (ready) pool.BuildFile(file);
    }
  }
  const google::protobuf::MethodDescriptor* method =
      pool.FindMethodByName("hotspot.v1.QueryService.GetCase");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->input_type()->full_name(), "hotspot.v1.GetCaseRequest");
  EXPECT_EQ(method->output_type()->full_name(), "hotspot.v1.GetCaseResponse");
  EXPECT_NE(method->input_type()->FindFieldByName("youth_id"), nullptr);
  EXPECT_NE(method->input_type()->FindFieldByName("min_position"), nullptr);

  request.set_file_containing_symbol("grpc.health.v1.Health");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.file_descriptor_response().file_descriptor_proto_size(), 1);
  google::protobuf::FileDescriptorProto health;
  health.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0));
  EXPECT_EQ(health.package(), "grpc.health.v1");

  request.set_file_containing_symbol("hotspot.v1.NoSuchThing");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// With --log_format=json every line is a JSON object, and the line about a call carries the
// trace id of the traceparent it came with.
TEST_F(ObservabilityTest, JsonLogLinesCarryTheCallersTraceId) {
  ASSERT_TRUE(Ping(absl::StrCat("00-", kTraceId, "-00f067aa0ba902b7-01")).ok());
  ASSERT_TRUE(Ping("00-not-a-traceparent").ok());
  const std::string log = ReadAll(suite_->process->log_file());
  std::vector<std::string> traced;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"") && absl::EndsWith(line, "}")) << line;
    if (absl::StrContains(line, kTraceId)) traced.emplace_back(line);
  }
  ASSERT_EQ(traced.size(), 1u) << log;
  EXPECT_TRUE(absl::StrContains(traced[0], "\"level\":\"INFO\"")) << traced[0];
  EXPECT_TRUE(absl::StrContains(traced[0], "\"event\":\"rpc\"")) << traced[0];
  EXPECT_TRUE(absl::StrContains(traced[0], "\"method\":\"/hotspot.v1.AdminService/Ping\""))
      << traced[0];
  EXPECT_TRUE(absl::StrContains(traced[0], "\"code\":\"OK\"")) << traced[0];
  EXPECT_TRUE(absl::StrContains(traced[0], absl::StrCat("\"trace_id\":\"", kTraceId, "\"")))
      << traced[0];
  // Every line parses as JSON (Python's parser, as a log collector's would).
  const std::string check = absl::StrCat(
      "python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' ",
      suite_->process->log_file());
  EXPECT_EQ(std::system(check.c_str()), 0);
}

// Metrics show no personal data, but how busy the service is: beyond loopback only when asked.
TEST(MetricsFlagsTest, MetricsBeyondLoopbackNeedTheirOwnFlag) {
  TempDir dir;
  std::string output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                      {"--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("d"), "--demo",
                       "--metrics_listen=0.0.0.0:0"},
                      &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "metrics_listen: plaintext is served on loopback only"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "--metrics_allow_remote")) << output;
  EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                      {"--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("d"), "--demo",
                       "--log_format=xml"},
                      &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "log_format: text or json")) << output;
}

// A disk that stops syncing under the event store: the store refuses appends, and the health of
// the command side (and of the server as a whole) turns NOT_SERVING while the read side stays
// SERVING. The failed command's log line carries its trace id. Once the disk syncs again the
// store resumes by itself: SERVING again, and a command succeeds, without a restart.
TEST(HealthTest, CommandsAreNotServingWhileTheStoreRefusesWritesAndServingOnceItResumes) {
  TempDir dir;
  const std::string trigger = dir.Sub("fail-syncs-now");
  setenv("LD_PRELOAD", FAIL_SYNC_PRELOAD_PATH, 1);
  setenv("HOTSPOT_FAIL_SYNC_WHEN", trigger.c_str(), 1);
  // The event store's files only (<suite's directory>/data/events/): not the key store's, the
  // views' or the access log's.
  setenv("HOTSPOT_FAIL_SYNC_PATHS_WITH", "/data/events/", 1);
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true"});
  unsetenv("LD_PRELOAD");
  ASSERT_TRUE(suite.ok()) << suite.status();
  const std::shared_ptr<grpc::Channel>& channel = (*suite)->channel;
  ASSERT_TRUE(WatchUntil(channel, "", HealthCheckResponse::SERVING));
  ASSERT_TRUE(WatchUntil(channel, "hotspot.v1.CommandService", HealthCheckResponse::SERVING));

  std::ofstream(trigger) << "now\n";
  grpc::ClientContext context;
  context.AddMetadata("authorization",
                      "Bearer " + (*suite)->tokens.at((*suite)->cast.school_member.person));
  context.AddMetadata("traceparent", absl::StrCat("00-", kTraceId, "-00f067aa0ba902b7-01"));
  v1::CommandResponse response;
  const grpc::Status failed = v1::CommandService::NewStub(channel)->ReferYouth(
      &context, scenario::SampleReferral(8200, "obs-disk-failed"), &response);
  EXPECT_FALSE(failed.ok());

  EXPECT_TRUE(WatchUntil(channel, "hotspot.v1.CommandService", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(WatchUntil(channel, "", HealthCheckResponse::NOT_SERVING));
  grpc::Status status;
  EXPECT_EQ(Check(channel, "hotspot.v1.QueryService", &status), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(channel, "hotspot.v1.SubscriptionService", &status),
            HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(channel, "hotspot.v1.CommandService", &status), HealthCheckResponse::NOT_SERVING);

  const std::string log = ReadAll((*suite)->process->log_file());
  bool logged = false;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    logged |= absl::StrContains(line, "event=command_failed command=ReferYouthRequest") &&
              absl::StrContains(line, absl::StrCat("trace_id=", kTraceId));
  }
  EXPECT_TRUE(logged) << log;

  std::remove(trigger.c_str());  // the disk is well again
  EXPECT_TRUE(WatchUntil(channel, "hotspot.v1.CommandService", HealthCheckResponse::SERVING));
  EXPECT_TRUE(WatchUntil(channel, "", HealthCheckResponse::SERVING));
  grpc::ClientContext again;
  again.AddMetadata("authorization",
                    "Bearer " + (*suite)->tokens.at((*suite)->cast.school_member.person));
  const grpc::Status resumed = v1::CommandService::NewStub(channel)->ReferYouth(
      &again, scenario::SampleReferral(8201, "obs-disk-resumed"), &response);
  ASSERT_TRUE(resumed.ok()) << resumed.error_message();
  EXPECT_GT(response.position(), 0u);
}

}  // namespace
}  // namespace hotspot::testing
