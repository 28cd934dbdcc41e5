// Issue 14 §4, overload and abuse, against a real hotspotd: bad requests (undecodable bodies,
// huge and malformed ids, dates outside 1900-9999), the server's maximum deadline, the limits per
// principal and on connections, streams that hold no thread each, and a prompt shutdown with
// streams open.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "store/test_util.h"
#include "tests/e2e/hotspotd_process.h"
#include "tests/e2e/metrics_scrape.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using security::Principal;
using store::testing::TempDir;

// `bytes` sent as the request of `method` ("/hotspot.v1.QueryService/GetCase"), as is.
grpc::Status SendRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes, const std::string& token) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.AddMetadata("purpose", "case_coordination: overload test");
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

class BadRequestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<SuiteServer>> started = StartSuiteServer(HOTSPOTD_PATH, {"--demo"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
  }
  static void TearDownTestSuite() { delete suite_; }

  static const std::string& Token(const Principal& who) { return suite_->tokens.at(who.person); }
  static const scenario::Cast& Cast() { return suite_->cast; }

  // The status of query `call` as the chief.
  template <typename Request, typename Response, typename Call>
  static grpc::Status Query(Call call, const Request& request) {
    auto stub = v1::QueryService::NewStub(suite_->channel);
    Response response;
    return ((*stub).*call)(suite_->As(Cast().chief).get(), request, &response);
  }

  static SuiteServer* suite_;
};
SuiteServer* BadRequestTest::suite_ = nullptr;

// A body that is no protobuf message (a length past its end) answers INVALID_ARGUMENT naming the
// request's type, for a query, a command and a stream alike; a method no service has stays
// UNIMPLEMENTED.
TEST_F(BadRequestTest, AnUndecodableBodyIsInvalidArgumentNamingTheRequestType) {
  const std::string garbage("\x0a\xff\xff\xff\xff\x0f", 6);
  const struct {
    const char* method;
    const char* type;
  } cases[] = {
      {"/hotspot.v1.QueryService/GetCase", "hotspot.v1.GetCaseRequest"},
      {"/hotspot.v1.CommandService/ReferYouth", "hotspot.v1.ReferYouthRequest"},
      {"/hotspot.v1.AdminService/Ping", "hotspot.v1.PingRequest"},
  };
  for (const auto& c : cases) {
    const grpc::Status status = SendRaw(suite_->channel, c.method, garbage, Token(Cast().chief));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.method;
    EXPECT_EQ(status.error_message(), absl::StrCat("request: cannot be decoded as ", c.type))
        << c.method;
  }
  const grpc::Status unknown =
      SendRaw(suite_->channel, "/hotspot.v1.QueryService/NoSuchMethod", "", Token(Cast().chief));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// A 10 KB id: a short message that names the field and quotes a prefix, with the length.
TEST_F(BadRequestTest, AHugeIdGivesAShortMessage) {
  const std::string huge = "youth-" + std::string(10'000, 'a');
  v1::GetCaseRequest get;
  get.set_youth_id(huge);
  const grpc::Status by_id =
      Query<v1::GetCaseRequest, v1::GetCaseResponse>(&v1::QueryService::Stub::GetCase, get);
  EXPECT_EQ(by_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(by_id.error_message(), "youth_id: ")) << by_id.error_message();
  EXPECT_TRUE(absl::StrContains(by_id.error_message(), "(10006 bytes)")) << by_id.error_message();
  EXPECT_LT(by_id.error_message().size(), 200u);

  v1::ListCasesRequest list;
  list.set_area_id("area-" + std::string(10'000, 'x'));
  const grpc::Status by_area =
      Query<v1::ListCasesRequest, v1::ListCasesResponse>(&v1::QueryService::Stub::ListCases, list);
  EXPECT_EQ(by_area.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(by_area.error_message(), "area_id: ")) << by_area.error_message();
  EXPECT_LT(by_area.error_message().size(), 200u);

  // A command: the domain's own check quotes alike.
  v1::AcceptCommitmentRequest accept;
  accept.set_request_id("overload-huge-1");
  accept.set_commitment_id("commitment-" + std::string(10'000, 'c'));
  v1::CommandResponse response;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + Token(Cast().school_member));
  const grpc::Status command =
      v1::CommandService::NewStub(suite_->channel)->AcceptCommitment(&context, accept, &response);
  EXPECT_EQ(command.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(command.error_message(), "commitment_id: "))
      << command.error_message();
  EXPECT_LT(command.error_message().size(), 200u);
}

// Malformed ids in queries are INVALID_ARGUMENT naming the field: never PERMISSION_DENIED (the
// policy never sees them) nor NOT_FOUND (nor a lookup). A well-formed id of an area the caller
// does not cover is still PERMISSION_DENIED.
TEST_F(BadRequestTest, MalformedIdsInQueriesAreInvalidArgumentNamingTheField) {
  auto expect_invalid = [](const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), field + ": "))
        << status.error_message();
  };
  v1::ListCasesRequest cases;
  cases.set_area_id("bad area");
  expect_invalid(Query<v1::ListCasesRequest, v1::ListCasesResponse>(
                     &v1::QueryService::Stub::ListCases, cases),
                 "area_id");
  cases.set_area_id(scenario::kAreaId);
  cases.set_agency_id("police");
  expect_invalid(Query<v1::ListCasesRequest, v1::ListCasesResponse>(
                     &v1::QueryService::Stub::ListCases, cases),
                 "agency_id");
  v1::ListCommitmentsRequest commitments;
  commitments.set_area_id(scenario::kAreaId);
  commitments.set_owning_agency_id("agency-");
  expect_invalid(Query<v1::ListCommitmentsRequest, v1::ListCommitmentsResponse>(
                     &v1::QueryService::Stub::ListCommitments, commitments),
                 "owning_agency_id");
  v1::ListEscalationsRequest escalations;
  escalations.set_area_id(scenario::kAreaId);
  escalations.set_target_agency_id("agency-x y");
  expect_invalid(Query<v1::ListEscalationsRequest, v1::ListEscalationsResponse>(
                     &v1::QueryService::Stub::ListEscalations, escalations),
                 "target_agency_id");
  v1::ListMeetingsRequest meetings;
  meetings.set_area_id(scenario::kAreaId);
  meetings.set_body_id("Bad Body");
  expect_invalid(Query<v1::ListMeetingsRequest, v1::ListMeetingsResponse>(
                     &v1::QueryService::Stub::ListMeetings, meetings),
                 "body_id");
  v1::GetReportRequest report;
  report.set_area_id(scenario::kAreaId);
  report.set_report_id("x y");
  expect_invalid(Query<v1::GetReportRequest, v1::GetReportResponse>(
                     &v1::QueryService::Stub::GetReport, report),
                 "report_id");
  // A stream: the case's history.
  v1::GetCaseHistoryRequest history;
  history.set_youth_id("youth x");
  auto audit = v1::AuditService::NewStub(suite_->channel);
  auto context = suite_->As(Cast().chief);
  auto reader = audit->GetCaseHistory(context.get(), history);
  v1::GetCaseHistoryResponse page;
  while (reader->Read(&page)) {
  }
  expect_invalid(reader->Finish(), "youth_id");

  // Well-formed, another area: the policy refuses.
  cases.Clear();
  cases.set_area_id("area-elsewhere");
  const grpc::Status elsewhere = Query<v1::ListCasesRequest, v1::ListCasesResponse>(
      &v1::QueryService::Stub::ListCases, cases);
  EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Every AuditService request passes the read side's shared checks before any policy or lookup:
// a malformed id (here 1 KB long) is INVALID_ARGUMENT naming the field with a short message,
// unary and streaming alike, even for a caller the policy would refuse (the chief reads no
// access log); GetCaseAsOf's time must lie between 1900 and 9999, and a time before 1970 reads
// the log as it was then (empty).
TEST_F(BadRequestTest, AuditRequestsRunTheSharedChecks) {
  const std::string bad = "x y" + std::string(1000, 'z');
  auto audit = v1::AuditService::NewStub(suite_->channel);
  auto expect_invalid = [](const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message().substr(0, 300);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), field + ": "))
        << status.error_message().substr(0, 300);
    EXPECT_LT(status.error_message().size(), 200u) << field;
  };
  for (const Principal& who : {Cast().chief, suite_->dpo}) {
    SCOPED_TRACE(who.person);
    {
      v1::GetCaseAsOfRequest request;
      request.set_youth_id("youth-" + bad);
      request.set_position(1);
      v1::GetCaseAsOfResponse response;
      expect_invalid(audit->GetCaseAsOf(suite_->As(who).get(), request, &response), "youth_id");
    }
    {
      v1::ListAccessRecordsRequest request;
      request.set_youth_id(bad);
      v1::ListAccessRecordsResponse response;
      expect_invalid(audit->ListAccessRecords(suite_->As(who, "audit: check").get(), request,
                                              &response),
                     "youth_id");
    }
    {
      v1::ListErasureReviewsDueRequest request;
      request.set_area_id("area-" + bad);
      v1::ListErasureReviewsDueResponse response;
      expect_invalid(audit->ListErasureReviewsDue(suite_->As(who).get(), request, &response),
                     "area_id");
    }
    {
      v1::ExportSubjectAccessRequest request;
      request.set_youth_id(bad);
      v1::ExportSubjectAccessResponse response;
      expect_invalid(audit->ExportSubjectAccess(
                         suite_->As(who, "data_subject_request: check").get(), request, &response),
                     "youth_id");
      request.set_youth_id("youth-0001");
      request.set_subject_access_id(bad);
      expect_invalid(audit->ExportSubjectAccess(
                         suite_->As(who, "data_subject_request: check").get(), request, &response),
                     "subject_access_id");
    }
    {
      v1::GetCaseHistoryRequest request;
      request.set_youth_id(bad);
      auto context = suite_->As(who);
      auto reader = audit->GetCaseHistory(context.get(), request);
      v1::GetCaseHistoryResponse page;
      while (reader->Read(&page)) {
      }
      expect_invalid(reader->Finish(), "youth_id");
    }
    {
      v1::ExportAccessLogRequest request;
      request.set_youth_id(bad);
      auto context = suite_->As(who, "audit: check");
      auto reader = audit->ExportAccessLog(context.get(), request);
      v1::ExportAccessLogResponse page;
      while (reader->Read(&page)) {
      }
      expect_invalid(reader->Finish(), "youth_id");
    }
  }

  // Times: after 9999 and before 1900 refused naming the field; 1950 read (no case then).
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(1);
  v1::ListCasesResponse cases;
  ASSERT_TRUE(v1::QueryService::NewStub(suite_->channel)
                  ->ListCases(suite_->As(Cast().chief).get(), list, &cases)
                  .ok());
  ASSERT_EQ(cases.cases_size(), 1);
  const std::string youth = cases.cases(0).youth_id();
  for (const int64_t seconds : {int64_t{253402300800}, int64_t{-2208988801}}) {
    v1::GetCaseAsOfRequest request;
    request.set_youth_id(youth);
    request.mutable_time()->set_seconds(seconds);
    v1::GetCaseAsOfResponse response;
    expect_invalid(audit->GetCaseAsOf(suite_->As(suite_->dpo).get(), request, &response), "time");
  }
  v1::GetCaseAsOfRequest in_1950;
  in_1950.set_youth_id(youth);
  in_1950.mutable_time()->set_seconds(-631152000);  // 1950-01-01
  v1::GetCaseAsOfResponse then;
  const grpc::Status read_1950 = audit->GetCaseAsOf(suite_->As(suite_->dpo).get(), in_1950, &then);
  ASSERT_TRUE(read_1950.ok()) << read_1950.error_message();
  EXPECT_FALSE(then.has_case_view());
  EXPECT_EQ(then.position(), 0u);
}

