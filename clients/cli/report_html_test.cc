// The report's page from figures made up here: the effect charts' before and after (by the
// programme's adoption and the report's period), under and over 18; the goals set against their
// measures by name; the missing half-yearly reports; the bodies' meetings in the period.
#include "clients/cli/report_html.h"

#include <map>
#include <regex>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hotspot::cli {
namespace {

v1::Date Day(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

void Measure(v1::AreaDashboard& f, const std::string& measure, v1::MeasurementScope scope,
             v1::AgeGroup age, v1::Date on, double value) {
  v1::Measurement* m = f.add_measurements();
  m->set_measure(measure);
  m->set_scope(scope);
  m->set_age_group(age);
  *m->mutable_measured_on() = on;
  m->set_value(value);
}

// The period 2026-01-01 to 2026-06-30, the programme adopted on 2024-03-01.
v1::SubmittedReport Report() {
  v1::SubmittedReport submitted;
  v1::ReportSubmitted* r = submitted.mutable_report();
  r->set_area_id("area-test");
  *r->mutable_period_start() = Day(2026, 1, 1);
  *r->mutable_period_end() = Day(2026, 6, 30);
  v1::AreaDashboard& f = *r->mutable_figures();
  *f.mutable_period_start() = r->period_start();
  *f.mutable_period_end() = r->period_end();
  *f.mutable_programme_adopted_on() = Day(2024, 3, 1);
  return submitted;
}

// (age, scope, when) -> value of the effect charts' bars.
using Charted = std::map<std::tuple<std::string, std::string, std::string>, double>;
Charted Bars(const std::string& html) {
  Charted out;
  const std::regex bar(
      R"re(<rect [^>]*data-age="(\w+)" data-scope="(\w+)" data-when="(\w+)" data-value="([^"]+)")re");
  for (std::sregex_iterator it(html.begin(), html.end(), bar), end; it != end; ++it) {
    out[{(*it)[1].str(), (*it)[2].str(), (*it)[3].str()}] = std::stod((*it)[4].str());
  }
  return out;
}

// The table with this id, as HTML.
std::string TableById(const std::string& html, const std::string& id) {
  const size_t at = html.find(absl::StrCat("<table id=\"", id, "\""));
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</table>", at) - at);
}

TEST(ReportHtmlTest, BeforeIsAtTheAdoptionAndAfterAsThePeriodEnds) {
  v1::SubmittedReport report = Report();
  v1::AreaDashboard& f = *report.mutable_report()->mutable_figures();
  const auto area = v1::MEASUREMENT_SCOPE_AREA;
  const auto all = v1::AGE_GROUP_UNSPECIFIED;
  Measure(f, kChargesMeasure, area, all, Day(2022, 12, 31), 80);  // earlier still
  Measure(f, kChargesMeasure, area, all, Day(2023, 12, 31), 75);  // before: the last by adoption
  Measure(f, kChargesMeasure, area, all, Day(2024, 3, 1), 74);    // on the day: before
  Measure(f, kChargesMeasure, area, all, Day(2025, 12, 31), 55);  // after it, before the period
  Measure(f, kChargesMeasure, area, all, Day(2026, 3, 31), 50);   // after: the last by its end
  Measure(f, kChargesMeasure, area, all, Day(2026, 9, 30), 45);   // after the period
  const auto control = v1::MEASUREMENT_SCOPE_CONTROL_AREAS;
  Measure(f, kChargesMeasure, control, all, Day(2023, 12, 31), 70);
  Measure(f, kChargesMeasure, control, all, Day(2025, 12, 31), 65);  // after: before the period
  // Under and over 18.
  Measure(f, kChargesMeasure, area, v1::AGE_GROUP_UNDER_18, Day(2023, 12, 31), 90);
  Measure(f, kChargesMeasure, area, v1::AGE_GROUP_UNDER_18, Day(2026, 6, 30), 52);
  Measure(f, kChargesMeasure, area, v1::AGE_GROUP_18_AND_OVER, Day(2023, 12, 31), 60);
  Measure(f, kChargesMeasure, area, v1::AGE_GROUP_18_AND_OVER, Day(2026, 1, 1), 59);
  Measure(f, kChargesMeasure, v1::MEASUREMENT_SCOPE_COUNTRY, v1::AGE_GROUP_UNDER_18,
          Day(2024, 1, 1), 28);

  const std::string html = RenderReportHtml(report);
  EXPECT_EQ(Bars(html), (Charted{{{"all", "area", "before"}, 74},
                                 {{"all", "area", "after"}, 50},
                                 {{"all", "control_areas", "before"}, 70},
                                 {{"all", "control_areas", "after"}, 65},
                                 {{"under_18", "area", "before"}, 90},
                                 {{"under_18", "area", "after"}, 52},
                                 {{"under_18", "country", "before"}, 28},
                                 {{"18_and_over", "area", "before"}, 60},
                                 {{"18_and_over", "area", "after"}, 59}}));
  // The rule is on the page; a missing figure reads "none" in the table.
  EXPECT_NE(html.find("on or before the adoption of the programme (2024-03-01)"),
            std::string::npos);
  EXPECT_NE(TableById(html, "effect-under-18").find("<td>none</td>"), std::string::npos);
  EXPECT_NE(TableById(html, "effect-under-18").find("52 (2026-06-30)"), std::string::npos);
  EXPECT_NE(TableById(html, "effect-18-and-over").find("59 (2026-01-01)"), std::string::npos);

  // Figures frozen without the adoption's date: before is the earliest measurement.
  f.clear_programme_adopted_on();
  const Charted old = Bars(RenderReportHtml(report));
  EXPECT_EQ(old.at({"all", "area", "before"}), 80);
  EXPECT_EQ(old.at({"all", "area", "after"}), 50);
}

TEST(ReportHtmlTest, EachGoalIsSetAgainstTheMeasureItNames) {
  v1::SubmittedReport report = Report();
  v1::AreaDashboard& f = *report.mutable_report()->mutable_figures();
  f.set_median_days_to_plan(23);
  auto goal = [&](const std::string& id, const std::string& measure) {
    v1::ProgrammeGoal* g = f.add_goals();
    g->set_goal_id(id);
    g->set_description(absl::StrCat("Goal ", id));
    g->set_measure(measure);
  };
  goal("safety", "safety_index");
  goal("speed", "median_days_to_plan");
  goal("discussion", "median_days_to_first_discussion");  // none computed: -1
  goal("other", "safety");                                // no such measure
  const auto area = v1::MEASUREMENT_SCOPE_AREA;
  f.set_median_days_to_first_discussion(-1);
  Measure(f, "safety_index", area, v1::AGE_GROUP_UNSPECIFIED, Day(2026, 1, 10), 62);
  Measure(f, "safety_index", area, v1::AGE_GROUP_UNSPECIFIED, Day(2026, 5, 10), 68);
  Measure(f, "safety_index", area, v1::AGE_GROUP_UNSPECIFIED, Day(2026, 8, 10), 70);  // later
  Measure(f, "safety_index", v1::MEASUREMENT_SCOPE_COUNTRY, v1::AGE_GROUP_UNSPECIFIED,
          Day(2026, 6, 1), 80);

  const std::string goals = TableById(RenderReportHtml(report), "goals-table");
  EXPECT_NE(goals.find("<th scope=\"row\">Goal safety</th><td>safety_index</td><td>0</td><td>0</"
                       "td><td>68 (2026-05-10)</td>"),
            std::string::npos)
      << goals;
  EXPECT_NE(goals.find("<td>median_days_to_plan</td><td>0</td><td>0</td><td>23 (median in the "
                       "period)</td>"),
            std::string::npos)
      << goals;
  EXPECT_NE(goals.find("<td>median_days_to_first_discussion</td><td>0</td><td>0</td><td>none</td>"),
            std::string::npos);
  EXPECT_NE(goals.find("<td>safety</td><td>0</td><td>0</td><td>none</td>"), std::string::npos);
}

TEST(ReportHtmlTest, MissingReportsAndTheBodiesMeetingsInThePeriod) {
  v1::SubmittedReport report = Report();
  v1::AreaDashboard& f = *report.mutable_report()->mutable_figures();
  EXPECT_NE(
      TableById(RenderReportHtml(report), "reports-missing").find("<td colspan=\"3\">none</td>"),
      std::string::npos);

  v1::MissingReport* late = f.add_reports_missing();
  *late->mutable_half_year_end() = Day(2025, 6, 30);
  late->mutable_flagged_at()->set_seconds(1753920000);    // 2025-07-31
  late->mutable_submitted_at()->set_seconds(1754179200);  // 2025-08-03
  v1::MissingReport* still = f.add_reports_missing();
  *still->mutable_half_year_end() = Day(2025, 12, 31);
  still->mutable_flagged_at()->set_seconds(1769904000);  // 2026-02-01

  v1::BodyView* ssp = f.add_bodies();
  ssp->set_name("Local SSP");
  ssp->mutable_cadence()->set_every_weeks(4);
  ssp->set_meetings_last_year(13);
  ssp->set_meetings_in_period(6);
  v1::BodyView* before = f.add_bodies();  // frozen before meetings_in_period: counted from held_at
  before->set_name("Board");
  before->mutable_cadence()->set_min_meetings_per_year(2);
  before->set_meetings_last_year(3);
  for (int64_t at : {1735732800 /* 2025-01-01 */, 1767268800 /* 2026-01-01 */,
                     1782820800 /* 2026-06-30 */, 1782907200 /* 2026-07-01 */}) {
    before->add_held_at()->set_seconds(at);
  }

  const std::string html = RenderReportHtml(report);
  const std::string missing = TableById(html, "reports-missing");
  EXPECT_NE(missing.find("<th scope=\"row\">2025-06-30</th><td>2025-07-31</td><td>submitted late, "
                         "2025-08-03</td>"),
            std::string::npos)
      << missing;
  EXPECT_NE(missing.find("<th scope=\"row\">2025-12-31</th><td>2026-02-01</td><td>still "
                         "missing</td>"),
            std::string::npos)
      << missing;
  const std::string bodies = TableById(html, "bodies-table");
  EXPECT_NE(bodies.find("Meetings held in the period"), std::string::npos);
  EXPECT_NE(bodies.find("<th scope=\"row\">Local SSP</th><td>unspecified</td><td>every 4 "
                        "weeks</td><td>6</td>"),
            std::string::npos)
      << bodies;
  EXPECT_NE(bodies.find("<th scope=\"row\">Board</th><td>unspecified</td><td>at least 2 a "
                        "year</td><td>2</td>"),
            std::string::npos)
      << bodies;
}

}  // namespace
}  // namespace hotspot::cli
