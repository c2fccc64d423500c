#include "bridge/stream/backoff.h"

#include <algorithm>
#include <cmath>

namespace neobridge::stream {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt,
                            double unit_random) {
  attempt = std::max(attempt, 1);
  const double growth = std::pow(policy.multiplier, attempt - 1);
  absl::Duration delay = policy.initial;
  // Compare in doubles first so huge attempts cannot overflow the Duration.
  if (absl::ToDoubleSeconds(policy.initial) * growth >=
      absl::ToDoubleSeconds(policy.max)) {
    delay = policy.max;
  } else {
    delay = policy.initial * growth;
  }
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  const double factor = 1.0 + policy.jitter * (2.0 * unit_random - 1.0);
  return delay * std::max(factor, 0.0);
}

}  // namespace neobridge::stream
