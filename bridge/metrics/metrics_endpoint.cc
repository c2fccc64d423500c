#include "bridge/metrics/metrics_endpoint.h"

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace neobridge::metrics {
namespace {

// Whether `listen` looks like HOST:PORT with a port in 0..65535.
bool IsHostPort(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const absl::string_view port = absl::string_view(listen).substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int value = 0;
  return absl::SimpleAtoi(port, &value) && value <= 65535;
}

// civetweb's own text ("null context when constructing CivetServer") says
// nothing a user can act on, so the message does not include it.
absl::Status CannotListen(const std::string& listen) {
  return absl::UnavailableError(absl::StrCat(
      "--metrics-listen: cannot listen on ", listen,
      " (address in use, or not an address of this host?); choose a free "
      "port, or port 0 for any free port"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  if (!IsHostPort(listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: expected HOST:PORT (e.g. "
                     "127.0.0.1:9464), got \"",
                     listen, "\""));
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  std::vector<int> ports;
  // prometheus-cpp and civetweb report failures as exceptions; none leaves
  // this function.
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/2);
    exposer->RegisterCollectable(registry, "/metrics");
    ports = exposer->GetListeningPorts();
  } catch (...) {
    return CannotListen(listen);
  }
  if (ports.empty() || ports.front() <= 0) return CannotListen(listen);
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(registry), std::move(exposer), ports[0]));
}

MetricsEndpoint::MetricsEndpoint(std::shared_ptr<prometheus::Registry> registry,
                                 std::unique_ptr<prometheus::Exposer> exposer,
                                 int port)
    : registry_(std::move(registry)),
      exposer_(std::move(exposer)),
      port_(port) {}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace neobridge::metrics
