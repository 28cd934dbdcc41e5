// View: one projection. It folds events, in log order, into rows (see Rows). Apply() must be
// deterministic: the same events give the same rows, whether live, rebuilt or in memory.
#ifndef HOTSPOT_SERVICES_PROJECTIONS_VIEW_H_
#define HOTSPOT_SERVICES_PROJECTIONS_VIEW_H_

#include <string>

#include "absl/status/status.h"
#include "hotspot/v1/events.pb.h"
#include "services/projections/rows.h"
#include "store/event_store.h"

namespace hotspot::projections {

class View {
 public:
  virtual ~View() = default;
  // The view's name and version, e.g. "cases.v5": its column family and checkpoint.
  virtual std::string name() const = 0;
  // Applies one event (`event` is `recorded`'s payload, parsed). Events it has no use for
  // leave the rows alone. An error stops the projection (DATA_LOSS for a corrupt row).
  virtual absl::Status Apply(const store::RecordedEvent& recorded, const v1::Event& event,
                             Rows& rows) = 0;
  // True if the rows that applying `event` deletes must not stay behind in the database's
  // files (what an erasure removes, for a view that holds more than sealed data): the projector
  // then flushes the views and compacts this view's family once the batch is written, so that
  // the deleted rows leave every file. Costly; for rare events. Default: false.
  virtual bool Purges(const v1::Event& event) const { return false; }
};

}  // namespace hotspot::projections

#endif  // HOTSPOT_SERVICES_PROJECTIONS_VIEW_H_
