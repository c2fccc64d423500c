#include "emulator/stream_stats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

TEST(StreamStatsTest, CountsOpenStreamsPerTaskAndEverOpened) {
  StreamStats stats;
  EXPECT_EQ(stats.open(), 0u);
  EXPECT_EQ(stats.open("a"), 0u);
  EXPECT_EQ(stats.opened_total(), 0u);

  stats.Opened("a");
  stats.Opened("a");
  stats.Opened("b");
  EXPECT_EQ(stats.open(), 3u);
  EXPECT_EQ(stats.open("a"), 2u);
  EXPECT_EQ(stats.open("b"), 1u);
  EXPECT_EQ(stats.opened_total(), 3u);

  stats.Closed("a");
  stats.Closed("b");
  EXPECT_EQ(stats.open(), 1u);
  EXPECT_EQ(stats.open("a"), 1u);
  EXPECT_EQ(stats.open("b"), 0u);
  EXPECT_EQ(stats.opened_total(), 3u);
  StreamCounts counts = stats.Snapshot();
  EXPECT_EQ(counts.open, 1u);
  EXPECT_EQ(counts.opened_total, 3u);
  // A task whose streams are all gone is not listed.
  EXPECT_THAT(counts.open_by_task, UnorderedElementsAre(Pair("a", 1u)));
}

TEST(StreamStatsTest, CloseOfAnUncountedTaskIsIgnored) {
  StreamStats stats;
  stats.Opened("a");
  stats.Closed("z");
  EXPECT_EQ(stats.open(), 1u);
  EXPECT_EQ(stats.open("a"), 1u);
}

TEST(StreamStatsTest, ClosedAllKeepsTheTotal) {
  StreamStats stats;
  stats.Opened("a");
  stats.Opened("b");
  stats.ClosedAll();
  EXPECT_EQ(stats.open(), 0u);
  EXPECT_EQ(stats.open("a"), 0u);
  EXPECT_EQ(stats.opened_total(), 2u);
  EXPECT_TRUE(stats.Snapshot().open_by_task.empty());
}

TEST(StreamStatsTest, Json) {
  StreamStats stats;
  EXPECT_EQ(StreamCountsToJson(stats.Snapshot()),
            Json::parse(R"({"open_streams": 0, "streams_opened_total": 0,
                            "open_streams_by_task": {}})"));
  stats.Opened("t-1");
  stats.Opened("t-1");
  stats.Opened("t-2");
  stats.Closed("t-2");
  EXPECT_EQ(StreamCountsToJson(stats.Snapshot()),
            Json::parse(R"({"open_streams": 2, "streams_opened_total": 3,
                            "open_streams_by_task": {"t-1": 2}})"));
}

}  // namespace
}  // namespace neo_emulator
