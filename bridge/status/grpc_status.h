// The edge between absl::Status (used inside the bridge) and grpc::Status.
#ifndef NEOBRIDGE_BRIDGE_STATUS_GRPC_STATUS_H_
#define NEOBRIDGE_BRIDGE_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace neobridge::status {

// Converts `status` to a grpc::Status with the same code and message; its
// payloads (ErrorInfo, BadRequest, RetryInfo) become the google.rpc.Status
// details in the binary error details.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace neobridge::status

#endif  // NEOBRIDGE_BRIDGE_STATUS_GRPC_STATUS_H_
