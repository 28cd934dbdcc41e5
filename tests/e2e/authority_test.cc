// Issue 13's authority rules over gRPC, against a real hotspotd with the demo loaded: commitments
// are agreed, not imposed (§1); who is who (§2: agencies linked to several areas, the board's
// members); powers by body (§3); the escalation ladder's rungs (§4); the hand-over to adult
// services (§6). Each test asserts the refusal's code and what was (or was not) written, read
// back through QueryService or the case's history. The domain's own tests of the same rules are
// services/domain/*_test.cc.
//
// Who acts: ladders are set and agencies linked by an admin, and escalations are answered by
// the target agency's own people named on its rungs, as the model has it.
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "tests/e2e/command_cases.h"
#include "tests/e2e/command_client.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

using google::protobuf::Message;
using security::Principal;
using security::Role;

constexpr char kHotspot[] = "agency-hotspot-sjaelor";
constexpr char kChildren[] = "agency-children-youth-copenhagen";
constexpr char kClub[] = "agency-club-sjaelor";
constexpr char kHousing[] = "agency-housing-sjaelor";
constexpr char kNgo[] = "agency-ngo-mentors";
constexpr char kOutreach[] = "agency-outreach-sydvest";
// A police district registered by a test, with a ladder of its own and an area coordinator.
constexpr char kPoliceWest[] = "agency-police-west";

// The demo's rungs above the cast (scenario.cc names them "<title>-<agency stem>"), a mayor of
// the political follow-up group, the new police district's people, and an admin of both the
// demo's area and the fresh ones.
struct People {
  Principal school_director{"director-school-sjaelor", kSchool, Role::kAgencyLeader, {kArea}};
  // Whom the school makes its director in the demo's one's place.
  Principal school_director_new{"director-new-school-sjaelor", kSchool, Role::kAgencyLeader,
                                {kArea}};
  Principal police_director{
      "police-director-police-copenhagen", kPolice, Role::kAgencyLeader, {kArea}};
  Principal mayor{"mayor-social-copenhagen", kSocial, Role::kAgencyLeader, {kArea}};
  Principal west_rung{"manager-police-west", kPoliceWest, Role::kAgencyLeader, {kArea}};
  Principal west_coordinator{"coordinator-police-west", kPoliceWest, Role::kAgencyLeader, {kArea}};
  // A coordinator's token bound to the school, not to the hotspot secretariat.
  Principal chief_as_school{"chief-as-school", kSchool, Role::kCoordinator, {kArea}};
  Principal station_chief{
      "station-chief-police-copenhagen", kPolice, Role::kAgencyLeader, {kArea}};
  // A leader of the demo's police who holds no rung of their ladder.
  Principal police_other{"police-lead-other", kPolice, Role::kAgencyLeader, {kArea}};
  // A teacher of the demo's school with no task in the tests' cases.
  Principal school_other{"teacher-mette", kSchool, Role::kAgencyMember, {kArea}};
  Principal region_admin = [] {
    Principal admin = Founder();
    admin.person = "it-operator-region";
    admin.areas.push_back(kArea);
    return admin;
  }();

  std::vector<Principal> All() const {
    return {school_director, police_director, mayor,        west_rung,     west_coordinator,
            region_admin,    chief_as_school, police_other, station_chief, school_other,
            school_director_new};
  }
};

class AuthorityTest : public ::testing::Test, public CommandBuilders {
 protected:
  static void SetUpTestSuite() {
    people_ = new People();
    // The demo, loaded at start; no deadline process, so that only the tests write.
    absl::StatusOr<std::unique_ptr<SuiteServer>> started =
        StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--deadline_interval_s=0"}, people_->All());
    ASSERT_TRUE(started.ok()) << started.status();
    suite_ = started->release();
    Bind(suite_);
    queries_ = v1::QueryService::NewStub(suite_->channel).release();
  }

  static void TearDownTestSuite() {
    delete queries_;
    delete suite_;
    delete people_;
  }

  // Whether `as` calling `request` is refused with `code`, in a message that says `says`.
  static ::testing::AssertionResult Refused(const Principal& as, const Message& request,
                                            grpc::StatusCode code, const std::string& says = "") {
    const CallResult r = client_->Call(as, request);
    if (r.status.error_code() == code && absl::StrContains(r.status.error_message(), says)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << request.GetDescriptor()->name() << " as " << as.person << ": code "
           << r.status.error_code() << " \"" << r.status.error_message() << "\"; expected code "
           << code << " saying \"" << says << "\"";
  }

  using Attendance = std::vector<std::pair<std::string, std::string>>;  // (agency, person)

  // A meeting of `body` of the demo's area, scheduled by the chief at `at`.
  static std::string ScheduledAt(const std::string& body, absl::Time at) {
    auto schedule = Req<v1::ScheduleMeetingRequest>();
    schedule.set_area_id(kArea);
    schedule.set_body_id(body);
    schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(at));
    return Must(cast_->chief, schedule).id();
  }

  // The record that `meeting` was held at `at` with `attendance`.
  static v1::RecordAttendanceRequest HeldAt(const std::string& meeting, absl::Time at,
                                            const Attendance& attendance) {
    auto held = Req<v1::RecordAttendanceRequest>();
    held.set_meeting_id(meeting);
    held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(at));
    for (const auto& [agency, person] : attendance) {
      v1::BodyMember* member = held.add_attendance();
      member->set_agency_id(agency);
      member->set_person(person);
    }
    return held;
  }

  // A meeting of `body` of the demo's area, scheduled and held now (or `ago`) with `attendance`.
  static std::string HeldMeeting(const std::string& body, const Attendance& attendance,
                                 absl::Duration ago = absl::ZeroDuration()) {
    const std::string meeting = ScheduledAt(body, absl::Now() - ago);
    Must(cast_->chief, HeldAt(meeting, absl::Now() - ago, attendance));
    return meeting;
  }

  // Registers `agency` in `area` as `by` (an admin).
  static std::string Register(const Principal& by, const std::string& area,
                              const std::string& agency, const std::string& name,
                              v1::AgencyKind kind) {
    auto r = Req<v1::RegisterAgencyRequest>();
    r.set_agency_id(agency);
    r.set_area_id(area);
    r.set_name(name);
    r.set_kind(kind);
    Must(by, r);
    return agency;
  }

  // An escalation of the demo's area at the steering-group level, raised by the chief.
  static v1::RaiseEscalationRequest Raise(const std::string& target,
                                          const std::string& commitment) {
    auto raise = Req<v1::RaiseEscalationRequest>();
    raise.set_area_id(kArea);
    raise.set_target_agency_id(target);
    raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    raise.set_reason("Agreed action not carried out; two reminders without answer");
    if (!commitment.empty()) raise.add_commitment_ids(commitment);
    return raise;
  }

  // A task force's decision on `youth` (on the agenda of a meeting held now) that escalates
  // `commitment` to the school at `level`.
  static v1::RecordDecisionRequest EscalatingDecision(const std::string& youth,
                                                      const std::string& commitment,
                                                      v1::EscalationLevel level) {
    auto decision = Req<v1::RecordDecisionRequest>();
    decision.set_meeting_id(HeldMeetingWith(youth));
    decision.set_youth_id(youth);
    decision.set_text("The morning calls are not made: to the school's leadership");
    v1::NewEscalation* e = decision.add_escalations();
    e->set_target_agency_id(kSchool);
    e->set_level(level);
    e->set_reason("Morning calls not made");
    e->add_commitment_ids(commitment);
    return decision;
  }

  static v1::AcknowledgeEscalationRequest Acknowledge(const std::string& escalation) {
    auto ack = Req<v1::AcknowledgeEscalationRequest>();
    ack.set_escalation_id(escalation);
    ack.set_note("We take it up at our next management meeting");
    return ack;
  }

  static v1::ResolveEscalationRequest Resolve(const std::string& escalation) {
    auto resolve = Req<v1::ResolveEscalationRequest>();
    resolve.set_escalation_id(escalation);
    resolve.set_outcome("Staffed from next week");
    return resolve;
  }

  static v1::MoveEscalationUpRequest MoveUp(const std::string& escalation) {
    auto up = Req<v1::MoveEscalationUpRequest>();
    up.set_escalation_id(escalation);
    up.set_reason("No response at this level within 14 days");
    return up;
  }

  // ---- reads, as the chief unless named, at least up to `at` ----

  static std::vector<v1::CommitmentView> Commitments(v1::ListCommitmentsRequest filter,
                                                     uint64_t at) {
    filter.set_area_id(kArea);
    filter.set_min_position(at);
    filter.set_page_size(500);
    v1::ListCommitmentsResponse response;
    const grpc::Status status =
        queries_->ListCommitments(suite_->As(cast_->chief).get(), filter, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.commitments().begin(), response.commitments().end()};
  }

  // The school's escalation `id` as `who` lists it (ListEscalations) at `at`; a failure is added
  // if the call fails or does not list it.
  static v1::EscalationView EscalationAs(const Principal& who, const std::string& id,
                                         uint64_t at) {
    v1::ListEscalationsRequest request;
    request.set_area_id(kArea);
    request.set_target_agency_id(kSchool);
    request.set_min_position(at);
    request.set_page_size(500);
    v1::ListEscalationsResponse response;
    const grpc::Status status =
        queries_->ListEscalations(suite_->As(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << who.person << ": " << status.error_message();
    for (const v1::EscalationView& e : response.escalations()) {
      if (e.escalation_id() == id) return e;
    }
    ADD_FAILURE() << id << " is not listed for " << who.person;
    return v1::EscalationView();
  }

  static std::vector<v1::CommitmentView> CommitmentsOf(const std::string& youth, uint64_t at) {
    v1::ListCommitmentsRequest filter;
    filter.set_youth_id(youth);
    return Commitments(filter, at);
  }

  // The escalations of the demo's area at `target`, by id.
  static std::map<std::string, v1::EscalationView> EscalationsTo(const std::string& target,
                                                                 uint64_t at) {
    v1::ListEscalationsRequest request;
    request.set_area_id(kArea);
    request.set_target_agency_id(target);
    request.set_min_position(at);
    request.set_page_size(500);
    v1::ListEscalationsResponse response;
    const grpc::Status status =
        queries_->ListEscalations(suite_->As(cast_->chief).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, v1::EscalationView> out;
    for (const v1::EscalationView& e : response.escalations()) out[e.escalation_id()] = e;
    return out;
  }

  static v1::EscalationView EscalationOf(const std::string& target, const std::string& id,
                                         uint64_t at) {
    const auto all = EscalationsTo(target, at);
    const auto it = all.find(id);
    EXPECT_NE(it, all.end()) << id << " is not listed";
    return it == all.end() ? v1::EscalationView() : it->second;
  }

  static v1::MeetingView MeetingOf(const std::string& body, const std::string& meeting,
                                   uint64_t at) {
    v1::ListMeetingsRequest request;
    request.set_area_id(kArea);
    request.set_body_id(body);
    request.set_min_position(at);
    request.set_page_size(500);
    v1::ListMeetingsResponse response;
    const grpc::Status status =
        queries_->ListMeetings(suite_->As(cast_->chief).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::MeetingView& m : response.meetings()) {
      if (m.meeting_id() == meeting) return m;
    }
    ADD_FAILURE() << meeting << " is not listed for " << body;
    return v1::MeetingView();
  }

  static std::map<std::string, v1::BodyView> Bodies(uint64_t at) {
    v1::ListBodiesRequest request;
    request.set_area_id(kArea);
    request.set_min_position(at);
    v1::ListBodiesResponse response;
    const grpc::Status status =
        queries_->ListBodies(suite_->As(cast_->chief).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, v1::BodyView> out;
    for (const v1::BodyView& b : response.bodies()) out[b.body_id()] = b;
    return out;
  }

  static std::map<std::string, v1::AgencyView> Agencies(const Principal& who,
                                                        const std::string& area, uint64_t at) {
    v1::ListAgenciesRequest request;
    request.set_area_id(area);
    request.set_min_position(at);
    v1::ListAgenciesResponse response;
    const grpc::Status status = queries_->ListAgencies(suite_->As(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, v1::AgencyView> out;
    for (const v1::AgencyView& a : response.agencies()) out[a.agency_id()] = a;
    return out;
  }

  static v1::ProgrammeView Programme(uint64_t at) {
    v1::GetProgrammeRequest request;
    request.set_area_id(kArea);
    request.set_min_position(at);
    v1::GetProgrammeResponse response;
    const grpc::Status status =
        queries_->GetProgramme(suite_->As(cast_->chief).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.programme();
  }

  static v1::CaseView Case(const std::string& youth, uint64_t at) {
    v1::GetCaseRequest request;
    request.set_youth_id(youth);
    request.set_min_position(at);
    v1::GetCaseResponse response;
    const grpc::Status status =
        queries_->GetCase(suite_->As(cast_->chief).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_view();
  }

  // The youth's history (as the chief): the events of `kind` (Event's oneof case).
  static std::vector<v1::StoredEvent> EventsOf(const std::string& youth, v1::Event::KindCase kind,
                                               uint64_t at) {
    absl::StatusOr<std::vector<v1::StoredEvent>> history = suite_->History(cast_->chief, youth, at);
    EXPECT_TRUE(history.ok()) << history.status();
    std::vector<v1::StoredEvent> out;
    if (!history.ok()) return out;
    for (const v1::StoredEvent& e : *history) {
      if (e.event().kind_case() == kind) out.push_back(e);
    }
    return out;
  }

  static SuiteServer* suite_;
  static People* people_;
  static v1::QueryService::Stub* queries_;
};

SuiteServer* AuthorityTest::suite_;
People* AuthorityTest::people_;
v1::QueryService::Stub* AuthorityTest::queries_;

// ---- §1: commitments are agreed, not imposed ----

TEST_F(AuthorityTest, ACommitmentIsAcceptedInTheMeetingOnlyByAPersonOfItsAgencyWhoAttended) {
  const std::string youth = Accepted();
  const std::string meeting = HeldMeetingWith(youth);  // the school's teacher-ole attended
  v1::RecordDecisionRequest decision = DecisionFor(meeting, youth);
  v1::NewCommitment* c = decision.mutable_commitments(0);
  c->set_owning_agency_id(kPolice);
  c->set_responsible_person(cast_->police_member.person);
  // The police's officer was not at the meeting; nor does the school's teacher accept for them.
  c->set_accepted_by(cast_->police_member.person);
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      "commitments[0].accepted_by: officer-sara of agency-police-copenhagen did "
                      "not attend"));
  decision.set_request_id(NextId());
  c->set_accepted_by(cast_->school_member.person);
  EXPECT_TRUE(
      Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION, "did not attend"));
  EXPECT_TRUE(CommitmentsOf(youth, suite_->Head()).empty())
      << "a refused decision wrote a commitment";

  // Without an acceptance in the meeting it stands proposed until the police answer.
  decision.set_request_id(NextId());
  c->clear_accepted_by();
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  ASSERT_EQ(decided.created_ids_size(), 1);
  const std::string commitment = decided.created_ids(0);
  std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, decided.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].commitment_id(), commitment);
  EXPECT_EQ(listed[0].owning_agency_id(), kPolice);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_PROPOSED);
  EXPECT_EQ(listed[0].accepted_by(), "");
  EXPECT_FALSE(listed[0].has_accepted_at());
  const auto made = EventsOf(youth, v1::Event::kCommitmentMade, decided.position());
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].event().commitment_made().acceptance(), v1::COMMITMENT_ACCEPTANCE_PROPOSED);

  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(commitment);
  const uint64_t at = Must(cast_->police_member, accept).position();
  listed = CommitmentsOf(youth, at);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_OPEN);
  EXPECT_EQ(listed[0].accepted_by(), cast_->police_member.person);
}

