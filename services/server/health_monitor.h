// HealthMonitor: keeps the standard health service (grpc.health.v1.Health, gRPC's own, with
// Check and Watch) telling, per service, whether hotspotd can answer it now:
//
//   hotspot.v1.CommandService    NOT_SERVING while the event store refuses appends (after a
//                                failed write or fsync, a full disk say, until a restart)
//   hotspot.v1.QueryService,     NOT_SERVING from the start until the views have caught up with
//   hotspot.v1.AuditService      the log as it stood at the start, and if the projection stops
//                                on an error
//   hotspot.v1.SubscriptionService, hotspot.v1.AdminService
//                                SERVING (they read the log itself; Admin is how an operator
//                                looks into the rest)
//   "" (the server as a whole)   SERVING only while every one of them is
//
// and, per background process (not part of ""; a balancer gains nothing by taking the server
// out of rotation for them, but an operator must see them):
//
//   hotspot.ErasureExecutor      NOT_SERVING while its last try failed (it tries again itself)
//   hotspot.DeadlineProcess      NOT_SERVING while its last pass had a failed item (hotspotd
//                                with the deadline process only)
//
// After the catch-up, a view that falls behind under load stays SERVING: a query that must see a
// write passes its position (min_position) and waits for it. gRPC's health service turns every
// status NOT_SERVING when the server shuts down.
//
// Thread-safety: a thread of its own looks every `interval`; the destructor stops it.
#ifndef HOTSPOT_SERVICES_SERVER_HEALTH_MONITOR_H_
#define HOTSPOT_SERVICES_SERVER_HEALTH_MONITOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/projections/deadline_process.h"
#include "services/projections/projector.h"
#include "services/server/erasure_executor.h"
#include "store/event_store.h"

namespace hotspot::server {

// The health service names of the background processes.
inline constexpr char kErasureExecutorHealth[] = "hotspot.ErasureExecutor";
inline constexpr char kDeadlineProcessHealth[] = "hotspot.DeadlineProcess";

class HealthMonitor {
 public:
  // Sets every status at once (queries NOT_SERVING until the views reach `start_head`), then
  // keeps them. None of the pointers is owned; all must outlive the monitor.
  // `erasures` and `deadlines` may be null (none).
  HealthMonitor(grpc::HealthCheckServiceInterface* health, const store::EventStore* events,
                const projections::Projector* views, uint64_t start_head,
                const ErasureExecutor* erasures, const projections::DeadlineProcess* deadlines,
                absl::Duration interval = absl::Milliseconds(200));
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

 private:
  // Looks once; sets the statuses that changed.
  void Check();

  grpc::HealthCheckServiceInterface* const health_;
  const store::EventStore* const events_;
  const projections::Projector* const views_;
  const uint64_t start_head_;
  const ErasureExecutor* const erasures_;
  const projections::DeadlineProcess* const deadlines_;
  const absl::Duration interval_;
  bool caught_up_ = false;                // the monitor's thread only
  std::map<std::string, bool> reported_;  // the monitor's thread only
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_HEALTH_MONITOR_H_
