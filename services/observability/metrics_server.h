// MetricsServer: Prometheus's pull endpoint, http://<address>/metrics, in the text exposition
// format (prometheus-cpp's Exposer on civetweb, from Debian). Plain HTTP, no authentication:
// serve it where only the scraper reaches (hotspotd: loopback unless told otherwise).
//
// CallbackCollector: metrics read at each scrape from what already counts them (the store's
// statistics, the views' checkpoints), so that nothing below the server knows of Prometheus.
//
// Thread-safety: scrapes run on the server's threads; a collector's callback must be safe to
// call from them, concurrently with everything else.
#ifndef HOTSPOT_SERVICES_OBSERVABILITY_METRICS_SERVER_H_
#define HOTSPOT_SERVICES_OBSERVABILITY_METRICS_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace prometheus {
class Exposer;
}

namespace hotspot::observability {

class MetricsServer {
 public:
  // Serves `collectables` (kept alive by the server) on `addresses` ("127.0.0.1:9464",
  // "[::1]:0"; port 0 picks a free one). UNAVAILABLE naming "metrics_listen" if it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::vector<std::string>& addresses,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  // Stops serving; returns once no scrape is running (collectors may be destroyed then).
  ~MetricsServer();

  // The port of the first address.
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port,
                std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
  const std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

// Families made by a callback at each scrape.
class CallbackCollector final : public prometheus::Collectable {
 public:
  explicit CallbackCollector(std::function<std::vector<prometheus::MetricFamily>()> collect)
      : collect_(std::move(collect)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return collect_(); }

 private:
  const std::function<std::vector<prometheus::MetricFamily>()> collect_;
};

// Builds the families a CallbackCollector returns: a family of counters or gauges with one
// sample per label set.
class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, prometheus::MetricType type);
  // Adds a sample with `labels` (name, value pairs).
  FamilyBuilder& Sample(double value, std::vector<std::pair<std::string, std::string>> labels = {});
  // The family; the builder is left empty.
  prometheus::MetricFamily Build() { return std::move(family_); }

 private:
  prometheus::MetricFamily family_;
};

}  // namespace hotspot::observability

#endif  // HOTSPOT_SERVICES_OBSERVABILITY_METRICS_SERVER_H_
