#include "benchmarks/load_stats.h"

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neobridge::bench {
namespace {

using ::testing::HasSubstr;

TEST(LatencyHistogram, BucketsCoverEveryValueContiguously) {
  int64_t next_low = 0;
  for (int bucket = 0; bucket < LatencyHistogram::kBuckets; ++bucket) {
    ASSERT_EQ(LatencyHistogram::BucketLow(bucket), next_low) << bucket;
    ASSERT_GE(LatencyHistogram::BucketHigh(bucket),
              LatencyHistogram::BucketLow(bucket));
    next_low = LatencyHistogram::BucketHigh(bucket) + 1;
  }
  EXPECT_EQ(next_low, int64_t{1} << 40);
}

TEST(LatencyHistogram, ValuesLandInTheirBucket) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128},
                    int64_t{129}, int64_t{255}, int64_t{256}, int64_t{1000},
                    int64_t{123456789}, (int64_t{1} << 40) - 1}) {
    const int bucket = LatencyHistogram::BucketOf(v);
    EXPECT_LE(LatencyHistogram::BucketLow(bucket), v) << v;
    EXPECT_GE(LatencyHistogram::BucketHigh(bucket), v) << v;
  }
}

TEST(LatencyHistogram, BucketsAreAtMostOneSixtyFourthWide) {
  for (int bucket = 128; bucket < LatencyHistogram::kBuckets; ++bucket) {
    const int64_t low = LatencyHistogram::BucketLow(bucket);
    const int64_t width = LatencyHistogram::BucketHigh(bucket) - low + 1;
    ASSERT_LE(width * 64, low) << bucket;
  }
}

TEST(LatencyHistogram, QuantilesOfAUniformRun) {
  LatencyHistogram h;
  for (int64_t us = 1; us <= 1000; ++us) h.Record(us * 1000);
  EXPECT_EQ(h.count(), 1000);
  EXPECT_EQ(h.min(), 1000);
  EXPECT_EQ(h.max(), 1000000);
  EXPECT_NEAR(h.Quantile(0.5), 500000, 500000 / 100);
  EXPECT_NEAR(h.Quantile(0.99), 990000, 990000 / 100);
  EXPECT_EQ(h.Quantile(1.0), 1000000);
  EXPECT_EQ(h.Quantile(0.0), 1000);
  EXPECT_NEAR(h.mean(), 500500, 1);
}

TEST(LatencyHistogram, EmptyAndClamped) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.99), 0);
  EXPECT_EQ(h.min(), 0);
  h.Record(-5);
  EXPECT_EQ(h.min(), 0);
  h.Record(int64_t{1} << 50);
  EXPECT_EQ(h.max(), (int64_t{1} << 40) - 1);
}

TEST(SummaryJson, HasEveryField) {
  LatencyHistogram h;
  h.Record(250000);
  LoadSummary s{.tool = "http_load",
                .target = "127.0.0.1:1",
                .method = "GetTask",
                .open_loop = false,
                .concurrency = 8,
                .connections = 8,
                .window_s = 2,
                .sent = 3,
                .ok = 1,
                .errors = {{"http_404", 1}, {"timeout", 1}},
                .throughput_rps = 0.5,
                .latency = &h};
  const std::string json = SummaryJson(s);
  EXPECT_THAT(json, HasSubstr("\"mode\":\"saturation\""));
  EXPECT_THAT(json, HasSubstr("\"errors\":{\"http_404\":1,\"timeout\":1}"));
  EXPECT_THAT(json, HasSubstr("\"p50\":250.0,"));
  EXPECT_THAT(json, HasSubstr("\"throughput_rps\":0.5,"));
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace neobridge::bench
