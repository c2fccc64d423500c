#include "emulator/agent_script.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace neo_emulator {
namespace {

using Json = nlohmann::json;

constexpr size_t kInitialNameChars = 60;
constexpr size_t kAgentNameChars = 50;
constexpr absl::string_view kApprovalMessage = "Apply 3 changes to stack dev?";

bool ContainsIgnoreCase(absl::string_view text, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(text),
                           absl::AsciiStrToLower(needle));
}

// Collapses whitespace runs to one space and trims.
std::string CollapseWhitespace(absl::string_view text) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// The first `max_chars` UTF-8 code points of `text`, trailing space trimmed.
std::string TruncateCodePoints(absl::string_view text, size_t max_chars) {
  size_t chars = 0;
  size_t end = 0;
  while (end < text.size()) {
    const auto lead = static_cast<unsigned char>(text[end]);
    size_t width = 1;
    if (lead >= 0xF0) {
      width = 4;
    } else if (lead >= 0xE0) {
      width = 3;
    } else if (lead >= 0xC0) {
      width = 2;
    }
    if (chars == max_chars || end + width > text.size()) break;
    end += width;
    ++chars;
  }
  return std::string(absl::StripTrailingAsciiWhitespace(text.substr(0, end)));
}

Json UsageJson(const TokenUsage& usage) {
  return Json{
      {std::string(kModelName),
       {{"input_tokens", usage.input_tokens},
        {"output_tokens", usage.output_tokens},
        {"cache_read_input_tokens", usage.cache_read_input_tokens},
        {"cache_creation_input_tokens", usage.cache_creation_input_tokens}}}};
}

AgentStep AssistantMessage(std::string content, bool is_final,
                           const TokenUsage& usage, Json tool_calls) {
  AgentStep step;
  step.body = {{"type", "assistant_message"},
               {"content", std::move(content)},
               {"is_final", is_final},
               {"token_usage", UsageJson(usage)}};
  if (!tool_calls.empty()) step.body["tool_calls"] = std::move(tool_calls);
  step.usage = usage;
  step.effect = is_final ? TurnEffect::kEndTurn : TurnEffect::kContinue;
  return step;
}

int64_t PromptSize(absl::string_view prompt) {
  return static_cast<int64_t>(prompt.size());
}

std::vector<AgentStep> PlanOutcome(absl::string_view prompt,
                                   const std::string& tool_call_id,
                                   IdSource& ids) {
  std::vector<AgentStep> steps;
  if (ContainsIgnoreCase(prompt, "fail")) {
    AgentStep step;
    step.body = {
        {"type", "error"},
        {"message",
         absl::StrCat("Simulated failure while working on: ", prompt)}};
    step.effect = TurnEffect::kEndTurn;
    steps.push_back(std::move(step));
  } else if (ContainsIgnoreCase(prompt, "approv")) {
    const std::string approval_id = absl::StrCat("approval-", ids.NextHex(12));
    AgentStep step;
    step.body = {{"type", "user_approval_request"},
                 {"id", approval_id},
                 {"approval_type", "general"},
                 {"message", kApprovalMessage},
                 {"source", "agent"},
                 {"sensitivity", "regular"},
                 {"context",
                  {{"tool_call_id", tool_call_id},
                   {"tool_name", std::string(kToolName)}}}};
    step.approval_request_id = approval_id;
    step.effect = TurnEffect::kEndTurn;
    steps.push_back(std::move(step));
  } else {
    const TokenUsage usage{.input_tokens = 1400 + PromptSize(prompt),
                           .output_tokens = 60,
                           .cache_read_input_tokens = 1000,
                           .cache_creation_input_tokens = 0};
    steps.push_back(
        AssistantMessage("Done: 3 resources to update in stack dev.",
                         /*is_final=*/true, usage, Json::array()));
  }
  return steps;
}

}  // namespace

int64_t TokenUsage::Total() const {
  return input_tokens + output_tokens + cache_read_input_tokens +
         cache_creation_input_tokens;
}

int64_t TokenUsage::ContextTokens() const {
  return input_tokens + cache_read_input_tokens + cache_creation_input_tokens;
}

