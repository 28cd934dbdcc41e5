// escalation.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>
#include <utility>
#include <vector>

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
  const std::string commitment = CommitmentOf(youth, police_leader_);
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-school");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Calls not made for three weeks");
  raise.add_commitment_ids(commitment);
  // Not the school's commitment (and the school has no ladder).
  EXPECT_EQ(Code(w_.Run(raise, chief_)), absl::StatusCode::kFailedPrecondition);
  raise.set_youth_id(youth);
  raise.set_target_agency_id("agency-police");
  EXPECT_EQ(Code(w_.Run(raise, school_leader_)), absl::StatusCode::kPermissionDenied);
  raise.clear_commitment_ids();
  EXPECT_EQ(Code(w_.Run(raise, chief_)), absl::StatusCode::kInvalidArgument);
  raise.add_commitment_ids(commitment);
  raise.clear_youth_id();
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
  // The director level has its chance first: its contact (the local police chief) acknowledges.
  EXPECT_EQ(Code(w_.Run(up, chief_)), absl::StatusCode::kFailedPrecondition);
  ack.set_request_id("ack-director");
  w_.Do(ack, Who("police-boss-2", "agency-police", Role::kAgencyLeader));
  EXPECT_EQ(w_.Do(up, chief_).writes[0].events[0].escalation_moved_up().to_level(),
            v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);
  up.set_request_id("up-3");
  EXPECT_EQ(Code(w_.Run(up, chief_)), absl::StatusCode::kFailedPrecondition);  // the top

  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("Patrols agreed with the station chief");
  // Not by whoever raised it, not by another agency's leadership, not by the police's contact
  // of a lower rung: at the political level, the police director.
  EXPECT_EQ(Code(w_.Run(resolve, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(resolve, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Principal raiser_as_leader = Who("chief-anna", "agency-police", Role::kAgencyLeader);
  EXPECT_EQ(Code(w_.Run(resolve, raiser_as_leader)), absl::StatusCode::kPermissionDenied);
  const absl::StatusOr<Decision> by_coordinator = w_.Run(resolve, police_leader_);
  EXPECT_EQ(Code(by_coordinator), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(by_coordinator.status().message()),
              HasSubstr("at ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP only agency-police's "
                        "contact for that rung, police-boss-3, does"));
  const Principal director = Who("police-boss-3", "agency-police", Role::kAgencyLeader);
  const Decision resolved = w_.Do(resolve, director);
  EXPECT_EQ(resolved.writes[0].events[0].actor().person(), "police-boss-3");
  EXPECT_EQ(Code(w_.Run(resolve, director)), absl::StatusCode::kFailedPrecondition);
}

// The ladder's rungs: an escalation starts at the steering group; at each level only the
// target's contact for that rung answers; the police's ladder is their own (the area's police
// coordinator, the local police chief, the police director), never a mayor.
TEST_F(DecideTest, TheLaddersRungsAnswerEachLevelAndThePoliceHaveTheirOwn) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = CommitmentOf(youth, police_leader_);
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-police");
  raise.set_level(v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);  // straight to the top
  raise.set_reason("No patrols for a month");
  raise.add_commitment_ids(commitment);
  absl::StatusOr<Decision> d = w_.Run(raise, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("level: an escalation starts at"));

  // A police ladder with a mayor is refused; a school's with a police rung too.
  auto mayor = Req<v1::SetLeadershipLadderRequest>();
  mayor.set_agency_id("agency-police");
  mayor.add_contacts()->set_level(v1::LEADERSHIP_LEVEL_POLITICAL);
  mayor.mutable_contacts(0)->set_person("mayor-jens");
  d = w_.Run(mayor, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("never a mayor"));
  mayor.set_agency_id("agency-school");
  mayor.mutable_contacts(0)->set_level(v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR);
  EXPECT_EQ(Code(w_.Run(mayor, school_leader_)), absl::StatusCode::kFailedPrecondition);

  // The area designates its police coordinator ("Der etableres en koordinatorfunktion i
  // Københavns Politi"; "each area designates", issue 13 §4): the chief, or an admin of the
  // area; the steering-group rung from then on. Not the police themselves, not the staff.
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id("area-test");
  designate.set_agency_id("agency-school");
  designate.set_person("coordinator-lone");
  EXPECT_EQ(Code(w_.Run(designate, chief_)), absl::StatusCode::kFailedPrecondition);  // a school
  designate.set_agency_id("agency-police");
  EXPECT_EQ(Code(w_.Run(designate, school_leader_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(designate, police_leader_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(designate, staff_)), absl::StatusCode::kPermissionDenied);
  // One of the police's own people, as they named them.
  EXPECT_EQ(Code(w_.Run(designate, chief_)), absl::StatusCode::kFailedPrecondition);
  NamePeople("agency-police", {"coordinator-lone"}, police_leader_);
  const Decision designated = w_.Do(designate, chief_);
  const v1::PoliceCoordinatorDesignated& event =
      designated.writes[0].events[0].police_coordinator_designated();
  EXPECT_EQ(event.area_id(), "area-test");
  EXPECT_EQ(event.agency_id(), "agency-police");
  EXPECT_EQ(event.person(), "coordinator-lone");
  EXPECT_EQ(Code(w_.Run(designate, admin_)), absl::StatusCode::kFailedPrecondition);  // already

  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  const std::string escalation = w_.Do(raise, chief_).id;
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  // The ladder's coordinator gave way to the area's designated one.
  EXPECT_EQ(Code(w_.Run(ack, police_leader_)), absl::StatusCode::kPermissionDenied);
  const Principal lone = Who("coordinator-lone", "agency-police", Role::kAgencyMember);
  w_.Do(ack, lone);
  // At the director level: the local police chief, not the coordinator.
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("Acknowledged, nothing happened");
  w_.Do(up, chief_);
  ack.set_request_id("ack-director");
  EXPECT_EQ(Code(w_.Run(ack, lone)), absl::StatusCode::kPermissionDenied);
  const Principal station_chief = Who("police-boss-2", "agency-police", Role::kAgencyLeader);
  w_.Do(ack, station_chief);
  EscalationState state;
  for (const v1::Event& e : w_.stream(escalation)) Evolve(state, e);
  EXPECT_EQ(state.level, v1::ESCALATION_LEVEL_DIRECTOR);
  EXPECT_TRUE(state.acknowledged);
}

// Review 13b, S2: an escalation names each commitment once; a declined one it takes up is
// taken up once (one CommitmentTakenUp), not once per mention.
// A youth named in an escalation must have a case in its area: one with no case and one of
// another area are refused in the same words (LoadYouthInArea), so that a chief of another area
// does not learn which ids have a case.
TEST_F(DecideTest, AnEscalationNamesAYouthOnlyOfItsArea) {
  const std::string youth = AcceptedYouth();
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-police");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Calls not made for three weeks");
  raise.add_commitment_ids(CommitmentOf(youth, police_leader_));
  raise.set_youth_id("youth-nobody");
  absl::StatusOr<Decision> d = w_.Run(raise, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(), "youth_id: youth-nobody has no case in area-test");
  raise.set_youth_id(youth);
  EXPECT_TRUE(w_.Run(raise, chief_).ok());
}

// Review 13b, S3: an escalation concerns the target agency's own commitments (README). One
// about a youth's case names them: not an agency with no task in the case, whose contact would
// answer for what it has no part in. The same in a meeting's decision; an escalation about the
// area in a decision about the area still names none.
TEST_F(DecideTest, AnEscalationAboutACaseNamesTheTargetsOwnCommitmentsInIt) {
  const std::string youth = AcceptedYouth();
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-police");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Nobody follows up on the boy");
  raise.set_youth_id(youth);
  absl::StatusOr<Decision> d = w_.Run(raise, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr("commitment_ids: name the target agency's commitments it concerns"));

  const std::string meeting = MeetingFor(youth);
  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(meeting);
  decision.set_youth_id(youth);
  decision.set_text("Take it to the police's leadership");
  auto* escalation = decision.add_escalations();
  escalation->set_target_agency_id("agency-police");
  escalation->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  escalation->set_reason("Nobody follows up on the boy");
  d = w_.Run(decision, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("escalations[0].commitment_ids: an escalation about ", youth,
                         "'s case names the target agency's commitments in it"));
  // Naming the police's own commitment in the case, it is raised.
  const std::string commitment = CommitmentOf(youth, police_leader_);
  escalation->add_commitment_ids(commitment);
  const Decision raised = w_.Do(decision, chief_);
  const std::string id = raised.created_ids.at(0);
  ASSERT_FALSE(w_.stream(id).empty());
  const v1::EscalationRaised& event = w_.stream(id)[0].escalation_raised();
  EXPECT_EQ(event.youth_id(), youth);
  EXPECT_THAT(event.commitment_ids(), ElementsAre(commitment));
  EXPECT_EQ(event.target_agency_id(), "agency-police");

  // About the area, at a decision about the area: no commitments needed.
  auto area = Req<v1::RecordDecisionRequest>();
  area.set_meeting_id(meeting);
  area.set_text("The police's patrols at the square");
  *area.add_escalations() = *escalation;
  area.mutable_escalations(0)->clear_commitment_ids();
  const Decision about_area = w_.Do(area, chief_);
  EXPECT_TRUE(w_.stream(about_area.created_ids.at(0))[0].escalation_raised().youth_id().empty());
}

// The same for a commitment it names, which names its youth: one that does not exist and one of
// another area are refused in the same words (LoadCommitmentInArea), before its status or its
// youth is told; so is the youth of another area next to one with no case.
TEST_F(DecideTest, AnEscalationNamesACommitmentOnlyOfItsArea) {
  SchoolLadder();
  OtherAreasCase();
  auto raise = [&](const std::string& commitment) {
    return w_.Run(Escalating("agency-school", commitment), chief_);
  };
  const absl::StatusOr<Decision> other = raise("commitment-b");
  ExpectRefusedAlike(raise("commitment-nobody"), "commitment-nobody", other, "commitment-b",
                     absl::StatusCode::kNotFound);
  EXPECT_EQ(other.status().message(), "commitment_ids[0]: no commitment commitment-b");
  auto youth = [&](const std::string& id) {
    auto r = Req<v1::RaiseEscalationRequest>();
    r.set_area_id("area-test");
    r.set_target_agency_id("agency-school");
    r.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    r.set_reason("Calls not made for three weeks");
    r.set_youth_id(id);
    r.add_commitment_ids("commitment-nobody");  // the youth is refused first
    return w_.Run(r, chief_);
  };
  ExpectRefusedAlike(youth("youth-nobody"), "youth-nobody", youth("youth-b"), "youth-b",
                     absl::StatusCode::kFailedPrecondition);
}

// Review 13c, 1 and g: an escalation about a youth's case does not reach an agency through a
// commitment of the area (whose people would then read the reason sealed under the youth), nor
// does one about the area (a topic decision's) name a youth's commitment; one never mixes both.
TEST_F(DecideTest, AnEscalationIsAboutAYouthsCommitmentsOrTheAreasNeverBoth) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  v1::RecordDecisionRequest topic = DecisionWithCommitment(meeting, "");
  const std::string of_area = w_.Do(topic, chief_).created_ids.at(0);
  const std::string of_youth = Commitment(youth);
  auto raise = [&](const std::string& about, const std::vector<std::string>& commitments) {
    v1::RaiseEscalationRequest r = Escalating("agency-school", commitments.at(0));
    r.set_youth_id(about);
    for (size_t i = 1; i < commitments.size(); ++i) r.add_commitment_ids(commitments[i]);
    return w_.Run(r, chief_);
  };
  absl::StatusOr<Decision> d = raise(youth, {of_area});
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("commitment_ids[0]: ", of_area, " is a commitment of the area; the "
                         "escalation concerns ", youth, "'s case, and the target's commitments "
                         "in it"));
  d = raise("", {of_area, of_youth});
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("commitment_ids[1]: ", of_youth, " is of a youth's case; the escalation "
                         "concerns the area, and the target's commitments of the area"));
  d = raise("", {of_youth, of_area});
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr(absl::StrCat("commitment_ids[1]: ", of_area, " is a commitment of the "
                                     "area; the escalation concerns ", youth, "'s case")));
  // In a topic decision: the area's commitments only.
  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(meeting);
  decision.set_text("The school's calls");
  auto* escalation = decision.add_escalations();
  escalation->set_target_agency_id("agency-school");
  escalation->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  escalation->set_reason("Calls not made for three weeks");
  escalation->add_commitment_ids(of_youth);
  d = w_.Run(decision, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("escalations[0].commitment_ids[0]: ", of_youth, " is of a youth's case; "
                         "the escalation concerns the area, and the target's commitments of the "
                         "area"));
  // Each as it should be: raised, about its youth or about the area.
  escalation->set_commitment_ids(0, of_area);
  const Decision about_area = w_.Do(decision, chief_);
  const v1::EscalationRaised& area_raised =
      w_.stream(about_area.created_ids.at(0))[0].escalation_raised();
  EXPECT_TRUE(area_raised.youth_id().empty());
  EXPECT_THAT(area_raised.commitment_ids(), ElementsAre(of_area));
  ASSERT_TRUE(raise(youth, {of_youth}).ok());
}