// The chief records the attendance, but whom an agency sends is the agency's (review 13d, 3): a
// person she records "for" the school, whom the school never named, is refused at the task force,
// and so never accepts the school's commitment there. The school names its people itself (not the
// chief); one of them who attended accepts.
TEST_F(AuthorityTest, AGhostAttendeeTheChiefRecordedDoesNotAcceptForTheAgency) {
  constexpr char kGhost[] = "ghost-gustav";
  constexpr char kNewTeacher[] = "teacher-mads";
  const std::string youth = Accepted();
  const std::string meeting = ScheduledAt("task-force", absl::Now());
  v1::RecordAttendanceRequest held =
      HeldAt(meeting, absl::Now(), {{kSchool, kNewTeacher}, {kSchool, kGhost}});
  EXPECT_TRUE(Refused(cast_->chief, held, grpc::StatusCode::FAILED_PRECONDITION,
                      "attendance[0].person: teacher-mads is not one of agency-school-sjaelor's "
                      "people as the agency named them (NameAgencyPeople, or its leadership "
                      "ladder): an agency's seat and voice are for the people it names"));
  const uint64_t refused_at = suite_->Head();
  EXPECT_FALSE(MeetingOf("task-force", meeting, refused_at).held())
      << "a refused attendance was recorded";

  // The new teacher is the school's once the school names him: not the chief, its leader does,
  // keeping the people it named before. The ghost it never names stays refused.
  const v1::AgencyView before = Agencies(cast_->chief, kArea, refused_at)[kSchool];
  EXPECT_EQ(std::count(before.people().begin(), before.people().end(),
                       cast_->school_member.person),
            1)
      << "the demo's school names its teacher";
  auto named = Req<v1::NameAgencyPeopleRequest>();
  named.set_agency_id(kSchool);
  *named.mutable_persons() = before.people();
  named.add_persons(kNewTeacher);
  EXPECT_TRUE(Refused(cast_->chief, named, grpc::StatusCode::PERMISSION_DENIED,
                      "only agency-school-sjaelor's own leaders"));
  const uint64_t named_at = Must(cast_->school_leader, named).position();
  const v1::AgencyView after = Agencies(cast_->chief, kArea, named_at)[kSchool];
  EXPECT_EQ(std::vector<std::string>(after.people().begin(), after.people().end()),
            std::vector<std::string>(named.persons().begin(), named.persons().end()));
  held.set_request_id(NextId());
  EXPECT_TRUE(Refused(cast_->chief, held, grpc::StatusCode::FAILED_PRECONDITION,
                      "attendance[1].person: ghost-gustav is not one of"));
  held.set_request_id(NextId());
  held.mutable_attendance()->RemoveLast();
  const uint64_t held_at = Must(cast_->chief, held).position();
  const v1::MeetingView view = MeetingOf("task-force", meeting, held_at);
  EXPECT_TRUE(view.held());
  ASSERT_EQ(view.attendance_size(), 1);
  EXPECT_EQ(view.attendance(0).person(), kNewTeacher);

  auto agenda = Req<v1::AddAgendaItemRequest>();
  agenda.set_meeting_id(meeting);
  agenda.set_youth_id(youth);
  Must(cast_->chief, agenda);
  v1::RecordDecisionRequest decision = DecisionFor(meeting, youth);
  v1::NewCommitment* c = decision.mutable_commitments(0);
  c->set_responsible_person(kNewTeacher);
  c->set_accepted_by(kGhost);
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("commitments[0].accepted_by: ghost-gustav of ", kSchool,
                                   " did not attend ", meeting)));
  EXPECT_TRUE(EventsOf(youth, v1::Event::kCommitmentMade, suite_->Head()).empty())
      << "a refused decision wrote a commitment";

  decision.set_request_id(NextId());
  c->set_accepted_by(kNewTeacher);
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  ASSERT_EQ(decided.created_ids_size(), 1);
  const auto made = EventsOf(youth, v1::Event::kCommitmentMade, decided.position());
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].event().commitment_made().commitment_id(), decided.created_ids(0));
  EXPECT_EQ(made[0].event().commitment_made().acceptance(), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  EXPECT_EQ(made[0].event().commitment_made().accepted_by(), kNewTeacher);
  EXPECT_TRUE(made[0].event().commitment_made().has_made_at());
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, decided.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_OPEN);
  EXPECT_EQ(listed[0].accepted_by(), kNewTeacher);
}

// Review 13b, B3: the school's teacher accepts in a meeting only at a decision of that meeting
// (recorded with its minutes) about a youth referred before it was held; not today, at a
// meeting he attended weeks ago, for a youth referred since.
TEST_F(AuthorityTest, AnAcceptanceInAMeetingIsForAYouthReferredBeforeItWithinItsMinutes) {
  const std::string discussed = Accepted();
  const std::string meeting = HeldMeeting(
      "task-force", {{kSchool, cast_->school_member.person}}, absl::Hours(24 * 15));
  auto agenda = Req<v1::AddAgendaItemRequest>();
  agenda.set_meeting_id(meeting);
  agenda.set_youth_id(discussed);
  EXPECT_TRUE(Refused(cast_->staff, agenda, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("meeting_id: ", meeting, " was held at ")));
  EXPECT_TRUE(Refused(cast_->staff, DecisionFor(meeting, discussed),
                      grpc::StatusCode::FAILED_PRECONDITION,
                      "its decisions are recorded within 14 days of it"));

  // A meeting held an hour ago, with the teacher: a youth referred since is not on its agenda.
  const std::string recent =
      HeldMeeting("task-force", {{kSchool, cast_->school_member.person}}, absl::Hours(1));
  const std::string referred_since = Accepted();
  agenda.set_request_id(NextId());
  agenda.set_meeting_id(recent);
  agenda.set_youth_id(referred_since);
  EXPECT_TRUE(Refused(cast_->staff, agenda, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("youth_id: ", referred_since, " was referred at ")));
  EXPECT_TRUE(Refused(cast_->staff, DecisionFor(recent, referred_since),
                      grpc::StatusCode::FAILED_PRECONDITION, "is not on the agenda of"));
  const uint64_t refused = Probe();
  EXPECT_TRUE(CommitmentsOf(discussed, refused).empty());
  EXPECT_TRUE(CommitmentsOf(referred_since, refused).empty());
  EXPECT_EQ(MeetingOf("task-force", recent, refused).decisions_size(), 0);

  // The youth referred before it is discussed there, and the teacher accepts.
  const std::string before = Accepted();
  const std::string next =
      HeldMeeting("task-force", {{kSchool, cast_->school_member.person}});
  agenda.set_request_id(NextId());
  agenda.set_meeting_id(next);
  agenda.set_youth_id(before);
  Must(cast_->staff, agenda);
  const v1::CommandResponse decided = Must(cast_->staff, DecisionFor(next, before));
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(before, decided.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_OPEN);
  EXPECT_EQ(listed[0].accepted_by(), cast_->school_member.person);
  EXPECT_EQ(listed[0].meeting_id(), next);
}

