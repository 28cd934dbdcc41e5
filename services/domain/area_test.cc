// area.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/rules.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(DecideTest, AreaSetUpAndItsRules) {
  AreaState area;
  for (const auto& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_TRUE(area.exists);
  EXPECT_EQ(area.escalation_ack_days, 14);  // the default

  auto again = Req<v1::EstablishAreaRequest>();
  again.set_area_id("area-test");
  again.set_name("x");
  again.set_municipality("y");
  EXPECT_EQ(Code(w_.Run(again, admin_)), absl::StatusCode::kAlreadyExists);
  again.set_area_id("area-Bad_Id");
  EXPECT_EQ(Code(w_.Run(again, admin_)), absl::StatusCode::kInvalidArgument);

  v1::AdoptProgrammeRequest programme = Programme();
  EXPECT_EQ(Code(w_.Run(programme, school_member_)), absl::StatusCode::kPermissionDenied);
  // The city council's decision and the hearings before it are part of the adoption.
  for (auto drop : std::vector<std::pair<std::string, void (*)(v1::AdoptProgrammeRequest&)>>{
           {"council_reference", [](v1::AdoptProgrammeRequest& p) { p.clear_council_reference(); }},
           {"council_decided_on",
            [](v1::AdoptProgrammeRequest& p) { p.clear_council_decided_on(); }},
           {"hearings", [](v1::AdoptProgrammeRequest& p) { p.clear_hearings(); }},
           // Heard by the local committee and the administrations, each (review 13b, N4).
           {"hearings", [](v1::AdoptProgrammeRequest& p) { p.mutable_hearings()->RemoveLast(); }},
           {"hearings",
            [](v1::AdoptProgrammeRequest& p) {
              p.mutable_hearings(0)->set_kind(v1::HEARING_KIND_ADMINISTRATION);
            }},
           {"hearings[0].held_on",
            [](v1::AdoptProgrammeRequest& p) {  // after the council decided
              *p.mutable_hearings(0)->mutable_held_on() = Day(2026, 10, 1);
            }},
           {"council_reference",
            [](v1::AdoptProgrammeRequest& p) { p.set_council_reference("BR\n2026; Ali's case"); }},
           // A goal names the measure it is set against, as its measurements are recorded.
           {"goals[0].measure",
            [](v1::AdoptProgrammeRequest& p) {
              p.mutable_goals(0)->set_measure("charges per 1,000 youth");
            }},
       }) {
    v1::AdoptProgrammeRequest bad = programme;
    drop.second(bad);
    const absl::StatusOr<Decision> d = w_.Run(bad, chief_);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument) << drop.first;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(drop.first + ":"));
  }
  const Decision adopted = w_.Do(programme, chief_);
  const v1::ProgrammeAdopted& x = adopted.writes.at(0).events.at(0).programme_adopted();
  EXPECT_EQ(x.council_reference(), "BR 2026-0412");
  EXPECT_EQ(x.council_decided_on().month(), 9);
  ASSERT_EQ(x.hearings_size(), 2);
  EXPECT_EQ(x.hearings(0).kind(), v1::HEARING_KIND_LOCAL_COMMITTEE);
  // Adopted once: a revision is the chief's proposal, approved by the political follow-up group.
  const absl::StatusOr<Decision> revised = w_.Run(Programme(), chief_);
  EXPECT_EQ(Code(revised), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(revised.status().message()), HasSubstr("ProposeProgrammeRevision"));

  auto chief = Req<v1::AppointChiefRequest>();
  chief.set_area_id("area-test");
  chief.set_person("chief-anna");  // appointed in SetUp
  EXPECT_EQ(Code(w_.Run(chief, admin_)), absl::StatusCode::kFailedPrecondition);

  auto staff = Req<v1::AssignStaffRequest>();
  staff.set_area_id("area-test");
  staff.set_person("street-ali");
  staff.set_function("outreach worker");
  w_.Do(staff, chief_);

  auto body = Req<v1::ConstituteBodyRequest>();
  body.set_area_id("area-test");
  body.set_body_id("steering");
  body.set_kind(v1::BODY_KIND_STEERING_GROUP);
  body.set_name("Steering group");
  auto* member = body.add_members();
  member->set_agency_id("agency-unknown");
  member->set_person("police-boss-1");
  body.mutable_cadence()->set_min_meetings_per_year(4);
  EXPECT_EQ(Code(w_.Run(body, admin_)), absl::StatusCode::kNotFound);
  member->set_agency_id("agency-police");
  body.mutable_cadence()->set_every_weeks(2);  // both set
  EXPECT_EQ(Code(w_.Run(body, admin_)), absl::StatusCode::kInvalidArgument);
  body.mutable_cadence()->set_every_weeks(0);
  // The steering group (as the political follow-up group) is the administrations': an admin
  // constitutes it, not the chief, whose work it decides on.
  const absl::StatusOr<Decision> by_chief = w_.Run(body, chief_);
  EXPECT_EQ(Code(by_chief), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(by_chief.status().message()),
              HasSubstr("constitute the steering group: only an admin of area-test does"));
  w_.Do(body, admin_);
  EXPECT_EQ(Code(w_.Run(body, admin_)), absl::StatusCode::kAlreadyExists);

  auto measurement = Req<v1::RecordMeasurementRequest>();
  measurement.set_area_id("area-test");
  measurement.set_measure("charges_per_1000_youth");
  measurement.set_scope(v1::MEASUREMENT_SCOPE_CONTROL_AREAS);
  *measurement.mutable_measured_on() = Day(2026, 6, 30);
  measurement.set_value(65);
  // A measure nobody defined is recorded by nobody (issue 13, §5): the police define theirs.
  for (const Principal* who : {&chief_, &admin_, &police_leader_}) {
    const absl::StatusOr<Decision> undefined = w_.Run(measurement, *who);
    EXPECT_EQ(Code(undefined), absl::StatusCode::kFailedPrecondition) << who->person;
    EXPECT_EQ(undefined.status().message(),
              "measure: charges_per_1000_youth is not defined in area-test: DefineMeasure names "
              "its owning agency and definition first");
  }
  auto charges = Req<v1::DefineMeasureRequest>();
  charges.set_area_id("area-test");
  charges.set_measure("charges_per_1000_youth");
  charges.set_owning_agency_id("agency-police");
  charges.set_definition("Charges against the area's youths per 1,000 youths, per year");
  charges.set_unit("per 1,000 youths");
  w_.Do(charges, police_leader_);
  EXPECT_EQ(Code(w_.Run(measurement, school_leader_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(measurement, police_leader_).writes[0].events[0].measurement_recorded().value(),
            65);
  measurement.set_measure("Charges per 1000");
  EXPECT_EQ(Code(w_.Run(measurement, police_leader_)), absl::StatusCode::kInvalidArgument);

  // A principal of another area sees nothing of this one.
  Principal stranger = chief_;
  stranger.areas = {"area-other"};
  EXPECT_EQ(Code(w_.Run(staff, stranger)), absl::StatusCode::kPermissionDenied);
}

// The chief and the staff are different roles (the handbook, 004): escalations are the chief's
// right and duty; the staff record meetings and their decisions, and write follow-ups.
TEST_F(DecideTest, TheChiefEscalatesAndTheStaffRecordMeetings) {
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  // The staff record the meeting's decision and its commitments ...
  v1::RecordDecisionRequest decision = DecisionWithCommitment(meeting, youth);
  const Decision recorded = w_.Do(decision, staff_);
  const std::string commitment = recorded.created_ids.at(0);
  EXPECT_EQ(recorded.writes[0].events.back().actor().person(), "staff-bo");
  auto follow_up = Req<v1::RecordFollowUpRequest>();
  follow_up.set_commitment_id(commitment);
  follow_up.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
  follow_up.set_note("Reminded the school of the daily calls");
  w_.Do(follow_up, staff_);

  // ... but raise no escalation, neither alone nor in a decision.
  SchoolLadder();
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-school");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Patrols not kept up");
  raise.add_commitment_ids(commitment);
  absl::StatusOr<Decision> d = w_.Run(raise, staff_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("may not raise escalations: that is the hotspot chief's, chief-anna"));
  auto with_escalation = Req<v1::RecordDecisionRequest>();
  with_escalation.set_meeting_id(meeting);
  with_escalation.set_youth_id(youth);
  with_escalation.set_text("The police's patrols are taken to their leadership");
  auto* ne = with_escalation.add_escalations();
  ne->set_target_agency_id("agency-school");
  ne->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  ne->set_reason("Patrols not kept up");
  ne->add_commitment_ids(commitment);
  EXPECT_EQ(Code(w_.Run(with_escalation, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(with_escalation, staff_)), absl::StatusCode::kPermissionDenied);
  const std::string escalation = w_.Do(raise, chief_).id;
  EXPECT_EQ(w_.stream(escalation)[0].actor().person(), "chief-anna");
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No answer at the steering group");
  EXPECT_EQ(Code(w_.Run(up, staff_)), absl::StatusCode::kPermissionDenied);

  // The staff do not set the area up, and the chief is appointed by the administrations (an
  // admin records it), not by herself or her staff.
  auto assign = Req<v1::AssignStaffRequest>();
  assign.set_area_id("area-test");
  assign.set_person("street-ali");
  assign.set_function("outreach worker");
  EXPECT_EQ(Code(w_.Run(assign, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(Programme(), staff_)), absl::StatusCode::kPermissionDenied);
  auto appoint = Req<v1::AppointChiefRequest>();
  appoint.set_area_id("area-test");
  appoint.set_person("chief-bent");
  EXPECT_EQ(Code(w_.Run(appoint, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(appoint, chief_)), absl::StatusCode::kPermissionDenied);
  // A chief appointed in her place takes the right over; she no longer has it.
  w_.Do(appoint, admin_);
  EXPECT_EQ(Code(w_.Run(up, chief_)), absl::StatusCode::kPermissionDenied);
  const Principal bent = Who("chief-bent", "agency-hotspot", Role::kCoordinator);
  w_.now_ += absl::Hours(24 * 14);  // the steering-group level had its 14 days
  EXPECT_EQ(w_.Do(up, bent).writes[0].events[0].escalation_moved_up().to_level(),
            v1::ESCALATION_LEVEL_DIRECTOR);
}

// Review 13b, B4 and S6: the area designates its police coordinator (its chief or admin), not
// the police, nor their home area for another area. The police's escalation at the
// steering-group level stands with their coordinator's rung: designating another coordinator
// would hand it to someone else, so while it stands only those who hold its rungs now, or an
// admin of the area, may; not a police leader who holds no rung and designates himself to
// answer (and resolve) it, nor the chief who raised it.
TEST_F(DecideTest, DesignatingAPoliceCoordinatorDoesNotTakeOverAnOpenEscalation) {
  const std::string escalation =
      w_.Do(Escalating("agency-police", CommitmentOf(AcceptedYouth(), police_leader_)), chief_).id;

  const Principal other = Who("police-lead-other", "agency-police", Role::kAgencyLeader);
  NamePeople("agency-police", {"police-lead-other", "coordinator-lone"}, other);
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id("area-test");
  designate.set_agency_id("agency-police");
  designate.set_person(other.person);
  absl::StatusOr<Decision> refused = w_.Run(designate, other);
  EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("designate the area's police coordinator"));
  refused = w_.Run(designate, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "person: ")) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("may not designate another police coordinator while the "
                                     "escalation ",
                                     escalation,
                                     " stands at ESCALATION_LEVEL_STEERING_GROUP: only those who "
                                     "hold these rungs now (police-boss-1, police-boss-2, "
                                     "police-boss-3) or an admin of area-test do")));
  AreaState area;
  for (const v1::Event& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_TRUE(area.police_coordinators.empty());
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  EXPECT_EQ(Code(w_.Run(ack, other)), absl::StatusCode::kPermissionDenied);

  // An admin of the area hands it over: the designated coordinator answers it from then on.
  designate.set_person("coordinator-lone");
  const Decision designated = w_.Do(designate, admin_);
  EXPECT_EQ(designated.writes[0].events[0].police_coordinator_designated().person(),
            "coordinator-lone");
  EXPECT_EQ(Code(w_.Run(ack, police_leader_)), absl::StatusCode::kPermissionDenied);
  w_.Do(ack, Who("coordinator-lone", "agency-police", Role::kAgencyMember));
}

