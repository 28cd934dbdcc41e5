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

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "hotspot/v1/command_service.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "services/scenario/scenario.h"
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

  // Charges under 18 in the area, next to the demo's figures for all ages.
  auto under_18 = v1::RecordMeasurementRequest();
  under_18.set_request_id("report-test-under-18");
  under_18.set_area_id(scenario::kAreaId);
  under_18.set_measure("charges_per_1000_youth");
  under_18.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  under_18.set_age_group(v1::AGE_GROUP_UNDER_18);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  *under_18.mutable_measured_on() = DateOf(today - 2);
  under_18.set_value(41);
  ASSERT_TRUE(suite.commands->Call(cast.chief, under_18).status.ok());

  // The social administration's own measure: defined by the chief, recorded by its caseworker;
  // not by another agency.
  v1::DefineMeasureRequest define;
  define.set_request_id("report-test-define");
  define.set_area_id(scenario::kAreaId);
  define.set_measure("youths_in_education");
  define.set_owning_agency_id("agency-social-copenhagen");
  define.set_definition("Share of the area's 15-17 year olds in education or work, per month");
  define.set_unit("per cent");
  EXPECT_EQ(suite.commands->Call(cast.caseworker, define).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(suite.commands->Call(cast.chief, define).status.ok());
  v1::RecordMeasurementRequest own;
  own.set_request_id("report-test-own-measure");
  own.set_area_id(scenario::kAreaId);
  own.set_measure("youths_in_education");
  own.set_scope(v1::MEASUREMENT_SCOPE_AREA);
  *own.mutable_measured_on() = DateOf(today - 3);
  own.set_value(72.5);
  EXPECT_EQ(suite.commands->Call(cast.school_member, own).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(suite.commands->Call(cast.caseworker, own).status.ok());

  v1::SubmitReportRequest submit;
  submit.set_request_id("report-test-submit");
  submit.set_area_id(scenario::kAreaId);
  submit.set_kind(v1::REPORT_KIND_AD_HOC);
  *submit.mutable_period_start() = DateOf(today - 5 * 365);  // the programme's years
  *submit.mutable_period_end() = DateOf(today - 1);
  auto* to = submit.add_recipients();
  to->set_person("director-social");
  to->set_agency_id("agency-social-copenhagen");
  submit.set_note("Ad hoc, for the directors' meeting.");
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
  ASSERT_EQ(figures.measure_definitions_size(), 1);
  EXPECT_EQ(figures.measure_definitions(0).owning_agency_id(), "agency-social-copenhagen");
  EXPECT_TRUE(std::any_of(figures.measurements().begin(), figures.measurements().end(),
                          [](const v1::Measurement& m) { return m.value() == 72.5; }));

  // Frozen: a measurement recorded after the report leaves it as it was.
  auto later = under_18;
  later.set_request_id("report-test-later");
  later.set_age_group(v1::AGE_GROUP_UNSPECIFIED);
  *later.mutable_measured_on() = DateOf(today - 1);
  later.set_value(12);
  const CallResult recorded = suite.commands->Call(cast.chief, later);
  ASSERT_TRUE(recorded.status.ok());
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

  // The effect chart's data points equal the frozen figures: per scope, the earliest and the
  // latest charges per 1,000 youth (all ages) of the report.
  std::map<std::pair<std::string, std::string>, double> charted;
  const std::regex bar(
      R"re(<rect [^>]*data-scope="(\w+)" data-when="(\w+)" data-value="([^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), bar), end; it != end; ++it) {
    charted[{(*it)[1].str(), (*it)[2].str()}] = std::stod((*it)[3].str());
  }
  std::map<std::pair<std::string, std::string>, double> expected;
  std::map<std::string, std::tuple<int, int, int>> first, last;
  for (const v1::Measurement& m : figures.measurements()) {
    if (m.measure() != "charges_per_1000_youth" || m.age_group() != v1::AGE_GROUP_UNSPECIFIED) {
      continue;
    }
    const std::string scope = m.scope() == v1::MEASUREMENT_SCOPE_AREA            ? "area"
                              : m.scope() == v1::MEASUREMENT_SCOPE_CONTROL_AREAS ? "control_areas"
                                                                                 : "country";
    const auto day =
        std::make_tuple(m.measured_on().year(), m.measured_on().month(), m.measured_on().day());
    if (!first.count(scope) || day < first[scope]) {
      first[scope] = day;
      expected[{scope, "before"}] = m.value();
    }
    if (!last.count(scope) || day >= last[scope]) {
      last[scope] = day;
      expected[{scope, "after"}] = m.value();
    }
  }
  EXPECT_EQ(charted, expected);
  // ... which are the handbook's.
  EXPECT_EQ(charted, (std::map<std::pair<std::string, std::string>, double>{
                         {{"area", "before"}, 75},
                         {{"area", "after"}, 50},
                         {{"control_areas", "before"}, 70},
                         {{"control_areas", "after"}, 65},
                         {{"country", "before"}, 25},
                         {{"country", "after"}, 20}}));
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

}  // namespace
}  // namespace hotspot::testing
