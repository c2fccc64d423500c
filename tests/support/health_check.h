// A grpc.health.v1.Health/Check client for tests, without generated code
// (Debian ships no health.proto): the request and response are encoded by
// hand, both being one-field messages.
#ifndef NEOBRIDGE_TESTS_SUPPORT_HEALTH_CHECK_H_
#define NEOBRIDGE_TESTS_SUPPORT_HEALTH_CHECK_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace neobridge::test_support {

// HealthCheckResponse.ServingStatus values.
enum class Serving { kUnknown = 0, kServing = 1, kNotServing = 2 };

// Calls Check for `service` ("" = the server) with a 5 s deadline. The
// call's error (e.g. NOT_FOUND for an unknown service, UNAVAILABLE when the
// server is gone) as a status.
absl::StatusOr<Serving> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

}  // namespace neobridge::test_support

#endif  // NEOBRIDGE_TESTS_SUPPORT_HEALTH_CHECK_H_
