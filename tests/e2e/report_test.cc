// The chief's report end to end (issue 13 §5): SubmitReport freezes the figures, GetReport reads
// them back, `hotspotctl report` renders them as one self-contained HTML page with inline SVG and
// prints a PDF with headless Chromium; Chromium renders the page to a PNG, and the SVG's data
// points equal the frozen figures (the handbook's 75->50, 70->65, 25->20 from the demo).
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
#include "store/event_store.h"
#include "tests/e2e/suite_server.h"

namespace hotspot::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

v1::Date DateOf(absl::CivilDay day) {
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string Text(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// Runs `command` through the shell; its exit code.
int Shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ReportTest, TheChiefsFrozenReportRendersAsHtmlWithSvgAndAsPdf) {
  auto started = StartSuiteServer(HOTSPOTD_PATH, {"--demo", "--sync=false"});
  ASSERT_TRUE(started.ok()) << started.status();
  SuiteServer& suite = **started;
  const scenario::Cast& cast = suite.cast;
  auto queries = v1::QueryService::NewStub(suite.channel);

  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  // The social administration's own measure: defined and recorded by its caseworker; not by the
  // chief, nor by another agency.
  v1::DefineMeasureRequest define;
  define.set_request_id("report-test-define");
  define.set_area_id(scenario::kAreaId);
  define.set_measure("youths_in_education");
  define.set_owning_agency_id("agency-social-copenhagen");
  define.set_definition("Share of the area's 15-17 year olds in education or work, per month");
  define.set_unit("per cent");
  EXPECT_EQ(suite.commands->Call(cast.chief, define).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(suite.commands->Call(cast.caseworker, define).status.ok());
  v1::RecordMeasurementRequest own;
  own.set_request_id("report-test-own-measure");
  own.set_area_id(scenario::kAreaId);
  own.set_measure("youths_in_education");
  own.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  *own.mutable_measured_on() = DateOf(today - 3);
  own.set_value(72.5);
  // Not another agency's member, nor the chief or her staff: the measure is the social
  // administration's.
  for (const auto* who : {&cast.school_member, &cast.chief, &cast.staff}) {
    const CallResult refused = suite.commands->Call(*who, own);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << who->person;
    EXPECT_NE(refused.status.error_message().find(
                  "the measure is agency-social-copenhagen's; only its people record it"),
              std::string::npos)
        << refused.status.error_message();
  }
  ASSERT_TRUE(suite.commands->Call(cast.caseworker, own).status.ok());

  v1::SubmitReportRequest submit;
  submit.set_request_id("report-test-submit");
  submit.set_area_id(scenario::kAreaId);
  submit.set_kind(v1::REPORT_KIND_AD_HOC);
  *submit.mutable_period_start() = DateOf(today - 5 * 365);  // the programme's years
  *submit.mutable_period_end() = DateOf(today - 1);
  auto* to = submit.add_recipients();
  to->set_person("director-social-copenhagen");  // the director rung of its ladder
  to->set_agency_id("agency-social-copenhagen");
  submit.set_note("Ad hoc, for the directors' meeting.");
  // To the directors: not to a teacher of the school, nor to the social administration's middle
  // manager, nor to a mayor, nor to the police's local chief.
  for (const auto& [person, agency] : std::vector<std::pair<std::string, std::string>>{
           {"teacher-ole", "agency-school-sjaelor"},
           {"manager-social-copenhagen", "agency-social-copenhagen"},
           {"mayor-school-sjaelor", "agency-school-sjaelor"},
           {"station-chief-police-copenhagen", "agency-police-copenhagen"}}) {
    v1::SubmitReportRequest bad = submit;
    bad.set_request_id(absl::StrCat("report-test-bad-", person));
    bad.add_recipients()->set_person(person);
    bad.mutable_recipients(1)->set_agency_id(agency);
    const CallResult refused = suite.commands->Call(cast.chief, bad);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << person;
    EXPECT_EQ(refused.status.error_message().rfind(
                  absl::StrCat("recipients[1].person: ", person, " is not ", agency,
                               "'s director: the report goes to the administrations' directors"),
                  0),
              0u)
        << refused.status.error_message();
  }
  // The chief's alone: not her staff, nor an agency's leader.
  EXPECT_EQ(suite.commands->Call(cast.staff, submit).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(suite.commands->Call(cast.school_leader, submit).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const CallResult submitted = suite.commands->Call(cast.chief, submit);
  ASSERT_TRUE(submitted.status.ok()) << submitted.status.error_message();
  const std::string report_id = submitted.response.id();

  v1::GetReportRequest get;
  get.set_area_id(scenario::kAreaId);
  *get.mutable_period_start() = submit.period_start();
  *get.mutable_period_end() = submit.period_end();
  get.set_min_position(submitted.response.position());
  v1::GetReportResponse frozen;
  ASSERT_TRUE(queries->GetReport(suite.As(cast.chief, "").get(), get, &frozen).ok());
  EXPECT_EQ(frozen.report().report().report_id(), report_id);
  EXPECT_EQ(frozen.report().submitted_by(), cast.chief.person);
  const v1::AreaDashboard& figures = frozen.report().report().figures();
  EXPECT_GT(figures.youths_referred(), 0);
  EXPECT_GT(figures.goals_size(), 0);  // the programme's goals come with the figures
  // Every measure the demo records, and the speed goal's computed median, has its owning agency
  // and a definition (§5): the police's charges, the secretariat's safety index and median, the
  // social administration's own; and the one defined above.
  std::map<std::string, std::string> owners;
  for (const v1::MeasureDefinition& d : figures.measure_definitions()) {
    owners[d.measure()] = d.owning_agency_id();
    EXPECT_FALSE(d.definition().empty()) << d.measure();
    EXPECT_FALSE(d.unit().empty()) << d.measure();
  }
  EXPECT_EQ(owners, (std::map<std::string, std::string>{
                        {"charges_per_1000_youth", "agency-police-copenhagen"},
                        {"investigations_within_4_months", "agency-social-copenhagen"},
                        {"median_days_to_plan", "agency-hotspot-sjaelor"},
                        {"safety_index", "agency-hotspot-sjaelor"},
                        {"youths_in_education", "agency-social-copenhagen"}}));
  for (const v1::Measurement& m : figures.measurements()) {
    EXPECT_TRUE(owners.count(m.measure())) << m.measure() << " recorded but not defined";
  }
  EXPECT_TRUE(std::any_of(figures.measurements().begin(), figures.measurements().end(),
                          [](const v1::Measurement& m) { return m.value() == 72.5; }));
  EXPECT_TRUE(std::any_of(
      figures.measurements().begin(), figures.measurements().end(),
      [](const v1::Measurement& m) { return m.measure() == "investigations_within_4_months"; }));
  // The programme's adoption is frozen with the figures: the council's decision.
  ASSERT_TRUE(figures.has_programme_adopted_on());
  EXPECT_EQ(figures.programme_adopted_on().year(), today.year() - 3);

  // Frozen: a measurement recorded after the report leaves it as it was.
  v1::RecordMeasurementRequest later;
  later.set_request_id("report-test-later");
  later.set_area_id(scenario::kAreaId);
  later.set_measure("charges_per_1000_youth");
  later.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  *later.mutable_measured_on() = DateOf(today - 1);
  later.set_value(12);
  // The charges are the police's: the chief does not record them for the police.
  const CallResult by_chief = suite.commands->Call(cast.chief, later);
  EXPECT_EQ(by_chief.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(by_chief.status.error_message().find(
                "the measure is agency-police-copenhagen's; only its people record it"),
            std::string::npos)
      << by_chief.status.error_message();
  const CallResult recorded = suite.commands->Call(cast.police_member, later);
  ASSERT_TRUE(recorded.status.ok()) << recorded.status.error_message();
  // A measure nobody defined is recorded by nobody, the chief's office and an admin included.
  v1::RecordMeasurementRequest undefined = later;
  undefined.set_request_id("report-test-undefined");
  undefined.set_measure("school_absence_days");
  for (const auto* who : {&cast.chief, &cast.staff, &cast.admin, &cast.school_leader}) {
    const CallResult refused = suite.commands->Call(*who, undefined);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << who->person;
    EXPECT_EQ(refused.status.error_message(),
              absl::StrCat("measure: school_absence_days is not defined in ", scenario::kAreaId,
                           ": DefineMeasure names its owning agency and definition first"));
  }
  v1::GetReportRequest by_id;
  by_id.set_area_id(scenario::kAreaId);
  by_id.set_report_id(report_id);
  by_id.set_min_position(recorded.response.position());
  v1::GetReportResponse again;
  ASSERT_TRUE(queries->GetReport(suite.As(cast.chief, "").get(), by_id, &again).ok());
  EXPECT_EQ(again.report().SerializeAsString(), frozen.report().SerializeAsString());
  // Another area's chief reads nothing of it; a period without a report is NOT_FOUND.
  EXPECT_EQ(queries->GetReport(suite.As(suite.stranger, "").get(), by_id, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetReportRequest other = get;
  *other.mutable_period_start() = DateOf(today - 30);
  EXPECT_EQ(queries->GetReport(suite.As(cast.chief, "").get(), other, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A period that ended a month ago: its measurements are those measured by its end (the
  // safety index surveyed at the demo's start and the years' charges, not the survey 100 days
  // on, nor the figures of the last days); its active youths those active at its end, as the
  // cases' status histories have it.
  const absl::CivilDay past_end = today - 30;
  v1::GetAreaDashboardRequest past;
  past.set_area_id(scenario::kAreaId);
  *past.mutable_period_start() = DateOf(today - 5 * 365);
  *past.mutable_period_end() = DateOf(past_end);
  past.set_min_position(recorded.response.position());
  v1::GetAreaDashboardResponse board;
  ASSERT_TRUE(queries->GetAreaDashboard(suite.As(cast.chief, "").get(), past, &board).ok());
  int safety = 0;
  for (const v1::Measurement& m : board.dashboard().measurements()) {
    const v1::Date& on = m.measured_on();
    EXPECT_LE(absl::CivilDay(on.year(), on.month(), on.day()), past_end) << m.measure();
    safety += m.measure() == "safety_index";
  }
  EXPECT_EQ(safety, 1);  // day 1's, not day 100's
  EXPECT_TRUE(std::any_of(
      board.dashboard().measurements().begin(), board.dashboard().measurements().end(),
      [](const v1::Measurement& m) { return m.measure() == "charges_per_1000_youth"; }));
  const absl::Time end_of_period = absl::FromCivil(past_end + 1, absl::UTCTimeZone());
  int active_then = 0, active_now = 0;
  v1::ListCasesRequest list;
  list.set_area_id(scenario::kAreaId);
  list.set_page_size(500);
  list.set_min_position(recorded.response.position());
  v1::ListCasesResponse cases;
  ASSERT_TRUE(queries
                  ->ListCases(suite.As(cast.chief, "case_coordination: the report test").get(),
                              list, &cases)
                  .ok());
  ASSERT_TRUE(cases.next_page_token().empty());
  for (const v1::CaseView& c : cases.cases()) {
    v1::CaseStatus then = v1::CASE_STATUS_UNSPECIFIED;
    for (const v1::StatusChange& change : c.status_history()) {
      if (absl::FromUnixSeconds(change.at().seconds()) < end_of_period) then = change.status();
    }
    active_then += then == v1::CASE_STATUS_ACTIVE;
    active_now += c.status() == v1::CASE_STATUS_ACTIVE;
  }
  EXPECT_EQ(board.dashboard().youths_active(), active_then);
  EXPECT_NE(active_then, active_now);  // the demo's cases moved in the last month

  // hotspotctl report: the HTML page and the PDF.
  const std::string html_path = suite.dir.Sub("report.html");
  const std::string pdf_path = suite.dir.Sub("report.pdf");
  const std::string ctl =
      absl::StrCat(HOTSPOTCTL_PATH, " --server=", suite.process->address(),
                   " --token=", suite.tokens.at(cast.chief.person),
                   " report --area_id=", scenario::kAreaId, " --from=", Text(submit.period_start()),
                   " --to=", Text(submit.period_end()), " --out=", html_path, " --pdf=", pdf_path);
  ASSERT_EQ(
      Shell(absl::StrCat(ctl, " >", suite.dir.Sub("ctl.out"), " 2>", suite.dir.Sub("ctl.err"))), 0)
      << Slurp(suite.dir.Sub("ctl.err"));
  const std::string html = Slurp(html_path);
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(Slurp(pdf_path).substr(0, 5), "%PDF-");
  // One self-contained page: no scripts, no external resources.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("id=\"effect-table\""), std::string::npos);  // the same figures, as a table
  EXPECT_NE(html.find("youths_in_education"), std::string::npos);  // the measures and owners

  // The effect charts' data points equal the frozen figures: per age group and scope, before
  // the last charges per 1,000 youth on or before the programme's adoption, after the last
  // after the adoption up to the end of the report's period.
  using Key = std::tuple<std::string, std::string, std::string>;  // age, scope, when
  std::map<Key, double> charted;
  const std::regex bar(
      R"re(<rect [^>]*data-age="(\w+)" data-scope="(\w+)" data-when="(\w+)" data-value="([^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), bar), end; it != end; ++it) {
    charted[{(*it)[1].str(), (*it)[2].str(), (*it)[3].str()}] = std::stod((*it)[4].str());
  }
  auto day_of = [](const v1::Date& d) { return std::make_tuple(d.year(), d.month(), d.day()); };
  const auto adopted = day_of(figures.programme_adopted_on());
  std::map<Key, double> expected;
  std::map<Key, std::tuple<int, int, int>> when;
  for (const v1::Measurement& m : figures.measurements()) {
    if (m.measure() != "charges_per_1000_youth") continue;
    const std::string age = m.age_group() == v1::AGE_GROUP_UNDER_18      ? "under_18"
                            : m.age_group() == v1::AGE_GROUP_18_AND_OVER ? "18_and_over"
                                                                         : "all";
    const std::string scope = m.scope() == v1::MEASUREMENT_SCOPE_AREA            ? "area"
                              : m.scope() == v1::MEASUREMENT_SCOPE_CONTROL_AREAS ? "control_areas"
                                                                                 : "country";
    const auto day = day_of(m.measured_on());
    const bool by_period_end = day <= day_of(submit.period_end());
    const std::string at = day <= adopted ? "before" : by_period_end ? "after" : "";
    if (at.empty()) continue;
    const Key key{age, scope, at};
    if (!when.count(key) || day >= when[key]) {
      when[key] = day;
      expected[key] = m.value();
    }
  }
  EXPECT_EQ(charted, expected);
  // ... which are the handbook's, with the fall under 18 and hardly any over 18.
  EXPECT_EQ(charted, (std::map<Key, double>{{{"all", "area", "before"}, 75},
                                            {{"all", "area", "after"}, 50},
                                            {{"all", "control_areas", "before"}, 70},
                                            {{"all", "control_areas", "after"}, 65},
                                            {{"all", "country", "before"}, 25},
                                            {{"all", "country", "after"}, 20},
                                            {{"under_18", "area", "before"}, 96},
                                            {{"under_18", "area", "after"}, 52},
                                            {{"under_18", "control_areas", "before"}, 84},
                                            {{"under_18", "control_areas", "after"}, 76},
                                            {{"under_18", "country", "before"}, 29},
                                            {{"under_18", "country", "after"}, 22},
                                            {{"18_and_over", "area", "before"}, 49},
                                            {{"18_and_over", "area", "after"}, 48},
                                            {{"18_and_over", "control_areas", "before"}, 52},
                                            {{"18_and_over", "control_areas", "after"}, 51},
                                            {{"18_and_over", "country", "before"}, 21},
                                            {{"18_and_over", "country", "after"}, 19}}));
  EXPECT_NE(html.find(absl::StrCat("on or before the adoption of the programme (",
                                   Text(figures.programme_adopted_on()), ")")),
            std::string::npos);

  // Every goal of the demo's programme is set against a figure: none reads "none".
  auto table = [&html](const std::string& id) {
    const size_t at = html.find(absl::StrCat("<table id=\"", id, "\""));
    return at == std::string::npos ? std::string()
                                   : html.substr(at, html.find("</table>", at) - at);
  };
  const std::string goals = table("goals-table");
  ASSERT_EQ(figures.goals_size(), 3);
  for (const v1::ProgrammeGoal& g : figures.goals()) {
    EXPECT_NE(goals.find(absl::StrCat("<td>", g.measure(), "</td>")), std::string::npos)
        << g.measure();
  }
  EXPECT_EQ(goals.find("<td>none</td>"), std::string::npos) << goals;
  EXPECT_NE(goals.find(absl::StrCat("<td>", figures.median_days_to_plan(),
                                    " (median in the period)</td>")),
            std::string::npos)
      << goals;
  // The half-years flagged without their report: the frozen ones, or "none".
  const std::string missing = table("reports-missing");
  ASSERT_FALSE(missing.empty());
  if (figures.reports_missing().empty()) {
    EXPECT_NE(missing.find(">none</td>"), std::string::npos) << missing;
  }
  for (const v1::MissingReport& m : figures.reports_missing()) {
    EXPECT_NE(missing.find(Text(m.half_year_end())), std::string::npos);
  }
  // The bodies' meetings in the period, as frozen: the local SSP meets every four weeks.
  const std::string bodies = table("bodies-table");
  for (const v1::BodyView& b : figures.bodies()) {
    EXPECT_TRUE(b.has_meetings_in_period()) << b.body_id();
    EXPECT_NE(bodies.find(absl::StrCat("<th scope=\"row\">", b.name(), "</th>")),
              std::string::npos);
    if (b.body_id() == "local-ssp") {
      EXPECT_EQ(b.meetings_in_period(), 4);
    }
  }
  EXPECT_NE(bodies.find("Meetings held in the period"), std::string::npos);

  // The youths' chart too.
  const std::regex youth_bar(
      R"re(<rect [^>]*data-series="youths" data-key="(\w+)" data-value="([^"]+)")re");
  std::map<std::string, double> youths;
  for (std::sregex_iterator it(html.begin(), html.end(), youth_bar), end; it != end; ++it) {
    youths[(*it)[1].str()] = std::stod((*it)[2].str());
  }
  EXPECT_EQ(youths, (std::map<std::string, double>{{"referred", figures.youths_referred()},
                                                   {"accepted", figures.youths_accepted()},
                                                   {"active", figures.youths_active()},
                                                   {"closed", figures.youths_closed()}}));

  // The administrations have leadership ladders: an escalation to the social administration
  // has a contact at the steering-group level (it was refused before: "has no contact"). It
  // concerns one of the administration's own open commitments (review 13b, S3).
  v1::ListCommitmentsRequest open;
  open.set_area_id(scenario::kAreaId);
  open.set_owning_agency_id("agency-social-copenhagen");
  open.set_state(v1::COMMITMENT_STATE_OPEN);
  open.set_page_size(1);
  v1::ListCommitmentsResponse social;
  const grpc::Status listed = queries->ListCommitments(
      suite.As(cast.chief, "escalation_follow_up: the report test").get(), open, &social);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_EQ(social.commitments_size(), 1);
  v1::RaiseEscalationRequest raise;
  raise.set_request_id("report-test-escalation");
  raise.set_area_id(scenario::kAreaId);
  raise.set_target_agency_id("agency-social-copenhagen");
  raise.set_level(v1::ESCALATION_LEVEL_STEERING_GROUP);
  raise.set_reason("No caseworker assigned for six weeks");
  raise.add_commitment_ids(social.commitments(0).commitment_id());
  const CallResult raised = suite.commands->Call(cast.chief, raise);
  EXPECT_TRUE(raised.status.ok()) << raised.status.error_message();

  // Headless Chromium renders the page: a PNG of some substance.
  const std::string png = suite.dir.Sub("report.png");
  const std::string profile = suite.dir.Sub("chromium-profile");
  ASSERT_EQ(Shell(absl::StrCat("chromium --headless --no-sandbox --disable-background-networking "
                               "--disable-gpu --hide-scrollbars --user-data-dir=",
                               profile, " --window-size=1000,2600 --screenshot=", png, " file://",
                               html_path, " >/dev/null 2>&1")),
            0);
  const std::string image = Slurp(png);
  ASSERT_GT(image.size(), 20'000u);
  EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // For a person to look at: HOTSPOT_REPORT_PNG names where the test leaves a copy.
  if (const char* keep = std::getenv("HOTSPOT_REPORT_PNG")) {
    std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
  }
}

// The deadline process flags a missing half-yearly report (issue 13 §5), over gRPC. hotspotd has
// no test clock: the data directory is written before it starts, with the area's programme
// adopted 400 days ago (business time; an adoption of before, without adopted_at), so that the
// last half-year whose 30 days of grace have passed began after the adoption, whatever today
// is, and no report was submitted. A pass of the process (every second here) flags each
// half-year that ended since the adoption, not only the last; the dashboard lists them.
TEST(ReportTest, TheDeadlineProcessFlagsAMissingHalfYearlyReport) {
  auto suite = std::make_unique<SuiteServer>();
  suite->tokens = WriteTokens(suite->dir.Sub("tokens"), suite->cast.All());
  const absl::Time adopted_at = absl::Now() - absl::Hours(24 * 400);
  {
    std::filesystem::create_directories(suite->dir.Sub("data"));
    std::filesystem::permissions(suite->dir.Sub("data"), std::filesystem::perms::owner_all);
    store::Options options;
    options.sync = false;
    absl::StatusOr<std::unique_ptr<store::EventStore>> events =
        store::EventStore::Open(std::move(options), suite->dir.Sub("data/events"));
    ASSERT_TRUE(events.ok()) << events.status();
    std::vector<store::StreamAppend> appends(1);
    appends[0].stream = scenario::kAreaId;
    auto add = [&](const std::string& type, v1::Event event) {
      event.set_area_id(scenario::kAreaId);
      event.mutable_actor()->set_person(suite->cast.admin.person);
      event.mutable_actor()->set_agency_id(suite->cast.admin.agency);
      event.mutable_actor()->set_role("admin");
      store::ProposedEvent& proposed = appends[0].events.emplace_back();
      proposed.type = type;
      proposed.payload = event.SerializeAsString();
      proposed.metadata.actor = suite->cast.admin.person;
      proposed.metadata.occurred_at = adopted_at;
    };
    v1::Event established;
    established.mutable_area_established()->set_area_id(scenario::kAreaId);
    established.mutable_area_established()->set_name("Sjaelor Boulevard");
    established.mutable_area_established()->set_municipality("Copenhagen");
    add("hotspot.v1.AreaEstablished", established);
    v1::Event adopted;
    adopted.mutable_programme_adopted()->set_area_id(scenario::kAreaId);
    adopted.mutable_programme_adopted()->set_revision(1);
    adopted.mutable_programme_adopted()->set_summary("Fewer charges among the area's youth");
    add("hotspot.v1.ProgrammeAdopted", adopted);
    ASSERT_TRUE((*events)->Append(std::move(appends)).ok());
  }
  suite->binary = HOTSPOTD_PATH;
  suite->flags = {"--tokens_file=" + suite->dir.Sub("tokens"), "--deadline_interval_s=1"};
  ASSERT_TRUE(suite->Start().ok());
  const absl::StatusOr<v1::GetProjectionStatusResponse> awaited = suite->AwaitDeadlinePass();
  ASSERT_TRUE(awaited.ok()) << awaited.status();

  // The half-years expected (as the process reckons): the last one whose grace days have
  // passed, and each before it that ended after the adoption, of the last four: with the
  // adoption 400 days ago, one to three, whatever today is.
  const absl::CivilDay due_by = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) - 31;
  std::vector<std::string> expected;
  for (absl::CivilDay end = due_by.month() >= 7 ? absl::CivilDay(due_by.year(), 6, 30)
                                                : absl::CivilDay(due_by.year() - 1, 12, 31);
       expected.size() < 4 && absl::FromCivil(end + 1, absl::UTCTimeZone()) > adopted_at;
       end = end.month() == 12 ? absl::CivilDay(end.year(), 6, 30)
                               : absl::CivilDay(end.year() - 1, 12, 31)) {
    expected.insert(expected.begin(), absl::FormatCivilTime(end));  // oldest first
  }
  ASSERT_GE(expected.size(), 1u);
  ASSERT_LE(expected.size(), 3u);
  // A pass that ran before the views had the programme flags nothing; one after it does (a pass
  // a second): read the dashboard until it lists the flags, for at most 60 seconds.
  auto queries = v1::QueryService::NewStub(suite->channel);
  v1::GetAreaDashboardRequest request;
  request.set_area_id(scenario::kAreaId);
  v1::GetAreaDashboardResponse got;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  do {
    request.set_min_position(suite->Head());
    auto context = suite->As(suite->cast.chief);
    const grpc::Status read = queries->GetAreaDashboard(context.get(), request, &got);
    ASSERT_TRUE(read.ok()) << read.error_message();
  } while (static_cast<size_t>(got.dashboard().reports_missing_size()) < expected.size() &&
           absl::Now() < give_up);
  std::vector<std::string> flagged;
  for (const v1::MissingReport& missing : got.dashboard().reports_missing()) {
    flagged.push_back(Text(missing.half_year_end()));
    EXPECT_TRUE(missing.has_flagged_at());
    // Flagged when the grace days ran out: the fact's business time is the deadline missed.
    const v1::Date& end = missing.half_year_end();
    EXPECT_EQ(absl::ToCivilDay(absl::FromUnixSeconds(missing.flagged_at().seconds()),
                               absl::UTCTimeZone()),
              absl::CivilDay(end.year(), end.month(), end.day()) + 30 + 1);
  }
  EXPECT_EQ(flagged, expected);
}

}  // namespace
}  // namespace hotspot::testing
