// decide/evolve without I/O: an in-memory world stands in for the store and the key store.
#include "services/domain/decide.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hotspot::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Streams in memory, appended to as the store would (expected versions checked), and a sealer
// that hides the text (XOR) so a test can look for clear text in the events' bytes.
class World : public EventSource, public FieldSealer {
 public:
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

  template <typename Request>
  absl::StatusOr<Decision> Run(const Request& request, const Principal& who) {
    CommandContext context{who, now_, this, this};
    return Decide(request, context);
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

  const std::vector<v1::Event>& stream(const std::string& name) { return streams_[name]; }
  const std::string& all_bytes() const { return all_bytes_; }
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::UTCTimeZone());

 private:
  std::map<std::string, std::vector<v1::Event>> streams_;
  std::string all_bytes_;
};

Principal Who(std::string person, std::string agency, Role role) {
  return Principal{std::move(person), std::move(agency), role, {"area-test"}};
}

v1::Date Day(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

int rid = 0;
template <typename Request>
Request Req() {
  Request r;
  r.set_request_id(absl::StrCat("req-", ++rid));
  return r;
}

class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto area = Req<v1::EstablishAreaRequest>();
    area.set_area_id("area-test");
    area.set_name("Test Area");
    area.set_municipality("Copenhagen");
    w_.Do(area, admin_);
    Register("agency-hotspot", v1::AGENCY_KIND_HOTSPOT_SECRETARIAT);
    Register("agency-school", v1::AGENCY_KIND_SCHOOL);
    Register("agency-social", v1::AGENCY_KIND_SOCIAL_ADMINISTRATION);
    Register("agency-police", v1::AGENCY_KIND_POLICE);
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id("agency-police");
    for (int level = 1; level <= 3; ++level) {
      auto* contact = ladder.add_contacts();
      contact->set_level(static_cast<v1::LeadershipLevel>(level));
      contact->set_person(absl::StrCat("police-boss-", level));
    }
    w_.Do(ladder, chief_);
  }

  void Register(const std::string& id, v1::AgencyKind kind) {
    auto r = Req<v1::RegisterAgencyRequest>();
    r.set_agency_id(id);
    r.set_area_id("area-test");
    r.set_name(id);
    r.set_kind(kind);
    w_.Do(r, chief_);
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
    r.set_cpr_number("010110-1234");
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

  // A held task-force meeting with `youth` on its agenda.
  std::string MeetingFor(const std::string& youth) {
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
    held.add_attendance();
    held.mutable_attendance(0)->set_agency_id("agency-school");
    held.mutable_attendance(0)->set_person("teacher-ole");
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
    return d;
  }

  std::string Commitment(const std::string& youth) {
    return w_.Do(DecisionWithCommitment(MeetingFor(youth), youth), chief_).created_ids.at(0);
  }

  v1::CaseStatus Status(const std::string& youth) {
    YouthState state;
    for (const auto& e : w_.stream(youth)) Evolve(state, e);
    return state.status;
  }

  World w_;
  bool body_ = false;
  Principal admin_ = Who("admin-it", "agency-hotspot", Role::kAdmin);
  Principal chief_ = Who("chief-anna", "agency-hotspot", Role::kCoordinator);
  Principal school_member_ = Who("teacher-ole", "agency-school", Role::kAgencyMember);
  Principal school_leader_ = Who("head-mette", "agency-school", Role::kAgencyLeader);
  Principal police_leader_ = Who("police-boss-1", "agency-police", Role::kAgencyLeader);
  Principal caseworker_ = Who("caseworker-lis", "agency-social", Role::kSocialCaseworker);
  Principal auditor_ = Who("auditor-kim", "agency-hotspot", Role::kAuditor);
};

absl::StatusCode Code(const absl::StatusOr<Decision>& d) { return d.status().code(); }

