// QueryHandler over the Sjælør demo in a fresh store, with a clock of its own, so that what only
// shows after months (a half-year without its report) can be read back today; and PresentCase,
// what a reader is shown of a case.
#include "services/queries/query_handler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "services/commands/command_handler.h"
#include "services/projections/all_views.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/projections/test_stores.h"
#include "services/queries/query_util.h"
#include "services/scenario/handler_sink.h"
#include "services/scenario/scenario.h"
#include "services/security/identity_digest.h"
#include "store/test_util.h"

namespace hotspot::queries {
namespace {

v1::Date DateOf(absl::CivilDay day) {
  v1::Date out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

// The demo's programme was adopted in August 2026: its first half-yearly report is the one to
// 31 December 2026, due 30 days later. On 1 February 2027 the deadline process flags it missing;
// the chief's dashboard lists it, whatever period she asks for, until the report comes (late) and
// is shown as submitted.
TEST(QueryHandlerTest, TheDashboardShowsAMissingHalfYearlyReportUntilItComes) {
  store::testing::TempDir dir;
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  security::PublicHead heads;  // before the event store, which feeds it
  std::unique_ptr<store::EventStore> events;
  projections::testing::OpenTestStores(dir, &keys, &sealer, &events, &heads);
  ASSERT_NE(events, nullptr);
  {
    scenario::HandlerSink sink(events.get(), sealer.get());
    scenario::ScenarioOptions options;
    options.youths = 4;
    options.now = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
    ASSERT_TRUE(scenario::BuildSjaelor(sink, options).ok());
  }
  auto views = projections::Projector::Open(
      projections::ProjectorOptions(), events.get(),
      projections::AllViews(sealer.get(), *security::IdentityDigester::FromKeyStore(*keys)),
      dir.Sub("views"));
  ASSERT_TRUE(views.ok()) << views.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  ASSERT_TRUE((*views)->WaitFor(events->HeadPosition(), deadline).ok());

  absl::Time now = absl::FromCivil(absl::CivilSecond(2027, 2, 1, 12, 0, 0), absl::UTCTimeZone());
  projections::DeadlineOptions deadline_options;
  deadline_options.interval = absl::ZeroDuration();
  deadline_options.clock = [&now] { return now; };
  projections::DeadlineProcess deadlines(events.get(), views->get(), sealer.get(),
                                         std::move(deadline_options));
  ASSERT_TRUE(deadlines.RunOnce().ok());

  const absl::Time flagged = absl::FromCivil(absl::CivilDay(2027, 1, 31), absl::UTCTimeZone());
  const QueryHandler queries(views->get(), sealer.get(), &heads, [&now] { return now; });
  const scenario::Cast cast = scenario::SjaelorCast();
  auto dashboard = [&](absl::CivilDay from, absl::CivilDay to) {
    v1::GetAreaDashboardRequest request;
    request.set_area_id(scenario::kAreaId);
    *request.mutable_period_start() = DateOf(from);
    *request.mutable_period_end() = DateOf(to);
    request.set_min_position(events->HeadPosition());
    absl::StatusOr<v1::GetAreaDashboardResponse> answer =
        queries.GetAreaDashboard(cast.chief, request, absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? answer->dashboard() : v1::AreaDashboard();
  };
  for (const auto& [from, to] : {std::pair{absl::CivilDay(2026, 7, 1), absl::CivilDay(2026, 12, 31)},
                                 std::pair{absl::CivilDay(2027, 1, 1), absl::CivilDay(2027, 1, 31)}}) {
    const v1::AreaDashboard board = dashboard(from, to);
    ASSERT_EQ(board.reports_missing_size(), 1) << from;
    const v1::MissingReport& missing = board.reports_missing(0);
    EXPECT_EQ(missing.half_year_end().year(), 2026);
    EXPECT_EQ(missing.half_year_end().month(), 12);
    EXPECT_EQ(missing.half_year_end().day(), 31);
    EXPECT_EQ(missing.grace_days(), 30);
    // Dated when it fell due, the day after the grace days, whenever the pass ran.
    EXPECT_EQ(missing.flagged_at().seconds(), absl::ToUnixSeconds(flagged));
    EXPECT_FALSE(missing.has_submitted_at());
  }

  // Three days later the chief submits it: the flag stays, dated, and shows the report came.
  now += absl::Hours(24 * 3);
  ReportFiguresFromViews figures(&queries, events.get());
  commands::CommandHandlerOptions command_options;
  command_options.clock = [&now] { return now; };
  command_options.figures = &figures;
  {
    commands::CommandHandler handler(events.get(), sealer.get(), std::move(command_options));
    v1::SubmitReportRequest submit;
    submit.set_request_id("late-half-yearly-report");
    submit.set_area_id(scenario::kAreaId);
    submit.set_kind(v1::REPORT_KIND_HALF_YEARLY);
    *submit.mutable_period_start() = DateOf(absl::CivilDay(2026, 7, 1));
    *submit.mutable_period_end() = DateOf(absl::CivilDay(2026, 12, 31));
    v1::ReportRecipient* to = submit.add_recipients();
    to->set_person("director-social-copenhagen");
    to->set_agency_id("agency-social-copenhagen");
    absl::Notification done;
    absl::StatusOr<v1::CommandResponse> submitted;
    handler.Execute(cast.chief, submit, [&](absl::StatusOr<v1::CommandResponse> response) {
      submitted = std::move(response);
      done.Notify();
    });
    done.WaitForNotification();
    ASSERT_TRUE(submitted.ok()) << submitted.status();
  }
  const v1::AreaDashboard after =
      dashboard(absl::CivilDay(2027, 1, 1), absl::CivilDay(2027, 2, 4));
  ASSERT_EQ(after.reports_missing_size(), 1);
  EXPECT_EQ(after.reports_missing(0).flagged_at().seconds(), absl::ToUnixSeconds(flagged));
  EXPECT_EQ(after.reports_missing(0).submitted_at().seconds(), absl::ToUnixSeconds(now));
}

// A list reads the rows of its own area only, and only as far as its page (and one more, to know
// whether there is another): the handler's count of rows parsed says so, with a second area's
// cases in the same views.
TEST(QueryHandlerTest, AListParsesOnlyItsAreasRowsAndOnlyAsFarAsItsPage) {
  store::testing::TempDir dir;
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  security::PublicHead heads;
  std::unique_ptr<store::EventStore> events;
  projections::testing::OpenTestStores(dir, &keys, &sealer, &events, &heads);
  ASSERT_NE(events, nullptr);
  scenario::ScenarioResult demo;
  {
    scenario::HandlerSink sink(events.get(), sealer.get());
    scenario::ScenarioOptions options;
    options.youths = 12;
    options.now = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());
    absl::StatusOr<scenario::ScenarioResult> built = scenario::BuildSjaelor(sink, options);
    ASSERT_TRUE(built.ok()) << built.status();
    demo = *built;
  }
  // Two cases of another area, straight into the log.
  constexpr char kOther[] = "area-other";
  for (const char* youth : {"youth-other-1", "youth-other-2"}) {
    v1::Event referred;
    referred.set_area_id(kOther);
    referred.mutable_youth_referred()->set_youth_id(youth);
    referred.mutable_youth_referred()->set_referring_agency_id("agency-other");
    store::StreamAppend append;
    append.stream = youth;
    append.events.push_back(store::ProposedEvent{
        {}, "hotspot.v1.YouthReferred", referred.SerializeAsString(), {absl::Now(), "test"}});
    ASSERT_TRUE(events->Append({std::move(append)}).ok());
  }
  {  // and the agency that serves it
    v1::Event registered;
    registered.set_area_id(kOther);
    registered.mutable_agency_registered()->set_agency_id("agency-other");
    registered.mutable_agency_registered()->set_area_id(kOther);
    registered.mutable_agency_registered()->set_name("Other school");
    store::StreamAppend append;
    append.stream = "agency-other";
    append.events.push_back(store::ProposedEvent{{},
                                                 "hotspot.v1.AgencyRegistered",
                                                 registered.SerializeAsString(),
                                                 {absl::Now(), "test"}});
    ASSERT_TRUE(events->Append({std::move(append)}).ok());
  }
  auto views = projections::Projector::Open(
      projections::ProjectorOptions(), events.get(),
      projections::AllViews(sealer.get(), *security::IdentityDigester::FromKeyStore(*keys)),
      dir.Sub("views"));
  ASSERT_TRUE(views.ok()) << views.status();
  ASSERT_TRUE((*views)->WaitFor(events->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
  const QueryHandler queries(views->get(), sealer.get(), &heads);
  const scenario::Cast cast = scenario::SjaelorCast();
  security::Principal other_chief = cast.chief;
  other_chief.areas = {kOther};
  const absl::Time deadline = absl::Now() + absl::Seconds(10);

  // What one call parsed, and what it returned.
  auto list = [&](const security::Principal& who, const v1::ListCasesRequest& request,
                  v1::ListCasesResponse* out) {
    const uint64_t before = queries.rows_parsed();
    auto answer = queries.ListCases(who, request, deadline);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (answer.ok()) *out = answer->answer;
    return queries.rows_parsed() - before;
  };
  v1::ListCasesRequest other;
  other.set_area_id(kOther);
  v1::ListCasesResponse answer;
  EXPECT_EQ(list(other_chief, other, &answer), 2u);  // none of the demo's cases
  ASSERT_EQ(answer.cases_size(), 2);
  EXPECT_EQ(answer.cases(0).youth_id(), "youth-other-1");

  v1::ListCasesRequest page;
  page.set_area_id(scenario::kAreaId);
  page.set_page_size(5);
  ASSERT_GT(demo.youth_ids.size(), 7u);
  EXPECT_EQ(list(cast.chief, page, &answer), 6u);  // the page and one more
  EXPECT_EQ(answer.cases_size(), 5);
  EXPECT_FALSE(answer.next_page_token().empty());
  // The next page starts at its token: it parses none of the first page's.
  page.set_page_token(answer.next_page_token());
  EXPECT_EQ(list(cast.chief, page, &answer), 6u);
  // One status: its index holds only cases of it.
  v1::ListCasesRequest closed;
  closed.set_area_id(scenario::kAreaId);
  closed.set_status(v1::CASE_STATUS_CLOSED);
  const uint64_t parsed = list(cast.chief, closed, &answer);
  EXPECT_GT(answer.cases_size(), 0);
  EXPECT_EQ(parsed, static_cast<uint64_t>(answer.cases_size()));

  // The other area's dashboard reads its two cases, and nothing of the demo's.
  const uint64_t before = queries.rows_parsed();
  v1::GetAreaDashboardRequest board;
  board.set_area_id(kOther);
  ASSERT_TRUE(queries.GetAreaDashboard(other_chief, board, deadline).ok());
  EXPECT_EQ(queries.rows_parsed() - before, 2u);

  // Each area's agencies: only those serving it are read.
  auto agencies = [&](const security::Principal& who, const std::string& area,
                      v1::ListAgenciesResponse* out) {
    const uint64_t before = queries.rows_parsed();
    v1::ListAgenciesRequest request;
    request.set_area_id(area);
    auto answer = queries.ListAgencies(who, request, deadline);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (answer.ok()) *out = *answer;
    return queries.rows_parsed() - before;
  };
  v1::ListAgenciesResponse directory;
  EXPECT_EQ(agencies(other_chief, kOther, &directory), 1u);
  ASSERT_EQ(directory.agencies_size(), 1);
  EXPECT_EQ(directory.agencies(0).agency_id(), "agency-other");
  EXPECT_EQ(directory.agencies(0).name(), "Other school");
  const uint64_t read = agencies(cast.chief, scenario::kAreaId, &directory);
  EXPECT_GT(directory.agencies_size(), 5);
  EXPECT_EQ(read, static_cast<uint64_t>(directory.agencies_size()));
  for (int i = 0; i < directory.agencies_size(); ++i) {
    EXPECT_NE(directory.agencies(i).agency_id(), "agency-other");
    if (i > 0) EXPECT_LT(directory.agencies(i - 1).agency_id(), directory.agencies(i).agency_id());
  }
}

// A police ladder of before named a mayor at the political rung, which nobody answers at (the
// police director does): the directory, read through ListAgencies, leaves it out; another
// agency's political rung stays (review 13b, N6).
TEST(QueryHandlerTest, TheDirectoryShowsNoMayorOnAPoliceLadderOfBefore) {
  store::testing::TempDir dir;
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  security::PublicHead heads;
  std::unique_ptr<store::EventStore> events;
  projections::testing::OpenTestStores(dir, &keys, &sealer, &events, &heads);
  ASSERT_NE(events, nullptr);
  constexpr char kArea[] = "area-before";
  // An agency of `kind` with the ladder middle manager, director, mayor: straight into the log,
  // as a hotspotd of before wrote it.
  auto agency_of_before = [&](const std::string& agency, v1::AgencyKind kind) {
    v1::Event registered;
    registered.set_area_id(kArea);
    registered.mutable_agency_registered()->set_agency_id(agency);
    registered.mutable_agency_registered()->set_area_id(kArea);
    registered.mutable_agency_registered()->set_name(agency);
    registered.mutable_agency_registered()->set_kind(kind);
    v1::Event ladder;
    ladder.set_area_id(kArea);
    ladder.mutable_leadership_ladder_set()->set_agency_id(agency);
    for (const auto& [level, person] : {std::pair{v1::LEADERSHIP_LEVEL_MIDDLE_MANAGER, "manager"},
                                        std::pair{v1::LEADERSHIP_LEVEL_DIRECTOR, "director"},
                                        std::pair{v1::LEADERSHIP_LEVEL_POLITICAL, "mayor"}}) {
      v1::LeadershipContact* rung = ladder.mutable_leadership_ladder_set()->add_contacts();
      rung->set_level(level);
      rung->set_person(absl::StrCat(person, "-", agency));
    }
    store::StreamAppend append;
    append.stream = agency;
    append.events.push_back(store::ProposedEvent{
        {}, "hotspot.v1.AgencyRegistered", registered.SerializeAsString(), {absl::Now(), "test"}});
    append.events.push_back(store::ProposedEvent{
        {}, "hotspot.v1.LeadershipLadderSet", ladder.SerializeAsString(), {absl::Now(), "test"}});
    ASSERT_TRUE(events->Append({std::move(append)}).ok());
  };
  agency_of_before("agency-police-before", v1::AGENCY_KIND_POLICE);
  agency_of_before("agency-school-before", v1::AGENCY_KIND_SCHOOL);
  auto views = projections::Projector::Open(
      projections::ProjectorOptions(), events.get(),
      projections::AllViews(sealer.get(), *security::IdentityDigester::FromKeyStore(*keys)),
      dir.Sub("views"));
  ASSERT_TRUE(views.ok()) << views.status();
  ASSERT_TRUE((*views)->WaitFor(events->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
  const QueryHandler queries(views->get(), sealer.get(), &heads);
  security::Principal chief = scenario::SjaelorCast().chief;
  chief.areas = {kArea};
  v1::ListAgenciesRequest request;
  request.set_area_id(kArea);
  const absl::StatusOr<v1::ListAgenciesResponse> directory =
      queries.ListAgencies(chief, request, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(directory.ok()) << directory.status();
  ASSERT_EQ(directory->agencies_size(), 2);
  auto rungs = [](const v1::AgencyView& agency) {
    std::vector<std::string> out;
    for (const v1::LeadershipContact& rung : agency.ladder()) {
      out.push_back(absl::StrCat(v1::LeadershipLevel_Name(rung.level()), " ", rung.person()));
    }
    return out;
  };
  EXPECT_EQ(directory->agencies(0).agency_id(), "agency-police-before");
  EXPECT_EQ(
      rungs(directory->agencies(0)),
      (std::vector<std::string>{"LEADERSHIP_LEVEL_MIDDLE_MANAGER manager-agency-police-before",
                                "LEADERSHIP_LEVEL_DIRECTOR director-agency-police-before"}));
  EXPECT_EQ(directory->agencies(1).agency_id(), "agency-school-before");
  EXPECT_EQ(
      rungs(directory->agencies(1)),
      (std::vector<std::string>{"LEADERSHIP_LEVEL_MIDDLE_MANAGER manager-agency-school-before",
                                "LEADERSHIP_LEVEL_DIRECTOR director-agency-school-before",
                                "LEADERSHIP_LEVEL_POLITICAL mayor-agency-school-before"}));
}

// What the birthday dates (the flag 90 days before the 18th birthday, the day a consent lapsed
// at 18) tells the birth date: once the youth is erased, nobody reads it, the coordinator and an
// audit (no principal) included.
TEST(PresentCaseTest, AnErasedYouthsCaseShowsNothingDatedByTheBirthday) {
  store::testing::TempDir dir;
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  std::unique_ptr<store::EventStore> events;
  projections::testing::OpenTestStores(dir, &keys, &sealer, &events);
  ASSERT_NE(sealer, nullptr);
  v1::CaseView view;
  view.set_youth_id("youth-birthday");
  view.set_area_id(scenario::kAreaId);
  view.set_turns_18_soon(true);
  v1::ConsentView* consent = view.add_consents();
  consent->set_consent_id("consent-birthday");
  consent->mutable_lapsed_at()->set_seconds(1'800'000'000);
  const scenario::Cast cast = scenario::SjaelorCast();
  auto present = [&](v1::CaseView v, const security::Principal* who) {
    security::Disclosures shown;
    const absl::Status status =
        PresentCase(&v, /*allowed=*/true, *sealer, absl::CivilDay(2027, 2, 1), shown, who);
    EXPECT_TRUE(status.ok()) << status;
    return v;
  };
  const v1::CaseView before = present(view, &cast.chief);
  EXPECT_TRUE(before.turns_18_soon());
  EXPECT_TRUE(before.consents(0).has_lapsed_at());
  view.set_erased(true);
  for (const security::Principal* who :
       {&cast.chief, static_cast<const security::Principal*>(nullptr)}) {
    const v1::CaseView after = present(view, who);
    EXPECT_FALSE(after.turns_18_soon());
    ASSERT_EQ(after.consents_size(), 1);
    EXPECT_FALSE(after.consents(0).has_lapsed_at());
    EXPECT_EQ(after.consents(0).consent_id(), "consent-birthday");
  }
}

}  // namespace
}  // namespace hotspot::queries