// Review 13b, S4: a forum (as the board and the housing-social plan's meetings) seats citizens,
// associations, NGOs and businesses that are no registered agency, by whom they represent; the
// bodies that decide seat the agencies' people, each for its agency. The same for attendance.
TEST_F(DecideTest, AForumSeatsMembersWhoSpeakForNoAgency) {
  auto forum = Req<v1::ConstituteBodyRequest>();
  forum.set_area_id("area-test");
  forum.set_body_id("forum");
  forum.set_kind(v1::BODY_KIND_FORUM);
  forum.set_name("Sjaeloer forum");
  auto* citizen = forum.add_members();
  // Who speaks for no agency has no login: named as they name themselves (review 13, f); one line.
  citizen->set_person("Karen S\u00f8rensen\nforged row");
  citizen->set_represents("Residents of Sjaeloer Boulevard");
  absl::StatusOr<Decision> named = w_.Run(forum, chief_);
  EXPECT_EQ(Code(named), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(named.status().message()),
              HasSubstr("members[0].person: must be one line of UTF-8 text"));
  citizen->set_person("Karen S\u00f8rensen");
  citizen->set_represents("Residents of Sjaeloer Boulevard");
  auto* ngo = forum.add_members();
  ngo->set_person("volunteer-ali");
  ngo->set_represents("Night ravens (NGO)");
  auto* school = forum.add_members();
  school->set_agency_id("agency-school");
  school->set_person("head-mette");
  forum.mutable_cadence()->set_min_meetings_per_year(4);
  // Speaking for no agency, a member says whom it represents.
  ngo->clear_represents();
  absl::StatusOr<Decision> d = w_.Run(forum, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("members[1].represents: required"));
  ngo->set_represents("Night ravens (NGO)");
  const Decision constituted = w_.Do(forum, chief_);
  const v1::BodyConstituted& event = constituted.writes[0].events[0].body_constituted();
  ASSERT_EQ(event.members_size(), 3);
  EXPECT_EQ(event.members(0).agency_id(), "");
  EXPECT_EQ(event.members(0).represents(), "Residents of Sjaeloer Boulevard");
  EXPECT_EQ(event.members(0).person(), "Karen S\u00f8rensen");
  EXPECT_EQ(event.members(2).agency_id(), "agency-school");

  // A task force does not seat them.
  auto task_force = forum;
  task_force.set_body_id("task-force-2");
  task_force.set_kind(v1::BODY_KIND_TASK_FORCE);
  task_force.set_request_id("task-force-2");
  d = w_.Run(task_force, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("members[0].agency_id: required"));

  // The forum's meeting records the citizens who attended; a task force's does not.
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id("area-test");
  schedule.set_body_id("forum");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  const std::string meeting = w_.Do(schedule, staff_).id;
  auto held = Req<v1::RecordAttendanceRequest>();
  held.set_meeting_id(meeting);
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  *held.add_attendance() = *citizen;
  const Decision attended = w_.Do(held, staff_);
  const v1::MeetingHeld& met = attended.writes[0].events[0].meeting_held();
  ASSERT_EQ(met.attendance_size(), 1);
  EXPECT_EQ(met.attendance(0).represents(), "Residents of Sjaeloer Boulevard");
  const std::string youth = AcceptedYouth();
  MeetingFor(youth);  // constitutes the task force
  schedule.set_body_id("task-force");
  schedule.set_request_id("schedule-task-force");
  const std::string next = w_.Do(schedule, staff_).id;
  held.set_meeting_id(next);
  held.set_request_id("held-task-force");
  d = w_.Run(held, staff_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("attendance[0].agency_id: a task force seats the agencies' people"));
}

