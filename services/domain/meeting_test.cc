// meeting.cc's decisions, without I/O (test_world.h): the events each command produces, and the
// codes of the calls it refuses.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/domain/rules.h"
#include "services/domain/test_world.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(DecideTest, ADecisionCommitsItsCommitmentsEscalationsAndPlanTogether) {
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  SchoolLadder();
  v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
  auto* e = d.add_escalations();
  e->set_target_agency_id("agency-school");
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
  EXPECT_THAT(types["agency-school"], ElementsAre("hotspot.v1.AgencyEscalated"));  // its target
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

// Powers by body (002, 004): the task force and the steering group decide; the hotspot board,
// the fora, the local SSP and the housing-social plan's meetings recommend and inform, never
// about a youth; the political follow-up group approves the chief's programme revisions, and the
// steering group sets goals, frames and resources, as events.
// The school's ladder is set (SetUp): its head, director and mayor sit in the bodies for it, as
// people the school named (review 13d, 3).
class BodiesTest : public DecideTest {
 protected:
  void SetUp() override {
    DecideTest::SetUp();
    SchoolLadder();
  }
};

TEST_F(BodiesTest, AdvisoryBodiesRecommendAndInformAndNeverDecideAboutAYouth) {
  w_.Do(Programme(), chief_);
  const std::string youth = AcceptedYouth();
  for (v1::BodyKind kind : {v1::BODY_KIND_HOTSPOT_BOARD, v1::BODY_KIND_FORUM,
                            v1::BODY_KIND_LOCAL_SSP, v1::BODY_KIND_HOUSING_SOCIAL_PLAN}) {
    SCOPED_TRACE(v1::BodyKind_Name(kind));
    const std::string meeting = HeldMeetingOf(kind);
    // An area topic on the agenda, in clear; a youth only at the local SSP.
    const Decision topic = w_.Do(Topic(meeting, "Summer holiday activities"), staff_);
    EXPECT_EQ(topic.writes[0].events[0].agenda_item_added().topic(), "Summer holiday activities");
    EXPECT_EQ(Code(w_.Run(Topic(meeting, "Summer holiday activities"), staff_)),
              absl::StatusCode::kFailedPrecondition);  // once
    auto youth_item = Req<v1::AddAgendaItemRequest>();
    youth_item.set_meeting_id(meeting);
    youth_item.set_youth_id(youth);
    const absl::StatusOr<Decision> on_agenda = w_.Run(youth_item, staff_);
    EXPECT_EQ(Code(on_agenda), kind == v1::BODY_KIND_LOCAL_SSP
                                   ? absl::StatusCode::kOk
                                   : absl::StatusCode::kFailedPrecondition);
    if (on_agenda.ok()) w_.Apply(*on_agenda);

    auto decision = Req<v1::RecordDecisionRequest>();
    decision.set_meeting_id(meeting);
    decision.set_topic("Summer holiday activities");
    decision.set_text("The club keeps open in July");
    absl::StatusOr<Decision> d = w_.Run(decision, staff_);  // a decision: not its power
    EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("has no decision power"));
    decision.set_kind(v1::DECISION_KIND_RECOMMENDATION);
    const Decision recommended = w_.Do(decision, staff_);
    const v1::DecisionRecorded& x = recommended.writes[0].events.back().decision_recorded();
    EXPECT_EQ(x.kind(), v1::DECISION_KIND_RECOMMENDATION);
    EXPECT_EQ(x.topic(), "Summer holiday activities");
    EXPECT_EQ(x.text().clear(), "The club keeps open in July");
    // Never with commitments or escalations, even as a recommendation; about a youth only where
    // youths come on the agenda (the local SSP: review 13b, N1), as information or a
    // recommendation, its text sealed under the youth.
    auto about_youth = Req<v1::RecordDecisionRequest>();
    about_youth.set_meeting_id(meeting);
    about_youth.set_kind(v1::DECISION_KIND_INFORMATION);
    about_youth.set_text("News of the youth");
    about_youth.set_youth_id(youth);
    const absl::StatusOr<Decision> informed = w_.Run(about_youth, staff_);
    if (kind == v1::BODY_KIND_LOCAL_SSP) {
      ASSERT_TRUE(informed.ok()) << informed.status();
      const v1::DecisionRecorded& info = informed->writes[0].events.back().decision_recorded();
      EXPECT_EQ(info.kind(), v1::DECISION_KIND_INFORMATION);
      EXPECT_EQ(info.youth_id(), youth);
      EXPECT_TRUE(info.text().has_sealed());
      w_.Apply(*informed);
      // Still no decision about the youth.
      about_youth.set_kind(v1::DECISION_KIND_DECISION);
      about_youth.set_request_id(absl::StrCat("decide-", about_youth.request_id()));
      EXPECT_EQ(Code(w_.Run(about_youth, staff_)), absl::StatusCode::kFailedPrecondition);
    } else {
      EXPECT_EQ(Code(informed), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(std::string(informed.status().message()),
                  HasSubstr("records nothing about a youth"));
    }
    auto committing = DecisionWithCommitment(meeting, youth);
    committing.clear_youth_id();
    committing.mutable_commitments(0)->clear_accepted_by();
    committing.set_kind(v1::DECISION_KIND_RECOMMENDATION);
    const absl::StatusOr<Decision> refused = w_.Run(committing, staff_);
    EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("kind: a recommendation or information carries no commitments"));
    // A topic not on the agenda.
    decision.set_topic("Something else");
    EXPECT_EQ(Code(w_.Run(decision, staff_)), absl::StatusCode::kFailedPrecondition);
  }
  // The task force decides about youths as before.
  const std::string meeting = HeldMeetingOf(v1::BODY_KIND_TASK_FORCE);
  auto item = Req<v1::AddAgendaItemRequest>();
  item.set_meeting_id(meeting);
  item.set_youth_id(youth);
  w_.Do(item, staff_);
  v1::RecordDecisionRequest decides = DecisionWithCommitment(meeting, youth);
  decides.mutable_commitments(0)->clear_accepted_by();  // the school's teacher was not there
  w_.Do(decides, staff_);
  // Neither youth nor topic, or both: refused.
  auto neither = Req<v1::AddAgendaItemRequest>();
  neither.set_meeting_id(meeting);
  EXPECT_EQ(Code(w_.Run(neither, staff_)), absl::StatusCode::kInvalidArgument);
  neither.set_youth_id(youth);
  neither.set_topic("x");
  EXPECT_EQ(Code(w_.Run(neither, staff_)), absl::StatusCode::kInvalidArgument);
}

