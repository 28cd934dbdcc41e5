// The chief's frozen report (hotspot.v1.SubmittedReport, QueryService.GetReport) as one
// self-contained HTML page: no scripts, no external style sheets, images or fonts; the charts
// are inline SVG, and each chart has a table of the same figures for screen readers.
//
// The effect chart is the handbook's (004): charges per 1,000 youth (measure
// "charges_per_1000_youth") before and after, for the area, the control areas and the whole
// country; once for all ages, and once each for under 18 and 18 and over. Per scope and age:
//   before: the last measurement on or before the programme's adoption
//           (AreaDashboard.programme_adopted_on; in figures frozen without it, the earliest);
//   after:  the last measurement after the adoption up to the report period's end (the figure
//           as it stood then; yearly figures are dated 31 December).
// A missing one has no bar and reads "none" in the table. Each bar is an SVG <rect> carrying
// data-age ("all", "under_18", "18_and_over"), data-scope ("area", "control_areas", "country"),
// data-when ("before", "after") and data-value (the figure, as frozen); the other charts' bars
// carry data-series, data-key and data-value. A test can read those back and compare them with
// the frozen figures.
//
// The programme's goals are set against their measure by its exact name: the area's latest
// measurement (all ages) up to the period's end, or the period's computed median_days_to_plan /
// median_days_to_first_discussion. The bodies' table gives the meetings held within the period;
// the half-years flagged without their half-yearly report are listed ("none" if none).
//
// Thread-safety: pure functions.
#ifndef HOTSPOT_CLIENTS_CLI_REPORT_HTML_H_
#define HOTSPOT_CLIENTS_CLI_REPORT_HTML_H_

#include <string>

#include "hotspot/v1/query_service.pb.h"

namespace hotspot::cli {

// The measure the effect chart reads.
inline constexpr char kChargesMeasure[] = "charges_per_1000_youth";

// The page for `report`. Never fails: missing figures are shown as "none".
std::string RenderReportHtml(const v1::SubmittedReport& report);

}  // namespace hotspot::cli

#endif  // HOTSPOT_CLIENTS_CLI_REPORT_HTML_H_
