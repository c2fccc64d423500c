#include "bridge/client/retry_policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace neobridge::client {
namespace {

using upstream::HttpMethod;

TEST(IsRetryableHttpStatusTest, OnlyGetsAndOnlyTryAgainStatuses) {
  struct Case {
    HttpMethod method;
    int status;
    bool retryable;
  };
  const std::vector<Case> cases = {
      {HttpMethod::kGet, 429, true},    {HttpMethod::kGet, 502, true},
      {HttpMethod::kGet, 503, true},    {HttpMethod::kGet, 504, true},
      {HttpMethod::kGet, 200, false},   {HttpMethod::kGet, 400, false},
      {HttpMethod::kGet, 401, false},   {HttpMethod::kGet, 403, false},
      {HttpMethod::kGet, 404, false},   {HttpMethod::kGet, 408, false},
      {HttpMethod::kGet, 409, false},   {HttpMethod::kGet, 500, false},
      {HttpMethod::kGet, 501, false},   {HttpMethod::kGet, 505, false},
      {HttpMethod::kPost, 429, false},  {HttpMethod::kPost, 502, false},
      {HttpMethod::kPost, 503, false},  {HttpMethod::kPost, 504, false},
      {HttpMethod::kPatch, 429, false}, {HttpMethod::kPatch, 503, false},
      {HttpMethod::kPut, 503, false},   {HttpMethod::kDelete, 503, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsRetryableHttpStatus(c.method, c.status), c.retryable)
        << upstream::HttpMethodName(c.method) << " " << c.status;
  }
}

TEST(IsRetryableTransportErrorTest, OnlyUnavailableGets) {
  struct Case {
    HttpMethod method;
    absl::StatusCode code;
    bool retryable;
  };
  const std::vector<Case> cases = {
      {HttpMethod::kGet, absl::StatusCode::kUnavailable, true},
      {HttpMethod::kGet, absl::StatusCode::kDeadlineExceeded, false},
      {HttpMethod::kGet, absl::StatusCode::kCancelled, false},
      {HttpMethod::kGet, absl::StatusCode::kResourceExhausted, false},
      {HttpMethod::kGet, absl::StatusCode::kInvalidArgument, false},
      {HttpMethod::kGet, absl::StatusCode::kInternal, false},
      {HttpMethod::kPost, absl::StatusCode::kUnavailable, false},
      {HttpMethod::kPatch, absl::StatusCode::kUnavailable, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsRetryableTransportError(c.method, c.code), c.retryable)
        << upstream::HttpMethodName(c.method) << " "
        << absl::StatusCodeToString(c.code);
  }
}

TEST(BackoffDelayTest, CappedExponentialWithFullJitter) {
  const RetryPolicy policy;  // 100ms, x2, max 5s
  struct Case {
    int attempts_made;
    double unit_random;
    absl::Duration delay;
  };
  const std::vector<Case> cases = {
      {1, 0.0, absl::ZeroDuration()},
      {1, 0.5, absl::Milliseconds(50)},
      {1, 0.25, absl::Milliseconds(25)},
      {2, 0.5, absl::Milliseconds(100)},
      {3, 0.5, absl::Milliseconds(200)},
      {4, 1.0, absl::Milliseconds(800)},
      {6, 1.0, absl::Milliseconds(3200)},
      {7, 1.0, absl::Seconds(5)},  // 6.4 s, capped
      {7, 0.5, absl::Milliseconds(2500)},
      {10000, 0.5, absl::Milliseconds(2500)},  // no overflow
      {0, 0.5, absl::Milliseconds(50)},        // as 1
      {-3, 0.5, absl::Milliseconds(50)},       // as 1
      {1, -1.0, absl::ZeroDuration()},         // clamped
      {1, 7.0, absl::Milliseconds(100)},       // clamped
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BackoffDelay(policy, c.attempts_made, c.unit_random), c.delay)
        << "attempts_made=" << c.attempts_made
        << " unit_random=" << c.unit_random;
  }
}

TEST(BackoffDelayTest, FollowsThePolicy) {
  const RetryPolicy policy{.initial_backoff = absl::Seconds(1),
                           .max_backoff = absl::Seconds(2),
                           .multiplier = 3.0};
  EXPECT_EQ(BackoffDelay(policy, 1, 0.5), absl::Milliseconds(500));
  EXPECT_EQ(BackoffDelay(policy, 2, 0.5), absl::Seconds(1));  // 3 s, capped
}

