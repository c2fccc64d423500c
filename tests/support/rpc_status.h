// Reading the rich error details of a failed call, for assertions.
#ifndef NEOBRIDGE_TESTS_SUPPORT_RPC_STATUS_H_
#define NEOBRIDGE_TESTS_SUPPORT_RPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

namespace neobridge::test_support {

// The google.rpc.ErrorInfo reason of `status`, or "" when it has none.
std::string ErrorReason(const grpc::Status& status);

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_RPC_STATUS_H_