// Review 13c, 2: an agency that never answers a proposal is escalated like one that declines,
// once it had the area's days to acknowledge (14) since the meeting that proposed it.
TEST_F(DecideTest, AProposalLeftUnansweredIsEscalatedAfterTheDaysToAcknowledge) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string proposed = ProposedCommitment(youth);
  v1::RaiseEscalationRequest r = Escalating("agency-school", proposed);
  r.set_youth_id(youth);
  const absl::Time held = w_.now_;
  w_.now_ = held + absl::Hours(24 * 14) - absl::Minutes(1);
  absl::StatusOr<Decision> d = w_.Run(r, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("commitment_ids[0]: ", proposed,
                         " is proposed and awaits its agency's answer: it may be escalated once "
                         "left unanswered for 14 days after it was proposed (from ",
                         absl::FormatTime("%Y-%m-%d %H:%M UTC", held + absl::Hours(24 * 14),
                                          absl::UTCTimeZone()),
                         ")"));
  w_.now_ = held + absl::Hours(24 * 14);
  const Decision raised = w_.Do(r, chief_);
  const v1::EscalationRaised& event = w_.stream(raised.id)[0].escalation_raised();
  EXPECT_EQ(event.youth_id(), youth);
  EXPECT_THAT(event.commitment_ids(), ElementsAre(proposed));
}

