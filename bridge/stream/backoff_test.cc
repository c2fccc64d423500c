#include "bridge/stream/backoff.h"

#include <gtest/gtest.h>

namespace neobridge::stream {
namespace {

struct Case {
  int attempt;
  double unit_random;
  absl::Duration expected;
};

class BackoffTest : public ::testing::TestWithParam<Case> {};

TEST_P(BackoffTest, Table) {
  const BackoffPolicy policy;  // 1s doubling to 30s, 20% jitter.
  const Case& c = GetParam();
  EXPECT_EQ(BackoffDelay(policy, c.attempt, c.unit_random), c.expected)
      << "attempt " << c.attempt << " random " << c.unit_random;
}

INSTANTIATE_TEST_SUITE_P(
    CliPolicy, BackoffTest,
    ::testing::Values(
        Case{1, 0.5, absl::Seconds(1)}, Case{2, 0.5, absl::Seconds(2)},
        Case{3, 0.5, absl::Seconds(4)}, Case{5, 0.5, absl::Seconds(16)},
        Case{6, 0.5, absl::Seconds(30)},     // capped
        Case{1000, 0.5, absl::Seconds(30)},  // no overflow
        Case{1, 0.0, absl::Milliseconds(800)},
        Case{3, 0.0, absl::Milliseconds(3200)}, Case{6, 0.0, absl::Seconds(24)},
        Case{0, 0.5, absl::Seconds(1)},  // treated as 1
        Case{-3, 0.5, absl::Seconds(1)}));

TEST(BackoffJitterTest, StaysWithinTheBand) {
  const BackoffPolicy policy{.initial = absl::Milliseconds(10),
                             .max = absl::Seconds(1),
                             .multiplier = 3,
                             .jitter = 0.5};
  for (double r = 0; r < 1; r += 0.01) {
    absl::Duration d = BackoffDelay(policy, 2, r);
    EXPECT_GE(d, absl::Milliseconds(15));
    EXPECT_LT(d, absl::Milliseconds(45));
  }
}

TEST(BackoffJitterTest, ZeroJitterIsExact) {
  const BackoffPolicy policy{.initial = absl::Milliseconds(5),
                             .max = absl::Milliseconds(50),
                             .multiplier = 2,
                             .jitter = 0};
  EXPECT_EQ(BackoffDelay(policy, 4, 0.9), absl::Milliseconds(40));
  EXPECT_EQ(BackoffDelay(policy, 5, 0.1), absl::Milliseconds(50));
}

}  // namespace
}  // namespace neobridge::stream
