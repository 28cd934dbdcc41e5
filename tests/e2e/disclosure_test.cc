// Need to know, tried as an attacker would against a real hotspotd with two areas (the demo's
// Sjælør Boulevard and a second area with its own coordinator and youth):
//   - a subscription is bounded by the principal's areas, for integrations too, and events of
//     other areas are dropped before anything is unsealed;
//   - a coordinator's subscription in clear needs a purpose, and leaves one access record per
//     youth per response;
//   - refused attempts on youths' data are recorded;
//   - purposes come from the controlled list; free texts in any language reach the log sealed;
//   - the legal basis of a shared concern decides who reads it: § 115 shares stay with their
//     recipients, a housing association reads only the police's § 63 d information, a share on
//     consent goes dark for its recipients when the consent is withdrawn, and concern categories
//     are shown only with need-to-know (an NGO sees their number).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "services/security/policy.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

constexpr char kOtherArea[] = "area-elsewhere";
constexpr char kSchool[] = "agency-school-sjaelor";
constexpr char kClub[] = "agency-club-sjaelor";
constexpr char kHousing[] = "agency-housing-sjaelor";
constexpr char kPolice[] = "agency-police-copenhagen";

const security::Principal& Housing() {
  static const auto* p = new security::Principal{
      "caretaker-per", kHousing, security::Role::kAgencyMember, {scenario::kAreaId}};
  return *p;
}
const security::Principal& ClubWorker() {
  static const auto* p = new security::Principal{
      "worker-jens", kClub, security::Role::kAgencyMember, {scenario::kAreaId}};
  return *p;
}
const security::Principal& Ngo() {
  static const auto* p = new security::Principal{
      "mentor-mia", "agency-ngo-mentors", security::Role::kAgencyMember, {scenario::kAreaId}};
  return *p;
}

// An auditor bound to the other area.
const security::Principal& OtherAreaAuditor() {
  static const auto* p = new security::Principal{
      "auditor-elsewhere", "agency-hotspot-other", security::Role::kAuditor, {kOtherArea}};
  return *p;
}

class DisclosureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // No deadline passes: only the tests write, so a subscription caught up stays caught up (a
    // fact appended while one is cancelled was recorded as read but never counted).
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false", "--deadline_interval_s=0"},
                         {Housing(), ClubWorker(), Ngo(), OtherAreaAuditor()});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    // The second area, built by its own coordinator (the stranger).
    const security::Principal& stranger = suite_->stranger;
    v1::EstablishAreaRequest area;
    area.set_request_id("other-area");
    area.set_area_id(kOtherArea);
    area.set_name("Elsewhere");
    area.set_municipality("Elsewhere Kommune");
    ASSERT_TRUE(suite_->commands->Call(stranger, area).status.ok());
    v1::RegisterAgencyRequest agency;
    agency.set_request_id("other-agency");
    agency.set_agency_id(stranger.agency);
    agency.set_area_id(kOtherArea);
    agency.set_name("Hotspot Elsewhere");
    agency.set_kind(v1::AGENCY_KIND_HOTSPOT_SECRETARIAT);
    ASSERT_TRUE(suite_->commands->Call(stranger, agency).status.ok());
    v1::ReferYouthRequest referral = scenario::SampleReferral(1, "other-referral");
    referral.set_area_id(kOtherArea);
    referral.set_referring_agency_id(stranger.agency);
    referral.set_referred_by(stranger.person);
    referral.set_name("Elsewhere Youth");
    const CallResult referred = suite_->commands->Call(stranger, referral);
    ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
    other_youth_ = new std::string(referred.response.id());
    head_ = referred.response.position();
  }
  static void TearDownTestSuite() {
    delete suite_;
    delete other_youth_;
  }

  static std::unique_ptr<v1::QueryService::Stub> Queries() {
    return v1::QueryService::NewStub(suite_->channel);
  }
  static std::unique_ptr<v1::AuditService::Stub> Audit() {
    return v1::AuditService::NewStub(suite_->channel);
  }

  // Every response of a subscription from position 1 as `who`, until caught up (the call started
  // after head_, so caught up is past it); the final status.
  static grpc::Status SubscribeAll(const security::Principal& who, const std::string& purpose,
                                   std::vector<v1::SubscribeResponse>* out,
                                   const std::string& area_id = "") {
    v1::SubscribeRequest request;
    request.set_from_position(1);
    request.set_area_id(area_id);
    request.set_max_batch(100);
    auto context = suite_->As(who, purpose, absl::Seconds(60));
    auto reader =
        v1::SubscriptionService::NewStub(suite_->channel)->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      out->push_back(response);
      if (response.caught_up()) {
        context->TryCancel();
        while (reader->Read(&response)) {
        }
        break;
      }
    }
    return reader->Finish();
  }

  // The case as `who` reads it, after every command this suite sent through Do() (whose last
  // may be confidential, beyond the head `who` is told: the views are waited for first).
  static v1::CaseView CaseAs(const security::Principal& who, const std::string& youth) {
    EXPECT_TRUE(suite_->WaitForViews(last_position_).ok());
    v1::GetCaseRequest get;
    get.set_youth_id(youth);
    v1::GetCaseResponse got;
    auto context = suite_->As(who, "case_coordination");
    const grpc::Status status = Queries()->GetCase(context.get(), get, &got);
    EXPECT_TRUE(status.ok()) << who.person << ": " << status.error_message();
    return got.case_view();
  }

  // A youth of the demo's area (Sjælør), its first case as the chief lists them.
  static std::string YouthOfTheArea() {
    v1::ListCasesRequest cases;
    cases.set_area_id(scenario::kAreaId);
    cases.set_min_position(suite_->Head());  // the demo, applied in the background at start
    v1::ListCasesResponse listed;
    auto chief = suite_->As(suite_->cast.chief, "case_coordination");
    const grpc::Status status = Queries()->ListCases(chief.get(), cases, &listed);
    EXPECT_TRUE(status.ok() && listed.cases_size() > 0) << status.error_message();
    return listed.cases_size() > 0 ? listed.cases(0).youth_id() : "";
  }

  // An active case of the demo's area (an action plan in force), as the chief lists them.
  static std::string OpenYouthOfTheArea() {
    v1::ListCasesRequest cases;
    cases.set_area_id(scenario::kAreaId);
    cases.set_page_size(500);
    cases.set_min_position(suite_->Head());
    v1::ListCasesResponse listed;
    auto chief = suite_->As(suite_->cast.chief, "case_coordination");
    const grpc::Status status = Queries()->ListCases(chief.get(), cases, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::CaseView& c : listed.cases()) {
      if (c.status() == v1::CASE_STATUS_ACTIVE) return c.youth_id();
    }
    ADD_FAILURE() << "no active case";
    return "";
  }

  // The concern of `view` shared by `agency` under `basis`; fails the test if there is none.
  static v1::SharedConcern ConcernOf(const v1::CaseView& view, const std::string& agency,
                                     v1::LegalBasis basis) {
    for (const v1::SharedConcern& c : view.concerns_shared()) {
      if (c.agency_id() == agency && c.legal_basis() == basis) return c;
    }
    ADD_FAILURE() << "no concern of " << agency << " under " << basis;
    return {};
  }

  // The police's § 115 share about `youth` with `recipient`: charges, `text`, `necessity`.
  static v1::ShareConcernRequest PoliceShare(
      const std::string& youth, const std::string& recipient, const std::string& text,
      const std::string& necessity = "The school can keep him in class in the afternoons") {
    v1::ShareConcernRequest share;
    share.set_youth_id(youth);
    share.set_agency_id(kPolice);
    share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
    share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
    share.set_text(text);
    share.set_necessity(necessity);
    share.add_recipient_agency_ids(recipient);
    return share;
  }

  static void Do(const security::Principal& who, const google::protobuf::Message& request) {
    const CallResult result = suite_->commands->Call(who, request);
    ASSERT_TRUE(result.status.ok()) << request.GetDescriptor()->name() << " as " << who.person
                                    << ": " << result.status.error_message();
    last_position_ = std::max(last_position_, result.response.position());
  }

  // ABORTED naming `youth`'s version: what a pin is told by one who sees every change.
  static void ExpectToldTheVersion(const grpc::Status& status, const std::string& youth) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
    EXPECT_EQ(status.error_message().rfind(
                  absl::StrCat("expected_version: ", youth, " is at version "), 0),
              0u)
        << status.error_message();
  }

  // `who` notifies the social administration of `youth` for its own agency.
  static void Notify(const security::Principal& who, const std::string& youth,
                     const std::string& request_id, const std::string& text) {
    v1::NotifyChildWelfareRequest notify;
    notify.set_request_id(request_id);
    notify.set_youth_id(youth);
    notify.set_agency_id(who.agency);
    notify.set_text(text);
    Do(who, notify);
  }

  // The access records of a youth or a person, by the auditor of every area.
  static std::vector<v1::AccessRecord> Records(const std::string& youth,
                                               const std::string& person) {
    v1::ListAccessRecordsRequest request;
    request.set_youth_id(youth);
    request.set_person(person);
    request.set_page_size(500);
    std::vector<v1::AccessRecord> records;
    for (int page = 0; page < 100; ++page) {  // every page: the log is bounded
      v1::ListAccessRecordsResponse response;
      auto context = suite_->As(suite_->dpo, "audit: disclosure test");
      const grpc::Status status = Audit()->ListAccessRecords(context.get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      records.insert(records.end(), response.records().begin(), response.records().end());
      if (!status.ok() || response.next_page_token().empty()) return records;
      request.set_page_token(response.next_page_token());
    }
    ADD_FAILURE() << "more than 100 pages of access records";
    return records;
  }

  // The youth an event is about: its message's youth_id (a commitment's or a meeting's events
  // name it too), or its stream's if that is a youth's; "" for none.
  static std::string YouthOf(const v1::StoredEvent& e) {
    const auto* reflection = e.event().GetReflection();
    const auto* kind = reflection->GetOneofFieldDescriptor(
        e.event(), v1::Event::descriptor()->FindOneofByName("kind"));
    if (kind != nullptr) {
      const google::protobuf::Message& message = reflection->GetMessage(e.event(), kind);
      const auto* id = message.GetDescriptor()->FindFieldByName("youth_id");
      if (id != nullptr && !id->is_repeated() &&
          id->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
        const std::string youth = message.GetReflection()->GetString(message, id);
        if (!youth.empty()) return youth;
      }
    }
    return e.stream().rfind("youth-", 0) == 0 ? e.stream() : "";
  }

  // The last record of `person` through `call`; an empty record if there is none.
  static v1::AccessRecord LastOf(const std::string& person, const std::string& call) {
    v1::AccessRecord last;
    for (const v1::AccessRecord& r : Records("", person)) {
      if (r.call() == call) last = r;
    }
    return last;
  }

  static SuiteServer* suite_;
  static std::string* other_youth_;
  static uint64_t head_;
  static uint64_t last_position_;
};