TEST_F(DecideTest, AreaSetUpAndItsRules) {
  AreaState area;
  for (const auto& e : w_.stream("area-test")) Evolve(area, e);
  EXPECT_TRUE(area.exists);
  EXPECT_EQ(area.escalation_ack_days, 14);  // the default

  auto again = Req<v1::EstablishAreaRequest>();
  again.set_area_id("area-test");
  again.set_name("x");
  again.set_municipality("y");
  EXPECT_EQ(Code(w_.Run(again, admin_)), absl::StatusCode::kAlreadyExists);
  again.set_area_id("area-Bad_Id");
  EXPECT_EQ(Code(w_.Run(again, admin_)), absl::StatusCode::kInvalidArgument);

  auto programme = Req<v1::AdoptProgrammeRequest>();
  programme.set_area_id("area-test");
  auto* goal = programme.add_goals();
  goal->set_goal_id("charges");
  goal->set_description("Fewer charges among youth");
  goal->set_measure("charges per 1,000 youth");
  goal->set_baseline(75);
  goal->set_target(50);
  EXPECT_EQ(Code(w_.Run(programme, school_member_)), absl::StatusCode::kPermissionDenied);
  w_.Do(programme, chief_);
  auto revision = programme;
  revision.set_request_id("rev");
  EXPECT_EQ(Code(w_.Run(revision, chief_)), absl::StatusCode::kInvalidArgument);  // no reason
  revision.set_summary("Targets raised after the 2026 report");
  const Decision revised = w_.Do(revision, chief_);
  ASSERT_EQ(revised.writes.at(0).events.size(), 1u);
  EXPECT_EQ(revised.writes[0].events[0].programme_revised().revision(), 2);

  auto chief = Req<v1::AppointChiefRequest>();
  chief.set_area_id("area-test");
  chief.set_person("chief-anna");
  w_.Do(chief, admin_);
  EXPECT_EQ(Code(w_.Run(chief, admin_)), absl::StatusCode::kFailedPrecondition);

  auto staff = Req<v1::AssignStaffRequest>();
  staff.set_area_id("area-test");
  staff.set_person("street-ali");
  staff.set_function("outreach worker");
  w_.Do(staff, chief_);

  auto body = Req<v1::ConstituteBodyRequest>();
  body.set_area_id("area-test");
  body.set_body_id("steering");
  body.set_kind(v1::BODY_KIND_STEERING_GROUP);
  body.set_name("Steering group");
  auto* member = body.add_members();
  member->set_agency_id("agency-unknown");
  member->set_person("someone");
  body.mutable_cadence()->set_min_meetings_per_year(4);
  EXPECT_EQ(Code(w_.Run(body, chief_)), absl::StatusCode::kNotFound);
  member->set_agency_id("agency-police");
  body.mutable_cadence()->set_every_weeks(2);  // both set
  EXPECT_EQ(Code(w_.Run(body, chief_)), absl::StatusCode::kInvalidArgument);
  body.mutable_cadence()->set_every_weeks(0);
  w_.Do(body, chief_);
  EXPECT_EQ(Code(w_.Run(body, chief_)), absl::StatusCode::kAlreadyExists);

  auto measurement = Req<v1::RecordMeasurementRequest>();
  measurement.set_area_id("area-test");
  measurement.set_measure("charges_per_1000_youth");
  measurement.set_scope(v1::MEASUREMENT_SCOPE_CONTROL_AREAS);
  *measurement.mutable_measured_on() = Day(2026, 6, 30);
  measurement.set_value(65);
  EXPECT_EQ(Code(w_.Run(measurement, school_leader_)), absl::StatusCode::kPermissionDenied);
  w_.Do(measurement, chief_);
  measurement.set_measure("Charges per 1000");
  EXPECT_EQ(Code(w_.Run(measurement, chief_)), absl::StatusCode::kInvalidArgument);

  // A principal of another area sees nothing of this one.
  Principal stranger = chief_;
  stranger.areas = {"area-other"};
  EXPECT_EQ(Code(w_.Run(staff, stranger)), absl::StatusCode::kPermissionDenied);
}

TEST_F(DecideTest, ReferralSealsPersonalDataAndChecksItsInput) {
  const std::string youth = Refer();
  ASSERT_EQ(w_.stream(youth).size(), 1u);
  const v1::Event& e = w_.stream(youth)[0];
  EXPECT_EQ(e.actor().person(), "teacher-ole");
  EXPECT_EQ(e.actor().role(), "agency_member");
  EXPECT_EQ(e.area_id(), "area-test");
  EXPECT_EQ(e.youth_referred().name().key_id(), youth);
  EXPECT_EQ(World::Unseal(e.youth_referred().name()), "Ahmed Jensen");
  EXPECT_EQ(World::Unseal(e.youth_referred().address()),
            "Sjaeloer Boulevard 7, 2450 Copenhagen SV");
  EXPECT_EQ(EventType(e), "hotspot.v1.YouthReferred");
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_REFERRED);

  // Personal data never stands in clear in an event.
  for (const char* clear : {"Ahmed", "Jensen", "010110-1234", "2010-01-01", "Sjaeloer", "Absent"}) {
    EXPECT_FALSE(absl::StrContains(w_.all_bytes(), clear)) << clear;
  }

  struct Bad {
    const char* field;
    void (*mutate)(v1::ReferYouthRequest&);
  } bad[] = {
      {"request_id", [](v1::ReferYouthRequest& r) { r.clear_request_id(); }},
      {"request_id", [](v1::ReferYouthRequest& r) { r.set_request_id("has space"); }},
      {"area_id", [](v1::ReferYouthRequest& r) { r.set_area_id("youth-1"); }},
      {"referred_by", [](v1::ReferYouthRequest& r) { r.clear_referred_by(); }},
      {"concerns", [](v1::ReferYouthRequest& r) { r.clear_concerns(); }},
      {"concerns[1]",
       [](v1::ReferYouthRequest& r) { r.add_concerns(static_cast<v1::ConcernCategory>(99)); }},
      {"description", [](v1::ReferYouthRequest& r) { r.set_description(std::string(10001, 'x')); }},
      {"urgency", [](v1::ReferYouthRequest& r) { r.set_urgency(static_cast<v1::Urgency>(42)); }},
      {"name", [](v1::ReferYouthRequest& r) { r.clear_name(); }},
      {"cpr_number", [](v1::ReferYouthRequest& r) { r.set_cpr_number("0101101234"); }},
      {"birth_date", [](v1::ReferYouthRequest& r) { r.set_birth_date("2010-02-30"); }},
  };
  for (const Bad& b : bad) {
    v1::ReferYouthRequest r = Referral();
    b.mutate(r);
    const absl::StatusOr<Decision> d = w_.Run(r, school_member_);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument) << b.field;
    EXPECT_TRUE(absl::StartsWith(d.status().message(), absl::StrCat(b.field, ":")))
        << b.field << " vs " << d.status().message();
  }

  // An unknown youth: no personal data needed.
  v1::ReferYouthRequest unknown = Referral();
  unknown.set_identity_known(false);
  unknown.clear_name();
  unknown.clear_cpr_number();
  EXPECT_TRUE(w_.Run(unknown, chief_).ok());

  // An agency member refers only for their own agency; an auditor not at all.
  v1::ReferYouthRequest other = Referral();
  other.set_referring_agency_id("agency-police");
  EXPECT_EQ(Code(w_.Run(other, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(Referral(), auditor_)), absl::StatusCode::kPermissionDenied);
  other.set_referring_agency_id("agency-nowhere");
  EXPECT_EQ(Code(w_.Run(other, chief_)), absl::StatusCode::kNotFound);
}