// Review 13d, 1: the days to acknowledge run from when the proposal was recorded, not from the
// meeting: a decision recorded 10 days after its meeting leaves the agency its 14 days.
TEST_F(DecideTest, TheDaysToAcknowledgeRunFromTheProposalNotTheMeeting) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  v1::RecordDecisionRequest decision = DecisionWithCommitment(MeetingFor(youth), youth);
  decision.mutable_commitments(0)->clear_accepted_by();
  const absl::Time held = w_.now_;
  w_.now_ = held + absl::Hours(24 * 10);  // the minutes, 10 days on
  const absl::Time proposed_at = w_.now_;
  const std::string proposed = w_.Do(decision, chief_).created_ids.at(0);
  EXPECT_EQ(TimeOf(w_.stream(proposed)[0].commitment_made().made_at()), proposed_at);
  v1::RaiseEscalationRequest r = Escalating("agency-school", proposed);
  r.set_youth_id(youth);
  // 14 days after the meeting, but 4 after the proposal: refused until 14 days after it.
  const absl::Time from = proposed_at + absl::Hours(24 * 14);
  for (const absl::Time now : {held + absl::Hours(24 * 14), from - absl::Seconds(1)}) {
    w_.now_ = now;
    const absl::StatusOr<Decision> d = w_.Run(r, chief_);
    EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(d.status().message(),
              absl::StrCat("commitment_ids[0]: ", proposed,
                           " is proposed and awaits its agency's answer: it may be escalated once "
                           "left unanswered for 14 days after it was proposed (from ",
                           absl::FormatTime("%Y-%m-%d %H:%M UTC", from, absl::UTCTimeZone()),
                           ")"));
  }
  w_.now_ = from;
  const Decision raised = w_.Do(r, chief_);
  const v1::EscalationRaised& event = w_.stream(raised.id)[0].escalation_raised();
  EXPECT_EQ(event.youth_id(), youth);
  EXPECT_THAT(event.commitment_ids(), ElementsAre(proposed));
}

