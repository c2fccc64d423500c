// Metrics: the bridge's Prometheus registry. Records the gRPC server side
// (through a server interceptor) and the upstream side (as the
// client::UpstreamObserver of the client and stream layers).
#ifndef NEOBRIDGE_BRIDGE_METRICS_METRICS_H_
#define NEOBRIDGE_BRIDGE_METRICS_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bridge/client/upstream_observer.h"
#include "bridge/metrics/grpc_server_metrics.h"

namespace neobridge::metrics {

// Owns the registry and every family in it:
//  - grpc_server_started_total, grpc_server_handled_total,
//    grpc_server_handling_seconds (unary only), grpc_server_msg_received_total,
//    grpc_server_msg_sent_total, as go-grpc-prometheus names them;
//  - neobridge_upstream_requests_total{operation,method,code},
//    neobridge_upstream_request_duration_seconds{operation,method},
//    neobridge_upstream_retries_total{operation,reason},
//    neobridge_stream_reconnects_total, neobridge_active_streams,
//    neobridge_upstream_streams, neobridge_stream_slow_callers_total;
//  - neobridge_build_info{version} = 1.
// Label values come from bounded sets only (method, operation and code
// names), never from request contents. Thread-safe; never blocks beyond a
// short internal lock.
class Metrics final : public client::UpstreamObserver {
 public:
  // `version` is the build_info label, e.g. "0.1.0".
  explicit Metrics(std::string_view version);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // client::UpstreamObserver. `operation`, `method`, `outcome` and `reason`
  // become label values as given.
  void OnUpstreamRequest(std::string_view operation, std::string_view method,
                         std::string_view outcome,
                         absl::Duration latency) override;
  void OnUpstreamRetry(std::string_view operation,
                       std::string_view reason) override;
  void OnStreamReconnect() override;
  void OnActiveStreams(int delta) override;
  void OnUpstreamStreams(int delta) override;
  void OnSlowCallerEnded() override;

  // A new server interceptor factory recording grpc_server_* into this
  // registry; see NewServerMetricsInterceptorFactory for what it counts.
  // Install it with grpc::ServerBuilder::experimental()
  // .SetInterceptorCreators(). The factory and its interceptors keep what
  // they record into alive, so they may outlive this object.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewServerInterceptorFactory();

  // The registry, for MetricsEndpoint (or any other exposer).
  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }

  // The registry in the Prometheus text exposition format, as served at
  // /metrics. For tests and diagnostics.
  std::string TextExposition() const;

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
  const std::shared_ptr<GrpcServerMetrics> grpc_server_;
  prometheus::Family<prometheus::Counter>& upstream_requests_;
  prometheus::Family<prometheus::Histogram>& upstream_duration_;
  prometheus::Family<prometheus::Counter>& upstream_retries_;
  prometheus::Counter& stream_reconnects_;
  prometheus::Gauge& active_streams_;
  prometheus::Gauge& upstream_streams_;
  prometheus::Counter& slow_callers_;
};

}  // namespace neobridge::metrics

#endif  // NEOBRIDGE_BRIDGE_METRICS_METRICS_H_