// Review 13b, N2: one person, one rung, also for the area's police coordinator: not the police
// director or the local police chief, who answer above it; nor does the police's ladder give the
// coordinator an area designated a rung above.
TEST_F(DecideTest, ThePoliceCoordinatorHoldsNoOtherRung) {
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id("area-test");
  designate.set_agency_id("agency-police");
  designate.set_person("police-boss-3");  // the police director (SetUp's ladder)
  absl::StatusOr<Decision> d = w_.Run(designate, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("person: police-boss-3 holds agency-police's "
                        "LEADERSHIP_LEVEL_POLICE_DIRECTOR rung"));
  designate.set_person("police-boss-1");  // the ladder's coordinator: the same rung
  const Decision designated = w_.Do(designate, chief_);
  EXPECT_EQ(designated.writes[0].events[0].police_coordinator_designated().person(),
            "police-boss-1");

  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id("agency-police");
  for (const auto& [level, person] :
       {std::pair{v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR, "police-boss-4"},
        std::pair{v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF, "police-boss-1"},
        std::pair{v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR, "police-boss-3"}}) {
    auto* contact = ladder.add_contacts();
    contact->set_level(level);
    contact->set_person(person);
  }
  d = w_.Run(ladder, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("contacts: police-boss-1 is area-test's police coordinator and would hold "
                        "the LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF rung too"));
  ladder.mutable_contacts(1)->set_person("police-boss-2");
  EXPECT_TRUE(w_.Run(ladder, police_leader_).ok());
}