// A proposal of before (no made_at) is counted from its meeting, as it was.
TEST_F(DecideTest, AProposalOfBeforeCountsItsDaysFromItsMeeting) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  v1::RecordDecisionRequest decision = DecisionWithCommitment(MeetingFor(youth), youth);
  decision.mutable_commitments(0)->clear_accepted_by();
  const absl::Time held = w_.now_;
  w_.now_ = held + absl::Hours(24 * 10);
  const Decision decided = w_.Run(decision, chief_).value();
  // The same decision as written before made_at existed.
  for (const StreamWrite& write : decided.writes) {
    for (v1::Event event : write.events) {
      if (event.has_commitment_made()) event.mutable_commitment_made()->clear_made_at();
      w_.AppendOfBefore(write.stream, std::move(event));
    }
  }
  const std::string proposed = decided.created_ids.at(0);
  v1::RaiseEscalationRequest r = Escalating("agency-school", proposed);
  r.set_youth_id(youth);
  w_.now_ = held + absl::Hours(24 * 14) - absl::Seconds(1);
  EXPECT_EQ(Code(w_.Run(r, chief_)), absl::StatusCode::kFailedPrecondition);
  w_.now_ = held + absl::Hours(24 * 14);
  const Decision raised = w_.Do(r, chief_);
  EXPECT_THAT(w_.stream(raised.id)[0].escalation_raised().commitment_ids(), ElementsAre(proposed));
}

