// The views hotspotd keeps: one list, for the server and the tests.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_
#define HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_

#include <memory>
#include <vector>

#include "services/projections/view.h"
#include "services/security/identity_digest.h"
#include "services/security/sealer.h"

namespace hotspot::projections {

// Cases, commitments, escalations, meetings and bodies, area measurements, the subject index,
// and the duplicate index (which unseals identifying data with `sealer` and digests it with
// `digester`; `sealer` is not owned and must outlive the views).
std::vector<std::unique_ptr<View>> AllViews(security::Sealer* sealer,
                                            security::IdentityDigester digester);

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_ALL_VIEWS_H_