// The deadline process's fact: a body behind its cadence (the meetings view judges it) is marked
// by the system alone, once per gap since it last met, with the cadence it was constituted with.
TEST_F(DecideTest, TheSystemMarksABodyBehindItsCadenceOncePerGap) {
  auto body = Req<v1::ConstituteBodyRequest>();
  body.set_area_id("area-test");
  body.set_body_id("board");
  body.set_kind(v1::BODY_KIND_HOTSPOT_BOARD);
  body.set_name("Hotspot board");
  body.add_members()->set_agency_id("agency-school");
  body.mutable_members(0)->set_person("head-mette");
  body.mutable_cadence()->set_min_meetings_per_year(4);
  w_.Do(body, chief_);
  const absl::Time constituted = w_.now_;
  w_.now_ += absl::Hours(24 * 120);

  auto mark = Req<v1::MarkBodyBehindCadenceCommand>();
  mark.set_area_id("area-test");
  mark.set_body_id("board");
  mark.mutable_since()->set_seconds(absl::ToUnixSeconds(constituted));
  EXPECT_EQ(Code(w_.Run(mark, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision marked = w_.Do(mark, system_);
  ASSERT_EQ(marked.writes[0].events.size(), 1u);
  const v1::BodyBehindCadence& e = marked.writes[0].events[0].body_behind_cadence();
  EXPECT_EQ(e.body_id(), "board");
  EXPECT_EQ(e.cadence().min_meetings_per_year(), 4);
  EXPECT_FALSE(e.has_last_met_at());
  EXPECT_EQ(marked.occurred_at, constituted);
  mark.set_request_id("mark-again");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);

  // It met, then fell behind again: a new gap, marked once.
  mark.set_request_id("mark-next-gap");
  mark.mutable_last_met_at()->set_seconds(absl::ToUnixSeconds(constituted) + 86400 * 100);
  *mark.mutable_since() = mark.last_met_at();
  EXPECT_EQ(w_.Do(mark, system_).writes[0].events[0].body_behind_cadence().last_met_at().seconds(),
            mark.last_met_at().seconds());
  mark.set_request_id("mark-next-gap-again");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);

  mark.set_body_id("no-such-body");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kNotFound);
}