TEST_F(BodiesTest, TheChiefProposesARevisionAndThePoliticalFollowUpGroupApprovesIt) {
  w_.Do(Programme(), chief_);
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id("area-test");
  *propose.mutable_goals() = Programme().goals();
  propose.mutable_goals(0)->set_target(45);
  EXPECT_EQ(Code(w_.Run(propose, chief_)), absl::StatusCode::kInvalidArgument);  // no reason
  propose.set_reason("Charges fell faster than planned");
  EXPECT_EQ(Code(w_.Run(propose, staff_)), absl::StatusCode::kPermissionDenied);  // the chief's
  const Decision proposed = w_.Do(propose, chief_);
  const std::string proposal = proposed.created_ids.at(0);
  EXPECT_EQ(proposed.writes[0].events[0].programme_revision_proposed().proposal_id(), proposal);
  AreaState area;
  for (const auto& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_EQ(area.programme_revision, 1);  // not applied yet

  // Not by the task force, and only at a held meeting of the political follow-up group.
  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_TASK_FORCE));
  approve.set_text("Approved");
  approve.set_approves_proposal_id(proposal);
  EXPECT_EQ(Code(w_.Run(approve, staff_)), absl::StatusCode::kFailedPrecondition);
  approve.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP));
  approve.set_approves_proposal_id("proposal-unknown");
  EXPECT_EQ(Code(w_.Run(approve, staff_)), absl::StatusCode::kFailedPrecondition);
  approve.set_approves_proposal_id(proposal);
  const Decision approved = w_.Do(approve, staff_);
  const v1::ProgrammeRevised* revised = nullptr;
  for (const StreamWrite& write : approved.writes) {
    for (const v1::Event& e : write.events) {
      if (e.has_programme_revised()) revised = &e.programme_revised();
    }
  }
  ASSERT_NE(revised, nullptr);
  EXPECT_EQ(revised->revision(), 2);
  EXPECT_EQ(revised->goals(0).target(), 45);
  EXPECT_EQ(revised->reason(), "Charges fell faster than planned");
  EXPECT_EQ(revised->proposal_id(), proposal);
  EXPECT_EQ(revised->decision_id(), approved.id);
  approve.set_request_id("approve-again");
  EXPECT_EQ(Code(w_.Run(approve, staff_)), absl::StatusCode::kFailedPrecondition);  // applied
  // Otherwise the political follow-up group recommends and informs.
  auto other = Req<v1::RecordDecisionRequest>();
  other.set_meeting_id(approve.meeting_id());
  other.set_text("More street lights");
  EXPECT_EQ(Code(w_.Run(other, staff_)), absl::StatusCode::kFailedPrecondition);
}

// A proposal revises the programme as it stood when it was made: once another revision
// applied, approving it would bring back the goals that revision changed, so it is refused.
TEST_F(BodiesTest, AProposalMadeAgainstAnOlderRevisionIsNotApproved) {
  w_.Do(Programme(), chief_);
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id("area-test");
  *propose.mutable_goals() = Programme().goals();
  propose.mutable_goals(0)->set_target(45);
  propose.set_reason("Charges fell faster than planned");
  const Decision first = w_.Do(propose, chief_);
  const std::string older = first.created_ids.at(0);
  EXPECT_EQ(first.writes[0].events[0].programme_revision_proposed().revises_revision(), 1);
  propose.set_request_id("second-proposal");
  propose.mutable_goals(0)->set_target(40);
  propose.set_reason("A new survey");
  const Decision second = w_.Do(propose, chief_);
  const std::string newer = second.created_ids.at(0);
  EXPECT_EQ(second.writes[0].events[0].programme_revision_proposed().revises_revision(), 1);

  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP));
  approve.set_text("Approved");
  approve.set_approves_proposal_id(newer);
  const Decision approved = w_.Do(approve, staff_);
  bool revised = false;
  for (const StreamWrite& write : approved.writes) {
    for (const v1::Event& e : write.events) {
      if (!e.has_programme_revised()) continue;
      revised = true;
      EXPECT_EQ(e.programme_revised().revision(), 2);
      EXPECT_EQ(e.programme_revised().goals(0).target(), 40);
    }
  }
  EXPECT_TRUE(revised);

  // The older proposal revised revision 1, which revision 2 has replaced: refused, no event.
  auto stale = approve;
  stale.set_request_id("approve-stale");
  stale.set_approves_proposal_id(older);
  const size_t events_before = w_.stream("area-test").size();
  const absl::StatusOr<Decision> refused = w_.Run(stale, staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("approves_proposal_id: ", older,
                         " revises revision 1 of area-test's programme, which revision 2 has "
                         "replaced since: the chief proposes the revision anew"));
  EXPECT_EQ(w_.stream("area-test").size(), events_before);
  // Proposed anew against revision 2, it is approved.
  propose.set_request_id("third-proposal");
  propose.mutable_goals(0)->set_target(45);
  const Decision third = w_.Do(propose, chief_);
  EXPECT_EQ(third.writes[0].events[0].programme_revision_proposed().revises_revision(), 2);
  stale.set_request_id("approve-anew");
  stale.set_approves_proposal_id(third.created_ids.at(0));
  EXPECT_TRUE(w_.Run(stale, staff_).ok());
}

