#include "services/observability/metrics_server.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "prometheus/exposer.h"

namespace hotspot::observability {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::vector<std::string>& addresses,
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  const std::string ports = absl::StrJoin(addresses, ",");
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // civetweb's options: two threads serve scrapes (a scraper every few seconds), and a
    // connection that sends nothing is closed after 10 s.
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", ports, "num_threads", "2", "request_timeout_ms", "10000"});
  } catch (const std::exception& e) {  // civetweb throws when it cannot bind
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot serve on ", ports, ": ", e.what()));
  }
  const std::vector<int> bound = exposer->GetListeningPorts();
  if (bound.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics_listen: cannot serve on ", ports));
  }
  for (const auto& collectable : collectables) exposer->RegisterCollectable(collectable);
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), bound[0], std::move(collectables)));
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port,
                             std::vector<std::shared_ptr<prometheus::Collectable>> collectables)
    : exposer_(std::move(exposer)), port_(port), collectables_(std::move(collectables)) {}

MetricsServer::~MetricsServer() { exposer_.reset(); }  // civetweb joins its threads

FamilyBuilder::FamilyBuilder(std::string name, std::string help, prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

FamilyBuilder& FamilyBuilder::Sample(double value,
                                     std::vector<std::pair<std::string, std::string>> labels) {
  prometheus::ClientMetric metric;
  for (auto& [name, label_value] : labels) {
    metric.label.push_back({std::move(name), std::move(label_value)});
  }
  if (family_.type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family_.metric.push_back(std::move(metric));
  return *this;
}

}  // namespace hotspot::observability
