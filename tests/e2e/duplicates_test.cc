// A referral of a youth who is already known, against a real hotspotd (issue 13 §2): the chief
// sees the flag on the second referral, and the read of the other youth is in the access log;
// her staff, a teacher who referred the youth, the social caseworker, an NGO and an integration
// do not learn of it (nor are they recorded as reading the other youth); an executed erasure takes
// the erased youth out of the flags.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

security::Principal Ngo() {
  return {"mentor-dup", "agency-ngo-mentors", security::Role::kAgencyMember, {scenario::kAreaId}};
}

template <typename Request>
Request Req(const std::string& id) {
  Request r;
  r.set_request_id(id);
  return r;
}

class DuplicatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0"}, {Ngo()});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = std::move(*started);
  }

  v1::CommandResponse Must(const security::Principal& who, const google::protobuf::Message& r) {
    const CallResult result = suite_->commands->Call(who, r);
    EXPECT_TRUE(result.status.ok())
        << r.GetDescriptor()->name() << ": " << result.status.error_message();
    return result.response;
  }

  v1::CaseView Case(const security::Principal& who, const std::string& youth, uint64_t min) {
    auto queries = v1::QueryService::NewStub(suite_->channel);
    v1::GetCaseRequest request;
    request.set_youth_id(youth);
    request.set_min_position(min);
    v1::GetCaseResponse response;
    auto context = suite_->As(who, "case_coordination: screening the referral");
    const grpc::Status status = queries->GetCase(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << who.person << ": " << status.error_message();
    return response.case_view();
  }

  std::vector<v1::AccessRecord> RecordsOf(const std::string& youth) {
    auto audit = v1::AuditService::NewStub(suite_->channel);
    v1::ListAccessRecordsRequest request;
    request.set_youth_id(youth);
    request.set_page_size(500);
    v1::ListAccessRecordsResponse response;
    auto context = suite_->As(suite_->cast.auditor, "audit: duplicate flags");
    const grpc::Status status = audit->ListAccessRecords(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.records().begin(), response.records().end()};
  }

  // The sample referral `n` with the identity given ("": none of that part).
  static v1::ReferYouthRequest Referral(int n, const std::string& request_id,
                                        const std::string& name, const std::string& cpr,
                                        const std::string& birth_date) {
    v1::ReferYouthRequest referral = scenario::SampleReferral(n, request_id);
    referral.set_name(name);
    referral.set_cpr_number(cpr);
    referral.set_birth_date(birth_date);
    return referral;
  }

  std::unique_ptr<SuiteServer> suite_;
};

TEST_F(DuplicatesTest, TheChiefAloneSeesThatAReferredYouthIsKnownAndTheReadIsRecorded) {
  const scenario::Cast& cast = suite_->cast;
  const std::string known =
      Must(cast.school_member,
           Referral(9001, "dup-first", "Frederikke Dubletsen", "120311-4568", "2011-03-12"))
          .id();
  // Referred again by another agency under another spelling of the name: the same CPR number.
  v1::ReferYouthRequest second =
      Referral(9002, "dup-second", "Frederikke Dubletsen Hansen", "120311-4568", "2011-03-12");
  second.set_referring_agency_id(cast.police_member.agency);
  second.set_referred_by(cast.police_member.person);
  const v1::CommandResponse referred = Must(cast.police_member, second);
  const std::string again = referred.id();

  const v1::CaseView chief = Case(cast.chief, again, referred.position());
  ASSERT_EQ(chief.possible_duplicates_size(), 1) << chief.ShortDebugString();
  EXPECT_EQ(chief.possible_duplicates(0).youth_id(), known);
  EXPECT_EQ(chief.possible_duplicates(0).area_id(), scenario::kAreaId);
  ASSERT_EQ(chief.possible_duplicates(0).matches_size(), 1);
  EXPECT_EQ(chief.possible_duplicates(0).matches(0), v1::DUPLICATE_MATCH_CPR_NUMBER);
  // The first case is flagged the other way round.
  const v1::CaseView back = Case(cast.chief, known, referred.position());
  ASSERT_EQ(back.possible_duplicates_size(), 1);
  EXPECT_EQ(back.possible_duplicates(0).youth_id(), again);

  // The read told the chief about the known youth too: recorded for both youths, in clear.
  auto read_by_chief = [&](const std::string& youth) {
    int found = 0;
    for (const v1::AccessRecord& r : RecordsOf(youth)) {
      if (r.person() == cast.chief.person && r.call() == "hotspot.v1.QueryService/GetCase" &&
          r.personal_data_disclosed() && !r.refused()) {
        ++found;
      }
    }
    return found;
  };
  EXPECT_EQ(read_by_chief(known), 2);  // its own case, and as the flag on the other
  EXPECT_EQ(read_by_chief(again), 2);

  // Those who see the case's personal data but not the flag: the chief's staff, coordinators of
  // the area who screen no referral (review 13b, N9), the referring police, the social
  // caseworker; and those who see only the pseudonymous case: an NGO, the integration.
  for (const security::Principal& who :
       {cast.staff, cast.police_member, cast.caseworker, Ngo(), cast.integration}) {
    const v1::CaseView view = Case(who, again, referred.position());
    EXPECT_EQ(view.youth_id(), again) << who.person;
    EXPECT_EQ(view.possible_duplicates_size(), 0) << who.person;
  }
  EXPECT_EQ(Case(cast.police_member, again, 0).cpr_number().text(), second.cpr_number());
  // None of them was recorded as reading the known youth.
  for (const v1::AccessRecord& r : RecordsOf(known)) {
    EXPECT_TRUE(r.person() == cast.chief.person || r.person() == cast.school_member.person ||
                r.person() == cast.auditor.person)
        << r.ShortDebugString();
  }
}

