#include "emulator/agent_script.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

std::vector<std::string> Types(const std::vector<AgentStep>& steps) {
  std::vector<std::string> types;
  for (const AgentStep& step : steps) types.push_back(step.body["type"]);
  return types;
}

TEST(AgentScriptTest, FirstTurnAnswersWithAToolCallAndAFinalMessage) {
  IdSource ids(1, kFirstTaskStream);
  std::vector<AgentStep> steps = PlanUserMessageTurn(
      UserMessageTurn{.prompt = "check dev", .first_turn = true}, ids);
  EXPECT_EQ(Types(steps),
            (std::vector<std::string>{"set_task_name", "assistant_message",
                                      "exec_tool_call", "tool_response",
                                      "assistant_message"}));
  EXPECT_EQ(steps[0].rename_to, "Task: check dev");
  EXPECT_EQ(steps[0].body["name"], "Task: check dev");

  const Json& first = steps[1].body;
  EXPECT_EQ(first["content"], "Looking into: check dev");
  EXPECT_EQ(first["is_final"], false);
  const std::string call_id = first["tool_calls"][0]["id"];
  EXPECT_EQ(call_id.rfind("call-", 0), 0u);
  EXPECT_EQ(first["tool_calls"][0]["args"], (Json{{"stack", "dev"}}));
  EXPECT_FALSE(first["tool_calls"][0].contains("execution_mode"));
  ASSERT_TRUE(steps[1].usage.has_value());
  EXPECT_EQ(first["token_usage"]["neo-model"]["input_tokens"],
            steps[1].usage->input_tokens);
  EXPECT_EQ(steps[1].effect, TurnEffect::kContinue);

  EXPECT_EQ(steps[2].body["tool_call_id"], call_id);
  EXPECT_EQ(steps[3].body["tool_call_id"], call_id);
  EXPECT_EQ(steps[3].body["content"],
            (Json{{"summary", "3 resources to update"}}));
  EXPECT_EQ(steps[4].body["is_final"], true);
  EXPECT_EQ(steps[4].effect, TurnEffect::kEndTurn);
  for (const AgentStep& step : steps) {
    EXPECT_FALSE(step.body.contains("timestamp"));
  }
}

TEST(AgentScriptTest, LaterTurnsDoNotRename) {
  IdSource ids(1, 1);
  std::vector<AgentStep> steps = PlanUserMessageTurn(
      UserMessageTurn{.prompt = "again", .first_turn = false}, ids);
  EXPECT_EQ(Types(steps).front(), "assistant_message");
  EXPECT_EQ(steps.size(), 4u);
  EXPECT_GT(steps[0].usage->cache_read_input_tokens, 0);
}

TEST(AgentScriptTest, FailInThePromptEndsWithAnError) {
  IdSource ids(1, 1);
  std::vector<AgentStep> steps = PlanUserMessageTurn(
      UserMessageTurn{.prompt = "this will FAIL", .first_turn = false}, ids);
  EXPECT_EQ(steps.back().body["type"], "error");
  EXPECT_EQ(steps.back().body["message"],
            "Simulated failure while working on: this will FAIL");
  EXPECT_EQ(steps.back().effect, TurnEffect::kEndTurn);
}

TEST(AgentScriptTest, ApprovInThePromptRequestsApproval) {
  IdSource ids(1, 1);
  std::vector<AgentStep> steps = PlanUserMessageTurn(
      UserMessageTurn{.prompt = "Needs APPROVAL", .first_turn = false}, ids);
  const AgentStep& last = steps.back();
  EXPECT_EQ(last.body["type"], "user_approval_request");
  ASSERT_TRUE(last.approval_request_id.has_value());
  EXPECT_EQ(last.body["id"], *last.approval_request_id);
  EXPECT_EQ(last.approval_request_id->rfind("approval-", 0), 0u);
  EXPECT_EQ(last.body["approval_type"], "general");
  EXPECT_EQ(last.body["message"], "Apply 3 changes to stack dev?");
  EXPECT_EQ(last.body["source"], "agent");
  EXPECT_EQ(last.body["sensitivity"], "regular");
  EXPECT_EQ(last.body["context"]["tool_call_id"],
            steps[0].body["tool_calls"][0]["id"]);
  EXPECT_EQ(last.body["context"]["tool_name"], "pulumi_preview");
  EXPECT_EQ(last.effect, TurnEffect::kEndTurn);
}

