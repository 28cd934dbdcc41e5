// commitment.cc's decisions, without I/O (test_world.h): the events each command produces, and the
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

TEST_F(DecideTest, CommitmentsNeedARegisteredOwnerAndAFutureDueDate) {
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
  d.mutable_commitments(0)->set_owning_agency_id("agency-unregistered");
  const absl::StatusOr<Decision> unregistered = w_.Run(d, chief_);
  EXPECT_EQ(Code(unregistered), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(unregistered.status().message(), "commitments[0].owning_agency_id"));

  d = DecisionWithCommitment(meeting, youth);
  *d.mutable_commitments(0)->mutable_due_date() = Day(2026, 11, 23);  // the day it is made
  EXPECT_EQ(Code(w_.Run(d, chief_)), absl::StatusCode::kInvalidArgument);
  d.mutable_commitments(0)->clear_due_date();
  EXPECT_EQ(Code(w_.Run(d, chief_)), absl::StatusCode::kInvalidArgument);
  *d.mutable_commitments(0)->mutable_due_date() = Day(2026, 2, 31);
  EXPECT_EQ(Code(w_.Run(d, chief_)), absl::StatusCode::kInvalidArgument);
}

TEST_F(DecideTest, CommitmentLifecycleByItsOwningAgency) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);
  const Principal police_member = Who("officer-p", "agency-police", Role::kAgencyMember);

  auto ack = Req<v1::AcknowledgeCommitmentRequest>();
  ack.set_commitment_id(commitment);
  EXPECT_EQ(Code(w_.Run(ack, police_member)), absl::StatusCode::kPermissionDenied);
  w_.Do(ack, school_member_);
  EXPECT_EQ(Code(w_.Run(ack, school_member_)), absl::StatusCode::kFailedPrecondition);

  auto progress = Req<v1::ReportProgressRequest>();
  progress.set_commitment_id(commitment);
  progress.set_note("Called the mother twice");
  w_.Do(progress, school_member_);

  auto renegotiate = Req<v1::RenegotiateCommitmentRequest>();
  renegotiate.set_commitment_id(commitment);
  *renegotiate.mutable_new_due_date() = Day(2026, 12, 15);
  renegotiate.set_reason("Holiday");
  EXPECT_EQ(Code(w_.Run(renegotiate, school_member_)), absl::StatusCode::kFailedPrecondition);
  *renegotiate.mutable_new_due_date() = Day(2027, 1, 15);
  const Decision moved = w_.Do(renegotiate, school_member_);
  const auto& r = moved.writes[0].events[0].commitment_renegotiated();
  EXPECT_EQ(r.previous_due_date().month(), 12);
  EXPECT_EQ(r.new_due_date().year(), 2027);

  auto cancel = Req<v1::CancelCommitmentRequest>();
  cancel.set_commitment_id(commitment);
  cancel.set_reason("Family moved");
  EXPECT_EQ(Code(w_.Run(cancel, school_member_)), absl::StatusCode::kPermissionDenied);
  w_.Do(cancel, school_leader_);
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  EXPECT_EQ(Code(w_.Run(fulfil, school_member_)), absl::StatusCode::kFailedPrecondition);
  fulfil.set_commitment_id("commitment-none");
  EXPECT_EQ(Code(w_.Run(fulfil, school_member_)), absl::StatusCode::kNotFound);
  fulfil.set_commitment_id("youth-1");
  EXPECT_EQ(Code(w_.Run(fulfil, school_member_)), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hotspot::domain
