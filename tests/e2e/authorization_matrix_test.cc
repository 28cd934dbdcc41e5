// The authorization matrix, kept as a regression test: every read RPC of the query, audit,
// subscription and admin services, unary and streaming, called by every role, of the youth's own
// area or another, of an agency involved in the case or not. For each cell it records the
// status code and exactly which personal fields of the case's youth came back in clear (and
// whether its possible duplicates were named), and
// compares the whole matrix with tests/e2e/authorization_matrix.golden (set
// HOTSPOT_UPDATE_GOLDEN=1 to write it anew, then review the diff: it is the product's
// need-to-know, line by line). It also asserts that every answer in clear left its access
// record, and every refusal on a read of youths' data its refused record.
//
// The commands' matrix does the same for every command of CommandService: each of the same
// callers sends the command's request (command_cases.h: a valid request on fresh aggregates,
// naming the agencies of the caller it is for, so that a caller of another agency is the "other
// agency" cell). For each cell it records the status code and how many events the call wrote,
// counted between two probes: a refused call writes none. It compares them with
// tests/e2e/command_matrix.golden in the same way.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/options.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/command_cases.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kGolden[] = GOLDEN_PATH;
constexpr char kCommandGolden[] = COMMAND_GOLDEN_PATH;

// Callers beyond the demo's cast: an NGO of the area (involved in nothing), and an agency
// member of another area.
security::Principal Ngo() {
  return {"mentor-mia", "agency-ngo-mentors", security::Role::kAgencyMember, {scenario::kAreaId}};
}
// A social caseworker's role given to a teacher: the policy refuses the role outside a social
// administration, at every call.
security::Principal MisfiledCaseworker() {
  return {"caseworker-at-school",
          "agency-school-sjaelor",
          security::Role::kSocialCaseworker,
          {scenario::kAreaId}};
}
// The housing association's caretaker (it owns a commitment in the matrix's case) and the
// club's worker (the police's recipient, and a sharer on consent).
security::Principal Housing() {
  return {"caretaker-per",
          "agency-housing-sjaelor",
          security::Role::kAgencyMember,
          {scenario::kAreaId}};
}
security::Principal ClubWorker() {
  return {"worker-jens", "agency-club-sjaelor", security::Role::kAgencyMember, {scenario::kAreaId}};
}
// A second school of the area (registered by the suite), in the matrix's case only through a
// share of its own on a consent, since withdrawn.
constexpr char kSecondSchool[] = "agency-school-vest";
security::Principal SecondSchool() {
  return {"teacher-eva", kSecondSchool, security::Role::kAgencyMember, {scenario::kAreaId}};
}
// Another area's integration.
security::Principal OtherAreaIntegration() {
  return {"integration-elsewhere",
          "agency-it-elsewhere",
          security::Role::kIntegration,
          {"area-elsewhere"}};
}
// A leader of another area's school, and a caseworker of the social administration (the same
// agency, which serves several areas) whose token names another area only.
security::Principal OtherAreaLeader() {
  return {"head-elsewhere",
          "agency-school-elsewhere",
          security::Role::kAgencyLeader,
          {"area-elsewhere"}};
}
security::Principal OtherAreaCaseworker() {
  return {"caseworker-elsewhere",
          "agency-social-copenhagen",
          security::Role::kSocialCaseworker,
          {"area-elsewhere"}};
}
// An auditor bound to another area.
security::Principal OtherAreaAuditor() {
  return {
      "auditor-elsewhere", "agency-hotspot-other", security::Role::kAuditor, {"area-elsewhere"}};
}
security::Principal OtherAreaMember() {
  return {"teacher-elsewhere",
          "agency-school-elsewhere",
          security::Role::kAgencyMember,
          {"area-elsewhere"}};
}

