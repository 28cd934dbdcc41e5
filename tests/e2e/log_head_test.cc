// The log's head is not told to readers who do not see every change (security::PublicHead), and
// no thread waits for the views (issue 12's ninth review, SHOULD-FIX 4; issue 14 §4 "Waiting for
// the views"): a real hotspotd with the demo, whose deadline process is off so that nothing but
// the test appends.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using security::Principal;

constexpr char kPurpose[] = "case_coordination: public head test";

class PublicHeadTest : public ::testing::Test {
 protected:
  // Starts hotspotd (`flags` added) and waits for its views to catch up with the demo.
  void Start(std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--demo", "--deadline_interval_s=0"});
    absl::StatusOr<std::unique_ptr<SuiteServer>> started = StartSuiteServer(HOTSPOTD_PATH, flags);
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = *std::move(started);
    const CallResult probe = Refer(9100, "ph-probe");
    ASSERT_TRUE(probe.status.ok()) << probe.status.error_message();
    ASSERT_TRUE(Bodies(cast().chief, probe.response.position()).ok());
  }

  const scenario::Cast& cast() const { return suite_->cast; }

  CallResult Refer(int n, const std::string& request_id) {
    return suite_->commands->Call(cast().school_member, scenario::SampleReferral(n, request_id));
  }

  // A notification on `youth` by the school: confidential, and the last event of the log.
  CallResult Notify(const std::string& youth, const std::string& request_id) {
    v1::NotifyChildWelfareRequest notify;
    notify.set_request_id(request_id);
    notify.set_youth_id(youth);
    notify.set_agency_id(cast().school_member.agency);
    notify.set_text("Comes to school hungry");
    return suite_->commands->Call(cast().school_member, notify);
  }

  // VerifyLog as `who`, asked again (for up to 15 s) while it is answered: the first status
  // that is not OK (RESOURCE_EXHAUSTED once `who`'s waiting calls, which the client cannot see
  // reach the server, hold all its slots).
  grpc::Status VerifyUntilRefused(const Principal& who) const {
    auto audit = v1::AuditService::NewStub(suite_->channel);
    grpc::Status status;
    const absl::Time until = absl::Now() + absl::Seconds(15);
    while (status.ok() && absl::Now() < until) {
      auto context = suite_->As(who, "audit: probe", absl::Seconds(20));
      v1::VerifyLogResponse verified;
      status = audit->VerifyLog(context.get(), v1::VerifyLogRequest(), &verified);
    }
    return status;
  }

  // GetCaseHistory as `who`, read to its end: its status and its events' positions.
  std::pair<grpc::Status, std::vector<uint64_t>> History(
      const Principal& who, const v1::GetCaseHistoryRequest& request) const {
    auto context = suite_->As(who, "audit: waiting test", absl::Seconds(30));
    auto reader = v1::AuditService::NewStub(suite_->channel)->GetCaseHistory(context.get(), request);
    std::vector<uint64_t> positions;
    v1::GetCaseHistoryResponse response;
    while (reader->Read(&response)) {
      for (const v1::StoredEvent& event : response.events()) positions.push_back(event.position());
    }
    return std::make_pair(reader->Finish(), positions);
  }

  // ListBodies of the demo area as `who`, with `min_position`, into `out`.
  grpc::Status Bodies(const Principal& who, uint64_t min_position,
                      v1::ListBodiesResponse* out = nullptr,
                      absl::Duration deadline = absl::Seconds(20)) const {
    v1::ListBodiesRequest request;
    request.set_area_id(scenario::kAreaId);
    request.set_min_position(min_position);
    v1::ListBodiesResponse response;
    return v1::QueryService::NewStub(suite_->channel)
        ->ListBodies(suite_->As(who, kPurpose, deadline).get(), request,
                     out == nullptr ? &response : out);
  }

  // The position `who` is told by ListBodies once the views have reached `min_position`
  // (asked as the chief, who may); 0 on an error.
  uint64_t PositionFor(const Principal& who, uint64_t reached) const {
    if (!suite_->WaitForViews(reached).ok()) return 0;
    v1::ListBodiesResponse response;
    const grpc::Status status = Bodies(who, 0, &response);
    EXPECT_TRUE(status.ok()) << who.person << ": " << status.error_message();
    return response.position();
  }

  std::unique_ptr<SuiteServer> suite_;
};

