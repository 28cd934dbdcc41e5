// hotspotd's own metrics beside the calls' (observability/call_observer.h), read from the parts
// that count them, at each scrape or as they happen:
//
//   hotspot_store_commit_appends         histogram: appends made durable by one fsync (the
//                                        group commit's group size)
//   hotspot_store_fsync_seconds          histogram: that fsync's time (with --sync only)
//   hotspot_store_appends_total, hotspot_store_events_written_total, hotspot_store_syncs_total
//   hotspot_store_head_position          the log's last position
//   hotspot_store_accepting_writes       1, or 0 once a failed write or fsync stopped appends
//   hotspot_view_position{view}, hotspot_view_lag_events{view}
//                                        each view's checkpoint, and how far behind the head
//   hotspot_view_rebuild_lag_events{view} a blue/green rebuild's distance to the live view
//   hotspot_projection_failed            1 if the projection stopped on an error
//   hotspot_subscribers, hotspot_subscribers_max
//   hotspot_access_log_records_written_total   access records written since the start
//   hotspot_erasure_executor_erasures_total, _position, _last_run_timestamp_seconds,
//   _last_erasure_timestamp_seconds, _failed (1 while its last try failed),
//   _consecutive_failures
//   hotspot_deadline_passes_total, _events_appended_total, _last_pass_timestamp_seconds,
//   _failed_items (in the last pass), _consecutive_failed_passes   (with the deadline process)
//   hotspot_log_verification_runs_total, _failed_runs_total, _verified_position,
//   _last_completed_timestamp_seconds, hotspot_log_broken (1 once a break was found)
//   hotspot_command_stream_cache_bytes, _streams
//                                        the command handler's parsed streams
//                                        (commands::StreamCache; bounded by
//                                        --command_stream_cache_mb)
//   hotspot_connections_open, _max, _accepted_total, _refused_total
//                                        kept by the connection limiter (connection_limit.h)
//
// Nothing personal: counts, positions, times and view names only.
//
// Thread-safety: as for observability::CallbackCollector; the parts are read through their own
// thread-safe accessors.
#ifndef HOTSPOT_SERVICES_SERVER_SERVER_METRICS_H_
#define HOTSPOT_SERVICES_SERVER_SERVER_METRICS_H_

#include <memory>

#include "prometheus/collectable.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/audit/access_log.h"
#include "services/commands/command_handler.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/server/erasure_executor.h"
#include "services/server/log_verifier.h"
#include "services/subscriptions/subscription_service.h"
#include "store/event_store.h"

namespace hotspot::server {

// The store's commits as they happen (store::Options::on_commit).
class CommitMetrics {
 public:
  // Registers the histograms in `registry`, which must outlive this. `fsync`: whether the store
  // syncs (without, there is no fsync to time).
  CommitMetrics(prometheus::Registry& registry, bool fsync);
  // Thread-safe.
  void Observe(const store::CommitInfo& commit);

 private:
  prometheus::Histogram& appends_;
  prometheus::Histogram& fsync_seconds_;
  const bool fsync_;
};

// What the collector reads. Not owned; `deadlines` may be null (no deadline process). All must
// outlive every scrape: stop the metrics server before destroying any.
struct MonitoredParts {
  const store::EventStore* events = nullptr;
  const projections::Projector* views = nullptr;
  const subscriptions::SubscriptionService* subscriptions = nullptr;
  int max_subscribers = 0;
  const audit::AccessLog* access_log = nullptr;
  const ErasureExecutor* erasures = nullptr;
  const projections::DeadlineProcess* deadlines = nullptr;
  const LogVerifier* log_verifier = nullptr;  // null: none
  const store::MemoryBudget* memory = nullptr;
  const commands::CommandHandler* commands = nullptr;  // null: none
};

// The collector of everything above but the commit histograms. Access records are counted
// from the access log's sequence number as it is now.
std::shared_ptr<prometheus::Collectable> PartsCollector(MonitoredParts parts);

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_SERVER_METRICS_H_
