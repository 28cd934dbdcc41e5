// QueryHandler over the Sjælør demo in a fresh store, with a clock of its own, so that what only
// shows after months (a half-year without its report) can be read back today; and PresentCase,
// what a reader is shown of a case.
#include "services/queries/query_handler.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
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
    if (i > 0) {
      EXPECT_LT(directory.agencies(i - 1).agency_id(), directory.agencies(i).agency_id());
    }
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

// An area of many cases, commitments and escalations, appended straight into the log, to list
// with every filter: each list reads the index of its filters, so that a page parses its own
// rows and one more, however rare the filter's value.
class FilteredListsTest : public ::testing::Test {
 protected:
  static constexpr char kArea[] = "area-lists";
  static constexpr int kYouths = 40, kCommitments = 60, kEscalations = 30;

  static std::string Id(const char* kind, int i) { return absl::StrFormat("%s-l-%02d", kind, i); }
  static v1::Date DueOf(int i) { return DateOf(absl::CivilDay(2027, 1, 1) + i); }

  void SetUp() override {
    projections::testing::OpenTestStores(dir_, &keys_, &sealer_, &events_, &heads_);
    ASSERT_NE(events_, nullptr);
    for (int i = 0; i < kYouths; ++i) {
      v1::Event e;
      v1::YouthReferred* r = e.mutable_youth_referred();
      r->set_youth_id(Id("youth", i));
      r->set_referring_agency_id(i % 2 == 0 ? "agency-l-a" : "agency-l-b");
      r->set_urgency(i == 37      ? v1::URGENCY_ACUTE
                     : i % 5 == 0 ? v1::URGENCY_LOW
                                  : v1::URGENCY_NORMAL);
      Append(Id("youth", i), "YouthReferred", e);
    }
    for (int i = 0; i < kCommitments; ++i) {
      const std::string id = Id("commitment", i);
      v1::Event e;
      v1::CommitmentMade* m = e.mutable_commitment_made();
      m->set_commitment_id(id);
      // Agency c is involved in one case only: youth 39's (commitment 39).
      m->set_owning_agency_id(i == 39 ? "agency-l-c" : i % 2 == 0 ? "agency-l-a" : "agency-l-b");
      m->set_responsible_person(i == 41 ? "person-l-rare" : absl::StrCat("person-l-", i % 4));
      if (i % 10 != 9 || i == 39) m->set_youth_id(Id("youth", i % kYouths));
      *m->mutable_due_date() = DueOf(i);
      m->set_acceptance(i % 7 <= 2 ? v1::COMMITMENT_ACCEPTANCE_PROPOSED
                                   : v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
      Append(id, "CommitmentMade", e);
      if (i % 7 == 1 || i % 7 == 2) {
        v1::Event declined;
        declined.mutable_commitment_declined()->set_commitment_id(id);
        Append(id, "CommitmentDeclined", declined);
      }
      if (i % 7 == 2) {
        v1::Event taken;
        taken.mutable_commitment_taken_up()->set_commitment_id(id);
        taken.mutable_commitment_taken_up()->set_by_commitment_id(Id("commitment", i + 1));
        Append(id, "CommitmentTakenUp", taken);
      }
      if (i % 7 == 3) {
        v1::Event fulfilled;
        fulfilled.mutable_commitment_fulfilled()->set_commitment_id(id);
        Append(id, "CommitmentFulfilled", fulfilled);
      }
    }
    for (int i = 0; i < kYouths; i += 3) {  // closed after their commitments
      v1::Event e;
      e.mutable_case_closed()->set_youth_id(Id("youth", i));
      Append(Id("youth", i), "CaseClosed", e);
    }
    for (int i = 0; i < kEscalations; ++i) {
      const std::string id = Id("escalation", i);
      v1::Event e;
      v1::EscalationRaised* r = e.mutable_escalation_raised();
      r->set_escalation_id(id);
      r->set_target_agency_id(i % 3 == 0 ? "agency-l-a" : i % 3 == 1 ? "agency-l-b" : "agency-l-c");
      r->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
      Append(id, "EscalationRaised", e);
      // Only 17 and 23 reach the director; only 23 the political follow-up group.
      for (int to = 2; (i == 17 && to <= 2) || (i == 23 && to <= 3); ++to) {
        v1::Event up;
        up.mutable_escalation_moved_up()->set_escalation_id(id);
        up.mutable_escalation_moved_up()->set_from_level(static_cast<v1::EscalationLevel>(to - 1));
        up.mutable_escalation_moved_up()->set_to_level(static_cast<v1::EscalationLevel>(to));
        Append(id, "EscalationMovedUp", up);
      }
      if (i % 2 == 0) {
        v1::Event resolved;
        resolved.mutable_escalation_resolved()->set_escalation_id(id);
        Append(id, "EscalationResolved", resolved);
      }
    }
    auto views = projections::Projector::Open(
        projections::ProjectorOptions(), events_.get(),
        projections::AllViews(sealer_.get(), *security::IdentityDigester::FromKeyStore(*keys_)),
        dir_.Sub("views"));
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = std::move(*views);
    ASSERT_TRUE(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
    // Today, 6 January 2027: commitments 0 to 4 are past their due date, of which only 4 open.
    queries_ = std::make_unique<QueryHandler>(views_.get(), sealer_.get(), &heads_, [] {
      return absl::FromCivil(absl::CivilSecond(2027, 1, 6, 12, 0, 0), absl::UTCTimeZone());
    });
    chief_ = scenario::SjaelorCast().chief;
    chief_.areas = {kArea};
  }

  void Append(const std::string& stream, const std::string& type, v1::Event event) {
    event.set_area_id(kArea);
    store::StreamAppend append;
    append.stream = stream;
    append.events.push_back(store::ProposedEvent{
        {}, absl::StrCat("hotspot.v1.", type), event.SerializeAsString(), {at_, "test"}});
    at_ += absl::Minutes(1);  // raised in order of id
    ASSERT_TRUE(events_->Append({std::move(append)}).ok()) << stream << " " << type;
  }

  // The ids `list` returns for `request` (page_size 0: one page of all), page by page, each
  // call parsing at most its page and one more.
  template <typename Request, typename Response>
  std::vector<std::string> Ids(
      Request request, int page_size,
      absl::StatusOr<Disclosed<Response>> (QueryHandler::*list)(const security::Principal&,
                                                                const Request&, absl::Time) const,
      const std::function<std::vector<std::string>(const Response&)>& ids) {
    std::vector<std::string> all;
    request.set_page_size(page_size == 0 ? kMaxPageSize : page_size);
    for (int calls = 0; calls <= 2 * kCommitments; ++calls) {
      const uint64_t before = queries_->rows_parsed();
      auto answer = ((*queries_).*list)(chief_, request, absl::Now() + absl::Seconds(10));
      EXPECT_TRUE(answer.ok()) << answer.status();
      if (!answer.ok()) break;
      const uint64_t parsed = queries_->rows_parsed() - before;
      EXPECT_LE(parsed, request.page_size() + 1u) << request.ShortDebugString();
      const std::vector<std::string> page = ids(answer->answer);
      EXPECT_LE(page.size(), static_cast<size_t>(request.page_size()));
      all.insert(all.end(), page.begin(), page.end());
      if (answer->answer.next_page_token().empty()) return all;
      request.set_page_token(answer->answer.next_page_token());
    }
    ADD_FAILURE() << "no last page";
    return all;
  }

  // Checks that `request` returns what `passes` accepts of the unfiltered list, in its order, in
  // one page and in pages of 1 to n + 1 rows.
  template <typename Request, typename Response, typename Row>
  void Check(const Request& request,
             absl::StatusOr<Disclosed<Response>> (QueryHandler::*list)(const security::Principal&,
                                                                       const Request&, absl::Time)
                 const,
             const google::protobuf::RepeatedPtrField<Row>& (Response::*rows)() const,
             std::string (*id)(const Row&), const std::function<bool(const Row&)>& passes,
             size_t expected_count) {
    SCOPED_TRACE(request.ShortDebugString());
    const std::function<std::vector<std::string>(const Response&)> ids = [rows,
                                                                          id](const Response& r) {
      std::vector<std::string> out;
      for (const Row& row : (r.*rows)()) out.push_back(id(row));
      return out;
    };
    // Everything of the area, unfiltered, and what of it passes.
    Request everything;
    everything.set_area_id(kArea);
    everything.set_page_size(kMaxPageSize);
    auto unfiltered = ((*queries_).*list)(chief_, everything, absl::Now() + absl::Seconds(10));
    ASSERT_TRUE(unfiltered.ok()) << unfiltered.status();
    std::vector<std::string> expected;
    for (const Row& row : ((unfiltered->answer).*rows)()) {
      if (passes(row)) expected.push_back(id(row));
    }
    EXPECT_EQ(expected.size(), expected_count);
    EXPECT_EQ(Ids(request, 0, list, ids), expected);
    for (size_t size = 1; size <= expected.size() + 1; ++size) {
      EXPECT_EQ(Ids(request, static_cast<int>(size), list, ids), expected) << "page_size " << size;
    }
  }

  store::testing::TempDir dir_;
  std::unique_ptr<security::KeyStore> keys_;
  std::unique_ptr<security::Sealer> sealer_;
  security::PublicHead heads_;
  std::unique_ptr<store::EventStore> events_;
  std::unique_ptr<projections::Projector> views_;
  std::unique_ptr<QueryHandler> queries_;
  security::Principal chief_;
  absl::Time at_ = absl::FromCivil(absl::CivilSecond(2026, 12, 1, 9, 0, 0), absl::UTCTimeZone());
};

std::string CaseId(const v1::CaseView& c) { return c.youth_id(); }
std::string CommitmentId(const v1::CommitmentView& c) { return c.commitment_id(); }
std::string EscalationId(const v1::EscalationView& e) { return e.escalation_id(); }

TEST_F(FilteredListsTest, ListCasesReadsTheIndexOfItsFilters) {
  struct Case {
    v1::CaseStatus status;
    v1::Urgency urgency;
    std::string agency;
    size_t count;
  };
  for (const Case& c : std::vector<Case>{
           {v1::CASE_STATUS_UNSPECIFIED, v1::URGENCY_UNSPECIFIED, "", kYouths},
           {v1::CASE_STATUS_UNSPECIFIED, v1::URGENCY_ACUTE, "", 1},  // 37
           {v1::CASE_STATUS_UNSPECIFIED, v1::URGENCY_LOW, "", 8},
           {v1::CASE_STATUS_CLOSED, v1::URGENCY_UNSPECIFIED, "", 14},
           {v1::CASE_STATUS_UNSPECIFIED, v1::URGENCY_UNSPECIFIED, "agency-l-c", 1},
           {v1::CASE_STATUS_CLOSED, v1::URGENCY_UNSPECIFIED, "agency-l-c", 1},  // 39
           {v1::CASE_STATUS_REFERRED, v1::URGENCY_UNSPECIFIED, "agency-l-c", 0},
           {v1::CASE_STATUS_CLOSED, v1::URGENCY_LOW, "", 3},  // 0, 15, 30
           {v1::CASE_STATUS_UNSPECIFIED, v1::URGENCY_LOW, "agency-l-b", 4},
           {v1::CASE_STATUS_REFERRED, v1::URGENCY_ACUTE, "agency-l-b", 1},
           {v1::CASE_STATUS_CLOSED, v1::URGENCY_ACUTE, "agency-l-b", 0},
       }) {
    v1::ListCasesRequest request;
    request.set_area_id(kArea);
    request.set_status(c.status);
    request.set_urgency(c.urgency);
    request.set_agency_id(c.agency);
    Check(request, &QueryHandler::ListCases, &v1::ListCasesResponse::cases, &CaseId,
          std::function<bool(const v1::CaseView&)>([&](const v1::CaseView& v) {
            const auto& involved = v.agencies_involved();
            return (c.status == 0 || v.status() == c.status) &&
                   (c.urgency == 0 || v.referral().urgency() == c.urgency) &&
                   (c.agency.empty() ||
                    std::find(involved.begin(), involved.end(), c.agency) != involved.end());
          }),
          c.count);
  }
}

TEST_F(FilteredListsTest, ListCommitmentsReadsTheIndexOfItsFilters) {
  struct Case {
    std::string agency, person, youth;
    v1::CommitmentState state;
    bool overdue_only = false, declined_not_taken_up = false;
    int due_within_days = 0;
    size_t count;
  };
  constexpr v1::CommitmentState kAny = v1::COMMITMENT_STATE_UNSPECIFIED;
  constexpr v1::CommitmentState kOpen = v1::COMMITMENT_STATE_OPEN;
  constexpr v1::CommitmentState kDeclined = v1::COMMITMENT_STATE_DECLINED;
  for (const Case& c : std::vector<Case>{
           {"", "", "", kAny, false, false, 0, kCommitments},
           {"", "", "", kOpen, false, false, 0, 24},
           {"", "", "", kDeclined, false, false, 0, 18},
           {"", "", "", v1::COMMITMENT_STATE_FULFILLED, false, false, 0, 9},
           {"agency-l-a", "", "", kOpen, false, false, 0, 12},
           {"", "person-l-rare", "", kAny, false, false, 0, 1},  // 41
           {"", "person-l-1", "", kDeclined, false, false, 0, 5},
           {"agency-l-b", "person-l-1", "", kOpen, false, false, 0, 5},
           {"agency-l-b", "person-l-1", "", kAny, false, false, 0, 14},
           {"", "", "", kAny, true, false, 0, 1},  // 4, the one open of 0 to 4
           {"agency-l-a", "", "", kAny, true, false, 0, 1},
           {"agency-l-b", "", "", kAny, true, false, 0, 0},
           {"", "", "", kOpen, true, false, 0, 1},
           {"", "", "", v1::COMMITMENT_STATE_FULFILLED, true, false, 0, 0},
           {"", "", "", kAny, false, false, 3, 3},            // 4, 5, 6
           {"", "person-l-1", "", kAny, false, false, 3, 1},  // 5
           {"", "", "", kAny, true, false, 3, 1},
           {"", "", "", kAny, false, true, 0, 9},
           {"agency-l-b", "", "", kAny, false, true, 0, 5},
           {"", "person-l-2", "", kAny, false, true, 0, 2},
           {"", "", "", kDeclined, false, true, 0, 9},
           {"", "", "", kOpen, false, true, 0, 0},
           {"", "", "", kAny, true, true, 0, 0},
           {"", "", "youth-l-05", kAny, false, false, 0, 2},  // 5 and 45
           {"", "", "youth-l-05", kOpen, false, false, 0, 1},
           {"", "", "youth-l-08", kAny, false, true, 0, 1},  // 8 (48 is open)
           // A youth's, with an agency or a person (4 and 44 are agency a's, person 0's).
           {"agency-l-b", "", "youth-l-04", kAny, false, false, 0, 0},
           {"agency-l-a", "person-l-0", "youth-l-04", kAny, false, false, 0, 2},
           {"", "person-l-0", "youth-l-04", kOpen, false, false, 0, 1},  // 44 was declined
           {"agency-l-a", "", "youth-l-04", kAny, true, false, 0, 1},
       }) {
    v1::ListCommitmentsRequest request;
    request.set_area_id(kArea);
    request.set_owning_agency_id(c.agency);
    request.set_responsible_person(c.person);
    request.set_youth_id(c.youth);
    request.set_state(c.state);
    request.set_overdue_only(c.overdue_only);
    request.set_declined_not_taken_up(c.declined_not_taken_up);
    request.set_due_within_days(c.due_within_days);
    const absl::CivilDay due_by = absl::CivilDay(2027, 1, 6) + c.due_within_days;
    Check(request, &QueryHandler::ListCommitments, &v1::ListCommitmentsResponse::commitments,
          &CommitmentId,
          std::function<bool(const v1::CommitmentView&)>([&](const v1::CommitmentView& v) {
            const absl::CivilDay due(v.due_date().year(), v.due_date().month(), v.due_date().day());
            return (c.agency.empty() || v.owning_agency_id() == c.agency) &&
                   (c.person.empty() || v.responsible_person() == c.person) &&
                   (c.youth.empty() || v.youth_id() == c.youth) &&
                   (c.state == kAny || v.state() == c.state) && (!c.overdue_only || v.overdue()) &&
                   (!c.declined_not_taken_up ||
                    (v.state() == kDeclined && v.taken_up_by().empty())) &&
                   (c.due_within_days == 0 || (v.state() == kOpen && due <= due_by));
          }),
          c.count);
  }
}

// A youth's commitments, filtered by agency or responsible person, are read through the index
// of those filters: however many the youth has of other agencies and persons, a page parses its
// own rows and one more (review of issue 14, e).
TEST_F(FilteredListsTest, AYouthsCommitmentsOfOneAgencyOrPersonReadOnlyTheirOwnRows) {
  for (int i = 0; i < 50; ++i) {  // youth 4's many more, of agency b and person 9
    v1::Event e;
    v1::CommitmentMade* m = e.mutable_commitment_made();
    m->set_commitment_id(absl::StrFormat("commitment-y4-%02d", i));
    m->set_owning_agency_id("agency-l-b");
    m->set_responsible_person("person-l-9");
    m->set_youth_id(Id("youth", 4));
    *m->mutable_due_date() = DueOf(i);
    Append(m->commitment_id(), "CommitmentMade", e);
  }
  ASSERT_TRUE(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
  auto list = [&](const std::string& agency, const std::string& person, int page_size,
                  uint64_t* parsed) {
    v1::ListCommitmentsRequest request;
    request.set_area_id(kArea);
    request.set_youth_id(Id("youth", 4));
    request.set_owning_agency_id(agency);
    request.set_responsible_person(person);
    request.set_page_size(page_size);
    const uint64_t before = queries_->rows_parsed();
    auto answer = queries_->ListCommitments(chief_, request, absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(answer.ok()) << answer.status();
    *parsed = queries_->rows_parsed() - before;
    std::vector<std::string> ids;
    if (answer.ok()) {
      for (const auto& c : answer->answer.commitments()) ids.push_back(c.commitment_id());
    }
    return ids;
  };
  uint64_t parsed = 0;
  EXPECT_THAT(list("agency-l-a", "", 10, &parsed),
              ::testing::ElementsAre(Id("commitment", 4), Id("commitment", 44)));
  EXPECT_EQ(parsed, 2u);
  EXPECT_THAT(list("", "person-l-0", 10, &parsed),
              ::testing::ElementsAre(Id("commitment", 4), Id("commitment", 44)));
  EXPECT_EQ(parsed, 2u);
  EXPECT_TRUE(list("agency-l-a", "person-l-9", 10, &parsed).empty());
  EXPECT_EQ(parsed, 0u);
  EXPECT_EQ(list("agency-l-b", "person-l-9", 5, &parsed).size(), 5u);
  EXPECT_EQ(parsed, 6u);  // of the youth's 50 of agency b: the page and one more
  EXPECT_EQ(list("", "", 500, &parsed).size(), 52u);
}

// ListBodies pages by body id, as the other lists: a page parses its rows and one more, a page
// token is good only for the same area's bodies, and a bad one or a negative page_size is
// INVALID_ARGUMENT naming the field.
TEST_F(FilteredListsTest, ListBodiesPagesByBodyId) {
  constexpr int kBodies = 7;
  for (int i = kBodies - 1; i >= 0; --i) {  // constituted in reverse: listed by id all the same
    v1::Event e;
    v1::BodyConstituted* b = e.mutable_body_constituted();
    b->set_area_id(kArea);
    b->set_body_id(absl::StrFormat("body-%02d", i));
    b->set_name(absl::StrCat("Body ", i));
    b->mutable_cadence()->set_every_weeks(4);
    Append(absl::StrCat("area-bodies-", i), "BodyConstituted", e);
  }
  ASSERT_TRUE(views_->WaitFor(events_->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
  v1::ListBodiesRequest request;
  request.set_area_id(kArea);
  request.set_page_size(3);
  std::vector<std::string> ids;
  for (int page = 0; page < kBodies; ++page) {
    const uint64_t before = queries_->rows_parsed();
    auto answer = queries_->ListBodies(chief_, request, absl::Now() + absl::Seconds(10));
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_LE(queries_->rows_parsed() - before, 4u);
    EXPECT_LE(answer->bodies_size(), 3);
    for (const v1::BodyView& b : answer->bodies()) ids.push_back(b.body_id());
    if (answer->next_page_token().empty()) break;
    request.set_page_token(answer->next_page_token());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("body-00", "body-01", "body-02", "body-03", "body-04",
                                          "body-05", "body-06"));
  // One page of all by default.
  v1::ListBodiesRequest all;
  all.set_area_id(kArea);
  auto whole = queries_->ListBodies(chief_, all, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->bodies_size(), kBodies);
  EXPECT_TRUE(whole->next_page_token().empty());

  request.set_page_token("");
  auto first = queries_->ListBodies(chief_, request, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(first.ok()) << first.status();
  v1::ListMeetingsRequest meetings;  // another list's token
  meetings.set_area_id(kArea);
  meetings.set_page_token(first->next_page_token());
  EXPECT_EQ(
      queries_->ListMeetings(chief_, meetings, absl::Now() + absl::Seconds(10)).status().code(),
      absl::StatusCode::kInvalidArgument);
  for (const std::string& token : {std::string("not a token"), Token("meetings.v2|body/x/y"),
                                   Token("cases.v10|area/area-lists/youth-l-01")}) {
    v1::ListBodiesRequest bad = request;
    bad.set_page_token(token);
    auto refused = queries_->ListBodies(chief_, bad, absl::Now() + absl::Seconds(10));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(std::string(refused.status().message()), ::testing::StartsWith("page_token:"));
  }
  v1::ListBodiesRequest negative = request;
  negative.set_page_size(-1);
  auto refused = queries_->ListBodies(chief_, negative, absl::Now() + absl::Seconds(10));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::StartsWith("page_size:"));
}

// A page token is good only for the list, area and filters that gave it, also where two
// filters read the same index (the open commitments: by state, or only the overdue ones).
TEST_F(FilteredListsTest, APageTokenIsBoundToItsFilters) {
  v1::ListCommitmentsRequest open;
  open.set_area_id(kArea);
  open.set_state(v1::COMMITMENT_STATE_OPEN);
  open.set_page_size(1);
  auto first = queries_->ListCommitments(chief_, open, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->answer.next_page_token().empty());
  v1::ListCommitmentsRequest next = open;
  next.set_page_token(first->answer.next_page_token());
  EXPECT_TRUE(queries_->ListCommitments(chief_, next, absl::Now() + absl::Seconds(10)).ok());
  for (auto change : std::vector<std::function<void(v1::ListCommitmentsRequest&)>>{
           [](v1::ListCommitmentsRequest& r) { r.set_overdue_only(true); },
           [](v1::ListCommitmentsRequest& r) { r.set_due_within_days(30); },
           [](v1::ListCommitmentsRequest& r) { r.set_owning_agency_id("agency-l-a"); },
       }) {
    v1::ListCommitmentsRequest other = next;
    change(other);
    auto answer = queries_->ListCommitments(chief_, other, absl::Now() + absl::Seconds(10));
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument)
        << other.ShortDebugString();
    EXPECT_THAT(answer.status().message(), ::testing::HasSubstr("page_token"));
  }
  v1::ListCasesRequest cases;
  cases.set_area_id(kArea);
  cases.set_urgency(v1::URGENCY_LOW);
  cases.set_page_size(1);
  auto low = queries_->ListCases(chief_, cases, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(low.ok()) << low.status();
  cases.set_page_token(low->answer.next_page_token());
  cases.set_urgency(v1::URGENCY_NORMAL);
  EXPECT_EQ(queries_->ListCases(chief_, cases, absl::Now() + absl::Seconds(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A filter's malformed id is INVALID_ARGUMENT naming the field, as the command side says it,
// not an empty page (review of issue 14).
TEST_F(FilteredListsTest, AMalformedFilterIdIsInvalidNamingItsField) {
  v1::ListCommitmentsRequest commitments;
  commitments.set_area_id(kArea);
  commitments.set_responsible_person("teacher ole\n");
  auto refused = queries_->ListCommitments(chief_, commitments, absl::Now() + absl::Seconds(10));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::StartsWith("responsible_person:"));
  v1::ListMeetingsRequest meetings;
  meetings.set_area_id(kArea);
  meetings.set_body_id("Task Force/../x");
  auto listed = queries_->ListMeetings(chief_, meetings, absl::Now() + absl::Seconds(10));
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(listed.status().message()), ::testing::StartsWith("body_id:"));
}

TEST_F(FilteredListsTest, ListEscalationsReadsTheIndexOfItsFilters) {
  struct Case {
    std::string agency;
    bool open_only;
    v1::EscalationLevel level;
    size_t count;
  };
  constexpr v1::EscalationLevel kAny = v1::ESCALATION_LEVEL_UNSPECIFIED;
  for (const Case& c : std::vector<Case>{
           {"", false, kAny, kEscalations},
           {"", true, kAny, 15},
           {"", false, v1::ESCALATION_LEVEL_POLITICAL_FOLLOW_UP_GROUP, 1},  // 23, moved up twice
           {"", true, v1::ESCALATION_LEVEL_DIRECTOR, 1},                    // 17
           {"", true, v1::ESCALATION_LEVEL_STEERING_GROUP, 13},
           {"agency-l-c", false, v1::ESCALATION_LEVEL_DIRECTOR, 1},
           {"agency-l-a", false, v1::ESCALATION_LEVEL_DIRECTOR, 0},
           {"agency-l-a", true, kAny, 5},
           {"agency-l-b", true, v1::ESCALATION_LEVEL_STEERING_GROUP, 5},
       }) {
    v1::ListEscalationsRequest request;
    request.set_area_id(kArea);
    request.set_target_agency_id(c.agency);
    request.set_open_only(c.open_only);
    request.set_level(c.level);
    Check(request, &QueryHandler::ListEscalations, &v1::ListEscalationsResponse::escalations,
          &EscalationId,
          std::function<bool(const v1::EscalationView&)>([&](const v1::EscalationView& v) {
            return (c.agency.empty() || v.target_agency_id() == c.agency) &&
                   (!c.open_only || !v.resolved()) && (c.level == kAny || v.level() == c.level);
          }),
          c.count);
  }
}

// The dashboard of a period reads the area's rows of that period only, through its indexes by
// day: of many cases, commitments and escalations before and after it, it parses none, and its
// figures are those of the period's (and, for the figures of now, of every case's index rows,
// counted without parsing a row). The days at the period's edges are in or out as the period
// says (review of issue 14, d).
TEST(QueryHandlerTest, TheDashboardParsesNoRowOutsideItsPeriod) {
  store::testing::TempDir dir;
  std::unique_ptr<security::KeyStore> keys;
  std::unique_ptr<security::Sealer> sealer;
  security::PublicHead heads;
  std::unique_ptr<store::EventStore> events;
  projections::testing::OpenTestStores(dir, &keys, &sealer, &events, &heads);
  ASSERT_NE(events, nullptr);
  constexpr char kArea[] = "area-board";
  auto append = [&](const std::string& stream, const std::string& type, v1::Event event,
                    absl::CivilSecond at) {
    event.set_area_id(kArea);
    store::StreamAppend a;
    a.stream = stream;
    a.events.push_back(store::ProposedEvent{{},
                                            absl::StrCat("hotspot.v1.", type),
                                            event.SerializeAsString(),
                                            {absl::FromCivil(at, absl::UTCTimeZone()), "test"}});
    ASSERT_TRUE(events->Append({std::move(a)}).ok()) << stream << " " << type;
  };
  // A youth referred at `at`, accepted an hour later, notified and investigated the hour after,
  // then (if `then` is set) closed or given a plan a day later; and a commitment of agency a due
  // on `due`, and an escalation raised at `at`.
  enum Then { kNothing, kClose, kPlan };
  auto youth = [&](const std::string& id, absl::CivilSecond at, absl::CivilDay due, Then then,
                   bool overdue_investigation) {
    const std::string stream = absl::StrCat("youth-", id);
    v1::Event e;
    e.mutable_youth_referred()->set_youth_id(stream);
    e.mutable_youth_referred()->set_referring_agency_id("agency-board-a");
    append(stream, "YouthReferred", e, at);
    e.Clear();
    e.mutable_referral_accepted();
    append(stream, "ReferralAccepted", e, at + 3600);
    e.Clear();
    e.mutable_notification_made()->set_notification_id(absl::StrCat("notification-", id));
    e.mutable_notification_made()->set_youth_id(stream);
    append(stream, "NotificationMade", e, at + 7200);
    e.Clear();
    e.mutable_child_welfare_investigation_opened()->set_investigation_id(
        absl::StrCat("investigation-", id));
    e.mutable_child_welfare_investigation_opened()->set_youth_id(stream);
    append(stream, "ChildWelfareInvestigationOpened", e, at + 7200);
    if (overdue_investigation) {
      e.Clear();
      e.mutable_child_welfare_investigation_overdue()->set_investigation_id(
          absl::StrCat("investigation-", id));
      append(stream, "ChildWelfareInvestigationOverdue", e, at + 7300);
    }
    if (then == kClose) {
      e.Clear();
      e.mutable_case_closed()->set_youth_id(stream);
      append(stream, "CaseClosed", e, at + 86400);
    } else if (then == kPlan) {
      e.Clear();
      e.mutable_action_plan_adopted()->set_youth_id(stream);
      append(stream, "ActionPlanAdopted", e, at + 86400);
    }
    e.Clear();
    v1::CommitmentMade* m = e.mutable_commitment_made();
    m->set_commitment_id(absl::StrCat("commitment-", id));
    m->set_owning_agency_id("agency-board-a");
    m->set_responsible_person("person-board");
    m->set_youth_id(stream);
    *m->mutable_due_date() = DateOf(due);
    m->set_acceptance(v1::COMMITMENT_ACCEPTANCE_ACCEPTED);
    append(m->commitment_id(), "CommitmentMade", e, at);
    e.Clear();
    v1::EscalationRaised* r = e.mutable_escalation_raised();
    r->set_escalation_id(absl::StrCat("escalation-", id));
    r->set_target_agency_id("agency-board-a");
    r->set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
    append(r->escalation_id(), "EscalationRaised", e, at);
  };
  // Many before the period (January) and after it (May); every other one closed, every sixth
  // active, every fifth investigation overdue.
  constexpr int kOutside = 150;
  int active = 0, active_in_march = 0, overdue = 0;
  for (int i = 0; i < kOutside; ++i) {
    for (const auto& [name, at, due] :
         {std::tuple{"jan", absl::CivilSecond(2026, 1, 10, 8, 0, 0), absl::CivilDay(2026, 1, 20)},
          std::tuple{"may", absl::CivilSecond(2026, 5, 10, 8, 0, 0),
                     absl::CivilDay(2026, 5, 20)}}) {
      const Then then = i % 2 == 0 ? kClose : i % 3 == 0 ? kPlan : kNothing;
      active += then == kPlan;
      active_in_march += then == kPlan && std::string(name) == "jan";
      overdue += i % 5 == 0;
      youth(absl::StrFormat("%s-%03d", name, i), at + 60 * i, due, then, i % 5 == 0);
    }
  }
  // Of January's active cases, one closed in April, after the period: active at its end, not
  // now; and one closed in March, and reopened (active again) in May: not active at its end.
  for (const auto& [id, events] :
       std::vector<std::pair<std::string, std::vector<std::pair<std::string, absl::CivilSecond>>>>{
           {"youth-jan-003", {{"CaseClosed", absl::CivilSecond(2026, 4, 15, 9, 0, 0)}}},
           {"youth-jan-009",
            {{"CaseClosed", absl::CivilSecond(2026, 3, 20, 9, 0, 0)},
             {"CaseReopened", absl::CivilSecond(2026, 5, 2, 9, 0, 0)}}}}) {
    for (const auto& [type, at] : events) {
      v1::Event e;
      if (type == "CaseClosed") {
        e.mutable_case_closed()->set_youth_id(id);
      } else {
        e.mutable_case_reopened()->set_youth_id(id);
      }
      append(id, type, e, at);
    }
  }
  // The area's measurements: one before the period (a baseline), one on its last day, one the
  // day after it.
  for (const auto& [day, value] : {std::pair{absl::CivilDay(2026, 1, 31), 75.0},
                                   {absl::CivilDay(2026, 3, 31), 60.0},
                                   {absl::CivilDay(2026, 4, 1), 55.0}}) {
    v1::Event e;
    v1::MeasurementRecorded* m = e.mutable_measurement_recorded();
    m->set_area_id(kArea);
    m->set_measure("charges_per_1000_youth");
    m->set_scope(v1::MEASUREMENT_SCOPE_AREA);
    *m->mutable_measured_on() = DateOf(day);
    m->set_value(value);
    append(kArea, "MeasurementRecorded", e, absl::CivilSecond(2026, 4, 2, 9, 0, 0));
  }
  active -= 1;           // jan-003, closed in April
  active_in_march -= 1;  // jan-009, closed in March (reopened in May: active now)
  // At the edges, outside: referred, due and raised on the day before and the day after.
  youth("edge-before", absl::CivilSecond(2026, 2, 28, 23, 59, 59), absl::CivilDay(2026, 2, 28),
        kNothing, false);
  youth("edge-after", absl::CivilSecond(2026, 4, 1, 0, 0, 0), absl::CivilDay(2026, 4, 1), kNothing,
        false);
  // In the period (March): one closed (on 2 March), one active, one as referred; the last
  // referred, due and raised on its last day (accepted, notified and investigated on 1 April).
  youth("in-1", absl::CivilSecond(2026, 3, 1, 0, 0, 0), absl::CivilDay(2026, 3, 1), kClose, false);
  youth("in-2", absl::CivilSecond(2026, 3, 10, 12, 0, 0), absl::CivilDay(2026, 3, 15), kPlan, true);
  youth("in-3", absl::CivilSecond(2026, 3, 31, 23, 0, 0), absl::CivilDay(2026, 3, 31), kNothing,
        false);
  active += 1;
  active_in_march += 1;  // in-2
  overdue += 1;

  auto views = projections::Projector::Open(
      projections::ProjectorOptions(), events.get(),
      projections::AllViews(sealer.get(), *security::IdentityDigester::FromKeyStore(*keys)),
      dir.Sub("views"));
  ASSERT_TRUE(views.ok()) << views.status();
  ASSERT_TRUE((*views)->WaitFor(events->HeadPosition(), absl::Now() + absl::Seconds(10)).ok());
  const QueryHandler queries(views->get(), sealer.get(), &heads, [] {
    return absl::FromCivil(absl::CivilSecond(2026, 6, 1, 12, 0, 0), absl::UTCTimeZone());
  });
  security::Principal chief = scenario::SjaelorCast().chief;
  chief.areas = {kArea};
  v1::GetAreaDashboardRequest request;
  request.set_area_id(kArea);
  *request.mutable_period_start() = DateOf(absl::CivilDay(2026, 3, 1));
  *request.mutable_period_end() = DateOf(absl::CivilDay(2026, 3, 31));
  const uint64_t before = queries.rows_parsed();
  auto answer = queries.GetAreaDashboard(chief, request, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(answer.ok()) << answer.status();
  // The period's three cases (for the medians), its three commitments and its three
  // escalations; of the 2 x 150 + 2 outside it, none.
  EXPECT_EQ(queries.rows_parsed() - before, 9u);

  const v1::AreaDashboard& board = answer->dashboard();
  EXPECT_EQ(board.youths_referred(), 3);
  EXPECT_EQ(board.youths_accepted(), 3);  // edge-before's (on 1 March), in-1's, in-2's
  EXPECT_EQ(board.youths_closed(), 1);
  // Active at the period's end (counted from the index rows of the days since): January's
  // active cases and in-2, not May's.
  EXPECT_EQ(board.youths_active(), active_in_march);
  EXPECT_NE(active_in_march, active);
  // The measurements by the period's end, the baseline before it included; not the one after.
  std::vector<double> measured;
  for (const v1::Measurement& m : board.measurements()) measured.push_back(m.value());
  EXPECT_EQ(measured, (std::vector<double>{75, 60}));
  EXPECT_EQ(board.median_days_to_plan(), 1);  // in-2's; the others have none
  ASSERT_TRUE(board.has_child_welfare());
  const v1::ChildWelfareStats& welfare = board.child_welfare();
  // Made two hours after the referral: edge-before's on 1 March, in-3's on 1 April.
  EXPECT_EQ(welfare.notifications(), 3);
  EXPECT_EQ(welfare.investigations_opened(), 3);
  EXPECT_EQ(welfare.investigations_open(), 2 * kOutside + 2 + 3);  // none completed
  EXPECT_EQ(welfare.investigations_overdue(), overdue);
  ASSERT_EQ(board.commitments_by_agency_size(), 1);
  EXPECT_EQ(board.commitments_by_agency(0).due(), 3);
  EXPECT_EQ(board.commitments_by_agency(0).open_overdue(), 3);  // open, and due before 1 June
  ASSERT_EQ(board.escalations_by_level_size(), 1);
  EXPECT_EQ(board.escalations_by_level(0).raised(), 3);

  // A period of one day at the edge reads that day's only.
  *request.mutable_period_start() = DateOf(absl::CivilDay(2026, 4, 1));
  *request.mutable_period_end() = DateOf(absl::CivilDay(2026, 4, 1));
  const uint64_t before_edge = queries.rows_parsed();
  auto edge = queries.GetAreaDashboard(chief, request, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(edge.ok()) << edge.status();
  EXPECT_EQ(queries.rows_parsed() - before_edge, 3u);  // edge-after's case, commitment, escalation
  EXPECT_EQ(edge->dashboard().youths_referred(), 1);
  EXPECT_EQ(edge->dashboard().child_welfare().notifications(), 2);  // edge-after's and in-3's
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
