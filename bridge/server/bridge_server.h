// BridgeServer wires the layers together (transport → NeoClient → service)
// and runs the gRPC server. Logic lives in the layers; this is wiring only.
#ifndef NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_
#define NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bridge/client/rest_neo_client.h"
#include "bridge/server/server_options.h"
#include "bridge/service/agent_tasks_service.h"
#include "bridge/service/credentials.h"
#include "bridge/upstream/curl_transport.h"

namespace neobridge::server {

// The neo-bridge version, also sent in the upstream User-Agent.
inline constexpr char kVersion[] = "0.1.0";

class BridgeServer {
 public:
  // Builds every layer from `options` and starts serving. Fails with a
  // message naming the setting when a setting is unusable (unreadable token
  // file, address in use, …).
  static absl::StatusOr<std::unique_ptr<BridgeServer>> Start(
      const ServerOptions& options);

  // Stops the server: refuses new calls, lets running ones finish until
  // `grace` has passed, then cancels them. Idempotent; any thread.
  void Shutdown(absl::Duration grace);

  // Blocks until the server has shut down.
  void Wait();

  ~BridgeServer();

  // The address actually bound (resolves port 0), e.g. "127.0.0.1:43121".
  const std::string& address() const { return address_; }
  int port() const { return port_; }

 private:
  BridgeServer() = default;

  // Destroyed in reverse order: server first, then what it calls into.
  std::unique_ptr<upstream::CurlTransport> transport_;
  std::unique_ptr<client::RestNeoClient> client_;
  std::unique_ptr<service::ServiceTokenSource> service_tokens_;
  std::unique_ptr<service::AgentTasksService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
};

}  // namespace neobridge::server

#endif  // NEOBRIDGE_BRIDGE_SERVER_BRIDGE_SERVER_H_