TEST_F(AuthorityTest, ACommitmentsOwningAgencyMustBelongToTheMeetingsArea) {
  // A school of another area (an Aalborg area, set up by its admin).
  const std::string school = Register(*founder_, NewArea(), "agency-school-aalborg-east",
                                      "Aalborg East School", v1::AGENCY_KIND_SCHOOL);

  const std::string youth = Accepted();
  v1::RecordDecisionRequest decision = DecisionFor(HeldMeetingWith(youth), youth);
  v1::NewCommitment* c = decision.mutable_commitments(0);
  c->set_owning_agency_id(school);
  c->set_responsible_person("teacher-aalborg");
  c->clear_accepted_by();
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      "commitments[0].owning_agency_id: agency-school-aalborg-east is not an "
                      "agency of area-sjaelor-boulevard"));
  // Nor is an escalation raised at it, about the area at a decision about the area (about a
  // youth, one names the target's own commitments in the case, which it cannot have).
  auto about_area = Req<v1::RecordDecisionRequest>();
  about_area.set_meeting_id(decision.meeting_id());
  about_area.set_text("The school's help with the after-school club is taken to its leadership");
  v1::NewEscalation* escalation = about_area.add_escalations();
  escalation->set_target_agency_id(school);
  escalation->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  escalation->set_reason("No answer to three requests");
  EXPECT_TRUE(Refused(cast_->chief, about_area, grpc::StatusCode::FAILED_PRECONDITION,
                      "escalations[0].target_agency_id: agency-school-aalborg-east is not an "
                      "agency of area-sjaelor-boulevard"));

  // The area's own school takes it.
  decision.set_request_id(NextId());
  c->set_owning_agency_id(kSchool);
  c->set_responsible_person(cast_->school_member.person);
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, decided.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].owning_agency_id(), kSchool);
  EXPECT_TRUE(EscalationsTo(school, decided.position()).empty());
  EXPECT_TRUE(Case(youth, decided.position()).escalations().empty());
}

TEST_F(AuthorityTest, AProposedCommitmentIsNeitherFulfilledNorEscalatedOver) {
  const std::string youth = Accepted();
  const std::string commitment = ProposedCommitment(youth);
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  EXPECT_TRUE(Refused(cast_->school_member, fulfil, grpc::StatusCode::FAILED_PRECONDITION,
                      "is proposed: agency-school-sjaelor accepts it first"));
  auto progress = Req<v1::ReportProgressRequest>();
  progress.set_commitment_id(commitment);
  progress.set_note("Called the family");
  EXPECT_TRUE(Refused(cast_->school_member, progress, grpc::StatusCode::FAILED_PRECONDITION,
                      "is proposed"));
  EXPECT_TRUE(Refused(cast_->chief, Raise(kSchool, commitment),
                      grpc::StatusCode::FAILED_PRECONDITION,
                      "is proposed and awaits its agency's answer: it may be escalated once left "
                      "unanswered for 14 days after it was proposed"));
  // Nor in a meeting's decision.
  EXPECT_TRUE(Refused(cast_->chief,
                      EscalatingDecision(youth, commitment, v1::ESCALATION_LEVEL_STEERING_GROUP),
                      grpc::StatusCode::FAILED_PRECONDITION, "escalations[0].commitment_ids[0]"));

  std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, suite_->Head());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_PROPOSED);
  EXPECT_EQ(listed[0].progress_reports(), 0);
  EXPECT_FALSE(listed[0].has_closed_at());
  for (const auto& [id, escalation] : EscalationsTo(kSchool, suite_->Head())) {
    for (const std::string& about : escalation.commitment_ids()) EXPECT_NE(about, commitment);
  }

  // Accepted by the school, it is the school's to fulfil.
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(commitment);
  Must(cast_->school_member, accept);
  fulfil.set_request_id(NextId());
  const uint64_t at = Must(cast_->school_member, fulfil).position();
  listed = CommitmentsOf(youth, at);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_FULFILLED);
  EXPECT_TRUE(listed[0].has_closed_at());
}

// A coordinator acts for an agency only if it is the area's registered hotspot secretariat: a
// coordinator's token bound to the school neither accepts nor declines the school's commitment,
// nor shares a concern as the school; it still coordinates (a follow-up).
// Review 13d, 1 over gRPC: a proposal its agency leaves unanswered for the area's 14 days (from
// when it was proposed) may be escalated to the agency, as a declined one may. hotspotd is
// restarted with its clock 13, then 15 days on (HOTSPOT_TEST_CLOCK_OFFSET_S, for tests only).
TEST_F(AuthorityTest, AProposalLeftUnansweredForTheAreasDaysIsEscalatedToItsAgency) {
  const std::string youth = Accepted();
  const std::string proposed = ProposedCommitment(youth);
  v1::RaiseEscalationRequest raise = Raise(kSchool, proposed);
  raise.set_youth_id(youth);
  auto days_on = [](int days) {
    setenv("HOTSPOT_TEST_CLOCK_OFFSET_S", absl::StrCat(days * 86400).c_str(), 1);
    const absl::Status restarted = suite_->Restart(/*kill=*/false);
    unsetenv("HOTSPOT_TEST_CLOCK_OFFSET_S");
    Bind(suite_);
    delete queries_;
    queries_ = v1::QueryService::NewStub(suite_->channel).release();
    return restarted;
  };
  ASSERT_TRUE(days_on(13).ok());
  EXPECT_TRUE(Refused(cast_->chief, raise, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("commitment_ids[0]: ", proposed,
                                   " is proposed and awaits its agency's answer: it may be "
                                   "escalated once left unanswered for 14 days")));
  ASSERT_TRUE(days_on(15).ok());
  raise.set_request_id(NextId());
  const v1::CommandResponse raised = Must(cast_->chief, raise);
  const v1::EscalationView e = EscalationAs(cast_->chief, raised.id(), raised.position());
  EXPECT_EQ(e.youth_id(), youth);
  EXPECT_EQ(e.level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
  ASSERT_EQ(e.commitment_ids_size(), 1);
  EXPECT_EQ(e.commitment_ids(0), proposed);
  EXPECT_EQ(e.reason().text(), raise.reason());
  // The proposal still awaits its agency: escalated, not decided for it.
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, raised.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_PROPOSED);
}

TEST_F(AuthorityTest, ACoordinatorBoundToAnotherAgencyDoesNotActAsThatAgency) {
  const std::string youth = Accepted();
  const std::string commitment = ProposedCommitment(youth);
  const Principal& as_school = people_->chief_as_school;
  const std::string says =
      "a coordinator acts for an agency only as the area's hotspot secretariat, and "
      "agency-school-sjaelor is registered as AGENCY_KIND_SCHOOL";
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(commitment);
  EXPECT_TRUE(Refused(as_school, accept, grpc::StatusCode::PERMISSION_DENIED, says));
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(commitment);
  decline.set_reason("Not ours to do");
  EXPECT_TRUE(Refused(as_school, decline, grpc::StatusCode::PERMISSION_DENIED, says));
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id(kSchool);
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.set_text("Absent again");
  share.set_necessity("The task force plans the school's part");
  share.add_recipient_agency_ids(kClub);
  EXPECT_TRUE(Refused(as_school, share, grpc::StatusCode::PERMISSION_DENIED, says));
  // Coordination stays open: a follow-up of the commitment.
  auto follow = Req<v1::RecordFollowUpRequest>();
  follow.set_commitment_id(commitment);
  follow.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
  follow.set_note("Reminder sent to the school");
  const uint64_t at = Must(as_school, follow).position();
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, at);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_PROPOSED);  // neither accepted nor declined
  EXPECT_TRUE(EventsOf(youth, v1::Event::kConcernShared, at).empty());
}

// Ninth review, S5: an unanswered proposal does not block the case for good. Its author (the
// chief, who recorded the decision) withdraws it with a sealed reason; the owning agency cannot
// (it declines), nor can she once it is answered; the views show it withdrawn, the youth's
// history holds the event, and the case closes.
TEST_F(AuthorityTest, TheChiefWithdrawsHerUnansweredProposalAndTheCaseCloses) {
  const std::string youth = Accepted();
  const std::string proposed = ProposedCommitment(youth);
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  Cite(close);
  EXPECT_TRUE(Refused(cast_->chief, close, grpc::StatusCode::FAILED_PRECONDITION, proposed));

  auto withdraw = Req<v1::WithdrawProposalRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_commitment_id(proposed);
  withdraw.set_reason("The family moved out of the area");
  EXPECT_TRUE(Refused(cast_->school_leader, withdraw, grpc::StatusCode::PERMISSION_DENIED,
                      "only its author"));
  EXPECT_TRUE(
      Refused(cast_->staff, withdraw, grpc::StatusCode::PERMISSION_DENIED, "only its author"));
  const uint64_t at = Must(cast_->chief, withdraw).position();

  const std::vector<v1::StoredEvent> events =
      EventsOf(youth, v1::Event::kCommitmentProposalWithdrawn, at);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event().commitment_proposal_withdrawn().commitment_id(), proposed);
  EXPECT_EQ(events[0].event().actor().person(), cast_->chief.person);
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, at);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].commitment_id(), proposed);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_WITHDRAWN);
  EXPECT_TRUE(listed[0].has_withdrawn_at());
  EXPECT_EQ(listed[0].withdrawal_reason().text(), withdraw.reason());
  const v1::CaseView view = Case(youth, at);
  ASSERT_EQ(view.commitments_size(), 1);
  EXPECT_EQ(view.commitments(0).state(), v1::COMMITMENT_STATE_WITHDRAWN);
  EXPECT_EQ(view.commitments(0).withdrawal_reason().text(), withdraw.reason());

  // Once withdrawn (or answered), never again: refused naming the commitment.
  withdraw.set_request_id(NextId());
  EXPECT_TRUE(Refused(cast_->chief, withdraw, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("commitment_id: ", proposed)));
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(proposed);
  EXPECT_TRUE(Refused(cast_->school_member, accept, grpc::StatusCode::FAILED_PRECONDITION));

  // Nothing pending: the case closes.
  close.set_request_id(NextId());
  const uint64_t closed = Must(cast_->chief, close).position();
  EXPECT_EQ(Case(youth, closed).status(), v1::CASE_STATUS_CLOSED);
}

// Review 13b, B1: a proposal the chief withdrew was never the agency's. It is counted apart
// (withdrawn), not among the agency's due commitments: its share on time does not drop.
TEST_F(AuthorityTest, AWithdrawnProposalDoesNotCountAgainstTheAgencysShareOnTime) {
  const std::string youth = Accepted();
  const std::string kept = Commitment(youth);  // accepted in the meeting, due in 14 days
  const std::string proposed = ProposedCommitment(youth);
  auto school = [&](uint64_t at) {
    v1::GetAreaDashboardRequest request;
    request.set_area_id(kArea);
    *request.mutable_period_start() = InDays(0);
    *request.mutable_period_end() = InDays(30);
    request.set_min_position(at);
    v1::GetAreaDashboardResponse answer;
    const grpc::Status status =
        queries_->GetAreaDashboard(suite_->As(cast_->chief).get(), request, &answer);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::AgencyCommitmentStats& a : answer.dashboard().commitments_by_agency()) {
      if (a.agency_id() == kSchool) return a;
    }
    ADD_FAILURE() << kSchool << " has no figures";
    return v1::AgencyCommitmentStats();
  };
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(kept);
  const v1::AgencyCommitmentStats before = school(Must(cast_->school_member, fulfil).position());
  EXPECT_GE(before.proposed(), 1);
  EXPECT_GE(before.fulfilled_on_time(), 1);

  auto withdraw = Req<v1::WithdrawProposalRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_commitment_id(proposed);
  withdraw.set_reason("The family moved out of the area");
  const v1::AgencyCommitmentStats after = school(Must(cast_->chief, withdraw).position());
  EXPECT_EQ(after.due(), before.due());
  EXPECT_EQ(after.fulfilled_on_time(), before.fulfilled_on_time());
  EXPECT_DOUBLE_EQ(after.share_on_time(), before.share_on_time());
  EXPECT_EQ(after.proposed(), before.proposed() - 1);
  EXPECT_EQ(after.withdrawn(), before.withdrawn() + 1);
}