// The personal fields that came out in clear in `m` for `youth`: the names of PersonalFields
// with text inside a message whose youth_id is `youth` (or whose key id is), and the paths of a
// StoredEvent's personal values. A shared concern's fields are named by their sharer:
// "concern(agency-police-copenhagen).text".
void Clear(const Message& m, const std::string& youth, bool inside, std::set<std::string>* out,
           const std::string& prefix = "") {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  if (const FieldDescriptor* id = d->FindFieldByName("youth_id");
      id != nullptr && id->type() == FieldDescriptor::TYPE_STRING && !id->is_repeated()) {
    inside = r->GetString(m, id) == youth;
  }
  if (const auto* exported = dynamic_cast<const v1::ExportSubjectAccessResponse*>(&m)) {
    v1::SubjectAccessExport parsed;  // the JSON, as the data subject receives it
    const auto parsed_ok = google::protobuf::util::JsonStringToMessage(exported->json(), &parsed);
    EXPECT_TRUE(parsed_ok.ok()) << "the export is not a SubjectAccessExport: " << parsed_ok;
    Clear(parsed, youth, false, out);
    return;
  }
  if (const auto* stored = dynamic_cast<const v1::StoredEvent*>(&m)) {
    if (stored->stream() != youth &&
        stored->event().ShortDebugString().find(youth) == std::string::npos) {
      return;
    }
    out->insert("(events)");  // the youth's events reached the caller
    // Personal data held in plain fields: the consent's giver, purpose (events of before) and
    // the youth's age when it was given.
    if (stored->event().has_consent_recorded()) {
      const v1::ConsentRecorded& consent = stored->event().consent_recorded();
      if (!consent.given_by().empty()) out->insert("consent_recorded.given_by");
      if (!consent.purpose().empty()) out->insert("consent_recorded.purpose");
      if (consent.giver_age() > 0) out->insert("consent_recorded.giver_age");
      if (!consent.scope().empty()) out->insert("consent_recorded.scope");
    }
    if (!stored->event().consent_withdrawn().scope().empty()) {
      out->insert("consent_withdrawn.scope");
    }
    if (!stored->event().concern_shared().consent_scope().empty()) {
      out->insert("concern_shared.consent_scope");
    }
    const std::string sharer =
        stored->event().has_concern_shared()
            ? absl::StrCat("concern(", stored->event().concern_shared().agency_id(), ").")
            : "";
    for (const v1::PersonalValue& v : stored->personal_data()) {
      if (v.value().has_text()) out->insert(sharer + v.path());
    }
    return;
  }
  if (d == v1::CaseView::descriptor() && inside &&
      !static_cast<const v1::CaseView&>(m).consent_scopes().empty()) {
    out->insert("consent_scopes");  // the consents' names, in someone's words
  }
  if (d == v1::CaseView::descriptor() && inside &&
      !static_cast<const v1::CaseView&>(m).possible_duplicates().empty()) {
    out->insert("possible_duplicates");  // who else has the youth's CPR number or name
  }
  if (d == v1::ConsentView::descriptor()) {  // plain fields of consents of before
    const auto& consent = static_cast<const v1::ConsentView&>(m);
    if (inside && !consent.given_by().empty()) out->insert("consent.given_by");
    if (inside && !consent.purpose().empty()) out->insert("consent.purpose");
    if (inside && !consent.scope().empty()) out->insert("consent.scope");
  }
  // The parts of a case named, so that a field says whose it is.
  std::string inner = prefix;
  if (d == v1::SharedConcern::descriptor()) {
    inner = absl::StrCat("concern(", static_cast<const v1::SharedConcern&>(m).agency_id(), ").");
  } else if (d == v1::NotificationView::descriptor()) {
    inner = absl::StrCat("notification(", static_cast<const v1::NotificationView&>(m).agency_id(),
                         ").");
  } else if (d == v1::CommitmentView::descriptor()) {
    inner = absl::StrCat("commitment(",
                         static_cast<const v1::CommitmentView&>(m).owning_agency_id(), ").");
  } else if (d == v1::Screening::descriptor()) {
    inner = "screening.";
  } else if (d == v1::Referral::descriptor()) {
    inner = "referral.";
  } else if (d == v1::InvestigationView::descriptor()) {
    inner = "investigation.";
  } else if (d == v1::ConsentView::descriptor()) {
    inner = "consent.";
  } else if (d == v1::SubjectAccessView::descriptor()) {
    inner = "subject_access.";
  } else if (d == v1::OutreachView::descriptor()) {
    inner = absl::StrCat("outreach(", static_cast<const v1::OutreachView&>(m).agency_id(), ").");
  } else if (d == v1::SocialDecisionView::descriptor()) {
    inner = "social_decision.";
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    auto visit = [&](const Message& child) {
      if (const auto* field = dynamic_cast<const v1::PersonalField*>(&child)) {
        if (inside && field->has_text()) out->insert(inner + f->name());
        return;
      }
      Clear(child, youth, inside, out, inner);
    };
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) visit(r->GetRepeatedMessage(m, f, i));
    } else {
      visit(r->GetMessage(m, f));
    }
  }
}