// The access log's person filter (list-access-records, export-access-log --person) refuses
// what no principal's person can be (control characters, bidirectional overrides, spaces) as
// INVALID_ARGUMENT naming "person", without echoing it; a person's name is listed.
TEST_F(BadRequestTest, TheAccessLogsPersonFilterRefusesControlCharacters) {
  auto audit = v1::AuditService::NewStub(suite_->channel);
  for (const std::string& person :
       {std::string("chief-anna\x1b[2J"), std::string("chief\r\nanna"),
        std::string("chief-\xe2\x80\xae""anna"), std::string("chief anna")}) {
    v1::ListAccessRecordsRequest list;
    list.set_person(person);
    v1::ListAccessRecordsResponse listed;
    const grpc::Status status =
        audit->ListAccessRecords(suite_->As(suite_->dpo, "audit: check").get(), list, &listed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "person: ")) << status.error_message();
    EXPECT_FALSE(absl::StrContains(status.error_message(), person)) << status.error_message();

    v1::ExportAccessLogRequest export_request;
    export_request.set_person(person);
    auto context = suite_->As(suite_->dpo, "audit: check");
    auto reader = audit->ExportAccessLog(context.get(), export_request);
    v1::ExportAccessLogResponse page;
    while (reader->Read(&page)) {
    }
    const grpc::Status exported = reader->Finish();
    EXPECT_EQ(exported.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << exported.error_message();
    EXPECT_TRUE(absl::StartsWith(exported.error_message(), "person: "))
        << exported.error_message();
  }
  v1::ListAccessRecordsRequest list;
  list.set_person(Cast().chief.person);
  v1::ListAccessRecordsResponse listed;
  const grpc::Status named =
      audit->ListAccessRecords(suite_->As(suite_->dpo, "audit: check").get(), list, &listed);
  EXPECT_TRUE(named.ok()) << named.error_message();
}

// Dates outside 1900-9999 are refused naming the field, in queries and commands.
TEST_F(BadRequestTest, DatesOutside1900To9999AreRefusedNamingTheField) {
  for (const int year : {1899, 10000}) {
    v1::GetAreaDashboardRequest dashboard;
    dashboard.set_area_id(scenario::kAreaId);
    dashboard.mutable_period_start()->set_year(2025);
    dashboard.mutable_period_start()->set_month(1);
    dashboard.mutable_period_start()->set_day(1);
    *dashboard.mutable_period_end() = dashboard.period_start();
    dashboard.mutable_period_end()->set_year(year);
    const grpc::Status status = Query<v1::GetAreaDashboardRequest, v1::GetAreaDashboardResponse>(
        &v1::QueryService::Stub::GetAreaDashboard, dashboard);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << year;
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "period_end: ")) << status.error_message();

    v1::GetReportRequest report;
    report.set_area_id(scenario::kAreaId);
    *report.mutable_period_start() = dashboard.period_start();
    *report.mutable_period_end() = dashboard.period_end();
    const grpc::Status reported = Query<v1::GetReportRequest, v1::GetReportResponse>(
        &v1::QueryService::Stub::GetReport, report);
    EXPECT_EQ(reported.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << year;
    EXPECT_TRUE(absl::StartsWith(reported.error_message(), "period_end: "))
        << reported.error_message();

    v1::RecordMeasurementRequest measurement;
    measurement.set_request_id(absl::StrCat("overload-date-", year));
    measurement.set_area_id(scenario::kAreaId);
    measurement.set_measure("safety_index");
    measurement.set_value(1);
    measurement.set_source("test");
    measurement.mutable_measured_on()->set_year(year);
    measurement.mutable_measured_on()->set_month(1);
    measurement.mutable_measured_on()->set_day(1);
    v1::CommandResponse response;
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + Token(Cast().chief));
    const grpc::Status command = v1::CommandService::NewStub(suite_->channel)
                                     ->RecordMeasurement(&context, measurement, &response);
    EXPECT_EQ(command.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << year;
    EXPECT_TRUE(absl::StartsWith(command.error_message(), "measured_on: "))
        << command.error_message();
  }
}