SuiteServer* DisclosureTest::suite_ = nullptr;
std::string* DisclosureTest::other_youth_ = nullptr;
uint64_t DisclosureTest::head_ = 0;
uint64_t DisclosureTest::last_position_ = 0;

// The review's attack: an agency involved in nothing writes about a youth to read the case. A
// share or a notification opens nothing to its author; a share's author is not its recipient.
TEST_F(DisclosureTest, WritingAboutAYouthDoesNotOpenTheCase) {
  const scenario::Cast& cast = suite_->cast;
  v1::ReferYouthRequest referral = scenario::SampleReferral(77, "write-referral");
  referral.set_name("Write Youth");
  const CallResult referred = suite_->commands->Call(cast.school_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  last_position_ = std::max(last_position_, referred.response.position());
  EXPECT_EQ(CaseAs(Ngo(), youth).name().withheld().reason(), "not_allowed");
  v1::ShareConcernRequest share;
  share.set_request_id("write-ngo-share");
  share.set_youth_id(youth);
  share.set_agency_id(Ngo().agency);
  share.set_legal_basis(v1::LEGAL_BASIS_OTHER);
  share.set_legal_basis_other("Forvaltningsloven § 28");
  share.set_text("Seen at the homework club twice");
  share.set_necessity("The school can follow up");
  share.add_recipient_agency_ids(Ngo().agency);
  const CallResult to_itself = suite_->commands->Call(Ngo(), share);
  EXPECT_EQ(to_itself.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(to_itself.status.error_message().find("the sharing agency is not a recipient"),
            std::string::npos)
      << to_itself.status.error_message();
  share.set_recipient_agency_ids(0, kSchool);
  Do(Ngo(), share);
  Notify(cast.jobcentre_leader, youth, "write-jobcentre-notify", "x");
  for (const security::Principal* who : {&Ngo(), &cast.jobcentre_leader}) {
    const v1::CaseView view = CaseAs(*who, youth);
    EXPECT_EQ(view.name().withheld().reason(), "not_allowed") << who->person;
    EXPECT_EQ(view.cpr_number().withheld().reason(), "not_allowed") << who->person;
    EXPECT_EQ(view.referral().description().withheld().reason(), "not_allowed") << who->person;
    EXPECT_TRUE(view.notifications().empty()) << who->person;  // not even that there is one
  }
  // The school, the recipient and referrer, reads it.
  EXPECT_EQ(CaseAs(cast.school_member, youth).name().text(), "Write Youth");
}

TEST_F(DisclosureTest, AnIntegrationOfOneAreaReceivesNothingOfAnother) {
  const scenario::Cast& cast = suite_->cast;
  std::vector<v1::SubscribeResponse> responses;
  ASSERT_EQ(SubscribeAll(cast.integration, "", &responses).error_code(),
            grpc::StatusCode::CANCELLED);
  // The auditor's subscription, which has every kind (pseudonymous), says what each position is.
  std::vector<v1::SubscribeResponse> audited;
  ASSERT_EQ(SubscribeAll(cast.auditor, "", &audited, scenario::kAreaId).error_code(),
            grpc::StatusCode::CANCELLED);
  std::map<uint64_t, std::string> types;
  for (const auto& response : audited) {
    for (const v1::StoredEvent& e : response.events()) types[e.position()] = e.type();
  }
  // The confidential events of the area: a notification, an investigation, a social decision,
  // a subject access request or a fact dated by a birthday.
  std::set<uint64_t> confidential;
  for (const auto& [position, type] : types) {
    if (security::IsConfidentialEventType(type)) confidential.insert(position);
  }
  EXPECT_GT(confidential.size(), 5u);  // the demo notifies, investigates and answers requests
  int events = 0;
  uint64_t last_sent = 0;
  for (const auto& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      ++events;
      last_sent = std::max(last_sent, e.position());
      EXPECT_EQ(e.event().area_id(), scenario::kAreaId) << e.position();
      EXPECT_EQ(e.event().ShortDebugString().find(*other_youth_), std::string::npos);
      // Sealed for an integration, whatever its area.
      for (const auto& v : e.personal_data()) {
        EXPECT_EQ(v.value().withheld().reason(), "not_allowed");
      }
      ASSERT_TRUE(types.count(e.position())) << e.position();
      // Nothing at a confidential event's position, and no placeholder marking one.
      EXPECT_EQ(confidential.count(e.position()), 0u) << e.position();
      EXPECT_EQ(e.type(), types[e.position()]);
      EXPECT_EQ(e.withheld(), "");
      // No stream versions: a gap in a youth's would point at what is withheld.
      EXPECT_EQ(e.stream_version(), 0u) << e.position();
    }
    // A checkpoint moves past a confidential event only with an event sent after it: one that
    // moved by itself would say where (and, live, when) the withheld event was.
    for (uint64_t p : confidential) {
      if (p > last_sent && p < response.checkpoint()) {
        ADD_FAILURE() << "checkpoint " << response.checkpoint() << " passes confidential " << p
                      << " after the last event sent, " << last_sent;
        break;
      }
    }
  }
  EXPECT_GT(events, 100);
  // Every position of the area up to the suite's head that is not confidential, once (the
  // deadline process may append more between the two subscriptions).
  std::set<uint64_t> positions;
  for (const auto& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      if (e.position() <= head_) {
        EXPECT_TRUE(positions.insert(e.position()).second);
      }
    }
  }
  std::set<uint64_t> audited_positions;
  for (const auto& [position, type] : types) {
    if (position <= head_ && confidential.count(position) == 0) {
      audited_positions.insert(position);
    }
  }
  EXPECT_EQ(positions, audited_positions);
  // Asking for such a kind by name is refused.
  {
    v1::SubscribeRequest request;
    request.set_from_position(1);
    request.add_event_types("hotspot.v1.CommitmentMade");
    request.add_event_types("hotspot.v1.NotificationMade");
    auto context = suite_->As(cast.integration, "", absl::Seconds(60));
    auto reader =
        v1::SubscriptionService::NewStub(suite_->channel)->Subscribe(context.get(), request);
    v1::SubscribeResponse response;
    EXPECT_FALSE(reader->Read(&response));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(status.error_message().find("event_types[1] hotspot.v1.NotificationMade"),
              std::string::npos)
        << status.error_message();
  }
  // Asking for the other area by name is refused, and the attempt is recorded.
  responses.clear();
  const grpc::Status refused = SubscribeAll(cast.integration, "", &responses, kOtherArea);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(responses.empty());
  const v1::AccessRecord record =
      LastOf(cast.integration.person, "hotspot.v1.SubscriptionService/Subscribe");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.area_id(), kOtherArea);
  EXPECT_FALSE(record.personal_data_disclosed());
}

