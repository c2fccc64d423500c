#include "emulator/request_parsing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

const absl::Time kNow = absl::FromUnixMillis(1767225600123);  // 2026-01-01.

struct BadCase {
  const char* body;
  const char* message_part;
};

TEST(ParseCreateTaskRequestTest, MinimalRequestFillsTypeAndTimestamp) {
  absl::StatusOr<CreateTaskRequest> request =
      ParseCreateTaskRequest(R"({"message":{"content":"hello"}})", kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->prompt, "hello");
  EXPECT_EQ(request->message,
            (Json{{"type", "user_message"},
                  {"content", "hello"},
                  {"timestamp", "2026-01-01T00:00:00.123Z"}}));
  EXPECT_EQ(request->entities, Json::array());
  EXPECT_FALSE(request->approval_mode.has_value());
  EXPECT_FALSE(request->plan_mode.has_value());
  EXPECT_FALSE(request->enabled_integrations.has_value());
}

TEST(ParseCreateTaskRequestTest, KeepsEverySetFieldAndTriStateIntegrations) {
  absl::StatusOr<CreateTaskRequest> request = ParseCreateTaskRequest(
      R"({"message":{"type":"user_message","content":"x",
                     "timestamp":"2025-05-05T05:05:05+02:00",
                     "commands":{"fix":{"name":"/fix"}},
                     "pageContext":{"path":"/acme","params":{"org":"acme"}},
                     "entity_diff":{"add":[{"type":"policy_issue","id":"p"}]}},
          "approvalMode":"balanced","permissionMode":"read-only",
          "planMode":false,"toolExecutionMode":"cli","source":"cli",
          "role":"r1","enabledIntegrations":[],
          "cliIntegrations":[{"catalogId":"aws","name":"prod"}]})",
      kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->message["timestamp"], "2025-05-05T05:05:05+02:00");
  EXPECT_EQ(request->entities,
            (Json::array({{{"type", "policy_issue"}, {"id", "p"}}})));
  EXPECT_EQ(request->approval_mode, "balanced");
  EXPECT_EQ(request->permission_mode, "read-only");
  EXPECT_EQ(request->plan_mode, false);
  EXPECT_EQ(request->tool_execution_mode, "cli");
  EXPECT_EQ(request->source, "cli");
  EXPECT_EQ(request->role, "r1");
  ASSERT_TRUE(request->enabled_integrations.has_value());
  EXPECT_EQ(*request->enabled_integrations, Json::array());
  ASSERT_TRUE(request->cli_integrations.has_value());
  EXPECT_EQ(request->cli_integrations->size(), 1u);

  absl::StatusOr<CreateTaskRequest> nulls = ParseCreateTaskRequest(
      R"({"message":{"content":"x"},"enabledIntegrations":null,"approvalMode":null})",
      kNow);
  ASSERT_TRUE(nulls.ok());
  EXPECT_FALSE(nulls->enabled_integrations.has_value());
  EXPECT_FALSE(nulls->approval_mode.has_value());
}