// The chief reports to the administrations' directors: agency-social's ladder, set by the
// admin, names director-social at the director rung and mayor-social at the political.
class ReportTest : public DecideTest {
 protected:
  void SetUp() override {
    DecideTest::SetUp();
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id("agency-social");
    for (const auto& [level, person] : std::vector<std::pair<v1::LeadershipLevel, std::string>>{
             {v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "manager-social"},
             {v1::LEADERSHIP_LEVEL_DIRECTOR, "director-social"},
             {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-social"}}) {
      auto* contact = ladder.add_contacts();
      contact->set_level(level);
      contact->set_person(person);
    }
    w_.Do(ladder, admin_);
  }

  // The city council's programme, adopted (and recorded) on `day`: a half-yearly report is owed
  // for each half-year that ends after it.
  void AdoptProgrammeOn(absl::CivilDay day) {
    const absl::Time now = w_.now_;
    w_.now_ = absl::FromCivil(day, absl::UTCTimeZone()) + absl::Hours(10);
    v1::AdoptProgrammeRequest programme = Programme();
    *programme.mutable_council_decided_on() = DateOf(day);
    for (v1::Hearing& hearing : *programme.mutable_hearings()) {
      *hearing.mutable_held_on() = DateOf(day - 30);
    }
    EXPECT_EQ(
        w_.Do(programme, chief_).writes[0].events[0].programme_adopted().adopted_at().seconds(),
        absl::ToUnixSeconds(w_.now_));
    w_.now_ = now;
  }
};

// The chief's report (issue 13 §5): the chief's alone; the figures as the views had them,
// frozen in the event with the period, the kind and the named recipients.
TEST_F(ReportTest, TheChiefSubmitsTheReportWithItsFiguresFrozen) {
  w_.figures_.set_youths_referred(12);
  w_.figures_.set_median_days_to_plan(9.5);
  auto* charges = w_.figures_.add_measurements();
  charges->set_measure("charges_per_1000_youth");
  charges->set_value(50);
  auto report = Req<v1::SubmitReportRequest>();
  report.set_area_id("area-test");
  report.set_kind(v1::REPORT_KIND_HALF_YEARLY);
  *report.mutable_period_start() = Day(2026, 1, 1);
  *report.mutable_period_end() = Day(2026, 6, 30);
  auto* to = report.add_recipients();
  to->set_person("director-social");
  to->set_agency_id("agency-social");
  report.set_note("The task force met every second week.");

  // Not the staff, an agency's leader or member, an admin or an auditor: the chief's duty.
  for (const Principal* who : {&staff_, &school_leader_, &school_member_, &admin_, &auditor_}) {
    EXPECT_EQ(Code(w_.Run(report, *who)), absl::StatusCode::kPermissionDenied) << who->person;
  }
  EXPECT_EQ(w_.compiled_, 0);  // refused before any figure is compiled

  const Decision d = w_.Do(report, chief_);
  ASSERT_EQ(d.writes.size(), 2u);  // the area, and the recipient's agency read
  EXPECT_EQ(d.writes[0].stream, "area-test");
  ASSERT_EQ(d.writes[0].events.size(), 1u);
  const v1::ReportSubmitted& x = d.writes[0].events[0].report_submitted();
  EXPECT_EQ(x.report_id(), d.id);
  EXPECT_TRUE(absl::StartsWith(x.report_id(), "report-"));
  EXPECT_EQ(x.kind(), v1::REPORT_KIND_HALF_YEARLY);
  EXPECT_EQ(x.period_end().month(), 6);
  ASSERT_EQ(x.recipients_size(), 1);
  EXPECT_EQ(x.recipients(0).person(), "director-social");
  EXPECT_EQ(x.figures().youths_referred(), 12);
  EXPECT_EQ(x.figures().median_days_to_plan(), 9.5);
  ASSERT_EQ(x.figures().measurements_size(), 1);
  EXPECT_EQ(x.figures().measurements(0).value(), 50);
  EXPECT_EQ(x.note(), "The task force met every second week.");
  AreaState area;
  for (const auto& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_EQ(area.reports.size(), 1u);

  // Bad input: INVALID_ARGUMENT naming the field.
  auto expect_invalid = [&](v1::SubmitReportRequest bad, absl::string_view field) {
    bad.set_request_id(Req<v1::SubmitReportRequest>().request_id());
    absl::StatusOr<Decision> refused = w_.Run(bad, chief_);
    EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_TRUE(absl::StartsWith(refused.status().message(), field)) << refused.status();
  };
  auto bad = report;
  bad.set_kind(v1::REPORT_KIND_UNSPECIFIED);
  expect_invalid(bad, "kind");
  bad = report;
  bad.clear_period_start();
  expect_invalid(bad, "period_start");
  bad = report;
  *bad.mutable_period_start() = Day(2026, 7, 1);  // after its end
  expect_invalid(bad, "period_start");
  bad = report;
  *bad.mutable_period_start() = Day(2025, 6, 1);  // more than a half-year
  expect_invalid(bad, "period_start");
  bad = report;
  *bad.mutable_period_end() = Day(2026, 12, 31);  // not over yet
  expect_invalid(bad, "period_end");
  bad = report;
  bad.clear_recipients();
  expect_invalid(bad, "recipients");
  bad = report;
  bad.mutable_recipients(0)->set_agency_id("not an id");
  expect_invalid(bad, "recipients[0].agency_id");
  bad = report;
  bad.mutable_recipients(0)->set_agency_id("agency-unknown");
  EXPECT_EQ(Code(w_.Run(bad, chief_)), absl::StatusCode::kNotFound);

  // An ad-hoc report may cover any period that has passed.
  auto ad_hoc = report;
  ad_hoc.set_request_id(Req<v1::SubmitReportRequest>().request_id());
  ad_hoc.set_kind(v1::REPORT_KIND_AD_HOC);
  *ad_hoc.mutable_period_start() = Day(2025, 1, 1);
  w_.Do(ad_hoc, chief_);
}

// Each recipient is the director of its agency's leadership ladder, or its political contact;
// for the police, the local police chief or the police director. Not a teacher, not the middle
// manager, not a person of an agency without a ladder: FAILED_PRECONDITION naming the recipient.
TEST_F(ReportTest, TheReportGoesToTheAgenciesDirectors) {
  auto report = Req<v1::SubmitReportRequest>();
  report.set_area_id("area-test");
  report.set_kind(v1::REPORT_KIND_AD_HOC);
  *report.mutable_period_start() = Day(2026, 1, 1);
  *report.mutable_period_end() = Day(2026, 6, 30);
  auto add = [](v1::SubmitReportRequest& r, const std::string& person, const std::string& agency) {
    auto* to = r.add_recipients();
    to->set_person(person);
    to->set_agency_id(agency);
  };
  add(report, "director-social", "agency-social");
  add(report, "police-boss-3", "agency-police");  // the police director
  const Decision d = w_.Do(report, chief_);
  ASSERT_EQ(d.writes.at(0).events.size(), 1u);
  const v1::ReportSubmitted& x = d.writes[0].events[0].report_submitted();
  ASSERT_EQ(x.recipients_size(), 2);
  EXPECT_EQ(x.recipients(0).person(), "director-social");
  EXPECT_EQ(x.recipients(1).person(), "police-boss-3");

  // Not a rung below the director, nor the mayor above: the administrations' directors (002).
  for (const auto& [person, agency, why] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"teacher-ole", "agency-social", "names director-social"},
           {"manager-social", "agency-social", "names director-social"},
           {"mayor-social", "agency-social", "names director-social"},  // the political rung
           {"police-boss-1", "agency-police", "names police-boss-3"},   // the coordinator
           {"police-boss-2", "agency-police", "names police-boss-3"},   // the local police chief
           {"teacher-ole", "agency-school", "names none"},              // no ladder
       }) {
    auto bad = report;
    bad.set_request_id(Req<v1::SubmitReportRequest>().request_id());
    add(bad, person, agency);
    const absl::StatusOr<Decision> refused = w_.Run(bad, chief_);
    EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition) << person;
    EXPECT_TRUE(absl::StartsWith(refused.status().message(),
                                 absl::StrCat("recipients[2].person: ", person, " is not ", agency,
                                              "'s director")))
        << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(why));
  }
}