// A unary call runs at most --max_call_deadline_s, whatever deadline its client gave: while the
// event store's fsync hangs, a command whose client would wait 60 s ends DEADLINE_EXCEEDED after
// the server's 1 s, naming the flag. Its work still holds one of the principal's calls
// (--max_calls_per_principal=2) until the disk answers. Once the disk is back, the server
// answers again.
TEST(HangingDiskTest, CallsEndAtTheMaximumDeadlineAndHoldTheirPrincipalsSlots) {
  TempDir dir;
  const std::string trigger = dir.Sub("hang-syncs-now");
  setenv("LD_PRELOAD", FAIL_SYNC_PRELOAD_PATH, 1);
  setenv("HOTSPOT_HANG_SYNC_WHEN", trigger.c_str(), 1);
  setenv("HOTSPOT_FAIL_SYNC_PATHS_WITH", "/data/events/", 1);
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true", "--max_call_deadline_s=1",
                                       "--max_calls_per_principal=2"});
  unsetenv("LD_PRELOAD");
  ASSERT_TRUE(suite.ok()) << suite.status();

  std::ofstream(trigger) << "now\n";
  const std::string teacher = (*suite)->tokens.at((*suite)->cast.school_member.person);
  auto refer = [&](int n) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + teacher);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::CommandResponse response;
    return v1::CommandService::NewStub((*suite)->channel)
        ->ReferYouth(&context, scenario::SampleReferral(8300 + n, absl::StrCat("dl-", n)),
                     &response);
  };
  for (int n = 1; n <= 2; ++n) {
    const absl::Time start = absl::Now();
    const grpc::Status status = refer(n);
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "max_call_deadline_s: "))
        << status.error_message();
    EXPECT_GE(took, absl::Milliseconds(900));
    EXPECT_LT(took, absl::Seconds(30));
  }
  // Both commands still wait for the disk, each holding one of the teacher's two calls: a third
  // is turned away at once, naming the limit. Another principal is not.
  const grpc::Status third = refer(3);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();
  EXPECT_TRUE(absl::StartsWith(third.error_message(), "max_calls_per_principal: "))
      << third.error_message();
  {
    v1::ListBodiesRequest bodies;
    bodies.set_area_id(scenario::kAreaId);
    v1::ListBodiesResponse listed;
    const grpc::Status chief = v1::QueryService::NewStub((*suite)->channel)
                                   ->ListBodies((*suite)->As((*suite)->cast.chief).get(), bodies,
                                                &listed);
    EXPECT_TRUE(chief.ok()) << chief.error_message();
    EXPECT_GT(listed.bodies_size(), 0);
  }
  std::remove(trigger.c_str());

  // The disk is back: the same request is answered (the first attempt's append completes).
  grpc::ClientContext again;
  again.AddMetadata("authorization",
                    "Bearer " + (*suite)->tokens.at((*suite)->cast.school_member.person));
  again.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::PingResponse pong;
  EXPECT_TRUE(v1::AdminService::NewStub((*suite)->channel)
                  ->Ping(&again, v1::PingRequest(), &pong)
                  .ok());
}

// A subscriber, one of `who`'s, from the log's end; its first response read (the caught-up
// mark), so that it holds its slot.
struct Subscriber {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;
  bool first = false;

  Subscriber(const SuiteServer& suite, const Principal& who) : context(suite.As(who, "", absl::Seconds(60))) {
    v1::SubscribeRequest request;
    request.set_from_end(true);
    reader = v1::SubscriptionService::NewStub(suite.channel)->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    first = reader->Read(&response);
  }
  // The call's status, reading what is left.
  grpc::Status End() {
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  }
  ~Subscriber() {
    if (reader != nullptr) {
      context->TryCancel();
      End();
    }
  }
};

// The issue measured one token holding all 64 subscriber slots. With the defaults, it holds 8;
// the ninth is RESOURCE_EXHAUSTED naming the limit, and another principal still subscribes.
TEST(SubscriberLimitTest, OneTokenCannotHoldEverySubscriberSlot) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(HOTSPOTD_PATH, {"--demo"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  const Principal& integration = (*suite)->cast.integration;
  std::vector<std::unique_ptr<Subscriber>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<Subscriber>(**suite, integration));
    ASSERT_TRUE(held.back()->first) << i;
  }
  Subscriber ninth(**suite, integration);
  EXPECT_FALSE(ninth.first);
  const grpc::Status refused = ninth.End();
  ninth.reader.reset();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_TRUE(absl::StartsWith(refused.error_message(), "max_subscriptions_per_principal: "))
      << refused.error_message();
  Subscriber other(**suite, (*suite)->dpo);
  EXPECT_TRUE(other.first);
}

// A subscriber sent no event for --subscriber_idle_timeout_s is closed UNAVAILABLE, naming the
// flag, and may resubscribe.
TEST(SubscriberLimitTest, AnIdleSubscriberIsClosed) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--subscriber_idle_timeout_s=1"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  Subscriber idle(**suite, (*suite)->cast.integration);
  ASSERT_TRUE(idle.first);
  const absl::Time start = absl::Now();
  const grpc::Status closed = idle.End();
  idle.reader.reset();
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::UNAVAILABLE) << closed.error_message();
  EXPECT_TRUE(absl::StartsWith(closed.error_message(), "subscriber_idle_timeout_s: "))
      << closed.error_message();
  // Whole seconds ("no event for 1s: ..."), not the nanoseconds the clock gives.
  const std::string message = closed.error_message();
  const size_t from = message.find("no event for ");
  ASSERT_NE(from, std::string::npos) << message;
  const std::string idle_for = message.substr(from + 13, message.find(':', from) - from - 13);
  EXPECT_TRUE(absl::EndsWith(idle_for, "s") && !absl::StrContains(idle_for, ".")) << idle_for;
  EXPECT_TRUE(absl::StrContains(closed.error_message(), "the subscription was idle"))
      << closed.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  Subscriber again(**suite, (*suite)->cast.integration);
  EXPECT_TRUE(again.first);
}

// A subscriber that stops reading is told apart from an idle one: once a response has waited
// --stream_stall_timeout_s to be taken, the call ends RESOURCE_EXHAUSTED saying the reader
// stalled (an idle one ends UNAVAILABLE naming subscriber_idle_timeout_s), and its subscription
// slot is free while the client still reads nothing. The status comes after the responses
// buffered for it.
TEST(SubscriberLimitTest, ASubscriberThatStopsReadingIsToldItStalled) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(
      HOTSPOTD_PATH, {"--demo", "--stream_stall_timeout_s=1", "--max_subscriptions_per_principal=1"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  const Principal& integration = (*suite)->cast.integration;
  // No BDP probing: the client's window stays at its initial 64 KiB, well below the demo's log,
  // so the server's write of it waits for the client to read.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = v1::SubscriptionService::NewStub(grpc::CreateCustomChannel(
      (*suite)->process->address(), grpc::InsecureChannelCredentials(), args));
  std::unique_ptr<grpc::ClientContext> context = (*suite)->As(integration, "", absl::Seconds(60));
  v1::SubscribeRequest request;
  request.set_from_position(1);
  request.set_max_batch(10'000);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> stalled =
      stub->Subscribe(context.get(), request);
  // Its headers come with its first response: it holds the principal's one slot.
  stalled->WaitForInitialMetadata();

  // That slot comes free without the client reading.
  bool admitted = false;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(30);
       !admitted && absl::Now() < give_up;) {
    Subscriber other(**suite, integration);
    admitted = other.first;
    if (!admitted) absl::SleepFor(absl::Milliseconds(50));  // poll
  }
  EXPECT_TRUE(admitted);

  v1::SubscribeResponse response;
  int responses = 0;
  while (stalled->Read(&response)) ++responses;
  EXPECT_GE(responses, 1);
  const grpc::Status status = stalled->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(),
                               "stream_stall_timeout_s: the client stopped reading: a response "
                               "waited 1s to be taken (the reader stalled); resubscribe from your "
                               "checkpoint"))
      << status.error_message();
}

// A stream of gRPC's health Watch for the server as a whole, its first response read.
struct HealthWatch {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>> reader;
  bool first = false;

  explicit HealthWatch(const std::shared_ptr<grpc::Channel>& channel) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    reader = grpc::health::v1::Health::NewStub(channel)->Watch(
        &context, grpc::health::v1::HealthCheckRequest());
    grpc::health::v1::HealthCheckResponse response;
    first = reader->Read(&response);
  }
  grpc::Status End() {
    grpc::health::v1::HealthCheckResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  }
};

// A reflection stream (v1 or v1alpha) that has answered one list_services, and is left open.
template <typename Reflection, typename Request, typename Response>
struct ReflectionStream {
  grpc::ClientContext context;
  std::unique_ptr<typename Reflection::Stub> stub;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream;
  bool first = false;

