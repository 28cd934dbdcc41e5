// The views hotspotd keeps: one list, for the server and the tests.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_

#include <memory>
#include <vector>

#include "services/projections/view.h"

namespace hotspot::projections {

// Cases, commitments, escalations, meetings and bodies, area measurements.
std::vector<std::unique_ptr<View>> AllViews();

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_