// Review 13b, B2: the political follow-up group approves a revision at a meeting held since the
// chief proposed it, not at one held before it existed; a meeting is not recorded as held in
// the future, nor more than a day (kMeetingBroughtForward) before it was scheduled for; and its
// decisions are recorded with its minutes, within kMinutesDays of it.
TEST_F(BodiesTest, ARevisionIsApprovedOnlyAtAMeetingHeldSinceItWasProposed) {
  w_.Do(Programme(), chief_);
  const std::string before = HeldMeetingOf(v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP);
  w_.now_ += absl::Hours(1);
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id("area-test");
  *propose.mutable_goals() = Programme().goals();
  propose.mutable_goals(0)->set_target(45);
  propose.set_reason("Charges fell faster than planned");
  const Decision proposed = w_.Do(propose, chief_);
  const std::string proposal = proposed.created_ids.at(0);
  EXPECT_EQ(proposed.writes[0].events[0].programme_revision_proposed().proposed_at().seconds(),
            absl::ToUnixSeconds(w_.now_));

  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(before);
  approve.set_text("Approved");
  approve.set_approves_proposal_id(proposal);
  absl::StatusOr<Decision> refused = w_.Run(approve, staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("approves_proposal_id: ", proposal,
                                     " was proposed at 2026-11-23T11:00:00Z, after ", before,
                                     " was held (2026-11-23T10:00:00Z)")));

  // A meeting of the group scheduled now is not "held" two months from now.
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id("area-test");
  schedule.set_body_id("body-1");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  const std::string next = w_.Do(schedule, staff_).id;
  auto held = Req<v1::RecordAttendanceRequest>();
  held.set_meeting_id(next);
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_ + absl::Hours(24 * 60)));
  auto* present = held.add_attendance();
  present->set_agency_id("agency-school");
  present->set_person("head-mette");
  refused = w_.Run(held, staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("held_at: 2027-01-22T11:00:00Z is in the future"));
  // Nor held long before it was scheduled for: not more than a day earlier (review 13b, B2).
  held.mutable_held_at()->set_seconds(
      absl::ToUnixSeconds(w_.now_ - kMeetingBroughtForward - absl::Seconds(1)));
  held.set_request_id("held-too-early");
  refused = w_.Run(held, staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("held_at: 2026-11-22T10:59:59Z is more than a day before ", next,
                         " was scheduled for (2026-11-23T11:00:00Z): a meeting held that much "
                         "earlier is another meeting; schedule it anew"));
  EXPECT_TRUE(w_.stream(next).back().has_meeting_scheduled());
  // A day early, it was brought forward: held.
  schedule.set_request_id("schedule-brought-forward");
  const std::string early = w_.Do(schedule, staff_).id;
  auto held_early = held;
  held_early.set_meeting_id(early);
  held_early.set_request_id("held-a-day-early");
  held_early.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_ - kMeetingBroughtForward));
  w_.Do(held_early, staff_);
  ASSERT_TRUE(w_.stream(early).back().has_meeting_held());
  EXPECT_EQ(w_.stream(early).back().meeting_held().held_at().seconds(),
            absl::ToUnixSeconds(w_.now_ - kMeetingBroughtForward));
  // Within the clock's leeway it is held.
  held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_ + kClockLeeway));
  held.set_request_id("held-now");
  w_.Do(held, staff_);

  // Its minutes are not written months later.
  approve.set_meeting_id(next);
  approve.set_request_id("approve-late");
  w_.now_ += absl::Hours(24 * kMinutesDays) + kClockLeeway + absl::Seconds(1);
  refused = w_.Run(approve, staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("meeting_id: ", next, " was held at 2026-11-23T11:05:00Z; ",
                                     "its decisions are recorded within 14 days")));
  EXPECT_TRUE(w_.stream("area-test").back().has_programme_revision_proposed());

  w_.now_ -= absl::Hours(24 * 10);
  approve.set_request_id("approve-in-time");
  const Decision approved = w_.Do(approve, staff_);
  bool revised = false;
  for (const StreamWrite& write : approved.writes) {
    for (const v1::Event& e : write.events) {
      if (e.has_programme_revised()) {
        revised = true;
        EXPECT_EQ(e.programme_revised().proposal_id(), proposal);
        EXPECT_EQ(e.programme_revised().meeting_id(), next);
      }
    }
  }
  EXPECT_TRUE(revised);
}