// The deadline process's fact: no half-yearly report 30 days after a half-year ended. The
// system's alone; once; not when a half-yearly report of that half-year was submitted.
TEST_F(ReportTest, AMissingHalfYearlyReportIsFlaggedOnce) {
  auto missing = Req<v1::MarkHalfYearlyReportMissingCommand>();
  missing.set_area_id("area-test");
  *missing.mutable_half_year_end() = Day(2026, 6, 30);
  EXPECT_EQ(Code(w_.Run(missing, chief_)), absl::StatusCode::kPermissionDenied);
  // Owed only with a programme adopted before the half-year ended.
  absl::StatusOr<Decision> refused = w_.Run(missing, system_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "half_year_end: area-test had no programme adopted by the end of the half-year to "
            "2026-06-30: no half-yearly report is owed");
  AdoptProgrammeOn(absl::CivilDay(2025, 3, 1));
  const Decision d = w_.Do(missing, system_);
  ASSERT_EQ(d.writes[0].events.size(), 1u);
  const v1::HalfYearlyReportMissing& x = d.writes[0].events[0].half_yearly_report_missing();
  EXPECT_EQ(x.area_id(), "area-test");
  EXPECT_EQ(x.half_year_end().month(), 6);
  EXPECT_EQ(x.grace_days(), kHalfYearlyReportGraceDays);
  // It occurred when the grace days ran out, whenever the process noticed.
  EXPECT_EQ(d.occurred_at, absl::FromCivil(absl::CivilDay(2026, 7, 31), absl::UTCTimeZone()));
  missing.set_request_id("again");
  EXPECT_EQ(Code(w_.Run(missing, system_)), absl::StatusCode::kFailedPrecondition);

  // Not a half-year's end; a half-year not over (with its grace days).
  *missing.mutable_half_year_end() = Day(2026, 6, 29);
  refused = w_.Run(missing, system_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "half_year_end"));
  *missing.mutable_half_year_end() = Day(2026, 12, 31);
  EXPECT_EQ(Code(w_.Run(missing, system_)), absl::StatusCode::kFailedPrecondition);

  // A half-yearly report of the second half of 2025 was submitted: nothing is missing.
  auto report = Req<v1::SubmitReportRequest>();
  report.set_area_id("area-test");
  report.set_kind(v1::REPORT_KIND_HALF_YEARLY);
  *report.mutable_period_start() = Day(2025, 7, 1);
  *report.mutable_period_end() = Day(2025, 12, 31);
  report.add_recipients()->set_person("director-social");
  report.mutable_recipients(0)->set_agency_id("agency-social");
  w_.Do(report, chief_);
  *missing.mutable_half_year_end() = Day(2025, 12, 31);
  EXPECT_EQ(Code(w_.Run(missing, system_)), absl::StatusCode::kFailedPrecondition);
}