  explicit ReflectionStream(const std::shared_ptr<grpc::Channel>& channel)
      : stub(Reflection::NewStub(channel)) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream = stub->ServerReflectionInfo(&context);
    Request request;
    request.set_list_services("*");
    Response response;
    first = stream->Write(request) && stream->Read(&response) &&
            response.has_list_services_response();
  }
  grpc::Status End() {
    Response response;
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  }
};
using ReflectionV1 =
    ReflectionStream<grpc::reflection::v1::ServerReflection,
                     grpc::reflection::v1::ServerReflectionRequest,
                     grpc::reflection::v1::ServerReflectionResponse>;
using ReflectionV1alpha =
    ReflectionStream<grpc::reflection::v1alpha::ServerReflection,
                     grpc::reflection::v1alpha::ServerReflectionRequest,
                     grpc::reflection::v1alpha::ServerReflectionResponse>;

// SIGTERM with streams open stops hotspotd promptly, well within the grace (here 30 s; the issue
// measured one subscriber holding the shutdown for the full grace): subscribers, gRPC's health
// Watch, reflection v1 and v1alpha streams, and a query waiting for the views (they are held, a
// test hook) each end UNAVAILABLE, saying why, and the process exits 0.
TEST(ShutdownTest, SigtermWithSubscribersStopsPromptly) {
  TempDir dir;
  const std::string hold = dir.Sub("hold-views");
  setenv("HOTSPOT_HOLD_VIEWS_WHEN", hold.c_str(), 1);
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(
      HOTSPOTD_PATH, {"--demo", "--shutdown_grace_ms=30000", "--max_calls_per_principal=1"});
  unsetenv("HOTSPOT_HOLD_VIEWS_WHEN");
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const absl::Duration grace = absl::Seconds(30);
  Subscriber one(server, server.cast.integration);
  Subscriber two(server, server.dpo);
  ASSERT_TRUE(one.first);
  ASSERT_TRUE(two.first);
  HealthWatch watch(server.channel);
  ASSERT_TRUE(watch.first);
  ReflectionV1 reflection(server.channel);
  ASSERT_TRUE(reflection.first);
  ReflectionV1alpha reflection_alpha(server.channel);
  ASSERT_TRUE(reflection_alpha.first);

  // A query whose min_position the held views have not reached: it waits, holding the chief's
  // one call (a second is turned away once it does).
  std::ofstream(hold) << "held\n";
  const CallResult referred =
      server.commands->Call(server.cast.school_member, scenario::SampleReferral(9405, "sd-wait"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  auto bodies = [&](uint64_t min_position) {
    v1::ListBodiesRequest request;
    request.set_area_id(scenario::kAreaId);
    request.set_min_position(min_position);
    v1::ListBodiesResponse response;
    return v1::QueryService::NewStub(server.channel)
        ->ListBodies(server.As(server.cast.chief, "", absl::Seconds(60)).get(), request,
                     &response);
  };
  std::future<grpc::Status> waiting = std::async(std::launch::async, [&] {
    grpc::Status status;
    // Turned away only while a probe below holds the chief's call.
    const absl::Time until = absl::Now() + absl::Seconds(15);
    do {
      status = bodies(referred.response.position());
    } while (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < until);
    return status;
  });
  grpc::Status probe;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(15); absl::Now() < give_up;) {
    probe = bodies(0);
    if (probe.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) break;
  }
  ASSERT_EQ(probe.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << probe.error_message();

  std::vector<grpc::Status> ended(5);
  std::thread reader([&] {
    ended[0] = one.End();
    ended[1] = two.End();
    ended[2] = watch.End();
    ended[3] = reflection.End();
    ended[4] = reflection_alpha.End();
  });
  const absl::Time start = absl::Now();
  const absl::StatusOr<int> exit = server.process->Stop(/*timeout_ms=*/60000);
  const absl::Duration took = absl::Now() - start;
  reader.join();
  ended.push_back(waiting.get());
  one.reader.reset();
  two.reader.reset();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  EXPECT_LT(took, grace / 6) << "the grace is " << grace;
  for (size_t i = 0; i < ended.size(); ++i) {
    EXPECT_EQ(ended[i].error_code(), grpc::StatusCode::UNAVAILABLE)
        << i << ": " << ended[i].error_message();
    EXPECT_TRUE(absl::StrContains(ended[i].error_message(), "shutting down"))
        << i << ": " << ended[i].error_message();
  }
}

// A client connection that reads nothing after the server's first frame, and so never
// acknowledges the ping gRPC's graceful shutdown sends after its GOAWAY, does not hold the exit:
// hotspotd stops as soon as no call is left. (gRPC waits for that acknowledgement before it
// closes a connection: this took the full 10 s grace; and a blocking C++ client with no call
// left polls its channel only every 5 s, which made SigtermWithSubscribersStopsPromptly take
// about 5 s whenever the subscriptions' statuses reached it before the GOAWAY did.)
TEST(ShutdownTest, SigtermWithAClientThatReadsNothingStopsPromptly) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(HOTSPOTD_PATH, {"--demo"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  const std::string& address = (*suite)->process->address();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << errno;
  // An HTTP/2 client's preface and an empty SETTINGS frame: the connection is gRPC's from here.
  const std::string preface =
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\x04\0\0\0\0\0", 9);
  ASSERT_EQ(write(fd, preface.data(), preface.size()), static_cast<ssize_t>(preface.size()));
  // The server's SETTINGS frame: the connection is gRPC's now. Nothing more is read.
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char header[9];
  ASSERT_EQ(recv(fd, header, sizeof header, MSG_WAITALL), static_cast<ssize_t>(sizeof header));
  ASSERT_EQ(header[3], 0x04) << "not a SETTINGS frame";
  const absl::Time start = absl::Now();
  const absl::StatusOr<int> exit = (*suite)->process->Stop();
  const absl::Duration took = absl::Now() - start;
  close(fd);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  EXPECT_LT(took, absl::Seconds(5)) << "the grace is 10 s";
}

// The threads of process `pid` now (its entries in /proc/<pid>/task); -1 if unreadable.
int ThreadsOf(pid_t pid) {
  std::error_code error;
  int threads = 0;
  for (std::filesystem::directory_iterator it(absl::StrCat("/proc/", pid, "/task"), error), end;
       !error && it != end; it.increment(error)) {
    ++threads;
  }
  return error ? -1 : threads;
}

// A subscriber's responses until one holds an event; that response (empty if the stream ended).
v1::SubscribeResponse NextEvents(Subscriber& subscriber) {
  v1::SubscribeResponse response;
  while (subscriber.reader->Read(&response)) {
    if (response.events_size() > 0) return response;
  }
  return v1::SubscribeResponse();
}

// Streams hold no thread each (issue 14 §4): 200 subscribers waiting at the log's end add a
// few threads to hotspotd (the shared pool and timer, gRPC's own), where a thread each would
// add 200; and each of them is sent the next event.
TEST(StreamThreadsTest, TwoHundredIdleSubscribersHoldNoThreadEachAndAllGetTheNextEvent) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(
      HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0", "--max_subscribers=300",
                      "--max_subscriptions_per_principal=300", "--max_calls_per_principal=300",
                      // The subscribers share one connection.
                      "--max_streams_per_connection=300"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  // One subscriber first, so that what every stream shares is there before counting.
  Subscriber first(server, server.cast.integration);
  ASSERT_TRUE(first.first);
  const pid_t pid = server.process->pid();
  const int before = ThreadsOf(pid);
  ASSERT_GT(before, 0);
  constexpr int kSubscribers = 200;
  std::vector<std::unique_ptr<Subscriber>> idle;
  for (int i = 0; i < kSubscribers; ++i) {
    idle.push_back(std::make_unique<Subscriber>(server, server.cast.integration));
    ASSERT_TRUE(idle.back()->first) << i;
  }
  const int during = ThreadsOf(pid);
  RecordProperty("threads_before", before);
  RecordProperty("threads_with_subscribers", during);
  EXPECT_LT(during, before + 40) << "before: " << before << " threads";

  const CallResult referred = server.commands->Call(
      server.cast.school_member, scenario::SampleReferral(9301, "streams-idle-200"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t position = referred.response.position();
  int received = 0;
  for (std::unique_ptr<Subscriber>& subscriber : idle) {
    const v1::SubscribeResponse response = NextEvents(*subscriber);
    ASSERT_EQ(response.events_size(), 1) << "subscriber " << received;
    EXPECT_EQ(response.events(0).position(), position);
    EXPECT_EQ(response.events(0).event().youth_referred().youth_id(), referred.response.id());
    EXPECT_EQ(response.checkpoint(), position + 1);
    ++received;
  }
  EXPECT_EQ(received, kSubscribers);
  EXPECT_LT(ThreadsOf(pid), before + 40);
}

// A long purpose text: an access record of a call with it is some 600 bytes once exported.
std::string LongPurpose() { return "case_coordination: " + std::string(450, 'x'); }

// Makes `records` access records of the dpo's export, each of a GetCase by the chief on the
// youth `referred` made, with LongPurpose(): an export then holds over `records` / 1000
// responses of about 600 KB.
void MakeAccessRecords(SuiteServer& server, const CallResult& referred, int records) {
  auto stub = v1::QueryService::NewStub(server.channel);
  v1::GetCaseRequest request;
  request.set_youth_id(referred.response.id());
  request.set_min_position(referred.response.position());
  for (int i = 0; i < records; ++i) {
    v1::GetCaseResponse response;
    const grpc::Status status =
        stub->GetCase(server.As(server.cast.chief, LongPurpose()).get(), request, &response);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
}

// A channel of its own connection whose flow-control windows stay at HTTP/2's 64 KiB (no BDP
// probing to grow them): a stream on it whose client does not read stalls at its first large
// response.
std::shared_ptr<grpc::Channel> OwnConnection(const SuiteServer& server) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return grpc::CreateCustomChannel(server.process->address(), grpc::InsecureChannelCredentials(),
                                   args);
}

// An open audit stream, read only when asked.
template <typename Response>
struct OpenStream {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<Response>> reader;
  // Every response, then the status.
  std::pair<std::vector<Response>, grpc::Status> ReadAll() {
    std::vector<Response> responses;
    Response response;
    while (reader->Read(&response)) responses.push_back(response);
    return {std::move(responses), reader->Finish()};
  }
};

// An export of the whole access log by `who` (the dpo if null).
OpenStream<v1::ExportAccessLogResponse> OpenExport(SuiteServer& server,
                                                   v1::AuditService::Stub& stub,
                                                   const security::Principal* who = nullptr) {
  OpenStream<v1::ExportAccessLogResponse> open;
  open.context = server.As(who != nullptr ? *who : server.dpo, "audit: export", absl::Seconds(120));
  open.reader = stub.ExportAccessLog(open.context.get(), v1::ExportAccessLogRequest());
  return open;
}

OpenStream<v1::GetCaseHistoryResponse> OpenHistory(SuiteServer& server,
                                                   v1::AuditService::Stub& stub,
                                                   const std::string& youth) {
  OpenStream<v1::GetCaseHistoryResponse> open;
  open.context = server.As(server.dpo, "audit: history", absl::Seconds(120));
  v1::GetCaseHistoryRequest request;
  request.set_youth_id(youth);
  open.reader = stub.GetCaseHistory(open.context.get(), request);
  return open;
}

// Checks an export read to its end: OK, its records in order, as many as its total, the last
// response counting them all, and every one of the `made` records of LongPurpose() in it.
void ExpectFullExport(const std::pair<std::vector<v1::ExportAccessLogResponse>, grpc::Status>& read,
                      int made, int index) {
  ASSERT_TRUE(read.second.ok()) << index << ": " << read.second.error_message();
  ASSERT_FALSE(read.first.empty()) << index;
  uint64_t last = 0, records = 0, long_purposes = 0;
  for (const v1::ExportAccessLogResponse& response : read.first) {
    for (const v1::AccessRecord& record : response.records()) {
      EXPECT_GT(record.sequence(), last) << index;
      last = record.sequence();
      ++records;
      long_purposes += record.purpose_text().text() == LongPurpose().substr(19);
    }
  }
  EXPECT_EQ(records, read.first.back().total()) << index;
  EXPECT_EQ(read.first.back().sent(), records) << index;
  EXPECT_EQ(long_purposes, static_cast<uint64_t>(made)) << index;
}

// Streams hold no thread each (issue 14 §4): 50 exports of the access log (each over 1 MB) and 50
// histories, opened and started (their first response sent, so each has run its first step) by
// clients that do not read, add a few threads to hotspotd, where a thread each would add 100;
// read then, every one is complete and correct.
TEST(StreamThreadsTest, AHundredUnreadAuditStreamsHoldNoThreadEachAndCompleteOnceRead) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(
      HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0", "--max_calls_per_principal=300"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const CallResult referred = server.commands->Call(
      server.cast.school_member, scenario::SampleReferral(9401, "streams-audit-100"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  constexpr int kRecords = 1500;
  ASSERT_NO_FATAL_FAILURE(MakeAccessRecords(server, referred, kRecords));
  auto stub = v1::AuditService::NewStub(server.channel);
  // Read once in full first, so that what every stream shares is there before counting.
  ExpectFullExport(OpenExport(server, *stub).ReadAll(), kRecords, -1);
  const auto reference = OpenHistory(server, *stub, youth).ReadAll();
  ASSERT_TRUE(reference.second.ok()) << reference.second.error_message();
  ASSERT_EQ(reference.first.size(), 1u);
  ASSERT_EQ(reference.first[0].events_size(), 1);  // the referral
  const pid_t pid = server.process->pid();
  const int before = ThreadsOf(pid);
  ASSERT_GT(before, 0);

  constexpr int kEach = 50;
  std::vector<std::unique_ptr<v1::AuditService::Stub>> stubs;  // 10 streams a connection
  std::vector<OpenStream<v1::ExportAccessLogResponse>> exports;
  std::vector<OpenStream<v1::GetCaseHistoryResponse>> histories;
  for (int i = 0; i < kEach; ++i) {
    if (i % 5 == 0) stubs.push_back(v1::AuditService::NewStub(OwnConnection(server)));
    exports.push_back(OpenExport(server, *stubs.back()));
    histories.push_back(OpenHistory(server, *stubs.back(), youth));
  }
  // Each stream has sent its first response (or tries to): its first step has run.
  for (auto& open : exports) open.reader->WaitForInitialMetadata();
  for (auto& open : histories) open.reader->WaitForInitialMetadata();
  const int during = ThreadsOf(pid);
  RecordProperty("threads_before", before);
  RecordProperty("threads_with_streams", during);
  EXPECT_LT(during, before + 30) << "before: " << before << " threads";

  for (int i = 0; i < kEach; ++i) {
    ExpectFullExport(exports[i].ReadAll(), kRecords, i);
    const auto history = histories[i].ReadAll();
    ASSERT_TRUE(history.second.ok()) << i << ": " << history.second.error_message();
    ASSERT_EQ(history.first.size(), 1u) << i;
    EXPECT_EQ(history.first[0].SerializeAsString(), reference.first[0].SerializeAsString()) << i;
  }
  EXPECT_LT(ThreadsOf(pid), before + 30);
}

// An export stalled on a client that does not read holds its principal's call slot (with
// --max_calls_per_principal=1 the dpo's next call is RESOURCE_EXHAUSTED), and no thread; when the
// client cancels it, the stream ends and the slot is free again.
TEST(StreamThreadsTest, AnUnreadExportHoldsItsCallSlotUntilItsClientCancels) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--max_calls_per_principal=1"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const CallResult referred = server.commands->Call(
      server.cast.school_member, scenario::SampleReferral(9403, "streams-audit-cancel"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  ASSERT_NO_FATAL_FAILURE(MakeAccessRecords(server, referred, 1500));
  auto audit = v1::AuditService::NewStub(server.channel);
  auto verify = [&] {
    v1::VerifyLogResponse verified;
    return audit->VerifyLog(server.As(server.dpo, "audit: probe").get(), v1::VerifyLogRequest(),
                            &verified);
  };
  ASSERT_TRUE(verify().ok());
  auto stalled_stub = v1::AuditService::NewStub(OwnConnection(server));
  OpenStream<v1::ExportAccessLogResponse> stalled = OpenExport(server, *stalled_stub);
  stalled.reader->WaitForInitialMetadata();  // its first step has run: it holds the slot
  const grpc::Status held = verify();
  EXPECT_EQ(held.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << held.error_message();
  EXPECT_TRUE(absl::StartsWith(held.error_message(), "max_calls_per_principal: "))
      << held.error_message();

  stalled.context->TryCancel();
  const grpc::Status cancelled = stalled.reader->Finish();
  EXPECT_EQ(cancelled.error_code(), grpc::StatusCode::CANCELLED) << cancelled.error_message();
  // The server learns of it a moment later: polled, for up to 10 s.
  grpc::Status freed = verify();
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (freed.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(5));  // a poll's interval, not a wait for an outcome
    freed = verify();
  }
  EXPECT_TRUE(freed.ok()) << freed.error_message();
}

// One write stays in flight (issue 16 §1): an export whose client does not read has its second
// response built (its access record made, under the exporter's name) while the first is still
// being written, and is complete and in order once read.
TEST(StreamThreadsTest, AnUnreadExportBuildsItsNextResponseWhileTheFirstIsWritten) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const CallResult referred = server.commands->Call(
      server.cast.school_member, scenario::SampleReferral(9404, "streams-audit-ahead"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  constexpr int kRecords = 2500;  // three responses
  ASSERT_NO_FATAL_FAILURE(MakeAccessRecords(server, referred, kRecords));
  auto audit = v1::AuditService::NewStub(server.channel);
  // The exporter's access records of its exports, as the DPO lists them.
  const auto exports_recorded = [&]() {
    v1::ListAccessRecordsRequest list;
    list.set_person(server.cast.auditor.person);
    v1::ListAccessRecordsResponse listed;
    const grpc::Status status =
        audit->ListAccessRecords(server.As(server.dpo, "audit: check").get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    int exports = 0;
    for (const v1::AccessRecord& r : listed.records()) {
      exports += absl::EndsWith(r.call(), "/ExportAccessLog") &&
                 r.youth_id() == referred.response.id();
    }
    return exports;
  };
  ASSERT_EQ(exports_recorded(), 0);

  auto unread_stub = v1::AuditService::NewStub(OwnConnection(server));
  OpenStream<v1::ExportAccessLogResponse> unread =
      OpenExport(server, *unread_stub, &server.cast.auditor);
  unread.reader->WaitForInitialMetadata();  // the first response is being written
  int recorded = 0;
  for (const absl::Time until = absl::Now() + absl::Seconds(20);
       recorded < 2 && absl::Now() < until; absl::SleepFor(absl::Milliseconds(20))) {
    recorded = exports_recorded();
  }
  EXPECT_EQ(recorded, 2) << "the second response was not built before the first was taken";
  const auto read = unread.ReadAll();
  ExpectFullExport(read, kRecords, 0);
  EXPECT_EQ(read.first.size(), 3u);
  EXPECT_EQ(exports_recorded(), 3);
}

// SIGTERM with exports of the access log open whose clients do not read: once hotspotd is
// shutting down (it no longer accepts connections), each stream ends UNAVAILABLE, saying why, as
// soon as its client takes the response in flight (not at the end of the grace, here 30 s, nor
// with the rest of the export), and hotspotd exits 0.
TEST(ShutdownTest, SigtermEndsOpenAuditStreamsPromptly) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--max_calls_per_principal=100",
                                       "--shutdown_grace_ms=30000"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const CallResult referred = server.commands->Call(
      server.cast.school_member, scenario::SampleReferral(9402, "streams-audit-sigterm"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  constexpr int kRecords = 2500;  // three responses each
  ASSERT_NO_FATAL_FAILURE(MakeAccessRecords(server, referred, kRecords));
  constexpr int kStreams = 20;
  std::vector<std::unique_ptr<v1::AuditService::Stub>> stubs;
  std::vector<OpenStream<v1::ExportAccessLogResponse>> exports;
  for (int i = 0; i < kStreams; ++i) {
    stubs.push_back(v1::AuditService::NewStub(OwnConnection(server)));
    exports.push_back(OpenExport(server, *stubs.back()));
  }
  for (auto& open : exports) open.reader->WaitForInitialMetadata();

  const absl::Time start = absl::Now();
  server.process->Signal(SIGTERM);
  // Shutting down: new connections are refused (after the streams were told to end).
  bool refused = false;
  while (!refused && absl::Now() - start < absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::PingResponse pong;
    refused = !v1::AdminService::NewStub(OwnConnection(server))
                   ->Ping(&context, v1::PingRequest(), &pong)
                   .ok();
  }
  ASSERT_TRUE(refused);
  std::vector<std::pair<std::vector<v1::ExportAccessLogResponse>, grpc::Status>> read;
  for (auto& open : exports) read.push_back(open.ReadAll());
  const absl::StatusOr<int> exit = server.process->Stop();
  const absl::Duration took = absl::Now() - start;
  for (auto& open : exports) open.reader.reset();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  EXPECT_LT(took, absl::Seconds(10)) << "the grace is 30 s";
  for (int i = 0; i < kStreams; ++i) {
    const grpc::Status& status = read[i].second;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << i << ": "
                                                                  << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), "shutting down"))
        << i << ": " << status.error_message();
    // The response in flight, not the whole export.
    EXPECT_EQ(read[i].first.size(), 1u) << i;
  }
}

// SIGTERM with many subscribers, some reading from the log's start and some at its end, ends
// every stream UNAVAILABLE saying why (the issue measured one subscriber holding the shutdown
// for the 10 s grace), and hotspotd exits 0.
TEST(ShutdownTest, SigtermEndsEveryOneOfManyStreams) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--max_subscriptions_per_principal=100"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  constexpr int kSubscribers = 60;
  std::vector<std::unique_ptr<Subscriber>> open;
  for (int i = 0; i < kSubscribers; ++i) {
    open.push_back(std::make_unique<Subscriber>(server, i % 2 == 0 ? server.cast.integration
                                                                   : server.dpo));
    ASSERT_TRUE(open.back()->first) << i;
  }
  std::vector<grpc::Status> ended(kSubscribers);
  std::thread reader([&] {
    for (int i = 0; i < kSubscribers; ++i) ended[i] = open[i]->End();
  });
  const absl::StatusOr<int> exit = server.process->Stop();
  reader.join();
  for (std::unique_ptr<Subscriber>& subscriber : open) subscriber->reader.reset();
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  for (int i = 0; i < kSubscribers; ++i) {
    EXPECT_EQ(ended[i].error_code(), grpc::StatusCode::UNAVAILABLE)
        << i << ": " << ended[i].error_message();
    EXPECT_TRUE(absl::StrContains(ended[i].error_message(), "shutting down"))
        << i << ": " << ended[i].error_message();
  }
}

// A hotspotd on its own, with metrics, and clients that each hold a connection of their own.
class ConnectionLimitTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    flags.push_back("--demo");
    flags.push_back("--metrics_listen=127.0.0.1:0");
    flags.push_back("--metrics_port_file=" + dir_.Sub("metrics.port"));
    absl::StatusOr<HotspotdProcess> started =
        HotspotdProcess::Start(HOTSPOTD_PATH, dir_.Sub("data"), flags);
    ASSERT_TRUE(started.ok()) << started.status();
    process_.emplace(*std::move(started));
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadAll(dir_.Sub("metrics.port"))),
                                 &metrics_port_));
    port_ = std::stoi(process_->address().substr(process_->address().rfind(':') + 1));
  }

  double Metric(const std::string& name) const {
    return Scrape(HttpGet(metrics_port_, "/metrics")).Value(name);
  }
  // Waits (up to 10 s) until hotspot_connections_open is `open`; false if it never is.
  bool WaitForOpen(int open) const { return WaitForMetric("hotspot_connections_open", open); }

  // Polls `name` until it reads `value`, for at most 10 s: a counter the server moves just after
  // the client saw the outcome (a reset is sent before the refusal is counted).
  bool WaitForMetric(const std::string& name, int value) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (Metric(name) != value) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));  // a poll's interval, not a wait for an outcome
    }
    return true;
  }

  // A channel that holds a connection of its own (not one shared with the other channels), not
  // yet connected.
  std::shared_ptr<grpc::Channel> OwnChannel() const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(process_->address(), grpc::InsecureChannelCredentials(), args);
  }
  // Connects `channel`: true if it got READY within `timeout`.
  static bool Connect(const std::shared_ptr<grpc::Channel>& channel,
                      absl::Duration timeout = absl::Seconds(10)) {
    return channel->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout)) &&
           channel->GetState(false) == GRPC_CHANNEL_READY;
  }
  // AdminService.Ping (open to all) through `channel`, echoing `payload`.
  static grpc::Status Ping(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& payload) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.set_wait_for_ready(false);
    v1::PingRequest request;
    request.set_payload(payload);
    v1::PingResponse response;
    grpc::Status status = v1::AdminService::NewStub(channel)->Ping(&context, request, &response);
    if (status.ok() && response.payload() != payload) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "the echo differs");
    }
    return status;
  }
  // A TCP connection to hotspotd's port, from `source` (an address of loopback's 127.0.0.0/8)
  // if given, with reads timing out after 10 s; -1 if it fails.
  int RawConnection(const char* source = nullptr) const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      if (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
          bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        close(fd);
        return -1;
      }
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  TempDir dir_;
  std::optional<HotspotdProcess> process_;
  int metrics_port_ = 0;
  int port_ = 0;
};