// The chief does not revise the programme, nor steer, alone: an approval of the political
// follow-up group and a steering decision need a majority of the body's members present, each
// under the agency and person the body lists; the hotspot secretariat's people do not count.
// Nor does the chief constitute these bodies.
TEST_F(BodiesTest, AnApprovalAndASteeringDecisionNeedAQuorumOfTheBodysMembers) {
  w_.Do(Programme(), chief_);
  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id("area-test");
  *propose.mutable_goals() = Programme().goals();
  propose.mutable_goals(0)->set_target(45);
  propose.set_reason("Charges fell faster than planned");
  const std::string proposal = w_.Do(propose, chief_).created_ids.at(0);

  NamePeople("agency-social", {"director-lene"}, admin_);  // she sits in the bodies for it
  // The chief alone, as a member and present: no quorum.
  const People members = {{"agency-hotspot", "chief-anna"},
                          {"agency-school", "head-mette"},
                          {"agency-police", "police-boss-1"},
                          {"agency-social", "director-lene"}};
  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_text("Approved");
  approve.set_approves_proposal_id(proposal);
  approve.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP, members,
                                       {{"agency-hotspot", "chief-anna"}}));
  absl::StatusOr<Decision> alone = w_.Run(approve, chief_);
  EXPECT_EQ(Code(alone), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(alone.status().message()),
              HasSubstr("approves_proposal_id: body-1 is not quorate"));
  EXPECT_THAT(std::string(alone.status().message()), HasSubstr("0 of its 3 members attended"));
  // One member of three: no quorum. (A member under another agency than the body lists is not
  // recorded as attending: that agency did not name them, review 13d, 3.)
  approve.set_request_id("one-of-three");
  approve.set_meeting_id(HeldMeetingOf(
      v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP, members,
      {{"agency-hotspot", "chief-anna"}, {"agency-school", "head-mette"}}));
  EXPECT_EQ(Code(w_.Run(approve, chief_)), absl::StatusCode::kFailedPrecondition);
  // A body of the hotspot secretariat's people alone is never quorate.
  approve.set_request_id("secretariat-only");
  approve.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP,
                                       {{"agency-hotspot", "chief-anna"}},
                                       {{"agency-hotspot", "chief-anna"}}));
  EXPECT_EQ(Code(w_.Run(approve, chief_)), absl::StatusCode::kFailedPrecondition);
  // Two of three: the revision applies.
  approve.set_request_id("two-of-three");
  approve.set_meeting_id(HeldMeetingOf(
      v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP, members,
      {{"agency-school", "head-mette"}, {"agency-police", "police-boss-1"}}));
  const Decision approved = w_.Do(approve, chief_);
  AreaState area;
  for (const auto& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_EQ(area.programme_revision, 2);
  EXPECT_EQ(area.proposals.count(proposal), 0u);
  EXPECT_FALSE(approved.writes.empty());

  // The same for a steering decision.
  auto steer = Req<v1::RecordDecisionRequest>();
  steer.set_text("Goals for the summer");
  steer.mutable_steering()->set_kind(v1::STEERING_DECISION_KIND_GOAL);
  steer.mutable_steering()->set_text("Summer activities every evening");
  steer.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_STEERING_GROUP, members,
                                     {{"agency-hotspot", "chief-anna"},
                                      {"agency-school", "head-mette"}}));
  const absl::StatusOr<Decision> minority = w_.Run(steer, chief_);
  EXPECT_EQ(Code(minority), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(minority.status().message()), HasSubstr("steering: body-5"));
  steer.set_request_id("steer-quorate");
  steer.set_meeting_id(HeldMeetingOf(
      v1::BODY_KIND_STEERING_GROUP, members,
      {{"agency-school", "head-mette"}, {"agency-social", "director-lene"}}));
  bool recorded = false;
  for (const StreamWrite& write : w_.Do(steer, chief_).writes) {
    for (const v1::Event& e : write.events) recorded |= e.has_steering_decision_recorded();
  }
  EXPECT_TRUE(recorded);

  // Only an admin constitutes either body; the chief keeps the others.
  auto body = Req<v1::ConstituteBodyRequest>();
  body.set_area_id("area-test");
  body.set_body_id("by-the-chief");
  body.set_name("Ours");
  body.add_members()->set_agency_id("agency-hotspot");
  body.mutable_members(0)->set_person("chief-anna");
  body.mutable_cadence()->set_min_meetings_per_year(2);
  for (v1::BodyKind kind :
       {v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP, v1::BODY_KIND_STEERING_GROUP}) {
    body.set_kind(kind);
    EXPECT_EQ(Code(w_.Run(body, chief_)), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(Code(w_.Run(body, staff_)), absl::StatusCode::kPermissionDenied);
  }
  // The chief constitutes a task force, with the agencies' people: not one of her own staff
  // alone, which would then decide plans and closures alone (review 13b, N8).
  body.set_kind(v1::BODY_KIND_TASK_FORCE);
  const absl::StatusOr<Decision> own = w_.Run(body, chief_);
  EXPECT_EQ(Code(own), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(own.status().message(),
            "members: a task force seats the agencies' people, not only the hotspot "
            "secretariat's: it decides with them");
  v1::BodyMember* teacher = body.add_members();
  teacher->set_agency_id("agency-school");
  teacher->set_person("teacher-ole");
  EXPECT_EQ(w_.Do(body, chief_).writes[0].events[0].body_constituted().kind(),
            v1::BODY_KIND_TASK_FORCE);
}

TEST_F(BodiesTest, TheSteeringGroupSetsGoalsFramesAndResources) {
  auto decision = Req<v1::RecordDecisionRequest>();
  decision.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_STEERING_GROUP));
  decision.set_text("The club gets a second street worker for a year");
  auto* steering = decision.mutable_steering();
  steering->set_kind(v1::STEERING_DECISION_KIND_RESOURCES);
  steering->set_text("A second street worker for the club");
  EXPECT_EQ(Code(w_.Run(decision, staff_)), absl::StatusCode::kInvalidArgument);  // to whom
  steering->set_agency_id("agency-school");
  steering->set_hours_per_week(37);
  const Decision decided = w_.Do(decision, staff_);
  const v1::SteeringDecisionRecorded* recorded = nullptr;
  for (const StreamWrite& write : decided.writes) {
    for (const v1::Event& e : write.events) {
      if (e.has_steering_decision_recorded()) recorded = &e.steering_decision_recorded();
    }
  }
  ASSERT_NE(recorded, nullptr);
  EXPECT_EQ(recorded->decision().hours_per_week(), 37);
  EXPECT_EQ(recorded->decision_id(), decided.id);
  // Only a steering group sets them.
  decision.set_request_id("at-the-task-force");
  decision.set_meeting_id(HeldMeetingOf(v1::BODY_KIND_TASK_FORCE));
  const absl::StatusOr<Decision> elsewhere = w_.Run(decision, staff_);
  EXPECT_EQ(Code(elsewhere), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(elsewhere.status().message()), HasSubstr("steering:"));
}