// A half-year that ended before the programme was adopted owes no report; one that ended after
// it does, the half-year of the adoption included.
TEST_F(ReportTest, NoHalfYearlyReportIsOwedForAHalfYearBeforeTheProgramme) {
  AdoptProgrammeOn(absl::CivilDay(2026, 1, 1));
  w_.now_ = absl::FromCivil(absl::CivilDay(2026, 8, 1), absl::UTCTimeZone());
  auto missing = Req<v1::MarkHalfYearlyReportMissingCommand>();
  missing.set_area_id("area-test");
  *missing.mutable_half_year_end() = Day(2025, 12, 31);
  const absl::StatusOr<Decision> refused = w_.Run(missing, system_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "half_year_end: area-test had no programme adopted by the end of the half-year to "
            "2025-12-31: no half-yearly report is owed");
  missing.set_request_id("first-half-of-2026");
  *missing.mutable_half_year_end() = Day(2026, 6, 30);
  const Decision flagged = w_.Do(missing, system_);
  EXPECT_EQ(flagged.writes[0].events[0].half_yearly_report_missing().half_year_end().year(), 2026);
}

// Review 13b, S5: a half-yearly report covers its half-year, so that a day of it (or a period
// across two) does not silence the missing-report flag; an ad hoc report covers any period.
TEST_F(ReportTest, AHalfYearlyReportCoversItsHalfYear) {
  auto report = Req<v1::SubmitReportRequest>();
  report.set_area_id("area-test");
  report.set_kind(v1::REPORT_KIND_HALF_YEARLY);
  *report.mutable_period_start() = Day(2026, 6, 30);
  *report.mutable_period_end() = Day(2026, 6, 30);
  report.add_recipients()->set_person("director-social");
  report.mutable_recipients(0)->set_agency_id("agency-social");
  absl::StatusOr<Decision> refused = w_.Run(report, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "period_start: a half-yearly report covers its half-year: from 2026-01-01 to "
            "2026-06-30, got 2026-06-30");
  *report.mutable_period_start() = Day(2026, 5, 1);
  *report.mutable_period_end() = Day(2026, 10, 31);
  refused = w_.Run(report, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "period_end: a half-yearly report ends on 30 June or 31 December, got 2026-10-31");
  EXPECT_EQ(w_.compiled_, 0);
  // As an ad hoc report, any period that has passed.
  report.set_kind(v1::REPORT_KIND_AD_HOC);
  EXPECT_EQ(w_.Do(report, chief_).writes[0].events[0].report_submitted().kind(),
            v1::REPORT_KIND_AD_HOC);
  // The ad hoc report leaves the first half of 2026 without its half-yearly report: flagged.
  AdoptProgrammeOn(absl::CivilDay(2026, 2, 1));
  w_.now_ = absl::FromCivil(absl::CivilDay(2026, 8, 1), absl::UTCTimeZone());
  auto missing = Req<v1::MarkHalfYearlyReportMissingCommand>();
  missing.set_area_id("area-test");
  *missing.mutable_half_year_end() = Day(2026, 6, 30);
  EXPECT_TRUE(w_.Do(missing, system_).writes[0].events[0].has_half_yearly_report_missing());
}