// With --max_connections=3, three connections are served; a fourth is closed at once, whether a
// bare TCP connection (reset before a byte is read) or a gRPC channel (which never gets READY),
// while the three still get answers. The refusals are counted and logged. Once one of the three
// closes, a new connection is served. A connection that gRPC itself closes (it spoke no
// HTTP/2) frees its place too.
TEST_F(ConnectionLimitTest, ConnectionsPastTheLimitAreClosedAtOnce) {
  Start({"--max_connections=3"});
  ASSERT_TRUE(WaitForOpen(0));
  EXPECT_EQ(Metric("hotspot_connections_max"), 3);
  std::vector<std::shared_ptr<grpc::Channel>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(OwnChannel());
    ASSERT_TRUE(Connect(held.back())) << i;
    EXPECT_TRUE(Ping(held.back(), absl::StrCat("held-", i)).ok()) << i;
  }
  EXPECT_EQ(Metric("hotspot_connections_open"), 3);

  const int raw = RawConnection();
  ASSERT_GE(raw, 0);
  char byte;
  EXPECT_EQ(read(raw, &byte, 1), -1);
  EXPECT_EQ(errno, ECONNRESET) << std::strerror(errno);
  close(raw);

  // A fourth channel tries, and fails (TRANSIENT_FAILURE), never READY.
  std::shared_ptr<grpc::Channel> fourth = OwnChannel();
  grpc_connectivity_state state = fourth->GetState(/*try_to_connect=*/true);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
  while (state != GRPC_CHANNEL_TRANSIENT_FAILURE && state != GRPC_CHANNEL_READY &&
         fourth->WaitForStateChange(state, deadline)) {
    state = fourth->GetState(false);
  }
  EXPECT_EQ(state, GRPC_CHANNEL_TRANSIENT_FAILURE);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Ping(held[i], absl::StrCat("still-", i)).ok()) << i;
    EXPECT_EQ(held[i]->GetState(false), GRPC_CHANNEL_READY) << i;
  }
  EXPECT_EQ(Metric("hotspot_connections_open"), 3);
  EXPECT_GE(Metric("hotspot_connections_refused_total"), 2);
  EXPECT_EQ(Metric("hotspot_connections_accepted_total"), 3);
  EXPECT_TRUE(absl::StrContains(ReadAll(process_->log_file()),
                                "event=connections_refused count=1 open=3 max_connections=3"))
      << ReadAll(process_->log_file());

  // The fourth stops trying; the first closes: a new connection takes its place.
  fourth.reset();
  held.erase(held.begin());
  ASSERT_TRUE(WaitForOpen(2));
  std::shared_ptr<grpc::Channel> next = OwnChannel();
  ASSERT_TRUE(Connect(next));
  EXPECT_TRUE(Ping(next, "next").ok());
  EXPECT_EQ(Metric("hotspot_connections_open"), 3);

  // A client that speaks no HTTP/2 is closed by gRPC (the server's end reads as EOF or reset),
  // and its place is free again.
  held.pop_back();
  ASSERT_TRUE(WaitForOpen(2));
  const int stranger = RawConnection();
  ASSERT_GE(stranger, 0);
  ASSERT_TRUE(WaitForOpen(3));
  const std::string http1 = "GET / HTTP/1.1\r\nHost: hotspotd\r\n\r\n";
  ASSERT_EQ(write(stranger, http1.data(), http1.size()), static_cast<ssize_t>(http1.size()));
  char buffer[256];
  ssize_t n;
  while ((n = read(stranger, buffer, sizeof buffer)) > 0) {
  }
  EXPECT_TRUE(n == 0 || errno == ECONNRESET)
      << "the server did not close it: " << std::strerror(errno);
  close(stranger);
  EXPECT_TRUE(WaitForOpen(2));
}