TEST_F(AuthorityTest, ADeclinedCommitmentGoesBackToTheChiefWhoMayEscalateItToTheAgency) {
  const std::string youth = Accepted();
  const std::string commitment = ProposedCommitment(youth);
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(commitment);
  decline.set_reason("We have no teacher free for morning calls this term");
  Must(cast_->school_leader, decline);

  const v1::CommandResponse raised = Must(cast_->chief, Raise(kSchool, commitment));
  const v1::EscalationView escalation = EscalationOf(kSchool, raised.id(), raised.position());
  EXPECT_EQ(escalation.level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
  EXPECT_EQ(escalation.raised_by(), cast_->chief.person);
  EXPECT_EQ(escalation.youth_id(), youth);
  ASSERT_EQ(escalation.commitment_ids_size(), 1);
  EXPECT_EQ(escalation.commitment_ids(0), commitment);
  EXPECT_FALSE(escalation.acknowledged());
  // The commitment stays declined, with the school's reason; the case names the escalation.
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, raised.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_DECLINED);
  EXPECT_EQ(listed[0].decline_reason().text(), decline.reason());
  const v1::CaseView view = Case(youth, raised.position());
  ASSERT_EQ(view.escalations_size(), 1);
  EXPECT_EQ(view.escalations(0).escalation_id(), raised.id());
  EXPECT_EQ(view.escalations(0).target_agency_id(), kSchool);

  // The school's leadership at that rung (its middle manager) takes it up.
  const uint64_t at = Must(cast_->school_leader, Acknowledge(raised.id())).position();
  EXPECT_TRUE(EscalationOf(kSchool, raised.id(), at).acknowledged());
}

// Review 13d, b: one escalation of a commitment at a time. While the school's leadership has not
// resolved it, the chief moves it up rather than raising another over the same commitment.
TEST_F(AuthorityTest, ACommitmentIsNotEscalatedAgainWhileItsEscalationStands) {
  const std::string youth = Accepted();
  const std::string commitment = Commitment(youth);
  const v1::CommandResponse raised = Must(cast_->chief, Raise(kSchool, commitment));
  EXPECT_TRUE(Refused(cast_->chief, Raise(kSchool, commitment),
                      grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("commitment_ids[0]: ", commitment, " is escalated already by ",
                                   raised.id(), ", which stands (not resolved)")));
  EXPECT_TRUE(Refused(cast_->chief,
                      EscalatingDecision(youth, commitment, v1::ESCALATION_LEVEL_STEERING_GROUP),
                      grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("escalations[0].commitment_ids[0]: ", commitment,
                                   " is escalated already by ", raised.id())));
  auto naming = [&](uint64_t at) {
    int n = 0;
    for (const auto& [id, e] : EscalationsTo(kSchool, at)) {
      n += std::count(e.commitment_ids().begin(), e.commitment_ids().end(), commitment);
    }
    return n;
  };
  EXPECT_EQ(naming(suite_->Head()), 1);

  // Resolved by the school's middle manager (its rung), it may be escalated anew.
  const uint64_t resolved = Must(cast_->school_leader, Resolve(raised.id())).position();
  EXPECT_TRUE(EscalationOf(kSchool, raised.id(), resolved).resolved());
  const v1::CommandResponse again = Must(cast_->chief, Raise(kSchool, commitment));
  EXPECT_EQ(naming(again.position()), 2);
}

// Review 13d, 2: a decision carrying its own action plan or closure passes what a decision cited
// by AdoptActionPlan or CloseCase passes: a task force's meeting the chief and her staff attended
// alone decides neither.
TEST_F(AuthorityTest, ADecisionsOwnPlanOrClosureIsDecidedWithTheAgencies) {
  const std::string youth = Accepted();
  const std::string alone = HeldMeeting("task-force", {{kHotspot, cast_->chief.person}});
  auto agenda = Req<v1::AddAgendaItemRequest>();
  agenda.set_meeting_id(alone);
  agenda.set_youth_id(youth);
  Must(cast_->chief, agenda);
  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(alone);
  decision.set_youth_id(youth);
  decision.set_text("A plan for the school year");
  decision.mutable_plan()->add_goals("Attends school every day");
  *decision.mutable_plan()->mutable_review_date() = InDays(90);
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("plan: this decision is recorded at ", alone,
                                   ", which nobody attended for an agency (the hotspot "
                                   "secretariat's people alone, or people their agency did not "
                                   "name): an action plan is decided with the agencies")));
  decision.set_request_id(NextId());
  decision.set_close_with_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("close_with_outcome: this decision is recorded at ", alone,
                                   ", which nobody attended for an agency")));
  const uint64_t at = suite_->Head();
  EXPECT_TRUE(EventsOf(youth, v1::Event::kActionPlanAdopted, at).empty());
  EXPECT_TRUE(EventsOf(youth, v1::Event::kCaseClosed, at).empty());
  EXPECT_TRUE(MeetingOf("task-force", alone, at).decisions().empty());

  // With the school's teacher there, the same plan is adopted with its decision.
  decision.set_request_id(NextId());
  decision.set_meeting_id(HeldMeetingWith(youth));
  decision.mutable_plan()->add_goals("Attends school every day");
  *decision.mutable_plan()->mutable_review_date() = InDays(90);
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  const auto adopted = EventsOf(youth, v1::Event::kActionPlanAdopted, decided.position());
  ASSERT_EQ(adopted.size(), 1u);
  EXPECT_EQ(adopted[0].event().action_plan_adopted().decision_id(), decided.id());
}

// Review 13b, S3: an escalation about a case concerns the target agency's own commitments in it,
// not a case it has no part in; its contact at the rung reads what it answers, also over a
// commitment the agency declined (which opens the case to it no longer).
TEST_F(AuthorityTest, AnEscalationAboutACaseConcernsTheTargetsCommitmentsAndItsContactReadsIt) {
  const std::string youth = Accepted();
  v1::RaiseEscalationRequest raise = Raise(kSchool, "");
  raise.set_youth_id(youth);
  EXPECT_TRUE(Refused(cast_->chief, raise, grpc::StatusCode::INVALID_ARGUMENT,
                      "commitment_ids: name the target agency's commitments it concerns"));

  const std::string commitment = ProposedCommitment(youth);
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(commitment);
  decline.set_reason("No teacher free for the calls");
  Must(cast_->school_leader, decline);
  raise.set_request_id(NextId());
  raise.add_commitment_ids(commitment);
  const v1::CommandResponse raised = Must(cast_->chief, raise);

  const v1::EscalationView read =
      EscalationAs(cast_->school_leader, raised.id(), raised.position());
  EXPECT_EQ(read.youth_id(), youth);
  EXPECT_EQ(read.reason().text(), raise.reason());
  // Another agency of the area, with no part in it, does not.
  EXPECT_TRUE(
      EscalationAs(cast_->club_member, raised.id(), raised.position()).reason().has_withheld());
}

// Review 13c, b and c: an escalation's reason and outcome are read by the area's chief, by the
// target agency's contacts at the levels it has stood at, and by the target's people with a task
// in the case. They are withheld ("not_recipient") from those who otherwise see the case: the
// chief's staff, the social caseworker, the case's other agencies (the police, with a commitment
// of their own in it), and the target's other people, its director among them until the
// escalation reaches the director's level. An agency with no part in the case sees nothing of it.
TEST_F(AuthorityTest, AnEscalationsReasonIsReadByTheChiefItsRungsAndThoseWithATaskInTheCase) {
  const std::string youth = Accepted();
  const std::string task = CommitmentOf(youth, cast_->school_member);  // teacher-ole's
  CommitmentOf(youth, cast_->police_member);  // the police are in the case too
  v1::RaiseEscalationRequest raise = Raise(kSchool, task);
  raise.set_youth_id(youth);
  const v1::CommandResponse raised = Must(cast_->chief, raise);
  const std::string id = raised.id();
  // The escalation as `who` lists it.
  auto as = [&](const Principal& who, uint64_t at) { return EscalationAs(who, id, at); };
  // What `field` shows: its text, or "withheld: <why>".
  auto shown = [](const v1::PersonalField& field) {
    return field.has_withheld() ? absl::StrCat("withheld: ", field.withheld().reason())
                                : field.text();
  };
  const std::string reason = raise.reason();
  for (const Principal* who : {&cast_->chief, &cast_->school_leader, &cast_->school_member}) {
    const v1::EscalationView e = as(*who, raised.position());
    EXPECT_EQ(e.youth_id(), youth) << who->person;
    EXPECT_EQ(shown(e.reason()), reason) << who->person;
  }
  for (const Principal* who :
       {&cast_->staff, &cast_->caseworker, &cast_->police_member, &cast_->police_leader,
        &people_->school_director, &people_->school_other}) {
    const v1::EscalationView e = as(*who, raised.position());
    EXPECT_EQ(e.youth_id(), youth) << who->person;  // it knows whom the case is about
    EXPECT_EQ(shown(e.reason()), "withheld: not_recipient") << who->person;
  }
  EXPECT_EQ(shown(as(cast_->club_member, raised.position()).reason()), "withheld: not_allowed");

  // At the director's level, the school's director reads it, and its middle manager still does.
  Must(cast_->school_leader, Acknowledge(id));
  const uint64_t moved = Must(cast_->chief, MoveUp(id)).position();
  ASSERT_EQ(as(cast_->chief, moved).level(), v1::ESCALATION_LEVEL_DIRECTOR);
  for (const Principal* who : {&people_->school_director, &cast_->school_leader}) {
    EXPECT_EQ(shown(as(*who, moved).reason()), reason) << who->person;
  }
  EXPECT_EQ(shown(as(people_->school_other, moved).reason()), "withheld: not_recipient");

  // Its outcome goes as its reason does.
  Must(people_->school_director, Acknowledge(id));
  const uint64_t resolved = Must(people_->school_director, Resolve(id)).position();
  for (const Principal* who : {&cast_->chief, &people_->school_director, &cast_->school_member}) {
    const v1::EscalationView e = as(*who, resolved);
    EXPECT_TRUE(e.resolved()) << who->person;
    EXPECT_EQ(shown(e.outcome()), "Staffed from next week") << who->person;
  }
  for (const Principal* who : {&cast_->staff, &cast_->police_member, &people_->school_other}) {
    EXPECT_EQ(shown(as(*who, resolved).outcome()), "withheld: not_recipient") << who->person;
  }
  // The need to know goes with the rung: once the school makes another its director, the new
  // director reads it, and the one replaced no longer does.
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id(kSchool);
  const auto agencies = Agencies(cast_->chief, kArea, resolved);
  for (v1::LeadershipContact contact : agencies.at(kSchool).ladder()) {
    if (contact.level() == v1::LEADERSHIP_LEVEL_DIRECTOR) {
      ASSERT_EQ(contact.person(), people_->school_director.person);
      contact.set_person(people_->school_director_new.person);
    }
    *ladder.add_contacts() = contact;
  }
  const uint64_t replaced = Must(cast_->admin, ladder).position();
  EXPECT_EQ(shown(as(people_->school_director_new, replaced).reason()), reason);
  EXPECT_EQ(shown(as(people_->school_director, replaced).reason()), "withheld: not_recipient");

  // A subscription tells no more: the coordinators receive events in clear, but of them only the
  // chief reads the escalation's texts; her staff have them withheld, as in ListEscalations.
  // `who`'s subscription from the raise: each escalation event's text, "<type>: <text>".
  auto streamed = [&](const Principal& who) {
    v1::SubscribeRequest request;
    request.set_area_id(kArea);
    request.set_from_position(raised.position());
    for (const char* type : {"EscalationRaised", "EscalationAcknowledged", "EscalationMovedUp",
                             "EscalationResolved"}) {
      request.add_event_types(absl::StrCat("hotspot.v1.", type));
    }
    std::vector<std::string> texts;
    const auto [response, status] =
        suite_->FirstResponse(who, request, "case_coordination: follow-up");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
    for (const v1::StoredEvent& event : response.events()) {
      if (event.stream() != id) continue;
      for (const v1::PersonalValue& value : event.personal_data()) {
        texts.push_back(absl::StrCat(event.type(), ": ", shown(value.value())));
      }
    }
    return texts;
  };
  const std::vector<std::string> in_clear = streamed(cast_->chief);
  for (const std::string& text : {absl::StrCat("hotspot.v1.EscalationRaised: ", reason),
                                  std::string("hotspot.v1.EscalationResolved: Staffed from next week")}) {
    EXPECT_NE(std::find(in_clear.begin(), in_clear.end(), text), in_clear.end())
        << text << " is not in: " << absl::StrJoin(in_clear, " | ");
  }
  const std::vector<std::string> withheld = streamed(cast_->staff);
  ASSERT_EQ(withheld.size(), in_clear.size());
  for (const std::string& text : withheld) {
    EXPECT_TRUE(absl::EndsWith(text, ": withheld: not_recipient")) << text;
  }
}