TEST_F(BodiesTest, TheChiefAppointsAndRemovesTheBoardsMembers) {
  const std::string meeting = HeldMeetingOf(v1::BODY_KIND_HOTSPOT_BOARD);  // body-1
  auto appoint = Req<v1::AppointBoardMemberRequest>();
  appoint.set_area_id("area-test");
  appoint.set_body_id("body-1");
  appoint.mutable_member()->set_person("resident-ida");
  EXPECT_EQ(Code(w_.Run(appoint, chief_)), absl::StatusCode::kInvalidArgument);  // represents
  appoint.mutable_member()->set_represents("the tenants' board");
  EXPECT_EQ(Code(w_.Run(appoint, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(appoint, admin_)), absl::StatusCode::kPermissionDenied);
  const Decision appointed = w_.Do(appoint, chief_);
  EXPECT_EQ(appointed.writes[0].events[0].board_member_appointed().member().represents(),
            "the tenants' board");
  EXPECT_EQ(Code(w_.Run(appoint, chief_)), absl::StatusCode::kFailedPrecondition);  // already
  auto remove = Req<v1::RemoveBoardMemberRequest>();
  remove.set_area_id("area-test");
  remove.set_body_id("body-1");
  remove.set_person("resident-ida");
  EXPECT_EQ(Code(w_.Run(remove, staff_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(w_.Do(remove, chief_).writes[0].events[0].board_member_removed().person(),
            "resident-ida");
  EXPECT_EQ(Code(w_.Run(remove, chief_)), absl::StatusCode::kFailedPrecondition);  // not on it
  // Only a hotspot board's members are the chief's to appoint.
  HeldMeetingOf(v1::BODY_KIND_TASK_FORCE);  // body-2
  appoint.set_body_id("body-2");
  EXPECT_EQ(Code(w_.Run(appoint, chief_)), absl::StatusCode::kFailedPrecondition);
  appoint.set_body_id("body-9");
  EXPECT_EQ(Code(w_.Run(appoint, chief_)), absl::StatusCode::kNotFound);
}

// At any body, a recommendation or information carries no commitments, escalations or case
// changes: only a decision does (the task force's and the steering group's).
TEST_F(BodiesTest, ARecommendationCarriesNoCommitmentsEscalationsOrCaseChangesAtAnyBody) {
  const std::string youth = AcceptedYouth();
  for (v1::BodyKind kind : {v1::BODY_KIND_TASK_FORCE, v1::BODY_KIND_STEERING_GROUP}) {
    SCOPED_TRACE(BodyKindName(kind));
    const std::string meeting = HeldMeetingOf(kind);
    auto item = Req<v1::AddAgendaItemRequest>();
    item.set_meeting_id(meeting);
    item.set_youth_id(youth);
    w_.Do(item, staff_);
    v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
    d.mutable_commitments(0)->clear_accepted_by();
    d.set_kind(v1::DECISION_KIND_RECOMMENDATION);
    absl::StatusOr<Decision> run = w_.Run(d, staff_);
    EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(run.status().message()),
                HasSubstr("kind: a recommendation or information carries no commitments, "
                          "escalations or case changes; only a decision does"));
    auto informs = Req<v1::RecordDecisionRequest>();
    informs.set_meeting_id(meeting);
    informs.set_youth_id(youth);
    informs.set_text("The family has moved");
    informs.set_kind(v1::DECISION_KIND_INFORMATION);
    informs.set_close_with_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
    run = w_.Run(informs, staff_);
    EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(run.status().message()),
                HasSubstr("kind: a recommendation or information"));
    // About the youth, without them: recorded.
    informs.clear_close_with_outcome();
    const Decision informed = w_.Do(informs, staff_);
    EXPECT_EQ(informed.writes[0].events.back().decision_recorded().kind(),
              v1::DECISION_KIND_INFORMATION);
    EXPECT_EQ(informed.writes[0].events.back().decision_recorded().youth_id(), youth);
    // As a decision, it commits.
    d.set_kind(v1::DECISION_KIND_DECISION);
    EXPECT_TRUE(absl::StartsWith(w_.Do(d, staff_).created_ids.at(0), "commitment-"));
  }
}

// Review 13b, B3: an agency's person accepts a commitment in the meeting only at a decision of
// that meeting: recorded with its minutes (kMinutesDays), about a youth referred before it was
// held. Not today, at a meeting the agency attended long ago, for a youth referred since.
TEST_F(DecideTest, AnAcceptanceInTheMeetingIsRecordedWithItsMinutesForAYouthReferredBeforeIt) {
  const std::string discussed = AcceptedYouth();
  const std::string meeting = MeetingFor(discussed);  // held 2026-11-23 10:00, teacher-ole there
  w_.now_ += absl::Hours(24);
  const std::string later = AcceptedYouth();
  auto agenda = Req<v1::AddAgendaItemRequest>();
  agenda.set_meeting_id(meeting);
  agenda.set_youth_id(later);
  absl::StatusOr<Decision> refused = w_.Run(agenda, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("youth_id: ", later,
                                     " was referred at 2026-11-24T10:00:00Z, after ", meeting,
                                     " was held (2026-11-23T10:00:00Z)")));

  // Past its minutes, no decision and no agenda item is recorded there.
  w_.now_ += absl::Hours(24 * kMinutesDays);
  refused = w_.Run(DecisionWithCommitment(meeting, discussed), staff_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("meeting_id: ", meeting,
                                     " was held at 2026-11-23T10:00:00Z; its decisions are "
                                     "recorded within 14 days of it")));
  auto topic = Req<v1::AddAgendaItemRequest>();
  topic.set_meeting_id(meeting);
  topic.set_topic("Street lighting");
  refused = w_.Run(topic, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("its agenda items are recorded within 14"));
  const size_t written = w_.stream(meeting).size();

  // With its minutes, the teacher who attended accepts for the school.
  w_.now_ -= absl::Hours(24 * 2);
  const Decision decided = w_.Do(DecisionWithCommitment(meeting, discussed), staff_);
  EXPECT_EQ(w_.stream(meeting).size(), written + 1);  // the decision
  const v1::Event& made = w_.stream(decided.created_ids.at(0)).at(0);
  EXPECT_EQ(made.commitment_made().meeting_id(), meeting);
  EXPECT_EQ(made.commitment_made().acceptance(), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  EXPECT_EQ(made.commitment_made().accepted_by(), "teacher-ole");
}

// Review 13b, S2: one decision takes a declined commitment up once, however often it names it:
// by its commitment in the declined one's place, not again by its escalation over it.
TEST_F(DecideTest, ADecisionTakesADeclinedCommitmentUpOnce) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string declined = DeclinedCommitment(youth);
  v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
  d.mutable_commitments(0)->set_owning_agency_id("agency-social");
  d.mutable_commitments(0)->set_responsible_person("caseworker-lis");
  d.mutable_commitments(0)->clear_accepted_by();
  d.mutable_commitments(0)->set_replaces_commitment_id(declined);
  v1::NewEscalation* e = d.add_escalations();
  e->set_target_agency_id("agency-school");
  e->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  e->set_reason("Morning calls declined");
  e->add_commitment_ids(declined);
  // (Not by two of its escalations: one escalation of a commitment at a time, review 13d, b.)
  const Decision decided = w_.Do(d, chief_);
  ASSERT_EQ(decided.created_ids.size(), 2u);  // the commitment and the escalation
  std::vector<v1::CommitmentTakenUp> taken;
  for (const v1::Event& e : w_.stream(declined)) {
    if (e.has_commitment_taken_up()) taken.push_back(e.commitment_taken_up());
  }
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].by_commitment_id(), decided.created_ids[0]);
  EXPECT_EQ(taken[0].by_escalation_id(), "");
  // The escalation still concerns it.
  EXPECT_THAT(w_.stream(decided.created_ids[1])[0].escalation_raised().commitment_ids(),
              ElementsAre(declined));
}