void ExpectBeyondTheHead(const grpc::Status& status, const std::vector<uint64_t>& unquoted) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "min_position: ")) << status.error_message();
  for (uint64_t position : unquoted) {
    EXPECT_FALSE(absl::StrContains(status.error_message(), absl::StrCat(position)))
        << status.error_message();
  }
}

// A school's notification is confidential: an integration polling its queries is not told of it
// (its position stays at the public head, and a min_position past that is OUT_OF_RANGE, as past
// the head), while the coordinator is; the school, which made it, may read its case back with its
// position. The next public event moves everyone's position. The same after a restart, from the
// log. Subscribe tells the integration the public head too.
TEST_F(PublicHeadTest, ReadersWhoDoNotSeeEveryChangeAreToldThePublicHead) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Principal& integration = cast().integration;
  const Principal& chief = cast().chief;
  const CallResult referred = Refer(9101, "ph-referral");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t open = referred.response.position();
  EXPECT_EQ(PositionFor(integration, open), open);

  const CallResult notified = Notify(referred.response.id(), "ph-notification");
  ASSERT_TRUE(notified.status.ok()) << notified.status.error_message();
  const uint64_t hidden = notified.response.position();
  ASSERT_EQ(hidden, open + 1);
  EXPECT_EQ(PositionFor(chief, hidden), hidden);
  EXPECT_EQ(PositionFor(integration, hidden), open);
  // public head + 1: beyond the head for the integration, not for the coordinator or the school.
  ExpectBeyondTheHead(Bodies(integration, hidden), {open, hidden});
  v1::ListBodiesResponse answer;
  ASSERT_TRUE(Bodies(chief, hidden, &answer).ok());
  EXPECT_EQ(answer.position(), hidden);
  ASSERT_TRUE(Bodies(cast().school_member, hidden, &answer).ok());
  EXPECT_EQ(answer.position(), hidden);
  // Beyond the head: OUT_OF_RANGE for everyone, at once (not at the deadline).
  for (const Principal* who : {&integration, &chief}) {
    const absl::Time start = absl::Now();
    ExpectBeyondTheHead(Bodies(*who, hidden + 1, nullptr, absl::Seconds(20)), {open, hidden});
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << who->person;
  }

  // Subscribe from the end: the integration starts just past the public head, the coordinator
  // past the head; from_position past public head + 1 is refused for the integration.
  v1::SubscribeRequest from_end;
  from_end.set_from_end(true);
  const auto [live, live_status] = suite_->FirstResponse(integration, from_end);
  EXPECT_EQ(live_status.error_code(), grpc::StatusCode::CANCELLED) << live_status.error_message();
  EXPECT_TRUE(live.caught_up());
  EXPECT_EQ(live.events_size(), 0);
  EXPECT_EQ(live.checkpoint(), open + 1);
  const auto [chiefs, chief_status] =
      suite_->FirstResponse(chief, from_end, "case_coordination: following the area");
  EXPECT_EQ(chief_status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(chiefs.checkpoint(), hidden + 1);
  v1::SubscribeRequest past;
  past.set_from_position(open + 2);
  const auto [none, refused] = suite_->FirstResponse(integration, past);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_TRUE(absl::StartsWith(refused.error_message(), "from_position: "))
      << refused.error_message();
  EXPECT_EQ(none.events_size(), 0);
  past.set_from_position(open + 1);
  const auto [at_head, at_head_status] = suite_->FirstResponse(integration, past);
  EXPECT_EQ(at_head_status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(at_head.events_size(), 0);
  EXPECT_EQ(at_head.checkpoint(), open + 1);  // never past the withheld event by itself

  // After a restart the public head is read back from the log.
  ASSERT_TRUE(suite_->Restart(/*kill=*/false).ok());
  EXPECT_EQ(PositionFor(integration, hidden), open);
  ExpectBeyondTheHead(Bodies(integration, hidden), {open, hidden});
  const auto [restarted, restarted_status] = suite_->FirstResponse(integration, from_end);
  EXPECT_EQ(restarted_status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(restarted.checkpoint(), open + 1);

  // A public event follows: everyone is told the head again.
  const CallResult next = Refer(9102, "ph-next");
  ASSERT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_EQ(PositionFor(integration, next.response.position()), next.response.position());
  EXPECT_EQ(PositionFor(chief, next.response.position()), next.response.position());
  ASSERT_TRUE(Bodies(integration, next.response.position()).ok());
}

// The head is kept per area: a notification in the demo's area moves its coordinator's head,
// not the head a coordinator of another area (the stranger) is told, in a query's position and
// min_position check, Subscribe's from_end checkpoint and GetCaseHistory's min_position check
// (OUT_OF_RANGE past its head, the usual refusal of a youth not its own below it). An auditor of
// every area is told the head.
TEST_F(PublicHeadTest, AnotherAreasConfidentialEventDoesNotMoveTheHeadACoordinatorIsTold) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Principal& chief = cast().chief;
  const Principal& stranger = suite_->stranger;
  const CallResult referred = Refer(9301, "ph-area-referral");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  const uint64_t open = referred.response.position();
  auto elsewhere = [&](uint64_t min_position, v1::ListBodiesResponse* out = nullptr) {
    v1::ListBodiesRequest request;
    request.set_area_id(stranger.areas[0]);
    request.set_min_position(min_position);
    v1::ListBodiesResponse response;
    return v1::QueryService::NewStub(suite_->channel)
        ->ListBodies(suite_->As(stranger, kPurpose).get(), request,
                     out == nullptr ? &response : out);
  };
  v1::SubscribeRequest from_end;
  from_end.set_from_end(true);
  auto checkpoint = [&](const Principal& who) {
    const auto [first, status] = suite_->FirstResponse(who, from_end, kPurpose);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
    EXPECT_EQ(first.events_size(), 0) << who.person;
    return first.checkpoint();
  };
  ASSERT_TRUE(suite_->WaitForViews(open).ok());
  v1::ListBodiesResponse answer;
  ASSERT_TRUE(elsewhere(open, &answer).ok());
  EXPECT_EQ(answer.position(), open);
  EXPECT_EQ(checkpoint(stranger), open + 1);
  EXPECT_EQ(checkpoint(chief), open + 1);

  const CallResult notified = Notify(youth, "ph-area-notification");
  ASSERT_TRUE(notified.status.ok()) << notified.status.error_message();
  const uint64_t hidden = notified.response.position();
  ASSERT_EQ(hidden, open + 1);
  ASSERT_TRUE(suite_->WaitForViews(hidden).ok());

  // Queries: the demo's coordinator is told the notification, the stranger is not.
  EXPECT_EQ(PositionFor(chief, hidden), hidden);
  ASSERT_TRUE(elsewhere(0, &answer).ok());
  EXPECT_EQ(answer.position(), open);
  ExpectBeyondTheHead(elsewhere(hidden), {open, hidden});
  ASSERT_TRUE(elsewhere(open, &answer).ok());
  EXPECT_EQ(answer.position(), open);
  // Subscribe from the end.
  EXPECT_EQ(checkpoint(stranger), open + 1);
  EXPECT_EQ(checkpoint(chief), hidden + 1);
  EXPECT_EQ(checkpoint(suite_->dpo), hidden + 1);
  v1::SubscribeRequest past;
  past.set_from_position(hidden + 1);
  const auto [none, refused] = suite_->FirstResponse(stranger, past, kPurpose);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_TRUE(absl::StartsWith(refused.error_message(), "from_position: "))
      << refused.error_message();
  // GetCaseHistory's min_position: past the stranger's head, OUT_OF_RANGE; at it, the refusal
  // of another area's youth. The demo's coordinator reads the history with the notification.
  const absl::StatusOr<std::vector<v1::StoredEvent>> beyond =
      suite_->History(stranger, youth, hidden);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange) << beyond.status();
  const absl::StatusOr<std::vector<v1::StoredEvent>> below = suite_->History(stranger, youth, open);
  EXPECT_EQ(below.status().code(), absl::StatusCode::kPermissionDenied) << below.status();
  const absl::StatusOr<std::vector<v1::StoredEvent>> own = suite_->History(chief, youth, hidden);
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_EQ(own->size(), 2u);
  EXPECT_EQ(own->back().position(), hidden);
  EXPECT_TRUE(own->back().event().has_notification_made());

  // The same after a restart, from the log.
  ASSERT_TRUE(suite_->Restart(/*kill=*/false).ok());
  ASSERT_TRUE(suite_->WaitForViews(hidden).ok());
  ASSERT_TRUE(elsewhere(0, &answer).ok());
  EXPECT_EQ(answer.position(), open);
  EXPECT_EQ(checkpoint(stranger), open + 1);
  EXPECT_EQ(checkpoint(chief), hidden + 1);
}

