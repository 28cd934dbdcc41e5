#include "tests/e2e/command_cases.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace hotspot::testing {

using google::protobuf::Message;
using security::Principal;

scenario::Cast* CommandBuilders::cast_ = nullptr;
security::Principal* CommandBuilders::founder_ = nullptr;
CommandClient* CommandBuilders::client_ = nullptr;
std::atomic<int> CommandBuilders::sequence_{0};

void CommandBuilders::Bind(SuiteServer* suite) {
  cast_ = &suite->cast;
  founder_ = &suite->founder;
  client_ = suite->commands.get();
}

std::string CommandBuilders::NextId() { return absl::StrCat("t-", ++sequence_); }

v1::CommandResponse CommandBuilders::Must(const Principal& as, const Message& request) {
  CallResult r = client_->Call(as, request);
  EXPECT_TRUE(r.status.ok()) << request.GetDescriptor()->name() << ": " << r.status.error_message();
  return r.response;
}

uint64_t CommandBuilders::Probe() {
  return Must(cast_->school_member, scenario::SampleReferral(++sequence_, NextId())).position();
}

std::string CommandBuilders::NewArea(const std::string& municipality) {
  static int areas = 0;
  auto area = Req<v1::EstablishAreaRequest>();
  area.set_area_id(absl::StrCat("area-new-", ++areas));
  area.set_name("A new area");
  area.set_municipality(municipality);
  Must(*founder_, area);
  return area.area_id();
}

std::string CommandBuilders::Referred() {
  return Must(cast_->school_member, scenario::SampleReferral(++sequence_, NextId())).id();
}