// An escalation raised before AgencyEscalated existed is unknown to its agency's stream, and so
// to the rule of one escalation of a commitment at a time; the deadline process has its agency
// learn of it (RecordAgencyEscalatedCommand), once, and the rule holds from then on.
TEST_F(DecideTest, AnEscalationOfBeforeIsRecordedAtItsAgencyOnceAndThenStandsInTheWay) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);
  // Raised as before: its agency's stream does not record it.
  const Decision raised = w_.Run(Escalating("agency-school", commitment), chief_).value();
  for (const StreamWrite& write : raised.writes) {
    for (const v1::Event& event : write.events) {
      if (!event.has_agency_escalated()) w_.AppendOfBefore(write.stream, event);
    }
  }
  const std::string old = raised.id;
  v1::RaiseEscalationRequest again = Escalating("agency-school", commitment);
  again.set_request_id("again");
  ASSERT_TRUE(w_.Run(again, chief_).ok());  // unseen: the gap this command closes

  auto record = Req<v1::RecordAgencyEscalatedCommand>();
  record.set_escalation_id(old);
  EXPECT_EQ(Code(w_.Run(record, chief_)), absl::StatusCode::kPermissionDenied);
  const Decision recorded = w_.Do(record, system_);
  std::vector<std::pair<std::string, v1::Event>> written;  // (stream, event)
  for (const StreamWrite& write : recorded.writes) {
    for (const v1::Event& event : write.events) written.emplace_back(write.stream, event);
  }
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].first, "agency-school");
  EXPECT_EQ(written[0].second.agency_escalated().agency_id(), "agency-school");
  EXPECT_EQ(written[0].second.agency_escalated().escalation_id(), old);
  EXPECT_EQ(written[0].second.actor().person(), "system");
  record.set_request_id("record-again");
  absl::StatusOr<Decision> d = w_.Run(record, system_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(), absl::StrCat(old, " is known at agency-school already"));

  again.set_request_id("again-2");
  d = w_.Run(again, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(d.status().message(),
                                absl::StrCat(commitment, " is escalated already by ", old)))
      << d.status();

  // One that does not exist.
  auto unknown = Req<v1::RecordAgencyEscalatedCommand>();
  unknown.set_escalation_id("escalation-0193c0de-0000-7000-8000-000000000000");
  EXPECT_EQ(Code(w_.Run(unknown, system_)), absl::StatusCode::kNotFound);
}

