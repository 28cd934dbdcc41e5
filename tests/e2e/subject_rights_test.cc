// The data subject's rights against a real hotspotd: a correction (GDPR Art. 16) shows in the
// case at once and keeps the earlier value in the auditor's history; an erasure request on an
// open case is refused at once, and says so in the history; a subject access request is answered
// with an export of the case, its history and who read it, redacted as the law allows, and the
// redactions are recorded.
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/command_cases.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

class SubjectRightsTest : public ::testing::Test, public CommandBuilders {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--sync=false", "--demo", "--deadline_interval_s=0"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    Bind(suite_);
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

  const absl::StatusOr<std::vector<v1::StoredEvent>> history =
      suite_->History(cast.auditor, youth, position);
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<std::string> names;  // each name the history holds, in order
  for (const v1::StoredEvent& e : *history) {
    for (const v1::PersonalValue& v : e.personal_data()) {
      if (v.path() == "youth_referred.name" || v.path() == "personal_data_rectified.value") {
        names.push_back(v.value().text());
      }
    }
  }
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

  const absl::StatusOr<std::vector<v1::StoredEvent>> history =
      suite_->History(cast.auditor, youth, requested.position());
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<std::string> types;
  v1::ErasureRefused refused;
  for (const v1::StoredEvent& e : *history) {
    types.push_back(e.type());
    if (e.event().has_erasure_refused()) refused = e.event().erasure_refused();
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"hotspot.v1.YouthReferred", "hotspot.v1.ErasureRequested",
                                      "hotspot.v1.ErasureRefused"}));
  EXPECT_TRUE(refused.automatic());
  EXPECT_NE(refused.reason().find("Art. 17(3)(b)"), std::string::npos);
}

