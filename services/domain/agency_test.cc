// agency.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(DecideTest, AnAgencyIsRegisteredOnceByTheAreasManagersWithItsKind) {
  auto r = Req<v1::RegisterAgencyRequest>();
  r.set_agency_id("agency-gym");
  r.set_area_id("area-test");
  r.set_name("Sjaeloer Gymnasium");
  r.set_kind(v1::AGENCY_KIND_SCHOOL);
  r.set_self_governing_institution(true);
  // Input first: the field is named.
  auto bad = r;
  bad.set_agency_id("gym");
  absl::StatusOr<Decision> d = w_.Run(bad, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("agency_id:"));
  bad = r;
  bad.set_kind(static_cast<v1::AgencyKind>(99));
  EXPECT_THAT(std::string(w_.Run(bad, chief_).status().message()), HasSubstr("kind:"));
  // § 115 stk. 3 is for self-governing schools, clubs and others, never a housing association
  // (Almenboligloven § 63 d) or an NGO (consent only).
  for (const v1::AgencyKind kind : {v1::AGENCY_KIND_HOUSING_ASSOCIATION, v1::AGENCY_KIND_NGO,
                                    v1::AGENCY_KIND_POLICE}) {
    bad = r;
    bad.set_kind(kind);
    d = w_.Run(bad, chief_);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument) << kind;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("self_governing_institution:"));
  }
  // Not a member of an agency, not a chief of another area.
  EXPECT_EQ(Code(w_.Run(r, school_leader_)), absl::StatusCode::kPermissionDenied);
  Principal stranger = chief_;
  stranger.areas = {"area-other"};
  EXPECT_EQ(Code(w_.Run(r, stranger)), absl::StatusCode::kPermissionDenied);

  const Decision registered = w_.Do(r, chief_);
  EXPECT_EQ(registered.id, "agency-gym");
  ASSERT_EQ(registered.writes.size(), 2u);  // the agency's stream; the area, read
  ASSERT_EQ(registered.writes[0].events.size(), 1u);
  const v1::Event& e = registered.writes[0].events[0];
  EXPECT_EQ(e.agency_registered().agency_id(), "agency-gym");
  EXPECT_EQ(e.agency_registered().area_id(), "area-test");
  EXPECT_EQ(e.agency_registered().kind(), v1::AGENCY_KIND_SCHOOL);
  EXPECT_TRUE(e.agency_registered().self_governing_institution());
  EXPECT_EQ(e.actor().person(), "chief-anna");
  EXPECT_EQ(e.area_id(), "area-test");
  // Once.
  r.set_request_id("again");
  EXPECT_EQ(Code(w_.Run(r, chief_)), absl::StatusCode::kAlreadyExists);
}

