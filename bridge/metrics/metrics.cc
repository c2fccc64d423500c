#include "bridge/metrics/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>
#include <utility>

namespace neobridge::metrics {

Metrics::Metrics(std::string_view version)
    : registry_(std::make_shared<prometheus::Registry>()),
      grpc_server_(std::make_shared<GrpcServerMetrics>(*registry_)),
      upstream_requests_(
          prometheus::BuildCounter()
              .Name("neobridge_upstream_requests_total")
              .Help("Upstream HTTP exchanges by RPC operation, HTTP method and "
                    "outcome (HTTP status, or the gRPC code name of a "
                    "transport error); each attempt of a retried call counts.")
              .Register(*registry_)),
      upstream_duration_(
          prometheus::BuildHistogram()
              .Name("neobridge_upstream_request_duration_seconds")
              .Help("Time from sending an upstream HTTP request to its "
                    "complete response (to the response head for an event "
                    "stream), in seconds.")
              .Register(*registry_)),
      upstream_retries_(
          prometheus::BuildCounter()
              .Name("neobridge_upstream_retries_total")
              .Help("Upstream requests sent again, by RPC operation and the "
                    "outcome that caused the retry.")
              .Register(*registry_)),
      stream_reconnects_(prometheus::BuildCounter()
                             .Name("neobridge_stream_reconnects_total")
                             .Help("Reconnects of upstream event streams by "
                                   "StreamTaskEvents relays.")
                             .Register(*registry_)
                             .Add({})),
      active_streams_(prometheus::BuildGauge()
                          .Name("neobridge_active_streams")
                          .Help("StreamTaskEvents calls currently open.")
                          .Register(*registry_)
                          .Add({})),
      upstream_streams_(
          prometheus::BuildGauge()
              .Name("neobridge_upstream_streams")
              .Help("Upstream event streams currently open; calls watching "
                    "one task with one credential share one.")
              .Register(*registry_)
              .Add({})),
      slow_callers_(
          prometheus::BuildCounter()
              .Name("neobridge_stream_slow_callers_total")
              .Help("StreamTaskEvents calls ended with RESOURCE_EXHAUSTED "
                    "because they fell too far behind the other callers of "
                    "their task.")
              .Register(*registry_)
              .Add({})) {
  prometheus::BuildGauge()
      .Name("neobridge_build_info")
      .Help("Always 1; the version label is the neo-bridge version.")
      .Register(*registry_)
      .Add({{"version", std::string(version)}})
      .Set(1);
}

void Metrics::OnUpstreamRequest(std::string_view operation,
                                std::string_view method,
                                std::string_view outcome,
                                absl::Duration latency) {
  upstream_requests_
      .Add({{"operation", std::string(operation)},
            {"method", std::string(method)},
            {"code", std::string(outcome)}})
      .Increment();
  upstream_duration_
      .Add({{"operation", std::string(operation)},
            {"method", std::string(method)}},
           LatencyBucketsSeconds())
      .Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::OnUpstreamRetry(std::string_view operation,
                              std::string_view reason) {
  upstream_retries_
      .Add({{"operation", std::string(operation)},
            {"reason", std::string(reason)}})
      .Increment();
}

void Metrics::OnStreamReconnect() { stream_reconnects_.Increment(); }

void Metrics::OnActiveStreams(int delta) { active_streams_.Increment(delta); }

void Metrics::OnUpstreamStreams(int delta) {
  upstream_streams_.Increment(delta);
}

void Metrics::OnSlowCallerEnded() { slow_callers_.Increment(); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::NewServerInterceptorFactory() {
  return NewServerMetricsInterceptorFactory(grpc_server_);
}

std::string Metrics::TextExposition() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace neobridge::metrics
