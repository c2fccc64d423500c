// Rich error details carried inside absl::Status as payloads, so every layer
// can attach google.rpc.ErrorInfo / BadRequest / RetryInfo and the gRPC edge
// turns them into status details (see grpc_status.h).
#ifndef NEOBRIDGE_BRIDGE_STATUS_ERROR_DETAILS_H_
#define NEOBRIDGE_BRIDGE_STATUS_ERROR_DETAILS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "google/rpc/error_details.pb.h"

namespace neobridge::status {

// The ErrorInfo domain of every error the bridge returns.
inline constexpr absl::string_view kErrorDomain = "neobridge.v1";

// ErrorInfo reasons. Stable identifiers: clients may switch on them.
inline constexpr absl::string_view kReasonInvalidRequest = "INVALID_REQUEST";
inline constexpr absl::string_view kReasonMissingCredentials =
    "MISSING_CREDENTIALS";
inline constexpr absl::string_view kReasonUpstreamUnreachable =
    "UPSTREAM_UNREACHABLE";
inline constexpr absl::string_view kReasonUpstreamTimeout = "UPSTREAM_TIMEOUT";
inline constexpr absl::string_view kReasonUpstreamMalformedResponse =
    "UPSTREAM_MALFORMED_RESPONSE";
inline constexpr absl::string_view kReasonCancelled = "CANCELLED";
// The bridge is shutting down (retry: another replica answers; streams
// resume from their last event id).
inline constexpr absl::string_view kReasonShuttingDown = "SHUTTING_DOWN";
// A bridge limit (concurrent streams, in-flight upstream requests) is
// reached; RetryInfo says when to try again.
inline constexpr absl::string_view kReasonLimitExceeded = "LIMIT_EXCEEDED";
// A StreamTaskEvents call fell too far behind the task's newest event while
// other calls watching the task kept up (RESOURCE_EXHAUSTED; resume from the
// last event id).
inline constexpr absl::string_view kReasonCallerTooSlow = "CALLER_TOO_SLOW";
// The call brought no Pulumi token and the service-token policy does not
// lend it the bridge's own.
inline constexpr absl::string_view kReasonServiceTokenDenied =
    "SERVICE_TOKEN_DENIED";

// One field violation of a google.rpc.BadRequest.
struct FieldViolation {
  std::string field;
  std::string description;
};

// Builds a google.rpc.ErrorInfo in kErrorDomain.
google::rpc::ErrorInfo MakeErrorInfo(
    absl::string_view reason,
    std::vector<std::pair<std::string, std::string>> metadata = {});

// Attaches (or replaces) the payload of each detail kind.
void SetErrorInfo(absl::Status& status, const google::rpc::ErrorInfo& info);
void SetBadRequest(absl::Status& status,
                   const std::vector<FieldViolation>& violations);
void SetRetryInfo(absl::Status& status, absl::Duration retry_delay);

// Reads a payload back; nullopt when absent or unparsable.
absl::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);
absl::optional<google::rpc::BadRequest> GetBadRequest(
    const absl::Status& status);
absl::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status);

// INVALID_ARGUMENT naming the offending fields, with BadRequest and an
// ErrorInfo (reason INVALID_REQUEST). The message lists every violation.
absl::Status InvalidRequest(std::vector<FieldViolation> violations);

// Returns `status` with an ErrorInfo of `reason` attached unless it already
// carries one. OK stays OK.
absl::Status WithReason(absl::Status status, absl::string_view reason);

}  // namespace neobridge::status

#endif  // NEOBRIDGE_BRIDGE_STATUS_ERROR_DETAILS_H_