TEST_F(DisclosureTest, ACoordinatorsSubscriptionNeedsAPurposeAndIsRecordedPerYouthPerResponse) {
  const scenario::Cast& cast = suite_->cast;
  std::vector<v1::SubscribeResponse> responses;
  const grpc::Status no_purpose = SubscribeAll(cast.chief, "", &responses);
  EXPECT_EQ(no_purpose.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_purpose.error_message().find("purpose"), std::string::npos);
  EXPECT_TRUE(responses.empty());

  // A purpose of this test's own, so that its records are told from any other test's.
  ASSERT_EQ(
      SubscribeAll(cast.chief, "case_coordination: following the area, per response", &responses)
          .error_code(),
      grpc::StatusCode::CANCELLED);
  // Per response: the youths it told of, and those whose data came out in clear. An event is
  // about the youth its stream is, or its message names, or its stream's first event named.
  std::map<std::string, int> responses_about;     // youth -> responses telling of it
  std::map<std::string, int> responses_in_clear;  // youth -> responses showing it in clear
  std::map<std::string, std::string> owners;      // stream -> the youth its first event named
  for (const auto& response : responses) {
    std::set<std::string> about;
    std::set<std::string> youths;
    for (const v1::StoredEvent& e : response.events()) {
      EXPECT_EQ(e.event().area_id(), scenario::kAreaId);
      std::string youth = YouthOf(e);
      if (e.stream_version() == 1) owners[e.stream()] = youth;
      if (youth.empty()) youth = owners[e.stream()];
      about.insert(youth);
      for (const auto& v : e.personal_data()) {
        if (v.value().has_text()) youths.insert(youth);
      }
    }
    about.erase("");
    youths.erase("");
    for (const std::string& y : about) ++responses_about[y];
    for (const std::string& y : youths) ++responses_in_clear[y];
  }
  ASSERT_FALSE(responses_in_clear.empty());
  // Some response told of a youth with nothing of it in clear (an event with no personal data).
  int about_in_all = 0;
  int in_clear_in_all = 0;
  for (const auto& [youth, count] : responses_about) about_in_all += count;
  for (const auto& [youth, count] : responses_in_clear) in_clear_in_all += count;
  ASSERT_GT(about_in_all, in_clear_in_all);
  // The access log holds, for each youth, one Subscribe record per response that told of it,
  // with the data disclosed in those that showed it in clear.
  for (const auto& [youth, count] : responses_about) {
    int recorded = 0;
    int disclosed = 0;
    for (const v1::AccessRecord& r : Records(youth, "")) {
      if (r.call() != "hotspot.v1.SubscriptionService/Subscribe" ||
          r.purpose_text().text() != "following the area, per response") {
        continue;
      }
      ++recorded;
      disclosed += r.personal_data_disclosed();
      EXPECT_EQ(r.person(), cast.chief.person);
      EXPECT_EQ(r.purpose_code(), v1::PURPOSE_CASE_COORDINATION);
      EXPECT_EQ(r.area_id(), scenario::kAreaId);
    }
    EXPECT_EQ(recorded, count) << youth;
    EXPECT_EQ(disclosed, responses_in_clear[youth]) << youth;
  }
  // Nothing of the other area's youth was unsealed or recorded for the chief.
  for (const v1::AccessRecord& r : Records(*other_youth_, "")) {
    EXPECT_NE(r.person(), cast.chief.person) << r.ShortDebugString();
  }
  // The other area's coordinator follows only its own area, in clear.
  responses.clear();
  ASSERT_EQ(SubscribeAll(suite_->stranger, "case_coordination", &responses).error_code(),
            grpc::StatusCode::CANCELLED);
  int theirs = 0;
  for (const auto& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      EXPECT_EQ(e.event().area_id(), kOtherArea);
      ++theirs;
    }
  }
  EXPECT_EQ(theirs, 3);  // established, agency registered, youth referred
}