// Review 13d, b: one escalation of a commitment at a time. While one stands (not resolved), the
// commitment is not escalated again, alone or in a meeting's decision, nor twice in one decision:
// the standing one is moved up instead. Once resolved, it may be escalated anew.
TEST_F(DecideTest, ACommitmentIsNotEscalatedAgainWhileAnEscalationOfItStands) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);
  const std::string first = w_.Do(Escalating("agency-school", commitment), chief_).id;
  const std::string stands =
      absl::StrCat(commitment, " is escalated already by ", first,
                   ", which stands (not resolved): one escalation of a commitment at a time, "
                   "moved up (MoveEscalationUp) if its level does not answer");

  v1::RaiseEscalationRequest again = Escalating("agency-school", commitment);
  again.set_request_id("again");
  absl::StatusOr<Decision> d = w_.Run(again, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(), absl::StrCat("commitment_ids[0]: ", stands));

  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(MeetingFor(youth));
  decision.set_youth_id(youth);
  decision.set_text("The calls are still not made");
  for (int i = 0; i < 2; ++i) {
    v1::NewEscalation* e = decision.add_escalations();
    e->set_target_agency_id("agency-school");
    e->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    e->set_reason("Calls not made");
    e->add_commitment_ids(commitment);
  }
  d = w_.Run(decision, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(), absl::StrCat("escalations[0].commitment_ids[0]: ", stands));

  // Resolved by the school's contact at the level: it may be escalated anew, once per decision.
  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(first);
  resolve.set_outcome("Calls staffed");
  w_.Do(resolve, school_leader_);
  d = w_.Run(decision, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("escalations[1].commitment_ids[0]: ", commitment,
                         " is named by another escalation of this decision"));
  decision.mutable_escalations()->RemoveLast();
  const Decision decided = w_.Do(decision, chief_);
  ASSERT_EQ(decided.created_ids.size(), 1u);
  EXPECT_THAT(w_.stream(decided.created_ids[0])[0].escalation_raised().commitment_ids(),
              ElementsAre(commitment));
  EXPECT_EQ(Code(w_.Run(again, chief_)), absl::StatusCode::kFailedPrecondition);

  // A commitment the decision makes itself ("new:0"), named by two of its escalations: once too.
  v1::RecordDecisionRequest made_and_escalated = DecisionWithCommitment(MeetingFor(youth), youth);
  *made_and_escalated.mutable_escalations() = decision.escalations();
  made_and_escalated.add_escalations()->CopyFrom(decision.escalations(0));
  for (v1::NewEscalation& e : *made_and_escalated.mutable_escalations()) {
    e.set_commitment_ids(0, "new:0");
  }
  d = w_.Run(made_and_escalated, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "escalations[1].commitment_ids[0]: new:0 is named by another escalation of this "
            "decision");
}

TEST_F(DecideTest, AnEscalationNamesEachCommitmentOnce) {
  SchoolLadder();
  const std::string declined = DeclinedCommitment(AcceptedYouth());
  v1::RaiseEscalationRequest raise = Escalating("agency-school", declined);
  raise.add_commitment_ids(declined);
  const absl::StatusOr<Decision> refused = w_.Run(raise, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("commitment_ids[1]: names ", declined,
                                     " again: each commitment once")));
  raise.mutable_commitment_ids()->RemoveLast();
  const std::string escalation = w_.Do(raise, chief_).id;
  int taken = 0;
  for (const v1::Event& e : w_.stream(declined)) {
    if (!e.has_commitment_taken_up()) continue;
    ++taken;
    EXPECT_EQ(e.commitment_taken_up().by_escalation_id(), escalation);
  }
  EXPECT_EQ(taken, 1);
}

// Review 13b, N11: a fulfilled (or cancelled) commitment leaves the agency nothing to live up
// to: it is not escalated.
TEST_F(DecideTest, AFulfilledCommitmentIsNotEscalated) {
  SchoolLadder();
  const std::string commitment = Commitment(AcceptedYouth());
  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  w_.Do(fulfil, school_member_);
  const absl::StatusOr<Decision> refused = w_.Run(Escalating("agency-school", commitment), chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("commitment_ids[0]: ", commitment,
                                     " is fulfilled: nothing left to escalate")));
}