// A measure has an owning agency and a definition (DefineMeasure, by that agency); the owning
// agency's people record its measurements, and nobody else; nobody records an undefined one.
TEST_F(DecideTest, AnAgencyRecordsTheMeasureItOwns) {
  auto define = Req<v1::DefineMeasureRequest>();
  define.set_area_id("area-test");
  define.set_measure("youths_in_education");
  define.set_owning_agency_id("agency-social");
  define.set_definition("Share of 15-17 year olds in education or work, per 30 June");
  define.set_unit("per cent");
  // The social administration decides its own measure: not the chief or her staff, nor another
  // agency.
  for (const Principal* who : {&chief_, &staff_, &school_leader_}) {
    const absl::StatusOr<Decision> refused = w_.Run(define, *who);
    EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied) << who->person;
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("define this measure: it would be agency-social's"));
  }
  auto bad = define;
  bad.set_definition("");
  absl::StatusOr<Decision> refused = w_.Run(bad, caseworker_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "definition"));
  bad = define;
  bad.set_owning_agency_id("agency-unknown");
  EXPECT_EQ(Code(w_.Run(bad, admin_)), absl::StatusCode::kNotFound);
  const Decision defined = w_.Do(define, caseworker_);
  const v1::MeasureDefined& x = defined.writes[0].events[0].measure_defined();
  EXPECT_EQ(x.measure(), "youths_in_education");
  EXPECT_EQ(x.owning_agency_id(), "agency-social");
  EXPECT_EQ(x.unit(), "per cent");

  auto m = Req<v1::RecordMeasurementRequest>();
  m.set_area_id("area-test");
  m.set_measure("youths_in_education");
  m.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  *m.mutable_measured_on() = Day(2026, 6, 30);
  m.set_value(71.5);
  EXPECT_EQ(Code(w_.Run(m, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision recorded = w_.Do(m, caseworker_);  // the social administration's own
  EXPECT_EQ(recorded.writes[0].events[0].measurement_recorded().value(), 71.5);
  // Not the chief, her staff or an admin: the measure is the agency's.
  for (const Principal* who : {&chief_, &staff_, &admin_}) {
    m.set_request_id(absl::StrCat("by-", who->person));
    refused = w_.Run(m, *who);
    EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied) << who->person;
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("the measure is agency-social's; only its people record it"));
  }
  // Nor does the chief take it over by defining it anew as her secretariat's; the agency may
  // redefine its own.
  auto take_over = define;
  take_over.set_request_id("take-over");
  take_over.set_owning_agency_id("agency-hotspot");
  refused = w_.Run(take_over, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("define this measure: it is agency-social's"));
  EXPECT_EQ(Code(w_.Run(take_over, admin_)), absl::StatusCode::kPermissionDenied);
  auto redefine = define;
  redefine.set_request_id("redefine");
  redefine.set_definition("Share of 15-17 year olds in education, per 31 December");
  EXPECT_EQ(w_.Do(redefine, caseworker_).writes[0].events[0].measure_defined().definition(),
            "Share of 15-17 year olds in education, per 31 December");
  // A new measure of the secretariat's own is its chief's; an admin sets one up.
  auto own = define;
  own.set_request_id("own");
  own.set_measure("outreach_contacts");
  own.set_owning_agency_id("agency-hotspot");
  EXPECT_EQ(Code(w_.Run(own, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(own, chief_).writes[0].events[0].measure_defined().owning_agency_id(),
            "agency-hotspot");
  own.set_measure("school_attendance");
  own.set_owning_agency_id("agency-school");
  own.set_request_id("by-admin");
  EXPECT_EQ(w_.Do(own, admin_).writes[0].events[0].measure_defined().owning_agency_id(),
            "agency-school");
  // The secretariat's own measure: its chief and her staff record it, not an admin or another
  // agency.
  m.set_request_id("outreach-contacts");
  m.set_measure("outreach_contacts");
  m.set_value(140);
  for (const Principal* who : {&admin_, &caseworker_}) {
    EXPECT_EQ(Code(w_.Run(m, *who)), absl::StatusCode::kPermissionDenied) << who->person;
  }
  EXPECT_EQ(w_.Do(m, staff_).writes[0].events[0].measurement_recorded().measure(),
            "outreach_contacts");
  // A measure nobody defined is recorded by nobody, whoever asks: not the chief's office (as
  // before issue 13's §5) nor an admin.
  m.set_request_id("undefined");
  m.set_measure("charges_per_1000_youth");
  for (const Principal* who : {&chief_, &staff_, &admin_, &caseworker_}) {
    refused = w_.Run(m, *who);
    EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition) << who->person;
    EXPECT_TRUE(absl::StartsWith(refused.status().message(),
                                 "measure: charges_per_1000_youth is not defined in area-test"))
        << refused.status().message();
  }
  // A measurement split by age group.
  m.set_request_id("under-18");
  m.set_measure("outreach_contacts");
  m.set_age_group(v1::AGE_GROUP_UNDER_18);
  EXPECT_EQ(w_.Do(m, chief_).writes[0].events[0].measurement_recorded().age_group(),
            v1::AGE_GROUP_UNDER_18);
  m.set_age_group(static_cast<v1::AgeGroup>(7));
  refused = w_.Run(m, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "age_group"));
}

}  // namespace
}  // namespace hotspot::domain
