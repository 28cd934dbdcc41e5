// escalation.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(DecideTest, EscalationsClimbOneLevelAtATimeAndAreResolvedByTheTargetsLeadership) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-school");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Calls not made for three weeks");
  raise.add_commitment_ids(commitment);
  EXPECT_EQ(Code(w_.Run(raise, chief_)), absl::StatusCode::kFailedPrecondition);  // no ladder
  raise.set_target_agency_id("agency-police");
  EXPECT_EQ(Code(w_.Run(raise, school_leader_)), absl::StatusCode::kPermissionDenied);
  raise.clear_commitment_ids();
  EXPECT_EQ(Code(w_.Run(raise, chief_)), absl::StatusCode::kInvalidArgument);
  raise.add_commitment_ids(commitment);
  const std::string escalation = w_.Do(raise, chief_).id;
  EXPECT_EQ(w_.stream(escalation)[0].escalation_raised().youth_id(), youth);  // from the commitment

  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  EXPECT_EQ(Code(w_.Run(ack, school_leader_)), absl::StatusCode::kPermissionDenied);
  w_.Do(ack, police_leader_);

  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No change after the steering group");
  EXPECT_EQ(Code(w_.Run(up, police_leader_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(up, chief_).writes[0].events[0].escalation_moved_up().to_level(),
            v1::ESCALATION_LEVEL_DIRECTOR);
  up.set_request_id("up-2");
  EXPECT_EQ(w_.Do(up, chief_).writes[0].events[0].escalation_moved_up().to_level(),
            v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);
  up.set_request_id("up-3");
  EXPECT_EQ(Code(w_.Run(up, chief_)), absl::StatusCode::kFailedPrecondition);  // the top

  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("Patrols agreed with the station chief");
  // Not by whoever raised it, not by another agency's leadership.
  EXPECT_EQ(Code(w_.Run(resolve, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(resolve, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Principal raiser_as_leader = Who("chief-anna", "agency-police", Role::kAgencyLeader);
  EXPECT_EQ(Code(w_.Run(resolve, raiser_as_leader)), absl::StatusCode::kPermissionDenied);
  w_.Do(resolve, police_leader_);
  EXPECT_EQ(Code(w_.Run(resolve, police_leader_)), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hotspot::domain