// The concern shared under § 115 by the police with the school: who may share under which
// basis, who may receive it, and what the event holds.
TEST_F(DecideTest, LegalBasesDecideWhoMaySharePutTheRecipientsAndSealTheCategories) {
  Register("agency-housing", v1::AGENCY_KIND_HOUSING_ASSOCIATION);
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  auto free_school = Req<v1::RegisterAgencyRequest>();
  free_school.set_agency_id("agency-free-school");
  free_school.set_area_id("area-test");
  free_school.set_name("Free school");
  free_school.set_kind(v1::AGENCY_KIND_OTHER);
  free_school.set_self_governing_institution(true);
  w_.Do(free_school, chief_);
  const std::string youth = Refer();
  const Principal housing = Who("caretaker-per", "agency-housing", Role::kAgencyMember);
  const Principal ngo = Who("volunteer-mia", "agency-ngo", Role::kAgencyMember);

  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-police");
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
  share.add_concerns(v1::CONCERN_CATEGORY_GANG_AFFILIATION);
  share.set_text("Charged with theft; seen with the Loop gang");
  // Recipients and the necessity statement are required.
  absl::StatusOr<Decision> d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("necessity"));
  share.set_necessity("The school must know to keep him away from the older boys");
  d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("recipient_agency_ids"));
  // A housing association receives nothing under § 115.
  share.add_recipient_agency_ids("agency-housing");
  d = w_.Run(share, police_leader_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("LEGAL_BASIS_SSP_EXCHANGE"));
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("agency-housing"));
  // Nor an NGO; an unknown agency is not found.
  share.set_recipient_agency_ids(0, "agency-ngo");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kFailedPrecondition);
  share.set_recipient_agency_ids(0, "agency-nowhere");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kNotFound);
  // The school and a self-governing institution that joined under stk. 3 may.
  share.set_recipient_agency_ids(0, "agency-school");
  share.add_recipient_agency_ids("agency-free-school");
  const Decision shared = w_.Do(share, police_leader_);
  const v1::ConcernShared& event = shared.writes[0].events[0].concern_shared();
  EXPECT_THAT(event.recipient_agency_ids(), ElementsAre("agency-free-school", "agency-school"));
  EXPECT_EQ(event.legal_basis(), v1::LEGAL_BASIS_SSP_EXCHANGE);
  // The categories are sealed like the free texts; only their number stands in clear.
  EXPECT_TRUE(event.concerns().empty());
  EXPECT_EQ(event.concern_count(), 2);
  EXPECT_EQ(World::Unseal(event.concerns_sealed()),
            "CONCERN_CATEGORY_CHARGES,CONCERN_CATEGORY_GANG_AFFILIATION");
  EXPECT_EQ(World::Unseal(event.necessity()),
            "The school must know to keep him away from the older boys");
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Loop gang"));
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "CONCERN_CATEGORY_CHARGES"));
  // The referral's categories are sealed too.
  const v1::YouthReferred& referred = w_.stream(youth)[0].youth_referred();
  EXPECT_TRUE(referred.concerns().empty());
  EXPECT_EQ(referred.concern_count(), 1);
  EXPECT_EQ(World::Unseal(referred.concerns_sealed()), "CONCERN_CATEGORY_SCHOOL_ABSENCE");

  // § 63 d: the police's information about criminal decisions goes to a housing association,
  // from the police only.
  auto decision = Req<v1::ShareConcernRequest>();
  decision.set_youth_id(youth);
  decision.set_agency_id("agency-police");
  decision.set_legal_basis(v1::LEGAL_BASIS_HOUSING_CRIMINAL_DECISIONS);
  decision.set_text("Convicted of vandalism in the stairwell");
  decision.set_necessity("The association decides on the family's lease");
  decision.add_recipient_agency_ids("agency-school");
  EXPECT_EQ(Code(w_.Run(decision, police_leader_)), absl::StatusCode::kFailedPrecondition);
  decision.set_recipient_agency_ids(0, "agency-housing");
  w_.Do(decision, police_leader_);
  decision.set_request_id("63d-by-school");
  decision.set_agency_id("agency-school");
  d = w_.Run(decision, school_member_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("LEGAL_BASIS_HOUSING_CRIMINAL"));

  // A housing association shares nothing under § 115; an NGO only on consent.
  for (const auto& [agency, who] :
       {std::pair{"agency-housing", housing}, std::pair{"agency-ngo", ngo}}) {
    auto own = Req<v1::ShareConcernRequest>();
    own.set_youth_id(youth);
    own.set_agency_id(agency);
    own.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
    own.set_text("Noise at night");
    own.set_necessity("To prevent trouble");
    own.add_recipient_agency_ids("agency-school");
    d = w_.Run(own, who);
    EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition) << agency;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("legal_basis"));
    // Another basis needs its legal reference.
    own.set_legal_basis(v1::LEGAL_BASIS_OTHER);
    d = w_.Run(own, who);
    EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("legal_basis_other"));
  }
}