TEST_F(SubjectRightsTest, ASubjectAccessRequestIsAnsweredWithARedactedExport) {
  const scenario::Cast& cast = suite_->cast;
  v1::ReferYouthRequest referral = scenario::SampleReferral(5, "sar-referral");  // 13 years old
  referral.set_referring_agency_id("agency-police-copenhagen");
  referral.set_referred_by(cast.police_member.person);
  referral.set_name("Sara Export");
  const std::string youth = Do(cast.police_member, referral).id();
  v1::ShareConcernRequest police;
  police.set_request_id("sar-police-share");
  police.set_youth_id(youth);
  police.set_agency_id("agency-police-copenhagen");
  police.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  police.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
  police.set_text("Charged with shoplifting at the mall");
  police.set_necessity("The school can follow up");
  police.add_recipient_agency_ids("agency-school-sjaelor");
  Do(cast.police_member, police);
  // Notifications to the social administration: the school's, and the police's.
  for (const auto& [who, text] :
       {std::pair{&cast.school_member, "Comes to school hungry most mornings"},
        std::pair{&cast.police_member, "Found at the station at 2 a.m. with older boys"}}) {
    v1::NotifyChildWelfareRequest notify;
    notify.set_request_id(absl::StrCat("sar-notify-", who->agency));
    notify.set_youth_id(youth);
    notify.set_agency_id(who->agency);
    notify.set_text(text);
    Do(*who, notify);
  }
  v1::RecordConsentRequest consent;
  consent.set_request_id("sar-consent");
  consent.set_youth_id(youth);
  consent.set_scope("school");
  consent.set_given_by("Mette Export, the mother");
  consent.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  consent.add_agency_ids("agency-school-sjaelor");
  consent.set_purpose("support at school");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  Do(cast.caseworker, consent);
  // The school's outreach worker: named in the history's event and in the case's task alike.
  v1::AssignOutreachRequest outreach;
  outreach.set_request_id("sar-outreach");
  outreach.set_youth_id(youth);
  outreach.set_agency_id("agency-school-sjaelor");
  outreach.set_person("outreach-ole-sarexport");
  outreach.set_task("Meet her at the youth club on Thursdays");
  Do(cast.chief, outreach);
  v1::GetCaseRequest get;
  get.set_youth_id(youth);
  get.set_min_position(Do(cast.chief,
                          [&] {
                            v1::RecordSubjectAccessRequestRequest sar;
                            sar.set_request_id("sar-request");
                            sar.set_youth_id(youth);
                            sar.set_requester(v1::CONSENT_GIVER_CUSTODY_HOLDER);
                            sar.set_requested_by("the mother, by e-mail");
                            return sar;
                          }())
                           .position());
  v1::GetCaseResponse got;
  auto read = suite_->As(cast.chief, "case_coordination: before the family meeting");
  auto queries = v1::QueryService::NewStub(suite_->channel);
  ASSERT_TRUE(queries->GetCase(read.get(), get, &got).ok());
  ASSERT_EQ(got.case_view().subject_access_requests_size(), 1);
  const v1::SubjectAccessView& sar = got.case_view().subject_access_requests(0);
  EXPECT_FALSE(sar.has_answered_at());
  EXPECT_TRUE(sar.has_due_on());

  auto audit = v1::AuditService::NewStub(suite_->channel);
  v1::ExportSubjectAccessRequest request;
  request.set_youth_id(youth);
  request.set_subject_access_id(sar.subject_access_id());
  v1::ExportSubjectAccessResponse exported;
  auto wrong_purpose = suite_->As(cast.auditor, "case_coordination");
  EXPECT_EQ(audit->ExportSubjectAccess(wrong_purpose.get(), request, &exported).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto teacher = suite_->As(cast.school_member, "data_subject_request");
  EXPECT_EQ(audit->ExportSubjectAccess(teacher.get(), request, &exported).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ExportSubjectAccessRequest unknown = request;
  unknown.set_subject_access_id("access-0000");
  auto chief_export = suite_->As(cast.chief, "data_subject_request");
  EXPECT_EQ(audit->ExportSubjectAccess(chief_export.get(), request, &exported).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // it holds the access log: auditors only
  auto chief_unknown = suite_->As(cast.auditor, "data_subject_request");
  EXPECT_EQ(audit->ExportSubjectAccess(chief_unknown.get(), unknown, &exported).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto dpo = suite_->As(cast.auditor, "data_subject_request: the mother's request");
  const grpc::Status status = audit->ExportSubjectAccess(dpo.get(), request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The JSON: the case and history in clear, what the police wrote (their share, their
  // referral's description, their notification) and third parties withheld, the reads with
  // agency, role and purpose, and no employee's name anywhere.
  v1::SubjectAccessExport e;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(exported.json(), &e).ok());
  EXPECT_EQ(e.case_view().name().text(), "Sara Export");
  EXPECT_EQ(exported.json().find("shoplifting"), std::string::npos);
  EXPECT_EQ(exported.json().find(referral.description()), std::string::npos);
  EXPECT_EQ(exported.json().find("older boys"), std::string::npos);
  EXPECT_NE(exported.json().find("hungry most mornings"), std::string::npos);
  EXPECT_EQ(exported.json().find("Mette Export"), std::string::npos);
  EXPECT_EQ(exported.json().find(cast.police_member.person), std::string::npos);
  EXPECT_EQ(exported.json().find(cast.chief.person), std::string::npos);
  EXPECT_EQ(exported.json().find(cast.school_member.person), std::string::npos);
  EXPECT_EQ(exported.json().find(cast.caseworker.person), std::string::npos);
  EXPECT_EQ(exported.json().find(outreach.person()), std::string::npos);
  ASSERT_EQ(e.case_view().outreach_size(), 1);
  EXPECT_EQ(e.case_view().outreach(0).person(), "");
  EXPECT_EQ(e.case_view().outreach(0).agency_id(), outreach.agency_id());
  std::set<std::string> reasons;
  for (const v1::Redaction& r : e.redactions()) reasons.insert(r.path());
  // One rule for the history and the case: each employee's name withheld in both, and listed.
  for (const char* path : {"outreach_assigned.person", "case_view.outreach.person",
                           "youth_referred.referred_by", "case_view.referral.referred_by"}) {
    EXPECT_TRUE(reasons.count(path)) << path;
  }
  EXPECT_TRUE(reasons.count("concern_shared.text")) << exported.json();
  EXPECT_TRUE(reasons.count("consent_recorded.given_by_sealed"));
  EXPECT_TRUE(reasons.count("case_view.consents.given_by_sealed"));
  EXPECT_TRUE(reasons.count("actor.person"));
  EXPECT_TRUE(reasons.count("subject_access_requested.requested_by"));
  EXPECT_TRUE(reasons.count("youth_referred.description"));
  EXPECT_TRUE(reasons.count("notification_made.text"));
  EXPECT_TRUE(reasons.count("case_view.referral.description"));
  EXPECT_TRUE(reasons.count("case_view.notifications.text"));
  // In the history: the youth's identity in clear, the police's texts withheld.
  std::map<std::string, int> withheld, clear;
  for (const v1::StoredEvent& event : e.history()) {
    // Nothing to test a redacted employee's name against: no event id, request id or hash.
    EXPECT_EQ(event.event_id(), "") << event.position();
    EXPECT_EQ(event.request_id(), "") << event.position();
    EXPECT_EQ(event.event().request_id(), "") << event.position();
    EXPECT_TRUE(event.hash().empty()) << event.position();
    // No ciphertexts either (a redacted text's would tell its length): the personal values give
    // each sealed field, in clear or withheld.
    EXPECT_TRUE(event.event().concern_shared().text().ciphertext().empty()) << event.position();
    EXPECT_TRUE(event.event().youth_referred().description().ciphertext().empty());
    EXPECT_TRUE(event.event().youth_referred().name().ciphertext().empty());
    EXPECT_TRUE(event.event().notification_made().text().ciphertext().empty());
    for (const v1::PersonalValue& v : event.personal_data()) {
      (v.value().withheld().reason() == "redacted" ? withheld : clear)[v.path()]++;
    }
  }
  EXPECT_EQ(withheld["concern_shared.text"], 1);
  EXPECT_EQ(withheld["youth_referred.description"], 1);
  EXPECT_EQ(withheld["notification_made.text"], 1);  // the police's
  EXPECT_EQ(clear["notification_made.text"], 1);     // the school's
  EXPECT_EQ(clear["youth_referred.name"], 1);
  EXPECT_EQ(clear["youth_referred.cpr_number"], 1);
  EXPECT_EQ(withheld["youth_referred.name"], 0);
  // In the case view: the same.
  EXPECT_EQ(e.case_view().referral().description().withheld().reason(), "redacted");
  ASSERT_EQ(e.case_view().notifications_size(), 2);
  for (const v1::NotificationView& n : e.case_view().notifications()) {
    EXPECT_EQ(n.text().has_text(), n.agency_id() == cast.school_member.agency) << n.agency_id();
  }
  // Who read it, and why: the purpose's code; the reader's own words ("before the family
  // meeting") may name others, so they are redacted, and the redaction is listed.
  std::set<std::string> purpose_redactions;
  for (const v1::Redaction& r : e.redactions()) {
    if (absl::EndsWith(r.path(), ".purpose_text")) purpose_redactions.insert(r.path());
  }
  bool chiefs_read = false;
  for (int i = 0; i < e.reads_size(); ++i) {
    const v1::SubjectAccessRead& r = e.reads(i);
    EXPECT_EQ(r.purpose_text(), "") << i;
    if (r.agency_id() == cast.chief.agency && r.role() == "coordinator" &&
        r.purpose() == "case_coordination" &&
        purpose_redactions.count(absl::StrCat("reads[", i, "].purpose_text")) > 0) {
      chiefs_read = true;
    }
  }
  EXPECT_TRUE(chiefs_read);
  // The HTML page says the same, for a person.
  EXPECT_NE(exported.html().find("Who read your data"), std::string::npos);
  EXPECT_NE(exported.html().find("Sara Export"), std::string::npos);
  EXPECT_EQ(exported.html().find("shoplifting"), std::string::npos);
  EXPECT_EQ(exported.html().find("before the family meeting"), std::string::npos);

  // The answer and its redactions are in the youth's history; the case shows it answered.
  get.set_min_position(exported.position() + 1);
  auto again = suite_->As(cast.chief, "case_coordination");
  ASSERT_TRUE(queries->GetCase(again.get(), get, &got).ok());
  EXPECT_TRUE(got.case_view().subject_access_requests(0).has_answered_at());
  const absl::StatusOr<std::vector<v1::StoredEvent>> history =
      suite_->History(cast.auditor, youth, exported.position() + 1);
  ASSERT_TRUE(history.ok()) << history.status();
  int answered_redactions = -1;
  for (const v1::StoredEvent& event : *history) {
    if (event.event().has_subject_access_answered()) {
      answered_redactions = event.event().subject_access_answered().redactions_size();
    }
  }
  EXPECT_EQ(answered_redactions, exported.redactions_size());
  EXPECT_GT(answered_redactions, 3);
}

// "What the police wrote" is every text of theirs, wherever it stands: the notes of a commitment
// of theirs (its progress, its fulfilment) in the history, and its action in the decision's event
// and in the case. Another agency's stay in clear.
TEST_F(SubjectRightsTest, EveryTextThePoliceWroteIsWithheldFromTheExport) {
  const scenario::Cast& cast = suite_->cast;
  const std::string youth = Accepted();
  // The school's commitment (accepted at the meeting) and the police's (accepted after it).
  v1::RecordDecisionRequest decision = DecisionFor(HeldMeetingWith(youth), youth);
  auto* police = decision.add_commitments();
  *police = decision.commitments(0);
  police->set_owning_agency_id(kPolice);
  police->set_responsible_person(cast.police_member.person);
  police->clear_accepted_by();
  police->set_action("A talk at the station about the kiosk thefts");
  const v1::CommandResponse decided = Must(cast.chief, decision);
  ASSERT_EQ(decided.created_ids_size(), 2);
  const std::string& schools = decided.created_ids(0);
  const std::string& polices = decided.created_ids(1);
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(polices);
  Must(cast.police_member, accept);
  auto progress = Req<v1::ReportProgressRequest>();
  progress.set_commitment_id(polices);
  progress.set_note("He came to the station with his father");
  Must(cast.police_member, progress);
  auto fulfilled = Req<v1::FulfilCommitmentRequest>();
  fulfilled.set_commitment_id(polices);
  fulfilled.set_note("Talk held; no new thefts reported");
  Must(cast.police_member, fulfilled);
  auto school_progress = Req<v1::ReportProgressRequest>();
  school_progress.set_commitment_id(schools);
  school_progress.set_note("The family answers the calls every morning");
  Must(cast.school_member, school_progress);
  auto sar = Req<v1::RecordSubjectAccessRequestRequest>();
  sar.set_youth_id(youth);
  sar.set_requester(v1::CONSENT_GIVER_YOUTH);
  sar.set_requested_by("the youth, by letter");
  const v1::CommandResponse asked = Must(cast.chief, sar);

  v1::ExportSubjectAccessRequest request;
  request.set_youth_id(youth);
  request.set_subject_access_id(asked.id());
  v1::ExportSubjectAccessResponse exported;
  auto dpo = suite_->As(cast.auditor, "data_subject_request: the youth's letter");
  const grpc::Status status = v1::AuditService::NewStub(suite_->channel)
                                  ->ExportSubjectAccess(dpo.get(), request, &exported);
  ASSERT_TRUE(status.ok()) << status.error_message();

  for (const std::string* page : {&exported.json(), &exported.html()}) {
    for (const char* police_wrote : {"kiosk thefts", "with his father", "no new thefts"}) {
      EXPECT_EQ(page->find(police_wrote), std::string::npos) << police_wrote;
    }
    EXPECT_NE(page->find("answers the calls every morning"), std::string::npos);
  }
  v1::SubjectAccessExport e;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(exported.json(), &e).ok());
  // In the history: the police's texts withheld, each redaction listed; the school's in clear.
  std::map<std::string, int> withheld, clear;
  for (const v1::StoredEvent& event : e.history()) {
    for (const v1::PersonalValue& v : event.personal_data()) {
      (v.value().withheld().reason() == "redacted" ? withheld : clear)[v.path()]++;
    }
  }
  EXPECT_EQ(withheld["commitment_made.action.sealed"], 1);  // the police's
  EXPECT_EQ(clear["commitment_made.action.sealed"], 1);     // the school's
  EXPECT_EQ(withheld["progress_reported.note.sealed"], 1);
  EXPECT_EQ(clear["progress_reported.note.sealed"], 1);
  EXPECT_EQ(withheld["commitment_fulfilled.note.sealed"], 1);
  std::set<std::string> redacted;
  for (const v1::Redaction& r : e.redactions()) {
    if (r.reason().find("police") != std::string::npos) redacted.insert(r.path());
  }
  for (const char* path : {"commitment_made.action.sealed", "progress_reported.note.sealed",
                           "commitment_fulfilled.note.sealed", "case_view.commitments.action"}) {
    EXPECT_TRUE(redacted.count(path)) << path;
  }
  // In the case: the police's commitment's action withheld, the school's in clear.
  int commitments = 0;
  for (const v1::CommitmentView& c : e.case_view().commitments()) {
    ++commitments;
    if (c.owning_agency_id() == kPolice) {
      EXPECT_EQ(c.action().withheld().reason(), "redacted");
    } else {
      EXPECT_EQ(c.action().text(), "Morning call to the family");
    }
  }
  EXPECT_EQ(commitments, 2);
}

}  // namespace
}  // namespace hotspot::testing