std::string CommandBuilders::Accepted(int age) {
  std::string youth;
  if (age > 0) {
    v1::ReferYouthRequest referral = scenario::SampleReferral(++sequence_, NextId());
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    scenario::SetBirthDate(
        referral, absl::CivilDay(today.year() - age, today.month(), std::min(today.day(), 28)));
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

std::string CommandBuilders::Scheduled() {
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id(kArea);
  schedule.set_body_id("task-force");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  return Must(cast_->chief, schedule).id();
}

std::string CommandBuilders::HeldMeetingWith(const std::string& youth) {
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

v1::RecordDecisionRequest CommandBuilders::DecisionFor(const std::string& meeting,
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
  c->set_accepted_by("teacher-ole");  // at the meeting
  return d;
}

std::string CommandBuilders::ProposedCommitment(const std::string& youth) {
  v1::RecordDecisionRequest decision = DecisionFor(HeldMeetingWith(youth), youth);
  decision.mutable_commitments(0)->clear_accepted_by();
  return Must(cast_->chief, decision).created_ids(0);
}

std::string CommandBuilders::Commitment(const std::string& youth) {
  return Must(cast_->chief, DecisionFor(HeldMeetingWith(youth), youth)).created_ids(0);
}

std::string CommandBuilders::CommitmentOf(const std::string& youth, const Principal& accepter) {
  v1::RecordDecisionRequest decision = DecisionFor(HeldMeetingWith(youth), youth);
  decision.mutable_commitments(0)->set_owning_agency_id(accepter.agency);
  decision.mutable_commitments(0)->set_responsible_person(accepter.person);
  decision.mutable_commitments(0)->clear_accepted_by();
  const std::string id = Must(cast_->chief, decision).created_ids(0);
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(id);
  Must(accepter, accept);
  return id;
}

std::string CommandBuilders::Escalation() {
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id(kArea);
  raise.set_target_agency_id(kPolice);
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("No response to three requests");
  raise.add_commitment_ids(CommitmentOf(Accepted(), cast_->police_member));
  return Must(cast_->chief, raise).id();
}

std::pair<std::string, std::string> CommandBuilders::Notified() {
  const std::string youth = Referred();
  auto notify = Req<v1::NotifyChildWelfareRequest>();
  notify.set_youth_id(youth);
  notify.set_agency_id(kSchool);
  notify.set_text("Says he sleeps at friends' most nights");
  return {youth, Must(cast_->school_member, notify).id()};
}

std::pair<std::string, std::string> CommandBuilders::Investigated() {
  const std::string youth = Referred();
  auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
  open.set_youth_id(youth);
  return {youth, Must(cast_->caseworker, open).id()};
}

std::string CommandBuilders::Erasure(bool approved, bool assessed) {
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

grpc::StatusCode CommandBuilders::Code(const Principal& as, const Message& request) {
  return client_->Call(as, request).status.error_code();
}

v1::Date InDays(int days) {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + days;
  v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

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

void PrintTo(const CommandCase& c, std::ostream* os) { *os << c.name; }

namespace {

template <typename Request>
std::unique_ptr<Message> Own(Request r) {
  return std::make_unique<Request>(std::move(r));
}

}  // namespace

std::vector<CommandCase> CommandBuilders::All() {
  auto chief = []() -> const Principal& { return cast_->chief; };
  auto admin = []() -> const Principal& { return cast_->admin; };
  auto school_member = []() -> const Principal& { return cast_->school_member; };
  auto school_leader = []() -> const Principal& { return cast_->school_leader; };
  auto police_member = []() -> const Principal& { return cast_->police_member; };
  auto police_leader = []() -> const Principal& { return cast_->police_leader; };
  auto caseworker = []() -> const Principal& { return cast_->caseworker; };
  auto auditor = []() -> const Principal& { return cast_->auditor; };
  auto staff = []() -> const Principal& { return cast_->staff; };
  auto founder = []() -> const Principal& { return *founder_; };
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
         // Adopted once per area: in a fresh one, by the admin setting it up.
         auto r = Req<v1::AdoptProgrammeRequest>();
         r.set_area_id(NewArea());
         r.set_summary("Adopted by the City Council");
         auto* g = r.add_goals();
         g->set_goal_id("charges");
         g->set_description("Fewer charges");
         g->set_measure("charges_per_1000_youth");
         r.set_council_reference("BR 2026-0412");
         *r.mutable_council_decided_on() = InDays(-30);
         auto* hearing = r.add_hearings();
         hearing->set_kind(v1::HEARING_KIND_LOCAL_COMMITTEE);
         hearing->set_heard("Aalborg Øst Lokaludvalg");
         *hearing->mutable_held_on() = InDays(-60);
         hearing = r.add_hearings();
         hearing->set_kind(v1::HEARING_KIND_ADMINISTRATION);
         hearing->set_heard("Familie- og Beskæftigelsesforvaltningen");
         *hearing->mutable_held_on() = InDays(-50);
         return Own(r);
       },
       P(founder), P(school_member), "council_reference", Bad::kClear},
      {"AppointChief",
       [] {
         // Another chief for a while, and the command appoints the demo's chief again: the
         // chief's own rights (escalations) stay hers for the cases after this one.
         auto other = Req<v1::AppointChiefRequest>();
         other.set_area_id(kArea);
         other.set_person(absl::StrCat("chief-", ++sequence_));
         Must(cast_->admin, other);
         auto r = Req<v1::AppointChiefRequest>();
         r.set_area_id(kArea);
         r.set_person(cast_->chief.person);
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
      {"DesignatePoliceCoordinator",
       [] {
         // A police agency of its own, so that the area's police keep their coordinator.
         auto police = Req<v1::RegisterAgencyRequest>();
         police.set_agency_id(absl::StrCat("agency-police-t", ++sequence_));
         police.set_area_id(kArea);
         police.set_name("Another police district");
         police.set_kind(v1::AGENCY_KIND_POLICE);
         Must(cast_->chief, police);
         // One of its people, as it named them.
         auto named = Req<v1::NameAgencyPeopleRequest>();
         named.set_agency_id(police.agency_id());
         named.add_persons(absl::StrCat("coordinator-", ++sequence_));
         Must(cast_->admin, named);
         auto r = Req<v1::DesignatePoliceCoordinatorRequest>();
         r.set_area_id(kArea);
         r.set_agency_id(police.agency_id());
         r.set_person(named.persons(0));
         return Own(r);
       },
       P(chief), P(staff), "person", Bad::kTooLong},
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
       P(admin), P(chief), "agency_id", Bad::kBadId},
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
      {"RecordOutreachOutcome",
       [] {
         // The school does the task: it records the outcome, not the chief.
         auto task = Req<v1::AssignOutreachRequest>();
         task.set_youth_id(Accepted());
         task.set_agency_id(kSchool);
         task.set_person(cast_->school_member.person);
         task.set_task("Talk with him after class");
         const v1::CommandResponse assigned = Must(cast_->chief, task);
         auto r = Req<v1::RecordOutreachOutcomeRequest>();
         r.set_youth_id(task.youth_id());
         r.set_outreach_id(assigned.created_ids(0));
         r.set_outcome("He came to the homework club twice");
         return Own(r);
       },
       P(school_member), P(chief), "outcome", Bad::kTooLong},
      {"IdentifyYouth",
       [] {
         // Referred by the outreach team without a name.
         v1::ReferYouthRequest referral = scenario::SampleReferral(++sequence_, NextId());
         referral.set_identity_known(false);
         referral.clear_name();
         referral.clear_cpr_number();
         referral.clear_birth_date();
         referral.clear_address();
         auto r = Req<v1::IdentifyYouthRequest>();
         r.set_youth_id(Must(cast_->school_member, referral).id());
         r.set_name("Karim Berg");
         r.set_birth_date("2010-05-04");
         return Own(r);
       },
       P(chief), P(school_member), "name", Bad::kTooLong},
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
         r.set_youth_id(Accepted(/*age=*/14));
         r.set_scope("school and social services");
         r.set_given_by("parent");
         r.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
         r.add_agency_ids(kSchool);
         r.add_agency_ids(kSocial);
         r.set_purpose("support at school");
         r.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
         return Own(r);
       },
       P(caseworker), P(school_member), "scope", Bad::kClear},
      {"WithdrawConsent",
       [] {
         auto consent = Req<v1::RecordConsentRequest>();
         consent.set_youth_id(Accepted(/*age=*/14));
         consent.set_scope("school and social services");
         consent.set_given_by("parent");
         consent.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
         consent.add_agency_ids(kSchool);
         consent.set_purpose("support at school");
         consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
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
         return Own(Cite(r));
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
         r.set_youth_id(Accepted(/*age=*/17));  // adult services take over from 17
         r.set_receiving_agency_id(kSocial);
         return Own(Cite(r));
       },
       P(chief), P(school_leader), "receiving_agency_id", Bad::kBadId},
      {"CloseCase",
       [] {
         auto r = Req<v1::CloseCaseRequest>();
         r.set_youth_id(Accepted());
         r.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
         return Own(Cite(r));
       },
       P(chief), P(school_member), "outcome", Bad::kBadEnum},
      {"ReopenCase",
       [] {
         auto close = Req<v1::CloseCaseRequest>();
         close.set_youth_id(Accepted());
         close.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
         Must(cast_->chief, Cite(close));
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
       P(school_leader), P(school_member), "reason", Bad::kClear},
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
      {"AcceptCommitment",
       [] {
         auto r = Req<v1::AcceptCommitmentRequest>();
         r.set_commitment_id(ProposedCommitment(Accepted()));
         return Own(r);
       },
       P(school_member), P(chief), "commitment_id", Bad::kBadId},
      {"DeclineCommitment",
       [] {
         auto r = Req<v1::DeclineCommitmentRequest>();
         r.set_commitment_id(ProposedCommitment(Accepted()));
         r.set_reason("Not ours: the youth left the school in August");
         return Own(r);
       },
       P(school_leader), P(police_member), "reason", Bad::kClear},
      {"RecordFollowUp",
       [] {
         auto r = Req<v1::RecordFollowUpRequest>();
         r.set_commitment_id(Commitment(Accepted()));
         r.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
         r.set_note("Reminder sent to the school");
         return Own(r);
       },
       P(chief), P(school_leader), "kind", Bad::kBadEnum},
      {"WithdrawProposal",
       [] {
         auto r = Req<v1::WithdrawProposalRequest>();
         const std::string youth = Accepted();
         r.set_youth_id(youth);
         r.set_commitment_id(ProposedCommitment(youth));
         r.set_reason("The family moved out of the area");
         return Own(r);
       },
       P(chief), P(school_leader), "reason", Bad::kClear},
      {"RaiseEscalation",
       [] {
         auto r = Req<v1::RaiseEscalationRequest>();
         r.set_area_id(kArea);
         r.set_target_agency_id(kPolice);
         r.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
         r.set_reason("No response");
         r.add_commitment_ids(CommitmentOf(Accepted(), cast_->police_member));
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
         // Its level had its chance: the police's coordinator acknowledged it.
         auto ack = Req<v1::AcknowledgeEscalationRequest>();
         ack.set_escalation_id(r.escalation_id());
         Must(cast_->police_leader, ack);
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
         r.set_reference("KBH-ARK-2026-19.1");
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
      {"LinkAgencyToArea",
       [] {
         auto r = Req<v1::LinkAgencyToAreaRequest>();
         r.set_agency_id(kPolice);
         r.set_area_id(NewArea("Copenhagen"));  // the police's municipality
         return Own(r);
       },
       P(police_leader), P(chief), "agency_id", Bad::kBadId},
      {"ProposeProgrammeRevision",
       [] {
         auto r = Req<v1::ProposeProgrammeRevisionRequest>();
         r.set_area_id(kArea);
         auto* g = r.add_goals();
         g->set_goal_id("charges");
         g->set_description("Fewer charges");
         g->set_measure("charges_per_1000_youth");
         g->set_target(45);
         r.set_reason("Charges fell faster than planned");
         return Own(r);
       },
       P(chief), P(staff), "reason", Bad::kClear},
      {"AppointBoardMember",
       [] {
         auto r = Req<v1::AppointBoardMemberRequest>();
         r.set_area_id(kArea);
         r.set_body_id("hotspot-board");
         r.mutable_member()->set_person(absl::StrCat("resident-", ++sequence_));
         r.mutable_member()->set_represents("the tenants' board");
         return Own(r);
       },
       P(chief), P(staff), "body_id", Bad::kBadId},
      {"RemoveBoardMember",
       [] {
         auto appoint = Req<v1::AppointBoardMemberRequest>();
         appoint.set_area_id(kArea);
         appoint.set_body_id("hotspot-board");
         appoint.mutable_member()->set_person(absl::StrCat("resident-", ++sequence_));
         appoint.mutable_member()->set_represents("the tenants' board");
         Must(cast_->chief, appoint);
         auto r = Req<v1::RemoveBoardMemberRequest>();
         r.set_area_id(kArea);
         r.set_body_id("hotspot-board");
         r.set_person(appoint.member().person());
         r.set_reason("Moved away");
         return Own(r);
       },
       P(chief), P(staff), "person", Bad::kTooLong},
      {"SubmitReport",
       [] {
         auto r = Req<v1::SubmitReportRequest>();
         r.set_area_id(kArea);
         r.set_kind(v1::REPORT_KIND_AD_HOC);
         *r.mutable_period_start() = InDays(-30);
         *r.mutable_period_end() = InDays(-1);
         auto* to = r.add_recipients();
         to->set_person("director-school-sjaelor");  // the director rung of its ladder
         to->set_agency_id(kSchool);
         return Own(r);
       },
       P(chief), P(school_leader), "kind", Bad::kBadEnum},
      {"DefineMeasure",
       [] {
         auto r = Req<v1::DefineMeasureRequest>();
         r.set_area_id(kArea);
         r.set_measure(absl::StrCat("school_attendance_", ++sequence_));
         r.set_owning_agency_id(kSchool);
         r.set_definition("Share of the area's pupils present, per month");
         r.set_unit("per cent");
         return Own(r);
       },
       P(school_leader), P(chief), "owning_agency_id", Bad::kBadId},
      {"NameAgencyPeople",
       [] {
         // The school's register as the demo has it (its teacher accepts its commitments in the
         // builders' meetings), and one more.
         auto r = Req<v1::NameAgencyPeopleRequest>();
         r.set_agency_id(kSchool);
         r.add_persons(cast_->school_member.person);
         r.add_persons("contact-school-sjaelor");
         r.add_persons(absl::StrCat("teacher-", ++sequence_));
         return Own(r);
       },
       P(school_leader), P(chief), "agency_id", Bad::kBadId},
  };
}

}  // namespace hotspot::testing
