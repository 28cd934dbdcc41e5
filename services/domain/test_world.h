// The domain's tests' world: streams in memory in place of the store, a sealer that hides the
// text so that a test can look for clear text in the events' bytes, and DecideTest, a fixture
// with an area, its agencies and people, and the steps most tests start from (a referral, an
// accepted youth, a held meeting, a commitment). For the *_test.cc files beside the aggregates.
#ifndef HOTSPOT_SERVICES_DOMAIN_TEST_WORLD_H_
#define HOTSPOT_SERVICES_DOMAIN_TEST_WORLD_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "services/domain/decide.h"
#include "services/security/policy.h"

namespace hotspot::domain {

// Streams in memory, appended to as the store would (expected versions checked), and a sealer
// that hides the text (XOR) so a test can look for clear text in the events' bytes.
class World : public EventSource, public FieldSealer, public ReportFigures {
 public:
  // The report's figures: `figures_`, canned, for the period asked; counts the calls.
  absl::StatusOr<v1::AreaDashboard> Compile(const Principal&, absl::string_view area_id,
                                            const v1::Date& period_start,
                                            const v1::Date& period_end) override {
    ++compiled_;
    v1::AreaDashboard board = figures_;
    board.set_area_id(std::string(area_id));
    *board.mutable_period_start() = period_start;
    *board.mutable_period_end() = period_end;
    return board;
  }

  absl::StatusOr<StreamEvents> Read(absl::string_view stream) override {
    auto it = streams_.find(std::string(stream));
    auto events = std::make_shared<std::vector<v1::Event>>();
    if (it != streams_.end()) *events = it->second;
    return StreamEvents{events->size(), std::move(events)};
  }

  absl::StatusOr<v1::SealedText> Seal(absl::string_view subject, absl::string_view field,
                                      absl::string_view text) override {
    v1::SealedText sealed;
    sealed.set_key_id(std::string(subject));
    std::string hidden(text);
    for (char& c : hidden) c ^= 0x5a;
    sealed.set_ciphertext(absl::StrCat(field, ":", hidden));
    return sealed;
  }

  static std::string Unseal(const v1::SealedText& sealed) {
    std::string text = sealed.ciphertext().substr(sealed.ciphertext().find(':') + 1);
    for (char& c : text) c ^= 0x5a;
    return text;
  }

  absl::StatusOr<std::optional<std::string>> Open(const v1::SealedText& sealed) override {
    return Unseal(sealed);
  }

  // As hotspotd runs a command: the caller admitted first (security::Admit), with its agency as
  // the streams register it.
  template <typename Request>
  absl::StatusOr<Decision> Run(const Request& request, const Principal& caller) {
    Principal who = caller;
    if (absl::Status admitted =
            security::Admit(who,
                            [this](absl::string_view agency_id) -> absl::StatusOr<security::AgencyFacts> {
                              AgencyState agency;
                              for (const v1::Event& e : stream(std::string(agency_id))) {
                                Evolve(agency, e);
                              }
                              return FactsOf(agency_id, agency);
                            });
        !admitted.ok()) {
      return admitted;
    }
    CommandContext context{who, now_, this, this};
    context.figures = this;
    return Decided(request, context);
  }

  // Runs and applies; fails the test on an error.
  template <typename Request>
  Decision Do(const Request& request, const Principal& who) {
    absl::StatusOr<Decision> d = Run(request, who);
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return Decision();
    Apply(*d);
    return *d;
  }

  void Apply(const Decision& d) {
    for (const StreamWrite& w : d.writes) {
      EXPECT_EQ(streams_[w.stream].size(), w.expected_version) << w.stream;
    }
    for (const StreamWrite& w : d.writes) {
      for (const v1::Event& e : w.events) {
        streams_[w.stream].push_back(e);
        all_bytes_ += e.SerializeAsString();
      }
    }
  }

  // Appends `event` as the deadline process of before did: by itself, under its own ids, not
  // through a decision (the domain must still see what it recorded).
  void AppendOfBefore(const std::string& stream, v1::Event event) {
    event.mutable_actor()->set_person("system");
    event.mutable_actor()->set_role("system");
    streams_[stream].push_back(std::move(event));
  }