// An agency's ladder names who answers the chief's escalations: the agency's own leaders set it
// (or an admin setting the area up), never the chief or her staff.
TEST_F(DecideTest, ALeadershipLadderIsSetByTheAgencysLeaderOrAnAdmin) {
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id("agency-school");
  auto* manager = ladder.add_contacts();
  manager->set_level(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER);
  manager->set_person("head-mette");
  auto* director = ladder.add_contacts();
  director->set_level(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER);  // twice
  director->set_person("director-bo");
  absl::StatusOr<Decision> d = w_.Run(ladder, school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("contacts[1].level"));
  director->set_level(v1::LEADERSHIP_LEVEL_DIRECTOR);
  // A member of the school may not; another agency's leader may not; nor the chief or her staff.
  EXPECT_EQ(Code(w_.Run(ladder, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(ladder, police_leader_)), absl::StatusCode::kPermissionDenied);
  d = w_.Run(ladder, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("only agency-school's own leaders (or an admin of area-test) do"));
  EXPECT_EQ(Code(w_.Run(ladder, staff_)), absl::StatusCode::kPermissionDenied);
  const Decision set = w_.Do(ladder, school_leader_);
  ASSERT_EQ(set.writes[0].events.size(), 1u);
  const v1::LeadershipLadderSet& event = set.writes[0].events[0].leadership_ladder_set();
  EXPECT_EQ(event.agency_id(), "agency-school");
  ASSERT_EQ(event.contacts_size(), 2);
  EXPECT_EQ(event.contacts(1).person(), "director-bo");
  AgencyState state;
  for (const v1::Event& e : w_.stream("agency-school")) Evolve(state, e);
  EXPECT_EQ(state.ladder.at(v1::LEADERSHIP_LEVEL_DIRECTOR), "director-bo");
  // An admin of the area may set it too; an unknown agency is not found.
  ladder.set_request_id("by-admin");
  ladder.mutable_contacts(1)->set_person("director-eva");
  EXPECT_EQ(w_.Do(ladder, admin_).writes[0].events[0].leadership_ladder_set().contacts(1).person(),
            "director-eva");
  ladder.set_agency_id("agency-nobody");
  EXPECT_EQ(Code(w_.Run(ladder, admin_)), absl::StatusCode::kNotFound);
}

// An agency that serves several areas is registered once and linked to each further area of its
// municipality: by its own leaders (the agency agrees to serve it) or an admin of that area; not
// by the area's chief.
TEST_F(DecideTest, AnAgencyServingSeveralAreasIsRegisteredOnceAndLinked) {
  auto other = Req<v1::EstablishAreaRequest>();
  other.set_area_id("area-other");
  other.set_name("Other Area");
  // As "Copenhagen": the same municipality, compared in any case and spacing (review 13b, N7).
  other.set_municipality("  COPENHAGEN ");
  Principal admin = admin_;
  admin.areas.push_back("area-other");
  w_.Do(other, admin);
  const Principal other_chief{"chief-other", "agency-hotspot", Role::kCoordinator, {"area-other"}};
  Principal police_leader = police_leader_;
  police_leader.areas.push_back("area-other");
  auto link = Req<v1::LinkAgencyToAreaRequest>();
  link.set_agency_id("agency-police");
  link.set_area_id("area-other");
  EXPECT_EQ(Code(w_.Run(link, chief_)), absl::StatusCode::kPermissionDenied);  // not her area
  // The other area's chief does not link an agency to her area: it would then take her
  // commitments and her escalations without having agreed.
  absl::StatusOr<Decision> d = w_.Run(link, other_chief);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("has no access to area-test"));
  // Nor an admin of that area alone: the police are area-test's, and would be taken over.
  const Principal other_admin{"it-other", "agency-it", Role::kAdmin, {"area-other"}};
  d = w_.Run(link, other_admin);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("has no access to area-test"));
  // Nor another agency's leader, nor the police's member, nor its leader outside its home area.
  Principal school_leader = school_leader_;
  school_leader.areas.push_back("area-other");
  EXPECT_EQ(Code(w_.Run(link, school_leader)), absl::StatusCode::kPermissionDenied);
  Principal police_member{
      "officer-sara", "agency-police", Role::kAgencyMember, {"area-test", "area-other"}};
  EXPECT_EQ(Code(w_.Run(link, police_member)), absl::StatusCode::kPermissionDenied);
  const Principal police_leader_elsewhere{
      "police-boss-2", "agency-police", Role::kAgencyLeader, {"area-other"}};
  EXPECT_EQ(Code(w_.Run(link, police_leader_elsewhere)), absl::StatusCode::kPermissionDenied);
  const Decision linked = w_.Do(link, police_leader);
  EXPECT_EQ(linked.writes[0].events[0].agency_area_linked().agency_id(), "agency-police");
  EXPECT_EQ(linked.writes[0].events[0].agency_area_linked().area_id(), "area-other");
  EXPECT_EQ(linked.writes[0].events[0].area_id(), "area-other");
  EXPECT_EQ(linked.writes[0].events[0].actor().person(), "police-boss-1");
  EXPECT_EQ(Code(w_.Run(link, police_leader)), absl::StatusCode::kFailedPrecondition);  // already
  // Linked, the police keep one ladder, set in their home area: not by an admin of the area they
  // now serve, nor by their leader acting there alone.
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id("agency-police");
  v1::LeadershipContact* rung = ladder.add_contacts();
  rung->set_level(v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR);
  rung->set_person("someone-else");
  EXPECT_EQ(Code(w_.Run(ladder, other_admin)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(ladder, police_leader_elsewhere)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(ladder, police_leader_).writes[0].events[0].leadership_ladder_set().agency_id(),
            "agency-police");
  // An admin of the agency's own area links too.
  link.set_request_id("by-admin");
  link.set_agency_id("agency-social");
  EXPECT_EQ(w_.Do(link, admin).writes[0].events[0].agency_area_linked().agency_id(),
            "agency-social");
  link.set_agency_id("agency-unknown");
  EXPECT_EQ(Code(w_.Run(link, admin)), absl::StatusCode::kNotFound);
  // An area of another municipality: the agency is registered there in its own right.
  auto aalborg = Req<v1::EstablishAreaRequest>();
  aalborg.set_area_id("area-aalborg");
  aalborg.set_name("Aalborg Oest");
  aalborg.set_municipality("Aalborg");
  admin.areas.push_back("area-aalborg");
  w_.Do(aalborg, admin);
  link.set_agency_id("agency-school");
  link.set_area_id("area-aalborg");
  d = w_.Run(link, admin);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("area_id: area-aalborg is of Aalborg; agency-school is an agency of "
                        "Copenhagen"));
  // Now an agency of the other area too: a body there may have it as a member.
  auto body = Req<v1::ConstituteBodyRequest>();
  body.set_area_id("area-other");
  body.set_body_id("steering");
  body.set_kind(v1::BODY_KIND_TASK_FORCE);
  body.set_name("Task force");
  body.add_members()->set_agency_id("agency-police");
  body.mutable_members(0)->set_person("someone-else");  // on the police's ladder (above)
  body.mutable_cadence()->set_min_meetings_per_year(4);
  w_.Do(body, other_chief);
  body.set_request_id("school-elsewhere");
  body.set_body_id("steering-2");
  body.mutable_members(0)->set_agency_id("agency-school");  // not linked
  EXPECT_EQ(Code(w_.Run(body, other_chief)), absl::StatusCode::kFailedPrecondition);
}