// The 1,000 connections, under the default limit: every one is served.
TEST_F(ConnectionLimitTest, AThousandConnectionsAreServedUnderTheDefaultLimit) {
  constexpr int kConnections = 1000;
  // This process holds a descriptor per connection, hotspotd two (it raises its own limit).
  rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 2 * kConnections) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4 * kConnections);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  // All from 127.0.0.1: as many from one address.
  Start({"--max_connections_per_address=2000"});
  ASSERT_TRUE(WaitForOpen(0));
  // 2000, unless this host's descriptors allow fewer (hotspotd lowers it then, with a warning).
  EXPECT_GT(Metric("hotspot_connections_max"), kConnections);
  const absl::Time start = absl::Now();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < kConnections; ++i) {
    channels.push_back(OwnChannel());
    channels.back()->GetState(/*try_to_connect=*/true);
  }
  int ready = 0;
  int answered = 0;
  for (int i = 0; i < kConnections; ++i) {
    ready += Connect(channels[i], absl::Seconds(30));
    answered += Ping(channels[i], absl::StrCat("c", i)).ok();
  }
  EXPECT_EQ(ready, kConnections);
  EXPECT_EQ(answered, kConnections);
  EXPECT_EQ(Metric("hotspot_connections_open"), kConnections);
  EXPECT_EQ(Metric("hotspot_connections_refused_total"), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  channels.clear();
  EXPECT_TRUE(WaitForOpen(0));
}