TEST_F(AuthorityTest, AConcernIsSharedOnlyByTheCallersOwnAgency) {
  const std::string youth = Accepted();
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id(kSchool);
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.set_text("Absent three days a week since the autumn holiday");
  share.set_necessity("The club can keep him busy in the mornings he skips");
  share.add_recipient_agency_ids(kClub);
  // Neither another agency nor the chief shares in the school's name.
  for (const Principal* who : {&cast_->police_member, &cast_->chief}) {
    EXPECT_TRUE(Refused(*who, share, grpc::StatusCode::PERMISSION_DENIED,
                        "only agency-school-sjaelor itself does"))
        << who->person;
  }
  const uint64_t at = Must(cast_->school_member, share).position();

  const v1::CaseView view = Case(youth, at);
  ASSERT_EQ(view.concerns_shared_size(), 1);
  EXPECT_EQ(view.concerns_shared(0).agency_id(), kSchool);
  EXPECT_EQ(view.concerns_shared(0).legal_basis(), v1::LEGAL_BASIS_SSP_EXCHANGE);
  ASSERT_EQ(view.concerns_shared(0).recipient_agency_ids_size(), 1);
  EXPECT_EQ(view.concerns_shared(0).recipient_agency_ids(0), kClub);
  const auto shared = EventsOf(youth, v1::Event::kConcernShared, at);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].event().concern_shared().agency_id(), kSchool);
  EXPECT_EQ(shared[0].actor().person(), cast_->school_member.person);
  EXPECT_EQ(shared[0].actor().agency_id(), kSchool);
}

// ---- §3: powers by body ----

TEST_F(AuthorityTest, TheBoardAForumTheLocalSspAndTheHousingSocialPlanAdviseButDecideNoYouthsCase) {
  // The demo has the board and the local SSP; a forum and the housing-social plan's fixed
  // coordination meetings join them.
  struct NewBody {
    const char* id;
    v1::BodyKind kind;
    const char* name;
    const char* agency;
    const char* person;
  };
  for (const NewBody& b :
       {NewBody{"forum-sjaelor", v1::BODY_KIND_FORUM, "Sjælør forum of associations and residents",
                kNgo, "contact-ngo-mentors"},
        NewBody{"housing-social-plan", v1::BODY_KIND_HOUSING_SOCIAL_PLAN,
                "Coordination with the housing-social plan", kHousing,
                "contact-housing-sjaelor"}}) {
    auto constitute = Req<v1::ConstituteBodyRequest>();
    constitute.set_area_id(kArea);
    constitute.set_body_id(b.id);
    constitute.set_kind(b.kind);
    constitute.set_name(b.name);
    constitute.add_members()->set_agency_id(b.agency);
    constitute.mutable_members(0)->set_person(b.person);
    // And a resident who speaks for no agency (review 13b, S4).
    constitute.add_members()->set_person("resident-karen");
    constitute.mutable_members(1)->set_represents("Residents of Sjælør Boulevard");
    constitute.mutable_cadence()->set_min_meetings_per_year(4);
    Must(cast_->chief, constitute);
  }

  const std::string youth = Accepted();
  const std::string commitment = Commitment(youth);  // the task force's, accepted
  const std::string kTopic = "Evenings at the square";
  uint64_t at = 0;
  for (const std::string body :
       {"hotspot-board", "forum-sjaelor", "local-ssp", "housing-social-plan"}) {
    SCOPED_TRACE(body);
    const bool takes_youths = body == "local-ssp";
    const std::string meeting = HeldMeeting(body, {{kHotspot, cast_->chief.person}});
    auto topic = Req<v1::AddAgendaItemRequest>();
    topic.set_meeting_id(meeting);
    topic.set_topic(kTopic);
    Must(cast_->chief, topic);
    auto on_agenda = Req<v1::AddAgendaItemRequest>();
    on_agenda.set_meeting_id(meeting);
    on_agenda.set_youth_id(youth);
    if (takes_youths) {
      Must(cast_->chief, on_agenda);
    } else {
      EXPECT_TRUE(Refused(cast_->chief, on_agenda, grpc::StatusCode::FAILED_PRECONDITION,
                          "takes no youths on its agenda"));
    }

    // A record of this meeting about the topic, of `kind` (unset: a decision).
    auto on_topic = [&](v1::DecisionKind kind, const std::string& text) {
      auto d = Req<v1::RecordDecisionRequest>();
      d.set_meeting_id(meeting);
      d.set_topic(kTopic);
      d.set_kind(kind);
      d.set_text(text);
      return d;
    };
    // A decision (the default kind) is out of its powers ...
    EXPECT_TRUE(Refused(
        cast_->chief,
        on_topic(v1::DECISION_KIND_UNSPECIFIED, "Lighting at the square is installed by March"),
        grpc::StatusCode::FAILED_PRECONDITION, "no decision power"));
    // ... and a recommendation, at any body, carries nothing about a youth: no commitments,
    // escalations or change of the case.
    auto commits = on_topic(v1::DECISION_KIND_RECOMMENDATION,
                            "The housing association walks the square on Fridays");
    v1::NewCommitment* c = commits.add_commitments();
    c->set_owning_agency_id(kHousing);
    c->set_responsible_person(cast_->housing_member.person);
    c->set_action("Friday walks at the square");
    *c->mutable_due_date() = InDays(30);
    EXPECT_TRUE(Refused(cast_->chief, commits, grpc::StatusCode::FAILED_PRECONDITION,
                        "carries no commitments, escalations or case changes"));
    auto escalates =
        on_topic(v1::DECISION_KIND_RECOMMENDATION, "The school's leadership should be asked");
    v1::NewEscalation* e = escalates.add_escalations();
    e->set_target_agency_id(kSchool);
    e->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    e->set_reason("Morning calls not made");
    e->add_commitment_ids(commitment);
    EXPECT_TRUE(Refused(cast_->chief, escalates, grpc::StatusCode::FAILED_PRECONDITION,
                        "carries no commitments, escalations or case changes"));
    auto closes =
        on_topic(v1::DECISION_KIND_RECOMMENDATION, "He is doing well: the case can close");
    closes.clear_topic();
    closes.set_youth_id(youth);
    closes.set_close_with_outcome(v1::CASE_OUTCOME_GOALS_MET);
    EXPECT_TRUE(Refused(cast_->chief, closes, grpc::StatusCode::FAILED_PRECONDITION,
                        "carries no commitments, escalations or case changes"));

    // A recommendation and information about the area are recorded.
    const auto recommend =
        on_topic(v1::DECISION_KIND_RECOMMENDATION,
                 "Better lighting at the square and volunteer parents on Fridays");
    const std::string recommendation = Must(cast_->chief, recommend).id();
    const v1::CommandResponse informed = Must(
        cast_->chief,
        on_topic(v1::DECISION_KIND_INFORMATION, "The police report calmer evenings since October"));
    at = informed.position();

    const v1::MeetingView view = MeetingOf(body, meeting, at);
    ASSERT_EQ(view.agenda_topics_size(), 1);
    EXPECT_EQ(view.agenda_topics(0), kTopic);
    EXPECT_EQ(view.agenda_youth_ids_size(), takes_youths ? 1 : 0);
    ASSERT_EQ(view.decisions_size(), 2) << "a refused decision was recorded";
    EXPECT_EQ(view.decisions(0).decision_id(), recommendation);
    EXPECT_EQ(view.decisions(0).kind(), v1::DECISION_KIND_RECOMMENDATION);
    EXPECT_EQ(view.decisions(0).text().text(), recommend.text());
    EXPECT_EQ(view.decisions(1).decision_id(), informed.id());
    EXPECT_EQ(view.decisions(1).kind(), v1::DECISION_KIND_INFORMATION);
    for (const v1::DecisionView& d : view.decisions()) {
      EXPECT_EQ(d.topic(), kTopic);
      EXPECT_EQ(d.youth_id(), "");
      EXPECT_EQ(d.commitment_ids_size(), 0);
      EXPECT_EQ(d.escalation_ids_size(), 0);
      EXPECT_EQ(d.case_status(), v1::CASE_STATUS_UNSPECIFIED);
    }

    // About a youth on its agenda, the local SSP records information and recommendations
    // (review 13b, N1); the others record nothing about a youth.
    auto about_youth =
        on_topic(v1::DECISION_KIND_INFORMATION, "The school reports better attendance");
    about_youth.clear_topic();
    about_youth.set_youth_id(youth);
    if (takes_youths) {
      at = Must(cast_->chief, about_youth).position();
      const v1::MeetingView after = MeetingOf(body, meeting, at);
      ASSERT_EQ(after.decisions_size(), 3);
      EXPECT_EQ(after.decisions(2).youth_id(), youth);
      EXPECT_EQ(after.decisions(2).kind(), v1::DECISION_KIND_INFORMATION);
      EXPECT_EQ(after.decisions(2).text().text(), about_youth.text());
      EXPECT_EQ(after.decisions(2).commitment_ids_size(), 0);
    } else {
      EXPECT_TRUE(Refused(cast_->chief, about_youth, grpc::StatusCode::FAILED_PRECONDITION,
                          "records nothing about a youth"));
    }
  }

  // The bodies read back with their powers.
  const auto bodies = Bodies(at);
  for (const auto& [body, kind] : std::vector<std::pair<std::string, v1::BodyKind>>{
           {"hotspot-board", v1::BODY_KIND_HOTSPOT_BOARD},
           {"forum-sjaelor", v1::BODY_KIND_FORUM},
           {"local-ssp", v1::BODY_KIND_LOCAL_SSP},
           {"housing-social-plan", v1::BODY_KIND_HOUSING_SOCIAL_PLAN}}) {
    ASSERT_EQ(bodies.count(body), 1u) << body;
    EXPECT_EQ(bodies.at(body).kind(), kind) << body;
    EXPECT_FALSE(bodies.at(body).decides()) << body;
  }
  for (const std::string body : {"forum-sjaelor", "housing-social-plan"}) {
    ASSERT_EQ(bodies.at(body).members_size(), 2) << body;
    EXPECT_EQ(bodies.at(body).members(1).agency_id(), "") << body;
    EXPECT_EQ(bodies.at(body).members(1).represents(), "Residents of Sjælør Boulevard") << body;
  }
  EXPECT_TRUE(bodies.at("task-force").decides());
  EXPECT_TRUE(bodies.at("steering-group").decides());
  // The youth's case has the task force's commitment only, no escalation, and is open.
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, at);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].commitment_id(), commitment);
  const v1::CaseView view = Case(youth, at);
  EXPECT_EQ(view.escalations_size(), 0);
  EXPECT_NE(view.status(), v1::CASE_STATUS_CLOSED);
}

