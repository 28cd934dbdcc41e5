#include "services/scenario/scenario.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "services/domain/aggregates.h"
#include "store/status_macros.h"

namespace hotspot::scenario {
namespace {

using security::Principal;
using security::Role;

Principal P(std::string person, std::string agency, Role role) {
  return Principal{std::move(person), std::move(agency), role, {kAreaId}};
}

constexpr char kHotspot[] = "agency-hotspot-sjaelor";
constexpr char kSocial[] = "agency-social-copenhagen";
constexpr char kChildren[] = "agency-children-youth-copenhagen";
constexpr char kEmployment[] = "agency-employment-copenhagen";
constexpr char kJobcentre[] = "agency-jobcentre-copenhagen";
constexpr char kSchool[] = "agency-school-sjaelor";
constexpr char kClub[] = "agency-club-sjaelor";
constexpr char kPolice[] = "agency-police-copenhagen";
constexpr char kHousing[] = "agency-housing-sjaelor";
constexpr char kSsp[] = "agency-ssp-valby";
constexpr char kOutreach[] = "agency-outreach-sydvest";
constexpr char kNgo[] = "agency-ngo-mentors";
// The administrations' mayors (the political follow-up group) and the steering group's chair.
constexpr char kMayorSocial[] = "mayor-social-copenhagen";
constexpr char kMayorChildren[] = "mayor-children-youth-copenhagen";
constexpr char kMayorEmployment[] = "mayor-employment-copenhagen";
constexpr char kDirectorSocial[] = "director-social-copenhagen";
// The measures the demo records: the handbook's, and the social administration's own.
constexpr char kCharges[] = "charges_per_1000_youth";
constexpr char kSafetyIndex[] = "safety_index";
constexpr char kMedianDaysToPlan[] = "median_days_to_plan";  // computed, not recorded
constexpr char kSocialMeasure[] = "investigations_within_4_months";

struct AgencySpec {
  const char* id;
  const char* name;
  v1::AgencyKind kind;
};
constexpr AgencySpec kAgencies[] = {
    {kHotspot, "Hotspot Sjælør Boulevard (secretariat)", v1::AGENCY_KIND_HOTSPOT_SECRETARIAT},
    {kSocial, "Social Administration (Socialforvaltningen)", v1::AGENCY_KIND_SOCIAL_ADMINISTRATION},
    {kChildren, "Children and Youth Administration",
     v1::AGENCY_KIND_CHILDREN_AND_YOUTH_ADMINISTRATION},
    {kEmployment, "Employment and Integration Administration",
     v1::AGENCY_KIND_EMPLOYMENT_ADMINISTRATION},
    {kJobcentre, "Job Centre Copenhagen", v1::AGENCY_KIND_JOB_CENTRE},
    {kSchool, "Sjælør School", v1::AGENCY_KIND_SCHOOL},
    {kClub, "Sjælør Youth Club", v1::AGENCY_KIND_CLUB},
    {kPolice, "Copenhagen Police, local station", v1::AGENCY_KIND_POLICE},
    {kHousing, "Sjælør Housing Association", v1::AGENCY_KIND_HOUSING_ASSOCIATION},
    {kSsp, "SSP Valby", v1::AGENCY_KIND_SSP},
    {kOutreach, "Outreach Team South-West", v1::AGENCY_KIND_OUTREACH_TEAM},
    {kNgo, "Mentors for Youth (NGO)", v1::AGENCY_KIND_NGO},
};

// A plan is reviewed 8 weeks after it is adopted; a case whose goals are met closes 10 weeks
// after its plan, two weeks after the review.
constexpr int kWeeksToReview = 8;
constexpr int kWeeksToClose = 10;

// The most youths discussed at one task-force meeting.
constexpr size_t kAgendaSize = 30;

// Commitments rotate over these owners.
constexpr const char* kOwners[] = {kSchool, kSocial, kJobcentre, kPolice, kClub, kHousing};

const char* const kFirstNames[] = {"Ahmed", "Mohammed", "Ali",     "Omar",  "Yusuf", "Emil",
                                   "Lucas", "Noah",     "Hassan",  "Karim", "Bilal", "Mikkel",
                                   "Jonas", "Tobias",   "Ibrahim", "Adam",  "Malik", "Sami"};
const char* const kLastNames[] = {"Jensen",  "Nielsen", "Hansen", "Pedersen", "Andersen",  "Larsen",
                                  "Hussein", "Ahmadi",  "Khan",   "Yilmaz",   "Rasmussen", "Berg"};

// An agency's contact person in the bodies: "contact-" and the agency id's stem.
std::string ContactOf(const std::string& agency_id) {
  return absl::StrCat("contact-", agency_id.substr(7));
}

v1::Date DateOfDay(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

v1::Date DateOf(absl::Time t) { return DateOfDay(absl::ToCivilDay(t, absl::UTCTimeZone())); }

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class Builder {
 public:
  Builder(CommandSink& sink, ScenarioOptions options)
      : sink_(sink), options_(std::move(options)), cast_(SjaelorCast()) {
    if (options_.now == absl::InfinitePast()) options_.now = absl::Now();
    // Day 0 is 16 weeks before now, at 09:00 UTC.
    const absl::CivilDay today = absl::ToCivilDay(options_.now, absl::UTCTimeZone());
    start_ = absl::FromCivil(today - kBackdatedDays, absl::UTCTimeZone()) + absl::Hours(9);
  }

  absl::StatusOr<ScenarioResult> Run();

 private:
  // The business time of scenario day `day` (plus `hours`); without backdating, the time the
  // command is sent (over gRPC the server's clock rules: a meeting is held after the referrals
  // sent before it, as the domain asks).
  absl::Time At(int day, int hours = 0) const {
    return options_.backdate ? start_ + absl::Hours(24 * day + hours)
                             : std::max(options_.now, absl::Now());
  }

  template <typename Request>
  Request Req() {
    Request r;
    r.set_request_id(absl::StrCat(options_.request_prefix, "-", ++sequence_));
    return r;
  }

  absl::StatusOr<v1::CommandResponse> Send(const Principal& as,
                                           const google::protobuf::Message& request, int day,
                                           int hours = 0) {
    ++result_.commands;
    absl::StatusOr<v1::CommandResponse> response = sink_.Send(as, request, At(day, hours));
    if (!response.ok()) {
      return absl::Status(
          response.status().code(),
          absl::StrCat("scenario step ", sequence_, " (", request.GetDescriptor()->name(),
                       "): ", response.status().message()));
    }
    if (response->replayed()) ++result_.replayed;
    return response;
  }

  // The year the city council adopted the programme: three years before now's.
  int64_t CouncilYear() const {
    return absl::ToCivilYear(options_.now, absl::UTCTimeZone()).year() - 3;
  }

  absl::Status SetUpArea();
  absl::Status AgencyPeople();
  absl::Status AdministrationLadders();
  absl::Status LocalSsp();
  absl::Status PoliticalKickOff();
  // A meeting of the political follow-up group, the mayors and the chief, held on `day` with
  // `topic` on its agenda (put there two days before).
  absl::StatusOr<std::string> PoliticalMeeting(int day, const char* topic);
  absl::Status Referrals();
  absl::StatusOr<std::string> Meeting(const std::string& body, int day);
  // A meeting held on `day` with this attendance (agency, person).
  absl::StatusOr<std::string> Meeting(
      const std::string& body, int day,
      const std::vector<std::pair<std::string, std::string>>& attendance);
  absl::Status Bodies();
  absl::Status TaskForce();
  absl::Status Escalations();
  absl::Status Measurements();

  CommandSink& sink_;
  ScenarioOptions options_;
  Cast cast_;
  absl::Time start_;
  int sequence_ = 0;
  ScenarioResult result_;
  // Per youth (index): screened and accepted on this day, or -1.
  std::vector<int> accepted_day_;
  std::vector<int> referred_day_;
  // Late commitments by owner, for the escalations.
  std::map<std::string, std::string> late_by_owner_;
  // A proposal withdrawn by the chief (once in the demo).
  bool withdrew_proposal_ = false;
  // The programme's goals as adopted.
  std::vector<v1::ProgrammeGoal> goals_;
  // By task-force meeting day: youths whose plan is reviewed there (their goals met), and
  // youths whose commitment the housing association declined, taken up again.
  std::map<int, std::vector<int>> reviews_;
  std::map<int, std::vector<std::pair<int, std::string>>> declined_;
  // By task-force meeting day: youths discussed at the meeting before, whose plan is agreed here.
  std::map<int, std::vector<int>> plan_later_;
};

absl::StatusOr<ScenarioResult> Builder::Run() {
  RETURN_IF_ERROR(SetUpArea());
  RETURN_IF_ERROR(PoliticalKickOff());
  RETURN_IF_ERROR(Referrals());
  RETURN_IF_ERROR(TaskForce());
  RETURN_IF_ERROR(Escalations());
  RETURN_IF_ERROR(Bodies());
  RETURN_IF_ERROR(LocalSsp());
  RETURN_IF_ERROR(Measurements());  // last: a demo loaded by an earlier version gains them
  return result_;
}

// The handbook's figures (004): charges per 1,000 youth fell from 75 to 50 in the hotspot
// areas, from 70 to 65 in comparable (control) areas and from 25 to 20 in the whole country.
// One figure a year, at the end of each of the four years before now's: the first, of the year
// before the city council adopted the programme (CouncilYear), is the "before"; the last, of
// last year, the "after". Split under and over 18 for those two years: the fall is among the
// youths under 18, not among those over 18 (domain.md, "Over 18"). The area's safety index
// is surveyed at the start of the demo and again 100 days on. Each measure is defined first, with
// its owning agency: the police's charges, the secretariat's safety index and median. Next to
// them the social administration's own measure (003): its caseworker defines it, as the social
// administration's, and records the figure.
absl::Status Builder::Measurements() {
  struct Series {
    const char* measure;
    v1::MeasurementScope scope;
    v1::AgeGroup age;
    std::array<double, 4> by_year;  // the four years before now's, oldest first; 0: none
    const char* source;
  } series[] = {
      {kCharges,
       v1::MEASUREMENT_SCOPE_AREA,
       v1::AGE_GROUP_UNSPECIFIED,
       {75, 67, 58, 50},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_CONTROL_AREAS,
       v1::AGE_GROUP_UNSPECIFIED,
       {70, 69, 67, 65},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_COUNTRY,
       v1::AGE_GROUP_UNSPECIFIED,
       {25, 23, 22, 20},
       "Statistics Denmark"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_AREA,
       v1::AGE_GROUP_UNDER_18,
       {96, 0, 0, 52},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_AREA,
       v1::AGE_GROUP_18_AND_OVER,
       {49, 0, 0, 48},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_CONTROL_AREAS,
       v1::AGE_GROUP_UNDER_18,
       {84, 0, 0, 76},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_CONTROL_AREAS,
       v1::AGE_GROUP_18_AND_OVER,
       {52, 0, 0, 51},
       "Police, charges register"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_COUNTRY,
       v1::AGE_GROUP_UNDER_18,
       {29, 0, 0, 22},
       "Statistics Denmark"},
      {kCharges,
       v1::MEASUREMENT_SCOPE_COUNTRY,
       v1::AGE_GROUP_18_AND_OVER,
       {21, 0, 0, 19},
       "Statistics Denmark"},
  };
  // Each measure has its owning agency and a definition before its first measurement (§5): the
  // charges are the police's, defined by its leader and recorded by its officer; the safety index
  // and the speed goal's median are the secretariat's, defined by the chief; the social
  // administration's own measure is its caseworker's.
  struct Definition {
    const char* measure;
    const char* owner;
    const Principal* by;
    const char* definition;
    const char* unit;
  } definitions[] = {
      {kCharges, kPolice, &cast_.police_leader,
       "Charges (sigtelser) against youths aged 12-25 per 1,000 of them, per calendar year: of "
       "the area, the control areas and the whole country, in all and split under and over 18",
       "per 1,000 youths"},
      {kSafetyIndex, kHotspot, &cast_.chief,
       "The residents' safety index (tryghedsindeks) of the area's yearly safety survey",
       "index points (0-100)"},
      {kMedianDaysToPlan, kHotspot, &cast_.chief,
       "Median days from a youth's referral to an adopted plan; hotspotd computes it from the "
       "case views (the report's median days to an adopted plan), nobody records it",
       "days"},
      // The social administration's own measure (003): it defines it itself.
      {kSocialMeasure, kSocial, &cast_.caseworker,
       "Share of the child-welfare investigations (barnets lov) of the area's youths finished "
       "within four months, per half-year",
       "per cent"},
  };
  for (const Definition& d : definitions) {
    auto define = Req<v1::DefineMeasureRequest>();
    define.set_area_id(kAreaId);
    define.set_measure(d.measure);
    define.set_owning_agency_id(d.owner);
    define.set_definition(d.definition);
    define.set_unit(d.unit);
    RETURN_IF_ERROR(Send(*d.by, define, 1).status());
  }
  const int64_t first_year = CouncilYear() - 1;
  for (const Series& f : series) {
    for (int k = 0; k < 4; ++k) {
      if (f.by_year[k] == 0) continue;
      auto m = Req<v1::RecordMeasurementRequest>();
      m.set_area_id(kAreaId);
      m.set_measure(f.measure);
      m.set_scope(f.scope);
      m.set_age_group(f.age);
      *m.mutable_measured_on() = DateOfDay(absl::CivilDay(first_year + k, 12, 31));
      m.set_value(f.by_year[k]);
      m.set_source(f.source);
      RETURN_IF_ERROR(Send(cast_.police_member, m, 1).status());
    }
  }
  for (const auto& [day, value] : {std::pair<int, double>{1, 62}, {100, 68}}) {
    auto m = Req<v1::RecordMeasurementRequest>();
    m.set_area_id(kAreaId);
    m.set_measure(kSafetyIndex);
    m.set_scope(v1::MEASUREMENT_SCOPE_AREA);
    *m.mutable_measured_on() = DateOf(At(day));
    m.set_value(value);
    m.set_source("Safety survey (tryghedsindeks)");
    RETURN_IF_ERROR(Send(cast_.chief, m, day).status());
  }
  auto own = Req<v1::RecordMeasurementRequest>();
  own.set_area_id(kAreaId);
  own.set_measure(kSocialMeasure);
  own.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  *own.mutable_measured_on() = DateOf(At(100));
  own.set_value(83);
  own.set_source("Social administration, case records");
  RETURN_IF_ERROR(Send(cast_.caseworker, own, 100).status());
  return absl::OkStatus();
}

absl::Status Builder::SetUpArea() {
  auto area = Req<v1::EstablishAreaRequest>();
  area.set_area_id(kAreaId);
  area.set_name("Sjælør Boulevard");
  area.set_municipality("Copenhagen");
  area.set_escalation_ack_days(14);
  RETURN_IF_ERROR(Send(cast_.admin, area, 0).status());

  auto chief = Req<v1::AppointChiefRequest>();
  chief.set_area_id(kAreaId);
  chief.set_person(cast_.chief.person);
  RETURN_IF_ERROR(Send(cast_.admin, chief, 0).status());
  auto staff = Req<v1::AssignStaffRequest>();
  staff.set_area_id(kAreaId);
  staff.set_person(cast_.staff.person);
  staff.set_function("hotspot staff and street-level outreach");
  RETURN_IF_ERROR(Send(cast_.chief, staff, 0).status());

  auto programme = Req<v1::AdoptProgrammeRequest>();
  programme.set_area_id(kAreaId);
  programme.set_summary("Hotspot programme adopted by the City Council for Sjælør Boulevard");
  struct Goal {
    const char* id;
    const char* description;
    const char* measure;
    double baseline, target;
  } goals[] = {
      // Each names its measure as the measurements carry it; the speed goal the median the
      // dashboard computes from the cases.
      {"charges", "Fewer charges among the area's youth", kCharges, 75, 50},
      {"safety", "Residents feel safer (tryghedsindeks)", kSafetyIndex, 62, 75},
      {"speed", "Faster coordinated courses", kMedianDaysToPlan, 45, 21},
  };
  for (const Goal& g : goals) {
    v1::ProgrammeGoal* goal = programme.add_goals();
    goal->set_goal_id(g.id);
    goal->set_description(g.description);
    goal->set_measure(g.measure);
    goal->set_baseline(g.baseline);
    goal->set_target(g.target);
    *goal->mutable_target_date() = DateOf(options_.now + absl::Hours(24 * 730));
    goals_.push_back(*goal);
  }
  // The city council adopted it in January three years ago, after hearing the local committee
  // and the administrations; the charges of the year before are its baseline (Measurements).
  const absl::CivilDay council_day(CouncilYear(), 1, 15);
  programme.set_council_reference(absl::StrCat("BR ", CouncilYear(), "-0412"));
  *programme.mutable_council_decided_on() = DateOfDay(council_day);
  for (const auto& [kind, heard] : std::vector<std::pair<v1::HearingKind, const char*>>{
           {v1::HEARING_KIND_LOCAL_COMMITTEE, "Kongens Enghave Lokaludvalg"},
           {v1::HEARING_KIND_ADMINISTRATION, "Socialforvaltningen"},
           {v1::HEARING_KIND_ADMINISTRATION, "Børne- og Ungdomsforvaltningen"}}) {
    v1::Hearing* hearing = programme.add_hearings();
    hearing->set_kind(kind);
    hearing->set_heard(heard);
    *hearing->mutable_held_on() = DateOfDay(council_day - 35);
  }
  RETURN_IF_ERROR(Send(cast_.chief, programme, 0).status());

  for (const AgencySpec& spec : kAgencies) {
    auto agency = Req<v1::RegisterAgencyRequest>();
    agency.set_agency_id(spec.id);
    agency.set_area_id(kAreaId);
    agency.set_name(spec.name);
    agency.set_kind(spec.kind);
    RETURN_IF_ERROR(Send(cast_.chief, agency, 0).status());
  }
  for (const char* id : {kSchool, kPolice, kJobcentre}) {
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id(id);
    const std::string stem = std::string(id).substr(7);
    using Rungs = std::array<std::pair<v1::LeadershipLevel, const char*>, 3>;
    const Rungs rungs = {{
        {v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "manager"},
        {v1::LEADERSHIP_LEVEL_DIRECTOR, "director"},
        {v1::LEADERSHIP_LEVEL_POLITICAL, "mayor"},
    }};
    // The police's own ladder, never a mayor (the area's coordinator is designated below).
    const Rungs police_rungs = {{
        {v1::LEADERSHIP_LEVEL_POLICE_COORDINATOR, "manager"},
        {v1::LEADERSHIP_LEVEL_LOCAL_POLICE_CHIEF, "station-chief"},
        {v1::LEADERSHIP_LEVEL_POLICE_DIRECTOR, "police-director"},
    }};
    for (const auto& [level, title] : std::string(id) == kPolice ? police_rungs : rungs) {
      v1::LeadershipContact* contact = ladder.add_contacts();
      contact->set_level(level);
      contact->set_person(absl::StrCat(title, "-", stem));
      contact->set_title(title);
    }
    // An agency's ladder is its own leaders' to set.
    const Principal& leader = std::string(id) == kSchool   ? cast_.school_leader
                              : std::string(id) == kPolice ? cast_.police_leader
                                                           : cast_.jobcentre_leader;
    RETURN_IF_ERROR(Send(leader, ladder, 0).status());
  }
  // "Der etableres en koordinatorfunktion i Københavns Politi": the area's police coordinator,
  // one of the police's people (their ladder's coordinator), designated by the area's chief.
  auto coordinator = Req<v1::DesignatePoliceCoordinatorRequest>();
  coordinator.set_area_id(kAreaId);
  coordinator.set_agency_id(kPolice);
  coordinator.set_person(cast_.police_leader.person);
  RETURN_IF_ERROR(Send(cast_.chief, coordinator, 0).status());
  RETURN_IF_ERROR(AgencyPeople());
  // The administrations' ladders too, before the bodies: their directors and mayors sit in the
  // steering group and the political follow-up group for them (a body of the agencies' people
  // seats only those each agency named).
  RETURN_IF_ERROR(AdministrationLadders());

  // As 002 and 004 describe them: the administrations' mayors meet twice a year as the
  // political follow-up group; the steering group is chaired by a senior municipal decision
  // maker (the social administration's director) with the agencies' leaders; the task force
  // every two weeks; the hotspot board of local actors; the local SSP with the hotspot staff.
  struct Member {
    const char* agency;
    std::string person;
    const char* represents = "";
  };
  struct BodySpec {
    const char* id;
    v1::BodyKind kind;
    const char* name;
    int per_year;
    int every_weeks;
    std::vector<Member> members;
  };
  auto contact = [](const char* agency) { return Member{agency, ContactOf(agency)}; };
  const BodySpec bodies[] = {
      {"political-follow-up",
       v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP,
       "Political follow-up group",
       2,
       0,
       {{kSocial, kMayorSocial}, {kChildren, kMayorChildren}, {kEmployment, kMayorEmployment}}},
      {"steering-group",
       v1::BODY_KIND_STEERING_GROUP,
       "Steering group",
       4,
       0,
       {{kSocial, kDirectorSocial},
        {kChildren, "director-children-youth-copenhagen"},
        {kSchool, cast_.school_leader.person},
        {kPolice, cast_.police_leader.person},
        contact(kClub),
        contact(kHousing)}},
      {"task-force",
       v1::BODY_KIND_TASK_FORCE,
       "Hotspot Task Force",
       0,
       2,
       {contact(kHotspot), contact(kSchool), contact(kClub), contact(kPolice), contact(kSocial),
        contact(kJobcentre), contact(kOutreach)}},
      {"hotspot-board",
       v1::BODY_KIND_HOTSPOT_BOARD,
       "Hotspot board",
       2,
       0,
       {contact(kHousing), contact(kNgo), contact(kClub)}},
      {"local-ssp",
       v1::BODY_KIND_LOCAL_SSP,
       "Local SSP cooperation",
       0,
       4,
       {contact(kSchool),
        contact(kSocial),
        contact(kPolice),
        contact(kSsp),
        {kHotspot, cast_.staff.person}}},
  };
  for (const BodySpec& spec : bodies) {
    auto body = Req<v1::ConstituteBodyRequest>();
    body.set_area_id(kAreaId);
    body.set_body_id(spec.id);
    body.set_kind(spec.kind);
    body.set_name(spec.name);
    for (const Member& m : spec.members) {
      v1::BodyMember* member = body.add_members();
      member->set_agency_id(m.agency);
      member->set_person(m.person);
      member->set_represents(m.represents);
    }
    if (spec.per_year > 0) body.mutable_cadence()->set_min_meetings_per_year(spec.per_year);
    if (spec.every_weeks > 0) body.mutable_cadence()->set_every_weeks(spec.every_weeks);
    // The administrations' own bodies are constituted by their admin; the others by the chief.
    const bool governing = spec.kind == v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP ||
                           spec.kind == v1::BODY_KIND_STEERING_GROUP;
    RETURN_IF_ERROR(Send(governing ? cast_.admin : cast_.chief, body, 0).status());
  }
  // The steering group met once, with its chair, and gave the club more hours for the
  // evenings at the square.
  ASSIGN_OR_RETURN(const std::string steering,
                   Meeting("steering-group", 50,
                           {{kHotspot, cast_.chief.person},
                            {kSocial, kDirectorSocial},
                            {kChildren, "director-children-youth-copenhagen"},
                            {kSchool, cast_.school_leader.person},
                            {kPolice, cast_.police_leader.person}}));
  auto resources = Req<v1::RecordDecisionRequest>();
  resources.set_meeting_id(steering);
  resources.set_text("The club opens four more evenings a week at the square, from the budget");
  v1::SteeringDecision* steer = resources.mutable_steering();
  steer->set_kind(v1::STEERING_DECISION_KIND_RESOURCES);
  steer->set_text("Evening opening of the youth club, four evenings a week");
  steer->set_agency_id(kClub);
  steer->set_amount_dkk(450'000);
  steer->set_hours_per_week(16);
  RETURN_IF_ERROR(Send(cast_.chief, resources, 50, 8).status());
  return absl::OkStatus();
}

absl::Status Builder::Referrals() {
  const Principal* referrers[] = {&cast_.school_member, &cast_.police_member, &cast_.chief,
                                  &cast_.caseworker};
  for (int i = 0; i < options_.youths; ++i) {
    // Referred over the first 11 weeks; the last few late enough to be waiting for screening.
    const int day = options_.youths > 1 ? 1 + (i * 100) / options_.youths : 1;
    v1::ReferYouthRequest referral = SampleReferral(i, "");
    referral.set_request_id(absl::StrCat(options_.request_prefix, "-", ++sequence_));
    const Principal& by = *referrers[i % 4];
    referral.set_referring_agency_id(by.agency == kHotspot ? kOutreach : by.agency);
    if (i % 10 == 7) {  // a youth nobody knows yet
      referral.set_identity_known(false);
      referral.clear_name();
      referral.clear_cpr_number();
      referral.clear_birth_date();
      referral.clear_address();
      referral.set_description("Seen at the square most nights; nobody knows his name");
    }
    ASSIGN_OR_RETURN(const v1::CommandResponse referred, Send(by, referral, day));
    result_.youth_ids.push_back(referred.id());
    referred_day_.push_back(day);
    accepted_day_.push_back(-1);
    const std::string& youth = referred.id();
    if (i % 10 == 9 || day > 100) continue;  // waiting for screening

    auto screen = Req<v1::ScreenReferralRequest>();
    screen.set_youth_id(youth);
    screen.set_accept(i % 10 != 8);
    screen.set_reason(i % 10 == 8 ? "Already followed closely by the school's own team"
                                  : "Several agencies worried; coordinated handling needed");
    RETURN_IF_ERROR(Send(cast_.chief, screen, day + 2).status());
    if (i % 10 == 8) continue;
    accepted_day_.back() = day + 2;

    if (i % 10 == 7) {
      auto outreach = Req<v1::AssignOutreachRequest>();
      outreach.set_youth_id(youth);
      outreach.set_agency_id(kOutreach);
      outreach.set_person(cast_.staff.person);
      outreach.set_task("Make contact at the square; find out who he is and what he needs");
      RETURN_IF_ERROR(Send(cast_.chief, outreach, day + 2).status());
    }
    if (i % 4 == 1) {
      // The police share under § 115 with the school and the club: what they need to act.
      auto share = Req<v1::ShareConcernRequest>();
      share.set_youth_id(youth);
      share.set_agency_id(kPolice);
      share.set_legal_basis(v1::LEGAL_BASIS_SSP_EXCHANGE);
      share.add_concerns(v1::CONCERN_CATEGORY_CHARGES);
      share.set_text("Stopped twice with older youths near the station after midnight");
      share.add_recipient_agency_ids(kSchool);
      share.add_recipient_agency_ids(kClub);
      share.set_necessity("The school and the club can keep him busy in the evenings");
      RETURN_IF_ERROR(Send(cast_.police_member, share, day + 3).status());
    }
    if (i % 3 == 0) {
      // The youth from 15, a custody holder below (or when the age is not known).
      const std::optional<int> age =
          domain::AgeOn(referral.birth_date(), absl::ToCivilDay(At(day + 4), absl::UTCTimeZone()));
      const bool youth_gives = age.has_value() && *age >= 15;
      auto consent = Req<v1::RecordConsentRequest>();
      consent.set_youth_id(youth);
      consent.set_scope("sharing between school, club and social services");
      consent.set_given_by(youth_gives ? "the youth" : "the mother");
      consent.set_giver(youth_gives ? v1::CONSENT_GIVER_YOUTH : v1::CONSENT_GIVER_CUSTODY_HOLDER);
      for (const char* agency : {kSchool, kClub, kSocial}) consent.add_agency_ids(agency);
      consent.set_purpose("coordinated support at school and in the club");
      consent.set_what("attendance, behaviour and the family's situation");
      consent.add_categories(v1::CONCERN_CATEGORY_SCHOOL_ABSENCE);
      consent.add_categories(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
      RETURN_IF_ERROR(Send(cast_.caseworker, consent, day + 4).status());
      // The school shares on that consent with the club.
      auto share = Req<v1::ShareConcernRequest>();
      share.set_youth_id(youth);
      share.set_agency_id(kSchool);
      share.set_legal_basis(v1::LEGAL_BASIS_CONSENT);
      share.add_concerns(v1::CONCERN_CATEGORY_FAMILY_TROUBLE);
      share.set_text("Tired in class; says there is trouble at home");
      share.set_necessity("The club sees him in the evenings and can offer a quiet place");
      share.add_recipient_agency_ids(kClub);
      RETURN_IF_ERROR(Send(cast_.school_member, share, day + 5).status());
    }
    if (i % 5 == 2) {
      // The school notifies the social administration (barnets lov); the caseworker assesses it
      // the next day, confirms the receipt within the week and opens an investigation for some.
      // One in three of these is assessed late, one receipt is never confirmed.
      auto notify = Req<v1::NotifyChildWelfareRequest>();
      notify.set_youth_id(youth);
      notify.set_agency_id(kSchool);
      notify.set_text("Comes to school hungry; says nobody is home in the evenings");
      ASSIGN_OR_RETURN(const v1::CommandResponse notified,
                       Send(cast_.school_member, notify, day + 2));
      auto assess = Req<v1::AssessNotificationRequest>();
      assess.set_youth_id(youth);
      assess.set_notification_id(notified.id());
      assess.set_assessment("No acute danger; a home visit and a talk with the mother");
      RETURN_IF_ERROR(Send(cast_.caseworker, assess, i % 3 == 0 ? day + 5 : day + 2).status());
      if (i % 4 != 3) {
        auto receipt = Req<v1::ConfirmNotificationReceiptRequest>();
        receipt.set_youth_id(youth);
        receipt.set_notification_id(notified.id());
        RETURN_IF_ERROR(Send(cast_.caseworker, receipt, day + 4).status());
      }
      if (i % 10 == 2) {
        auto open = Req<v1::OpenChildWelfareInvestigationRequest>();
        open.set_youth_id(youth);
        open.set_notification_id(notified.id());
        RETURN_IF_ERROR(Send(cast_.caseworker, open, day + 6).status());
      }
    }
    if (i % 6 == 0) {
      auto decision = Req<v1::RecordSocialDecisionRequest>();
      decision.set_youth_id(youth);
      decision.set_decision("Family support with a contact person (barnets lov § 32)");
      RETURN_IF_ERROR(Send(cast_.caseworker, decision, day + 5).status());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Builder::Meeting(const std::string& body, int day) {
  std::vector<std::pair<std::string, std::string>> attendance;
  for (const Principal* who : {&cast_.chief, &cast_.school_member, &cast_.police_member,
                               &cast_.caseworker, &cast_.club_member}) {
    attendance.emplace_back(who->agency, who->person);
  }
  return Meeting(body, day, attendance);
}

absl::StatusOr<std::string> Builder::Meeting(
    const std::string& body, int day,
    const std::vector<std::pair<std::string, std::string>>& attendance) {
  auto schedule = Req<v1::ScheduleMeetingRequest>();
  schedule.set_area_id(kAreaId);
  schedule.set_body_id(body);
  *schedule.mutable_scheduled_at() = TimestampOf(At(day, 5));
  ASSIGN_OR_RETURN(const v1::CommandResponse scheduled, Send(cast_.chief, schedule, day - 7));
  auto held = Req<v1::RecordAttendanceRequest>();
  held.set_meeting_id(scheduled.id());
  *held.mutable_held_at() = TimestampOf(At(day, 5));
  for (const auto& [agency, person] : attendance) {
    v1::BodyMember* member = held.add_attendance();
    member->set_agency_id(agency);
    member->set_person(person);
  }
  RETURN_IF_ERROR(Send(cast_.chief, held, day, 7).status());
  result_.meeting_ids.push_back(scheduled.id());
  return scheduled.id();
}

// Task-force meetings every two weeks. A youth accepted before a meeting is discussed there
// once: an action plan and one or two commitments. Some commitments are fulfilled, some cases
// then closed; commitments left open past their due date are late.
absl::Status Builder::TaskForce() {
  std::vector<bool> discussed(result_.youth_ids.size(), false);
  for (int day = 7; day <= 105; day += 14) {
    std::vector<int> agenda;
    for (size_t i = 0; i < result_.youth_ids.size(); ++i) {
      // At most kAgendaSize youths a meeting (the demo's meetings have fewer), so that a
      // scenario scaled to many youths keeps meetings of a sensible size.
      if (!discussed[i] && accepted_day_[i] >= 0 && accepted_day_[i] < day &&
          agenda.size() < kAgendaSize) {
        agenda.push_back(i);
      }
    }
    ASSIGN_OR_RETURN(const std::string meeting, Meeting("task-force", day));
    // Youth `i` on the meeting's agenda, two days before it.
    auto on_agenda = [&](int i) {
      auto item = Req<v1::AddAgendaItemRequest>();
      item.set_meeting_id(meeting);
      item.set_youth_id(result_.youth_ids[i]);
      return Send(cast_.chief, item, day - 2).status();
    };
    for (int i : agenda) {
      RETURN_IF_ERROR(on_agenda(i));
    }
    // Plans due for review: the goals are met, the task force decides the case closes in two
    // weeks if it holds; it holds, and the chief closes it on that decision.
    for (int i : reviews_[day]) {
      RETURN_IF_ERROR(on_agenda(i));
      auto review = Req<v1::RecordDecisionRequest>();
      review.set_meeting_id(meeting);
      review.set_youth_id(result_.youth_ids[i]);
      review.set_text(
          "Plan reviewed: attends school and the club every week; the case closes in two weeks "
          "if it holds");
      ASSIGN_OR_RETURN(const v1::CommandResponse reviewed, Send(cast_.chief, review, day, 6));
      auto close = Req<v1::CloseCaseRequest>();
      close.set_youth_id(result_.youth_ids[i]);
      close.set_outcome(v1::CASE_OUTCOME_GOALS_MET);
      close.set_note("Back in school and in the club; family support continues");
      close.set_meeting_id(meeting);
      close.set_decision_id(reviewed.id());
      RETURN_IF_ERROR(
          Send(cast_.chief, close, day + (kWeeksToClose - kWeeksToReview) * 7).status());
    }
    // A commitment the housing association declined comes back to the task force: the social
    // administration, present, takes it over.
    for (const auto& [i, declined] : declined_[day]) {
      RETURN_IF_ERROR(on_agenda(i));
      auto again = Req<v1::RecordDecisionRequest>();
      again.set_meeting_id(meeting);
      again.set_youth_id(result_.youth_ids[i]);
      again.set_text(
          "The housing association declined: the family rents privately. The social "
          "administration takes the housing question over");
      v1::NewCommitment* c = again.add_commitments();
      c->set_owning_agency_id(kSocial);
      c->set_responsible_person(cast_.caseworker.person);
      c->set_action("Help the family with its landlord and the rent");
      *c->mutable_due_date() = DateOf(At(day) + absl::Hours(24 * 21));
      c->set_accepted_by(cast_.caseworker.person);
      c->set_replaces_commitment_id(declined);  // taken up: no longer back with the chief
      ASSIGN_OR_RETURN(const v1::CommandResponse decided, Send(cast_.chief, again, day, 6));
      result_.commitment_ids.push_back(decided.created_ids(0));
      auto ack = Req<v1::AcknowledgeCommitmentRequest>();
      ack.set_commitment_id(decided.created_ids(0));
      RETURN_IF_ERROR(Send(cast_.caseworker, ack, day + 1).status());
    }
    // One youth in five needs two discussions: the first gathers what the agencies know, the
    // plan is agreed at the next meeting, two weeks on (so the median days to a plan exceed
    // those to a first discussion).
    std::vector<int> plans = plan_later_[day];
    for (int i : plans) RETURN_IF_ERROR(on_agenda(i));
    for (int i : agenda) {
      discussed[i] = true;
      if (i % 5 == 3 && day + 14 <= 105) {
        auto first = Req<v1::RecordDecisionRequest>();
        first.set_meeting_id(meeting);
        first.set_youth_id(result_.youth_ids[i]);
        first.set_text(
            "First discussion: the school, the club and social services bring what they know "
            "to the next meeting; the plan is agreed there");
        RETURN_IF_ERROR(Send(cast_.chief, first, day, 6).status());
        plan_later_[day + 14].push_back(i);
      } else {
        plans.push_back(i);
      }
    }
    for (int i : plans) {
      const std::string& youth = result_.youth_ids[i];
      auto decision = Req<v1::RecordDecisionRequest>();
      decision.set_meeting_id(meeting);
      decision.set_youth_id(youth);
      decision.set_text(
          "Coordinated plan agreed: school attendance, leisure activity, family support");
      decision.mutable_plan()->add_goals("Attends school at least 90% of days");
      decision.mutable_plan()->add_goals("Takes part in a club activity every week");
      *decision.mutable_plan()->mutable_review_date() =
          DateOf(At(day) + absl::Hours(24 * 7 * kWeeksToReview));
      const int commitments = 1 + i % 2;
      std::vector<std::string> owners;
      // Each owning agency's person: the one at the meeting accepts there; the job centre and
      // the housing association were not there, and answer the proposal the next day.
      auto person_of = [&](const std::string& agency) -> const Principal& {
        return agency == kSchool      ? cast_.school_member
               : agency == kPolice    ? cast_.police_member
               : agency == kSocial    ? cast_.caseworker
               : agency == kClub      ? cast_.club_member
               : agency == kJobcentre ? cast_.jobcentre_leader
                                      : cast_.housing_member;
      };
      auto attended = [](const std::string& agency) {
        return agency != kJobcentre && agency != kHousing;
      };
      for (int k = 0; k < commitments; ++k) {
        const std::string owner = kOwners[(i + k) % 6];
        owners.push_back(owner);
        v1::NewCommitment* c = decision.add_commitments();
        c->set_owning_agency_id(owner);
        c->set_responsible_person(person_of(owner).person);
        c->set_action(k == 0 ? "Weekly check-in with the youth and the family"
                             : "Offer a place in a job or leisure programme");
        *c->mutable_due_date() = DateOf(At(day) + absl::Hours(24 * 21));
        if (attended(owner)) c->set_accepted_by(person_of(owner).person);
      }
      ASSIGN_OR_RETURN(const v1::CommandResponse decided, Send(cast_.chief, decision, day, 6));
      for (size_t k = 0; k < owners.size(); ++k) {
        const std::string& commitment = decided.created_ids(k);
        result_.commitment_ids.push_back(commitment);
        const Principal& owner = person_of(owners[k]);
        if (!attended(owners[k])) {
          // The first proposal to the job centre goes unanswered: a week on, the chief, who
          // proposed it, withdraws it (the youth found an apprenticeship himself).
          if (owners[k] == kJobcentre && !withdrew_proposal_) {
            withdrew_proposal_ = true;
            auto withdraw = Req<v1::WithdrawProposalRequest>();
            withdraw.set_youth_id(youth);
            withdraw.set_commitment_id(commitment);
            withdraw.set_reason("He found an apprenticeship himself; the offer is not needed");
            RETURN_IF_ERROR(Send(cast_.chief, withdraw, day + 7).status());
            continue;
          }
          // The housing association declines one in four, with its reason: it goes back to the
          // chief, and the next task force gives it to the social administration.
          if (owners[k] == kHousing && i % 4 == 1) {
            auto decline = Req<v1::DeclineCommitmentRequest>();
            decline.set_commitment_id(commitment);
            decline.set_reason("The family rents privately, not from us; ask the social services");
            RETURN_IF_ERROR(Send(owner, decline, day + 1).status());
            if (day + 14 <= 105) declined_[day + 14].emplace_back(i, commitment);
            continue;
          }
          auto accept = Req<v1::AcceptCommitmentRequest>();
          accept.set_commitment_id(commitment);
          RETURN_IF_ERROR(Send(owner, accept, day + 1).status());
        }
        auto ack = Req<v1::AcknowledgeCommitmentRequest>();
        ack.set_commitment_id(commitment);
        RETURN_IF_ERROR(Send(owner, ack, day + 1).status());
        if (i % 3 == 0 && day + 10 <= kBackdatedDays) {
          auto fulfil = Req<v1::FulfilCommitmentRequest>();
          fulfil.set_commitment_id(commitment);
          fulfil.set_note("Done as agreed");
          RETURN_IF_ERROR(Send(owner, fulfil, day + 10).status());
        } else if (day + 21 < 84) {
          late_by_owner_.emplace(owners[k], commitment);  // left open past its due date
        } else if (k == 0) {
          auto progress = Req<v1::ReportProgressRequest>();
          progress.set_commitment_id(commitment);
          progress.set_note("First meeting with the family held");
          RETURN_IF_ERROR(Send(owner, progress, day + 7).status());
        }
      }
      // All fulfilled: the plan's review (at 8 weeks) decides the case closes two weeks on,
      // ten weeks after the plan; plans of later meetings are still running.
      if (i % 6 == 0 && day + kWeeksToClose * 7 <= kBackdatedDays) {
        reviews_[day + kWeeksToReview * 7].push_back(i);
      }
    }
  }
  return absl::OkStatus();
}

// The other bodies at work: the hotspot board gives a recommendation about the square; the
// chief proposes a revision of the programme, and the political follow-up group of the
// administrations' mayors approves it at its half-yearly meeting and sets the next one.
absl::Status Builder::Bodies() {
  auto appoint = Req<v1::AppointBoardMemberRequest>();
  appoint.set_area_id(kAreaId);
  appoint.set_body_id("hotspot-board");
  appoint.mutable_member()->set_person("chair-tenants-board");
  appoint.mutable_member()->set_represents("the tenants' board");
  RETURN_IF_ERROR(Send(cast_.chief, appoint, 20).status());

  ASSIGN_OR_RETURN(const std::string board, Meeting("hotspot-board", 70,
                                                    {{kHotspot, cast_.chief.person},
                                                     {kHousing, "contact-housing-sjaelor"},
                                                     {kNgo, "contact-ngo-mentors"},
                                                     {kClub, "contact-club-sjaelor"}}));
  const char kSquare[] = "Evenings at the square";
  auto topic = Req<v1::AddAgendaItemRequest>();
  topic.set_meeting_id(board);
  topic.set_topic(kSquare);
  RETURN_IF_ERROR(Send(cast_.chief, topic, 68).status());
  auto recommend = Req<v1::RecordDecisionRequest>();
  recommend.set_meeting_id(board);
  recommend.set_topic(kSquare);
  recommend.set_kind(v1::DECISION_KIND_RECOMMENDATION);
  recommend.set_text(
      "The board recommends better lighting at the square and volunteer parents on Fridays");
  RETURN_IF_ERROR(Send(cast_.chief, recommend, 70, 6).status());

  auto propose = Req<v1::ProposeProgrammeRevisionRequest>();
  propose.set_area_id(kAreaId);
  for (v1::ProgrammeGoal goal : goals_) {
    // The task force meets every two weeks, and plans follow within two of the referral: the
    // target is tightened to what the work shows (the dashboard's and the report's median days
    // to an adopted plan, tests/e2e/query_service_test.cc).
    if (goal.goal_id() == "speed") goal.set_target(14);
    *propose.add_goals() = goal;
  }
  propose.set_reason(
      "Plans are adopted within 14 days of the referral in the median, well inside the 21-day "
      "target: the target is tightened to 14 days");
  ASSIGN_OR_RETURN(const v1::CommandResponse proposed, Send(cast_.chief, propose, 88));
  const std::string proposal =
      proposed.created_ids_size() > 0 ? proposed.created_ids(0) : proposed.id();
  const int political_day = 98;
  const char kRevision[] = "Revision of the programme's goals";
  ASSIGN_OR_RETURN(const std::string political, PoliticalMeeting(political_day, kRevision));
  auto approve = Req<v1::RecordDecisionRequest>();
  approve.set_meeting_id(political);
  approve.set_topic(kRevision);
  approve.set_approves_proposal_id(proposal);
  approve.set_text("The mayors approve the revised target for faster coordinated courses");
  RETURN_IF_ERROR(Send(cast_.chief, approve, political_day, 6).status());
  // Its next meeting, half a year on.
  auto next = Req<v1::ScheduleMeetingRequest>();
  next.set_area_id(kAreaId);
  next.set_body_id("political-follow-up");
  *next.mutable_scheduled_at() = TimestampOf(At(political_day + 182, 5));
  RETURN_IF_ERROR(Send(cast_.chief, next, political_day, 8).status());
  return absl::OkStatus();
}

// Each agency names its people, who speak for it: its contact in the bodies and those of the
// cast who work for it. One of them at a meeting accepts the agency's commitments there (the
// people on its ladder may too). The agency's own leader names them, or the municipality's IT
// operator (the admin) for an agency without a leader in the demo; never the chief, who records
// the meetings.
absl::Status Builder::AgencyPeople() {
  const struct {
    const char* agency;
    const Principal* by;
    std::vector<std::string> persons;
  } registers[] = {
      {kHotspot, &cast_.admin, {cast_.chief.person, cast_.staff.person, ContactOf(kHotspot)}},
      {kSchool, &cast_.school_leader, {cast_.school_member.person, ContactOf(kSchool)}},
      {kPolice, &cast_.police_leader, {cast_.police_member.person, ContactOf(kPolice)}},
      {kJobcentre, &cast_.jobcentre_leader, {ContactOf(kJobcentre)}},
      {kSocial, &cast_.admin, {cast_.caseworker.person, ContactOf(kSocial)}},
      {kClub, &cast_.admin, {cast_.club_member.person, ContactOf(kClub)}},
      {kHousing, &cast_.admin, {cast_.housing_member.person, ContactOf(kHousing)}},
      {kOutreach, &cast_.admin, {ContactOf(kOutreach)}},
      {kSsp, &cast_.admin, {ContactOf(kSsp)}},
      {kNgo, &cast_.admin, {ContactOf(kNgo)}},
  };
  for (const auto& r : registers) {
    auto named = Req<v1::NameAgencyPeopleRequest>();
    named.set_agency_id(r.agency);
    for (const std::string& person : r.persons) named.add_persons(person);
    RETURN_IF_ERROR(Send(*r.by, named, 0).status());
  }
  return absl::OkStatus();
}

// The three administrations' leadership ladders, set by the municipality's IT operator (the
// admin): a middle manager, the director (whom the chief's report goes to) and the mayor of the
// political follow-up group. An escalation to an administration has someone to answer it.
absl::Status Builder::AdministrationLadders() {
  const std::array<std::array<const char*, 4>, 3> ladders = {{
      {kSocial, "manager-social-copenhagen", kDirectorSocial, kMayorSocial},
      {kChildren, "manager-children-youth-copenhagen", "director-children-youth-copenhagen",
       kMayorChildren},
      {kEmployment, "manager-employment-copenhagen", "director-employment-copenhagen",
       kMayorEmployment},
  }};
  for (const auto& [agency, manager, director, mayor] : ladders) {
    auto ladder = Req<v1::SetLeadershipLadderRequest>();
    ladder.set_agency_id(agency);
    for (const auto& [level, person, title] :
         {std::tuple{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, manager, "head of section"},
          std::tuple{v1::LEADERSHIP_LEVEL_DIRECTOR, director, "administrative director"},
          std::tuple{v1::LEADERSHIP_LEVEL_POLITICAL, mayor, "mayor"}}) {
      v1::LeadershipContact* contact = ladder.add_contacts();
      contact->set_level(level);
      contact->set_person(person);
      contact->set_title(title);
    }
    RETURN_IF_ERROR(Send(cast_.admin, ladder, 0).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Builder::PoliticalMeeting(int day, const char* topic) {
  ASSIGN_OR_RETURN(const std::string meeting, Meeting("political-follow-up", day,
                                                      {{kHotspot, cast_.chief.person},
                                                       {kSocial, kMayorSocial},
                                                       {kChildren, kMayorChildren},
                                                       {kEmployment, kMayorEmployment}}));
  auto item = Req<v1::AddAgendaItemRequest>();
  item.set_meeting_id(meeting);
  item.set_topic(topic);
  RETURN_IF_ERROR(Send(cast_.chief, item, day - 2).status());
  return meeting;
}

// The political follow-up group meets at the start of the effort, where the chief presents the
// programme and the bodies; it meets again at day 98 (Bodies) and then every half-year.
absl::Status Builder::PoliticalKickOff() {
  const int day = 14;
  const char kStart[] = "The hotspot effort starts: the programme, the bodies, the first referrals";
  ASSIGN_OR_RETURN(const std::string meeting, PoliticalMeeting(day, kStart));
  auto informed = Req<v1::RecordDecisionRequest>();
  informed.set_meeting_id(meeting);
  informed.set_topic(kStart);
  informed.set_kind(v1::DECISION_KIND_INFORMATION);
  informed.set_text("The mayors take note of the programme and of how the bodies are staffed");
  RETURN_IF_ERROR(Send(cast_.chief, informed, day, 6).status());
  return absl::OkStatus();
}

// The local SSP cooperation meets every four weeks, the hotspot staff with it; it shares what
// school, social services and police see, and decides nothing about a youth.
absl::Status Builder::LocalSsp() {
  for (int day = 10; day <= kBackdatedDays - 7; day += 28) {
    RETURN_IF_ERROR(Meeting("local-ssp", day,
                            {{kSchool, "contact-school-sjaelor"},
                             {kSocial, "contact-social-copenhagen"},
                             {kPolice, "contact-police-copenhagen"},
                             {kSsp, "contact-ssp-valby"},
                             {kHotspot, cast_.staff.person}})
                        .status());
  }
  return absl::OkStatus();
}

// Two escalations about late commitments, to agencies with a leadership ladder: the first
// stays at the steering group and is acknowledged; the second is moved up to the director.
absl::Status Builder::Escalations() {
  const std::pair<const char*, const Principal*> laddered[] = {
      {kJobcentre, &cast_.jobcentre_leader},
      {kSchool, &cast_.school_leader},
      {kPolice, &cast_.police_leader},
  };
  int day = 84;
  for (const auto& [agency, leader] : laddered) {
    auto it = late_by_owner_.find(agency);
    if (it == late_by_owner_.end()) continue;
    const bool move_up = !result_.escalation_ids.empty();
    auto raise = Req<v1::RaiseEscalationRequest>();
    raise.set_area_id(kAreaId);
    raise.set_target_agency_id(agency);
    raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    raise.set_reason("Agreed action not carried out; two reminders without answer");
    raise.add_commitment_ids(it->second);
    // The chief's office reminds the agency twice before escalating; it acts for nobody.
    for (int reminder = 0; reminder < 2; ++reminder) {
      auto remind = Req<v1::RecordFollowUpRequest>();
      remind.set_commitment_id(it->second);
      remind.set_kind(v1::FOLLOW_UP_KIND_REMINDER);
      remind.set_note("Reminder sent: the agreed check-in has not been reported");
      RETURN_IF_ERROR(Send(cast_.staff, remind, day - 10 + 5 * reminder).status());
    }
    ASSIGN_OR_RETURN(const v1::CommandResponse raised, Send(cast_.chief, raise, day));
    result_.escalation_ids.push_back(raised.id());
    // Played at now (no backdating), the escalation moved up has its chance at the steering
    // group first: acknowledged (its 14 days cannot pass).
    if (!move_up || !options_.backdate) {
      auto ack = Req<v1::AcknowledgeEscalationRequest>();
      ack.set_escalation_id(raised.id());
      ack.set_note("We will staff the case from next week");
      RETURN_IF_ERROR(Send(*leader, ack, day + 3).status());
    }
    if (move_up) {
      auto up = Req<v1::MoveEscalationUpRequest>();
      up.set_escalation_id(raised.id());
      up.set_reason("No response from the steering-group level within 14 days");
      RETURN_IF_ERROR(Send(cast_.chief, up, day + 17).status());
    }
    if (result_.escalation_ids.size() == 2) break;
    day += 7;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Principal> Cast::All() const {
  return {admin,         chief,         staff,         school_member,
          school_leader, police_member, police_leader, jobcentre_leader,
          caseworker,    auditor,       integration,   club_member,
          housing_member};
}

Cast SjaelorCast() {
  Cast c;
  c.admin = P("it-operator", kHotspot, Role::kAdmin);
  c.chief = P("chief-anna", kHotspot, Role::kCoordinator);
  c.staff = P("staff-jonas", kHotspot, Role::kCoordinator);
  c.school_member = P("teacher-ole", kSchool, Role::kAgencyMember);
  c.school_leader = P("manager-school-sjaelor", kSchool, Role::kAgencyLeader);
  c.police_member = P("officer-sara", kPolice, Role::kAgencyMember);
  c.police_leader = P("manager-police-copenhagen", kPolice, Role::kAgencyLeader);
  c.jobcentre_leader = P("manager-jobcentre-copenhagen", kJobcentre, Role::kAgencyLeader);
  c.caseworker = P("caseworker-lis", kSocial, Role::kSocialCaseworker);
  c.auditor = P("auditor-kim", kHotspot, Role::kAuditor);
  c.integration = P("system-case-records", kSocial, Role::kIntegration);
  c.club_member = P("youth-worker-ida", kClub, Role::kAgencyMember);
  c.housing_member = P("housing-officer-kaj", kHousing, Role::kAgencyMember);
  return c;
}

v1::ReferYouthRequest SampleReferral(int n, std::string request_id) {
  v1::ReferYouthRequest r;
  r.set_request_id(std::move(request_id));
  r.set_area_id(kAreaId);
  r.set_referring_agency_id(kSchool);
  r.set_referred_by("teacher-ole");
  const v1::ConcernCategory concerns[] = {
      v1::CONCERN_CATEGORY_SCHOOL_ABSENCE, v1::CONCERN_CATEGORY_TIME_ON_THE_STREET,
      v1::CONCERN_CATEGORY_FAMILY_TROUBLE, v1::CONCERN_CATEGORY_CHARGES};
  r.add_concerns(concerns[n % 4]);
  if (n % 3 == 0) r.add_concerns(concerns[(n + 1) % 4]);
  r.set_description("Absent from school for weeks; seen with older youths at night");
  const v1::Urgency urgencies[] = {v1::URGENCY_NORMAL, v1::URGENCY_HIGH, v1::URGENCY_LOW,
                                   v1::URGENCY_ACUTE};
  r.set_urgency(urgencies[n % 4]);
  r.set_identity_known(true);
  r.set_name(absl::StrCat(kFirstNames[n % 18], " ", kLastNames[(n / 18 + n) % 12]));
  const int year = 2008 + n % 6;  // 12 to 18 years old in 2026
  const int month = 1 + n % 12;
  const int day = 1 + n % 28;
  r.set_birth_date(absl::StrFormat("%04d-%02d-%02d", year, month, day));
  // Danish CPR: the 7th digit with the year gives the century. Born 2000-2036: 4-9 (4 and 9 up
  // to 2036, 5-8 up to 2057), so a youth born in the 2000s has a serial of 4000-9999.
  r.set_cpr_number(
      absl::StrFormat("%02d%02d%02d-%04d", day, month, year % 100, 4000 + (n * 7) % 6000));
  r.set_address(absl::StrCat("Sjælør Boulevard ", 1 + n % 120, ", 2450 København SV"));
  return r;
}

void SetBirthDate(v1::ReferYouthRequest& referral, absl::CivilDay born) {
  referral.set_birth_date(absl::FormatCivilTime(born));
  // The 7th digit with the year tells the century: 4 for 2000-2036, 5 for 2037-2057 and for the
  // 1800s, 2 for the 1900s.
  const int64_t year = born.year();
  const int century_digit = year >= 2000 ? (year <= 2036 ? 4 : 5) : (year >= 1900 ? 2 : 5);
  const std::string serial =
      referral.cpr_number().size() == 11 ? referral.cpr_number().substr(8) : "123";
  referral.set_cpr_number(absl::StrFormat("%02d%02d%02d-%d%s", born.day(), born.month(), year % 100,
                                          century_digit, serial));
}

absl::StatusOr<ScenarioResult> BuildSjaelor(CommandSink& sink, ScenarioOptions options) {
  Builder builder(sink, std::move(options));
  return builder.Run();
}

}  // namespace hotspot::scenario
