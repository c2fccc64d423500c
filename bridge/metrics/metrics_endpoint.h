// MetricsEndpoint: serves a Prometheus registry as text at GET /metrics on
// its own HTTP port (prometheus-cpp's Exposer, civetweb).
#ifndef NEOBRIDGE_BRIDGE_METRICS_METRICS_ENDPOINT_H_
#define NEOBRIDGE_BRIDGE_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace neobridge::metrics {

class MetricsEndpoint {
 public:
  // Listens on `listen` ("HOST:PORT"; HOST an IPv4 address or a name such
  // as localhost, as Debian's civetweb is built without IPv6; port 0 picks a
  // free port) and serves `registry` at GET /metrics from civetweb's own
  // threads until destroyed. Errors name the --metrics-listen flag:
  // INVALID_ARGUMENT when `listen` is not HOST:PORT, UNAVAILABLE when it
  // cannot be bound (port in use, not an address of this host). Never
  // throws.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& listen,
      std::shared_ptr<prometheus::Registry> registry);

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  // Stops listening and joins civetweb's threads. Blocks up to about 2 s
  // once a scrape has been served (civetweb's poll interval).
  ~MetricsEndpoint();

  // The port actually bound (resolves port 0).
  int port() const { return port_; }

 private:
  MetricsEndpoint(std::shared_ptr<prometheus::Registry> registry,
                  std::unique_ptr<prometheus::Exposer> exposer, int port);

  // Declared before exposer_, so it is destroyed after the server stops.
  const std::shared_ptr<prometheus::Registry> registry_;
  const std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
};

}  // namespace neobridge::metrics

#endif  // NEOBRIDGE_BRIDGE_METRICS_METRICS_ENDPOINT_H_
