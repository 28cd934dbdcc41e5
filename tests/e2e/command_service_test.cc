// CommandService against a real hotspotd on a free port: every command's success, idempotent
// retry, unauthenticated and unauthorised calls, and malformed input (nothing written); the
// domain's invariants with their codes; concurrent conflicting commands.
#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "services/scenario/scenario.h"
#include "store/event_store.h"
#include "store/test_util.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/hotspotd_process.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using google::protobuf::Message;
using security::Principal;
using store::testing::TempDir;

constexpr const char* kArea = scenario::kAreaId;
constexpr const char* kSchool = "agency-school-sjaelor";
constexpr const char* kPolice = "agency-police-copenhagen";
constexpr const char* kSocial = "agency-social-copenhagen";

v1::Date InDays(int days) {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + days;
  v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// One hotspotd for the suite, with the demo's people as tokens and the scenario built over gRPC.
class CommandServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // No deadline process: the probes below count every event written.
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--deadline_interval_s=0"});
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    cast_ = &suite_->cast;
    stranger_ = &suite_->stranger;
    server_ = &*suite_->process;
    client_ = suite_->commands.get();
    scenario::ScenarioOptions options;
    options.backdate = false;  // over gRPC the server's clock rules
    options.youths = 12;
    options.request_prefix = "setup";
    absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(*client_, options);
    ASSERT_TRUE(built.ok()) << built.status();
  }

  static void TearDownTestSuite() { delete suite_; }

  static std::string NextId() { return absl::StrCat("t-", ++sequence_); }

  template <typename Request>
  static Request Req() {
    Request r;
    r.set_request_id(NextId());
    return r;
  }

  static v1::CommandResponse Must(const Principal& as, const Message& request) {
    CallResult r = client_->Call(as, request);
    EXPECT_TRUE(r.status.ok()) << request.GetDescriptor()->name() << ": "
                               << r.status.error_message();
    return r.response;
  }

  // A one-event command: its position is the log's head, so the gap between two of them counts
  // what was written in between.
  static uint64_t Probe() {
    return Must(cast_->school_member, scenario::SampleReferral(++sequence_, NextId())).position();
  }

  static std::string Referred() {
    return Must(cast_->school_member, scenario::SampleReferral(++sequence_, NextId())).id();
  }

  // Accepted; `age_14`: a youth of 14 today, for whom a custody holder consents.
  static std::string Accepted(bool age_14 = false) {
    std::string youth;
    if (age_14) {
      v1::ReferYouthRequest referral = scenario::SampleReferral(++sequence_, NextId());
      const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
      referral.set_birth_date(absl::StrFormat("%04d-%02d-%02d", today.year() - 14, today.month(),
                                              std::min(today.day(), 28)));
      youth = Must(cast_->school_member, referral).id();
    } else {
      youth = Referred();
    }
    auto screen = Req<v1::ScreenReferralRequest>();
    screen.set_youth_id(youth);
    screen.set_accept(true);
    Must(cast_->chief, screen);
    return youth;
  }

  static std::string Scheduled() {
    auto schedule = Req<v1::ScheduleMeetingRequest>();
    schedule.set_area_id(kArea);
    schedule.set_body_id("task-force");
    schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    return Must(cast_->chief, schedule).id();
  }

  static std::string HeldMeetingWith(const std::string& youth) {
    const std::string meeting = Scheduled();
    auto held = Req<v1::RecordAttendanceRequest>();
    held.set_meeting_id(meeting);
    held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    held.add_attendance()->set_agency_id(kSchool);
    held.mutable_attendance(0)->set_person("teacher-ole");
    Must(cast_->chief, held);
    auto agenda = Req<v1::AddAgendaItemRequest>();
    agenda.set_meeting_id(meeting);
    agenda.set_youth_id(youth);
    Must(cast_->chief, agenda);
    return meeting;
  }

  static v1::RecordDecisionRequest DecisionFor(const std::string& meeting,
                                               const std::string& youth) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(youth);
    d.set_text("The school calls the family every morning");
    auto* c = d.add_commitments();
    c->set_owning_agency_id(kSchool);
    c->set_responsible_person("teacher-ole");
    c->set_action("Morning call to the family");
    *c->mutable_due_date() = InDays(14);
    return d;
  }

  static std::string Commitment(const std::string& youth) {
    return Must(cast_->chief, DecisionFor(HeldMeetingWith(youth), youth)).created_ids(0);
  }

  static std::string Escalation() {
    auto raise = Req<v1::RaiseEscalationRequest>();
    raise.set_area_id(kArea);
    raise.set_target_agency_id(kPolice);
    raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    raise.set_reason("No response to three requests");
    raise.add_commitment_ids(Commitment(Accepted()));
    return Must(cast_->chief, raise).id();
  }

  // An erasure request for a fresh youth, approved by the auditor if `approved`.
  // A referred youth with a notification to the social administration: {youth, notification}.
  static std::pair<std::string, std::string> Notified() {
    const std::string youth = Referred();
    auto notify = Req<v1::NotifyChildWelfareRequest>();
    notify.set_youth_id(youth);
    notify.set_agency_id(kSchool);
    notify.set_text("Says he sleeps at friends' most nights");
    return {youth, Must(cast_->school_member, notify).id()};
  }

  // A youth with an open child-welfare investigation: {youth, investigation}.
  static std::pair<std::string, std::string> Investigated() {
    const std::string youth = Referred();
    auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
    open.set_youth_id(youth);
    return {youth, Must(cast_->caseworker, open).id()};
  }

  // An erasure request for a youth referred by mistake (ground (d): not refused while the case
  // is open). `approved`: and approved; `assessed`: and the archive said "discard".
  static std::string Erasure(bool approved, bool assessed = false) {
    auto request = Req<v1::RequestErasureRequest>();
    request.set_youth_id(Referred());
    request.set_requested_by("the youth");
    request.set_reason("Referred by mistake: the wrong youth");
    request.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
    const std::string id = Must(cast_->chief, request).id();
    if (approved) {
      auto approve = Req<v1::ApproveErasureRequest>();
      approve.set_erasure_id(id);
      Must(cast_->auditor, approve);
    }
    if (assessed) {
      auto assess = Req<v1::RecordArchiveAssessmentRequest>();
      assess.set_erasure_id(id);
      assess.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
      assess.set_reference("KBH-ARK-2026-17");
      Must(cast_->auditor, assess);
    }
    return id;
  }

  static grpc::StatusCode Code(const Principal& as, const Message& request) {
    return client_->Call(as, request).status.error_code();
  }

  static SuiteServer* suite_;
  static scenario::Cast* cast_;
  static Principal* stranger_;
  static HotspotdProcess* server_;
  static CommandClient* client_;
  static std::atomic<int> sequence_;
};

