#include "emulator/sse_format.h"

#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::ElementsAre;

TEST(SseFormatTest, FramesInEachLineEnding) {
  EXPECT_EQ(FormatEventFrame("e1", R"({"a":1})"),
            "id: e1\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(FormatEventFrame("e1", "{}", LineEnding::kCr),
            "id: e1\rdata: {}\r\r");
  EXPECT_EQ(FormatEventFrame("e1", "{}", LineEnding::kCrLf),
            "id: e1\r\ndata: {}\r\n\r\n");
  EXPECT_EQ(FormatDataFrame("oops"), "data: oops\n\n");
  EXPECT_EQ(FormatDataFrame("oops", LineEnding::kCrLf), "data: oops\r\n\r\n");
  EXPECT_EQ(FormatCommentFrame("heartbeat"), ": heartbeat\n\n");
  EXPECT_EQ(FormatCommentFrame("heartbeat", LineEnding::kCr),
            ": heartbeat\r\r");
}

TEST(SseFormatTest, SplitIntoChunks) {
  EXPECT_THAT(SplitIntoChunks("abcdefg", 3), ElementsAre("abc", "def", "g"));
  EXPECT_THAT(SplitIntoChunks("abcdef", 3), ElementsAre("abc", "def"));
  EXPECT_THAT(SplitIntoChunks("abc", 1), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitIntoChunks("abc", 100), ElementsAre("abc"));
  EXPECT_THAT(SplitIntoChunks("abc", 0), ElementsAre("abc"));
  EXPECT_TRUE(SplitIntoChunks("", 3).empty());
  const std::string frame = FormatEventFrame("id-1", R"({"x":"yz"})");
  EXPECT_EQ(absl::StrJoin(SplitIntoChunks(frame, 7), ""), frame);
}

}  // namespace
}  // namespace neo_emulator