TEST_F(DecideTest, ConsentHasAGiverAScopeAndCoversOnlyItsAgencies) {
  Register("agency-ngo", v1::AGENCY_KIND_NGO);
  const Principal ngo = Who("volunteer-mia", "agency-ngo", Role::kAgencyMember);
  const std::string youth = Refer();  // born 2010-01-01: 16 on 2026-11-23
  auto young = Referral();
  young.set_birth_date("2013-06-01");  // 13
  const std::string child = w_.Do(young, school_member_).id;

  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("ngo mentoring");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.set_purpose("mentoring after school");
  consent.set_what("how school is going");
  // Its categories are required.
  consent.add_agency_ids("agency-ngo");
  absl::StatusOr<Decision> d = w_.Run(consent, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("categories"));
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  consent.add_categories(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
  consent.clear_agency_ids();
  // Its agencies are required, and must be of the area.
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kInvalidArgument);
  consent.add_agency_ids("agency-nowhere");
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kNotFound);
  consent.set_agency_ids(0, "agency-ngo");
  consent.add_agency_ids("agency-school");
  const Decision given = w_.Do(consent, caseworker_);
  const v1::ConsentRecorded& recorded = given.writes[0].events[0].consent_recorded();
  EXPECT_EQ(recorded.giver_age(), 16);
  EXPECT_THAT(recorded.agency_ids(), ElementsAre("agency-ngo", "agency-school"));
  EXPECT_EQ(World::Unseal(recorded.what()), "how school is going");
  // Its categories are special-category data: sealed like the concerns.
  EXPECT_EQ(World::Unseal(recorded.categories_sealed()),
            "CONCERN_CATEGORY_SCHOOL_ABSENCE,CONCERN_CATEGORY_FAMILY_TROUBLE");
  // A custody holder does not consent for a youth of 16... of 18: the youth does. Below 15 the
  // youth cannot.
  auto for_child = consent;
  for_child.set_request_id("child-consent");
  for_child.set_youth_id(child);
  d = w_.Run(for_child, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("below 15"));
  for_child.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  for_child.set_given_by("the mother");
  EXPECT_EQ(w_.Do(for_child, caseworker_).writes[0].events[0].consent_recorded().giver_age(), 13);

  // The NGO shares on the consent, with the school; not with the police, which it does not cover.
  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-ngo");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.set_text("Skips the homework club");
  share.add_recipient_agency_ids("agency-police");
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("covers"));
  share.set_recipient_agency_ids(0, "agency-school");
  // Only what the consent covers: the share names its categories, each one covered.
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("names its categories"));
  share.add_concerns(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  share.add_concerns(v1::CONCERN_CATEGORY_SUBSTANCE_USE);
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "concerns[1]: the consent \"ngo mentoring\" does not cover "
            "CONCERN_CATEGORY_SUBSTANCE_USE");
  share.mutable_concerns()->RemoveLast();
  const Decision shared = w_.Do(share, ngo);  // no necessity needed on consent
  EXPECT_EQ(shared.writes[0].events[0].concern_shared().consent_scope(), "ngo mentoring");
  // Withdrawn, nothing more is shared under it.
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_scope("ngo mentoring");
  w_.Do(withdraw, chief_);
  share.set_request_id("after-withdrawal");
  EXPECT_EQ(Code(w_.Run(share, ngo)), absl::StatusCode::kFailedPrecondition);
  share.set_consent_scope("ngo mentoring");
  d = w_.Run(share, ngo);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("consent_scope"));
}

