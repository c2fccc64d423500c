// BridgeAndEmulator: a neo-emulator and a neo-bridge in front of it, both
// in-process on loopback and on free ports, for the bridge ⇄ emulator
// integration suites.
#ifndef NEOBRIDGE_TESTS_SUPPORT_BRIDGE_AND_EMULATOR_H_
#define NEOBRIDGE_TESTS_SUPPORT_BRIDGE_AND_EMULATOR_H_

#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "bridge/server/bridge_server.h"
#include "bridge/server/server_options.h"
#include "emulator/emulator.h"
#include "neobridge/v1/agent_tasks_service.grpc.pb.h"

namespace neobridge::test_support {

struct BridgeAndEmulator {
  std::unique_ptr<neo_emulator::Emulator> emulator;
  std::unique_ptr<server::BridgeServer> bridge;
  // Calls without metadata: the bridge lends them its service token
  // (alice's).
  std::unique_ptr<v1::AgentTasksService::Stub> stub;
};

// Starts the emulator with `emulator_options`, then the bridge in front of
// it: default org "acme", service token "pul-emulator-alice" under the
// "open" policy, metrics off; `configure` may change any of it (e.g. stream
// settings) before the bridge starts.
absl::StatusOr<BridgeAndEmulator> StartBridgeAndEmulator(
    const neo_emulator::EmulatorOptions& emulator_options,
    absl::FunctionRef<void(server::ServerOptions&)> configure);

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_BRIDGE_AND_EMULATOR_H_