// One host cannot take every place (the lock-out: one script's idle connections kept
// every other client out): with --max_connections_per_address=3, a fourth connection from
// 127.0.0.2 is closed at once, counted and logged naming the address, while clients from
// 127.0.0.1 are still served; once one of 127.0.0.2's connections closes, it may open another.
TEST_F(ConnectionLimitTest, OneAddressCannotTakeEveryPlace) {
  Start({"--max_connections=6", "--max_connections_per_address=3",
         "--connection_handshake_timeout_s=600"});
  ASSERT_TRUE(WaitForOpen(0));
  std::vector<int> attacker;
  for (int i = 0; i < 3; ++i) {
    attacker.push_back(RawConnection("127.0.0.2"));
    ASSERT_GE(attacker.back(), 0) << i << ": " << std::strerror(errno);
  }
  ASSERT_TRUE(WaitForOpen(3));
  const int fourth = RawConnection("127.0.0.2");
  ASSERT_GE(fourth, 0);
  char byte;
  EXPECT_EQ(read(fourth, &byte, 1), -1);
  EXPECT_EQ(errno, ECONNRESET) << std::strerror(errno);
  close(fourth);
  EXPECT_TRUE(WaitForMetric("hotspot_connections_refused_per_address_total", 1))
      << Metric("hotspot_connections_refused_per_address_total");
  EXPECT_TRUE(WaitForMetric("hotspot_connections_refused_total", 1))
      << Metric("hotspot_connections_refused_total");

  std::vector<std::shared_ptr<grpc::Channel>> served;
  for (int i = 0; i < 3; ++i) {
    served.push_back(OwnChannel());
    ASSERT_TRUE(Connect(served.back())) << i;
    EXPECT_TRUE(Ping(served.back(), absl::StrCat("served-", i)).ok()) << i;
  }
  EXPECT_EQ(Metric("hotspot_connections_open"), 6);
  EXPECT_TRUE(absl::StrContains(ReadAll(process_->log_file()),
                                "event=connections_refused_per_address count=1 address=127.0.0.2 "
                                "open_from_address=3 max_connections_per_address=3"))
      << ReadAll(process_->log_file());

  close(attacker.back());
  attacker.pop_back();
  ASSERT_TRUE(WaitForOpen(5));
  attacker.push_back(RawConnection("127.0.0.2"));
  ASSERT_GE(attacker.back(), 0);
  ASSERT_TRUE(WaitForOpen(6));
  EXPECT_EQ(Metric("hotspot_connections_refused_per_address_total"), 1);
  for (int fd : attacker) close(fd);
  EXPECT_TRUE(WaitForOpen(3));
}