  const std::vector<v1::Event>& stream(const std::string& name) { return streams_[name]; }
  const std::string& all_bytes() const { return all_bytes_; }
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());
  v1::AreaDashboard figures_;
  int compiled_ = 0;

 private:
  std::map<std::string, std::vector<v1::Event>> streams_;
  std::string all_bytes_;
};

inline Principal Who(std::string person, std::string agency, Role role) {
  return Principal{std::move(person), std::move(agency), role, {"area-test"}};
}

inline v1::Date Day(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

inline int rid = 0;
template <typename Request>
Request Req() {
  Request r;
  r.set_request_id(absl::StrCat("req-", ++rid));
  return r;
}

// The chief's escalation of `commitment` to `agency` at the steering-group level, in area-test.
inline v1::RaiseEscalationRequest Escalating(const std::string& agency,
                                             const std::string& commitment) {
  auto raise = Req<v1::RaiseEscalationRequest>();
  raise.set_area_id("area-test");
  raise.set_target_agency_id(agency);
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("Calls not made for three weeks");
  raise.add_commitment_ids(commitment);
  return raise;
}

class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto area = Req<v1::EstablishAreaRequest>();
    area.set_area_id("area-test");
    area.set_name("Test Area");
    area.set_municipality("Copenhagen");
    w_.Do(area, admin_);
    auto appoint = Req<v1::AppointChiefRequest>();
    appoint.set_area_id("area-test");
    appoint.set_person(chief_.person);
    w_.Do(appoint, admin_);
    auto staff = Req<v1::AssignStaffRequest>();
    staff.set_area_id("area-test");
    staff.set_person(staff_.person);
    staff.set_function("outreach");
    w_.Do(staff, chief_);
    Register("agency-hotspot", v1::AGENCY_KIND_HOTSPOT_SECRETARIAT);
    Register("agency-school", v1::AGENCY_KIND_SCHOOL);
    Register("agency-social", v1::AGENCY_KIND_SOCIAL_ADMINISTRATION);
    Register("agency-police", v1::AGENCY_KIND_POLICE);
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id("agency-police");
    // The police's own ladder: police-boss-1 the coordinator, -2 the local police chief, -3 the
    // police director.
    for (v1::LeadershipLevel level :
         {v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR, v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF,
          v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR}) {
      auto* contact = ladder.add_contacts();
      contact->set_level(level);
      contact->set_person(
          absl::StrCat("police-boss-", level - v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR + 1));
    }
    w_.Do(ladder, police_leader_);  // the police's own leaders set it
    // The school names its teacher: he accepts its commitments in the meetings he attends.
    NamePeople("agency-school", {"teacher-ole"}, school_leader_);
  }

  // `agency`'s register of its people, named by `by` (its leader, or an admin).
  void NamePeople(const std::string& agency, const std::vector<std::string>& persons,
                  const Principal& by) {
    auto named = Req<v1::NameAgencyPeopleRequest>();
    named.set_agency_id(agency);
    for (const std::string& person : persons) named.add_persons(person);
    w_.Do(named, by);
  }

  void Register(const std::string& id, v1::AgencyKind kind) {
    auto r = Req<v1::RegisterAgencyRequest>();
    r.set_agency_id(id);
    r.set_area_id("area-test");
    r.set_name(id);
    r.set_kind(kind);
    w_.Do(r, chief_);
  }

  // A valid adoption of area-test's programme by the city council, after two hearings.
  v1::AdoptProgrammeRequest Programme() {
    auto programme = Req<v1::AdoptProgrammeRequest>();
    programme.set_area_id("area-test");
    auto* goal = programme.add_goals();
    goal->set_goal_id("charges");
    goal->set_description("Fewer charges among youth");
    goal->set_measure("charges_per_1000_youth");
    goal->set_baseline(75);
    goal->set_target(50);
    programme.set_council_reference("BR 2026-0412");
    *programme.mutable_council_decided_on() = Day(2026, 9, 24);
    auto* hearing = programme.add_hearings();
    hearing->set_kind(v1::HEARING_KIND_LOCAL_COMMITTEE);
    hearing->set_heard("Kongens Enghave Lokaludvalg");
    *hearing->mutable_held_on() = Day(2026, 8, 20);
    hearing = programme.add_hearings();
    hearing->set_kind(v1::HEARING_KIND_ADMINISTRATION);
    hearing->set_heard("Socialforvaltningen");
    *hearing->mutable_held_on() = Day(2026, 8, 27);
    return programme;
  }

  v1::ReferYouthRequest Referral() {
    auto r = Req<v1::ReferYouthRequest>();
    r.set_area_id("area-test");
    r.set_referring_agency_id("agency-school");
    r.set_referred_by("teacher-ole");
    r.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
    r.set_description("Absent 30 days; seen with older boys at night");
    r.set_urgency(v1::URGENCY_HIGH);
    r.set_identity_known(true);
    r.set_name("Ahmed Jensen");
    r.set_cpr_number("010110-4234");  // the 4: born in the 2000s
    r.set_birth_date("2010-01-01");
    r.set_address("Sjaeloer Boulevard 7, 2450 Copenhagen SV");
    return r;
  }

  std::string Refer() { return w_.Do(Referral(), school_member_).id; }

  std::string AcceptedYouth() {
    const std::string youth = Refer();
    auto screen = Req<v1::ScreenReferralRequest>();
    screen.set_youth_id(youth);
    screen.set_accept(true);
    w_.Do(screen, chief_);
    return youth;
  }

  // A held task-force meeting with `youth` on its agenda, attended (as the chief records it) by
  // `attendance`: (agency, person); by default the school's teacher-ole.
  std::string MeetingFor(const std::string& youth,
                         const std::vector<std::pair<std::string, std::string>>& attendance = {
                             {"agency-school", "teacher-ole"}}) {
    if (!body_) {
      auto body = Req<v1::ConstituteBodyRequest>();
      body.set_area_id("area-test");
      body.set_body_id("task-force");
      body.set_kind(v1::BODY_KIND_TASK_FORCE);
      body.set_name("Task force");
      auto* m = body.add_members();
      m->set_agency_id("agency-school");
      m->set_person("teacher-ole");
      body.mutable_cadence()->set_every_weeks(2);
      w_.Do(body, chief_);
      body_ = true;
    }
    auto schedule = Req<v1::ScheduleMeetingRequest>();
    schedule.set_area_id("area-test");
    schedule.set_body_id("task-force");
    schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
    const std::string meeting = w_.Do(schedule, chief_).id;
    auto held = Req<v1::RecordAttendanceRequest>();
    held.set_meeting_id(meeting);
    held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
    for (const auto& [agency, person] : attendance) {
      v1::BodyMember* member = held.add_attendance();
      member->set_agency_id(agency);
      member->set_person(person);
    }
    w_.Do(held, chief_);
    auto agenda = Req<v1::AddAgendaItemRequest>();
    agenda.set_meeting_id(meeting);
    agenda.set_youth_id(youth);
    w_.Do(agenda, chief_);
    return meeting;
  }

  v1::RecordDecisionRequest DecisionWithCommitment(const std::string& meeting,
                                                   const std::string& youth) {
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(youth);
    d.set_text("School and club follow up on attendance");
    auto* c = d.add_commitments();
    c->set_owning_agency_id("agency-school");
    c->set_responsible_person("teacher-ole");
    c->set_action("Daily attendance call to the family");
    *c->mutable_due_date() = Day(2026, 12, 15);
    c->set_accepted_by("teacher-ole");  // who attended for the school
    return d;
  }

  // A commitment of the school, accepted in the meeting; or proposed (nobody accepted it).
  std::string Commitment(const std::string& youth) {
    return w_.Do(DecisionWithCommitment(MeetingFor(youth), youth), chief_).created_ids.at(0);
  }
  std::string ProposedCommitment(const std::string& youth) {
    v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
    d.mutable_commitments(0)->clear_accepted_by();
    return w_.Do(d, chief_).created_ids.at(0);
  }

  // A decision of the task force about `youth`, at a held meeting (MeetingFor), that agrees on
  // a change of its case to be recorded after it: sets `r`'s meeting_id and decision_id (an
  // AdoptActionPlan, CloseCase or HandOverToAdultServices for `r.youth_id()`).
  template <typename Request>
  Request& Cite(Request& r) {
    const std::string meeting = MeetingFor(r.youth_id());
    auto d = Req<v1::RecordDecisionRequest>();
    d.set_meeting_id(meeting);
    d.set_youth_id(r.youth_id());
    d.set_text("Agreed at the task force");
    r.set_meeting_id(meeting);
    r.set_decision_id(w_.Do(d, chief_).id);
    return r;
  }

  using People = std::vector<std::pair<std::string, std::string>>;  // (agency, person)
  // A held meeting of a new body of `kind`, with head-mette of the school its one member, who
  // attends.
  std::string HeldMeetingOf(v1::BodyKind kind) {
    return HeldMeetingOf(kind, {{"agency-school", "head-mette"}},
                         {{"agency-school", "head-mette"}});
  }
  // A held meeting of a new body of `kind` with these members and this attendance.
  std::string HeldMeetingOf(v1::BodyKind kind, const People& members, const People& attendance) {
    auto body = Req<v1::ConstituteBodyRequest>();
    body.set_area_id("area-test");
    body.set_body_id(absl::StrCat("body-", ++bodies_));
    body.set_kind(kind);
    body.set_name(BodyKindName(kind));
    for (const auto& [agency, person] : members) {
      auto* member = body.add_members();
      member->set_agency_id(agency);
      member->set_person(person);
    }
    body.mutable_cadence()->set_min_meetings_per_year(2);
    // The political follow-up group and the steering group are constituted by an admin.
    const bool governing =
        kind == v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP || kind == v1::BODY_KIND_STEERING_GROUP;
    w_.Do(body, governing ? admin_ : chief_);
    auto schedule = Req<v1::ScheduleMeetingRequest>();
    schedule.set_area_id("area-test");
    schedule.set_body_id(body.body_id());
    schedule.mutable_scheduled_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
    const std::string meeting = w_.Do(schedule, staff_).id;
    auto held = Req<v1::RecordAttendanceRequest>();
    held.set_meeting_id(meeting);
    held.mutable_held_at()->set_seconds(absl::ToUnixSeconds(w_.now_));
    for (const auto& [agency, person] : attendance) {
      auto* present = held.add_attendance();
      present->set_agency_id(agency);
      present->set_person(person);
    }
    w_.Do(held, staff_);
    return meeting;
  }
  v1::AddAgendaItemRequest Topic(const std::string& meeting, const std::string& topic) {
    auto item = Req<v1::AddAgendaItemRequest>();
    item.set_meeting_id(meeting);
    item.set_topic(topic);
    return item;
  }

  // A commitment of the school proposed in `youth`'s case and declined by its leader: back with
  // the chief.
  std::string DeclinedCommitment(const std::string& youth) {
    const std::string declined = ProposedCommitment(youth);
    auto decline = Req<v1::DeclineCommitmentRequest>();
    decline.set_commitment_id(declined);
    decline.set_reason("No staff for morning calls");
    w_.Do(decline, school_leader_);
    return declined;
  }

  // Another area's case as that area's log holds it: "youth-b" of "area-b", with a declined
  // commitment of the school, "commitment-b".
  void OtherAreasCase() {
    v1::Event referred;
    referred.set_area_id("area-b");
    referred.mutable_youth_referred()->set_youth_id("youth-b");
    referred.mutable_youth_referred()->set_referring_agency_id("agency-school");
    w_.AppendOfBefore("youth-b", referred);
    v1::Event made;
    made.set_area_id("area-b");
    made.mutable_commitment_made()->set_commitment_id("commitment-b");
    made.mutable_commitment_made()->set_owning_agency_id("agency-school");
    made.mutable_commitment_made()->set_youth_id("youth-b");
    w_.AppendOfBefore("commitment-b", made);
    v1::Event declined;
    declined.set_area_id("area-b");
    declined.mutable_commitment_declined()->set_commitment_id("commitment-b");
    w_.AppendOfBefore("commitment-b", declined);
  }

  // The probe of an existence oracle: `unknown` (an id nothing has) and `other` (another area's)
  // were refused alike, with `code` and the same message but for the id each names, and with no
  // word of the other area.
  static void ExpectRefusedAlike(const absl::StatusOr<Decision>& unknown,
                                 const std::string& unknown_id,
                                 const absl::StatusOr<Decision>& other, const std::string& other_id,
                                 absl::StatusCode code) {
    EXPECT_EQ(unknown.status().code(), code) << unknown.status();
    EXPECT_EQ(other.status().code(), code) << other.status();
    EXPECT_EQ(absl::StrReplaceAll(unknown.status().message(), {{unknown_id, "<id>"}}),
              absl::StrReplaceAll(other.status().message(), {{other_id, "<id>"}}));
    EXPECT_FALSE(absl::StrContains(other.status().message(), "area-b")) << other.status();
  }

  // The school's ladder, set by its leader: head-mette answers at the steering-group level,
  // director-bo at the director level, mayor-jens at the political follow-up group.
  void SchoolLadder() {
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id("agency-school");
    for (const auto& [level, person] :
         {std::pair{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "head-mette"},
          std::pair{v1::LEADERSHIP_LEVEL_DIRECTOR, "director-bo"},
          std::pair{v1::LEADERSHIP_LEVEL_POLITICAL, "mayor-jens"}}) {
      auto* contact = ladder.add_contacts();
      contact->set_level(level);
      contact->set_person(person);
    }
    w_.Do(ladder, school_leader_);
  }

  // A commitment of `accepter`'s agency in `youth`'s case, `accepter` responsible for it:
  // proposed at a meeting and accepted after it by `accepter`.
  std::string CommitmentOf(const std::string& youth, const Principal& accepter) {
    v1::RecordDecisionRequest d = DecisionWithCommitment(MeetingFor(youth), youth);
    d.mutable_commitments(0)->set_owning_agency_id(accepter.agency);
    d.mutable_commitments(0)->set_responsible_person(accepter.person);
    d.mutable_commitments(0)->clear_accepted_by();
    const std::string id = w_.Do(d, chief_).created_ids.at(0);
    auto accept = Req<v1::AcceptCommitmentRequest>();
    accept.set_commitment_id(id);
    w_.Do(accept, accepter);
    return id;
  }

  // An agency of `kind` registered by an admin in area-other, which is established (in Aalborg)
  // the first time.
  void RegisterInAnotherArea(const std::string& agency_id, v1::AgencyKind kind) {
    Principal admin = admin_;
    admin.areas = {"area-other"};
    if (w_.stream("area-other").empty()) {
      auto other = Req<v1::EstablishAreaRequest>();
      other.set_area_id("area-other");
      other.set_name("Other");
      other.set_municipality("Aalborg");
      w_.Do(other, admin);
    }
    auto agency = Req<v1::RegisterAgencyRequest>();
    agency.set_agency_id(agency_id);
    agency.set_area_id("area-other");
    agency.set_name(agency_id);
    agency.set_kind(kind);
    w_.Do(agency, admin);
  }

  v1::CaseStatus Status(const std::string& youth) {
    YouthState state;
    for (const auto& e : w_.stream(youth)) Evolve(state, e);
    return state.status;
  }

  World w_;
  bool body_ = false;
  int bodies_ = 0;  // constituted by HeldMeetingOf: "body-1", "body-2", ...
  Principal admin_ = Who("admin-it", "agency-hotspot", Role::kAdmin);
  Principal chief_ = Who("chief-anna", "agency-hotspot", Role::kCoordinator);  // the area's chief
  Principal staff_ = Who("staff-bo", "agency-hotspot", Role::kCoordinator);    // her staff
  Principal school_member_ = Who("teacher-ole", "agency-school", Role::kAgencyMember);
  Principal school_leader_ = Who("head-mette", "agency-school", Role::kAgencyLeader);
  Principal police_leader_ = Who("police-boss-1", "agency-police", Role::kAgencyLeader);
  Principal caseworker_ = Who("caseworker-lis", "agency-social", Role::kSocialCaseworker);
  Principal auditor_ = Who("auditor-kim", "agency-hotspot", Role::kAuditor);
  Principal system_ = security::SystemPrincipal();  // the deadline process
};

inline absl::Time At(int y, int m, int d, int hour = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), absl::UTCTimeZone());
}

inline absl::StatusCode Code(const absl::StatusOr<Decision>& d) { return d.status().code(); }

}  // namespace hotspot::domain

#endif  // HOTSPOT_SERVICES_DOMAIN_TEST_WORLD_H_
