// The scenario, built in process against a real event store and key store.
#include "services/scenario/scenario.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "services/scenario/handler_sink.h"
#include "services/security/key_store.h"
#include "services/security/sealer.h"
#include "store/test_util.h"

namespace hotspot::scenario {
namespace {

// The aggregate `stream` as the store holds it.
template <typename State>
State Fold(const store::EventStore& events, const std::string& stream) {
  State state;
  const auto read = events.ReadStream(stream, 0, store::Direction::kForward, 1000);
  EXPECT_TRUE(read.ok()) << read.status();
  for (const auto& recorded : read.ok() ? *read : std::vector<store::RecordedEvent>()) {
    v1::Event event;
    EXPECT_TRUE(event.ParseFromString(recorded.payload)) << recorded.position;
    domain::Evolve(state, event);
  }
  return state;
}

TEST(ScenarioTest, BuildsTheAreaOnceWithLateCommitmentsAndTwoEscalations) {
  store::testing::TempDir dir;
  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir.Sub("master.key");
  auto keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
  security::Sealer sealer(keys.get());
  store::Options options;
  options.sync = false;
  auto events = *store::EventStore::Open(std::move(options), dir.Sub("events"));

  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
  ScenarioOptions scenario;
  scenario.now = now;
  uint64_t head = 0;
  {
    HandlerSink sink(events.get(), &sealer);
    absl::StatusOr<ScenarioResult> built = BuildSjaelor(sink, scenario);
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(built->youth_ids.size(), 40u);
    EXPECT_GE(built->meeting_ids.size(), 8u);
    EXPECT_EQ(built->escalation_ids.size(), 2u);
    EXPECT_EQ(built->replayed, 0);
    head = events->HeadPosition();

    // Some commitments are late: open, with a due date before now.
    int late = 0, fulfilled = 0;
    for (const std::string& id : built->commitment_ids) {
      const auto state = Fold<domain::CommitmentState>(*events, id);
      const absl::CivilDay due(state.due_date.year(), state.due_date.month(), state.due_date.day());
      if (state.open() && due < absl::ToCivilDay(now, absl::UTCTimeZone())) ++late;
      if (state.status == domain::CommitmentStatus::kFulfilled) ++fulfilled;
    }
    EXPECT_GT(late, 0);
    EXPECT_GT(fulfilled, 0);

    // Two escalations at different levels.
    std::set<int> levels;
    for (const std::string& id : built->escalation_ids) {
      const auto state = Fold<domain::EscalationState>(*events, id);
      levels.insert(state.level);
    }
    EXPECT_EQ(levels.size(), 2u);

    // No name, CPR number or address of a youth stands in clear in the log.
    const v1::ReferYouthRequest sample = SampleReferral(0, "x");
    const auto log = events->ReadAll(0, store::Direction::kForward, 10000);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const auto& e : *log) {
      ASSERT_FALSE(absl::StrContains(e.payload, sample.name())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, sample.cpr_number())) << e.type;
      ASSERT_FALSE(absl::StrContains(e.payload, "Boulevard 1,")) << e.type;
    }
  }
  // Again: every command is answered from the log, nothing is written.
  HandlerSink sink(events.get(), &sealer);
  absl::StatusOr<ScenarioResult> again = BuildSjaelor(sink, scenario);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->replayed, again->commands);
  EXPECT_EQ(events->HeadPosition(), head);
}

// The birth year a Danish CPR number "DDMMYY-SSSS" stands for: the 7th digit with the year
// gives the century (0-3: 1900s; 4 and 9: 2000-2036, else 1900s; 5-8: 2000-2057, else 1800s).
int CprBirthYear(const std::string& cpr) {
  const int yy = std::stoi(cpr.substr(4, 2));
  const int seventh = cpr[7] - '0';
  if (seventh <= 3) return 1900 + yy;
  if (seventh == 4 || seventh == 9) return yy <= 36 ? 2000 + yy : 1900 + yy;
  return yy <= 57 ? 2000 + yy : 1800 + yy;
}

TEST(ScenarioTest, CprNumbersFitTheirBirthCentury) {
  for (int n = 0; n < 200; ++n) {
    const v1::ReferYouthRequest r = SampleReferral(n, "x");
    const std::string& cpr = r.cpr_number();
    const std::string& born = r.birth_date();  // YYYY-MM-DD
    ASSERT_EQ(cpr.size(), 11u) << cpr;
    EXPECT_EQ(cpr.substr(0, 2), born.substr(8, 2)) << cpr << " " << born;
    EXPECT_EQ(cpr.substr(2, 2), born.substr(5, 2)) << cpr << " " << born;
    EXPECT_EQ(CprBirthYear(cpr), std::stoi(born.substr(0, 4))) << cpr << " " << born;
  }
}