// A decision names commitments and a youth of the meeting's area only, and one that does not
// exist is refused in the same words as one of another area, before anything of it (a
// commitment's status, its youth) is told: the declined commitment a new one takes up
// (LoadCommitmentInArea), a commitment an escalation concerns (the same), and the youth it is
// about (not on the agenda: an agenda holds its area's youths only, LoadYouthInArea).
TEST_F(DecideTest, ADecisionTakesUpADeclinedCommitmentOnlyOfItsArea) {
  SchoolLadder();
  OtherAreasCase();
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  auto take_up = [&](const std::string& commitment) {
    v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
    d.mutable_commitments(0)->set_replaces_commitment_id(commitment);
    return w_.Run(d, chief_);
  };
  const absl::StatusOr<Decision> other = take_up("commitment-b");
  ExpectRefusedAlike(take_up("commitment-nobody"), "commitment-nobody", other, "commitment-b",
                     absl::StatusCode::kNotFound);
  EXPECT_EQ(other.status().message(), "commitments[0].replaces_commitment_id: no commitment commitment-b");
}

TEST_F(DecideTest, ADecisionsEscalationNamesACommitmentOnlyOfItsArea) {
  SchoolLadder();
  OtherAreasCase();
  const std::string youth = AcceptedYouth();
  const std::string meeting = MeetingFor(youth);
  auto escalate = [&](const std::string& commitment) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(youth);
    d.set_text("Taken to the school's leadership");
    auto* ne = d.add_escalations();
    ne->set_target_agency_id("agency-school");
    ne->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    ne->set_reason("Morning calls stopped in October");
    ne->add_commitment_ids(commitment);
    return w_.Run(d, chief_);
  };
  const absl::StatusOr<Decision> other = escalate("commitment-b");
  ExpectRefusedAlike(escalate("commitment-nobody"), "commitment-nobody", other, "commitment-b",
                     absl::StatusCode::kNotFound);
  EXPECT_EQ(other.status().message(), "escalations[0].commitment_ids[0]: no commitment commitment-b");
}

TEST_F(DecideTest, ADecisionIsAboutAYouthOnlyOfItsMeetingsAgenda) {
  OtherAreasCase();
  const std::string meeting = MeetingFor(AcceptedYouth());
  auto about = [&](const std::string& youth) {
    return w_.Run(DecisionWithCommitment(meeting, youth), chief_);
  };
  const absl::StatusOr<Decision> other = about("youth-b");
  ExpectRefusedAlike(about("youth-nobody"), "youth-nobody", other, "youth-b",
                     absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.status().message()),
              HasSubstr("youth_id: youth-b is not on the agenda of"));
}