SuiteServer* CommandServiceTest::suite_;
scenario::Cast* CommandServiceTest::cast_;
Principal* CommandServiceTest::stranger_;
HotspotdProcess* CommandServiceTest::server_;
CommandClient* CommandServiceTest::client_;
std::atomic<int> CommandServiceTest::sequence_{0};

// How to make a request malformed.
enum class Bad { kClear, kTooLong, kBadId, kBadEnum };

void Malform(Message* m, const std::string& field, Bad how) {
  const auto* f = m->GetDescriptor()->FindFieldByName(field);
  ASSERT_NE(f, nullptr) << field;
  const auto* reflection = m->GetReflection();
  switch (how) {
    case Bad::kClear:
      reflection->ClearField(m, f);
      break;
    case Bad::kTooLong:
      reflection->SetString(m, f, std::string(20'000, 'x'));
      break;
    case Bad::kBadId:
      reflection->SetString(m, f, "not an id!");
      break;
    case Bad::kBadEnum:
      reflection->SetEnumValue(m, f, 99);
      break;
  }
}

struct CommandCase {
  std::string name;
  std::function<std::unique_ptr<Message>()> make;  // a valid request, on fresh aggregates
  std::function<const Principal&()> allowed;
  std::function<const Principal&()> denied;
  std::string bad_field;
  Bad bad;
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const CommandCase& c, std::ostream* os) { *os << c.name; }

class EveryCommandTest : public CommandServiceTest,
                         public ::testing::WithParamInterface<CommandCase> {};

template <typename Request>
std::unique_ptr<Message> Own(Request r) {
  return std::make_unique<Request>(std::move(r));
}

using T = CommandServiceTest;
struct Cases : T {
  static std::vector<CommandCase> All();
};

std::vector<CommandCase> Cases::All() {
  auto chief = []() -> const Principal& { return cast_->chief; };
  auto admin = []() -> const Principal& { return cast_->admin; };
  auto school_member = []() -> const Principal& { return cast_->school_member; };
  auto school_leader = []() -> const Principal& { return cast_->school_leader; };
  auto police_member = []() -> const Principal& { return cast_->police_member; };
  auto police_leader = []() -> const Principal& { return cast_->police_leader; };
  auto caseworker = []() -> const Principal& { return cast_->caseworker; };
  auto auditor = []() -> const Principal& { return cast_->auditor; };
  using P = std::function<const Principal&()>;
  return {
      {"EstablishArea",
       [] {
         auto r = Req<v1::EstablishAreaRequest>();
         r.set_area_id(absl::StrCat("area-t", ++sequence_));
         r.set_name("Test area");
         r.set_municipality("Aalborg");
         return Own(r);
       },
       P(admin), P(school_member), "area_id", Bad::kBadId},
      {"AdoptProgramme",
       [] {
         auto r = Req<v1::AdoptProgrammeRequest>();
         r.set_area_id(kArea);
         r.set_summary("Revised after the half-year report");
         auto* g = r.add_goals();
         g->set_goal_id("charges");
         g->set_description("Fewer charges");
         g->set_measure("charges per 1,000 youth");
         return Own(r);
       },
       P(chief), P(school_member), "area_id", Bad::kBadId},
      {"AppointChief",
       [] {
         auto r = Req<v1::AppointChiefRequest>();
         r.set_area_id(kArea);
         r.set_person(absl::StrCat("chief-", ++sequence_));
         return Own(r);
       },
       P(admin), P(police_member), "person", Bad::kTooLong},
      {"AssignStaff",
       [] {
         auto r = Req<v1::AssignStaffRequest>();
         r.set_area_id(kArea);
         r.set_person(absl::StrCat("staff-", ++sequence_));
         r.set_function("outreach worker");
         return Own(r);
       },
       P(chief), P(caseworker), "function", Bad::kClear},
      {"ConstituteBody",
       [] {
         auto r = Req<v1::ConstituteBodyRequest>();
         r.set_area_id(kArea);
         r.set_body_id(absl::StrCat("group-", ++sequence_));
         r.set_kind(v1::BODY_KIND_TASK_FORCE);
         r.set_name("Second task force");
         r.add_members()->set_agency_id(kSchool);
         r.mutable_members(0)->set_person("teacher-ole");
         r.mutable_cadence()->set_every_weeks(2);
         return Own(r);
       },
       P(chief), P(school_leader), "kind", Bad::kBadEnum},
      {"RecordMeasurement",
       [] {
         auto r = Req<v1::RecordMeasurementRequest>();
         r.set_area_id(kArea);
         r.set_measure("safety_index");
         r.set_scope(v1::MEASUREMENT_SCOPE_AREA);
         *r.mutable_measured_on() = InDays(-1);
         r.set_value(64.5);
         return Own(r);
       },
       P(chief), P(police_leader), "scope", Bad::kBadEnum},
      {"RegisterAgency",
       [] {
         auto r = Req<v1::RegisterAgencyRequest>();
         r.set_agency_id(absl::StrCat("agency-t", ++sequence_));
         r.set_area_id(kArea);
         r.set_name("Sports association");
         r.set_kind(v1::AGENCY_KIND_NGO);
         return Own(r);
       },
       P(chief), P(police_leader), "kind", Bad::kBadEnum},
      {"SetLeadershipLadder",
       [] {
         auto r = Req<v1::SetLeadershipLadderRequest>();
         r.set_agency_id("agency-club-sjaelor");
         auto* c = r.add_contacts();
         c->set_level(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER);
         c->set_person(absl::StrCat("club-manager-", ++sequence_));
         return Own(r);
       },
       P(chief), P(school_member), "agency_id", Bad::kBadId},
      {"ReferYouth", [] { return Own(scenario::SampleReferral(++sequence_, NextId())); },
       P(school_member), P(auditor), "urgency", Bad::kBadEnum},
      {"ScreenReferral",
       [] {
         auto r = Req<v1::ScreenReferralRequest>();
         r.set_youth_id(Referred());
         r.set_accept(true);
         return Own(r);
       },
       P(chief), P(school_member), "youth_id", Bad::kBadId},
      {"AssignOutreach",
       [] {
         auto r = Req<v1::AssignOutreachRequest>();
         r.set_youth_id(Accepted());
         r.set_agency_id("agency-outreach-sydvest");
         r.set_person("staff-jonas");
         r.set_task("Meet him at the club");
         return Own(r);
       },
       P(chief), P(police_member), "task", Bad::kTooLong},
      {"ShareConcern",
       [] {
         auto r = Req<v1::ShareConcernRequest>();
         r.set_youth_id(Accepted());
         r.set_agency_id(kPolice);
         r.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
         r.set_text("Seen at the station at night");
         r.add_recipient_agency_ids("agency-school-sjaelor");
         r.set_necessity("The school can keep him in class");
         return Own(r);
       },
       P(police_member), P(school_member), "legal_basis", Bad::kBadEnum},
      {"RecordConsent",
       [] {
         auto r = Req<v1::RecordConsentRequest>();
         r.set_youth_id(Accepted(/*age_14=*/true));
         r.set_scope("school and social services");
         r.set_given_by("parent");
         r.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
         r.add_agency_ids(kSchool);
         r.add_agency_ids(kSocial);
         r.set_purpose("support at school");
         return Own(r);
       },
       P(caseworker), P(school_member), "scope", Bad::kClear},
      {"WithdrawConsent",
       [] {
         auto consent = Req<v1::RecordConsentRequest>();
         consent.set_youth_id(Accepted(/*age_14=*/true));
         consent.set_scope("school and social services");
         consent.set_given_by("parent");
         consent.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
         consent.add_agency_ids(kSchool);
         consent.set_purpose("support at school");
         Must(cast_->caseworker, consent);
         auto r = Req<v1::WithdrawConsentRequest>();
         r.set_youth_id(consent.youth_id());
         r.set_scope(consent.scope());
         return Own(r);
       },
       P(chief), P(police_member), "scope", Bad::kTooLong},
      {"AdoptActionPlan",
       [] {
         auto r = Req<v1::AdoptActionPlanRequest>();
         r.set_youth_id(Accepted());
         r.add_goals("Back in school");
         *r.mutable_review_date() = InDays(60);
         return Own(r);
       },
       P(chief), P(caseworker), "youth_id", Bad::kClear},
      {"RecordSocialDecision",
       [] {
         auto r = Req<v1::RecordSocialDecisionRequest>();
         r.set_youth_id(Accepted());
         r.set_decision("Family support (barnets lov § 32)");
         return Own(r);
       },
       P(caseworker), P(chief), "decision", Bad::kClear},
      {"HandOverToAdultServices",
       [] {
         auto r = Req<v1::HandOverToAdultServicesRequest>();
         r.set_youth_id(Accepted());
         r.set_receiving_agency_id(kSocial);
         return Own(r);
       },
       P(chief), P(school_leader), "receiving_agency_id", Bad::kBadId},
      {"CloseCase",
       [] {
         auto r = Req<v1::CloseCaseRequest>();
         r.set_youth_id(Accepted());
         r.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
         return Own(r);
       },
       P(chief), P(school_member), "outcome", Bad::kBadEnum},
      {"ReopenCase",
       [] {
         auto close = Req<v1::CloseCaseRequest>();
         close.set_youth_id(Accepted());
         close.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
         Must(cast_->chief, close);
         auto r = Req<v1::ReopenCaseRequest>();
         r.set_youth_id(close.youth_id());
         r.set_reason("Moved back");
         return Own(r);
       },
       P(chief), P(caseworker), "reason", Bad::kClear},
      {"ScheduleMeeting",
       [] {
         auto r = Req<v1::ScheduleMeetingRequest>();
         r.set_area_id(kArea);
         r.set_body_id("task-force");
         r.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
         return Own(r);
       },
       P(chief), P(police_leader), "body_id", Bad::kClear},
      {"RecordAttendance",
       [] {
         auto r = Req<v1::RecordAttendanceRequest>();
         r.set_meeting_id(Scheduled());
         r.mutable_held_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
         r.add_attendance()->set_agency_id(kSchool);
         r.mutable_attendance(0)->set_person("teacher-ole");
         return Own(r);
       },
       P(chief), P(school_member), "meeting_id", Bad::kBadId},
      {"AddAgendaItem",
       [] {
         auto r = Req<v1::AddAgendaItemRequest>();
         r.set_meeting_id(Scheduled());
         r.set_youth_id(Accepted());
         return Own(r);
       },
       P(chief), P(school_member), "youth_id", Bad::kBadId},
      {"RecordDecision",
       [] {
         const std::string youth = Accepted();
         return Own(DecisionFor(HeldMeetingWith(youth), youth));
       },
       P(chief), P(school_leader), "text", Bad::kClear},
      {"AcknowledgeCommitment",
       [] {
         auto r = Req<v1::AcknowledgeCommitmentRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         return Own(r);
       },
       P(school_member), P(police_member), "commitment_id", Bad::kBadId},
      {"ReportProgress",
       [] {
         auto r = Req<v1::ReportProgressRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         r.set_note("Called twice");
         return Own(r);
       },
       P(school_member), P(police_member), "note", Bad::kClear},
      {"RenegotiateCommitment",
       [] {
         auto r = Req<v1::RenegotiateCommitmentRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         *r.mutable_new_due_date() = InDays(40);
         r.set_reason("Holidays");
         return Own(r);
       },
       P(school_member), P(police_member), "reason", Bad::kClear},
      {"FulfilCommitment",
       [] {
         auto r = Req<v1::FulfilCommitmentRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         return Own(r);
       },
       P(school_member), P(police_leader), "commitment_id", Bad::kClear},
      {"CancelCommitment",
       [] {
         auto r = Req<v1::CancelCommitmentRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         r.set_reason("Family moved away");
         return Own(r);
       },
       P(school_leader), P(school_member), "reason", Bad::kClear},
      {"RaiseEscalation",
       [] {
         auto r = Req<v1::RaiseEscalationRequest>();
         r.set_area_id(kArea);
         r.set_target_agency_id(kPolice);
         r.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
         r.set_reason("No response");
         r.add_commitment_ids(Commitment(Accepted()));
         return Own(r);
       },
       P(chief), P(police_leader), "level", Bad::kBadEnum},
      {"AcknowledgeEscalation",
       [] {
         auto r = Req<v1::AcknowledgeEscalationRequest>();
         r.set_escalation_id(Escalation());
         return Own(r);
       },
       P(police_leader), P(school_leader), "escalation_id", Bad::kBadId},
      {"MoveEscalationUp",
       [] {
         auto r = Req<v1::MoveEscalationUpRequest>();
         r.set_escalation_id(Escalation());
         r.set_reason("No change");
         return Own(r);
       },
       P(chief), P(police_leader), "reason", Bad::kClear},
      {"ResolveEscalation",
       [] {
         auto r = Req<v1::ResolveEscalationRequest>();
         r.set_escalation_id(Escalation());
         r.set_outcome("Patrols agreed");
         return Own(r);
       },
       P(police_leader), P(chief), "outcome", Bad::kTooLong},
      {"RequestErasure",
       [] {
         auto r = Req<v1::RequestErasureRequest>();
         r.set_youth_id(Referred());
         r.set_requested_by("a parent");
         r.set_reason("The family asks for deletion");
         r.set_ground(v1::ERASURE_GROUND_OBJECTION);  // the case is open: refused at once
         return Own(r);
       },
       P(chief), P(auditor), "reason", Bad::kClear},
      {"ApproveErasure",
       [] {
         auto r = Req<v1::ApproveErasureRequest>();
         r.set_erasure_id(Erasure(false));
         r.set_reason("No duty to keep: the referral was never acted on");
         return Own(r);
       },
       P(auditor), P(chief), "erasure_id", Bad::kBadId},
      {"RefuseErasure",
       [] {
         auto r = Req<v1::RefuseErasureRequest>();
         r.set_erasure_id(Erasure(false));
         r.set_reason("Duty to keep the records of a current social case");
         return Own(r);
       },
       P(auditor), P(admin), "reason", Bad::kClear},
      {"ExecuteErasure",
       [] {
         auto r = Req<v1::ExecuteErasureRequest>();
         r.set_erasure_id(Erasure(true, true));
         return Own(r);
       },
       P(admin), P(auditor), "erasure_id", Bad::kBadId},
      {"RecordArchiveAssessment",
       [] {
         auto r = Req<v1::RecordArchiveAssessmentRequest>();
         r.set_erasure_id(Erasure(true));
         r.set_outcome(v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER);
         r.set_reference("KBH-ARK-2026-18");
         return Own(r);
       },
       P(auditor), P(admin), "outcome", Bad::kBadEnum},
      {"RecordArchiveTransfer",
       [] {
         const std::string erasure = Erasure(true);
         auto assess = Req<v1::RecordArchiveAssessmentRequest>();
         assess.set_erasure_id(erasure);
         assess.set_outcome(v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER);
         assess.set_reference("KBH-ARK-2026-19");
         Must(cast_->auditor, assess);
         auto r = Req<v1::RecordArchiveTransferRequest>();
         r.set_erasure_id(erasure);
         r.set_reference("KBH-ARK-2026-19/transfer");
         return Own(r);
       },
       P(auditor), P(chief), "reference", Bad::kClear},
      {"NotifyChildWelfare",
       [] {
         auto r = Req<v1::NotifyChildWelfareRequest>();
         r.set_youth_id(Referred());
         r.set_agency_id(kSchool);
         r.set_text("Found alone at the station at night");
         return Own(r);
       },
       P(school_member), P(auditor), "text", Bad::kClear},
      {"AssessNotification",
       [] {
         const auto [youth, notification] = Notified();
         auto r = Req<v1::AssessNotificationRequest>();
         r.set_youth_id(youth);
         r.set_notification_id(notification);
         r.set_assessment("No acute danger; a talk with the family");
         return Own(r);
       },
       P(caseworker), P(chief), "notification_id", Bad::kBadId},
      {"ConfirmNotificationReceipt",
       [] {
         const auto [youth, notification] = Notified();
         auto r = Req<v1::ConfirmNotificationReceiptRequest>();
         r.set_youth_id(youth);
         r.set_notification_id(notification);
         return Own(r);
       },
       P(caseworker), P(school_member), "notification_id", Bad::kBadId},
      {"OpenChildWelfareInvestigation",
       [] {
         const auto [youth, notification] = Notified();
         auto r = Req<v1::OpenChildWelfareInvestigationRequest>();
         r.set_youth_id(youth);
         r.set_notification_id(notification);
         return Own(r);
       },
       P(caseworker), P(chief), "youth_id", Bad::kBadId},
      {"CompleteChildWelfareInvestigation",
       [] {
         const auto [youth, investigation] = Investigated();
         auto r = Req<v1::CompleteChildWelfareInvestigationRequest>();
         r.set_youth_id(youth);
         r.set_investigation_id(investigation);
         r.set_conclusion("Support offered to the family");
         return Own(r);
       },
       P(caseworker), P(police_member), "conclusion", Bad::kClear},
      {"RectifyPersonalData",
       [] {
         auto r = Req<v1::RectifyPersonalDataRequest>();
         r.set_youth_id(Referred());
         r.set_field(v1::PERSONAL_DATA_FIELD_NAME);
         r.set_value("Ali Hansen");
         r.set_reason("Misspelt at referral");
         return Own(r);
       },
       P(caseworker), P(school_member), "value", Bad::kClear},
      {"RecordSubjectAccessRequest",
       [] {
         auto r = Req<v1::RecordSubjectAccessRequestRequest>();
         r.set_youth_id(Referred());
         r.set_requester(v1::CONSENT_GIVER_YOUTH);
         r.set_requested_by("the youth, by letter");
         return Own(r);
       },
       P(chief), P(school_member), "requester", Bad::kBadEnum},
  };
}

TEST_P(EveryCommandTest, SucceedsOnceRetriesIdempotentlyAndRefusesBadCallsWritingNothing) {
  const CommandCase& c = GetParam();
  const std::unique_ptr<Message> request = c.make();

  const uint64_t before = Probe();
  // Unauthenticated: no token, an unknown token.
  EXPECT_EQ(client_->CallWithToken("", *request).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(client_->CallWithToken("not-a-token", *request).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Unauthorised: a role that may not, and a coordinator of another area.
  EXPECT_EQ(Code(c.denied(), *request), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code(*stranger_, *request), grpc::StatusCode::PERMISSION_DENIED);
  // Malformed: no request id; the case's bad field.
  std::unique_ptr<Message> no_id(request->New());
  no_id->CopyFrom(*request);
  Malform(no_id.get(), "request_id", Bad::kClear);
  CallResult missing = client_->Call(c.allowed(), *no_id);
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(missing.status.error_message(), "request_id:"))
      << missing.status.error_message();
  std::unique_ptr<Message> bad(request->New());
  bad->CopyFrom(*request);
  Malform(bad.get(), c.bad_field, c.bad);
  CallResult malformed = client_->Call(c.allowed(), *bad);
  EXPECT_EQ(malformed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(malformed.status.error_message(), c.bad_field + ":"))
      << malformed.status.error_message();
  EXPECT_EQ(Probe(), before + 1) << "a refused call wrote events";

  // Success, then the retry answers the same and writes nothing.
  const CallResult first = client_->Call(c.allowed(), *request);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_GT(first.response.position(), before + 1);
  EXPECT_FALSE(first.response.id().empty());
  EXPECT_FALSE(first.response.replayed());
  const uint64_t after = Probe();
  const CallResult retry = client_->Call(c.allowed(), *request);
  ASSERT_TRUE(retry.status.ok()) << retry.status.error_message();
  EXPECT_TRUE(retry.response.replayed());
  EXPECT_EQ(retry.response.position(), first.response.position());
  EXPECT_EQ(retry.response.id(), first.response.id());
  EXPECT_EQ(retry.response.created_ids_size(), first.response.created_ids_size());
  EXPECT_EQ(Probe(), after + 1) << "the retry wrote events";
}

INSTANTIATE_TEST_SUITE_P(Commands, EveryCommandTest, ::testing::ValuesIn(Cases::All()),
                         [](const auto& info) { return info.param.name; });

TEST_F(CommandServiceTest, ARequestIdReusedForOtherContentIsAlreadyExists) {
  auto referral = scenario::SampleReferral(++sequence_, NextId());
  Must(cast_->school_member, referral);
  referral.set_description("Something else entirely");
  EXPECT_EQ(Code(cast_->school_member, referral), grpc::StatusCode::ALREADY_EXISTS);
  // The same request id from another person is another request.
  referral.set_referring_agency_id(kPolice);
  EXPECT_TRUE(client_->Call(cast_->police_member, referral).status.ok());
}

TEST_F(CommandServiceTest, ACaseCannotCloseWithOpenCommitmentsNorTakeNewOnesWhileClosed) {
  const std::string youth = Accepted();
  const std::string commitment = Commitment(youth);
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  const CallResult refused = client_->Call(cast_->chief, close);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(refused.status.error_message(), commitment));
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  Must(cast_->school_member, fulfil);
  close.set_request_id(NextId());
  Must(cast_->chief, close);
  const std::string meeting = HeldMeetingWith(youth);
  EXPECT_EQ(Code(cast_->chief, DecisionFor(meeting, youth)), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CommandServiceTest, ADeclinedReferralGetsNoActionPlan) {
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(Referred());
  screen.set_accept(false);
  screen.set_reason("Handled by the school");
  Must(cast_->chief, screen);
  auto plan = Req<v1::AdoptActionPlanRequest>();
  plan.set_youth_id(screen.youth_id());
  plan.add_goals("Back in school");
  *plan.mutable_review_date() = InDays(30);
  EXPECT_EQ(Code(cast_->chief, plan), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CommandServiceTest, ACommitmentNeedsARegisteredOwnerAndAFutureDueDate) {
  const std::string youth = Accepted();
  const std::string meeting = HeldMeetingWith(youth);
  auto unregistered = DecisionFor(meeting, youth);
  unregistered.mutable_commitments(0)->set_owning_agency_id("agency-nobody");
  EXPECT_EQ(Code(cast_->chief, unregistered), grpc::StatusCode::FAILED_PRECONDITION);
  auto past = DecisionFor(meeting, youth);
  *past.mutable_commitments(0)->mutable_due_date() = InDays(-1);
  const CallResult r = client_->Call(cast_->chief, past);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(r.status.error_message(), "commitments[0].due_date:"));
}

TEST_F(CommandServiceTest, OnlySocialCaseworkersRecordSocialAssessments) {
  auto decision = Req<v1::RecordSocialDecisionRequest>();
  decision.set_youth_id(Accepted());
  decision.set_decision("Contact person");
  for (const Principal* p : {&cast_->chief, &cast_->school_leader, &cast_->police_member}) {
    EXPECT_EQ(Code(*p, decision), grpc::StatusCode::PERMISSION_DENIED) << p->person;
  }
  Must(cast_->caseworker, decision);
}

TEST_F(CommandServiceTest, AnEscalationIsResolvedByTheTargetsLeadershipNotItsRaiser) {
  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(Escalation());
  resolve.set_outcome("Agreed");
  EXPECT_EQ(Code(cast_->chief, resolve), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code(cast_->school_leader, resolve), grpc::StatusCode::PERMISSION_DENIED);
  Must(cast_->police_leader, resolve);
  // Levels climb one at a time, to the top and no further.
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(Escalation());
  up.set_reason("No change");
  for (int i = 0; i < 2; ++i) {
    up.set_request_id(NextId());
    Must(cast_->chief, up);
  }
  up.set_request_id(NextId());
  EXPECT_EQ(Code(cast_->chief, up), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CommandServiceTest, APinnedExpectedVersionThatMovedIsAborted) {
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(Referred());
  screen.set_accept(true);
  screen.set_expected_version(7);
  EXPECT_EQ(Code(cast_->chief, screen), grpc::StatusCode::ABORTED);
  screen.set_expected_version(1);
  Must(cast_->chief, screen);
}

// Runs `n` calls at once; returns their results.
std::vector<CallResult> Concurrently(int n, const std::function<CallResult(int)>& call) {
  std::vector<CallResult> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { results[i] = call(i); });
  for (auto& t : threads) t.join();
  return results;
}

TEST_F(CommandServiceTest, ConcurrentConflictingCommandsOneWinsTheOthersSeeTheRule) {
  const std::string youth = Referred();
  const auto results = Concurrently(16, [&](int) {
    auto screen = Req<v1::ScreenReferralRequest>();
    screen.set_youth_id(youth);
    screen.set_accept(true);
    return client_->Call(cast_->chief, screen);
  });
  int ok = 0;
  for (const auto& r : results) {
    if (r.status.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(r.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << r.status.error_message();
    }
  }
  EXPECT_EQ(ok, 1);
}

TEST_F(CommandServiceTest, ConcurrentCommandsOnOneAggregateAllLandThroughRetries) {
  const std::string commitment = Commitment(Accepted());
  const auto results = Concurrently(8, [&](int i) {
    auto progress = Req<v1::ReportProgressRequest>();
    progress.set_commitment_id(commitment);
    progress.set_note(absl::StrCat("Update ", i));
    return client_->Call(cast_->school_member, progress);
  });
  std::set<uint64_t> positions;
  for (const auto& r : results) {
    EXPECT_TRUE(r.status.ok()) << r.status.error_message();
    positions.insert(r.response.position());
  }
  EXPECT_EQ(positions.size(), 8u);
}

TEST_F(CommandServiceTest, ConcurrentRetriesOfOneRequestWriteItOnce) {
  const auto referral = scenario::SampleReferral(++sequence_, NextId());
  const auto results = Concurrently(8, [&](int) {
    for (;;) {  // a retry that arrives while the first attempt commits is told to come back
      CallResult r = client_->Call(cast_->school_member, referral);
      if (r.status.error_code() != grpc::StatusCode::UNAVAILABLE) return r;
    }
  });
  int first = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(r.response.position(), results[0].response.position());
    EXPECT_EQ(r.response.id(), results[0].response.id());
    first += r.response.replayed() ? 0 : 1;
  }
  EXPECT_EQ(first, 1);
}

// Personal data never stands in clear in the log: read it with the store after a stop.
TEST(CommandServiceLogTest, PersonalDataIsSealedInTheLog) {
  TempDir dir;
  const scenario::Cast cast = scenario::SjaelorCast();
  const auto tokens = WriteTokens(dir.Sub("tokens"), cast.All());
  absl::StatusOr<HotspotdProcess> server = HotspotdProcess::Start(
      HOTSPOTD_PATH, dir.Sub("data"), {"--tokens_file=" + dir.Sub("tokens")});
  ASSERT_TRUE(server.ok()) << server.status();
  {
    CommandClient client(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
    for (const auto& [person, token] : tokens) client.AddToken(person, token);
    scenario::ScenarioOptions options;
    options.backdate = false;
    options.youths = 10;
    const auto built = scenario::BuildSjaelor(client, options);
    ASSERT_TRUE(built.ok()) << built.status();
  }
  ASSERT_EQ(*server->Stop(), 0);
  store::Options options;
  options.create_if_missing = false;
  auto events = store::EventStore::Open(std::move(options), dir.Sub("data") + "/events");
  ASSERT_TRUE(events.ok()) << events.status();
  const auto log = (*events)->ReadAll(0, store::Direction::kForward, 10000);
  ASSERT_TRUE(log.ok());
  EXPECT_GT(log->size(), 100u);
  for (int n = 0; n < 10; ++n) {
    const auto sample = scenario::SampleReferral(n, "");
    for (const auto& e : *log) {
      ASSERT_FALSE(absl::StrContains(e.payload, sample.name())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, sample.cpr_number())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, sample.address())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, sample.description())) << e.type;
    }
  }
}

}  // namespace
}  // namespace hotspot::testing
