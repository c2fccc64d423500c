#include "bridge/status/status_mapping.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bridge/log/redact.h"
#include "bridge/status/error_details.h"

namespace neobridge::status {

absl::StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return absl::StatusCode::kNotFound;
    case 408:
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    case 409:
      return absl::StatusCode::kAborted;
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_status >= 400 && http_status < 500) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (http_status >= 500 && http_status < 600) {
    return absl::StatusCode::kUnavailable;
  }
  // 1xx/3xx (redirects are not followed) and nonsense: the upstream answered
  // something the bridge cannot use.
  return absl::StatusCode::kUnknown;
}

absl::string_view ReasonForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 422:
      return "UPSTREAM_INVALID_ARGUMENT";
    case 401:
      return "UPSTREAM_UNAUTHENTICATED";
    case 403:
      return "UPSTREAM_PERMISSION_DENIED";
    case 404:
    case 410:
      return "UPSTREAM_NOT_FOUND";
    case 409:
      return "UPSTREAM_CONFLICT";
    case 429:
      return "UPSTREAM_RATE_LIMITED";
    case 408:
    case 504:
      return "UPSTREAM_TIMEOUT";
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600) return "UPSTREAM_SERVER_ERROR";
  return "UPSTREAM_HTTP_ERROR";
}

absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                               absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return absl::nullopt;
  uint64_t seconds = 0;
  if (absl::ascii_isdigit(static_cast<unsigned char>(value.front()))) {
    if (!absl::SimpleAtoi(value, &seconds)) return absl::nullopt;
    // Cap absurd values; callers also bound retries by their deadline.
    constexpr uint64_t kMaxSeconds = 24 * 3600;
    return absl::Seconds(seconds > kMaxSeconds ? kMaxSeconds : seconds);
  }
  // HTTP-date (RFC 9110 IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(),
                       &when, &error)) {
    return absl::nullopt;
  }
  return when > now ? when - now : absl::ZeroDuration();
}

absl::Status UpstreamHttpError(const UpstreamHttpFailure& failure) {
  // The upstream's words reach callers and logs: an upstream that echoes
  // the request's token must not make the bridge leak it.
  std::string upstream_message = failure.upstream_message;
  for (const std::string& secret : failure.secrets) {
    if (secret.empty()) continue;
    upstream_message =
        absl::StrReplaceAll(upstream_message, {{secret, log::kRedacted}});
  }
  upstream_message = log::RedactSecrets(upstream_message);
  std::string message = absl::StrCat(
      failure.operation, ": Neo API returned HTTP ", failure.http_status);
  if (!upstream_message.empty()) {
    absl::StrAppend(&message, ": ", upstream_message);
  }
  absl::Status status(CodeForHttpStatus(failure.http_status), message);
  SetErrorInfo(
      status, MakeErrorInfo(ReasonForHttpStatus(failure.http_status),
                            {{"operation", failure.operation},
                             {"http_status", absl::StrCat(failure.http_status)},
                             {"upstream_message", upstream_message},
                             {"request_id", failure.request_id}}));
  if (failure.retry_after.has_value()) {
    SetRetryInfo(status, *failure.retry_after);
  }
  return status;
}

absl::Status UpstreamTransportError(absl::string_view operation,
                                    const absl::Status& transport_status) {
  absl::string_view reason = kReasonUpstreamUnreachable;
  switch (transport_status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      reason = kReasonUpstreamTimeout;
      break;
    case absl::StatusCode::kCancelled:
      reason = kReasonCancelled;
      break;
    case absl::StatusCode::kResourceExhausted:
      reason = kReasonUpstreamMalformedResponse;
      break;
    default:
      break;
  }
  absl::Status status(
      transport_status.code(),
      absl::StrCat(operation, ": ", transport_status.message()));
  SetErrorInfo(status,
               MakeErrorInfo(reason, {{"operation", std::string(operation)}}));
  return status;
}

absl::Status MalformedUpstreamResponse(absl::string_view operation,
                                       int http_status,
                                       absl::string_view request_id,
                                       const absl::Status& decode_error) {
  absl::Status status = absl::InternalError(
      absl::StrCat(operation, ": malformed Neo API response (HTTP ",
                   http_status, "): ", decode_error.message()));
  SetErrorInfo(status,
               MakeErrorInfo(kReasonUpstreamMalformedResponse,
                             {{"operation", std::string(operation)},
                              {"http_status", absl::StrCat(http_status)},
                              {"request_id", std::string(request_id)}}));
  return status;
}

}  // namespace neobridge::status
