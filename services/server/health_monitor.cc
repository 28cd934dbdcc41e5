#include "services/server/health_monitor.h"

#include "glog/logging.h"
#include "hotspot/v1/admin_service.grpc.pb.h"
#include "hotspot/v1/audit_service.grpc.pb.h"
#include "hotspot/v1/command_service.grpc.pb.h"
#include "hotspot/v1/query_service.grpc.pb.h"
#include "hotspot/v1/subscription_service.grpc.pb.h"

namespace hotspot::server {

HealthMonitor::HealthMonitor(grpc::HealthCheckServiceInterface* health,
                             const store::EventStore* events, const projections::Projector* views,
                             uint64_t start_head, const ErasureExecutor* erasures,
                             const projections::DeadlineProcess* deadlines,
                             absl::Duration interval)
    : health_(health),
      events_(events),
      views_(views),
      start_head_(start_head),
      erasures_(erasures),
      deadlines_(deadlines),
      interval_(interval) {
  Check();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(interval_)) Check();
  });
}

HealthMonitor::~HealthMonitor() {
  stop_.Notify();
  thread_.join();
}

void HealthMonitor::Check() {
  absl::Status projection;
  views_->Status(&projection);
  if (!caught_up_) caught_up_ = views_->position() >= start_head_;
  const bool writes = events_->WriteStatus().ok();
  const bool reads = caught_up_ && projection.ok();
  std::map<std::string, bool> now = {
      {v1::CommandService::service_full_name(), writes},
      {v1::QueryService::service_full_name(), reads},
      {v1::AuditService::service_full_name(), reads},
      {v1::SubscriptionService::service_full_name(), true},
      {v1::AdminService::service_full_name(), true},
      {"", writes && reads},
  };
  if (erasures_ != nullptr) {
    now[kErasureExecutorHealth] = erasures_->Status().consecutive_failures == 0;
  }
  if (deadlines_ != nullptr) {
    now[kDeadlineProcessHealth] = deadlines_->Status().consecutive_failed_passes == 0;
  }
  for (const auto& [service, serving] : now) {
    const auto it = reported_.find(service);
    if (it != reported_.end() && it->second == serving) continue;
    health_->SetServingStatus(service, serving);
    if (it != reported_.end() || !serving) {
      LOG(INFO) << "event=health service=" << (service.empty() ? "(server)" : service)
                << " status=" << (serving ? "SERVING" : "NOT_SERVING");
    }
    reported_[service] = serving;
  }
}

}  // namespace hotspot::server
