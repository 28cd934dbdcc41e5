// commitment.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_EQ(Code(w_.Run(renegotiate, school_leader_)), absl::StatusCode::kFailedPrecondition);
  *renegotiate.mutable_new_due_date() = Day(2027, 1, 15);
  // Its leaders renegotiate; its members do not, nor does the chief.
  EXPECT_EQ(Code(w_.Run(renegotiate, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(renegotiate, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision moved = w_.Do(renegotiate, school_leader_);
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

// The chief coordinates; she does not decide for an agency: a decision proposes, the agency's
// person accepts in the meeting or the agency answers later; the chief follows up.
TEST_F(DecideTest, CommitmentsAreAgreedByTheirAgencyNotImposed) {
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);  // the school's teacher-ole attended
  // Accepted in the meeting: only by one who attended for the owning agency.
  v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
  d.mutable_commitments(0)->set_accepted_by("head-mette");  // of the school, not there
  absl::StatusOr<Decision> run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("commitments[0].accepted_by: head-mette of agency-school did not attend"));
  d.mutable_commitments(0)->set_owning_agency_id("agency-police");
  d.mutable_commitments(0)->set_accepted_by("teacher-ole");  // there, but for the school
  EXPECT_EQ(Code(w_.Run(d, chief_)), absl::StatusCode::kFailedPrecondition);
  // The owning agency belongs to the meeting's area.
  RegisterInAnotherArea("agency-school-other", v1::AGENCY_KIND_SCHOOL);
  d = DecisionWithCommitment(meeting, youth);
  d.mutable_commitments(0)->set_owning_agency_id("agency-school-other");
  d.mutable_commitments(0)->clear_accepted_by();
  run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("is not an agency of area-test"));

  // Accepted in the meeting: the event says so and by whom.
  const Decision agreed = w_.Do(DecisionWithCommitment(meeting, youth), chief_);
  const v1::CommitmentMade& made = w_.stream(agreed.created_ids[0])[0].commitment_made();
  EXPECT_EQ(made.acceptance(), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  EXPECT_EQ(made.accepted_by(), "teacher-ole");

  // Proposed: not the agency's yet. Nothing but its answer is done with it.
  const std::string proposed = ProposedCommitment(youth);
  EXPECT_EQ(w_.stream(proposed)[0].commitment_made().acceptance(),
            v1::COMMITMENT_ACCEPTANCE_PROPOSED);
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(proposed);
  run = w_.Run(fulfil, school_member_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("agency-school accepts it first"));
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-school");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("No answer");
  raise.add_commitment_ids(proposed);
  run = w_.Run(raise, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("is proposed and awaits its agency's answer"));
  // The chief does not accept for the school; another agency does not either.
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(proposed);
  EXPECT_EQ(Code(w_.Run(accept, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(accept, police_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision accepted = w_.Do(accept, school_member_);
  ASSERT_EQ(accepted.writes[0].events.size(), 1u);
  EXPECT_EQ(accepted.writes[0].events[0].commitment_accepted().accepted_by(), "teacher-ole");
  EXPECT_EQ(Code(w_.Run(accept, school_leader_)), absl::StatusCode::kFailedPrecondition);
  CommitmentState state;
  for (const v1::Event& e : w_.stream(proposed)) Evolve(state, e);
  EXPECT_TRUE(state.open());

  // Declined with its reason: back with the chief, who may take it to the agency's leadership.
  const std::string second = ProposedCommitment(youth);
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(second);
  EXPECT_EQ(Code(w_.Run(decline, school_member_)), absl::StatusCode::kInvalidArgument);  // reason
  decline.set_reason("The youth left the school in August");
  EXPECT_EQ(Code(w_.Run(decline, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision declined = w_.Do(decline, school_member_);
  EXPECT_EQ(World::Unseal(declined.writes[0].events[0].commitment_declined().reason().sealed()),
            "The youth left the school in August");
  state = CommitmentState();
  for (const v1::Event& e : w_.stream(second)) Evolve(state, e);
  EXPECT_EQ(state.status, CommitmentStatus::kDeclined);
  EXPECT_FALSE(state.pending());  // the case may close over it
  // Taken to the school's leadership: the escalation takes the declined commitment up.
  SchoolLadder();
  raise.set_commitment_ids(0, second);
  const Decision escalated = w_.Do(raise, chief_);
  ASSERT_EQ(w_.stream(second).size(), 3u);  // made, declined, taken up
  const v1::CommitmentTakenUp& taken = w_.stream(second)[2].commitment_taken_up();
  EXPECT_EQ(taken.commitment_id(), second);
  EXPECT_EQ(taken.by_escalation_id(), escalated.id);
  EXPECT_EQ(taken.by_commitment_id(), "");
  EXPECT_EQ(w_.stream(second)[2].area_id(), "area-test");

  // The chief follows up; she does not fulfil, renegotiate or cancel for the agency.
  auto follow = Req<v1::RecordFollowUpRequest>();
  follow.set_commitment_id(proposed);
  follow.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
  follow.set_note("Reminder sent to the school");
  EXPECT_EQ(Code(w_.Run(follow, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision followed = w_.Do(follow, chief_);
  const v1::CommitmentFollowedUp& up = followed.writes[0].events[0].commitment_followed_up();
  EXPECT_EQ(up.kind(), v1::FOLLOW_UP_KIND_REMINDER);
  EXPECT_EQ(World::Unseal(up.note().sealed()), "Reminder sent to the school");
  fulfil.set_request_id("chief-fulfils");
  run = w_.Run(fulfil, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("the chief follows it up"));
  w_.Do(fulfil, school_member_);
  follow.set_request_id("after-fulfilment");
  EXPECT_EQ(Code(w_.Run(follow, chief_)), absl::StatusCode::kFailedPrecondition);
}

// The one upcast: a CommitmentMade of before acceptance was recorded reads as accepted.
TEST(CommitmentUpcastTest, ACommitmentMadeOfBeforeReadsAsAccepted) {
  v1::Event old;
  old.set_area_id("area-test");
  old.mutable_commitment_made()->set_commitment_id("commitment-1");
  old.mutable_commitment_made()->set_owning_agency_id("agency-school");
  EXPECT_EQ(AcceptanceOf(old.commitment_made()), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  CommitmentState state;
  Evolve(state, old);
  EXPECT_TRUE(state.open());
  old.mutable_commitment_made()->set_acceptance(v1::COMMITMENT_ACCEPTANCE_PROPOSED);
  state = CommitmentState();
  Evolve(state, old);
  EXPECT_EQ(state.status, CommitmentStatus::kProposed);
}

// A task in a youth's case tells its agency whom the case is about: outside the § 115 exchange
// (an NGO), a commitment or an outreach task needs a consent in force that names the agency.
TEST_F(DecideTest, AnNgoTakesOnAYouthsTaskOnlyOnTheYouthsConsent) {
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  const std::string youth = AcceptedYouth();
  v1::RecordDecisionRequest decision = DecisionWithCommitment(MeetingFor(youth), youth);
  decision.mutable_commitments(0)->set_owning_agency_id("agency-ngo");
  decision.mutable_commitments(0)->set_responsible_person("mentor-q");
  decision.mutable_commitments(0)->clear_accepted_by();
  absl::StatusOr<Decision> d = w_.Run(decision, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("commitments[0].owning_agency_id: agency-ngo is no party to the § 115 "
                        "exchange"));
  auto outreach = Req<v1::AssignOutreachRequest>();
  outreach.set_youth_id(youth);
  outreach.set_agency_id("agency-ngo");
  outreach.set_person("mentor-q");
  outreach.set_task("Meet him at the club");
  EXPECT_EQ(Code(w_.Run(outreach, chief_)), absl::StatusCode::kFailedPrecondition);

  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("ngo mentoring");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.set_purpose("mentoring after school");
  consent.set_what("how school is going");
  consent.add_agency_ids("agency-ngo");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  w_.Do(consent, caseworker_);
  const Decision decided = w_.Do(decision, chief_);
  EXPECT_EQ(w_.stream(decided.created_ids.at(0)).at(0).commitment_made().owning_agency_id(),
            "agency-ngo");
  EXPECT_TRUE(w_.Run(outreach, chief_).ok());
  // A housing association is the area's housing-social work: no consent needed.
  Register("agency-housing", v1::AGENCY_KIND_HOUSING_ASSOCIATION);
  decision.set_request_id("to-housing");
  decision.mutable_commitments(0)->set_owning_agency_id("agency-housing");
  EXPECT_TRUE(w_.Run(decision, chief_).ok());
}

// The deadline process's fact: an accepted, open commitment past its due date is marked overdue
// by the system alone, once per due date, also when the process of before marked it.
TEST_F(DecideTest, TheSystemMarksACommitmentOverdueOncePerDueDate) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);  // due 2026-12-15
  const std::string older = Commitment(youth);
  const std::string fulfilled = Commitment(youth);
  const std::string proposed = ProposedCommitment(youth);
  auto mark = Req<v1::MarkCommitmentOverdueCommand>();
  mark.set_commitment_id(commitment);
  *mark.mutable_due_date() = Day(2026, 12, 15);
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);  // not yet
  w_.now_ = At(2026, 12, 16, 8);
  EXPECT_EQ(Code(w_.Run(mark, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(mark, admin_)), absl::StatusCode::kPermissionDenied);
  const Decision marked = w_.Do(mark, system_);
  ASSERT_EQ(marked.writes.size(), 1u);
  ASSERT_EQ(marked.writes[0].events.size(), 1u);
  const v1::Event& e = marked.writes[0].events[0];
  EXPECT_EQ(e.commitment_marked_overdue().commitment_id(), commitment);
  EXPECT_EQ(FormatDate(e.commitment_marked_overdue().due_date()), "2026-12-15");
  EXPECT_EQ(e.actor().person(), "system");
  EXPECT_EQ(e.actor().role(), "system");
  EXPECT_EQ(e.area_id(), "area-test");
  EXPECT_EQ(marked.occurred_at, At(2026, 12, 16));  // the day after the due date began
  mark.set_request_id("mark-again");
  const absl::StatusOr<Decision> again = w_.Run(mark, system_);
  EXPECT_EQ(Code(again), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already"));

  // Renegotiated, it is marked again when the new date passes; a stale date is refused.
  auto renegotiate = Req<v1::RenegotiateCommitmentRequest>();
  renegotiate.set_commitment_id(commitment);
  *renegotiate.mutable_new_due_date() = Day(2027, 1, 15);
  renegotiate.set_reason("The family moved");
  w_.Do(renegotiate, school_leader_);
  w_.now_ = At(2027, 1, 20);
  mark.set_request_id("mark-stale");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);
  *mark.mutable_due_date() = Day(2027, 1, 15);
  EXPECT_EQ(w_.Do(mark, system_).occurred_at, At(2027, 1, 16));

  // Marked by the process of before (its own event ids): not marked again.
  v1::Event before;
  before.mutable_commitment_marked_overdue()->set_commitment_id(older);
  *before.mutable_commitment_marked_overdue()->mutable_due_date() = Day(2026, 12, 15);
  w_.AppendOfBefore(older, before);
  mark.set_commitment_id(older);
  *mark.mutable_due_date() = Day(2026, 12, 15);
  mark.set_request_id("mark-older");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);

  // Fulfilled meanwhile, or only proposed: nothing to mark.
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(fulfilled);
  w_.Do(fulfil, school_member_);
  mark.set_commitment_id(fulfilled);
  mark.set_request_id("mark-fulfilled");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);
  mark.set_commitment_id(proposed);
  mark.set_request_id("mark-proposed");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);
  mark.set_commitment_id("commitment-none");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kNotFound);
}

// The hotspot secretariat's own commitments move like any agency's: its staff accept, report
// progress and fulfil; the chief, its leader, renegotiates and cancels. She still never acts for
// another agency.
TEST_F(DecideTest, TheSecretariatsOwnCommitmentsAreActedOnByItsStaffAndItsChief) {
  const std::string youth = AcceptedYouth();
  v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
  d.mutable_commitments(0)->set_owning_agency_id("agency-hotspot");
  d.mutable_commitments(0)->set_responsible_person("staff-bo");
  d.mutable_commitments(0)->clear_accepted_by();  // staff-bo was not at the meeting
  const std::string ours = w_.Do(d, chief_).created_ids.at(0);
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(ours);
  EXPECT_EQ(Code(w_.Run(accept, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(accept, staff_).writes[0].events[0].commitment_accepted().accepted_by(),
            "staff-bo");

  auto progress = Req<v1::ReportProgressRequest>();
  progress.set_commitment_id(ours);
  progress.set_note("Met the youth at the club twice");
  const Decision reported = w_.Do(progress, staff_);
  EXPECT_EQ(reported.writes[0].events[0].actor().person(), "staff-bo");
  EXPECT_EQ(World::Unseal(reported.writes[0].events[0].progress_reported().note().sealed()),
            "Met the youth at the club twice");

  // Renegotiating and cancelling are the secretariat's leader's: the chief, not her staff.
  auto renegotiate = Req<v1::RenegotiateCommitmentRequest>();
  renegotiate.set_commitment_id(ours);
  *renegotiate.mutable_new_due_date() = Day(2027, 1, 15);
  renegotiate.set_reason("The youth is away over Christmas");
  const absl::StatusOr<Decision> by_staff = w_.Run(renegotiate, staff_);
  EXPECT_EQ(Code(by_staff), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(by_staff.status().message()),
              HasSubstr("only agency-hotspot's leaders do (the hotspot chief)"));
  const Decision renegotiated = w_.Do(renegotiate, chief_);
  EXPECT_EQ(renegotiated.writes[0].events[0].commitment_renegotiated().new_due_date().month(), 1);

  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(ours);
  EXPECT_EQ(Code(w_.Run(fulfil, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision fulfilled = w_.Do(fulfil, staff_);
  EXPECT_EQ(fulfilled.writes[0].events[0].commitment_fulfilled().commitment_id(), ours);

  // Another agency's commitment: the chief still only follows it up.
  const std::string schools = Commitment(youth);
  auto cancel = Req<v1::CancelCommitmentRequest>();
  cancel.set_commitment_id(schools);
  cancel.set_reason("No longer needed");
  const absl::StatusOr<Decision> for_school = w_.Run(cancel, chief_);
  EXPECT_EQ(Code(for_school), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(for_school.status().message()), HasSubstr("the chief follows it up"));
  EXPECT_EQ(Code(w_.Run(cancel, staff_)), absl::StatusCode::kPermissionDenied);
}

// A declined commitment goes back to the chief, who takes it to the next meeting: a commitment
// proposed there in its place marks it taken up. Only a declined commitment, of the same area
// and case.
// A coordinator acts for an agency only as the area's registered hotspot secretariat: the
// chief's token bound to the school neither accepts, declines nor renegotiates the school's
// commitments, nor shares a concern in its name; she still coordinates (a follow-up).
TEST_F(DecideTest, ACoordinatorBoundToAnotherAgencyDoesNotActAsThatAgency) {
  const std::string youth = AcceptedYouth();
  const std::string proposed = ProposedCommitment(youth);
  const Principal as_school = Who(chief_.person, "agency-school", Role::kCoordinator);
  const std::string says =
      "a coordinator acts for an agency only as the area's hotspot secretariat, and "
      "agency-school is registered as AGENCY_KIND_SCHOOL";
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(proposed);
  absl::StatusOr<Decision> d = w_.Run(accept, as_school);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(says));
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(proposed);
  decline.set_reason("Not ours");
  EXPECT_THAT(std::string(w_.Run(decline, as_school).status().message()), HasSubstr(says));
  const std::string accepted = Commitment(youth);
  auto renegotiate = Req<v1::RenegotiateCommitmentRequest>();
  renegotiate.set_commitment_id(accepted);
  *renegotiate.mutable_new_due_date() = Day(2027, 1, 15);
  renegotiate.set_reason("Later");
  d = w_.Run(renegotiate, as_school);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(says));
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-school");
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.set_text("Absent again");
  share.set_necessity("The task force plans the school's part");
  share.add_recipient_agency_ids("agency-police");
  d = w_.Run(share, as_school);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(says));
  // Nothing was written for the school.
  CommitmentState state;
  for (const auto& e : w_.stream(proposed)) Evolve(state, e);
  EXPECT_EQ(state.status, CommitmentStatus::kProposed);
  // Coordination stays hers: she follows the commitment up.
  auto follow = Req<v1::RecordFollowUpRequest>();
  follow.set_commitment_id(proposed);
  follow.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
  follow.set_note("Reminder sent");
  const Decision followed = w_.Do(follow, as_school);
  EXPECT_EQ(followed.writes.at(0).events.at(0).commitment_followed_up().kind(),
            v1::FOLLOW_UP_KIND_REMINDER);
  // The school's own people still answer for it.
  EXPECT_EQ(w_.Do(accept, school_member_).writes.at(0).events.at(0).actor().person(),
            "teacher-ole");
}

TEST_F(DecideTest, ADeclinedCommitmentIsTakenUpByOneProposedInItsPlace) {
  const std::string youth = AcceptedYouth();
  const std::string declined = ProposedCommitment(youth);
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(declined);
  decline.set_reason("No staff for morning calls");
  w_.Do(decline, school_leader_);

  v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
  d.mutable_commitments(0)->set_owning_agency_id("agency-social");
  d.mutable_commitments(0)->set_responsible_person("caseworker-lis");
  d.mutable_commitments(0)->clear_accepted_by();
  d.mutable_commitments(0)->set_replaces_commitment_id("bogus");
  absl::StatusOr<Decision> run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("commitments[0].replaces_commitment_id"));
  // Not declined: nothing to take up.
  d.mutable_commitments(0)->set_replaces_commitment_id(Commitment(youth));
  run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("commitments[0].replaces_commitment_id: "));
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("is not declined"));
  // Another youth's case: refused.
  const std::string other = AcceptedYouth();
  v1::RecordDecisionRequest elsewhere = d;
  elsewhere.set_meeting_id(MeetingFor(other));
  elsewhere.set_youth_id(other);
  elsewhere.mutable_commitments(0)->set_replaces_commitment_id(declined);
  run = w_.Run(elsewhere, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      std::string(run.status().message()),
      HasSubstr(absl::StrCat("is of ", youth, " in area-test, not of this decision's ", other)));

  d.set_request_id("takes-it-up");
  d.mutable_commitments(0)->set_replaces_commitment_id(declined);
  const Decision decided = w_.Do(d, chief_);
  const std::string replacement = decided.created_ids.at(0);
  ASSERT_EQ(w_.stream(declined).size(), 3u);  // made, declined, taken up
  const v1::Event& event = w_.stream(declined)[2];
  EXPECT_EQ(event.commitment_taken_up().commitment_id(), declined);
  EXPECT_EQ(event.commitment_taken_up().by_commitment_id(), replacement);
  EXPECT_EQ(event.commitment_taken_up().by_escalation_id(), "");
  EXPECT_EQ(event.commitment_taken_up().meeting_id(), d.meeting_id());
  EXPECT_EQ(event.commitment_taken_up().decision_id(), decided.id);
  EXPECT_EQ(event.actor().person(), "chief-anna");
  // The new one is proposed to its agency, as any.
  EXPECT_EQ(w_.stream(replacement)[0].commitment_made().acceptance(),
            v1::COMMITMENT_ACCEPTANCE_PROPOSED);

  // Taken up once: not a second time.
  d.set_request_id("takes-it-up-again");
  d.set_meeting_id(MeetingFor(youth));
  run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr(absl::StrCat("commitments[0].replaces_commitment_id: ", declined,
                                     " is taken up already")));
  EXPECT_EQ(w_.stream(declined).size(), 3u);
}

// Review 13b, N3: the staff record the meetings, so a proposal is often theirs by authorship;
// the area's chief takes it back too. Another of the staff does not.
TEST_F(DecideTest, TheChiefWithdrawsAProposalHerStaffRecorded) {
  const std::string youth = AcceptedYouth();
  v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
  d.mutable_commitments(0)->clear_accepted_by();
  const std::string proposed = w_.Do(d, staff_).created_ids.at(0);  // staff-bo's
  auto withdraw = Req<v1::WithdrawProposalRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_commitment_id(proposed);
  withdraw.set_reason("The family moved away");
  const absl::StatusOr<Decision> refused =
      w_.Run(withdraw, Who("staff-eva", "agency-hotspot", Role::kCoordinator));
  EXPECT_EQ(Code(refused), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("withdraw this proposal: only its author (staff-bo), the area's chief "
                        "(chief-anna) or an admin of area-test (an operator's repair) does"));
  const Decision withdrawn = w_.Do(withdraw, chief_);
  ASSERT_TRUE(withdrawn.writes[0].events[0].has_commitment_proposal_withdrawn());
  EXPECT_EQ(withdrawn.writes[0].events[0].actor().person(), "chief-anna");
}

TEST_F(DecideTest, AProposalIsWithdrawnByItsAuthorOrAnAdminWhileProposed) {
  const std::string youth = AcceptedYouth();
  const std::string proposed = ProposedCommitment(youth);  // proposed by chief-anna's decision

  auto withdraw = Req<v1::WithdrawProposalRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_commitment_id(proposed);
  withdraw.set_reason("The family moved away");
  // The case cannot close over the unanswered proposal.
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  Cite(close);
  absl::StatusOr<Decision> run = w_.Run(close, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr(proposed));

  // Not the owning agency (it declines), not the chief's staff, not an admin of another area.
  run = w_.Run(withdraw, school_leader_);
  EXPECT_EQ(Code(run), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("only its author (chief-anna)"));
  EXPECT_EQ(Code(w_.Run(withdraw, staff_)), absl::StatusCode::kPermissionDenied);
  Principal other_admin = admin_;
  other_admin.areas = {"area-other"};
  // (Of another area, the commitment is refused as an unknown id: review 13b, N10.)
  EXPECT_EQ(Code(w_.Run(withdraw, other_admin)), absl::StatusCode::kNotFound);
  // The youth named must be the commitment's.
  v1::WithdrawProposalRequest elsewhere = withdraw;
  elsewhere.set_youth_id(AcceptedYouth());
  run = w_.Run(elsewhere, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("youth_id: "));
  withdraw.set_reason("");
  EXPECT_EQ(Code(w_.Run(withdraw, chief_)), absl::StatusCode::kInvalidArgument);
  withdraw.set_reason("The family moved away");

  // Its author withdraws it: the reason sealed under the youth.
  const Decision withdrawn = w_.Do(withdraw, chief_);
  // The commitment, and what was read: the area (its chief), the owning agency (whether an
  // escalation of it stands).
  ASSERT_EQ(withdrawn.writes.size(), 3u);
  EXPECT_TRUE(withdrawn.writes[1].events.empty());
  EXPECT_TRUE(withdrawn.writes[2].events.empty());
  ASSERT_EQ(withdrawn.writes[0].events.size(), 1u);
  const v1::Event& event = withdrawn.writes[0].events[0];
  ASSERT_TRUE(event.has_commitment_proposal_withdrawn());
  EXPECT_EQ(event.commitment_proposal_withdrawn().commitment_id(), proposed);
  EXPECT_EQ(event.actor().person(), "chief-anna");
  ASSERT_TRUE(event.commitment_proposal_withdrawn().reason().has_sealed());
  EXPECT_EQ(World::Unseal(event.commitment_proposal_withdrawn().reason().sealed()),
            "The family moved away");
  CommitmentState state;
  for (const v1::Event& e : w_.stream(proposed)) Evolve(state, e);
  EXPECT_EQ(state.status, CommitmentStatus::kWithdrawn);
  EXPECT_FALSE(state.pending());

  // Only while proposed: not twice, not once the agency answered; naming the commitment.
  withdraw.set_request_id("again");
  run = w_.Run(withdraw, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr(absl::StrCat("commitment_id: ", proposed)));
  auto accept = Req<v1::AcceptCommitmentRequest>();
  accept.set_commitment_id(proposed);
  EXPECT_EQ(Code(w_.Run(accept, school_member_)), absl::StatusCode::kFailedPrecondition);
  const std::string accepted = Commitment(youth);
  v1::WithdrawProposalRequest answered = withdraw;
  answered.set_request_id("answered");
  answered.set_commitment_id(accepted);
  run = w_.Run(answered, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr(absl::StrCat("commitment_id: ", accepted)));
  const std::string declined = ProposedCommitment(youth);
  auto decline = Req<v1::DeclineCommitmentRequest>();
  decline.set_commitment_id(declined);
  decline.set_reason("Not ours");
  w_.Do(decline, school_leader_);
  answered.set_commitment_id(declined);
  EXPECT_EQ(Code(w_.Run(answered, chief_)), absl::StatusCode::kFailedPrecondition);
  // An admin of the area withdraws another's proposal.
  const std::string by_admin = ProposedCommitment(youth);
  answered.set_request_id("by-admin");
  answered.set_commitment_id(by_admin);
  EXPECT_TRUE(w_.Do(answered, admin_).writes[0].events[0].has_commitment_proposal_withdrawn());

  // Nothing pending: the case closes (the accepted one fulfilled first).
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(accepted);
  w_.Do(fulfil, school_member_);
  w_.Do(close, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_CLOSED);
}

// Review 13d, a: a proposal left unanswered and escalated stands before the agency's leadership
// until they answer: its author does not withdraw it from under the escalation (which would
// stay open over a withdrawn commitment). Once the escalation is resolved, she may.
TEST_F(DecideTest, AnEscalatedProposalIsWithdrawnOnlyOnceItsEscalationIsResolved) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string proposed = ProposedCommitment(youth);
  w_.now_ += absl::Hours(24 * 14);  // left unanswered for the days to acknowledge
  v1::RaiseEscalationRequest raise = Escalating("agency-school", proposed);
  raise.set_youth_id(youth);
  const std::string escalation = w_.Do(raise, chief_).id;

  auto withdraw = Req<v1::WithdrawProposalRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_commitment_id(proposed);
  withdraw.set_reason("The family moved away");
  const absl::StatusOr<Decision> refused = w_.Run(withdraw, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("commitment_id: ", proposed, " is escalated by ", escalation,
                         ", which stands (not resolved): agency-school's leadership answers it "
                         "first; the proposal is withdrawn once it is resolved"));
  for (const v1::Event& e : w_.stream(proposed)) {
    EXPECT_FALSE(e.has_commitment_proposal_withdrawn());
  }

  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("The family moved; nothing for the school to do");
  w_.Do(resolve, school_leader_);
  const Decision withdrawn = w_.Do(withdraw, chief_);
  EXPECT_EQ(withdrawn.writes[0].stream, proposed);
  ASSERT_EQ(withdrawn.writes[0].events.size(), 1u);
  EXPECT_EQ(withdrawn.writes[0].events[0].commitment_proposal_withdrawn().commitment_id(),
            proposed);
}

// Review 13b, N10: a caller of another area naming a commitment, an escalation or a meeting of
// this one is told what an unknown id tells it (NOT_FOUND, in the same words), not its area.
TEST_F(DecideTest, AnItemOfAnotherAreaIsRefusedAsAnUnknownIdIs) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = CommitmentOf(youth, police_leader_);
  const std::string escalation = w_.Do(Escalating("agency-police", commitment), chief_).id;
  const std::string meeting = MeetingFor(youth);
  const Principal other{"chief-bo", "agency-hotspot", Role::kCoordinator, {"area-other"}};
  // The refusal of `id`, and of an unknown id of its kind with `id` put in its place.
  auto same_as_unknown = [&](auto request, auto set_id, const std::string& id,
                             const std::string& category) {
    SCOPED_TRACE(id);
    set_id(request, id);
    const absl::Status known = w_.Run(request, other).status();
    const std::string unknown_id = absl::StrCat(category, "-none");
    set_id(request, unknown_id);
    const absl::Status unknown = w_.Run(request, other).status();
    EXPECT_EQ(known.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(std::string(known.message()),
              absl::StrReplaceAll(unknown.message(), {{unknown_id, id}}));
    EXPECT_THAT(std::string(known.message()), Not(HasSubstr("area-test")));
  };
  auto follow_up = Req<v1::RecordFollowUpRequest>();
  follow_up.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
  follow_up.set_note("Please call the family");
  same_as_unknown(
      follow_up, [](auto& r, const std::string& id) { r.set_commitment_id(id); }, commitment,
      "commitment");
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  same_as_unknown(
      ack, [](auto& r, const std::string& id) { r.set_escalation_id(id); }, escalation,
      "escalation");
  same_as_unknown(
      Topic(meeting, "Summer holiday activities"),
      [](auto& r, const std::string& id) { r.set_meeting_id(id); }, meeting, "meeting");
  // The area's own chief is told as before.
  follow_up.set_commitment_id(commitment);
  EXPECT_TRUE(w_.Run(follow_up, chief_).ok());
}

}  // namespace
}  // namespace hotspot::domain