TEST_F(AuthorityTest, AnAgendaItemMayBeAnAreaTopic) {
  const std::string meeting = HeldMeeting(
      "task-force", {{kHotspot, cast_->chief.person}, {kClub, cast_->club_member.person}});
  const std::string kTopic = "Evenings at the square";
  auto both = Req<v1::AddAgendaItemRequest>();
  both.set_meeting_id(meeting);
  both.set_youth_id(Accepted());
  both.set_topic(kTopic);
  EXPECT_TRUE(Refused(cast_->chief, both, grpc::StatusCode::INVALID_ARGUMENT, "youth_id:"));
  auto topic = Req<v1::AddAgendaItemRequest>();
  topic.set_meeting_id(meeting);
  topic.set_topic(kTopic);
  Must(cast_->chief, topic);
  topic.set_request_id(NextId());
  EXPECT_TRUE(Refused(cast_->chief, topic, grpc::StatusCode::FAILED_PRECONDITION,
                      "is on the agenda already"));

  // The task force decides on the topic: the club, present, commits itself for the area.
  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(meeting);
  decision.set_topic("Not on the agenda");
  decision.set_text("The club opens two more evenings");
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      "is not on the agenda"));
  decision.set_request_id(NextId());
  decision.set_topic(kTopic);
  v1::NewCommitment* c = decision.add_commitments();
  c->set_owning_agency_id(kClub);
  c->set_responsible_person(cast_->club_member.person);
  c->set_action("Open the club at the square on Tuesdays and Thursdays");
  *c->mutable_due_date() = InDays(30);
  c->set_accepted_by(cast_->club_member.person);
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  ASSERT_EQ(decided.created_ids_size(), 1);

  const v1::MeetingView view = MeetingOf("task-force", meeting, decided.position());
  ASSERT_EQ(view.agenda_topics_size(), 1);
  EXPECT_EQ(view.agenda_topics(0), kTopic);
  EXPECT_EQ(view.agenda_youth_ids_size(), 0);
  ASSERT_EQ(view.decisions_size(), 1);
  EXPECT_EQ(view.decisions(0).topic(), kTopic);
  EXPECT_EQ(view.decisions(0).youth_id(), "");
  ASSERT_EQ(view.decisions(0).commitment_ids_size(), 1);
  EXPECT_EQ(view.decisions(0).commitment_ids(0), decided.created_ids(0));
  v1::ListCommitmentsRequest filter;
  filter.set_owning_agency_id(kClub);
  bool found = false;
  for (const v1::CommitmentView& listed : Commitments(filter, decided.position())) {
    if (listed.commitment_id() != decided.created_ids(0)) continue;
    found = true;
    EXPECT_EQ(listed.youth_id(), "");
    EXPECT_EQ(listed.state(), v1::COMMITMENT_STATE_OPEN);
    EXPECT_EQ(listed.accepted_by(), cast_->club_member.person);
    EXPECT_EQ(listed.action().text(), c->action());
    EXPECT_EQ(listed.meeting_id(), meeting);
  }
  EXPECT_TRUE(found) << decided.created_ids(0) << " is not listed";
}

TEST_F(AuthorityTest, TheSteeringGroupsDecisionsOnGoalsFramesAndResourcesAreRecordedAndReadBack) {
  const std::string meeting =
      HeldMeeting("steering-group", {{kHotspot, cast_->chief.person},
                                     {kSocial, "director-social-copenhagen"},
                                     {kChildren, "director-children-youth-copenhagen"},
                                     {kSchool, cast_->school_leader.person},
                                     {kPolice, cast_->police_leader.person}});
  std::vector<v1::SteeringDecision> decided(3);
  decided[0].set_kind(v1::STEERING_DECISION_KIND_GOAL);
  decided[0].set_text("Half of the referred youths have a plan within 28 days");
  decided[1].set_kind(v1::STEERING_DECISION_KIND_FRAME);
  decided[1].set_text("The effort covers the area's youths from 12 to 17");
  decided[2].set_kind(v1::STEERING_DECISION_KIND_RESOURCES);
  decided[2].set_text("A second street worker for the evenings");
  decided[2].set_agency_id(kOutreach);
  decided[2].set_amount_dkk(380'000);
  decided[2].set_hours_per_week(37);
  std::map<std::string, v1::SteeringDecision> by_decision;
  uint64_t at = 0;
  for (const v1::SteeringDecision& steering : decided) {
    auto decision = Req<v1::RecordDecisionRequest>();
    decision.set_meeting_id(meeting);
    decision.set_text(steering.text());
    *decision.mutable_steering() = steering;
    const v1::CommandResponse recorded = Must(cast_->chief, decision);
    by_decision[recorded.id()] = steering;
    at = recorded.position();
  }
  // Only the steering group sets them, and about the area alone.
  auto at_task_force = Req<v1::RecordDecisionRequest>();
  at_task_force.set_meeting_id(HeldMeeting("task-force", {{kHotspot, cast_->chief.person}}));
  at_task_force.set_text(decided[0].text());
  *at_task_force.mutable_steering() = decided[0];
  EXPECT_TRUE(Refused(cast_->chief, at_task_force, grpc::StatusCode::FAILED_PRECONDITION,
                      "steering: a task force does not set the effort's goals"));
  auto about_a_youth = Req<v1::RecordDecisionRequest>();
  about_a_youth.set_meeting_id(meeting);
  about_a_youth.set_youth_id(Accepted());
  about_a_youth.set_text(decided[1].text());
  *about_a_youth.mutable_steering() = decided[1];
  EXPECT_TRUE(Refused(cast_->chief, about_a_youth, grpc::StatusCode::FAILED_PRECONDITION,
                      "steering: a steering decision is a decision about the area alone"));

  // The programme lists them with their meeting, and the meeting its decisions.
  const v1::ProgrammeView programme = Programme(at);
  int found = 0;
  for (const v1::SteeringDecisionView& view : programme.steering_decisions()) {
    if (view.meeting_id() != meeting) continue;
    ++found;
    const auto it = by_decision.find(view.decision_id());
    ASSERT_NE(it, by_decision.end()) << view.decision_id();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(view.decision(), it->second))
        << view.decision().DebugString();
    EXPECT_TRUE(view.has_decided_at());
  }
  EXPECT_EQ(found, 3);
  const v1::MeetingView view = MeetingOf("steering-group", meeting, at);
  ASSERT_EQ(view.decisions_size(), 3);
  for (const v1::DecisionView& d : view.decisions()) {
    EXPECT_EQ(by_decision.count(d.decision_id()), 1u) << d.decision_id();
    EXPECT_EQ(d.youth_id(), "");
  }
}

// Review 13b, B2: a revision applies on an approval at a meeting of the political follow-up
// group held since the chief proposed it; a meeting is not recorded as held in the future.
TEST_F(AuthorityTest, ARevisionIsApprovedOnlyAtAPoliticalMeetingHeldSinceItWasProposed) {
  const Attendance mayors = {{kSocial, "mayor-social-copenhagen"},
                             {kChildren, "mayor-children-youth-copenhagen"}};
  const std::string before = HeldMeeting("political-follow-up", mayors, absl::Minutes(10));
  const v1::ProgrammeView programme = Programme(suite_->Head());
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id(kArea);
  *propose.mutable_goals() = programme.goals();
  propose.set_reason("The goals stand; the group confirms them for the coming year");
  const v1::CommandResponse proposed = Must(cast_->chief, propose);
  const std::string proposal = proposed.created_ids(0);

  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(before);
  approve.set_text("The mayors confirm the goals");
  approve.set_approves_proposal_id(proposal);
  EXPECT_TRUE(Refused(cast_->chief, approve, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("approves_proposal_id: ", proposal, " was proposed at ")));
  // A meeting scheduled now, "held" two months from now.
  const std::string future = ScheduledAt("political-follow-up", absl::Now());
  v1::RecordAttendanceRequest held = HeldAt(future, absl::Now() + absl::Hours(24 * 60), mayors);
  EXPECT_TRUE(Refused(cast_->chief, held, grpc::StatusCode::INVALID_ARGUMENT, "held_at: "));
  approve.set_request_id(NextId());
  approve.set_meeting_id(future);
  EXPECT_TRUE(Refused(cast_->chief, approve, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat(future, " is not held yet")));
  const uint64_t refused = Probe();
  EXPECT_EQ(Programme(refused).revision(), programme.revision());
  ASSERT_EQ(Programme(refused).proposed_size(), programme.proposed_size() + 1);

  // Held now, the group approves it.
  held.set_request_id(NextId());
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  Must(cast_->chief, held);
  approve.set_request_id(NextId());
  const v1::CommandResponse approved = Must(cast_->chief, approve);
  const v1::ProgrammeView after = Programme(approved.position());
  EXPECT_EQ(after.revision(), programme.revision() + 1);
  ASSERT_GE(after.revisions_size(), 1);
  EXPECT_EQ(after.revisions(after.revisions_size() - 1).proposal_id(), proposal);
  EXPECT_EQ(after.revisions(after.revisions_size() - 1).meeting_id(), future);
}

// A proposal revises the programme as it stood when the chief made it: once another revision
// applied, its approval would bring back goals revised since, so it is refused.
TEST_F(AuthorityTest, AProposalMadeAgainstARevisionNoLongerCurrentIsNotApproved) {
  const Attendance mayors = {{kSocial, "mayor-social-copenhagen"},
                             {kChildren, "mayor-children-youth-copenhagen"}};
  const v1::ProgrammeView programme = Programme(suite_->Head());
  ASSERT_GT(programme.goals_size(), 0);
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id(kArea);
  *propose.mutable_goals() = programme.goals();
  propose.mutable_goals(0)->set_target(programme.goals(0).target() + 5);
  propose.set_reason("An older view of the charges");
  const std::string older = Must(cast_->chief, propose).created_ids(0);
  propose.set_request_id(NextId());
  propose.mutable_goals(0)->set_target(programme.goals(0).target() - 5);
  propose.set_reason("The newer survey");
  const std::string newer = Must(cast_->chief, propose).created_ids(0);

  const std::string meeting = HeldMeeting("political-follow-up", mayors);
  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(meeting);
  approve.set_text("The mayors approve the newer proposal");
  approve.set_approves_proposal_id(newer);
  const v1::ProgrammeView revised = Programme(Must(cast_->chief, approve).position());
  EXPECT_EQ(revised.revision(), programme.revision() + 1);
  EXPECT_EQ(revised.goals(0).target(), programme.goals(0).target() - 5);

  approve.set_request_id(NextId());
  approve.set_text("And the older one");
  approve.set_approves_proposal_id(older);
  EXPECT_TRUE(Refused(cast_->chief, approve, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("approves_proposal_id: ", older, " revises revision ",
                                   programme.revision(), " of ", kArea,
                                   "'s programme, which revision ", revised.revision(),
                                   " has replaced since")));
  // The programme stands as revised: the older goals did not come back.
  const v1::ProgrammeView after = Programme(Probe());
  EXPECT_EQ(after.revision(), revised.revision());
  EXPECT_EQ(after.goals(0).target(), programme.goals(0).target() - 5);
}

// ---- §4: the escalation ladder's rungs ----