TEST(ParseCreateTaskRequestTest, RejectsInvalidRequests) {
  for (
      const BadCase& c : {
          BadCase{"{", "request body is not valid JSON"},
          BadCase{"[]", "request body must be a JSON object"},
          BadCase{"", "prompt is required"},
          BadCase{"{}", "prompt is required"},
          BadCase{R"({"message":null})", "prompt is required"},
          BadCase{R"({"message":{}})", "prompt is required"},
          BadCase{R"({"message":{"content":"   "}})", "prompt is required"},
          BadCase{R"({"message":{"content":5}})", "prompt is required"},
          BadCase{R"({"message":"hi"})", "message must be an object"},
          BadCase{R"({"message":{"type":"user_cancel","content":"x"}})",
                  "message.type must be user_message"},
          BadCase{R"({"message":{"content":"x","timestamp":"yesterday"}})",
                  "message.timestamp must be an RFC 3339"},
          BadCase{R"({"message":{"content":"x","commands":[]}})",
                  "message.commands must be an object"},
          BadCase{
              R"({"message":{"content":"x","pageContext":{"params":{"a":1}}}})",
              "pageContext.params must be an object of strings"},
          BadCase{R"({"message":{"content":"x"},"approvalMode":"never"})",
                  "invalid approvalMode 'never': allowed values are manual, "
                  "auto, balanced"},
          BadCase{R"({"message":{"content":"x"},"approvalMode":1})",
                  "approvalMode must be a string"},
          BadCase{R"({"message":{"content":"x"},"permissionMode":"root"})",
                  "invalid permissionMode 'root'"},
          BadCase{R"({"message":{"content":"x"},"source":"email"})",
                  "allowed values are api, console, cli, slack, schedule, "
                  "github, code-review"},
          BadCase{R"({"message":{"content":"x"},"planMode":"yes"})",
                  "planMode must be a boolean"},
          BadCase{R"({"message":{"content":"x"},"role":7})",
                  "role must be a string"},
          BadCase{R"({"message":{"content":"x"},"enabledIntegrations":[{}]})",
                  "enabledIntegrations must be an array of objects"},
          BadCase{
              R"({"message":{"content":"x"},"cliIntegrations":[{"catalogId":"aws"}]})",
              "cliIntegrations must be an array of objects"},
      }) {
    absl::StatusOr<CreateTaskRequest> request =
        ParseCreateTaskRequest(c.body, kNow);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(request.status().message(), HasSubstr(c.message_part))
        << c.body;
  }
}

TEST(ValidateEntityDiffTest, ChecksEachEntityType) {
  const char* valid[] = {
      R"({})",
      R"({"add":[],"remove":[]})",
      R"({"add":[{"type":"stack","name":"dev","project":"web"}]})",
      R"({"add":[{"type":"repository","name":"r","org":"o","forge":"github","host":"gh.example.com"}]})",
      R"({"add":[{"type":"pull_request","number":3,"merged":false,"repo":{"name":"r","org":"o"}}]})",
      R"({"add":[{"type":"pull_request","number":3,"merged":true,"repo":{"type":"repository","name":"r","org":"o"}}]})",
      R"({"remove":[{"type":"policy_issue","id":"p","name":"n"}]})",
  };
  for (const char* text : valid) {
    EXPECT_TRUE(ValidateEntityDiff(Json::parse(text)).ok()) << text;
  }
  const BadCase invalid[] = {
      {R"([])", "entity_diff must be an object"},
      {R"({"add":{}})", "entity_diff.add must be an array"},
      {R"({"add":[5]})", "entity_diff.add[0]: must be an object"},
      {R"({"add":[{"name":"x"}]})", "type is required"},
      {R"({"add":[{"type":"stack","name":"dev"}]})",
       "stack requires string fields name and project"},
      {R"({"add":[{"type":"repository","name":"r"}]})",
       "repository requires string fields name and org"},
      {R"({"add":[{"type":"repository","name":"r","org":"o","host":1}]})",
       "repository requires"},
      {R"({"add":[{"type":"pull_request","number":"3","merged":false,"repo":{"name":"r","org":"o"}}]})",
       "pull_request requires number"},
      {R"({"add":[{"type":"pull_request","number":3,"merged":false,"repo":{"name":"r"}}]})",
       "repo: repository requires"},
      {R"({"add":[{"type":"pull_request","number":3,"merged":false,"repo":{"type":"stack","name":"r","project":"p"}}]})",
       "repo: repo must be a repository"},
      {R"({"remove":[{"type":"stack","name":"a","project":"b"},{"type":"policy_issue"}]})",
       "entity_diff.remove[1]: policy_issue requires string field id"},
      {R"({"add":[{"type":"planet"}]})", "unknown entity type 'planet'"},
  };
  for (const BadCase& c : invalid) {
    absl::Status status = ValidateEntityDiff(Json::parse(c.body));
    EXPECT_FALSE(status.ok()) << c.body;
    EXPECT_THAT(status.message(), HasSubstr("invalid entities: "));
    EXPECT_THAT(status.message(), HasSubstr(c.message_part)) << c.body;
  }
}