std::vector<AgentStep> PlanUserMessageTurn(const UserMessageTurn& turn,
                                           IdSource& ids) {
  std::vector<AgentStep> steps;
  if (turn.first_turn) {
    AgentStep rename;
    const std::string name = AgentTaskName(turn.prompt);
    rename.body = {{"type", "set_task_name"}, {"name", name}};
    rename.rename_to = name;
    steps.push_back(std::move(rename));
  }

  const std::string call_id = absl::StrCat("call-", ids.NextHex(12));
  Json tool_call = {{"id", call_id},
                    {"name", std::string(kToolName)},
                    {"args", {{"stack", "dev"}}}};
  if (turn.cli_tools) tool_call["execution_mode"] = "cli";
  const TokenUsage usage{
      .input_tokens = 1200 + PromptSize(turn.prompt),
      .output_tokens = 40,
      .cache_read_input_tokens = turn.first_turn ? 0 : 1000,
      .cache_creation_input_tokens = turn.first_turn ? 1000 : 0};
  AgentStep message = AssistantMessage(
      absl::StrCat("Looking into: ", turn.prompt),
      /*is_final=*/turn.cli_tools, usage, Json::array({std::move(tool_call)}));
  if (turn.cli_tools) {
    message.effect = TurnEffect::kAwaitCli;
    message.cli_tool_calls.push_back(
        PendingToolCall{.id = call_id, .name = std::string(kToolName)});
    steps.push_back(std::move(message));
    return steps;
  }
  steps.push_back(std::move(message));

  AgentStep exec;
  exec.body = {{"type", "exec_tool_call"},
               {"tool_call_id", call_id},
               {"name", std::string(kToolName)}};
  steps.push_back(std::move(exec));

  AgentStep response;
  response.body = {{"type", "tool_response"},
                   {"tool_call_id", call_id},
                   {"name", std::string(kToolName)},
                   {"content", {{"summary", "3 resources to update"}}},
                   {"is_error", false}};
  steps.push_back(std::move(response));

  for (AgentStep& step : PlanOutcome(turn.prompt, call_id, ids)) {
    steps.push_back(std::move(step));
  }
  return steps;
}

std::vector<AgentStep> PlanToolResultTurn(absl::string_view prompt,
                                          bool any_tool_error, IdSource& ids) {
  if (any_tool_error) {
    AgentStep step;
    step.body = {
        {"type", "error"},
        {"message", absl::StrCat("Tool ", kToolName, " reported an error")}};
    step.effect = TurnEffect::kEndTurn;
    return {std::move(step)};
  }
  return PlanOutcome(prompt, /*tool_call_id=*/"", ids);
}

std::vector<AgentStep> PlanConfirmationTurn(bool ok,
                                            absl::string_view instructions) {
  const TokenUsage usage{.input_tokens = 1600,
                         .output_tokens = 20,
                         .cache_read_input_tokens = 1200,
                         .cache_creation_input_tokens = 0};
  std::string content;
  if (ok) {
    content = "Applied 3 changes to stack dev.";
  } else if (instructions.empty()) {
    content = "Understood, I did not apply the changes.";
  } else {
    content = absl::StrCat(
        "Understood, I did not apply the changes. Your instructions: \"",
        instructions, "\"");
  }
  std::vector<AgentStep> steps;
  steps.push_back(AssistantMessage(std::move(content), /*is_final=*/true, usage,
                                   Json::array()));
  return steps;
}

std::vector<AgentStep> PlanAwaitingApprovalsTurn() {
  AgentStep step;
  step.body = {{"type", "awaiting_approvals"}};
  step.effect = TurnEffect::kEndTurn;
  std::vector<AgentStep> steps;
  steps.push_back(std::move(step));
  return steps;
}

Json CancelledBody(bool operation_was_running) {
  return Json{{"type", "cancelled"},
              {"operation_was_running", operation_was_running}};
}

std::string InitialTaskName(absl::string_view prompt) {
  return TruncateCodePoints(CollapseWhitespace(prompt), kInitialNameChars);
}

std::string AgentTaskName(absl::string_view prompt) {
  return absl::StrCat("Task: ", TruncateCodePoints(CollapseWhitespace(prompt),
                                                   kAgentNameChars));
}

}  // namespace neo_emulator