// A decision's escalation concerns commitments of the meeting's area owned by the target agency;
// about a youth's commitment, its reason is sealed under that youth even at a topic's decision.
// Review 13c, d: who attends for an agency attends for one that serves the meeting's area; the
// quorum and the acceptances in the meeting rest on it.
TEST_F(DecideTest, AttendanceIsForAnAgencyOfTheMeetingsArea) {
  const std::string youth = AcceptedYouth();
  MeetingFor(youth);  // constitutes the task force
  RegisterInAnotherArea("agency-school-other", v1::AGENCY_KIND_SCHOOL);
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id("area-test");
  schedule.set_body_id("task-force");
  schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
  const std::string meeting = w_.Do(schedule, chief_).id;
  auto held = [&](const std::string& agency, const std::string& person = "police-boss-1") {
    auto r = Req<v1::RecordAttendanceRequest>();
    r.set_meeting_id(meeting);
    r.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
    v1::BodyMember* ole = r.add_attendance();
    ole->set_agency_id("agency-school");
    ole->set_person("teacher-ole");
    v1::BodyMember* other = r.add_attendance();
    other->set_agency_id(agency);
    other->set_person(person);
    return r;
  };
  absl::StatusOr<Decision> d = w_.Run(held("agency-school-other"), chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "attendance[1].agency_id: agency-school-other is not an agency of area-test");
  d = w_.Run(held("agency-nobody"), chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(d.status().message(), "attendance[1].agency_id: ")) << d.status();
  // Review 13d, 3: at a body that seats the agencies' people, one attends for an agency only as
  // one the agency itself named (its register, its ladder); for the hotspot secretariat, the
  // area's chief or staff. Not whomever the chief records under its id.
  const std::string not_named =
      " is not one of %s's people as the agency named them (NameAgencyPeople, or its leadership "
      "ladder): an agency's seat and voice are for the people it names";
  for (const auto& [agency, person] : std::vector<std::pair<std::string, std::string>>{
           {"agency-police", "someone-else"}, {"agency-hotspot", "someone-else"}}) {
    d = w_.Run(held(agency, person), chief_);
    EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(d.status().message(),
              absl::StrCat("attendance[1].person: ", person,
                           absl::StrReplaceAll(not_named, {{"%s", agency}})));
  }
  EXPECT_TRUE(w_.Run(held("agency-hotspot", staff_.person), chief_).ok());
  const Decision recorded = w_.Do(held("agency-police"), chief_);
  const v1::MeetingHeld& event = w_.stream(meeting).back().meeting_held();
  ASSERT_EQ(event.attendance_size(), 2);
  EXPECT_EQ(event.attendance(1).agency_id(), "agency-police");
  EXPECT_EQ(event.attendance(1).person(), "police-boss-1");
  EXPECT_EQ(recorded.id, meeting);
  // A body that seats outsiders (a forum: associations, businesses, citizens) records whoever
  // came, also under an agency's id: it decides nothing, and nobody accepts there.
  const std::string forum = HeldMeetingOf(v1::BODY_KIND_FORUM, {{"agency-school", "ghost-gustav"}},
                                          {{"agency-school", "ghost-gustav"}});
  EXPECT_EQ(w_.stream(forum).back().meeting_held().attendance(0).person(), "ghost-gustav");
}

// Review 13d, 2: a decision that carries its own action plan or closure stands on its meeting as
// a decision cited by AdoptActionPlan or CloseCase does: decided with the agencies (someone
// attended for one, as one it named), at a body with the power to decide.
TEST_F(DecideTest, ADecisionsOwnPlanOrClosureIsDecidedWithTheAgenciesAtABodyThatDecides) {
  const std::string youth = AcceptedYouth();
  auto with_plan = [&](const std::string& meeting) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(youth);
    d.set_text("A plan for the school year");
    d.mutable_plan()->add_goals("Attend school every day");
    *d.mutable_plan()->mutable_review_date() = Day(2027, 3, 1);
    return d;
  };
  auto closing = [&](const std::string& meeting) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(youth);
    d.set_text("The family moved");
    d.set_close_with_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
    return d;
  };
  // The chief and her staff alone: the hotspot secretariat speaks for no agency.
  const std::string alone =
      MeetingFor(youth, {{"agency-hotspot", "chief-anna"}, {"agency-hotspot", "staff-bo"}});
  absl::StatusOr<Decision> d = w_.Run(with_plan(alone), chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("plan: this decision is recorded at ", alone,
                         ", which nobody attended for an agency (the hotspot secretariat's "
                         "people alone, or people their agency did not name): an action plan is "
                         "decided with the agencies"));
  d = w_.Run(closing(alone), chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            absl::StrCat("close_with_outcome: this decision is recorded at ", alone,
                         ", which nobody attended for an agency (the hotspot secretariat's "
                         "people alone, or people their agency did not name): a closure is "
                         "decided with the agencies"));
  // A body without the power to decide (the board, a forum) does neither, even where the
  // agencies attended.
  for (v1::BodyKind kind : {v1::BODY_KIND_HOTSPOT_BOARD, v1::BODY_KIND_FORUM}) {
    SCOPED_TRACE(v1::BodyKind_Name(kind));
    const std::string meeting = HeldMeetingOf(kind, {{"agency-school", "teacher-ole"}},
                                              {{"agency-school", "teacher-ole"}});
    for (const v1::RecordDecisionRequest& r : {with_plan(meeting), closing(meeting)}) {
      d = w_.Run(r, chief_);
      EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(std::string(d.status().message()),
                  HasSubstr(absl::StrCat("kind: a ", BodyKindName(kind),
                                         " has no decision power")));
    }
  }
  // The school's teacher, whom the school named, attended: his agency was there.
  const std::string met = MeetingFor(youth);
  const Decision planned = w_.Do(with_plan(met), chief_);
  const v1::Event& plan = w_.stream(youth).back();
  ASSERT_TRUE(plan.has_action_plan_adopted());
  EXPECT_EQ(plan.action_plan_adopted().meeting_id(), met);
  EXPECT_EQ(plan.action_plan_adopted().decision_id(), planned.id);
  const Decision closed = w_.Do(closing(MeetingFor(youth)), chief_);
  const v1::Event& close = w_.stream(youth).back();
  ASSERT_TRUE(close.has_case_closed());
  EXPECT_EQ(close.case_closed().decision_id(), closed.id);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_CLOSED);
}

