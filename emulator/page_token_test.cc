#include "emulator/page_token.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

TEST(PageTokenTest, TaskCursorRoundTripsNumericKeys) {
  TaskCursor cursor{.org = "acme",
                    .sort_by = SortField::kTokensUsed,
                    .direction = SortDirection::kAsc,
                    .task_type = "sync",
                    .horizon = 42,
                    .last = SortKey{.value = int64_t{-5}, .seq = 9}};
  const std::string token = EncodeTaskCursor(cursor);
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << token;
  absl::StatusOr<TaskCursor> decoded = DecodeTaskCursor(token);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->org, "acme");
  EXPECT_EQ(decoded->sort_by, SortField::kTokensUsed);
  EXPECT_EQ(decoded->direction, SortDirection::kAsc);
  EXPECT_EQ(decoded->task_type, "sync");
  EXPECT_EQ(decoded->horizon, 42u);
  EXPECT_EQ(std::get<int64_t>(decoded->last.value), -5);
  EXPECT_EQ(decoded->last.seq, 9u);
}

TEST(PageTokenTest, TaskCursorRoundTripsNameKeys) {
  TaskCursor cursor{
      .org = "o",
      .sort_by = SortField::kName,
      .last = SortKey{.value = std::string("ünïcode \"name\""), .seq = 1}};
  absl::StatusOr<TaskCursor> decoded =
      DecodeTaskCursor(EncodeTaskCursor(cursor));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<std::string>(decoded->last.value), "ünïcode \"name\"");
}

TEST(PageTokenTest, RejectsMalformedAndForeignTokens) {
  const std::string event_token =
      EncodeEventCursor(EventCursor{.task_id = "t", .next_index = 3});
  for (
      const std::string& token :
      {std::string("!!!"), std::string("abc"),
       absl::WebSafeBase64Escape("not json"),
       absl::WebSafeBase64Escape("[1,2]"),
       absl::WebSafeBase64Escape(R"({"v":2,"k":"tasks"})"),
       absl::WebSafeBase64Escape(
           R"({"v":1,"k":"tasks","o":"a","s":"size","d":"asc","y":"","h":1,"q":1,"n":1})"),
       absl::WebSafeBase64Escape(
           R"({"v":1,"k":"tasks","o":"a","s":"name","d":"asc","y":"","h":1,"q":1,"n":1})"),
       event_token}) {
    absl::StatusOr<TaskCursor> decoded = DecodeTaskCursor(token);
    EXPECT_FALSE(decoded.ok()) << token;
    EXPECT_EQ(decoded.status().message(), "invalid continuationToken");
  }
  EXPECT_FALSE(DecodeEventCursor(EncodeTaskCursor(TaskCursor{})).ok());
  EXPECT_FALSE(DecodeEventCursor("").ok());
}

TEST(PageTokenTest, EventCursorRoundTrips) {
  absl::StatusOr<EventCursor> decoded = DecodeEventCursor(
      EncodeEventCursor(EventCursor{.task_id = "task-1", .next_index = 17}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->task_id, "task-1");
  EXPECT_EQ(decoded->next_index, 17u);
}

}  // namespace
}  // namespace neo_emulator