// Review 13b, S1: an escalation climbs once its level had its chance (004: what the local
// actors "ikke kan løse på egen hånd"): its contact acknowledged it, or the area's days to
// acknowledge (14 here) passed since it reached the level. Not raised and carried to the
// political follow-up group in two immediate calls.
TEST_F(DecideTest, AnEscalationClimbsOnlyOnceItsLevelHadItsChance) {
  const Decision raised =
      w_.Do(Escalating("agency-police", CommitmentOf(AcceptedYouth(), police_leader_)), chief_);
  const std::string escalation = raised.id;
  ASSERT_FALSE(w_.stream(escalation).empty());
  EXPECT_EQ(w_.stream(escalation)[0].escalation_raised().raised_at().seconds(),
            absl::ToUnixSeconds(w_.now_));

  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No answer");
  absl::StatusOr<Decision> refused = w_.Run(up, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("escalation_id: ", escalation,
                                     " stands at ESCALATION_LEVEL_STEERING_GROUP, whose contact "
                                     "has not had its chance: it moves up once that contact has "
                                     "acknowledged it, or 14 days after it reached the level "
                                     "without an answer (2026-12-07T10:00:00Z)")));
  // Fourteen days without an answer: it moves up, and the director level's time starts.
  w_.now_ += absl::Hours(24 * 14);
  const Decision moved = w_.Do(up, chief_);
  const v1::EscalationMovedUp& event = moved.writes[0].events[0].escalation_moved_up();
  EXPECT_EQ(event.to_level(), v1::ESCALATION_LEVEL_DIRECTOR);
  EXPECT_EQ(event.moved_at().seconds(), absl::ToUnixSeconds(w_.now_));
  up.set_request_id("up-again");
  w_.now_ += absl::Hours(24 * 13);
  EXPECT_EQ(Code(w_.Run(up, chief_)), absl::StatusCode::kFailedPrecondition);
  // Acknowledged by the local police chief and not resolved, it may go on.
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  w_.Do(ack, Who("police-boss-2", "agency-police", Role::kAgencyLeader));
  EXPECT_EQ(w_.Do(up, chief_).writes[0].events[0].escalation_moved_up().to_level(),
            v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);
}

// The deadline process's fact: an escalation not acknowledged at its level within the area's
// time (14 days here) is marked by the system alone, once per level.
TEST_F(DecideTest, TheSystemMarksAnEscalationNotAcknowledgedOncePerLevel) {
  const std::string youth = AcceptedYouth();
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-police");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Patrols not as agreed");
  raise.add_commitment_ids(CommitmentOf(youth, police_leader_));
  const absl::Time raised_at = w_.now_;
  const std::string escalation = w_.Do(raise, chief_).id;

  auto mark = Req<v1::MarkEscalationNotAcknowledgedCommand>();
  mark.set_escalation_id(escalation);
  mark.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  mark.mutable_since()->set_seconds(absl::ToUnixSeconds(raised_at));
  w_.now_ = raised_at + absl::Hours(24 * 14);
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);  // not over
  w_.now_ += absl::Hours(1);
  EXPECT_EQ(Code(w_.Run(mark, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(mark, police_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision marked = w_.Do(mark, system_);
  ASSERT_EQ(marked.writes[0].events.size(), 1u);
  const v1::EscalationNotAcknowledged& e = marked.writes[0].events[0].escalation_not_acknowledged();
  EXPECT_EQ(e.escalation_id(), escalation);
  EXPECT_EQ(e.level(), v1::ESCALATION_LEVEL_STEERING_GROUP);
  EXPECT_EQ(e.days(), 14);
  EXPECT_EQ(marked.occurred_at, raised_at + absl::Hours(24 * 14));
  mark.set_request_id("mark-again");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);

  // Moved up: the next level has its own time, and its own mark; the level it left is refused.
  auto up = Req<v1::MoveEscalationUpRequest>();
  up.set_escalation_id(escalation);
  up.set_reason("No answer from the coordinator");
  w_.Do(up, chief_);
  const absl::Time moved_at = w_.now_;
  mark.set_request_id("mark-old-level");
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);
  w_.now_ = moved_at + absl::Hours(24 * 15);
  mark.set_level(v1::ESCALATION_LEVEL_DIRECTOR);
  mark.mutable_since()->set_seconds(absl::ToUnixSeconds(moved_at));
  mark.set_request_id("mark-director");
  // The process of before marked this level already.
  v1::Event before;
  before.mutable_escalation_not_acknowledged()->set_escalation_id(escalation);
  before.mutable_escalation_not_acknowledged()->set_level(v1::ESCALATION_LEVEL_DIRECTOR);
  w_.AppendOfBefore(escalation, before);
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);

  // Acknowledged meanwhile: nothing to mark.
  up.set_request_id("up-political");
  w_.Do(up, chief_);
  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  w_.Do(ack, Who("police-boss-3", "agency-police", Role::kAgencyLeader));
  mark.set_level(v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP);
  mark.set_request_id("mark-political");
  w_.now_ += absl::Hours(24 * 30);
  EXPECT_EQ(Code(w_.Run(mark, system_)), absl::StatusCode::kFailedPrecondition);
}

