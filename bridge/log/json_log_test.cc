#include "bridge/log/json_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace neobridge::log {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(JsonLogTest, FormatsOneJsonObject) {
  std::string line = FormatLine(Level::kWarn, "upstream slow",
                                {{"rpc", "GetTask"}, {"ms", "12"}});
  EXPECT_THAT(line, MatchesRegex("\\{\"time\":\"[0-9T:.-]+Z\",\"level\":"
                                 "\"warn\",\"msg\":\"upstream slow\",\"rpc\":"
                                 "\"GetTask\",\"ms\":\"12\"\\}"));
}

TEST(JsonLogTest, EscapesControlCharactersAndQuotes) {
  std::string line =
      FormatLine(Level::kInfo, "a\"b\\c\nd\x01", {{"k", "\r\t"}});
  EXPECT_THAT(line, HasSubstr("\"msg\":\"a\\\"b\\\\c\\nd\\u0001\""));
  EXPECT_THAT(line, HasSubstr("\"k\":\"\\r\\t\""));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(JsonLogTest, ParsesLevels) {
  Level level;
  ASSERT_TRUE(ParseLevel("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  ASSERT_TRUE(ParseLevel("error", &level));
  EXPECT_EQ(level, Level::kError);
  EXPECT_FALSE(ParseLevel("verbose", &level));
}

}  // namespace
}  // namespace neobridge::log