TEST_F(DuplicatesTest, NameAndBirthDateAreFlaggedAndAnErasureTakesTheYouthOut) {
  const scenario::Cast& cast = suite_->cast;
  // No CPR number the first time; the name written otherwise the second.
  const std::string known =
      Must(cast.school_member,
           Referral(9003, "dup-name-first", "Oskar Ærøbo-Dubletsen", "", "2012-05-06"))
          .id();
  const v1::CommandResponse referred =
      Must(cast.school_member,
           Referral(9004, "dup-name-second", "OSKAR ÆRØBO DUBLETSEN", "060512-7771", "2012-05-06"));
  const v1::CaseView flagged = Case(cast.chief, referred.id(), referred.position());
  ASSERT_EQ(flagged.possible_duplicates_size(), 1);
  EXPECT_EQ(flagged.possible_duplicates(0).youth_id(), known);
  ASSERT_EQ(flagged.possible_duplicates(0).matches_size(), 1);
  EXPECT_EQ(flagged.possible_duplicates(0).matches(0), v1::DUPLICATE_MATCH_NAME_AND_BIRTH_DATE);

  // The first referral is erased (requested, approved, assessed by the archive, executed).
  auto request = Req<v1::RequestErasureRequest>("dup-erase-request");
  request.set_youth_id(known);
  request.set_requested_by("the youth's mother");
  request.set_reason("Referred twice by mistake");
  request.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  const std::string erasure = Must(cast.chief, request).id();
  auto approve = Req<v1::ApproveErasureRequest>("dup-erase-approve");
  approve.set_erasure_id(erasure);
  approve.set_reason("The referral was a mistake");
  Must(cast.auditor, approve);
  auto assess = Req<v1::RecordArchiveAssessmentRequest>("dup-erase-archive");
  assess.set_erasure_id(erasure);
  assess.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
  assess.set_reference("KBH-ARK-2026-0099");
  Must(cast.auditor, assess);
  auto execute = Req<v1::ExecuteErasureRequest>("dup-erase-execute");
  execute.set_erasure_id(erasure);
  const v1::CommandResponse executed = Must(cast.admin, execute);
  EXPECT_EQ(Case(cast.chief, referred.id(), executed.position()).possible_duplicates_size(), 0);

  // Across a restart (the index reopened, the key gone) it stays out.
  ASSERT_TRUE(suite_->Restart(/*kill=*/false).ok());
  EXPECT_EQ(Case(cast.chief, referred.id(), executed.position()).possible_duplicates_size(), 0);
}

}  // namespace
}  // namespace hotspot::testing
