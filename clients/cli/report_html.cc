#include "clients/cli/report_html.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hotspot/v1/types.pb.h"
#include "services/common/html.h"

namespace hotspot::cli {
namespace {

std::string Escape(absl::string_view text) { return common::HtmlEscape(text); }

std::string DateText(const v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// A figure as the page shows it and as data-value carries it: shortest exact form ("75", "9.5").
std::string Num(double v) { return absl::StrFormat("%g", v); }

std::string Days(double median) { return median < 0 ? "none" : Num(median); }

// An enum value's name without its prefix, in lower case: ESCALATION_LEVEL_DIRECTOR -> "director".
std::string EnumName(const google::protobuf::EnumDescriptor* type, int value,
                     absl::string_view prefix) {
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  std::string name = v->name();
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

std::string ScopeName(v1::MeasurementScope scope) {
  return EnumName(v1::MeasurementScope_descriptor(), scope, "MEASUREMENT_SCOPE_");
}

// A timestamp's day (UTC).
v1::Date DayOf(const google::protobuf::Timestamp& t) {
  const absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// A day, comparable: (year, month, day).
std::tuple<int, int, int> DayKey(const v1::Date& d) {
  return std::make_tuple(d.year(), d.month(), d.day());
}

bool InPeriod(const v1::Date& d, const v1::AreaDashboard& f) {
  return DayKey(d) >= DayKey(f.period_start()) && DayKey(d) <= DayKey(f.period_end());
}

std::string Table(absl::string_view caption, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows, absl::string_view id = "") {
  std::string out = absl::StrCat("<table", id.empty() ? "" : absl::StrCat(" id=\"", id, "\""),
                                 "><caption>", Escape(caption), "</caption><thead><tr>");
  for (const std::string& h : header)
    absl::StrAppend(&out, "<th scope=\"col\">", Escape(h), "</th>");
  absl::StrAppend(&out, "</tr></thead><tbody>");
  if (rows.empty()) {
    absl::StrAppend(&out, "<tr><td colspan=\"", header.size(), "\">none</td></tr>");
  }
  for (const auto& row : rows) {
    absl::StrAppend(&out, "<tr>");
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "<th scope=\"row\">" : "<td>", Escape(row[i]),
                      i == 0 ? "</th>" : "</td>");
    }
    absl::StrAppend(&out, "</tr>");
  }
  return absl::StrCat(out, "</tbody></table>\n");
}

struct Bar {
  std::string label;
  std::string sublabel;  // a second line under the label ("before"), or ""
  double value = 0;
  std::string attributes;  // data-* of the bar
  const char* fill = "#1f5f8b";
};

// A vertical bar chart; `table_id` names the table of the same figures. Labels too wide for
// their bar are set at a slant. `legend`: a line of text over the bars, or "".
std::string BarChart(absl::string_view title, const std::vector<Bar>& bars,
                     absl::string_view table_id, absl::string_view unit = "",
                     absl::string_view legend = "") {
  const int width = 640, top = 34, left = 40;
  double max = 0;
  size_t longest = 0;
  for (const Bar& b : bars) {
    max = std::max(max, b.value);
    longest = std::max(longest, b.label.size());
  }
  if (max <= 0) max = 1;
  const double slot = bars.empty() ? 0 : static_cast<double>(width - left - 10) / bars.size();
  const bool slanted = longest * 6.5 > slot;
  const int bottom = slanted ? 30 + static_cast<int>(longest * 4.5) : 50;
  const int height = 210 + bottom;
  const int plot = height - top - bottom;
  std::string out = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\" aria-labelledby=\"%s-title\" aria-describedby=\"%s\">"
      "<title id=\"%s-title\">%s</title>"
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>",
      width, height, width, height, table_id, table_id, table_id, Escape(title), left,
      height - bottom, width - 10, height - bottom);
  if (!legend.empty()) {
    absl::StrAppendFormat(&out, "<text x=\"%d\" y=\"14\" font-size=\"12\">%s</text>", left,
                          Escape(legend));
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double h = plot * b.value / max;
    const double x = left + slot * i + slot * 0.15;
    const double w = slot * 0.7;
    const double y = height - bottom - h;
    const double cx = x + w / 2;
    const int ly = height - bottom + 16;
    absl::StrAppendFormat(
        &out,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" %s "
        "data-value=\"%s\"><title>%s %s: %s%s</title></rect>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">%s%s</text>",
        x, y, w, h, b.fill, b.attributes, Num(b.value), Escape(b.label), Escape(b.sublabel),
        Num(b.value), unit, cx, y - 4, Num(b.value), unit);
    if (slanted) {
      absl::StrAppendFormat(&out,
                            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" font-size=\"11\" "
                            "transform=\"rotate(-30 %.1f %d)\">%s</text>",
                            cx, ly, cx, ly, Escape(b.label));
    } else {
      absl::StrAppendFormat(&out,
                            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                            "font-size=\"11\">%s</text>",
                            cx, ly, Escape(b.label));
    }
    if (!b.sublabel.empty()) {
      absl::StrAppendFormat(&out,
                            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                            "font-size=\"11\">%s</text>",
                            cx, ly + 14, Escape(b.sublabel));
    }
  }
  return absl::StrCat(out, "</svg>\n");
}

// Per scope, the charges per 1,000 youth of one age group before and after the programme:
// before, the last measurement on or before the programme's adoption (figures of before that
// date: the earliest measurement); after, the last measurement after the adoption up to the
// report period's end (the figure as it stood then: yearly figures are dated 31 December, so a
// half-year often holds none of its own). Either may be missing.
struct BeforeAfter {
  std::optional<v1::Measurement> before, after;
};
std::map<int, BeforeAfter> Effect(const v1::AreaDashboard& f, v1::AgeGroup age) {
  const bool adopted = f.has_programme_adopted_on();
  const auto adoption = DayKey(f.programme_adopted_on());
  std::map<int, BeforeAfter> out;
  for (const v1::Measurement& m : f.measurements()) {
    if (m.measure() != kChargesMeasure || m.age_group() != age) continue;
    BeforeAfter& ba = out[m.scope()];
    const auto day = DayKey(m.measured_on());
    if (adopted ? day <= adoption && (!ba.before || day >= DayKey(ba.before->measured_on()))
                : !ba.before || day < DayKey(ba.before->measured_on())) {
      ba.before = m;
    }
    if (day <= DayKey(f.period_end()) && (!adopted || day > adoption) &&
        (!ba.after || day >= DayKey(ba.after->measured_on()))) {
      ba.after = m;
    }
  }
  return out;
}

std::string Dated(const std::optional<v1::Measurement>& m) {
  return m ? absl::StrCat(Num(m->value()), " (", DateText(m->measured_on()), ")") : "none";
}

constexpr v1::MeasurementScope kScopes[] = {
    v1::MEASUREMENT_SCOPE_AREA, v1::MEASUREMENT_SCOPE_CONTROL_AREAS, v1::MEASUREMENT_SCOPE_COUNTRY};
constexpr const char* kScopeLabels[] = {"Hotspot area", "Control areas", "Whole country"};

// The effect chart of one age group, and its table: bars with data-age ("all", "under_18",
// "18_and_over"), data-scope and data-when.
std::string EffectChart(const v1::AreaDashboard& f, v1::AgeGroup age, absl::string_view title,
                        absl::string_view table_id) {
  const std::string age_name = age == v1::AGE_GROUP_UNSPECIFIED
                                   ? "all"
                                   : EnumName(v1::AgeGroup_descriptor(), age, "AGE_GROUP_");
  const auto effect = Effect(f, age);
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < 3; ++i) {
    const auto it = effect.find(kScopes[i]);
    if (it == effect.end()) continue;
    const std::string scope = ScopeName(kScopes[i]);
    for (const auto& [when, m] :
         {std::pair{"before", it->second.before}, std::pair{"after", it->second.after}}) {
      if (!m) continue;
      bars.push_back(Bar{kScopeLabels[i], when, m->value(),
                         absl::StrCat("data-age=\"", age_name, "\" data-scope=\"", scope,
                                      "\" data-when=\"", when, "\""),
                         std::string(when) == "before" ? "#1f5f8b" : "#8fb8d6"});
    }
    rows.push_back({kScopeLabels[i], Dated(it->second.before), Dated(it->second.after)});
  }
  return absl::StrCat(BarChart(absl::StrCat(title, ": before and after, by scope"), bars, table_id,
                               "", "Dark: before. Light: after."),
                      Table(title, {"Scope", "Before", "After"}, rows, table_id));
}

// The figures the dashboard computes, by the name a goal's measure gives them.
std::optional<double> Computed(const v1::AreaDashboard& f, absl::string_view measure) {
  double value = -1;
  if (measure == "median_days_to_plan") value = f.median_days_to_plan();
  if (measure == "median_days_to_first_discussion") value = f.median_days_to_first_discussion();
  if (value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::string RenderReportHtml(const v1::SubmittedReport& submitted) {
  const v1::ReportSubmitted& r = submitted.report();
  const v1::AreaDashboard& f = r.figures();
  const std::string period =
      absl::StrCat(DateText(r.period_start()), " – ", DateText(r.period_end()));
  const std::string kind =
      r.kind() == v1::REPORT_KIND_HALF_YEARLY ? "Half-yearly report" : "Ad hoc report";
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      Escape(kind), " · ", Escape(r.area_id()), " · ", Escape(period),
      "</title><style>"
      "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#111;line-height:1.4}"
      "table{border-collapse:collapse;margin:0.5rem 0 1.5rem}"
      "th,td{border:1px solid #999;padding:0.2rem 0.6rem;text-align:left}"
      "caption{font-weight:bold;text-align:left;padding:0.3rem 0}"
      "svg{display:block;margin:0.5rem 0}"
      "@media print{body{margin:0}section{break-inside:avoid}}"
      "</style></head><body>\n<header><h1>",
      Escape(kind), " to the directors: ", Escape(r.area_id()), "</h1><p>Period ", Escape(period),
      ". Submitted ",
      Escape(absl::FormatTime("%Y-%m-%d %H:%M UTC",
                              absl::FromUnixSeconds(submitted.submitted_at().seconds()),
                              absl::UTCTimeZone())),
      " by ", Escape(submitted.submitted_by()), ". Report ", Escape(r.report_id()),
      ", log position ", submitted.position(), ": the figures as they stood then.</p>");
  std::vector<std::string> recipients;
  for (const v1::ReportRecipient& to : r.recipients()) {
    recipients.push_back(absl::StrCat(to.person(), " (", to.agency_id(), ")"));
  }
  absl::StrAppend(&html, "<p>To: ", Escape(absl::StrJoin(recipients, ", ")), "</p>");
  if (!r.note().empty()) absl::StrAppend(&html, "<p>", Escape(r.note()), "</p>");
  absl::StrAppend(&html, "</header>\n");

  // The handbook's effect chart, for all ages and then under and over 18.
  const std::string adoption =
      f.has_programme_adopted_on()
          ? absl::StrCat("the adoption of the programme (", DateText(f.programme_adopted_on()), ")")
          : "the adoption of the programme (not in these figures: the earliest measurement)";
  absl::StrAppend(&html,
                  "<section><h2>Charges per 1,000 youth, before and after</h2><p>Before: the last "
                  "measurement on or before ",
                  Escape(adoption),
                  ". After: the last measurement after the adoption up to the end of the "
                  "report's period (",
                  Escape(period),
                  "). \"none\": no such "
                  "measurement.</p>",
                  EffectChart(f, v1::AGE_GROUP_UNSPECIFIED, "Charges per 1,000 youth (all ages)",
                              "effect-table"),
                  EffectChart(f, v1::AGE_GROUP_UNDER_18, "Charges per 1,000 youth, under 18",
                              "effect-under-18"),
                  EffectChart(f, v1::AGE_GROUP_18_AND_OVER, "Charges per 1,000 youth, 18 and over",
                              "effect-18-and-over"),
                  "</section>\n");
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;

  // Youths and speed.
  absl::StrAppend(&html, "<section><h2>Youths</h2>");
  const std::vector<std::pair<std::string, int>> youths = {{"referred", f.youths_referred()},
                                                           {"accepted", f.youths_accepted()},
                                                           {"active", f.youths_active()},
                                                           {"closed", f.youths_closed()}};
  bars.clear();
  rows.clear();
  for (const auto& [label, n] : youths) {
    bars.push_back(Bar{label, "", static_cast<double>(n),
                       absl::StrCat("data-series=\"youths\" data-key=\"", label, "\"")});
    rows.push_back({label, absl::StrCat(n)});
  }
  absl::StrAppend(&html,
                  BarChart("Youths referred, accepted, active and closed", bars, "youths-table"),
                  Table("Youths in the period (active: at submission)", {"Youths", "Number"}, rows,
                        "youths-table"),
                  Table("Median days from referral", {"To", "Median days"},
                        {{"first discussion", Days(f.median_days_to_first_discussion())},
                         {"an adopted plan", Days(f.median_days_to_plan())}}),
                  "</section>\n");

  // Commitments kept on time, per agency.
  bars.clear();
  rows.clear();
  for (const v1::AgencyCommitmentStats& a : f.commitments_by_agency()) {
    const double percent = 100 * a.share_on_time();
    bars.push_back(
        Bar{a.agency_id(), "", percent,
            absl::StrCat("data-series=\"on_time\" data-key=\"", Escape(a.agency_id()), "\"")});
    rows.push_back({a.agency_id(), absl::StrCat(a.due()), absl::StrCat(a.fulfilled_on_time()),
                    absl::StrCat(a.fulfilled_late()), absl::StrCat(a.open_overdue()),
                    absl::StrCat(Num(percent), "%")});
  }
  absl::StrAppend(&html, "<section><h2>Accepted commitments kept on time</h2>",
                  BarChart("Share of accepted commitments kept on time, per agency", bars,
                           "commitments-table", "%"),
                  Table("Accepted commitments due in the period, per agency",
                        {"Agency", "Due", "On time", "Late", "Open, overdue", "On time"}, rows,
                        "commitments-table"),
                  "</section>\n");

  // Escalations per level.
  rows.clear();
  for (const v1::EscalationLevelStats& e : f.escalations_by_level()) {
    rows.push_back({EnumName(v1::EscalationLevel_descriptor(), e.level(), "ESCALATION_LEVEL_"),
                    absl::StrCat(e.raised()), absl::StrCat(e.resolved()),
                    Days(e.median_days_to_resolve())});
  }
  absl::StrAppend(&html, "<section><h2>Escalations</h2>",
                  Table("Escalations raised in the period, by level",
                        {"Level", "Raised", "Resolved", "Median days to resolve"}, rows),
                  "</section>\n");

  // Each body's cadence: its meetings in the period (counted from the meetings held, in figures
  // frozen before the count was part of them), and whether it kept its cadence at submission.
  rows.clear();
  for (const v1::BodyView& b : f.bodies()) {
    const std::string cadence =
        b.cadence().every_weeks() > 0
            ? absl::StrCat("every ", b.cadence().every_weeks(), " weeks")
            : absl::StrCat("at least ", b.cadence().min_meetings_per_year(), " a year");
    int held = b.meetings_in_period();
    if (!b.has_meetings_in_period()) {
      held = static_cast<int>(std::count_if(
          b.held_at().begin(), b.held_at().end(),
          [&](const google::protobuf::Timestamp& t) { return InPeriod(DayOf(t), f); }));
    }
    rows.push_back({b.name(), EnumName(v1::BodyKind_descriptor(), b.kind(), "BODY_KIND_"), cadence,
                    absl::StrCat(held), b.behind_cadence() ? "no" : "yes"});
  }
  absl::StrAppend(&html, "<section><h2>The bodies' cadence</h2>",
                  Table("Each body's cadence",
                        {"Body", "Kind", "Cadence", "Meetings held in the period",
                         "Keeps its cadence (at submission)"},
                        rows, "bodies-table"),
                  "</section>\n");

  // Half-years the deadline process flagged without their half-yearly report.
  rows.clear();
  for (const v1::MissingReport& m : f.reports_missing()) {
    rows.push_back({DateText(m.half_year_end()), DateText(DayOf(m.flagged_at())),
                    m.has_submitted_at()
                        ? absl::StrCat("submitted late, ", DateText(DayOf(m.submitted_at())))
                        : "still missing"});
  }
  absl::StrAppend(&html, "<section><h2>Half-yearly reports flagged missing</h2>",
                  Table("Half-years flagged without their half-yearly report",
                        {"Half-year ending", "Flagged", "The report"}, rows, "reports-missing"),
                  "</section>\n");

  // Measurements against the programme's goals: a goal names its measure exactly as the
  // measurements carry it (the area's, all ages, the latest up to the period's end), or a figure
  // computed above (median_days_to_plan, median_days_to_first_discussion: the period's).
  std::map<std::string, const v1::Measurement*> latest;  // measure -> the area's latest
  for (const v1::Measurement& m : f.measurements()) {
    if (m.scope() != v1::MEASUREMENT_SCOPE_AREA || m.age_group() != v1::AGE_GROUP_UNSPECIFIED ||
        DayKey(m.measured_on()) > DayKey(f.period_end())) {
      continue;
    }
    const v1::Measurement*& at = latest[m.measure()];
    if (at == nullptr || DayKey(m.measured_on()) >= DayKey(at->measured_on())) at = &m;
  }
  rows.clear();
  for (const v1::ProgrammeGoal& g : f.goals()) {
    const auto it = latest.find(g.measure());
    const std::optional<double> computed = Computed(f, g.measure());
    rows.push_back({g.description(), g.measure(), Num(g.baseline()), Num(g.target()),
                    computed             ? absl::StrCat(Num(*computed), " (median in the period)")
                    : it == latest.end() ? "none"
                                         : absl::StrCat(Num(it->second->value()), " (",
                                                        DateText(it->second->measured_on()), ")")});
  }
  absl::StrAppend(
      &html, "<section><h2>The programme's goals</h2>",
      Table("Measurements set against the programme's goals",
            {"Goal", "Measure", "Baseline", "Target", "Latest in the area"}, rows, "goals-table"));
  rows.clear();
  for (const v1::MeasureDefinition& d : f.measure_definitions()) {
    rows.push_back({d.measure(), d.owning_agency_id(), d.definition(), d.unit()});
  }
  absl::StrAppend(&html, Table("The area's measures, each with its owning agency",
                               {"Measure", "Owner", "Definition", "Unit"}, rows));
  rows.clear();
  for (const v1::Measurement& m : f.measurements()) {
    rows.push_back({m.measure(), ScopeName(m.scope()),
                    m.age_group() == v1::AGE_GROUP_UNSPECIFIED
                        ? "all"
                        : EnumName(v1::AgeGroup_descriptor(), m.age_group(), "AGE_GROUP_"),
                    DateText(m.measured_on()), Num(m.value()), m.source()});
  }
  absl::StrAppend(&html,
                  Table("Every measurement recorded",
                        {"Measure", "Scope", "Age", "Measured on", "Value", "Source"}, rows),
                  "</section>\n</body></html>\n");
  return html;
}

}  // namespace hotspot::cli