TEST(DecideRetryTest, Table) {
  const RetryPolicy policy;  // 4 attempts, 100ms, x2, max 5s
  struct Case {
    std::string name;
    FailedAttempt attempt;
    double unit_random;
    RetryDecision decision;
  };
  const absl::Duration kHalf = absl::Milliseconds(50);  // attempt 1, 0.5
  const std::vector<Case> cases = {
      {"503 get", {.http_status = 503}, 0.5, RetryDecision::After(kHalf)},
      {"502 get", {.http_status = 502}, 0.5, RetryDecision::After(kHalf)},
      {"504 get", {.http_status = 504}, 0.5, RetryDecision::After(kHalf)},
      {"429 get without retry-after",
       {.http_status = 429},
       0.5,
       RetryDecision::After(kHalf)},
      {"unavailable get",
       {.transport_error = absl::StatusCode::kUnavailable},
       0.5,
       RetryDecision::After(kHalf)},
      {"third attempt backs off more",
       {.attempts_made = 3, .http_status = 503},
       0.5,
       RetryDecision::After(absl::Milliseconds(200))},
      {"max attempts reached",
       {.attempts_made = 4, .http_status = 503},
       0.5,
       RetryDecision::GiveUp()},
      {"beyond max attempts",
       {.attempts_made = 9, .http_status = 503},
       0.5,
       RetryDecision::GiveUp()},
      {"retry-after wins over a shorter backoff",
       {.http_status = 429, .retry_after = absl::Seconds(1)},
       0.5,
       RetryDecision::After(absl::Seconds(1))},
      {"backoff wins over a shorter retry-after",
       {.attempts_made = 3,
        .http_status = 503,
        .retry_after = absl::Milliseconds(10)},
       0.5,
       RetryDecision::After(absl::Milliseconds(200))},
      {"retry-after zero",
       {.http_status = 429, .retry_after = absl::ZeroDuration()},
       0.0,
       RetryDecision::After(absl::ZeroDuration())},
      {"retry-after within the deadline",
       {.http_status = 429,
        .retry_after = absl::Seconds(1),
        .remaining = absl::Milliseconds(1001)},
       0.5,
       RetryDecision::After(absl::Seconds(1))},
      {"retry-after reaching the deadline",
       {.http_status = 429,
        .retry_after = absl::Seconds(1),
        .remaining = absl::Seconds(1)},
       0.5,
       RetryDecision::GiveUp()},
      {"retry-after beyond the deadline",
       {.http_status = 429,
        .retry_after = absl::Seconds(30),
        .remaining = absl::Seconds(20)},
       0.5,
       RetryDecision::GiveUp()},
      {"backoff beyond the deadline",
       {.http_status = 503, .remaining = absl::Milliseconds(40)},
       0.5,
       RetryDecision::GiveUp()},
      {"no time left",
       {.http_status = 503, .remaining = absl::ZeroDuration()},
       0.0,
       RetryDecision::GiveUp()},
      {"deadline passed",
       {.http_status = 503, .remaining = -absl::Seconds(1)},
       0.0,
       RetryDecision::GiveUp()},
      {"post 503",
       {.method = HttpMethod::kPost, .http_status = 503},
       0.5,
       RetryDecision::GiveUp()},
      {"post 429",
       {.method = HttpMethod::kPost,
        .http_status = 429,
        .retry_after = absl::Seconds(1)},
       0.5,
       RetryDecision::GiveUp()},
      {"post unavailable",
       {.method = HttpMethod::kPost,
        .transport_error = absl::StatusCode::kUnavailable},
       0.5,
       RetryDecision::GiveUp()},
      {"patch 503",
       {.method = HttpMethod::kPatch, .http_status = 503},
       0.5,
       RetryDecision::GiveUp()},
      {"patch unavailable",
       {.method = HttpMethod::kPatch,
        .transport_error = absl::StatusCode::kUnavailable},
       0.5,
       RetryDecision::GiveUp()},
      {"400", {.http_status = 400}, 0.5, RetryDecision::GiveUp()},
      {"404", {.http_status = 404}, 0.5, RetryDecision::GiveUp()},
      {"409", {.http_status = 409}, 0.5, RetryDecision::GiveUp()},
      {"500", {.http_status = 500}, 0.5, RetryDecision::GiveUp()},
      {"501", {.http_status = 501}, 0.5, RetryDecision::GiveUp()},
      {"deadline exceeded",
       {.transport_error = absl::StatusCode::kDeadlineExceeded},
       0.5,
       RetryDecision::GiveUp()},
      {"cancelled",
       {.transport_error = absl::StatusCode::kCancelled},
       0.5,
       RetryDecision::GiveUp()},
      {"body too large",
       {.transport_error = absl::StatusCode::kResourceExhausted},
       0.5,
       RetryDecision::GiveUp()},
  };
  for (const Case& c : cases) {
    const RetryDecision got = DecideRetry(policy, c.attempt, c.unit_random);
    EXPECT_EQ(got, c.decision)
        << c.name << ": got retry=" << got.retry << " delay=" << got.delay;
  }
}

TEST(DecideRetryTest, OneAttemptMeansNoRetries) {
  const RetryPolicy policy{.max_attempts = 1};
  EXPECT_EQ(DecideRetry(policy, {.http_status = 503}, 0.5),
            RetryDecision::GiveUp());
}

TEST(DecideRetryTest, NeverWaitsPastTheDeadline) {
  const RetryPolicy policy{.max_attempts = 100};
  for (int attempts = 1; attempts < 100; ++attempts) {
    for (double r : {0.0, 0.3, 0.999}) {
      const FailedAttempt attempt{.attempts_made = attempts,
                                  .http_status = 503,
                                  .remaining = absl::Seconds(2)};
      const RetryDecision decision = DecideRetry(policy, attempt, r);
      if (decision.retry) {
        EXPECT_LT(decision.delay, absl::Seconds(2))
            << absl::StrCat(attempts, " ", r);
        EXPECT_GE(decision.delay, absl::ZeroDuration());
      }
    }
  }
}

}  // namespace
}  // namespace neobridge::client