// Barnets lov: a professional notifies; the social administration's caseworkers assess,
// confirm the receipt and investigate, each once, with the law's deadlines in the events.
TEST_F(DecideTest, ANotificationIsAssessedConfirmedAndInvestigatedByTheSocialAdministration) {
  const std::string youth = Refer();  // now: Monday 2026-11-23, 10:00 UTC
  auto notify = Req<v1::NotifyChildWelfareRequest>();
  notify.set_youth_id(youth);
  notify.set_agency_id("agency-police");
  notify.set_text("Found alone at the station at 2 a.m.");
  EXPECT_EQ(Code(w_.Run(notify, school_member_)), absl::StatusCode::kPermissionDenied);
  notify.set_agency_id("agency-school");
  const Decision made = w_.Do(notify, school_member_);
  const v1::NotificationMade& event = made.writes[0].events[0].notification_made();
  const std::string id = made.id;
  EXPECT_EQ(event.notification_id(), id);
  EXPECT_EQ(event.notified_by(), "teacher-ole");
  EXPECT_EQ(World::Unseal(event.text()), "Found alone at the station at 2 a.m.");
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "2 a.m."));
  // 24 hours; 6 working days: Tuesday to Friday, then Monday and Tuesday.
  EXPECT_EQ(event.assessment_due_at().seconds(), absl::ToUnixSeconds(w_.now_ + absl::Hours(24)));
  EXPECT_EQ(event.receipt_due_on().day(), 1);
  EXPECT_EQ(event.receipt_due_on().month(), 12);

  auto assess = Req<v1::AssessNotificationRequest>();
  assess.set_youth_id(youth);
  assess.set_notification_id(id);
  assess.set_assessment("No acute danger; a talk with the family this week");
  EXPECT_EQ(Code(w_.Run(assess, chief_)), absl::StatusCode::kPermissionDenied);
  const Principal caseworker_elsewhere =
      Who("caseworker-bo", "agency-school", Role::kSocialCaseworker);  // not of the social admin.
  EXPECT_EQ(Code(w_.Run(assess, caseworker_elsewhere)), absl::StatusCode::kPermissionDenied);
  assess.set_notification_id("notification-unknown");
  EXPECT_EQ(Code(w_.Run(assess, caseworker_)), absl::StatusCode::kNotFound);
  assess.set_notification_id(id);
  const Decision assessed = w_.Do(assess, caseworker_);
  EXPECT_EQ(assessed.writes[0].events[0].notification_assessed().notification_id(), id);
  assess.set_request_id("assess-again");
  EXPECT_EQ(Code(w_.Run(assess, caseworker_)), absl::StatusCode::kFailedPrecondition);

  auto receipt = Req<v1::ConfirmNotificationReceiptRequest>();
  receipt.set_youth_id(youth);
  receipt.set_notification_id(id);
  EXPECT_TRUE(w_.Do(receipt, caseworker_).writes[0].events[0].has_notification_receipt_confirmed());
  receipt.set_request_id("receipt-again");
  EXPECT_EQ(Code(w_.Run(receipt, caseworker_)), absl::StatusCode::kFailedPrecondition);

  auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
  open.set_youth_id(youth);
  open.set_notification_id(id);
  EXPECT_EQ(Code(w_.Run(open, school_leader_)), absl::StatusCode::kPermissionDenied);
  const Decision opened = w_.Do(open, caseworker_);
  const v1::ChildWelfareInvestigationOpened& investigation =
      opened.writes[0].events[0].child_welfare_investigation_opened();
  EXPECT_EQ(investigation.due_on().year(), 2027);  // four months on: 2027-03-23
  EXPECT_EQ(investigation.due_on().month(), 3);
  EXPECT_EQ(investigation.due_on().day(), 23);
  open.set_request_id("open-again");
  EXPECT_EQ(Code(w_.Run(open, caseworker_)), absl::StatusCode::kFailedPrecondition);  // one open

  auto complete = Req<v1::CompleteChildWelfareInvestigationRequest>();
  complete.set_youth_id(youth);
  complete.set_investigation_id(opened.id);
  EXPECT_EQ(Code(w_.Run(complete, caseworker_)), absl::StatusCode::kInvalidArgument);  // text
  complete.set_conclusion("Support measures offered to the family");
  w_.Do(complete, caseworker_);
  complete.set_request_id("complete-again");
  EXPECT_EQ(Code(w_.Run(complete, caseworker_)), absl::StatusCode::kFailedPrecondition);
  open.set_request_id("open-after");
  EXPECT_TRUE(w_.Run(open, caseworker_).ok());  // the first is completed
}