absl::CivilDay Day(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }

// The demo acts the model out (issue 13 §7), read back from the events it wrote.
TEST(ScenarioTest, TheDemoActsTheModelOut) {
  store::testing::TempDir dir;
  security::KeyStoreOptions key_options;
  key_options.master_key_file = dir.Sub("master.key");
  auto keys = *security::KeyStore::Open(key_options, dir.Sub("keys"));
  security::Sealer sealer(keys.get());
  store::Options options;
  options.sync = false;
  auto events = *store::EventStore::Open(std::move(options), dir.Sub("events"));
  ScenarioOptions scenario;
  scenario.now = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
  HandlerSink sink(events.get(), &sealer);
  absl::StatusOr<ScenarioResult> built = BuildSjaelor(sink, scenario);
  ASSERT_TRUE(built.ok()) << built.status();

  const auto log = events->ReadAll(0, store::Direction::kForward, 100000);
  ASSERT_TRUE(log.ok()) << log.status();
  std::map<std::string, v1::BodyKind> body_kind;
  std::map<std::string, v1::BodyConstituted> body_of_kind;
  std::map<std::string, std::string> meeting_body;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> attendance;
  std::map<std::string, absl::CivilDay> review_date;
  std::map<std::string, absl::CivilDay> closed_on;
  std::vector<std::pair<size_t, v1::CommitmentMade>> made;
  std::map<std::string, std::string> accepted_later;  // commitment -> person
  std::map<std::string, size_t> declined_at;
  std::map<std::string, std::string> withdrawn_by;  // commitment -> the actor
  // Each plan change and closure: (youth, meeting, decision) it names.
  std::vector<std::tuple<std::string, std::string, std::string>> case_changes;
  std::map<std::string, std::vector<std::pair<size_t, std::string>>> commitments_of_youth;
  std::vector<v1::DecisionRecorded> decisions;
  int steering_resources = 0, revisions_approved = 0;
  std::map<int, std::map<absl::CivilDay, double>> charges;  // by scope, by date (all ages)
  std::map<std::pair<int, int>, int> charges_by_age;        // (scope, age group) -> how many
  std::optional<absl::CivilDay> council_decided_on;
  std::map<std::string, std::string> first_discussed_at, planned_at;  // youth -> meeting
  std::map<std::string, std::string> ladder_director;                 // agency -> person
  std::map<std::string, std::string> measures_defined;  // measure -> its owning agency
  int social_measurements = 0;
  // Who each agency named, as it stood when each commitment was made (its register and ladder).
  std::map<std::string, std::set<std::string>> register_of, ladder_of;
  std::map<std::string, std::set<std::string>> named_when_made;  // commitment -> its agency's
  size_t at = 0;
  for (const auto& recorded : *log) {
    ++at;
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(recorded.payload));
    if (e.has_body_constituted()) {
      body_kind[e.body_constituted().body_id()] = e.body_constituted().kind();
      body_of_kind[v1::BodyKind_Name(e.body_constituted().kind())] = e.body_constituted();
    } else if (e.has_meeting_scheduled()) {
      meeting_body[e.meeting_scheduled().meeting_id()] = e.meeting_scheduled().body_id();
    } else if (e.has_meeting_held()) {
      for (const v1::BodyMember& m : e.meeting_held().attendance()) {
        attendance[e.meeting_held().meeting_id()].emplace(m.agency_id(), m.person());
      }
    } else if (e.has_programme_adopted()) {
      council_decided_on = Day(e.programme_adopted().council_decided_on());
    } else if (e.has_measure_defined()) {
      measures_defined[e.measure_defined().measure()] = e.measure_defined().owning_agency_id();
      EXPECT_FALSE(e.measure_defined().definition().empty()) << e.measure_defined().measure();
    } else if (e.has_action_plan_adopted()) {
      planned_at[e.action_plan_adopted().youth_id()] = e.action_plan_adopted().meeting_id();
      case_changes.emplace_back(e.action_plan_adopted().youth_id(),
                                e.action_plan_adopted().meeting_id(),
                                e.action_plan_adopted().decision_id());
      review_date[e.action_plan_adopted().youth_id()] = Day(e.action_plan_adopted().review_date());
    } else if (e.has_action_plan_revised()) {
      review_date[e.action_plan_revised().youth_id()] = Day(e.action_plan_revised().review_date());
      case_changes.emplace_back(e.action_plan_revised().youth_id(),
                                e.action_plan_revised().meeting_id(),
                                e.action_plan_revised().decision_id());
    } else if (e.has_case_closed()) {
      ASSERT_TRUE(e.case_closed().has_closed_on());
      closed_on[e.case_closed().youth_id()] = Day(e.case_closed().closed_on());
      case_changes.emplace_back(e.case_closed().youth_id(), e.case_closed().meeting_id(),
                                e.case_closed().decision_id());
    } else if (e.has_agency_people_named()) {
      // Named by the agency itself: its own leader, or the admin; never the chief.
      EXPECT_TRUE(e.actor().role() == "admin" ||
                  (e.actor().role() == "agency_leader" &&
                   e.actor().agency_id() == e.agency_people_named().agency_id()))
          << e.agency_people_named().agency_id() << " named by " << e.actor().person();
      register_of[e.agency_people_named().agency_id()] = {
          e.agency_people_named().persons().begin(), e.agency_people_named().persons().end()};
    } else if (e.has_commitment_made()) {
      const std::string& owner = e.commitment_made().owning_agency_id();
      std::set<std::string>& named = named_when_made[e.commitment_made().commitment_id()];
      named = register_of[owner];
      named.insert(ladder_of[owner].begin(), ladder_of[owner].end());
      made.emplace_back(at, e.commitment_made());
      commitments_of_youth[e.commitment_made().youth_id()].emplace_back(
          at, e.commitment_made().owning_agency_id());
    } else if (e.has_commitment_accepted()) {
      accepted_later[e.commitment_accepted().commitment_id()] =
          e.commitment_accepted().accepted_by();
    } else if (e.has_commitment_declined()) {
      declined_at[e.commitment_declined().commitment_id()] = at;
    } else if (e.has_commitment_proposal_withdrawn()) {
      withdrawn_by[e.commitment_proposal_withdrawn().commitment_id()] = e.actor().person();
    } else if (e.has_decision_recorded()) {
      decisions.push_back(e.decision_recorded());
      if (!e.decision_recorded().youth_id().empty()) {
        first_discussed_at.emplace(e.decision_recorded().youth_id(),
                                   e.decision_recorded().meeting_id());
      }
    } else if (e.has_steering_decision_recorded()) {
      if (e.steering_decision_recorded().decision().kind() ==
          v1::STEERING_DECISION_KIND_RESOURCES) {
        ++steering_resources;
      }
    } else if (e.has_programme_revised()) {
      if (!e.programme_revised().proposal_id().empty()) ++revisions_approved;
    }
    // Each measure is defined, with its owning agency, before its first measurement, and its
    // owning agency's people record it (issue 13, §5).
    if (e.has_measurement_recorded()) {
      const auto owner = measures_defined.find(e.measurement_recorded().measure());
      EXPECT_NE(owner, measures_defined.end()) << e.measurement_recorded().measure();
      if (owner != measures_defined.end()) {
        EXPECT_EQ(e.actor().agency_id(), owner->second) << e.measurement_recorded().measure();
      }
    }
    if (e.has_measurement_recorded() &&
        e.measurement_recorded().measure() == "charges_per_1000_youth") {
      const v1::MeasurementRecorded& m = e.measurement_recorded();
      ++charges_by_age[{m.scope(), m.age_group()}];
      if (m.age_group() == v1::AGE_GROUP_UNSPECIFIED) {
        charges[m.scope()][Day(m.measured_on())] = m.value();
      }
    } else if (e.has_measurement_recorded()) {
      social_measurements += e.measurement_recorded().measure() == "investigations_within_4_months";
    } else if (e.has_leadership_ladder_set()) {
      std::set<std::string>& ladder = ladder_of[e.leadership_ladder_set().agency_id()];
      ladder.clear();
      for (const v1::LeadershipContact& c : e.leadership_ladder_set().contacts()) {
        ladder.insert(c.person());
      }
      for (const v1::LeadershipContact& c : e.leadership_ladder_set().contacts()) {
        if (c.level() == v1::LEADERSHIP_LEVEL_DIRECTOR) {
          ladder_director[e.leadership_ladder_set().agency_id()] = c.person();
        }
      }
      if (e.leadership_ladder_set().agency_id() == "agency-police-copenhagen") {
        for (const v1::LeadershipContact& c : e.leadership_ladder_set().contacts()) {
          EXPECT_NE(c.level(), v1::LEADERSHIP_LEVEL_POLITICAL) << c.person();
          EXPECT_FALSE(absl::StrContains(c.person(), "mayor")) << c.person();
        }
      }
    }
  }

  // The handbook's effect figures over the programme's years, with the control areas and the
  // country beside the area: the first on or before the city council adopted the programme,
  // the last after it; split under and over 18 too.
  ASSERT_TRUE(council_decided_on.has_value());
  const std::map<int, std::pair<double, double>> handbook = {
      {v1::MEASUREMENT_SCOPE_AREA, {75, 50}},
      {v1::MEASUREMENT_SCOPE_CONTROL_AREAS, {70, 65}},
      {v1::MEASUREMENT_SCOPE_COUNTRY, {25, 20}}};
  for (const auto& [scope, figures] : handbook) {
    ASSERT_GE(charges[scope].size(), 2u) << scope;
    const auto& [first_day, first] = *charges[scope].begin();
    const auto& [last_day, last] = *charges[scope].rbegin();
    EXPECT_EQ(first, figures.first) << scope;
    EXPECT_EQ(last, figures.second) << scope;
    EXPECT_GE(last_day - first_day, 2 * 365) << scope;
    EXPECT_LE(first_day, *council_decided_on) << scope;
    EXPECT_GT(last_day, *council_decided_on) << scope;
    EXPECT_EQ((charges_by_age[{scope, v1::AGE_GROUP_UNDER_18}]), 2) << scope;
    EXPECT_EQ((charges_by_age[{scope, v1::AGE_GROUP_18_AND_OVER}]), 2) << scope;
  }

  // The social administration's own measure, next to the safety index; the administrations'
  // ladders, with their directors.
  EXPECT_EQ(measures_defined, (std::map<std::string, std::string>{
                                  {"charges_per_1000_youth", "agency-police-copenhagen"},
                                  {"investigations_within_4_months", "agency-social-copenhagen"},
                                  {"median_days_to_plan", "agency-hotspot-sjaelor"},
                                  {"safety_index", "agency-hotspot-sjaelor"}}));
  EXPECT_EQ(social_measurements, 1);
  for (const char* administration : {"agency-social-copenhagen", "agency-children-youth-copenhagen",
                                     "agency-employment-copenhagen"}) {
    EXPECT_TRUE(absl::StartsWith(ladder_director[administration], "director-")) << administration;
  }

  // Some youths get their plan at a later meeting than their first discussion.
  int planned_later = 0;
  for (const auto& [youth, meeting] : planned_at) {
    ASSERT_TRUE(first_discussed_at.count(youth)) << youth;
    planned_later += first_discussed_at.at(youth) != meeting;
  }
  EXPECT_GT(planned_later, 0);
  EXPECT_LT(planned_later, static_cast<int>(planned_at.size()));

  // Every plan change and closure stands on a decision of the task force or the steering group
  // about the youth, at a held meeting (issue 13 S6).
  ASSERT_FALSE(case_changes.empty());
  for (const auto& [youth, meeting, decision] : case_changes) {
    EXPECT_TRUE(std::any_of(decisions.begin(), decisions.end(),
                            [&](const v1::DecisionRecorded& d) {
                              return d.decision_id() == decision && d.meeting_id() == meeting &&
                                     d.youth_id() == youth;
                            }))
        << youth << ": " << decision << " at " << meeting;
    const v1::BodyKind body = body_kind[meeting_body[meeting]];
    EXPECT_TRUE(body == v1::BODY_KIND_TASK_FORCE || body == v1::BODY_KIND_STEERING_GROUP)
        << youth << ": " << meeting;
    EXPECT_TRUE(attendance.count(meeting)) << meeting << " not held";
  }

  // Cases close at a realistic pace: after their plan's review, weeks after it.
  ASSERT_FALSE(closed_on.empty());
  for (const auto& [youth, closed] : closed_on) {
    ASSERT_TRUE(review_date.count(youth)) << youth;
    EXPECT_GT(closed, review_date.at(youth)) << youth;
  }

  // Every commitment is accepted in the meeting by an attendee of its agency whom the agency
  // named (on its register or ladder) before, or accepted later by the agency; a declined one is
  // taken over by another agency afterwards.
  ASSERT_FALSE(made.empty());
  int in_meeting = 0, later = 0, declined = 0;
  for (const auto& [position, c] : made) {
    if (!c.accepted_by().empty()) {
      EXPECT_TRUE(attendance[c.meeting_id()].count({c.owning_agency_id(), c.accepted_by()}))
          << c.commitment_id() << " accepted by " << c.accepted_by() << ", not at the meeting";
      EXPECT_TRUE(named_when_made[c.commitment_id()].count(c.accepted_by()))
          << c.commitment_id() << " accepted by " << c.accepted_by() << ", not named by "
          << c.owning_agency_id();
      ++in_meeting;
    } else if (accepted_later.count(c.commitment_id())) {
      ++later;
    } else if (withdrawn_by.count(c.commitment_id())) {
      continue;  // unanswered, and withdrawn by the chief who proposed it (below)
    } else {
      ASSERT_TRUE(declined_at.count(c.commitment_id()))
          << c.commitment_id() << " neither accepted nor declined";
      ++declined;
      bool taken_over = false;
      for (const auto& [p, owner] : commitments_of_youth[c.youth_id()]) {
        taken_over |= p > declined_at.at(c.commitment_id()) && owner != c.owning_agency_id();
      }
      EXPECT_TRUE(taken_over) << c.commitment_id() << " declined silently";
    }
  }
  EXPECT_GT(in_meeting, 0);
  EXPECT_GT(later, 0);
  // One proposal nobody answered, withdrawn by the chief who proposed it.
  ASSERT_EQ(withdrawn_by.size(), 1u);
  EXPECT_EQ(withdrawn_by.begin()->second, SjaelorCast().chief.person);

  // The bodies as 002 and 004 staff them.
  const v1::BodyConstituted& political = body_of_kind["BODY_KIND_POLITICAL_FOLLOW_UP_GROUP"];
  ASSERT_GT(political.members_size(), 0);
  for (const v1::BodyMember& m : political.members()) {
    EXPECT_TRUE(absl::StartsWith(m.person(), "mayor-")) << m.person();
  }
  EXPECT_EQ(political.cadence().min_meetings_per_year(), 2);
  int political_scheduled = 0, political_held = 0;
  for (const auto& [meeting, body] : meeting_body) {
    if (body != political.body_id()) continue;
    ++political_scheduled;
    political_held += attendance.count(meeting);
  }
  EXPECT_EQ(political_scheduled, 3);  // held at the start and at day 98; the next half a year on
  EXPECT_EQ(political_held, 2);
  EXPECT_EQ(revisions_approved, 1);
  int approvals = 0, recommendations = 0;
  for (const v1::DecisionRecorded& d : decisions) {
    const v1::BodyKind kind = body_kind[meeting_body[d.meeting_id()]];
    if (!d.approves_proposal_id().empty()) {
      EXPECT_EQ(kind, v1::BODY_KIND_POLITICAL_FOLLOW_UP_GROUP);
      ++approvals;
    }
    if (kind == v1::BODY_KIND_HOTSPOT_BOARD) {
      EXPECT_EQ(d.kind(), v1::DECISION_KIND_RECOMMENDATION);
      EXPECT_FALSE(d.topic().empty());
      ++recommendations;
    }
  }
  EXPECT_EQ(approvals, 1);
  EXPECT_GT(recommendations, 0);
  EXPECT_EQ(steering_resources, 1);
  const v1::BodyConstituted& steering = body_of_kind["BODY_KIND_STEERING_GROUP"];
  bool senior = false;
  for (const v1::BodyMember& m : steering.members()) {
    senior |= absl::StartsWith(m.person(), "director-");
  }
  EXPECT_TRUE(senior) << "no senior municipal decision maker in the steering group";
  const v1::BodyConstituted& ssp = body_of_kind["BODY_KIND_LOCAL_SSP"];
  bool staff = false;
  for (const v1::BodyMember& m : ssp.members()) {
    staff |= m.agency_id() == "agency-hotspot-sjaelor" && m.person() == SjaelorCast().staff.person;
  }
  EXPECT_TRUE(staff) << "no hotspot staff in the local SSP";
  int ssp_held = 0;  // every four weeks, the staff there
  for (const auto& [meeting, body] : meeting_body) {
    if (body != ssp.body_id() || !attendance.count(meeting)) continue;
    ++ssp_held;
    EXPECT_TRUE(attendance[meeting].count({"agency-hotspot-sjaelor", SjaelorCast().staff.person}));
  }
  EXPECT_EQ(ssp_held, 4);
  for (const char* kind :
       {"BODY_KIND_HOTSPOT_BOARD", "BODY_KIND_STEERING_GROUP", "BODY_KIND_TASK_FORCE",
        "BODY_KIND_POLITICAL_FOLLOW_UP_GROUP", "BODY_KIND_LOCAL_SSP"}) {
    const std::string id = body_of_kind[kind].body_id();
    bool met = false;
    for (const auto& [meeting, body] : meeting_body) met |= body == id && attendance.count(meeting);
    EXPECT_TRUE(met) << kind << " never met";
  }
}

}  // namespace
}  // namespace hotspot::scenario
