#include "tests/support/bridge_and_emulator.h"

#include <grpcpp/grpcpp.h>

#include <utility>

namespace neobridge::test_support {

absl::StatusOr<BridgeAndEmulator> StartBridgeAndEmulator(
    const neo_emulator::EmulatorOptions& emulator_options,
    absl::FunctionRef<void(server::ServerOptions&)> configure) {
  BridgeAndEmulator started;
  auto emulator = neo_emulator::Emulator::Start(emulator_options);
  if (!emulator.ok()) return emulator.status();
  started.emulator = *std::move(emulator);

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.upstream_url = started.emulator->base_url();
  options.default_org = "acme";
  options.access_token = "pul-emulator-alice";
  options.service_token_policy.kind = security::ServiceTokenPolicyKind::kOpen;
  options.metrics_listen = "";  // Off: the suites using this do not test it.
  configure(options);
  auto bridge = server::BridgeServer::Start(options);
  if (!bridge.ok()) return bridge.status();
  started.bridge = *std::move(bridge);
  started.stub = v1::AgentTasksService::NewStub(grpc::CreateChannel(
      started.bridge->address(), grpc::InsecureChannelCredentials()));
  return started;
}

}  // namespace neobridge::test_support