TEST_F(DisclosureTest, RefusedAttemptsOnYouthsDataAreRecorded) {
  const scenario::Cast& cast = suite_->cast;
  // The chief reads the other area's youth.
  v1::GetCaseRequest get;
  get.set_youth_id(*other_youth_);
  get.set_min_position(head_);
  v1::GetCaseResponse got;
  auto chief = suite_->As(cast.chief, "case_coordination: curious");
  EXPECT_EQ(Queries()->GetCase(chief.get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AccessRecord record = LastOf(cast.chief.person, "hotspot.v1.QueryService/GetCase");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), *other_youth_);
  EXPECT_EQ(record.area_id(), kOtherArea);  // the youth's, for the area's audit
  EXPECT_FALSE(record.personal_data_disclosed());
  EXPECT_EQ(record.purpose_code(), v1::PURPOSE_CASE_COORDINATION);
  // A refused attempt names a youth that may not exist: its free text is not kept.
  EXPECT_FALSE(record.has_purpose_text());
  // The refusal is listed under the youth too, for its audit.
  bool under_youth = false;
  for (const v1::AccessRecord& r : Records(*other_youth_, "")) {
    under_youth = under_youth || (r.refused() && r.person() == cast.chief.person);
  }
  EXPECT_TRUE(under_youth);

  // The chief lists the other area's cases.
  v1::ListCasesRequest list;
  list.set_area_id(kOtherArea);
  v1::ListCasesResponse cases;
  auto chief_list = suite_->As(cast.chief, "case_coordination");
  EXPECT_EQ(Queries()->ListCases(chief_list.get(), list, &cases).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  record = LastOf(cast.chief.person, "hotspot.v1.QueryService/ListCases");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.area_id(), kOtherArea);

  // A teacher asks for a youth's history.
  v1::GetCaseHistoryRequest history;
  history.set_youth_id(*other_youth_);
  auto teacher = suite_->As(cast.school_member, "audit");
  auto reader = Audit()->GetCaseHistory(teacher.get(), history);
  v1::GetCaseHistoryResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  record = LastOf(cast.school_member.person, "hotspot.v1.AuditService/GetCaseHistory");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), *other_youth_);
  EXPECT_EQ(record.area_id(), kOtherArea);

  // The teacher asks for the case as of a point, and for a subject access export: each refusal
  // names the youth's area. A youth that does not exist is refused alike, and its record names
  // neither it nor an area.
  const std::string nobody = "youth-00000000-0000-0000-0000-000000000000";
  std::vector<std::string> answers;  // the refusals' messages, for each youth
  for (const std::string& youth : {*other_youth_, nobody}) {
    v1::GetCaseAsOfRequest as_of;
    as_of.set_youth_id(youth);
    as_of.set_position(head_);
    v1::GetCaseAsOfResponse then;
    auto teacher_as_of = suite_->As(cast.school_member, "audit");
    const grpc::Status refused_as_of = Audit()->GetCaseAsOf(teacher_as_of.get(), as_of, &then);
    EXPECT_EQ(refused_as_of.error_code(), grpc::StatusCode::PERMISSION_DENIED) << youth;
    v1::ExportSubjectAccessRequest subject;
    subject.set_youth_id(youth);
    subject.set_subject_access_id("access-1");
    v1::ExportSubjectAccessResponse exported;
    auto teacher_export = suite_->As(cast.school_member, "data_subject_request");
    const grpc::Status refused_export =
        Audit()->ExportSubjectAccess(teacher_export.get(), subject, &exported);
    EXPECT_EQ(refused_export.error_code(), grpc::StatusCode::PERMISSION_DENIED) << youth;
    answers.push_back(refused_as_of.error_message() + " / " + refused_export.error_message());
    for (const char* call :
         {"hotspot.v1.AuditService/GetCaseAsOf", "hotspot.v1.AuditService/ExportSubjectAccess"}) {
      record = LastOf(cast.school_member.person, call);
      EXPECT_TRUE(record.refused()) << call;
      EXPECT_EQ(record.youth_id(), youth == nobody ? "" : youth) << call;
      EXPECT_EQ(record.area_id(), youth == nobody ? "" : kOtherArea) << call;
    }
  }
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0], answers[1]);  // the answer tells nothing of whether the youth exists

  // A coordinator reads the access log.
  v1::ListAccessRecordsRequest log;
  log.set_youth_id(*other_youth_);
  v1::ListAccessRecordsResponse records;
  auto chief_log = suite_->As(cast.chief, "audit");
  EXPECT_EQ(Audit()->ListAccessRecords(chief_log.get(), log, &records).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  record = LastOf(cast.chief.person, "hotspot.v1.AuditService/ListAccessRecords");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), *other_youth_);

  // A teacher subscribes.
  std::vector<v1::SubscribeResponse> responses;
  EXPECT_EQ(SubscribeAll(cast.school_member, "", &responses).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      LastOf(cast.school_member.person, "hotspot.v1.SubscriptionService/Subscribe").refused());

  // A refusal of something that shows no youth's data (the bodies of another area) is not a
  // read of personal data: nothing is recorded.
  v1::ListBodiesRequest bodies;
  bodies.set_area_id(kOtherArea);
  v1::ListBodiesResponse body_list;
  auto chief_bodies = suite_->As(cast.chief, "");
  EXPECT_EQ(Queries()->ListBodies(chief_bodies.get(), bodies, &body_list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(LastOf(cast.chief.person, "hotspot.v1.QueryService/ListBodies").refused());
}

// An erasure names its youth (issue 12, A): the other area's auditor, approving one of the demo
// area's erasures and one that does not exist, is refused alike (the same code and words but for
// the id, naming no area), and nothing is written. The refusal of the existing one is recorded
// naming its youth, as the same auditor's refused RaiseEscalation naming that youth is.
TEST_F(DisclosureTest, AnErasureOfAnotherAreaIsRefusedAsOneThatDoesNotExist) {
  const scenario::Cast& cast = suite_->cast;
  const security::Principal& auditor = OtherAreaAuditor();
  const std::string youth = OpenYouthOfTheArea();
  v1::RequestErasureRequest request;
  request.set_request_id("oracle-erasure");
  request.set_youth_id(youth);
  request.set_requested_by("the mother");
  request.set_reason("The family has moved away");
  request.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  const CallResult requested = suite_->commands->Call(cast.chief, request);
  ASSERT_TRUE(requested.status.ok()) << requested.status.error_message();
  const std::string erasure = requested.response.id();
  const std::string nobody = "erasure-00000000-0000-0000-0000-000000000001";
  auto approve = [&](const std::string& id) {
    v1::ApproveErasureRequest approve;
    approve.set_request_id(absl::StrCat("oracle-approve-", id));
    approve.set_erasure_id(id);
    return suite_->commands->Call(auditor, approve);
  };
  const CallResult unknown = approve(nobody);
  const CallResult other = approve(erasure);
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << unknown.status.error_message();
  EXPECT_EQ(other.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << other.status.error_message();
  EXPECT_EQ(absl::StrReplaceAll(unknown.status.error_message(), {{nobody, "<id>"}}),
            absl::StrReplaceAll(other.status.error_message(), {{erasure, "<id>"}}));
  EXPECT_EQ(other.status.error_message(),
            absl::StrCat("erasure_id: ", auditor.person, " has no access to ", erasure));
  // Nothing was written: the next command's position follows the request's.
  v1::ReferYouthRequest next = scenario::SampleReferral(73, "oracle-erasure-next");
  const CallResult probe = suite_->commands->Call(cast.school_member, next);
  ASSERT_TRUE(probe.status.ok()) << probe.status.error_message();
  EXPECT_EQ(probe.response.position(), requested.response.position() + 1);
  const v1::AccessRecord refused =
      LastOf(auditor.person, "hotspot.v1.CommandService/ApproveErasure");
  EXPECT_TRUE(refused.refused());
  EXPECT_EQ(refused.youth_id(), youth);
  EXPECT_FALSE(refused.personal_data_disclosed());

  v1::RaiseEscalationRequest raise;
  raise.set_request_id("oracle-escalation");
  raise.set_area_id(scenario::kAreaId);
  raise.set_target_agency_id(kSchool);
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Calls not made for three weeks");
  raise.set_youth_id(youth);
  raise.add_commitment_ids("commitment-01a24c63-543f-70a2-9b13-f48ea4ddbfd6");  // none such
  const CallResult raised = suite_->commands->Call(auditor, raise);
  EXPECT_EQ(raised.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << raised.status.error_message();
  const v1::AccessRecord escalation =
      LastOf(auditor.person, "hotspot.v1.CommandService/RaiseEscalation");
  EXPECT_TRUE(escalation.refused());
  EXPECT_EQ(escalation.youth_id(), refused.youth_id());
  EXPECT_EQ(escalation.area_id(), refused.area_id());
  EXPECT_EQ(escalation.personal_data_disclosed(), refused.personal_data_disclosed());
}

// The ninth review's blocker: a command's expected_version was compared with the case's version
// before the caller's role and area were checked, and the answer named the version. Any token
// learnt when a confidential event (a notification, a social decision) came, unrecorded, and
// whether a youth has a case (version 0). Now the policy speaks first and its refusal is
// recorded; the version is named only to those who see every change of a case.
TEST_F(DisclosureTest, APinnedVersionIsComparedOnlyForACallerThePolicyAdmits) {
  const scenario::Cast& cast = suite_->cast;
  const std::string youth = OpenYouthOfTheArea();
  const std::string nobody = "youth-00000000-0000-0000-0000-000000000001";
  const uint64_t head = suite_->Head();
  ASSERT_GT(head, 0u);
  int n = 0;
  // A social decision about `id`, pinned at version 1 (the case is past it).
  auto decision = [&n](const std::string& id) {
    v1::RecordSocialDecisionRequest decide;
    decide.set_request_id(absl::StrCat("pinned-", ++n));
    decide.set_youth_id(id);
    decide.set_decision("Family support granted");
    decide.set_expected_version(1);
    return decide;
  };
  // A social decision, which none of them may record, pinned at a version the case is not at:
  // the police and the integration of the youth's area, and the other area's coordinator.
  for (const security::Principal* who :
       {&cast.police_member, &cast.integration, &std::as_const(suite_->stranger)}) {
    std::map<std::string, std::string> answers;  // youth -> the refusal, the youth's id blanked
    for (const std::string& id : {youth, nobody}) {
      const CallResult result = suite_->commands->Call(*who, decision(id));
      EXPECT_EQ(result.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << who->person << " " << id << ": " << result.status.error_message();
      std::string message = result.status.error_message();
      EXPECT_EQ(message.find("version"), std::string::npos) << who->person << ": " << message;
      if (const size_t at = message.find(id); at != std::string::npos) message.erase(at, id.size());
      answers[id] = message;
      // The refusal is recorded, as any refusal on a youth's case is.
      const v1::AccessRecord record =
          LastOf(who->person, "hotspot.v1.CommandService/RecordSocialDecision");
      EXPECT_TRUE(record.refused()) << who->person << " " << id;
      if (id == youth) {
        EXPECT_EQ(record.youth_id(), youth) << who->person;
      }
    }
    // Outside the youth's area, a youth with no case is refused as one with a case is.
    if (!who->InArea(scenario::kAreaId)) {
      EXPECT_EQ(answers[youth], answers[nobody]) << who->person;
    }
  }
  // The area's caseworker records social decisions, but a youth with no case is in none of her
  // areas: she is refused as for another area's youth, and told no version.
  const CallResult no_case = suite_->commands->Call(cast.caseworker, decision(nobody));
  EXPECT_EQ(no_case.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << no_case.status.error_message();
  EXPECT_EQ(no_case.status.error_message().find("version"), std::string::npos);
  // Admitted and pinned at another version. The police, who do not see every change of the
  // case, have their pin ignored: the share is made, whatever version it names. The caseworker,
  // who sees every change, is told ABORTED and the version.
  v1::ShareConcernRequest share =
      PoliceShare(youth, kSchool, "Seen with older boys at the station");
  share.set_request_id(absl::StrCat("pinned-", ++n));
  share.set_expected_version(1);
  EXPECT_EQ(suite_->Head(), head);  // nothing was written so far
  const CallResult stale_share = suite_->commands->Call(cast.police_member, share);
  EXPECT_TRUE(stale_share.status.ok()) << stale_share.status.error_message();
  const CallResult stale_decision = suite_->commands->Call(cast.caseworker, decision(youth));
  ExpectToldTheVersion(stale_decision.status, youth);
}

// The tenth review's blocker: the pin was still an oracle, through the choice between ABORTED
// and another error (a task the case does not have, a recipient the basis does not allow, a
// youth with no case), for any token of any area. Now, for everyone who does not see every
// change of a case, no answer depends on the pin: the same status and message whether it is the
// case's version, another, or none. The police's pin is ignored; the caseworker's is told only
// after everything else held.
TEST_F(DisclosureTest, NoAnswerDependsOnAPinForWhoDoesNotSeeEveryChange) {
  const scenario::Cast& cast = suite_->cast;
  const std::string youth = OpenYouthOfTheArea();
  const std::string nobody = "youth-00000000-0000-0000-0000-00000000abcd";
  // A confidential event, so that the case's version counts one the police may not see.
  v1::RecordSocialDecisionRequest social;
  social.set_request_id("oracle-social");
  social.set_youth_id(youth);
  social.set_decision("Family support under barnets lov § 32");
  Do(cast.caseworker, social);
  // The case's version and one of its commitments', as the auditor of every area reads them.
  absl::StatusOr<std::vector<v1::StoredEvent>> history =
      suite_->History(suite_->dpo, youth, last_position_);
  ASSERT_TRUE(history.ok()) << history.status();
  std::map<std::string, uint64_t> versions;  // stream -> version
  for (const v1::StoredEvent& e : *history) {
    versions[e.stream()] = std::max(versions[e.stream()], e.stream_version());
  }
  const uint64_t version = versions[youth];
  ASSERT_GT(version, 1u);
  std::string commitment;
  for (const auto& [stream, at] : versions) {
    if (stream.rfind("commitment-", 0) == 0) commitment = stream;
  }
  ASSERT_FALSE(commitment.empty());

  int n = 0;
  using Make = std::function<std::unique_ptr<google::protobuf::Message>(
      const std::string& id, std::optional<uint64_t> pin)>;
  auto pinned = [&n](auto request, std::optional<uint64_t> pin) {
    request.set_request_id(absl::StrCat("oracle-", ++n));
    if (pin.has_value()) request.set_expected_version(*pin);
    return std::unique_ptr<google::protobuf::Message>(
        new decltype(request)(std::move(request)));
  };
  const std::map<std::string, Make> commands = {
      {"RecordOutreachOutcome",
       [&](const std::string& id, std::optional<uint64_t> pin) {
         v1::RecordOutreachOutcomeRequest r;
         r.set_youth_id(id);
         r.set_outreach_id("outreach-00000000-0000-0000-0000-000000000001");
         r.set_outcome("Met him at the club");
         return pinned(r, pin);
       }},
      {"ShareConcern",
       [&](const std::string& id, std::optional<uint64_t> pin) {
         // The housing association may not receive under § 115.
         return pinned(PoliceShare(id, kHousing, "probe", "probe"), pin);
       }},
      {"RequestErasure",
       [&](const std::string& id, std::optional<uint64_t> pin) {
         v1::RequestErasureRequest r;
         r.set_youth_id(id);
         r.set_requested_by("His mother");
         r.set_reason("probe");
         r.set_ground(v1::ERASURE_GROUND_CONSENT_WITHDRAWN);
         return pinned(r, pin);
       }},
      {"RecordSocialDecision",
       [&](const std::string& id, std::optional<uint64_t> pin) {
         v1::RecordSocialDecisionRequest r;
         r.set_youth_id(id);
         r.set_decision("probe");
         return pinned(r, pin);
       }},
      {"ReportProgress",
       [&](const std::string& id, std::optional<uint64_t> pin) {
         v1::ReportProgressRequest r;  // on a commitment of the youth: its own version
         r.set_commitment_id(id == youth ? commitment : id);
         r.set_note("probe");
         return pinned(r, pin);
       }},
  };
  const uint64_t head = suite_->Head();
  const std::vector<const security::Principal*> callers = {
      &cast.police_member, &cast.integration, &cast.auditor, &suite_->stranger,
      &OtherAreaAuditor()};
  for (const auto& [name, make] : commands) {
    const uint64_t real = name == "ReportProgress" ? versions[commitment] : version;
    for (const security::Principal* who : callers) {
      // The police may own the commitment, and so report on it.
      if (name == "ReportProgress" && who == &cast.police_member) continue;
      // The answer, its ids blanked, for each pin: none, the real version, others.
      std::set<std::string> answers;
      std::vector<std::string> ids = {youth};
      if (!who->InArea(scenario::kAreaId) && name != "ReportProgress") ids.push_back(nobody);
      for (const std::string& id : ids) {
        for (const std::optional<uint64_t> pin :
             {std::optional<uint64_t>(), std::optional<uint64_t>(real),
              std::optional<uint64_t>(real + 1), std::optional<uint64_t>(1)}) {
          const CallResult result = suite_->commands->Call(*who, *make(id, pin));
          EXPECT_FALSE(result.status.ok()) << name << " " << who->person;
          EXPECT_NE(result.status.error_code(), grpc::StatusCode::ABORTED)
              << name << " " << who->person << ": " << result.status.error_message();
          std::string message = result.status.error_message();
          for (const std::string& blank : {id, commitment}) {
            if (const size_t at = message.find(blank); at != std::string::npos) {
              message.erase(at, blank.size());
            }
          }
          answers.insert(absl::StrCat(result.status.error_code(), " ", message));
        }
      }
      EXPECT_EQ(answers.size(), 1u) << name << " " << who->person << ": "
                                    << absl::StrJoin(answers, " | ");
      // Outside the area, the refusal of a command on the case names no area.
      if (!who->InArea(scenario::kAreaId) && !answers.empty() && name != "ReportProgress") {
        EXPECT_EQ(answers.begin()->find(scenario::kAreaId), std::string::npos) << name;
      }
    }
  }
  EXPECT_EQ(suite_->Head(), head);  // nothing was written

  // A share that holds, pinned by the police at a version the case is not at: the pin is
  // ignored, the share is made.
  v1::ShareConcernRequest share =
      PoliceShare(youth, kSchool, "Seen with older boys at the station");
  share.set_request_id("oracle-share");
  share.set_expected_version(1);
  Do(cast.police_member, share);
  // The caseworker sees every change: a broken rule before the pin, then ABORTED naming it.
  v1::AssessNotificationRequest assess;
  assess.set_request_id("oracle-assess");
  assess.set_youth_id(youth);
  assess.set_notification_id("notification-00000000-0000-0000-0000-000000000001");
  assess.set_assessment("probe");
  assess.set_expected_version(1);
  EXPECT_EQ(suite_->commands->Call(cast.caseworker, assess).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  social.set_request_id("oracle-social-stale");
  social.set_expected_version(1);
  const CallResult stale = suite_->commands->Call(cast.caseworker, social);
  ExpectToldTheVersion(stale.status, youth);
}

// The tenth review's finding 5: the read side told an unknown youth (NOT_FOUND) from another
// area's (PERMISSION_DENIED naming the area). Now both get the same refusal; NOT_FOUND only for
// the auditor of every area.
TEST_F(DisclosureTest, AReadRefusesAYouthWithNoCaseAsAnotherAreasYouth) {
  const std::string youth = YouthOfTheArea();
  const std::string nobody = "youth-00000000-0000-0000-0000-00000000abcd";
  const std::vector<const security::Principal*> outsiders = {
      &suite_->stranger, &OtherAreaAuditor(), &suite_->cast.police_member};
  for (const security::Principal* who : outsiders) {
    for (const std::string& id : {youth, nobody}) {
      if (id == youth && who->InArea(scenario::kAreaId)) continue;
      const grpc::Status refusal(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("youth_id: ", who->person, " has no access to ", id));
      v1::GetCaseRequest get;
      get.set_youth_id(id);
      v1::GetCaseResponse got;
      auto context = suite_->As(*who, "case_coordination");
      const grpc::Status status = Queries()->GetCase(context.get(), get, &got);
      EXPECT_EQ(status.error_code(), refusal.error_code()) << who->person << " " << id;
      EXPECT_EQ(status.error_message(), refusal.error_message()) << who->person << " " << id;
      if (who->role == security::Role::kAuditor || who->role == security::Role::kCoordinator) {
        absl::StatusOr<std::vector<v1::StoredEvent>> history = suite_->History(*who, id);
        EXPECT_EQ(history.status(), absl::PermissionDeniedError(refusal.error_message()))
            << who->person << " " << id;
      }
    }
  }
  // The refusals are recorded, the known youth's under its id.
  EXPECT_TRUE(LastOf(suite_->stranger.person, "hotspot.v1.QueryService/GetCase").refused());
  // The auditor of every area may read every area: told that the youth has no case.
  absl::StatusOr<std::vector<v1::StoredEvent>> none = suite_->History(suite_->dpo, nobody);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound) << none.status();
}

// The eighth review's attack: a caller names a "youth" by a name and a CPR number in an audit
// read. It is no id: INVALID_ARGUMENT naming youth_id, before the policy, so no refusal is
// recorded and the text reaches no record; and the auditors' reads of the log, with a purpose's
// free text (sealed under each youth they read), still work. (A well-formed id that names no
// youth: ARefusalKeepsOnlyIdsOfYouthsAndAreasThatExist.)
TEST_F(DisclosureTest, ARefusalKeepsNoTextThatIsNoIdAndBreaksNoAuditorsRead) {
  const scenario::Cast& cast = suite_->cast;
  const std::string typed = "Mohammed Nielsen 020209-4007";
  v1::ListAccessRecordsRequest list;
  list.set_youth_id(typed);
  v1::ListAccessRecordsResponse listed;
  auto teacher = suite_->As(cast.school_member, "case_coordination: x");
  const grpc::Status listing = Audit()->ListAccessRecords(teacher.get(), list, &listed);
  EXPECT_EQ(listing.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << listing.error_message();
  EXPECT_TRUE(absl::StartsWith(listing.error_message(), "youth_id: ")) << listing.error_message();
  v1::ExportSubjectAccessRequest subject;
  subject.set_youth_id("Noah Hansen 260209-4001");
  subject.set_subject_access_id("access-x");
  v1::ExportSubjectAccessResponse exported;
  auto chief = suite_->As(cast.chief, "data_subject_request");
  const grpc::Status exporting = Audit()->ExportSubjectAccess(chief.get(), subject, &exported);
  EXPECT_EQ(exporting.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << exporting.error_message();
  EXPECT_TRUE(absl::StartsWith(exporting.error_message(), "youth_id: "))
      << exporting.error_message();

  // The whole log, exported by the auditors (the area's, and the one of every area) with a
  // purpose's free text: every record, and the typed texts nowhere. (A read of the area's first,
  // for the area's auditor to export.)
  CaseAs(cast.chief, YouthOfTheArea());
  for (const security::Principal* who : {&cast.auditor, &std::as_const(suite_->dpo)}) {
    v1::ExportAccessLogRequest everything;
    auto auditor = suite_->As(*who, "audit: quarterly review");
    auto reader = Audit()->ExportAccessLog(auditor.get(), everything);
    v1::ExportAccessLogResponse response;
    std::string all;
    uint64_t sent = 0, total = 0;
    while (reader->Read(&response)) {
      all += response.DebugString();
      sent = response.sent();
      total = response.total();
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << who->person << ": " << status.error_message();
    EXPECT_GT(sent, 0u) << who->person;
    EXPECT_EQ(sent, total) << who->person;
    for (const char* text : {"Nielsen", "020209", "Noah Hansen", "260209"}) {
      EXPECT_EQ(all.find(text), std::string::npos) << who->person << ": " << text;
    }
  }
}

// The ninth review's attack on the refusals' records: an id that is well-formed but names no
// youth and no area ("youth-<name>-<CPR number>") was kept, so the text reached the access log
// in clear. A refusal keeps a youth's id only if it has a case, an area's only if it exists.
TEST_F(DisclosureTest, ARefusalKeepsOnlyIdsOfYouthsAndAreasThatExist) {
  const scenario::Cast& cast = suite_->cast;
  const std::string typed_youth = "youth-mohammed-nielsen-020209-4007";
  const std::string typed_area = "area-260209-4001-ahmed-jensen";
  v1::ListAccessRecordsRequest list;
  list.set_youth_id(typed_youth);
  v1::ListAccessRecordsResponse listed;
  auto teacher = suite_->As(cast.school_member, "audit");
  EXPECT_EQ(Audit()->ListAccessRecords(teacher.get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AccessRecord record =
      LastOf(cast.school_member.person, "hotspot.v1.AuditService/ListAccessRecords");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), "");
  EXPECT_EQ(record.area_id(), "");
  v1::ListCasesRequest cases;
  cases.set_area_id(typed_area);
  v1::ListCasesResponse listed_cases;
  auto officer = suite_->As(cast.police_member, "case_coordination");
  EXPECT_EQ(Queries()->ListCases(officer.get(), cases, &listed_cases).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  record = LastOf(cast.police_member.person, "hotspot.v1.QueryService/ListCases");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.area_id(), "");
  EXPECT_EQ(record.purpose_code(), v1::PURPOSE_CASE_COORDINATION);
  // A command's refusal too.
  v1::RecordSocialDecisionRequest decide;
  decide.set_request_id("typed-youth");
  decide.set_youth_id(typed_youth);
  decide.set_decision("Family support granted");
  EXPECT_EQ(suite_->commands->Call(cast.police_member, decide).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  record = LastOf(cast.police_member.person, "hotspot.v1.CommandService/RecordSocialDecision");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), "");
  // An area that exists is kept.
  cases.set_area_id(kOtherArea);
  auto officer_again = suite_->As(cast.police_member, "case_coordination");
  EXPECT_EQ(Queries()->ListCases(officer_again.get(), cases, &listed_cases).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LastOf(cast.police_member.person, "hotspot.v1.QueryService/ListCases").area_id(),
            kOtherArea);
  // The whole log, as the auditor of every area exports it: the typed texts nowhere.
  auto auditor = suite_->As(suite_->dpo, "audit");
  auto reader = Audit()->ExportAccessLog(auditor.get(), v1::ExportAccessLogRequest());
  v1::ExportAccessLogResponse response;
  std::string all;
  while (reader->Read(&response)) all += response.DebugString();
  ASSERT_TRUE(reader->Finish().ok());
  for (const char* text : {"020209", "260209", "nielsen", "ahmed"}) {
    EXPECT_EQ(all.find(text), std::string::npos) << text;
  }
}

// The ninth review's misfiled refusal: a request naming a youth of Sjælør and the other area was
// filed under the other area, so Sjælør's auditor missed it and the other area's read the youth's
// id. A known youth's own area takes precedence.
TEST_F(DisclosureTest, ARefusalOnAYouthIsFiledUnderTheYouthsArea) {
  const scenario::Cast& cast = suite_->cast;
  const std::string youth = YouthOfTheArea();
  v1::ListCommitmentsRequest list;
  list.set_area_id(kOtherArea);
  list.set_youth_id(youth);
  v1::ListCommitmentsResponse listed;
  auto teacher = suite_->As(cast.school_member, "case_coordination");
  EXPECT_EQ(Queries()->ListCommitments(teacher.get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const v1::AccessRecord record =
      LastOf(cast.school_member.person, "hotspot.v1.QueryService/ListCommitments");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), youth);
  EXPECT_EQ(record.area_id(), scenario::kAreaId);
  // The other area's auditor does not see it; Sjælør's does.
  for (const auto& [auditor, sees] : {std::pair{&OtherAreaAuditor(), false},
                                      std::pair{&std::as_const(cast.auditor), true}}) {
    v1::ListAccessRecordsRequest by_person;
    by_person.set_person(cast.school_member.person);
    by_person.set_page_size(500);
    v1::ListAccessRecordsResponse records;
    auto context = suite_->As(*auditor, "audit");
    ASSERT_TRUE(Audit()->ListAccessRecords(context.get(), by_person, &records).ok());
    bool found = false;
    for (const v1::AccessRecord& r : records.records()) {
      found = found || (r.call() == "hotspot.v1.QueryService/ListCommitments" && r.refused() &&
                        r.youth_id() == youth);
    }
    EXPECT_EQ(found, sees) << auditor->person;
  }
}

// An auditor whose token lists an area audits that area only, everywhere: a case's history, the
// access log by youth, by person and whole, and a subscription. Its refusals are recorded.
TEST_F(DisclosureTest, AnAuditorBoundToAnAreaAuditsThatAreaOnly) {
  const scenario::Cast& cast = suite_->cast;
  const security::Principal& auditor = OtherAreaAuditor();
  // A youth of Sjælør, read by its chief; and the chief refused the other area's youth.
  const std::string own_youth = YouthOfTheArea();
  CaseAs(cast.chief, own_youth);
  v1::GetCaseRequest get;
  get.set_youth_id(*other_youth_);
  v1::GetCaseResponse got;
  auto curious = suite_->As(cast.chief, "case_coordination");
  ASSERT_EQ(Queries()->GetCase(curious.get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The history: of its area's youth, not of Sjælør's.
  EXPECT_TRUE(suite_->History(auditor, *other_youth_).ok());
  const absl::StatusOr<std::vector<v1::StoredEvent>> refused = suite_->History(auditor, own_youth);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  const v1::AccessRecord record = LastOf(auditor.person, "hotspot.v1.AuditService/GetCaseHistory");
  EXPECT_TRUE(record.refused());
  EXPECT_EQ(record.youth_id(), own_youth);

  // The access log by youth: its area's youth only.
  for (const auto& [youth, code] : {std::pair{*other_youth_, grpc::StatusCode::OK},
                                    std::pair{own_youth, grpc::StatusCode::PERMISSION_DENIED}}) {
    v1::ListAccessRecordsRequest by_youth;
    by_youth.set_youth_id(youth);
    v1::ListAccessRecordsResponse records;
    auto context = suite_->As(auditor, "audit");
    EXPECT_EQ(Audit()->ListAccessRecords(context.get(), by_youth, &records).error_code(), code)
        << youth;
  }
  EXPECT_TRUE(LastOf(auditor.person, "hotspot.v1.AuditService/ListAccessRecords").refused());

  // By person: the chief's records of its area only (the refused read of its youth, whose
  // record names the youth), none of Sjælør's.
  v1::ListAccessRecordsRequest by_person;
  by_person.set_person(cast.chief.person);
  by_person.set_page_size(500);
  v1::ListAccessRecordsResponse chiefs;
  auto context = suite_->As(auditor, "audit");
  ASSERT_TRUE(Audit()->ListAccessRecords(context.get(), by_person, &chiefs).ok());
  EXPECT_GT(chiefs.records_size(), 0);
  for (const v1::AccessRecord& r : chiefs.records()) {
    EXPECT_TRUE(r.area_id() == kOtherArea || (r.area_id().empty() && r.youth_id() == *other_youth_))
        << r.ShortDebugString();
  }
  // The whole log: its area's records only, counted as such.
  std::set<std::string> areas;
  uint64_t sent = 0, total = 0;
  {
    auto exporting = suite_->As(auditor, "audit");
    auto reader = Audit()->ExportAccessLog(exporting.get(), v1::ExportAccessLogRequest());
    v1::ExportAccessLogResponse response;
    while (reader->Read(&response)) {
      for (const v1::AccessRecord& r : response.records()) {
        areas.insert(r.area_id().empty() ? r.youth_id() : r.area_id());
      }
      sent = response.sent();
      total = response.total();
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(sent, total);
  EXPECT_TRUE(areas.count(kOtherArea)) << absl::StrJoin(areas, ",");
  areas.erase(kOtherArea);
  areas.erase(*other_youth_);
  EXPECT_TRUE(areas.empty()) << absl::StrJoin(areas, ",");

  // A subscription: its area's events only; naming Sjælør is refused.
  std::vector<v1::SubscribeResponse> responses;
  ASSERT_EQ(SubscribeAll(auditor, "", &responses).error_code(), grpc::StatusCode::CANCELLED);
  int events = 0;
  for (const v1::SubscribeResponse& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      EXPECT_EQ(e.event().area_id(), kOtherArea) << e.ShortDebugString();
      ++events;
    }
  }
  EXPECT_GE(events, 3);  // established, agency registered, youth referred
  responses.clear();
  EXPECT_EQ(SubscribeAll(auditor, "", &responses, scenario::kAreaId).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(LastOf(auditor.person, "hotspot.v1.SubscriptionService/Subscribe").refused());
}

TEST_F(DisclosureTest, PurposesComeFromTheListAndFreeTextsInAnyLanguageArriveSealed) {
  const scenario::Cast& cast = suite_->cast;
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(1);
  list.set_min_position(head_);
  v1::ListCasesResponse cases;
  for (const char* bad : {"reading for fun", "CASE_COORDINATION", "unspecified: x"}) {
    auto context = suite_->As(cast.chief, bad);
    const grpc::Status status = Queries()->ListCases(context.get(), list, &cases);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(status.error_message().find("purpose"), std::string::npos) << bad;
  }
  // UTF-8 in "purpose-bin", as the wrappers send it.
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + suite_->tokens.at(cast.chief.person));
  context.AddMetadata("purpose-bin", "meeting_preparation: møde om Åse og hendes familie");
  ASSERT_TRUE(Queries()->ListCases(&context, list, &cases).ok());
  ASSERT_EQ(cases.cases_size(), 1);
  const std::vector<v1::AccessRecord> records = Records(cases.cases(0).youth_id(), "");
  ASSERT_FALSE(records.empty());
  const v1::AccessRecord* last = nullptr;
  for (const auto& r : records) {
    if (r.call() == "hotspot.v1.QueryService/ListCases") last = &r;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->purpose_code(), v1::PURPOSE_MEETING_PREPARATION);
  EXPECT_EQ(last->purpose_text().text(), "møde om Åse og hendes familie");
  // Control characters in a purpose are refused.
  grpc::ClientContext escape;
  escape.AddMetadata("authorization", "Bearer " + suite_->tokens.at(cast.chief.person));
  escape.AddMetadata("purpose-bin", "audit: \x1b[2J");
  EXPECT_EQ(Queries()->ListCases(&escape, list, &cases).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// That the social administration decided anything is the child's confidential affair: it does
// not show in the case's involved agencies, which every reader of the area sees.
TEST_F(DisclosureTest, ASocialDecisionInvolvesNobodyInTheListEveryoneSees) {
  const scenario::Cast& cast = suite_->cast;
  const CallResult referred = suite_->commands->Call(
      cast.school_member, scenario::SampleReferral(78, "social-decision-referral"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  last_position_ = std::max(last_position_, referred.response.position());
  v1::ScreenReferralRequest screen;
  screen.set_request_id("social-decision-screen");
  screen.set_youth_id(youth);
  screen.set_accept(true);
  Do(cast.chief, screen);
  const v1::CaseView before = CaseAs(Ngo(), youth);
  v1::RecordSocialDecisionRequest decision;
  decision.set_request_id("social-decision");
  decision.set_youth_id(youth);
  decision.set_decision("A contact person twice a week");
  Do(cast.caseworker, decision);
  const uint64_t decided = last_position_;
  const v1::CaseView after = CaseAs(Ngo(), youth);
  EXPECT_EQ(absl::StrJoin(after.agencies_involved(), ","),
            absl::StrJoin(before.agencies_involved(), ","));
  EXPECT_EQ(absl::StrJoin(after.agencies_involved(), ","), cast.school_member.agency);
  // Nor does the case's position date it: the others are told the position of the screening,
  // the caseworker and the chief that of the decision.
  EXPECT_EQ(after.position(), before.position());
  EXPECT_EQ(CaseAs(Housing(), youth).position(), before.position());
  EXPECT_EQ(CaseAs(cast.caseworker, youth).position(), decided);
  EXPECT_EQ(CaseAs(cast.chief, youth).position(), decided);
  // The same for a notification: the notifying school learns nothing new from the position
  // either, as it is told no position the others are not.
  Notify(cast.school_member, youth, "social-decision-notification", "Says he sleeps at a friend's");
  EXPECT_EQ(CaseAs(Ngo(), youth).position(), before.position());
  const v1::CaseView school = CaseAs(cast.school_member, youth);
  EXPECT_EQ(school.notifications_size(), 1);
  EXPECT_EQ(school.position(), before.position());
  EXPECT_EQ(CaseAs(cast.caseworker, youth).position(), last_position_);
  EXPECT_EQ(CaseAs(cast.chief, youth).position(), last_position_);
  // The social administration assesses it: the school learns that and when (barnets lov's
  // receipt), not what the assessment says, which is the social administration's casework.
  v1::AssessNotificationRequest assess;
  assess.set_request_id("social-decision-assessment");
  assess.set_youth_id(youth);
  assess.set_notification_id(school.notifications(0).notification_id());
  assess.set_assessment("No acute danger; a home visit and a talk");
  Do(cast.caseworker, assess);
  const v1::CaseView assessed = CaseAs(cast.school_member, youth);
  ASSERT_EQ(assessed.notifications_size(), 1);
  EXPECT_TRUE(assessed.notifications(0).has_assessed_at());
  EXPECT_EQ(assessed.notifications(0).assessment().withheld().reason(), "not_recipient");
  EXPECT_EQ(assessed.notifications(0).text().text(), "Says he sleeps at a friend's");
  for (const security::Principal* who : {&cast.caseworker, &cast.chief}) {
    const v1::CaseView whole = CaseAs(*who, youth);
    ASSERT_EQ(whole.notifications_size(), 1) << who->person;
    EXPECT_EQ(whole.notifications(0).assessment().text(),
              "No acute danger; a home visit and a talk")
        << who->person;
  }
}

TEST_F(DisclosureTest, TheLegalBasisDecidesWhoReadsASharedConcern) {
  const scenario::Cast& cast = suite_->cast;
  v1::ReferYouthRequest referral = scenario::SampleReferral(1, "basis-referral");
  referral.set_referring_agency_id(kPolice);
  referral.set_referred_by(cast.police_member.person);
  scenario::SetBirthDate(referral, absl::CivilDay(2010, 5, 5));  // 16
  referral.set_name("Basis Youth");
  const CallResult referred = suite_->commands->Call(cast.police_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  v1::ScreenReferralRequest screen;
  screen.set_request_id("basis-screen");
  screen.set_youth_id(youth);
  screen.set_accept(true);
  Do(cast.chief, screen);

  // The police share under § 115 with the school, and under § 63 d with the housing association.
  v1::ShareConcernRequest ssp = PoliceShare(youth, kSchool, "Charged with theft from the kiosk");
  ssp.set_request_id("basis-ssp");
  Do(cast.police_member, ssp);
  // The housing association may not be a § 115 recipient.
  v1::ShareConcernRequest wrong = ssp;
  wrong.set_request_id("basis-ssp-housing");
  wrong.add_recipient_agency_ids(kHousing);
  const CallResult refused = suite_->commands->Call(cast.police_member, wrong);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.status.error_message().find("LEGAL_BASIS_SSP_EXCHANGE"), std::string::npos);
  v1::ShareConcernRequest housing_share;
  housing_share.set_request_id("basis-63d");
  housing_share.set_youth_id(youth);
  housing_share.set_agency_id(kPolice);
  housing_share.set_legal_basis(v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS);
  housing_share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);  // criminal decisions only
  housing_share.set_text("Fined for vandalism in the stairwell");
  housing_share.set_necessity("The association decides on the lease");
  housing_share.add_recipient_agency_ids(kHousing);
  Do(cast.police_member, housing_share);

  // The teacher reads the § 115 share, with its category and necessity; of the § 63 d one only
  // that it exists.
  v1::CaseView teacher = CaseAs(cast.school_member, youth);
  EXPECT_EQ(teacher.name().text(), "Basis Youth");
  v1::SharedConcern seen = ConcernOf(teacher, kPolice, v1::LEGAL_BASIS_SSP_EXCHANGE);
  EXPECT_EQ(seen.text().text(), "Charged with theft from the kiosk");
  EXPECT_EQ(seen.necessity().text(), "The school can keep him in class in the afternoons");
  ASSERT_EQ(seen.concerns_size(), 1);
  EXPECT_EQ(seen.concerns(0), v1::CONCERN_CATEGORY_CHARGES);
  v1::SharedConcern hidden =
      ConcernOf(teacher, kPolice, v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS);
  EXPECT_EQ(hidden.text().withheld().reason(), "not_recipient");
  EXPECT_EQ(hidden.necessity().withheld().reason(), "not_recipient");
  EXPECT_TRUE(hidden.has_shared_at());
  // The housing association reads its § 63 d information, not the § 115 share.
  v1::CaseView housing = CaseAs(Housing(), youth);
  EXPECT_EQ(housing.name().text(), "Basis Youth");  // a recipient knows whom it is about
  EXPECT_EQ(ConcernOf(housing, kPolice, v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS).text().text(),
            "Fined for vandalism in the stairwell");
  hidden = ConcernOf(housing, kPolice, v1::LEGAL_BASIS_SSP_EXCHANGE);
  EXPECT_EQ(hidden.text().withheld().reason(), "not_recipient");
  EXPECT_EQ(hidden.concerns_sealed().withheld().reason(), "not_recipient");
  EXPECT_TRUE(hidden.concerns().empty());
  EXPECT_EQ(hidden.concern_count(), 1);
  EXPECT_EQ(hidden.legal_basis(), v1::LEGAL_BASIS_SSP_EXCHANGE);
  // The chief and the social administration read both.
  for (const security::Principal* who : {&cast.chief, &cast.caseworker}) {
    const v1::CaseView all = CaseAs(*who, youth);
    EXPECT_TRUE(ConcernOf(all, kPolice, v1::LEGAL_BASIS_SSP_EXCHANGE).text().has_text());
    EXPECT_TRUE(
        ConcernOf(all, kPolice, v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS).text().has_text());
  }

  // A consent (the youth is 16 and gives it) for the school and the club; the school shares on
  // it with the club.
  v1::RecordConsentRequest consent;
  consent.set_request_id("basis-consent");
  consent.set_youth_id(youth);
  consent.set_scope("school and club");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.add_agency_ids(kSchool);
  consent.add_agency_ids(kClub);
  consent.set_purpose("support after school");
  consent.add_categories(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  Do(cast.caseworker, consent);
  v1::ShareConcernRequest on_consent;
  on_consent.set_request_id("basis-on-consent");
  on_consent.set_youth_id(youth);
  on_consent.set_agency_id(kSchool);
  on_consent.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  on_consent.add_concerns(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  on_consent.set_text("Tired in class; trouble at home");
  on_consent.set_necessity("The club can offer a quiet place in the evenings");
  on_consent.add_recipient_agency_ids(kClub);
  Do(cast.school_member, on_consent);
  EXPECT_EQ(ConcernOf(CaseAs(ClubWorker(), youth), kSchool, v1::LEGAL_BASIS_CONSENT).text().text(),
            "Tired in class; trouble at home");
  // Only what the consent covers: substance use is not in it.
  v1::ShareConcernRequest beyond = on_consent;
  beyond.set_request_id("basis-beyond-consent");
  beyond.add_concerns(v1::CONCERN_CATEGORY_SUBSTANCE_USE);
  const CallResult beyond_consent = suite_->commands->Call(cast.school_member, beyond);
  EXPECT_EQ(beyond_consent.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(beyond_consent.status.error_message(),
            "concerns[1]: the consent \"school and club\" does not cover "
            "CONCERN_CATEGORY_SUBSTANCE_USE");
  // The consent's categories are read with the case's personal data, and sealed for others.
  const v1::CaseView club_reads = CaseAs(ClubWorker(), youth);
  ASSERT_EQ(club_reads.consents_size(), 1);
  ASSERT_EQ(club_reads.consents(0).categories_size(), 1);
  EXPECT_EQ(club_reads.consents(0).categories(0), v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  const v1::CaseView unseen = CaseAs(Ngo(), youth);
  ASSERT_EQ(unseen.consents_size(), 1);
  EXPECT_TRUE(unseen.consents(0).categories().empty());
  EXPECT_EQ(unseen.consents(0).categories_sealed().withheld().reason(), "not_allowed");
  // Withdrawn: the club, which read it only through the consent, no longer does; nor whom the
  // case is about (it knew that only as the share's recipient).
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_request_id("basis-withdraw");
  withdraw.set_youth_id(youth);
  withdraw.set_scope("school and club");
  Do(cast.chief, withdraw);
  const v1::CaseView club = CaseAs(ClubWorker(), youth);
  const v1::SharedConcern dark = ConcernOf(club, kSchool, v1::LEGAL_BASIS_CONSENT);
  EXPECT_EQ(dark.text().withheld().reason(), "not_allowed");
  EXPECT_TRUE(dark.concerns().empty());
  EXPECT_EQ(club.name().withheld().reason(), "not_allowed");
  ASSERT_EQ(club.consents_size(), 1);
  EXPECT_FALSE(club.consents(0).in_force());
  EXPECT_TRUE(club.consents(0).has_withdrawn_at());
  // The school that shared it, and the chief, still do.
  EXPECT_TRUE(ConcernOf(CaseAs(cast.school_member, youth), kSchool, v1::LEGAL_BASIS_CONSENT)
                  .text()
                  .has_text());
  EXPECT_TRUE(
      ConcernOf(CaseAs(cast.chief, youth), kSchool, v1::LEGAL_BASIS_CONSENT).text().has_text());
  // A consent recorded anew under the same name, for other agencies, brings nothing back to the
  // club; given again to the club, it does.
  v1::RecordConsentRequest renamed = consent;
  renamed.set_request_id("basis-consent-reused-scope");
  renamed.clear_agency_ids();
  renamed.add_agency_ids(kSchool);
  renamed.add_agency_ids(kPolice);
  Do(cast.caseworker, renamed);
  const v1::CaseView still_dark = CaseAs(ClubWorker(), youth);
  EXPECT_EQ(ConcernOf(still_dark, kSchool, v1::LEGAL_BASIS_CONSENT).text().withheld().reason(),
            "not_allowed");
  EXPECT_EQ(still_dark.name().withheld().reason(), "not_allowed");
  v1::RecordConsentRequest again = consent;
  again.set_request_id("basis-consent-again");
  Do(cast.caseworker, again);
  EXPECT_EQ(ConcernOf(CaseAs(ClubWorker(), youth), kSchool, v1::LEGAL_BASIS_CONSENT).text().text(),
            "Tired in class; trouble at home");
  // Withdrawn again, while the club reads the case through a § 115 share of the police's: the
  // share on consent is withheld from it as ended, not as never meant for it.
  withdraw.set_request_id("basis-withdraw-again");
  Do(cast.chief, withdraw);
  v1::ShareConcernRequest to_club = ssp;
  to_club.set_request_id("basis-ssp-club");
  to_club.clear_recipient_agency_ids();
  to_club.add_recipient_agency_ids(kClub);
  to_club.set_necessity("The club can keep him busy in the evenings");
  Do(cast.police_member, to_club);
  const v1::CaseView ended = CaseAs(ClubWorker(), youth);
  EXPECT_TRUE(ended.name().has_text());
  const v1::SharedConcern consent_share = ConcernOf(ended, kSchool, v1::LEGAL_BASIS_CONSENT);
  EXPECT_EQ(consent_share.text().withheld().reason(), "consent_ended");
  EXPECT_EQ(consent_share.necessity().withheld().reason(), "consent_ended");
  EXPECT_TRUE(consent_share.concerns().empty());
  EXPECT_EQ(ConcernOf(ended, kPolice, v1::LEGAL_BASIS_SSP_EXCHANGE).text().withheld().reason(),
            "not_recipient");  // the police's share to the school
}

TEST_F(DisclosureTest, CategoriesAreSealedAndShownOnlyWithNeedToKnow) {
  const scenario::Cast& cast = suite_->cast;
  // An NGO of the area, involved in no case, lists the cases: no names, no categories, only
  // their number.
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(500);
  list.set_min_position(head_);
  v1::ListCasesResponse cases;
  auto ngo = suite_->As(Ngo(), "case_coordination");
  ASSERT_TRUE(Queries()->ListCases(ngo.get(), list, &cases).ok());
  ASSERT_GE(cases.cases_size(), 40);
  for (const v1::CaseView& c : cases.cases()) {
    EXPECT_TRUE(c.referral().concerns().empty()) << c.youth_id();
    EXPECT_GE(c.referral().concern_count(), 1) << c.youth_id();
    EXPECT_FALSE(c.name().has_text());
    for (const v1::SharedConcern& shared : c.concerns_shared()) {
      EXPECT_TRUE(shared.concerns().empty());
      EXPECT_FALSE(shared.text().has_text());
    }
  }
  // The chief sees them.
  auto chief = suite_->As(cast.chief, "case_coordination");
  ASSERT_TRUE(Queries()->ListCases(chief.get(), list, &cases).ok());
  int with_categories = 0;
  for (const v1::CaseView& c : cases.cases()) with_categories += !c.referral().concerns().empty();
  EXPECT_EQ(with_categories, cases.cases_size());
  // In the log they are sealed: a subscriber that may not see personal data gets no category of
  // a referral.
  std::vector<v1::SubscribeResponse> responses;
  ASSERT_EQ(SubscribeAll(cast.integration, "", &responses).error_code(),
            grpc::StatusCode::CANCELLED);
  int referrals = 0;
  for (const auto& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      if (!e.event().has_youth_referred()) continue;
      ++referrals;
      EXPECT_TRUE(e.event().youth_referred().concerns().empty());
      EXPECT_GE(e.event().youth_referred().concern_count(), 1);
    }
  }
  EXPECT_GE(referrals, 40);
}

// A notification is the last event of the demo area, and only another area's events follow
// (last of the suite: it adds to the other area):
// an integration of the demo area is told nothing of it, not even by a checkpoint that moves
// past it (which would say where it is, and, live, when it came).
TEST_F(DisclosureTest, NoCheckpointOfAnIntegrationMovesPastAWithheldEventByItself) {
  const scenario::Cast& cast = suite_->cast;
  const CallResult referred = suite_->commands->Call(
      cast.school_member, scenario::SampleReferral(71, "withheld-last-referral"));
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  v1::NotifyChildWelfareRequest notify;
  notify.set_request_id("withheld-last-notification");
  notify.set_youth_id(referred.response.id());
  notify.set_agency_id(kSchool);
  notify.set_text("Comes to school hungry");
  const CallResult notified = suite_->commands->Call(cast.school_member, notify);
  ASSERT_TRUE(notified.status.ok()) << notified.status.error_message();
  const uint64_t withheld = notified.response.position();
  v1::ReferYouthRequest elsewhere = scenario::SampleReferral(72, "withheld-last-elsewhere");
  elsewhere.set_area_id(kOtherArea);
  elsewhere.set_referring_agency_id(suite_->stranger.agency);
  elsewhere.set_referred_by(suite_->stranger.person);
  const CallResult other = suite_->commands->Call(suite_->stranger, elsewhere);
  ASSERT_TRUE(other.status.ok()) << other.status.error_message();
  ASSERT_GT(other.response.position(), withheld);

  std::vector<v1::SubscribeResponse> responses;
  ASSERT_EQ(SubscribeAll(cast.integration, "", &responses).error_code(),
            grpc::StatusCode::CANCELLED);
  ASSERT_FALSE(responses.empty());
  bool saw_referral = false;
  for (const v1::SubscribeResponse& response : responses) {
    for (const v1::StoredEvent& e : response.events()) {
      EXPECT_LT(e.position(), withheld);
      EXPECT_EQ(e.withheld(), "");
      saw_referral |= e.position() == referred.response.position();
    }
    EXPECT_LE(response.checkpoint(), withheld);
  }
  EXPECT_TRUE(saw_referral);
  // What it was sent of the youth is a read of the youth's data, sealed as it was: recorded.
  int integration_reads = 0;
  for (const v1::AccessRecord& r : Records(referred.response.id(), "")) {
    if (r.call() != "hotspot.v1.SubscriptionService/Subscribe" ||
        r.person() != cast.integration.person) {
      continue;
    }
    ++integration_reads;
    EXPECT_FALSE(r.personal_data_disclosed());
    EXPECT_EQ(r.area_id(), scenario::kAreaId);
  }
  EXPECT_GE(integration_reads, 1);  // one per response that held its events
  // Caught up, it stands just past the last event it was sent.
  EXPECT_EQ(responses.back().checkpoint(), referred.response.position() + 1);
  EXPECT_TRUE(responses.back().caught_up());
  // The coordinator, who receives the confidential kinds, is told of it and moves past it; not
  // past the other area's referral, which it is not sent (a coordinator bound to its areas is
  // not told where another area's events lie, which might be confidential).
  std::vector<v1::SubscribeResponse> chiefs;
  ASSERT_EQ(SubscribeAll(cast.chief, "case_coordination: following the area", &chiefs).error_code(),
            grpc::StatusCode::CANCELLED);
  bool chief_saw = false;
  for (const v1::SubscribeResponse& response : chiefs) {
    for (const v1::StoredEvent& e : response.events()) {
      chief_saw |= e.position() == withheld && e.type() == "hotspot.v1.NotificationMade";
    }
  }
  EXPECT_TRUE(chief_saw);
  EXPECT_EQ(chiefs.back().checkpoint(), withheld + 1);
  EXPECT_TRUE(chiefs.back().caught_up());

  // Nor does a start from the end or past the head tell the integration where the head is: it
  // is told the public head, the last event of a kind that is not confidential (the other
  // area's referral): from the end it starts just past it, and a from_position past it + 1 is
  // INVALID_ARGUMENT, as past the head + 1 for the coordinator.
  v1::SubscribeRequest from_end;
  from_end.set_from_end(true);
  const auto [live, live_status] = suite_->FirstResponse(cast.integration, from_end);
  EXPECT_EQ(live_status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(live.caught_up());
  EXPECT_EQ(live.events_size(), 0);
  EXPECT_EQ(live.checkpoint(), other.response.position() + 1);
  v1::SubscribeRequest past;
  past.set_from_position(other.response.position() + 2);
  const auto [ahead, ahead_status] = suite_->FirstResponse(cast.integration, past);
  EXPECT_EQ(ahead_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(ahead_status.error_message(), "from_position: "))
      << ahead_status.error_message();
  EXPECT_EQ(ahead.events_size(), 0);
  // Resumed from that checkpoint, it is sent its next event in its area, and nothing before.
  const CallResult next = suite_->commands->Call(
      cast.school_member, scenario::SampleReferral(73, "withheld-last-next"));
  ASSERT_TRUE(next.status.ok()) << next.status.error_message();
  v1::SubscribeRequest resume;
  resume.set_from_position(live.checkpoint());
  const auto [resumed, resumed_status] = suite_->FirstResponse(cast.integration, resume);
  EXPECT_EQ(resumed_status.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_GT(resumed.events_size(), 0);
  EXPECT_GT(resumed.events(0).position(), other.response.position());
  EXPECT_EQ(resumed.events(resumed.events_size() - 1).position(), next.response.position());
  EXPECT_EQ(resumed.checkpoint(), next.response.position() + 1);
  // A coordinator, who receives every kind and is told the head, may not start past it.
  past.set_from_position(next.response.position() + 1000);
  const auto [none, refused] =
      suite_->FirstResponse(cast.chief, past, "case_coordination: following the area");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("from_position"), std::string::npos);
  EXPECT_EQ(none.events_size(), 0);
}

}  // namespace
}  // namespace hotspot::testing