TEST(AgentScriptTest, FailWinsOverApprov) {
  IdSource ids(1, 1);
  EXPECT_EQ(PlanUserMessageTurn({.prompt = "approve or fail"}, ids)
                .back()
                .body["type"],
            "error");
}

TEST(AgentScriptTest, CliToolsWaitForTheClient) {
  IdSource ids(1, 1);
  std::vector<AgentStep> steps = PlanUserMessageTurn(
      UserMessageTurn{.prompt = "p", .first_turn = true, .cli_tools = true},
      ids);
  ASSERT_EQ(Types(steps),
            (std::vector<std::string>{"set_task_name", "assistant_message"}));
  const AgentStep& message = steps[1];
  EXPECT_EQ(message.body["is_final"], true);
  EXPECT_EQ(message.body["tool_calls"][0]["execution_mode"], "cli");
  EXPECT_EQ(message.effect, TurnEffect::kAwaitCli);
  ASSERT_EQ(message.cli_tool_calls.size(), 1u);
  EXPECT_EQ(message.cli_tool_calls[0].id, message.body["tool_calls"][0]["id"]);
  EXPECT_EQ(message.cli_tool_calls[0].name, "pulumi_preview");

  EXPECT_EQ(PlanToolResultTurn("p", /*any_tool_error=*/false, ids)
                .back()
                .body["is_final"],
            true);
  EXPECT_EQ(
      PlanToolResultTurn("p", /*any_tool_error=*/true, ids).back().body["type"],
      "error");
}

TEST(AgentScriptTest, SameSeedSameIds) {
  IdSource a(9, 1);
  IdSource b(9, 1);
  EXPECT_EQ(PlanUserMessageTurn({.prompt = "approve"}, a)[0].body,
            PlanUserMessageTurn({.prompt = "approve"}, b)[0].body);
}

TEST(AgentScriptTest, ConfirmationTurns) {
  std::vector<AgentStep> ok = PlanConfirmationTurn(true, "");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].body["content"], "Applied 3 changes to stack dev.");
  EXPECT_EQ(ok[0].body["is_final"], true);
  EXPECT_EQ(ok[0].effect, TurnEffect::kEndTurn);
  EXPECT_EQ(PlanConfirmationTurn(false, "use staging")[0].body["content"],
            "Understood, I did not apply the changes. Your instructions: "
            "\"use staging\"");
  EXPECT_EQ(PlanConfirmationTurn(false, "")[0].body["content"],
            "Understood, I did not apply the changes.");
}

TEST(AgentScriptTest, AwaitingApprovalsAndCancelled) {
  std::vector<AgentStep> steps = PlanAwaitingApprovalsTurn();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].body, (Json{{"type", "awaiting_approvals"}}));
  EXPECT_EQ(steps[0].effect, TurnEffect::kEndTurn);
  EXPECT_EQ(CancelledBody(true),
            (Json{{"type", "cancelled"}, {"operation_was_running", true}}));
}

TEST(AgentScriptTest, TaskNames) {
  EXPECT_EQ(InitialTaskName("  fix\n the   build  "), "fix the build");
  EXPECT_EQ(InitialTaskName(std::string(100, 'a')), std::string(60, 'a'));
  // 59 letters, a space, more words: the cut lands on the space; trimmed.
  EXPECT_EQ(InitialTaskName(std::string(59, 'b') + " tail"),
            std::string(59, 'b'));
  std::string accents;
  for (int i = 0; i < 70; ++i) accents += "é";
  const std::string name = InitialTaskName(accents);
  EXPECT_EQ(name.size(), 120u);  // 60 two-byte characters, none split.
  EXPECT_EQ(AgentTaskName("Deploy it"), "Task: Deploy it");
  EXPECT_EQ(AgentTaskName(std::string(80, 'c')),
            "Task: " + std::string(50, 'c'));
}

TEST(AgentScriptTest, TokenUsageArithmetic) {
  TokenUsage usage{.input_tokens = 10,
                   .output_tokens = 2,
                   .cache_read_input_tokens = 3,
                   .cache_creation_input_tokens = 4};
  EXPECT_EQ(usage.Total(), 19);
  EXPECT_EQ(usage.ContextTokens(), 17);
}

}  // namespace
}  // namespace neo_emulator