// A per-address limit that is no lower than the total lets one host take every place: hotspotd
// warns at start, naming both flags.
TEST_F(ConnectionLimitTest, APerAddressLimitAtTheTotalIsWarnedOf) {
  Start({"--max_connections=20"});
  EXPECT_TRUE(absl::StrContains(ReadAll(process_->log_file()),
                                "event=max_connections_per_address_ineffective "
                                "max_connections=20 max_connections_per_address=64"))
      << ReadAll(process_->log_file());
}

// A connection no call uses is closed after --max_connection_idle_s (its channel leaves READY)
// and its place freed; its client's next call connects again.
TEST_F(ConnectionLimitTest, AnIdleConnectionIsClosed) {
  Start({"--max_connection_idle_s=1"});
  ASSERT_TRUE(WaitForOpen(0));
  std::shared_ptr<grpc::Channel> channel = OwnChannel();
  ASSERT_TRUE(Connect(channel));
  ASSERT_TRUE(Ping(channel, "before").ok());
  EXPECT_EQ(Metric("hotspot_connections_open"), 1);
  const absl::Time idle_since = absl::Now();
  ASSERT_TRUE(WaitForOpen(0));
  EXPECT_GE(absl::Now() - idle_since, absl::Milliseconds(500));
  // The client sees the GOAWAY and the close: its channel leaves READY.
  EXPECT_TRUE(channel->GetState(false) != GRPC_CHANNEL_READY ||
              channel->WaitForStateChange(GRPC_CHANNEL_READY,
                                          absl::ToChronoTime(absl::Now() + absl::Seconds(10))));
  EXPECT_TRUE(Ping(channel, "after").ok());
  EXPECT_EQ(Metric("hotspot_connections_open"), 1);
}

// A bare TCP connection that never speaks HTTP/2 is closed after
// --connection_handshake_timeout_s, and its place freed.
TEST_F(ConnectionLimitTest, AConnectionThatNeverShakesHandsIsClosed) {
  Start({"--connection_handshake_timeout_s=1"});
  ASSERT_TRUE(WaitForOpen(0));
  const int silent = RawConnection();
  ASSERT_GE(silent, 0);
  ASSERT_TRUE(WaitForOpen(1));
  // The server's SETTINGS, then its close, well before the read's 10 s timeout.
  char buffer[256];
  ssize_t n;
  while ((n = read(silent, buffer, sizeof buffer)) > 0) {
  }
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "not closed: " << std::strerror(errno);
  close(silent);
  EXPECT_TRUE(WaitForOpen(0));
}

// The limits' flags out of range (and the storage memory budget's): exit 2 naming the flag.
TEST(LimitFlagsTest, OutOfRangeIsRefusedNamingTheFlag) {
  TempDir dir;
  for (const char* flag :
       {"max_call_deadline_s=0", "subscriber_idle_timeout_s=-1", "max_calls_per_principal=0",
        "max_subscriptions_per_principal=0", "max_connections=0",
        "max_connections_per_address=0", "max_connection_idle_s=-1",
        "connection_handshake_timeout_s=0", "storage_cache_mb=7", "storage_write_buffer_mb=15",
        "malloc_arena_max=65", "malloc_mmap_threshold_kb=-1"}) {
    std::string output;
    EXPECT_EQ(RunToExit(HOTSPOTD_PATH,
                        {"--listen=127.0.0.1:0", "--data_dir=" + dir.Sub("d"), "--demo",
                         absl::StrCat("--", flag)},
                        &output),
              2)
        << flag;
    const std::string name(absl::string_view(flag).substr(0, absl::string_view(flag).find('=')));
    EXPECT_TRUE(absl::StrContains(output, name + ": ")) << output;
  }
}

// One connection serves at most --max_streams_per_connection calls at once (HTTP/2's
// MAX_CONCURRENT_STREAMS): with two reflection streams open on it, a third call waits (its
// deadline passes) while another connection is served, and goes through once one ends. gRPC's
// health Watch and reflection streams, which need no token, are capped server-wide
// (--max_health_reflection_streams): past it a Watch is RESOURCE_EXHAUSTED naming the flag.
TEST(StreamLimitTest, ConnectionsAndHealthAndReflectionStreamsAreBounded) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite = StartSuiteServer(
      HOTSPOTD_PATH, {"--demo", "--max_streams_per_connection=2",
                      "--max_health_reflection_streams=2"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const std::shared_ptr<grpc::Channel> crowded = OwnConnection(server);
  const std::shared_ptr<grpc::Channel> other = OwnConnection(server);
  auto ping = [](const std::shared_ptr<grpc::Channel>& channel, absl::Duration deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::PingResponse pong;
    return v1::AdminService::NewStub(channel)->Ping(&context, v1::PingRequest(), &pong);
  };
  ASSERT_TRUE(ping(other, absl::Seconds(10)).ok());
  auto first = std::make_unique<ReflectionV1>(crowded);
  ASSERT_TRUE(first->first);
  ReflectionV1alpha second(crowded);
  ASSERT_TRUE(second.first);

  const grpc::Status waited = ping(crowded, absl::Seconds(1));
  EXPECT_EQ(waited.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << waited.error_message();
  EXPECT_TRUE(ping(other, absl::Seconds(10)).ok());

  HealthWatch third(other);
  EXPECT_FALSE(third.first);
  const grpc::Status capped = third.End();
  EXPECT_EQ(capped.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << capped.error_message();
  EXPECT_TRUE(absl::StartsWith(capped.error_message(), "max_health_reflection_streams: 2 "))
      << capped.error_message();

  first->stream->WritesDone();
  EXPECT_TRUE(first->End().ok());
  first.reset();
  EXPECT_TRUE(ping(crowded, absl::Seconds(10)).ok());
  // The stream's slot is free once the server has let the call go.
  bool watched = false;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(10); !watched && absl::Now() < give_up;) {
    HealthWatch again(other);
    watched = again.first;
    again.context.TryCancel();
    again.End();
  }
  EXPECT_TRUE(watched);
}

// Streams run at most --max_stream_duration_s: a subscriber and a health Watch, both healthy,
// end UNAVAILABLE once it has passed, naming the flag and telling the client to resume from the
// last position it received; the subscriber then resubscribes.
TEST(StreamLimitTest, StreamsEndAtTheirMaximumDuration) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> suite =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--max_stream_duration_s=1"});
  ASSERT_TRUE(suite.ok()) << suite.status();
  SuiteServer& server = **suite;
  const absl::Time start = absl::Now();
  Subscriber subscriber(server, server.cast.integration);
  ASSERT_TRUE(subscriber.first);
  HealthWatch watch(server.channel);
  ASSERT_TRUE(watch.first);
  const grpc::Status statuses[] = {subscriber.End(), watch.End()};
  const absl::Duration took = absl::Now() - start;
  subscriber.reader.reset();
  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(status.error_message(),
              "max_stream_duration_s: the stream ran 1s, the server's maximum; call again, "
              "resuming from the last position received");
  }
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(10));
  Subscriber again(server, server.cast.integration);
  EXPECT_TRUE(again.first);
}

}  // namespace
}  // namespace hotspot::testing