class AuthorizationMatrixTest : public ::testing::Test, public CommandBuilders {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false", "--deadline_interval_s=0"},
                         {Ngo(), OtherAreaMember(), MisfiledCaseworker(), Housing(), ClubWorker(),
                          OtherAreaIntegration(), SecondSchool(), OtherAreaLeader(),
                          OtherAreaCaseworker(), OtherAreaAuditor()});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    Bind(suite_);
    auto school = Req<v1::RegisterAgencyRequest>();
    school.set_agency_id(kSecondSchool);
    school.set_area_id(scenario::kAreaId);
    school.set_name("Vestskolen");
    school.set_kind(v1::AGENCY_KIND_SCHOOL);
    Must(suite_->cast.chief, school);
    // The housing association names its caretaker beside the people the demo named for it: he
    // accepts its commitment in the matrix's meeting.
    auto housing = Req<v1::NameAgencyPeopleRequest>();
    housing.set_agency_id(Housing().agency);
    housing.add_persons(suite_->cast.housing_member.person);
    housing.add_persons("contact-housing-sjaelor");
    housing.add_persons(Housing().person);
    Must(suite_->cast.admin, housing);
  }
  static void TearDownTestSuite() { delete suite_; }

  // Each cell's caller, with its label in the matrix: its role, its area and what its agency
  // is to the matrix's case (the school referred the youth; the police shared under § 115 with
  // the club; the club shared on a consent with the school, and the second school with the
  // club, on the same consent, since withdrawn; the housing
  // association owns a commitment; the job centre and the NGO are in nothing). The commands'
  // requests name the school where they name an agency, and the police where they share or
  // escalate (the police's leader is an escalation's target).
  static std::vector<std::pair<std::string, security::Principal>> Callers() {
    const scenario::Cast& cast = suite_->cast;
    return {
        {"admin", cast.admin},
        {"admin/new-areas", suite_->founder},
        {"auditor", cast.auditor},
        {"auditor/other-area", OtherAreaAuditor()},
        {"auditor/every-area", suite_->dpo},
        {"coordinator/own-area", cast.chief},
        {"coordinator/own-area/staff", cast.staff},
        {"coordinator/other-area", suite_->stranger},
        {"social-caseworker/own-area", cast.caseworker},
        {"social-caseworker/other-area", OtherAreaCaseworker()},
        {"social-caseworker/own-area/of-a-school", MisfiledCaseworker()},
        {"member/own-area/school-referrer", cast.school_member},
        {"leader/own-area/school-referrer", cast.school_leader},
        {"member/own-area/police-sharer", cast.police_member},
        {"leader/own-area/jobcentre-not-involved", cast.jobcentre_leader},
        {"leader/own-area/police-sharer", cast.police_leader},
        {"member/own-area/housing-owns-a-commitment", Housing()},
        {"member/own-area/club-police-recipient", ClubWorker()},
        {"member/own-area/school-shared-on-consent", SecondSchool()},
        {"member/own-area/ngo", Ngo()},
        {"member/other-area", OtherAreaMember()},
        {"leader/other-area", OtherAreaLeader()},
        {"integration/own-area", cast.integration},
        {"integration/other-area", OtherAreaIntegration()},
    };
  }

  // Compares `got` with the golden file at `path` (writing it first with
  // HOTSPOT_UPDATE_GOLDEN=1).
  static void ExpectGolden(const std::string& got, const std::string& path) {
    if (std::getenv("HOTSPOT_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
    std::ifstream in(path);
    const std::string golden((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    EXPECT_EQ(got, golden) << "the matrix changed; if that is intended, run with "
                              "HOTSPOT_UPDATE_GOLDEN=1 and review the diff of "
                           << path;
  }

  // Every access record of `person`, page by page, as an auditor of every area lists them.
  static std::vector<v1::AccessRecord> RecordsOf(const std::string& person) {
    auto audit = v1::AuditService::NewStub(suite_->channel);
    std::vector<v1::AccessRecord> records;
    v1::ListAccessRecordsRequest request;
    request.set_person(person);
    request.set_page_size(500);
    for (int page = 0; page < 100; ++page) {
      v1::ListAccessRecordsResponse response;
      auto context = suite_->As(suite_->dpo, "audit: the matrix");
      const grpc::Status status = audit->ListAccessRecords(context.get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& r : response.records()) records.push_back(r);
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return records;
  }

  static SuiteServer* suite_;
};

SuiteServer* AuthorizationMatrixTest::suite_ = nullptr;

TEST_F(AuthorizationMatrixTest, EveryReadRpcEveryRoleAreaAndAgency) {
  const scenario::Cast& cast = suite_->cast;
  // The case: referred by the school (its agency is involved), accepted, with a subject access
  // request to answer.
  v1::ReferYouthRequest referral = scenario::SampleReferral(7, "matrix-referral");
  const CallResult referred = suite_->commands->Call(cast.school_member, referral);
  ASSERT_TRUE(referred.status.ok()) << referred.status.error_message();
  const std::string youth = referred.response.id();
  // The youth referred again, by another agency under another name, with the same CPR number
  // (issue 13): the case's possible duplicate, for the area's coordinators only.
  v1::ReferYouthRequest again = scenario::SampleReferral(8007, NextId());
  again.set_referring_agency_id(cast.police_member.agency);
  again.set_referred_by(cast.police_member.person);
  again.set_cpr_number(referral.cpr_number());
  again.set_birth_date(referral.birth_date());
  const std::string duplicate = Must(cast.police_member, again).id();
  // The cases at the top of issue 12: the housing association owns a commitment (it is
  // involved); the police share under § 115 with the club only; the club shares on a consent
  // with the school, and the consent is withdrawn.
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(true);
  screen.set_reason("Known to the police for repeated thefts");  // the screening's note
  Must(cast.chief, screen);
  const std::string meeting = Scheduled();
  auto held = Req<v1::RecordAttendanceRequest>();
  held.set_meeting_id(meeting);
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  held.add_attendance()->set_agency_id(Housing().agency);
  held.mutable_attendance(0)->set_person(Housing().person);
  held.add_attendance()->set_agency_id(cast.police_member.agency);
  held.mutable_attendance(1)->set_person(cast.police_member.person);
  Must(cast.chief, held);
  auto agenda = Req<v1::AddAgendaItemRequest>();
  agenda.set_meeting_id(meeting);
  agenda.set_youth_id(youth);
  Must(cast.chief, agenda);
  v1::RecordDecisionRequest decision = DecisionFor(meeting, youth);
  decision.mutable_commitments(0)->set_owning_agency_id(Housing().agency);
  decision.mutable_commitments(0)->set_responsible_person(Housing().person);
  decision.mutable_commitments(0)->set_accepted_by(Housing().person);  // attended
  decision.mutable_commitments(0)->set_action("Talk with the family about the stairwell");
  // The police's own commitment: casework the housing association does not read.
  auto* police_commitment = decision.add_commitments();
  *police_commitment = decision.commitments(0);
  police_commitment->set_owning_agency_id(cast.police_member.agency);
  police_commitment->set_responsible_person(cast.police_member.person);
  police_commitment->set_accepted_by(cast.police_member.person);
  police_commitment->set_action("A talk with him about the thefts");
  Must(cast.chief, decision);
  auto police_share = Req<v1::ShareConcernRequest>();
  police_share.set_youth_id(youth);
  police_share.set_agency_id(cast.police_member.agency);
  police_share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  police_share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
  police_share.set_text("Charged with a break-in at the kiosk");
  police_share.set_necessity("The club can keep him busy in the evenings");
  police_share.add_recipient_agency_ids(ClubWorker().agency);
  Must(cast.police_member, police_share);
  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("club and school");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);  // 17
  consent.add_agency_ids(ClubWorker().agency);
  consent.add_agency_ids(cast.school_member.agency);
  consent.add_agency_ids(kSecondSchool);
  consent.set_purpose("support after school");
  consent.add_categories(v1::CONCERN_CATEGORY_TIME_ON_THE_STREET);
  Must(cast.caseworker, consent);
  auto club_share = Req<v1::ShareConcernRequest>();
  club_share.set_youth_id(youth);
  club_share.set_agency_id(ClubWorker().agency);
  club_share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  club_share.add_concerns(v1::CONCERN_CATEGORY_TIME_ON_THE_STREET);
  club_share.set_text("Out on the square until late most nights");
  club_share.set_necessity("The school can talk with him about his evenings");
  club_share.add_recipient_agency_ids(cast.school_member.agency);
  Must(ClubWorker(), club_share);
  // The school that shared on consent: in the case through nothing else.
  auto school_share = club_share;
  school_share.set_request_id(NextId());
  school_share.set_agency_id(kSecondSchool);
  school_share.set_text("Falls asleep in the first lessons");
  school_share.set_necessity("The club can see that he gets home in time");
  school_share.set_recipient_agency_ids(0, ClubWorker().agency);
  Must(SecondSchool(), school_share);
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_scope(consent.scope());
  Must(cast.chief, withdraw);
  // A consent that stands, for the club alone: its name is for those it names.
  auto standing = consent;
  standing.set_request_id(NextId());
  standing.set_scope("the club's evening group");
  standing.clear_agency_ids();
  standing.add_agency_ids(ClubWorker().agency);
  Must(cast.caseworker, standing);
  // The club does outreach with him; the social administration decides about the child.
  auto outreach = Req<v1::AssignOutreachRequest>();
  outreach.set_youth_id(youth);
  outreach.set_agency_id(ClubWorker().agency);
  outreach.set_person(ClubWorker().person);
  outreach.set_task("Meet him on the square on Friday evenings");
  Must(cast.chief, outreach);
  auto social = Req<v1::RecordSocialDecisionRequest>();
  social.set_youth_id(youth);
  social.set_decision("A contact person twice a week (barnets lov)");
  Must(cast.caseworker, social);
  // The school notifies the social administration, which investigates.
  auto notify = Req<v1::NotifyChildWelfareRequest>();
  notify.set_youth_id(youth);
  notify.set_agency_id(cast.school_member.agency);
  notify.set_text("Says he sleeps at friends' most nights");
  const std::string notification = Must(cast.school_member, notify).id();
  auto investigate = Req<v1::OpenChildWelfareInvestigationRequest>();
  investigate.set_youth_id(youth);
  investigate.set_notification_id(notification);
  const std::string investigation = Must(cast.caseworker, investigate).id();
  auto concluded = Req<v1::CompleteChildWelfareInvestigationRequest>();
  concluded.set_youth_id(youth);
  concluded.set_investigation_id(investigation);
  concluded.set_conclusion("Support at home: a family counsellor twice a week");
  Must(cast.caseworker, concluded);
  v1::RecordSubjectAccessRequestRequest sar;
  sar.set_request_id("matrix-sar");
  sar.set_youth_id(youth);
  sar.set_requester(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  sar.set_requested_by("the father");
  const CallResult asked = suite_->commands->Call(cast.chief, sar);
  ASSERT_TRUE(asked.status.ok()) << asked.status.error_message();
  // The chief's ad hoc report of the half-year to today: its frozen figures count the
  // notification and the investigation above.
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  auto report = Req<v1::SubmitReportRequest>();
  report.set_area_id(scenario::kAreaId);
  report.set_kind(v1::REPORT_KIND_AD_HOC);
  for (const auto& [date, day] : {std::pair{report.mutable_period_start(), today - 182},
                                  std::pair{report.mutable_period_end(), today}}) {
    date->set_year(static_cast<int32_t>(day.year()));
    date->set_month(day.month());
    date->set_day(day.day());
  }
  v1::ReportRecipient* director = report.add_recipients();
  director->set_person("director-social-copenhagen");
  director->set_agency_id(cast.caseworker.agency);
  const CallResult reported = suite_->commands->Call(cast.chief, report);
  ASSERT_TRUE(reported.status.ok()) << reported.status.error_message();
  const uint64_t head = reported.response.position();
  ASSERT_GE(suite_->Head(), head);

  const std::vector<std::pair<std::string, security::Principal>> callers = Callers();

  // Each read RPC: a name and a call that returns the status and the answers.
  struct Rpc {
    std::string name;
    std::function<grpc::Status(grpc::ClientContext*, std::vector<std::unique_ptr<Message>>*)> call;
  };
  auto queries = v1::QueryService::NewStub(suite_->channel);
  auto audit = v1::AuditService::NewStub(suite_->channel);
  auto subscriptions = v1::SubscriptionService::NewStub(suite_->channel);
  auto admin = v1::AdminService::NewStub(suite_->channel);
#define HOTSPOT_UNARY(stub, Method, Req, fill)                                             \
  Rpc {                                                                                    \
#Method, [&](grpc::ClientContext* context, std::vector<std::unique_ptr<Message>>* out) { \
      v1::Req##Request request;                                                           \
      fill;                                                                                   \
      auto response = std::make_unique<v1::Method##Response>();                               \
      const grpc::Status status = stub->Method(context, request, response.get());             \
      if (status.ok()) out->push_back(std::move(response));                                   \
      return status;                                                                          \
    } \
  }
#define HOTSPOT_STREAM(stub, Method, Req, Resp, fill, stop)                                \
  Rpc {                                                                                    \
#Method, [&](grpc::ClientContext* context, std::vector<std::unique_ptr<Message>>* out) { \
      v1::Req request;                                                                        \
      fill;                                                                                   \
      auto reader = stub->Method(context, request);                                           \
      auto response = std::make_unique<v1::Resp>();                                           \
      while (reader->Read(response.get())) {                                                  \
        const bool done = stop(*response);                                                    \
        out->push_back(std::move(response));                                                  \
        response = std::make_unique<v1::Resp>();                                              \
        if (done) {                                                                           \
          context->TryCancel();                                                               \
          while (reader->Read(response.get())) {                                              \
          }                                                                                   \
          return grpc::Status::OK;                                                            \
        }                                                                                     \
      }                                                                                       \
      return reader->Finish();                                                                \
    } \
  }
  auto never = [](const Message&) { return false; };
  int backups = 0;
  const std::vector<Rpc> rpcs = {
      HOTSPOT_UNARY(queries, GetCase, GetCase,
                    {
                      request.set_youth_id(youth);
                      request.set_min_position(head);
                    }),
      HOTSPOT_UNARY(queries, ListCases, ListCases,
                    {
                      request.set_area_id(scenario::kAreaId);
                      request.set_page_size(500);
                      request.set_min_position(head);
                    }),
      HOTSPOT_UNARY(queries, ListCommitments, ListCommitments,
                    {
                      request.set_area_id(scenario::kAreaId);
                      request.set_page_size(500);  // the matrix youth's after the demo's
                    }),
      HOTSPOT_UNARY(queries, ListEscalations, ListEscalations,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, ListMeetings, ListMeetings,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, ListBodies, ListBodies, { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, GetAreaDashboard, GetAreaDashboard,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, GetProgramme, GetProgramme,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, ListAgencies, ListAgencies,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(queries, GetReport, GetReport,
                    {
                      request.set_area_id(scenario::kAreaId);
                      request.set_report_id(reported.response.id());
                      request.set_min_position(head);
                    }),
      HOTSPOT_STREAM(
          audit, GetCaseHistory, GetCaseHistoryRequest, GetCaseHistoryResponse,
          { request.set_youth_id(youth); }, never),
      HOTSPOT_UNARY(audit, GetCaseAsOf, GetCaseAsOf,
                    {
                      request.set_youth_id(youth);
                      request.set_position(head);
                    }),
      HOTSPOT_UNARY(audit, ListAccessRecords, ListAccessRecords, { request.set_youth_id(youth); }),
      HOTSPOT_STREAM(
          audit, ExportAccessLog, ExportAccessLogRequest, ExportAccessLogResponse,
          { request.set_youth_id(youth); }, never),
      HOTSPOT_UNARY(audit, VerifyLog, VerifyLog, {}),
      HOTSPOT_UNARY(audit, ListErasureReviewsDue, ListErasureReviewsDue,
                    { request.set_area_id(scenario::kAreaId); }),
      HOTSPOT_UNARY(audit, ExportSubjectAccess, ExportSubjectAccess,
                    {
                      request.set_youth_id(youth);
                      request.set_subject_access_id(asked.response.id());
                    }),
      HOTSPOT_STREAM(
          subscriptions, Subscribe, SubscribeRequest, SubscribeResponse,
          { request.set_from_position(referred.response.position()); },  // the youth's first
          [](const v1::SubscribeResponse& r) { return r.caught_up(); }),
      HOTSPOT_UNARY(admin, Ping, Ping, {}),
      HOTSPOT_UNARY(admin, GetProjectionStatus, GetProjectionStatus, {}),
      HOTSPOT_UNARY(admin, LoadDemo, LoadDemo, {}),
      // The area view, small: rebuilt blue/green while the other cells read.
      HOTSPOT_UNARY(admin, RebuildProjection, RebuildProjection, { request.set_view("area.v5"); }),
      HOTSPOT_STREAM(
          admin, Backup, BackupRequest, BackupResponse,
          { request.set_directory(suite_->dir.Sub(absl::StrCat("backup-", ++backups))); }, never),
  };
#undef HOTSPOT_UNARY
#undef HOTSPOT_STREAM

  // The purpose each cell reads for (an export for the data subject needs its own).
  auto purpose_of = [](const std::string& rpc) {
    return rpc == "ExportSubjectAccess" ? "data_subject_request: matrix" : "case_coordination";
  };
  std::ostringstream matrix;
  matrix << "# rpc | caller | status | fields of the youth in clear, and (events) where the "
            "youth's events reached the caller (generated by authorization_matrix_test; review "
            "changes)\n";
  matrix << "# (child_welfare): the area's child-welfare figures came back (dashboard, report)\n";
  struct Cell {
    std::string rpc, person;
    bool clear = false, refused = false;
  };
  std::vector<Cell> cells;
  for (const Rpc& rpc : rpcs) {
    for (const auto& [label, who] : callers) {
      auto context = suite_->As(who, purpose_of(rpc.name), absl::Seconds(30));
      std::vector<std::unique_ptr<Message>> answers;
      const grpc::Status status = rpc.call(context.get(), &answers);
      if (rpc.name == "RebuildProjection" && status.ok()) {
        // The next admin's rebuild must not find this one still running (FAILED_PRECONDITION
        // by timing): wait, bounded, until the admin's status reports it done.
        auto admin = v1::AdminService::NewStub(suite_->channel);
        const absl::Time until = absl::Now() + absl::Seconds(30);
        for (bool done = false; !done && absl::Now() < until;) {
          auto ask = suite_->As(suite_->cast.admin, "");
          v1::GetProjectionStatusResponse projections;
          ASSERT_TRUE(admin->GetProjectionStatus(ask.get(), {}, &projections).ok());
          done = std::all_of(projections.rebuilds().begin(), projections.rebuilds().end(),
                             [](const v1::RebuildStatus& r) { return r.done(); });
          if (!done) absl::SleepFor(absl::Milliseconds(10));
        }
      }
      std::set<std::string> clear;
      for (const auto& answer : answers) Clear(*answer, youth, false, &clear);
      // The area's child-welfare figures, live or frozen: for those who see the child's
      // confidential affairs (per day, they would date each notification and investigation).
      for (const auto& answer : answers) {
        const auto* board = dynamic_cast<const v1::GetAreaDashboardResponse*>(answer.get());
        const auto* frozen = dynamic_cast<const v1::GetReportResponse*>(answer.get());
        if ((board != nullptr && board->dashboard().has_child_welfare()) ||
            (frozen != nullptr && frozen->report().report().figures().has_child_welfare())) {
          clear.insert("(child_welfare)");
        }
      }
      matrix << rpc.name << " | " << label << " | "
             << (status.ok() ? "OK" : absl::StrCat(status.error_code())) << " | "
             << absl::StrJoin(clear, ",") << "\n";
      clear.erase("(events)");  // pseudonymous events are not data in clear
      clear.erase("(child_welfare)");  // nor are an area's counts
      cells.push_back({rpc.name, who.person, !clear.empty(),
                       status.error_code() == grpc::StatusCode::PERMISSION_DENIED});
    }
  }
  // Codes are numbers above; say which is which once.
  matrix << "# 0 OK, 3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED, 9 FAILED_PRECONDITION\n";

  ExpectGolden(matrix.str(), kGolden);

  // Every answer in clear left its access record (disclosed), every refusal of a read of
  // youths' data its refused record: by the caller, through the call.
  std::map<std::string, std::vector<v1::AccessRecord>> by_person;
  for (const auto& [label, who] : callers) by_person[who.person] = RecordsOf(who.person);
  // A refused record names the youth where the request did.
  auto has = [&](const Cell& cell, bool refused, bool names_youth) {
    for (const v1::AccessRecord& r : by_person[cell.person]) {
      if (!absl::EndsWith(r.call(), "/" + cell.rpc)) continue;
      if (refused ? (r.refused() && (!names_youth || r.youth_id() == youth))
                  : (r.personal_data_disclosed() && r.youth_id() == youth)) {
        return true;
      }
    }
    return false;
  };
  // The flag named the other youth to the coordinator: a read of that youth, recorded in clear.
  EXPECT_TRUE(std::any_of(by_person[cast.chief.person].begin(), by_person[cast.chief.person].end(),
                          [&](const v1::AccessRecord& r) {
                            return r.youth_id() == duplicate && r.personal_data_disclosed() &&
                                   absl::EndsWith(r.call(), "/GetCase");
                          }));
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const Cell& cell : cells) {
    const google::protobuf::MethodDescriptor* method = nullptr;
    for (const char* service : {"hotspot.v1.QueryService", "hotspot.v1.AuditService",
                                "hotspot.v1.SubscriptionService", "hotspot.v1.AdminService"}) {
      if (method == nullptr) method = pool->FindMethodByName(absl::StrCat(service, ".", cell.rpc));
    }
    ASSERT_NE(method, nullptr) << cell.rpc;
    const bool personal =
        method->options().GetExtension(v1::personal_data) != v1::PERSONAL_DATA_ACCESS_UNSPECIFIED;
    // Where the request names the matrix's youth (a list's youth_id filter is left unset).
    const bool names_youth = method->input_type()->FindFieldByName("youth_id") != nullptr &&
                             !absl::StartsWith(cell.rpc, "List");
    if (cell.clear) {
      EXPECT_TRUE(personal) << cell.rpc << " shows personal data but is not marked so";
      EXPECT_TRUE(has(cell, false, names_youth))
          << cell.rpc << " by " << cell.person << ": no access record";
    }
    if (cell.refused && personal) {
      EXPECT_TRUE(has(cell, true, names_youth))
          << cell.rpc << " by " << cell.person << ": no refused record";
    }
  }
}

TEST_F(AuthorizationMatrixTest, EveryCommandEveryRoleAreaAndAgency) {
  std::ostringstream matrix;
  matrix << "# command | caller | status | events written (generated by "
            "authorization_matrix_test; review changes)\n";
  // Commands refused on a youth: the command, the caller, the youth.
  struct Refusal {
    std::string command, person, youth;
  };
  std::vector<Refusal> refusals;
  // One cell: `request` by `who`, its status and the events it wrote, written to the matrix.
  auto cell = [&](const std::string& name, const std::string& label, const security::Principal& who,
                  const Message& request) {
    const uint64_t before = Probe();
    const CallResult result = client_->Call(who, request);
    const uint64_t after = Probe();
    const uint64_t written = after - before - 1;
    matrix << name << " | " << label << " | "
           << (result.status.ok() ? "OK" : absl::StrCat(result.status.error_code())) << " | "
           << written << "\n";
    if (result.status.ok()) {
      EXPECT_GT(written, 0u) << name << " by " << who.person;
      EXPECT_GT(result.response.position(), before) << name << " by " << who.person;
      EXPECT_LT(result.response.position(), after) << name << " by " << who.person;
    } else {
      EXPECT_EQ(written, 0u) << name << " by " << who.person << ": refused ("
                             << result.status.error_message() << ") but wrote events";
    }
    if (result.status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      // The refusal says who was refused.
      EXPECT_TRUE(absl::StrContains(result.status.error_message(), who.person))
          << name << ": " << result.status.error_message();
      // Refused on a youth's case: the access log has the attempt (checked below).
      // So it is on a commitment, an escalation or an erasure of a youth ("": the youth is
      // the aggregate's).
      const auto* field = request.GetDescriptor()->FindFieldByName("youth_id");
      if (field != nullptr && !request.GetReflection()->GetString(request, field).empty()) {
        refusals.push_back({name.substr(0, name.find('(')), who.person,
                            request.GetReflection()->GetString(request, field)});
      } else {
        for (const char* id : {"commitment_id", "escalation_id", "erasure_id"}) {
          const auto* names = request.GetDescriptor()->FindFieldByName(id);
          if (names != nullptr && !request.GetReflection()->GetString(request, names).empty()) {
            refusals.push_back({name.substr(0, name.find('(')), who.person, ""});
          }
        }
      }
    }
    return result;
  };
  for (const CommandCase& command : All()) {
    for (const auto& [label, who] : Callers()) cell(command.name, label, who, *command.make());
    if (command.name == "AppointChief") {
      // Each cell appointed another chief first (its case's set-up), and the last caller may
      // not appoint her back: the demo's chief is appointed again, for the escalations below.
      auto appoint = Req<v1::AppointChiefRequest>();
      appoint.set_area_id(kArea);
      appoint.set_person(cast_->chief.person);
      Must(cast_->admin, appoint);
    }
  }
  // What an agency says in its own name, each caller speaking as its own agency: which legal
  // bases it may share under (§ 115: the police and the cooperation's municipal parties, not a
  // housing association or an NGO; § 63 d: the police only; consent: anyone it covers), and
  // whether it may notify the social administration.
  matrix << "# as itself: the request names the caller's own agency\n";
  const std::string consented = [] {
    const std::string youth = Accepted(/*age=*/14);
    auto consent = Req<v1::RecordConsentRequest>();
    consent.set_youth_id(youth);
    consent.set_scope("everyone at the table");
    consent.set_given_by("the mother");
    consent.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);  // below 15
    for (const char* agency :
         {kSchool, kPolice, kSocial, "agency-club-sjaelor", "agency-jobcentre-copenhagen",
          "agency-housing-sjaelor", "agency-ngo-mentors", kSecondSchool}) {
      consent.add_agency_ids(agency);
    }
    consent.set_purpose("support after school");
    consent.add_categories(v1::CONCERN_CATEGORY_TIME_ON_THE_STREET);
    Must(suite_->cast.chief, consent);
    return youth;
  }();
  struct AsItself {
    std::string name;
    std::function<std::unique_ptr<Message>(const security::Principal&)> make;
  };
  auto share = [](const security::Principal& who, const std::string& youth, v1::LegalBasis basis,
                  v1::ConcernCategory category, const std::string& recipient) {
    auto r = Req<v1::ShareConcernRequest>();
    r.set_youth_id(youth);
    r.set_agency_id(who.agency);
    r.set_legal_basis(basis);
    r.add_concerns(category);
    r.set_text("Out on the square until late");
    r.set_necessity("So that the evenings are covered");
    if (basis == v1::LEGAL_BASIS_CONSENT) r.set_consent_scope("everyone at the table");
    // Never its own recipient.
    r.add_recipient_agency_ids(recipient != who.agency ? recipient : "agency-club-sjaelor");
    return std::unique_ptr<Message>(new v1::ShareConcernRequest(std::move(r)));
  };
  const std::vector<AsItself> as_itself = {
      {"ShareConcern(§ 115)",
       [&](const security::Principal& who) {
         return share(who, Accepted(), v1::LEGAL_BASIS_SSP_EXCHANGE,
                      v1::CONCERN_CATEGORY_TIME_ON_THE_STREET, kSchool);
       }},
      {"ShareConcern(§ 63 d)",
       [&](const security::Principal& who) {
         return share(who, Accepted(), v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS,
                      v1::CONCERN_CATEGORY_CHARGES, "agency-housing-sjaelor");
       }},
      {"ShareConcern(consent)",
       [&](const security::Principal& who) {
         return share(who, consented, v1::LEGAL_BASIS_CONSENT,
                      v1::CONCERN_CATEGORY_TIME_ON_THE_STREET, kSchool);
       }},
      {"NotifyChildWelfare",
       [](const security::Principal& who) {
         auto r = Req<v1::NotifyChildWelfareRequest>();
         r.set_youth_id(Referred());
         r.set_agency_id(who.agency);
         r.set_text("Found alone at the station at night");
         return std::unique_ptr<Message>(new v1::NotifyChildWelfareRequest(std::move(r)));
       }},
  };
  for (const AsItself& command : as_itself) {
    for (const auto& [label, who] : Callers()) {
      const CallResult result = cell(command.name, label, who, *command.make(who));
      if (result.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
          command.name.rfind("ShareConcern", 0) == 0) {
        // A basis the agency may not use is named.
        EXPECT_TRUE(absl::StrContains(result.status.error_message(), "legal_basis") ||
                    absl::StrContains(result.status.error_message(), "recipient"))
            << command.name << " by " << who.person << ": " << result.status.error_message();
      }
    }
  }
  matrix << "# 0 OK, 3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED, 9 FAILED_PRECONDITION\n";
  ExpectGolden(matrix.str(), kCommandGolden);
  // Every command refused on a youth's case left its refused record: by the caller, through the
  // command, naming the youth (and no more of them than refusals).
  std::map<std::string, std::vector<v1::AccessRecord>> by_person;
  std::map<std::string, int> refused_by_person;
  for (const Refusal& r : refusals) ++refused_by_person[r.person];
  for (const auto& [person, count] : refused_by_person) by_person[person] = RecordsOf(person);
  EXPECT_GT(refusals.size(), 50u);
  for (const auto& [person, count] : refused_by_person) {
    int records = 0;
    for (const v1::AccessRecord& r : by_person[person]) {
      records += r.refused() && absl::StartsWith(r.call(), "hotspot.v1.CommandService/");
    }
    EXPECT_EQ(records, count) << person;
  }
  for (const Refusal& refusal : refusals) {
    const std::vector<v1::AccessRecord>& records = by_person[refusal.person];
    EXPECT_TRUE(std::any_of(records.begin(), records.end(),
                            [&](const v1::AccessRecord& r) {
                              return r.refused() &&
                                     r.call() == "hotspot.v1.CommandService/" + refusal.command &&
                                     (refusal.youth.empty()
                                          ? absl::StartsWith(r.youth_id(), "youth-")
                                          : r.youth_id() == refusal.youth) &&
                                     r.personal_data_disclosed() == false;
                            }))
        << refusal.command << " by " << refusal.person << ": no refused record";
  }
}

}  // namespace
}  // namespace hotspot::testing
