#include "bridge/service/call_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "bridge/status/error_details.h"

namespace neobridge::service {
namespace {

using ::testing::HasSubstr;

TEST(CallLimiterTest, LimitsStreamsPerCallerAndOverall) {
  CallLimiter limiter({.max_streams = 3, .max_streams_per_caller = 2});
  std::vector<CallLease> leases;
  leases.push_back(*limiter.AcquireStream("a"));
  leases.push_back(*limiter.AcquireStream("a"));
  absl::StatusOr<CallLease> third_of_a = limiter.AcquireStream("a");
  ASSERT_FALSE(third_of_a.ok());
  EXPECT_EQ(third_of_a.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third_of_a.status().message(),
              HasSubstr("for this caller (limit 2, set by "
                        "--max-streams-per-caller)"));
  EXPECT_EQ(status::GetErrorInfo(third_of_a.status())->reason(),
            "LIMIT_EXCEEDED");
  EXPECT_TRUE(status::GetRetryInfo(third_of_a.status()).has_value());

  leases.push_back(*limiter.AcquireStream("b"));
  absl::StatusOr<CallLease> fourth = limiter.AcquireStream("c");
  ASSERT_FALSE(fourth.ok());
  EXPECT_THAT(fourth.status().message(),
              HasSubstr("on this bridge (limit 3, set by --max-streams)"));
  EXPECT_EQ(limiter.open_streams(), 3);

  leases.erase(leases.begin());  // One of a's streams ends.
  EXPECT_EQ(limiter.open_streams(), 2);
  EXPECT_TRUE(limiter.AcquireStream("a").ok());  // Released at once again.
  EXPECT_TRUE(limiter.AcquireStream("c").ok());
}

TEST(CallLimiterTest, LimitsUpstreamRequestsInFlight) {
  CallLimiter limiter({.max_inflight_upstream = 1});
  absl::StatusOr<CallLease> first = limiter.AcquireUpstream();
  ASSERT_TRUE(first.ok());
  absl::StatusOr<CallLease> second = limiter.AcquireUpstream();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(), HasSubstr("--max-inflight-upstream"));
  EXPECT_EQ(limiter.inflight_upstream(), 1);
  *first = CallLease();  // Move-assigning releases the old slot.
  EXPECT_EQ(limiter.inflight_upstream(), 0);
  EXPECT_TRUE(limiter.AcquireUpstream().ok());
}

TEST(CallLimiterTest, MovedLeasesReleaseOnce) {
  CallLimiter limiter({.max_streams = 1});
  {
    CallLease lease = *limiter.AcquireStream("a");
    CallLease moved = std::move(lease);
    EXPECT_EQ(limiter.open_streams(), 1);
  }
  EXPECT_EQ(limiter.open_streams(), 0);
}

TEST(CallerKeyTest, NamesCallersWithoutSecrets) {
  const std::string key = CallerKey(std::string("pul-secret"), "", "peer");
  EXPECT_THAT(key, ::testing::StartsWith("token:"));
  EXPECT_EQ(key.size(), std::string("token:").size() + 16);
  EXPECT_THAT(key, ::testing::Not(HasSubstr("secret")));
  EXPECT_EQ(key, CallerKey(std::string("pul-secret"), "x", "y"));
  EXPECT_NE(key, CallerKey(std::string("pul-other"), "", "peer"));
  EXPECT_EQ(CallerKey(absl::nullopt, "api-key:ci", "peer"), "api-key:ci");
  EXPECT_EQ(CallerKey(absl::nullopt, "", "ipv4:1.2.3.4:5"),
            "peer:ipv4:1.2.3.4:5");
}

}  // namespace
}  // namespace neobridge::service
