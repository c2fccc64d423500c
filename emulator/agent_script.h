// The deterministic scripted agent: which backend events a turn produces, in
// order, and what each one does to the task. Pure functions; the caller
// (TaskService) emits one step per agent_step_delay and applies its effects.
//
// A user_message turn:
//   1. set_task_name            (first turn only)
//   2. assistant_message        "Looking into: <prompt>", is_final false,
//                               one tool call pulumi_preview {"stack":"dev"}
//   3. exec_tool_call           (cloud/worker tool execution only)
//   4. tool_response            {"summary":"3 resources to update"}
//   5. the outcome, chosen from the prompt (case-insensitive):
//        contains "fail"   -> error
//        contains "approv" -> user_approval_request (becomes pending)
//        otherwise         -> assistant_message "Done: ...", is_final true
// With toolExecutionMode "cli", step 2 carries execution_mode "cli" and
// is_final true, steps 3-4 are skipped, and the turn waits for the client's
// exec_tool_call/tool_result; the tool_result resumes the turn at step 5.
#ifndef NEO_EMULATOR_AGENT_SCRIPT_H_
#define NEO_EMULATOR_AGENT_SCRIPT_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "emulator/ids.h"
#include "nlohmann/json.hpp"

namespace neo_emulator {

inline constexpr absl::string_view kModelName = "neo-model";
inline constexpr absl::string_view kToolName = "pulumi_preview";

struct TokenUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_input_tokens = 0;
  int64_t cache_creation_input_tokens = 0;

  // What tokensUsed grows by: the sum of all four counters.
  int64_t Total() const;
  // What contextUsedTokens becomes: the input side of this invocation.
  int64_t ContextTokens() const;
};

struct PendingToolCall {
  std::string id;
  std::string name;
};

// What emitting a step does to the running turn.
enum class TurnEffect {
  kContinue,  // More steps follow.
  kEndTurn,   // The turn is over; the task becomes idle.
  kAwaitCli,  // The agent waits for the client to run CLI tool calls.
};

struct AgentStep {
  // AgentBackendEvent body without "timestamp" (added when emitted).
  nlohmann::json body;
  TurnEffect effect = TurnEffect::kContinue;
  std::optional<std::string> rename_to;            // set_task_name.
  std::optional<std::string> approval_request_id;  // Becomes pending.
  std::vector<PendingToolCall> cli_tool_calls;     // Awaited (kAwaitCli).
  std::optional<TokenUsage> usage;                 // assistant_message.
};

enum class TurnState {
  kIdle,                // No turn; the agent accepts input.
  kAgentRunning,        // Steps are queued; user input gets 409.
  kAwaitingCliResults,  // Waiting for exec_tool_call/tool_result.
};

// Per-task conversation state, owned by the Task, driven by TaskService on
// the event-loop thread.
struct AgentState {
  TurnState turn = TurnState::kIdle;
  int turns_started = 0;
  std::string last_prompt;
  bool renamed_by_user = false;
  std::optional<std::string> pending_approval_id;
  std::vector<PendingToolCall> pending_cli_calls;
  std::deque<AgentStep> queued_steps;
  uint64_t step_timer = 0;  // Scheduler handle; 0 = none.
  IdSource ids{0, 0};       // Event ids, tool call ids, approval ids.
};

struct UserMessageTurn {
  absl::string_view prompt;
  bool first_turn = false;
  bool cli_tools = false;  // toolExecutionMode == "cli".
};

// The steps of a turn started by a user_message (see the file comment).
std::vector<AgentStep> PlanUserMessageTurn(const UserMessageTurn& turn,
                                           IdSource& ids);

// The rest of a CLI turn after the client's tool_result: an error when any
// result has is_error, otherwise the outcome for `prompt`.
std::vector<AgentStep> PlanToolResultTurn(absl::string_view prompt,
                                          bool any_tool_error, IdSource& ids);

// The turn answering the pending approval request: one final
// assistant_message ("Applied 3 changes to stack dev." when ok, otherwise a
// message quoting `instructions`).
std::vector<AgentStep> PlanConfirmationTurn(bool ok,
                                            absl::string_view instructions);

// The reply to a user_message while an approval is pending: one
// awaiting_approvals event that ends the turn.
std::vector<AgentStep> PlanAwaitingApprovalsTurn();

// Body of a `cancelled` backend event (without timestamp).
nlohmann::json CancelledBody(bool operation_was_running);

// Task name before the agent renames it: the prompt with whitespace runs
// collapsed, trimmed, cut to at most 60 characters (UTF-8 safe).
std::string InitialTaskName(absl::string_view prompt);

// The name the agent's set_task_name proposes: "Task: " + the first 50
// characters of the collapsed prompt.
std::string AgentTaskName(absl::string_view prompt);

}  // namespace neo_emulator

#endif  // NEO_EMULATOR_AGENT_SCRIPT_H_
