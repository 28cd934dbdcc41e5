// hotspotd killed with SIGKILL while it projects: nothing acknowledged is lost, and the views,
// written without a write-ahead log of their own, catch up from the event log on restart.
#include <set>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

std::unique_ptr<grpc::ClientContext> As(const SuiteServer& suite, const security::Principal& who) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + suite.tokens.at(who.person));
  context->AddMetadata("purpose", "case_coordination: crash test");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

// Every case of the area, through the pages, read once the views have reached `min_position`.
std::set<std::string> CaseIds(const SuiteServer& suite, uint64_t min_position) {
  auto queries = v1::QueryService::NewStub(suite.channel);
  std::set<std::string> ids;
  v1::ListCasesRequest request;
  request.set_area_id(scenario::kAreaId);
  request.set_page_size(100);
  request.set_min_position(min_position);
  for (;;) {
    v1::ListCasesResponse page;
    const grpc::Status status =
        queries->ListCases(As(suite, suite.cast.chief).get(), request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const auto& c : page.cases()) ids.insert(c.youth_id());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  return ids;
}

TEST(CrashTest, ViewsKilledWhileProjectingCatchUpOnRestartWithNothingLost) {
  absl::StatusOr<std::unique_ptr<SuiteServer>> started =
      StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=true"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  std::set<std::string> referred;
  uint64_t last = 0;
  for (int round = 0; round < 3; ++round) {
    // Referrals acknowledged, then SIGKILL at once, while the views are still applying them.
    for (int i = 0; i < 150; ++i) {
      const CallResult r =
          suite.commands->Call(suite.cast.school_member,
                               scenario::SampleReferral(i, absl::StrCat("crash-", round, "-", i)));
      ASSERT_TRUE(r.status.ok()) << r.status.error_message();
      referred.insert(r.response.id());
      last = std::max(last, r.response.position());
    }
    ASSERT_TRUE(suite.Restart(/*kill=*/true).ok());
    const std::set<std::string> ids = CaseIds(suite, last);
    for (const std::string& id : referred) EXPECT_EQ(ids.count(id), 1u) << "lost case " << id;
    EXPECT_EQ(ids.size(), referred.size() + 40) << "the demo's 40 youths and the referrals";
  }
  // The status agrees: every view is at or past the last acknowledged write.
  auto admin = v1::AdminService::NewStub(suite.channel);
  v1::GetProjectionStatusResponse status;
  ASSERT_TRUE(admin
                  ->GetProjectionStatus(As(suite, suite.cast.admin).get(),
                                        v1::GetProjectionStatusRequest(), &status)
                  .ok());
  for (const auto& view : status.views()) EXPECT_GE(view.checkpoint(), last) << view.view();
}

}  // namespace
}  // namespace hotspot::testing
