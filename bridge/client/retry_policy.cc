#include "bridge/client/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace neobridge::client {

bool IsRetryableHttpStatus(upstream::HttpMethod method, int http_status) {
  if (method != upstream::HttpMethod::kGet) return false;
  switch (http_status) {
    case 429:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

bool IsRetryableTransportError(upstream::HttpMethod method,
                               absl::StatusCode code) {
  return method == upstream::HttpMethod::kGet &&
         code == absl::StatusCode::kUnavailable;
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int attempts_made,
                            double unit_random) {
  attempts_made = std::max(attempts_made, 1);
  const double growth = std::pow(policy.multiplier, attempts_made - 1);
  absl::Duration ceiling = policy.max_backoff;
  // Compare in doubles first so large attempt numbers cannot overflow.
  if (absl::ToDoubleSeconds(policy.initial_backoff) * growth <
      absl::ToDoubleSeconds(policy.max_backoff)) {
    ceiling = policy.initial_backoff * growth;
  }
  ceiling = std::max(ceiling, absl::ZeroDuration());
  if (!(unit_random >= 0.0)) unit_random = 0.0;  // also NaN
  unit_random = std::min(unit_random, 1.0);
  return ceiling * unit_random;
}

RetryDecision DecideRetry(const RetryPolicy& policy,
                          const FailedAttempt& attempt, double unit_random) {
  const bool retryable =
      attempt.http_status != 0
          ? IsRetryableHttpStatus(attempt.method, attempt.http_status)
          : IsRetryableTransportError(attempt.method, attempt.transport_error);
  if (!retryable || attempt.attempts_made >= policy.max_attempts) {
    return RetryDecision::GiveUp();
  }
  absl::Duration delay =
      BackoffDelay(policy, attempt.attempts_made, unit_random);
  if (attempt.retry_after.has_value()) {
    delay = std::max(delay, *attempt.retry_after);
  }
  if (delay >= attempt.remaining) return RetryDecision::GiveUp();
  return RetryDecision::After(delay);
}

}  // namespace neobridge::client