TEST_F(DecideTest, ACorrectionOfIdentifyingDataIsSealedLikeTheOriginal) {
  const std::string youth = Refer();
  auto fix = Req<v1::RectifyPersonalDataRequest>();
  fix.set_youth_id(youth);
  fix.set_field(v1::PERSONAL_DATA_FIELD_CPR_NUMBER);
  fix.set_value("0101101234");
  fix.set_reason("Mistyped at referral");
  absl::StatusOr<Decision> d = w_.Run(fix, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("value"));
  fix.set_value("010110-4321");
  EXPECT_EQ(Code(w_.Run(fix, school_member_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(fix, auditor_)), absl::StatusCode::kPermissionDenied);
  const Decision fixed = w_.Do(fix, caseworker_);
  const v1::PersonalDataRectified& event = fixed.writes[0].events[0].personal_data_rectified();
  EXPECT_EQ(event.field(), v1::PERSONAL_DATA_FIELD_CPR_NUMBER);
  EXPECT_EQ(World::Unseal(event.value()), "010110-4321");
  EXPECT_EQ(event.value().key_id(), youth);
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "4321"));
  // A corrected birth date decides the age from then on: at 12 the youth cannot consent.
  fix.set_request_id("fix-birth");
  fix.set_field(v1::PERSONAL_DATA_FIELD_BIRTH_DATE);
  fix.set_value("2014-02-30");
  EXPECT_EQ(Code(w_.Run(fix, chief_)), absl::StatusCode::kInvalidArgument);
  fix.set_value("2014-02-03");
  w_.Do(fix, chief_);
  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("school");
  consent.set_given_by("the youth");
  consent.set_giver(v1::CONSENT_GIVER_YOUTH);
  consent.add_agency_ids("agency-school");
  consent.set_purpose("support");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  d = w_.Run(consent, caseworker_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("is 12"));
}