TEST(ParseUpdateTaskRequestTest, AbsentAndNullMeanNoChange) {
  absl::StatusOr<UpdateTaskRequest> empty = ParseUpdateTaskRequest("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->name || empty->is_shared || empty->approval_mode ||
               empty->permission_mode);
  absl::StatusOr<UpdateTaskRequest> nulls = ParseUpdateTaskRequest(
      R"({"name":null,"isShared":null,"approvalMode":null,"permissionMode":null})");
  ASSERT_TRUE(nulls.ok());
  EXPECT_FALSE(nulls->name || nulls->is_shared || nulls->approval_mode ||
               nulls->permission_mode);
  absl::StatusOr<UpdateTaskRequest> set = ParseUpdateTaskRequest(
      R"({"name":"  x  ","isShared":false,"approvalMode":"auto","permissionMode":"default"})");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->name, "x");
  EXPECT_EQ(set->is_shared, false);
  EXPECT_EQ(set->approval_mode, "auto");
  EXPECT_EQ(set->permission_mode, "default");
}

TEST(ParseUpdateTaskRequestTest, NameLengthCountsCharacters) {
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "é";
  EXPECT_TRUE(ParseUpdateTaskRequest(Json{{"name", accented}}.dump()).ok());
  EXPECT_FALSE(
      ParseUpdateTaskRequest(Json{{"name", accented + "é"}}.dump()).ok());
  for (const BadCase& c : {
           BadCase{R"({"name":""})", "between 1 and 255 characters"},
           BadCase{R"({"name":" \t "})", "between 1 and 255 characters"},
           BadCase{R"({"name":1})", "name must be a string"},
           BadCase{R"({"isShared":1})", "isShared must be a boolean"},
           BadCase{R"({"approvalMode":"x"})", "invalid approvalMode 'x'"},
           BadCase{"nope", "not valid JSON"},
       }) {
    absl::StatusOr<UpdateTaskRequest> request = ParseUpdateTaskRequest(c.body);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_THAT(request.status().message(), HasSubstr(c.message_part));
  }
}

TEST(ParseRespondRequestTest, ParsesEachEventType) {
  absl::StatusOr<UserEvent> message = ParseRespondRequest(
      R"({"event":{"type":"user_message","content":"hi","entity_diff":{"add":[]}}})",
      kNow);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->type, UserEventType::kUserMessage);
  EXPECT_EQ(message->content, "hi");
  EXPECT_EQ(message->body["timestamp"], "2026-01-01T00:00:00.123Z");
  EXPECT_TRUE(message->entity_diff.is_object());

  absl::StatusOr<UserEvent> confirmation = ParseRespondRequest(
      R"({"event":{"type":"user_confirmation","approval_request_id":"a1","ok":false,"instructions":"no","timestamp":"2026-02-02T02:02:02Z"}})",
      kNow);
  ASSERT_TRUE(confirmation.ok());
  EXPECT_EQ(confirmation->type, UserEventType::kUserConfirmation);
  EXPECT_EQ(confirmation->approval_request_id, "a1");
  EXPECT_FALSE(confirmation->ok);
  EXPECT_EQ(confirmation->instructions, "no");
  EXPECT_EQ(confirmation->body["timestamp"], "2026-02-02T02:02:02Z");

  absl::StatusOr<UserEvent> cancel =
      ParseRespondRequest(R"({"event":{"type":"user_cancel"}})", kNow);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->type, UserEventType::kUserCancel);
  EXPECT_EQ(cancel->body, (Json{{"type", "user_cancel"},
                                {"timestamp", "2026-01-01T00:00:00.123Z"}}));

  absl::StatusOr<UserEvent> exec = ParseRespondRequest(
      R"({"event":{"type":"exec_tool_call","tool_call_id":"c1","name":"n"}})",
      kNow);
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->tool_call_id, "c1");
  EXPECT_EQ(exec->tool_name, "n");

  absl::StatusOr<UserEvent> result = ParseRespondRequest(
      R"({"event":{"type":"tool_result","tool_results":[{"tool_call_id":"c1","name":"n","content":"out","is_error":true}]}})",
      kNow);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->tool_results.size(), 1u);
  EXPECT_EQ(result->tool_results[0].tool_call_id, "c1");
  EXPECT_TRUE(result->tool_results[0].is_error);
}

