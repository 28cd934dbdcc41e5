// meeting.cc's decisions, without I/O (test_world.h): the events each command produces, and the
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

TEST_F(DecideTest, ADecisionCommitsItsCommitmentsEscalationsAndPlanTogether) {
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
  auto* e = d.add_escalations();
  e->set_target_agency_id("agency-police");
  e->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  e->set_reason("No patrol response for six weeks");
  e->add_commitment_ids("new:0");
  d.mutable_plan()->add_goals("Attend school every day");
  *d.mutable_plan()->mutable_review_date() = Day(2027, 3, 1);

  const Decision decision = w_.Do(d, chief_);
  ASSERT_EQ(decision.created_ids.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(decision.created_ids[0], "commitment-"));
  EXPECT_TRUE(absl::StartsWith(decision.created_ids[1], "escalation-"));
  EXPECT_EQ(decision.writes[0].stream, meeting);  // the main stream first
  std::map<std::string, std::vector<std::string>> types;
  for (const auto& write : decision.writes) {
    for (const auto& event : write.events) types[write.stream].push_back(EventType(event));
  }
  EXPECT_THAT(types[meeting], ElementsAre("hotspot.v1.DecisionRecorded"));
  EXPECT_THAT(types[youth],
              ElementsAre("hotspot.v1.CommitmentLinked", "hotspot.v1.ActionPlanAdopted"));
  EXPECT_THAT(types[decision.created_ids[0]], ElementsAre("hotspot.v1.CommitmentMade"));
  EXPECT_THAT(types[decision.created_ids[1]], ElementsAre("hotspot.v1.EscalationRaised"));
  const v1::EscalationRaised& raised = w_.stream(decision.created_ids[1])[0].escalation_raised();
  EXPECT_THAT(raised.commitment_ids(), ElementsAre(decision.created_ids[0]));
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACTIVE);
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "patrol"));  // about a youth: sealed

  // Not on the agenda; a meeting not held.
  const std::string other = AcceptedYouth();
  v1::RecordDecisionRequest off_agenda = DecisionWithCommitment(meeting, other);
  EXPECT_EQ(Code(w_.Run(off_agenda, chief_)), absl::StatusCode::kFailedPrecondition);
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id("area-test");
  schedule.set_body_id("task-force");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  const std::string future = w_.Do(schedule, chief_).id;
  auto area_decision = Req<v1::RecordDecisionRequest>();
  area_decision.set_meeting_id(future);
  area_decision.set_text("More lighting on the square");
  EXPECT_EQ(Code(w_.Run(area_decision, chief_)), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Code(w_.Run(area_decision, school_leader_)), absl::StatusCode::kPermissionDenied);
  schedule.set_body_id("no-such-body");
  EXPECT_EQ(Code(w_.Run(schedule, chief_)), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hotspot::domain
