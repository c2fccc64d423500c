// Reconnect backoff for the event relay: a pure function, with the random
// part passed in so tests can pin it.
#ifndef NEOBRIDGE_BRIDGE_STREAM_BACKOFF_H_
#define NEOBRIDGE_BRIDGE_STREAM_BACKOFF_H_

#include "absl/time/time.h"

namespace neobridge::stream {

struct BackoffPolicy {
  // Delay before the first retry.
  absl::Duration initial = absl::Seconds(1);
  // Cap on any delay (before jitter).
  absl::Duration max = absl::Seconds(30);
  // Growth per attempt.
  double multiplier = 2.0;
  // Fraction of the delay that is randomized: the delay is scaled by a
  // factor in [1 - jitter, 1 + jitter).
  double jitter = 0.2;
};

// Delay before retry number `attempt` (1 for the first retry):
// min(initial * multiplier^(attempt-1), max), scaled by
// 1 + jitter * (2 * unit_random - 1). `unit_random` is in [0, 1).
absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt,
                            double unit_random);

}  // namespace neobridge::stream

#endif  // NEOBRIDGE_BRIDGE_STREAM_BACKOFF_H_
