// agency.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

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

TEST_F(DecideTest, ALeadershipLadderIsSetByTheAgencysLeaderOrTheChief) {
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
  // A member of the school may not; another agency's leader may not.
  EXPECT_EQ(Code(w_.Run(ladder, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(ladder, police_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision set = w_.Do(ladder, school_leader_);
  ASSERT_EQ(set.writes[0].events.size(), 1u);
  const v1::LeadershipLadderSet& event = set.writes[0].events[0].leadership_ladder_set();
  EXPECT_EQ(event.agency_id(), "agency-school");
  ASSERT_EQ(event.contacts_size(), 2);
  EXPECT_EQ(event.contacts(1).person(), "director-bo");
  AgencyState state;
  for (const v1::Event& e : w_.stream("agency-school")) Evolve(state, e);
  EXPECT_EQ(state.ladder.at(v1::LEADERSHIP_LEVEL_DIRECTOR), "director-bo");
  // The chief may set it too; an unknown agency is not found.
  ladder.set_request_id("by-chief");
  w_.Do(ladder, chief_);
  ladder.set_agency_id("agency-nobody");
  EXPECT_EQ(Code(w_.Run(ladder, chief_)), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hotspot::domain
