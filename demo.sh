#!/usr/bin/env bash
# Quick start: sets up, builds, starts neo-emulator and neo-bridge (pointed at
# the emulator) on loopback, prints how to call the bridge, and keeps both
# running until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# setup.sh may fetch a newer Go toolchain here (see GO_TOOLCHAIN_VERSION).
export PATH="$PWD/.tools/go/bin:$PATH"
./setup.sh --with-grpcurl
./build.sh --target neo-bridge neo-emulator

EMULATOR_ADDR=${EMULATOR_ADDR:-127.0.0.1:8080}
BRIDGE_ADDR=${BRIDGE_ADDR:-127.0.0.1:50051}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:9090}
LOG_DIR=$(mktemp -d /tmp/neo-bridge-demo.XXXXXX)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/emulator/neo-emulator --listen "$EMULATOR_ADDR" >"$LOG_DIR/emulator.log" 2>&1 &
pids+=($!)
# A local demo: calls without a token of their own use alice's, which takes
# the explicit "open" service-token policy (the default lends it to nobody).
NEO_BRIDGE_UPSTREAM_URL="http://$EMULATOR_ADDR" \
NEO_BRIDGE_DEFAULT_ORG=acme \
PULUMI_ACCESS_TOKEN=pul-emulator-alice \
NEO_BRIDGE_SERVICE_TOKEN_POLICY=open \
  build/bridge/server/neo-bridge --listen "$BRIDGE_ADDR" \
    --metrics-listen "$METRICS_ADDR" >"$LOG_DIR/bridge.log" 2>&1 &
pids+=($!)

# Wait until the bridge is ready: it logs when its readiness probe first
# reaches the emulator. (grpcurl cannot call grpc.health.v1 by reflection:
# gRPC C++ serves the health service without its descriptor.)
for _ in $(seq 1 100); do
  if grep -q '"msg":"upstream reachable: ready"' "$LOG_DIR/bridge.log" 2>/dev/null; then
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "demo: a process exited; logs in $LOG_DIR"; cat "$LOG_DIR"/*.log; exit 1; }
  done
  sleep 0.1
done

cat <<MSG

neo-emulator: http://$EMULATOR_ADDR   (log: $LOG_DIR/emulator.log)
neo-bridge:   $BRIDGE_ADDR (gRPC, plaintext; default org "acme"; log: $LOG_DIR/bridge.log)
metrics:      http://$METRICS_ADDR/metrics

Call it from another shell, e.g. with the grpcurl that setup installed:

  G=".tools/bin/grpcurl -plaintext"
  \$G -d '{"message": {"user_message": {"content": "Check my dev stack"}}}' \\
      $BRIDGE_ADDR neobridge.v1.AgentTasksService/CreateTask
  \$G -d '{"page_size": 10}' $BRIDGE_ADDR neobridge.v1.AgentTasksService/ListTasks
  \$G -d '{"task_id": "<task id from CreateTask>"}' \\
      $BRIDGE_ADDR neobridge.v1.AgentTasksService/GetTask
  \$G -d '{"task_id": "<task id>"}' $BRIDGE_ADDR neobridge.v1.AgentTasksService/ListTaskEvents
  \$G -d '{"task_id": "<task id>"}' $BRIDGE_ADDR neobridge.v1.AgentTasksService/StreamTaskEvents
  \$G $BRIDGE_ADDR describe neobridge.v1.AgentTasksService

Act as another user with -H 'authorization: Bearer pul-emulator-bob'.
Press Ctrl-C to stop both.
MSG
wait -n "${pids[@]}"
