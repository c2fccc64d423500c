#include "bridge/log/json_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace neobridge::log {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

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

TEST(JsonLogTest, RedactsSecretFieldsAndValues) {
  std::string line =
      FormatLine(Level::kInfo, "caller sent Bearer pul-0123456789abcdef",
                 {{"authorization", "token abc"},
                  {"detail", "key pul-0123456789abcdef in text"}});
  EXPECT_THAT(line, HasSubstr("\"msg\":\"caller sent Bearer [REDACTED]\""));
  EXPECT_THAT(line, HasSubstr("\"authorization\":\"[REDACTED]\""));
  EXPECT_THAT(line, HasSubstr("\"detail\":\"key [REDACTED] in text\""));
  EXPECT_THAT(line, Not(HasSubstr("0123456789abcdef")));
}

TEST(JsonLogTest, SinkReceivesLines) {
  std::vector<std::string> lines;
  SetSink([&lines](absl::string_view line) { lines.emplace_back(line); });
  Log(Level::kInfo, "hello", {{"k", "v"}});
  Log(Level::kDebug, "dropped below the level");
  EXPECT_FALSE(Enabled(Level::kDebug));
  EXPECT_TRUE(Enabled(Level::kInfo));
  SetSink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("\"msg\":\"hello\",\"k\":\"v\"}"));
}

}  // namespace
}  // namespace neobridge::log
