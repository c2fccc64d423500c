// BridgeServer wires the layers together (transport → NeoClient → service)
// and runs the gRPC server with its health, reflection and metrics. Logic
// lives in the layers; this is wiring and lifecycle only.
#ifndef NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_
#define NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/metrics/metrics.h"
#include "bridge/metrics/metrics_endpoint.h"
#include "bridge/security/service_token_policy.h"
#include "bridge/server/server_options.h"
#include "bridge/server/upstream_probe.h"
#include "bridge/service/agent_tasks_service.h"
#include "bridge/service/credentials.h"
#include "bridge/upstream/curl_transport.h"

namespace neobridge::server {

// The neo-bridge version (CMake's project version), also sent in the
// upstream User-Agent.
inline constexpr char kVersion[] = NEOBRIDGE_VERSION;

// The health-check service names: "" is the server (liveness: SERVING
// until shutdown begins); kReadinessService is SERVING only while the
// upstream answers and the bridge is not shutting down.
inline constexpr char kReadinessService[] = "neobridge.v1.AgentTasksService";

class BridgeServer {
 public:
  // Builds every layer from `options` and starts serving. Fails with a
  // message naming the setting when a setting is unusable (unreadable token
  // or certificate file, address in use, …).
  static absl::StatusOr<std::unique_ptr<BridgeServer>> Start(
      const ServerOptions& options);

  // Graceful shutdown, as on SIGTERM: health goes NOT_SERVING, new calls
  // are refused (UNAVAILABLE, reason SHUTTING_DOWN), open streams run on for
  // the drain window (the listener stays open meanwhile) and then end with
  // UNAVAILABLE (resumable); gRPC then stops accepting, and whatever still
  // runs at the shutdown timeout is cancelled. Returns early when no stream
  // is open. Blocks until the server has stopped. Idempotent; any thread.
  void Shutdown();

  // Blocks until the server has shut down.
  void Wait();

  ~BridgeServer();

  // The address actually bound (resolves port 0), e.g. "127.0.0.1:43121".
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  // The metrics port; 0 when metrics are off.
  int metrics_port() const;
  // The plaintext health-only port; 0 when --health-listen is off.
  int health_port() const { return health_port_; }
  // The addresses actually bound for metrics and health (port 0
  // resolved); "off" when disabled.
  std::string metrics_address() const;
  std::string health_address() const;
  // Upstream event streams StreamTaskEvents calls share now (one per task
  // and credential being watched).
  size_t shared_upstream_streams() const {
    return service_->shared_upstream_streams();
  }

 private:
  explicit BridgeServer(const ServerOptions& options) : options_(options) {}

  void ShutdownWithin(absl::Duration drain_window, absl::Duration timeout);
  // Sets a health status on the main server and the health-only one.
  void SetServing(const std::string& service, bool serving);

  const ServerOptions options_;
  // Destroyed in reverse order: server first, then what it calls into.
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<upstream::CurlTransport> transport_;
  std::unique_ptr<client::RestNeoClient> client_;
  std::unique_ptr<service::ServiceTokenSource> service_tokens_;
  std::unique_ptr<security::ServiceTokenPolicy> policy_;
  std::unique_ptr<service::AgentTasksService> service_;
  std::unique_ptr<grpc::Server> server_;
  // Serves only grpc.health.v1, in plaintext (--health-listen).
  std::unique_ptr<grpc::Server> health_server_;
  int health_port_ = 0;
  std::unique_ptr<metrics::MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<UpstreamProbe> probe_;
  std::string address_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace neobridge::server

#endif  // NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_