TEST_F(DecideTest, ADecisionsEscalationConcernsTheTargetsCommitmentsOfTheMeetingsArea) {
  SchoolLadder();
  const std::string youth = AcceptedYouth();
  const std::string schools = Commitment(youth);
  const std::string meeting = MeetingFor(youth);
  auto topic = Req<v1::AddAgendaItemRequest>();
  topic.set_meeting_id(meeting);
  topic.set_topic("The school's morning calls");
  w_.Do(topic, chief_);
  // A commitment of another area (as its log holds it).
  v1::Event elsewhere;
  elsewhere.set_area_id("area-b");
  v1::CommitmentMade* made = elsewhere.mutable_commitment_made();
  made->set_commitment_id("commitment-b");
  made->set_owning_agency_id("agency-school");
  made->set_acceptance(v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  w_.AppendOfBefore("commitment-b", elsewhere);

  auto d = Req<v1::RecordDecisionRequest>();
  d.set_meeting_id(meeting);
  d.set_topic("The school's morning calls");
  d.set_text("Taken to the school's leadership");
  auto* ne = d.add_escalations();
  ne->set_target_agency_id("agency-school");
  ne->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  ne->set_reason("Morning calls stopped in October");
  ne->add_commitment_ids("commitment-b");
  absl::StatusOr<Decision> run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("escalations[0].commitment_ids[0]: no commitment commitment-b"));
  // Another agency's commitment, existing or of this decision.
  const std::string polices = CommitmentOf(youth, police_leader_);
  ne->set_commitment_ids(0, polices);
  run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("is agency-police's, not agency-school's"));
  v1::RecordDecisionRequest with_new = DecisionWithCommitment(meeting, youth);  // the school's
  *with_new.add_escalations() = *ne;
  with_new.mutable_escalations(0)->set_target_agency_id("agency-police");
  with_new.mutable_escalations(0)->set_commitment_ids(0, "new:0");
  run = w_.Run(with_new, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("escalations[0].commitment_ids[0]: \"new:0\" is agency-school's, not "
                        "agency-police's"));

  // The school's own commitment in the youth's case: not at the topic's decision, which
  // escalates the area's commitments (review 13c, g), but at a decision about the youth, and
  // sealed under the youth.
  ne->set_commitment_ids(0, schools);
  run = w_.Run(d, chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr(absl::StrCat("escalations[0].commitment_ids[0]: ", schools,
                                     " is of a youth's case; the escalation concerns the area")));
  d.clear_topic();
  d.set_youth_id(youth);
  const Decision decided = w_.Do(d, chief_);
  const std::string escalation = decided.created_ids.at(0);
  const v1::EscalationRaised& raised = w_.stream(escalation)[0].escalation_raised();
  EXPECT_EQ(raised.youth_id(), youth);
  EXPECT_EQ(raised.reason().sealed().key_id(), youth);
  EXPECT_EQ(World::Unseal(raised.reason().sealed()), "Morning calls stopped in October");
  EXPECT_EQ(raised.decision_id(), decided.id);
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Morning calls stopped"));
}

// The chief records who attended; she cannot make someone the agency's by recording them. Only a
// person the agency itself named (its register of people, its ladder, or for the police the
// area's coordinator they designated) accepts its commitment in the meeting; for anyone else
// the commitment is proposed to the agency.
TEST_F(DecideTest, OnlyAPersonTheAgencyNamedAcceptsItsCommitmentInTheMeeting) {
  const std::string youth = AcceptedYouth();
  // A ghost, named by nobody of the school, is not recorded as attending for it (review 13d, 3;
  // AttendanceIsForAnAgencyOfTheMeetingsArea): he accepts nothing, having not attended.
  SchoolLadder();  // head-mette on the school's ladder: one of its people
  NamePeople("agency-police", {"coordinator-kim"}, police_leader_);
  const std::string meeting = MeetingFor(youth, {{"agency-school", "teacher-ole"},
                                                 {"agency-school", "head-mette"},
                                                 {"agency-police", "coordinator-kim"}});
  auto accepted_by = [&](const std::string& agency, const std::string& person) {
    v1::RecordDecisionRequest d = DecisionWithCommitment(meeting, youth);
    d.mutable_commitments(0)->set_owning_agency_id(agency);
    d.mutable_commitments(0)->set_accepted_by(person);
    return d;
  };
  auto made = [&](const Decision& decision) -> const v1::CommitmentMade& {
    return w_.stream(decision.created_ids.at(0)).at(0).commitment_made();
  };

  absl::StatusOr<Decision> run = w_.Run(accepted_by("agency-school", "ghost-gustav"), chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(run.status().message(),
            absl::StrCat("commitments[0].accepted_by: ghost-gustav of agency-school did not "
                         "attend ",
                         meeting, "; without them the commitment is proposed to the agency"));
  // Proposed to the school instead, it is made, for the school to answer.
  v1::RecordDecisionRequest proposed = accepted_by("agency-school", "");
  EXPECT_EQ(made(w_.Do(proposed, chief_)).acceptance(), v1::COMMITMENT_ACCEPTANCE_PROPOSED);

  // The teacher the school named accepts; so does the head of school on its ladder.
  const Decision teacher = w_.Do(accepted_by("agency-school", "teacher-ole"), chief_);
  EXPECT_EQ(made(teacher).acceptance(), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  EXPECT_EQ(made(teacher).accepted_by(), "teacher-ole");
  const Decision head = w_.Do(accepted_by("agency-school", "head-mette"), chief_);
  EXPECT_EQ(made(head).acceptance(), v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
  EXPECT_EQ(made(head).accepted_by(), "head-mette");

  // The police's coordinator of the area: one of their people, as they named and designated
  // them.
  auto designate = Req<v1::DesignatePoliceCoordinatorRequest>();
  designate.set_area_id("area-test");
  designate.set_agency_id("agency-police");
  designate.set_person("coordinator-kim");
  w_.Do(designate, chief_);  // the area designates (review 13b, S6)
  EXPECT_EQ(made(w_.Do(accepted_by("agency-police", "coordinator-kim"), chief_)).accepted_by(),
            "coordinator-kim");

  // The school names its people anew, without its teacher: though he attended, he no longer
  // accepts for it (its minutes are recorded after); the head on its ladder still does.
  NamePeople("agency-school", {"teacher-mads"}, school_leader_);
  run = w_.Run(accepted_by("agency-school", "teacher-ole"), chief_);
  EXPECT_EQ(Code(run), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("commitments[0].accepted_by: teacher-ole is not one of agency-school's "
                        "people as the agency named them"));
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("propose the commitment to the agency instead"));
  EXPECT_EQ(made(w_.Do(accepted_by("agency-school", "head-mette"), chief_)).accepted_by(),
            "head-mette");
}

}  // namespace
}  // namespace hotspot::domain
