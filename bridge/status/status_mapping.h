// How upstream outcomes become statuses: the one table from HTTP status to
// gRPC code (DESIGN.md "Errors"), and builders that attach ErrorInfo with the
// upstream status, message and X-Pulumi-Request-ID. Pure functions.
#ifndef NEOBRIDGE_BRIDGE_STATUS_STATUS_MAPPING_H_
#define NEOBRIDGE_BRIDGE_STATUS_STATUS_MAPPING_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace neobridge::status {

// The gRPC code for a non-2xx upstream HTTP status. 400 INVALID_ARGUMENT,
// 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ABORTED,
// 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 501 UNIMPLEMENTED, 502/503
// UNAVAILABLE, 504 DEADLINE_EXCEEDED; the rest by class (see the .cc).
absl::StatusCode CodeForHttpStatus(int http_status);

// The ErrorInfo reason for a non-2xx upstream HTTP status, e.g.
// "UPSTREAM_NOT_FOUND".
absl::string_view ReasonForHttpStatus(int http_status);

// Parses a Retry-After value: delta-seconds or an HTTP-date (relative to
// `now`; a date in the past gives zero). nullopt when unparsable.
absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                               absl::Time now);

// A non-2xx answer from the upstream.
struct UpstreamHttpFailure {
  std::string operation;  // The upstream operation, e.g. "GetTask".
  int http_status = 0;
  std::string upstream_message;  // From the error body; may be empty.
  std::string request_id;        // X-Pulumi-Request-ID; may be empty.
  absl::optional<absl::Duration> retry_after;  // From Retry-After.
  // Values that must never be relayed, e.g. the access token the request
  // carried: an upstream may echo it in its error message.
  std::vector<std::string> secrets;
};

// The status for a non-2xx upstream answer: the mapped code, a message that
// names the operation, HTTP status and upstream message, an ErrorInfo with
// metadata http_status, upstream_message, request_id, operation, and a
// RetryInfo when Retry-After was given. The upstream message is relayed
// with every one of `secrets`, and anything log::RedactSecrets recognises
// as a secret, replaced by log::kRedacted.
absl::Status UpstreamHttpError(const UpstreamHttpFailure& failure);

// The status for a failed transfer (no HTTP answer): keeps the transport's
// code (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED, …),
// prefixes the operation, and attaches an ErrorInfo.
absl::Status UpstreamTransportError(absl::string_view operation,
                                    const absl::Status& transport_status);

// INTERNAL for a 2xx answer whose body could not be decoded; the message
// names the operation and what was malformed.
absl::Status MalformedUpstreamResponse(absl::string_view operation,
                                       int http_status,
                                       absl::string_view request_id,
                                       const absl::Status& decode_error);

}  // namespace neobridge::status

#endif  // NEOBRIDGE_BRIDGE_STATUS_STATUS_MAPPING_H_
