#include "bridge/client/upstream_paths.h"

#include <gtest/gtest.h>

namespace neobridge::client {
namespace {

TEST(PercentEncodeTest, KeepsUnreservedOnly) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a/b?c#d&e=f g%"), "a%2Fb%3Fc%23d%26e%3Df%20g%25");
  EXPECT_EQ(PercentEncode("\r\n\x01"), "%0D%0A%01");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(UpstreamPathsTest, BuildsEveryRoute) {
  EXPECT_EQ(TasksPath("acme"), "/api/preview/agents/acme/tasks");
  EXPECT_EQ(TaskPath("acme", "t-1"), "/api/preview/agents/acme/tasks/t-1");
  EXPECT_EQ(CancelPath("acme", "t-1"),
            "/api/preview/agents/acme/tasks/t-1/cancel");
  EXPECT_EQ(EventsPath("acme", "t-1"),
            "/api/preview/agents/acme/tasks/t-1/events");
  EXPECT_EQ(EventStreamPath("acme", "t-1"),
            "/api/preview/agents/acme/tasks/t-1/events/stream");
}

TEST(UpstreamPathsTest, NoInputAddsASegmentOrQuery) {
  // Even ids that validation would refuse stay inside their segment.
  EXPECT_EQ(TaskPath("a/../b", "x?y=1#z"),
            "/api/preview/agents/a%2F..%2Fb/tasks/x%3Fy%3D1%23z");
}

TEST(UpstreamPathsTest, DotSegmentsAreEncodedWhole) {
  EXPECT_EQ(TaskPath("..", "."), "/api/preview/agents/%2E%2E/tasks/%2E");
  EXPECT_EQ(CancelPath("acme", ".."),
            "/api/preview/agents/acme/tasks/%2E%2E/cancel");
  // Only whole dot segments: dots inside an id are ordinary characters.
  EXPECT_EQ(TaskPath("...", "a.b"), "/api/preview/agents/.../tasks/a.b");
}

TEST(QueryStringTest, EncodesKeysAndValues) {
  EXPECT_EQ(QueryString({}), "");
  EXPECT_EQ(QueryString({{"pageSize", "10"}, {"continuationToken", "a+b/c="}}),
            "?pageSize=10&continuationToken=a%2Bb%2Fc%3D");
}

}  // namespace
}  // namespace neobridge::client
