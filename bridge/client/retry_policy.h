// When and how soon an upstream request is sent again (DESIGN.md "Retries"):
// only GETs, only after outcomes that say "try again", with capped
// exponential backoff and full jitter, honouring Retry-After, never past the
// call's deadline. Pure functions; the random part is passed in.
#ifndef NEOBRIDGE_BRIDGE_CLIENT_RETRY_POLICY_H_
#define NEOBRIDGE_BRIDGE_CLIENT_RETRY_POLICY_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bridge/upstream/http_transport.h"

namespace neobridge::client {

struct RetryPolicy {
  // Attempts in all, the first one included; 1 disables retries.
  int max_attempts = 4;
  // Upper bound of the wait before the first retry; each further retry
  // multiplies it by `multiplier`, up to `max_backoff`.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  double multiplier = 2.0;
};

// Whether a request with `method` that upstream answered with HTTP
// `http_status` may be sent again: GET only, and only for 429, 502, 503 and
// 504. Never another 4xx, never 500/501 (the request reached a server that
// meant its answer). POST and PATCH are never re-sent: they may have
// arrived.
bool IsRetryableHttpStatus(upstream::HttpMethod method, int http_status);

// Whether a request with `method` whose transfer failed with the transport
// error `code` (see upstream::HttpTransport) may be sent again: GET only, and
// only UNAVAILABLE (connect refused/reset, DNS, TLS, connection lost). Never
// DEADLINE_EXCEEDED (the call's time is spent), CANCELLED, or anything else.
bool IsRetryableTransportError(upstream::HttpMethod method,
                               absl::StatusCode code);

// The wait before the retry that follows attempt number `attempts_made`
// (1 = the first attempt), "full jitter":
//   unit_random * min(max_backoff,
//                     initial_backoff * multiplier^(attempts_made - 1)).
// `unit_random` is uniform in [0, 1) (clamped into it).
absl::Duration BackoffDelay(const RetryPolicy& policy, int attempts_made,
                            double unit_random);

// One attempt that did not succeed, as the retry decision sees it.
struct FailedAttempt {
  upstream::HttpMethod method = upstream::HttpMethod::kGet;
  // Attempts sent so far, this one included (>= 1).
  int attempts_made = 1;
  // The HTTP answer, or 0 when the transfer failed (see transport_error).
  int http_status = 0;
  // The transport error when http_status is 0.
  absl::StatusCode transport_error = absl::StatusCode::kUnknown;
  // From the answer's Retry-After header.
  std::optional<absl::Duration> retry_after;
  // Time left until the call's deadline (InfiniteDuration when none).
  absl::Duration remaining = absl::InfiniteDuration();
};

// What to do after a FailedAttempt.
struct RetryDecision {
  // Give up: the caller gets the failed attempt's outcome.
  static RetryDecision GiveUp() { return {}; }
  // Send again after waiting `delay`.
  static RetryDecision After(absl::Duration delay) { return {true, delay}; }

  bool retry = false;
  absl::Duration delay = absl::ZeroDuration();

  friend bool operator==(const RetryDecision&, const RetryDecision&) = default;
};

// Retries when the outcome is retryable for the method (see above), fewer
// than policy.max_attempts attempts were made, and the wait
//   delay = max(BackoffDelay(policy, attempts_made, unit_random),
//               retry_after)
// ends before the deadline (delay < remaining): it never waits past the
// deadline, so a Retry-After beyond it means giving up at once.
RetryDecision DecideRetry(const RetryPolicy& policy,
                          const FailedAttempt& attempt, double unit_random);

}  // namespace neobridge::client

#endif  // NEOBRIDGE_BRIDGE_CLIENT_RETRY_POLICY_H_