// After a start, no query is answered from views that have not caught up with the log as it was
// at the start (QueryHandler's start_head): with the views held from the start (a test hook), a
// ListCases that asks no min_position waits, one whose deadline comes first ends
// DEADLINE_EXCEEDED (the client's or the server's alarm: either may ring first), and once the views go on the waiting one is
// answered with every case of the demo; Health said NOT_SERVING meanwhile.
TEST_F(PublicHeadTest, AfterAStartNoQueryIsAnsweredBeforeTheViewsCatchUp) {
  store::testing::TempDir dir;
  const std::string hold = dir.Sub("hold-views");
  std::ofstream(hold) << "held\n";
  setenv("HOTSPOT_HOLD_VIEWS_WHEN", hold.c_str(), 1);
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0"});
  unsetenv("HOTSPOT_HOLD_VIEWS_WHEN");
  ASSERT_TRUE(started.ok()) << started.status();
  suite_ = *std::move(started);
  auto cases = [&](absl::Duration deadline, v1::ListCasesResponse* response) {
    v1::ListCasesRequest request;
    request.set_area_id(scenario::kAreaId);
    request.set_page_size(100);
    return v1::QueryService::NewStub(suite_->channel)
        ->ListCases(suite_->As(cast().chief, kPurpose, deadline).get(), request, response);
  };

  v1::ListCasesResponse early;
  const grpc::Status late = cases(absl::Milliseconds(300), &early);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << late.error_message();
  EXPECT_EQ(early.cases_size(), 0);
  std::future<std::pair<grpc::Status, v1::ListCasesResponse>> waiting =
      std::async(std::launch::async, [&] {
        v1::ListCasesResponse response;
        const grpc::Status status = cases(absl::Seconds(30), &response);
        return std::make_pair(status, response);
      });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(v1::QueryService::service_full_name());
    grpc::health::v1::HealthCheckResponse health;
    ASSERT_TRUE(grpc::health::v1::Health::NewStub(suite_->channel)
                    ->Check(&context, request, &health)
                    .ok());
    EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }

  std::remove(hold.c_str());
  const auto [status, answered] = waiting.get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answered.cases_size(), 40);  // the demo's youths, every one referred
  EXPECT_TRUE(answered.next_page_token().empty());
}