// The police staff their coordinator function in each area they serve, and each area designates
// its coordinator from the people they named: not an admin of the police's home area for another
// area, nor the police, and not a person the police never named (who would then answer their
// escalations and accept their commitments there).
TEST_F(DecideTest, TheAreaDesignatesOneOfThePolicesPeopleAsItsCoordinator) {
  auto other = Req<v1::EstablishAreaRequest>();
  other.set_area_id("area-other");
  other.set_name("Other Area");
  other.set_municipality("Copenhagen");
  Principal admin = admin_;
  admin.areas.push_back("area-other");
  w_.Do(other, admin);
  auto link = Req<v1::LinkAgencyToAreaRequest>();
  link.set_agency_id("agency-police");
  link.set_area_id("area-other");
  w_.Do(link, admin);
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id("area-other");
  designate.set_agency_id("agency-police");
  designate.set_person("chief-other");
  // The area designates (review 13b, S6): its admin (or chief), not the police, nor the admin
  // of the police's home area, who has no access to area-other.
  const Principal other_admin{"it-other", "agency-it", Role::kAdmin, {"area-other"}};
  absl::StatusOr<Decision> d = w_.Run(designate, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("has no access to area-other"));
  EXPECT_EQ(Code(w_.Run(designate, police_leader_)), absl::StatusCode::kPermissionDenied);
  // Not a person the police never named.
  d = w_.Run(designate, other_admin);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("person: chief-other is not one of agency-police's people"));
  // One on their ladder (at the coordinator's rung: one person, one rung), or on their register.
  designate.set_person("police-boss-1");
  const v1::Event by_admin = w_.Do(designate, other_admin).writes[0].events[0];
  EXPECT_EQ(by_admin.police_coordinator_designated().area_id(), "area-other");
  EXPECT_EQ(by_admin.police_coordinator_designated().person(), "police-boss-1");
  EXPECT_EQ(by_admin.area_id(), "area-other");
  NamePeople("agency-police", {"officer-sara"}, police_leader_);
  designate.set_person("officer-sara");
  designate.set_request_id("by-the-area");
  const v1::Event again = w_.Do(designate, other_admin).writes[0].events[0];
  EXPECT_EQ(again.police_coordinator_designated().person(), "officer-sara");
  EXPECT_EQ(again.actor().person(), "it-other");
}

