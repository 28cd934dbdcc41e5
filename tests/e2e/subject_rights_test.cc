// The data subject's rights against a real hotspotd: a correction (GDPR Art. 16) shows in the
// case at once and keeps the earlier value in the auditor's history; an erasure request on an
// open case is refused at once, and says so in the history.
#include <string>

#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

class SubjectRightsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--sync=false", "--demo", "--deadline_interval_s=0"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
  }
  static void TearDownTestSuite() { delete suite_; }

  static v1::CommandResponse Do(const security::Principal& who,
                                const google::protobuf::Message& request) {
    const CallResult result = suite_->commands->Call(who, request);
    EXPECT_TRUE(result.status.ok())
        << request.GetDescriptor()->name() << ": " << result.status.error_message();
    return result.response;
  }

  static SuiteServer* suite_;
};

SuiteServer* SubjectRightsTest::suite_ = nullptr;

TEST_F(SubjectRightsTest, ACorrectionShowsAtOnceAndTheEarlierValueStaysInTheHistory) {
  const scenario::Cast& cast = suite_->cast;
  v1::ReferYouthRequest referral = scenario::SampleReferral(3, "rights-referral");
  referral.set_name("Aly Hansen");
  const std::string youth = Do(cast.school_member, referral).id();
  v1::RectifyPersonalDataRequest fix;
  fix.set_request_id("rights-fix");
  fix.set_youth_id(youth);
  fix.set_field(v1::PERSONAL_DATA_FIELD_NAME);
  fix.set_value("Ali Hansen");
  fix.set_reason("Misspelt at referral; the mother corrected it");
  const uint64_t position = Do(cast.caseworker, fix).position();

  v1::GetCaseRequest get;
  get.set_youth_id(youth);
  get.set_min_position(position);
  v1::GetCaseResponse got;
  auto chief = suite_->As(cast.chief, "data_subject_request: correction");
  ASSERT_TRUE(v1::QueryService::NewStub(suite_->channel)->GetCase(chief.get(), get, &got).ok());
  EXPECT_EQ(got.case_view().name().text(), "Ali Hansen");

  v1::GetCaseHistoryRequest history;
  history.set_youth_id(youth);
  auto auditor = suite_->As(cast.auditor, "audit: the correction");
  auto reader = v1::AuditService::NewStub(suite_->channel)->GetCaseHistory(auditor.get(), history);
  v1::GetCaseHistoryResponse response;
  std::vector<std::string> names;  // each name the history holds, in order
  while (reader->Read(&response)) {
    for (const v1::StoredEvent& e : response.events()) {
      for (const v1::PersonalValue& v : e.personal_data()) {
        if (v.path() == "youth_referred.name" || v.path() == "personal_data_rectified.value") {
          names.push_back(v.value().text());
        }
      }
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(names, (std::vector<std::string>{"Aly Hansen", "Ali Hansen"}));
}

TEST_F(SubjectRightsTest, AnErasureRequestOnAnOpenCaseIsRefusedAtOnce) {
  const scenario::Cast& cast = suite_->cast;
  const std::string youth =
      Do(cast.school_member, scenario::SampleReferral(4, "rights-erase-referral")).id();
  v1::RequestErasureRequest request;
  request.set_request_id("rights-erase");
  request.set_youth_id(youth);
  request.set_requested_by("the youth");
  request.set_reason("I do not want to be registered");
  request.set_ground(v1::ERASURE_GROUND_OBJECTION);
  const v1::CommandResponse requested = Do(cast.chief, request);
  v1::ApproveErasureRequest approve;
  approve.set_request_id("rights-approve");
  approve.set_erasure_id(requested.id());
  EXPECT_EQ(suite_->commands->Call(cast.auditor, approve).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetCaseHistoryRequest history;
  history.set_youth_id(youth);
  history.set_min_position(requested.position());
  auto auditor = suite_->As(cast.auditor, "audit: erasure requests");
  auto reader = v1::AuditService::NewStub(suite_->channel)->GetCaseHistory(auditor.get(), history);
  v1::GetCaseHistoryResponse response;
  std::vector<std::string> types;
  v1::ErasureRefused refused;
  while (reader->Read(&response)) {
    for (const v1::StoredEvent& e : response.events()) {
      types.push_back(e.type());
      if (e.event().has_erasure_refused()) refused = e.event().erasure_refused();
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(types,
            (std::vector<std::string>{"hotspot.v1.YouthReferred", "hotspot.v1.ErasureRequested",
                                      "hotspot.v1.ErasureRefused"}));
  EXPECT_TRUE(refused.automatic());
  EXPECT_NE(refused.reason().find("Art. 17(3)(b)"), std::string::npos);
}

}  // namespace
}  // namespace hotspot::testing