// While the views are held (a test hook), a query with a min_position they have not reached is
// queued, holding no worker: five such calls (one more than the query workers) wait while
// another principal's query is answered, and they are answered once the views go on. A queued
// call past its deadline ends DEADLINE_EXCEEDED.
TEST_F(PublicHeadTest, AQueryWaitsForTheViewsWithoutAThread) {
  store::testing::TempDir dir;
  const std::string hold = dir.Sub("hold-views");
  setenv("HOTSPOT_HOLD_VIEWS_WHEN", hold.c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(Start({"--max_calls_per_principal=5"}));
  unsetenv("HOTSPOT_HOLD_VIEWS_WHEN");
  const Principal& chief = cast().chief;

  std::ofstream(hold) << "held\n";
  const CallResult referred = Refer(9201, "ph-held");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t target = referred.response.position();

  const grpc::Status late = Bodies(chief, target, nullptr, absl::Milliseconds(300));
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << late.error_message();

  constexpr int kWaiting = 5;
  std::vector<std::future<std::pair<grpc::Status, uint64_t>>> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] {
      v1::ListBodiesResponse response;
      grpc::Status status;
      // Turned away only while the probe below holds the fifth call.
      const absl::Time until = absl::Now() + absl::Seconds(15);
      do {
        status = Bodies(chief, target, &response, absl::Seconds(25));
      } while (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < until);
      return std::make_pair(status, response.position());
    }));
  }
  // Once all five wait, they hold all the chief's calls (the deadline-exceeded one let go): the
  // probe is turned away.
  grpc::Status full;
  const absl::Time until = absl::Now() + absl::Seconds(15);
  while (absl::Now() < until) {
    full = Bodies(chief, 0);
    if (full.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    ASSERT_TRUE(full.ok()) << full.error_message();
  }
  ASSERT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  EXPECT_TRUE(absl::StartsWith(full.error_message(), "max_calls_per_principal: "));
  // Five calls wait, and there are four query workers: another principal is answered.
  v1::ListBodiesResponse other;
  const grpc::Status answered = Bodies(cast().school_member, 0, &other);
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  EXPECT_LT(other.position(), target);  // the views are held
  for (auto& call : waiting) {
    EXPECT_EQ(call.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  }

  std::remove(hold.c_str());
  for (auto& call : waiting) {
    const auto [status, position] = call.get();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_GE(position, target);
  }
}


// The audit's reads wait for the views as queries do, holding no worker (issue 14 §4): with the
// views held, five GetCaseAsOf at a position they have not reached (the audit has two workers)
// and a GetCaseHistory with that min_position wait while another auditor's VerifyLog is
// answered (and a history whose client gives up ends then); once the views go on, each answers
// with the new case.
TEST_F(PublicHeadTest, AuditReadsWaitForTheViewsWithoutAWorker) {
  store::testing::TempDir dir;
  const std::string hold = dir.Sub("hold-views");
  setenv("HOTSPOT_HOLD_VIEWS_WHEN", hold.c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(Start({"--max_calls_per_principal=5"}));
  unsetenv("HOTSPOT_HOLD_VIEWS_WHEN");
  const Principal& auditor = cast().auditor;
  const Principal& dpo = suite_->dpo;
  auto audit = v1::AuditService::NewStub(suite_->channel);

  std::ofstream(hold) << "held\n";
  const CallResult referred = Refer(9202, "ph-audit-held");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t target = referred.response.position();
  const std::string youth = referred.response.id();

  constexpr int kWaiting = 5;
  std::vector<std::future<std::pair<grpc::Status, v1::GetCaseAsOfResponse>>> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] {
      v1::GetCaseAsOfRequest request;
      request.set_youth_id(youth);
      request.set_position(target);
      v1::GetCaseAsOfResponse response;
      grpc::Status status;
      // Turned away only while the probe below holds the fifth call.
      const absl::Time until = absl::Now() + absl::Seconds(15);
      do {
        auto context = suite_->As(auditor, "audit: waiting test", absl::Seconds(30));
        status = audit->GetCaseAsOf(context.get(), request, &response);
      } while (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < until);
      return std::make_pair(status, response);
    }));
  }
  auto history = std::async(std::launch::async, [&] {
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    request.set_min_position(target);
    return History(dpo, request);
  });
  // Once all five wait, they hold all the auditor's calls: the probe is turned away.
  const grpc::Status full = VerifyUntilRefused(auditor);
  ASSERT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  EXPECT_TRUE(absl::StartsWith(full.error_message(), "max_calls_per_principal: "));
  // Five calls wait on two workers: another auditor's call is answered.
  auto context = suite_->As(dpo, "audit: probe", absl::Seconds(20));
  v1::VerifyLogResponse verified;
  const grpc::Status answered = audit->VerifyLog(context.get(), v1::VerifyLogRequest(), &verified);
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.to_position(), target);
  for (auto& call : waiting) {
    EXPECT_EQ(call.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  }
  EXPECT_EQ(history.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  // A history whose client gives up while it waits ends then, its stream never started.
  {
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(youth);
    request.set_min_position(target);
    auto late = suite_->As(dpo, "audit: waiting test", absl::Milliseconds(300));
    auto reader = audit->GetCaseHistory(late.get(), request);
    v1::GetCaseHistoryResponse response;
    EXPECT_FALSE(reader->Read(&response));
    const grpc::Status gave_up = reader->Finish();
    EXPECT_EQ(gave_up.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << gave_up.error_message();
  }

  std::remove(hold.c_str());
  for (auto& call : waiting) {
    const auto [status, response] = call.get();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.position(), target);
    EXPECT_EQ(response.case_view().youth_id(), youth);
  }
  const auto [history_status, positions] = history.get();
  ASSERT_TRUE(history_status.ok()) << history_status.error_message();
  EXPECT_EQ(positions, std::vector<uint64_t>{target});  // the referral
}

// A GetCaseHistory queued for the views holds its principal's call slot while it waits, as a
// unary read does: with --max_calls_per_principal=3, three waiting histories hold all of the
// auditor's calls, so a fourth (and any other call of the auditor) is RESOURCE_EXHAUSTED naming
// the flag, while another principal is served. Once the views move, the three are sent the
// whole history.
TEST_F(PublicHeadTest, WaitingHistoriesHoldTheirPrincipalsCallSlots) {
  store::testing::TempDir dir;
  const std::string hold = dir.Sub("hold-views");
  setenv("HOTSPOT_HOLD_VIEWS_WHEN", hold.c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(Start({"--max_calls_per_principal=3"}));
  unsetenv("HOTSPOT_HOLD_VIEWS_WHEN");
  const Principal& auditor = cast().auditor;
  auto audit = v1::AuditService::NewStub(suite_->channel);

  std::ofstream(hold) << "held\n";
  const CallResult referred = Refer(9203, "ph-history-slots");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t target = referred.response.position();
  const std::string youth = referred.response.id();
  v1::GetCaseHistoryRequest request;
  request.set_youth_id(youth);
  request.set_min_position(target);

  constexpr int kLimit = 3;
  std::vector<std::future<std::pair<grpc::Status, std::vector<uint64_t>>>> waiting;
  for (int i = 0; i < kLimit; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] {
      // Turned away only while the probe below holds the third call.
      std::pair<grpc::Status, std::vector<uint64_t>> history;
      const absl::Time until = absl::Now() + absl::Seconds(15);
      do {
        history = History(auditor, request);
      } while (history.first.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
               absl::Now() < until);
      return history;
    }));
  }
  // Once the three have reached the server they hold the auditor's calls: the probe is turned
  // away.
  const grpc::Status full = VerifyUntilRefused(auditor);
  ASSERT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "the waiting histories hold no call slot: " << full.error_message();
  EXPECT_TRUE(absl::StartsWith(full.error_message(), "max_calls_per_principal: "))
      << full.error_message();
  // A fourth history is turned away at once, without a response.
  const auto [fourth, fourth_positions] = History(auditor, request);
  EXPECT_EQ(fourth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << fourth.error_message();
  EXPECT_TRUE(absl::StartsWith(fourth.error_message(), "max_calls_per_principal: "))
      << fourth.error_message();
  EXPECT_TRUE(fourth_positions.empty());
  // Another principal is served meanwhile.
  {
    auto context = suite_->As(suite_->dpo, "audit: probe", absl::Seconds(20));
    v1::VerifyLogResponse verified;
    const grpc::Status answered =
        audit->VerifyLog(context.get(), v1::VerifyLogRequest(), &verified);
    ASSERT_TRUE(answered.ok()) << answered.error_message();
    EXPECT_TRUE(verified.ok()) << verified.problem();
  }
  for (auto& call : waiting) {
    EXPECT_EQ(call.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  }

  std::remove(hold.c_str());
  for (auto& call : waiting) {
    const auto [status, positions] = call.get();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(positions, std::vector<uint64_t>{target});  // the referral
  }
  // The slots are free again.
  auto context = suite_->As(auditor, "audit: after", absl::Seconds(20));
  v1::VerifyLogResponse verified;
  const grpc::Status after = audit->VerifyLog(context.get(), v1::VerifyLogRequest(), &verified);
  EXPECT_TRUE(after.ok()) << after.error_message();
}

// A history stream has no server-side deadline, so a min_position no wait would reach is refused
// at once: OUT_OF_RANGE to the auditor, and to a role that may not audit, the same refusal as at
// any position (it learns nothing of the head).
TEST_F(PublicHeadTest, AHistoryPastTheHeadIsRefusedAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const CallResult referred = Refer(9101, "ph-history");
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const uint64_t head = referred.response.position();
  auto history = [&](const Principal& who, uint64_t min_position) {
    v1::GetCaseHistoryRequest request;
    request.set_youth_id(referred.response.id());
    request.set_min_position(min_position);
    auto context = suite_->As(who, "audit: history test", absl::Seconds(20));
    auto stub = v1::AuditService::NewStub(suite_->channel);
    auto reader = stub->GetCaseHistory(context.get(), request);
    v1::GetCaseHistoryResponse response;
    int events = 0;
    while (reader->Read(&response)) events += response.events_size();
    return std::pair{reader->Finish(), events};
  };
  const auto [past, past_events] = history(cast().auditor, head + 1'000'000);
  ExpectBeyondTheHead(past, {head});
  EXPECT_EQ(past_events, 0);
  const auto [at, at_events] = history(cast().auditor, head);
  EXPECT_TRUE(at.ok()) << at.error_message();
  EXPECT_EQ(at_events, 1);  // the referral
  for (const uint64_t min_position : {head, head + 1'000'000}) {
    const auto [refused, none] = history(cast().integration, min_position);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << min_position;
    EXPECT_EQ(none, 0);
  }
}

}  // namespace
}  // namespace hotspot::testing