// Only the target agency's contact for the rung answers, and only as a person of that agency:
// a coordinator who bears the contact's name does not (the chief once set the school's director
// rung to her staff member, who then answered the school's escalation).
TEST_F(DecideTest, OnlyAPersonOfTheTargetAgencyAnswersItsEscalation) {
  auto ladder = Req<v1::SetLeadershipLadderRequest>();
  ladder.set_agency_id("agency-school");
  ladder.add_contacts()->set_level(v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER);
  ladder.mutable_contacts(0)->set_person("staff-bo");  // the chief's staff member's name
  // The chief may not name the school's rungs.
  EXPECT_EQ(Code(w_.Run(ladder, chief_)), absl::StatusCode::kPermissionDenied);
  w_.Do(ladder, admin_);  // an admin's slip: the name is of a hotspot staff member
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-school");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("No morning calls for two weeks");
  raise.add_commitment_ids(Commitment(AcceptedYouth()));
  const std::string escalation = w_.Do(raise, chief_).id;

  auto ack = Req<v1::AcknowledgeEscalationRequest>();
  ack.set_escalation_id(escalation);
  absl::StatusOr<Decision> d = w_.Run(ack, staff_);
  EXPECT_EQ(Code(d), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("as a person of agency-school"));
  // The same name calling for another agency does not answer either.
  EXPECT_EQ(Code(w_.Run(ack, Who("staff-bo", "agency-police", Role::kAgencyLeader))),
            absl::StatusCode::kPermissionDenied);
  auto resolve = Req<v1::ResolveEscalationRequest>();
  resolve.set_escalation_id(escalation);
  resolve.set_outcome("Calls resumed");
  EXPECT_EQ(Code(w_.Run(resolve, staff_)), absl::StatusCode::kPermissionDenied);
  // The school's own person of that name does.
  const Principal school_bo = Who("staff-bo", "agency-school", Role::kAgencyLeader);
  EXPECT_EQ(w_.Do(ack, school_bo).writes[0].events[0].escalation_acknowledged().escalation_id(),
            escalation);
  EXPECT_EQ(w_.Do(resolve, school_bo).writes[0].events[0].actor().agency_id(), "agency-school");
}

// An escalation concerns the target agency's own commitments, of its area, and one case: its
// reason is sealed under that youth.
TEST_F(DecideTest, AnEscalationConcernsTheTargetsOwnCommitmentsOfItsAreaAndOneCase) {
  const std::string youth = AcceptedYouth();
  const std::string schools = Commitment(youth);
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id("agency-police");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Patrols not as agreed");
  raise.add_commitment_ids(schools);
  absl::StatusOr<Decision> d = w_.Run(raise, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr(absl::StrCat("commitment_ids[0]: ", schools,
                                     " is agency-school's, not agency-police's")));

  // The police's commitments of two youths: one escalation is about one case.
  const std::string first = CommitmentOf(youth, police_leader_);
  const std::string other = AcceptedYouth();
  const std::string second = CommitmentOf(other, police_leader_);
  raise.set_commitment_ids(0, first);
  raise.add_commitment_ids(second);
  d = w_.Run(raise, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()),
              HasSubstr(absl::StrCat("commitment_ids[1]: ", second, " is of ", other)));
  raise.set_youth_id(other);  // a case named, and a commitment of another
  raise.mutable_commitment_ids()->RemoveLast();
  EXPECT_EQ(Code(w_.Run(raise, chief_)), absl::StatusCode::kFailedPrecondition);
  raise.clear_youth_id();
  const std::string escalation = w_.Do(raise, chief_).id;
  ASSERT_EQ(w_.stream(escalation).size(), 1u);
  const v1::EscalationRaised& event = w_.stream(escalation)[0].escalation_raised();
  EXPECT_EQ(event.youth_id(), youth);
  EXPECT_EQ(event.reason().sealed().key_id(), youth);  // sealed under the youth
  EXPECT_EQ(World::Unseal(event.reason().sealed()), "Patrols not as agreed");
  ASSERT_EQ(event.commitment_ids_size(), 1);
  EXPECT_EQ(event.commitment_ids(0), first);
}

}  // namespace
}  // namespace hotspot::domain