TEST_F(AuthorityTest, AnEscalationStartsAtTheSteeringGroupLevel) {
  const std::string youth = Accepted();
  const std::string commitment = Commitment(youth);
  for (const v1::EscalationLevel level :
       {v1::ESCALATION_LEVEL_DIRECTOR, v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP}) {
    v1::RaiseEscalationRequest raise = Raise(kSchool, commitment);
    raise.set_level(level);
    EXPECT_TRUE(Refused(cast_->chief, raise, grpc::StatusCode::FAILED_PRECONDITION,
                        "level: an escalation starts at the steering-group level"))
        << v1::EscalationLevel_Name(level);
  }
  // Nor does a meeting's decision start one higher.
  EXPECT_TRUE(Refused(cast_->chief,
                      EscalatingDecision(youth, commitment, v1::ESCALATION_LEVEL_DIRECTOR),
                      grpc::StatusCode::FAILED_PRECONDITION,
                      "escalations[0].level: an escalation starts at the steering-group level"));
  EXPECT_EQ(Case(youth, suite_->Head()).escalations_size(), 0);

  const v1::CommandResponse raised = Must(cast_->chief, Raise(kSchool, commitment));
  const v1::EscalationView view = EscalationOf(kSchool, raised.id(), raised.position());
  EXPECT_EQ(view.level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
  EXPECT_EQ(view.moves_size(), 0);
  const v1::CaseView after = Case(youth, raised.position());
  ASSERT_EQ(after.escalations_size(), 1);
  EXPECT_EQ(after.escalations(0).level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
}

// Review 13b, S1: an escalation climbs once its level had its chance: acknowledged by its
// contact (and not resolved), or the area's days to acknowledge passed without an answer (the
// domain's test: escalation_test.cc). Not to the political follow-up group in two calls.
TEST_F(AuthorityTest, AnEscalationClimbsOnlyOnceItsLevelHadItsChance) {
  const std::string id = Must(cast_->chief, Raise(kSchool, Commitment(Accepted()))).id();
  EXPECT_TRUE(Refused(cast_->chief, MoveUp(id), grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("escalation_id: ", id,
                                   " stands at ESCALATION_LEVEL_STEERING_GROUP, whose contact "
                                   "has not had its chance")));
  EXPECT_EQ(EscalationOf(kSchool, id, Probe()).moves_size(), 0);
  Must(cast_->school_leader, Acknowledge(id));
  Must(cast_->chief, MoveUp(id));
  EXPECT_TRUE(Refused(cast_->chief, MoveUp(id), grpc::StatusCode::FAILED_PRECONDITION,
                      "stands at ESCALATION_LEVEL_DIRECTOR, whose contact has not had its chance"));
  const v1::EscalationView view = EscalationOf(kSchool, id, Probe());
  EXPECT_EQ(view.level(), v1::ESCALATION_LEVEL_DIRECTOR);
  EXPECT_FALSE(view.acknowledged());
  ASSERT_EQ(view.moves_size(), 1);
  EXPECT_EQ(view.moves(0).to_level(), v1::ESCALATION_LEVEL_DIRECTOR);
}

TEST_F(AuthorityTest, AtTheDirectorLevelTheDirectorAnswersNotTheMiddleManager) {
  const std::string id = Must(cast_->chief, Raise(kSchool, Commitment(Accepted()))).id();
  Must(cast_->school_leader, Acknowledge(id));  // the steering-group level had its chance
  Must(cast_->chief, MoveUp(id));
  // The school's middle manager answered at the steering-group level; no longer.
  EXPECT_TRUE(Refused(cast_->school_leader, Acknowledge(id), grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_TRUE(Refused(cast_->school_leader, Resolve(id), grpc::StatusCode::PERMISSION_DENIED));
  v1::EscalationView view = EscalationOf(kSchool, id, suite_->Head());
  EXPECT_FALSE(view.acknowledged());
  EXPECT_FALSE(view.resolved());

  const uint64_t acknowledged = Must(people_->school_director, Acknowledge(id)).position();
  view = EscalationOf(kSchool, id, acknowledged);
  EXPECT_TRUE(view.acknowledged());
  EXPECT_FALSE(view.resolved());
  const uint64_t at = Must(people_->school_director, Resolve(id)).position();
  view = EscalationOf(kSchool, id, at);
  EXPECT_EQ(view.level(), v1::ESCALATION_LEVEL_DIRECTOR);
  ASSERT_EQ(view.moves_size(), 1);
  EXPECT_EQ(view.moves(0).from_level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
  EXPECT_EQ(view.moves(0).to_level(), v1::ESCALATION_LEVEL_DIRECTOR);
  EXPECT_TRUE(view.resolved());
  EXPECT_TRUE(view.has_resolved_at());
  EXPECT_EQ(view.outcome().text(), "Staffed from next week");
}

// The rungs are not bypassed by rewriting the ladder: the middle manager, who may set his
// agency's ladder, does not name himself director while an escalation stands at the director.
TEST_F(AuthorityTest, TheMiddleManagerDoesNotRewriteTheLadderToAnswerAtTheDirectorLevel) {
  const std::string id = Must(cast_->chief, Raise(kSchool, Commitment(Accepted()))).id();
  Must(cast_->school_leader, Acknowledge(id));
  Must(cast_->chief, MoveUp(id));
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id(kSchool);
  for (const auto& [level, person] :
       {std::pair{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "deputy-school-sjaelor"},
        std::pair{v1::LEADERSHIP_LEVEL_DIRECTOR, "manager-school-sjaelor"},
        std::pair{v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-school-sjaelor"}}) {
    v1::LeadershipContact* contact = ladder.add_contacts();
    contact->set_level(level);
    contact->set_person(person);
  }
  const uint64_t before = suite_->Head();
  EXPECT_TRUE(Refused(cast_->school_leader, ladder, grpc::StatusCode::PERMISSION_DENIED,
                      "may not change the contact at ESCALATION_LEVEL_DIRECTOR while the "
                      "escalation "));
  // Nor by holding two rungs at once.
  ladder.mutable_contacts(0)->set_person("manager-school-sjaelor");
  EXPECT_TRUE(Refused(cast_->school_leader, ladder, grpc::StatusCode::INVALID_ARGUMENT,
                      "contacts[1].person: manager-school-sjaelor holds contacts[0]'s rung"));
  EXPECT_EQ(suite_->Head(), before);  // nothing written
  EXPECT_TRUE(Refused(cast_->school_leader, Resolve(id), grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_FALSE(EscalationOf(kSchool, id, before).resolved());
}

TEST_F(AuthorityTest, ThePolicesLadderHasNoMayor) {
  // The admin cannot put a mayor on the police's ladder.
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id(kPolice);
  for (const auto& [level, person] : std::vector<std::pair<v1::LeadershipLevel, std::string>>{
           {v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR, "manager-police-copenhagen"},
           {v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF, "station-chief-police-copenhagen"},
           {v1::LEADERSHIP_LEVEL_POLITICAL, people_->mayor.person}}) {
    v1::LeadershipContact* contact = ladder.add_contacts();
    contact->set_level(level);
    contact->set_person(person);
  }
  EXPECT_TRUE(Refused(cast_->admin, ladder, grpc::StatusCode::FAILED_PRECONDITION,
                      "contacts[2].level: LEADERSHIP_LEVEL_POLITICAL is not a rung of the "
                      "police's ladder"));
  const auto agencies = Agencies(cast_->chief, kArea, suite_->Head());
  ASSERT_EQ(agencies.count(kPolice), 1u);
  std::map<v1::LeadershipLevel, std::string> rungs;
  for (const v1::LeadershipContact& c : agencies.at(kPolice).ladder())
    rungs[c.level()] = c.person();
  EXPECT_EQ(rungs, (std::map<v1::LeadershipLevel, std::string>{
                       {v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR, "manager-police-copenhagen"},
                       {v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF, "station-chief-police-copenhagen"},
                       {v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR, people_->police_director.person}}));

  // At the top of the police's ladder the police director answers, not a mayor.
  const std::string id = Escalation();  // the police, at the steering-group level
  // Each level has its chance: the area's coordinator, then the local police chief acknowledge.
  Must(cast_->police_leader, Acknowledge(id));
  Must(cast_->chief, MoveUp(id));
  Must(people_->station_chief, Acknowledge(id));
  const uint64_t moved = Must(cast_->chief, MoveUp(id)).position();
  EXPECT_EQ(EscalationOf(kPolice, id, moved).level(),
            v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);
  EXPECT_TRUE(Refused(people_->mayor, Acknowledge(id), grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_FALSE(EscalationOf(kPolice, id, moved).acknowledged());
  const uint64_t at = Must(people_->police_director, Acknowledge(id)).position();
  const v1::EscalationView view = EscalationOf(kPolice, id, at);
  EXPECT_TRUE(view.acknowledged());
  EXPECT_EQ(view.moves_size(), 2);
}

TEST_F(AuthorityTest, TheAreasPoliceCoordinatorAnswersThePolicesSteeringGroupEscalations) {
  // A police district with its own ladder, set by the admin.
  Register(cast_->admin, kArea, kPoliceWest, "Copenhagen Police, West district",
           v1::AGENCY_KIND_POLICE);
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id(kPoliceWest);
  ladder.add_contacts()->set_level(v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR);
  ladder.mutable_contacts(0)->set_person(people_->west_rung.person);
  ladder.add_contacts()->set_level(v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF);
  ladder.mutable_contacts(1)->set_person("station-chief-police-west");
  Must(cast_->admin, ladder);

  // Before the area designates its coordinator, the ladder's first rung answers.
  // About one of the district's own commitments (review 13b, S3).
  v1::RaiseEscalationRequest raise =
      Raise(kPoliceWest, CommitmentOf(Accepted(), people_->west_rung));
  const std::string before = Must(cast_->chief, raise).id();
  Must(people_->west_rung, Acknowledge(before));

  // "Der etableres en koordinatorfunktion i Københavns Politi": designated, the area's
  // coordinator (one of the people the police named) answers instead of the rung.
  auto named = Req<v1::NameAgencyPeopleRequest>();
  named.set_agency_id(kPoliceWest);
  named.add_persons(people_->west_coordinator.person);
  Must(cast_->admin, named);
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id(kArea);
  designate.set_agency_id(kPoliceWest);
  designate.set_person(people_->west_coordinator.person);
  const uint64_t designated = Must(cast_->admin, designate).position();
  const auto agencies = Agencies(cast_->chief, kArea, designated);
  ASSERT_EQ(agencies.count(kPoliceWest), 1u);
  EXPECT_EQ(agencies.at(kPoliceWest).police_coordinators().at(kArea),
            people_->west_coordinator.person);

  // About another of its commitments: the first stands (one escalation of a commitment at a
  // time, review 13d, b).
  const std::string after =
      Must(cast_->chief, Raise(kPoliceWest, CommitmentOf(Accepted(), people_->west_rung))).id();
  EXPECT_TRUE(Refused(people_->west_rung, Acknowledge(after), grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_TRUE(Refused(people_->west_rung, Resolve(after), grpc::StatusCode::PERMISSION_DENIED));
  Must(people_->west_coordinator, Acknowledge(after));
  const uint64_t at = Must(people_->west_coordinator, Resolve(after)).position();

  const auto escalations = EscalationsTo(kPoliceWest, at);
  ASSERT_EQ(escalations.size(), 2u);
  EXPECT_TRUE(escalations.at(before).acknowledged());
  EXPECT_FALSE(escalations.at(before).resolved());
  EXPECT_TRUE(escalations.at(after).acknowledged());
  EXPECT_TRUE(escalations.at(after).resolved());
  EXPECT_EQ(escalations.at(after).level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
}

// Review 13b, B4 (and S6): the police's escalation at the steering-group level stands with the
// area's police coordinator. A police leader who holds no rung does not take it over by naming
// and designating himself coordinator (the area designates), nor does the chief who raised it
// hand it to him: refused, the escalation stays with its contact.
TEST_F(AuthorityTest, DesignatingAPoliceCoordinatorDoesNotTakeOverAnOpenEscalation) {
  const Principal& other = people_->police_other;
  const std::string escalation = Escalation();
  const uint64_t raised = Probe();
  const v1::AgencyView police = Agencies(cast_->chief, kArea, raised).at(kPolice);
  const std::string coordinator = police.police_coordinators().at(kArea);
  auto named = Req<v1::NameAgencyPeopleRequest>();
  named.set_agency_id(kPolice);
  *named.mutable_persons() = police.people();
  named.add_persons(other.person);
  Must(other, named);
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id(kArea);
  designate.set_agency_id(kPolice);
  designate.set_person(other.person);
  EXPECT_TRUE(Refused(other, designate, grpc::StatusCode::PERMISSION_DENIED,
                      "designate the area's police coordinator"));
  designate.set_request_id(NextId());
  EXPECT_TRUE(Refused(cast_->chief, designate, grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("person: ", cast_->chief.person, " (coordinator of ",
                                   cast_->chief.agency,
                                   ") may not designate another police coordinator while the "
                                   "escalation ",
                                   escalation, " stands at ESCALATION_LEVEL_STEERING_GROUP")));
  EXPECT_TRUE(Refused(other, Acknowledge(escalation), grpc::StatusCode::PERMISSION_DENIED,
                      coordinator));
  EXPECT_TRUE(Refused(other, Resolve(escalation), grpc::StatusCode::PERMISSION_DENIED));
  const uint64_t refused = Probe();
  EXPECT_EQ(Agencies(cast_->chief, kArea, refused).at(kPolice).police_coordinators().at(kArea),
            coordinator);
  const v1::EscalationView view = EscalationOf(kPolice, escalation, refused);
  EXPECT_FALSE(view.acknowledged());
  EXPECT_FALSE(view.resolved());
  // Its contact answers it.
  const Principal& contact = cast_->police_leader;
  ASSERT_EQ(contact.person, coordinator);
  const uint64_t at = Must(contact, Acknowledge(escalation)).position();
  EXPECT_TRUE(EscalationOf(kPolice, escalation, at).acknowledged());
}

// ---- §6: handing over to adult services ----

// Review 13b, S6: "each area designates its police coordinator". In an area the police were
// linked to, the area's chief (or its admin) designates one of the people the police named; not
// an admin of the police's home area, who has no part in that area, nor a police leader.
TEST_F(AuthorityTest, TheAreaDesignatesOneOfThePolicesPeopleAsItsCoordinator) {
  const std::string home = NewArea("Copenhagen");
  const std::string police = Register(*founder_, home, "agency-police-home", "A police district",
                                      v1::AGENCY_KIND_POLICE);
  auto link = Req<v1::LinkAgencyToAreaRequest>();
  link.set_agency_id(police);
  link.set_area_id(kArea);
  Must(*founder_, link);
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id(kArea);
  designate.set_agency_id(police);
  designate.set_person(cast_->chief.person);
  EXPECT_TRUE(Refused(*founder_, designate, grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("has no access to ", kArea)));
  EXPECT_TRUE(Refused(cast_->staff, designate, grpc::StatusCode::PERMISSION_DENIED,
                      "designate the area's police coordinator: that is the hotspot chief's"));
  EXPECT_TRUE(Refused(cast_->chief, designate, grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("person: ", cast_->chief.person, " is not one of ", police,
                                   "'s people")));
  const uint64_t refused = Probe();
  EXPECT_EQ(Agencies(cast_->chief, kArea, refused).at(police).police_coordinators_size(), 0);
  // Named by the police (their register, kept by their home area's admin), the person is
  // designated by the area's chief, and answers for them in the area.
  auto named = Req<v1::NameAgencyPeopleRequest>();
  named.set_agency_id(police);
  named.add_persons("officer-home");
  Must(*founder_, named);
  designate.set_person("officer-home");
  designate.set_request_id(NextId());
  const v1::CommandResponse designated = Must(cast_->chief, designate);
  const auto agencies = Agencies(cast_->chief, kArea, designated.position());
  ASSERT_EQ(agencies.at(police).police_coordinators_size(), 1);
  EXPECT_EQ(agencies.at(police).police_coordinators().at(kArea), "officer-home");
}

TEST_F(AuthorityTest, HandingOverToAdultServicesNeedsAYouthOf17AndNoOpenCommitments) {
  auto hand_over = Req<v1::HandOverToAdultServicesRequest>();
  hand_over.set_receiving_agency_id(kSocial);
  hand_over.set_note("Adult social services take over the contact person");

  const std::string young = Accepted(/*age=*/16);
  hand_over.set_youth_id(young);
  Cite(hand_over);
  EXPECT_TRUE(Refused(cast_->chief, hand_over, grpc::StatusCode::FAILED_PRECONDITION,
                      "is 16; adult services take over from 17"));
  EXPECT_EQ(Case(young, suite_->Head()).status(), v1::CASE_STATUS_ACCEPTED);

  // 17, with the school's commitment open: refused as closing is.
  const std::string youth = Accepted(/*age=*/17);
  const std::string commitment = Commitment(youth);
  hand_over.set_request_id(NextId());
  hand_over.set_youth_id(youth);
  Cite(hand_over);
  const CallResult refused = client_->Call(cast_->chief, hand_over);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(refused.status.error_message(),
                                "has open commitments (" + commitment + ")"))
      << refused.status.error_message();
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  Cite(close);
  const CallResult not_closed = client_->Call(cast_->chief, close);
  EXPECT_EQ(not_closed.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(not_closed.status.error_message(), refused.status.error_message());
  EXPECT_TRUE(EventsOf(youth, v1::Event::kHandedOverToAdultServices, suite_->Head()).empty());

  // Fulfilled by the school, the case goes over.
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  Must(cast_->school_member, fulfil);
  hand_over.set_request_id(NextId());
  const uint64_t at = Must(cast_->chief, hand_over).position();
  const v1::CaseView view = Case(youth, at);
  EXPECT_EQ(view.status(), v1::CASE_STATUS_HANDED_OVER);
  EXPECT_TRUE(view.seventeen_or_older());
  const auto handed = EventsOf(youth, v1::Event::kHandedOverToAdultServices, at);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].event().handed_over_to_adult_services().receiving_agency_id(), kSocial);
  EXPECT_EQ(handed[0].actor().person(), cast_->chief.person);
}

// ---- §2: who is who ----

TEST_F(AuthorityTest, AnAgencyLinkedToASecondAreaServesBothAndTakesCommitmentsThere) {
  // The job centre, registered once in another Copenhagen area (an agency serves areas of its
  // own municipality only).
  const std::string home = NewArea("Copenhagen");
  const std::string agency = Register(*founder_, home, "agency-jobcentre-region",
                                      "Regional job centre", v1::AGENCY_KIND_JOB_CENTRE);

  const std::string youth = Accepted();
  v1::RecordDecisionRequest decision = DecisionFor(HeldMeetingWith(youth), youth);
  v1::NewCommitment* c = decision.mutable_commitments(0);
  c->set_owning_agency_id(agency);
  c->set_responsible_person("adviser-region");
  c->set_action("Offer a place in the summer job programme");
  c->clear_accepted_by();  // the job centre was not at the meeting: proposed
  EXPECT_TRUE(Refused(cast_->chief, decision, grpc::StatusCode::FAILED_PRECONDITION,
                      "is not an agency of area-sjaelor-boulevard"));
  EXPECT_EQ(Agencies(cast_->chief, kArea, suite_->Head()).count(agency), 0u);

  auto link = Req<v1::LinkAgencyToAreaRequest>();
  link.set_agency_id(agency);
  link.set_area_id(kArea);
  const uint64_t linked = Must(people_->region_admin, link).position();
  link.set_request_id(NextId());
  EXPECT_TRUE(Refused(people_->region_admin, link, grpc::StatusCode::FAILED_PRECONDITION,
                      "serves area-sjaelor-boulevard already"));
  // Both areas list it, once, with both areas.
  for (const auto& [area, reader] : std::vector<std::pair<std::string, const Principal*>>{
           {home, founder_}, {kArea, &cast_->chief}}) {
    const auto agencies = Agencies(*reader, area, linked);
    ASSERT_EQ(agencies.count(agency), 1u) << area;
    const v1::AgencyView& view = agencies.at(agency);
    EXPECT_EQ(view.kind(), v1::AGENCY_KIND_JOB_CENTRE);
    EXPECT_EQ(std::set<std::string>(view.area_ids().begin(), view.area_ids().end()),
              (std::set<std::string>{home, kArea}))
        << area;
  }

  decision.set_request_id(NextId());
  const v1::CommandResponse decided = Must(cast_->chief, decision);
  const std::vector<v1::CommitmentView> listed = CommitmentsOf(youth, decided.position());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].commitment_id(), decided.created_ids(0));
  EXPECT_EQ(listed[0].owning_agency_id(), agency);
  EXPECT_EQ(listed[0].area_id(), kArea);
  EXPECT_EQ(listed[0].state(), v1::COMMITMENT_STATE_PROPOSED);
}

// A resident on the board has no login: she is named as she names herself (review 13, f).
TEST_F(AuthorityTest, TheChiefAppointsAndRemovesTheBoardsMembers) {
  auto appoint = Req<v1::AppointBoardMemberRequest>();
  appoint.set_area_id(kArea);
  appoint.set_body_id("hotspot-board");
  appoint.mutable_member()->set_person("Birgit H\u00f8jgaard");
  appoint.mutable_member()->set_represents("the parents' network");
  EXPECT_TRUE(Refused(cast_->staff, appoint, grpc::StatusCode::PERMISSION_DENIED,
                      "that is the hotspot chief's"));
  auto not_a_board = appoint;
  not_a_board.set_request_id(NextId());
  not_a_board.set_body_id("task-force");
  EXPECT_TRUE(Refused(cast_->chief, not_a_board, grpc::StatusCode::FAILED_PRECONDITION,
                      "not a hotspot board"));
  const uint64_t appointed = Must(cast_->chief, appoint).position();

  auto members = [](const v1::BodyView& body) {
    std::map<std::string, v1::BodyMember> out;
    for (const v1::BodyMember& m : body.members()) out[m.person()] = m;
    return out;
  };
  auto bodies = Bodies(appointed);
  auto board = members(bodies.at("hotspot-board"));
  ASSERT_EQ(board.count("Birgit H\u00f8jgaard"), 1u);
  EXPECT_EQ(board.at("Birgit H\u00f8jgaard").represents(), "the parents' network");
  EXPECT_EQ(board.count("chair-tenants-board"), 1u);  // the demo's
  EXPECT_EQ(members(bodies.at("task-force")).count("Birgit H\u00f8jgaard"), 0u);

  auto remove = Req<v1::RemoveBoardMemberRequest>();
  remove.set_area_id(kArea);
  remove.set_body_id("hotspot-board");
  remove.set_person("Birgit H\u00f8jgaard");
  remove.set_reason("Moved away");
  EXPECT_TRUE(Refused(cast_->staff, remove, grpc::StatusCode::PERMISSION_DENIED,
                      "that is the hotspot chief's"));
  const uint64_t removed = Must(cast_->chief, remove).position();
  board = members(Bodies(removed).at("hotspot-board"));
  EXPECT_EQ(board.count("Birgit H\u00f8jgaard"), 0u);
  EXPECT_EQ(board.count("chair-tenants-board"), 1u);
  remove.set_request_id(NextId());
  EXPECT_TRUE(Refused(cast_->chief, remove, grpc::StatusCode::FAILED_PRECONDITION,
                      "Birgit H\u00f8jgaard is not on hotspot-board"));
}

}  // namespace
}  // namespace hotspot::testing