TEST(ParseRespondRequestTest, RejectsInvalidEvents) {
  for (
      const BadCase& c : {
          BadCase{"{}", "event field is required"},
          BadCase{"", "event field is required"},
          BadCase{R"({"event":null})", "event field is required"},
          BadCase{R"({"event":"x"})", "event must be an object"},
          BadCase{R"({"event":{}})", "event.type is required"},
          BadCase{R"({"event":{"type":"wave"}})",
                  "unknown event type 'wave': allowed values are "
                  "user_message, user_confirmation, user_cancel, "
                  "exec_tool_call, tool_result"},
          BadCase{R"({"event":{"type":"user_message"}})", "prompt is required"},
          BadCase{R"({"event":{"type":"user_confirmation","ok":true}})",
                  "event.approval_request_id is required"},
          BadCase{
              R"({"event":{"type":"user_confirmation","approval_request_id":"a"}})",
              "event.ok is required"},
          BadCase{R"({"event":{"type":"exec_tool_call","name":"n"}})",
                  "event.tool_call_id is required"},
          BadCase{R"({"event":{"type":"tool_result","tool_results":[]}})",
                  "event.tool_results is required"},
          BadCase{
              R"({"event":{"type":"tool_result","tool_results":[{"tool_call_id":"c","name":"n"}]}})",
              "event.tool_results[0].content is required"},
          BadCase{R"({"event":{"type":"user_cancel","timestamp":5}})",
                  "event.timestamp must be an RFC 3339"},
          BadCase{
              R"({"event":{"type":"user_message","content":"x","entity_diff":{"add":[{"type":"x"}]}}})",
              "invalid entities"},
      }) {
    absl::StatusOr<UserEvent> event = ParseRespondRequest(c.body, kNow);
    ASSERT_FALSE(event.ok()) << c.body;
    EXPECT_THAT(event.status().message(), HasSubstr(c.message_part)) << c.body;
  }
}

TEST(ParseCancelRequestTest, OnlyForceTrue) {
  EXPECT_TRUE(ParseCancelRequest(R"({"force":true})").ok());
  for (const char* body : {"", "{}", R"({"force":false})", R"({"force":1})",
                           R"({"force":null})"}) {
    absl::Status status = ParseCancelRequest(body);
    EXPECT_EQ(status.message(),
              "force must be true (graceful cancel not yet supported via this "
              "endpoint)")
        << body;
  }
  EXPECT_EQ(ParseCancelRequest("{").message(),
            "request body is not valid JSON");
}

TEST(ParsePageSizeTest, DefaultsAndBounds) {
  EXPECT_EQ(*ParsePageSize(std::nullopt), 100);
  EXPECT_EQ(*ParsePageSize(""), 100);
  EXPECT_EQ(*ParsePageSize("1"), 1);
  EXPECT_EQ(*ParsePageSize("1000"), 1000);
  for (const char* bad :
       {"0", "1001", "-5", "abc", "1e2", "2.0", "99999999999999999999"}) {
    absl::StatusOr<int> size = ParsePageSize(bad);
    ASSERT_FALSE(size.ok()) << bad;
    EXPECT_EQ(size.status().message(), "pageSize must be between 1 and 1000");
  }
}

}  // namespace
}  // namespace neo_emulator