// Art. 17 with Art. 17(3)(b) and Arkivloven: a request carries its ground; it is refused at
// once while the case is open or within retention (but on ground (d)); the archive assesses
// before execution, and "preserve" waits for the transfer.
TEST_F(DecideTest, ErasureHasAGroundIsRefusedWhileRecordsMustBeKeptAndWaitsForTheArchive) {
  // The events a decision writes to the erasure's own stream.
  auto on = [](const Decision& d) {
    for (const StreamWrite& w : d.writes) {
      if (w.stream == d.id) return w.events;
    }
    return std::vector<v1::Event>();
  };
  const std::string youth = AcceptedYouth();
  auto request = Req<v1::RequestErasureRequest>();
  request.set_youth_id(youth);
  request.set_requested_by("the mother");
  request.set_reason("The family has moved away");
  absl::StatusOr<Decision> d = w_.Run(request, chief_);
  EXPECT_EQ(Code(d), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("ground"));
  request.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  // Open: recorded and refused at once.
  Decision open = w_.Do(request, chief_);
  ASSERT_EQ(on(open).size(), 2u);
  EXPECT_EQ(on(open)[0].erasure_requested().ground(), v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  EXPECT_TRUE(on(open)[1].erasure_refused().automatic());
  EXPECT_THAT(on(open)[1].erasure_refused().reason(), HasSubstr("open"));
  auto approve = Req<v1::ApproveErasureRequest>();
  approve.set_erasure_id(open.id);
  EXPECT_EQ(Code(w_.Run(approve, auditor_)), absl::StatusCode::kFailedPrecondition);

  // Closed today: within its retention.
  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  EXPECT_EQ(w_.Do(close, chief_).writes[0].events[0].case_closed().closed_on().year(), 2026);
  request.set_request_id("erase-within-retention");
  const Decision kept = w_.Do(request, chief_);
  ASSERT_EQ(on(kept).size(), 2u);
  EXPECT_THAT(on(kept)[1].erasure_refused().reason(), HasSubstr("1826 days"));

  // Five years and a day later the auditor assesses it; the archive decides before execution.
  w_.now_ += absl::Hours(24 * 1827);
  request.set_request_id("erase-after-retention");
  const Decision due = w_.Do(request, chief_);
  ASSERT_EQ(on(due).size(), 1u);
  approve.set_request_id("approve-due");
  approve.set_erasure_id(due.id);
  w_.Do(approve, auditor_);
  auto execute = Req<v1::ExecuteErasureRequest>();
  execute.set_erasure_id(due.id);
  d = w_.Run(execute, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("archive"));
  auto transfer = Req<v1::RecordArchiveTransferRequest>();
  transfer.set_erasure_id(due.id);
  transfer.set_reference("ARK-1/t");
  EXPECT_EQ(Code(w_.Run(transfer, auditor_)), absl::StatusCode::kFailedPrecondition);  // not asked
  auto assess = Req<v1::RecordArchiveAssessmentRequest>();
  assess.set_erasure_id(due.id);
  assess.set_outcome(v1::ARCHIVE_OUTCOME_PRESERVE_AND_TRANSFER);
  assess.set_reference("ARK-1");
  EXPECT_EQ(Code(w_.Run(assess, chief_)), absl::StatusCode::kPermissionDenied);
  w_.Do(assess, auditor_);
  assess.set_request_id("assess-again");
  EXPECT_EQ(Code(w_.Run(assess, auditor_)), absl::StatusCode::kFailedPrecondition);
  d = w_.Run(execute, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("transfer"));
  w_.Do(transfer, auditor_);
  EXPECT_TRUE(on(w_.Do(execute, admin_))[0].has_erasure_executed());

  // Reopened after the approval: its records are kept again, and execution is refused.
  const std::string again = AcceptedYouth();
  auto close_again = Req<v1::CloseCaseRequest>();
  close_again.set_youth_id(again);
  close_again.set_outcome(v1::CASE_OUTCOME_MOVED_AWAY);
  w_.Do(close_again, chief_);
  w_.now_ += absl::Hours(24 * 1827);
  auto late = Req<v1::RequestErasureRequest>();
  late.set_youth_id(again);
  late.set_requested_by("the youth");
  late.set_reason("Moved away long ago");
  late.set_ground(v1::ERASURE_GROUND_NO_LONGER_NECESSARY);
  const Decision pending = w_.Do(late, chief_);
  ASSERT_EQ(on(pending).size(), 1u);
  auto approve_late = Req<v1::ApproveErasureRequest>();
  approve_late.set_erasure_id(pending.id);
  w_.Do(approve_late, auditor_);
  auto discard = Req<v1::RecordArchiveAssessmentRequest>();
  discard.set_erasure_id(pending.id);
  discard.set_outcome(v1::ARCHIVE_OUTCOME_DISCARD);
  discard.set_reference("ARK-2");
  w_.Do(discard, auditor_);
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(again);
  reopen.set_reason("Back in the area");
  w_.Do(reopen, chief_);
  auto execute_late = Req<v1::ExecuteErasureRequest>();
  execute_late.set_erasure_id(pending.id);
  d = w_.Run(execute_late, admin_);
  EXPECT_EQ(Code(d), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("open"));

  // Ground (d), data processed unlawfully: to the auditor whatever the case's state.
  const std::string wrong = AcceptedYouth();
  auto unlawful = Req<v1::RequestErasureRequest>();
  unlawful.set_youth_id(wrong);
  unlawful.set_requested_by("the youth");
  unlawful.set_reason("Referred by mistake: the wrong youth");
  unlawful.set_ground(v1::ERASURE_GROUND_UNLAWFULLY_PROCESSED);
  EXPECT_EQ(on(w_.Do(unlawful, chief_)).size(), 1u);
}

TEST_F(DecideTest, ScreeningOutreachConsentAndConcerns) {
  const std::string youth = Refer();
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(false);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kInvalidArgument);  // reason
  screen.set_reason("Handled by the school's own team");
  EXPECT_EQ(Code(w_.Run(screen, school_leader_)), absl::StatusCode::kPermissionDenied);
  w_.Do(screen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_DECLINED);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kFailedPrecondition);

  // A declined referral cannot get an action plan.
  auto plan = Req<v1::AdoptActionPlanRequest>();
  plan.set_youth_id(youth);
  plan.add_goals("Back in school full time");
  *plan.mutable_review_date() = Day(2027, 2, 1);
  const absl::StatusOr<Decision> refused = w_.Run(plan, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("declined"));

  // Reopened, it is a referral to screen again; accepted, it gets its plan.
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(youth);
  reopen.set_reason("New concern from the club");
  w_.Do(reopen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_REFERRED);
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kFailedPrecondition);  // not screened
  screen.set_accept(true);
  screen.set_request_id("screen-again");
  w_.Do(screen, chief_);
  w_.Do(plan, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACTIVE);
  *plan.mutable_review_date() = Day(2026, 11, 23);  // today: not after it
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kInvalidArgument);
  // A second plan revises the first, and needs a reason.
  *plan.mutable_review_date() = Day(2027, 3, 1);
  plan.set_request_id("revise");
  EXPECT_EQ(Code(w_.Run(plan, chief_)), absl::StatusCode::kInvalidArgument);
  plan.set_reason("School changed");
  const Decision revised = w_.Do(plan, chief_);
  EXPECT_EQ(revised.writes[0].events[0].action_plan_revised().revision(), 2);
  EXPECT_EQ(World::Unseal(revised.writes[0].events[0].action_plan_revised().reason()),
            "School changed");

  auto outreach = Req<v1::AssignOutreachRequest>();
  outreach.set_youth_id(youth);
  outreach.set_agency_id("agency-hotspot");
  outreach.set_person("street-ali");
  outreach.set_task("Find him at the youth club on Thursdays");
  w_.Do(outreach, chief_);

  auto share = Req<v1::ShareConcernRequest>();
  share.set_youth_id(youth);
  share.set_agency_id("agency-police");
  share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
  share.set_text("Stopped twice near the station");
  share.add_recipient_agency_ids("agency-school");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kFailedPrecondition);
  share.set_legal_basis(v1::LEGAL_BASIS_OTHER);
  share.set_necessity("The school must know to keep him in class");
  EXPECT_EQ(Code(w_.Run(share, police_leader_)), absl::StatusCode::kInvalidArgument);
  share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
  EXPECT_EQ(Code(w_.Run(share, school_member_)), absl::StatusCode::kPermissionDenied);
  w_.Do(share, police_leader_);

  auto consent = Req<v1::RecordConsentRequest>();
  consent.set_youth_id(youth);
  consent.set_scope("school and social services");
  consent.set_given_by("parent");
  EXPECT_EQ(Code(w_.Run(consent, caseworker_)), absl::StatusCode::kInvalidArgument);  // giver
  consent.set_giver(v1::CONSENT_GIVER_CUSTODY_HOLDER);
  consent.add_agency_ids("agency-school");
  consent.add_agency_ids("agency-social");
  consent.set_purpose("support at school");
  consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
  EXPECT_EQ(Code(w_.Run(consent, school_member_)), absl::StatusCode::kPermissionDenied);
  w_.Do(consent, caseworker_);
  auto withdraw = Req<v1::WithdrawConsentRequest>();
  withdraw.set_youth_id(youth);
  withdraw.set_scope("school and social services");
  w_.Do(withdraw, chief_);
  EXPECT_EQ(Code(w_.Run(withdraw, chief_)), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "Thursdays"));
  EXPECT_FALSE(absl::StrContains(w_.all_bytes(), "station"));
}