// An agency names its own people (who may accept its commitments in a meeting they attend):
// its leaders or an admin of its home area, as for its ladder; never the chief, who records the
// meetings, nor her staff, nor the agency's members or another agency. The list replaces the
// register.
TEST_F(DecideTest, AnAgencysPeopleAreNamedByItsOwnLeadersAndTheListReplacesTheRegister) {
  auto named = Req<v1::NameAgencyPeopleRequest>();
  named.set_agency_id("agency-school");
  named.add_persons("teacher-ole");
  named.add_persons("not a person!");
  absl::StatusOr<Decision> d = w_.Run(named, school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("persons[1]:"));
  named.set_persons(1, "teacher-ole");
  d = w_.Run(named, school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("persons[1]: each person at most once"));
  named.set_persons(1, "teacher-kim");

  d = w_.Run(named, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("only agency-school's own leaders (or an admin of area-test) do"));
  EXPECT_EQ(Code(w_.Run(named, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(named, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(named, police_leader_)), absl::StatusCode::kPermissionDenied);
  Principal stranger_admin = admin_;
  stranger_admin.areas = {"area-other"};
  EXPECT_EQ(Code(w_.Run(named, stranger_admin)), absl::StatusCode::kPermissionDenied);

  const Decision set = w_.Do(named, school_leader_);
  EXPECT_EQ(set.id, "agency-school");
  ASSERT_EQ(set.writes.size(), 1u);
  EXPECT_EQ(set.writes[0].stream, "agency-school");
  ASSERT_EQ(set.writes[0].events.size(), 1u);
  const v1::Event& e = set.writes[0].events[0];
  EXPECT_EQ(e.agency_people_named().agency_id(), "agency-school");
  EXPECT_THAT(e.agency_people_named().persons(), ElementsAre("teacher-ole", "teacher-kim"));
  EXPECT_EQ(e.actor().person(), "head-mette");
  EXPECT_EQ(e.area_id(), "area-test");
  auto people = [&] {
    AgencyState state;
    for (const v1::Event& event : w_.stream("agency-school")) Evolve(state, event);
    return state.people;
  };
  EXPECT_EQ(people(), (std::set<std::string>{"teacher-ole", "teacher-kim"}));

  // Named again (here by an admin of the area), the list is the whole register: teacher-ole is
  // no longer on it. Empty, it clears it.
  named.set_request_id("by-admin");
  named.clear_persons();
  named.add_persons("teacher-kim");
  w_.Do(named, admin_);
  EXPECT_EQ(people(), (std::set<std::string>{"teacher-kim"}));
  named.set_request_id("cleared");
  named.clear_persons();
  w_.Do(named, school_leader_);
  EXPECT_TRUE(people().empty());
  named.set_agency_id("agency-nobody");
  EXPECT_EQ(Code(w_.Run(named, admin_)), absl::StatusCode::kNotFound);
}

// The school's ladder with these rungs.
v1::SetLeadershipLadderRequest SchoolLadderOf(
    std::vector<std::pair<v1::LeadershipLevel, std::string>> rungs) {
  auto r = Req<v1::SetLeadershipLadderRequest>();
  r.set_agency_id("agency-school");
  for (const auto& [level, person] : rungs) {
    v1::LeadershipContact* contact = r.add_contacts();
    contact->set_level(level);
    contact->set_person(person);
  }
  return r;
}

// An escalation of `commitment` to the school, at the steering-group level.
v1::RaiseEscalationRequest AtTheSchool(const std::string& commitment) {
  return Escalating("agency-school", commitment);
}

// A ladder change does not strand an open escalation: the level it stands at keeps a contact. A
// new person on that level is fine (the escalation goes to them); once it is moved up or
// resolved, the level may go.
TEST_F(DecideTest, ALadderKeepsAContactAtTheLevelOfAnOpenEscalation) {
  SchoolLadder();  // head-mette, director-bo, mayor-jens
  const std::string youth = AcceptedYouth();
  const v1::RaiseEscalationRequest raise = AtTheSchool(Commitment(youth));
  const std::string escalation = w_.Do(raise, chief_).id;
  // The school's stream knows the escalation raised at it.
  const v1::Event& known = w_.stream("agency-school").back();
  EXPECT_EQ(known.agency_escalated().agency_id(), "agency-school");
  EXPECT_EQ(known.agency_escalated().escalation_id(), escalation);
  EXPECT_EQ(known.area_id(), "area-test");

  const auto ladder = SchoolLadderOf;
  const auto director = std::pair{v1::LEADERSHIP_LEVEL_DIRECTOR, std::string("director-bo")};
  const auto political = std::pair{v1::LEADERSHIP_LEVEL_POLITICAL, std::string("mayor-jens")};

  // Without a middle manager the steering-group escalation would have nobody to answer it.
  absl::StatusOr<Decision> d = w_.Run(ladder({director, political}), school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr(absl::StrCat("contacts: the open escalation ", escalation,
                                     " of area-test stands at ESCALATION_LEVEL_STEERING_GROUP "
                                     "with head-mette; this ladder has no contact for that level")));
  // Another person on that level: the escalation goes to them.
  w_.Do(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"}, director, political}),
        school_leader_);
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  EXPECT_EQ(Code(w_.Run(ack, school_leader_)), absl::StatusCode::kPermissionDenied);  // mette
  const Principal lars = Who("head-lars", "agency-school", Role::kAgencyLeader);
  EXPECT_EQ(w_.Do(ack, lars).writes[0].events[0].escalation_acknowledged().escalation_id(),
            escalation);

  // Moved up to the director, it no longer needs the middle manager, but the director.
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No change after the steering group");
  w_.Do(up, chief_);
  w_.Do(ladder({director, political}), school_leader_);
  d = w_.Run(ladder({political}), Who("director-bo", "agency-school", Role::kAgencyLeader));
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("stands at ESCALATION_LEVEL_DIRECTOR with director-bo"));

  // Resolved, it holds no level.
  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("Calls made from Monday");
  w_.Do(resolve, Who("director-bo", "agency-school", Role::kAgencyLeader));
  const Decision dropped = w_.Do(ladder({political}), school_leader_);
  EXPECT_EQ(dropped.writes[0].events[0].leadership_ladder_set().contacts_size(), 1);
}

// The rungs are not bypassed by rewriting the ladder: while an escalation of the agency stands
// at a level, who answers there and above is changed only by those who answer there now (or an
// admin of the agency's home area), and one person holds one rung.
TEST_F(DecideTest, ALowerRungDoesNotNameHimselfToTheRungOfAnOpenEscalation) {
  SchoolLadder();  // head-mette, director-bo, mayor-jens
  const std::string youth = AcceptedYouth();
  const v1::RaiseEscalationRequest raise = AtTheSchool(Commitment(youth));
  const std::string escalation = w_.Do(raise, chief_).id;
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  w_.Do(ack, school_leader_);  // head-mette, at the steering-group level
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No change after the steering group");
  w_.Do(up, chief_);  // at the director now

  const auto ladder = SchoolLadderOf;
  const std::size_t before = w_.stream("agency-school").size();
  // The middle manager names himself director, handing his own rung on: refused.
  absl::StatusOr<Decision> d = w_.Run(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"},
                                              {v1::LEADERSHIP_LEVEL_DIRECTOR, "head-mette"},
                                              {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}),
                                      school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr(absl::StrCat("contacts: head-mette (agency_leader of agency-school) may "
                                     "not change the contact at ESCALATION_LEVEL_DIRECTOR "
                                     "while the escalation ",
                                     escalation, " stands at ESCALATION_LEVEL_DIRECTOR: only those "
                                     "who hold these rungs now (director-bo, mayor-jens)")));
  // ... nor does he keep his rung and take the director's too.
  d = w_.Run(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-mette"},
                     {v1::LEADERSHIP_LEVEL_DIRECTOR, "head-mette"}}),
             school_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("contacts[1].person: head-mette holds contacts[0]'s rung already"));
  EXPECT_EQ(w_.stream("agency-school").size(), before);  // nothing written
  // So he still cannot resolve it.
  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("Calls made from Monday");
  EXPECT_EQ(Code(w_.Run(resolve, school_leader_)), absl::StatusCode::kPermissionDenied);
  // Below the escalation's level the agency's leaders change the ladder as before.
  w_.Do(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"},
                {v1::LEADERSHIP_LEVEL_DIRECTOR, "director-bo"},
                {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}),
        school_leader_);
  // The director hands his rung on; so may the rung above him, or an admin of the home area.
  const Decision handed = w_.Do(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"},
                                        {v1::LEADERSHIP_LEVEL_DIRECTOR, "director-eva"},
                                        {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}),
                                Who("director-bo", "agency-school", Role::kAgencyLeader));
  EXPECT_EQ(handed.writes[0].events[0].leadership_ladder_set().contacts(1).person(),
            "director-eva");
  w_.Do(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"},
                {v1::LEADERSHIP_LEVEL_DIRECTOR, "director-bo"},
                {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}),
        Who("mayor-jens", "agency-school", Role::kAgencyLeader));
  w_.Do(ladder({{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-lars"},
                {v1::LEADERSHIP_LEVEL_DIRECTOR, "director-eva"},
                {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}),
        admin_);
  EXPECT_EQ(w_.Do(resolve, Who("director-eva", "agency-school", Role::kAgencyLeader))
                .writes[0]
                .events[0]
                .escalation_resolved()
                .escalation_id(),
            escalation);
}

}  // namespace
}  // namespace hotspot::domain
