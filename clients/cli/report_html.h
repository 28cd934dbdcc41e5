// The chief's frozen report (hotspot.v1.SubmittedReport, QueryService.GetReport) as one
// self-contained HTML page: no scripts, no external style sheets, images or fonts; the charts
// are inline SVG, and each chart has a table of the same figures for screen readers.
//
// The effect chart is the handbook's (004): charges per 1,000 youth before and after, for the
// area, the control areas and the whole country (measure "charges_per_1000_youth", all ages;
// before: the earliest measurement of a scope, after: the latest). Each bar is an SVG <rect>
// carrying data-scope ("area", "control_areas", "country"), data-when ("before", "after") and
// data-value (the figure, as frozen); the other charts' bars carry data-series, data-key and
// data-value. A test can read those back and compare them with the frozen figures.
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