TEST_F(DecideTest, OnlyTheSocialAdministrationsCaseworkersRecordSocialAssessments) {
  const std::string youth = AcceptedYouth();
  auto decision = Req<v1::RecordSocialDecisionRequest>();
  decision.set_youth_id(youth);
  decision.set_decision("Family support under barnets lov § 32");
  EXPECT_EQ(Code(w_.Run(decision, chief_)), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(w_.Run(decision, school_leader_)), absl::StatusCode::kPermissionDenied);
  // A caseworker role in an agency that is not the social administration is not enough.
  const Principal misfiled = Who("cw-x", "agency-school", Role::kSocialCaseworker);
  EXPECT_EQ(Code(w_.Run(decision, misfiled)), absl::StatusCode::kPermissionDenied);
  const Decision d = w_.Do(decision, caseworker_);
  EXPECT_EQ(d.writes[0].events[0].actor().agency_id(), "agency-social");
}

TEST_F(DecideTest, ACaseCannotCloseWithOpenCommitmentsNorTakeNewOnesWhileClosed) {
  const std::string youth = AcceptedYouth();
  const std::string commitment = Commitment(youth);

  auto close = Req<v1::CloseCaseRequest>();
  close.set_youth_id(youth);
  close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
  const absl::StatusOr<Decision> refused = w_.Run(close, chief_);
  EXPECT_EQ(Code(refused), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(commitment));

  auto fulfil = Req<v1::FulfilCommitmentRequest>();
  fulfil.set_commitment_id(commitment);
  w_.Do(fulfil, school_member_);
  const Decision closed = w_.Do(close, chief_);
  // The close read the commitment: a concurrent change to it would fail the append.
  bool pinned = false;
  for (const auto& write : closed.writes) pinned |= write.stream == commitment;
  EXPECT_TRUE(pinned);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_CLOSED);

  // A closed case takes no new commitments until it is reopened.
  const std::string meeting = MeetingFor(youth);
  const absl::StatusOr<Decision> more = w_.Run(DecisionWithCommitment(meeting, youth), chief_);
  EXPECT_EQ(Code(more), absl::StatusCode::kFailedPrecondition);
  auto reopen = Req<v1::ReopenCaseRequest>();
  reopen.set_youth_id(youth);
  reopen.set_reason("Truancy again");
  w_.Do(reopen, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_ACCEPTED);
  w_.Do(DecisionWithCommitment(meeting, youth), chief_);
}

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

TEST_F(DecideTest, APinnedVersionThatMovedIsAborted) {
  const std::string youth = Refer();
  auto screen = Req<v1::ScreenReferralRequest>();
  screen.set_youth_id(youth);
  screen.set_accept(true);
  screen.set_expected_version(2);
  EXPECT_EQ(Code(w_.Run(screen, chief_)), absl::StatusCode::kAborted);
  screen.set_expected_version(1);
  const Decision d = w_.Do(screen, chief_);
  EXPECT_EQ(d.writes[0].expected_version, 1u);
}

TEST_F(DecideTest, HandOverToAdultServices) {
  const std::string youth = AcceptedYouth();
  auto handover = Req<v1::HandOverToAdultServicesRequest>();
  handover.set_youth_id(youth);
  handover.set_receiving_agency_id("agency-social");
  handover.set_note("Turns 18 in January");
  w_.Do(handover, chief_);
  EXPECT_EQ(Status(youth), v1::CASE_STATUS_HANDED_OVER);
  handover.set_request_id("again");
  EXPECT_EQ(Code(w_.Run(handover, chief_)), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hotspot::domain
